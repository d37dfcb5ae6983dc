"""Fixtures: private display servers showing the known scene, started by the test kit's
helper (``mss-test-display``, built from mss-testkit), and the scene's expected pixels.

Nothing here skips: a missing server, helper or dependency fails the tests, saying what to
run (``cargo xtask test`` installs and builds everything).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from scene import TestDisplay

ROOT = Path(__file__).resolve().parents[2]


def _helper() -> Path:
    """The helper binary: ``$MSS_TEST_DISPLAY`` (set by ``cargo xtask test``), else built now."""
    given = os.environ.get("MSS_TEST_DISPLAY")
    if given:
        return Path(given)
    subprocess.run(
        ["cargo", "build", "--quiet", "--package", "mss-testkit", "--bin", "mss-test-display"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "mss-test-display"


@pytest.fixture(scope="session")
def helper() -> Path:
    path = _helper()
    assert path.exists(), f"{path} is missing: run `cargo xtask test`, which builds it"
    return path


@pytest.fixture(autouse=True)
def _no_session_display(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never use the session's own display: each names its server."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "MSS_BACKEND"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def xvfb(helper: Path) -> Iterator[TestDisplay]:
    """A private 640x480 Xvfb of depth 24 showing the scene."""
    with TestDisplay(helper, "xvfb", "640x480") as display:
        yield display


@pytest.fixture(scope="module")
def xorg(helper: Path) -> Iterator[TestDisplay]:
    """Xorg with the dummy driver: DUMMY0 1024x768 at (0, 0), DUMMY1 640x480 at (1024, 0),
    primary; one per module, because Xorg takes seconds to start."""
    with TestDisplay(helper, "xorg", "DUMMY0=1024x768", "DUMMY1=640x480", "--primary", "DUMMY1") as display:
        yield display


@pytest.fixture(scope="module")
def sway(helper: Path) -> Iterator[TestDisplay]:
    """A headless sway with two outputs: 640x480 at (0, 0), 320x240 at (640, 0)."""
    with TestDisplay(helper, "sway", "640x480", "320x240") as display:
        yield display


@pytest.fixture
def console_script() -> Path:
    """The ``mss`` command the package installs beside this interpreter."""
    path = Path(sys.executable).parent / "mss"
    assert path.exists(), f"{path} is missing: install the package (pip install ./mss-python)"
    return path
