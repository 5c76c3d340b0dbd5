"""Exercise notebooks are generated from the solutions, the single source.

In a solution notebook, code between `# BEGIN SOLUTION` and `# END SOLUTION` is the
learner's part: the exercise gets a `# YOUR CODE HERE` stub that raises
NotImplementedError instead. Markdown cells tagged `solution` are dropped. Each
notebook carries its exercise id in metadata (`gdcourse.exercise`), so a renamed
submission is still recognised.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["BEGIN", "END", "STUB", "strip_solution", "exercise_id", "to_exercise", "build", "main"]

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
_MARKER = re.compile(r"^(\s*)# (BEGIN|END) SOLUTION\s*$")


def strip_solution(source: str) -> str:
    """Replace every marked solution region with an indented stub."""
    out, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        match = _MARKER.match(line)
        if match and match.group(2) == "BEGIN":
            if inside:
                raise ValueError(f"line {number}: {BEGIN} inside another solution region")
            inside = True
            out.extend(match.group(1) + s for s in STUB)
        elif match:
            if not inside:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} without {END}")
    return "\n".join(out)


def exercise_id(nb) -> str | None:
    """The exercise id stored in a notebook's metadata, if any."""
    return nb.metadata.get("gdcourse", {}).get("exercise")


IMPORT_CHECK = "from gdcourse.checks import "


def with_version(source: str, exercise: str, version: str) -> str:
    """The cell that imports `check` (`from gdcourse.checks import check, hint`), now also
    importing `handed_out` and saying which version of the exercise's tasks the notebook
    was made for (`checks.handed_out`: silent when they match)."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        names = line.removeprefix(IMPORT_CHECK).split(", ")
        if line.startswith(IMPORT_CHECK) and "check" in names:
            lines[i] = IMPORT_CHECK + ", ".join(sorted({*names, "handed_out"}))
            call = f"handed_out({exercise!r}, {version!r})  # the tasks this notebook was made for"
            return "\n".join(lines) + "\n\n" + call
    return source


def to_exercise(nb):
    """The exercise notebook (unexecuted) for a solution notebook.

    Its metadata and its `check` import record the fingerprint of the exercise's tasks
    (`gdcourse.tasks`), so an exercise and a course from different releases say so.
    """
    import nbformat

    from ..checks import installed_version

    exercise = exercise_id(nb)
    if not exercise:
        raise ValueError("solution notebook has no metadata gdcourse.exercise")
    version = installed_version(exercise)
    if version is None:
        raise ValueError(f"solution notebook {exercise!r} has no tasks in gdcourse.grading.tasks")
    cells = []
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            continue
        if cell.cell_type == "code":
            source = with_version(strip_solution(cell.source), exercise, version)
            new = nbformat.v4.new_code_cell(source)
            new.metadata = {k: v for k, v in cell.metadata.items() if k != "execution"}
        else:
            new = nbformat.v4.new_markdown_cell(cell.source)
            new.metadata = dict(cell.metadata)
        new.id = cell.id
        cells.append(new)
    metadata = dict(nb.metadata)
    metadata["gdcourse"] = {**nb.metadata.get("gdcourse", {}), "tasks": version}
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def _sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def build(solutions: Path, exercises: Path, *, check: bool = False) -> list[str]:
    """Write exercises/ from solutions/; with `check`, only report what is stale.

    Returns the names of notebooks that were (or, with `check`, would be) written.
    A notebook whose sources and metadata are unchanged keeps its stored outputs.
    """
    import nbformat

    solutions, exercises = Path(solutions), Path(exercises)
    if not solutions.is_dir():
        raise ValueError(
            f"solutions must be a directory, got {str(solutions)!r}: the exercises are built "
            "from the solutions, which only a checkout of the course has (an installed "
            "package and a hand-out carry none)"
        )
    changed = []
    expected_names = set()
    for path in sorted(solutions.glob("*.ipynb")):
        expected_names.add(path.name)
        exercise = to_exercise(nbformat.read(path, as_version=4))
        target = exercises / path.name
        if target.exists():
            current = nbformat.read(target, as_version=4)
            if _sources(current) == _sources(exercise) and current.metadata.get(
                "gdcourse"
            ) == exercise.metadata.get("gdcourse"):
                continue
        changed.append(path.name)
        if not check:
            exercises.mkdir(parents=True, exist_ok=True)
            nbformat.write(exercise, target)
    extra = sorted(p.name for p in exercises.glob("*.ipynb") if p.name not in expected_names)
    changed.extend(f"{name} (no solution notebook)" for name in extra)
    return changed


def main(*, solutions="solutions", exercises="exercises", check: bool = False) -> int:
    """The `gdcourse build-exercises` command; with `check`, 1 when exercises/ is stale."""
    try:
        changed = build(solutions, exercises, check=check)
    except ValueError as exc:
        print(f"build-exercises: {exc}", file=sys.stderr)
        return 2
    if check:
        for name in changed:
            print(f"stale: exercises/{name}", file=sys.stderr)
        if changed:
            print("run `gdcourse build-exercises` (then `make notebooks`)", file=sys.stderr)
        return 1 if changed else 0
    for name in changed:
        print(f"wrote {exercises}/{name}")
    return 0
