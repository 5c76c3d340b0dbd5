"""Tasks of exercises/01_the_idea.ipynb: MSE gradients, one step, learning-rate regimes."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "01_the_idea"


# ---------------------------------------------------------------- mse_gradients


def _mse_gradients(x, y, w, b):
    """Oracle: autograd on the mean squared error of the line w·x + b."""
    import torch

    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    torch.mean((wt * xt + bt - yt) ** 2).backward()
    return [wt.grad.item(), bt.grad.item()]


def _scaled(factor):
    return lambda **p: [factor(p) * g for g in _mse_gradients(**p)]


def _line_probe(rng):
    n = int(rng.integers(3, 9))
    return {
        "x": np.round(rng.uniform(-2, 2, n), 2).tolist(),
        "y": np.round(rng.uniform(-3, 3, n), 2).tolist(),
        "w": round(float(rng.normal()), 2),
        "b": round(float(rng.normal()), 2),
    }


mse_gradients = Task(
    id="mse_gradients",
    exercise=EXERCISE,
    title="gradients of the mean squared error",
    points=2,
    forbids=("torch.autograd", "torch.func", "backward"),  # "NumPy only (no autograd)"
    call="f(np.array(x), np.array(y), w, b)",
    oracle=_mse_gradients,
    public=(
        {"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 7.0], "w": 0.5, "b": 0.0},
        {"x": [-1.0, 0.5, 2.0, 4.0, 1.0], "y": [0.0, 1.0, 1.0, 3.0, -2.0], "w": -1.0, "b": 2.0},
    ),
    hidden=lambda rng: [_line_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "sign error",
            "your gradients have the right size but the wrong sign: the residual is "
            "prediction − target (ŷ − y), not y − ŷ.",
            answer=_scaled(lambda p: -1.0),
        ),
        Detector(
            "sum instead of mean",
            "your gradients are N times too large: the loss is the MEAN of the squared "
            "errors, so divide the sum by N.",
            answer=_scaled(lambda p: len(p["x"])),
        ),
        Detector(
            "missing factor 2",
            "your gradients are exactly half the expected ones: the derivative of r² is 2r.",
            answer=_scaled(lambda p: 0.5),
        ),
        Detector(
            "missing 2/N",
            "your gradients are N/2 times too large: the derivative of the mean of r² is "
            "(2/N)·Σ r·(∂r/∂θ).",
            answer=_scaled(lambda p: len(p["x"]) / 2),
        ),
    ),
    hints=(
        "With r = w·x + b − y (prediction minus target), differentiate each r²: what factor "
        "does the square bring down, and does the mean's 1/N survive? Lesson 01, section 2.",
        "By the chain rule the derivative of r² is 2r·∂r/∂θ, and the mean keeps its 1/N: ∂r/∂w "
        "= x and ∂r/∂b = 1. Keep the order prediction − target throughout, so that the signs "
        "come out right.",
        "∂L/∂w = (2/N)·Σ rᵢ·xᵢ = 2·mean(r·x) and ∂L/∂b = (2/N)·Σ rᵢ = 2·mean(r), with r = w·x "
        "+ b − y computed element by element on the NumPy arrays.",
    ),
    hint="compute r = w·x + b − y, then dL/dw = 2·mean(r·x) and dL/db = 2·mean(r).",
)


# ---------------------------------------------------------------- gd_step


def _vector_probe(rng):
    n = int(rng.integers(1, 6))
    return {
        "theta": np.round(rng.normal(size=n), 3).tolist(),
        "grad": np.round(rng.normal(size=n), 3).tolist(),
        "lr": float(rng.choice([0.01, 0.05, 0.1, 0.3])),
    }


gd_step = Task(
    id="gd_step",
    exercise=EXERCISE,
    title="one gradient-descent step",
    points=1,
    forbids=("torch.optim",),
    call="f(np.array(theta), np.array(grad), lr)",
    oracle=lambda theta, grad, lr: (np.array(theta) - lr * np.array(grad)).tolist(),
    public=(
        {"theta": [1.0, -2.0], "grad": [0.5, -4.0], "lr": 0.1},
        {"theta": [0.3, 0.0, 2.0], "grad": [1.0, 2.0, -1.0], "lr": 0.05},
    ),
    hidden=lambda rng: [_vector_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "sign error",
            "you moved WITH the gradient: gradient descent subtracts η·∇L, because the "
            "gradient points uphill.",
            answer=lambda theta, grad, lr: (np.array(theta) + lr * np.array(grad)).tolist(),
        ),
        Detector(
            "returned the step",
            "you returned the step −η·∇L instead of the new parameters θ − η·∇L.",
            answer=lambda theta, grad, lr: (-lr * np.array(grad)).tolist(),
        ),
        Detector(
            "learning rate applied twice",
            "your step is η times too small: the learning rate was applied twice (η²·∇L).",
            answer=lambda theta, grad, lr: (np.array(theta) - lr * lr * np.array(grad)).tolist(),
        ),
    ),
    hints=(
        "Does the gradient point uphill or downhill, and should the function hand back the "
        "step or the place where the step lands? Lesson 01, section 3, says why the update "
        "uses minus the gradient.",
        "Gradient descent moves every parameter a little against its partial derivative: the "
        "step is the learning rate times the gradient, taken once, and it is subtracted from "
        "the current parameters. Return the new parameters.",
        "θ_new = θ − η·∇L, element by element: one NumPy expression, theta − lr·grad.",
    ),
    hint="the update is θ_new = θ − η·∇L, element by element.",
)


# ---------------------------------------------------------------- lr_regime


def _regime(lr, curvature, *, oscillate_above=1.0, diverge_above=2.0):
    if lr * curvature > diverge_above:
        return "diverges"
    if lr * curvature > oscillate_above:
        return "oscillates"
    return "converges"


_REGIME_PROBES = [
    (0.1, 4.0),
    (0.3, 4.0),
    (0.6, 4.0),
    (0.4, 1.0),
    (1.5, 1.0),
    (2.5, 1.0),
    (0.015, 100.0),
]


def _regime_probe(rng):
    curvature = float(rng.choice([0.5, 2.0, 10.0, 50.0]))
    ratio = float(rng.choice([0.3, 0.8, 1.2, 1.7, 2.4, 5.0]))
    return {"lr": round(ratio / curvature, 6), "curvature": curvature}


lr_regime = Task(
    id="lr_regime",
    exercise=EXERCISE,
    title="predict the learning-rate regime",
    points=1,
    call="f(lr, curvature)",
    oracle=_regime,
    public=tuple({"lr": lr, "curvature": c} for lr, c in _REGIME_PROBES),
    hidden=lambda rng: [_regime_probe(rng) for _ in range(6)],
    detectors=(
        Detector(
            "diverges above 1/L",
            "you put the divergence threshold at 1/curvature: between 1/curvature and "
            "2/curvature the iterates jump across the minimum but still converge "
            "(|1 − lr·curvature| < 1). It diverges above 2/curvature.",
            answer=lambda lr, curvature: _regime(lr, curvature, diverge_above=1.0),
        ),
        Detector(
            "η compared with L",
            "you compared lr with curvature (or 2·curvature); the thresholds are "
            "1/curvature and 2/curvature, because the error is multiplied by "
            "1 − lr·curvature each step.",
            answer=lambda lr, curvature: (
                "diverges"
                if lr > 2 * curvature
                else "oscillates"
                if lr > curvature
                else "converges"
            ),
        ),
        Detector(
            "never oscillates",
            "you never answer 'oscillates': for 1/curvature < lr < 2/curvature the factor "
            "1 − lr·curvature is negative, so the iterate changes sign every step while it "
            "converges.",
            answer=lambda lr, curvature: _regime(lr, curvature, oscillate_above=2.0),
        ),
    ),
    hints=(
        "What decides the regime is the product lr·curvature, not either number alone, and it "
        "has two thresholds, not one. Lesson 01, section 4, follows the distance to the minimum "
        "through one step.",
        "On L(θ) = (c/2)θ², c = curvature, one step multiplies θ by the same factor, 1 − lr·c, "
        "every time. The "
        "iterates shrink while that factor lies between −1 and 1, and they change sign at "
        "every step while it is negative.",
        "With c = curvature and r = 1 − lr·c: r > 0 (lr < 1/c) converges, −1 < r < 0 (1/c < lr "
        "< 2/c) oscillates, r < −1 (lr > 2/c) diverges.",
    ),
    hint="compute r = 1 − lr·curvature: r > 0 converges, −1 < r < 0 oscillates, r < −1 diverges.",
)

# ---------------------------------------------------------------- stop_reason


def _stop(grad, loss_before, loss_after, eps, *, norm="l2", absolute=True, change_first=False):
    g = np.asarray(grad, dtype=float)
    size = {
        "l2": np.linalg.norm(g),
        "squared": float(g @ g),
        "sum": float(np.sum(g)),
        "l1": float(np.sum(np.abs(g))),
        "max": float(np.max(np.abs(g))),
    }[norm]
    change = loss_after - loss_before
    if not change_first and size < eps:
        return "gradient"
    if (abs(change) if absolute else change) < eps:
        return "change"
    if size < eps:
        return "gradient"
    return "continue"


STOP_PROBES = (
    {"grad": [3e-4, -4e-4], "loss_before": 1.0, "loss_after": 0.9, "eps": 1e-3},
    {"grad": [0.02, 0.03], "loss_before": 0.5, "loss_after": 0.4999, "eps": 1e-3},
    {"grad": [0.5, -0.5], "loss_before": 0.5, "loss_after": 0.3, "eps": 1e-3},
    {"grad": [0.03, 0.0], "loss_before": 0.5, "loss_after": 0.4, "eps": 1e-3},
    {"grad": [0.3, -0.4], "loss_before": 0.5, "loss_after": 0.5, "eps": 1e-3},
    # both rules hold: the gradient rule is checked first
    {"grad": [2e-4, 1e-4], "loss_before": 0.5, "loss_after": 0.5, "eps": 1e-3},
    # ‖g‖₂ = 8.5e-4 < ε but the L1 norm 1.2e-3 is not
    {"grad": [6e-4, -6e-4], "loss_before": 1.0, "loss_after": 0.9, "eps": 1e-3},
    # ‖g‖₂ = 1.2e-3 ≥ ε but the largest entry 6e-4 is not
    {"grad": [6e-4, 6e-4, -6e-4, 6e-4], "loss_before": 1.0, "loss_after": 0.9, "eps": 1e-3},
)


def _stop_probe(rng, kind):
    """A random probe; kinds 0-2 are the cases that tell the rules and norms apart."""
    eps = 1e-3
    if kind == 0:  # both rules hold
        grad = rng.uniform(-1, 1, 2) * 3e-4
        after = 1.0 - float(rng.choice([1e-5, 1e-4]))
    elif kind == 1:  # L2 below ε, L1 above: equal entries of size in (ε/2, ε/√2)
        grad = rng.choice([-1.0, 1.0], 2) * rng.uniform(0.55, 0.68) * eps
        after = 0.9
    elif kind == 2:  # L∞ below ε, L2 above: four entries of size in (ε/2, ε)
        grad = rng.choice([-1.0, 1.0], 4) * rng.uniform(0.55, 0.95, 4) * eps
        after = 0.9
    elif kind == 3:  # opposite entries: a signed sum near 0, a norm well above ε
        grad = np.array([1.0, -1.0]) * rng.uniform(0.01, 1.0) + rng.uniform(-1e-5, 1e-5, 2)
        after = 0.9
    else:
        grad = rng.normal(0, float(rng.choice([1e-5, 1e-2, 1.0])), 2)
        after = 1.0 - float(rng.choice([1e-5, 0.1]))
    return {
        "grad": np.round(grad, 7).tolist(),
        "loss_before": 1.0,
        "loss_after": round(after, 6),
        "eps": eps,
    }


stop_reason = Task(
    id="stop_reason",
    exercise=EXERCISE,
    title="when to stop",
    points=1,
    call="f(np.array(grad), loss_before, loss_after, eps)",
    oracle=_stop,
    public=STOP_PROBES,
    hidden=lambda rng: [_stop_probe(rng, kind) for kind in (0, 1, 2, 3, 4)],
    detectors=(
        Detector(
            "squared norm",
            "you compared the SQUARED norm ‖∇L‖² with ε: the rule uses the norm itself, √(Σ gᵢ²).",
            answer=lambda **p: _stop(**p, norm="squared"),
        ),
        Detector(
            "signed sum of the gradient",
            "you added the gradient's entries: positive and negative parts cancel. Use the "
            "norm √(Σ gᵢ²).",
            answer=lambda **p: _stop(**p, norm="sum"),
        ),
        Detector(
            "L1 norm",
            "you measured the gradient by the sum of |gᵢ| (the L1 norm): the rule uses the "
            "Euclidean norm, √(Σ gᵢ²), np.linalg.norm(grad).",
            answer=lambda **p: _stop(**p, norm="l1"),
        ),
        Detector(
            "largest entry",
            "you measured the gradient by its largest entry (the L∞ norm): the rule uses the "
            "Euclidean norm of all entries, √(Σ gᵢ²), np.linalg.norm(grad).",
            answer=lambda **p: _stop(**p, norm="max"),
        ),
        Detector(
            "rules in the wrong order",
            "when both rules hold you answered 'change': test the gradient first, so a "
            "small gradient is reported as 'gradient' whatever the loss did.",
            answer=lambda **p: _stop(**p, change_first=True),
        ),
    ),
    hints=(
        "How do you measure the size of the gradient so that positive and negative entries do "
        "not cancel, and which rule is tried first? Lesson 01, section 6, states both stopping "
        "rules.",
        "The gradient rule uses the Euclidean norm, the square root of the sum of the squared "
        "entries: not its square, the plain sum, the sum of absolute values or the largest "
        "entry. The change rule uses the "
        "absolute difference of the two losses. Try the gradient rule first.",
        "'gradient' when ‖grad‖ = √(Σ gᵢ²) (np.linalg.norm(grad)) is below ε; otherwise "
        "'change' when |loss_after − loss_before| < ε; otherwise 'continue'.",
    ),
    hint="return 'gradient' if the Euclidean norm ‖grad‖ < ε, else 'change' if "
    "|loss_after − loss_before| < ε, else 'continue'.",
)

register(mse_gradients, gd_step, lr_regime, stop_reason)
