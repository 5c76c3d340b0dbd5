"""The learning-rate range test: raise η exponentially, one mini-batch per step, and read
off where the loss falls fastest and where it blows up.

Lesson 07 builds it step by step and then uses this copy; lesson 13 uses it on real data.
It trains the model it is given, so run it on a throw-away copy.
"""

from __future__ import annotations

import math

import numpy as np

from . import validate

__all__ = ["range_test", "choose_lr"]


def _endless(batches):
    """Cycle through an epoch iterable (MiniBatches, a DataLoader) for ever."""
    while True:
        empty = True
        for batch in batches:
            empty = False
            yield batch
        if empty:  # an exhausted generator would otherwise loop here for ever
            raise ValueError(
                "batches gave no batch: pass something that can be iterated again, "
                "such as data.MiniBatches or a DataLoader"
            )


def range_test(
    model,
    optimizer,
    loss_fn,
    batches,
    *,
    lr_min: float = 1e-5,
    lr_max: float = 10.0,
    steps: int = 120,
    smoothing: float = 0.9,
    stop_factor: float = 4.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Train for up to `steps` mini-batches with η growing from lr_min to lr_max.

    `batches` is re-iterated as often as needed. The loss is an exponential moving
    average with bias correction (factor `smoothing`); the test stops once it is not
    finite or exceeds `stop_factor` times its lowest value. Returns (η per step, smoothed
    loss per step), the last entry being the step that stopped it.

    Introduced in lesson 07.
    """
    lr_min = validate.positive("lr_min", lr_min)
    lr_max = validate.positive("lr_max", lr_max)
    if lr_max <= lr_min:
        raise ValueError(f"lr_max must be larger than lr_min, got {lr_max!r} <= {lr_min!r}")
    steps = validate.count("steps", steps, minimum=2)
    smoothing = validate.in_range("smoothing", smoothing, 0.0, 1.0)
    stop_factor = validate.in_range("stop_factor", stop_factor, 1.0, math.inf)
    stream = _endless(batches)
    growth = (lr_max / lr_min) ** (1 / (steps - 1))
    lrs, smoothed, average, best = [], [], 0.0, math.inf
    for t in range(steps):
        lr = lr_min * growth**t
        for group in optimizer.param_groups:
            group["lr"] = lr
        inputs, targets = next(stream)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        average = smoothing * average + (1 - smoothing) * loss.item()
        value = average / (1 - smoothing ** (t + 1))
        lrs.append(lr)
        smoothed.append(value)
        best = min(best, value)
        if not math.isfinite(value) or value > stop_factor * best:
            break
    return np.array(lrs), np.array(smoothed)


def choose_lr(lrs, smoothed) -> tuple[float, float, float]:
    """Lesson 07's rule: one tenth of the η at the lowest smoothed loss.

    Returns (chosen η, η at the lowest loss, η where the loss falls steepest in log-log).
    A non-finite last loss (the step that stopped the test) is ignored.

    Introduced in lesson 07.
    """
    lrs = np.asarray(lrs, dtype=float)
    smoothed = np.asarray(smoothed, dtype=float)
    if lrs.ndim != 1 or lrs.shape != smoothed.shape or len(lrs) < 2:
        raise ValueError(
            "lrs and smoothed must be 1-D and of the same length (at least 2), "
            f"got shapes {lrs.shape} and {smoothed.shape}"
        )
    ok = np.isfinite(smoothed)
    if not ok[0]:
        raise ValueError("smoothed[0] is not finite: the test diverged at its first step")
    n = int(np.argmin(ok)) if not ok.all() else len(ok)  # the finite head
    lrs, smoothed = lrs[:n], smoothed[:n]
    i_min = int(np.argmin(smoothed))
    i_steep = 0
    if n > 1:
        slope = np.gradient(np.log(smoothed), np.log(lrs))  # d log L / d log η
        i_steep = int(np.argmin(slope[: i_min + 1]))
    return float(lrs[i_min] / 10), float(lrs[i_min]), float(lrs[i_steep])
