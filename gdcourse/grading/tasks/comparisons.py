"""Comparisons for tasks that accept more than one answer; they ship with the hand-out.

A task's `compare(answer, expected, probe, correct)` replaces equality: `expected` is what
the answer is compared with (the oracle's answer, or a detector's prediction when the judge
asks whether that mistake explains the answer) and `correct` is the oracle's answer for the
probe. The hand-out's task data names its comparison here (`published`), so a comparison
must measure answers without computing one: it never calls an oracle.

A comparison may carry a `describe(answer, probe, correct)` attribute: the feedback lines
that say what it measured, shown instead of "expected / got" (which would suggest that
only the expected value is accepted).
"""

from __future__ import annotations

import numpy as np

from .. import judge

__all__ = ["LOSS_RTOL", "line_loss", "matches_run_loss"]

LOSS_RTOL = 0.01  # accepted: a training loss within 1 % of the correct run's, either way


def line_loss(params, x, y) -> float:
    """The training loss (mean squared error) of the line with parameters [w, b]."""
    w, b = (float(v) for v in params)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean((w * x + b - y) ** 2))


def _params(answer):
    params = judge.as_array(answer)
    if params is None or params.shape != (2,) or not np.all(np.isfinite(params)):
        return None
    return params


def matches_run_loss(answer, expected, probe, correct) -> bool:
    """Exactly the expected (w, b), or any (w, b) whose loss is within 1 % of the correct run's.

    The run is short and stops far from the best line: a loss much LOWER than the run's
    means another method (a closed form, more steps), which the task is not about, so it
    is rejected as a higher one is. Against a detector's prediction this accepts the
    mistake's (w, b), or an answer that passes anyway: a detector fires when the answers
    equal the mistake's on the probes where they fail.
    """
    if judge.same(answer, expected, rtol=1e-5, atol=1e-7):
        return True
    params = _params(answer)
    if params is None:
        return False
    x, y = probe["x"], probe["y"]
    target = line_loss(correct, x, y)
    return abs(line_loss(params, x, y) - target) <= LOSS_RTOL * target


def _describe_run_loss(answer, probe, correct) -> list[str]:
    target = line_loss(correct, probe["x"], probe["y"])
    params = _params(answer)
    yours = "—" if params is None else judge.short(line_loss(params, probe["x"], probe["y"]))
    low, high = (1 - LOSS_RTOL) * target, (1 + LOSS_RTOL) * target
    return [
        f"your (w, b): {judge.short(answer)}, your loss: {yours}",
        f"needed: a loss between {judge.short(low)} and {judge.short(high)} (the correct "
        f"run of `steps` steps reaches {judge.short(target)} with (w, b) = {judge.short(correct)})",
    ]


matches_run_loss.describe = _describe_run_loss
