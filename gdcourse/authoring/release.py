"""`gdcourse release DIR`: what an instructor hands to students, without solutions.

The hand-out holds the lessons, the blank exercises, the set-up files and, of the helper
package, only the learner API: the top-level modules (`gdcourse.LEARNER_API`), the command
line, and the modules they import, found by importing them in a fresh interpreter. That
includes what `gdcourse.checks` needs to give feedback (the task definitions and the judge),
and leaves behind the grading pipeline, the sandbox, the gradebook and LMS export, and
every authoring tool with its deck assets. The solutions and the tests (which read the
solutions) stay behind too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["INCLUDED", "package_files", "release", "main"]

ROOT = Path(__file__).resolve().parents[2]
INCLUDED = (
    "notebooks",
    "exercises",
    "README.md",
    "LICENSE",
    "LICENSE-CONTENT",
    "Makefile",
    "pyproject.toml",
    "constraints.txt",
    "environment.yml",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")

# Run in a fresh interpreter with the course's root first on sys.path: import the learner
# API (and the task definitions, which `check` loads on first use) and the command line,
# and list the files of every gdcourse module that came with them.
_IMPORTED = """
import importlib, json, sys
import gdcourse, gdcourse.cli
for name in gdcourse.LEARNER_API:
    importlib.import_module(f"gdcourse.{name}")
from gdcourse.checks import tasks
tasks.all_tasks()
print(json.dumps(sorted(
    m.__file__ for name, m in list(sys.modules.items())
    if (name == "gdcourse" or name.startswith("gdcourse.")) and getattr(m, "__file__", None)
)))
"""


def package_files(source: str | Path = ROOT) -> list[Path]:
    """The files of the gdcourse package the learner API needs, relative to `source`."""
    source = Path(source).resolve()
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(source)!r})\n{_IMPORTED}"],
        capture_output=True,
        text=True,
        cwd=source,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
    )
    if done.returncode:
        raise ValueError(f"the learner API of {str(source)!r} does not import:\n{done.stderr}")
    files = [Path(f).resolve() for f in json.loads(done.stdout.strip().splitlines()[-1])]
    files.append(source / "gdcourse" / "__main__.py")  # `python -m gdcourse`
    outside = [f for f in files if not f.is_relative_to(source)]
    if outside:
        raise ValueError(f"gdcourse was imported from outside {str(source)!r}: {outside[0]}")
    return sorted(f.relative_to(source) for f in files)


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
    package = package_files(source)
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for relative in package:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)
    copied.append(f"gdcourse ({len(package)} modules: the learner API)")
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
