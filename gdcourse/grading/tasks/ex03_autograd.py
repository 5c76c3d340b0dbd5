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
        if zero is True:  # zero="w": only w's gradient cleared
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
ONLY_W_HINT = (
    "your run matches the loop that clears only w.grad: b.grad then adds up the "
    "gradients of all steps so far, so b's steps keep growing. Clear both gradients after "
    "every update, w.grad.zero_() and b.grad.zero_()."
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
        Detector("only w.grad zeroed", ONLY_W_HINT, answer=lambda **p: _loop(**p, zero="w")),
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
    hints=(
        "What does backward() do to a .grad that already holds a number, and where in each "
        "step do you clear it? Lesson 03, sections 4 and 5, show the accumulation and the "
        "manual loop.",
        "Each step does four things in this order: the mean squared error from w and b, one "
        "backward(), the update of both parameters in place inside torch.no_grad(), then "
        "clearing both gradients. Keep w and b the same two leaf tensors throughout, and "
        "return them.",
        "Start from w = b = 0, float64 tensors with requires_grad=True. Each step: L = "
        "mean((w·x + b − y)²); L.backward(); inside torch.no_grad(), w −= η·w.grad and b −= "
        "η·b.grad; then w.grad.zero_() and b.grad.zero_(). After `steps` steps return (w, b).",
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
        Detector("only w.grad zeroed", ONLY_W_HINT, answer=lambda **p: _loop(**p, zero="w")),
        Detector("not the leaf tensors", NOT_LEAF, error="not the leaf tensor"),
    ),
    hints=(
        "Fix the errors one at a time, then read the last line of the loop slowly: which "
        "gradient moves b? Lesson 03, section 6, removes one piece of the loop at a time and "
        "shows what each is for.",
        "A leaf's .grad is None until the first backward(), so clear the gradients after the "
        "update, not before the forward pass; the updates run inside torch.no_grad() and "
        "change w and b in place; each parameter moves by its own gradient.",
        "Each step: the loss, backward(), then inside torch.no_grad() w −= η·w.grad and b −= "
        "η·b.grad, then w.grad.zero_() and b.grad.zero_(); return (w, b) after `steps` steps.",
    ),
    hint="your (w, b) are not the expected ones: compare each line of your loop with "
    "task 1's steps (the colleague's loop has three bugs, one of them silent).",
)

register(fit_line, fixed_loop)


# ---------------------------------------------------------------- backprop_by_hand

# A two-layer network in nn.Linear's layout: Z = X @ W1ᵀ + b1, A = tanh(Z),
# ŷ = A @ w2 + b2, L = mean((ŷ − y)²). The learner's chain rule is compared with autograd.
NET = ("X", "y", "W1", "b1", "w2")
NET_CALL = "f(" + ", ".join(f"torch.tensor({n}, dtype=torch.float64)" for n in NET) + ", b2)"


def _backprop(X, y, W1, b1, w2, b2, *, mistake=None):
    """Oracle: autograd's (dL/dW1, dL/db1, dL/dw2, dL/db2); a mutant's chain rule otherwise."""
    import torch

    t = {
        k: torch.tensor(v, dtype=torch.float64)
        for k, v in zip(NET, (X, y, W1, b1, w2), strict=True)
    }
    if mistake is None:
        params = [t["W1"], t["b1"], t["w2"], torch.tensor(float(b2), dtype=torch.float64)]
        for p in params:
            p.requires_grad_(True)
        A = torch.tanh(t["X"] @ params[0].T + params[1])
        loss = torch.mean((A @ params[2] + params[3] - t["y"]) ** 2)
        return [g.tolist() for g in torch.autograd.grad(loss, params)]
    Z = t["X"] @ t["W1"].T + t["b1"]
    A = torch.tanh(Z)
    r = A @ t["w2"] + b2 - t["y"]
    dy = 2 * r / (1 if mistake == "sum" else len(r))
    dA = torch.outer(dy, t["w2"])
    slope = {"no activation": 1.0, "tanh' of z": 1 - Z**2}.get(mistake, 1 - A**2)
    dZ = dA * slope
    dW1 = t["X"].T @ dZ if mistake == "transposed" else dZ.T @ t["X"]
    return [dW1.tolist(), dZ.sum(0).tolist(), (A.T @ dy).tolist(), dy.sum().item()]


def _net_probe(rng, n=None, d=None, h=None):
    n = n or int(rng.integers(3, 7))
    d = d or int(rng.integers(2, 4))
    h = h or int(rng.integers(2, 4))
    return {
        "X": np.round(rng.uniform(-1.5, 1.5, (n, d)), 1).tolist(),
        "y": np.round(rng.uniform(-1, 1, n), 1).tolist(),
        "W1": np.round(rng.uniform(-1, 1, (h, d)), 1).tolist(),
        "b1": np.round(rng.uniform(-0.5, 0.5, h), 1).tolist(),
        "w2": np.round(rng.uniform(-1, 1, h), 1).tolist(),
        "b2": float(np.round(rng.uniform(-0.5, 0.5), 1)),
    }


def _net_hidden(rng):
    # the first two square (d = H), so a transposed dL/dW1 has the right shape there too
    side = [int(rng.integers(2, 4)) for _ in range(2)]
    return [_net_probe(rng, d=s, h=s) for s in side] + [_net_probe(rng) for _ in range(2)]


def _backprop_detector(name, hint, mistake):
    return Detector(name, hint, answer=lambda **p: _backprop(**p, mistake=mistake))


backprop_by_hand = Task(
    id="backprop_by_hand",
    exercise=EXERCISE,
    title="backpropagation by hand through two layers",
    points=3,
    forbids=("torch.autograd", "torch.func", "backward"),
    call=NET_CALL,
    oracle=_backprop,
    public=(
        {
            "X": [[1.0, -0.5], [0.5, 2.0], [-1.0, 0.0]],
            "y": [0.5, -1.0, 1.0],
            "W1": [[0.5, -1.0], [1.5, 0.5]],
            "b1": [0.1, -0.2],
            "w2": [1.0, -0.5],
            "b2": 0.3,
        },
        {
            "X": [[0.5, 1.0, -1.0], [1.5, 0.0, 0.5], [-0.5, -1.0, 1.0], [1.0, 0.5, 0.0]],
            "y": [1.0, 0.0, -0.5, 0.5],
            "W1": [[0.2, -0.4, 0.6], [-0.8, 0.1, 0.3], [0.5, 0.5, -0.5]],
            "b1": [0.0, 0.2, -0.1],
            "w2": [0.7, -1.2, 0.4],
            "b2": -0.1,
        },
        {
            "X": [[1.0, 2.0], [-1.0, 0.5], [0.0, -1.5], [2.0, 1.0], [0.5, 0.5]],
            "y": [1.0, -1.0, 0.5, 2.0, 0.0],
            "W1": [[0.3, -0.6], [0.9, 0.2], [-0.4, 0.7]],
            "b1": [0.1, 0.0, -0.3],
            "w2": [0.8, -0.5, 1.1],
            "b2": 0.2,
        },
    ),  # fmt: skip
    hidden=_net_hidden,
    rtol=1e-4,  # float32 is accepted (a few float32 roundings are within 1e-6 relative)
    atol=1e-6,
    # the first torch.func call imports torch._functorch: seconds on a slow machine
    seconds=10.0,
    detectors=(
        _backprop_detector(
            "activation derivative missing",
            "your dL/dW1 and dL/db1 are off while dL/dw2 and dL/db2 are right: the signal "
            "went back through tanh as if it were the identity. Multiply dL/dA element-wise "
            "by tanh'(Z) = 1 − tanh(Z)² = 1 − A² before the first layer.",
            "no activation",
        ),
        _backprop_detector(
            "tanh' at the wrong point",
            "your first-layer gradients use 1 − Z²: the derivative of tanh at Z is "
            "1 − tanh(Z)², written with the layer's OUTPUT, 1 − A².",
            "tanh' of z",
        ),
        _backprop_detector(
            "transposed dL/dW1",
            "your dL/dW1 is transposed: W1 has shape (H, d) like nn.Linear's weight, one "
            "row per hidden unit, and so has its gradient: dL/dZᵀ @ X, not Xᵀ @ dL/dZ.",
            "transposed",
        ),
        _backprop_detector(
            "1/N of the mean forgotten",
            "all your gradients are N times too large: the loss is the MEAN over the N "
            "examples, so dL/dŷ = 2·(ŷ − y)/N.",
            "sum",
        ),
    ),
    hints=(
        "Check the pieces from the output backwards: dL/dŷ first (where does the mean's 1/N "
        "go?), then the step back through tanh, where most slips happen. Lesson 03, section 7, "
        "goes one node at a time.",
        "Going back through A = tanh(Z) multiplies dL/dA element-wise by tanh's derivative at "
        "Z, which is 1 − A² in terms of the layer's output. Each gradient has the shape of its "
        "tensor: dL/dW1 is (H, d) like W1, one row per hidden unit.",
        "dL/dŷ = 2(ŷ − y)/N; dL/dw2 = Aᵀ·dL/dŷ and dL/db2 = Σ dL/dŷ; dL/dA = dL/dŷ ⊗ w2 (shape "
        "(N, H)); dL/dZ = dL/dA ⊙ (1 − A²); dL/dW1 = (dL/dZ)ᵀ·X and dL/db1 = the sum of dL/dZ "
        "over the examples.",
    ),
    hint="your gradients are not autograd's: go backward one node at a time, dL/dŷ, then "
    "dL/dw2 and dL/db2, then dL/dA, dL/dZ, then dL/dW1 and dL/db1, and check each shape "
    "against the tensor it is the gradient of.",
)

register(backprop_by_hand)
