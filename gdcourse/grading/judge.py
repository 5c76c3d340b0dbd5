"""Comparing answers with the oracle and writing the verdict: the grader's side only.

`judge` computes the expected answers with the task's oracle and compares them with the
plain data that `collect` returned, then names the likely mistake through the task's
detectors. Nothing here calls or trusts learner code, so it runs in the grader's process
(or, for a learner's own `check(...)`, after `collect` has returned).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .collect import (
    ERROR,
    FAILED,
    INVALID,
    NOT_IMPLEMENTED,
    PASSED,
    SIGNATURE,
    TIMEOUT,
    Failure,
)

__all__ = [
    "RETURNED_NONE",
    "ERRORS",
    "explain_error",
    "as_array",
    "same",
    "shape_problem",
    "short",
    "shown_pair",
    "points_text",
    "Verdict",
    "judge",
]

RETURNED_NONE = "your function returned None: did you forget `return`?"


# Errors learners meet again and again, by a piece of their message, and a sentence each
# (a task's own detectors, which know the task, are asked first).
ERRORS = (
    (
        "Can't call numpy() on Tensor that requires grad",
        "a tensor that still requires grad was turned into NumPy: call .detach() on it "
        "first (t.detach().numpy()), or compute it under `with torch.no_grad():`.",
    ),
    (
        "a leaf Variable that requires grad is being used in an in-place operation",
        "a tensor that requires grad was changed in place (`w -= …`) while autograd was "
        "recording: make the update inside `with torch.no_grad():`.",
    ),
    (
        "only one element tensors can be converted to Python scalars",
        "a tensor of several numbers was used where one number is needed: float(t) and "
        "torch.tensor([t1, t2, …]) need one-number tensors. To join a Python list of "
        "tensors, use torch.stack(list) (or torch.cat(list)).",
    ),
    (
        "'list' object has no attribute",
        "a Python list was used as a tensor or an array (a list has no .shape, .sum(), "
        ".norm(), …): join a list of tensors with torch.stack(list), or make one array "
        "of a list of numbers with torch.tensor(list) or np.array(list).",
    ),
    (
        "does not require grad and does not have a grad_fn",
        "backward() was called on a result autograd did not record: create the tensors "
        "you differentiate with requires_grad=True, and compute the loss from them "
        "(no .detach(), .item() or NumPy on the way).",
    ),
)


def explain_error(message: str) -> str | None:
    """A sentence for a well-known error message (see ERRORS), or None."""
    if "unsupported operand type(s)" in message and "'list'" in message:
        return ERRORS[3][1]
    return next((sentence for piece, sentence in ERRORS if piece in message), None)


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


def same(answer, expected, rtol: float, atol: float, *, equal_nan: bool = False) -> bool:
    """Whether an answer equals the expected one: strings exactly, numbers within tolerance.

    A NaN or infinite answer is never the expected one; with `equal_nan` (a detector that
    predicts the NaN of a known mistake) it equals a prediction with the same NaN and
    infinities in the same places.
    """
    if isinstance(expected, str) or isinstance(answer, str):
        return isinstance(answer, str) and answer.strip().lower() == str(expected).lower()
    if _ragged(expected):
        return (
            isinstance(answer, list)
            and len(answer) == len(expected)
            and all(
                same(a, e, rtol, atol, equal_nan=equal_nan)
                for a, e in zip(answer, expected, strict=True)
            )
        )
    a, e = as_array(answer), as_array(expected)
    if a is None or e is None or a.shape != e.shape:
        return False
    if equal_nan:
        return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.all(np.isfinite(a)) and np.allclose(a, e, rtol=rtol, atol=atol))


def _finite(value) -> bool:
    """Whether plain data holds numbers only and all of them finite (strings count as finite)."""
    if isinstance(value, str):
        return True
    if isinstance(value, list) and as_array(value) is None:
        return all(_finite(v) for v in value)
    a = as_array(value)
    return a is None or bool(np.all(np.isfinite(a)))


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
        return _shape_sentence(a.shape, e.shape, isinstance(answer, list))
    if not np.all(np.isfinite(a)):
        return "the answer contains NaN or infinity"
    return None


def _shape_sentence(got: tuple, wanted: tuple, listed: bool) -> str:
    """The shape mismatch, and what it most likely means."""
    plain = f"the answer has shape {got}, expected shape {wanted}"
    if listed and got == (1, *wanted) and wanted:
        return (
            f"{plain}: your function returned a tuple (or list) holding the answer: is "
            "there a comma after `return …`? Return the array itself"
        )
    if listed and len(got) == len(wanted) + 1 and got[1:] == wanted and wanted:
        return (
            f"{plain}: your function returned {got[0]} values (`return a, b`?) where the "
            f"task expects one array of shape {wanted}: return only that array"
        )
    if len(wanted) == len(got) + 1 and wanted[1:] == got and wanted[0] > 1:
        return (
            f"{plain}: the task expects {wanted[0]} values (a tuple, `return a, b`), your "
            "function returned one"
        )
    if listed and got == (*wanted, 1):
        return (
            f"{plain}: each item is a one-element tensor or array; join a list of "
            "tensors with torch.cat(list), or flatten with .reshape(-1)"
        )
    return plain


def shown_pair(expected, got) -> tuple[str, str]:
    """`short` of both, with all the digits of a float when the short forms look the same.

    An answer within round-off of the expected one can still be rejected (a tolerance,
    a float32 computation): then the usual six digits would print two equal lines.
    """
    e, g = short(expected), short(got)
    if e == g:
        e, g = short(expected, 17), short(got, 17)
    return e, g


def short(value, digits: int = 6) -> str:
    """A compact rendering of plain data for feedback lines."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        if digits >= 17:
            return repr(value)  # the shortest text that reads back as this float
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
        score = f"{points_text(self.points)}/{points_text(self.max_points)} points"
        lines = [f"{mark} {self.task} — {self.title} ({score})"]
        if self.hint:
            lines.append(f"  {self.hint}")
        lines.extend(f"  {d}" for d in self.details)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def points_text(x: float) -> str:
    """Points as people write them: 5, 2.5, 0.333 (the one formatter for points)."""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{round(x, 3):g}"


def judge(task, probes, answers, *, show_values: bool = True, forbidden: str = "") -> Verdict:
    """Compare answers (plain data or Failures) with the oracle on the same probes.

    With `show_values` (public probes) the feedback shows the probe, the expected
    answer and the learner's; for hidden probes it never does. `forbidden` says that the
    learner's function uses an API the task forbids (`forbidden.Finding.hint`): then the
    task fails with that hint, whatever the answers.
    """

    def verdict(status, hint, details=()):
        points = task.points if status == PASSED else 0
        return Verdict(task.id, task.title, status, points, task.points, hint, list(details))

    if forbidden:
        return verdict(FAILED, forbidden)
    if any(a is None for a in answers):  # before shapes: None is no shape at all
        return verdict(FAILED, RETURNED_NONE)
    expected = [task.oracle(**p) for p in probes]

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
        if first.kind == ERROR and first.message.startswith(SIGNATURE):
            # collect's own sentence: a call that does not fit the function's parameters
            return verdict(first.kind, first.message, [first.where] if first.where else [])
        details = [d for d in (first.message, first.where) if d]
        explained = explain_error(first.message) if first.kind == ERROR else None
        if explained:
            return verdict(first.kind, explained, details)
        return verdict(first.kind, hints.get(first.kind, "your code raised an error:"), details)

    pairs = enumerate(zip(answers, expected, strict=True))
    wrong = [i for i, (a, e) in pairs if not task.accepts(a, e, probes[i], e)]
    if not wrong:
        return verdict(PASSED, "")
    i = wrong[0]
    details = []
    if show_values:
        describe = getattr(task.compare, "describe", None)
        if describe is not None:  # acceptance is not equality: say what it measures
            details = [
                f"probe:    {short(probes[i])}",
                *describe(answers[i], probes[i], expected[i]),
            ]
        else:
            shown_expected, shown_got = shown_pair(expected[i], answers[i])
            details = [
                f"probe:    {short(probes[i])}",
                f"expected: {shown_expected}",
                f"got:      {shown_got}",
            ]
    problem = shape_problem(answers[i], expected[i])
    if problem and _finite(answers[i]):  # a NaN may be a known mistake's: detectors first
        return verdict(FAILED, f"{problem}.", details)
    for detector in task.detectors:
        if detector.answer is not None and _matches(task, detector, probes, answers, expected):
            return verdict(FAILED, detector.hint, details)
    if problem:
        return verdict(FAILED, f"{problem}.", details)
    return verdict(FAILED, task.hint or "not the expected answer.", details)


def _matches(task, detector, probes, answers, expected) -> bool:
    """A detector fires when every answer equals its mistaken answer (and that differs).

    A mistake that produces NaN or infinity (a division by zero) is recognised by the
    same non-finite values in the same places, so its hint can say where they come from.
    """
    mistaken = [detector.answer(**p) for p in probes]
    cases = list(zip(answers, mistaken, expected, probes, strict=True))
    if all(task.accepts(m, e, p, e) for _, m, e, p in cases):
        return False  # the mistake is invisible on these probes

    def explains(a, m, p, e):
        if _finite(m):
            return task.accepts(a, m, p, e)
        return same(a, m, task.rtol, task.atol, equal_nan=True)

    return all(explains(a, m, p, e) for a, m, e, p in cases)
