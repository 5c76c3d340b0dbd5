"""The gradebook: one record per graded submission, and the files instructors read.

A `Record` holds a submission's `Row`s (one per task, the columns of grades.csv) and its
feedback text. Records are saved one JSON file each under `OUT/.results/`, keyed by the
submission's content hash, as soon as each submission is graded, so a killed run resumes.
The term's history (`term.Store`: every submission graded into OUT, and the assignments'
deadlines) says which record counts for each student and exercise: the *chosen* one.
During a run `Gradebook.add` appends each finished submission's rows to `grades.csv` and
writes its feedback file (linear in the class size); `Gradebook.finish`, at the end or
when the run is interrupted, writes `grades.csv` (sorted, the chosen submissions of the
whole term), `totals.csv` (fixed maxima: the assignments' points), the feedback files
that changed, the class summary (`summary`) and the history.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import summary, term
from .collect import NOT_IMPLEMENTED
from .judge import points_text

__all__ = [
    "GRADES_COLUMNS",
    "TOTALS_COLUMNS",
    "RESULTS",
    "Row",
    "Record",
    "Gradebook",
    "rows_of",
    "is_results",
    "saved_records",
]

CSV_STATUS = {NOT_IMPLEMENTED: "failed"}  # grades.csv knows five statuses
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
RESULTS = ".results"  # the folder under OUT that holds one saved record per submission


@dataclass(frozen=True)
class Row:
    """One task of one submission: a line of grades.csv."""

    student: str
    exercise: str
    task: str
    points: float
    max_points: float
    status: str  # passed, failed, error, timeout or invalid
    feedback: str  # the hint and the learner's own error line; never a hidden probe's value


# grades.csv: a Row, then which file it came from, when, and how late (days, if late)
GRADES_COLUMNS = [f.name for f in fields(Row)] + ["file", "submitted", "late"]
TOTALS_COLUMNS = ["student", "points", "max_points"]  # then one column per assignment


@dataclass(frozen=True)
class Record:
    """Everything saved for one graded submission."""

    student: str
    exercise: str  # "" for a notebook that names no known exercise
    source: str  # the notebook's path
    rows: list[Row] = field(default_factory=list)
    output_chars: int = 0  # what the notebook printed while it was graded
    note: str = ""  # about the whole notebook: its own first error, or how it was read

    @property
    def feedback(self) -> str:
        """The feedback file's text (without the submission time and lateness)."""
        return self.feedback_text()

    def feedback_text(self, submitted: str = "", late: str = "", keep: float = 1.0) -> str:
        """The feedback file's text: `submitted` and `late` are said under the heading, and
        `keep` is the fraction of points kept after a late penalty."""
        name = Path(self.source).name
        what = f"exercise {self.exercise}" if self.exercise else name
        when = f", submitted {submitted[:16].replace('T', ' ')} UTC" if submitted else ""
        lines = [f"Feedback for {self.student} on {what}", f"(submission: {name}{when})"]
        if late:
            lines.append(late)
        lines.append("")
        if self.note:
            lines += [self.note, ""]
        for r in self.rows:
            mark = "✓" if r.status == "passed" else "✗"
            score = f"{points_text(r.points)}/{points_text(r.max_points)}"
            lines.append(f"{mark} {r.task or name}: {r.status}, {score} points")
            own = r.feedback.replace(self.note, "").strip() if self.note else r.feedback
            if own:
                lines.append(f"    {own}")
        total = sum(float(r.points) for r in self.rows)
        top = sum(float(r.max_points) for r in self.rows)
        if keep < 1:
            lines += [
                "",
                f"Points before the late penalty: {points_text(total)}/{points_text(top)}",
                f"Total: {points_text(total * keep)}/{points_text(top)} points",
            ]
        else:
            lines += ["", f"Total: {points_text(total)}/{points_text(top)} points"]
        if self.output_chars:
            lines.append(
                f"(the notebook printed {self.output_chars} characters while it was graded)"
            )
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = json.loads(text)
        data["rows"] = [Row(**row) for row in data["rows"]]
        return cls(**data)


def rows_of(student: str, exercise: str, verdicts, note: str = "") -> list[Row]:
    """The grades.csv rows for a submission's verdicts.

    `note` (the notebook's own first error) is added to the rows of tasks that did not
    pass, once: not where the task's own feedback already says it, and not under a task
    that passed (the feedback file says it once, above the tasks).
    """
    rows = []
    for v in verdicts:
        # details are the learner's own error message and line (judged without probe values)
        details = " ".join(d for d in v.details if d)[:300]
        parts = [v.hint]
        if details and details not in v.hint:
            parts.append(details)
        if note and v.status != "passed" and not any(note in p for p in parts):
            parts.append(note)
        feedback = " ".join(part for part in parts if part)
        status = CSV_STATUS.get(v.status, v.status)
        rows.append(Row(student, exercise, v.task, v.points, v.max_points, status, feedback))
    return rows


class Gradebook:
    """Saved records (one JSON file per submission), the term's history, and the CSV,
    feedback and summary files."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.state = self.out / RESULTS
        self.state.mkdir(parents=True, exist_ok=True)
        self.term = term.Store(self.out)
        self._records: dict[str, Record] = {}

    def load(self, key: str) -> Record | None:
        """The record saved under `key`, or None (never saved, or unreadable)."""
        if key not in self._records:
            record = _read_record(self.state / f"{key}.json")
            if record is None:
                return None
            self._records[key] = record
        return self._records[key]

    def save(self, key: str, record: Record) -> None:
        _atomic_write(self.state / f"{key}.json", record.to_json())
        self._records[key] = record

    def chosen(self) -> list[tuple[term.Entry, Record]]:
        """The submission that counts per student and exercise, with its record, sorted."""
        pairs = []
        for _, entry in sorted(self.term.chosen().items()):
            record = self.load(entry.key)
            if record is not None:
                pairs.append((entry, record))
        return pairs

    def start(self) -> None:
        """Begin a run: grades.csv holds the term's chosen submissions so far.

        During the run `add` appends to it, so each finished submission costs the same however
        many came before; `finish` sorts it, keeps only the chosen ones, writes the totals.
        """
        self._write_grades(self.chosen())

    def add(self, entry: term.Entry, record: Record) -> None:
        """A submission just graded (or read): into the history; its rows appended to
        grades.csv and its feedback file written, once."""
        self.term.add(entry)
        with (self.out / "grades.csv").open("a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, fieldnames=GRADES_COLUMNS).writerows(self._rows(entry, record))
        self._write_feedback(record, self._feedback(entry, record))

    def finish(self, warnings=()) -> None:
        """End a run (also an interrupted one): the history, grades.csv (sorted, the chosen
        submissions), totals.csv, the feedback files that changed, the class summary."""
        self.term.save()
        chosen = self.chosen()
        self._write_grades(chosen)
        for entry, record in chosen:
            text = self._feedback(entry, record)
            path = self._feedback_path(record)
            try:
                unchanged = path.read_text(encoding="utf-8") == text
            except OSError:
                unchanged = False
            if not unchanged:
                self._write_feedback(record, text)
        self._write_totals(chosen)
        summary.write(self.out, chosen, warnings)

    def _write_grades(self, chosen) -> None:
        rows = [row for entry, record in chosen for row in self._rows(entry, record)]
        _atomic_csv(self.out / "grades.csv", GRADES_COLUMNS, rows)

    def _keep(self, entry: term.Entry) -> tuple[float, float]:
        """(days late, fraction of the points kept) under the assignment's policy."""
        policy = self.term.policy(entry.exercise)
        days = policy.days_late(entry.submitted)
        return days, 1.0 - policy.penalty(days)

    def _rows(self, entry: term.Entry, record: Record) -> list[dict]:
        days, keep = self._keep(entry)
        rows = []
        for r in record.rows:
            row = asdict(r)
            row["points"] = points_text(float(r.points) * keep)
            row["max_points"] = points_text(r.max_points)
            row.update(file=entry.file, submitted=entry.submitted, late=_days(days))
            rows.append(row)
        return rows

    def _feedback(self, entry: term.Entry, record: Record) -> str:
        days, keep = self._keep(entry)
        late = ""
        if days > 0:
            policy = self.term.policy(entry.exercise)
            late = f"Late by {_days(days)} days (the deadline was {policy.deadline})"
            late += f": {points_text(100 * (1 - keep))}% off." if keep < 1 else "."
        return record.feedback_text(entry.submitted, late, keep)

    def _write_totals(self, chosen) -> None:
        assignments = sorted(self.term.assignments)
        maxima = {e: term.max_points(e) for e in assignments}
        got: dict[str, dict[str, float]] = {}
        for entry in self.term.entries:
            got.setdefault(entry.student, {})
        for entry, record in chosen:
            if entry.exercise in maxima:
                _, keep = self._keep(entry)
                points = sum(float(r.points) for r in record.rows) * keep
                got[entry.student][entry.exercise] = points
        rows = []
        for student, scores in sorted(got.items()):
            row = {
                "student": student,
                "points": points_text(sum(scores.values())),
                "max_points": points_text(sum(maxima.values())),
            }
            row.update({e: points_text(scores[e]) if e in scores else "" for e in assignments})
            rows.append(row)
        _atomic_csv(self.out / "totals.csv", TOTALS_COLUMNS + assignments, rows)

    def _feedback_path(self, record: Record) -> Path:
        folder = self.out / "feedback" / _safe(record.student)
        if record.exercise:
            return folder / f"{_safe(record.exercise)}.txt"
        return folder / f"unknown-{_safe(Path(record.source).stem)}.txt"

    def _write_feedback(self, record: Record, text: str) -> None:
        path = self._feedback_path(record)
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, text)


def _days(days: float) -> str:
    return f"{days:.2f}" if days > 0 else ""


def is_results(folder: Path) -> bool:
    """Whether `folder` is a results folder (`gdcourse grade --out`), not submissions."""
    return (Path(folder) / RESULTS).is_dir()


def saved_records(out: Path) -> list[Record]:
    """Every readable record saved under a results folder, in file-name order.

    A submission changed and graded again has a record for each version, all with the same
    `source` path.
    """
    records = map(_read_record, sorted((Path(out) / RESULTS).glob("*.json")))
    return [record for record in records if record is not None]


def _read_record(path: Path) -> Record | None:
    try:
        return Record.from_json(path.read_text())
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _safe(name: str) -> str:
    return _SAFE.sub("_", name) or "_"


_atomic_write = term.atomic_write
_atomic_csv = term.write_csv
