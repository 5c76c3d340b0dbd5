"""A submission as the grader reads and judges it: shared by the grader and by the learner.

`read_notebook` finds a notebook's exercise (its metadata, else its file name) and code
cells; `judge_result` turns what the notebook's run sent back (`runner.run_cells`: plain
data) into verdicts, on the grader's side. `gdcourse grade` (`pipeline`) runs them with
each student's hidden probes; `gdcourse validate` and `progress` (`selfcheck`) with the
public ones, so that a learner's verdict and the grader's come from the same code.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import forbidden, judge, runner, tasks
from .collect import ERROR, INVALID, NOT_IMPLEMENTED, TIMEOUT, Failure
from .tasks import published

__all__ = [
    "UNKNOWN_EXERCISE",
    "RESUBMIT",
    "Invalid",
    "read_notebook",
    "version_drift",
    "exercise_from_name",
    "failed_verdicts",
    "judge_result",
    "sentence",
]

UNKNOWN_EXERCISE = (
    "this notebook has no exercise id (no gdcourse.exercise metadata, and its file name "
    "names none of the exercises): open the exercise from exercises/ and save your work "
    "in it, or ask your instructor to grade it with --exercise"
)


RESUBMIT = (
    "open your exercise notebook in JupyterLab, check that your work is in it, save it "
    "(File ▸ Save Notebook) and submit that .ipynb file again"
)


class Invalid(ValueError):
    """A submission that cannot be graded as a notebook; the message says why."""


def read_notebook(path: Path, claim: str | None = None) -> tuple[str, list[str]]:
    """The exercise id and the code cells of a submission, or Invalid.

    A readable notebook that names no known exercise, in its metadata or its file name, is
    `claim` when given (`--exercise`), else Invalid.
    """
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the file is not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise Invalid("the file is JSON but not a Jupyter notebook (no nbformat field)")
    if data["nbformat"] != 4:
        raise Invalid(
            f"notebook format {data['nbformat']!r} is not supported; open and save "
            "it with a current Jupyter (format 4)"
        )
    if not isinstance(data.get("cells"), list):
        raise Invalid("the notebook has no list of cells")
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            raise Invalid("a cell of the notebook is not an object")
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append("".join(source) if isinstance(source, list) else str(source))
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    exercise = (metadata.get("gdcourse") or {}).get("exercise")
    known = tasks.exercises()
    if exercise not in known:
        exercise = exercise_from_name(path)
    if exercise is None:
        exercise = claim
    if exercise is None:
        raise Invalid(f"unknown exercise: {UNKNOWN_EXERCISE}")
    return exercise, cells


def version_drift(data: bytes, exercise: str) -> str:
    """A sentence when the notebook was made for other tasks than the grader's (its
    `gdcourse.tasks` fingerprint, written by build-exercises), else ""."""
    try:
        made_for = json.loads(data)["metadata"]["gdcourse"]["tasks"]
    except (ValueError, KeyError, TypeError):
        return ""
    current = published.fingerprint(tasks.for_exercise(exercise))
    if not isinstance(made_for, str) or made_for == current:
        return ""
    return (
        f"This notebook was made for another version of {exercise}'s tasks ({made_for[:12]}) "
        f"than the grader's ({current}); it was graded with the grader's."
    )


def exercise_from_name(path: Path) -> str | None:
    return next((e for e in tasks.exercises() if e in path.stem), None)


def failed_verdicts(exercise: str, status: str, message: str) -> list[judge.Verdict]:
    """Every task of the exercise ending with the same status and message."""
    return [
        judge.Verdict(t.id, t.title, status, 0, t.points, message)
        for t in tasks.for_exercise(exercise)
    ]


def judge_result(
    exercise: str, job_tasks: list[dict], result, cells=(), *, show_values: bool = False
) -> tuple[list, str]:
    """Verdicts from a child's plain-data result (this is where comparisons happen), and
    the notebook's first error as a sentence ("" if none).

    `cells` are the notebook's code cells: a task that forbids an API fails when the
    learner's function, read statically from them, uses it. `show_values` (public probes
    only) shows the probe, the expected answer and the learner's in the feedback.
    """
    errors = result.get("errors") if isinstance(result, dict) else None
    answers = result.get("answers") if isinstance(result, dict) else None
    if not isinstance(answers, dict) or not isinstance(errors, list):
        message = "the grader received no usable result from the submission's process"
        return failed_verdicts(exercise, ERROR, message), ""
    notebook = None
    if any(tasks.get(t["id"]).ruled_out for t in job_tasks):
        notebook = forbidden.read_notebook(list(cells), runner.code_of)
    verdicts = []
    for job_task in job_tasks:
        task = tasks.get(job_task["id"])
        got = answers.get(task.id)
        if isinstance(got, dict) and "missing" in got:
            hint = f"{got['missing']}."
            if errors:
                hint += f" {sentence(errors[0])}"
            verdicts.append(judge.Verdict(task.id, task.title, ERROR, 0, task.points, hint))
        elif not isinstance(got, list) or len(got) != len(job_task["probes"]):
            message = "the grader received no answers for this task"
            verdicts.append(judge.Verdict(task.id, task.title, ERROR, 0, task.points, message))
        else:
            answers_back = [_answer(item) for item in got]
            finding = notebook and forbidden.in_notebook(notebook, task.id, task.ruled_out)
            verdicts.append(
                judge.judge(
                    task,
                    job_task["probes"],
                    answers_back,
                    show_values=show_values,
                    forbidden=finding.hint if finding else "",
                )
            )
    note = sentence(errors[0]) if errors else ""
    return verdicts, note


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _answer(item):
    """A child's answer record back into plain data or a Failure."""
    if isinstance(item, dict) and "answer" in item:
        return item["answer"]
    failure = item.get("failure") if isinstance(item, dict) else None
    if isinstance(failure, list) and len(failure) == 3:
        kind, message, where = (str(x) for x in failure)
        if kind not in (ERROR, TIMEOUT, NOT_IMPLEMENTED, INVALID):
            kind = ERROR
        return Failure(kind, message, where)
    return Failure(INVALID, "the answer could not be read")
