"""Mistaken solutions for exercises/03_autograd.ipynb."""

import torch


def parameters():
    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    return w, b


def fit_no_zero(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w, b


def fit_sum(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.sum((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def fit_sign(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w += lr * w.grad
            b += lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def fit_one_step_short(x, y, lr, steps):
    w, b = parameters()
    for _ in range(1, steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def update_outside_no_grad(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def rebind(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        w = w - lr * w.grad  # a new, non-leaf tensor: its .grad stays None
        b = b - lr * b.grad
    return w, b


def rebind_inside_no_grad(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w = w - lr * w.grad  # a plain tensor that does not require grad
            b = b - lr * b.grad
        w.grad = None
        b.grad = None
    return w, b


def still_no_zero(x, y, lr, steps):
    w, b = parameters()
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():  # the first bug fixed, the second one not
            w -= lr * w.grad
            b -= lr * b.grad
    return w, b


MUTANTS = {
    "fit_line": {
        "no zero_()": fit_no_zero,
        "sum instead of mean": fit_sum,
        "sign error": fit_sign,
        "one step too few": fit_one_step_short,
        "update outside no_grad()": update_outside_no_grad,
    },
    "fixed_loop": {
        "update outside no_grad()": update_outside_no_grad,
        "w = w - lr * w.grad": rebind,
        "w = w - lr * w.grad inside no_grad()": rebind_inside_no_grad,
        "still no zero_()": still_no_zero,
    },
}
