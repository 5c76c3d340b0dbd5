"""Convergence rates of gradient descent and momentum on a quadratic, in closed form.

On L(θ) = ½ (θ − θ*)ᵀ H (θ − θ*) every eigen-direction of H moves on its own. Along an
eigenvector with eigenvalue λ the error x = θ − θ* and torch.optim.SGD's momentum
buffer v (v ← βv + g, θ ← θ − ηv, with g = λx) evolve by a fixed 2×2 matrix,
`iteration_matrix(lr, beta, λ)`. The error shrinks by its spectral radius per step
(asymptotically), and the whole quadratic converges as fast as its slowest direction:

    rate(η, β) = max over λ of  max |z|,  z a root of  z² − (1 + β − ηλ) z + β = 0.

With nesterov=True (torch's nesterov=True) the polynomial is
z² − (1 + β)(1 − ηλ) z + β(1 − ηλ) = 0. With β = 0 both reduce to gradient descent's
|1 − ηλ|. A rate below 1 converges, above 1 diverges.

Every function is vectorised: `lr` and `beta` broadcast against each other, so a whole
(η, β) grid is one call (`rate_map`), as the interactive explorers need.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import validate

__all__ = [
    "Optimum",
    "momentum_rate",
    "gd_rate",
    "rate_map",
    "iteration_matrix",
    "optimal_momentum",
    "optimal_gd",
    "optimal_nesterov",
    "steps_to_reduce",
]


class Optimum(NamedTuple):
    """The best hyper-parameters for a quadratic and the per-step rate they give.

    Introduced in lesson 08, as what the optimal_* functions return.
    """

    lr: float
    beta: float
    rate: float


# -------------------------------------------------------------------------- validation


def _nonnegative(name: str, value) -> np.ndarray:
    """`value` as a float64 array of finite numbers >= 0, or ValueError naming it."""
    arr = validate.finite_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return arr


def _eigenvalues(value) -> np.ndarray:
    """The Hessian's eigenvalues as a non-empty 1-D float64 array."""
    arr = validate.finite_array("eigenvalues", value)
    if arr.ndim > 1:
        raise ValueError(f"eigenvalues must be a number or a 1-D array, got shape {arr.shape}")
    arr = np.atleast_1d(arr)
    if arr.size == 0:
        raise ValueError("eigenvalues must contain at least one value, got an empty array")
    return arr


def _grid(name: str, value) -> np.ndarray:
    """A 1-D, non-empty axis of a rate map, values >= 0."""
    arr = _nonnegative(name, value)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    return arr


# ------------------------------------------------------------------------------- rates


def _root_radius(a, c) -> np.ndarray:
    """Largest |z| over the roots of z² − a·z + c = 0 (real a, c), elementwise."""
    disc = a * a - 4.0 * c
    real = 0.5 * (np.abs(a) + np.sqrt(np.maximum(disc, 0.0)))
    complex_pair = np.sqrt(np.maximum(c, 0.0))  # |z|² = c when the roots are conjugates
    return np.where(disc >= 0.0, real, complex_pair)


def _as_result(rate: np.ndarray):
    """A plain float for scalar inputs, an array otherwise."""
    return float(rate) if rate.ndim == 0 else rate


def momentum_rate(lr, beta, eigenvalues, *, nesterov: bool = False):
    """Per-step contraction factor of torch's SGD with momentum on a quadratic.

    lr, beta: learning rate η >= 0 and momentum β >= 0, numbers or arrays that broadcast
        against each other (e.g. lr of shape (1, n) and beta of shape (m, 1)).
    eigenvalues: the Hessian's eigenvalues (a number or a 1-D array).
    nesterov: the rate of torch.optim.SGD(..., nesterov=True) instead.

    Returns the spectral radius of the iteration, maximised over the eigenvalues: a float
    for scalar lr and beta, else an array of their broadcast shape. The error after t
    steps is about rate**t times the initial error (up to a factor polynomial in t where
    two roots coincide).

    Only the smallest and largest eigenvalues are evaluated. The radius depends on λ
    through a quantity linear in λ (a = 1 + β − ηλ, or s = 1 − ηλ with nesterov) and,
    as a function of it, never increases up to some point and never decreases after
    it (it depends on |a| only, growing with it; or it is 0 at s = 0 and grows with
    |s| on either side). So its maximum over any set of eigenvalues is at one end.

    Introduced in lesson 08.
    """
    lr = _nonnegative("lr", lr)
    beta = _nonnegative("beta", beta)
    lam = _eigenvalues(eigenvalues)
    radii = []
    for value in (lam.min(), lam.max()):
        if nesterov:
            shrink = 1.0 - lr * value
            radii.append(_root_radius((1.0 + beta) * shrink, beta * shrink))
        else:
            radii.append(_root_radius(1.0 + beta - lr * value, beta))
    rate = np.maximum(*radii)
    return _as_result(np.asarray(rate, dtype=np.float64))


def gd_rate(lr, eigenvalues):
    """Per-step contraction factor of plain gradient descent: max over λ of |1 − ηλ|.

    lr: learning rate η >= 0, a number or an array. Returns a float or an array of lr's
    shape. Equals momentum_rate(lr, 0, eigenvalues).

    Introduced in lesson 08.
    """
    lr = _nonnegative("lr", lr)
    lam = _eigenvalues(eigenvalues)
    rate = np.maximum(np.abs(1.0 - lr * lam.min()), np.abs(1.0 - lr * lam.max()))
    return _as_result(np.asarray(rate, dtype=np.float64))


def rate_map(lrs, betas, eigenvalues, *, nesterov: bool = False) -> np.ndarray:
    """momentum_rate over the grid of every β in `betas` and every η in `lrs`.

    Returns an array of shape (len(betas), len(lrs)): row i is betas[i], column j is
    lrs[j], ready for ax.pcolormesh(lrs, betas, rates) or imshow(origin="lower").

    Introduced in lesson 08.
    """
    lrs = _grid("lrs", lrs)
    betas = _grid("betas", betas)
    return np.asarray(
        momentum_rate(lrs[None, :], betas[:, None], eigenvalues, nesterov=nesterov),
        dtype=np.float64,
    )


def iteration_matrix(lr, beta, eigenvalue, *, nesterov: bool = False) -> np.ndarray:
    """The 2×2 matrix M with (x, v)ₜ₊₁ = M (x, v)ₜ along one eigen-direction.

    x is the error θ − θ* along the eigenvector, v the momentum buffer, and one step of
    torch.optim.SGD(lr, momentum=beta, nesterov=nesterov) on ½λx² is v ← βv + λx, then
    x ← x − ηv; with nesterov, x ← x − η(λx + βv) with the old x and the new v.
    The spectral radius of M is momentum_rate(lr, beta, eigenvalue, nesterov=nesterov).

    Introduced in lesson 08.
    """
    lr = validate.positive("lr", lr, allow_zero=True)
    beta = validate.positive("beta", beta, allow_zero=True)
    if np.ndim(eigenvalue) != 0:
        raise ValueError(f"eigenvalue must be a single number, got {eigenvalue!r}")
    lam = float(validate.finite_array("eigenvalue", eigenvalue))
    if nesterov:
        return np.array(
            [[1.0 - lr * lam * (1.0 + beta), -lr * beta * beta], [lam, beta]], dtype=np.float64
        )
    return np.array([[1.0 - lr * lam, -lr * beta], [lam, beta]], dtype=np.float64)


# ---------------------------------------------------------------------------- optima


def optimal_momentum(mu, L) -> Optimum:
    """The (η, β) minimising momentum_rate for eigenvalues in [mu, L], and that rate.

    With κ = L/mu: β* = ((√κ − 1)/(√κ + 1))², η* = (2/(√L + √mu))², rate √β*.
    At this pair both extreme directions are critically damped (a double root of the
    characteristic polynomial), and no (η, β) does better, since the product of the
    roots is β, so the rate is never below √β.

    Introduced in lesson 08.
    """
    mu, L = validate.curvatures(mu, L)
    root_kappa = math.sqrt(L / mu)
    rate = (root_kappa - 1.0) / (root_kappa + 1.0)
    lr = (2.0 / (math.sqrt(L) + math.sqrt(mu))) ** 2
    return Optimum(lr=lr, beta=rate * rate, rate=rate)


def optimal_gd(mu, L) -> Optimum:
    """The η minimising gd_rate for eigenvalues in [mu, L]: η = 2/(mu + L), rate (κ−1)/(κ+1).

    Introduced in lesson 08.
    """
    mu, L = validate.curvatures(mu, L)
    return Optimum(lr=2.0 / (mu + L), beta=0.0, rate=(L - mu) / (L + mu))


def optimal_nesterov(mu, L) -> Optimum:
    """The (η, β) minimising momentum_rate(..., nesterov=True) for eigenvalues in [mu, L].

    η = 4/(3L + mu), β = (√(3κ+1) − 2)/(√(3κ+1) + 2), rate 1 − 2/√(3κ+1) with κ = L/mu
    (Lessard, Recht and Packard, 2016). For L > mu this is slower than the best
    heavy-ball rate, optimal_momentum(mu, L).rate.

    Introduced in lesson 08.
    """
    mu, L = validate.curvatures(mu, L)
    root = math.sqrt(3.0 * L / mu + 1.0)
    return Optimum(lr=4.0 / (3.0 * L + mu), beta=(root - 2.0) / (root + 2.0), rate=1.0 - 2.0 / root)


def steps_to_reduce(rate, factor: float = 1e-6):
    """Steps for the error to shrink by `factor` at `rate` per step: log(factor)/log(rate).

    rate: a number or array in (0, 1); returns inf where rate >= 1 (no convergence) and
    0 where rate is 0.

    Introduced in lesson 08.
    """
    factor = validate.in_range("factor", factor, 0.0, 1.0)
    if factor == 0.0:
        raise ValueError("factor must be > 0, got 0.0")
    rate = _nonnegative("rate", rate)
    with np.errstate(divide="ignore"):
        steps = np.where(
            rate >= 1.0, np.inf, math.log(factor) / np.log(np.clip(rate, 0.0, np.nextafter(1, 0)))
        )
    return _as_result(np.asarray(steps, dtype=np.float64))
