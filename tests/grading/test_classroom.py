"""`gdcourse classroom` and the GitHub Classroom workflow in docs/.

The JSON must have the shape GitHub Classroom's autograding reporter reads
(`classroom-resources/autograding-grading-reporter`: version, status "pass"/"fail"/"error",
max_score, tests with name, status, score, message), and the workflow must be valid YAML
that names only actions, step ids and gdcourse commands that exist.
"""

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from gdcourse import cli
from gdcourse.grading import hosted, tasks

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "docs" / "classroom.yml"
GUIDE = ROOT / "docs" / "instructor.md"
ACTIONS = {
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "classroom-resources/autograding-grading-reporter@v1",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A solution of 01 and a blank of 02, graded as one student's repository."""
    folder = tmp_path_factory.mktemp("repo")
    shutil.copy2(ROOT / "solutions" / "01_the_idea.ipynb", folder)
    shutil.copy2(ROOT / "exercises" / "02_worked_iterations.ipynb", folder)
    secret = tmp_path_factory.mktemp("secret") / "key"
    secret.write_text("a classroom secret\n")
    return folder, secret


def run(capsys, *args):
    code = cli.main(["classroom", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_report_has_the_reporters_shape(report, capsys):
    folder, secret = report
    paths = sorted(folder.glob("*.ipynb"))
    code, out, _ = run(capsys, *paths, "--student", "ann", "--secret", secret)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"version", "status", "max_score", "tests"}
    assert data["version"] == 1 and data["status"] in ("pass", "fail", "error")
    for test in data["tests"]:
        assert set(test) == {"name", "status", "score", "max_score", "message"}
        assert isinstance(test["name"], str) and isinstance(test["message"], str)
        assert test["status"] in ("pass", "fail", "error")
        assert isinstance(test["score"], float) and 0 <= test["score"] <= test["max_score"]
    expected = tasks.for_exercise("01_the_idea") + tasks.for_exercise("02_worked_iterations")
    assert data["max_score"] == sum(t.points for t in expected)
    assert [t["name"] for t in data["tests"]] == [f"{t.exercise} · {t.id}" for t in expected]
    first = [t for t in data["tests"] if t["name"].startswith("01_")]
    second = [t for t in data["tests"] if t["name"].startswith("02_")]
    assert all(t["status"] == "pass" and t["score"] == t["max_score"] for t in first)
    assert all(t["status"] != "pass" and t["score"] == 0 for t in second)
    assert all("not implemented" in t["message"] for t in second)
    assert data["status"] == "fail"  # not every task passed; none could not run


def test_statuses_map_to_the_reporters():
    from gdcourse.grading.gradebook import Record, Row

    def record(*statuses):
        rows = [Row("s", "01_the_idea", f"t{i}", 0, 1, s, "") for i, s in enumerate(statuses)]
        return Record("s", "01_the_idea", "a.ipynb", rows)

    assert hosted.classroom_report([record("passed", "passed")])["status"] == "pass"
    assert hosted.classroom_report([record("passed", "failed")])["status"] == "fail"
    timed_out = hosted.classroom_report([record("failed", "timeout")])
    assert timed_out["status"] == "error"
    assert [t["status"] for t in timed_out["tests"]] == ["fail", "error"]


def test_usage_errors(tmp_path, capsys):
    assert run(capsys, tmp_path / "missing.ipynb")[0] == 2
    (tmp_path / "a.ipynb").write_text("{}")
    assert run(capsys, tmp_path / "a.ipynb", "--exercise", "99_nothing")[0] == 2


def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def test_the_guide_shows_the_workflow_file():
    text = GUIDE.read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/classroom\.yml.*?)```", text, re.S)
    assert block, "docs/instructor.md has no classroom.yml block"
    assert block.group(1) == WORKFLOW.read_text()


def test_the_workflow_is_valid_and_names_only_what_exists():
    data = workflow()
    assert set(data) >= {"name", "on", "permissions", "jobs"}
    assert data["permissions"]["checks"] == "write"
    (job,) = data["jobs"].values()
    steps = job["steps"]
    ids = {step["id"] for step in steps if "id" in step}
    for step in steps:
        assert set(step) <= {"name", "id", "uses", "with", "run", "env", "if", "working-directory"}
        assert ("uses" in step) != ("run" in step), step["name"]
        if "uses" in step:
            assert step["uses"] in ACTIONS, step["uses"]
        for text in (json.dumps(step.get("env", {})), json.dumps(step.get("with", {}))):
            for used in re.findall(r"steps\.([\w-]+)\.outputs", text):
                assert used in ids, used
    setup = next(s for s in steps if s.get("uses") == "actions/setup-python@v5")
    assert setup["with"]["python-version"] == "3.11"
    reporter = next(s for s in steps if s.get("uses", "").startswith("classroom-resources/"))
    runners = [r.strip() for r in reporter["with"]["runners"].split(",")]
    for runner in runners:
        assert runner in ids
        variable = f"{runner.upper()}_RESULTS"
        assert reporter["env"][variable] == f"${{{{ steps.{runner}.outputs.result }}}}"
        grader = next(s for s in steps if s.get("id") == runner)
        assert 'result=$(base64 -w0 result.json)" >> "$GITHUB_OUTPUT"' in grader["run"]


def test_the_workflow_installs_from_the_pins_and_runs_real_commands():
    steps = next(iter(workflow()["jobs"].values()))["steps"]
    script = "\n".join(step.get("run", "") for step in steps).replace("\\\n", " ")
    pins = (ROOT / "constraints.txt").read_text().splitlines()
    torch = script.index("torch==2.13.0")
    assert "torch==2.13.0" in pins
    assert torch < script.index("-c .gdcourse/constraints.txt ./.gdcourse")
    commands = [line.strip() for line in script.splitlines()]
    commands = [line for line in commands if line.startswith("gdcourse ")]
    assert commands
    for line in commands:
        line = re.sub(r"\$\{\{[^}]*\}\}", "NAME", line).split(">")[0]
        words = shlex.split(line.replace("$GITHUB_WORKSPACE", "/w"))[1:]
        assert words[0] in cli.COMMANDS
        cli.parser().parse_args(words)  # exits (SystemExit) on an unknown option
