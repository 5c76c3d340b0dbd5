"""Tasks of exercises/12_deep_gradients.ipynb: the global gradient norm and clipping by it."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "12_deep_gradients"
# the call checks that the learner's function leaves the gradients it gets unchanged
CALL = 'inputs_kept_list(f, "grads", [torch.tensor(g) for g in grads]{extra})'
# torch's norm and clipping helpers, by the names learners call them, and the module that
# defines them (what the check resolves `from torch.nn.utils import get_total_norm as n` to)
NORM = ("clip_grad_norm_", "clip_grad_norm", "get_total_norm", "torch.nn.utils.clip_grad")
CLIPPING = ("clip_grad_value_", "clip_grads_with_norm_", *NORM)


def _tensors(grads):
    import torch

    return [torch.tensor(g, dtype=torch.float64) for g in grads]


def _clipped(grads, max_norm):
    """Oracle: torch.nn.utils.clip_grad_norm_ applied to parameters with these gradients."""
    import torch

    params = [torch.zeros_like(g, requires_grad=True) for g in _tensors(grads)]
    for p, g in zip(params, _tensors(grads), strict=True):
        p.grad = g
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.tolist() for p in params]


def _global_norm(grads):
    """Oracle: the norm clip_grad_norm_ returns (2-norm of all gradients together)."""
    import torch

    params = [torch.zeros_like(g, requires_grad=True) for g in _tensors(grads)]
    for p, g in zip(params, _tensors(grads), strict=True):
        p.grad = g
    return float(torch.nn.utils.clip_grad_norm_(params, float("inf")))


def _norms(grads):
    return [float(np.linalg.norm(np.asarray(g, float))) for g in grads]


def _scale_all(grads, factor):
    return [(np.asarray(g, float) * factor).tolist() for g in grads]


def _probe(rng, with_max=True):
    """Gradients of a small model: a weight matrix, then vectors (different shapes)."""
    rows, cols = int(rng.integers(2, 4)), int(rng.integers(1, 4))
    grads = [np.round(rng.normal(0, 2, (rows, cols)), 3).tolist()] + [
        np.round(rng.normal(0, 2, int(rng.integers(1, 4))), 3).tolist()
        for _ in range(int(rng.integers(1, 3)))
    ]
    probe = {"grads": grads}
    if with_max:
        total = float(np.sqrt(sum(np.sum(np.square(np.asarray(g))) for g in grads)))
        probe["max_norm"] = round(total * float(rng.choice([0.3, 0.7, 1.5])), 3)
    return probe


CONCATENATED = Detector(
    "concatenated without flattening",
    "torch.cat joins tensors of the same number of dimensions, and the gradients are a "
    "matrix and vectors: flatten each one first, torch.cat([g.flatten() for g in grads]) "
    "(or add up the squares of each).",
    error="must have same number of dimensions",
)
CHANGED = Detector(
    "changed the inputs in place",
    "your function changed the gradient tensors it was given (`g.mul_(…)`, `g *= …`): "
    "return new tensors and leave the inputs as they were.",
    error="changed the tensors of `grads` in place",
)


# a 2 × 2 weight matrix and a bias vector: norms 5 and 12, global norm 13
GRADS = [[[3.0, 0.0], [0.0, 4.0]], [0.0, 12.0, 0.0]]

global_grad_norm = Task(
    id="global_grad_norm",
    exercise=EXERCISE,
    title="the global gradient norm",
    points=1,
    forbids=NORM,
    call=CALL.format(extra=""),
    oracle=_global_norm,
    public=({"grads": GRADS}, {"grads": [[1.0, -1.0, 1.0, -1.0], [2.0]]}),
    hidden=lambda rng: [_probe(rng, with_max=False) for _ in range(4)],
    detectors=(
        Detector(
            "sum of per-tensor norms",
            "you added the norms of the tensors: the global norm is the norm of ALL "
            "entries together, √(Σ‖gᵢ‖²).",
            answer=lambda grads: sum(_norms(grads)),
        ),
        Detector(
            "squared norm",
            "you returned the sum of squares: take its square root.",
            answer=lambda grads: sum(n * n for n in _norms(grads)),
        ),
        Detector(
            "largest tensor norm",
            "you returned the largest per-tensor norm: the global norm combines all "
            "tensors, √(Σ‖gᵢ‖²).",
            answer=lambda grads: max(_norms(grads)),
        ),
        CONCATENATED,
    ),
    hint="concatenate all gradient entries and take the 2-norm: √(Σᵢ‖gᵢ‖²).",
)


def _per_tensor(grads, max_norm):
    out = []
    for g, n in zip(grads, _norms(grads), strict=True):
        out.append((np.asarray(g, float) * min(1.0, max_norm / (n + 1e-6))).tolist())
    return out


def _always(grads, max_norm):
    total = float(np.sqrt(sum(n * n for n in _norms(grads))))
    return _scale_all(grads, max_norm / (total + 1e-6))


def _inverted(grads, max_norm):
    total = float(np.sqrt(sum(n * n for n in _norms(grads))))
    return _scale_all(grads, min(1.0, total / max_norm))


clip_by_global_norm = Task(
    id="clip_by_global_norm",
    exercise=EXERCISE,
    title="clipping gradients by their global norm",
    points=2,
    forbids=CLIPPING,
    call=CALL.format(extra=", max_norm"),
    oracle=_clipped,
    public=(
        {"grads": GRADS, "max_norm": 6.5},
        {"grads": GRADS, "max_norm": 26.0},
        {"grads": [[1.0, -1.0, 1.0, -1.0], [2.0]], "max_norm": 1.0},
    ),
    hidden=lambda rng: [_probe(rng) for _ in range(4)],
    rtol=1e-5,
    atol=1e-6,
    detectors=(
        Detector(
            "per-tensor clipping",
            "you clipped each tensor by its own norm: clip_grad_norm_ scales ALL gradients "
            "by the same factor, max_norm / global norm, so their directions are kept.",
            answer=_per_tensor,
        ),
        Detector(
            "scaled even when below the limit",
            "you scaled the gradients up when their norm was below max_norm: clipping only "
            "ever shrinks, with the factor min(1, max_norm / norm).",
            answer=_always,
        ),
        Detector(
            "inverted factor",
            "your factor is upside down: scale by max_norm / norm (when norm > max_norm).",
            answer=_inverted,
        ),
        CONCATENATED,
        CHANGED,
    ),
    hint="norm = √(Σᵢ‖gᵢ‖²); factor = min(1, max_norm / (norm + 1e-6)); multiply every "
    "gradient by the factor and return the list.",
)

register(global_grad_norm, clip_by_global_norm)
