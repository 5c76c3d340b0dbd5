"""Tasks of exercises/10_adaptive.ipynb: Adam with bias correction, AdamW, RMSprop, Adagrad."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "10_adaptive"
CALL = (
    "f(torch.tensor(params), torch.tensor(grad), torch.tensor(m), torch.tensor(v), t, lr, "
    "beta1, beta2, eps{extra})"
)


def _torch_adam(params, grad, m, v, t, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False):
    """Oracle: one step of torch.optim.Adam (or AdamW) from the given state."""
    import torch

    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    if t > 0:
        opt.state[p]["step"] = torch.tensor(float(t))
        opt.state[p]["exp_avg"] = torch.tensor(m, dtype=torch.float64)
        opt.state[p]["exp_avg_sq"] = torch.tensor(v, dtype=torch.float64)
    p.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    state = opt.state[p]
    return [p.detach().tolist(), state["exp_avg"].tolist(), state["exp_avg_sq"].tolist()]


def _adam(
    params,
    grad,
    m,
    v,
    t,
    lr,
    beta1,
    beta2,
    eps,
    *,
    correct=True,
    eps_inside=False,
    momentum_scale=True,
    weight_decay=0.0,
    decay="none",
    first_step=1,
):
    """Adam written out, with switches for the usual mistakes.

    first_step=0 corrects with the old step count t instead of t + 1: at t = 0 that divides
    by 1 − β⁰ = 0, and the step is NaN, as in the learner's torch code.
    """
    p, g = np.asarray(params, float), np.asarray(grad, float)
    if decay == "l2":
        g = g + weight_decay * p
    if decay == "decoupled":
        p = p * (1 - lr * weight_decay)
    elif decay == "decoupled_no_lr":
        p = p * (1 - weight_decay)
    m = beta1 * np.asarray(m, float) + ((1 - beta1) if momentum_scale else 1.0) * g
    v = beta2 * np.asarray(v, float) + (1 - beta2) * g * g
    step = t + first_step
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = m / (1 - beta1**step) if correct in (True, "m") else m
        v_hat = v / (1 - beta2**step) if correct in (True, "v") else v
        denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        p = p - lr * m_hat / denominator
    if decay == "after the step":
        p = p * (1 - lr * weight_decay)
    return [p.tolist(), m.tolist(), v.tolist()]


def _tiny_gradient(probe, rng):
    """One gradient entry of about 1e-4: where ε (1e-8) inside or outside the root differs."""
    grad = list(probe["grad"])
    grad[0] = round(float(rng.choice([-1.0, 1.0]) * rng.uniform(1e-5, 1e-4)), 8)
    return {**probe, "grad": grad}


def _probe(rng, t=None, decay=False):
    n = int(rng.integers(2, 5))
    probe = {
        "params": np.round(rng.normal(size=n), 3).tolist(),
        "grad": np.round(rng.normal(size=n), 3).tolist(),
        "m": np.round(rng.normal(0, 0.3, n), 3).tolist(),
        "v": np.round(rng.uniform(0.01, 0.5, n), 3).tolist(),
        "t": int(rng.integers(1, 6)) if t is None else t,
        "lr": float(rng.choice([0.01, 0.1])),
        "beta1": 0.9,
        "beta2": float(rng.choice([0.99, 0.999])),
        "eps": 1e-8,
    }
    if probe["t"] == 0:
        probe["m"] = [0.0] * n
        probe["v"] = [0.0] * n
    if decay:
        probe["weight_decay"] = float(rng.choice([0.1, 0.5]))
    return probe


BASE = {
    "params": [1.0, -0.5],
    "grad": [0.2, -3.0],
    "m": [0.0, 0.0],
    "v": [0.0, 0.0],
    "t": 0,
    "lr": 0.1,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
}
LATER = {
    "params": [0.5, 2.0, -1.0],
    "grad": [1.0, 0.1, -0.4],
    "m": [0.3, -0.1, 0.2],
    "v": [0.04, 0.2, 0.01],
    "t": 3,
    "lr": 0.05,
    "beta1": 0.9,
    "beta2": 0.99,
    "eps": 0.01,
}

adam_step = Task(
    id="adam_step",
    exercise=EXERCISE,
    title="an Adam step with bias correction",
    points=3,
    forbids=("torch.optim",),
    call=CALL.format(extra=""),
    oracle=_torch_adam,
    public=(BASE, LATER),
    hidden=lambda rng: [_tiny_gradient(_probe(rng, t=0), rng)] + [_probe(rng) for _ in range(3)],
    detectors=(
        Detector(
            "no bias correction",
            "your step is too small in the first steps: m and v start at 0, so divide them "
            "by (1 − β₁ᵗ) and (1 − β₂ᵗ) (bias correction) before the update.",
            answer=lambda **p: _adam(**p, correct=False),
        ),
        Detector(
            "bias correction of m only",
            "you corrected m but not v: both moments start at 0, so divide v by (1 − β₂ᵗ) as well.",
            answer=lambda **p: _adam(**p, correct="m"),
        ),
        Detector(
            "ε inside the square root",
            "you added ε inside the square root: Adam divides by √v̂ + ε.",
            answer=lambda **p: _adam(**p, eps_inside=True),
        ),
        Detector(
            "no (1 − β₁) on the gradient",
            "your first moment is m = β₁m + g: Adam's moments are moving averages, "
            "m = β₁m + (1 − β₁)g.",
            answer=lambda **p: _adam(**p, momentum_scale=False),
        ),
        Detector(
            "bias correction with the old step count",
            "your first step is NaN: you corrected with the step count t before this step, "
            "and at t = 0 that divides by 1 − β⁰ = 0. Count this step first, t + 1, then "
            "divide by 1 − β₁^(t+1) and 1 − β₂^(t+1).",
            answer=lambda **p: _adam(**p, first_step=0),
        ),
    ),
    hint="your step differs from torch's Adam on the probe shown: check m and v first "
    "(they are returned too), then the correction of each, then the update of θ.",
    hints=(
        "m and v start at 0: what does your step do about that, and with which step number, t or "
        "t + 1? (Lesson 10, the sections on Adam and on why it corrects the bias.)",
        "Update both moments as moving averages (the gradient weighted by 1 − β₁ in m, its "
        "square by 1 − β₂ in v), then correct each by dividing by one minus its β to the power of "
        "this step's number, t + 1. θ moves by η times the corrected m over the root of the "
        "corrected v, with ε added after the root.",
        "m = β₁m + (1 − β₁)g, v = β₂v + (1 − β₂)g²; m̂ = m / (1 − β₁^(t+1)), v̂ = v / "
        "(1 − β₂^(t+1)); θ = θ − η·m̂ / (√v̂ + ε). Return (θ, m, v), the moments uncorrected.",
    ),
)


adamw_step = Task(
    id="adamw_step",
    exercise=EXERCISE,
    title="an AdamW step (decoupled weight decay)",
    points=2,
    forbids=("torch.optim",),
    call=CALL.format(extra=", weight_decay"),
    oracle=lambda **p: _torch_adam(**p, decoupled=True),
    public=({**BASE, "weight_decay": 0.5}, {**LATER, "weight_decay": 0.1}),
    # like adam_step's: a first step on tiny gradients, where ε inside the square root shows
    # (an adamw_step built on a wrong Adam step must fail the hidden probes as the public do)
    hidden=lambda rng: (
        [_tiny_gradient(_probe(rng, t=0, decay=True), rng)]
        + [_probe(rng, decay=True) for _ in range(3)]
    ),
    detectors=(
        Detector(
            "L2 penalty instead of decoupled decay",
            "you added weight_decay·θ to the gradient (Adam with L2): AdamW shrinks the "
            "parameters directly, θ = θ·(1 − η·λ), and the moments see the plain gradient.",
            answer=lambda **p: _adam(**p, decay="l2"),
        ),
        Detector(
            "decay without the learning rate",
            "you shrank θ by (1 − λ): AdamW's decay is scaled by the learning rate, "
            "θ = θ·(1 − η·λ).",
            answer=lambda **p: _adam(**p, decay="decoupled_no_lr"),
        ),
        Detector(
            "no weight decay",
            "that is a plain Adam step: AdamW also multiplies θ by (1 − η·λ).",
            answer=lambda weight_decay, **p: _adam(**p),
        ),
        Detector(
            "decay applied after the step",
            "you shrank θ after the Adam update: AdamW decays the parameters BEFORE it, "
            "θ ← θ·(1 − η·λ) on the old θ, then θ ← θ − η·m̂/(√v̂ + ε).",
            answer=lambda **p: _adam(**p, decay="after the step"),
        ),
    ),
    hint="your step differs from torch's AdamW on the probe shown: m and v are Adam's "
    "(check them first); the difference is in how and when θ is decayed.",
    hints=(
        "Where does your weight decay act: on the gradient the moments see, or on the parameters "
        "themselves? And before or after the Adam update? (Lesson 10, 'AdamW is "
        "not Adam with L2 weight decay'.)",
        "AdamW's moments are exactly Adam's, computed from the plain gradient. Separately, it "
        "shrinks the old parameters by a factor that involves both the learning rate and λ, "
        "before the Adam update is applied.",
        "θ ← θ·(1 − η·λ); then, with m, v, m̂ and v̂ as in adam_step (from the plain g), θ ← θ − "
        "η·m̂ / (√v̂ + ε). Return (θ, m, v).",
    ),
)


def _torch_rmsprop(params, grad, v, lr, alpha, eps):
    """Oracle: one step of torch.optim.RMSprop from the running average v."""
    import torch

    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps)
    opt.state[p]["step"] = torch.tensor(1.0)
    opt.state[p]["square_avg"] = torch.tensor(v, dtype=torch.float64)
    p.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    return [p.detach().tolist(), opt.state[p]["square_avg"].tolist()]


def _rmsprop(params, grad, v, lr, alpha, eps, *, scale=True, eps_inside=False, sqrt=True):
    p, g = np.asarray(params, float), np.asarray(grad, float)
    v = alpha * np.asarray(v, float) + ((1 - alpha) if scale else 1.0) * g * g
    root = np.sqrt(v + eps) if eps_inside else (np.sqrt(v) + eps if sqrt else v + eps)
    return [(p - lr * g / root).tolist(), v.tolist()]


def _rmsprop_probe(rng, first=False):
    """first: the first step (v = 0) with a tiny gradient entry, where ε's place shows."""
    probe = {
        "params": np.round(rng.normal(size=3), 3).tolist(),
        "grad": np.round(rng.normal(size=3), 3).tolist(),
        "v": [0.0] * 3 if first else np.round(rng.uniform(0.01, 0.5, 3), 3).tolist(),
        "lr": float(rng.choice([0.01, 0.1])),
        "alpha": float(rng.choice([0.9, 0.99])),
        "eps": 1e-8,
    }
    return _tiny_gradient(probe, rng) if first else probe


rmsprop_step = Task(
    id="rmsprop_step",
    exercise=EXERCISE,
    title="an RMSprop step",
    points=2,
    forbids=("torch.optim",),
    call="f(torch.tensor(params), torch.tensor(grad), torch.tensor(v), lr, alpha, eps)",
    oracle=_torch_rmsprop,
    public=(
        {
            "params": [1.0, -0.5],
            "grad": [0.2, -3.0],
            "v": [0.0, 0.0],
            "lr": 0.01,
            "alpha": 0.99,
            "eps": 1e-8,
        },
        {
            "params": [0.5, 2.0, -1.0],
            "grad": [1.0, 0.1, -0.4],
            "v": [0.04, 0.2, 0.01],
            "lr": 0.05,
            "alpha": 0.9,
            "eps": 0.01,
        },
    ),
    hidden=lambda rng: [_rmsprop_probe(rng, first=i == 0) for i in range(4)],
    detectors=(
        Detector(
            "no (1 − α) on g²",
            "your running average adds the full g²: RMSprop averages, v = αv + (1 − α)g².",
            answer=lambda **p: _rmsprop(**p, scale=False),
        ),
        Detector(
            "ε inside the square root",
            "you added ε inside the square root: torch divides by √v + ε.",
            answer=lambda **p: _rmsprop(**p, eps_inside=True),
        ),
        Detector(
            "no square root",
            "you divided by v itself: RMSprop divides by the ROOT of the mean square, √v + ε.",
            answer=lambda **p: _rmsprop(**p, sqrt=False),
        ),
    ),
    hint="your step differs from torch's RMSprop on the probe shown: check the running "
    "average v first (it is returned too), then the division of the step.",
    hints=(
        "Is your v a running average of g² or a running sum, and what exactly do you divide the "
        "gradient by? (Lesson 10, the RMSprop section.)",
        "v is a moving average: the old v weighted by α plus the new squared gradient weighted by "
        "1 − α. The step divides the gradient by the square root of that average, with ε added "
        "after the root, not inside it.",
        "v = α·v + (1 − α)·g²; θ = θ − η·g / (√v + ε); return (θ, v).",
    ),
)


# ---------------------------------------------------------------- Adagrad

ADAGRAD_CALL = (
    "f(torch.tensor(params, dtype=torch.float64), torch.tensor(grads, dtype=torch.float64), "
    "lr, lr_decay, eps, initial_accumulator_value)"
)


def _torch_adagrad(params, grads, lr, lr_decay, eps, initial_accumulator_value):
    """Oracle: torch.optim.Adagrad, one step per row of `grads`; (θ, the sum of squares)."""
    import torch

    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adagrad(
        [p], lr=lr, lr_decay=lr_decay, eps=eps, initial_accumulator_value=initial_accumulator_value
    )
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return [p.detach().tolist(), opt.state[p]["sum"].tolist()]


def _adagrad(
    params,
    grads,
    lr,
    lr_decay,
    eps,
    initial_accumulator_value,
    *,
    eps_inside=False,
    accumulate=True,
    root=True,
):
    """Adagrad written out, with switches for the usual mistakes (accumulate=False keeps
    only the current g², root=False divides by the sum itself)."""
    p = np.asarray(params, float)
    total = np.full_like(p, initial_accumulator_value)
    for t, g in enumerate(np.asarray(grads, float), start=1):
        total = total + g * g if accumulate else g * g
        clr = lr / (1 + (t - 1) * lr_decay)
        denominator = np.sqrt(total + eps) if eps_inside else (np.sqrt(total) if root else total)
        p = p - clr * g / (denominator if eps_inside else denominator + eps)
    return [p.tolist(), total.tolist()]


def _adagrad_probe(rng, telling=False):
    """telling: a large ε, a decay and a start value, where every mistake shows."""
    n, steps = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    return {
        "params": np.round(rng.normal(size=n), 3).tolist(),
        "grads": np.round(rng.normal(0, 1.5, (steps, n)), 3).tolist(),
        "lr": float(rng.choice([0.1, 0.5])),
        "lr_decay": 0.1 if telling else float(rng.choice([0.0, 0.01, 0.1])),
        "eps": 0.1 if telling else float(rng.choice([1e-10, 0.01])),
        "initial_accumulator_value": 0.1 if telling else float(rng.choice([0.0, 0.1])),
    }


def _adagrad_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _adagrad(**p, **mistake))


adagrad_steps = Task(
    id="adagrad_steps",
    exercise=EXERCISE,
    title="Adagrad steps",
    points=2,
    forbids=("torch.optim",),
    call=ADAGRAD_CALL,
    oracle=_torch_adagrad,
    public=(
        {
            "params": [1.0, -0.5],
            "grads": [[0.2, -3.0], [0.5, 1.0], [-0.1, 2.0]],
            "lr": 0.5,
            "lr_decay": 0.1,
            "eps": 0.1,
            "initial_accumulator_value": 0.25,
        },
        {
            "params": [0.5, 2.0, -1.0],
            "grads": [[1.0, 0.1, -0.4], [0.0, 0.3, 0.2]],
            "lr": 0.1,
            "lr_decay": 0.0,
            "eps": 1e-10,
            "initial_accumulator_value": 0.0,
        },
    ),
    hidden=lambda rng: [_adagrad_probe(rng, telling=i == 0) for i in range(4)],
    detectors=(
        _adagrad_detector(
            "ε inside the square root",
            "you added ε inside the square root: torch divides by √(sum) + ε, ε outside.",
            eps_inside=True,
        ),
        _adagrad_detector(
            "current gradient only",
            "your accumulator forgets the past: Adagrad ADDS every step's g² to a running "
            "sum that never decays (starting at initial_accumulator_value); keeping only "
            "the current g², or a decaying average, is RMSprop.",
            accumulate=False,
        ),
        _adagrad_detector(
            "no square root",
            "you divided by the sum of squares itself: Adagrad divides by its ROOT, √(sum) + ε.",
            root=False,
        ),
    ),
    hint="your θ or your sum of squares differs from torch's Adagrad on the probe shown: "
    "check the sum first (it is returned too), then the rate of each step, then the "
    "division.",
    hints=(
        "Does your sum of squares keep every past gradient, from initial_accumulator_value on, "
        "and where does ε go relative to the square root? (Lesson 10, the Adagrad section.)",
        "Start the sum at initial_accumulator_value and ADD each step's g² to it; it never decays "
        "(that would be RMSprop). Each step's rate falls with lr_decay, and the gradient is "
        "divided by the root of the sum plus ε, outside the root; work on copies, not on the "
        "inputs.",
        "Start with S filled with initial_accumulator_value; for t = 1, 2, … with g = "
        "grads[t − 1]: S ← S + g², η_t = lr / (1 + (t − 1)·lr_decay), θ ← θ − η_t·g / (√S + ε). "
        "Return (θ, S).",
    ),
)

register(adam_step, adamw_step, rmsprop_step, adagrad_steps)
