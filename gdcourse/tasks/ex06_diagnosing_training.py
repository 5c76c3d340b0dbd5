"""Tasks of exercises/06_diagnosing_training.ipynb: the learning-rate range test, read a curve."""

from __future__ import annotations

import math

import numpy as np

from . import Detector, Task, register

EXERCISE = "06_diagnosing_training"


# ---------------------------------------------------------------- lr_sweep


def _sweep(lr_min, lr_max, steps, *, kind="geometric"):
    if kind == "linear":
        return np.linspace(lr_min, lr_max, steps).tolist()
    if kind == "no endpoint":
        return np.geomspace(lr_min, lr_max, steps + 1)[:-1].tolist()
    return np.geomspace(lr_min, lr_max, steps).tolist()


lr_sweep = Task(
    id="lr_sweep",
    exercise=EXERCISE,
    title="the learning rates of a range test",
    points=1,
    call="f(lr_min, lr_max, steps)",
    oracle=_sweep,
    public=(
        {"lr_min": 1e-4, "lr_max": 1.0, "steps": 5},
        {"lr_min": 0.001, "lr_max": 10.0, "steps": 9},
    ),
    hidden=lambda rng: [
        {
            "lr_min": float(rng.choice([1e-6, 1e-5, 1e-4])),
            "lr_max": float(rng.choice([1, 10])),
            "steps": int(rng.integers(4, 30)),
        }
        for _ in range(4)
    ],
    rtol=1e-9,
    atol=1e-12,
    detectors=(
        Detector(
            "evenly spaced",
            "your rates are evenly spaced: almost all of them are then near lr_max. A range "
            "test multiplies η by the same factor each step (np.geomspace).",
            answer=lambda **p: _sweep(**p, kind="linear"),
        ),
        Detector(
            "lr_max left out",
            "your sweep stops one factor short of lr_max: the last of the `steps` rates must "
            "be lr_max itself.",
            answer=lambda **p: _sweep(**p, kind="no endpoint"),
        ),
    ),
    hint="η_i = lr_min · (lr_max / lr_min)^(i / (steps − 1)) for i = 0, …, steps − 1.",
)


# ---------------------------------------------------------------- pick_lr


def _pick(lrs, losses, *, divide=10.0, at="min"):
    losses = np.asarray(losses, dtype=float)
    i = int(np.nanargmin(losses)) if at == "min" else int(np.nanargmax(losses))
    return float(lrs[i] / divide)


def _range_probe(rng):
    n = int(rng.integers(12, 25))
    lrs = np.geomspace(1e-4, 1.0, n)
    best = int(rng.integers(n // 3, n - 3))
    losses = 1.0 + 0.02 * (np.arange(n) - best) ** 2 - 0.5 * (np.arange(n) <= best)
    losses[best] = 0.4
    return {"lrs": np.round(lrs, 8).tolist(), "losses": np.round(losses, 4).tolist()}


PUBLIC_LRS = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]

pick_lr = Task(
    id="pick_lr",
    exercise=EXERCISE,
    title="choose a learning rate from a range test",
    points=1,
    call="f(np.array(lrs), np.array(losses))",
    oracle=_pick,
    public=(
        {"lrs": PUBLIC_LRS, "losses": [2.3, 2.2, 1.6, 0.9, 1.4, 40.0]},
        {"lrs": PUBLIC_LRS, "losses": [2.3, 1.2, 0.7, 3.0, 80.0, 1e6]},
    ),
    hidden=lambda rng: [_range_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "the minimum itself",
            "you chose the rate at the lowest loss: there the loss is about to blow up. Take "
            "about ten times less.",
            answer=lambda **p: _pick(**p, divide=1.0),
        ),
        Detector(
            "the largest loss",
            "you looked for the LARGEST loss: the range test's useful point is where the loss "
            "is lowest, before it explodes.",
            answer=lambda **p: _pick(**p, at="max"),
        ),
    ),
    hint="find the index of the lowest loss and return the learning rate there divided by 10.",
)


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

register(lr_sweep, pick_lr, curve_label)
