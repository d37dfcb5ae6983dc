"""Exceptions: every failure of the module is a ``ScreenShotError``.

Each subclass is one kind of failure of mss-rs. ``error.kind`` names the kind as mss-rs does
(``"RegionOutOfBounds"``, ``"Timeout"``, ...), ``error.details`` holds its fields (the display,
the region, the screen...), and ``str(error)`` is mss-rs's message, which names what is wrong
in the caller's terms. Where a kind is also one of Python's own (a bad value, a timeout, a
file that cannot be written), the class derives from that too, so ``except ValueError`` and
``except TimeoutError`` catch what they should.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ScreenShotError",
    "BuffersExhaustedError",
    "ClosedError",
    "ConnectionLostError",
    "CursorUnavailableError",
    "DisplayTimeoutError",
    "DisplayUnavailableError",
    "ExistingFileError",
    "InvalidLevelError",
    "InvalidRateError",
    "InvalidRegionError",
    "MonitorNotFoundError",
    "PixelOutOfRangeError",
    "ProtocolError",
    "RecordingError",
    "RegionOutOfBoundsError",
    "SharedMemoryError",
    "TemplateError",
    "UnknownBackendError",
    "UnsupportedError",
    "WindowUnavailableError",
    "WriteError",
    "XWaylandRootError",
]


class ScreenShotError(Exception):
    """A screenshot failed; python-mss's one public error, the base of every other here."""

    def __init__(self, message: str, /, *, details: dict[str, Any] | None = None, kind: str | None = None) -> None:
        super().__init__(message)
        #: The fields of the failure (python-mss's ``details``): display, region, ...
        self.details: dict[str, Any] = {} if details is None else dict(details)
        #: The kind of failure, as mss-rs names it; ``None`` when raised by hand.
        self.kind: str | None = kind


class DisplayUnavailableError(ScreenShotError):
    """The display cannot be opened: unset, unreachable, refused, or no backend could."""


class UnsupportedError(ScreenShotError):
    """The backend or the screen cannot do this (a palette screen, windows on Wayland...)."""


class InvalidRegionError(ScreenShotError, ValueError):
    """A region that is no rectangle: zero or negative size, edges out of range."""


class RegionOutOfBoundsError(ScreenShotError):
    """A region not on the screen (python-mss lets the server answer BadMatch)."""


class MonitorNotFoundError(ScreenShotError, IndexError):
    """A monitor number the display does not have."""


class WindowUnavailableError(ScreenShotError):
    """A window that is gone, unmapped or minimized (``details["problem"]`` says which)."""


class CursorUnavailableError(ScreenShotError):
    """The pointer cannot be read now: hidden, or on no monitor the backend sees."""


class XWaylandRootError(ScreenShotError):
    """An X11 backend met XWayland, whose root window is not the Wayland desktop."""


class ProtocolError(ScreenShotError):
    """The display server answered a request with an error."""


class ConnectionLostError(ScreenShotError):
    """The connection to the display broke."""


class DisplayTimeoutError(ScreenShotError, TimeoutError):
    """The display did not answer in time; the capturer is closed."""


class InvalidRateError(ScreenShotError, ValueError):
    """A stream rate that is not a positive number of frames a second."""


class BuffersExhaustedError(ScreenShotError):
    """Every reusable buffer is held by a live screenshot: let some go before grabbing more."""


class SharedMemoryError(ScreenShotError):
    """Shared memory for a buffer could not be created, mapped or attached."""


class UnknownBackendError(ScreenShotError, ValueError):
    """A backend name that is not known or not built in (``details["available"]``)."""


class TemplateError(ScreenShotError, ValueError):
    """A file name template that cannot be rendered."""


class InvalidLevelError(ScreenShotError, ValueError):
    """A PNG compression level outside 0-9."""


class WriteError(ScreenShotError, OSError):
    """A file could not be written."""


class ExistingFileError(WriteError, FileExistsError):
    """A recording would write a file that exists, and ``overwrite=False`` keeps it."""


class RecordingError(ScreenShotError):
    """A recording could not go on: a raw frame of another size (the screen's mode changed),
    or a writer that took no frame in time. The frames before are written whole
    (``details["kept"]`` says where)."""


class ClosedError(ScreenShotError):
    """The capturer or the stream was closed."""


class PixelOutOfRangeError(ScreenShotError, IndexError):
    """``pixel(x, y)`` outside the screenshot."""
