"""The student hand-out contains lessons and blank exercises, and no solution code."""

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
        if path.is_file() and path.suffix in {".py", ".ipynb", ".md", ".txt", ".yml", ".toml", ""}:
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
    # what `check(...)` needs: every task definition and the judge, but nothing that grades
    tasks = {p.name for p in (ROOT / "gdcourse" / "grading" / "tasks").glob("ex*.py")}
    assert {f"gdcourse/grading/tasks/{name}" for name in tasks} <= files
    assert "gdcourse/grading/judge.py" in files
    for left_behind in ("pipeline", "sandbox", "child", "gradebook", "lms", "similarity"):
        assert f"gdcourse/grading/{left_behind}.py" not in files
    assert not [f for f in files if f.startswith("gdcourse/authoring")]
    target = tmp_path / "handout"
    assert cli.main(["release", str(target)]) == 0
    shipped = {str(p.relative_to(target)) for p in (target / "gdcourse").rglob("*.py")}
    assert shipped == files
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
