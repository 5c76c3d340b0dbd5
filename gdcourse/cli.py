"""The `gdcourse` command line: course maintenance tasks behind the Makefile."""

from __future__ import annotations

import argparse
import os
import sys


def _execute(args) -> int:
    from nbclient.exceptions import CellExecutionError

    from . import notebooks

    failed = 0
    for path in args.paths:
        try:
            seconds = notebooks.execute(path, timeout=args.timeout)
        except CellExecutionError as exc:
            failed += 1
            first_lines = "\n".join(str(exc).strip().splitlines()[-6:])
            print(f"FAILED {path} (left unchanged):\n{first_lines}", file=sys.stderr)
        except ValueError as exc:
            failed += 1
            print(f"FAILED {path}: {exc}", file=sys.stderr)
        else:
            print(f"executed {path} in {seconds:.1f} s")
    return 1 if failed else 0


def _lessons(args) -> int:
    from . import course

    for number, title, name in course.lessons():
        print(f"{number}  {title}  ({name})")
    return 0


def _build_exercises(args) -> int:
    from . import exercises

    try:
        changed = exercises.build(args.solutions, args.exercises, check=args.check)
    except ValueError as exc:
        print(f"build-exercises: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for name in changed:
            print(f"stale: exercises/{name}", file=sys.stderr)
        if changed:
            print("run `gdcourse build-exercises` (then `make notebooks`)", file=sys.stderr)
        return 1 if changed else 0
    for name in changed:
        print(f"wrote {args.exercises}/{name}")
    return 0


def _release(args) -> int:
    from . import release

    try:
        copied = release.release(args.target)
    except ValueError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.target}: {', '.join(copied)} (no solutions, no tests)")
    return 0


def _lesson_paths(paths) -> list[str]:
    """The given notebooks, or every lesson in notebooks/ when none is given."""
    if paths:
        missing = [p for p in paths if not p.endswith(".ipynb") or not os.path.isfile(p)]
        if missing:
            raise ValueError(f"not a notebook file: {', '.join(missing)}")
        return list(paths)
    from . import course

    return [str(course.NOTEBOOKS / name) for _, _, name in course.lessons()]


def _slides(args) -> int:
    from . import slides

    failed = 0
    for path in args.paths:
        try:
            deck = slides.export(path, args.out)
        except (ValueError, OSError) as exc:
            failed += 1
            print(f"slides: {path}: {exc}", file=sys.stderr)
            continue
        report = slides.inspect_deck(deck)
        print(
            f"wrote {deck} ({report['slides']} slides, {report['subslides']} with "
            f"sub-slides, {report['fragments']} build-up steps)"
        )
        for url in report["remote"] + report["missing"]:
            failed += 1
            print(f"slides: {deck} would load {url} (remote or missing)", file=sys.stderr)
    return 1 if failed else 0


def _mark_slides(args) -> int:
    import nbformat

    from . import slides

    stale = 0
    for path in args.paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:
            print(f"mark-slides: {path}: {exc}", file=sys.stderr)
            return 2
        if args.split_headings:
            marked = slides.mark_slides(slides.split_cells(nb, budget=None))
        else:
            marked = slides.mark_slides(nb)
        if marked == nb:
            continue
        stale += 1
        if args.check:
            print(f"stale slide marks: {path}", file=sys.stderr)
            continue
        nbformat.write(marked, path)
        counts = {k: slides.slide_marks(marked).count(k) for k in ("slide", "subslide")}
        print(f"marked {path}: {counts['slide']} slides, {counts['subslide']} sub-slides")
    if args.check and stale:
        print(
            "run `gdcourse mark-slides` on them (it changes slide metadata only)", file=sys.stderr
        )
        return 1
    return 0


def _update_block(path, name, content) -> int:
    from pathlib import Path

    from . import timings

    target = Path(path)
    try:
        text = timings.replace_block(target.read_text(encoding="utf-8"), name, content)
    except (OSError, ValueError) as exc:
        print(f"--update {path}: {exc}", file=sys.stderr)
        return 2
    target.write_text(text, encoding="utf-8")
    print(f"updated the {name} block of {path}")
    return 0


def _timings(args) -> int:
    from . import timings

    def failed(path, exc):
        print(
            f"timings: {path} did not run ({type(exc).__name__}); run s left out", file=sys.stderr
        )

    try:
        paths = _lesson_paths(args.paths)
    except ValueError as exc:
        print(f"timings: {exc}", file=sys.stderr)
        return 2
    try:
        found = timings.measure(paths, run=not args.no_run, timeout=args.timeout, on_error=failed)
    except (OSError, ValueError) as exc:  # a file that is not a readable notebook
        print(f"timings: {exc}", file=sys.stderr)
        return 2
    text = timings.table(
        found,
        wpm=args.wpm,
        formula_seconds=args.formula_seconds,
        code_cell_seconds=args.code_cell_seconds,
    )
    print(text)
    print(
        f"\nreading: words / {args.wpm:g} wpm + {args.formula_seconds:g} s per displayed "
        f"formula; lecture: reading + {args.code_cell_seconds:g} s per code cell + run time"
    )
    return _update_block(args.update, "timings", text) if args.update else 0


def _objectives(args) -> int:
    from . import timings

    try:
        text = timings.objectives_markdown(_lesson_paths(args.paths))
    except ValueError as exc:
        print(f"objectives: {exc}", file=sys.stderr)
        return 2
    if args.update:
        return _update_block(args.update, "objectives", text)
    print(text, end="")
    return 0


def _positive(text: str) -> float:
    """An argparse type: a finite number > 0 (a rate of 0 words a minute divides by 0)."""
    from . import validate

    try:
        return validate.positive("the value", float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}") from None


def main(argv=None) -> int:
    from . import lms, timings

    parser = argparse.ArgumentParser(prog="gdcourse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("execute", help="re-execute notebooks in place in a fresh kernel")
    run.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    run.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    run.set_defaults(handler=_execute)
    listing = commands.add_parser("lessons", help="list the lessons in order")
    listing.set_defaults(handler=_lessons)
    build = commands.add_parser(
        "build-exercises", help="write exercises/ from solutions/ (the single source)"
    )
    build.add_argument("--check", action="store_true", help="exit 1 if exercises/ is stale")
    build.add_argument("--solutions", default="solutions", help="folder of solution notebooks")
    build.add_argument("--exercises", default="exercises", help="folder to write")
    build.set_defaults(handler=_build_exercises)
    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders")
    grade.add_argument("--out", required=True, metavar="DIR", help="where results go")
    grade.add_argument("--jobs", type=int, default=2, help="submissions graded at once")
    grade.add_argument("--timeout", type=float, default=30.0, help="seconds per submission")
    grade.add_argument("--force", action="store_true", help="regrade everything")
    grade.set_defaults(handler=lambda args: __import__("gdcourse.grading").grading.main(args))
    hand_out = commands.add_parser("release", help="write the student hand-out to a folder")
    hand_out.add_argument("target", metavar="DIR")
    hand_out.set_defaults(handler=_release)
    deck = commands.add_parser("slides", help="write an offline reveal.js deck per notebook")
    deck.add_argument("paths", nargs="+", metavar="NOTEBOOK")
    deck.add_argument("--out", required=True, metavar="DIR", help="folder for the decks")
    deck.set_defaults(handler=_slides)
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
    mark.set_defaults(handler=_mark_slides)
    times = commands.add_parser("timings", help="time each lesson: reading, code, run")
    times.add_argument("paths", nargs="*", metavar="NOTEBOOK", help="default: every lesson")
    times.add_argument("--no-run", action="store_true", help="do not execute the notebooks")
    times.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    times.add_argument(
        "--wpm", type=_positive, default=timings.WPM, help="lecture words per minute"
    )
    times.add_argument(
        "--formula-seconds",
        type=_positive,
        default=timings.FORMULA_SECONDS,
        help="per displayed formula",
    )
    times.add_argument(
        "--code-cell-seconds",
        type=_positive,
        default=timings.CODE_CELL_SECONDS,
        help="per code cell",
    )
    times.add_argument("--update", metavar="FILE", help="rewrite the timings block of FILE")
    times.set_defaults(handler=_timings)
    aims = commands.add_parser("objectives", help="print each lesson's learning objectives")
    aims.add_argument("paths", nargs="*", metavar="NOTEBOOK", help="default: every lesson")
    aims.add_argument("--update", metavar="FILE", help="rewrite the objectives block of FILE")
    aims.set_defaults(handler=_objectives)
    gradebook = commands.add_parser(
        "lms", help="turn totals.csv or grades.csv into a gradebook file an LMS imports"
    )
    gradebook.add_argument(
        "results", metavar="CSV", help="totals.csv, or grades.csv for a column per exercise"
    )
    gradebook.add_argument("--lms", required=True, choices=sorted(lms.LMS))
    gradebook.add_argument("--out", required=True, metavar="FILE")
    gradebook.add_argument("--assignment", default="gdcourse exercises", help="column name")
    gradebook.add_argument("--roster", metavar="CSV", help="the LMS's own gradebook export")
    gradebook.add_argument("--match", metavar="COLUMN", help="column holding gdcourse's student id")
    gradebook.add_argument("--percent", action="store_true", help="write 0-100, not points")
    gradebook.set_defaults(handler=lms.convert)
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
