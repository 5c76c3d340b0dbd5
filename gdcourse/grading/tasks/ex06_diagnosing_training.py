"""Tasks of exercises/06_diagnosing_training.ipynb: read a loss curve, stop early."""

from __future__ import annotations

import math

import numpy as np

from . import Detector, Task, register

EXERCISE = "06_diagnosing_training"


# ---------------------------------------------------------------- curve_label


def _label(losses, *, check_nan=True, last=True):
    values = np.asarray(losses, dtype=float)
    if check_nan and not np.all(np.isfinite(values)):
        return "nan"
    finite = values[np.isfinite(values)]
    spread = float(np.max(finite) - np.min(finite))
    flat = spread <= 1e-3 * abs(float(finite[0]))
    end = float(finite[-1]) if last else float(np.max(finite))
    if end > 2 * float(finite[0]):
        return "diverging"
    if flat:
        return "flat"
    return "decreasing" if float(finite[-1]) < float(finite[0]) else "rising"


CURVES = {
    "healthy": [2.0, 1.2, 0.8, 0.6, 0.5, 0.45],
    "nan": [2.0, 1.5, 9.0, 1e30, float("nan"), float("nan")],
    "diverging": [1.0, 1.5, 3.0, 7.0, 20.0, 80.0],
    "flat": [0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
    "spike": [2.0, 1.0, 5.0, 0.8, 0.6, 0.5],
}


def _curve_probe(rng):
    kind = int(rng.integers(4))
    t = np.arange(int(rng.integers(6, 15)), dtype=float)
    start = float(rng.uniform(0.5, 3.0))
    if kind == 0:
        curve = start * np.exp(-0.3 * t)
    elif kind == 1:
        curve = start * 1.8**t
    elif kind == 2:
        curve = np.full_like(t, start)
    else:
        curve = start * 1.8**t
        curve[-2:] = math.nan
    return {"losses": [None if math.isnan(v) else round(float(v), 5) for v in curve]}


curve_label = Task(
    id="curve_label",
    exercise=EXERCISE,
    title="read a loss curve",
    points=2,
    call="f(np.array([np.nan if v is None else v for v in losses], dtype=float))",
    oracle=lambda losses: _label([math.nan if v is None else v for v in losses]),
    public=tuple(
        {"losses": [None if isinstance(v, float) and math.isnan(v) else v for v in c]}
        for c in CURVES.values()
    ),
    hidden=lambda rng: [_curve_probe(rng) for _ in range(5)],
    detectors=(
        Detector(
            "NaN not checked first",
            "a curve containing NaN got another label: comparisons with NaN are always "
            "False, so test for non-finite values (np.isfinite) before anything else.",
            answer=lambda losses: _label(
                [math.nan if v is None else v for v in losses], check_nan=False
            ),
        ),
        Detector(
            "peak instead of last value",
            "you compared the LARGEST loss with the first: a single spike is not divergence. "
            "Compare the last loss with the first.",
            answer=lambda losses: _label(
                [math.nan if v is None else v for v in losses], last=False
            ),
        ),
    ),
    hint="in this order: any NaN/inf → 'nan'; last > 2·first → 'diverging'; "
    "max − min ≤ 0.001·|first| → 'flat'; otherwise 'decreasing' if last < first, else "
    "'rising'.",
)


# ---------------------------------------------------------------- early_stop


def _early_stop(val_losses, patience, *, ties=False, late=False):
    """(step of the best validation loss, number of steps run) under patience stopping."""
    best, best_step = math.inf, 0
    for step, value in enumerate(val_losses):
        if value < best or (ties and value == best):
            best, best_step = value, step
        elif step - best_step >= patience + (1 if late else 0):
            return [best_step, step + 1]
    return [best_step, len(val_losses)]


def _val_probe(rng):
    n = int(rng.integers(15, 40))
    t = np.arange(n, dtype=float)
    turn = int(rng.integers(3, n - 4))
    curve = 1.0 + 0.01 * (t - turn) ** 2 + rng.normal(0, 0.004, n)
    curve[int(rng.integers(turn + 1, n))] = float(np.min(curve))  # a tie after the minimum
    return {"val_losses": np.round(curve, 4).tolist(), "patience": int(rng.integers(2, 8))}


early_stop = Task(
    id="early_stop",
    exercise=EXERCISE,
    title="early stopping with patience",
    points=2,
    call="f(np.array(val_losses), patience)",
    oracle=_early_stop,
    public=(
        {"val_losses": [1.0, 0.8, 0.7, 0.75, 0.72, 0.74, 0.71, 0.9], "patience": 3},
        {"val_losses": [0.9, 0.6, 0.6, 0.65, 0.62, 0.7, 0.8, 0.85, 0.9], "patience": 2},
        {"val_losses": [1.0, 0.9, 0.8, 0.7], "patience": 2},
    ),
    hidden=lambda rng: [_val_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "a tie counts as a new best",
            "an equal validation loss counted as a new best for you (`<=`): only a strictly "
            "lower loss is an improvement, so a tie neither resets the patience nor moves "
            "the step to restore.",
            answer=lambda **p: _early_stop(**p, ties=True),
        ),
        Detector(
            "one step too late",
            "you stop one step late: stop at the first step that is `patience` steps after "
            "the best (step − best_step >= patience), and count that step as run.",
            answer=lambda **p: _early_stop(**p, late=True),
        ),
    ),
    hint="walk through the losses keeping the best value and its step; a strictly lower "
    "value is a new best; stop at the first step with step − best_step >= patience and "
    "return [best_step, step + 1]; if that never happens, [best_step, len(val_losses)].",
)

register(curve_label, early_stop)
