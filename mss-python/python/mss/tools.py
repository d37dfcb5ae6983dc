"""Helpers of python-mss: ``to_png``."""

from __future__ import annotations

import os
from typing import Any

from mss import _mss

__all__ = ["to_png"]


def to_png(data: Any, size: tuple[int, int], /, *, level: int = 6, output: str | os.PathLike[str] | None = None) -> bytes | None:
    """Encodes packed RGB ``data`` of ``size`` (``(width, height)``) as a PNG at compression
    ``level`` (0-9): returns the PNG's bytes when ``output`` is ``None``, else writes the file
    (atomically: an interrupted write leaves the old file) and returns ``None``.

    The encoding runs without the GIL.
    """
    width, height = size
    target = None if output is None else os.fspath(output)
    return _mss.to_png(data, (width, height), level=level, output=target)
