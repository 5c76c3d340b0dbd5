"""The `gdcourse` command line: course maintenance tasks behind the Makefile."""

from __future__ import annotations

import argparse
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


def main(argv=None) -> int:
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
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
