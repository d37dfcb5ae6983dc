"""The ``mss`` command: mss-rs's command line (``mss --help``), run in this process.

python-mss's flags (``-c``, ``-l``, ``-m``, ``-o``, ``-b``, ``-q``, ``--with-cursor``) mean
what they mean there; mss-rs adds its own and the ``info``, ``windows``, ``record`` and
``bench`` subcommands. Errors are one line, ``mss: error: ...``, with exit code 1 (capture)
or 2 (usage), never a traceback.
"""

from __future__ import annotations

import signal
import sys
import threading

from mss import _mss

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Runs the command line with ``argv`` (``sys.argv[1:]`` when ``None``); returns its exit
    code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if threading.current_thread() is threading.main_thread():
        # The command line handles Ctrl-C, SIGTERM and SIGHUP itself (`mss record` stops
        # cleanly on the first); Python's own handlers would raise once it returns.
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(_mss.cli_main(["mss", *arguments]))


if __name__ == "__main__":
    sys.exit(main())
