"""The lessons as files: the `gdcourse lessons` command and the lesson list other tools take.

The lesson list itself (number, title, file) is `gdcourse.course.lessons`, because lesson
00 shows it to learners; this module is its maintainers' side.
"""

from __future__ import annotations

import os

from .. import course

__all__ = ["lesson_paths", "main"]


def lesson_paths(paths=()) -> list[str]:
    """The given notebooks, or every lesson in notebooks/ when none is given."""
    if paths:
        missing = [p for p in paths if not str(p).endswith(".ipynb") or not os.path.isfile(p)]
        if missing:
            raise ValueError(f"not a notebook file: {', '.join(map(str, missing))}")
        return [str(p) for p in paths]
    return [str(course.NOTEBOOKS / name) for _, _, name in course.lessons()]


def main() -> int:
    """The `gdcourse lessons` command: one line per lesson, in order."""
    for number, title, name in course.lessons():
        print(f"{number}  {title}  ({name})")
    return 0
