"""Tasks of exercises/09_schedules.ipynb: schedules as functions of the step number.

The oracles are torch.optim.lr_scheduler itself: the learning rate in force after `t`
calls of scheduler.step().
"""

from __future__ import annotations

import math

from . import Detector, Task, register

EXERCISE = "09_schedules"


def _torch_lr(make_scheduler, t: int, base_lr: float) -> float:
    """The learning rate of a torch scheduler after t steps."""
    import torch

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    scheduler = make_scheduler(opt)
    for _ in range(t):
        opt.step()
        scheduler.step()
    return float(opt.param_groups[0]["lr"])


# ---------------------------------------------------------------- step


def _step(t, base_lr, step_size, gamma):
    from torch.optim.lr_scheduler import StepLR

    return _torch_lr(lambda o: StepLR(o, step_size=step_size, gamma=gamma), t, base_lr)


def _step_probe(rng, before_drop=False):
    step_size = int(rng.integers(2, 8))
    # before_drop: the last step before a drop, where an off-by-one shows
    t = (
        step_size * int(rng.integers(1, 4)) - 1
        if before_drop
        else int(rng.integers(0, 4 * step_size))
    )
    return {
        "t": t,
        "base_lr": float(rng.choice([0.1, 0.5, 1.0])),
        "step_size": step_size,
        "gamma": float(rng.choice([0.1, 0.5, 0.3])),
    }


step_schedule = Task(
    id="step_schedule",
    exercise=EXERCISE,
    title="the step schedule",
    points=1,
    forbids=("torch.optim.lr_scheduler",),
    call="f(t, base_lr, step_size, gamma)",
    oracle=_step,
    public=tuple({"t": t, "base_lr": 0.1, "step_size": 3, "gamma": 0.5} for t in (0, 2, 3, 7)),
    hidden=lambda rng: [_step_probe(rng, before_drop=i == 0) for i in range(5)],
    detectors=(
        Detector(
            "off by one step",
            "your schedule is one step early: at step t = step_size − 1 the rate has not "
            "dropped yet. The exponent is t // step_size.",
            answer=lambda t, base_lr, step_size, gamma: _step(t + 1, base_lr, step_size, gamma),
        ),
        Detector(
            "no floor division",
            "your rate decays smoothly: the step schedule drops only every step_size steps, "
            "so use the integer division t // step_size.",
            answer=lambda t, base_lr, step_size, gamma: base_lr * gamma ** (t / step_size),
        ),
        Detector(
            "gamma multiplied, not raised",
            "you multiplied by γ·(t // step_size): each drop multiplies the rate by γ, so "
            "after k drops it is base_lr · γ^k.",
            answer=lambda t, base_lr, step_size, gamma: base_lr * gamma * (t // step_size),
        ),
    ),
    hint="η_t = base_lr · γ^(t // step_size).",
)


# ---------------------------------------------------------------- cosine


def _cosine(t, base_lr, T_max, eta_min):
    from torch.optim.lr_scheduler import CosineAnnealingLR

    return _torch_lr(lambda o: CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), t, base_lr)


def _cosine_formula(t, base_lr, T_max, eta_min, *, floor=True, subtract=True, half=True):
    """The closed form, or one of its common mistakes."""
    c = math.cos(math.pi * t / T_max)
    amplitude = base_lr - eta_min if subtract else base_lr
    return (eta_min if floor else 0.0) + amplitude * ((1 + c) / 2 if half else c)


cosine_schedule = Task(
    id="cosine_schedule",
    exercise=EXERCISE,
    title="cosine annealing with a floor",
    points=2,
    forbids=("torch.optim.lr_scheduler",),
    call="f(t, base_lr, T_max, eta_min)",
    oracle=_cosine,
    public=tuple({"t": t, "base_lr": 0.1, "T_max": 10, "eta_min": 0.01} for t in (0, 3, 5, 10)),
    hidden=lambda rng: [
        {
            "t": int(rng.integers(0, 20)),
            "base_lr": float(rng.choice([0.05, 0.1, 1.0])),
            "T_max": 20,
            "eta_min": float(rng.choice([0.0, 0.001, 0.01])),
        }
        for _ in range(5)
    ],
    detectors=(
        Detector(
            "η_min not subtracted",
            "your rate ends above η_min: the cosine part must scale (base_lr − η_min), so "
            "η_t = η_min + (base_lr − η_min)·(1 + cos(πt/T_max))/2.",
            answer=lambda **p: _cosine_formula(**p, subtract=False),
        ),
        Detector(
            "η_min ignored",
            "your rate falls to 0 instead of η_min: add the floor η_min and scale the "
            "cosine by (base_lr − η_min).",
            answer=lambda **p: _cosine_formula(**p, floor=False, subtract=False),
        ),
        Detector(
            "missing (1 + cos)/2",
            "you used cos(πt/T_max) directly, which goes negative: the schedule uses "
            "(1 + cos(πt/T_max))/2, which falls from 1 to 0.",
            answer=lambda **p: _cosine_formula(**p, half=False),
        ),
        Detector(
            "off by one step",
            "your schedule is one step ahead: at t = 0 the rate must be base_lr.",
            answer=lambda t, **p: _cosine(t + 1, **p),
        ),
    ),
    hint="η_t = η_min + (base_lr − η_min)·(1 + cos(π·t/T_max))/2.",
)


# ---------------------------------------------------------------- linear warmup


def _warmup(t, base_lr, warmup_steps, start_factor):
    from torch.optim.lr_scheduler import LinearLR

    return _torch_lr(
        lambda o: LinearLR(o, start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps),
        t,
        base_lr,
    )


def _warmup_formula(t, base_lr, warmup_steps, start_factor, *, cap=True, start=None):
    s = start_factor if start is None else start
    progress = min(t, warmup_steps) if cap else t
    return base_lr * (s + (1 - s) * progress / warmup_steps)


def _warmup_probe(rng, during=False):
    """during: a step inside the warmup, where its start and an off-by-one show."""
    warmup_steps = int(rng.integers(2, 8))
    return {
        "t": int(rng.integers(0, warmup_steps if during else 12)),
        "base_lr": float(rng.choice([0.1, 0.3, 1.0])),
        "warmup_steps": warmup_steps,
        "start_factor": float(rng.choice([0.1, 0.25])),
    }


warmup_schedule = Task(
    id="warmup_schedule",
    exercise=EXERCISE,
    title="linear warmup",
    points=2,
    forbids=("torch.optim.lr_scheduler",),
    call="f(t, base_lr, warmup_steps, start_factor)",
    oracle=_warmup,
    public=tuple(
        {"t": t, "base_lr": 0.5, "warmup_steps": 4, "start_factor": 0.2} for t in (0, 1, 4, 7)
    ),
    hidden=lambda rng: [_warmup_probe(rng, during=i < 2) for i in range(5)],
    detectors=(
        Detector(
            "never stops warming",
            "your rate keeps growing after the warmup: once t ≥ warmup_steps it must stay "
            "at base_lr (use min(t, warmup_steps)).",
            answer=lambda **p: _warmup_formula(**p, cap=False),
        ),
        Detector(
            "starts from zero",
            "your warmup starts at 0: it starts at start_factor · base_lr and rises "
            "linearly to base_lr.",
            answer=lambda **p: _warmup_formula(**p, start=0.0),
        ),
        Detector(
            "off by one step",
            "your warmup is one step ahead: at t = 0 the rate is start_factor · base_lr.",
            answer=lambda t, **p: _warmup(t + 1, **p),
        ),
    ),
    hint="η_t = base_lr · (s + (1 − s) · min(t, warmup_steps) / warmup_steps), with "
    "s = start_factor.",
)


def _exponential(t, base_lr, gamma):
    from torch.optim.lr_scheduler import ExponentialLR

    return _torch_lr(lambda o: ExponentialLR(o, gamma=gamma), t, base_lr)


exponential_schedule = Task(
    id="exponential_schedule",
    exercise=EXERCISE,
    title="exponential decay",
    points=1,
    forbids=("torch.optim.lr_scheduler",),
    call="f(t, base_lr, gamma)",
    oracle=_exponential,
    public=tuple({"t": t, "base_lr": 0.2, "gamma": 0.9} for t in (0, 1, 5)),
    hidden=lambda rng: [
        {
            "t": int(rng.integers(0, 30)),
            "base_lr": float(rng.choice([0.1, 1.0])),
            "gamma": float(rng.choice([0.8, 0.95, 0.99])),
        }
        for _ in range(4)
    ],
    detectors=(
        Detector(
            "off by one step",
            "your schedule is one step ahead: at t = 0 the rate is base_lr, and each step "
            "multiplies it by γ once.",
            answer=lambda t, base_lr, gamma: base_lr * gamma ** (t + 1),
        ),
        Detector(
            "linear decay",
            "you subtracted a fixed amount each step: exponential decay MULTIPLIES the rate "
            "by γ each step, η_t = base_lr·γ^t.",
            answer=lambda t, base_lr, gamma: base_lr * (1 - (1 - gamma) * t),
        ),
    ),
    hint="η_t = base_lr · γ^t.",
)

register(step_schedule, cosine_schedule, warmup_schedule, exponential_schedule)
