"""One-line checks for exercise notebooks: `check("gd_step", gd_step)` (every exercise).

The check calls the learner's function on the task's public probes (with a time
limit), compares with the oracle, and prints ✓ or ✗ with a hint that names the likely
mistake, or the API the function uses where the task asks for it written by hand. The
learner's own errors are reported in a short form, never re-raised.
"""

from __future__ import annotations

from .grading import forbidden, judge, tasks
from .grading.collect import collect
from .grading.tasks import published

__all__ = ["check", "evaluate", "handed_out", "installed_version"]


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
