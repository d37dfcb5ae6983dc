"""The plain types of the API: where a screenshot is (``Pos``, ``Size``), what to grab
(``Region``), the monitors (``Monitor``), the applications' windows (``Window``) and what a
recording did (``Recording``).

``Monitor`` and ``Region`` answer ``monitor["width"]`` as python-mss's do, for code written
when monitors were dicts; unlike python-mss's they are also read as mappings
(``dict(monitor)``, ``"{width}x{height}".format(**monitor)``), which such code often does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterator, NamedTuple

__all__ = ["Monitor", "Pos", "Recording", "Region", "Size", "Window"]


class Pos(NamedTuple):
    """Where a screenshot's top-left corner is on the screen."""

    left: int
    top: int


class Size(NamedTuple):
    """A screenshot's size in pixels."""

    width: int
    height: int


class _Keys:
    """String-key access to a dataclass's fields, and enough of a mapping for ``dict(x)``
    and ``**x``."""

    def keys(self) -> list[str]:
        return [field.name for field in fields(self)]  # type: ignore[arg-type]

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str) or key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default


@dataclass
class Region(_Keys):
    """A rectangle of the screen: ``left``, ``top``, ``width``, ``height``."""

    left: int
    top: int
    width: int
    height: int

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())


@dataclass(frozen=True)
class Monitor(_Keys):
    """One monitor, or (number 0) the whole screen.

    ``is_primary``, ``name`` (the monitor's own, from EDID), ``output`` (the connector:
    ``DP-1``, ``HEADLESS-1``) and ``unique_id`` are ``None`` where not known, as in
    python-mss; ``description`` and ``scale`` are mss-rs's (Wayland says both).
    """

    left: int
    top: int
    width: int
    height: int
    is_primary: bool | None = None
    name: str | None = None
    unique_id: str | None = None
    output: str | None = None
    description: str | None = None
    scale: float | None = None

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def as_region(self) -> Region:
        """The monitor's rectangle as a new ``Region``."""
        return Region(self.left, self.top, self.width, self.height)


@dataclass(frozen=True)
class Window(_Keys):
    """An application's top-level window (X11), as ``MSS.windows()`` lists it.

    ``left``, ``top``, ``width`` and ``height`` are its contents' place on the screen, which
    they may overhang; ``grab_window()`` captures them whole.
    """

    id: int
    title: str | None
    class_name: str | None
    instance: str | None
    pid: int | None
    left: int
    top: int
    width: int
    height: int
    viewable: bool
    minimized: bool

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def as_region(self) -> Region:
        """The window's rectangle on the screen as a new ``Region``."""
        return Region(self.left, self.top, self.width, self.height)


@dataclass(frozen=True)
class Recording:
    """What ``MSS.record()`` recorded.

    ``frames`` were written (all of them, whole); ``missed`` ticks gave no frame (the screen
    was unchanged with ``changes_only``, or the writers were busy); ``ended`` says why it
    stopped: ``"limit"`` (``frames`` or ``duration`` reached), ``"stopped"`` (``stop`` was
    set) or ``"reader closed"`` (the pipe's reader went away). ``size`` and ``pixel_format``
    are the frames' (``None`` when no frame came; ``"bgr0"`` is packed BGRx), and
    ``ffmpeg_input`` the arguments that read a raw recording
    (``-f rawvideo -pixel_format bgr0 -video_size 640x480 -framerate 30 -i out.raw``).
    """

    frames: int
    missed: int
    ended: str
    size: Size | None
    pixel_format: str | None
    ffmpeg_input: str | None
