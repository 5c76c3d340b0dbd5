"""Numbers for the instructor guide: how long each lesson takes, and what it teaches.

`gdcourse timings` measures each lesson by its prose (spoken at a lecture pace), its
displayed formulas, its code cells and the seconds it takes to run in a fresh kernel,
and prints a Markdown table; `gdcourse objectives` prints each lesson's learning
objectives, read from its "After this lesson you will be able to" list. Both can
rewrite their block of docs/instructor.md (`--update`), between marker comments, as can
`gdcourse points`, the table of each exercise's tasks and points (the fixed maxima the
grader totals against). The
Markdown is read by `authoring.markdown` (words, formulas, list items), the same reader
that the slide marks use.

The lecture estimate is deliberately simple, and every constant is a parameter:
    reading = words / WPM + formulas × FORMULA_SECONDS
    lecture = reading + code cells × CODE_CELL_SECONDS + run seconds
WPM = 130: people speak about 150 words a minute in conversation; explaining
technical text to a room, with pauses for the board and for questions, is slower,
and 130 is near the lower end of presentation pace. FORMULA_SECONDS = 15: a
displayed formula is read aloud and its symbols pointed at. CODE_CELL_SECONDS = 45:
a code cell is shown, run and its output commented on.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..course import lesson_title
from .markdown import count_words, formulas, item_text

__all__ = [
    "CODE_CELL_SECONDS",
    "FORMULA_SECONDS",
    "WPM",
    "Timing",
    "main",
    "measure",
    "measure_notebook",
    "objectives",
    "objectives_main",
    "points_main",
    "points_markdown",
    "objectives_markdown",
    "replace_block",
    "table",
]

WPM = 130
FORMULA_SECONDS = 15
CODE_CELL_SECONDS = 45


@dataclass(frozen=True)
class Timing:
    number: str
    title: str
    words: int
    formulas: int
    code_cells: int
    run_seconds: float | None  # None: not run, or the run failed

    def reading_minutes(self, wpm: float = WPM, formula_seconds: float = FORMULA_SECONDS):
        return self.words / wpm + self.formulas * formula_seconds / 60

    def lecture_minutes(
        self,
        wpm: float = WPM,
        formula_seconds: float = FORMULA_SECONDS,
        code_cell_seconds: float = CODE_CELL_SECONDS,
    ) -> float:
        run = self.run_seconds or 0.0
        return (
            self.reading_minutes(wpm, formula_seconds)
            + (self.code_cells * code_cell_seconds + run) / 60
        )


def measure_notebook(nb, name: str) -> Timing:
    """Words, formulas and code cells of a notebook (outputs are never counted)."""
    prose = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    number = name.split("_", 1)[0] if name[:2].isdigit() else name
    return Timing(
        number, lesson_title(nb, name), count_words(prose), formulas(prose), len(code), None
    )


def measure(paths, *, run: bool = True, timeout: int = 300, on_error=None) -> list[Timing]:
    """A Timing per notebook; with run=True each runs in a fresh kernel (not saved)."""
    import dataclasses

    import nbformat

    from . import notebooks

    found = []
    for path in map(Path, paths):
        timing = measure_notebook(nbformat.read(path, as_version=4), path.stem)
        if run:
            try:
                seconds = notebooks.execute(path, timeout=timeout, write=False)
            except Exception as exc:  # a lesson that fails to run is reported, not fatal
                if on_error:
                    on_error(path, exc)
            else:
                timing = dataclasses.replace(timing, run_seconds=seconds)
        found.append(timing)
    return found


def table(
    timings: list[Timing],
    *,
    wpm: float = WPM,
    formula_seconds: float = FORMULA_SECONDS,
    code_cell_seconds: float = CODE_CELL_SECONDS,
) -> str:
    """A Markdown table of the timings, with a total row."""
    rows = [
        "| # | lesson | words | formulas | reading min | code cells | run s | lecture min |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals = [0, 0, 0.0, 0, 0.0, 0.0]
    for t in timings:
        reading = t.reading_minutes(wpm, formula_seconds)
        lecture = t.lecture_minutes(wpm, formula_seconds, code_cell_seconds)
        run = "—" if t.run_seconds is None else f"{t.run_seconds:.1f}"
        rows.append(
            f"| {t.number} | {t.title} | {t.words} | {t.formulas} | {reading:.0f} "
            f"| {t.code_cells} | {run} | {lecture:.0f} |"
        )
        for i, value in enumerate(
            (t.words, t.formulas, reading, t.code_cells, t.run_seconds or 0.0, lecture)
        ):
            totals[i] += value
    words, count, reading, cells, run, lecture = totals
    rows.append(
        f"| | **all lessons** | {words} | {count} | {reading:.0f} | {cells} | {run:.1f} "
        f"| {lecture:.0f} ({lecture / 60:.1f} h) |"
    )
    return "\n".join(rows)


_OBJECTIVES = re.compile(r"^\s*\*\*After this (?:lesson|notebook) you will be able to:?\*\*:?\s*$")


def objectives(nb) -> list[str]:
    """The items of the notebook's "After this lesson you will be able to" list."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        for start, line in enumerate(lines):
            if not _OBJECTIVES.match(line):
                continue
            items: list[str] = []
            for follow in lines[start + 1 :]:
                text = item_text(follow)
                if text is not None:
                    items.append(text.strip())
                elif follow.strip() and items and follow.startswith((" ", "\t")):
                    items[-1] += " " + follow.strip()
                elif follow.strip() or items:
                    break
            return [re.sub(r"[;,.]\s*(?:and)?$", "", " ".join(i.split())) for i in items]
    return []


def objectives_markdown(paths) -> str:
    """Each lesson's title and objectives, as Markdown for the instructor guide."""
    import nbformat

    parts = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        items = objectives(nb) or ["(this lesson states no objectives)"]
        parts.append(f"**{lesson_title(nb, path.stem)}** (`{path.name}`)\n")
        parts.append("\n".join(f"- {item}" for item in items) + "\n")
    return "\n".join(parts).rstrip() + "\n"


def replace_block(text: str, name: str, content: str) -> str:
    """`text` with the lines between `<!-- NAME:begin -->` and `<!-- NAME:end -->` replaced."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError(f"the file must hold one {begin} line and, after it, one {end} line")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{content.strip()}\n{end}{tail}"


def _update_block(path, name: str, content: str) -> int:
    """Rewrite the `name` block of the file at `path`; 2 when it cannot."""
    target = Path(path)
    try:
        text = replace_block(target.read_text(encoding="utf-8"), name, content)
    except (OSError, ValueError) as exc:
        print(f"--update {path}: {exc}", file=sys.stderr)
        return 2
    target.write_text(text, encoding="utf-8")
    print(f"updated the {name} block of {path}")
    return 0


def main(
    *,
    paths=(),
    run: bool = True,
    timeout: int = 300,
    wpm: float = WPM,
    formula_seconds: float = FORMULA_SECONDS,
    code_cell_seconds: float = CODE_CELL_SECONDS,
    update=None,
) -> int:
    """The `gdcourse timings` command: print (or, with `update`, write) the timings table."""
    from .lessons import lesson_paths

    def failed(path, exc):
        print(
            f"timings: {path} did not run ({type(exc).__name__}); run s left out", file=sys.stderr
        )

    try:
        paths = lesson_paths(paths)
        found = measure(paths, run=run, timeout=timeout, on_error=failed)
    except (OSError, ValueError) as exc:  # not a notebook, or not a readable one
        print(f"timings: {exc}", file=sys.stderr)
        return 2
    text = table(
        found, wpm=wpm, formula_seconds=formula_seconds, code_cell_seconds=code_cell_seconds
    )
    print(text)
    print(
        f"\nreading: words / {wpm:g} wpm + {formula_seconds:g} s per displayed "
        f"formula; lecture: reading + {code_cell_seconds:g} s per code cell + run time"
    )
    return _update_block(update, "timings", text) if update else 0


def objectives_main(*, paths=(), update=None) -> int:
    """The `gdcourse objectives` command: print (or write) each lesson's objectives."""
    from .lessons import lesson_paths

    return _print_or_update("objectives", lambda: objectives_markdown(lesson_paths(paths)), update)


def _print_or_update(name: str, make, update) -> int:
    """Print the Markdown block `make()` returns, or write it between the `name` markers of
    the file `update`; 2 with the reason when the lessons cannot give it (ValueError)."""
    try:
        text = make()
    except ValueError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    if update:
        return _update_block(update, name, text)
    print(text, end="")
    return 0


def points_markdown() -> str:
    """Each exercise's tasks and points, as a Markdown table for the instructor guide: the
    fixed maxima that `gdcourse grade` totals against."""
    from ..grading import tasks

    lines = ["| exercise | tasks (points) | points |", "|---|---|---:|"]
    total = 0
    for exercise in tasks.exercises():
        found = tasks.for_exercise(exercise)
        points = sum(t.points for t in found)
        total += points
        listed = ", ".join(f"`{t.id}` ({t.points})" for t in found)
        lines.append(f"| {exercise} | {listed} | {points} |")
    lines.append(f"| **all exercises** | | {total} |")
    return "\n".join(lines) + "\n"


def points_main(*, update=None) -> int:
    """The `gdcourse points` command: print (or write) the points table."""
    return _print_or_update("points", points_markdown, update)


# A 10-week term: the lessons (and the exercises with the same numbers) taught each week.
# The short early lessons share a week (00–02, then 03–04, then 06–07); 05 and every
# lesson from momentum on, about an hour each, have a week of their own.
WEEKS = (
    ("00", "01", "02"),
    ("03", "04"),
    ("05",),
    ("06", "07"),
    ("08",),
    ("09",),
    ("10",),
    ("11",),
    ("12",),
    ("13",),
)
MINUTES_PER_POINT = 10.0  # an assumption about students' time, not a measurement


def plan_markdown(paths, *, minutes_per_point: float = MINUTES_PER_POINT) -> str:
    """The term plan: each week's lessons with their lecture minutes (reading and code
    cells, as in the timings table, without run time), its exercises with their points
    and the estimated student time (points × `minutes_per_point`)."""
    from ..grading import tasks

    timings = {t.number: t for t in measure(paths, run=False)}
    exercises = {e.split("_")[0]: e for e in tasks.exercises()}
    lines = [
        "| week | lessons | lecture min | exercises (points) | points | student min (est.) |",
        "|---:|---|---:|---|---:|---:|",
    ]
    totals = [0.0, 0, 0.0]
    for week, numbers in enumerate(WEEKS, start=1):
        lecture = sum(timings[n].lecture_minutes() for n in numbers if n in timings)
        given = [exercises[n] for n in numbers if n in exercises]
        points = {e: sum(t.points for t in tasks.for_exercise(e)) for e in given}
        student = sum(points.values()) * minutes_per_point
        listed = ", ".join(f"{e} ({p})" for e, p in points.items()) or "—"
        lines.append(
            f"| {week} | {', '.join(numbers)} | {lecture:.0f} | {listed} "
            f"| {sum(points.values())} | {student:.0f} |"
        )
        for i, value in enumerate((lecture, sum(points.values()), student)):
            totals[i] += value
    lecture, points, student = totals
    lines.append(
        f"| | **term** | {lecture:.0f} ({lecture / 60:.1f} h) | | {points} "
        f"| {student:.0f} ({student / 60:.1f} h) |"
    )
    missing = sorted(set(timings) - {n for week in WEEKS for n in week})
    if missing:
        raise ValueError(f"lessons {', '.join(missing)} are in no week of timings.WEEKS")
    return "\n".join(lines) + "\n"


def plan_main(*, paths=(), minutes_per_point: float = MINUTES_PER_POINT, update=None) -> int:
    """The `gdcourse plan` command: print (or write) the 10-week plan."""
    from .lessons import lesson_paths

    def make():
        return plan_markdown(lesson_paths(paths), minutes_per_point=minutes_per_point)

    return _print_or_update("plan", make, update)
