"""The pins: environment.yml and constraints.txt must name the same versions."""

import re
from pathlib import Path

import yaml

from gdcourse.course import parse_pins, pinned_versions

ROOT = Path(__file__).resolve().parent.parent


def constraint_pins():
    return pinned_versions(ROOT / "constraints.txt")


def conda_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_lists, "environment.yml has no pip section"
    return parse_pins(pip_lists[0]), env


def test_environment_yml_pins_the_same_versions_as_constraints():
    conda, _ = conda_pins()
    assert conda == constraint_pins()


def test_environment_yml_uses_the_same_python():
    _, env = conda_pins()
    assert "python=3.11" in env["dependencies"]


def test_every_direct_dependency_is_pinned():
    text = (ROOT / "pyproject.toml").read_text()
    declared = re.findall(r'^\s+"([A-Za-z0-9_\-]+)[><=!~ ]', text, flags=re.MULTILINE)
    assert declared, "no dependencies found in pyproject.toml"
    pinned = constraint_pins()
    missing = [name for name in declared if name.lower() not in pinned]
    assert not missing, f"not pinned in constraints.txt: {missing}"


def test_torch_is_pinned_to_the_cpu_build_version():
    assert constraint_pins()["torch"] == "2.13.0"
