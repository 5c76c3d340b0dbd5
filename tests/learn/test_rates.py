"""gdcourse.rates: closed-form rates agree with momentum actually iterated by torch.optim.SGD,
and the optimum formulas agree with the argmin of the rate map."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from gdcourse import rates

MU, L = 0.5, 10.0
EIGENVALUES = [MU, 2.0, 7.0, L]  # interior eigenvalues must not change the rate


HEAVY_BALL = [
    (0.05, 0.5),  # real roots in the flat direction
    (0.1, 0.9),  # complex roots everywhere: rate √β
    (0.15, 0.3),
    (0.25, 0.2),  # diverges: rate > 1
    tuple(rates.optimal_momentum(MU, L)[:2]),  # double roots at both ends
]
NESTEROV = [(0.05, 0.9), (0.1, 0.5), (0.18, 0.2), tuple(rates.optimal_nesterov(MU, L)[:2])]
GD = [0.05, 0.1, 0.19, 0.21]  # the last diverges (η > 2/L)
CASES = (
    [(lr, beta, False) for lr, beta in HEAVY_BALL]
    + [(lr, beta, True) for lr, beta in NESTEROV]
    + [(lr, 0.0, False) for lr in GD]
)


@pytest.fixture(scope="module")
def measured():
    """Contraction per step of torch.optim.SGD on ½ θᵀAθ (minimum 0) for every case, measured.

    A is a random rotation of diag(EIGENVALUES). One optimiser holds every case as its own
    parameter group and steps them together. Every 20 steps each state (θ and its momentum
    buffer) is divided by its norm and the log of that norm is summed, so nothing under-
    or overflows; after a burn-in that lets the slowest mode dominate, exp(mean log
    growth per step) is the measured rate.
    """
    every, burn_in, steps = 20, 300, 1200
    rng = np.random.default_rng(0)
    dim = len(EIGENVALUES)
    q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = torch.tensor(q @ np.diag(EIGENVALUES) @ q.T)
    start = torch.tensor(rng.standard_normal(dim))
    params = [start.clone() for _ in CASES]
    opt = torch.optim.SGD(
        [
            {"params": [p], "lr": lr, "momentum": beta, "nesterov": nesterov}
            for p, (lr, beta, nesterov) in zip(params, CASES, strict=True)
        ],
        foreach=False,
    )
    log_growth = np.zeros(len(CASES))
    for t in range(1, burn_in + steps + 1):
        for p in params:
            p.grad = A @ p  # the gradient of ½ θᵀAθ
        opt.step()
        if t % every == 0:
            for k, p in enumerate(params):
                buf = opt.state[p].get("momentum_buffer")
                state = [p] if buf is None else [p, buf]
                norm = math.sqrt(sum(float(s.square().sum()) for s in state))
                for s in state:
                    s /= norm
                if t > burn_in:
                    log_growth[k] += math.log(norm)
    return {case: math.exp(g / steps) for case, g in zip(CASES, log_growth, strict=True)}


@pytest.mark.parametrize(("lr", "beta"), HEAVY_BALL)
def test_momentum_rate_matches_iterated_torch_momentum(measured, lr, beta):
    predicted = rates.momentum_rate(lr, beta, EIGENVALUES)
    assert measured[lr, beta, False] == pytest.approx(predicted, rel=2e-3)


@pytest.mark.parametrize(("lr", "beta"), NESTEROV)
def test_nesterov_rate_matches_iterated_torch_nesterov(measured, lr, beta):
    predicted = rates.momentum_rate(lr, beta, EIGENVALUES, nesterov=True)
    assert measured[lr, beta, True] == pytest.approx(predicted, rel=2e-3)
    # and the heavy-ball formula would not have passed
    assert abs(rates.momentum_rate(lr, beta, EIGENVALUES) - measured[lr, beta, True]) > 5e-3


@pytest.mark.parametrize("lr", GD)
def test_gd_rate_matches_iterated_gradient_descent(measured, lr):
    assert measured[lr, 0.0, False] == pytest.approx(rates.gd_rate(lr, EIGENVALUES), rel=1e-3)
    assert rates.gd_rate(lr, EIGENVALUES) == pytest.approx(rates.momentum_rate(lr, 0.0, [MU, L]))


@pytest.mark.parametrize("nesterov", [False, True])
def test_iteration_matrix_is_one_torch_step(nesterov):
    lam, lr, beta = 3.0, 0.2, 0.7
    M = rates.iteration_matrix(lr, beta, lam, nesterov=nesterov)
    x = torch.tensor([1.5], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([x], lr=lr, momentum=beta, nesterov=nesterov, foreach=False)
    state = np.array([1.5, 0.0])  # torch's first step (buffer = g) is βv + g with v = 0
    for _ in range(12):
        opt.zero_grad()
        (0.5 * lam * x * x).sum().backward()
        opt.step()
        state = M @ state
        buf = float(opt.state[x]["momentum_buffer"])
        np.testing.assert_allclose([x.item(), buf], state, rtol=1e-12, atol=1e-12)


def test_rates_are_the_spectral_radius_of_the_worst_direction():
    rng = np.random.default_rng(1)
    lam = rng.uniform(-1.0, 12.0, 7)
    for nesterov in (False, True):
        for lr, beta in rng.uniform([0.0, 0.0], [0.4, 1.2], (200, 2)):
            expected = max(
                np.abs(
                    np.linalg.eigvals(rates.iteration_matrix(lr, beta, v, nesterov=nesterov))
                ).max()
                for v in lam
            )
            got = rates.momentum_rate(lr, beta, lam, nesterov=nesterov)
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-7)


# ------------------------------------------------------------------------------- optima


@pytest.mark.parametrize("kappa", [4.0, 25.0, 100.0, 1000.0])
@pytest.mark.parametrize(
    ("optimum", "nesterov"), [(rates.optimal_momentum, False), (rates.optimal_nesterov, True)]
)
def test_optimum_formula_is_the_argmin_of_the_rate_map(kappa, optimum, nesterov):
    mu, L = 2.0, 2.0 * kappa
    best = optimum(mu, L)
    assert rates.momentum_rate(best.lr, best.beta, [mu, L], nesterov=nesterov) == pytest.approx(
        best.rate, abs=1e-7
    )
    # the whole stable region, coarse: close to the formula, and nothing beats it
    lrs, betas = np.linspace(0.0, 4.2 / L, 601), np.linspace(0.0, 0.999, 601)
    grid = rates.rate_map(lrs, betas, [mu, L], nesterov=nesterov)
    assert grid.min() >= best.rate - 1e-9
    assert grid.min() == pytest.approx(best.rate, abs=2e-3)
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert lrs[j] == pytest.approx(best.lr, rel=0.03)
    assert abs(betas[i] - best.beta) <= 2 * (betas[1] - betas[0])
    # zoom in three times around the argmin: it closes in on the formula
    for _ in range(3):
        half_lr, half_beta = 20 * (lrs[1] - lrs[0]), 20 * (betas[1] - betas[0])
        lrs = np.linspace(lrs[j] - half_lr, lrs[j] + half_lr, 201)
        betas = np.linspace(betas[i] - half_beta, betas[i] + half_beta, 201)
        grid = rates.rate_map(lrs, betas, [mu, L], nesterov=nesterov)
        i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert lrs[j] == pytest.approx(best.lr, rel=1e-3)
    assert betas[i] == pytest.approx(best.beta, abs=1e-4)
    assert best.rate - 1e-9 <= grid[i, j] <= best.rate + 1e-5


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0])
def test_optimal_gd_is_the_argmin_of_the_beta_zero_row(kappa):
    mu, L = 1.0, kappa
    best = rates.optimal_gd(mu, L)
    lrs = np.linspace(0.0, 2.5 / L, 2001)
    row = rates.rate_map(lrs, [0.0], [mu, L])[0]
    np.testing.assert_allclose(row, rates.gd_rate(lrs, [mu, L]), rtol=1e-12)
    assert abs(lrs[np.argmin(row)] - best.lr) <= lrs[1] - lrs[0]
    assert row.min() >= best.rate - 1e-12
    assert rates.gd_rate(best.lr, [mu, L]) == pytest.approx(best.rate)
    assert best.beta == 0.0


def test_momentum_beats_gd_and_heavy_ball_beats_nesterov_on_a_quadratic():
    for kappa in (10.0, 100.0, 1000.0):
        hb, nag, gd = (
            f(1.0, kappa)
            for f in (rates.optimal_momentum, rates.optimal_nesterov, rates.optimal_gd)
        )
        assert hb.rate < nag.rate < gd.rate
    assert rates.optimal_momentum(3.0, 3.0) == (pytest.approx(1 / 3), 0.0, 0.0)


def test_steps_to_reduce():
    steps = rates.steps_to_reduce(np.array([0.5, 0.1, 1.0, 1.5]), 1e-6)
    np.testing.assert_allclose(steps[:2], [math.log(1e-6) / math.log(0.5), 6.0])
    assert np.isinf(steps[2:]).all()
    assert rates.steps_to_reduce(0.0) == 0.0
    assert isinstance(rates.steps_to_reduce(0.9), float)


# ------------------------------------------------------------------ shapes, speed, errors


def test_broadcasting_shapes_and_scalar_results():
    lrs, betas = np.linspace(0.0, 0.3, 5), np.linspace(0.0, 0.9, 4)
    grid = rates.rate_map(lrs, betas, EIGENVALUES)
    assert grid.shape == (4, 5)
    np.testing.assert_array_equal(
        grid, rates.momentum_rate(lrs[None, :], betas[:, None], EIGENVALUES)
    )
    assert grid[2, 3] == rates.momentum_rate(lrs[3], betas[2], EIGENVALUES)
    assert isinstance(rates.momentum_rate(0.1, 0.5, 2.0), float)
    assert isinstance(rates.gd_rate(0.1, [1.0, 2.0]), float)
    assert rates.gd_rate(lrs, EIGENVALUES).shape == (5,)


def test_rate_map_is_vectorised():
    lrs, betas = np.linspace(0.0, 0.4, 1000), np.linspace(0.0, 0.999, 1000)
    eigenvalues = np.linspace(MU, L, 10_000)
    start = time.perf_counter()
    for nesterov in (False, True):
        grid = rates.rate_map(lrs, betas, eigenvalues, nesterov=nesterov)
    assert grid.shape == (1000, 1000)
    assert time.perf_counter() - start < 2.0  # a Python loop over the grid takes ~10 s


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rates.momentum_rate(-0.1, 0.5, [1.0]), "lr"),
        (lambda: rates.momentum_rate(0.1, float("nan"), [1.0]), "beta"),
        (lambda: rates.momentum_rate(0.1, -0.5, [1.0]), "beta"),
        (lambda: rates.momentum_rate(0.1, 0.5, []), "eigenvalues"),
        (lambda: rates.momentum_rate(0.1, 0.5, [[1.0, 2.0]]), "eigenvalues"),
        (lambda: rates.momentum_rate(0.1, 0.5, "steep"), "eigenvalues"),
        (lambda: rates.gd_rate([0.1, np.inf], [1.0]), "lr"),
        (lambda: rates.rate_map([[0.1]], [0.5], [1.0]), "lrs"),
        (lambda: rates.rate_map([0.1], [], [1.0]), "betas"),
        (lambda: rates.iteration_matrix(0.1, 0.5, [1.0, 2.0]), "eigenvalue"),
        (lambda: rates.iteration_matrix(-0.1, 0.5, 1.0), "lr"),
        (lambda: rates.optimal_momentum(0.0, 1.0), "mu"),
        (lambda: rates.optimal_momentum(2.0, 1.0), "L"),
        (lambda: rates.optimal_nesterov(1.0, float("inf")), "L"),
        (lambda: rates.optimal_gd(-1.0, 1.0), "mu"),
        (lambda: rates.steps_to_reduce(0.5, 1.5), "factor"),
        (lambda: rates.steps_to_reduce(0.5, 0.0), "factor"),
        (lambda: rates.steps_to_reduce(-0.5), "rate"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()
