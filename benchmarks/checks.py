"""Latency of the in-notebook checks, the start-up cost of importing them, and `progress`.

Prints `check_<task>_ms=` (median of 7 runs of the solution through the check, the
oracle included), `check_median_ms=` over all tasks (goal: under 100),
`import_checks_ms=`, what importing gdcourse.checks adds to a fresh interpreter that
has already imported numpy (as every exercise notebook has), and `progress_s=`, what
`gdcourse progress` takes over a folder of every exercise's solution (the whole course,
every cell run and every task checked; goal: a few seconds), `progress_blank_s=` over the
blank exercises.
Usage: .venv/bin/python benchmarks/checks.py [--progress-only]
"""

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from gdcourse import checks
from gdcourse.grading import selfcheck, tasks

ROOT = Path(__file__).resolve().parent.parent


def solutions(exercise):
    """The solution notebook's functions (its code cells run, check lines skipped)."""
    env = {}
    nb = nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = [x for x in cell.source.splitlines() if not x.startswith(("check(", "%"))]
            exec("\n".join(lines), env)
    return env


def progress_seconds(source: str) -> float:
    """`progress` over a copy of every notebook in `source` (solutions/ or exercises/),
    its sandbox's start included."""
    with tempfile.TemporaryDirectory() as folder:
        for exercise in tasks.exercises():
            shutil.copy2(ROOT / source / f"{exercise}.ipynb", folder)
        start = time.perf_counter()
        rows, _ = selfcheck.progress(folder)
        seconds = time.perf_counter() - start
    marks = {report.mark(v) for _, _, report in rows for v in report.verdicts}
    expected = {"✓"} if source == "solutions" else {selfcheck.NOT_TRIED}
    assert marks == expected, marks
    return seconds


def main():
    print(f"progress_s={progress_seconds('solutions'):.1f}", flush=True)
    print(f"progress_blank_s={progress_seconds('exercises'):.1f}", flush=True)
    if "--progress-only" in sys.argv:
        return
    medians = []
    for exercise in tasks.exercises():
        env = solutions(exercise)
        for task in tasks.for_exercise(exercise):
            times = []
            for _ in range(7):
                start = time.perf_counter()
                checks.evaluate(task.id, env[task.id])
                times.append(time.perf_counter() - start)
            medians.append(statistics.median(times))
            print(f"check_{task.id}_ms={1000 * medians[-1]:.1f}", flush=True)
    print(f"check_median_ms={1000 * statistics.median(medians):.1f}")
    code = "import time, numpy; t = time.perf_counter(); import gdcourse.checks; "
    code += "print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(5)]
    print(f"import_checks_ms={1000 * statistics.median(runs):.1f}")


if __name__ == "__main__":
    main()
