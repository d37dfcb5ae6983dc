"""A Wayland desktop (headless sway, wlr-screencopy): chosen by itself, exact, streamed."""

from __future__ import annotations

import pytest

import mss
from mss.exception import UnsupportedError
from scene import TestDisplay, assert_shows_scene


@pytest.fixture
def sct(sway: TestDisplay, monkeypatch: pytest.MonkeyPatch):
    # A Wayland session: the default backend is the Wayland one, with no option.
    monkeypatch.setenv("WAYLAND_DISPLAY", sway.display)
    with mss.MSS() as sct:
        yield sct


def test_the_wayland_backend_is_the_default_and_lists_the_outputs(sct: mss.MSS) -> None:
    assert sct.backend == "wayland"
    assert sct.status["zero_copy"] is True
    monitors = sct.monitors
    assert [(m.left, m.top, m.width, m.height) for m in monitors] == [
        (0, 0, 960, 480),
        (0, 0, 640, 480),
        (640, 0, 320, 240),
    ]
    assert [m.output for m in monitors[1:]] == ["HEADLESS-1", "HEADLESS-2"]
    assert [m.scale for m in monitors[1:]] == [1.0, 1.0]
    assert all(m.description for m in monitors[1:])


def test_outputs_and_regions_are_exact(sct: mss.MSS) -> None:
    for monitor in sct.monitors[1:]:
        assert_shows_scene(sct.grab(monitor))
    assert_shows_scene(sct.grab((600, 100, 700, 200)))


def test_a_wayland_stream_is_exact(sct: mss.MSS, sway: TestDisplay) -> None:
    with sct.stream(sct.monitors[2]) as stream:
        assert_shows_scene(next(stream))
        assert_shows_scene(next(stream))


def test_windows_are_not_listed_on_wayland(sct: mss.MSS) -> None:
    with pytest.raises(UnsupportedError) as raised:
        sct.windows()
    assert raised.value.details["backend"] == "wayland"


def test_the_display_may_be_named(sway: TestDisplay) -> None:
    with mss.MSS(backend="wayland", display=sway.display) as sct:
        assert_shows_scene(sct.grab(sct.monitors[1]))
