"""Mistaken solutions for exercises/12_deep_gradients.ipynb."""

import torch


def total(grads):
    return torch.sqrt(sum((g**2).sum() for g in grads))


MUTANTS = {
    "global_grad_norm": {
        "sum of per-tensor norms": lambda grads: sum(g.norm() for g in grads),
        "squared norm": lambda grads: sum((g**2).sum() for g in grads),
        "largest tensor norm": lambda grads: max(g.norm() for g in grads),
    },
    "clip_by_global_norm": {
        "per-tensor clipping": lambda grads, m: [
            g * min(1.0, m / (g.norm() + 1e-6)) for g in grads
        ],
        "scaled even when below the limit": lambda grads, m: [
            g * m / (total(grads) + 1e-6) for g in grads
        ],
        "inverted factor": lambda grads, m: [g * min(1.0, total(grads) / m) for g in grads],
    },
}
