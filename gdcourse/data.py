"""The course's data sets, generated from a seed so every run prints the same numbers.

Arrays are NumPy float64 so that lessons can show them and convert them to torch
themselves (`torch.as_tensor(x, dtype=torch.float32)`); `MiniBatches` slices NumPy
arrays and torch tensors alike.
"""

from __future__ import annotations

import numpy as np

from . import validate

__all__ = [
    "LINE_SLOPE",
    "LINE_INTERCEPT",
    "REGRESSION_W",
    "REGRESSION_B",
    "two_point",
    "noisy_line",
    "regression5",
    "MiniBatches",
]

# True parameters of the generated data sets, so lessons can compare what was learned.
LINE_SLOPE, LINE_INTERCEPT = 2.0, 1.0
REGRESSION_W = np.array([2.0, -1.0, 0.5, 3.0, -2.0])
REGRESSION_B = 0.7


def two_point() -> tuple[np.ndarray, np.ndarray]:
    """The worked example's table: x = [1, 2], y = [2, 4] (exactly y = 2x).

    Introduced in lesson 02.
    """
    return np.array([1.0, 2.0]), np.array([2.0, 4.0])


def noisy_line(
    n: int = 100,
    *,
    slope: float = LINE_SLOPE,
    intercept: float = LINE_INTERCEPT,
    noise: float = 0.1,
    low: float = -2.0,
    high: float = 2.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """n evenly spaced x on [low, high] and y = slope·x + intercept + N(0, noise²).

    Introduced in lesson 01.
    """
    n = validate.count("n", n, minimum=2)
    validate.positive("noise", noise, allow_zero=True)
    if not high > low:
        raise ValueError(f"high must be greater than low, got low={low!r}, high={high!r}")
    x = np.linspace(low, high, n)
    rng = np.random.default_rng(seed)
    y = slope * x + intercept + noise * rng.standard_normal(n)
    return x, y


def regression5(
    n: int = 1000,
    *,
    w: np.ndarray = REGRESSION_W,
    b: float = REGRESSION_B,
    noise: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, 1) of shape (n, 5) and y = X·w + b + N(0, noise²), the mini-batch lessons' data.

    Introduced in lesson 04.
    """
    n = validate.count("n", n, minimum=1)
    w = validate.finite_array("w", w)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D array of weights, got shape {w.shape}")
    validate.positive("noise", noise, allow_zero=True)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, w.size))
    y = X @ w + b + noise * rng.standard_normal(n)
    return X, y


class MiniBatches:
    """Iterate over aligned arrays in mini-batches: shuffle once per epoch, then slice.

    Each `for batch in MiniBatches(X, y, batch_size=32)` loop is one epoch. Indexing
    every array once per epoch and then taking contiguous slices (views) is what makes
    this much faster than a DataLoader, which collates one example at a time.

    Introduced in lesson 04.
    """

    def __init__(
        self,
        *arrays,
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        seed: int = 0,
    ):
        if not arrays:
            raise ValueError("MiniBatches needs at least one array")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"arrays must all have the same length, got lengths {lengths}")
        self.arrays = arrays
        self.n = lengths[0]
        self.batch_size = validate.count("batch_size", batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return self.n // self.batch_size
        return -(-self.n // self.batch_size)

    def __iter__(self):
        arrays = self.arrays
        if self.shuffle:
            order = self._rng.permutation(self.n)
            arrays = [_take(a, order) for a in arrays]
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = tuple(a[start : start + self.batch_size] for a in arrays)
            yield batch if len(batch) > 1 else batch[0]


def _take(array, order: np.ndarray):
    """Reorder the first axis of a NumPy array or a torch tensor."""
    if isinstance(array, np.ndarray):
        return array[order]
    import torch  # only reached with tensors, so torch is already imported

    return array[torch.from_numpy(order)]
