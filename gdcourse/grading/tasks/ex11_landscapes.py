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


def _hessian_probe(rng, kind=None):
    """kind 1 is a maximum (a positive determinant too); kind 3 a saddle turned so that its
    diagonal entries are both positive (only the eigenvalues tell it)."""
    kind = int(rng.integers(3)) if kind is None else kind
    eig = {0: [1.0, 3.0], 1: [-2.0, -0.5], 2: [-1.0, 2.0], 3: [-1.0, 2.0]}[kind]
    angle = float(rng.uniform(0.65, 0.92) if kind == 3 else rng.uniform(0, math.pi))
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
    hidden=lambda rng: [_hessian_probe(rng, kind) for kind in (1, 3, None, None, None, None)],
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
    hints=(
        "Does your answer look only at the diagonal entries, or only at the determinant? Try "
        "[[1, 2], [2, 1]]: does the loss curve up in every direction there? "
        "(Lesson 11, section 3.)",
        "The curvature of the loss along each principal direction is an eigenvalue of the "
        "Hessian: a minimum curves up in every direction, a maximum down in every direction, a "
        "saddle both ways. The diagonal gives only the curvatures along the axes, and a positive "
        "determinant only says the eigenvalues share a sign, not which.",
        "Compute the eigenvalues of the symmetric Hessian (np.linalg.eigvalsh): all positive "
        "means minimum, all negative maximum, mixed signs saddle.",
    ),
)


def _restarts(p, target):
    return math.ceil(math.log(1 - target) / math.log(1 - p))


# (p, target) whose ratio log(1 − target)/log(1 − p) is a whole number, exactly in floats
WHOLE_RATIOS = ((0.5, 0.75), (0.5, 0.875), (0.75, 0.9375), (0.5, 0.9375), (0.75, 0.984375))


def _restart_probe(rng, whole=False):
    if whole:
        p, target = WHOLE_RATIOS[int(rng.integers(len(WHOLE_RATIOS)))]
        return {"p": p, "target": target}
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
    public=(
        {"p": 0.25, "target": 0.99},
        {"p": 0.1, "target": 0.9},
        {"p": 0.5, "target": 0.999},
        {"p": 0.5, "target": 0.875},  # exactly 3 restarts: (1 − 0.5)³ = 1 − 0.875
    ),
    hidden=lambda rng: [_restart_probe(rng, whole=i == 0) for i in range(5)],
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
        Detector(
            "int(r) + 1",
            "you rounded up with int(r) + 1: when the ratio r is a whole number that is one "
            "restart too many, since (1 − p)^r is then exactly 1 − target. Use math.ceil(r).",
            answer=lambda p, target: int(math.log(1 - target) / math.log(1 - p)) + 1,
        ),
    ),
    hint="the smallest whole k with 1 − (1 − p)^k ≥ target: k = ⌈log(1 − target)/log(1 − p)⌉.",
    hints=(
        "What is the chance that ALL k independent runs miss the global minimum? "
        "(Lesson 11, section 5.)",
        "Runs are independent, so every one of k runs misses with probability (1 − p)^k, and you "
        "need that to fall to 1 − target or below. Solve for k with logarithms, then take the "
        "smallest whole k that satisfies it: round up, and leave a ratio that is already whole as "
        "it is.",
        "k = ⌈log(1 − target) / log(1 − p)⌉, with math.ceil (int(r) + 1 is one too "
        "many when the ratio r is a whole number).",
    ),
)

register(critical_point, restarts_needed)
