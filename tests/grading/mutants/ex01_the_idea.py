"""Mistaken solutions for exercises/01_the_idea.ipynb."""

import numpy as np


def mse_sign(x, y, w, b):
    r = y - (w * x + b)
    return 2 * np.mean(r * x), 2 * np.mean(r)


def mse_sum(x, y, w, b):
    r = w * x + b - y
    return 2 * np.sum(r * x), 2 * np.sum(r)


def mse_no_two(x, y, w, b):
    r = w * x + b - y
    return np.mean(r * x), np.mean(r)


def mse_no_two_over_n(x, y, w, b):
    r = w * x + b - y
    return np.sum(r * x), np.sum(r)


def regime_1_over_l(lr, curvature):
    if lr > 1 / curvature:
        return "diverges"
    return "converges"


def regime_compares_with_l(lr, curvature):
    if lr > 2 * curvature:
        return "diverges"
    if lr > curvature:
        return "oscillates"
    return "converges"


def regime_never_oscillates(lr, curvature):
    return "diverges" if lr * curvature > 2 else "converges"


def stop(grad, before, after, eps, size):
    if size(grad) < eps:
        return "gradient"
    return "change" if abs(after - before) < eps else "continue"


def stop_change_first(grad, before, after, eps):
    if abs(after - before) < eps:
        return "change"
    return "gradient" if np.linalg.norm(grad) < eps else "continue"


MUTANTS = {
    "stop_reason": {
        "squared norm": lambda g, b, a, e: stop(g, b, a, e, lambda v: float(v @ v)),
        "signed sum of the gradient": lambda g, b, a, e: stop(g, b, a, e, np.sum),
        "L1 norm": lambda g, b, a, e: stop(g, b, a, e, lambda v: np.abs(v).sum()),
        "largest entry": lambda g, b, a, e: stop(g, b, a, e, lambda v: np.abs(v).max()),
        "rules in the wrong order": stop_change_first,
    },
    "mse_gradients": {
        "sign error": mse_sign,
        "sum instead of mean": mse_sum,
        "missing factor 2": mse_no_two,
        "missing 2/N": mse_no_two_over_n,
    },
    "gd_step": {
        "sign error": lambda theta, grad, lr: theta + lr * grad,
        "returned the step": lambda theta, grad, lr: -lr * grad,
        "learning rate applied twice": lambda theta, grad, lr: theta - lr * (lr * grad),
    },
    "lr_regime": {
        "diverges above 1/L": regime_1_over_l,
        "η compared with L": regime_compares_with_l,
        "never oscillates": regime_never_oscillates,
    },
}
