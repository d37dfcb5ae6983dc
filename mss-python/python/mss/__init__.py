"""mss-rs for Python: python-mss's API, zero-copy screenshots on X11 and Wayland.

    import mss

    with mss.MSS() as sct:
        sct.shot()                                   # monitor-1.png
        shot = sct.grab(sct.monitors[1])             # a ScreenShot: the captured frame
        pixels = numpy.asarray(shot)                 # (height, width, 4) BGRA, no copy

Beyond python-mss: Wayland desktops (wlroots compositors, GNOME), ``windows()`` and
``grab_window()``, ``stream()`` and ``record()``.
"""

from __future__ import annotations

import warnings
from typing import Any

from mss import tools
from mss._mss import __version__ as _version
from mss._mss import backends
from mss.base import MSS
from mss.exception import ScreenShotError
from mss.models import Monitor, Pos, Recording, Region, Size, Window
from mss.screenshot import ScreenShot

__version__: str = _version
__author__ = "mss-rs developers"
__all__ = [
    "MSS",
    "Monitor",
    "Pos",
    "Recording",
    "Region",
    "ScreenShot",
    "ScreenShotError",
    "Size",
    "Window",
    "backends",
    "mss",
    "tools",
]


def mss(**kwargs: Any) -> MSS:
    """Deprecated (as in python-mss): ``MSS(**kwargs)``."""
    warnings.warn(
        "mss.mss is deprecated and will be removed in a future release; use mss.MSS instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return MSS(**kwargs)
