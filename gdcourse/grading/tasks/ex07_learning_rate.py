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
    hints=(
        "Should neighbouring rates differ by the same amount or by the same factor? And is lr_max "
        "itself one of the `steps` rates? (Lesson 07, section 3.)",
        "A range test spends as many steps on each decade of η, so each rate is the previous one "
        "times a fixed factor: the rates are evenly spaced on a log scale, from lr_min to lr_max, "
        "both ends included.",
        "η_i = lr_min · (lr_max / lr_min)^(i / (steps − 1)) for i = 0, …, steps − 1; np.geomspace "
        "computes exactly these.",
    ),
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
    hints=(
        "Which point of the curve does the rule of thumb start from, and do you return the rate "
        "there or a smaller one? (Lesson 07, section 3: lowest / 10.)",
        "Find the position of the LOWEST loss, read the learning rate at that same position, and "
        "back off from it by a factor of ten. Dividing by 10 is not the same as taking the grid's "
        "previous rate, unless the grid happens to step by 10×.",
        "With i the index of the smallest loss (np.argmin, or np.nanargmin if a loss may be NaN), "
        "the suggestion is lrs[i] / 10, returned as a float.",
    ),
)


register(lr_sweep, pick_lr)


# ---------------------------------------------------------------- range_test

RANGE_CALL = (
    "f(torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), "
    "torch.tensor(w0, dtype=torch.float64), b0, lr_min, lr_max, steps, batch_size)"
)


def _range_test(X, y, w0, b0, lr_min, lr_max, steps, batch_size, *, kind="geometric",
                reset=False, after=False, pick="min", divide=10.0):  # fmt: skip
    """Oracle (and its mutants): one run of the range test on the linear model X·w + b.

    Step t uses η_t = the t-th of `steps` geometrically spaced rates and the batch of rows
    [(t·B) mod n, (t·B) mod n + B); it records that batch's MSE before the update. The
    mistakes: kind="linear" spacing, reset=True restarts from (w0, b0) at every step,
    after=True records the loss after the update, pick="max" reads the largest loss,
    divide=1 returns the rate at the minimum itself.
    """
    import torch

    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    lrs = _sweep(lr_min, lr_max, steps, kind=kind)
    start = torch.tensor(w0, dtype=torch.float64), float(b0)
    w = start[0].clone().requires_grad_(True)
    b = torch.tensor(start[1], dtype=torch.float64, requires_grad=True)
    losses = []
    for t, lr in enumerate(lrs):
        if reset:
            with torch.no_grad():
                w.copy_(start[0])
                b.fill_(start[1])
        rows = slice(t * batch_size % len(yt), t * batch_size % len(yt) + batch_size)
        loss = torch.mean((Xt[rows] @ w + b - yt[rows]) ** 2)
        w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            if after:
                loss = torch.mean((Xt[rows] @ w + b - yt[rows]) ** 2)
        losses.append(loss.item())
    i = int(np.argmin(losses)) if pick == "min" else int(np.argmax(losses))
    return [losses, lrs[i] / divide]


def _range_test_probe(rng):
    n_batches, batch_size, d = int(rng.integers(2, 5)), int(rng.choice([3, 4])), 2
    X = np.round(rng.uniform(-1.5, 1.5, (n_batches * batch_size, d)), 1)
    w_true = np.round(rng.uniform(-2, 2, d), 1)
    return {
        "X": X.tolist(),
        "y": np.round(X @ w_true + 0.5 + rng.normal(0, 0.1, len(X)), 2).tolist(),
        "w0": [0.0] * d,
        "b0": 0.0,
        "lr_min": float(rng.choice([1e-4, 1e-3])),
        "lr_max": float(rng.choice([3.0, 4.0])),
        "steps": int(rng.integers(12, 19)),
        "batch_size": batch_size,
    }


def _range_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _range_test(**p, **mistake))


RANGE_X = [[1.0, -0.5], [0.5, 1.5], [-1.0, 0.5], [1.5, 1.0], [-0.5, -1.5], [0.0, 1.0],
           [1.0, 1.0], [-1.5, 0.5], [0.5, -1.0], [1.0, 0.0], [-1.0, -1.0], [0.5, 0.5]]  # fmt: skip

range_test = Task(
    id="range_test",
    exercise=EXERCISE,
    title="a learning-rate range test on a model",
    points=3,
    call=RANGE_CALL,
    oracle=_range_test,
    public=(
        {
            "X": RANGE_X,
            "y": [2.6, -0.6, -1.9, 2.5, 2.9, -0.4, 1.4, -2.0, 2.4, 2.6, 0.4, 0.9],
            "w0": [0.0, 0.0],
            "b0": 0.0,
            "lr_min": 1e-3,
            "lr_max": 3.0,
            "steps": 16,
            "batch_size": 4,
        },
        {
            "X": RANGE_X[:9],
            "y": [1.0, 3.6, 0.4, 4.4, -1.6, 2.5, 3.0, 1.1, -0.6],
            "w0": [0.5, -0.5],
            "b0": 0.2,
            "lr_min": 1e-4,
            "lr_max": 4.0,
            "steps": 14,
            "batch_size": 3,
        },
    ),
    hidden=lambda rng: [_range_test_probe(rng) for _ in range(3)],
    seconds=10.0,
    detectors=(
        _range_detector(
            "evenly spaced",
            "your losses match a sweep with evenly spaced rates: then almost every step "
            "uses a rate near lr_max. The range test multiplies η by the same factor each "
            "step, geometrically from lr_min to lr_max.",
            kind="linear",
        ),
        _range_detector(
            "restarted every step",
            "your losses match a test that restarts from (w0, b0) at every step: the range "
            "test is ONE run, each step starting where the previous one stopped, so the "
            "small early rates make progress the larger ones build on.",
            reset=True,
        ),
        _range_detector(
            "loss after the step",
            "your losses are taken after each update: record the batch's loss from the "
            "forward pass you call backward() on, before the step.",
            after=True,
        ),
        _range_detector(
            "the rate at the minimum itself",
            "your losses are right, the suggested rate is not: at the lowest loss the run is "
            "about to blow up. Suggest a tenth of the rate there.",
            divide=1.0,
        ),
        _range_detector(
            "read off the wrong end",
            "your losses are right, the suggested rate is not: it comes from the LARGEST "
            "loss, where the run exploded. The rule reads the rate at the lowest loss.",
            pick="max",
        ),
    ),
    hint="your recorded losses (or the suggestion) are not the range test's: check the "
    "rates (lr_sweep's, one per step), which rows each step uses, that the run is never "
    "restarted, and that each loss is recorded before its step.",
    hints=(
        "Is your test ONE run, each step starting where the previous one stopped, and is each "
        "loss recorded before or after its update? (Lesson 07, section 3.)",
        "Make w and b once, as new leaf tensors from w0 and b0, and never reset them. Each step "
        "takes its rate from your lr_sweep and its batch of B rows, computes that batch's MSE, "
        "records it, calls backward() and only then updates w and b; at the end pick_lr turns the "
        "rates and losses into the suggestion.",
        "For t = 0, …, steps − 1: s = (t·B) mod n, L_t = mean((X[s:s+B]·w + b − y[s:s+B])²), "
        "record L_t.item(), then w ← w − η_t·∂L_t/∂w and b ← b − η_t·∂L_t/∂b with η_t = "
        "lr_sweep(lr_min, lr_max, steps)[t], clearing the gradients between steps. Return "
        "(the losses, pick_lr(rates, losses)).",
    ),
)


register(range_test)
