"""The examples of python-mss's documentation, written the way its users write them, run
against this module on the session's display (``$DISPLAY``), with their results checked."""

from __future__ import annotations

import time
from pathlib import Path

import numpy
import pytest
from PIL import Image

import mss
import mss.tools
from scene import TestDisplay, assert_pixels, expected_rgb


@pytest.fixture
def session(xvfb: TestDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DISPLAY", xvfb.display)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def png(path: str | Path) -> numpy.ndarray:
    with Image.open(path) as image:
        return numpy.asarray(image.convert("RGB"))


def test_full_screen(session: Path) -> None:
    with mss.MSS() as sct:
        filename = sct.shot(mon=-1, output="fullscreen.png")
    assert filename == "fullscreen.png"
    assert_pixels(png(filename), expected_rgb(0, 0, 640, 480))


def test_one_file_per_monitor_and_a_callback(session: Path) -> None:
    def on_exists(fname: str) -> None:
        existing = Path(fname)
        if existing.is_file():
            existing.rename(existing.with_name(existing.name + ".old"))

    Path("mon-1.png").write_bytes(b"previous")
    with mss.MSS() as sct:
        written = [filename for filename in sct.save(output="mon-{mon}.png", callback=on_exists)]
    assert written == ["mon-1.png"]
    assert Path("mon-1.png.old").read_bytes() == b"previous"
    assert_pixels(png("mon-1.png"), expected_rgb(0, 0, 640, 480))


def test_part_of_the_screen(session: Path) -> None:
    with mss.MSS() as sct:
        monitor = {"top": 160, "left": 160, "width": 160, "height": 135}
        output = "sct-{top}x{left}_{width}x{height}.png".format(**monitor)
        sct_img = sct.grab(monitor)
        mss.tools.to_png(sct_img.rgb, sct_img.size, output=output)
    assert output == "sct-160x160_160x135.png"
    assert_pixels(png(output), expected_rgb(160, 160, 160, 135))


def test_part_of_the_screen_as_a_pil_style_tuple(session: Path) -> None:
    with mss.MSS() as sct:
        bbox = (160, 160, 260, 260)
        im = sct.grab(bbox)
        mss.tools.to_png(im.rgb, im.size, output="screenshot.png")
    assert_pixels(png("screenshot.png"), expected_rgb(160, 160, 100, 100))


def test_pil(session: Path) -> None:
    with mss.MSS() as sct:
        for num, monitor in enumerate(sct.monitors[1:], 1):
            sct_img = sct.grab(monitor)
            img = Image.frombytes("RGB", sct_img.size, sct_img.bgra, "raw", "BGRX")
            img.save(f"monitor-{num}.png")
            # The same from the RGB conversion, and from the buffer itself.
            assert img.tobytes() == Image.frombytes("RGB", sct_img.size, sct_img.rgb).tobytes()
            assert img.tobytes() == Image.frombuffer("RGBX", sct_img.size, sct_img, "raw", "BGRX").convert("RGB").tobytes()
    assert_pixels(png("monitor-1.png"), expected_rgb(0, 0, 640, 480))


def test_numpy(session: Path) -> None:
    with mss.MSS() as sct:
        monitor = {"top": 40, "left": 0, "width": 160, "height": 135}
        img = numpy.array(sct.grab(monitor))
        assert img.shape == (135, 160, 4) and img.dtype == numpy.uint8
        # BGRA to RGB, as users do with NumPy alone.
        rgb = img[:, :, [2, 1, 0]]
        assert_pixels(rgb, expected_rgb(0, 40, 160, 135))
        img[:, :, :3] = 0  # a copy: writable, and the screen's frame untouched
        assert int(numpy.asarray(sct.grab(monitor))[:, :, :3].sum()) == int(expected_rgb(0, 40, 160, 135).sum())


def test_opencv_style_frames_per_second_loop(session: Path) -> None:
    frames = []
    with mss.MSS() as sct:
        monitor = {"top": 40, "left": 0, "width": 800 // 2, "height": 640 // 2 - 40}
        for _ in range(60):
            last_time = time.time()
            img = numpy.array(sct.grab(monitor))
            bgr = img[:, :, :3]  # what cv2.imshow("OpenCV/Numpy normal", img) shows
            frames.append(bgr)
            fps = 1 / max(time.time() - last_time, 1e-9)
            assert fps > 0
    expected = expected_rgb(0, 40, 400, 280)[:, :, ::-1]
    for frame in (frames[0], frames[-1]):
        assert_pixels(frame, expected, "BGR frame")


def test_multiple_monitors(xorg: TestDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", xorg.display)
    monkeypatch.chdir(tmp_path)
    with mss.MSS() as sct:
        # Every monitor, then the second one's top-left part.
        for num, monitor in enumerate(sct.monitors[1:], 1):
            sct_img = sct.grab(monitor)
            mss.tools.to_png(sct_img.rgb, sct_img.size, output=f"monitor-{num}.png")
        mon = sct.monitors[2]
        monitor = {"top": mon["top"] + 100, "left": mon["left"] + 100, "width": 160, "height": 135, "mon": 2}
        output = "sct-mon{mon}_{top}x{left}_{width}x{height}.png".format(**monitor)
        sct_img = sct.grab(monitor)
        mss.tools.to_png(sct_img.rgb, sct_img.size, output=output)
        monitors = sct.monitors
    for num, monitor in enumerate(monitors[1:], 1):
        assert_pixels(png(f"monitor-{num}.png"), expected_rgb(monitor.left, monitor.top, monitor.width, monitor.height))
    assert output == f"sct-mon2_{monitors[2].top + 100}x{monitors[2].left + 100}_160x135.png"
    assert_pixels(png(output), expected_rgb(monitors[2].left + 100, monitors[2].top + 100, 160, 135))
