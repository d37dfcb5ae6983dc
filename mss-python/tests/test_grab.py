"""grab() of every kind of region, and every member of ScreenShot."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import mss
from mss.exception import InvalidRegionError, PixelOutOfRangeError, RegionOutOfBoundsError, ScreenShotError
from mss.models import Pos, Size
from scene import TestDisplay, assert_pixels, assert_shows_scene, expected_rgb, shot_rgb


@pytest.fixture
def sct(xvfb: TestDisplay):
    with mss.MSS(display=xvfb.display) as sct:
        yield sct


class HasEdges:
    left, top, width, height = 5, 6, 7, 8


@pytest.mark.parametrize(
    "region",
    [
        {"left": 5, "top": 6, "width": 7, "height": 8},
        {"top": 6, "left": 5, "width": 7, "height": 8, "mon": 1},
        (5, 6, 12, 14),
        [5, 6, 12, 14],
        mss.Region(5, 6, 7, 8),
        mss.Monitor(5, 6, 7, 8),
        HasEdges(),
    ],
    ids=["dict", "dict-with-mon", "tuple", "list", "region", "monitor", "object"],
)
def test_every_shape_of_region_grabs_the_same_pixels(sct: mss.MSS, region: object) -> None:
    shot = sct.grab(region)
    assert (shot.left, shot.top, shot.width, shot.height) == (5, 6, 7, 8)
    assert_shows_scene(shot)


@pytest.mark.parametrize(("width", "height"), [(1, 1), (1, 41), (41, 1), (17, 23), (640, 480), (3, 480)])
def test_odd_and_whole_sizes_are_exact(sct: mss.MSS, width: int, height: int) -> None:
    left, top = 640 - width, 480 - height
    assert_shows_scene(sct.grab({"left": left, "top": top, "width": width, "height": height}))


def test_zero_and_negative_sizes_are_invalid_regions(sct: mss.MSS) -> None:
    for region in ({"left": 0, "top": 0, "width": 0, "height": 10}, (10, 10, 5, 20)):
        with pytest.raises(InvalidRegionError) as raised:
            sct.grab(region)
        assert isinstance(raised.value, ValueError)
        assert raised.value.kind == "InvalidRegion"


def test_a_region_off_the_screen_is_refused_not_clipped(sct: mss.MSS) -> None:
    with pytest.raises(RegionOutOfBoundsError) as raised:
        sct.grab({"left": 600, "top": -5, "width": 100, "height": 10})
    error = raised.value
    assert error.kind == "RegionOutOfBounds"
    assert error.details["region"] == (600, -5, 100, 10)
    assert error.details["screen"] == (0, 0, 640, 480)
    assert "is not inside the screen" in str(error)


def test_regions_of_the_wrong_type_are_type_errors(sct: mss.MSS) -> None:
    with pytest.raises(TypeError, match="left must be an integer, not float"):
        sct.grab({"left": 1.5, "top": 0, "width": 10, "height": 10})
    with pytest.raises(TypeError, match="\"height\" is missing"):
        sct.grab({"left": 1, "top": 0, "width": 10})
    with pytest.raises(TypeError, match="not 3 items"):
        sct.grab((0, 0, 10))
    with pytest.raises(TypeError, match="not str"):
        sct.grab("everything")


def test_screenshot_geometry(sct: mss.MSS) -> None:
    shot = sct.grab({"left": 100, "top": 50, "width": 30, "height": 20})
    assert shot.size == Size(30, 20) and shot.size.width == 30
    assert shot.pos == Pos(100, 50) and shot.pos.top == 50
    assert (shot.left, shot.top, shot.width, shot.height) == (100, 50, 30, 20)
    assert repr(shot) == "<ScreenShot pos=100,50 size=30x20>"


def test_bgra_rgb_pixels_and_pixel_agree_with_the_scene(sct: mss.MSS) -> None:
    shot = sct.grab({"left": 100, "top": 50, "width": 30, "height": 20})
    expected = expected_rgb(100, 50, 30, 20)
    bgra = shot.bgra
    assert isinstance(bgra, memoryview) and bgra.readonly
    assert len(bgra) == 30 * 20 * 4 and bgra.format == "B"
    as_array = np.frombuffer(bgra, dtype=np.uint8).reshape(20, 30, 4)
    assert_pixels(as_array[:, :, 2::-1], expected, "bgra")
    rgb = shot.rgb
    assert isinstance(rgb, memoryview) and len(rgb) == 30 * 20 * 3
    assert rgb is shot.rgb, "converted once"
    assert_pixels(np.frombuffer(rgb, dtype=np.uint8).reshape(20, 30, 3), expected, "rgb")
    assert shot.pixels[19][29] == tuple(expected[19, 29])
    assert len(shot.pixels) == 20 and len(shot.pixels[0]) == 30
    assert shot.pixel(0, 0) == tuple(expected[0, 0])
    assert shot.pixel(29, 19) == tuple(expected[19, 29])


def test_raw_is_deprecated_bgra(sct: mss.MSS) -> None:
    shot = sct.grab((0, 0, 4, 4))
    with pytest.warns(DeprecationWarning, match="The raw property is deprecated"):
        raw = shot.raw
    assert raw.tobytes() == shot.bgra.tobytes()


@pytest.mark.parametrize(("x", "y"), [(30, 0), (0, 20), (-1, 0), (0, -1)])
def test_pixels_outside_the_shot_are_out_of_range(sct: mss.MSS, x: int, y: int) -> None:
    shot = sct.grab({"left": 100, "top": 50, "width": 30, "height": 20})
    with pytest.raises(PixelOutOfRangeError, match=rf"Pixel location \({x}, {y}\) is out of range"):
        shot.pixel(x, y)


def test_numpy_views_share_the_frame_and_copies_do_not(sct: mss.MSS) -> None:
    shot = sct.grab({"left": 10, "top": 20, "width": 64, "height": 48})
    view = np.asarray(shot)
    assert view.shape == (48, 64, 4) and view.dtype == np.uint8
    assert not view.flags.writeable
    assert np.shares_memory(view, np.asarray(memoryview(shot)))
    copy = np.array(shot)
    assert copy.flags.writeable and not np.shares_memory(copy, view)
    assert_pixels(copy[:, :, 2::-1], expected_rgb(10, 20, 64, 48))
    interface = shot.__array_interface__
    assert interface["shape"] == (48, 64, 4)
    assert interface["typestr"] == "|u1" and interface["version"] == 3
    assert interface["data"] is shot


def test_the_buffer_protocol_is_read_only_and_shaped(sct: mss.MSS) -> None:
    shot = sct.grab({"left": 0, "top": 0, "width": 5, "height": 3})
    view = memoryview(shot)
    assert (view.shape, view.strides, view.format, view.readonly) == ((3, 5, 4), (20, 4, 1), "B", True)
    with pytest.raises(TypeError):
        view[0, 0, 0] = 1
    assert bytes(shot) == shot.bgra.tobytes() and len(bytes(shot)) == 60
    assert bytearray(shot) == bytearray(shot.bgra)


def test_a_custom_cls_image_gets_the_data_and_a_region(sct: mss.MSS) -> None:
    class Simple(mss.ScreenShot):
        def __init__(self, data, monitor, **_):
            self.data = data
            self.monitor = monitor

    sct.cls_image = Simple
    shot = sct.grab({"left": 3, "top": 4, "width": 5, "height": 6})
    assert isinstance(shot, Simple)
    assert shot.monitor == mss.Region(3, 4, 5, 6)
    assert isinstance(shot.data, mss.ScreenShot)
    # The subclass still is the frame, shared, not copied.
    assert np.shares_memory(np.asarray(shot), np.asarray(shot.data))
    assert_shows_scene(shot)
    assert repr(shot) == "<Simple pos=3,4 size=5x6>"

    class NotAShot:
        def __init__(self, data, monitor):
            self.rgb = bytes(data)[:4]
            self.monitor = monitor

    sct.cls_image = NotAShot
    other = sct.grab((0, 0, 2, 2))
    assert isinstance(other, NotAShot) and len(other.rgb) == 4


def test_screenshots_can_be_made_from_bytes(sct: mss.MSS) -> None:
    data = bytes(range(16)) * 3
    shot = mss.ScreenShot.from_size(data, 4, 3)
    assert (shot.size, shot.pos) == (Size(4, 3), Pos(0, 0))
    assert shot.bgra.tobytes() == data
    assert shot.pixel(1, 0) == (6, 5, 4)
    placed = mss.ScreenShot(bytearray(data), {"left": 7, "top": 8, "width": 2, "height": 6})
    assert placed.pos == Pos(7, 8)
    with pytest.raises(ScreenShotError, match="4x4 BGRA pixels are 64 bytes, not the 48 given"):
        mss.ScreenShot.from_size(data, 4, 4)


def test_the_pointer_is_drawn_only_when_asked(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as plain:
        assert_shows_scene(plain.grab(plain.monitors[0]))
    with mss.MSS(display=xvfb.display, with_cursor=True) as cursor:
        shot = cursor.grab(cursor.monitors[0])
    wrong = np.argwhere(np.any(shot_rgb(shot) != expected_rgb(0, 0, 640, 480), axis=-1))
    assert len(wrong) > 0, "the pointer is drawn"
    height, width = wrong.max(axis=0) - wrong.min(axis=0) + 1
    assert width <= 64 and height <= 64, "only where the pointer is"


def test_the_getimage_backend_is_exact_too(xvfb: TestDisplay) -> None:
    with mss.MSS(backend="xgetimage", display=xvfb.display) as sct:
        assert sct.status["method"] == "GetImage"
        assert_shows_scene(sct.grab(sct.monitors[1]))
        assert_shows_scene(sct.grab((33, 44, 55, 66)))


def test_screenshots_are_collected_with_their_views(sct: mss.MSS) -> None:
    shot = sct.grab((0, 0, 8, 8))
    view = np.asarray(shot)
    del shot
    gc.collect()
    # The array keeps the frame alive and readable.
    assert_pixels(view[:, :, 2::-1], expected_rgb(0, 0, 8, 8))
