"""Tasks of exercises/03_autograd.ipynb: the manual autograd loop, and fixing a buggy one."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "03_autograd"

CALL = "f(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), lr, steps)"


def _loop(x, y, lr, steps, *, zero=True, reduce="mean", sign=1.0):
    """Oracle (and its mutants): lesson 03's manual loop, from w = b = 0, in float64.

    forward, MSE loss, backward, update inside torch.no_grad(), grad.zero_().
    The keyword arguments put one mistake in: no zero_(), the summed squared error,
    or the update with the wrong sign (sign = -1).
    """
    import torch

    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        r2 = (w * xt + b - yt) ** 2
        loss = r2.mean() if reduce == "mean" else r2.sum()
        loss.backward()
        with torch.no_grad():
            w -= sign * lr * w.grad
            b -= sign * lr * b.grad
        if zero:
            w.grad.zero_()
            b.grad.zero_()
    return [w.item(), b.item()]


def _line_probe(rng):
    n = int(rng.integers(3, 7))
    x = np.round(rng.uniform(-1.5, 1.5, n), 2)
    slope, intercept = float(rng.choice([-2.0, -1.0, 1.5, 2.0, 3.0])), float(rng.normal())
    return {
        "x": x.tolist(),
        "y": np.round(slope * x + intercept + rng.normal(0, 0.2, n), 2).tolist(),
        "lr": float(rng.choice([0.05, 0.1])),
        "steps": int(rng.integers(10, 31)),
    }


PUBLIC = (
    {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.2, 2.8, 5.1, 7.0], "lr": 0.05, "steps": 20},
    {"x": [-1.0, -0.5, 0.5, 1.0, 1.5], "y": [-1.1, 0.2, 1.8, 3.2, 3.9], "lr": 0.1, "steps": 25},
    {"x": [1.0, 2.0], "y": [2.0, 4.0], "lr": 0.1, "steps": 5},
)

NO_ZERO_HINT = (
    "your run matches the loop without grad.zero_(): backward() adds to .grad, so each "
    "update used the sum of all gradients so far. Call w.grad.zero_() and b.grad.zero_() "
    "after the update in every step."
)


# ---------------------------------------------------------------- fit_line

fit_line = Task(
    id="fit_line",
    exercise=EXERCISE,
    title="the manual autograd loop",
    points=2,
    forbids=("torch.optim",),
    call=CALL,
    oracle=_loop,
    public=PUBLIC,
    hidden=lambda rng: [_line_probe(rng) for _ in range(4)],
    detectors=(
        Detector("no zero_()", NO_ZERO_HINT, answer=lambda **p: _loop(**p, zero=False)),
        Detector(
            "sum instead of mean",
            "your run matches the summed squared error: each step was N times too large. "
            "The loss is the mean, torch.mean((w * x + b - y) ** 2).",
            answer=lambda **p: _loop(**p, reduce="sum"),
        ),
        Detector(
            "sign error",
            "your parameters moved uphill: the update added the gradient. Gradient descent "
            "subtracts it, w -= lr * w.grad.",
            answer=lambda **p: _loop(**p, sign=-1.0),
        ),
        Detector(
            "one step too few",
            "your run stopped one update short: do exactly `steps` updates, for _ in range(steps).",
            answer=lambda **p: _loop(**{**p, "steps": p["steps"] - 1}),
        ),
        Detector(
            "update outside no_grad()",
            "w -= lr * w.grad changes a leaf that requires grad in place while autograd is "
            "recording: put the update inside `with torch.no_grad():`.",
            error="a leaf Variable that requires grad is being used in an in-place operation",
        ),
    ),
    hint="start from w = b = torch.zeros((), dtype=torch.float64, requires_grad=True); in "
    "each of the `steps` steps: loss = torch.mean((w * x + b - y) ** 2); loss.backward(); "
    "with torch.no_grad(): w -= lr * w.grad; b -= lr * b.grad; then w.grad.zero_(); "
    "b.grad.zero_().",
)


# ---------------------------------------------------------------- fixed_loop

fixed_loop = Task(
    id="fixed_loop",
    exercise=EXERCISE,
    title="fix the broken loop",
    points=2,
    forbids=("torch.optim",),
    call=CALL,
    oracle=_loop,
    public=PUBLIC,
    hidden=lambda rng: [_line_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "update outside no_grad()",
            "the update is still outside torch.no_grad(): autograd refuses to change a leaf "
            "that requires grad in place while it records. Wrap the two updates in "
            "`with torch.no_grad():`.",
            error="a leaf Variable that requires grad is being used in an in-place operation",
        ),
        Detector(
            "w = w - lr * w.grad",
            "w.grad is None: `w = w - lr * w.grad` made `w` a new tensor computed from the "
            "leaf, and only leaves get a .grad. Update in place, `w -= lr * w.grad`, inside "
            "torch.no_grad() (and clear .grad only after backward() has filled it).",
            error="NoneType",
        ),
        Detector(
            "w = w - lr * w.grad inside no_grad()",
            "backward() found no parameter to differentiate: `w = w - lr * w.grad` inside "
            "torch.no_grad() replaced the leaf with a plain tensor that does not require "
            "grad. Update in place, `w -= lr * w.grad`, so w stays the same leaf.",
            error="does not require grad and does not have a grad_fn",
        ),
        Detector(
            "still no zero_()",
            "no error now, but your run matches the loop without grad.zero_(): the second "
            "bug is still there. backward() adds to .grad, so clear w.grad and b.grad with "
            "zero_() after every update.",
            answer=lambda **p: _loop(**p, zero=False),
        ),
    ),
    hint="the fixed loop: loss = torch.mean((w * x + b - y) ** 2); loss.backward(); with "
    "torch.no_grad(): w -= lr * w.grad; b -= lr * b.grad; then w.grad.zero_(); "
    "b.grad.zero_(), starting from w = b = 0 in float64 with requires_grad=True.",
)

register(fit_line, fixed_loop)
