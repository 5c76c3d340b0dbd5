"""What lesson 00 shows: the map of lessons and a report on the learner's environment."""

from __future__ import annotations

import json
import platform
import re
from importlib import metadata
from pathlib import Path

__all__ = [
    "NOTEBOOKS",
    "lessons",
    "lesson_title",
    "PACKAGES",
    "PYTHON",
    "CONSTRAINTS",
    "parse_pins",
    "pinned_versions",
    "public_version",
    "environment",
    "accelerator",
]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_LESSON_NAME = re.compile(r"^(\d\d)_\w+\.ipynb$")


def lessons(folder: str | Path = NOTEBOOKS) -> list[tuple[str, str, str]]:
    """(number, title, file name) of every lesson, read from the notebooks' first heading.

    Introduced in lesson 00.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be a directory of lesson notebooks, got {str(folder)!r}")
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        match = _LESSON_NAME.match(path.name)
        if match:
            found.append((match.group(1), _title(path), path.name))
    return found


def lesson_title(nb, fallback: str) -> str:
    """The text of a notebook's first Markdown heading (nb: nbformat's or plain JSON)."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            for line in source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _title(path: Path) -> str:
    """The title of the notebook at `path`, read as plain JSON (no nbformat needed)."""
    return lesson_title(json.loads(path.read_text(encoding="utf-8")), path.stem)


# The libraries a lesson imports or needs to run, in the order lesson 00 lists them.
PACKAGES = (
    "torch",
    "numpy",
    "matplotlib",
    "scikit-learn",
    "ipywidgets",
    "jupyterlab",
    "ipykernel",
)
# The Python the stored outputs were made with (environment.yml pins the same).
PYTHON = "3.11"
CONSTRAINTS = Path(__file__).resolve().parent.parent / "constraints.txt"
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$")


def parse_pins(lines) -> dict[str, str]:
    """The `name==version` pins among `lines`, names normalised (lower case, '-')."""
    found = {}
    for line in lines:
        match = _PIN.match(line.split("#")[0].strip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def pinned_versions(path: str | Path = CONSTRAINTS) -> dict[str, str]:
    """The pins of a constraints file (the course's live in `constraints.txt`)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no constraints file at {str(path)!r}: the course's pins live there")
    return parse_pins(path.read_text(encoding="utf-8").splitlines())


def public_version(version: str) -> str:
    """A version without its local label: '2.13.0+cpu' and '2.13.0' are the same release."""
    return version.split("+")[0]


def environment(path: str | Path = CONSTRAINTS) -> list[tuple[str, str, str, bool]]:
    """(name, installed, pinned, matches) for Python and each library the course needs.

    Lesson 00 prints it, so a learner sees at once whether their set-up is the one the stored
    outputs were made with. Versions are compared without local labels (a CPU or CUDA build of
    the same torch release is the same torch), and only the public version is reported, so a
    correct install prints the same lines on every machine.

    Introduced in lesson 00.
    """
    pins = pinned_versions(path)
    python = ".".join(platform.python_version_tuple()[:2])
    report = [("python", python, PYTHON, python == PYTHON)]
    for name in PACKAGES:
        try:
            installed = public_version(metadata.version(name))
        except metadata.PackageNotFoundError:
            installed = "not installed"
        pinned = pins.get(name, "not pinned")
        report.append((name, installed, pinned, installed == pinned))
    return report


def accelerator() -> str:
    """Which accelerator torch sees. It differs from machine to machine, and no lesson needs one.

    Introduced in lesson 00.
    """
    import torch

    if torch.cuda.is_available():
        return f"CUDA GPU: {torch.cuda.get_device_name(0)}"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "Apple GPU (MPS)"
    return "none (CPU only; every lesson is written for a CPU)"
