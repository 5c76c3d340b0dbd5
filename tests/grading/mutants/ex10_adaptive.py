"""Mistaken solutions for exercises/10_adaptive.ipynb."""

import torch


def adam(
    params,
    grad,
    m,
    v,
    t,
    lr,
    beta1,
    beta2,
    eps,
    *,
    correct_m=True,
    correct_v=True,
    eps_inside=False,
    scale=True,
):
    t = t + 1
    m = beta1 * m + ((1 - beta1) if scale else 1.0) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t) if correct_m else m
    v_hat = v / (1 - beta2**t) if correct_v else v
    denominator = torch.sqrt(v_hat + eps) if eps_inside else torch.sqrt(v_hat) + eps
    return params - lr * m_hat / denominator, m, v


def adamw(params, grad, m, v, t, lr, beta1, beta2, eps, weight_decay, *, how):
    if how == "l2":
        return adam(params, grad + weight_decay * params, m, v, t, lr, beta1, beta2, eps)
    if how == "no_lr":
        params = params * (1 - weight_decay)
    return adam(params, grad, m, v, t, lr, beta1, beta2, eps)


def rmsprop(params, grad, v, lr, alpha, eps, *, scale=True, eps_inside=False, root=True):
    v = alpha * v + ((1 - alpha) if scale else 1.0) * grad**2
    denominator = torch.sqrt(v + eps) if eps_inside else (torch.sqrt(v) if root else v) + eps
    return params - lr * grad / denominator, v


MUTANTS = {
    "rmsprop_step": {
        "no (1 − α) on g²": lambda *a: rmsprop(*a, scale=False),
        "ε inside the square root": lambda *a: rmsprop(*a, eps_inside=True),
        "no square root": lambda *a: rmsprop(*a, root=False),
    },
    "adam_step": {
        "no bias correction": lambda *a: adam(*a, correct_m=False, correct_v=False),
        "bias correction of m only": lambda *a: adam(*a, correct_v=False),
        "ε inside the square root": lambda *a: adam(*a, eps_inside=True),
        "no (1 − β₁) on the gradient": lambda *a: adam(*a, scale=False),
    },
    "adamw_step": {
        "L2 penalty instead of decoupled decay": lambda *a: adamw(*a, how="l2"),
        "decay without the learning rate": lambda *a: adamw(*a, how="no_lr"),
        "no weight decay": lambda *a: adamw(*a, how="none"),
    },
}
