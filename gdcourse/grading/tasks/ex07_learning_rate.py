"""Tasks of exercises/07_learning_rate.ipynb: the learning rates of a range test, and the pick."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "07_learning_rate"


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
    # float32 is accepted (torch.logspace's default dtype is within a few 1e-7 of exact)
    rtol=1e-5,
    atol=0.0,
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


def _pick(lrs, losses, *, divide=10.0, at="min", shift=0):
    """Oracle (and its mutants); shift=-1 takes the grid's previous rate instead of dividing."""
    losses = np.asarray(losses, dtype=float)
    i = int(np.nanargmin(losses)) if at == "min" else int(np.nanargmax(losses))
    if shift:
        return float(lrs[max(i + shift, 0)])
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
        # a finer grid, factor 10^(1/2): the previous rate is not a tenth of the best
        {
            "lrs": [1e-3, 0.003162, 1e-2, 0.03162, 0.1, 0.3162, 1.0],
            "losses": [2.3, 2.1, 1.7, 1.1, 0.6, 5.0, 90.0],
        },
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
        Detector(
            "the previous rate on the grid",
            "you took the rate one step before the minimum on the grid: that is a tenth only "
            "when the grid steps by 10×. Divide the rate at the minimum by 10.",
            answer=lambda **p: _pick(**p, shift=-1),
        ),
    ),
    hint="find the index of the lowest loss and return the learning rate there divided by 10.",
)


register(lr_sweep, pick_lr)
