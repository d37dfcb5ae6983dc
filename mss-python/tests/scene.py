"""The test kit's scene from Python: the display helper, and the pattern every pixel of
which encodes its coordinates (mss-testkit/src/pattern.rs), computed with NumPy.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np

# The pattern's factors (mss-testkit/src/pattern.rs).
RED_FACTOR, GREEN_FACTOR, BLUE_FACTOR = 149, 107, 45


def pattern_at(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The pattern's RGB at screen coordinates ``x`` and ``y`` (broadcast arrays)."""
    x = x.astype(np.int64)
    y = y.astype(np.int64)
    x_low, y_low = x & 0xFF, y & 0xFF
    high = ((x >> 8) & 0xF) | (((y >> 8) & 0xF) << 4)
    red = (x_low * RED_FACTOR) & 0xFF
    green = (y_low * GREEN_FACTOR) & 0xFF
    blue = (high ^ (((x_low + 3 * y_low) * BLUE_FACTOR) & 0xFF)) & 0xFF
    red, green, blue = np.broadcast_arrays(red, green, blue)
    return np.stack([red, green, blue], axis=-1).astype(np.uint8)


def expected_rgb(left: int, top: int, width: int, height: int) -> np.ndarray:
    """The scene's ``(height, width, 3)`` RGB pixels of a screen region."""
    x = np.arange(left, left + width)[None, :]
    y = np.arange(top, top + height)[:, None]
    return pattern_at(x, y)


def window_rgb(seed: int, width: int, height: int) -> np.ndarray:
    """What a test window seeded ``seed`` shows (mss_testkit::x11_windows::window_colour)."""
    x = (np.arange(width)[None, :] + 301 * seed) % 4096
    y = (np.arange(height)[:, None] + 197 * seed) % 4096
    return pattern_at(x, y)


def shot_rgb(shot: Any) -> np.ndarray:
    """A screenshot's RGB pixels, from its BGRA buffer."""
    return np.asarray(shot)[:, :, 2::-1]


def assert_pixels(actual: np.ndarray, expected: np.ndarray, what: str = "frame") -> None:
    """Every pixel equal, or the first wrong one named."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, expected {expected.shape}"
    wrong = np.argwhere(np.any(actual != expected, axis=-1))
    if len(wrong):
        y, x = wrong[0]
        raise AssertionError(
            f"{what}: {len(wrong)} wrong pixels, the first at ({x}, {y}): "
            f"{tuple(actual[y, x])} instead of {tuple(expected[y, x])}"
        )


def assert_shows_scene(shot: Any) -> None:
    """``shot`` shows exactly the scene at its place on the screen."""
    expected = expected_rgb(shot.left, shot.top, shot.width, shot.height)
    assert_pixels(shot_rgb(shot), expected, repr(shot))


class TestDisplay:
    """A display server of the test kit's helper, showing the scene; stopped on close."""

    __test__ = False

    def __init__(self, helper: Path, *arguments: str) -> None:
        self._process = subprocess.Popen(
            [str(helper), *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.runtime_dir: str | None = None
        display = None
        assert self._process.stdout is not None
        while True:
            line = self._process.stdout.readline()
            if not line:
                code = self._process.wait()
                raise RuntimeError(
                    f"mss-test-display {' '.join(arguments)} failed (exit code {code}; its error is above); "
                    "`cargo xtask test` installs the servers"
                )
            key, _, value = line.strip().partition(" ")
            if key == "ready":
                break
            if key == "display":
                display = value
            elif key == "runtime-dir":
                self.runtime_dir = value
        assert display is not None
        #: The display name to open (`:N`, or a Wayland socket's path).
        self.display: str = display

    def command(self, line: str) -> str:
        """Sends one command; returns what follows ``ok``."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline().strip()
        status, _, value = answer.partition(" ")
        if status != "ok":
            raise RuntimeError(f"mss-test-display {line!r}: {answer or 'no answer'}")
        return value

    def paint(self, left: int, top: int, width: int, height: int, rgb: tuple[int, int, int]) -> None:
        """Fills a rectangle; returns once the screen shows it."""
        self.command(f"paint {left} {top} {width} {height} {rgb[0]} {rgb[1]} {rgb[2]}")

    def window(self, seed: int, left: int, top: int, width: int, height: int, title: str) -> int:
        """A shown window with the pattern seeded ``seed``; its id."""
        return int(self.command(f"window {seed} {left} {top} {width} {height} {title}"))

    def close(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        self._process.wait(timeout=60)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> TestDisplay:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
