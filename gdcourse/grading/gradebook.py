"""The gradebook: one record per graded submission, and the files instructors read.

A `Record` holds a submission's `Row`s (one per task, the columns of grades.csv) and its
feedback text. Records are saved one JSON file each under `OUT/.results/`, keyed by the
submission's content hash, as soon as each submission is graded, so a killed run resumes;
during a run `Gradebook.add` appends each finished submission's rows to `grades.csv` and
writes its feedback file (linear in the class size), and `Gradebook.finish` sorts
`grades.csv` and writes `totals.csv` at the end, or when the run is interrupted.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

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


GRADES_COLUMNS = [f.name for f in fields(Row)]
TOTALS_COLUMNS = ["student", "points", "max_points"]


@dataclass(frozen=True)
class Record:
    """Everything saved for one graded submission."""

    student: str
    exercise: str
    source: str  # the notebook's path
    rows: list[Row] = field(default_factory=list)
    output_chars: int = 0  # what the notebook printed while it was graded

    @property
    def feedback(self) -> str:
        """The feedback file's text."""
        lines = [
            f"Feedback for {self.student} on exercise {self.exercise}",
            f"(submission: {Path(self.source).name})",
            "",
        ]
        for r in self.rows:
            mark = "✓" if r.status == "passed" else "✗"
            score = f"{points_text(r.points)}/{points_text(r.max_points)}"
            lines.append(f"{mark} {r.task}: {r.status}, {score} points")
            if r.feedback:
                lines.append(f"    {r.feedback}")
        total = sum(float(r.points) for r in self.rows)
        top = sum(float(r.max_points) for r in self.rows)
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
    """The grades.csv rows for a submission's verdicts (`note`: the notebook's own error)."""
    rows = []
    for v in verdicts:
        # details are the learner's own error message and line (judged without probe values)
        details = " ".join(d for d in v.details if d)[:300]
        feedback = " ".join(part for part in (v.hint, details, note) if part)
        status = CSV_STATUS.get(v.status, v.status)
        rows.append(Row(student, exercise, v.task, v.points, v.max_points, status, feedback))
    return rows


class Gradebook:
    """Saved records (one JSON file per submission) and the CSV and feedback files."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.state = self.out / RESULTS
        self.state.mkdir(parents=True, exist_ok=True)

    def load(self, key: str) -> Record | None:
        """The record saved under `key`, or None (never saved, or unreadable)."""
        return _read_record(self.state / f"{key}.json")

    def save(self, key: str, record: Record) -> None:
        _atomic_write(self.state / f"{key}.json", record.to_json())

    def start(self, records: list[Record]) -> None:
        """Begin a run: grades.csv holds the records known so far, each with its feedback file.

        During the run `add` appends to it, so each finished submission costs the same however
        many came before; `finish` sorts it and writes the totals.
        """
        self._write_grades(records, sort=False)
        for record in records:
            self._write_feedback(record)

    def add(self, record: Record) -> None:
        """A submission just finished: append its rows and write its feedback file, once."""
        with (self.out / "grades.csv").open("a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, fieldnames=GRADES_COLUMNS).writerows(asdict(r) for r in record.rows)
        self._write_feedback(record)

    def finish(self, records: list[Record]) -> None:
        """End a run (also an interrupted one): grades.csv sorted, totals.csv from all records."""
        rows = self._write_grades(records, sort=True)
        totals: dict[str, list[float]] = {}
        for row in rows:
            pair = totals.setdefault(row.student, [0.0, 0.0])
            pair[0] += float(row.points)
            pair[1] += float(row.max_points)
        _atomic_csv(
            self.out / "totals.csv",
            TOTALS_COLUMNS,
            [
                {"student": s, "points": points_text(p), "max_points": points_text(m)}
                for s, (p, m) in sorted(totals.items())
            ],
        )

    def _write_grades(self, records: list[Record], *, sort: bool) -> list[Row]:
        rows = [row for record in records for row in record.rows]
        if sort:
            rows.sort(key=lambda r: (r.student, r.exercise))
        _atomic_csv(self.out / "grades.csv", GRADES_COLUMNS, [asdict(r) for r in rows])
        return rows

    def _write_feedback(self, record: Record) -> None:
        folder = self.out / "feedback" / _safe(record.student)
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / f"{_safe(record.exercise)}.txt", record.feedback)


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
