"""`gdcourse validate` and `gdcourse progress`: a learner's saved notebooks, graded as the
grader will grade them, on the public probes.

The grader's path with the public probes instead of the hidden ones (so no secret is
needed): `submission.read_notebook` finds the exercise (metadata, else file name) and the
code cells of the file as saved; the cells run from the top in a fresh process, without
the learner's live kernel (`runner.run_cells`); each task's function is called on its
public probes; `submission.judge_result` judges what comes back. A function defined in a
cell since deleted, or a variable from another notebook, fails here as it fails when
graded.

Where it runs: in a course checkout on Linux, in the grader's own sandbox
(`sandbox.ForkServerExecutor(child.POLICY)`, with its confinement and limits); in the
student hand-out, which ships no sandbox (Linux-only, and a grading tool), in a plain
fresh interpreter (`python -m gdcourse.grading.runner`) that runs the same `run_cells`
with the same import guard, in an empty folder, under the same time limit. Nothing is
sent anywhere: everything stays on the learner's machine.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import judge, runner, submission, tasks
from .collect import ERROR, INVALID, NOT_IMPLEMENTED, TIMEOUT

__all__ = [
    "TIMEOUT_S",
    "Report",
    "public_jobs",
    "runner_for",
    "check_notebooks",
    "find_exercises",
    "progress",
    "progress_lines",
    "validate_main",
    "progress_main",
]

TIMEOUT_S = 30.0  # per notebook, the grader's default (`gdcourse grade --timeout`)
NOT_TRIED = "not tried"


@dataclass
class Report:
    """One notebook as the grader will see it, judged on the public probes."""

    path: Path | None
    exercise: str  # "" when the notebook names no exercise
    verdicts: list[judge.Verdict] = field(default_factory=list)
    problem: str = ""  # why it cannot be graded at all ("" when it can)
    note: str = ""  # the notebook's first error, as a sentence
    about: str = ""  # said once: a notebook made for other tasks than the course's

    @property
    def points(self) -> float:
        return sum(v.points for v in self.verdicts)

    @property
    def max_points(self) -> float:
        return sum(v.max_points for v in self.verdicts)

    def mark(self, verdict: judge.Verdict) -> str:
        """✓, ✗ or "not tried" (a blank stub, or no notebook at all)."""
        if verdict.passed:
            return "✓"
        if self.path is None or verdict.status == NOT_IMPLEMENTED:
            return NOT_TRIED
        return "✗"

    def lines(self) -> list[str]:
        """What `validate` prints: a few lines, what will score and what will not, and why."""
        where = str(self.path)
        if self.problem:
            return [f"✗ {where}: {self.problem}"]
        saved = time.strftime("%H:%M", time.localtime(self.path.stat().st_mtime))
        lines = [
            f"{where} (saved at {saved}): exercise {self.exercise}, run from the top in a "
            "fresh process, as the grader runs it"
        ]
        if self.about:
            lines.append(f"  {self.about}")
        if self.note:
            lines.append(f"  ⚠ {_why(self.note.rstrip('.'))}")
        for v in self.verdicts:
            mark = self.mark(v)
            score = f"{judge.points_text(v.points)}/{judge.points_text(v.max_points)}"
            hint = v.hint.splitlines()[0] if v.hint else ""
            if mark == NOT_TRIED:
                hint = "not tried yet (`raise NotImplementedError` is still there)"
            lines.append(f"  {'·' if mark == NOT_TRIED else mark} {v.task} ({score})")
            if hint:
                lines[-1] += f": {_shorter(hint)}"
            if v.status == ERROR and mark != NOT_TRIED and v.details:
                where = f" ({v.details[1]})" if len(v.details) > 1 and v.details[1] else ""
                lines.append(f"      {_why(_shorter(v.details[0] + where, 160))}")
        passed = sum(v.passed for v in self.verdicts)
        lines.append(
            f"  {passed} of {len(self.verdicts)} tasks pass the public checks: "
            f"{judge.points_text(self.points)} of {judge.points_text(self.max_points)} points "
            "if the hidden probes agree (the grader calls the same functions on other inputs)"
        )
        return lines


def _shorter(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _why(note: str) -> str:
    """An error, with what it usually means when the same code ran in the kernel."""
    if "NameError" in note:
        return (
            f"{note}: your kernel may know this name, but the saved notebook never defines "
            "it when run from the top: a cell deleted or edited since it ran, cells run out "
            "of order, or a variable from another notebook? Restart the kernel and run all "
            "cells to see it yourself."
        )
    return note


def public_jobs(exercise: str) -> list[dict]:
    """The tasks of an exercise as the child gets them, with their public probes."""
    return [
        {
            "id": t.id,
            "call": t.call,
            "seconds": t.seconds,
            "probes": [dict(p) for p in t.public],
        }
        for t in tasks.for_exercise(exercise)
    ]


# ------------------------------------------------------------------ where notebooks run


class _RunFailed(RuntimeError):
    """A notebook's process ended without a result (the plain runner's JobFailed)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _run_plain(cells: list[str], job_tasks: list[dict], timeout: float) -> dict:
    """run_cells in a fresh interpreter, in an empty folder, with a scrubbed environment."""
    import subprocess
    import tempfile

    package = Path(runner.__file__).resolve().parents[2]  # the folder holding gdcourse/
    with tempfile.TemporaryDirectory(prefix="gdcourse-validate-") as folder:
        result = Path(folder) / "result.json"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": folder,
            "TMPDIR": folder,
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(package),
        }
        for name in ("SYSTEMROOT", "TEMP", "TMP"):  # Windows needs these to start Python
            if name in os.environ:
                env[name] = os.environ[name]
        try:
            subprocess.run(
                [sys.executable, "-m", runner.__name__, str(result)],
                input=json.dumps({"cells": cells, "tasks": job_tasks}),
                text=True,
                cwd=folder,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise _RunFailed("timeout", f"still running after {timeout:g} s") from None
        if not result.exists():
            raise _RunFailed("error", "the notebook's process exited before it finished")
        return json.loads(result.read_text(encoding="utf-8"))


class _Runner:
    """Runs notebooks' cells and their tasks' calls: in the sandbox, or a plain process."""

    def __init__(self, jobs: int, timeout: float, sandboxed: bool):
        self.timeout = timeout
        if sandboxed:
            from . import child, sandbox

            self._executor = sandbox.ForkServerExecutor(
                child.POLICY, max_workers=jobs, timeout=timeout
            )
            self._job = child.run_submission
        else:
            from concurrent.futures import ThreadPoolExecutor  # imported when used: checks
            # imports this module, and an exercise's first cell should stay quick

            self._executor = ThreadPoolExecutor(max_workers=jobs)
            self._job = None
        self.sandboxed = sandboxed

    def submit(self, cells: list[str], job_tasks: list[dict]):
        if self.sandboxed:
            return self._executor.submit(self._job, cells, job_tasks)
        return self._executor.submit(_run_plain, cells, job_tasks, self.timeout)

    def shutdown(self) -> None:
        self._executor.shutdown()


def runner_for(jobs: int = 2, timeout: float = TIMEOUT_S, sandboxed: bool | None = None):
    """The grader's sandbox where this copy of the course has it and the system can run it
    (Linux), else a plain fresh interpreter; `sandboxed` forces one or the other."""
    if sandboxed is None:
        try:
            from . import sandbox  # noqa: F401  (absent from the student hand-out)

            sandboxed = sys.platform.startswith("linux") and hasattr(os, "pidfd_open")
        except ImportError:
            sandboxed = False
    return _Runner(jobs, timeout, sandboxed)


# ------------------------------------------------------------------ checking notebooks


def _read(path: Path) -> tuple[Report, list[str] | None]:
    """The report to fill for a notebook, and its cells (None: it cannot be run)."""
    try:
        exercise, cells = submission.read_notebook(path)
    except OSError as exc:
        return Report(path, "", problem=f"cannot be read ({exc.strerror or exc})"), None
    except submission.Invalid as exc:
        exercise = submission.exercise_from_name(path) or ""
        problem = f"{exc}" if str(exc).startswith("unknown") else f"{exc}: {submission.RESUBMIT}"
        report = Report(path, exercise, problem=problem)
        if exercise:
            report.verdicts = submission.failed_verdicts(exercise, INVALID, problem)
        return report, None
    about = submission.version_drift(path.read_bytes(), exercise)
    report = Report(path, exercise, about=about)
    if not any(cell.strip() for cell in cells):
        report.problem = f"the notebook is empty (no code in its cells): {submission.RESUBMIT}"
        report.verdicts = submission.failed_verdicts(exercise, INVALID, report.problem)
        return report, None
    return report, cells


def check_notebooks(paths, *, run=None) -> list[Report]:
    """Each notebook judged on the public probes as the grader will judge it (in order)."""
    reports, pending = [], []
    own = run is None
    run = run or runner_for(jobs=min(2, max(1, len(paths))))
    try:
        for path in map(Path, paths):
            report, cells = _read(path)
            reports.append(report)
            if cells is not None:
                job_tasks = public_jobs(report.exercise)
                pending.append((report, cells, job_tasks, run.submit(cells, job_tasks)))
        for report, cells, job_tasks, future in pending:
            try:
                result = future.result()
            except Exception as exc:  # the sandbox's JobFailed/WorkerDied, or _RunFailed
                timed_out = getattr(exc, "kind", "") == "timeout"
                message = (
                    f"the notebook did not finish within {run.timeout:g} s ({exc})"
                    if timed_out
                    else str(exc)
                )
                status = TIMEOUT if timed_out else ERROR
                report.verdicts = submission.failed_verdicts(report.exercise, status, message)
                continue
            report.verdicts, report.note = submission.judge_result(
                report.exercise, job_tasks, result, cells, show_values=True
            )
    finally:
        if own:
            run.shutdown()
    return reports


def find_exercises(folder) -> dict[str, Path]:
    """The learner's notebook of each exercise in `folder` (and below it): the exercise its
    metadata or name says; of two for one exercise, the latest saved, as the grader keeps."""
    found: dict[str, Path] = {}
    for path in sorted(Path(folder).rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        try:
            exercise, _ = submission.read_notebook(path)
        except (OSError, submission.Invalid):
            continue
        kept = found.get(exercise)
        if kept is None or path.stat().st_mtime_ns > kept.stat().st_mtime_ns:
            found[exercise] = path
    return found


def _lessons() -> dict[str, str]:
    """Lesson number -> "NN Title", from the course's notebooks (empty if it has none)."""
    from .. import course

    try:
        return {number: f"lesson {number}: {title}" for number, title, _ in course.lessons()}
    except ValueError:
        return {}


def progress(folder, *, run=None) -> tuple[list[tuple[str, str, Report]], float]:
    """(exercise, its lesson, its report) for every exercise of the course, from the
    notebooks saved in `folder`, and the seconds it took. An exercise with no notebook
    there has every task not tried."""
    start = time.perf_counter()
    found = find_exercises(folder)
    exercises = tasks.exercises()
    reports = dict(zip(found, check_notebooks([found[e] for e in found], run=run), strict=True))
    lessons = _lessons()
    rows = []
    for exercise in exercises:
        report = reports.get(exercise)
        if report is None:
            report = Report(None, exercise)
            report.verdicts = submission.failed_verdicts(exercise, NOT_IMPLEMENTED, "")
        number = exercise.split("_")[0]
        rows.append((exercise, lessons.get(number, f"lesson {number}"), report))
    return rows, time.perf_counter() - start


def progress_lines(rows) -> list[str]:
    """What `progress` prints: each exercise, its lesson, and a mark for each task."""
    counts = {"✓": 0, "✗": 0, NOT_TRIED: 0}
    points = max_points = 0.0
    lines = []
    for exercise, lesson, report in rows:
        where = report.path.name if report.path else "no notebook yet"
        score = f"{judge.points_text(report.points)}/{judge.points_text(report.max_points)}"
        lines.append(f"{exercise} ({lesson}) — {where}: {score} points")
        if report.problem and report.path is not None:
            lines.append(f"    ✗ {_shorter(report.problem)}")
        marks = []
        for v in report.verdicts:
            mark = report.mark(v)
            counts[mark] += 1
            marks.append(f"{v.task} {'·' if mark == NOT_TRIED else mark}")
        lines.append("    " + "   ".join(marks))
        points += report.points
        max_points += report.max_points
    lines.append(
        f"{counts['✓']} tasks ✓, {counts['✗']} ✗, {counts[NOT_TRIED]} not tried (·): "
        f"{judge.points_text(points)} of {judge.points_text(max_points)} points on the public "
        "checks. ✗ and · score nothing; `gdcourse validate NOTEBOOK` says why."
    )
    return lines


# ------------------------------------------------------------------ the commands


def validate_main(*, paths, timeout: float = TIMEOUT_S) -> int:
    """`gdcourse validate NOTEBOOK…`: 0 when every task passes the public checks, 1 when
    some would not score, 2 when a notebook is missing or cannot be graded at all."""
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        print(f"validate: no such notebook: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    run = runner_for(jobs=min(2, len(paths)), timeout=timeout)
    try:
        reports = check_notebooks(paths, run=run)
    finally:
        run.shutdown()
    for report in reports:
        print("\n".join(report.lines()))
    if any(r.problem for r in reports):
        return 2
    return 0 if all(v.passed for r in reports for v in r.verdicts) else 1


def progress_main(*, folder=None, timeout: float = TIMEOUT_S) -> int:
    """`gdcourse progress [FOLDER]` (default: exercises/ here, else this folder)."""
    if folder is None:
        folder = "exercises" if Path("exercises").is_dir() else "."
    if not Path(folder).is_dir():
        print(f"progress: no such folder: {folder}", file=sys.stderr)
        return 2
    run = runner_for(timeout=timeout)
    try:
        rows, seconds = progress(folder, run=run)
    finally:
        run.shutdown()
    print(f"Where you stand, from the notebooks saved in {folder} (in {seconds:.1f} s):")
    print("\n".join(progress_lines(rows)))
    return 0
