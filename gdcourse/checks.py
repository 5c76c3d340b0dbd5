"""One-line checks for exercise notebooks: `check("gd_step", gd_step)` (every exercise),
and `validate()` / `progress()`: the saved notebook, or every exercise, as the grader
will see them.

The check calls the learner's function on the task's public probes (with a time
limit), compares with the oracle, and prints ✓ or ✗ with a hint that names the likely
mistake, or the API the function uses where the task asks for it written by hand. The
learner's own errors are reported in a short form, never re-raised.
"""

from __future__ import annotations

import os
from pathlib import Path

from .grading import forbidden, judge, selfcheck, tasks
from .grading.collect import collect
from .grading.tasks import published

__all__ = ["check", "evaluate", "validate", "progress", "handed_out", "installed_version"]


def evaluate(task_id: str, obj) -> judge.Verdict:
    """Judge `obj` on the public probes of a task and return the verdict.

    A task that forbids an API (`Task.ruled_out`: its own `forbids` and the course's
    reference code) fails when `obj`'s source uses it.
    """
    task = tasks.get(task_id)
    probes = [dict(p) for p in task.public]
    answers = [collect(task.call, obj, p, task.seconds, task.id) for p in probes]
    finding = forbidden.in_function(obj, task.ruled_out)
    return judge.judge(task, probes, answers, forbidden=finding.hint if finding else "")


def check(task_id: str, obj) -> None:
    """Print the verdict for one task (the line learners put after their code)."""
    try:
        verdict = evaluate(task_id, obj)
    except ValueError as exc:  # an unknown task id: the notebook, not the learner, is wrong
        print(f"✗ {exc}")
        return
    print(verdict.render())


_ASK_PATH = (
    "validate: which notebook? This kernel does not say (JupyterLab tells its kernels in "
    "JPY_SESSION_NAME). Save the notebook and name it, e.g. "
    'validate("08_momentum.ipynb"), or run `gdcourse validate exercises/08_momentum.ipynb` '
    "in a terminal."
)


def _this_notebook() -> Path | None:
    """The notebook this kernel runs, as JupyterLab (jupyter_server) tells it: the
    JPY_SESSION_NAME variable holds its path (absolute, or relative to the server's root);
    None when it is not set or names no file."""
    named = os.environ.get("JPY_SESSION_NAME")
    if not named:
        return None
    path = Path(named)
    for candidate in (path, Path.cwd() / path.name):  # the kernel runs in the notebook's folder
        if candidate.suffix == ".ipynb" and candidate.is_file():
            return candidate
    return None


def validate(path: str | os.PathLike | None = None) -> None:
    """Check this notebook (or `path`) as saved, exactly as the grader will see it: the
    exercise recognised, every cell run from the top in a fresh process, each task's
    function called on its public probes. Prints what will score and what will not, and
    why. Save the notebook first: it is the file that is checked, not this kernel."""
    notebook = Path(path) if path is not None else _this_notebook()
    if notebook is None:
        print(_ASK_PATH)
        return
    if not notebook.is_file():
        print(f"validate: no notebook {str(notebook)!r} (from {Path.cwd()})")
        return
    print(f"Checking {notebook.name} as saved (save it first to check your latest edits)…")
    for report in selfcheck.check_notebooks([notebook]):
        print("\n".join(report.lines()))


def progress(folder: str | os.PathLike | None = None) -> None:
    """Each exercise and task of the course, ✓, ✗ or not tried, from the notebooks saved in
    `folder` (default: this notebook's folder), with the lesson each belongs to. Computed
    here, from the saved files; nothing is sent anywhere."""
    if folder is None:
        notebook = _this_notebook()
        folder = notebook.parent if notebook else Path.cwd()
    rows, seconds = selfcheck.progress(folder)
    print(f"Where you stand, from the notebooks saved in {folder} (in {seconds:.1f} s):")
    print("\n".join(selfcheck.progress_lines(rows)))


def installed_version(exercise: str) -> str | None:
    """The fingerprint of the installed course's tasks for `exercise` (None: it has none)."""
    found = tasks.for_exercise(exercise)
    return published.fingerprint(found) if found else None


def handed_out(exercise: str, version: str) -> None:
    """Say so when this exercise notebook was made for other tasks than the installed
    course's (an old notebook after a course update, or the reverse); silent otherwise.

    `make exercises` writes the call into each exercise's first code cell, with the
    fingerprint of its tasks (`published.fingerprint`) as they were when it was made.
    """
    installed = installed_version(exercise)
    if installed == version:
        return
    if installed is None:
        print(
            f"⚠ The installed course has no exercise {exercise!r}: its checks will not work. "
            "Update the course (make setup in the course folder, or ask your instructor)."
        )
        return
    print(
        f"⚠ This notebook was made for another version of exercise {exercise}'s tasks "
        f"({version}) than the installed course has ({installed}): a check may not match "
        "the task text. Get the exercise notebook and the course from the same release "
        "(on a hub, ask your instructor)."
    )
