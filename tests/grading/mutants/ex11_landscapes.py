"""Mistaken solutions for exercises/11_landscapes.ipynb."""

import math

import numpy as np


def by_signs(values):
    if np.all(values > 0):
        return "minimum"
    if np.all(values < 0):
        return "maximum"
    return "saddle"


MUTANTS = {
    "critical_point": {
        "read the diagonal": lambda H: by_signs(np.diag(H)),
        "determinant only": lambda H: "minimum" if np.linalg.det(H) > 0 else "saddle",
    },
    "restarts_needed": {
        "probabilities added": lambda p, target: math.ceil(target / p),
        "rounded down": lambda p, t: math.floor(math.log(1 - t) / math.log(1 - p)),
        "log of the target": lambda p, t: math.ceil(math.log(t) / math.log(1 - p)),
        "int(r) + 1": lambda p, t: int(math.log(1 - t) / math.log(1 - p)) + 1,
    },
}
