"""Mistaken solutions for exercises/07_learning_rate.ipynb."""

import math

import numpy as np
import torch

MUTANTS = {
    "lr_sweep": {
        "evenly spaced": lambda lo, hi, n: np.linspace(lo, hi, n),
        "lr_max left out": lambda lo, hi, n: lo * (hi / lo) ** (np.arange(n) / n),
    },
    "pick_lr": {
        "the minimum itself": lambda lrs, losses: lrs[np.argmin(losses)],
        "the largest loss": lambda lrs, losses: lrs[np.argmax(losses)] / 10,
        "the previous rate on the grid": lambda lrs, losses: lrs[np.argmin(losses) - 1],
    },
}

# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {
    "lr_sweep": {
        "torch.logspace, float32": lambda lo, hi, n: torch.logspace(
            math.log10(lo), math.log10(hi), n
        ),
        "np.geomspace": np.geomspace,
    },
}


# ---------------------------------------------------------------- range_test


def range_run(space=np.geomspace, reset=False, after=False, pick=np.argmin, divide=10.0):
    """A range_test with the given mistakes, written as a learner would, with torch.optim."""

    def range_test(X, y, w0, b0, lr_min, lr_max, steps, batch_size):
        w = w0.clone().requires_grad_(True)
        b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.SGD([w, b], lr=lr_min)
        lrs, losses = space(lr_min, lr_max, steps), []
        for t, lr in enumerate(lrs):
            if reset:
                with torch.no_grad():
                    w.copy_(w0)
                    b.fill_(b0)
            optimizer.param_groups[0]["lr"] = float(lr)
            start = t * batch_size % len(y)
            xb, yb = X[start : start + batch_size], y[start : start + batch_size]
            optimizer.zero_grad()
            loss = torch.mean((xb @ w + b - yb) ** 2)
            loss.backward()
            optimizer.step()
            if after:
                loss = torch.mean((xb @ w + b - yb) ** 2)
            losses.append(loss.item())
        return losses, float(lrs[pick(losses)]) / divide

    return range_test


MUTANTS["range_test"] = {
    "evenly spaced": range_run(space=np.linspace),
    "restarted every step": range_run(reset=True),
    "loss after the step": range_run(after=True),
    "the rate at the minimum itself": range_run(divide=1.0),
    "read off the wrong end": range_run(pick=np.argmax),
}


def range_by_hand(X, y, w0, b0, lr_min, lr_max, steps, batch_size):
    """Right, without torch.optim: rates from the growth factor, batches by index."""
    w = w0.clone().requires_grad_(True)
    b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
    growth = (lr_max / lr_min) ** (1 / (steps - 1))
    batches = [range(s, s + batch_size) for s in range(0, len(y), batch_size)]
    losses = []
    for t in range(steps):
        idx = list(batches[t % len(batches)])
        loss = ((X[idx] @ w + b - y[idx]) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr_min * growth**t * w.grad
            b -= lr_min * growth**t * b.grad
        w.grad.zero_()
        b.grad.zero_()
        losses.append(float(loss.detach()))
    return torch.tensor(losses), lr_min * growth ** int(np.argmin(losses)) / 10


def shuffled_range_test(X, y, *rest):
    """The rows shuffled first (as a DataLoader would): not the batches the task states."""
    order = torch.randperm(len(y))
    return range_run()(X[order], y[order], *rest)


WRONG = {
    "range_test": {
        "shuffled rows": shuffled_range_test,
        # the lowest loss's rate minus one grid step, as in pick_lr's mistake
        "the previous rate": range_run(
            pick=lambda losses: max(int(np.argmin(losses)) - 1, 0), divide=1.0
        ),
    },
}
RIGHT["range_test"] = {"by hand": range_by_hand}
