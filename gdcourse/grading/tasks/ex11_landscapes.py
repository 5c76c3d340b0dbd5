"""Tasks of exercises/11_landscapes.ipynb: classify critical points, plan random restarts."""

from __future__ import annotations

import math

import numpy as np

from . import Detector, Task, register

EXERCISE = "11_landscapes"


def _label(hessian, *, use="eigenvalues"):
    """Oracle (and mistakes): minimum, maximum or saddle from a symmetric Hessian."""
    import torch

    H = torch.tensor(hessian, dtype=torch.float64)
    if use == "diagonal":
        values = torch.diagonal(H)
    elif use == "determinant":
        det = float(torch.linalg.det(H))
        return "minimum" if det > 0 else "saddle"
    else:
        values = torch.linalg.eigvalsh(H)
    if bool((values > 0).all()):
        return "minimum"
    if bool((values < 0).all()):
        return "maximum"
    return "saddle"


def _hessian_probe(rng):
    kind = rng.integers(3)
    eig = {0: [1.0, 3.0], 1: [-2.0, -0.5], 2: [-1.0, 2.0]}[int(kind)]
    angle = float(rng.uniform(0, math.pi))
    c, s = math.cos(angle), math.sin(angle)
    R = np.array([[c, -s], [s, c]])
    return {"hessian": np.round(R @ np.diag(eig) @ R.T, 3).tolist()}


critical_point = Task(
    id="critical_point",
    exercise=EXERCISE,
    title="classify a critical point from its Hessian",
    points=2,
    call="f(np.array(hessian))",
    oracle=_label,
    public=(
        {"hessian": [[2.0, 0.0], [0.0, -2.0]]},  # x² − y² at the origin
        {"hessian": [[-1.0, 0.0], [0.0, -3.0]]},
        {"hessian": [[1.0, 2.0], [2.0, 1.0]]},  # positive diagonal, eigenvalues 3 and −1
        {"hessian": [[2.0, 1.0], [1.0, 2.0]]},
    ),
    hidden=lambda rng: [_hessian_probe(rng) for _ in range(6)],
    detectors=(
        Detector(
            "read the diagonal",
            "you read the signs of the diagonal entries: they are the curvatures along the "
            "axes only. Use the eigenvalues of the Hessian (np.linalg.eigvalsh).",
            answer=lambda hessian: _label(hessian, use="diagonal"),
        ),
        Detector(
            "determinant only",
            "a positive determinant means both eigenvalues have the same sign, which is a "
            "minimum OR a maximum: look at the signs of the eigenvalues themselves.",
            answer=lambda hessian: _label(hessian, use="determinant"),
        ),
    ),
    hint="eigenvalues all > 0: minimum; all < 0: maximum; mixed signs: saddle.",
)


def _restarts(p, target):
    return math.ceil(math.log(1 - target) / math.log(1 - p))


def _restart_probe(rng):
    return {
        "p": float(rng.choice([0.05, 0.1, 0.2, 0.3, 0.45])),
        "target": float(rng.choice([0.9, 0.95, 0.99, 0.999])),
    }


restarts_needed = Task(
    id="restarts_needed",
    exercise=EXERCISE,
    title="how many random restarts",
    points=1,
    call="f(p, target)",
    oracle=_restarts,
    public=({"p": 0.25, "target": 0.99}, {"p": 0.1, "target": 0.9}, {"p": 0.5, "target": 0.999}),
    hidden=lambda rng: [_restart_probe(rng) for _ in range(5)],
    detectors=(
        Detector(
            "probabilities added",
            "you added the chances (k·p ≥ target): restarts are independent, so the chance "
            "that ALL k miss is (1 − p)^k, and you need 1 − (1 − p)^k ≥ target.",
            answer=lambda p, target: math.ceil(target / p),
        ),
        Detector(
            "rounded down",
            "you rounded down: k must be a whole number of restarts that reaches the target, "
            "so round log(1 − target)/log(1 − p) UP.",
            answer=lambda p, target: math.floor(math.log(1 - target) / math.log(1 - p)),
        ),
        Detector(
            "log of the target",
            "you used log(target): the quantity that must become small is the chance of "
            "missing, 1 − target, so k = ⌈log(1 − target) / log(1 − p)⌉.",
            answer=lambda p, target: math.ceil(math.log(target) / math.log(1 - p)),
        ),
    ),
    hint="the smallest whole k with 1 − (1 − p)^k ≥ target: k = ⌈log(1 − target)/log(1 − p)⌉.",
)

register(critical_point, restarts_needed)
