"""The MSS object: construction, backends, monitors, status, closing."""

from __future__ import annotations

import pytest

import mss
import mss.exception
from mss.exception import ClosedError, DisplayUnavailableError, ScreenShotError, UnknownBackendError
from scene import TestDisplay, assert_shows_scene


@pytest.mark.parametrize(
    ("name", "backend"),
    [
        ("default", "x11-shm"),
        ("DEFAULT", "x11-shm"),
        ("xshmgetimage", "x11-shm"),
        ("xgetimage", "x11-getimage"),
        ("xlib", "x11-getimage"),
        ("x11-shm", "x11-shm"),
        ("x11-getimage", "x11-getimage"),
    ],
)
def test_python_mss_and_mss_rs_backend_names(xvfb: TestDisplay, name: str, backend: str) -> None:
    with mss.MSS(backend=name, display=xvfb.display) as sct:
        assert sct.backend == backend
        assert sct.status["backend"] == backend
        assert_shows_scene(sct.grab(sct.monitors[1]))


def test_the_status_says_zero_copy_with_mit_shm(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        status = sct.status
        assert status["method"] == "MIT-SHM"
        assert status["zero_copy"] is True
        assert status["fallback_reason"] is None
        assert sct.performance_status == [status["text"]]
        assert status["text"].startswith("x11-shm: MIT-SHM, zero-copy")


def test_an_unknown_backend_names_the_available_ones() -> None:
    with pytest.raises(UnknownBackendError) as raised:
        mss.MSS(backend="gdi", display=":0")
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, ScreenShotError)
    assert error.kind == "UnknownBackend"
    assert error.details["name"] == "gdi"
    assert "x11-shm" in error.details["available"]
    assert "unknown backend \"gdi\"" in str(error)


def test_a_display_without_a_server_is_display_unavailable(xvfb: TestDisplay) -> None:
    with pytest.raises(DisplayUnavailableError) as raised:
        mss.MSS(backend="x11-shm", display=":4097")
    assert raised.value.kind == "DisplayUnavailable"
    assert raised.value.details["display"] == ":4097"


def test_the_deprecated_factory_warns_and_opens(xvfb: TestDisplay) -> None:
    with pytest.warns(DeprecationWarning, match="mss.mss is deprecated"):
        sct = mss.mss(display=xvfb.display)
    with sct:
        assert isinstance(sct, mss.MSS)
        assert_shows_scene(sct.grab(sct.monitors[0]))


def test_options_of_other_platforms_warn_and_unknown_ones_are_type_errors(xvfb: TestDisplay) -> None:
    with pytest.warns(DeprecationWarning, match="max_displays is only available on macOS"):
        mss.MSS(display=xvfb.display, max_displays=4).close()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        mss.MSS(display=xvfb.display, colour=True)
    with pytest.raises(TypeError):
        mss.MSS(xvfb.display)  # type: ignore[misc]  # keyword-only, as in python-mss


def test_display_may_be_bytes_and_options_are_kept(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display.encode(), compression_level=3, with_cursor=True) as sct:
        assert sct.compression_level == 3
        assert sct.with_cursor is True
        assert sct.monitors[0].width == 640


def test_monitors_are_numbered_from_the_whole_screen_and_read_by_key(xvfb: TestDisplay) -> None:
    with mss.MSS(display=xvfb.display) as sct:
        monitors = sct.monitors
        assert len(monitors) == 2
        whole, first = monitors
        assert (whole.left, whole.top, whole.width, whole.height) == (0, 0, 640, 480)
        assert (whole.is_primary, whole.name, whole.output) == (None, None, None)
        assert (first.left, first.top, first.width, first.height) == (0, 0, 640, 480)
        assert first.output == "screen"
        assert first.is_primary is False
        assert first["width"] == 640 and first["output"] == "screen"
        with pytest.raises(KeyError):
            first["colour"]
        assert dict(first)["height"] == 480
        assert "{width}x{height}+{left}+{top}".format(**first) == "640x480+0+0"
        assert first.as_region() == mss.Region(0, 0, 640, 480)
        # The only monitor is primary for want of another.
        assert sct.primary_monitor == first


def test_close_is_idempotent_and_later_calls_say_closed(xvfb: TestDisplay) -> None:
    sct = mss.MSS(display=xvfb.display)
    monitors = sct.monitors
    shot = sct.grab(monitors[1])
    sct.close()
    sct.close()
    assert sct.closed
    with pytest.raises(ClosedError, match="cannot take a screenshot: the capturer is closed"):
        sct.grab(monitors[1])
    # The last list read stays available, as python-mss's cached list does.
    assert sct.monitors == monitors
    # Screenshots outlive their capturer.
    assert_shows_scene(shot)


def test_monitors_before_any_read_after_close_say_closed(xvfb: TestDisplay) -> None:
    sct = mss.MSS(display=xvfb.display)
    sct.close()
    with pytest.raises(ClosedError):
        sct.monitors


def test_the_context_manager_closes_and_lets_the_body_error_through(xvfb: TestDisplay) -> None:
    with pytest.raises(RuntimeError, match="body"):
        with mss.MSS(display=xvfb.display) as sct:
            raise RuntimeError("body")
    assert sct.closed


def test_the_backends_of_the_module_are_listed() -> None:
    names = [name for name, _, _ in mss.backends()]
    assert names == ["x11-shm", "x11-getimage", "wayland", "pipewire"]


def test_every_exception_is_a_screenshot_error() -> None:
    for name in mss.exception.__all__:
        assert issubclass(getattr(mss.exception, name), ScreenShotError)
    error = ScreenShotError("by hand", details={"a": 1})
    assert (str(error), error.details, error.kind) == ("by hand", {"a": 1}, None)
