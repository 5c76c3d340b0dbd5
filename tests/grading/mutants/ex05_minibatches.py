"""Mistaken solutions for exercises/05_minibatches.ipynb."""

import math

import torch


def slices(count, stop_of):
    """A batch iterator whose number of batches and stops come from the given rules."""

    def batch_slices(n, batch_size, drop_last):
        return [
            [i * batch_size, stop_of(i * batch_size, batch_size, n)]
            for i in range(count(n, batch_size, drop_last))
        ]

    return batch_slices


def right_count(n, batch_size, drop_last):
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def right_stop(start, batch_size, n):
    return min(start + batch_size, n)


def gradient_divided_by_n(X, y, w, b, idx):
    r = X[idx] @ w + b - y[idx]
    return 2 * X[idx].T @ r / len(y), 2 * r.sum().item() / len(y)


def gradient_sum(X, y, w, b, idx):
    r = X[idx] @ w + b - y[idx]
    return 2 * X[idx].T @ r, 2 * r.sum().item()


def gradient_full(X, y, w, b, idx):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r.mean().item()


def gradient_sign(X, y, w, b, idx):
    r = y[idx] - X[idx] @ w - b  # target minus prediction
    return 2 * X[idx].T @ r / len(idx), 2 * r.mean().item()


def gradient_no_two(X, y, w, b, idx):
    w = w.clone().requires_grad_(True)
    b = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = torch.mean((X[idx] @ w + b - y[idx]) ** 2) / 2  # the ½ of some textbooks
    loss.backward()
    return w.grad, b.grad


MUTANTS = {
    "batch_slices": {
        "drops the partial batch": slices(lambda n, B, d: n // B, right_stop),
        "keeps the partial batch": slices(lambda n, B, d: math.ceil(n / B), right_stop),
        "ceil and floor swapped": slices(
            lambda n, B, d: math.ceil(n / B) if d else n // B, right_stop
        ),
        "drops a full last batch": slices(
            lambda n, B, d: (n - 1) // B if d else math.ceil(n / B), right_stop
        ),
        "n // B + 1 batches": slices(lambda n, B, d: n // B if d else n // B + 1, right_stop),
        "inclusive stop": slices(right_count, lambda s, B, n: min(s + B, n) - 1),
        "overlapping batches": slices(right_count, lambda s, B, n: min(s + B + 1, n)),
        "stop past n": slices(right_count, lambda s, B, n: s + B),
        "flat list of starts": lambda n, batch_size, drop_last: list(range(0, n, batch_size)),
    },
    "minibatch_gradient": {
        "divided by N": gradient_divided_by_n,
        "sum instead of mean": gradient_sum,
        "full data set": gradient_full,
        "sign error": gradient_sign,
        "forgot the 2": gradient_no_two,
    },
}


def batch_objects(kind):
    """The batches as slice or range objects, which the task's text invites."""

    def batch_slices(n, batch_size, drop_last):
        count = right_count(n, batch_size, drop_last)
        return [
            kind(i * batch_size, right_stop(i * batch_size, batch_size, n)) for i in range(count)
        ]

    return batch_slices


# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {"batch_slices": {"slices": batch_objects(slice), "ranges": batch_objects(range)}}


# ---------------------------------------------------------------- gradient_variance


def variance(correction=0, fpc=True, per_batch=True, root=False):
    """A gradient_variance with the given mistakes."""

    def gradient_variance(g, batch_size):
        n, B = len(g), batch_size
        var = g.var(dim=0, correction=correction)
        if per_batch:
            var = var / B
        if fpc:
            var = var * (n - B) / (n - 1)
        return var.sqrt() if root else var

    return gradient_variance


MUTANTS["gradient_variance"] = {
    "no finite-population correction": variance(fpc=False),
    "sample variance in the formula": variance(correction=1),
    "not divided by B": variance(per_batch=False),
    "standard deviation": variance(root=True),
}


def variance_by_enumeration(g, batch_size):
    """Right, without a formula: the exact variance over every batch of B distinct rows."""
    from itertools import combinations

    means = torch.stack([g[list(c)].mean(dim=0) for c in combinations(range(len(g)), batch_size)])
    return means.var(dim=0, correction=0)


def variance_finite_population(g, batch_size):
    """Right, the survey-sampling form: S²/B · (1 − B/n) with the sample variance S²."""
    n = len(g)
    return g.var(dim=0) / batch_size * (1 - batch_size / n)


WRONG = {
    "gradient_variance": {
        # the variance of the batch SUM, not of its mean
        "variance of the sum": lambda g, B: (
            B * g.var(dim=0, correction=0) * (len(g) - B) / (len(g) - 1)
        ),
    },
}
RIGHT["gradient_variance"] = {
    "every batch": variance_by_enumeration,
    "S²/B·(1 − B/n)": variance_finite_population,
}
