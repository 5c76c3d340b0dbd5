"""Mistaken solutions for exercises/03_autograd.ipynb."""

import numpy as np
import torch


def parameters(w0=0.0, b0=0.0):
    w = torch.tensor(float(w0), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
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


def only_w_zeroed(x, y, lr, steps, w0=0.0, b0=0.0):
    """The review's case: w.grad cleared every step, b.grad never."""
    w, b = parameters(w0, b0)
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
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


def zero_first(x, y, lr, steps):
    """The review's case: zero_() at the top of the loop, before backward() made .grad."""
    w, b = parameters()
    for _ in range(steps):
        w.grad.zero_()
        b.grad.zero_()
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w, b


def numpy_loop(x, y, lr, steps):
    """The review's bypass: the right numbers from a NumPy loop, no autograd."""
    x, y = x.numpy(), y.numpy()
    w = b = 0.0
    for _ in range(steps):
        r = w * x + b - y
        w, b = w - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
    return torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)


def new_leaf_each_step(x, y, lr, steps):
    """Rebinding to a fresh leaf every step: right numbers, but not the same leaf."""
    w, b = parameters()
    for _ in range(steps):
        torch.mean((w * x + b - y) ** 2).backward()
        w = (w - lr * w.grad).detach().requires_grad_()
        b = (b - lr * b.grad).detach().requires_grad_()
    return w, b


# fixed_loop(x, y, w0, b0, lr, steps): the colleague's loop with some of its bugs left


def colleague(x, y, w0, b0, lr, steps, *, zero_first=True, no_grad=False, b_grad="w",
              rebind=False, zero=True):  # fmt: skip
    w, b = parameters(w0, b0)
    for _ in range(steps):
        if zero and zero_first:
            w.grad.zero_()
            b.grad.zero_()
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        gb = w.grad if b_grad == "w" else b.grad
        if rebind:
            w, b = w - lr * w.grad, b - lr * gb
        elif no_grad:
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * gb
        else:
            w -= lr * w.grad
            b -= lr * gb
        if zero and not zero_first:
            w.grad.zero_()
            b.grad.zero_()
    return w, b


def rebind(x, y, w0, b0, lr, steps):
    w, b = parameters(w0, b0)
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        w = w - lr * w.grad  # a new, non-leaf tensor: its .grad stays None
        b = b - lr * b.grad
    return w, b


def rebind_inside_no_grad(x, y, w0, b0, lr, steps):
    w, b = parameters(w0, b0)
    for _ in range(steps):
        loss = torch.mean((w * x + b - y) ** 2)
        loss.backward()
        with torch.no_grad():
            w = w - lr * w.grad  # a plain tensor that does not require grad
            b = b - lr * b.grad
        w.grad = None
        b.grad = None
    return w, b


def fixed_returns_floats(x, y, w0, b0, lr, steps):
    w, b = colleague(x, y, w0, b0, lr, steps, zero_first=False, no_grad=True, b_grad="b")
    return w.item(), b.item()


MUTANTS = {
    "fit_line": {
        "no zero_()": fit_no_zero,
        "only w.grad zeroed": only_w_zeroed,
        "sum instead of mean": fit_sum,
        "sign error": fit_sign,
        "one step too few": fit_one_step_short,
        "update outside no_grad()": update_outside_no_grad,
        "zero_() before the first backward()": zero_first,
        "not the leaf tensors": numpy_loop,
    },
    "fixed_loop": {
        "zero_() before the first backward()": colleague,
        "update outside no_grad()": lambda *a: colleague(*a, zero_first=False),
        "w = w - lr * w.grad": rebind,
        "w = w - lr * w.grad inside no_grad()": rebind_inside_no_grad,
        "b moved by w's gradient": lambda *a: colleague(*a, zero_first=False, no_grad=True),
        "gradients never cleared": lambda *a: colleague(*a, no_grad=True, b_grad="b", zero=False),
        "only w.grad zeroed": lambda x, y, w0, b0, lr, steps: only_w_zeroed(
            x, y, lr, steps, w0, b0
        ),
        "not the leaf tensors": fixed_returns_floats,
    },
}

# Wrong answers that no detector names: each must fail the public and the hidden probes.
WRONG = {
    "fit_line": {"a new leaf every step": new_leaf_each_step},
    "fixed_loop": {
        "task 1 pasted": lambda x, y, w0, b0, lr, steps: colleague(
            x, y, 0.0, 0.0, lr, steps, zero_first=False, no_grad=True, b_grad="b"
        ),
    },
}


# ---------------------------------------------------------------- backprop_by_hand


def chain_rule(mistake=None):
    """A backprop_by_hand with one mistake in the backward pass."""

    def backprop_by_hand(X, y, W1, b1, w2, b2):
        Z = X @ W1.T + b1
        A = torch.tanh(Z)
        r = A @ w2 + b2 - y
        dy = 2 * r if mistake == "sum" else 2 * r / len(y)
        dA = dy[:, None] * w2[None, :]
        if mistake == "no activation":
            dZ = dA
        elif mistake == "tanh' of z":
            dZ = dA * (1 - Z**2)
        else:
            dZ = dA * (1 - A**2)
        dW1 = X.T @ dZ if mistake == "transposed" else dZ.T @ X
        return dW1, dZ.sum(0), A.T @ dy, dy.sum()

    return backprop_by_hand


MUTANTS["backprop_by_hand"] = {
    "activation derivative missing": chain_rule("no activation"),
    "tanh' at the wrong point": chain_rule("tanh' of z"),
    "transposed dL/dW1": chain_rule("transposed"),
    "1/N of the mean forgotten": chain_rule("sum"),
}


def backprop_numpy(X, y, W1, b1, w2, b2):
    """Right, in NumPy with the derivative of tanh as 1/cosh²."""
    X, y, W1, b1, w2 = (t.numpy() for t in (X, y, W1, b1, w2))
    Z = X @ W1.T + b1
    A = np.tanh(Z)
    dy = 2 * (A @ w2 + b2 - y) / len(y)
    dZ = np.outer(dy, w2) / np.cosh(Z) ** 2
    return dZ.T @ X, dZ.sum(axis=0), A.T @ dy, float(dy.sum())


def backprop_float32(X, y, W1, b1, w2, b2):
    """Right, in float32 (accepted at the stated rtol 1e-4)."""
    return chain_rule()(*(t.float() for t in (X, y, W1, b1, w2)), b2)


WRONG["backprop_by_hand"] = {
    # the ½ of some textbooks' squared error: every gradient halved
    "half the squared error": lambda *a: [0.5 * g for g in chain_rule()(*a)],
    # the second layer's gradient taken before the activation, Zᵀ @ dL/dŷ
    "dL/dw2 from Z": lambda X, y, W1, b1, w2, b2: (
        *chain_rule()(X, y, W1, b1, w2, b2)[:2],
        (X @ W1.T + b1).T @ (2 * (torch.tanh(X @ W1.T + b1) @ w2 + b2 - y) / len(y)),
        chain_rule()(X, y, W1, b1, w2, b2)[3],
    ),
}
RIGHT = {"backprop_by_hand": {"NumPy, 1/cosh²": backprop_numpy, "float32": backprop_float32}}
