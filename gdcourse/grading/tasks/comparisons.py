"""Comparisons for tasks that accept more than one answer; they ship with the hand-out.

A task's `compare(answer, expected, probe, correct)` replaces equality: `expected` is what
the answer is compared with (the oracle's answer, or a detector's prediction when the judge
asks whether that mistake explains the answer) and `correct` is the oracle's answer for the
probe. The hand-out's task data names its comparison here (`published`), so a comparison
must measure answers without computing one: it never calls an oracle.
"""

from __future__ import annotations

import numpy as np

from .. import judge

__all__ = ["TARGET_FACTOR", "line_loss", "reaches_target_loss"]

TARGET_FACTOR = 1.01  # accepted: a training loss at most 1 % above the correct run's


def line_loss(params, x, y) -> float:
    """The training loss (mean squared error) of the line with parameters [w, b]."""
    w, b = (float(v) for v in params)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.mean((w * x + b - y) ** 2))


def reaches_target_loss(answer, expected, probe, correct) -> bool:
    """Exactly the expected (w, b), or any (w, b) whose loss reaches the correct run's target.

    The target is TARGET_FACTOR times the training loss of the correct run's (w, b) on the
    probe's data. Against a detector's prediction this accepts the mistake's (w, b), or an
    answer that passes anyway: a detector fires when the answers equal the mistake's on the
    probes where they fail.
    """
    if judge.same(answer, expected, rtol=1e-5, atol=1e-7):
        return True
    params = judge.as_array(answer)
    if params is None or params.shape != (2,) or not np.all(np.isfinite(params)):
        return False
    x, y = probe["x"], probe["y"]
    return line_loss(params, x, y) <= TARGET_FACTOR * line_loss(correct, x, y)
