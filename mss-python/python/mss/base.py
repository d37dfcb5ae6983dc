"""``MSS``: python-mss's screenshot object, on mss-rs's capturer (``mss._mss.Capturer``).

The capturer does the work without the GIL; this class gives it python-mss's shape: the
keyword-only constructor, ``monitors`` numbered from 0 (the whole screen), ``grab()`` of any
region, the lazy ``save()`` generator with its file name templates and callback, ``shot()``,
``cls_image``, the context manager. mss-rs's own additions keep the same style:
``windows()``, ``grab_window()``, ``stream()`` and ``record()``.
"""

from __future__ import annotations

import os
import warnings
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from mss import _mss
from mss.exception import ClosedError, MonitorNotFoundError, ScreenShotError, TemplateError
from mss.models import Monitor, Recording, Region, Size, Window
from mss.screenshot import ScreenShot

__all__ = ["MSS"]

# Options python-mss takes on other platforms only: accepted with its warning, then dropped.
_OTHER_PLATFORMS = {"max_displays": "macOS"}


class MSS:
    """Screenshots of a display, python-mss's way.

    ``MSS(backend="default", compression_level=6, with_cursor=False, display=None)``, all
    keyword-only. ``backend`` is python-mss's name (``default``, ``xshmgetimage``,
    ``xgetimage``) or mss-rs's (``x11-shm``, ``x11-getimage``, ``wayland``, ``pipewire``);
    ``default`` picks the session's best, and on a Wayland session that is the Wayland desktop
    (wlr-screencopy, or GNOME's screen cast).
    ``display`` is an X11 display (``:1``) or a Wayland socket (``wayland-1``), the session's
    when ``None``. mss-rs adds ``allow_xwayland`` (capture XWayland's root anyway) and
    ``timeout`` (seconds each wait on the display may take; ``None`` for no limit).

    One object may be used from several threads; grabs take turns, without the GIL.
    """

    #: The class of what ``grab()`` returns, called as ``cls_image(data, region)``.
    cls_image: type = ScreenShot

    def __init__(
        self,
        *,
        backend: str = "default",
        compression_level: int = 6,
        with_cursor: bool = False,
        display: str | bytes | None = None,
        allow_xwayland: bool = False,
        timeout: float | None = 10.0,
        **platform_options: Any,
    ) -> None:
        for option in platform_options:
            if option not in _OTHER_PLATFORMS:
                raise TypeError(f"MSS() got an unexpected keyword argument {option!r}")
            warnings.warn(
                f"{option} is only available on {_OTHER_PLATFORMS[option]}. This will be an error in the future.",
                DeprecationWarning,
                stacklevel=2,
            )
        if isinstance(display, bytes):
            display = display.decode()
        #: The PNG compression level of ``save()`` and ``shot()`` (0-9).
        self.compression_level = compression_level
        self._with_cursor = bool(with_cursor)
        self._monitors: list[Monitor] | None = None
        self._capturer = _mss.Capturer(
            backend=backend,
            display=display or None,
            with_cursor=self._with_cursor,
            allow_xwayland=allow_xwayland,
            timeout=timeout,
        )

    # The context manager and closing.

    def __enter__(self) -> MSS:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection. Screenshots still held stay readable. Closing twice does
        nothing."""
        self._capturer.close()

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return bool(self._capturer.closed)

    # What the capturer is.

    @property
    def backend(self) -> str:
        """The mss-rs backend in use: ``x11-shm``, ``x11-getimage``, ``wayland`` or ``pipewire``."""
        return str(self._capturer.backend)

    @property
    def with_cursor(self) -> bool:
        """Whether grabs draw the mouse pointer."""
        return self._with_cursor

    @property
    def status(self) -> dict[str, Any]:
        """How the backend captures: ``backend``, ``method``, ``zero_copy``,
        ``fallback_reason``, ``connection``, ``caveats`` and ``text``."""
        return dict(self._capturer.status())

    @property
    def performance_status(self) -> list[str]:
        """python-mss's debugging strings: here, the status in words."""
        return [str(self.status["text"])]

    # Monitors.

    @property
    def monitors(self) -> list[Monitor]:
        """Index 0 is the whole screen, then each monitor.

        Unlike python-mss's, the list is read from the display at every access, so it follows
        monitors that are plugged, moved or changed; after ``close()`` the last list read is
        returned.
        """
        try:
            screen, monitors = self._capturer.monitors()
        except ClosedError:
            if self._monitors is None:
                raise
            return list(self._monitors)
        left, top, width, height = screen
        listed = [Monitor(left, top, width, height)]
        listed.extend(
            Monitor(
                monitor["left"],
                monitor["top"],
                monitor["width"],
                monitor["height"],
                is_primary=monitor["is_primary"],
                name=monitor["name"],
                output=monitor["output"],
                description=monitor["description"],
                scale=monitor["scale"],
            )
            for monitor in monitors
        )
        self._monitors = listed
        return list(listed)

    @property
    def primary_monitor(self) -> Monitor:
        """The primary monitor, else the first one."""
        monitors = self.monitors[1:]
        if not monitors:
            raise ScreenShotError("No monitor found.", kind="NoMonitor")
        return next((monitor for monitor in monitors if monitor.is_primary), monitors[0])

    # Grabs.

    def grab(self, monitor: Any) -> ScreenShot:
        """A screenshot of ``monitor``: a ``Monitor``, a ``Region``, a dict with ``left``,
        ``top``, ``width`` and ``height``, or a ``(left, top, right, bottom)`` tuple.

        A region off the screen raises ``RegionOutOfBoundsError``; nothing is clipped.
        """
        shot = self._capturer.grab(monitor)
        return self._wrap(shot)

    def _wrap(self, shot: ScreenShot) -> Any:
        if self.cls_image is ScreenShot:
            return shot
        region = Region(shot.left, shot.top, shot.width, shot.height)
        return self.cls_image(shot, region)

    def windows(self) -> list[Window]:
        """The applications' top-level windows (X11), bottom of the stacking order first."""
        return [Window(**window) for window in self._capturer.windows()]

    def grab_window(self, window: Window | int) -> Any:
        """A screenshot of a window's whole contents, covered parts and parts off the screen
        included (X11, Composite); ``window`` is a ``Window`` or its id."""
        window_id = window.id if isinstance(window, Window) else int(window)
        return self._wrap(self._capturer.grab_window(window_id))

    def stream(
        self,
        monitor: Any = None,
        *,
        window: Window | int | None = None,
        fps: float | None = None,
        changes_only: bool = False,
        in_flight: int = 2,
        use_damage: bool = True,
    ) -> _mss.Stream:
        """Screenshots one after another, of ``monitor`` (any region, as ``grab()`` takes;
        ``None``: the whole screen) or of ``window``: ``fps`` a second on a steady cadence
        (``None``: as fast as possible), with ``changes_only`` only when something changed.

        Each item is a ``ScreenShot`` that also has ``sequence``, ``missed`` and ``changes``
        (the ``Region``s that changed since the previous one; ``None`` when not known). The
        stream has a capturer of its own, so this object stays free for grabs; end it with
        ``close()`` or a ``with`` block.
        """
        window_id = window.id if isinstance(window, Window) else window
        return self._capturer.stream(
            monitor,
            window=window_id,
            fps=fps,
            changes_only=changes_only,
            in_flight=in_flight,
            use_damage=use_damage,
            with_cursor=self._with_cursor,
        )

    def record(
        self,
        output: str | os.PathLike[str],
        monitor: Any = None,
        *,
        window: Window | int | None = None,
        fps: float | None = 30,
        frames: int | None = None,
        duration: float | None = None,
        format: str = "png",
        level: int | None = None,
        changes_only: bool = False,
        in_flight: int = 2,
        use_damage: bool = True,
        overwrite: bool = False,
        stop: Any = None,
    ) -> Recording:
        """Records ``monitor`` (any region, as ``grab()`` takes; ``None``: the whole screen)
        or ``window`` to ``output``, ``fps`` frames a second (``None``: as fast as they come),
        until ``frames`` frames or ``duration`` seconds, until ``stop.is_set()`` (a
        ``threading.Event`` set from another thread), or until Ctrl-C.

        ``format="png"``: ``output`` is a file name template with ``{n}``, the frame number
        (``"frame-{n:05}.png"``; the placeholders of ``save()`` too), each PNG written
        atomically at ``level`` (``compression_level`` by default); without ``{n}`` it must be
        ``-``, a FIFO or a device, which get the PNGs one after another.
        ``format="raw"``: the frames' own bytes (packed BGRx), one after another, into a file
        (written as ``NAME.part`` and named ``NAME`` at the end), ``-``, a FIFO or a device;
        the returned ``Recording.ffmpeg_input`` has the arguments ffmpeg reads them with.

        The recording runs without the GIL, on a capturer of its own (this object stays free
        for grabs), and stops cleanly: every frame captured is written whole, and a
        ``KeyboardInterrupt`` is raised only after that. Existing files are kept
        (``ExistingFileError``) unless ``overwrite``.
        """
        window_id = window.id if isinstance(window, Window) else window
        summary = self._capturer.record(
            os.fspath(output),
            monitor,
            window=window_id,
            format=format,
            fps=fps,
            frames=frames,
            duration=duration,
            level=self.compression_level if level is None else level,
            changes_only=changes_only,
            in_flight=in_flight,
            use_damage=use_damage,
            with_cursor=self._with_cursor,
            overwrite=overwrite,
            stop=stop,
        )
        size = summary["size"]
        return Recording(
            frames=summary["frames"],
            missed=summary["missed"],
            ended=summary["ended"],
            size=None if size is None else Size(*size),
            pixel_format=summary["pixel_format"],
            ffmpeg_input=summary["ffmpeg_input"],
        )

    # Files.

    def save(
        self,
        *,
        mon: int = 0,
        output: str = "monitor-{mon}.png",
        callback: Callable[[str], Any] | None = None,
    ) -> Iterator[str]:
        """Saves monitors as PNG files, one at a time as the generator is iterated, yielding
        each file name: ``mon=0`` every monitor, ``mon=-1`` the whole screen, ``mon=N``
        monitor N. ``output`` is a ``str.format`` template of ``{mon}``, ``{top}``,
        ``{left}``, ``{width}``, ``{height}``, ``{is_primary}``, ``{name}``, ``{unique_id}``,
        ``{output}`` and ``{date}`` (a UTC ``datetime``, so ``{date:%Y-%m-%d}`` works).
        ``callback(name)`` runs before each file is written.
        """
        monitors = self.monitors
        if len(monitors) < 2:
            raise ScreenShotError("No monitor found.", kind="NoMonitor")
        if mon == 0:
            chosen = list(enumerate(monitors[1:], 1))
        elif mon == -1:
            chosen = [(0, monitors[0])]
        elif 0 < mon < len(monitors):
            chosen = [(mon, monitors[mon])]
        else:
            raise MonitorNotFoundError(
                f"Monitor {mon} does not exist.",
                kind="MonitorNotFound",
                details={"number": mon, "count": len(monitors) - 1},
            )
        for number, monitor in chosen:
            name = _render(output, number, monitor)
            if callback is not None:
                callback(name)
            shot = self._capturer.grab(monitor)
            _mss.save_png(shot, os.fspath(name), self.compression_level)
            yield name

    def shot(self, **kwargs: Any) -> str:
        """Saves one file, monitor 1 unless ``mon`` says otherwise; returns its name."""
        kwargs.setdefault("mon", 1)
        return next(self.save(**kwargs))


def _render(template: str, number: int, monitor: Monitor) -> str:
    """``template`` formatted for monitor ``number``, as python-mss formats it."""
    values: dict[str, Any] = {
        "mon": number,
        "top": monitor.top,
        "left": monitor.left,
        "width": monitor.width,
        "height": monitor.height,
        "is_primary": monitor.is_primary,
        "name": monitor.name,
        "unique_id": monitor.unique_id,
        "output": monitor.output,
    }
    if "{date" in template:
        values["date"] = datetime.now(timezone.utc)
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise TemplateError(
            f"output template {template!r}: {error}",
            kind="Template",
            details={"template": template},
        ) from error
