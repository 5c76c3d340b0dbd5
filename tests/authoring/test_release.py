"""The student hand-out contains lessons and blank exercises, and no solution code: its
tasks are data (expected answers and detector predictions), not oracle code."""

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import gdcourse
from gdcourse import cli
from gdcourse.authoring.exercises import BEGIN, END
from gdcourse.authoring.release import IGNORED, LAB_SETTINGS, TASKS, package_files, release
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
        release(ROOT / "notebooks" / "out", source=ROOT)
    assert not (ROOT / "notebooks" / "out").exists()


def test_release_copies_the_course_folder_it_is_run_in(tmp_path, monkeypatch, capsys):
    """Not the one the package was imported from: an edit in this copy reaches the hand-out."""
    course = tmp_path / "course"
    for name in ("notebooks", "exercises", "gdcourse"):
        shutil.copytree(ROOT / name, course / name, ignore=IGNORED)
    for name in ("pyproject.toml", "constraints.txt", "environment.yml", "LICENSE"):
        shutil.copy2(ROOT / name, course / name)
    lesson = course / "notebooks" / "00_welcome.ipynb"
    nb = nbformat.read(lesson, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An edit made in this copy only."))
    nbformat.write(nb, lesson)
    monkeypatch.chdir(course / "exercises")  # anywhere inside the course folder
    assert cli.main(["release", str(tmp_path / "handout")]) == 0
    assert f"from the course folder {course}" in capsys.readouterr().out
    shipped = nbformat.read(tmp_path / "handout" / "notebooks" / "00_welcome.ipynb", 4)
    assert shipped.cells[-1].source == "An edit made in this copy only."
    monkeypatch.chdir(tmp_path)
    assert cli.main(["release", str(tmp_path / "other")]) == 2
    assert "not inside a course folder" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def test_release_hands_out_the_chosen_exercises_only(tmp_path, capsys):
    target = tmp_path / "week1"
    assert cli.main(["release", str(target), "--exercises", "1,08_momentum"]) == 0
    assert sorted(p.name for p in (target / "exercises").iterdir()) == [
        "01_the_idea.ipynb",
        "08_momentum.ipynb",
    ]
    data = json.loads((target / TASKS / "published.json").read_text(encoding="utf-8"))
    exercises = {t["fields"]["exercise"] for t in data["tasks"]}
    assert exercises == {"01_the_idea", "08_momentum"}
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "`exercises/01_the_idea.ipynb`" in readme and "09_schedules" not in readme
    assert len(list((target / "notebooks").glob("[0-9][0-9]_*.ipynb"))) == len(
        list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    )
    capsys.readouterr()
    assert cli.main(["release", str(tmp_path / "bad"), "--exercises", "01,14"]) == 2
    err = capsys.readouterr().err
    assert "'14'" in err and "01, 02" in err
    assert not (tmp_path / "bad").exists()


# a path in backticks: with a folder (`exercises/`, `gdcourse/optim.py`) or a set-up file
_PATH = re.compile(r"`([\w.-]*/[\w./-]*|[\w.-]+\.(?:txt|yml|toml|md))`")


def test_the_hand_out_names_only_what_it_has(handout):
    """Its README, Makefile and lesson 00 speak to students: every path they name is in
    the hand-out, every `make` target they name is in its Makefile, and nothing points
    at the repository's solutions, tests or maintainer commands."""
    readme = (handout / "README.md").read_text(encoding="utf-8")
    welcome = nbformat.read(handout / "notebooks" / "00_welcome.ipynb", as_version=4)
    prose = readme + "\n".join(c.source for c in welcome.cells if c.cell_type == "markdown")
    named = set(_PATH.findall(prose))
    assert {"exercises/", "notebooks/", "gdcourse/optim.py", "constraints.txt"} <= named
    missing = [p for p in named if not (handout / p).exists()]
    assert not missing, f"the hand-out names what it lacks: {missing}"
    makefile = (handout / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z]+):", makefile, flags=re.MULTILINE))
    used = set(re.findall(r"make ([a-z]+)", readme))
    assert used and used <= targets, used - targets
    for absent in ("solutions/", "make test", "tests/", "gdcourse grade", "release"):
        assert absent not in prose, absent
    assert "{exercises}" not in readme


def test_the_hand_out_carries_the_course_jupyterlab_settings(handout):
    """Its pyproject.toml and Makefile install them: the file they name is there."""
    assert (handout / LAB_SETTINGS).read_bytes() == (ROOT / LAB_SETTINGS).read_bytes()
    assert str(LAB_SETTINGS) in (handout / "pyproject.toml").read_text(encoding="utf-8")
    assert str(LAB_SETTINGS) in (handout / "Makefile").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_hand_out_sets_itself_up_and_runs_a_lesson(handout):
    """The students' own `make setup` (a fresh .venv, the pinned versions, the kernel),
    then lesson 00 and a blank exercise executed in that kernel, importing the hand-out's
    package."""
    python = shutil.which("python3.11") or sys.executable
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    done = subprocess.run(
        ["make", "setup", f"PYTHON={python}"], cwd=handout, capture_output=True, text=True,
        env=env, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    overrides = handout / ".venv/share/jupyter/lab/settings/overrides.d/gdcourse.json"
    assert overrides.read_bytes() == (ROOT / LAB_SETTINGS).read_bytes()  # JupyterLab's settings
    done = subprocess.run(
        [str(handout / ".venv" / "bin" / "python"), "-c", _RUN_IN_HANDOUT],
        cwd=handout, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    package, checks = json.loads(done.stdout.strip().splitlines()[-1])
    assert package == str(handout / "gdcourse" / "__init__.py")
    assert checks and all("not implemented yet" in line for line in checks), checks


_RUN_IN_HANDOUT = """
import json, nbformat, nbclient
nb = nbformat.read("notebooks/00_welcome.ipynb", as_version=4)
nb.cells.append(nbformat.v4.new_code_cell("import gdcourse; print(gdcourse.__file__)"))
nbclient.NotebookClient(nb, kernel_name="gdcourse", timeout=300,
                        resources={"metadata": {"path": "notebooks"}}).execute()
package = nb.cells[-1].outputs[0]["text"].strip()
ex = nbformat.read("exercises/01_the_idea.ipynb", as_version=4)
nbclient.NotebookClient(ex, kernel_name="gdcourse", timeout=300,
                        resources={"metadata": {"path": "exercises"}}).execute()
checks = [o["text"] for c in ex.cells if c.cell_type == "code" and "check(" in c.source
          for o in c.outputs if o.get("name") == "stdout"]
print(json.dumps([package, checks]))
"""


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
        "cluster",
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


def test_the_hand_out_knows_the_same_task_versions_as_the_course(handout):
    """An exercise records the fingerprint of its tasks; the hand-out, built from the
    published data, must compute the same one, or every notebook there would warn."""
    from gdcourse.checks import installed_version

    code = (
        "import json, sys\nfrom gdcourse.checks import installed_version\n"
        "from gdcourse.grading import tasks\n"
        "print(json.dumps({e: installed_version(e) for e in tasks.exercises()}))"
    )
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(handout)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=handout, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    there = json.loads(done.stdout.strip().splitlines()[-1])
    assert there == {e: installed_version(e) for e in tasks.exercises()}


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


def test_the_hand_out_validates_and_shows_progress_without_the_sandbox(handout, tmp_path):
    """The hand-out ships no sandbox (Linux-only, a grading tool): `validate` and `progress`
    run the same `runner.run_cells` in a plain fresh interpreter, and agree with the course's."""
    assert not (handout / "gdcourse" / "grading" / "sandbox.py").exists()
    solution = tmp_path / "exercises" / "08_momentum.ipynb"
    solution.parent.mkdir()
    shutil.copy2(ROOT / "solutions" / "08_momentum.ipynb", solution)
    env = {"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(handout)}

    def gdcourse_(*args):
        return subprocess.run(
            [sys.executable, "-m", "gdcourse", *args],
            cwd=handout, capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip

    done = gdcourse_("validate", str(solution), "exercises/01_the_idea.ipynb")
    assert done.returncode == 1, done.stderr[-2000:]  # the blank one will not score
    assert "4 of 4 tasks pass the public checks" in done.stdout, done.stdout
    assert "· gd_step (0/1): not tried yet" in done.stdout, done.stdout
    done = gdcourse_("progress", str(solution.parent))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "momentum_step ✓" in done.stdout and "gd_step ·" in done.stdout, done.stdout
