"""The class summary after each `gdcourse grade` run: what to address in the next lecture.

Over the chosen submission of every student (`term`), per exercise and task: how many
passed, failed, raised an error, ran out of time or were invalid, the mean points, and
the most common named mistakes (a detector's name where one recognised the answer, else
the first words of the hint, e.g. "not implemented yet"). Written as `OUT/summary.csv`
and as `OUT/summary.html`, one self-contained page (no script, no network) with a bar
per task and the run's warnings (files not graded, and why).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from . import tasks
from .judge import points_text
from .term import atomic_write, write_csv

__all__ = ["SUMMARY_COLUMNS", "STATUSES", "mistake_of", "class_summary", "write"]

STATUSES = ("passed", "failed", "error", "timeout", "invalid")
SUMMARY_COLUMNS = [
    "exercise",
    "task",
    "max_points",
    "students",
    *STATUSES,
    "mean_points",
    "common_mistakes",
]
COLOURS = {
    "passed": "#2e7d32",
    "failed": "#ef6c00",
    "error": "#c62828",
    "timeout": "#6a1b9a",
    "invalid": "#757575",
}
MISTAKES_SHOWN = 3
_ERROR_NAME = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Exit))\b")


def mistake_of(row) -> str:
    """A short name for what went wrong in a task row ("" when it passed)."""
    if row.status == "passed" or not row.task:
        return ""
    try:
        detectors = tasks.get(row.task).detectors
    except KeyError:
        detectors = ()
    for detector in detectors:
        if detector.hint and detector.hint in row.feedback:
            return detector.name
    if row.status == "error":
        found = _ERROR_NAME.search(row.feedback)
        return f"error: {found.group(1)}" if found else "error"
    first = re.split(r"[.;:(]", row.feedback, maxsplit=1)[0].strip()
    return first[:60] or row.status


def class_summary(chosen) -> list[dict]:
    """One dict per exercise and task (SUMMARY_COLUMNS) over (entry, record) pairs."""
    per_task: dict[tuple[str, str], dict] = {}
    for _, record in chosen:
        for row in record.rows:
            if not row.exercise or not row.task:
                continue
            line = per_task.setdefault(
                (row.exercise, row.task),
                {
                    "max": row.max_points,
                    "points": 0.0,
                    "mistakes": Counter(),
                    **{s: 0 for s in STATUSES},
                },
            )
            line[row.status if row.status in STATUSES else "error"] += 1
            line["points"] += float(row.points)
            mistake = mistake_of(row)
            if mistake:
                line["mistakes"][mistake] += 1
    order = {t.id: i for i, t in enumerate(tasks.all_tasks())}
    lines = []
    for (exercise, task), line in sorted(
        per_task.items(), key=lambda item: (item[0][0], order.get(item[0][1], 0))
    ):
        students = sum(line[s] for s in STATUSES)
        mistakes = "; ".join(f"{m} ({n})" for m, n in line["mistakes"].most_common(MISTAKES_SHOWN))
        lines.append(
            {
                "exercise": exercise,
                "task": task,
                "max_points": points_text(line["max"]),
                "students": students,
                **{s: line[s] for s in STATUSES},
                "mean_points": points_text(round(line["points"] / students, 2)),
                "common_mistakes": mistakes,
            }
        )
    return lines


def write(out: Path, chosen, warnings=()) -> list[dict]:
    """Write summary.csv and summary.html under `out`; return the summary's lines."""
    lines = class_summary(chosen)
    write_csv(Path(out) / "summary.csv", SUMMARY_COLUMNS, lines)
    atomic_write(Path(out) / "summary.html", _page(lines, list(warnings)))
    return lines


def _page(lines: list[dict], warnings: list[str]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Class summary</title>',
        "<style>body{font:15px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;text-align:left;"
        "border-bottom:1px solid #ddd;vertical-align:top}.bar{display:flex;width:22em;"
        "height:1.2em;background:#eee}.bar span{display:block;height:100%}"
        ".key span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em}</style>",
        "</head><body><h1>Class summary</h1>",
        '<p class="key">'
        + "".join(f'<span style="background:{COLOURS[s]}"></span>{s}' for s in STATUSES)
        + "</p>",
    ]
    exercises = sorted({line["exercise"] for line in lines})
    if not exercises:
        parts.append("<p>Nothing graded yet.</p>")
    for exercise in exercises:
        rows = [line for line in lines if line["exercise"] == exercise]
        parts.append(f"<h2>{e(exercise)}: {rows[0]['students']} students</h2>")
        parts.append(
            "<table><tr><th>task</th><th>outcomes</th><th>passed</th><th>mean points</th>"
            "<th>most common mistakes</th></tr>"
        )
        for line in rows:
            total = line["students"] or 1
            bar = "".join(
                f'<span title="{s}: {line[s]}" style="width:{100 * line[s] / total:.1f}%;'
                f'background:{COLOURS[s]}"></span>'
                for s in STATUSES
                if line[s]
            )
            parts.append(
                f'<tr><td>{e(line["task"])}</td><td><div class="bar">{bar}</div></td>'
                f"<td>{line['passed']}/{line['students']}</td>"
                f"<td>{line['mean_points']}/{line['max_points']}</td>"
                f"<td>{e(line['common_mistakes']) or '–'}</td></tr>"
            )
        parts.append("</table>")
    if warnings:
        parts.append(f"<h2>Not graded in the last run ({len(warnings)})</h2><ul>")
        parts += [f"<li>{e(w)}</li>" for w in warnings]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
