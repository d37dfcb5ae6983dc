"""The ``mss`` console command: mss-rs's command line, installed with the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from scene import TestDisplay, assert_pixels, expected_rgb


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_console_script_takes_python_mss_flags(console_script: Path, xvfb: TestDisplay, tmp_path: Path) -> None:
    result = run([str(console_script), "--display", xvfb.display, "-m", "1", "-o", "shot-{mon}.png"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "shot-1.png")
    with Image.open(tmp_path / "shot-1.png") as image:
        assert_pixels(np.asarray(image.convert("RGB")), expected_rgb(0, 0, 640, 480))
    result = run([str(console_script), "--display", xvfb.display, "-c", "2,12,40,67"], tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "sct-2x12_40x67.png") as image:
        assert_pixels(np.asarray(image.convert("RGB")), expected_rgb(12, 2, 40, 67))


def test_errors_are_one_line_with_their_exit_codes(console_script: Path, xvfb: TestDisplay, tmp_path: Path) -> None:
    missing = run([str(console_script), "--display", xvfb.display, "-m", "5", "-q"], tmp_path)
    assert missing.returncode == 1
    assert missing.stderr.startswith("mss: error: monitor 5 does not exist")
    assert "Traceback" not in missing.stderr
    usage = run([str(console_script), "--no-such-flag"], tmp_path)
    assert usage.returncode == 2
    assert usage.stderr.startswith("mss: error:")


def test_help_subcommands_and_python_dash_m(console_script: Path, xvfb: TestDisplay, tmp_path: Path) -> None:
    help_text = run([str(console_script), "--help"], tmp_path)
    assert help_text.returncode == 0 and "python-mss" in help_text.stdout
    info = run([sys.executable, "-m", "mss", "info", "--display", xvfb.display], tmp_path)
    assert info.returncode == 0, info.stderr
    assert "x11-shm" in info.stdout
