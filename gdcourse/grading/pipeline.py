"""`gdcourse grade`: grade a folder of submissions, fast, resumable, and isolated.

The pipeline, one step a function, in the order `grade` runs them:

1. `survey`    every notebook under the given paths, with its student id, and every other
               file or empty folder found there (reported by name, never graded);
   `choose`    read each notebook's exercise (`read_notebook`; `--exercise` claims those
               that name none), and keep one per student and exercise: the latest (file
               modification time, then name); the others, and notebooks of another
               exercise than `--exercise`, are reported by name;
2. `plan`      reuse a saved record when the same file was graded before, or make a `Job`
               with the student's own hidden probes, drawn under the instructor's secret
               (`secret`: only its holder can compute them);
3. `run`       each job in its own forked, limited process (`sandbox`, under
               `child.POLICY`), which only calls the learner's functions on the probes and
               returns plain data;
4. `judge_result`  compare that data with the oracle, here, in the grader's process, with
               the same task definitions as the in-notebook checks, and fail a task whose
               function uses an API the task forbids (`forbidden`, read from the cells);
5. record      each submission's rows and feedback in the `Gradebook` as soon as it
               finishes (saved under a content hash, so a killed run resumes where it
               stopped; appended, so each costs the same however many came before), and
               in the term's history (`term`): grades, totals and feedback are of each
               student's chosen submission over every run into the same results folder.

Nothing done inside a submission can change a grade: it never sees the oracle, and what it
sends back is data that is judged, not code that is run.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from pathlib import Path

from . import child, collect, forbidden, gradebook, judge, runner, sandbox, tasks, term
from . import secret as secret_file
from . import submission as shared
from .collect import ERROR, INVALID, TIMEOUT
from .gradebook import Gradebook, Record, rows_of
from .submission import (
    RESUBMIT,
    UNKNOWN_EXERCISE,
    Invalid,
    exercise_from_name,
    failed_verdicts,
    judge_result,
    read_notebook,
    version_drift,
)

__all__ = [
    "Submission",
    "Skipped",
    "Invalid",
    "Job",
    "survey",
    "choose",
    "discover",
    "read_notebook",
    "task_fingerprint",
    "grade",
    "main",
]

FORMAT_VERSION = "4"  # part of the content hash: bump when grading logic or records change
RETRIES = 3  # attempts per submission when the grading server itself dies


@dataclass(frozen=True)
class Submission:
    path: Path
    student: str


@dataclass(frozen=True)
class Job:
    """One submission to run: its code cells and, per task, the probes to call it on."""

    submission: Submission
    key: str  # content hash: where its record is saved
    exercise: str
    cells: list[str]
    tasks: list[dict]  # {"id", "call", "seconds", "probes"}: plain data for the child
    about: str = ""  # said once in the feedback: how the notebook was read


@dataclass(frozen=True)
class Skipped:
    """A file or folder found under the paths and not graded, with why (said by name)."""

    path: Path
    student: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


# ------------------------------------------------------------------ 1. discover


def survey(paths) -> tuple[list[Submission], list[Skipped]]:
    """Every notebook under the given files and folders, with its student id (the first
    folder under a given folder, else the file's name), and every other file and every
    empty folder, as Skipped. Jupyter's own `.ipynb_checkpoints` folders are left out."""
    found, skipped = [], []
    for given in map(Path, paths):
        if given.is_file():
            found.append(Submission(given, given.stem))
            continue
        for path in sorted(given.rglob("*")):
            relative = path.relative_to(given)
            if ".ipynb_checkpoints" in relative.parts:
                continue
            student = relative.parts[0] if len(relative.parts) > 1 else path.stem
            if path.is_dir():
                if not any(path.iterdir()):
                    skipped.append(Skipped(path, relative.parts[0], "an empty folder"))
            elif path.suffix == ".ipynb":
                found.append(Submission(path, student))
            else:
                reason = "not a notebook (.ipynb), so not graded"
                if path.suffix == ".py":
                    reason += ": ask for the .ipynb file (File ▸ Download in JupyterLab)"
                skipped.append(Skipped(path, student, reason))
    return found, skipped


def discover(paths) -> list[Submission]:
    """Every notebook under the given files and folders, with its student id."""
    return survey(paths)[0]


# ------------------------------------------------------------------ 2. plan


@functools.cache
def task_fingerprint(exercise: str | None) -> str:
    """A hash of an exercise's task definitions: their module's source and the machinery a
    judgement depends on (the registry, the comparisons, the forbidden-API rule, the judge,
    what the child collects and how rows are written).

    It is part of each saved result's key, so correcting a task (an oracle, a probe, points,
    a tolerance) and grading again regrades exactly the submissions of that exercise.
    """
    if not exercise:
        return ""
    digest = hashlib.sha256()
    machinery = (
        tasks.__name__,
        f"{tasks.__name__}.comparisons",
        forbidden.__name__,
        judge.__name__,
        collect.__name__,
        child.__name__,
        runner.__name__,
        shared.__name__,
        gradebook.__name__,
    )
    for name in (*machinery, f"{tasks.__name__}.ex{exercise}"):
        spec = importlib.util.find_spec(name)
        digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:16]


def _key(submission: Submission, data: bytes, secret: bytes, exercise: str | None) -> str:
    """Where a submission's record is saved: changes with the file, the exercise it is graded
    as (read or claimed), its task definitions and the secret (by its fingerprint), so a
    new secret regrades everything."""
    digest = hashlib.sha256()
    parts = (
        FORMAT_VERSION,
        secret_file.fingerprint(secret),
        submission.student,
        submission.path.name,
        exercise or "",
    )
    for part in (*parts, task_fingerprint(exercise)):
        digest.update(part.encode() + b"\0")
    digest.update(data)
    return digest.hexdigest()[:32]


def _record(
    submission: Submission, exercise: str, verdicts, note="", output_chars=0, about=""
) -> Record:
    """`about` is said once above the tasks in the feedback (how the notebook was read)."""
    rows = rows_of(submission.student, exercise, verdicts, note)
    lead = " ".join(part for part in (about, note) if part)
    return Record(submission.student, exercise, str(submission.path), rows, output_chars, lead)


def _invalid_record(submission: Submission, message: str, exercise: str = "") -> Record:
    if exercise:
        return _record(submission, exercise, failed_verdicts(exercise, INVALID, message))
    row = rows_of(submission.student, "", [judge.Verdict("", "", INVALID, 0, 0, message)])
    return Record(submission.student, "", str(submission.path), row)


@dataclass(frozen=True)
class Candidate:
    """A notebook found, read: the exercise it is graded as ("" if none), its cells or why
    it cannot be graded, and its modification time (the submission time)."""

    submission: Submission
    exercise: str
    cells: list[str] | None
    problem: str  # why it cannot be graded ("" when it can)
    claimed: bool  # graded as --exercise because it names no exercise itself
    mtime_ns: int


def _read(submission: Submission, claim: str | None) -> Candidate:
    mtime = submission.path.stat().st_mtime_ns
    try:
        exercise, cells = read_notebook(submission.path)
        return Candidate(submission, exercise, cells, "", False, mtime)
    except Invalid as exc:
        if not str(exc).startswith("unknown exercise"):
            named = exercise_from_name(submission.path) or claim or ""
            problem = f"{exc}: {RESUBMIT}."
            return Candidate(submission, named, None, problem, False, mtime)
    if claim:
        _, cells = read_notebook(submission.path, claim)
        return Candidate(submission, claim, cells, "", True, mtime)
    return Candidate(submission, "", None, f"unknown exercise: {UNKNOWN_EXERCISE}", False, mtime)


def choose(submissions, claim: str | None = None) -> tuple[list[Candidate], list[Skipped]]:
    """One notebook per student and exercise, and what was left out, each with why.

    The one kept is the latest: by modification time, then by file name. With `claim`
    (`--exercise`), notebooks of another exercise are left out, and one that names no
    exercise is graded as `claim`. A notebook that names no exercise, without `claim`, is
    kept on its own (it is reported as invalid, with what to do).
    """
    groups: dict[tuple[str, str], list[Candidate]] = {}
    skipped = []
    for submission in submissions:
        candidate = _read(submission, claim)
        if claim and candidate.exercise not in ("", claim):
            reason = f"a notebook of exercise {candidate.exercise}, not {claim}: not graded now"
            skipped.append(Skipped(submission.path, submission.student, reason))
            continue
        group = candidate.exercise or f"?{submission.path}"
        groups.setdefault((submission.student, group), []).append(candidate)
    kept = []
    for group in groups.values():
        group.sort(key=lambda c: (c.mtime_ns, c.submission.path.name))
        latest = group[-1]
        kept.append(latest)
        for older in group[:-1]:
            reason = (
                f"an older submission of {latest.exercise} by {latest.submission.student} "
                f"(by modification time, then name): only {latest.submission.path.name} is graded"
            )
            skipped.append(Skipped(older.submission.path, older.submission.student, reason))
    kept.sort(key=lambda c: str(c.submission.path))
    return kept, skipped


def plan(submission: Submission | Candidate, book: Gradebook, *, secret: bytes, force: bool):
    """A saved or immediate Record for the submission, or the Job that will grade it.

    Returns (key, Record or Job, whether the record is a saved one).
    """
    candidate = submission if isinstance(submission, Candidate) else _read(submission, None)
    submission = candidate.submission
    exercise = candidate.exercise
    data = submission.path.read_bytes()
    key = _key(submission, data, secret, exercise)
    if candidate.problem:
        return key, _invalid_record(submission, candidate.problem, exercise), False
    cells = candidate.cells
    about = ""
    if candidate.claimed:
        about = (
            f"This notebook has no exercise id; your instructor graded it as {exercise}. "
            f"Next time, work in the exercise notebook from exercises/."
        )
    drift = version_drift(data, exercise)
    about = " ".join(part for part in (about, drift) if part)
    saved = None if force else book.load(key)
    if saved is not None:
        return key, saved, True
    if not any(cell.strip() for cell in cells):
        message = f"the notebook is empty (no code in its cells): {RESUBMIT}."
        verdicts = failed_verdicts(exercise, INVALID, message)
        return key, _record(submission, exercise, verdicts, about=about), False
    job_tasks = [
        {
            "id": t.id,
            "call": t.call,
            "seconds": t.seconds,
            "probes": t.hidden_probes(secret, submission.student),
        }
        for t in tasks.for_exercise(exercise)
    ]
    return key, Job(submission, key, exercise, cells, job_tasks, about), False


# ------------------------------------------------------------------ 3. run, 4. judge


def _outcome(job: Job, future, timeout: float) -> Record:
    """The record of a finished job (raises sandbox.WorkerDied for a retry)."""
    try:
        result = future.result()
    except sandbox.JobFailed as exc:
        if exc.kind == "timeout":
            where = str(exc).partition("(it was running ")[2].rstrip(")")
            message = f"the notebook did not finish within {timeout:g} s"
            verdicts = failed_verdicts(
                job.exercise, TIMEOUT, f"{message} (in {where})" if where else message
            )
        else:
            verdicts = failed_verdicts(job.exercise, ERROR, str(exc))
        return _record(job.submission, job.exercise, verdicts, about=job.about)
    verdicts, note = judge_result(job.exercise, job.tasks, result, job.cells)
    output_chars = result.get("output_chars", 0) if isinstance(result, dict) else 0
    return _record(job.submission, job.exercise, verdicts, note, int(output_chars), about=job.about)


def run(jobs: list[Job], executor: Executor, *, timeout: float, on_record: Callable) -> None:
    """Run every job on the executor; call `on_record(job, record)` as each one finishes.

    A job whose server died is retried (the server restarts); after RETRIES attempts its
    tasks are recorded as errors.
    """
    attempts = dict.fromkeys((job.key for job in jobs), 0)
    queue = list(jobs)
    while queue:
        futures = {executor.submit(child.run_submission, j.cells, j.tasks): j for j in queue}
        queue = []
        for future in as_completed(futures):
            job = futures[future]
            try:
                record = _outcome(job, future, timeout)
            except sandbox.WorkerDied:
                attempts[job.key] += 1
                if attempts[job.key] < RETRIES:
                    queue.append(job)
                    continue
                message = "the submission stopped the grading process"
                verdicts = failed_verdicts(job.exercise, ERROR, message)
                record = _record(job.submission, job.exercise, verdicts, about=job.about)
            on_record(job, record)


# ------------------------------------------------------------------ the whole pipeline


def grade(
    paths,
    out,
    *,
    secret: bytes,
    jobs: int = 2,
    timeout: float = 30.0,
    force: bool = False,
    executor: Executor | None = None,
    progress=None,
    exercise: str | None = None,
    deadline: str | None = None,
    late_penalty: str | None = None,
    choose_rule: str | None = None,
) -> dict:
    """Grade the submissions under `paths` into the term's results folder `out`; return a
    summary dict.

    `secret` is the instructor's secret (`secret.load`): each student's hidden probes, and
    the keys of the saved results, depend on it. `exercise` grades one assignment (see
    `choose`); `deadline`, `late_penalty` and `choose_rule` are stored with the exercises
    graded now (`term.Policy`) and apply to every run's submissions of them.
    """
    start = time.perf_counter()
    book = Gradebook(Path(out))
    submissions, skipped = survey(paths)
    candidates, left_out = choose(submissions, exercise)
    skipped += left_out
    policy = {"deadline": deadline, "late_penalty": late_penalty, "choose": choose_rule}
    for name in sorted({c.exercise for c in candidates} | ({exercise} if exercise else set())):
        book.term.assign(name, **policy)
    records: dict[str, Record] = {}
    entries: dict[str, tuple[Candidate, str]] = {}  # key -> (candidate, its content hash)
    pending: list[Job] = []
    reused = invalid = 0
    graded_at = term.now()

    def entry(candidate: Candidate, sha: str, key: str, record: Record) -> term.Entry:
        return term.Entry(
            student=record.student,
            exercise=record.exercise,
            file=str(candidate.submission.path),
            submitted=term.submitted_at(candidate.submission.path),
            sha256=sha,
            key=key,
            graded=graded_at,
            points=sum(float(r.points) for r in record.rows),
            max_points=sum(float(r.max_points) for r in record.rows),
        )

    for candidate in candidates:
        key, planned, was_saved = plan(candidate, book, secret=secret, force=force)
        if key in entries:  # the same file, for the same student, found twice: grade it once
            continue
        sha = hashlib.sha256(candidate.submission.path.read_bytes()).hexdigest()
        entries[key] = (candidate, sha)
        if isinstance(planned, Job):
            pending.append(planned)
            continue
        records[key] = planned
        reused += was_saved
        invalid += not was_saved
        book.save(key, planned)
        book.term.add(entry(candidate, sha, key, planned))

    book.start()
    bar = progress(total=len(pending)) if progress and pending else None

    def finished(job: Job, record: Record) -> None:
        records[job.key] = record
        book.save(job.key, record)
        book.add(entry(*entries[job.key], job.key, record), record)
        if bar:
            bar.update(1)

    own_executor = executor is None
    if own_executor:
        executor = sandbox.ForkServerExecutor(child.POLICY, max_workers=jobs, timeout=timeout)
    if pending and isinstance(executor, sandbox.ForkServerExecutor):
        for line in child.unenforced_here() + executor.unenforced:
            print(f"grade: not enforced on this machine: {line}", file=sys.stderr)
    elif pending and hasattr(executor, "unenforced"):  # a cluster's workers (`cluster`)
        for line in executor.unenforced:
            print(f"grade: not enforced on this machine: {line}", file=sys.stderr)
    warnings = [str(s) for s in skipped]
    try:
        run(pending, executor, timeout=timeout, on_record=finished)
    finally:  # an interrupted run still leaves sorted grades and totals of what finished
        book.finish(warnings)
        if bar:
            bar.close()
        if own_executor:
            executor.shutdown()
    statuses: dict[str, int] = {}
    for record in records.values():
        for row in record.rows:
            statuses[row.status] = statuses.get(row.status, 0) + 1
    return {
        "submissions": len(submissions),
        "graded": len(pending),
        "reused": reused,
        "invalid": invalid,
        "skipped": skipped,
        "seconds": time.perf_counter() - start,
        "statuses": statuses,
        "complete": len(records) == len(entries),
    }


def main(
    *,
    paths,
    out,
    jobs: int = 2,
    timeout: float = 30.0,
    force: bool = False,
    secret=None,
    exercise=None,
    deadline=None,
    late_penalty=None,
    choose=None,
    scheduler=None,
    dask=None,
) -> int:
    """The `gdcourse grade` command: check the arguments, grade, print a summary line.

    `secret` is the file given with --secret (None: the default one, created on first use);
    where it lives goes to stderr, as does every file not graded (with why), so stdout
    keeps its one summary line. `scheduler` (a Dask scheduler's address) or `dask` (a
    local cluster of that many worker processes) runs the submissions on Dask
    (`cluster`); everything else is the same.
    """
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"grade: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    if jobs < 1 or timeout <= 0:
        print("grade: --jobs must be >= 1 and --timeout > 0", file=sys.stderr)
        return 2
    if scheduler and dask is not None or dask is not None and dask < 1:
        print("grade: give --scheduler ADDRESS or --dask N (N >= 1), not both", file=sys.stderr)
        return 2
    on_dask = bool(scheduler) or dask is not None
    if on_dask and importlib.util.find_spec("distributed") is None:
        print(
            "grade: --scheduler and --dask need Dask: pip install -c constraints.txt -e '.[dask]'",
            file=sys.stderr,
        )
        return 2
    if exercise is not None and exercise not in tasks.exercises():
        known = ", ".join(tasks.exercises())
        print(f"grade: --exercise {exercise!r} is not one of {known}", file=sys.stderr)
        return 2
    if choose is not None and choose not in term.CHOICES:
        print(f"grade: --choose must be one of {', '.join(term.CHOICES)}", file=sys.stderr)
        return 2
    try:
        deadline = term.parse_deadline(deadline) if deadline else None
        if late_penalty is not None:
            term.parse_penalty(late_penalty)
    except ValueError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    out = Path(out)
    if out.exists() and not out.is_dir():
        print(f"grade: --out must be a folder, got the file {out}", file=sys.stderr)
        return 2
    try:
        key = secret_file.load(secret, outside=(secret_file.COURSE, out, *paths))
    except secret_file.SecretError as exc:
        print(f"grade: {exc}", file=sys.stderr)
        return 2
    print(
        f"grade: hidden probes come from the secret in {key.path}"
        f"{' (created now)' if key.created else ''}; keep it, or resumed runs regrade "
        "everything",
        file=sys.stderr,
    )
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        def progress(total):
            return tqdm(total=total, unit="submission", file=sys.stderr)

    options = dict(
        secret=key.key,
        jobs=jobs,
        timeout=timeout,
        force=force,
        progress=progress,
        exercise=exercise,
        deadline=deadline,
        late_penalty=late_penalty,
        choose_rule=choose,
    )
    if on_dask:
        from . import cluster

        with cluster.connect(scheduler=scheduler, workers=dask) as client:
            executor = cluster.DaskExecutor(client, timeout=timeout)
            summary = grade(paths, out, executor=executor, **options)
    else:
        summary = grade(paths, out, **options)
    for skipped in summary["skipped"]:
        print(f"grade: not graded: {skipped}", file=sys.stderr)
    counts = ", ".join(f"{n} {s}" for s, n in sorted(summary["statuses"].items()))
    print(
        f"graded {summary['graded']} of {summary['submissions']} submissions "
        f"({summary['reused']} unchanged, {summary['invalid']} unreadable or of no exercise, "
        f"{len(summary['skipped'])} files not graded: see above) in "
        f"{summary['seconds']:.1f} s; task rows: {counts or 'none'}; results in {out} "
        "(summary.html)"
    )
    return 0 if summary["complete"] else 1
