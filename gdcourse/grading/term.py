"""The results store for a term: every submission graded into one `--out`, and which counts.

`gdcourse grade` grades one run's notebooks, but an instructor grades a term: week 8 into
`results/`, then week 9 into the same `results/`, then a late resubmission of week 8. The
`Store` keeps, under OUT:

- `history.csv`: one line per submission ever graded there (student, exercise, file,
  its modification time as the submission time, a hash of its content, where its record
  is saved, its points), so a resubmission adds a line and nothing is lost;
- `assignments.json`: the exercises graded there (the assignments, whose fixed maxima make
  the totals), each with its deadline, late penalty and choice rule, as the last run that
  graded it with `--deadline`, `--late-penalty` or `--choose` set them.

Per student and exercise the *chosen* submission is the one the grades, the totals, the
feedback and so the LMS export use: the latest (submission time, then file name, then the
one graded last), or with `--choose best` the one with most points (then the latest).
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from . import tasks

__all__ = [
    "HISTORY_COLUMNS",
    "Entry",
    "Policy",
    "Store",
    "parse_deadline",
    "parse_penalty",
    "submitted_at",
    "max_points",
]

CHOICES = ("latest", "best")
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Entry:
    """One graded submission in the term's history (a line of history.csv)."""

    student: str
    exercise: str  # "" for a notebook that names no known exercise
    file: str  # the path as given to `grade`
    submitted: str  # ISO time, UTC: the file's modification time
    sha256: str  # of the file's content: the same file seen again is the same entry
    key: str  # where its Record is saved (OUT/.results/KEY.json)
    graded: str  # ISO time, UTC, of the run that graded it last
    points: float
    max_points: float

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.student, self.exercise, self.file, self.sha256)


HISTORY_COLUMNS = [f.name for f in fields(Entry)] + ["chosen"]


@dataclass(frozen=True)
class Policy:
    """How an assignment counts: deadline, late penalty, which submission is chosen."""

    deadline: str | None = None  # ISO time with its zone
    late_penalty: str | None = None  # "0.1/day" (each day or part of one) or "0.25" (fixed)
    choose: str = "latest"

    def days_late(self, submitted: str) -> float:
        """Days after the deadline (0 when on time or without a deadline)."""
        if not self.deadline or not submitted:
            return 0.0
        late = datetime.fromisoformat(submitted) - datetime.fromisoformat(self.deadline)
        return max(0.0, late.total_seconds() / SECONDS_PER_DAY)

    def penalty(self, days_late: float) -> float:
        """The fraction of points taken off for work `days_late` days late (0 to 1)."""
        if days_late <= 0 or not self.late_penalty:
            return 0.0
        fraction, per_day = parse_penalty(self.late_penalty)
        return min(1.0, fraction * math.ceil(days_late) if per_day else fraction)


def parse_deadline(text: str) -> str:
    """An ISO time as stored: with its zone (a time without one is this machine's local)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--deadline must be an ISO time such as 2026-12-11T17:00 or "
            f"2026-12-11T17:00+01:00, got {text!r}"
        ) from None
    return moment.astimezone().isoformat() if moment.tzinfo is None else moment.isoformat()


def parse_penalty(text: str) -> tuple[float, bool]:
    """(fraction, per day) from "0.1/day" or "0.25"; ValueError unless 0 <= fraction <= 1."""
    number, slash, unit = str(text).partition("/")
    try:
        fraction = float(number)
    except ValueError:
        fraction = math.nan
    if (slash and unit.strip() != "day") or not 0 <= fraction <= 1:
        raise ValueError(
            "--late-penalty must be a fraction from 0 to 1, taken off once (0.25) or for "
            f"each day or part of one (0.1/day), got {text!r}"
        )
    return fraction, bool(slash)


def submitted_at(path: Path) -> str:
    """A submission's time: its file's modification time, as an ISO time in UTC."""
    moment = datetime.fromtimestamp(Path(path).stat().st_mtime_ns / 1e9, UTC)
    return moment.isoformat(timespec="microseconds")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def max_points(exercise: str) -> float:
    """An exercise's maximum: the points of its tasks, the same for every student."""
    return float(sum(t.points for t in tasks.for_exercise(exercise))) if exercise else 0.0


class Store:
    """history.csv and assignments.json under a results folder."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.entries: list[Entry] = _read_history(self.out / "history.csv")
        path = self.out / "assignments.json"
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        self.assignments: dict[str, Policy] = {
            exercise: Policy(**policy) for exercise, policy in saved.items()
        }

    def assign(self, exercise: str, **changes) -> None:
        """Make `exercise` an assignment of the term; set what `changes` give (not None)."""
        if not exercise:
            return
        policy = asdict(self.assignments.get(exercise, Policy()))
        policy.update({k: v for k, v in changes.items() if v is not None})
        self.assignments[exercise] = Policy(**policy)

    def policy(self, exercise: str) -> Policy:
        return self.assignments.get(exercise, Policy())

    def add(self, entry: Entry) -> None:
        """Record a graded submission: a new line, or the same file's line brought up to date
        (regraded after a task changed, or under another secret)."""
        for i, old in enumerate(self.entries):
            if old.identity == entry.identity:
                self.entries[i] = entry
                return
        self.entries.append(entry)

    def chosen(self) -> dict[tuple[str, str], Entry]:
        """The submission that counts, per (student, exercise); an unknown notebook counts
        on its own (keyed by its file)."""
        groups: dict[tuple[str, str], list[tuple[int, Entry]]] = {}
        for order, entry in enumerate(self.entries):
            exercise = entry.exercise or f"?{entry.file}"
            groups.setdefault((entry.student, exercise), []).append((order, entry))
        chosen = {}
        for (student, exercise), group in groups.items():
            rule = self.policy(exercise).choose

            def latest(item):
                order, entry = item
                return (entry.submitted, Path(entry.file).name, order)

            if rule == "best":
                pick = max(group, key=lambda item: (item[1].points, latest(item)))
            else:
                pick = max(group, key=latest)
            chosen[(student, exercise)] = pick[1]
        return chosen

    def save(self) -> None:
        chosen = {id(e) for e in self.chosen().values()}
        rows = []
        for entry in sorted(self.entries, key=lambda e: (e.student, e.exercise, e.submitted)):
            row = asdict(entry)
            row["chosen"] = "yes" if id(entry) in chosen else ""
            rows.append(row)
        write_csv(self.out / "history.csv", HISTORY_COLUMNS, rows)
        text = json.dumps({e: asdict(p) for e, p in sorted(self.assignments.items())}, indent=1)
        atomic_write(self.out / "assignments.json", text + "\n")


def _read_history(path: Path) -> list[Entry]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError:
        return []
    entries = []
    for row in rows:
        row.pop("chosen", None)
        try:
            row["points"], row["max_points"] = float(row["points"]), float(row["max_points"])
            entries.append(Entry(**row))
        except (KeyError, TypeError, ValueError):
            continue  # a line edited by hand beyond reading: that submission is graded again
    return entries


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_csv(path: Path, columns, rows) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
