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
        "oldest first": lambda beta, k: [beta ** (k - 1 - j) for j in range(k)],
    },
}


# ---------------------------------------------------------------- convert_momentum


def conversion(alpha_of, eps_sign=1.0, mu_of=None):
    """A convert_momentum with the given mistakes; mu_of(β, η_now, η_before)."""
    mu_of = mu_of or (lambda beta, now, before: beta * now / before)

    def convert_momentum(lrs, beta):
        alpha = [alpha_of(eta, beta) for eta in lrs]
        eps = [eps_sign * eta for eta in lrs]
        mu = [beta] + [mu_of(beta, lrs[t], lrs[t - 1]) for t in range(1, len(lrs))]
        return alpha, eps, mu

    return convert_momentum


def right_alpha(eta, beta):
    return eta / (1 - beta)


MUTANTS["convert_momentum"] = {
    "(1−β) dropped": conversion(lambda eta, beta: eta),
    "(1−β) multiplied": conversion(lambda eta, beta: eta * (1 - beta)),
    "sign convention flipped": conversion(right_alpha, eps_sign=-1.0),
    "constant μ = β": conversion(right_alpha, mu_of=lambda beta, now, before: beta),
    "η applied at the wrong time": conversion(
        right_alpha, mu_of=lambda beta, now, before: beta * before / now
    ),
}


def simulated(lrs, beta):
    """Right, found numerically: run torch's convention on random gradients and read off
    the hyper-parameters that reproduce each step (the check accepts any correct way)."""
    g = torch.randn(len(lrs), dtype=torch.float64)
    b, m, v_before = 0.0, 0.0, None
    alpha, eps, mu = [], [], []
    for t, eta in enumerate(lrs):
        b = beta * b + g[t].item()
        m = beta * m + (1 - beta) * g[t].item()
        alpha.append(eta * b / m)
        eps.append(eta)
        v = -eta * b
        mu.append(beta if v_before is None else (v + eta * g[t].item()) / v_before)
        v_before = v
    return alpha, eps, mu


def bias_corrected(lrs, beta):
    """Adam's bias correction carried over: α_t = η_t / (1 − β^(t+1)) (no such term here)."""
    alpha, eps, mu = conversion(right_alpha)(lrs, beta)
    return [eta / (1 - beta ** (t + 1)) for t, eta in enumerate(lrs)], eps, mu


WRONG = {"convert_momentum": {"bias-corrected dampened rate": bias_corrected}}
RIGHT = {"convert_momentum": {"numerical": simulated}}
