"""A simulated two-week term graded into one results folder, as an instructor would.

Week 1 (exercise 01) holds what real weeks hold: a complete notebook, a blank one, a
partial notebook and a complete copy of it, a notebook of another exercise, a stray .py
file, an empty folder, an Untitled notebook without metadata, and late work. Week 2
(exercise 08) is graded into the same folder with a late penalty, then a student
resubmits week 1. Grades, totals, history, lateness, the class summary, the feedback
files and the Canvas export are checked after each step.
"""

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import pytest

from gdcourse import cli
from gdcourse.authoring import release, timings
from gdcourse.grading import gradebook, pipeline, summary, tasks, term

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"a test secret"
WEEK1, WEEK2 = "01_the_idea", "08_momentum"
DEADLINE1 = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
DEADLINE2 = datetime(2026, 12, 11, 17, 0, tzinfo=UTC)
MAX1 = sum(t.points for t in tasks.for_exercise(WEEK1))
MAX2 = sum(t.points for t in tasks.for_exercise(WEEK2))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def put(path: Path, source: Path | str, when: datetime, *, strip_metadata=False) -> Path:
    """A submission at `path`: a copy of a course notebook (or text), modified at `when`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        nb = nbformat.read(source, as_version=4)
        if strip_metadata:
            nb.metadata.pop("gdcourse", None)
        nbformat.write(nb, path)
    else:
        path.write_text(source)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def solution(exercise):
    return ROOT / "solutions" / f"{exercise}.ipynb"


HANDOUT = {}  # the week's hand-out, built by the fixture: students start from its blanks


def blank(exercise):
    return HANDOUT["folder"] / "exercises" / f"{exercise}.ipynb"


def older(exercise, base: Path) -> Path:
    """The exercise as an earlier release handed it out: other task versions recorded."""
    nb = nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", as_version=4)
    nb.metadata["gdcourse"]["tasks"] = "0123456789ab"
    path = base / "older" / f"{exercise}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def term_folder(tmp_path_factory):
    """Grade week 1, week 2 and a resubmission into one results folder; keep each step's
    summary and files."""
    base = tmp_path_factory.mktemp("term")
    HANDOUT["folder"] = base / "handout"
    release.release(HANDOUT["folder"], source=ROOT, exercises=f"{WEEK1},{WEEK2}")
    early = DEADLINE1 - timedelta(days=1)
    w1 = base / "week1"
    put(w1 / "ada" / f"{WEEK1}.ipynb", solution(WEEK1), early)
    put(w1 / "ben" / f"{WEEK1}.ipynb", blank(WEEK1), early)
    put(w1 / "kim" / f"{WEEK1}.ipynb", blank(WEEK1), early)  # the partial one, first
    put(w1 / "kim" / f"{WEEK1}-Copy1.ipynb", solution(WEEK1), early + timedelta(hours=2))
    put(w1 / "gus" / f"{WEEK2}.ipynb", solution(WEEK2), early)  # next week's exercise
    put(w1 / "oli" / f"{WEEK1}.py", "def gd_step(theta, grad, lr):\n    return 0\n", early)
    (w1 / "pat").mkdir()  # a student who made a folder and put nothing in it
    put(w1 / "ivy" / "Untitled.ipynb", solution(WEEK1), early, strip_metadata=True)
    put(w1 / "lee" / f"{WEEK1}.ipynb", solution(WEEK1), DEADLINE1 + timedelta(hours=25))
    out = base / "results"
    steps = {}
    steps["week1"] = pipeline.grade(
        [w1], out, secret=SECRET, exercise=WEEK1, deadline=DEADLINE1.isoformat()
    )
    steps["week1_files"] = {
        name: (out / name).read_text(encoding="utf-8")
        for name in ("grades.csv", "totals.csv", "summary.csv", "summary.html", "history.csv")
    }
    w2 = base / "week2"
    put(w2 / "ada" / f"{WEEK2}.ipynb", solution(WEEK2), DEADLINE2 - timedelta(hours=1))
    put(w2 / "ben" / f"{WEEK2}.ipynb", solution(WEEK2), DEADLINE2 + timedelta(days=2.5))
    put(w2 / "kim" / f"{WEEK1}.ipynb", solution(WEEK1), DEADLINE2)  # last week's, again
    put(w2 / "zed" / f"{WEEK2}.ipynb", older(WEEK2, base), DEADLINE2 - timedelta(hours=3))
    steps["week2"] = pipeline.grade(
        [w2],
        out,
        secret=SECRET,
        exercise=WEEK2,
        deadline=DEADLINE2.isoformat(),
        late_penalty="0.1/day",
    )
    steps["week2_files"] = {
        name: (out / name).read_text(encoding="utf-8")
        for name in ("grades.csv", "totals.csv", "history.csv")
    }
    resub = base / "resubmitted"
    put(resub / "ben" / f"{WEEK1}.ipynb", solution(WEEK1), DEADLINE1 + timedelta(hours=1))
    steps["resubmitted"] = pipeline.grade([resub], out, secret=SECRET, exercise=WEEK1)
    return {"base": base, "out": out, **steps}


def rows_of(text):
    return list(csv.DictReader(text.splitlines()))


def by(rows, *keys):
    grouped = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        grouped.setdefault(key if len(keys) > 1 else key[0], []).append(row)
    return grouped


def test_week1_grades_one_submission_per_student_and_names_every_file_left_out(term_folder):
    week1 = term_folder["week1"]
    rows = rows_of(term_folder["week1_files"]["grades.csv"])
    assert list(rows[0]) == gradebook.GRADES_COLUMNS
    per = by(rows, "student")
    assert set(per) == {"ada", "ben", "kim", "ivy", "lee"}
    assert all(len(r) == len(tasks.for_exercise(WEEK1)) for r in per.values())
    # kim's later, complete copy is the one graded, and the file column says so
    assert {r["file"] for r in per["kim"]} == {
        str(term_folder["base"] / "week1/kim/01_the_idea-Copy1.ipynb")
    }
    assert sum(float(r["points"]) for r in per["kim"]) == MAX1
    # the Untitled notebook without metadata is claimed by --exercise and graded
    assert sum(float(r["points"]) for r in per["ivy"]) == MAX1
    skipped = {
        Path(s.path).relative_to(term_folder["base"] / "week1").as_posix(): s.reason
        for s in week1["skipped"]
    }
    assert set(skipped) == {
        "kim/01_the_idea.ipynb",
        "gus/08_momentum.ipynb",
        "oli/01_the_idea.py",
        "pat",
    }
    assert "only 01_the_idea-Copy1.ipynb is graded" in skipped["kim/01_the_idea.ipynb"]
    assert "exercise 08_momentum, not 01_the_idea" in skipped["gus/08_momentum.ipynb"]
    assert "not a notebook" in skipped["oli/01_the_idea.py"]
    assert "empty folder" in skipped["pat"]
    assert week1["graded"] == 5 and week1["reused"] == 0 and week1["complete"]
    # the same files are named on the summary page, which needs no network
    page = term_folder["week1_files"]["summary.html"]
    assert "<h2>Not graded in the last run (4)</h2>" in page
    assert all(name in page for name in ("Copy1", "gus/08_momentum.ipynb", "oli/", "pat"))
    assert "http" not in page and "<script" not in page


def test_lateness_is_flagged_and_a_penalty_applies_only_where_set(term_folder):
    rows = rows_of(term_folder["week1_files"]["grades.csv"])
    late = {r["student"]: r["late"] for r in rows}
    assert late["lee"] == "1.04" and late["ada"] == ""
    # no penalty in week 1: lee keeps the points
    assert sum(float(r["points"]) for r in rows if r["student"] == "lee") == MAX1
    week2 = [r for r in rows_of(term_folder["week2_files"]["grades.csv"]) if r["exercise"] == WEEK2]
    ben = [r for r in week2 if r["student"] == "ben"]
    assert {r["late"] for r in ben} == {"2.50"}
    assert sum(float(r["points"]) for r in ben) == pytest.approx(MAX2 * 0.7)  # 3 days × 10 %
    feedback = (term_folder["out"] / "feedback" / "ben" / f"{WEEK2}.txt").read_text()
    assert "Late by 2.50 days" in feedback and "30% off" in feedback
    assert f"Total: {MAX2 * 0.7:g}/{MAX2} points" in feedback


def test_week2_keeps_week1_and_totals_use_fixed_maxima(term_folder):
    rows = rows_of(term_folder["week2_files"]["grades.csv"])
    exercises = by(rows, "student", "exercise")
    assert ("ada", WEEK1) in exercises and ("ada", WEEK2) in exercises  # week 1 not erased
    totals = {r["student"]: r for r in rows_of(term_folder["week2_files"]["totals.csv"])}
    # every student out of both weeks' points, whatever they handed in
    assert {r["max_points"] for r in totals.values()} == {str(MAX1 + MAX2)}
    assert totals["ada"]["points"] == str(MAX1 + MAX2)
    assert totals["lee"]["points"] == str(MAX1) and totals["lee"][WEEK2] == ""
    assert totals["ben"][WEEK1] == "0"
    # kim's last-week notebook in week 2's folder was left out, named
    skipped = [str(s) for s in term_folder["week2"]["skipped"]]
    assert any("kim" in s and "not 08_momentum" in s for s in skipped)
    week1_totals = {r["student"]: r for r in rows_of(term_folder["week1_files"]["totals.csv"])}
    assert {r["max_points"] for r in week1_totals.values()} == {str(MAX1)}


def test_a_resubmission_adds_to_the_history_and_becomes_the_grade(term_folder):
    out = term_folder["out"]
    history = read_csv(out / "history.csv")
    ben = [h for h in history if h["student"] == "ben" and h["exercise"] == WEEK1]
    assert len(ben) == 2  # the blank of week 1 and the resubmission
    chosen = [h for h in ben if h["chosen"] == "yes"]
    assert len(chosen) == 1 and chosen[0]["file"].endswith("resubmitted/ben/01_the_idea.ipynb")
    assert float(chosen[0]["points"]) == MAX1
    rows = [
        r for r in read_csv(out / "grades.csv") if r["student"] == "ben" and r["exercise"] == WEEK1
    ]
    assert sum(float(r["points"]) for r in rows) == MAX1 and {r["late"] for r in rows} == {"0.04"}
    assert len(history) == len(rows_of(term_folder["week2_files"]["history.csv"])) + 1
    assert term_folder["resubmitted"]["graded"] == 1


def test_the_class_summary_counts_outcomes_and_names_common_mistakes(term_folder):
    lines = {r["task"]: r for r in rows_of(term_folder["week1_files"]["summary.csv"])}
    assert set(lines) == {t.id for t in tasks.for_exercise(WEEK1)}
    gd = lines["gd_step"]
    assert list(gd) == summary.SUMMARY_COLUMNS
    assert (gd["students"], gd["passed"], gd["failed"]) == ("5", "4", "1")
    assert "not implemented yet (1)" in gd["common_mistakes"]
    final = {(r["exercise"], r["task"]): r for r in read_csv(term_folder["out"] / "summary.csv")}
    assert final[(WEEK1, "gd_step")]["passed"] == "5"  # after ben's resubmission
    assert final[(WEEK2, "momentum_step")]["students"] == "3"  # ada, ben and zed


def test_each_feedback_file_belongs_to_one_submission(term_folder):
    feedback = term_folder["out"] / "feedback"
    kim = (feedback / "kim" / f"{WEEK1}.txt").read_text()
    assert "(submission: 01_the_idea-Copy1.ipynb, submitted" in kim
    assert f"Total: {MAX1}/{MAX1} points" in kim
    ivy = (feedback / "ivy" / f"{WEEK1}.txt").read_text()
    assert "has no exercise id; your instructor graded it as 01_the_idea" in ivy
    assert sorted(p.name for p in (feedback / "kim").iterdir()) == [f"{WEEK1}.txt"]
    assert not (feedback / "gus").exists() and not (feedback / "oli").exists()


def test_the_canvas_export_takes_the_chosen_submissions(term_folder, tmp_path, capsys):
    roster = tmp_path / "export.csv"
    people = ["ada", "ben", "gus", "ivy", "kim", "lee", "oli", "pat", "zed"]
    with roster.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"])
        writer.writerow(["    Points Possible", "", "", "", ""])
        for i, login in enumerate(people):
            writer.writerow([login.title(), str(i), f"S{i}", login, "A"])
    out = tmp_path / "canvas.csv"
    grades = str(term_folder["out"] / "grades.csv")
    args = ["lms", grades, "--lms", "canvas", "--out", str(out), "--roster", str(roster)]
    assert cli.main([*args, "--assignment", "Week"]) == 0
    lines = list(csv.reader(out.open(encoding="utf-8")))
    assert lines[0][5:] == [f"Week {WEEK1}", f"Week {WEEK2}"]
    assert lines[1][5:] == [str(MAX1), str(MAX2)]  # the exercises' maxima, not a sum of copies
    scores = {line[3]: line[5:] for line in lines[2:]}
    assert scores["ada"] == [str(MAX1), str(MAX2)]
    assert scores["ben"] == [str(MAX1), f"{MAX2 * 0.7:g}"]  # the resubmission; late week 2
    assert scores["kim"] == [str(MAX1), ""]
    assert scores["gus"] == ["", ""]
    assert "roster students without results (left blank): gus, oli, pat" in capsys.readouterr().out


def test_an_unknown_notebook_without_exercise_is_invalid_with_what_to_do(tmp_path, capsys):
    put(
        tmp_path / "subs" / "ivy" / "Untitled.ipynb",
        solution(WEEK1),
        datetime.now(UTC),
        strip_metadata=True,
    )
    put(tmp_path / "subs" / "ada" / f"{WEEK1}.ipynb", blank(WEEK1), datetime.now(UTC))
    out = tmp_path / "out"
    result = pipeline.grade([tmp_path / "subs"], out, secret=SECRET)
    assert result["invalid"] == 1 and result["reused"] == 0 and result["graded"] == 1
    text = (out / "feedback" / "ivy" / "unknown-Untitled.txt").read_text()
    assert "open the exercise from exercises/ and save your work in it" in text
    assert "--exercise" in text
    # its row has no exercise: the LMS file gets no bogus column for it
    lms_out = tmp_path / "moodle.csv"
    assert cli.main(["lms", str(out / "grades.csv"), "--lms", "moodle", "--out", str(lms_out)]) == 0
    header = next(csv.reader(lms_out.open(encoding="utf-8")))
    assert header == ["Username", f"gdcourse exercises {WEEK1}"]
    assert "names no exercise" in capsys.readouterr().err


def test_grade_command_checks_its_new_options(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    base = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o")]
    assert cli.main([*base, "--exercise", "99_nothing"]) == 2
    assert cli.main([*base, "--deadline", "next friday"]) == 2
    assert cli.main([*base, "--late-penalty", "2"]) == 2
    assert cli.main([*base, "--late-penalty", "0.1/week"]) == 2
    err = capsys.readouterr().err
    assert "not one of" in err and "ISO time" in err and "--late-penalty must be" in err


def test_late_penalty_policies():
    per_day = term.Policy("2026-12-04T17:00:00+00:00", "0.1/day")
    assert per_day.penalty(per_day.days_late("2026-12-04T16:00:00+00:00")) == 0
    assert per_day.penalty(per_day.days_late("2026-12-04T18:00:00+00:00")) == pytest.approx(0.1)
    assert per_day.penalty(30) == 1  # never below zero points
    fixed = term.Policy("2026-12-04T17:00:00+00:00", "0.25")
    assert fixed.penalty(3.5) == 0.25
    assert term.Policy("2026-12-04T17:00:00+00:00").penalty(3) == 0  # off by default


def test_the_instructor_guide_has_the_points_table():
    text = (ROOT / "docs" / "instructor.md").read_text(encoding="utf-8")
    begin, end = "<!-- points:begin -->", "<!-- points:end -->"
    assert text.count(begin) == 1, "run `gdcourse points --update docs/instructor.md`"
    block = text.split(begin)[1].split(end)[0].strip()
    assert block == timings.points_markdown().strip(), (
        "run `gdcourse points --update docs/instructor.md`"
    )


def test_results_store_files_are_plain(term_folder):
    assignments = json.loads((term_folder["out"] / "assignments.json").read_text())
    assert set(assignments) == {WEEK1, WEEK2}
    assert assignments[WEEK2]["late_penalty"] == "0.1/day"
    assert assignments[WEEK1]["late_penalty"] is None


def test_the_chosen_submission_is_the_latest_unless_best_is_asked(tmp_path):
    store = term.Store(tmp_path)

    def entry(file, submitted, points):
        return term.Entry("ada", WEEK1, file, submitted, file, file, "", points, MAX1)

    store.add(entry("b.ipynb", "2026-12-03T10:00:00.000000+00:00", 5))
    store.add(entry("a.ipynb", "2026-12-03T11:00:00.000000+00:00", 1))
    assert store.chosen()[("ada", WEEK1)].file == "a.ipynb"  # later, though worse
    store.assign(WEEK1, choose="best")
    assert store.chosen()[("ada", WEEK1)].file == "b.ipynb"
    store.save()
    again = term.Store(tmp_path)  # kept in history.csv and assignments.json
    assert again.chosen()[("ada", WEEK1)].file == "b.ipynb" and len(again.entries) == 2
    chosen = [r["file"] for r in read_csv(tmp_path / "history.csv") if r["chosen"] == "yes"]
    assert chosen == ["b.ipynb"]


def test_a_mistake_is_named_by_its_detector_else_by_its_hint():
    task = tasks.get("momentum_step")
    detector = task.detectors[0]
    row = gradebook.Row("ada", WEEK2, task.id, 0, task.points, "failed", detector.hint)
    assert summary.mistake_of(row) == detector.name
    hint = "not implemented yet: replace `raise NotImplementedError`."
    blank_row = gradebook.Row("ada", WEEK2, task.id, 0, task.points, "failed", hint)
    assert summary.mistake_of(blank_row) == "not implemented yet"
    error = gradebook.Row("ada", WEEK2, task.id, 0, 2, "error", "x. NameError: name 'v' ...")
    assert summary.mistake_of(error) == "error: NameError"


def test_a_notebook_from_another_release_is_told_so(term_folder):
    out = term_folder["out"]
    zed = (out / "feedback" / "zed" / f"{WEEK2}.txt").read_text(encoding="utf-8")
    assert "made for another version of 08_momentum's tasks (0123456789ab)" in zed
    ada = (out / "feedback" / "ada" / f"{WEEK2}.txt").read_text(encoding="utf-8")
    assert "another version" not in ada
    ben = (out / "feedback" / "ben" / f"{WEEK1}.txt").read_text(encoding="utf-8")
    assert "another version" not in ben  # the hand-out's blank: the same tasks as the grader's
