"""Mistaken solutions for exercises/06_diagnosing_training.ipynb."""

import numpy as np


def label(losses, *, check_nan=True, use_peak=False, bad=lambda v: ~np.isfinite(v), rising=True):
    if check_nan and np.any(bad(losses)):
        return "nan"
    finite = losses[np.isfinite(losses)]
    end = finite.max() if use_peak else finite[-1]
    if end > 2 * finite[0]:
        return "diverging"
    if finite.max() - finite.min() <= 1e-3 * abs(finite[0]):
        return "flat"
    if not rising:
        return "decreasing"
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
        "NaN only": lambda losses: label(losses, bad=np.isnan),
        "only the last value checked": lambda losses: label(
            losses, bad=lambda v: ~np.isfinite(v[-1:])
        ),
        "never 'rising'": lambda losses: label(losses, rising=False),
    },
    "early_stop": {
        "a tie counts as a new best": lambda v, p: stop(v, p, ties=True),
        "one step too late": lambda v, p: stop(v, p, late=True),
        "best of all the losses": lambda v, p: (int(np.argmin(v)), stop(v, p)[1]),
    },
}
