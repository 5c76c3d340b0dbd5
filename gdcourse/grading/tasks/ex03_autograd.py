"""Tasks of exercises/03_autograd.ipynb: the manual autograd loop, and fixing a buggy one."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "03_autograd"

# the call checks that the answer is the trained leaf tensors themselves (collect.leaf_tensors)
DATA = "torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)"
CALL = f"leaf_tensors(f({DATA}, lr, steps))"
FIXED_CALL = f"leaf_tensors(f({DATA}, w0, b0, lr, steps))"


def _loop(x, y, lr, steps, w0=0.0, b0=0.0, *, zero=True, reduce="mean", sign=1.0, b_grad="b"):
    """Oracle (and its mutants): lesson 03's manual loop, from w = w0, b = b0, in float64.

    forward, MSE loss, backward, update inside torch.no_grad(), grad.zero_().
    The keyword arguments put one mistake in: no zero_(), the summed squared error,
    the update with the wrong sign (sign = -1), or b moved by w's gradient (b_grad="w").
    """
    import torch

    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    w = torch.tensor(float(w0), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        r2 = (w * xt + b - yt) ** 2
        loss = r2.mean() if reduce == "mean" else r2.sum()
        loss.backward()
        with torch.no_grad():
            w -= sign * lr * w.grad
            b -= sign * lr * (w.grad if b_grad == "w" else b.grad)
        if zero:
            w.grad.zero_()
            b.grad.zero_()
    return [w.item(), b.item()]


def _line_probe(rng, start=False):
    n = int(rng.integers(3, 7))
    x = np.round(rng.uniform(-1.5, 1.5, n), 2)
    slope, intercept = float(rng.choice([-2.0, -1.0, 1.5, 2.0, 3.0])), float(rng.normal())
    probe = {
        "x": x.tolist(),
        "y": np.round(slope * x + intercept + rng.normal(0, 0.2, n), 2).tolist(),
        "lr": float(rng.choice([0.05, 0.1])),
        "steps": int(rng.integers(10, 31)),
    }
    if start:
        w0, b0 = np.round(rng.uniform(-2, 2, 2), 1)
        probe = {"x": probe["x"], "y": probe["y"], "w0": float(w0), "b0": float(b0), **probe}
    return probe


PUBLIC = (
    {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.2, 2.8, 5.1, 7.0], "lr": 0.05, "steps": 20},
    {"x": [-1.0, -0.5, 0.5, 1.0, 1.5], "y": [-1.1, 0.2, 1.8, 3.2, 3.9], "lr": 0.1, "steps": 25},
    {"x": [1.0, 2.0], "y": [2.0, 4.0], "lr": 0.1, "steps": 5},
)
FIXED_PUBLIC = (
    {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.2, 2.8, 5.1, 7.0], "w0": 1.0, "b0": -0.5, "lr": 0.05,
     "steps": 20},
    {"x": [-1.0, -0.5, 0.5, 1.0, 1.5], "y": [-1.1, 0.2, 1.8, 3.2, 3.9], "w0": -1.0, "b0": 2.0,
     "lr": 0.1, "steps": 25},
    {"x": [1.0, 2.0], "y": [2.0, 4.0], "w0": 0.5, "b0": 0.5, "lr": 0.1, "steps": 5},
)  # fmt: skip

NO_ZERO_HINT = (
    "your run matches the loop without grad.zero_(): backward() adds to .grad, so each "
    "update used the sum of all gradients so far. Call w.grad.zero_() and b.grad.zero_() "
    "after the update in every step."
)
ZERO_TOO_EARLY = (
    "w.grad is None where you call zero_(): .grad is None until the first backward() "
    "fills it (and it stays None on a tensor that `w = w - …` made). Clear the gradients "
    "after the update, once backward() has filled them (or set w.grad = None)."
)
NOT_LEAF = (
    "return w and b themselves: the two tensors you created with requires_grad=True, "
    "changed in place by every update (w -= lr * w.grad inside torch.no_grad()) and "
    "differentiated by backward(). A float, a NumPy loop or a new tensor each step does "
    "not practise autograd."
)
UPDATE_OUTSIDE = "a leaf Variable that requires grad is being used in an in-place operation"


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
            error=UPDATE_OUTSIDE,
        ),
        Detector(
            "zero_() before the first backward()",
            ZERO_TOO_EARLY,
            error="'NoneType' object has no attribute 'zero_'",
        ),
        Detector("not the leaf tensors", NOT_LEAF, error="not the leaf tensor"),
    ),
    hint="your (w, b) are not the expected ones. Check each step against the list above: "
    "the mean squared error, one backward(), the update w -= lr * w.grad inside "
    "torch.no_grad(), then zero_() on both gradients.",
)


# ---------------------------------------------------------------- fixed_loop

# The colleague's loop in the notebook has three bugs: it zeroes .grad before the first
# backward() has made it (AttributeError), updates the leaves outside torch.no_grad()
# (RuntimeError), and moves b by w's gradient (no error).

fixed_loop = Task(
    id="fixed_loop",
    exercise=EXERCISE,
    title="fix the broken loop",
    points=2,
    forbids=("torch.optim",),
    call=FIXED_CALL,
    oracle=_loop,
    public=FIXED_PUBLIC,
    hidden=lambda rng: [_line_probe(rng, start=True) for _ in range(4)],
    detectors=(
        Detector(
            "zero_() before the first backward()",
            "the first bug is still there: " + ZERO_TOO_EARLY,
            error="'NoneType' object has no attribute 'zero_'",
        ),
        Detector(
            "update outside no_grad()",
            "the update is still outside torch.no_grad(): autograd refuses to change a leaf "
            "that requires grad in place while it records. Wrap the two updates in "
            "`with torch.no_grad():`.",
            error=UPDATE_OUTSIDE,
        ),
        Detector(
            "w = w - lr * w.grad",
            "w.grad is None in an update: `w = w - lr * w.grad` made `w` a new tensor "
            "computed from the leaf, and only leaves get a .grad. Update in place, "
            "`w -= lr * w.grad`, inside torch.no_grad().",
            error="unsupported operand type(s) for",
        ),
        Detector(
            "w = w - lr * w.grad inside no_grad()",
            "backward() found no parameter to differentiate: `w = w - lr * w.grad` inside "
            "torch.no_grad() replaced the leaf with a plain tensor that does not require "
            "grad. Update in place, `w -= lr * w.grad`, so w stays the same leaf.",
            error="does not require grad and does not have a grad_fn",
        ),
        Detector(
            "b moved by w's gradient",
            "no error now, but your run matches the third bug: b is updated with w.grad. "
            "Each parameter moves along its own gradient, b -= lr * b.grad.",
            answer=lambda **p: _loop(**p, b_grad="w"),
        ),
        Detector(
            "gradients never cleared",
            "your run matches the loop without zero_(): you removed the zeroing instead of "
            "moving it. backward() adds to .grad, so clear both gradients after every update.",
            answer=lambda **p: _loop(**p, zero=False),
        ),
        Detector("not the leaf tensors", NOT_LEAF, error="not the leaf tensor"),
    ),
    hint="your (w, b) are not the expected ones: compare each line of your loop with "
    "task 1's steps (the colleague's loop has three bugs, one of them silent).",
)

register(fit_line, fixed_loop)
