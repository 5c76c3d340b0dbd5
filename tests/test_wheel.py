"""The course from a pip-installed wheel (issue #20), not from a checkout.

The wheel is built from this checkout's files, installed into a new, clean virtual
environment (torch first and pinned, then the wheel with the course's constraints), and
used from a folder outside any checkout, as a learner or an instructor with a pip-installed
course would: `gdcourse start` (twice: the second run copies nothing and overwrites
nothing), `validate` on a solved and a blank exercise, `progress`, `release`, the lesson
map, and lesson 00 executed in the kernel `start` registered.

Slow: the first run downloads the course's dependencies (pip's cache makes later runs
quicker). Marked `wheel`: `-m "not wheel"` leaves it out; `make test` runs it.
"""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from gdcourse import cli, course

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
CONTENT = "gdcourse/content"  # course.INSTALLED, inside the wheel
# The environment the venv's commands run in: nothing of this checkout's Python set-up
# (PYTHONPATH would import the checkout instead of the wheel); and for the course's
# commands, the learner's own HOME, without the user's Jupyter folders (a kernel
# registered there would be found instead of the one `start` registers).
PYTHON_SETUP = ("PYTHON", "VIRTUAL_ENV", "CONDA")
USER_FOLDERS = ("JUPYTER", "XDG_")


def run(command, *, cwd, env=None, timeout=900, expect=0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if expect is not None:
        assert done.returncode == expect, f"{command}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done


def scrubbed(home: Path | None = None) -> dict:
    left_out = PYTHON_SETUP + (USER_FOLDERS if home else ())
    env = {k: v for k, v in os.environ.items() if not k.startswith(left_out)}
    return {**env, "HOME": str(home)} if home else env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the files git knows here (tracked, and new ones not
    ignored): nothing built or left in the checkout (build/, .venv/) can slip in."""
    source = tmp_path_factory.mktemp("source")
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # not a file deleted and not yet committed
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    assert (source / "solutions").is_dir()  # there to be left out
    out = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", source, "-w", out]
    run(command, cwd=out, env=scrubbed())
    [built] = out.glob("gdcourse-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new virtual environment with the wheel installed; its bin/ folder."""
    folder = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", folder], cwd=folder)
    env = scrubbed()
    # --no-compile: Python compiles what it imports when it first does; compiling every
    # installed module up front (torch's thousands) took most of the install's time
    pip = [folder / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile"]
    pins = ["-c", ROOT / "constraints.txt"]
    # torch first and pinned: left to resolve on its own, pip may take a multi-GB CUDA build
    run([*pip, *pins, "torch==2.13.0"], cwd=folder, env=env)
    run([*pip, *pins, wheel], cwd=folder, env=env)
    return folder / "bin"


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """The learner's folder, outside any checkout, and their HOME."""
    return tmp_path_factory.mktemp("learner")


def gdcourse(venv, home, *args, expect=0) -> subprocess.CompletedProcess:
    return run([venv / "gdcourse", *args], cwd=home, env=scrubbed(home), expect=expect)


@pytest.fixture(scope="module")
def started(venv, home) -> tuple[Path, str, str]:
    """`gdcourse start mine --no-lab`, twice."""
    first = gdcourse(venv, home, "start", "mine", "--no-lab").stdout
    again = gdcourse(venv, home, "start", "mine", "--no-lab").stdout
    return home / "mine", first, again


def test_the_wheel_carries_the_lessons_and_blank_exercises_and_no_solutions(wheel):
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    for part in ("notebooks", "exercises"):
        ours = sorted((ROOT / part).glob("*.ipynb"))
        assert ours
        for path in ours:  # the same bytes: one source, copied at build time
            assert archive.read(f"{CONTENT}/{part}/{path.name}") == path.read_bytes()
        carried = {n for n in names if n.startswith(f"{CONTENT}/{part}/")}
        assert len(carried) == len(ours)
    for name in ("constraints.txt", "pyproject.toml", "README.md", "environment.yml"):
        assert archive.read(f"{CONTENT}/{name}") == (ROOT / name).read_bytes()
    assert not [n for n in names if "solution" in n.lower()]
    notebooks = [archive.read(n).decode() for n in names if n.endswith(".ipynb")]
    assert not [text for text in notebooks if "BEGIN SOLUTION" in text]


def test_start_copies_the_course_then_keeps_what_is_there(started, venv):
    folder, first, again = started
    for part in ("notebooks", "exercises"):
        ours = sorted(p.name for p in (ROOT / part).glob("*.ipynb"))
        assert sorted(p.name for p in (folder / part).iterdir()) == ours
        assert f"{part}/: copied all {len(ours)}" in first, first
        assert f"{part}/: skipped all {len(ours)}, already there" in again, again
    assert f"(from {venv.parent}" in first  # the wheel's copy, not this checkout
    assert "registered the notebooks' kernel" in first, first
    assert (venv.parent / "share" / "jupyter" / "kernels" / "gdcourse" / "kernel.json").is_file()
    assert "is registered" in again


def test_validate_and_progress_from_the_wheel(started, venv, home):
    folder = started[0]
    solved = folder / "exercises" / "08_momentum.ipynb"
    shutil.copy2(ROOT / "solutions" / "08_momentum.ipynb", solved)
    done = gdcourse(venv, home, "validate", solved, "mine/exercises/01_the_idea.ipynb", expect=1)
    assert "4 of 4 tasks pass the public checks" in done.stdout, done.stdout
    assert "· gd_step (0/1): not tried yet" in done.stdout, done.stdout
    done = gdcourse(venv, home, "progress", "mine/exercises")
    assert "momentum_step ✓" in done.stdout and "gd_step ·" in done.stdout, done.stdout


def test_release_from_the_wheel_is_the_checkouts_release(venv, home, tmp_path):
    """Run outside any course folder, release hands out the course the wheel carries, with
    the installed package's learner API: file for file what the checkout hands out."""
    done = gdcourse(venv, home, "release", "handout", "--exercises", "01,08")
    assert "from the course installed with the package" in done.stdout, done.stdout
    assert cli.main(["release", str(tmp_path / "handout"), "--exercises", "01,08"]) == 0

    def files(folder):
        return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    theirs, ours = files(home / "handout"), files(tmp_path / "handout")
    assert sorted(theirs) == sorted(ours)
    assert [p for p in ours if theirs[p] != ours[p]] == []
    assert not (home / "handout" / "solutions").exists()


def test_the_lesson_map_and_lesson_00_from_the_wheel(started, venv, home):
    code = "from gdcourse import course; print(repr(course.lessons()))"
    done = run([venv / "python", "-c", code], cwd=home, env=scrubbed(home))
    assert done.stdout.strip() == repr(course.lessons())
    # lesson 00 in the kernel `start` registered: its versions against the wheel's pins,
    # its lesson map from the wheel's notebooks, each output as stored
    lesson = started[0] / "notebooks" / "00_welcome.ipynb"
    ran = lesson.with_name("ran.ipynb")
    shutil.copy2(lesson, ran)
    gdcourse(venv, home, "execute", ran)
    stored, fresh = (nbformat.read(p, as_version=4) for p in (lesson, ran))
    for before, after in zip(stored.cells, fresh.cells, strict=True):
        if before.cell_type == "code" and "nbval-ignore-output" not in before.metadata.get(
            "tags", []
        ):
            assert [o.get("text") for o in after.outputs] == [
                o.get("text") for o in before.outputs
            ], before.source


def test_commands_that_need_a_checkout_say_so(venv, home):
    done = gdcourse(venv, home, "build-exercises", expect=2)
    assert "checkout" in done.stderr, done.stderr
    assert "start" in gdcourse(venv, home, "--help").stdout
