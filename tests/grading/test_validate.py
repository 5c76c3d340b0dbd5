"""`gdcourse validate` and `validate()` (issue #20): the saved notebook as the grader sees it.

Its verdict must be the grader's: the same reading of the notebook, the same run from the
top in a fresh process, the same judging, on the public probes instead of the hidden ones.
These tests grade notebooks (solutions, blanks, and one per known mistake of a few
exercises) with `gdcourse grade` and validate the same files: every task passes in both or
fails in both. The plain-interpreter runner of the student hand-out gives the same verdicts
as the sandbox.
"""

import csv
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest

from gdcourse import checks, cli
from gdcourse.grading import pipeline, selfcheck, tasks

ROOT = Path(__file__).resolve().parents[2]
# Every exercise: its solution, its blank and every known mistake (tests/grading/mutants),
# about 250 notebooks, each validated in a fresh process and graded on hidden probes.
EXERCISES = tuple(sorted(p.stem for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")))
SECRET = b"a validate secret"


def code_cells(folder: str, exercise: str) -> list[str]:
    nb = nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def write(path: Path, cells: list[str], exercise: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    if exercise:
        nb.metadata["gdcourse"] = {"exercise": exercise}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def mutant_notebooks(exercise: str):
    """(name, cells): the solution with one task's function replaced by a known mistake."""
    module = importlib.import_module(f"tests.grading.mutants.ex{exercise}")
    source = inspect.getsource(module)
    solution = code_cells("solutions", exercise)
    for kind in ("MUTANTS", "WRONG"):
        for task_id, mistakes in getattr(module, kind, {}).items():
            for number, name in enumerate(mistakes):
                swap = f"{task_id} = {kind}[{task_id!r}][{name!r}]"
                yield f"{task_id}-{kind.lower()}{number}", [*solution, source, swap]


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """student -> notebook path: solutions (ending with `validate()`), blanks, mutants."""
    root = tmp_path_factory.mktemp("validate")
    found = {}
    for exercise in EXERCISES:
        solution = [*code_cells("solutions", exercise), "from gdcourse.checks import validate\n"
                    "validate()"]  # fmt: skip
        found[f"solution-{exercise}"] = write(root / f"solution-{exercise}" / f"{exercise}.ipynb",
                                              solution, exercise)  # fmt: skip
        blank = root / f"blank-{exercise}" / f"{exercise}.ipynb"
        blank.parent.mkdir()
        blank.write_bytes((ROOT / "exercises" / f"{exercise}.ipynb").read_bytes())
        found[f"blank-{exercise}"] = blank
        for name, cells in mutant_notebooks(exercise):
            found[name] = write(root / name / f"{exercise}.ipynb", cells, exercise)
    return root, found


@pytest.fixture(scope="module")
def graded(notebooks, tmp_path_factory):
    """(student, task) -> passed, as `gdcourse grade` records it (hidden probes)."""
    root, _ = notebooks
    out = tmp_path_factory.mktemp("out")
    pipeline.grade([root], out, secret=SECRET, jobs=2)
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        return {(r["student"], r["task"]): r["status"] == "passed" for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def validated(notebooks):
    """student -> Report, as `validate` gives it (public probes, the sandbox here)."""
    _, found = notebooks
    names = sorted(found)
    reports = selfcheck.check_notebooks([found[n] for n in names])
    return dict(zip(names, reports, strict=True))


def test_validate_and_the_grader_agree_on_every_task(notebooks, validated, graded):
    _, found = notebooks
    assert len(found) > 240
    disagree = []
    for student, report in validated.items():
        assert not report.problem, (student, report.problem)
        for verdict in report.verdicts:
            if verdict.passed != graded[(student, verdict.task)]:
                disagree.append((student, verdict.task, verdict.render()))
    assert not disagree, disagree[:3]


def test_solutions_pass_blanks_are_not_tried_and_each_mutant_fails_its_task(validated):
    for exercise in EXERCISES:
        solution = validated[f"solution-{exercise}"]
        assert all(v.passed for v in solution.verdicts), solution.lines()
        assert not solution.note, solution.note  # its last cell, validate(), ran silently
        blank = validated[f"blank-{exercise}"]
        assert {blank.mark(v) for v in blank.verdicts} == {selfcheck.NOT_TRIED}
        assert not blank.note, blank.note  # the first cell's handed_out(...) imports
    for student, report in validated.items():
        if "-mutants" in student or "-wrong" in student:
            task = student.rsplit("-", 1)[0]
            (verdict,) = [v for v in report.verdicts if v.task == task]
            assert not verdict.passed, (student, verdict.render())


def test_the_hand_outs_plain_runner_gives_the_sandboxs_verdicts(notebooks, validated):
    _, found = notebooks
    names = ["solution-08_momentum", "blank-08_momentum", "momentum_step-mutants0",
             "nesterov_step-mutants1", "gd_step-mutants0"]  # fmt: skip
    run = selfcheck.runner_for(sandboxed=False)
    try:
        plain = selfcheck.check_notebooks([found[n] for n in names], run=run)
    finally:
        run.shutdown()
    for name, report in zip(names, plain, strict=True):
        sandboxed = validated[name]
        assert [(v.task, v.status, v.hint) for v in report.verdicts] == [
            (v.task, v.status, v.hint) for v in sandboxed.verdicts
        ], name


LIVE_STATE = {
    # gd_step calls a helper whose cell was deleted after it ran in the kernel
    "deleted cell": "def gd_step(theta, grad, lr):\n    return step(theta, grad, lr)",
    # a variable from another notebook (lesson 01's learning rate)
    "other notebook": "def gd_step(theta, grad, lr):\n    return theta - lr_from_lesson * grad",
}


@pytest.mark.parametrize("case", LIVE_STATE)
def test_what_only_the_live_kernel_knows_fails_and_says_why(tmp_path, case, capsys):
    cells = [*code_cells("solutions", "01_the_idea"), LIVE_STATE[case]]
    path = write(tmp_path / "01_the_idea.ipynb", cells, "01_the_idea")
    assert cli.main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✗ gd_step (0/1): your code raised an error" in out, out
    assert "NameError" in out and "✓ mse_gradients" in out


def test_a_notebook_of_no_exercise_and_an_error_in_a_cell(tmp_path, capsys):
    path = write(tmp_path / "homework.ipynb", code_cells("solutions", "01_the_idea"))
    assert cli.main(["validate", str(path)]) == 2
    assert "no exercise id" in capsys.readouterr().out
    named = write(tmp_path / "my 01_the_idea copy.ipynb", ["x = 1 / 0"])  # recognised by name
    assert cli.main(["validate", str(named)]) == 1
    out = capsys.readouterr().out
    assert "exercise 01_the_idea" in out and "Cell 1 raised ZeroDivisionError" in out
    assert cli.main(["validate", str(tmp_path / "missing.ipynb")]) == 2


def test_validate_in_a_notebook_finds_its_own_file(tmp_path, monkeypatch, capsys):
    """JupyterLab's server sets JPY_SESSION_NAME in the kernel's environment to the
    notebook's path (jupyter_server's SessionManager.get_kernel_env)."""
    path = write(tmp_path / "01_the_idea.ipynb", code_cells("solutions", "01_the_idea"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    checks.validate()
    assert capsys.readouterr().out.strip() == checks._ASK_PATH
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    checks.validate()
    out = capsys.readouterr().out
    assert "Checking 01_the_idea.ipynb as saved" in out and "4 of 4 tasks pass" in out, out
    monkeypatch.setenv("JPY_SESSION_NAME", "course/exercises/01_the_idea.ipynb")  # relative
    assert checks._this_notebook() == tmp_path / "01_the_idea.ipynb"


def test_jupyter_server_still_names_the_notebook_in_the_kernels_environment():
    from jupyter_server.services.sessions.sessionmanager import SessionManager

    assert "JPY_SESSION_NAME" in inspect.getsource(SessionManager.get_kernel_env)


def test_progress_marks_each_task_with_its_lesson(tmp_path, capsys):
    folder = tmp_path / "exercises"
    write(folder / "01_the_idea.ipynb", code_cells("solutions", "01_the_idea"), "01_the_idea")
    blank = folder / "08_momentum.ipynb"
    blank.write_bytes((ROOT / "exercises" / "08_momentum.ipynb").read_bytes())
    wrong = [*code_cells("solutions", "02_worked_iterations"), "def iterate(*a):\n    return 0"]
    write(folder / "02_worked_iterations.ipynb", wrong)  # by its name
    rows, seconds = selfcheck.progress(folder)
    marks = {v.task: report.mark(v) for _, _, report in rows for v in report.verdicts}
    assert len(marks) == len(tasks.all_tasks())
    assert {marks[t.id] for t in tasks.for_exercise("01_the_idea")} == {"✓"}
    assert {marks[t.id] for t in tasks.for_exercise("08_momentum")} == {selfcheck.NOT_TRIED}
    assert {marks[t.id] for t in tasks.for_exercise("13_capstone")} == {selfcheck.NOT_TRIED}
    assert marks["iterate"] == "✗"
    lessons = {exercise: lesson for exercise, lesson, _ in rows}
    assert lessons["08_momentum"].startswith("lesson 08: ")
    assert cli.main(["progress", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "08_momentum (lesson 08: " in out and "momentum_step ·" in out
    assert "gd_step ✓" in out and "iterate ✗" in out
