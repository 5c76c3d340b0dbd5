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


MUTANTS = {
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
