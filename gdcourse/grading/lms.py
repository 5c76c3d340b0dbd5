"""Gradebook files for learning-management systems, from gdcourse grade's CSV files.

`gdcourse lms results/totals.csv --lms canvas --out canvas.csv` writes the columns
that Canvas, Moodle or Blackboard accept on import, optionally matched against the
LMS's own roster export so every student row carries the LMS's identity columns.
"""

from __future__ import annotations

import csv
import sys

__all__ = ["LMS", "read_scores", "main"]

# Gradebook layouts that LMS imports accept: identity columns, the column matched
# against gdcourse's student id, and how a score column is headed.
LMS = {
    # Canvas: Grades > Import. Its own export's first five columns, then one column per
    # assignment ("Name" creates one, "Name (id)" updates it); a "Points Possible" row
    # under the header, as in Canvas's export.
    "canvas": (["Student", "ID", "SIS User ID", "SIS Login ID", "Section"], "SIS Login ID"),
    # Moodle: Grades > Import > CSV file. Any columns; on import, map "Username" to
    # username and the score column to a grade item (or a new one).
    "moodle": (["Username"], "Username"),
    # Blackboard Learn: Grade Center > Work Offline > Upload. "Username" identifies the
    # student; a column header without "|id" creates a new column. Every value quoted.
    "blackboard": (["Last Name", "First Name", "Username"], "Username"),
}


def read_scores(path, left_out=None):
    """{student: {column: (points, max)}} from totals.csv (one column) or grades.csv.

    A grades.csv row without an exercise (a notebook that named none, graded as invalid)
    is no score column: it is left out, and its student is added to `left_out` if given.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path} holds no rows")
    scores: dict[str, dict[str, list[float]]] = {}
    per_exercise = "exercise" in rows[0]
    needed = ["student", "points", "max_points"] + (["exercise"] if per_exercise else [])
    missing = [name for name in needed if name not in rows[0]]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}")
    for line, row in enumerate(rows, start=2):
        if any(row[name] is None for name in needed):  # a row shorter than the header
            raise ValueError(f"line {line} has fewer fields than the header")
        column = row["exercise"] if per_exercise else ""
        if per_exercise and not column.strip():
            if left_out is not None:
                left_out.append(row["student"])
            continue
        pair = scores.setdefault(row["student"], {}).setdefault(column, [0.0, 0.0])
        try:
            pair[0] += float(row["points"])
            pair[1] += float(row["max_points"])
        except ValueError:
            raise ValueError(f"line {line}: points and max_points must be numbers") from None
    return scores


def main(
    *,
    results,
    lms: str,
    out,
    assignment: str = "gdcourse exercises",
    roster=None,
    match: str | None = None,
    percent: bool = False,
) -> int:
    """The `gdcourse lms` command: write `out` in the layout `lms` imports.

    Returns 0 when done, 1 when a student has no roster row, 2 when a file is unreadable.
    """
    if lms not in LMS:
        print(f"lms: unknown LMS {lms!r}; known: {', '.join(sorted(LMS))}", file=sys.stderr)
        return 2
    columns, key = LMS[lms]
    key = match or key
    left_out: list[str] = []
    try:
        scores = read_scores(results, left_out)
    except (OSError, KeyError, ValueError) as exc:
        print(f"lms: cannot read {results}: {exc}", file=sys.stderr)
        return 2
    if left_out:
        print(
            f"lms: left out {len(left_out)} row(s) of a notebook that names no exercise "
            f"(grade it with --exercise): {', '.join(sorted(set(left_out)))}",
            file=sys.stderr,
        )
    names = sorted({c for student in scores.values() for c in student})
    tops = {c: max(s[c][1] for s in scores.values() if c in s) for c in names}
    headers = {}
    for c in names:
        name = f"{assignment} {c}".strip() if c else assignment
        top = 100.0 if percent else tops[c]
        headers[c] = f"{name} [Total Pts: {top:g} Score]" if lms == "blackboard" else name
    if roster:
        try:
            with open(roster, newline="", encoding="utf-8-sig") as f:
                listed = list(csv.DictReader(f))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            print(f"lms: cannot read the roster {roster}: {exc}", file=sys.stderr)
            return 2
        # Canvas's export has a "Points Possible" row under its header: not a student
        listed = [r for r in listed if str(next(iter(r.values()), "")).strip() != "Points Possible"]
        if listed and key not in listed[0]:
            print(f"lms: the roster has no column {key!r} (see --match)", file=sys.stderr)
            return 2
        columns = [c for c in columns if not listed or c in listed[0]] or [key]
        if key not in columns:
            columns.append(key)
        people = [{c: r.get(c, "") for c in columns} for r in listed]
    else:
        # Canvas wants its five identity columns present; the others only the key
        columns = columns if lms == "canvas" and key in columns else [key]
        people = [{c: (s if c == key else "") for c in columns} for s in sorted(scores)]
    unmatched = sorted(set(scores) - {p[key] for p in people})
    if unmatched:
        print(f"lms: no roster row for: {', '.join(unmatched)}", file=sys.stderr)
        return 1
    quoting = csv.QUOTE_ALL if lms == "blackboard" else csv.QUOTE_MINIMAL
    try:
        with open(out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, quoting=quoting)
            writer.writerow(columns + [headers[c] for c in names])
            if lms == "canvas":
                possible = [("100" if percent else f"{tops[c]:g}") for c in names]
                writer.writerow(["    Points Possible"] + [""] * (len(columns) - 1) + possible)
            missing = []
            for person in people:
                row = [person[c] for c in columns]
                student = scores.get(person[key], {})
                for c in names:
                    if c not in student:
                        row.append("")
                        continue
                    points, top = student[c]
                    value = 100 * points / top if percent and top else points
                    row.append(f"{round(value, 2):g}")
                if not student:
                    missing.append(person[key] or next(iter(person.values()), "?"))
                writer.writerow(row)
    except OSError as exc:
        print(f"lms: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    blank = f"; {len(missing)} roster students without results (left blank): " if missing else ""
    print(
        f"wrote {out}: {len(people)} students, {len(names)} score column(s) for {lms}"
        + (blank + ", ".join(missing) if missing else "")
    )
    return 0
