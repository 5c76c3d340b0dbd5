"""`gdcourse grade`: grade a folder of submissions, fast, resumable, and isolated.

Each submission's code runs in its own forked, limited process (gdcourse.sandbox),
which only calls the learner's functions on hidden probes and returns plain data.
This process generates the probes and judges the data with the same task
definitions as the in-notebook checks, so nothing done inside a submission can
change a grade. Results are saved per submission (keyed by a content hash) as soon
as it finishes, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path

from . import judge, runner, sandbox, tasks

GRADES_COLUMNS = ["student", "exercise", "task", "points", "max_points", "status", "feedback"]
TOTALS_COLUMNS = ["student", "points", "max_points"]
CSV_STATUS = {judge.NOT_IMPLEMENTED: "failed"}  # grades.csv knows five statuses
FORMAT_VERSION = "1"  # part of the content hash: bump when grading logic changes
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Submission:
    path: Path
    student: str


def discover(paths) -> list[Submission]:
    """Every submission under the given files and folders, with its student id."""
    found = []
    for given in map(Path, paths):
        if given.is_file():
            found.append(Submission(given, given.stem))
            continue
        for path in sorted(given.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            relative = path.relative_to(given)
            student = relative.parts[0] if len(relative.parts) > 1 else path.stem
            found.append(Submission(path, student))
    return found


class Invalid(ValueError):
    """A submission that cannot be graded as a notebook; the message says why."""


def read_notebook(path: Path) -> tuple[str, list[str]]:
    """The exercise id and the code cells of a submission, or Invalid."""
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the file is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise Invalid("the file is JSON but not a Jupyter notebook (no nbformat field)")
    if data["nbformat"] != 4:
        raise Invalid(
            f"notebook format {data['nbformat']!r} is not supported; open and save "
            "it with a current Jupyter (format 4)"
        )
    if not isinstance(data.get("cells"), list):
        raise Invalid("the notebook has no list of cells")
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            raise Invalid("a cell of the notebook is not an object")
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else str(source))
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    exercise = (metadata.get("gdcourse") or {}).get("exercise")
    known = tasks.exercises()
    if exercise not in known:
        exercise = next((e for e in known if e in path.stem), None)
    if exercise is None:
        raise Invalid(
            "unknown exercise: no gdcourse.exercise metadata and the file name "
            f"names none of {', '.join(known)}"
        )
    return exercise, cells


def _key(submission: Submission, data: bytes, seed: int) -> str:
    digest = hashlib.sha256()
    for part in (FORMAT_VERSION, str(seed), submission.student, submission.path.name):
        digest.update(part.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()[:32]


def _rows(student, exercise, verdicts, note="") -> list[dict]:
    rows = []
    for v in verdicts:
        # details are the learner's own error message and line (judged without probe values)
        details = " ".join(d for d in v.details if d)[:300]
        feedback = " ".join(part for part in (v.hint, details, note) if part)
        rows.append(
            {
                "student": student,
                "exercise": exercise,
                "task": v.task,
                "points": v.points,
                "max_points": v.max_points,
                "status": CSV_STATUS.get(v.status, v.status),
                "feedback": feedback,
            }
        )
    return rows


def _all_tasks_failed(exercise, status, message) -> list[judge.Verdict]:
    return [
        judge.Verdict(t.id, t.title, status, 0, t.points, message)
        for t in tasks.for_exercise(exercise)
    ]


def judge_result(exercise: str, jobs: list[dict], result: dict) -> tuple[list, str]:
    """Verdicts from a child's plain-data result (this is where comparisons happen)."""
    verdicts = []
    errors = result.get("errors") if isinstance(result, dict) else None
    answers = result.get("answers") if isinstance(result, dict) else None
    if not isinstance(answers, dict) or not isinstance(errors, list):
        return _all_tasks_failed(
            exercise,
            judge.ERROR,
            "the grader received no usable result from the submission's process",
        ), ""
    for job in jobs:
        task = tasks.get(job["id"])
        got = answers.get(task.id)
        if isinstance(got, dict) and "missing" in got:
            hint = f"{got['missing']}."
            if errors:
                hint += f" The notebook raised an error: {errors[0]}"
            verdicts.append(judge.Verdict(task.id, task.title, judge.ERROR, 0, task.points, hint))
            continue
        if not isinstance(got, list) or len(got) != len(job["probes"]):
            verdicts.append(
                judge.Verdict(
                    task.id,
                    task.title,
                    judge.ERROR,
                    0,
                    task.points,
                    "the grader received no answers for this task",
                )
            )
            continue
        converted = [_answer(item) for item in got]
        verdicts.append(judge.judge(task, job["probes"], converted, show_values=False))
    note = f"The notebook raised an error: {errors[0]}" if errors else ""
    return verdicts, note


def _answer(item):
    """A child's answer record back into plain data or a Failure."""
    if isinstance(item, dict) and "answer" in item:
        return item["answer"]
    if (
        isinstance(item, dict)
        and isinstance(item.get("failure"), list)
        and len(item["failure"]) == 3
    ):
        kind, message, where = (str(x) for x in item["failure"])
        if kind not in (judge.ERROR, judge.TIMEOUT, judge.NOT_IMPLEMENTED, judge.INVALID):
            kind = judge.ERROR
        return judge.Failure(kind, message, where)
    return judge.Failure(judge.INVALID, "the answer could not be read")


class Gradebook:
    """Saved results (one JSON file per submission) and the CSV and feedback files."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.state = self.out / ".results"
        self.state.mkdir(parents=True, exist_ok=True)

    def load(self, key: str) -> dict | None:
        path = self.state / f"{key}.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def save(self, key: str, record: dict) -> None:
        _atomic_write(self.state / f"{key}.json", json.dumps(record))

    def write(self, records: list[dict]) -> None:
        """Rewrite grades.csv, totals.csv and the feedback files from the records."""
        rows = [row for record in records for row in record["rows"]]
        rows.sort(key=lambda r: (r["student"], r["exercise"]))
        _atomic_csv(self.out / "grades.csv", GRADES_COLUMNS, rows)
        totals: dict[str, list[float]] = {}
        for row in rows:
            pair = totals.setdefault(row["student"], [0.0, 0.0])
            pair[0] += float(row["points"])
            pair[1] += float(row["max_points"])
        _atomic_csv(
            self.out / "totals.csv",
            TOTALS_COLUMNS,
            [
                {"student": s, "points": _num(p), "max_points": _num(m)}
                for s, (p, m) in sorted(totals.items())
            ],
        )
        for record in records:
            folder = self.out / "feedback" / _safe(record["student"])
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_write(folder / f"{_safe(record['exercise'])}.txt", record["feedback"])


def _num(x: float):
    return int(x) if float(x).is_integer() else round(x, 3)


def _safe(name: str) -> str:
    return _SAFE.sub("_", name) or "_"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_csv(path: Path, columns, rows) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _feedback_text(student, exercise, source, rows, output_chars=0) -> str:
    lines = [f"Feedback for {student} on exercise {exercise}", f"(submission: {source})", ""]
    total = sum(float(r["points"]) for r in rows)
    top = sum(float(r["max_points"]) for r in rows)
    for r in rows:
        mark = "✓" if r["status"] == "passed" else "✗"
        lines.append(
            f"{mark} {r['task']}: {r['status']}, {_num(r['points'])}/{_num(r['max_points'])} points"
        )
        if r["feedback"]:
            lines.append(f"    {r['feedback']}")
    lines += ["", f"Total: {_num(total)}/{_num(top)} points"]
    if output_chars:
        lines.append(f"(the notebook printed {output_chars} characters while it was graded)")
    return "\n".join(lines) + "\n"


def _record(submission, exercise, rows, output_chars=0) -> dict:
    feedback = _feedback_text(
        submission.student, exercise, submission.path.name, rows, output_chars
    )
    return {
        "student": submission.student,
        "exercise": exercise,
        "rows": rows,
        "feedback": feedback,
        "source": str(submission.path),
    }


def _invalid_record(submission, message, exercise=None) -> dict:
    if exercise:
        verdicts = _all_tasks_failed(exercise, judge.INVALID, message)
        rows = _rows(submission.student, exercise, verdicts)
    else:
        rows = [
            {
                "student": submission.student,
                "exercise": "",
                "task": "",
                "points": 0,
                "max_points": 0,
                "status": judge.INVALID,
                "feedback": message,
            }
        ]
    return _record(submission, exercise or "unknown", rows)


def grade(
    paths,
    out,
    *,
    jobs: int = 2,
    timeout: float = 30.0,
    force: bool = False,
    seed: int = 0,
    executor: Executor | None = None,
    progress=None,
) -> dict:
    """Grade every submission under `paths` into `out`; return a summary dict."""
    start = time.perf_counter()
    book = Gradebook(Path(out))
    submissions = discover(paths)
    records: dict[int, dict] = {}
    pending = []
    for index, submission in enumerate(submissions):
        data = submission.path.read_bytes()
        key = _key(submission, data, seed)
        saved = None if force else book.load(key)
        if saved is not None:
            records[index] = saved
            continue
        try:
            exercise, cells = read_notebook(submission.path)
        except Invalid as exc:
            exercise = next((e for e in tasks.exercises() if e in submission.path.stem), None)
            records[index] = _invalid_record(submission, str(exc), exercise)
            book.save(key, records[index])
            continue
        job_tasks = [
            {"id": t.id, "call": t.call, "seconds": t.seconds, "probes": t.hidden_probes(seed)}
            for t in tasks.for_exercise(exercise)
        ]
        if not any(cell.strip() for cell in cells):
            record = _record(
                submission,
                exercise,
                _rows(
                    submission.student,
                    exercise,
                    _all_tasks_failed(exercise, judge.INVALID, "the notebook is empty"),
                ),
            )
            records[index] = record
            book.save(key, record)
            continue
        pending.append((index, submission, key, exercise, cells, job_tasks))
    reused = len(records)
    book.write([records[i] for i in sorted(records)])

    own_executor = executor is None
    executor = executor or sandbox.ForkServerExecutor(max_workers=jobs, timeout=timeout)
    try:
        attempts = {p[0]: 0 for p in pending}
        queue = list(pending)
        bar = progress(total=len(pending)) if progress and pending else None
        while queue:
            futures = {}
            for item in queue:
                futures[executor.submit(runner.run_submission, item[4], item[5])] = item
            queue = []
            for future in as_completed(futures):
                index, submission, key, exercise, cells, job_tasks = item = futures[future]
                try:
                    result = future.result()
                except sandbox.WorkerDied:
                    attempts[index] += 1
                    if attempts[index] < 3:
                        queue.append(item)
                        continue
                    verdicts, note = (
                        _all_tasks_failed(
                            exercise, judge.ERROR, "the submission stopped the grading process"
                        ),
                        "",
                    )
                    result = None
                except sandbox.JobFailed as exc:
                    status = judge.TIMEOUT if exc.kind == "timeout" else judge.ERROR
                    message = (
                        f"the notebook did not finish within {timeout:g} s"
                        if status == judge.TIMEOUT
                        else str(exc)
                    )
                    verdicts, note, result = _all_tasks_failed(exercise, status, message), "", None
                if result is not None:
                    verdicts, note = judge_result(exercise, job_tasks, result)
                rows = _rows(submission.student, exercise, verdicts, note)
                output_chars = result.get("output_chars", 0) if isinstance(result, dict) else 0
                records[index] = _record(submission, exercise, rows, output_chars)
                book.save(key, records[index])
                book.write([records[i] for i in sorted(records)])
                if bar:
                    bar.update(1)
        if bar:
            bar.close()
    finally:
        if own_executor:
            executor.shutdown()
    book.write([records[i] for i in sorted(records)])
    statuses: dict[str, int] = {}
    for record in records.values():
        for row in record["rows"]:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    return {
        "submissions": len(submissions),
        "graded": len(pending),
        "reused": reused,
        "seconds": time.perf_counter() - start,
        "statuses": statuses,
        "complete": len(records) == len(submissions),
    }


def main(args) -> int:
    """The `gdcourse grade` command (arguments parsed by gdcourse.cli)."""
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"grade: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.jobs < 1 or args.timeout <= 0:
        print("grade: --jobs must be >= 1 and --timeout > 0", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"grade: --out must be a folder, got the file {out}", file=sys.stderr)
        return 2
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        def progress(total):
            return tqdm(total=total, unit="submission", file=sys.stderr)

    summary = grade(
        args.paths, out, jobs=args.jobs, timeout=args.timeout, force=args.force, progress=progress
    )
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary["statuses"].items()))
    print(
        f"graded {summary['graded']} of {summary['submissions']} submissions "
        f"({summary['reused']} unchanged) in {summary['seconds']:.1f} s; task rows: "
        f"{counts or 'none'}; results in {out}"
    )
    return 0 if summary["complete"] else 1
