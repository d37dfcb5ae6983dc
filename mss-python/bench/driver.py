"""The Python benchmarks of ``cargo xtask bench``: mss-rs's module against the same grab from
Rust and against python-mss (10.2 from PyPI, and its main branch), on each Python.

    python3 driver.py PLAN.json

xtask prepares the virtual environments (one per package and interpreter: every package
imports as ``mss``) and writes the plan: the interpreters, the Python of each subject's
environment or why there is none, the test display helper, the screen sizes, how many calls,
and where to write the results. This script uses the standard library only.

For each size, one private Xvfb from the test kit's helper (``mss-test-display``) shows the
scene for every subject. Each subject is a worker process (``worker.py``) that times one call
at a time with its own clock. Before anything is timed, mss-rs's grab must be the scene pixel
for pixel and every subject's grab must have the same digest. A pair of subjects is then timed
alternately, call by call (A B B A A B ...), so both see the same machine, as ``mss-bench``
pairs grabs with their floors; the pair's ratio is the ratio of the medians over those calls,
which the stalls of a shared machine move less than the means (both are printed).

The results are written as measures (``[{"id", "value", "unit", "at_least", "at_most",
"detail"}]``), which xtask judges and prints with the others. A measure that could not be taken
(an interpreter or a package missing) has the value ``null`` and says why: nothing is skipped
silently.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: The subject every comparison is about.
OURS = "mss-rs"


class Worker:
    """A worker process of one subject on one display."""

    def __init__(self, name: str, python: str, display: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [python, str(HERE / "worker.py"), display],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            code = self.process.wait()
            raise RuntimeError(f"{self.name}: the worker ended (exit code {code}) at {line!r}; its error is above")
        parsed = json.loads(answer)
        if "error" in parsed:
            raise RuntimeError(f"{self.name}: {line!r}: {parsed['error']}")
        return parsed

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)


class Display:
    """The test kit's helper: a private Xvfb of ``size`` showing the scene."""

    def __init__(self, helper: str, size: str) -> None:
        self.process = subprocess.Popen([helper, "xvfb", size], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.name = None
        for line in self.process.stdout:
            key, _, value = line.strip().partition(" ")
            if key == "display":
                self.name = value
            if key == "ready":
                break
        if self.name is None:
            raise RuntimeError(f"mss-test-display xvfb {size} did not start (exit code {self.process.wait()})")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def alternate(first: Worker, first_subject: str, second: Worker, second_subject: str, calls: int, warm_up: int) -> tuple[list[int], list[int], tuple[int | None, int | None]]:
    """Times ``first_subject`` on ``first`` and ``second_subject`` on ``second`` alternately
    (A B B A A B ...), ``warm_up`` calls each untimed, then ``calls`` each; returns both sides'
    nanoseconds and, for ``to_png``, the size of each side's PNG."""
    times: tuple[list[int], list[int]] = ([], [])
    sizes: list[int | None] = [None, None]
    sides = ((first, first_subject), (second, second_subject))
    for index in range(warm_up + calls):
        order = (0, 1) if index % 2 == 0 else (1, 0)
        for side in order:
            worker, subject = sides[side]
            answer = worker.ask(f"time {subject}")
            if index >= warm_up:
                times[side].append(int(answer["ns"]))
                if "bytes" in answer:
                    sizes[side] = int(answer["bytes"])
    return times[0], times[1], (sizes[0], sizes[1])


def milliseconds(values: list[int], statistic: Any = statistics.median) -> float:
    return float(statistic(values)) / 1e6


def measure(id_: str, value: float | None, unit: str, at_most: float | None, detail: str) -> dict[str, Any]:
    line = "not available" if value is None else f"{value:.3f} {unit}"
    print(f"mss-bench python: {id_} = {line} ({detail})", file=sys.stderr, flush=True)
    return {"id": id_, "value": value, "unit": unit, "at_least": None, "at_most": at_most, "detail": detail}


def ratio_measure(id_: str, subject: tuple[str, list[int]], reference: tuple[str, list[int]], at_most: float | None, note: str = "") -> dict[str, Any]:
    """The ratio of the medians of two sides timed alternately: a stall of the shared machine
    (another build) lands on one call of one side, and moves a median far less than a mean."""
    (subject_name, subject_times), (reference_name, reference_times) = subject, reference
    subject_ms, reference_ms = milliseconds(subject_times), milliseconds(reference_times)
    detail = (
        f"{subject_name} {subject_ms:.3f} ms / {reference_name} {reference_ms:.3f} ms, medians over "
        f"{len(subject_times)} alternating calls each (means {milliseconds(subject_times, statistics.fmean):.3f} / "
        f"{milliseconds(reference_times, statistics.fmean):.3f} ms){note}"
    )
    return measure(id_, subject_ms / reference_ms, "ratio", at_most, detail)


def describe(info: dict[str, Any]) -> str:
    return f"{info['version']} on Python {info['python']}, NumPy {info['numpy']}; {info['status']}"


def grab_rows(plan: dict[str, Any], label: str, size: str, workers: dict[str, Worker], infos: dict[str, dict[str, Any]], missing: dict[str, str]) -> list[dict[str, Any]]:
    """The grab measures of one interpreter on one display."""
    calls, warm_up = plan["calls"][size], plan["warm_up"]
    group = f"{label}_{size}"
    ours = workers[OURS]
    rows = []
    for subject, wording in (("grab_asarray", "grab()+numpy.asarray()"), ("grab", "grab()")):
        python, rust, _ = alternate(ours, subject, ours, "rust_grab", calls, warm_up)
        at_most = plan["target_over_rust"] if subject == "grab_asarray" else None
        rows.append(ratio_measure(f"{group}/{subject}_over_rust_grab", (f"{wording} from Python", python), ("the same grab from Rust", rust), at_most, f"; {describe(infos[OURS])}"))
    for other in plan["others"]:
        for subject, wording in (("grab", "grab()"), ("grab_asarray", "grab()+numpy.asarray()")):
            id_ = f"{group}/{subject}_over_{other.replace(' ', '_')}"
            if other in missing:
                rows.append(measure(id_, None, "ratio", None, f"not available: {missing[other]}"))
                continue
            ours_times, theirs, _ = alternate(ours, subject, workers[other], subject, calls, warm_up)
            rows.append(ratio_measure(id_, (f"mss-rs {wording}", ours_times), (f"{other} {wording}", theirs), None, f"; {other}: {describe(infos[other])}"))
    return rows


#: The frames ``to_png`` encodes: the screen (the test kit's scene) and a photo-like one.
PNG_FRAMES = (("scene", "the scene on the screen"), ("plasma", "ImageMagick's plasma:fractal, seed 1"))


def plasma(size: str, directory: Path) -> Path:
    """ImageMagick's ``plasma:fractal`` of ``size`` as packed RGB in a file (seeded, so every
    run and every subject encodes the same picture; ``mss-bench``'s PNG benchmarks use it)."""
    path = directory / f"plasma-{size}.rgb"
    rgb = subprocess.run(["convert", "-seed", "1", "-size", size, "plasma:fractal", "-depth", "8", "rgb:-"], capture_output=True, check=True).stdout
    path.write_bytes(rgb)
    return path


def png_rows(plan: dict[str, Any], label: str, size: str, workers: dict[str, Worker], missing: dict[str, str]) -> list[dict[str, Any]]:
    """The ``tools.to_png`` measures of one interpreter: time and size against each python-mss,
    on each frame."""
    calls, warm_up = plan["png_calls"], plan["png_warm_up"]
    group = f"{label}_to_png_{size}"
    rows = []
    for frame, wording in PNG_FRAMES:
        for other in plan["others"]:
            name = other.replace(" ", "_")
            time_id, bytes_id = f"{group}/{frame}_time_over_{name}", f"{group}/{frame}_bytes_over_{name}"
            if other in missing:
                why = f"not available: {missing[other]}"
                rows.append(measure(time_id, None, "ratio", plan["png_time_target"], why))
                rows.append(measure(bytes_id, None, "ratio", 1.0, why))
                continue
            ours_times, theirs, (ours_bytes, their_bytes) = alternate(workers[OURS], f"to_png:{frame}", workers[other], f"to_png:{frame}", calls, warm_up)
            assert ours_bytes is not None and their_bytes is not None
            rows.append(ratio_measure(time_id, ("mss-rs tools.to_png", ours_times), (f"{other} tools.to_png", theirs), plan["png_time_target"], f", level 6, {wording}"))
            rows.append(measure(bytes_id, ours_bytes / their_bytes, "ratio", 1.0, f"mss-rs {ours_bytes} bytes / {other} {their_bytes} bytes, level 6, {wording}"))
    return rows


def run_interpreter(plan: dict[str, Any], interpreter: dict[str, Any], size: str, display: str) -> list[dict[str, Any]]:
    label = interpreter["label"]
    subjects: dict[str, dict[str, str]] = interpreter["subjects"]
    missing = {name: subject["unavailable"] for name, subject in subjects.items() if "unavailable" in subject}
    if OURS in missing:
        raise RuntimeError(f"{label}: mss-rs's module is not available: {missing[OURS]}")
    workers: dict[str, Worker] = {}
    try:
        for name, subject in subjects.items():
            if name not in missing:
                workers[name] = Worker(name, subject["python"], display)
        infos = {name: worker.ask("setup") for name, worker in workers.items()}
        scene = workers[OURS].ask("check-scene")
        if not scene["scene"]:
            raise RuntimeError(f"{label} {size}: mss-rs's grab is not the scene: {scene['why']}")
        for name, info in infos.items():
            for key in ("digest", "rgb_digest"):
                if info[key] != infos[OURS][key]:
                    raise RuntimeError(f"{label} {size}: {name}'s grab differs from mss-rs's ({key}): not the same screen")
            print(f"mss-bench python: {label} {size}: {name} {describe(info)} ({info['file']})", file=sys.stderr, flush=True)
        rows = grab_rows(plan, label, size, workers, infos, missing)
        if size == plan["png_size"]:
            path = plasma(size, Path(plan["output"]).parent)
            digests = {worker.ask(f"load-plasma {path}")["digest"] for worker in workers.values()}
            assert len(digests) == 1, "every subject encodes the same plasma"
            rows += png_rows(plan, label, size, workers, missing)
        return rows
    finally:
        for worker in workers.values():
            worker.close()


def unavailable_rows(plan: dict[str, Any], interpreter: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of an interpreter that is not there, each saying why."""
    label, why = interpreter["label"], f"not available: {interpreter['unavailable']}"
    rows = []
    for size in plan["sizes"]:
        group = f"{label}_{size}"
        rows.append(measure(f"{group}/grab_asarray_over_rust_grab", None, "ratio", plan["target_over_rust"], why))
        rows.append(measure(f"{group}/grab_over_rust_grab", None, "ratio", None, why))
        for other in plan["others"]:
            for subject in ("grab", "grab_asarray"):
                rows.append(measure(f"{group}/{subject}_over_{other.replace(' ', '_')}", None, "ratio", None, why))
    for frame, _ in PNG_FRAMES:
        for other in plan["others"]:
            name = other.replace(" ", "_")
            group = f"{label}_to_png_{plan['png_size']}"
            rows.append(measure(f"{group}/{frame}_time_over_{name}", None, "ratio", plan["png_time_target"], why))
            rows.append(measure(f"{group}/{frame}_bytes_over_{name}", None, "ratio", 1.0, why))
    return rows


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    rows_by_interpreter: dict[str, list[dict[str, Any]]] = {interpreter["label"]: [] for interpreter in plan["interpreters"]}
    for size in plan["sizes"]:
        display = Display(plan["helper"], size)
        try:
            for interpreter in plan["interpreters"]:
                if "unavailable" not in interpreter:
                    rows_by_interpreter[interpreter["label"]] += run_interpreter(plan, interpreter, size, display.name)
        finally:
            display.close()
    rows = []
    for interpreter in plan["interpreters"]:
        if "unavailable" in interpreter:
            rows += unavailable_rows(plan, interpreter)
        else:
            rows += rows_by_interpreter[interpreter["label"]]
    Path(plan["output"]).write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
