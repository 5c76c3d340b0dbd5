"""Mistaken solutions for exercises/06_diagnosing_training.ipynb."""

import numpy as np


def label(losses, *, check_nan=True, use_peak=False):
    if check_nan and not np.all(np.isfinite(losses)):
        return "nan"
    finite = losses[np.isfinite(losses)]
    end = finite.max() if use_peak else finite[-1]
    if end > 2 * finite[0]:
        return "diverging"
    if finite.max() - finite.min() <= 1e-3 * abs(finite[0]):
        return "flat"
    return "decreasing" if finite[-1] < finite[0] else "rising"


def stop(val_losses, patience, *, ties=False, late=False):
    best, best_step = np.inf, 0
    for step, value in enumerate(val_losses):
        if value < best or (ties and value <= best):
            best, best_step = value, step
        elif step - best_step > patience - (0 if late else 1):
            return best_step, step + 1
    return best_step, len(val_losses)


MUTANTS = {
    "curve_label": {
        "NaN not checked first": lambda losses: label(losses, check_nan=False),
        "peak instead of last value": lambda losses: label(losses, use_peak=True),
    },
    "early_stop": {
        "a tie counts as a new best": lambda v, p: stop(v, p, ties=True),
        "one step too late": lambda v, p: stop(v, p, late=True),
    },
}
