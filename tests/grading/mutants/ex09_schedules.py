"""Mistaken solutions for exercises/09_schedules.ipynb."""

import math


def cosine(t, base_lr, T_max, eta_min, *, floor=True, subtract=True, half=True, shift=0):
    c = math.cos(math.pi * (t + shift) / T_max)
    part = (1 + c) / 2 if half else c
    return (eta_min if floor else 0.0) + (base_lr - eta_min if subtract else base_lr) * part


def warmup(t, base_lr, warmup_steps, start_factor, *, cap=True, start=None, shift=0):
    s = start_factor if start is None else start
    t = t + shift
    return base_lr * (s + (1 - s) * (min(t, warmup_steps) if cap else t) / warmup_steps)


def plateau(losses, lr, factor, patience, min_lr, *, how="right"):
    """ReduceLROnPlateau by hand, with one mistake (`how`)."""
    best, previous, bad, rates = float("inf"), float("inf"), 0, []
    for loss in losses:
        reference = previous if how == "last" else best
        margin = 0.0 if how == "no threshold" else 1e-4
        if loss < reference * (1 - margin):
            best, bad = loss, 0
        else:
            bad += 1
        previous = loss
        before = lr
        if bad == patience if how == "early" else bad > patience:
            lr = max(lr * factor, 0.0 if how == "no floor" else min_lr)
            if how != "no reset":
                bad = 0
        rates.append(before if how == "before the cut" else lr)
    return rates


class Plateau:
    """The same thing as an object with state, like torch's scheduler."""

    def __init__(self, lr, factor, patience, min_lr):
        self.lr, self.factor, self.patience, self.min_lr = lr, factor, patience, min_lr
        self.best, self.bad_epochs = None, 0

    def step(self, loss):
        if self.best is None or loss < self.best - 1e-4 * self.best:
            self.best, self.bad_epochs = loss, 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.lr, self.bad_epochs = max(self.min_lr, self.lr * self.factor), 0
        return self.lr


def plateau_object(losses, lr, factor, patience, min_lr):
    scheduler = Plateau(lr, factor, patience, min_lr)
    return [scheduler.step(loss) for loss in losses]


def one_cycle(t, max_lr, total, pct_start, div, final_div, *, how="right"):
    """OneCycleLR by hand, with one mistake (`how`)."""
    initial = max_lr / div
    low = {"final = initial": initial, "max_lr / final": max_lr / final_div}.get(
        how, initial / final_div
    )
    peak = {"late": pct_start * total, "scaled": pct_start * (total - 1)}.get(
        how, pct_start * total - 1
    )
    if t <= peak:
        a, b, frac = initial, max_lr, t / peak
    else:
        a, b, frac = max_lr, low, (t - peak) / (total - 1 - peak)
    if how == "linear":
        return a + (b - a) * frac
    return b + (a - b) * (1 + math.cos(math.pi * frac)) / 2


MUTANTS = {
    "plateau_schedule": {
        "patience off by one": lambda *a: plateau(*a, how="early"),
        "counter not reset": lambda *a: plateau(*a, how="no reset"),
        "compared with the last loss": lambda *a: plateau(*a, how="last"),
        "threshold ignored": lambda *a: plateau(*a, how="no threshold"),
        "min_lr ignored": lambda *a: plateau(*a, how="no floor"),
    },
    "one_cycle_schedule": {
        "linear annealing": lambda *a: one_cycle(*a, how="linear"),
        "final rate = initial rate": lambda *a: one_cycle(*a, how="final = initial"),
        "peak one step late": lambda *a: one_cycle(*a, how="late"),
    },
    "exponential_schedule": {
        "off by one step": lambda t, lr, g: lr * g ** (t + 1),
        "linear decay": lambda t, lr, g: lr * (1 - (1 - g) * t),
    },
    "step_schedule": {
        "off by one step": lambda t, lr, size, g: lr * g ** ((t + 1) // size),
        "no floor division": lambda t, lr, size, g: lr * g ** (t / size),
        "gamma multiplied, not raised": lambda t, lr, size, g: lr * g * (t // size),
    },
    "cosine_schedule": {
        "η_min not subtracted": lambda *a: cosine(*a, subtract=False),
        "η_min ignored": lambda *a: cosine(*a, floor=False, subtract=False),
        "missing (1 + cos)/2": lambda *a: cosine(*a, half=False),
        "off by one step": lambda *a: cosine(*a, shift=1),
    },
    "warmup_schedule": {
        "never stops warming": lambda *a: warmup(*a, cap=False),
        "starts from zero": lambda *a: warmup(*a, start=0.0),
        "off by one step": lambda *a: warmup(*a, shift=1),
    },
}

# Mistakes no detector names: each must still fail the check and the grading.
WRONG = {
    "plateau_schedule": {"the rate before the cut": lambda *a: plateau(*a, how="before the cut")},
    "one_cycle_schedule": {
        "peak at pct_start · (total − 1)": lambda *a: one_cycle(*a, how="scaled"),
        "low end max_lr / final_div_factor": lambda *a: one_cycle(*a, how="max_lr / final"),
    },
}

# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {"plateau_schedule": {"an object with state": plateau_object}}
