"""Tasks of exercises/06_diagnosing_training.ipynb: read a loss curve, stop early."""

from __future__ import annotations

import math

import numpy as np

from . import Detector, Task, register

EXERCISE = "06_diagnosing_training"


# ---------------------------------------------------------------- curve_label


def _label(losses, *, check_nan=True, last=True, nonfinite="any", rising=True):
    """Oracle (and its mutants): nonfinite="nan" tests for NaN only, "last" only the last
    value; rising=False never answers 'rising'."""
    values = np.asarray(losses, dtype=float)
    bad = {
        "any": ~np.isfinite(values),
        "nan": np.isnan(values),
        "last": ~np.isfinite(values[-1:]),
    }[nonfinite]
    if check_nan and np.any(bad):
        return "nan"
    finite = values[np.isfinite(values)]
    spread = float(np.max(finite) - np.min(finite))
    flat = spread <= 1e-3 * abs(float(finite[0]))
    end = float(finite[-1]) if last else float(np.max(finite))
    if end > 2 * float(finite[0]):
        return "diverging"
    if flat:
        return "flat"
    if not rising:
        return "decreasing"
    return "decreasing" if float(finite[-1]) < float(finite[0]) else "rising"


CURVES = {
    "healthy": [2.0, 1.2, 0.8, 0.6, 0.5, 0.45],
    "nan": [2.0, 1.5, 9.0, 1e30, float("nan"), float("nan")],
    "diverging": [1.0, 1.5, 3.0, 7.0, 20.0, 80.0],
    "flat": [0.7, 0.7, 0.7, 0.7, 0.7, 0.7],
    "spike": [2.0, 1.0, 5.0, 0.8, 0.6, 0.5],
    "rising": [0.5, 0.55, 0.6, 0.7, 0.8, 0.9],
    "overflow": [1.0, 4.0, 1e20, 1e300, math.inf, math.inf],
    "inf, then finite": [2.0, 1.5, math.inf, 1.2, 1.0, 0.9],
}


def _curve_probe(rng, kind):
    t = np.arange(int(rng.integers(6, 15)), dtype=float)
    start = float(rng.uniform(0.5, 3.0))
    if kind == 0:
        curve = start * np.exp(-0.3 * t)
    elif kind == 1:
        curve = start * 1.8**t
    elif kind == 2:
        curve = np.full_like(t, start)
    elif kind == 3:
        curve = start * 1.8**t
        curve[-2:] = math.nan
    elif kind == 4:  # rising, but less than twofold
        curve = start * (1 + 0.5 * t / t[-1])
    elif kind == 5:  # overflow: inf, no NaN
        curve = start * 1.8**t
        curve[-2:] = math.inf
    elif kind == 7:  # a spike above twice the start, then lower than the start
        curve = start * np.exp(-0.3 * t)
        curve[int(rng.integers(1, len(t) - 2))] = 3 * start
    else:  # one non-finite value, then finite ones
        curve = start * np.exp(-0.3 * t)
        curve[int(rng.integers(1, len(t) - 1))] = float(rng.choice([math.inf, math.nan]))
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
    hidden=lambda rng: [_curve_probe(rng, int(kind)) for kind in rng.permutation(8)],
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
        Detector(
            "NaN only",
            "a curve with an infinite loss got another label: np.isnan misses inf. Test "
            "with np.isfinite, which is False for NaN and for ±inf.",
            answer=lambda losses: _label(
                [math.nan if v is None else v for v in losses], nonfinite="nan"
            ),
        ),
        Detector(
            "only the last value checked",
            "a curve with a NaN or inf before its end got another label: check EVERY loss "
            "for non-finite values, np.all(np.isfinite(losses)), not only the last one.",
            answer=lambda losses: _label(
                [math.nan if v is None else v for v in losses], nonfinite="last"
            ),
        ),
        Detector(
            "never 'rising'",
            "a curve that ends higher than it starts (but less than twice as high) is "
            "'rising': you called it something else.",
            answer=lambda losses: _label(
                [math.nan if v is None else v for v in losses], rising=False
            ),
        ),
    ),
    hints=(
        "What does a comparison such as loss > 2·first give when the loss is NaN, and does "
        "np.isnan notice an infinite loss? Rule out bad values anywhere in the history before "
        "any comparison; lesson 06, section 2, shows the doctor trying its rules in order too.",
        "Apply the rules strictly in the task's order: first non-finite values anywhere in the "
        "history (NaN and ±inf alike), then the LAST loss against the first for divergence (a "
        "spike in the middle is not divergence), then the spread for flat, then the last loss "
        "against the first.",
        "'nan' if not every loss is finite (np.isfinite); else 'diverging' if last > 2·first; "
        "else 'flat' if max − min ≤ 0.001·|first|; else 'decreasing' if last < first, "
        "otherwise 'rising'.",
    ),
    hint="in this order: any NaN/inf → 'nan'; last > 2·first → 'diverging'; "
    "max − min ≤ 0.001·|first| → 'flat'; otherwise 'decreasing' if last < first, else "
    "'rising'.",
)


# ---------------------------------------------------------------- early_stop


def _early_stop(val_losses, patience, *, ties=False, late=False, peek=False):
    """(step of the best validation loss, number of steps run) under patience stopping.

    peek=True (a mutant) reports the best step of ALL the losses, past the stop too.
    """
    if peek:
        steps_run = _early_stop(val_losses, patience)[1]
        return [int(np.argmin(val_losses)), steps_run]
    best, best_step = math.inf, 0
    for step, value in enumerate(val_losses):
        if value < best or (ties and value == best):
            best, best_step = value, step
        elif step - best_step >= patience + (1 if late else 0):
            return [best_step, step + 1]
    return [best_step, len(val_losses)]


def _val_probe(rng, kind):
    """A noisy valley. kind 0: a tie with the best within the patience (where `<=` moves
    the best step); kind 1: a lower loss after the stop (seen only by peeking)."""
    patience = int(rng.integers(2, 8))
    n = int(rng.integers(2 * patience + 12, 2 * patience + 30))
    t = np.arange(n, dtype=float)
    turn = int(rng.integers(3, n - 2 * patience - 6))
    curve = np.round(1.0 + 0.01 * (t - turn) ** 2 + rng.normal(0, 0.004, n), 4)
    best_step, _ = _early_stop(curve.tolist(), patience)
    if kind == 0:
        curve[best_step + int(rng.integers(1, patience + 1))] = curve[best_step]
    elif kind == 1:
        curve[-1] = round(float(np.min(curve)) - 0.05, 4)
    return {"val_losses": curve.tolist(), "patience": patience}


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
        # a lower loss comes after the stop: the run never sees it
        {"val_losses": [1.0, 0.8, 0.85, 0.9, 0.95, 0.5, 0.4], "patience": 3},
    ),
    hidden=lambda rng: [_val_probe(rng, kind) for kind in (0, 1, 2, 3)],
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
        Detector(
            "best of all the losses",
            "your best step is the lowest loss of the WHOLE list, one that comes after the "
            "stop: training has stopped by then and never sees it. Keep the best of the "
            "losses up to the step where you stop.",
            answer=lambda **p: _early_stop(**p, peek=True),
        ),
    ),
    hints=(
        "Does an equal loss count as an improvement, and on which step exactly do you stop? "
        "Work [1.0, 0.8, 0.8, 0.9, 0.95] with patience 2 through by hand, step by step, with "
        "the rule of lesson 06, section 4.",
        "Walk through the losses in order, keeping the best value so far and its step; only a "
        "strictly lower loss replaces it. Stop at the first step that lies `patience` steps "
        "after the best one, and count that step as run: the best step is the best seen up to "
        "there, never one after the stop.",
        "Keep best and best_step; at each step, a loss below best makes it the new best; "
        "otherwise, once step − best_step ≥ patience, the answer is [best_step, step + 1]. If "
        "that never happens it is [best_step, len(val_losses)].",
    ),
    hint="walk through the losses keeping the best value and its step; a strictly lower "
    "value is a new best; stop at the first step with step − best_step >= patience and "
    "return [best_step, step + 1]; if that never happens, [best_step, len(val_losses)].",
)

register(curve_label, early_stop)
