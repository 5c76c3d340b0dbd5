"""What lesson 00 shows: the map of lessons and a report on the learner's environment; and
where the course's files are, for every command that reads them (`root`), with `gdcourse
start`, which copies the lessons and exercises into a folder of the learner's."""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from importlib import metadata
from pathlib import Path

__all__ = [
    "PACKAGE",
    "INSTALLED",
    "root",
    "package_home",
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
    "START",
    "KERNEL",
    "start",
    "start_main",
]

PACKAGE = Path(__file__).resolve().parent  # the gdcourse package
# The course inside an installed wheel: the build (setup.py) copies the lessons, the blank
# exercises and the set-up files here. A checkout has no such copy: it is the course.
INSTALLED = PACKAGE / "content"


def root() -> Path:
    """The folder the course's files are in: the checkout (or student hand-out) around the
    package when it has notebooks/ and exercises/, else the copy an installed wheel carries
    (`INSTALLED`: lessons, blank exercises, set-up files; never the solutions).

    Every path to the course's files starts here: the lessons, the pins, `gdcourse release`
    and `start`, the folders a grading secret must stay out of.
    """
    around = PACKAGE.parent
    if all((around / name).is_dir() for name in ("notebooks", "exercises")):
        return around
    return INSTALLED


def package_home(folder: str | Path) -> Path:
    """The folder holding the gdcourse package that goes with the course in `folder`: the
    folder itself for a checkout or hand-out; for the course an installed wheel carries, the
    library folder the package was installed into. ValueError when it is neither."""
    folder = Path(folder)
    if (folder / PACKAGE.name).is_dir():
        return folder
    if folder.resolve() == INSTALLED:
        return PACKAGE.parent
    raise ValueError(
        f"{str(folder)!r} holds no gdcourse package, and is not the course installed with it"
    )


NOTEBOOKS = root() / "notebooks"
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
CONSTRAINTS = root() / "constraints.txt"
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


# ------------------------------------------------------------------ gdcourse start

START = "gdcourse-course"  # the folder `gdcourse start` fills when none is named
KERNEL = ("gdcourse", "Python (gdcourse)")  # the kernel every notebook names, and its title
_PARTS = ("notebooks", "exercises")  # what a learner's copy holds, side by side (they link)


def start(folder: str | Path = START) -> tuple[list[str], list[str]]:
    """Copy the course's lessons and exercises into `folder` (made when missing), new files
    only; (copied, skipped), each a list of paths relative to `folder`.

    A file already there is never overwritten, whatever it holds: it is the learner's work
    (a lesson they annotated, an exercise they solved). So running it again after an
    update brings the new notebooks and keeps every file the learner has.
    """
    source, folder = root(), Path(folder)
    found = {part: sorted((source / part).glob("*.ipynb")) for part in _PARTS}
    empty = [part for part, files in found.items() if not files]
    if empty:
        raise ValueError(f"the course at {source} has no notebooks in {', '.join(empty)}")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is a file, not a folder")
    copied, skipped = [], []
    for part, files in found.items():
        (folder / part).mkdir(parents=True, exist_ok=True)
        for path in files:
            name = f"{part}/{path.name}"
            try:
                with open(folder / name, "xb") as out:  # "x": fails if the file exists
                    out.write(path.read_bytes())
            except FileExistsError:
                skipped.append(name)
            else:
                copied.append(name)
    return copied, skipped


def _ensure_kernel() -> str:
    """Register the kernel the notebooks name (`KERNEL`) for this Python when Jupyter knows
    none of that name (as `make setup` does); a sentence saying what was found or done."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    name, title = KERNEL
    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        try:
            where = install(kernel_name=name, display_name=title, prefix=sys.prefix)
        except PermissionError:  # a system Python's folder: the learner's own instead
            where = install(kernel_name=name, display_name=title, user=True)
        return f"registered the notebooks' kernel, {title!r}, for this Python: {where}"
    python = Path(spec.argv[0] if spec.argv else "python")
    if python.is_absolute() and python.parent != Path(sys.executable).absolute().parent:
        return (
            f"the notebooks' kernel {name!r} runs {python}, not this Python "
            f"({sys.executable}): the lessons will run there"
        )
    return f"the notebooks' kernel, {title!r}, is registered"


def _summary(part: str, copied: list[str], skipped: list[str]) -> str:
    """One folder's line: what was copied and what was skipped, by name unless all were."""
    import textwrap

    def said(verb: str, these: list[str], others: list[str], why: str = "") -> str:
        if not others:
            return f"{verb} all {len(these)}{why}"
        return f"{verb} {len(these)}{why}: {', '.join(p.split('/', 1)[1] for p in these)}"

    said_copied = [said("copied", copied, skipped)] if copied else []
    why = ", already there (never overwritten)"
    said_skipped = [said("skipped", skipped, copied, why)] if skipped else []
    text = f"{part}/: " + "; ".join(said_copied + said_skipped)
    return textwrap.fill(text, width=100, initial_indent="  ", subsequent_indent="    ")


def _open_lab(folder: Path, *, browser: bool) -> int:
    """JupyterLab in `folder` on the first lesson, in place of this process (POSIX)."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root unless told (containers)
    if not browser:
        command.append("--no-browser")
    first = sorted((folder / "notebooks").glob("00_*.ipynb"))
    command += [f"notebooks/{first[0].name}"] if first else []
    opened = f" on {command[-1]}" if first else ""
    print(f"  opening JupyterLab in {folder}{opened} (Ctrl+C stops it)", flush=True)
    if os.name != "posix":  # Windows has no exec: run it and wait
        import subprocess

        return subprocess.call(command, cwd=folder)
    os.chdir(folder)
    os.execv(sys.executable, command)
    return 0  # not reached: execv does not return


def start_main(*, folder: str | Path = START, lab: bool = True, browser: bool = True) -> int:
    """The `gdcourse start` command: copy the course into `folder`, new files only, say what
    was copied and what was kept, then open JupyterLab there (unless `lab` is False)."""
    folder = Path(folder).absolute()
    try:
        copied, skipped = start(folder)
    except (ValueError, OSError) as exc:
        print(f"start: {exc}", file=sys.stderr)
        return 2
    print(f"start: the course in {folder} (from {root()})")
    for part in _PARTS:
        mine = [name for name in copied if name.startswith(f"{part}/")]
        kept = [name for name in skipped if name.startswith(f"{part}/")]
        print(_summary(part, mine, kept))
    print(f"  {_ensure_kernel()}")
    if not lab:
        print(f"  open it in JupyterLab with: gdcourse start {folder}")
        return 0
    return _open_lab(folder, browser=browser)
