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


MUTANTS = {
    "lr_sweep": {
        "evenly spaced": lambda lo, hi, n: np.linspace(lo, hi, n),
        "lr_max left out": lambda lo, hi, n: lo * (hi / lo) ** (np.arange(n) / n),
    },
    "pick_lr": {
        "the minimum itself": lambda lrs, losses: lrs[np.argmin(losses)],
        "the largest loss": lambda lrs, losses: lrs[np.argmax(losses)] / 10,
    },
    "curve_label": {
        "NaN not checked first": lambda losses: label(losses, check_nan=False),
        "peak instead of last value": lambda losses: label(losses, use_peak=True),
    },
}
