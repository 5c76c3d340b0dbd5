"""Judging a learner's answers: shared by in-notebook checks and bulk grading.

The work is split so grading can keep the submission away from the answers:
`collect` runs in the learner's process, calls their object on probes and returns
only plain data (numbers, lists, strings) or a description of what went wrong;
`judge` runs in the judge's process, computes the expected answers with the task's
oracle and compares. Nothing in `judge` trusts or calls learner code.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PACKAGE_DIR = str(Path(__file__).resolve().parent)

# Statuses a task can end with; the grader writes them to grades.csv.
PASSED, FAILED, ERROR, TIMEOUT, NOT_IMPLEMENTED, INVALID = (
    "passed",
    "failed",
    "error",
    "timeout",
    "not implemented",
    "invalid",
)


@dataclass(frozen=True)
class Failure:
    """What went wrong when calling the learner's object (instead of an answer)."""

    kind: str  # ERROR, TIMEOUT, NOT_IMPLEMENTED or INVALID
    message: str  # e.g. "ZeroDivisionError: division by zero"
    where: str = ""  # the learner's line, e.g. "line 4: return total / n"


class TimeLimitExceeded(Exception):
    """Raised inside the learner's code when it runs past the task's time limit."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after `seconds` of wall-clock time (main thread only)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def plain(value):
    """Convert an answer to plain data (floats, lists, strings) or raise TypeError.

    Tensors and arrays become nested lists; this is all that crosses from the
    learner's process to the judge.
    """
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if hasattr(value, "detach") and hasattr(value, "tolist"):  # a torch tensor
        return plain(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(f"returned a {type(value).__name__}, which is not a number, array or string")


def _library(filename: str) -> bool:
    """Whether a traceback frame is in gdcourse, an installed package or the standard library."""
    return (
        filename.startswith((PACKAGE_DIR, sys.base_prefix, sys.prefix))
        or "site-packages" in filename
    )


def _where(tb) -> str:
    """The last line of the learner's own code in a traceback, in a short form."""
    frames = [f for f in traceback.extract_tb(tb) if not _library(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"in {frame.name}, line {frame.lineno}{code}"


def invoke(call: str, obj, probe: dict):
    """Evaluate a task's call expression, e.g. "f(np.array(x), lr)", with f = obj.

    Calls are plain strings so that the grader can send them to the submission's
    process without the task definitions (and their oracles) ever being there.
    """
    env = {"np": np, "f": obj}
    if "torch" in call:
        import torch

        env["torch"] = torch
    return eval(call, env, dict(probe))  # the expression comes from gdcourse.tasks


def collect(call: str, obj, probe: dict, seconds: float):
    """Call the learner's object on one probe; return plain data or a Failure."""
    try:
        with time_limit(seconds):
            answer = invoke(call, obj, probe)
        return plain(answer)
    except NotImplementedError as exc:
        return Failure(NOT_IMPLEMENTED, "not implemented yet", _where(exc.__traceback__))
    except TimeLimitExceeded as exc:
        return Failure(TIMEOUT, str(exc), _where(exc.__traceback__))
    except TypeError as exc:
        if str(exc).startswith("returned a "):
            return Failure(INVALID, str(exc))
        return Failure(ERROR, f"TypeError: {exc}", _where(exc.__traceback__))
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the learner's own error
        return Failure(ERROR, f"{type(exc).__name__}: {exc}", _where(exc.__traceback__))


def as_array(value):
    """A float array for comparison, or None when the value is not numeric."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _ragged(value) -> bool:
    """A list whose items have different shapes (e.g. one gradient per parameter)."""
    return (
        isinstance(value, list)
        and as_array(value) is None
        and all(isinstance(v, list | float) for v in value)
    )


def same(answer, expected, rtol: float, atol: float) -> bool:
    """Whether an answer equals the expected one: strings exactly, numbers within tolerance."""
    if isinstance(expected, str) or isinstance(answer, str):
        return isinstance(answer, str) and answer.strip().lower() == str(expected).lower()
    if _ragged(expected):
        return (
            isinstance(answer, list)
            and len(answer) == len(expected)
            and all(same(a, e, rtol, atol) for a, e in zip(answer, expected, strict=True))
        )
    a, e = as_array(answer), as_array(expected)
    if a is None or e is None or a.shape != e.shape:
        return False
    return bool(np.all(np.isfinite(a)) and np.allclose(a, e, rtol=rtol, atol=atol))


def shape_problem(answer, expected) -> str | None:
    """Describe a shape or type mismatch, if there is one."""
    if isinstance(expected, str):
        return None if isinstance(answer, str) else "expected a string label"
    if _ragged(expected):
        if not isinstance(answer, list) or len(answer) != len(expected):
            return f"expected a list of {len(expected)} items"
        problems = (shape_problem(a, e) for a, e in zip(answer, expected, strict=True))
        return next((f"item {i}: {p}" for i, p in enumerate(problems) if p), None)
    a, e = as_array(answer), as_array(expected)
    if a is None:
        return "the answer is not numeric (or its parts have different lengths)"
    if a.shape != e.shape:
        return f"the answer has shape {a.shape}, expected shape {e.shape}"
    if not np.all(np.isfinite(a)):
        return "the answer contains NaN or infinity"
    return None


def short(value, digits: int = 6) -> str:
    """A compact rendering of plain data for feedback lines."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}"
    if isinstance(value, list):
        inner = ", ".join(short(v, digits) for v in value[:8])
        return f"[{inner}{', …' if len(value) > 8 else ''}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={short(v, digits)}" for k, v in value.items()) + "}"
    return repr(value)


@dataclass
class Verdict:
    """The outcome of one task: status, points, and feedback lines for the learner."""

    task: str
    title: str
    status: str
    points: float
    max_points: float
    hint: str = ""
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def render(self) -> str:
        mark = "✓" if self.passed else "✗"
        score = f"{_pts(self.points)}/{_pts(self.max_points)} points"
        lines = [f"{mark} {self.task} — {self.title} ({score})"]
        if self.hint:
            lines.append(f"  {self.hint}")
        lines.extend(f"  {d}" for d in self.details)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _pts(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def judge(task, probes, answers, *, show_values: bool = True) -> Verdict:
    """Compare answers (plain data or Failures) with the oracle on the same probes.

    With `show_values` (public probes) the feedback shows the probe, the expected
    answer and the learner's; for hidden probes it never does.
    """
    expected = [task.oracle(**p) for p in probes]

    def verdict(status, hint, details=()):
        points = task.points if status == PASSED else 0
        return Verdict(task.id, task.title, status, points, task.points, hint, list(details))

    failures = [a for a in answers if isinstance(a, Failure)]
    if failures:
        first = failures[0]
        for detector in task.detectors:
            if detector.error and detector.error in first.message:
                return verdict(first.kind, detector.hint, [first.message, first.where])
        if first.kind == NOT_IMPLEMENTED:
            return verdict(first.kind, "not implemented yet: replace `raise NotImplementedError`.")
        hints = {
            TIMEOUT: "your code did not finish in time: is there a loop that never ends?",
            INVALID: "return a number, a list, an array or a tensor, as the task says.",
        }
        details = [d for d in (first.message, first.where) if d]
        return verdict(first.kind, hints.get(first.kind, "your code raised an error:"), details)

    pairs = enumerate(zip(answers, expected, strict=True))
    wrong = [i for i, (a, e) in pairs if not task.accepts(a, e, probes[i])]
    if not wrong:
        return verdict(PASSED, "")
    i = wrong[0]
    details = []
    if show_values:
        details = [
            f"probe:    {short(probes[i])}",
            f"expected: {short(expected[i])}",
            f"got:      {short(answers[i])}",
        ]
    problem = shape_problem(answers[i], expected[i])
    if problem:
        return verdict(FAILED, f"{problem}.", details)
    for detector in task.detectors:
        if detector.answer is not None and _matches(task, detector, probes, answers, expected):
            return verdict(FAILED, detector.hint, details)
    return verdict(FAILED, task.hint or "not the expected answer.", details)


def _matches(task, detector, probes, answers, expected) -> bool:
    """A detector fires when every answer equals its mistaken answer (and that differs)."""
    mistaken = [detector.answer(**p) for p in probes]
    if all(task.accepts(m, e, p) for m, e, p in zip(mistaken, expected, probes, strict=True)):
        return False  # the mistake is invisible on these probes
    return all(task.accepts(a, m, p) for a, m, p in zip(answers, mistaken, probes, strict=True))
