"""Mistaken solutions for exercises/07_learning_rate.ipynb."""

import numpy as np

MUTANTS = {
    "lr_sweep": {
        "evenly spaced": lambda lo, hi, n: np.linspace(lo, hi, n),
        "lr_max left out": lambda lo, hi, n: lo * (hi / lo) ** (np.arange(n) / n),
    },
    "pick_lr": {
        "the minimum itself": lambda lrs, losses: lrs[np.argmin(losses)],
        "the largest loss": lambda lrs, losses: lrs[np.argmax(losses)] / 10,
    },
}
