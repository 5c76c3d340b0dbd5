"""Tasks of exercises/12_deep_gradients.ipynb: the global gradient norm and clipping by it,
the gradient norms of a deep network layer by layer, and the initialisation's std."""

from __future__ import annotations

import math

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
    hint="your norm differs from clip_grad_norm_'s on the probe shown: it is ONE number "
    "for all the gradients together, the 2-norm of every entry of every tensor.",
    hints=(
        "Is your answer one norm over every entry of every tensor, or a combination of per-tensor "
        "norms? Tensors of norms 5 and 12 must give 13. (Lesson 12, section 5.)",
        "Treat all the gradients as one long vector: add up the squares of every entry of every "
        "tensor (the matrix and the vectors alike), then take one square root at the end.",
        "‖g‖ = √(Σᵢ ‖gᵢ‖²), the square root of the sum of all entries squared; flatten each "
        "tensor before joining them (torch.cat needs the same number of dimensions), or sum each "
        "tensor's squares, and return a float.",
    ),
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
        Detector(
            "clipped each value",
            "you clipped each entry to [−max_norm, max_norm] (clamp, or clip_grad_value_): "
            "clipping by the norm keeps every direction and scales ALL gradients by one "
            "factor, max_norm / global norm, when the global norm is above max_norm.",
            answer=lambda grads, max_norm: [
                np.clip(np.asarray(g, float), -max_norm, max_norm).tolist() for g in grads
            ],
        ),
        CONCATENATED,
        CHANGED,
    ),
    hint="your gradients differ from clip_grad_norm_'s on the probe shown: check the "
    "case where the global norm is below max_norm, then the factor that scales them all "
    "when it is above.",
    hints=(
        "Do all your gradients get the same factor, and what happens to them when their global "
        "norm is already below max_norm? (Lesson 12, section 5.)",
        "First compute the global norm of all the gradients together (task 1). Above max_norm, "
        "EVERY tensor is scaled by the one factor that brings the norm down to max_norm; at or "
        "below it the factor is 1. Entries are never clipped one by one, and the input tensors "
        "stay unchanged.",
        "norm = √(Σᵢ ‖gᵢ‖²), factor = min(1, max_norm / (norm + 1e-6)); return the new tensors "
        "factor·gᵢ, one per input, in the same order.",
    ),
)


# ---------------------------------------------------------------- layer_grad_norms

# the learner gets the network itself (collect.network) and a batch
NET_CALL = (
    "f(network(layers, activation), torch.tensor(X, dtype=torch.float64), "
    "torch.tensor(y, dtype=torch.float64))"
)


def _layer_norms(layers, activation, X, y, *, of="grad", reverse=False, reduction="mean"):
    """Oracle (and its mutants): ‖∂L/∂W‖ of each Linear layer, first layer first, for the
    mean squared error of the network on the batch (autograd on the same network)."""
    import torch

    from ..collect import network

    net = network(layers, activation)
    out = net(torch.tensor(X, dtype=torch.float64))
    squared = (out - torch.tensor(y, dtype=torch.float64)) ** 2
    (squared.mean() if reduction == "mean" else squared.sum()).backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    norms = [float((m.weight.grad if of == "grad" else m.weight).detach().norm()) for m in linears]
    return norms[::-1] if reverse else norms


def _layer(rng, fan_in, fan_out, scale):
    weight = np.round(rng.normal(0, scale / np.sqrt(fan_in), (fan_out, fan_in)), 3)
    return [weight.tolist(), np.round(rng.normal(0, 0.1, fan_out), 3).tolist()]


def _net_probe(rng):
    depth, width, d = int(rng.integers(3, 6)), int(rng.integers(3, 6)), int(rng.integers(2, 4))
    sizes = [d] + [width] * (depth - 1) + [1]
    activation = str(rng.choice(["sigmoid", "tanh"]))
    n = int(rng.integers(4, 9))
    return {
        "layers": [_layer(rng, a, b, 1.0) for a, b in zip(sizes, sizes[1:], strict=False)],
        "activation": activation,
        "X": np.round(rng.normal(size=(n, d)), 2).tolist(),
        "y": np.round(rng.normal(size=(n, 1)), 2).tolist(),
    }


def _net_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _layer_norms(**p, **mistake))


NET = _net_probe(np.random.default_rng(12))

layer_grad_norms = Task(
    id="layer_grad_norms",
    exercise=EXERCISE,
    title="gradient norms layer by layer",
    points=2,
    call=NET_CALL,
    oracle=_layer_norms,
    public=(
        {
            "layers": [
                [[[1.0, -0.5], [0.5, 1.5], [-1.0, 0.5]], [0.1, 0.0, -0.1]],
                [[[0.8, -1.2, 0.4], [1.0, 0.3, -0.7], [-0.2, 0.9, 1.1]], [0.0, 0.2, 0.0]],
                [[[1.5, -0.4, 0.6], [0.2, 1.0, -1.3], [-0.9, 0.5, 0.7]], [0.0, 0.0, 0.1]],
                [[[0.7, -1.1, 0.9]], [0.05]],
            ],
            "activation": "sigmoid",
            "X": [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.3], [2.0, 1.0]],
            "y": [[1.0], [-1.0], [0.5], [0.0]],
        },
        NET,
    ),
    hidden=lambda rng: [_net_probe(rng) for _ in range(3)],
    detectors=(
        _net_detector(
            "last layer first",
            "your norms are in reverse order: list them as the data flows, the first layer "
            "(the one that sees X) first, so that vanishing gradients show as small "
            "numbers at the START of the list.",
            reverse=True,
        ),
        _net_detector(
            "norms of the weights",
            "those are the norms of the weights themselves: measure their gradients, "
            "layer.weight.grad, after one backward() of the loss.",
            of="weight",
        ),
        _net_detector(
            "loss summed, not averaged",
            "your gradients are N times too large: the loss is the MEAN squared error over "
            "the batch, ((model(X) − y)²).mean().",
            reduction="sum",
        ),
    ),
    hint="your norms differ from autograd's on the probe shown: one number per Linear "
    "layer, the 2-norm of its weight's gradient after one backward() of the mean "
    "squared error, first layer first.",
    hints=(
        "Are you measuring the weights' gradients or the weights, in which order, and is your "
        "loss a mean or a sum over the batch? (Lesson 12, section 2.)",
        "One forward pass of the whole batch, the MEAN squared error against y, and one "
        "backward(). Then go through the model's Linear layers as the data flows, the one that "
        "sees X first, and take the norm of each weight's .grad, skipping biases and activations.",
        "L = mean((model(X) − y)²), L.backward(); then for each nn.Linear m in model, in order, "
        "the 2-norm of m.weight.grad as a float (e.g. .norm().item()).",
    ),
)


# ---------------------------------------------------------------- init_std


def _init_std(shape, scheme, nonlinearity):
    """Oracle: the std of torch.nn.init's xavier_normal_ (with the gain of `nonlinearity`)
    or kaiming_normal_ (mode="fan_in") for a Linear weight of this shape."""
    import torch

    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    gain = torch.nn.init.calculate_gain(nonlinearity)
    if scheme == "xavier":
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    return gain / math.sqrt(fan_in)


GAINS = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5 / 3, "relu": math.sqrt(2.0)}


def _init_mistake(shape, scheme, nonlinearity, *, swap=False, gain=True, relu_gain=False):
    fan_out, fan_in = shape
    if swap:
        fan_in, fan_out = fan_out, fan_in
    g = GAINS["relu"] if relu_gain else (GAINS[nonlinearity] if gain else 1.0)
    if scheme == "xavier":
        return g * math.sqrt(2.0 / (fan_in + fan_out))
    return g / math.sqrt(fan_in)


def _init_probe(rng, scheme, nonlinearities):
    fan_out, fan_in = (int(v) for v in rng.choice([16, 32, 64, 100, 128, 300], 2, replace=False))
    return {
        "shape": [fan_out, fan_in],
        "scheme": scheme,
        "nonlinearity": str(rng.choice(nonlinearities)),
    }


# kaiming with ReLU (where a gain and swapped fans show), kaiming with another gain (where
# ReLU's gain shows), then xavier
INIT_KINDS = (
    ("kaiming", ["relu"]),
    ("kaiming", ["tanh", "sigmoid"]),
    ("xavier", ["tanh", "relu"]),
    ("xavier", ["sigmoid", "linear"]),
)


def _init_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _init_mistake(**p, **mistake))


init_std = Task(
    id="init_std",
    exercise=EXERCISE,
    title="the standard deviation of an initialisation",
    points=1,
    forbids=("torch.nn.init",),
    call="f(tuple(shape), scheme, nonlinearity)",
    oracle=_init_std,
    public=(
        {"shape": [64, 256], "scheme": "kaiming", "nonlinearity": "relu"},
        {"shape": [10, 100], "scheme": "kaiming", "nonlinearity": "tanh"},
        {"shape": [30, 50], "scheme": "xavier", "nonlinearity": "tanh"},
        {"shape": [20, 80], "scheme": "kaiming", "nonlinearity": "sigmoid"},
    ),
    hidden=lambda rng: [_init_probe(rng, *kind) for kind in INIT_KINDS],
    detectors=(
        _init_detector(
            "fan_in and fan_out swapped",
            "you took the fans the wrong way round: a Linear weight has shape "
            "(out_features, in_features), so fan_in = shape[1] and fan_out = shape[0].",
            swap=True,
        ),
        _init_detector(
            "gain forgotten",
            "your std has no gain: the nonlinearity changes the variance a layer passes "
            "on, so multiply by its gain (√2 for ReLU, 5/3 for tanh, 1 for sigmoid and "
            "linear), as torch.nn.init.calculate_gain gives it.",
            gain=False,
        ),
        _init_detector(
            "ReLU's gain for every nonlinearity",
            "you used ReLU's gain √2 for every nonlinearity: each has its own (5/3 for "
            "tanh, 1 for sigmoid and linear).",
            relu_gain=True,
        ),
    ),
    hint="your std differs from torch.nn.init's on the probe shown: check which fan each "
    "scheme uses, and the gain of the nonlinearity.",
    hints=(
        "Which of the two numbers in shape is fan_in for a Linear weight, and did you include the "
        "nonlinearity's gain? (Lesson 12, sections 2 and 3.)",
        "A Linear weight has shape (out_features, in_features), so fan_in is the second number "
        "and fan_out the first. Both schemes multiply by the gain of the nonlinearity that "
        "follows, each its own: 1 for linear and sigmoid, 5/3 for tanh, √2 for ReLU.",
        "fan_out, fan_in = shape; Xavier: std = gain·√(2 / (fan_in + fan_out)); Kaiming "
        "(mode fan_in): std = gain / √fan_in.",
    ),
)

register(global_grad_norm, clip_by_global_norm, layer_grad_norms, init_std)
