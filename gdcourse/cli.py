"""The `gdcourse` command line: argument parsing only.

Each command calls a keyword-only `main(...)` of the module that owns it, imported only
when that command runs (so `gdcourse lessons` does not import torch):

  execute, lessons, build-exercises, release, slides, mark-slides, timings, objectives,
  points, plan
      -> gdcourse.authoring (maintainers)
  grade, lms, similarity, dropbox, gradescope, classroom
      -> gdcourse.grading (instructors)
  validate, progress
      -> gdcourse.grading.selfcheck (learners: the student hand-out has them too)
  start
      -> gdcourse.course (learners: the course into a folder of theirs, then JupyterLab)
"""

from __future__ import annotations

import argparse
import importlib
import sys

__all__ = ["COMMANDS", "main", "parser"]

# command -> (module below gdcourse, its function); the parsed arguments are its keywords
COMMANDS = {
    "execute": ("authoring.notebooks", "main"),
    "lessons": ("authoring.lessons", "main"),
    "build-exercises": ("authoring.exercises", "main"),
    "release": ("authoring.release", "main"),
    "slides": ("authoring.slides.deck", "export_main"),
    "mark-slides": ("authoring.slides.marks", "marks_main"),
    "timings": ("authoring.timings", "main"),
    "objectives": ("authoring.timings", "objectives_main"),
    "points": ("authoring.timings", "points_main"),
    "plan": ("authoring.timings", "plan_main"),
    "grade": ("grading.pipeline", "main"),
    "lms": ("grading.lms", "main"),
    "similarity": ("grading.similarity", "main"),
    "dropbox": ("grading.dropbox", "main"),
    "gradescope": ("grading.hosted", "gradescope_main"),
    "classroom": ("grading.hosted", "classroom_main"),
    "validate": ("grading.selfcheck", "validate_main"),
    "progress": ("grading.selfcheck", "progress_main"),
    "start": ("course", "start_main"),
}


def _positive(text: str) -> float:
    """An argparse type: a finite number > 0 (a rate of 0 words a minute divides by 0)."""
    from .validate import positive

    try:
        return positive("the value", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    top = argparse.ArgumentParser(prog="gdcourse", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    later = argparse.SUPPRESS  # an option left out is not passed on: the command's default

    run = commands.add_parser("execute", help="re-execute notebooks in place in a fresh kernel")
    run.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    run.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")

    commands.add_parser("lessons", help="list the lessons in order")

    build = commands.add_parser(
        "build-exercises", help="write exercises/ from solutions/ (the single source)"
    )
    build.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale")
    build.add_argument("--solutions", default="solutions", help="folder of solution notebooks")
    build.add_argument("--exercises", default="exercises", help="folder to write")

    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders")
    grade.add_argument("--out", required=True, metavar="DIR", help="where results go")
    grade.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="submissions graded at once (on Dask: each worker's threads instead)",
    )
    grade.add_argument("--timeout", type=float, default=30.0, help="seconds per submission")
    grade.add_argument("--force", action="store_true", help="regrade everything")
    on_dask = grade.add_mutually_exclusive_group()
    on_dask.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=later,
        help="run the submissions on this Dask scheduler's workers, e.g. tcp://host:8786 "
        "(needs the dask extra; docs/scale.md)",
    )
    on_dask.add_argument(
        "--dask",
        type=int,
        metavar="N",
        default=later,
        help="run them on a local Dask cluster of N worker processes (needs the dask extra)",
    )
    grade.add_argument(
        "--exercise",
        metavar="ID",
        help="grade one assignment (e.g. 08_momentum): notebooks of other exercises are "
        "reported and left out, and a notebook that names no exercise is graded as this one",
    )
    grade.add_argument(
        "--deadline",
        metavar="ISO-TIME",
        help="flag work submitted (file modification time) after it in grades.csv's late "
        "column, e.g. 2026-12-11T17:00+01:00 (no zone: this machine's local time)",
    )
    grade.add_argument(
        "--late-penalty",
        metavar="FRACTION",
        help="points taken off late work: 0.25 (once) or 0.1/day (each day or part of one); "
        "default: none",
    )
    grade.add_argument(
        "--choose",
        choices=("latest", "best"),
        help="which of a student's submissions of an exercise counts (default: latest)",
    )
    grade.add_argument(
        "--secret",
        metavar="FILE",
        help="the secret hidden probes are drawn from (default: one in your configuration "
        "folder, created on first use; never inside the course folder)",
    )

    scope = commands.add_parser(
        "gradescope", help="write a Gradescope autograder zip for exercises"
    )
    scope.add_argument("exercises", nargs="+", metavar="EXERCISE", help="e.g. 08 or 08_momentum")
    scope.add_argument("--out", required=True, metavar="ZIP", help="the zip to write")
    scope.add_argument(
        "--visibility",
        choices=("visible", "hidden", "after_due_date", "after_published"),
        default=later,
        help="when students see the results (default: visible)",
    )
    scope.add_argument(
        "--timeout", type=float, default=later, help="seconds per submission (default 30)"
    )

    room = commands.add_parser(
        "classroom", help="grade one student's notebooks; print GitHub Classroom's result JSON"
    )
    room.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    room.add_argument("--student", default=later, help="the student's id (hidden probes)")
    room.add_argument("--exercise", default=later, metavar="ID", help="as for grade")
    room.add_argument("--secret", default=later, metavar="FILE", help="as for grade")
    room.add_argument(
        "--timeout", type=float, default=later, help="seconds per notebook (default 30)"
    )

    alike = commands.add_parser(
        "similarity", help="list pairs of submissions whose code is unusually alike"
    )
    alike.add_argument(
        "paths", nargs="+", metavar="PATH", help="notebooks, folders, or a `grade --out` folder"
    )
    alike.add_argument("--out", metavar="FILE", help="also write the pairs to this CSV file")
    alike.add_argument(
        "--threshold", type=float, default=later, help="lowest score reported (0 to 1)"
    )
    alike.add_argument(
        "--min-shared",
        type=int,
        default=later,
        help="fewest shared fingerprints reported",
    )
    alike.add_argument(
        "--common",
        type=float,
        default=later,
        help="ignore code found in more than this fraction of submissions",
    )

    drop = commands.add_parser(
        "dropbox",
        help="collect submissions: hub drop folders (open, close, return) or a Canvas download",
    )
    drop.add_argument("action", choices=("open", "close", "return", "unpack"))
    drop.add_argument(
        "folder",
        metavar="DIR",
        help="the drop folder (open, close), a `grade --out` (return), the download (unpack)",
    )
    drop.add_argument("--students", default=later, help="logins, comma-separated")
    drop.add_argument("--roster", default=later, help="a roster CSV (Canvas: SIS Login ID)")
    drop.add_argument("--out", default=later, help="close, unpack: where submissions go")

    hand_out = commands.add_parser("release", help="write the student hand-out to a folder")
    hand_out.add_argument("target", metavar="DIR", help="a new folder outside the course")
    hand_out.add_argument(
        "--exercises",
        default=later,
        metavar="LIST",
        help="the exercises to hand out, e.g. 01,02 (default: all); run in the course folder",
    )

    deck = commands.add_parser("slides", help="write an offline reveal.js deck per notebook")
    deck.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    deck.add_argument("--out", required=True, metavar="DIR", help="folder for the decks")

    mark = commands.add_parser(
        "mark-slides", help="set slide types in notebooks by rule (metadata only, never outputs)"
    )
    mark.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    mark.add_argument("--check", action="store_true", help="exit 1 if any marks are stale")
    mark.add_argument(
        "--split-headings",
        action="store_true",
        help="also cut Markdown cells at #, ## and ### headings (Markdown only, never code)",
    )

    times = commands.add_parser("timings", help="time each lesson: reading, code, run")
    times.add_argument("paths", nargs="*", metavar="NOTEBOOK", help="default: every lesson")
    times.add_argument(
        "--no-run", dest="run", action="store_false", help="do not execute the notebooks"
    )
    times.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    times.add_argument("--wpm", type=_positive, default=later, help="lecture words per minute")
    times.add_argument(
        "--formula-seconds",
        type=_positive,
        default=later,
        help="per displayed formula",
    )
    times.add_argument(
        "--code-cell-seconds",
        type=_positive,
        default=later,
        help="per code cell",
    )
    times.add_argument("--update", metavar="FILE", help="rewrite the timings block of FILE")

    term_plan = commands.add_parser(
        "plan", help="print the 10-week plan: lessons, lecture minutes, exercises, points"
    )
    term_plan.add_argument("paths", nargs="*", metavar="NOTEBOOK")
    term_plan.add_argument(
        "--minutes-per-point",
        type=_positive,
        default=later,
        help="students' estimated minutes per exercise point (default 10)",
    )
    term_plan.add_argument("--update", metavar="FILE", help="rewrite the plan block of FILE")

    aims = commands.add_parser("objectives", help="print each lesson's learning objectives")
    aims.add_argument("paths", nargs="*", metavar="NOTEBOOK", help="default: every lesson")
    aims.add_argument("--update", metavar="FILE", help="rewrite the objectives block of FILE")

    table = commands.add_parser("points", help="print each exercise's tasks and points")
    table.add_argument("--update", metavar="FILE", help="rewrite the points block of FILE")

    gradebook = commands.add_parser(
        "lms", help="turn totals.csv or grades.csv into a gradebook file an LMS imports"
    )
    gradebook.add_argument(
        "results", metavar="CSV", help="totals.csv, or grades.csv for a column per exercise"
    )
    gradebook.add_argument("--lms", required=True, help="canvas, moodle or blackboard")
    gradebook.add_argument("--out", required=True, metavar="FILE")
    gradebook.add_argument("--assignment", default="gdcourse exercises", help="column name")
    gradebook.add_argument("--roster", metavar="CSV", help="the LMS's own gradebook export")
    gradebook.add_argument("--match", metavar="COLUMN", help="column holding gdcourse's student id")
    gradebook.add_argument("--percent", action="store_true", help="write 0-100, not points")
    check = commands.add_parser(
        "validate",
        help="check saved exercise notebooks as the grader will see them (public checks)",
    )
    check.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    check.add_argument("--timeout", type=_positive, default=later, help="seconds per notebook")
    stand = commands.add_parser(
        "progress", help="each exercise and task: ✓, ✗ or not tried, from the saved notebooks"
    )
    stand.add_argument("folder", nargs="?", default=later, metavar="FOLDER")
    stand.add_argument("--timeout", type=_positive, default=later, help="seconds per notebook")
    from .course import START

    begin = commands.add_parser(
        "start",
        help="copy the lessons and exercises into a folder of yours (new files only: your "
        "work is never overwritten), then open JupyterLab there",
    )
    begin.add_argument(
        "folder", nargs="?", default=later, metavar="DIR", help=f"default: ./{START}"
    )
    begin.add_argument(
        "--no-lab", dest="lab", action="store_false", help="copy only; do not start JupyterLab"
    )
    begin.add_argument(
        "--no-browser",
        dest="browser",
        action="store_false",
        help="start JupyterLab without opening a browser (it prints the address to open)",
    )
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    module, function = COMMANDS[args.command]
    try:
        owner = importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(f"{__package__}."):
            raise
        print(
            f"gdcourse {args.command}: not part of this copy of the course (the student "
            "hand-out has the learner API only); run it in the full course repository",
            file=sys.stderr,
        )
        return 2
    handler = getattr(owner, function)
    return handler(**{name: value for name, value in vars(args).items() if name != "command"})


if __name__ == "__main__":
    sys.exit(main())
