"""A class on a shared server: the hub image's install, and the gradebook for an LMS.

test_hub_install_from_the_pins builds the install that docs/hub.md gives for a
JupyterHub image, in a clean virtual environment: torch's CPU build first, then every
other pin of environment.yml constrained by the same pins, then the course (from a
`gdcourse release` hand-out, as a hub would have it) without dependencies, then the
kernel; and runs the course there. It takes a minute or two (pip resolves against
the package index), so it is one test.
"""

import csv
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from gdcourse import cli, release

ROOT = Path(__file__).resolve().parent.parent
HUB_DOC = ROOT / "docs" / "hub.md"


def environment_pins() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return [line.split("#")[0].strip() for line in pip if "==" in line]


def run(*command, cwd=None, timeout=900):
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_hub_doc_installs_the_pinned_versions():
    text = HUB_DOC.read_text(encoding="utf-8")
    assert "torch==2.13.0" in text and "-c constraints.txt" in text
    assert "git-pull?repo=" in text and "ipykernel install" in text


def test_hub_install_from_the_pins(tmp_path):
    pins = environment_pins()
    torch_pin = next(p for p in pins if p.startswith("torch=="))
    others = [p for p in pins if p != torch_pin]
    constraints = tmp_path / "pins.txt"
    constraints.write_text("\n".join(pins) + "\n")
    course = tmp_path / "gdcourse"  # what a hub image would clone or copy
    release.release(course)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    pip = (python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    run(*pip, torch_pin)  # first: left to resolve on its own, pip may pick a CUDA build
    run(*pip, "-c", constraints, *others)
    run(*pip, "--no-deps", "-e", course)
    run(python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "gdcourse")
    run(python, "-m", "pip", "check")
    out = run(
        python,
        "-c",
        "import torch, gdcourse, gdcourse.grading, gdcourse.slides as s; "
        "from gdcourse import course, tasks; "
        "print(torch.__version__, torch.cuda.is_available(), len(tasks.exercises()), "
        "len(course.lessons()), all((s.ASSETS / n).is_file() for n in s.VENDORED))",
        cwd=tmp_path,
    )
    version, cuda, exercises, lessons, assets = out.split()
    assert version.startswith("2.13.0") and cuda == "False"
    assert int(exercises) >= 11 and int(lessons) >= 12 and assets == "True"
    assert (venv / "share" / "jupyter" / "kernels" / "gdcourse" / "kernel.json").is_file()
    freeze = run(python, "-m", "pip", "list", "--format=freeze").split()
    installed = dict(l.lower().replace("_", "-").split("==", 1) for l in freeze if "==" in l)
    for pin in pins:
        name, version = pin.lower().replace("_", "-").split("==", 1)
        assert installed.get(name, "").split("+")[0] == version, f"{pin} not installed"


def test_the_course_wheel_carries_every_module_and_asset(tmp_path):
    """A plain `pip install .` (not editable) must install the whole package."""
    course = tmp_path / "gdcourse"
    release.release(course)
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path, course,
        timeout=300,
    )  # fmt: skip
    wheel = next(tmp_path.glob("gdcourse-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {str(p.relative_to(course)) for p in (course / "gdcourse").rglob("*") if p.is_file()}
    source = {n for n in source if "__pycache__" not in n}
    missing = sorted(source - names)
    assert not missing, f"not in the wheel (see [tool.setuptools] in pyproject.toml): {missing}"


# ---------------------------------------------------------------- LMS gradebook files


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.fixture
def results(tmp_path):
    totals = tmp_path / "totals.csv"
    write_csv(totals, ["student", "points", "max_points"], [["ada", "5", "5"], ["ben", "1.5", "5"]])
    grades = tmp_path / "grades.csv"
    write_csv(
        grades,
        ["student", "exercise", "task", "points", "max_points", "status", "feedback"],
        [
            ["ada", "01_the_idea", "t1", "2", "2", "passed", ""],
            ["ada", "08_momentum", "m1", "3", "3", "passed", ""],
            ["ben", "08_momentum", "m1", "1", "3", "failed", "hint"],
        ],
    )
    return tmp_path


def test_canvas_layout_without_and_with_a_roster(results):
    out = results / "canvas.csv"
    args = ["lms", str(results / "totals.csv"), "--lms", "canvas", "--out", str(out)]
    assert cli.main([*args, "--assignment", "GD exercises"]) == 0
    assert read_csv(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "GD exercises"],
        ["    Points Possible", "", "", "", "", "5"],
        ["", "", "", "ada", "", "5"],
        ["", "", "", "ben", "", "1.5"],
    ]
    roster = results / "export.csv"  # Canvas's own gradebook export
    write_csv(
        roster,
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1 (101)"],
        [
            ["    Points Possible", "", "", "", "", "10"],
            ["Lovelace, Ada", "11", "S11", "ada", "A", "9"],
            ["Babbage, Charles", "12", "S12", "charles", "A", "8"],
            ["Ben, Ben", "13", "S13", "ben", "B", "7"],
        ],
    )
    assert cli.main([*args, "--roster", str(roster), "--percent"]) == 0
    assert read_csv(out)[2:] == [
        ["Lovelace, Ada", "11", "S11", "ada", "A", "100"],
        ["Babbage, Charles", "12", "S12", "charles", "A", ""],  # no submission: left blank
        ["Ben, Ben", "13", "S13", "ben", "B", "30"],
    ]
    # a result nobody in the roster matches is an error, not a silently lost grade
    assert cli.main([*args, "--roster", str(roster), "--match", "ID"]) == 1


def test_moodle_and_blackboard_layouts(results):
    moodle = results / "moodle.csv"
    grades = str(results / "grades.csv")
    assert cli.main(["lms", grades, "--lms", "moodle", "--out", str(moodle)]) == 0
    assert read_csv(moodle) == [  # grades.csv gives one column per exercise
        ["Username", "gdcourse exercises 01_the_idea", "gdcourse exercises 08_momentum"],
        ["ada", "2", "3"],
        ["ben", "", "1"],
    ]
    board = results / "board.csv"
    totals = str(results / "totals.csv")
    assert cli.main(["lms", totals, "--lms", "blackboard", "--out", str(board)]) == 0
    lines = board.read_text(encoding="utf-8").splitlines()
    assert lines == [  # Blackboard wants every value quoted
        '"Username","gdcourse exercises [Total Pts: 5 Score]"',
        '"ada","5"',
        '"ben","1.5"',
    ]


@pytest.mark.skipif(os.name != "posix", reason="POSIX paths")
def test_lms_refuses_an_unreadable_results_file(tmp_path):
    assert cli.main(["lms", str(tmp_path / "none.csv"), "--lms", "moodle", "--out", "x"]) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        ("student,points,max_points\nann,3\n", "line 2 has fewer fields than the header"),
        ("name,points\nann,3\n", "missing column(s) student, max_points"),
        ("student,points,max_points\nann,three,4\n", "line 2: points and max_points must be"),
    ],
)
def test_lms_names_what_is_wrong_with_a_results_file(tmp_path, capsys, text, message):
    results = tmp_path / "totals.csv"
    results.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["lms", str(results), "--lms", "moodle", "--out", str(out)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_lms_reports_an_output_it_cannot_write(tmp_path, capsys):
    results = tmp_path / "totals.csv"
    results.write_text("student,points,max_points\nann,3,4\n", encoding="utf-8")
    out = tmp_path / "no such folder" / "out.csv"
    assert cli.main(["lms", str(results), "--lms", "moodle", "--out", str(out)]) == 2
    assert "cannot write" in capsys.readouterr().err
