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
    hint="your rate differs from StepLR's at the step shown: check at which steps it "
    "drops (only every step_size steps) and by how much each drop multiplies it.",
    hints=(
        "At which steps does your rate change? Compare it at t = step_size − 1 and at t = "
        "step_size (t counts scheduler.step() calls from 0; lesson 09, the StepLR section).",
        "The rate stays flat for step_size steps, then drops. The number of drops so far is a "
        "whole number, the integer division of t by step_size, and each drop multiplies the rate "
        "by γ once more.",
        "η_t = base_lr · γ^(t // step_size).",
    ),
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
    hint="your rate differs from CosineAnnealingLR's at the step shown: check t = 0 "
    "(base_lr), t = T_max (eta_min) and the midpoint, halfway between the two.",
    hints=(
        "Is your rate exactly base_lr at t = 0 and exactly eta_min at t = T_max, and never below "
        "eta_min in between? (Lesson 09, the CosineAnnealingLR section.)",
        "The cosine part must fall from 1 to 0 as t goes from 0 to T_max (half a cosine, shifted "
        "up and halved, not cos itself), and it scales only the gap between base_lr and eta_min, "
        "which sits on top of the floor eta_min.",
        "η_t = η_min + (base_lr − η_min) · (1 + cos(π·t / T_max)) / 2.",
    ),
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
    hint="your rate differs from LinearLR's at the step shown: check t = 0 (the "
    "starting rate), the steps of the warmup (equal rises) and t ≥ warmup_steps.",
    hints=(
        "What does your function return at t = 0, and at a t well past warmup_steps? "
        "(Lesson 09, the linear warmup section.)",
        "The rate starts at start_factor · base_lr, not at 0, rises by the same amount at each of "
        "the first warmup_steps steps, and from t = warmup_steps on stays at base_lr.",
        "η_t = base_lr · (s + (1 − s) · min(t, W) / W), with s = start_factor and W = "
        "warmup_steps.",
    ),
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
    hint="your rate differs from ExponentialLR's at the step shown: check t = 0 and "
    "what one step does to the rate.",
    hints=(
        "What is the rate at t = 0, before any scheduler.step()? Does one step subtract from it "
        "or multiply it? (Lesson 09, the ExponentialLR section.)",
        "Exponential decay multiplies the rate by γ at every step, so after t steps it has been "
        "multiplied by γ exactly t times; at t = 0 it is base_lr itself, untouched.",
        "η_t = base_lr · γ^t.",
    ),
)


# ---------------------------------------------------------------- ReduceLROnPlateau

THRESHOLD = 1e-4  # torch's default: relative, mode "min"


def _plateau(losses, lr, factor, patience, min_lr):
    """Oracle: torch's ReduceLROnPlateau, the rate in force after each scheduler.step(loss)."""
    import torch
    from torch.optim.lr_scheduler import ReduceLROnPlateau

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = ReduceLROnPlateau(opt, factor=factor, patience=patience, min_lr=min_lr)
    rates = []
    for loss in losses:
        opt.step()
        scheduler.step(loss)
        rates.append(float(opt.param_groups[0]["lr"]))
    return rates


def _plateau_mistake(losses, lr, factor, patience, min_lr, *, mistake):
    """ReduceLROnPlateau written out, with one mistake put in."""
    best = last = math.inf
    bad, rates = 0, []
    for loss in losses:
        reference = last if mistake == "against last" else best
        threshold = 0.0 if mistake == "no threshold" else THRESHOLD
        if loss < reference * (1 - threshold):
            best, bad = loss, 0
        else:
            bad += 1
        last = loss
        if bad >= patience if mistake == "off by one" else bad > patience:
            floor = 0.0 if mistake == "no floor" else min_lr
            new = max(lr * factor, floor)
            if lr - new > 1e-8:
                lr = new
            if mistake != "no reset":
                bad = 0
        rates.append(lr)
    return rates


def _plateau_probe(rng, kind):
    """kind: "plateau" (a long run of worse epochs after the best), "rebound" (a jump up,
    then a slow fall that stays above the best), "tiny" (improvements below the 1e-4
    threshold) or "mixed"; each tells some of the mistakes apart."""
    patience = int(rng.integers(1, 4))
    loss = float(rng.uniform(1.0, 3.0))
    losses = []
    for _ in range(int(rng.integers(1, 4))):  # a few real improvements first
        loss *= float(rng.uniform(0.7, 0.95))
        losses.append(round(loss, 6))
    best, length = loss, 3 * (patience + 1) + 1
    if kind == "plateau":
        losses += [round(best * float(1 + rng.uniform(0.01, 0.2)), 6) for _ in range(length)]
    elif kind == "rebound":
        high = best * float(rng.uniform(1.5, 2.0))
        losses += [round(best + (high - best) * 0.8**i, 6) for i in range(length)]
    elif kind == "tiny":
        losses += [round(best * (1 - 1e-5 * (i + 1)), 9) for i in range(length)]
    else:
        for _ in range(length):
            loss = loss * float(rng.uniform(0.8, 1.2))
            losses.append(round(loss, 6))
    lr, factor = float(rng.choice([0.1, 0.05, 1.0])), float(rng.choice([0.1, 0.5]))
    # the plateau's three cuts reach this floor at the second: where min_lr shows
    floor = round(0.6 * lr * factor, 6) if kind == "plateau" else float(rng.choice([0.0, 0.001]))
    return {"losses": losses, "lr": lr, "factor": factor, "patience": patience, "min_lr": floor}


def _plateau_detector(name, hint, mistake):
    return Detector(name, hint, answer=lambda **p: _plateau_mistake(**p, mistake=mistake))


plateau_schedule = Task(
    id="plateau_schedule",
    exercise=EXERCISE,
    title="reduce on plateau",
    points=2,
    forbids=("torch.optim.lr_scheduler",),
    call="f(list(losses), lr, factor, patience, min_lr)",
    oracle=_plateau,
    public=(
        {
            "losses": [1.0, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88],
            "lr": 0.1,
            "factor": 0.5,
            "patience": 2,
            "min_lr": 0.0,
        },
        {
            "losses": [1.0, 0.5, 0.9, 0.7, 0.6, 0.55, 0.52, 0.51, 0.505],
            "lr": 0.1,
            "factor": 0.5,
            "patience": 2,
            "min_lr": 0.0,
        },
        {
            "losses": [1.0, 0.99995, 0.99992, 0.99991, 0.9999, 0.99995, 0.99991],
            "lr": 0.01,
            "factor": 0.1,
            "patience": 1,
            "min_lr": 0.0005,
        },
    ),
    hidden=lambda rng: [
        _plateau_probe(rng, kind) for kind in ("plateau", "rebound", "tiny", "mixed")
    ],
    detectors=(
        _plateau_detector(
            "patience off by one",
            "your rate drops one epoch too early: with patience p the rate is cut only when "
            "MORE than p epochs in a row did not improve (the (p + 1)-th bad epoch).",
            "off by one",
        ),
        _plateau_detector(
            "counter not reset",
            "after a cut your rate keeps dropping every epoch: a reduction starts the count "
            "of bad epochs again from 0, so the next cut needs another p + 1 bad epochs.",
            "no reset",
        ),
        _plateau_detector(
            "compared with the last loss",
            "you compared each loss with the previous epoch's: an epoch improves only when "
            "its loss is below the BEST loss so far (by the relative threshold), so a loss "
            "that falls back after a jump up is still a bad epoch.",
            "against last",
        ),
        _plateau_detector(
            "threshold ignored",
            "you counted a tiny improvement as progress: torch's default threshold is "
            "relative, an epoch improves only when loss < best · (1 − 1e-4).",
            "no threshold",
        ),
        _plateau_detector(
            "min_lr ignored",
            "your rate falls below min_lr: each cut is new = max(lr · factor, min_lr).",
            "no floor",
        ),
    ),
    hint="your rates differ from ReduceLROnPlateau's at the epoch shown: check at which "
    "epoch the first cut comes, and when the next one does.",
    hints=(
        "What do you compare each epoch's loss with: the previous epoch's, or the best so far? "
        "And after how many bad epochs in a row does a cut come? (Lesson 09, the "
        "ReduceLROnPlateau section.)",
        "Carry two numbers from epoch to epoch: the best loss so far (starting at infinity) and "
        "the count of bad epochs. An epoch improves only when its loss is below best · "
        "(1 − 1e-4), which resets the count; any other epoch adds one to it, and when the count "
        "goes above patience the rate is cut and the count starts again from 0.",
        "Each epoch: if loss < best·(1 − 10⁻⁴), best ← loss and bad ← 0, else bad ← bad + 1; if "
        "bad > patience, lr ← max(lr·factor, min_lr) and bad ← 0; then record lr.",
    ),
)


# ---------------------------------------------------------------- OneCycleLR


def _one_cycle(t, max_lr, total_steps, pct_start, div_factor, final_div_factor):
    """Oracle: torch's OneCycleLR (cosine annealing, two phases) after t steps."""
    from torch.optim.lr_scheduler import OneCycleLR

    def make(opt):
        return OneCycleLR(
            opt,
            max_lr=max_lr,
            total_steps=total_steps,
            pct_start=pct_start,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            cycle_momentum=False,
        )

    return _torch_lr(make, t, max_lr)


def _one_cycle_formula(
    t,
    max_lr,
    total_steps,
    pct_start,
    div_factor,
    final_div_factor,
    *,
    linear=False,
    final=True,
    peak_shift=-1,
):
    """The closed form, or one of its mistakes (peak_shift=0: the peak one step late)."""
    initial = max_lr / div_factor
    low = initial / final_div_factor if final else initial
    peak = pct_start * total_steps + peak_shift
    if t <= peak:
        start, end, pct = initial, max_lr, t / peak
    else:
        start, end, pct = max_lr, low, (t - peak) / (total_steps - 1 - peak)
    if linear:
        return start + (end - start) * pct
    return end + (start - end) * (1 + math.cos(math.pi * pct)) / 2


def _one_cycle_probe(rng, where):
    """where: "peak" (the step of the peak), "end" (the last step) or anywhere."""
    total_steps = 20 * int(rng.integers(1, 6))
    pct_start = float(rng.choice([0.25, 0.3, 0.4]))
    peak = round(pct_start * total_steps) - 1
    t = {"peak": peak, "end": total_steps - 1}.get(where, int(rng.integers(1, total_steps - 1)))
    return {
        "t": t,
        "max_lr": float(rng.choice([0.1, 0.5, 1.0])),
        "total_steps": total_steps,
        "pct_start": pct_start,
        "div_factor": float(rng.choice([10.0, 25.0])),
        "final_div_factor": float(rng.choice([100.0, 1e4])),
    }


def _one_cycle_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _one_cycle_formula(**p, **mistake))


ONE_CYCLE = {
    "max_lr": 1.0,
    "total_steps": 10,
    "pct_start": 0.3,
    "div_factor": 25.0,
    "final_div_factor": 1e4,
}

one_cycle_schedule = Task(
    id="one_cycle_schedule",
    exercise=EXERCISE,
    title="the one-cycle schedule",
    points=2,
    forbids=("torch.optim.lr_scheduler",),
    call="f(t, max_lr, total_steps, pct_start, div_factor, final_div_factor)",
    oracle=_one_cycle,
    public=tuple({"t": t, **ONE_CYCLE} for t in (0, 1, 2, 3, 5, 9)),
    hidden=lambda rng: [_one_cycle_probe(rng, w) for w in ("peak", "end", "any", "any", "any")],
    rtol=1e-6,
    atol=1e-9,
    detectors=(
        _one_cycle_detector(
            "linear annealing",
            "your rate changes by the same amount every step: OneCycleLR's default "
            "anneal_strategy is 'cos', each phase follows half a cosine from its start "
            "rate to its end rate.",
            linear=True,
        ),
        _one_cycle_detector(
            "final rate = initial rate",
            "your last rate is the starting rate max_lr / div_factor: the cycle ends far "
            "lower, at (max_lr / div_factor) / final_div_factor.",
            final=False,
        ),
        _one_cycle_detector(
            "peak one step late",
            "your peak comes one step late: torch's first phase ends at step "
            "pct_start · total_steps − 1 (steps count from 0), where the rate is max_lr.",
            peak_shift=0,
        ),
    ),
    hint="your rate differs from OneCycleLR's at the step shown: check the rate at step "
    "0, at the peak and at the last step, and the shape in between.",
    hints=(
        "What is your rate at t = 0, at the peak and at the last step, and at which step does "
        "your peak come? (Lesson 09, the OneCycleLR section.)",
        "Three levels: the start max_lr / div_factor, the peak max_lr, and an end far below the "
        "start, start / final_div_factor. The peak is at step pct_start·total_steps − 1 "
        "(steps count from 0), and each phase goes from its start level to its end level along "
        "half a cosine, not a straight line.",
        "With t₁ = pct_start·total_steps − 1 and anneal(a, b, q) = b + (a − b)·(1 + cos πq)/2: η "
        "= anneal(start, max_lr, t / t₁) for t ≤ t₁, and η = anneal(max_lr, end, (t − t₁) / "
        "(total_steps − 1 − t₁)) after it.",
    ),
)

register(
    step_schedule,
    cosine_schedule,
    warmup_schedule,
    exponential_schedule,
    plateau_schedule,
    one_cycle_schedule,
)
