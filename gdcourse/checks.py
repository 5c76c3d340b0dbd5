"""One-line checks for exercise notebooks: `check("gd_step", gd_step)` (every exercise),
`hint("gd_step")`, and `validate()` / `progress()`: the saved notebook, or every exercise,
as the grader will see them.

The check calls the learner's function on the task's public probes (with a time
limit), compares with the oracle, and prints ✓ or ✗ with a hint that names the likely
mistake, or the API the function uses where the task asks for it written by hand. The
learner's own errors are reported in a short form, never re-raised. After a ✗ it says
that `hint(task_id)` gives the task's hints (`Task.hints`), one level at a time.
"""

from __future__ import annotations

import difflib
import os
import textwrap
from pathlib import Path

from .grading import forbidden, judge, selfcheck, tasks
from .grading.collect import collect
from .grading.tasks import published

__all__ = [
    "check",
    "evaluate",
    "hint",
    "hint_text",
    "validate",
    "progress",
    "handed_out",
    "installed_version",
]


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
    text = verdict.render()
    if not verdict.passed and tasks.get(task_id).hints:
        text += "\n" + _STUCK.format(task_id=task_id)
    print(text)


_STUCK = '  Stuck? hint("{task_id}") gives a hint, one level at a time.'


def hint_text(task: tasks.Task, level: int) -> str:
    """What `hint` prints for level `level` (1 = the first) of a task's hints: the level,
    then how to get the next one, or after the last where the worked solution is.

    Levels past the last show the last one again.
    """
    levels = task.hints
    where = (
        f"The worked solution is solutions/{task.exercise}.ipynb in the course folder "
        f"(the hand-out has the exercises only), and lesson {task.exercise[:2]} "
        f"(notebooks/{task.exercise}.ipynb) explains the method."
    )
    if not levels:
        return f"There are no hints for {task.id}. {where}"
    level = max(1, min(level, len(levels)))
    head = f"Hint {level} of {len(levels)} for {task.id}: {levels[level - 1]}"
    lines = _wrap(head, subsequent_indent="  ")
    if level < len(levels):
        lines.append(f'Run hint("{task.id}") again for the next.')
    else:
        lines.extend(_wrap(f"That is the last hint. {where}"))
    return "\n".join(lines)


def _wrap(text: str, **options) -> list[str]:
    """Lines of at most 88 characters, broken at spaces only (never inside micro-batch)."""
    return textwrap.wrap(text, 88, break_long_words=False, break_on_hyphens=False, **options)


# The level of hint each task showed last in this kernel (the one per-kernel state).
_shown_levels: dict[str, int] = {}


def hint(task_id: str, level: int | None = None) -> None:
    """Print the next hint for a task, one level at a time: a nudge, then the idea, then the
    formula; after the last, where the worked solution is. `level=k` shows level k."""
    if not isinstance(task_id, str):
        name = getattr(task_id, "__name__", "the_task")
        print(f'hint takes the task\'s name in quotes, e.g. hint("{name}").')
        return
    try:
        task = tasks.get(task_id)
    except ValueError:
        print(_unknown(task_id))
        return
    count = len(task.hints)
    if level is None:
        level = min(_shown_levels.get(task.id, 0) + 1, max(count, 1))
    elif isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= count:
        print(f'{task.id} has hint levels 1 to {count}: e.g. hint("{task.id}", level=1).')
        return
    _shown_levels[task.id] = level
    print(hint_text(task, level))


def _unknown(task_id: str) -> str:
    """One line for a task id the course does not have, naming the closest ones."""
    ids = [t.id for t in tasks.all_tasks()]
    close = difflib.get_close_matches(task_id, ids, n=3, cutoff=0.6)
    if close:
        named = " or ".join(f'"{c}"' for c in close)
        return f'hint: there is no task "{task_id}"; did you mean {named}?'
    return f'hint: there is no task "{task_id}": use the name in the task\'s check("…", …) line.'


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
