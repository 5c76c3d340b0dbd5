"""Argument checks shared by the package: each raises ValueError naming the argument.

Learners call these functions from notebooks, so a bad argument must say which one is
wrong and what was expected rather than fail deep inside numpy or torch.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["positive", "in_range", "count", "finite_array", "curvatures"]


def positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite positive number."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def in_range(name: str, value, low: float, high: float, *, high_open: bool = True) -> float:
    """Return ``value`` as a float, or raise if it is outside [low, high) (or [low, high])."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_high = value >= high if high_open else value > high
    if value < low or too_high:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value!r}")
    return float(value)


def count(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(value)


def finite_array(name: str, value, *, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array, or raise if it is non-finite or mis-shaped."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers, got {value!r}") from exc
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must contain only finite values, got {arr!r}")
    return arr


def curvatures(mu, L) -> tuple[float, float]:
    """Return the smallest and largest Hessian eigenvalue as floats, or raise unless 0 < mu <= L."""
    mu = positive("mu", mu)
    L = positive("L", L)
    if mu > L:
        raise ValueError(f"L must be >= mu (largest >= smallest eigenvalue), got mu={mu}, L={L}")
    return mu, L
