"""Several monitors: Xorg with the dummy driver, two outputs side by side."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mss
from scene import TestDisplay, assert_pixels, assert_shows_scene, expected_rgb


def test_monitors_list_each_output_with_its_name_and_the_primary(xorg: TestDisplay) -> None:
    with mss.MSS(display=xorg.display) as sct:
        monitors = sct.monitors
        # RandR lists the primary monitor first, and so do python-mss and this module.
        assert [(m.left, m.top, m.width, m.height) for m in monitors] == [
            (0, 0, 1664, 768),
            (1024, 0, 640, 480),
            (0, 0, 1024, 768),
        ]
        assert [m.output for m in monitors] == [None, "DUMMY1", "DUMMY0"]
        assert [m.is_primary for m in monitors] == [None, True, False]
        assert sct.primary_monitor == monitors[1]
        assert sct.primary_monitor["output"] == "DUMMY1"


def test_every_monitor_and_the_whole_screen_are_exact(xorg: TestDisplay) -> None:
    with mss.MSS(display=xorg.display) as sct:
        for monitor in sct.monitors:
            shot = sct.grab(monitor)
            assert (shot.left, shot.top, shot.width, shot.height) == (
                monitor.left,
                monitor.top,
                monitor.width,
                monitor.height,
            )
            assert_shows_scene(shot)
        # Across both outputs.
        assert_shows_scene(sct.grab({"left": 1000, "top": 100, "width": 50, "height": 30}))


def test_save_writes_one_file_per_monitor(xorg: TestDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with mss.MSS(display=xorg.display) as sct:
        names = list(sct.save(output="mon-{mon}-{output}.png"))
        monitors = sct.monitors
    assert names == ["mon-1-DUMMY1.png", "mon-2-DUMMY0.png"]
    for name, monitor in zip(names, monitors[1:]):
        with Image.open(name) as image:
            pixels = np.asarray(image.convert("RGB"))
        assert_pixels(pixels, expected_rgb(monitor.left, monitor.top, monitor.width, monitor.height), name)
