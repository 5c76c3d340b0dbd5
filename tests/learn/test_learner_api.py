"""The learner API as a whole: `__all__` in every module, and "Introduced in lesson NN." tags
that name the first lesson whose code uses each function or class."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

import gdcourse

LESSONS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TAG = re.compile(r"Introduced in lesson (\d\d)\b")
# Classes that lessons meet as what a function returns, never by name: the tag names the
# lesson where that function is first called.
RETURNED_BY = {
    "optim.Trajectory": "optim.run",
    "doctor.Diagnosis": "doctor.diagnose",
    "rates.Optimum": "rates.optimal_momentum",
    "functions.TestFunction": "functions.quadratic_1d",
}


def module(name):
    return importlib.import_module(f"gdcourse.{name}")


def own_public_names(mod) -> set[str]:
    """The public functions and classes a module defines, and its constants (UPPER_CASE)."""
    names = set()
    for name, obj in vars(mod).items():
        if name.startswith("_"):
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if obj.__module__ == mod.__name__:
                names.add(name)
        elif name.isupper() and not inspect.ismodule(obj):
            names.add(name)
    return names


@pytest.mark.parametrize("name", gdcourse.LEARNER_API)
def test_every_learner_module_lists_its_public_names_in_all(name):
    mod = module(name)
    assert [n for n in mod.__all__ if not hasattr(mod, n)] == []
    assert sorted(own_public_names(mod) - set(mod.__all__)) == []


def lesson_code() -> dict[str, str]:
    code = {}
    for path in LESSONS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code[path.name[:2]] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "code"
        )
    return code


def first_use(code: dict[str, str], qualified: str) -> str | None:
    """The first lesson whose code imports gdcourse's module and uses module.name."""
    mod, name = qualified.split(".")
    imports = re.compile(rf"from gdcourse import [^\n]*\b{mod}\b|from gdcourse\.{mod} import")
    use = re.compile(rf"(?<![\w.]){mod}\.{name}\b|from gdcourse\.{mod} import [^\n]*\b{name}\b")
    return next((n for n, text in code.items() if imports.search(text) and use.search(text)), None)


def tagged() -> dict[str, str]:
    """module.name -> the lesson number its docstring's tag names (methods left out)."""
    tags = {}
    for mod_name in gdcourse.LEARNER_API:
        mod = module(mod_name)
        for name in mod.__all__:
            match = TAG.search(inspect.getdoc(getattr(mod, name)) or "")
            if match and (
                inspect.isfunction(getattr(mod, name)) or inspect.isclass(getattr(mod, name))
            ):
                tags[f"{mod_name}.{name}"] = match[1]
    return tags


def test_each_function_and_class_lessons_use_says_where_it_is_introduced():
    code, tags = lesson_code(), tagged()
    for mod_name in gdcourse.LEARNER_API:
        for name in module(mod_name).__all__:
            qualified = f"{mod_name}.{name}"
            obj = getattr(module(mod_name), name)
            first = first_use(code, RETURNED_BY.get(qualified, qualified))
            if first is None or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                assert qualified not in tags, f"{qualified}: tagged, but no lesson uses it"
                continue
            assert tags.get(qualified) == first, f"{qualified}: first used in lesson {first}"
