"""`gdcourse release DIR`: what an instructor hands to students, without solutions.

It copies from the course folder it is run in (found from the working directory, never
from wherever the package happens to be installed), into a folder outside it, and can
hand out the exercises a week at a time (`--exercises 01,02`). Run outside any course
folder with the package installed from a wheel, it copies the course the wheel carries
(`course.INSTALLED`) and the installed package.

The hand-out holds the lessons, the blank exercises, the set-up files (with JupyterLab's
settings for the course, `gdcourse/lab-settings/`) and, of the helper package, only the
learner API: the top-level modules (`gdcourse.LEARNER_API`), the command line, and the
modules they import, found by importing them in a fresh interpreter. That
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

from .. import course

__all__ = [
    "INCLUDED",
    "LAB_SETTINGS",
    "course_folder",
    "choose_exercises",
    "package_files",
    "publish_tasks",
    "release",
    "main",
]

ROOT = course.root()
INCLUDED = (
    "notebooks",
    "LICENSE",
    "LICENSE-CONTENT",
    "pyproject.toml",
    "constraints.txt",
    "environment.yml",
)
# The hand-out's own README and Makefile, written for students: the repository's name
# instructor and maintainer commands and folders (solutions/, tests/) a hand-out lacks.
HANDOUT = Path("gdcourse", "authoring", "handout")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
TASKS = Path("gdcourse", "grading", "tasks")  # its ex*.py modules travel as data
# JupyterLab's settings for the course, which the hand-out's pyproject.toml and Makefile install
LAB_SETTINGS = Path("gdcourse", "lab-settings", "gdcourse.json")

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
chosen = [t for t in all_tasks() if t.exercise in sys.argv[2:]]
Path(sys.argv[1]).write_text(published.document(chosen), encoding="utf-8")
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
    """The files of the gdcourse package the learner API needs, relative to the folder that
    holds the package of the course in `source` (`course.package_home`).

    The task modules are left out: their tasks travel as data (`publish_tasks`).
    """
    source = course.package_home(source).resolve()
    failure = f"the learner API of {str(source)!r} does not import"
    printed = _fresh(source, _IMPORTED, failure)
    files = [Path(f).resolve() for f in json.loads(printed.strip().splitlines()[-1])]
    files.append(source / "gdcourse" / "__main__.py")  # `python -m gdcourse`
    outside = [f for f in files if not f.is_relative_to(source)]
    if outside:
        raise ValueError(f"gdcourse was imported from outside {str(source)!r}: {outside[0]}")
    relative = (f.relative_to(source) for f in files)
    return sorted(f for f in relative if not _task_module(f))


def publish_tasks(
    target: str | Path, *, source: str | Path = ROOT, exercises: list[str] | None = None
) -> Path:
    """Write the tasks of `source` (of `exercises`, default all) as data into the package
    copied to `target`; its path.

    Runs every oracle and detector on the public probes, in a fresh interpreter that
    imports the task modules of `source`.
    """
    source = Path(source).resolve()
    if exercises is None:
        exercises = [p.stem for p in sorted((source / "exercises").glob("*.ipynb"))]
    data = Path(target).resolve() / TASKS / "published.json"  # the fresh one runs elsewhere
    failure = f"the tasks of {str(source)!r} cannot be published"
    _fresh(course.package_home(source).resolve(), _PUBLISH, failure, str(data), *exercises)
    return data


def _is_course(folder: Path) -> bool:
    return all((folder / name).is_dir() for name in ("notebooks", "exercises", "gdcourse"))


def _missing(folder: Path) -> list[str]:
    """What `folder` lacks to be released: a course folder, or the course a wheel carries."""
    missing = [name for name in ("notebooks", "exercises") if not (folder / name).is_dir()]
    if folder.resolve() != course.INSTALLED and not (folder / "gdcourse").is_dir():
        missing.append("gdcourse")
    return missing


def course_folder(start: str | Path = ".") -> Path:
    """The course folder `start` is in (it or the nearest parent with notebooks/,
    exercises/ and gdcourse/): what `gdcourse release` copies from. Outside any, the
    course the package's wheel carries, when it was installed from one."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if _is_course(folder):
            return folder
    if course.root() == course.INSTALLED and course.INSTALLED.is_dir():
        return course.INSTALLED
    raise ValueError(
        f"{str(start)!r} is not inside a course folder (one with notebooks/, exercises/ "
        "and gdcourse/): run `gdcourse release` in your copy of the course"
    )


def choose_exercises(source: Path, wanted: str | None = None) -> list[str]:
    """The exercise notebooks (stems) named by `wanted`, e.g. "01,02" or "8,09_schedules";
    every exercise when `wanted` is None. ValueError names an unknown one and lists the rest.
    """
    available = [p.stem for p in sorted((source / "exercises").glob("[0-9][0-9]_*.ipynb"))]
    if wanted is None:
        return available
    chosen = []
    for item in (part.strip() for part in wanted.split(",")):
        if not item:
            continue
        key = item.zfill(2) if item.isdigit() else item
        matches = [stem for stem in available if stem == key or stem.split("_")[0] == key]
        if not matches:
            raise ValueError(
                f"--exercises names {item!r}, which is not an exercise of this course; "
                f"the exercises are {', '.join(s.split('_')[0] for s in available)} "
                f"({available[0]}, …)"
            )
        chosen += [m for m in matches if m not in chosen]
    if not chosen:
        raise ValueError(f"--exercises names no exercise, got {wanted!r}")
    return sorted(chosen)


def _write_handout_files(source: Path, target: Path, exercises: list[str]) -> None:
    """The students' README (with the exercises this hand-out holds) and Makefile."""
    listed = "\n".join(f"- `exercises/{name}.ipynb`" for name in exercises)
    handout = course.package_home(source) / HANDOUT
    readme = (handout / "README.md").read_text(encoding="utf-8")
    (target / "README.md").write_text(readme.replace("{exercises}", listed), encoding="utf-8")
    shutil.copy2(handout / "Makefile", target / "Makefile")


def release(
    target: str | Path, *, source: str | Path | None = None, exercises: str | None = None
) -> list[str]:
    """Copy the student-facing files of the course in `source` (default: the course
    folder the working directory is in) to `target`, with the exercises named by
    `exercises` ("01,02"; default all); return what was copied."""
    source = course_folder() if source is None else Path(source)
    target = Path(target)
    missing = _missing(source)
    if missing:
        raise ValueError(f"source {str(source)!r} lacks {', '.join(missing)}")
    if target.exists() and any(target.iterdir()):
        raise ValueError(f"target must be a new or empty folder, got {str(target)!r}")
    if target.resolve().is_relative_to(source.resolve()):
        raise ValueError(
            f"target must be outside the course folder {str(source)!r}, got {str(target)!r}"
        )
    chosen = choose_exercises(source, exercises)
    package, home = package_files(source), course.package_home(source)
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for relative in package:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(home / relative, target / relative)
    publish_tasks(target, source=source, exercises=chosen)
    (target / LAB_SETTINGS).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(home / LAB_SETTINGS, target / LAB_SETTINGS)  # beside the package it ships with
    copied.append(f"gdcourse ({len(package)} modules: the learner API, and the tasks as data)")
    (target / "exercises").mkdir()
    for name in chosen:
        shutil.copy2(source / "exercises" / f"{name}.ipynb", target / "exercises")
    copied.append(f"exercises ({', '.join(n.split('_')[0] for n in chosen)})")
    _write_handout_files(source, target, chosen)
    copied += ["README.md (for students)", "Makefile (for students)"]
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


def main(*, target, exercises=None) -> int:
    """The `gdcourse release` command."""
    try:
        source = course_folder()
        if source == course.INSTALLED:
            print(f"release: from the course installed with the package, {source}")
        else:
            print(f"release: from the course folder {source}")
        copied = release(target, source=source, exercises=exercises)
    except ValueError as exc:
        print(f"release: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}: {', '.join(copied)} (no solutions, no tests)")
    return 0
