"""`gdcourse gradescope`: the autograder zip, run as Gradescope would, without Gradescope.

The zip is unpacked into a temporary root laid out like /autograder (source/, submission/,
results/), and its own run_autograder grades a solution, a blank and a cheat with the
current Python (GDCOURSE_PYTHON, instead of the virtual environment setup.sh makes):
results.json must hold Gradescope's documented fields and types.
"""

import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gdcourse import cli
from gdcourse.grading import hosted, tasks
from gdcourse.grading import secret as secret_file
from tests.grading.cheats import CHEATS

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "01_the_idea"
TASKS = tasks.for_exercise(EXERCISE)
FULL = sum(t.points for t in TASKS)
STUDENT_ID = 4242


def notebook(cells, exercise=EXERCISE) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["gdcourse"] = {"exercise": exercise}
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zip")
    path = hosted.build_autograder(folder / "autograder.zip", ["01"], timeout=60)
    return path


def unpack(zip_path: Path, root: Path) -> Path:
    """The zip's contents in root/source as Gradescope extracts them, executable bits kept
    (zipfile drops them); root/submission and root/results made empty."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            mode = info.external_attr >> 16
            if mode & 0o111:
                (root / "source" / info.filename).chmod(mode & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def run_autograder(root: Path):
    """run_autograder as Gradescope runs it, in `root` instead of /autograder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(GDCOURSE_AUTOGRADER_ROOT=str(root), GDCOURSE_PYTHON=sys.executable)
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def grade(autograder, tmp_path_factory, name, text, metadata=True):
    root = unpack(autograder, tmp_path_factory.mktemp(name))
    if text is not None:
        (root / "submission" / f"{EXERCISE}.ipynb").write_text(text)
    if metadata:
        users = [{"id": STUDENT_ID, "email": "ann@example.edu", "name": "Ann"}]
        (root / "submission_metadata.json").write_text(json.dumps({"users": users}))
    return root, run_autograder(root)


def cells(folder):
    nb = nbformat.read(ROOT / folder / f"{EXERCISE}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(scope="module")
def results(autograder, tmp_path_factory):
    cheat = [CHEATS["mse_gradients"]["torch.autograd"]]
    return {
        "solution": grade(autograder, tmp_path_factory, "solution", notebook(cells("solutions"))),
        "blank": grade(autograder, tmp_path_factory, "blank", notebook(cells("exercises"))),
        "cheat": grade(autograder, tmp_path_factory, "cheat", notebook(cheat), metadata=False),
    }


def validate(data: dict) -> None:
    """results.json against Gradescope's autograder specification."""
    assert set(data) <= {
        "score",
        "execution_time",
        "output",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
    assert isinstance(data["score"], float)
    assert isinstance(data["execution_time"], int) and data["execution_time"] >= 0
    assert isinstance(data["output"], str)
    assert data["visibility"] in hosted.VISIBILITIES
    assert data["stdout_visibility"] in hosted.VISIBILITIES
    assert [t["name"].split(" · ")[1].split(":")[0] for t in data["tests"]] == [t.id for t in TASKS]
    for test, task in zip(data["tests"], TASKS, strict=True):
        assert set(test) == {"name", "score", "max_score", "status", "output", "visibility"}
        assert isinstance(test["name"], str) and task.title in test["name"]
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert 0 <= test["score"] <= test["max_score"] == task.points
        assert test["status"] in ("passed", "failed")
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
        assert isinstance(test["output"], str) and test["output"]
        assert test["visibility"] in hosted.VISIBILITIES
    assert data["score"] == sum(t["score"] for t in data["tests"])


def test_the_zip_has_the_scripts_at_its_root_and_the_course_under_course(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        config = json.loads(archive.read("course/autograder.json"))
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, script
    for name in ("pyproject.toml", "constraints.txt", "README.md"):
        assert f"course/{name}" in names
    assert "course/gdcourse/grading/tasks/ex01_the_idea.py" in names
    assert not any("__pycache__" in n for n in names)
    assert config == {"exercises": [EXERCISE], "visibility": "visible", "timeout": 60}
    # torch first and pinned, then the course under the same constraints
    torch_line = setup.index('-c "$COURSE/constraints.txt" torch==2.13.0')
    course_line = setup.index('-c "$COURSE/constraints.txt" "$COURSE"')
    assert torch_line < course_line
    assert "torch==2.13.0" in (ROOT / "constraints.txt").read_text().splitlines()
    for script in (hosted.SETUP_SH, hosted.RUN_AUTOGRADER):  # bash can parse them
        subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_the_zip_carries_a_secret_of_its_own_never_the_instructors(autograder, tmp_path):
    instructor = secret_file.load()  # the instructor's own (created in this test's config)
    with zipfile.ZipFile(autograder) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
        own = archive.read("course/grading-secret").strip()
    assert instructor.key not in everything
    assert re.fullmatch(rb"[0-9a-f]{64}", own)
    again = hosted.build_autograder(tmp_path / "again.zip", [EXERCISE])
    with zipfile.ZipFile(again) as archive:
        assert archive.read("course/grading-secret").strip() != own  # new for each zip


def test_a_solution_scores_full_marks(results):
    root, data = results["solution"]
    validate(data)
    assert data["score"] == FULL
    assert all(t["status"] == "passed" for t in data["tests"])
    assert f"Feedback for {STUDENT_ID} on exercise {EXERCISE}" in data["output"]


def test_a_blank_scores_zero_and_says_why(results):
    _, data = results["blank"]
    validate(data)
    assert data["score"] == 0
    assert all(t["status"] == "failed" for t in data["tests"])
    assert all("not implemented" in t["output"] for t in data["tests"])


def test_a_cheat_scores_zero_for_the_forbidden_api(results):
    _, data = results["cheat"]
    validate(data)
    first = data["tests"][0]
    assert "mse_gradients" in first["name"] and first["score"] == 0
    assert "torch.autograd" in first["output"]
    # without submission metadata the submitter is "student"
    assert f"Feedback for student on exercise {EXERCISE}" in data["output"]


def test_no_hidden_probe_value_is_in_the_results(results):
    for name, student in (("solution", str(STUDENT_ID)), ("blank", str(STUDENT_ID))):
        root, data = results[name]
        key = (root / "source" / "course" / "grading-secret").read_bytes().strip()
        text = "\n".join([data["output"], *(t["output"] for t in data["tests"])])
        checked = 0
        for task in TASKS:
            for probe in task.hidden_probes(key, student):
                for value in probe.values():
                    first = value[0] if isinstance(value, list) and value else value
                    if isinstance(first, float) and len(repr(first)) > 8:  # drawn, not round
                        assert repr(first) not in text and f"{first:.4g}" not in text, task.id
                        checked += 1
        assert checked


def test_a_submission_without_a_notebook_scores_zero(autograder, tmp_path_factory):
    root = unpack(autograder, tmp_path_factory.mktemp("nothing"))
    (root / "submission" / "answers.py").write_text("x = 1\n")
    data = run_autograder(root)
    validate(data)
    assert data["score"] == 0
    assert "holds no .ipynb notebook" in data["output"]
    assert all("no notebook of 01_the_idea submitted" in t["output"] for t in data["tests"])


def test_visibility_is_set_on_every_test_and_the_whole_result():
    data = hosted.gradescope_results([], [EXERCISE], visibility="after_due_date")
    validate(data)
    assert data["visibility"] == "after_due_date"
    assert {t["visibility"] for t in data["tests"]} == {"after_due_date"}
    assert data["stdout_visibility"] == "hidden"  # stdout is for the instructor


def test_the_command(tmp_path, capsys):
    out = tmp_path / "a.zip"
    assert cli.main(["gradescope", "01", "--out", str(out), "--visibility", "hidden"]) == 0
    assert "keep it private" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("course/autograder.json"))["visibility"] == "hidden"
    assert cli.main(["gradescope", "99", "--out", str(out)]) == 2
    assert "is not an exercise" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["gradescope", "01", "--out", str(out), "--visibility", "sometimes"])
