"""What lesson 00 shows: the map of lessons and a report on the learner's environment."""

from __future__ import annotations

import json
import platform
import re
from importlib import metadata
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_LESSON_NAME = re.compile(r"^(\d\d)_\w+\.ipynb$")


def lessons(folder: str | Path = NOTEBOOKS) -> list[tuple[str, str, str]]:
    """(number, title, file name) of every lesson, read from the notebooks' first heading."""
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


PACKAGES = ("torch", "numpy", "matplotlib", "ipywidgets", "jupyterlab")


def environment() -> dict[str, str]:
    """Versions of Python and the course's main packages, and which accelerator torch sees."""
    import torch

    report = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in PACKAGES:
        try:
            report[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            report[name] = "not installed"
    if torch.cuda.is_available():
        report["accelerator"] = f"CUDA GPU: {torch.cuda.get_device_name(0)}"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        report["accelerator"] = "Apple GPU (MPS)"
    else:
        report["accelerator"] = "none (CPU only; every lesson is written for a CPU)"
    return report
