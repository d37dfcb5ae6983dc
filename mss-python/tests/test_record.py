"""Recordings: raw frames ffmpeg reads back, PNG sequences that show the scene, a stop from
another thread and Ctrl-C with every frame whole, existing files kept, bad arguments refused.

Stops are sent when a condition holds (a file has a frame), never after a sleep."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from PIL import Image

import mss
from mss.exception import ExistingFileError, InvalidRateError, TemplateError
from scene import TestDisplay, assert_pixels, expected_rgb

REGION = (10, 20, 74, 68)  # left, top, right, bottom: 64x48 at (10, 20)


def decoded_by_ffmpeg(recording: mss.Recording) -> np.ndarray:
    """The frames of a raw recording as ffmpeg reads them with the arguments given: RGB,
    ``(frames, height, width, 3)``."""
    assert recording.ffmpeg_input is not None and recording.size is not None
    result = subprocess.run(
        ["ffmpeg", "-v", "error", *recording.ffmpeg_input.split(), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    width, height = recording.size
    return np.frombuffer(result.stdout, np.uint8).reshape(-1, height, width, 3)


def png_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


class Acting(threading.Thread):
    """A thread that runs ``action`` once ``condition`` holds (checked in a loop, at most 6,000
    times, 10 ms apart); ``acted`` is set once it has."""

    def __init__(self, condition: Callable[[], bool], action: Callable[[], None]) -> None:
        super().__init__()
        self.condition = condition
        self.action = action
        self.acted = threading.Event()

    def run(self) -> None:
        waited = threading.Event()
        for _ in range(6000):
            if self.condition():
                self.action()
                self.acted.set()
                return
            waited.wait(0.01)
        raise AssertionError("the condition never held")


def when(condition: Callable[[], bool], action: Callable[[], None]) -> Acting:
    """Starts an :class:`Acting` thread."""
    thread = Acting(condition, action)
    thread.start()
    return thread


def test_raw_frames_are_read_back_by_ffmpeg(xvfb: TestDisplay, tmp_path: Path) -> None:
    output = tmp_path / "out.raw"
    with mss.MSS(display=xvfb.display) as sct:
        recording = sct.record(output, REGION, format="raw", fps=50, frames=5)
    assert (recording.frames, recording.ended, recording.size, recording.pixel_format) == (
        5,
        "limit",
        (64, 48),
        "bgr0",
    )
    assert recording.ffmpeg_input == f"-f rawvideo -pixel_format bgr0 -video_size 64x48 -framerate 50 -i {output}"
    assert output.stat().st_size == 5 * 64 * 48 * 4
    assert not (tmp_path / "out.raw.part").exists()
    frames = decoded_by_ffmpeg(recording)
    assert len(frames) == 5
    for index, frame in enumerate(frames):
        assert_pixels(frame, expected_rgb(10, 20, 64, 48), f"frame {index}")


def test_a_png_sequence_shows_the_scene_in_every_file(xvfb: TestDisplay, tmp_path: Path) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        monitor = sct.monitors[1]
        recording = sct.record(tmp_path / "f-{n:03}-{width}.png", monitor, frames=3, fps=None, level=1)
    assert (recording.frames, recording.ended, recording.ffmpeg_input) == (3, "limit", None)
    names = sorted(os.listdir(tmp_path))
    assert names == ["f-001-640.png", "f-002-640.png", "f-003-640.png"]
    for name in names:
        assert_pixels(png_rgb(tmp_path / name), expected_rgb(0, 0, 640, 480), name)


def test_a_changes_only_recording_writes_what_changed(xvfb: TestDisplay, tmp_path: Path) -> None:
    output = tmp_path / "changes.raw"
    expected = [expected_rgb(0, 0, 32, 24)]
    painted = expected[0].copy()
    painted[2:6, 3:8] = (200, 10, 30)
    expected.append(painted)
    frame_bytes = 32 * 24 * 4
    stop = threading.Event()

    def grown(frames: int) -> Callable[[], bool]:
        part = output.with_name("changes.raw.part")
        return lambda: part.exists() and part.stat().st_size >= frames * frame_bytes

    # A change once the first frame is written; the stop once the second is.
    threads = [
        when(grown(1), lambda: xvfb.paint(3, 2, 5, 4, (200, 10, 30))),
        when(grown(2), stop.set),
    ]
    with mss.MSS(display=xvfb.display) as sct:
        recording = sct.record(output, (0, 0, 32, 24), format="raw", changes_only=True, stop=stop)
    for thread in threads:
        thread.join()
    assert (recording.frames, recording.ended) == (2, "stopped")
    frames = decoded_by_ffmpeg(recording)
    assert len(frames) == 2
    for index, frame in enumerate(frames):
        assert_pixels(frame, expected[index], f"frame {index}")


def test_a_stop_from_another_thread_ends_it_with_every_file_whole(xvfb: TestDisplay, tmp_path: Path) -> None:
    stop = threading.Event()
    thread = when(lambda: (tmp_path / "s-00002.png").exists(), stop.set)
    with mss.MSS(display=xvfb.display) as sct:
        recording = sct.record(tmp_path / "s-{n:05}.png", fps=None, stop=stop, level=0)
    thread.join()
    assert recording.ended == "stopped"
    names = sorted(os.listdir(tmp_path))
    assert len(names) == recording.frames >= 2
    for number, name in enumerate(names, 1):
        assert name == f"s-{number:05}.png"
        assert_pixels(png_rgb(tmp_path / name), expected_rgb(0, 0, 640, 480), name)


def test_ctrl_c_ends_it_cleanly_then_raises(xvfb: TestDisplay, tmp_path: Path) -> None:
    main = threading.main_thread().ident
    assert threading.current_thread().ident == main, "signals reach Python's main thread"
    # Python raises KeyboardInterrupt only where the parent left SIGINT alone: a suite started
    # in the background by a non-interactive shell (`cargo xtask test &`, nohup) inherits it
    # ignored. The handler Python would have installed is installed for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        record_until_interrupted(xvfb, tmp_path, main)
    finally:
        signal.signal(signal.SIGINT, previous)


def record_until_interrupted(xvfb: TestDisplay, tmp_path: Path, main: int) -> None:
    output = tmp_path / "interrupted.raw"
    part = tmp_path / "interrupted.raw.part"
    frame_bytes = 64 * 48 * 4
    thread = when(
        lambda: part.exists() and part.stat().st_size >= frame_bytes,
        lambda: signal.pthread_kill(main, signal.SIGINT),
    )
    with mss.MSS(display=xvfb.display) as sct:
        # Bounded, so that an interrupt that never lands fails the test, saying why, instead
        # of filling the disk: 12 KB frames, at most 600 MB.
        try:
            sct.record(output, REGION, format="raw", fps=None, frames=50_000)
        except KeyboardInterrupt:
            pass
        else:
            blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
            pytest.fail(
                f"the recording ended without the interrupt (sent: {thread.acted.is_set()}; "
                f"blocked on this thread: {blocked}; pending: {signal.sigpending()}; "
                f"handler: {signal.getsignal(signal.SIGINT)})"
            )
        thread.join()
        # The file was named, whole frames only; the capturer still works.
        assert not part.exists()
        size = output.stat().st_size
        assert size >= frame_bytes and size % frame_bytes == 0
        frames = np.frombuffer(output.read_bytes(), np.uint8).reshape(-1, 48, 64, 4)
        for index, frame in enumerate(frames):
            assert_pixels(frame[:, :, 2::-1], expected_rgb(10, 20, 64, 48), f"frame {index}")
        assert sct.grab((0, 0, 8, 8)).size == (8, 8)


def test_existing_files_are_kept_unless_overwrite(xvfb: TestDisplay, tmp_path: Path) -> None:
    output = tmp_path / "kept.raw"
    output.write_bytes(b"an earlier recording")
    with mss.MSS(display=xvfb.display) as sct:
        with pytest.raises(ExistingFileError, match=r"the file exists \(overwrite=True replaces it\)") as raised:
            sct.record(output, (0, 0, 8, 8), format="raw", frames=1)
        assert isinstance(raised.value, FileExistsError)
        assert raised.value.kind == "Exists"
        assert output.read_bytes() == b"an earlier recording"
        (tmp_path / "p-1.png").write_bytes(b"kept too")
        with pytest.raises(ExistingFileError, match="p-1.png: the file exists"):
            sct.record(tmp_path / "p-{n}.png", (0, 0, 8, 8), frames=2)
        assert (tmp_path / "p-1.png").read_bytes() == b"kept too"
        assert not (tmp_path / "p-2.png").exists(), "nothing is captured when the first file exists"

        recording = sct.record(output, (0, 0, 8, 8), format="raw", frames=2, overwrite=True)
        assert recording.frames == 2
        assert output.stat().st_size == 2 * 8 * 8 * 4


def test_bad_arguments_are_refused_before_anything_is_written(xvfb: TestDisplay, tmp_path: Path) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        with pytest.raises(TemplateError, match=r"a PNG sequence needs \{n\}") as raised:
            sct.record(tmp_path / "same.png", frames=1)
        assert raised.value.kind == "NeedsFrameNumber"
        with pytest.raises(ValueError, match="format must be 'png' or 'raw'"):
            sct.record(tmp_path / "f-{n}.gif", format="gif", frames=1)
        with pytest.raises(ValueError, match="frames must be at least 1"):
            sct.record(tmp_path / "f-{n}.png", frames=0)
        with pytest.raises(ValueError, match="duration must be a positive"):
            sct.record(tmp_path / "f-{n}.png", duration=-1)
        with pytest.raises(InvalidRateError):
            sct.record(tmp_path / "f-{n}.png", fps=0, frames=1)
        with pytest.raises(mss.ScreenShotError, match="level"):
            sct.record(tmp_path / "f-{n}.png", frames=1, level=10)
    assert os.listdir(tmp_path) == []
    with pytest.raises(mss.exception.ClosedError):
        sct.record(tmp_path / "f-{n}.png", frames=1)
