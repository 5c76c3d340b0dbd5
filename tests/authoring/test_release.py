"""The student hand-out contains lessons and blank exercises, and no solution code: its
tasks are data (expected answers and detector predictions), not oracle code."""

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import gdcourse
from gdcourse import cli
from gdcourse.authoring.exercises import BEGIN, END
from gdcourse.authoring.release import package_files
from gdcourse.grading import tasks
from tests.grading.cheats import CHEATS
from tests.portability import CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def solution_regions():
    """The text of every marked solution region in solutions/ (dedented lines)."""
    regions = []
    pattern = re.compile(re.escape(BEGIN) + r"\n(.*?)\n\s*" + re.escape(END), re.DOTALL)
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for body in pattern.findall(cell.source):
                regions.append("\n".join(line.strip() for line in body.splitlines()))
    return regions


def released_text(folder: Path) -> str:
    parts = []
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {
            ".py",
            ".ipynb",
            ".md",
            ".txt",
            ".yml",
            ".toml",
            ".json",
            "",
        }:
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                nb = nbformat.reads(text, as_version=4)
                text = "\n".join(c.source for c in nb.cells)
            parts.append("\n".join(line.strip() for line in text.splitlines()))
    return "\n".join(parts)


def test_release_has_no_solution_code(tmp_path):
    target = tmp_path / "handout"
    assert cli.main(["release", str(target)]) == 0
    assert (target / "notebooks" / "01_the_idea.ipynb").exists()
    assert (target / "exercises" / "01_the_idea.ipynb").exists()
    assert (target / "gdcourse" / "checks.py").exists()
    assert not (target / "solutions").exists() and not (target / "tests").exists()
    text = released_text(target)
    # One-line regions are formulas (η·γ^t, np.geomspace) that the reference package
    # states by design (optim's schedules, the oracles of tasks torch cannot answer);
    # every multi-line solution must be absent.
    regions = [r for r in solution_regions() if r.count("\n") >= 1]
    assert len(regions) >= 10, "too few multi-line solution regions to make this test meaningful"
    leaked = [r for r in regions if r in text]
    assert not leaked, f"solution code in the release: {leaked[:2]}"
    assert not re.search(r"^" + re.escape(BEGIN) + r"$", text, flags=re.MULTILINE)


def test_release_refuses_a_non_empty_or_inner_target(tmp_path):
    (tmp_path / "x").write_text("keep me")
    assert cli.main(["release", str(tmp_path)]) == 2
    assert (tmp_path / "x").read_text() == "keep me"
    with pytest.raises(ValueError, match="outside"):
        from gdcourse.authoring.release import release

        release(ROOT / "notebooks" / "out")


def test_release_ships_the_learner_api_and_no_grading_or_authoring_tools(tmp_path):
    files = {str(p) for p in package_files()}
    for name in gdcourse.LEARNER_API:
        assert f"gdcourse/{name}.py" in files
    # what `check(...)` needs: the task registry, its data format, the comparisons and the
    # judge, but no task module (they travel as data) and nothing that grades
    for needed in ("tasks/__init__", "tasks/published", "tasks/comparisons", "judge"):
        assert f"gdcourse/grading/{needed}.py" in files
    assert not [f for f in files if f.startswith("gdcourse/grading/tasks/ex")]
    for left_behind in (
        "pipeline",
        "sandbox",
        "confine",
        "child",
        "gradebook",
        "lms",
        "similarity",
        "secret",
    ):
        assert f"gdcourse/grading/{left_behind}.py" not in files
    assert not [f for f in files if f.startswith("gdcourse/authoring")]
    target = tmp_path / "handout"
    assert cli.main(["release", str(target)]) == 0
    shipped = {str(p.relative_to(target)) for p in (target / "gdcourse").rglob("*.py")}
    assert shipped == files
    assert (target / "gdcourse" / "grading" / "tasks" / "published.json").is_file()
    assert not list(target.rglob("assets"))


def test_the_hand_out_checks_exercises_and_names_the_commands_it_lacks(tmp_path):
    target = tmp_path / "handout"
    assert cli.main(["release", str(target)]) == 0
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
    check = subprocess.run(
        [sys.executable, "-c", "from gdcourse.checks import check\n"
         "check('gd_step', lambda theta, grad, lr: theta - lr * grad)"],
        cwd=target, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert check.returncode == 0 and "✓ gd_step" in check.stdout, check.stderr
    grade = subprocess.run(
        [sys.executable, "-m", "gdcourse", "grade", "x", "--out", "y"],
        cwd=target, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert grade.returncode == 2 and "not part of this copy" in grade.stderr


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    target = tmp_path_factory.mktemp("release") / "handout"
    assert cli.main(["release", str(target)]) == 0
    return target


def code_of(function) -> str:
    """A function's source as `released_text` normalises it (lines stripped)."""
    return "\n".join(line.strip() for line in inspect.getsource(function).splitlines())


def test_no_oracle_detector_or_probe_generator_code_is_in_the_release(handout):
    text = released_text(handout)
    assert not list((handout / "gdcourse" / "grading" / "tasks").glob("ex*.py"))
    assert "_mse_gradients" in (ROOT / "gdcourse/grading/tasks/ex01_the_idea.py").read_text()
    every = [(t.id, "oracle", t.oracle) for t in tasks.all_tasks()]
    every += [(t.id, "hidden", t.hidden) for t in tasks.all_tasks()]
    every += [(t.id, d.name, d.answer) for t in tasks.all_tasks() for d in t.detectors if d.answer]
    assert len(every) > 100
    leaked = [(task, what) for task, what, function in every if code_of(function) in text]
    assert not leaked, f"task code in the release: {leaked[:3]}"


# In the hand-out, in a fresh interpreter: every solution passes every task's check, every
# mutant of tests/grading/mutants gets its detector's hint, from the stored data, and every
# cheat of tests/grading/cheats.py is told that its task forbids what it calls.
_CHECK_EVERYTHING = """
import json, os, sys, tempfile
import gdcourse.checks
from gdcourse.grading import tasks

exercises, mutant_files, cheats = json.loads(sys.stdin.read())
problems, checked = [], 0
assert gdcourse.checks.__file__.startswith(sys.argv[1]), gdcourse.checks.__file__
for exercise, cells in exercises.items():
    env = {}
    for cell in cells:
        exec(compile(cell, exercise, "exec"), env)
    for task in tasks.for_exercise(exercise):
        verdict = gdcourse.checks.evaluate(task.id, env[task.id])
        checked += 1
        if not verdict.passed:
            problems.append(verdict.render())
for path in mutant_files:
    env = {}
    exec(compile(open(path).read(), path, "exec"), env)
    for task_id, mutants in env["MUTANTS"].items():
        hints = {d.name: d.hint for d in tasks.get(task_id).detectors}
        for name, mutant in mutants.items():
            verdict = gdcourse.checks.evaluate(task_id, mutant)
            checked += 1
            if verdict.passed or verdict.hint != hints[name]:
                problems.append(f"mutant {task_id}: {name} got {verdict.render()}")
folder = tempfile.mkdtemp()
for task_id, entries in cheats.items():
    for number, (entry, source) in enumerate(entries.items()):
        path = os.path.join(folder, f"{task_id}_{number}.py")  # the check reads the source
        with open(path, "w") as f:
            f.write(source)
        env = {"__name__": "cheat"}
        exec(compile(source, path, "exec"), env)
        verdict = gdcourse.checks.evaluate(task_id, env[task_id])
        checked += 1
        if verdict.passed or "yourself" not in verdict.hint:
            problems.append(f"cheat {task_id} with {entry} got {verdict.render()}")
print(json.dumps([checked, problems]))
"""


def solution_cells(exercise: str) -> list[str]:
    """A solution notebook's code cells without its check lines and magics."""
    nb = nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", as_version=4)
    return [
        "\n".join(line for line in c.source.splitlines() if not line.startswith(("check(", "%")))
        for c in nb.cells
        if c.cell_type == "code"
    ]


@pytest.mark.parametrize("kernels", ["native", "sse"])
def test_the_hand_out_checks_every_task_from_its_data(handout, kernels):
    """Solutions pass and mutants get their hints in the hand-out, also on other CPU kernels
    (the stored answers come from the instructor's machine, the learner's from theirs)."""
    exercises = {e: solution_cells(e) for e in tasks.exercises()}
    mutants = sorted(str(p) for p in (ROOT / "tests" / "grading" / "mutants").glob("ex*.py"))
    assert len(mutants) == len(exercises)
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(handout)}
    if kernels != "native":
        env.update(CONFIGS[kernels][1])
    done = subprocess.run(
        [sys.executable, "-c", _CHECK_EVERYTHING, str(handout)],
        input=json.dumps([exercises, mutants, CHEATS]),
        cwd=handout, capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    checked, problems = json.loads(done.stdout.strip().splitlines()[-1])
    assert not problems, problems[:3]
    every = tasks.all_tasks()
    cheats = sum(len(entries) for entries in CHEATS.values())
    assert checked == len(every) + sum(len(t.detectors) for t in every) + cheats
