"""save(), shot() and mss.tools.to_png: python-mss's files, pixel-exact."""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import mss
import mss.tools
from mss.exception import InvalidLevelError, MonitorNotFoundError, ScreenShotError, TemplateError
from scene import TestDisplay, assert_pixels, expected_rgb


def png_rgb(path: Path | str) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == "RGB"
        return np.asarray(image)


@pytest.fixture
def sct(xvfb: TestDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with mss.MSS(display=xvfb.display) as sct:
        yield sct


def test_save_is_lazy_and_yields_each_name_after_writing_it(sct: mss.MSS, tmp_path: Path) -> None:
    files = sct.save()
    assert list(tmp_path.iterdir()) == [], "nothing happens before iterating"
    name = next(files)
    assert name == "monitor-1.png"
    assert_pixels(png_rgb(tmp_path / name), expected_rgb(0, 0, 640, 480), name)
    with pytest.raises(StopIteration):
        next(files)


def test_mon_minus_one_is_the_whole_screen_and_mon_n_one_monitor(sct: mss.MSS, tmp_path: Path) -> None:
    assert list(sct.save(mon=-1, output="all-{mon}-{width}x{height}.png")) == ["all-0-640x480.png"]
    assert_pixels(png_rgb("all-0-640x480.png"), expected_rgb(0, 0, 640, 480))
    assert list(sct.save(mon=1, output="{output}-{is_primary}-{name}-{unique_id}.png")) == [
        "screen-False-None-None.png"
    ]


def test_a_missing_monitor_raises_when_iterated(sct: mss.MSS) -> None:
    files = sct.save(mon=5)
    with pytest.raises(MonitorNotFoundError, match="Monitor 5 does not exist."):
        next(files)
    with pytest.raises(MonitorNotFoundError):
        sct.shot(mon=222)


def test_the_callback_runs_before_each_file_is_written(sct: mss.MSS, tmp_path: Path) -> None:
    Path("monitor-1.png").write_bytes(b"old picture")
    seen = []

    def keep_the_old_one(name: str) -> None:
        seen.append((name, Path(name).read_bytes()))
        os.rename(name, name + ".old")

    assert sct.shot(callback=keep_the_old_one) == "monitor-1.png"
    assert seen == [("monitor-1.png", b"old picture")]
    assert Path("monitor-1.png.old").read_bytes() == b"old picture"
    assert_pixels(png_rgb("monitor-1.png"), expected_rgb(0, 0, 640, 480))


def test_dates_are_utc_datetimes_with_format_specs(sct: mss.MSS) -> None:
    before = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    name = sct.shot(output="{date:%Y-%m-%d}_{mon:02d}.png")
    after = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert name in (f"{before}_01.png", f"{after}_01.png")
    default = sct.shot(output="{date}.png")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+00:00\.png", default), default


def test_bad_templates_and_levels_are_refused(sct: mss.MSS) -> None:
    with pytest.raises(TemplateError, match="colour"):
        sct.shot(output="{colour}.png")
    sct.compression_level = 42
    with pytest.raises(InvalidLevelError, match="PNG compression level 42 is not in 0-9"):
        sct.shot()


@pytest.mark.parametrize("level", range(10))
def test_every_level_writes_the_same_pixels(sct: mss.MSS, level: int) -> None:
    sct.compression_level = level
    name = sct.shot(output=f"level-{level}.png")
    assert_pixels(png_rgb(name), expected_rgb(0, 0, 640, 480), name)


def test_to_png_returns_bytes_or_writes_a_file(sct: mss.MSS, tmp_path: Path) -> None:
    shot = sct.grab({"left": 7, "top": 9, "width": 33, "height": 21})
    data = mss.tools.to_png(shot.rgb, shot.size)
    assert isinstance(data, bytes) and data.startswith(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "from-bytes.png").write_bytes(data)
    assert_pixels(png_rgb(tmp_path / "from-bytes.png"), expected_rgb(7, 9, 33, 21))
    assert mss.tools.to_png(shot.rgb, shot.size, level=9, output=tmp_path / "file.png") is None
    assert_pixels(png_rgb(tmp_path / "file.png"), expected_rgb(7, 9, 33, 21))
    with pytest.raises(InvalidLevelError):
        mss.tools.to_png(shot.rgb, shot.size, level=42)
    with pytest.raises(ScreenShotError, match="33x20 RGB pixels are 1980 bytes"):
        mss.tools.to_png(shot.rgb, (33, 20))
