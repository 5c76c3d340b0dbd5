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

__all__ = ["LOSS_RTOL", "line_loss", "matches_run_loss", "HELD_OUT_LIMIT", "reaches_held_out"]

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


# ---------------------------------------------------------------- the capstone's training run

HELD_OUT_LIMIT = 0.15  # the test loss a run must reach (the reference: 0.015 to 0.075)
# a mistake a run shows (a detector's prediction names it): the test on the run's answer
RUN_MISTAKES = {
    "returned the training loss": lambda r: _close(r[1], r[3]) and not _close(r[1], r[2]),
    "trained on the validation rows": lambda r: r[4] == 1,
    "statistics of all the data": lambda r: r[5] == 1,
    "validation with its own statistics": lambda r: r[5] == 2,
    "not standardised": lambda r: r[5] == 3,
    "evaluated in training mode": lambda r: r[6] == 1,
    "gradients accumulated": lambda r: r[7] == 1,
}


def _close(a, b) -> bool:
    return abs(a - b) <= 1e-3 * max(1.0, abs(b))


def _run(answer):
    run = judge.as_array(answer)
    if run is None or run.shape != (8,) or not np.all(np.isfinite(run[4:])):
        return None
    return run  # a loss may be NaN or infinite: a run that diverged


def reaches_held_out(answer, expected, probe, correct) -> bool:
    """The run (collect.held_out_run's answer) reaches the test loss correct[0], returns the
    validation loss of the trained model, and shows none of RUN_MISTAKES; against a
    detector's prediction (the name of a mistake) whether the run shows that mistake."""
    run = _run(answer)
    if run is None:
        return False
    if isinstance(expected, str):
        return RUN_MISTAKES[expected](run)
    clean = not any(mistake(run) for mistake in RUN_MISTAKES.values())
    return clean and run[0] <= correct[0] and _close(run[1], run[2])


def _describe_held_out(answer, probe, correct) -> list[str]:
    run = _run(answer)
    if run is None:
        return [f"your run: {judge.short(answer)}"]
    return [
        f"your run: test loss {judge.short(float(run[0]))} (held-out rows you never saw), "
        f"you returned {judge.short(float(run[1]))}, the trained model's validation loss "
        f"is {judge.short(float(run[2]))} and its training loss {judge.short(float(run[3]))}",
        f"needed: a test loss ≤ {judge.short(float(correct[0]))}, and the validation loss "
        "of the trained model returned",
    ]


reaches_held_out.describe = _describe_held_out
