"""Seconds to execute each lesson in a fresh kernel, against the floor of a bare import.

Prints `name=value` lines: `floor=` is a notebook that only imports numpy, torch and
matplotlib (the cost no lesson can avoid); each lesson's line is its own time, and
`worst_ratio=` is the slowest lesson over the floor (goal: at most 3), named by
`worst_lesson=`. The speed of this shared 2-core machine drifts by 20-30 % over
minutes, so the floor is not measured once at the start: each lesson is run 3 times
alternating with 3 runs of the floor, and its ratio is its best run over the best
floor run beside it. `floor=` is the best floor run of all.
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

from gdcourse.authoring.notebooks import execute

ROOT = Path(__file__).resolve().parent.parent
OWN_GOAL = {"13_capstone"}  # lessons with a goal in seconds, not a ratio to the floor
FLOOR_SOURCE = "%matplotlib inline\nimport numpy\nimport torch\nimport matplotlib.pyplot"


def copy_of(path: Path) -> Path:
    """A copy of the notebook in its own folder, so relative paths work; the caller deletes it."""
    with tempfile.NamedTemporaryFile(suffix=".ipynb", dir=path.parent, delete=False) as tmp:
        copy = Path(tmp.name)
    shutil.copyfile(path, copy)
    return copy


def paired(lesson: Path, floor: Path, runs: int = 3) -> tuple[float, float]:
    """(best lesson time, best floor time), the two run alternately `runs` times each."""
    copy = copy_of(lesson)
    try:
        times = [(execute(floor, write=False), execute(copy, write=False)) for _ in range(runs)]
    finally:
        copy.unlink()
    floors, lessons = zip(*times, strict=True)
    return min(lessons), min(floors)


def main(paths):
    paths = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        floor_path = Path(folder) / "floor.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
        nbformat.write(nb, floor_path)
        for path in paths:
            results[path.stem] = paired(path, floor_path)
    print(f"floor={min(floor for _, floor in results.values()):.2f}")
    for name, (seconds, _) in results.items():
        print(f"{name}={seconds:.2f}")
    ratios = {name: s / f for name, (s, f) in results.items() if name not in OWN_GOAL}
    if ratios:
        worst = max(ratios, key=ratios.get)
        print(f"worst_ratio={ratios[worst]:.2f}")
        print(f"worst_lesson={worst}")


if __name__ == "__main__":
    main(sys.argv[1:])
