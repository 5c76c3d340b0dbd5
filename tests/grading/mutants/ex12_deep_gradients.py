"""Mistaken solutions for exercises/12_deep_gradients.ipynb."""

import math

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


def norms(model, X, y, *, how="right"):
    """The per-layer gradient norms, with one mistake (`how`)."""
    squared = (model(X) - y) ** 2
    (squared.sum() if how == "sum" else squared.mean()).backward()
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if how == "weights":
        return [m.weight.detach().norm().item() for m in linears]
    if how == "with bias":
        return [torch.cat([m.weight.grad.flatten(), m.bias.grad]).norm().item() for m in linears]
    found = [m.weight.grad.norm().item() for m in linears]
    return found[::-1] if how == "reversed" else found


def norms_by_parameters(model, X, y):
    """A correct variant: torch.nn.functional.mse_loss, the weights by their names."""
    torch.nn.functional.mse_loss(model(X), y).backward()
    return [p.grad.norm() for name, p in model.named_parameters() if name.endswith("weight")]


GAIN = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2)}


def init(shape, scheme, nonlinearity, *, how="right"):
    """The std of Xavier/Kaiming normal, with one mistake (`how`)."""
    fan_in, fan_out = (shape[0], shape[1]) if how == "swapped" else (shape[1], shape[0])
    gain = {"no gain": 1.0, "relu gain": math.sqrt(2)}.get(how, GAIN[nonlinearity])
    if scheme == "xavier":
        return gain * math.sqrt((1.0 if how == "no 2" else 2.0) / (fan_in + fan_out))
    return gain / math.sqrt(fan_out if how == "fan_out" else fan_in)


MUTANTS = {
    "layer_grad_norms": {
        "last layer first": lambda *a: norms(*a, how="reversed"),
        "norms of the weights": lambda *a: norms(*a, how="weights"),
        "loss summed, not averaged": lambda *a: norms(*a, how="sum"),
    },
    "init_std": {
        "fan_in and fan_out swapped": lambda *a: init(*a, how="swapped"),
        "gain forgotten": lambda *a: init(*a, how="no gain"),
        "ReLU's gain for every nonlinearity": lambda *a: init(*a, how="relu gain"),
    },
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
        "clipped each value": lambda grads, m: [g.clamp(-m, m) for g in grads],
        "concatenated without flattening": clip_concatenated,
        "changed the inputs in place": clip_in_place,
    },
}

# Mistakes no detector names: each must still fail the check and the grading.
WRONG = {
    "layer_grad_norms": {"weight and bias together": lambda *a: norms(*a, how="with bias")},
    "init_std": {
        "xavier without the 2": lambda *a: init(*a, how="no 2"),
        "kaiming with fan_out": lambda *a: init(*a, how="fan_out"),
    },
}

# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {"layer_grad_norms": {"mse_loss and named parameters": norms_by_parameters}}
