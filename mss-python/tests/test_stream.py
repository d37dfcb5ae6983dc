"""Streams: frames in order with the rectangles that changed, changes only, windows, closing."""

from __future__ import annotations

import numpy as np
import pytest

import mss
from mss.exception import InvalidRateError
from scene import TestDisplay, assert_pixels, assert_shows_scene, expected_rgb, shot_rgb, window_rgb


def test_frames_come_in_order_with_what_changed(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        with sct.stream(sct.monitors[1], in_flight=1) as stream:
            assert "MIT-SHM" in stream.description
            first = next(stream)
            assert (first.sequence, first.changes) == (0, None)
            assert_shows_scene(first)
            expected = expected_rgb(0, 0, 640, 480)
            for index in range(1, 4):
                region = (20 + 60 * index, 15 + 40 * index, 17 + index, 11)
                colour = (40 * index, 255 - 30 * index, 90)
                xvfb.paint(*region, colour)
                left, top, width, height = region
                expected[top : top + height, left : left + width] = colour
                shot = next(stream)
                assert shot.sequence == index
                assert_pixels(shot_rgb(shot), expected, f"frame {index}")
                assert shot.changes == [mss.Region(*region)]
            # The first frame, still held, still shows the first screen.
            assert_shows_scene(first)


def test_changes_only_waits_for_a_change(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct, sct.stream(changes_only=True) as stream:
        assert_shows_scene(stream.next(timeout=30))
        assert stream.next(timeout=0.3) is None, "nothing changed"
        xvfb.paint(5, 6, 7, 8, (1, 2, 3))
        shot = stream.next(timeout=30)
        assert shot is not None and shot.sequence == 1
        assert shot.changes == [mss.Region(5, 6, 7, 8)]
        assert shot.pixel(5, 6) == (1, 2, 3)


def test_a_region_stream_sees_only_its_region(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        with sct.stream((200, 150, 320, 240), changes_only=True) as stream:
            first = stream.next(timeout=30)
            assert (first.left, first.top, first.width, first.height) == (200, 150, 120, 90)
            assert_shows_scene(first)
            xvfb.paint(10, 10, 50, 40, (9, 9, 9))
            xvfb.paint(300, 200, 40, 30, (200, 100, 0))
            shot = stream.next(timeout=30)
            assert shot.sequence == 1
            assert shot.changes == [mss.Region(300, 200, 20, 30)]


def test_a_fixed_rate_is_accepted_and_a_bad_one_refused(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        with sct.stream((0, 0, 64, 48), fps=30) as stream:
            for _ in range(3):
                assert_shows_scene(next(stream))
        with pytest.raises(InvalidRateError):
            sct.stream(fps=0)
        with pytest.raises(InvalidRateError):
            sct.stream(fps=-5)


def test_a_closed_stream_stops_iterating_and_frames_outlive_it(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        stream = sct.stream((0, 0, 32, 32))
        shot = next(stream)
        stream.close()
        stream.close()
        assert stream.closed
        assert list(stream) == []
        assert_shows_scene(shot)
        # The capturer it came from was never busy.
        assert_shows_scene(sct.grab((0, 0, 32, 32)))


def test_a_window_can_be_streamed(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        window = xvfb.window(3, 40, 30, 64, 48, "streamed")
        with sct.stream(window=window) as stream:
            shot = next(stream)
            assert (shot.width, shot.height) == (64, 48)
            assert np.asarray(shot).shape == (48, 64, 4)
            assert_pixels(shot_rgb(shot), window_rgb(3, 64, 48), "window")
        with pytest.raises(TypeError, match="not both"):
            sct.stream((0, 0, 10, 10), window=window)
