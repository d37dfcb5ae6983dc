"""windows() and grab_window() on X11."""

from __future__ import annotations

import pytest

import mss
from mss.exception import WindowUnavailableError
from scene import TestDisplay, assert_pixels, shot_rgb, window_rgb


def test_windows_are_listed_and_captured_whole(xvfb: TestDisplay) -> None:
    window = xvfb.window(7, 500, 400, 200, 120, "half off the screen")
    with mss.MSS(display=xvfb.display) as sct:
        listed = {entry.id: entry for entry in sct.windows()}
        assert window in listed
        entry = listed[window]
        assert entry.title == "half off the screen"
        assert (entry.class_name, entry.instance) == ("MssTest", "mss-test")
        assert (entry.left, entry.top, entry.width, entry.height) == (500, 400, 200, 120)
        assert entry.viewable and not entry.minimized
        assert entry["title"] == "half off the screen"
        for target in (entry, window):
            shot = sct.grab_window(target)
            assert (shot.left, shot.top, shot.width, shot.height) == (500, 400, 200, 120)
            # Its whole contents, the part beyond the screen's edge included.
            assert_pixels(shot_rgb(shot), window_rgb(7, 200, 120), "window")


def test_a_destroyed_window_is_unavailable(xvfb: TestDisplay) -> None:
    window = xvfb.window(2, 10, 10, 30, 30, "short-lived")
    xvfb.command(f"destroy {window}")
    with mss.MSS(display=xvfb.display) as sct:
        with pytest.raises(WindowUnavailableError) as raised:
            sct.grab_window(window)
    assert raised.value.kind == "WindowUnavailable"
    assert raised.value.details["problem"] == "gone"
    assert raised.value.details["window"] == window
