"""Seconds to execute each lesson in a fresh kernel, against the floor of a bare import.

Prints `name=value` lines: `floor=` is a notebook that only imports numpy, torch and
matplotlib (the cost no lesson can avoid); each lesson's line is its own time, and
`worst_ratio=` is the slowest lesson over the floor (goal: at most 3). The floor is the
best of 4 runs, each lesson the best of 3: on a shared 2-core machine a single run can
take 1-2 s longer than the next for no reason in the notebook, so one noisy run should
not decide a ratio; the floor gets more runs, so its noise errs towards larger ratios.
Times run from kernel start to the last cell's reply (the kernel is then killed, as
`make notebooks` does): what a learner waits for after "Restart Kernel and Run All".
The capstone (lesson 13) trains a dozen real networks and has its own goal instead,
30 s, which it states at its top; it is timed and printed like the others but left out
of worst_ratio.
Usage: .venv/bin/python benchmarks/notebooks.py [NOTEBOOK ...]
"""

import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from gdcourse.notebooks import execute

ROOT = Path(__file__).resolve().parent.parent
OWN_GOAL = {"13_capstone"}  # lessons with a goal in seconds, not a ratio to the floor
FLOOR_SOURCE = "%matplotlib inline\nimport numpy\nimport torch\nimport matplotlib.pyplot"


def timed(path: Path, runs: int = 3) -> float:
    """Execute a copy of the notebook (same folder, so relative paths work), best of `runs`."""
    with tempfile.NamedTemporaryFile(suffix=".ipynb", dir=path.parent, delete=False) as tmp:
        copy = Path(tmp.name)
    try:
        shutil.copyfile(path, copy)
        return min(execute(copy, write=False) for _ in range(runs))
    finally:
        copy.unlink()


def main(paths):
    paths = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as folder:
        floor_path = Path(folder) / "floor.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
        nbformat.write(nb, floor_path)
        floor = timed(floor_path, runs=4)  # the floor's noise moves every ratio: more runs
    print(f"floor={floor:.2f}", flush=True)
    worst = 0.0
    for path in paths:
        seconds = timed(path)
        if path.stem not in OWN_GOAL:
            worst = max(worst, seconds / floor)
        print(f"{path.stem}={seconds:.2f}", flush=True)
    print(f"worst_ratio={worst:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
