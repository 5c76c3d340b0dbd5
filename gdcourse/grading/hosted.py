"""Grading where instructors already are: a Gradescope autograder, a GitHub Classroom report.

Both grade with `pipeline.grade` (the same sandbox, the same judge, the same hidden probes
per student) into a throw-away results folder, and turn each task's row into the format
the platform reads:

- `gdcourse gradescope EXERCISE… --out autograder.zip` writes an autograder zip:
  `setup.sh` (installs the pinned course into Gradescope's image), `run_autograder`
  (grades `/autograder/submission/*.ipynb`, writes `/autograder/results/results.json`),
  and under `course/` the course's package and pins, with `autograder.json` (the
  exercises, the visibility, the time limit) and `grading-secret`: a secret generated for
  this autograder, never the instructor's own. The scripts read their root from
  `GDCOURSE_AUTOGRADER_ROOT` (default `/autograder`) and their Python from
  `GDCOURSE_PYTHON` (default: the one `setup.sh` made, else `python3`).
- `gdcourse classroom NOTEBOOK…` prints the JSON that GitHub Classroom's autograding
  reporter (`classroom-resources/autograding-grading-reporter`) reads.

Feedback is the rows' own (hint and the learner's own error line): a hidden probe's value
is never in it, so nothing here can show one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from .. import course
from . import pipeline, tasks
from . import secret as secret_file
from .gradebook import Gradebook, Record

__all__ = [
    "VISIBILITIES",
    "SOURCE_FILES",
    "grade_records",
    "gradescope_results",
    "build_autograder",
    "run_autograder",
    "classroom_report",
    "gradescope_main",
    "classroom_main",
]

# Gradescope's visibility settings: always shown, never shown to students, shown after
# the due date, shown once the grades are published
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
COURSE = secret_file.COURSE
# What of the course travels in the zip, under course/: the package and what pip needs to
# install it with the course's pins
SOURCE_FILES = ("pyproject.toml", "constraints.txt", "README.md", "LICENSE", "LICENSE-CONTENT")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")
CONFIG = "autograder.json"
SECRET = "grading-secret"
ROOT_VARIABLE = "GDCOURSE_AUTOGRADER_ROOT"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image: a virtual
# environment with the course's pinned versions (torch first and pinned, as `make setup`;
# the CPU build: the graders have no GPU). Its python3 must be 3.11 or newer.
set -euo pipefail
ROOT="${GDCOURSE_AUTOGRADER_ROOT:-/autograder}"
COURSE="$ROOT/source/course"
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet -c "$COURSE/constraints.txt" torch==2.13.0 \\
    --index-url https://download.pytorch.org/whl/cpu
"$ROOT/venv/bin/python" -m pip install --quiet -c "$COURSE/constraints.txt" "$COURSE"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission/*.ipynb with
# gdcourse's grader (sandbox included) into /autograder/results/results.json.
# GDCOURSE_AUTOGRADER_ROOT moves /autograder (tests); GDCOURSE_PYTHON names the Python
# (default: the virtual environment setup.sh made, else python3 on PATH).
set -euo pipefail
ROOT="${GDCOURSE_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${GDCOURSE_PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x "$ROOT/venv/bin/python" ]; then PYTHON="$ROOT/venv/bin/python"; else PYTHON=python3; fi
fi
cd "$ROOT"
export GDCOURSE_AUTOGRADER_ROOT="$ROOT"
export PYTHONPATH="$ROOT/source/course${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m gdcourse.grading.hosted
"""


# ------------------------------------------------------------------ grading


def grade_records(
    notebooks, *, student: str, secret: bytes, exercise: str | None = None, timeout=30.0
) -> tuple[list[Record], list[str]]:
    """Grade one student's notebooks with `pipeline.grade`; their chosen records (one per
    exercise, the latest) and what was not graded (sentences).

    The notebooks are copied (with their times) into a folder named for the student, so
    the hidden probes are that student's; `exercise` claims a notebook that names none.
    """
    with tempfile.TemporaryDirectory(prefix="gdcourse-hosted-") as work:
        # survey names the student by the folder the notebooks are in
        safe = student.replace("/", "_").lstrip(".") or "student"
        folder = Path(work, "submissions", safe)
        folder.mkdir(parents=True)
        for i, notebook in enumerate(map(Path, notebooks)):
            target = folder / notebook.name
            if target.exists():
                target = folder / f"{i}-{notebook.name}"
            shutil.copy2(notebook, target)
        out = Path(work, "out")
        summary = pipeline.grade(
            [folder.parent], out, secret=secret, jobs=2, timeout=timeout, exercise=exercise
        )
        records = [record for _, record in Gradebook(out).chosen()]
    skipped = [f"{Path(s.path).name}: {s.reason}" for s in summary["skipped"]]
    return records, skipped


# ------------------------------------------------------------------ Gradescope


def gradescope_results(
    records, exercises, *, visibility="visible", seconds=0.0, skipped=()
) -> dict:
    """Gradescope's results.json: one test per task of `exercises` (0 points for a task
    whose notebook was not submitted), their total, the feedback files as the output."""
    by_exercise = {r.exercise: r for r in records if r.exercise in exercises}
    tests, lines = [], []
    for exercise in exercises:
        record = by_exercise.get(exercise)
        rows = {row.task: row for row in record.rows} if record else {}
        if record is None:
            lines.append(f"No notebook of exercise {exercise} was found in the submission.")
        else:
            lines.append(record.feedback_text())
        for task in tasks.for_exercise(exercise):
            row = rows.get(task.id)
            if row is None:
                status, points, text = "missing", 0.0, f"no notebook of {exercise} submitted"
            else:
                status, points, text = row.status, float(row.points), row.feedback
            tests.append(
                {
                    "name": f"{exercise} · {task.id}: {task.title}",
                    "score": points,
                    "max_score": float(task.points),
                    "status": "passed" if status == "passed" else "failed",
                    "output": f"{status}. {text}".strip() if text else f"{status}.",
                    "visibility": visibility,
                }
            )
    for record in records:
        if record.exercise not in exercises:
            name = Path(record.source).name
            what = record.exercise or "no known exercise"
            reason = record.rows[0].feedback if record.rows and not record.exercise else ""
            lines.append(f"{name} ({what}) is not graded by this assignment. {reason}".strip())
    lines += [f"Not graded: {line}" for line in skipped]
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": round(seconds),
        "output": "\n".join(lines),
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _student(root: Path) -> str:
    """The submitter's Gradescope id (else e-mail) from submission_metadata.json, else
    "student"."""
    try:
        users = json.loads((root / "submission_metadata.json").read_text())["users"]
        user = users[0]
        return str(user.get("id") or user.get("email") or "student")
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "student"


def run_autograder(root: str | Path) -> dict:
    """Grade `root`/submission's notebooks as the zip's configuration says and write
    `root`/results/results.json; return what was written."""
    start = time.perf_counter()
    root = Path(root)
    source = root / "source" / "course"
    config = json.loads((source / CONFIG).read_text())
    key = (source / SECRET).read_bytes().strip()
    notebooks = sorted((root / "submission").rglob("*.ipynb"))
    notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
    exercises = config["exercises"]
    claim = exercises[0] if len(exercises) == 1 else None
    records, skipped = [], []
    if notebooks:
        records, skipped = grade_records(
            notebooks,
            student=_student(root),
            secret=key,
            exercise=claim,
            timeout=config["timeout"],
        )
    else:
        skipped = ["the submission holds no .ipynb notebook: upload your exercise notebook"]
    results = gradescope_results(
        records,
        exercises,
        visibility=config["visibility"],
        seconds=time.perf_counter() - start,
        skipped=skipped,
    )
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=1))
    return results


def _exercise_ids(given) -> list[str]:
    """Exercise ids from "08", "8" or "08_momentum"; ValueError names an unknown one."""
    known = tasks.exercises()
    chosen = []
    for item in given:
        key = item.zfill(2) if item.isdigit() else item
        match = [e for e in known if key in (e, e.split("_")[0])]
        if not match:
            raise ValueError(f"{item!r} is not an exercise; the exercises are {', '.join(known)}")
        chosen += [m for m in match if m not in chosen]
    return chosen


def _ignored(folder: str, names: list[str]) -> set[str]:
    """What of the package stays out of the zip: caches, and the course an installed wheel
    carries (lessons and exercises: grading needs neither)."""
    left_out = set(IGNORED(folder, names))
    if Path(folder).resolve() == course.PACKAGE:
        left_out.add(course.INSTALLED.name)
    return left_out


def _add(archive: zipfile.ZipFile, name: str, text: str, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text)


def build_autograder(
    out, exercises, *, visibility="visible", timeout=30.0, source: Path = COURSE
) -> Path:
    """Write the Gradescope autograder zip for `exercises` (ids) to `out`; its path.

    A new grading secret is generated for it: students' hidden probes come from it, and
    nobody without the zip can predict them. The instructor's own secret never travels.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    exercises = _exercise_ids(exercises)
    if not exercises:
        raise ValueError("name at least one exercise")
    config = {"exercises": exercises, "visibility": visibility, "timeout": timeout}
    out = Path(out)
    with tempfile.TemporaryDirectory() as work:
        package = Path(work, "gdcourse")
        shutil.copytree(course.package_home(source) / "gdcourse", package, ignore=_ignored)
        with zipfile.ZipFile(out, "w") as archive:
            _add(archive, "setup.sh", SETUP_SH, executable=True)
            _add(archive, "run_autograder", RUN_AUTOGRADER, executable=True)
            for name in SOURCE_FILES:
                if (source / name).is_file():
                    _add(archive, f"course/{name}", (source / name).read_text("utf-8"))
            for path in sorted(package.rglob("*")):
                if path.is_file():
                    name = f"course/{path.relative_to(work).as_posix()}"
                    archive.write(path, name, compress_type=zipfile.ZIP_DEFLATED)
            _add(archive, f"course/{CONFIG}", json.dumps(config, indent=1) + "\n")
            _add(archive, f"course/{SECRET}", secrets.token_hex(32) + "\n")
    return out


def gradescope_main(*, exercises, out, visibility="visible", timeout=30.0) -> int:
    """The `gdcourse gradescope` command."""
    if timeout <= 0:
        print("gradescope: --timeout must be > 0", file=sys.stderr)
        return 2
    try:
        path = build_autograder(out, exercises, visibility=visibility, timeout=timeout)
    except (ValueError, OSError) as exc:
        print(f"gradescope: {exc}", file=sys.stderr)
        return 2
    ids = ", ".join(_exercise_ids(exercises))
    print(
        f"wrote {path}: a Gradescope autograder for {ids} (results {visibility}); upload it "
        "as the assignment's autograder, and keep it private: it holds the tasks' oracles "
        "and its own grading secret"
    )
    return 0


# ------------------------------------------------------------------ GitHub Classroom

CLASSROOM_STATUS = {"passed": "pass", "failed": "fail"}  # error, timeout, invalid: "error"


def classroom_report(records) -> dict:
    """The result JSON GitHub Classroom's autograding reporter reads: one test per task row,
    scored in points; the top status "pass" when every task passed, else "error" when one
    could not run (error, timeout, invalid), else "fail"."""
    tests = []
    for record in records:
        for row in record.rows:
            name = f"{record.exercise} · {row.task}" if row.task else Path(record.source).name
            tests.append(
                {
                    "name": name,
                    "status": CLASSROOM_STATUS.get(row.status, "error"),
                    "score": float(row.points),
                    "max_score": float(row.max_points),
                    "message": f"{row.status}. {row.feedback}".strip(),
                }
            )
    statuses = {t["status"] for t in tests}
    status = "pass" if statuses == {"pass"} else "error" if "error" in statuses else "fail"
    return {
        "version": 1,
        "status": status,
        "max_score": sum(t["max_score"] for t in tests),
        "tests": tests,
    }


def classroom_main(*, paths, student="student", exercise=None, secret=None, timeout=30.0) -> int:
    """The `gdcourse classroom` command: grade one student's notebooks, print the report.

    Exits 0 whatever the points (the reporter step reads them), 2 on a usage error.
    """
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        print(f"classroom: no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if exercise is not None and exercise not in tasks.exercises():
        print(f"classroom: --exercise {exercise!r} is not an exercise", file=sys.stderr)
        return 2
    try:
        key = secret_file.load(secret, outside=(secret_file.COURSE,))
    except secret_file.SecretError as exc:
        print(f"classroom: {exc}", file=sys.stderr)
        return 2
    records, skipped = grade_records(
        paths, student=student, secret=key.key, exercise=exercise, timeout=timeout
    )
    for line in skipped:
        print(f"classroom: not graded: {line}", file=sys.stderr)
    print(json.dumps(classroom_report(records), indent=1))
    return 0


if __name__ == "__main__":  # run_autograder
    run_autograder(os.environ.get(ROOT_VARIABLE, "/autograder"))
