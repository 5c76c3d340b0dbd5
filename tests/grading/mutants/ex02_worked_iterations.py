"""Mistaken solutions for exercises/02_worked_iterations.ipynb."""

import numpy as np


def iterate_steps(offset):
    def iterate(x, y, w, b, lr, k):
        for _ in range(k + offset):
            r = w * x + b - y
            w, b = w - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
        return w, b

    return iterate


def iterate_sum(x, y, w, b, lr, k):
    for _ in range(k):
        r = w * x + b - y
        w, b = w - lr * 2 * np.sum(r * x), b - lr * 2 * np.sum(r)
    return w, b


def iterate_sequential(x, y, w, b, lr, k):
    for _ in range(k):
        w = w - lr * 2 * np.mean((w * x + b - y) * x)
        b = b - lr * 2 * np.mean(w * x + b - y)
    return w, b


def hessian(x):
    X = np.column_stack([x, np.ones_like(x)])
    return 2 / len(x) * X.T @ X


def condition_inverted(x):
    eig = np.linalg.eigvalsh(hessian(x))
    return eig[0] / eig[-1]


def condition_singular_values(x):
    s = np.linalg.svd(np.column_stack([x, np.ones_like(x)]), compute_uv=False)
    return s[0] / s[-1]


def condition_no_bias(x):
    eig = np.linalg.eigvalsh(np.array([[2 / len(x) * np.sum(x * x)]]))  # x column only
    return eig[-1] / eig[0]


MUTANTS = {
    "iterate": {
        "one step too few": iterate_steps(-1),
        "one step too many": iterate_steps(+1),
        "sum instead of mean": iterate_sum,
        "sequential update": iterate_sequential,
    },
    "condition_number": {
        "inverted ratio": condition_inverted,
        "singular values of X": condition_singular_values,
        "forgot the bias column": condition_no_bias,
    },
    "max_stable_lr": {
        "1/λ instead of 2/λ": lambda x: 1 / np.linalg.eigvalsh(hessian(x))[-1],
        "smallest eigenvalue": lambda x: 2 / np.linalg.eigvalsh(hessian(x))[0],
        "Hessian without the 2": lambda x: 2 / np.linalg.eigvalsh(hessian(x) / 2)[-1],
        "a list of one": lambda x: 2 / np.linalg.eigvalsh(hessian(x))[-1:],  # the review's [0.2918]
    },
}
