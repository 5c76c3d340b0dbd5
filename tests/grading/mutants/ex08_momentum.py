"""Mistaken solutions for exercises/08_momentum.ipynb."""

import torch


def dampened(params, grad, buf, lr, momentum, nesterov=False):
    buf = (1 - momentum) * grad if buf is None else momentum * buf + (1 - momentum) * grad
    step = grad + momentum * buf if nesterov else buf
    return params - lr * step, buf


def velocity(params, grad, buf, lr, momentum):
    v = -lr * grad if buf is None else momentum * buf - lr * grad
    return params + v, v


def old_buffer(params, grad, buf, lr, momentum):
    new = grad.clone() if buf is None else momentum * buf + grad
    return params - lr * (grad if buf is None else buf), new


def plain(params, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return params - lr * buf, buf


def lookahead_twice(params, grad, buf, lr, momentum):
    old = torch.zeros_like(grad) if buf is None else buf
    lookahead = params - lr * momentum * old
    buf = grad.clone() if buf is None else momentum * buf + grad
    return lookahead - lr * (grad + momentum * buf), buf


def in_place(params, grad, buf, lr, momentum, nesterov=False):
    """Right numbers, but the inputs changed: buf and params updated in place."""
    if buf is None:
        buf = grad.clone()
    else:
        buf.mul_(momentum).add_(grad)
    step = grad + momentum * buf if nesterov else buf
    params -= lr * step
    return params, buf


MUTANTS = {
    "momentum_step": {
        "(1−β) dampening": dampened,
        "v = βv − ηg convention": velocity,
        "stepped with the old buffer": old_buffer,
        "changed the inputs in place": in_place,
    },
    "nesterov_step": {
        "plain momentum": plain,
        "update applied to the look-ahead point": lookahead_twice,
        "(1−β) dampening": lambda *a: dampened(*a, nesterov=True),
        "changed the inputs in place": lambda *a: in_place(*a, nesterov=True),
    },
    "ema_weights": {
        "moving-average weights": lambda beta, k: [(1 - beta) * beta**j for j in range(k)],
        "off by one power": lambda beta, k: [beta ** (j + 1) for j in range(k)],
    },
}
