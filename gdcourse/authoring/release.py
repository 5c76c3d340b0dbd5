"""`gdcourse release DIR`: what an instructor hands to students, without solutions.

The hand-out holds the lessons, the blank exercises, the set-up files and, of the helper
package, only the learner API: the top-level modules (`gdcourse.LEARNER_API`), the command
line, and the modules they import, found by importing them in a fresh interpreter. That
includes what `gdcourse.checks` needs to give feedback (the task registry, the comparisons
and the judge), and leaves behind the grading pipeline, the sandbox, the gradebook and LMS
export, and every authoring tool with its deck assets. The solutions and the tests (which
read the solutions) stay behind too.

The task modules (`grading/tasks/exNN_*.py`: oracles, detectors, hidden-probe generators)
stay behind as well: the hand-out carries the tasks as data instead, `published.json`,
written here from the course's tasks (`tasks.published`): plain fields, public probes, and
the expected answers and detector predictions on those probes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["INCLUDED", "package_files", "publish_tasks", "release", "main"]

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
TASKS = Path("gdcourse", "grading", "tasks")  # its ex*.py modules travel as data

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


# Run the same way: write the course's tasks as data to the file named by the argument.
_PUBLISH = """
import sys
from pathlib import Path
from gdcourse.grading.tasks import all_tasks, published
Path(sys.argv[1]).write_text(published.document(all_tasks()), encoding="utf-8")
"""


def _fresh(source: Path, code: str, failure: str, *args: str) -> str:
    """Run `code` in a fresh interpreter with `source` first on sys.path; return its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(source)!r})\n{code}", *args],
        capture_output=True,
        text=True,
        cwd=source,
        env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
    )
    if done.returncode:
        raise ValueError(f"{failure}:\n{done.stderr}")
    return done.stdout


def _task_module(relative: Path) -> bool:
    return relative.parent == TASKS and relative.name.startswith("ex")


def package_files(source: str | Path = ROOT) -> list[Path]:
    """The files of the gdcourse package the learner API needs, relative to `source`.

    The task modules are left out: their tasks travel as data (`publish_tasks`).
    """
    source = Path(source).resolve()
    failure = f"the learner API of {str(source)!r} does not import"
    printed = _fresh(source, _IMPORTED, failure)
    files = [Path(f).resolve() for f in json.loads(printed.strip().splitlines()[-1])]
    files.append(source / "gdcourse" / "__main__.py")  # `python -m gdcourse`
    outside = [f for f in files if not f.is_relative_to(source)]
    if outside:
        raise ValueError(f"gdcourse was imported from outside {str(source)!r}: {outside[0]}")
    relative = (f.relative_to(source) for f in files)
    return sorted(f for f in relative if not _task_module(f))


def publish_tasks(target: str | Path, *, source: str | Path = ROOT) -> Path:
    """Write the tasks of `source` as data into the package copied to `target`; its path.

    Runs every oracle and detector on the public probes, in a fresh interpreter that
    imports the task modules of `source`.
    """
    source = Path(source).resolve()
    data = Path(target) / TASKS / "published.json"
    _fresh(source, _PUBLISH, f"the tasks of {str(source)!r} cannot be published", str(data))
    return data


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
    publish_tasks(target, source=source)
    copied.append(f"gdcourse ({len(package)} modules: the learner API, and the tasks as data)")
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
