"""A class on a shared server: the hub image's install of the student hand-out.

test_hub_install_from_the_pins builds the install that docs/hub.md gives for a
JupyterHub image, in a clean virtual environment: torch's CPU build first, then every
other pin of environment.yml constrained by the same pins, then the course (from a
`gdcourse release` hand-out, as a hub would have it) without dependencies, then the
kernel; and runs the course there. It takes a minute or two (pip resolves against
the package index), so it is one test.
"""

import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from gdcourse.authoring import release

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
        "import torch, gdcourse, gdcourse.widgets; "
        "from gdcourse import course; from gdcourse.checks import tasks; "
        "print(torch.__version__, torch.cuda.is_available(), len(tasks.exercises()), "
        "len(course.lessons()), all(ok for *_, ok in course.environment()))",
        cwd=tmp_path,
    )
    version, cuda, exercises, lessons, pinned = out.split()
    assert version.startswith("2.13.0") and cuda == "False"
    assert int(exercises) >= 11 and int(lessons) >= 12 and pinned == "True"
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
