"""``ScreenShot``: a captured frame (defined in Rust, ``mss._mss``).

A ``ScreenShot`` is the frame itself: the shared-memory slot the display server wrote into
(or its reply buffer), exported through the buffer protocol. ``memoryview(shot)``,
``numpy.asarray(shot)`` and ``shot.bgra`` read it without a copy, read-only; the slot goes
back to the capturer's pool when the last of them is gone, on whichever thread.
"""

from mss._mss import PixelBuffer, ScreenShot

__all__ = ["PixelBuffer", "ScreenShot"]
