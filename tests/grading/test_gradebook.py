"""The gradebook's bookkeeping: linear in the class size, complete after an interruption."""

import csv
from concurrent.futures import Executor, Future

import nbformat
import pytest

from gdcourse.grading import gradebook, pipeline

SECRET = b"a test secret"


def notebook(path, student):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"# {student}'s work\nx = 1")]
    nb.metadata["gdcourse"] = {"exercise": "01_the_idea"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


class Canned(Executor):
    """Answers every job at once with an empty result; stops the run after `stop_after`."""

    def __init__(self, stop_after=None):
        self.stop_after, self.calls = stop_after, 0

    def submit(self, fn, /, *args, **kwargs):
        self.calls += 1
        future = Future()
        if self.stop_after is not None and self.calls > self.stop_after:
            future.set_exception(KeyboardInterrupt())
        else:
            future.set_result({"errors": [], "answers": {}, "output": "", "output_chars": 0})
        return future


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def subs(tmp_path):
    for student in ("cat", "ann", "bob", "dan"):
        notebook(tmp_path / "subs" / student / "01_the_idea.ipynb", student)
    return tmp_path / "subs"


def test_each_submission_is_written_once_and_the_csv_twice(subs, tmp_path, monkeypatch):
    counts = {"grades": 0, "feedback": 0}
    whole, one = gradebook.Gradebook._write_grades, gradebook.Gradebook._write_feedback

    def count_grades(self, *args, **kwargs):
        counts["grades"] += 1
        return whole(self, *args, **kwargs)

    def count_feedback(self, record, text):
        counts["feedback"] += 1
        return one(self, record, text)

    monkeypatch.setattr(gradebook.Gradebook, "_write_grades", count_grades)
    monkeypatch.setattr(gradebook.Gradebook, "_write_feedback", count_feedback)
    summary = pipeline.grade([subs], tmp_path / "out", secret=SECRET, executor=Canned())
    assert summary["graded"] == 4 and summary["complete"]
    assert counts == {"grades": 2, "feedback": 4}  # start and finish; one feedback each
    rows = read(tmp_path / "out" / "grades.csv")
    assert [r["student"] for r in rows] == sorted(r["student"] for r in rows)
    assert {r["student"] for r in read(tmp_path / "out" / "totals.csv")} == {
        "ann",
        "bob",
        "cat",
        "dan",
    }


def test_an_interrupted_run_leaves_sorted_grades_and_totals_of_what_finished(subs, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        pipeline.grade([subs], out, secret=SECRET, executor=Canned(stop_after=2))
    saved = len(list((out / ".results").glob("*.json")))
    assert saved < 4  # the run stopped before every submission finished
    graded = {r["student"] for r in read(out / "totals.csv")}
    assert len(graded) == saved
    rows = read(out / "grades.csv")
    assert {r["student"] for r in rows} == graded
    assert [r["student"] for r in rows] == sorted(r["student"] for r in rows)
    # the rerun grades only the others
    again = pipeline.grade([subs], out, secret=SECRET, executor=Canned())
    assert again["graded"] == 4 - saved and again["reused"] == saved and again["complete"]


def test_a_corrected_task_regrades_exactly_its_exercise(subs, tmp_path, monkeypatch):
    other = tmp_path / "other" / "eve" / "08_momentum.ipynb"
    notebook(other, "eve")
    nb = nbformat.read(other, as_version=4)
    nb.metadata["gdcourse"] = {"exercise": "08_momentum"}
    nbformat.write(nb, other)
    paths, out = [subs, tmp_path / "other"], tmp_path / "out"
    assert pipeline.grade(paths, out, secret=SECRET, executor=Canned())["graded"] == 5
    assert pipeline.grade(paths, out, secret=SECRET, executor=Canned())["graded"] == 0  # all reused
    real = pipeline.task_fingerprint

    def corrected(exercise):  # as if exercise 01's task module had been edited
        return real(exercise) + ("-fixed" if exercise == "01_the_idea" else "")

    monkeypatch.setattr(pipeline, "task_fingerprint", corrected)
    again = pipeline.grade(paths, out, secret=SECRET, executor=Canned())
    assert again["graded"] == 4 and again["reused"] == 1


def test_the_fingerprint_is_of_the_exercise_task_definitions():
    first = pipeline.task_fingerprint("01_the_idea")
    assert first == pipeline.task_fingerprint("01_the_idea")
    assert first != pipeline.task_fingerprint("08_momentum")
    assert pipeline.task_fingerprint(None) == ""
