"""Mistaken solutions for exercises/12_deep_gradients.ipynb."""

import torch


def total(grads):
    return torch.sqrt(sum((g**2).sum() for g in grads))


def clip_in_place(grads, max_norm):
    factor = min(1.0, max_norm / (float(total(grads)) + 1e-6))
    for g in grads:
        g.mul_(factor)
    return grads


def clip_concatenated(grads, max_norm):
    norm = float(torch.cat(grads).norm())
    return [g * min(1.0, max_norm / (norm + 1e-6)) for g in grads]


MUTANTS = {
    "global_grad_norm": {
        "sum of per-tensor norms": lambda grads: sum(g.norm() for g in grads),
        "squared norm": lambda grads: sum((g**2).sum() for g in grads),
        "largest tensor norm": lambda grads: max(g.norm() for g in grads),
        "concatenated without flattening": lambda grads: torch.cat(grads).norm(),
    },
    "clip_by_global_norm": {
        "per-tensor clipping": lambda grads, m: [
            g * min(1.0, m / (g.norm() + 1e-6)) for g in grads
        ],
        "scaled even when below the limit": lambda grads, m: [
            g * m / (total(grads) + 1e-6) for g in grads
        ],
        "inverted factor": lambda grads, m: [g * min(1.0, total(grads) / m) for g in grads],
        "concatenated without flattening": clip_concatenated,
        "changed the inputs in place": clip_in_place,
    },
}
