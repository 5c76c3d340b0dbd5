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
    count_first=True,
):
    if count_first:
        t = t + 1  # (the mistake corrects with the old t: 1 − β⁰ = 0 on the first step)
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
    if how == "after":
        params, m, v = adam(params, grad, m, v, t, lr, beta1, beta2, eps)
        return params * (1 - lr * weight_decay), m, v
    return adam(params, grad, m, v, t, lr, beta1, beta2, eps)


def adagrad(params, grads, lr, lr_decay, eps, initial, *, how="right"):
    """Adagrad by hand, with one mistake (`how`)."""
    total = torch.full_like(params, 0.0 if how == "no initial" else initial)
    for step, g in enumerate(grads):
        total = g**2 if how == "current only" else total + g**2
        k = step + 1 if how == "decay from t" else step
        rate = lr / (1 + k * lr_decay)
        if how == "eps inside":
            params = params - rate * g / torch.sqrt(total + eps)
        elif how == "no root":
            params = params - rate * g / (total + eps)
        else:
            params = params - rate * g / (total.sqrt() + eps)
    if how == "no initial":
        total = total + initial  # the state reported right, the steps taken without it
    return params, total


def adagrad_in_place(params, grads, lr, lr_decay, eps, initial):
    """A correct variant: in-place updates on copies."""
    theta, state = params.clone(), torch.full_like(params, initial)
    for t, g in enumerate(grads, start=1):
        state.addcmul_(g, g)
        theta.addcdiv_(g, state.sqrt().add(eps), value=-lr / (1 + (t - 1) * lr_decay))
    return theta, state


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
        "bias correction with the old step count": lambda *a: adam(*a, count_first=False),
    },
    "adamw_step": {
        "L2 penalty instead of decoupled decay": lambda *a: adamw(*a, how="l2"),
        "decay without the learning rate": lambda *a: adamw(*a, how="no_lr"),
        "no weight decay": lambda *a: adamw(*a, how="none"),
        "decay applied after the step": lambda *a: adamw(*a, how="after"),
    },
    "adagrad_steps": {
        "ε inside the square root": lambda *a: adagrad(*a, how="eps inside"),
        "current gradient only": lambda *a: adagrad(*a, how="current only"),
        "no square root": lambda *a: adagrad(*a, how="no root"),
    },
}

# Mistakes no detector names: each must still fail the check and the grading.
WRONG = {
    "adagrad_steps": {
        "lr_decay counted from t, not t − 1": lambda *a: adagrad(*a, how="decay from t"),
        "initial accumulator ignored": lambda *a: adagrad(*a, how="no initial"),
    },
}

# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {"adagrad_steps": {"in place on copies": adagrad_in_place}}
