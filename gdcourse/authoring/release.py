"""`gdcourse release DIR`: what an instructor hands to students, without solutions.

The release holds the lessons, the blank exercises, the helper package and the set-up
files, so `make lab` works in it as in the full course. The solutions folder, the
tests (which read the solutions) and everything else stay behind.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDED = (
    "notebooks",
    "exercises",
    "gdcourse",
    "README.md",
    "LICENSE",
    "LICENSE-CONTENT",
    "Makefile",
    "pyproject.toml",
    "constraints.txt",
    "environment.yml",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")


def release(target: str | Path, *, source: str | Path = ROOT) -> list[str]:
    """Copy the student-facing files of the course to `target`; return what was copied."""
    source, target = Path(source), Path(target)
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"target must be a new or empty folder, got {str(target)!r}")
    if target.resolve().is_relative_to(source.resolve()):
        raise ValueError(f"target must be outside the course folder, got {str(target)!r}")
    missing = [
        name for name in ("notebooks", "exercises", "gdcourse") if not (source / name).exists()
    ]
    if missing:
        raise ValueError(f"source {str(source)!r} lacks {', '.join(missing)}")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in INCLUDED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, target / name, ignore=IGNORED)
        elif path.is_file():
            shutil.copy2(path, target / name)
        else:
            continue
        copied.append(name)
    return copied


def main(*, target) -> int:
    """The `gdcourse release` command."""
    try:
        copied = release(target)
    except ValueError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}: {', '.join(copied)} (no solutions, no tests)")
    return 0
