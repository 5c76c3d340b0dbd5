"""Mistaken solutions for exercises/07_learning_rate.ipynb."""

import math

import numpy as np
import torch

MUTANTS = {
    "lr_sweep": {
        "evenly spaced": lambda lo, hi, n: np.linspace(lo, hi, n),
        "lr_max left out": lambda lo, hi, n: lo * (hi / lo) ** (np.arange(n) / n),
    },
    "pick_lr": {
        "the minimum itself": lambda lrs, losses: lrs[np.argmin(losses)],
        "the largest loss": lambda lrs, losses: lrs[np.argmax(losses)] / 10,
        "the previous rate on the grid": lambda lrs, losses: lrs[np.argmin(losses) - 1],
    },
}

# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {
    "lr_sweep": {
        "torch.logspace, float32": lambda lo, hi, n: torch.logspace(
            math.log10(lo), math.log10(hi), n
        ),
        "np.geomspace": np.geomspace,
    },
}
