"""exercises/ is generated from solutions/: in sync, each notebook tagged with its id."""

from pathlib import Path

import nbformat
import pytest

from gdcourse.authoring import exercises
from gdcourse.grading import tasks

ROOT = Path(__file__).resolve().parents[2]


def test_exercises_are_in_sync_with_solutions():
    assert exercises.build(ROOT / "solutions", ROOT / "exercises", check=True) == []


def test_every_exercise_notebook_carries_its_id():
    for folder in ("solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            assert exercises.exercise_id(nb) == path.stem
            assert tasks.for_exercise(path.stem), f"{path} has no tasks"


def test_strip_solution_keeps_indentation_and_rejects_unbalanced_markers():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION\n"
    assert exercises.strip_solution(source) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError"
    )
    with pytest.raises(ValueError, match="without"):
        exercises.strip_solution("# BEGIN SOLUTION\nx = 1\n")
    with pytest.raises(ValueError, match="without"):
        exercises.strip_solution("x = 1\n# END SOLUTION\n")


def test_an_exercise_says_so_when_the_installed_tasks_are_another_version(capsys):
    from gdcourse.checks import handed_out, installed_version

    nb = nbformat.read(ROOT / "exercises" / "08_momentum.ipynb", as_version=4)
    version = nb.metadata["gdcourse"]["tasks"]
    assert version == installed_version("08_momentum")
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert f"handed_out('08_momentum', {version!r})" in first.source
    handed_out("08_momentum", version)
    assert capsys.readouterr().out == ""
    handed_out("08_momentum", "0123456789ab")
    out = capsys.readouterr().out
    assert "another version of exercise 08_momentum's tasks (0123456789ab)" in out
    assert version in out
    handed_out("99_future", version)
    assert "no exercise '99_future'" in capsys.readouterr().out
