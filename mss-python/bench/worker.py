"""One subject of the Python benchmarks: a process in the virtual environment of one package
(mss-rs's module, python-mss 10.2 or python-mss's main branch; all import as ``mss``, hence a
process and an environment each), timing what the driver (``driver.py``) asks, one call at a
time, so the driver can alternate subjects call by call.

    python worker.py DISPLAY

It answers each line on standard input with one JSON line on standard output:

- ``setup`` once: what it is (package, version, Python, NumPy, how it captures) and a digest
  of a full-screen grab, which must be the same for every subject (the same screen);
- ``check-scene`` (mss-rs only): whether a full-screen grab is the test kit's scene, pixel for
  pixel (``mss-python/tests/scene.py``);
- ``load-plasma PATH``: a photo-like frame of the screen's size (ImageMagick's
  ``plasma:fractal``, packed RGB, as ``mss-bench``'s PNG benchmarks encode) for ``to_png``;
- ``time SUBJECT``: one call of ``grab``, ``grab_asarray``, ``rust_grab`` (mss-rs only: the
  same grab from Rust, timed in Rust), ``to_png:scene`` (the screen's RGB) or
  ``to_png:plasma``, in nanoseconds (``to_png`` also gives the PNG's size);
- ``quit``.

Only this process's own clock is read; the driver's pipes are outside every timing.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy

import mss
import mss.tools


def capture_status(sct: Any) -> str:
    """How the package says it captures, in words."""
    status = getattr(sct, "status", None)
    if isinstance(status, dict):
        return str(status.get("text"))
    # python-mss: the MIT-SHM state of its xshmgetimage backend, wherever its version keeps it.
    for holder in (sct, getattr(sct, "_impl", None)):
        shm = getattr(holder, "shm_status", None)
        if shm is not None:
            return f"{type(holder).__name__}, MIT-SHM {getattr(shm, 'name', shm)}"
    return type(sct).__name__


class Worker:
    def __init__(self, display: str) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.sct = mss.MSS(display=display)
        # The whole screen, as a plain dict every version takes.
        monitor = self.sct.monitors[0]
        screen = {key: monitor[key] for key in ("left", "top", "width", "height")}
        self.region = screen
        self.size = (screen["width"], screen["height"])
        # The frames to_png encodes: the screen's, the same pixels on every subject (the digest
        # says so), and a photo-like one loaded later.
        self.frames = {"scene": bytes(self.sct.grab(self.region).rgb)}

    def setup(self) -> dict[str, Any]:
        shot = self.sct.grab(self.region)
        bgr = numpy.ascontiguousarray(numpy.asarray(shot)[:, :, :3])
        return {
            "package": mss.__name__,
            "version": getattr(mss, "__version__", "unknown"),
            "file": str(Path(mss.__file__).parent),
            "python": sys.version.split()[0],
            "numpy": numpy.__version__,
            "status": capture_status(self.sct),
            "size": self.size,
            "digest": hashlib.sha256(bgr.tobytes()).hexdigest(),
            "rgb_digest": hashlib.sha256(self.frames["scene"]).hexdigest(),
        }

    def check_scene(self) -> dict[str, Any]:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from scene import assert_shows_scene

        try:
            assert_shows_scene(self.sct.grab(self.region))
        except AssertionError as error:
            return {"scene": False, "why": str(error)}
        return {"scene": True}

    def load_plasma(self, path: str) -> dict[str, Any]:
        rgb = Path(path).read_bytes()
        if len(rgb) != self.size[0] * self.size[1] * 3:
            raise ValueError(f"{path} is not {self.size[0]}x{self.size[1]} RGB")
        self.frames["plasma"] = rgb
        return {"digest": hashlib.sha256(rgb).hexdigest()}

    def time(self, subject: str) -> dict[str, Any]:
        grab = self.sct.grab
        region = self.region
        clock = time.perf_counter_ns
        if subject == "grab":
            start = clock()
            shot = grab(region)
            del shot
            return {"ns": clock() - start}
        if subject == "grab_asarray":
            start = clock()
            shot = grab(region)
            array = numpy.asarray(shot)
            del array, shot
            return {"ns": clock() - start}
        if subject == "rust_grab":
            return {"ns": int(self.sct._capturer._time_grab(region))}
        if subject.startswith("to_png:"):
            rgb = self.frames[subject.partition(":")[2]]
            start = clock()
            png = mss.tools.to_png(rgb, self.size, level=6)
            elapsed = clock() - start
            return {"ns": elapsed, "bytes": len(png)}
        raise ValueError(f"unknown subject {subject!r}")


def main() -> None:
    worker = Worker(sys.argv[1])
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "quit":
            break
        try:
            if command == "setup":
                answer = worker.setup()
            elif command == "check-scene":
                answer = worker.check_scene()
            elif command == "load-plasma":
                answer = worker.load_plasma(argument)
            elif command == "time":
                answer = worker.time(argument)
            else:
                answer = {"error": f"unknown command {command!r}"}
        except Exception as error:  # noqa: BLE001 - every failure goes back to the driver
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    worker.sct.close()


if __name__ == "__main__":
    main()
