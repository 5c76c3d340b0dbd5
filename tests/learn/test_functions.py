"""The test functions: analytic derivatives agree with autograd, minima are minima."""

import numpy as np
import pytest
import torch

from gdcourse import functions

ALL = sorted(functions.FUNCTIONS)


def random_points(fn, k=5, seed=0):
    rng = np.random.default_rng(seed)
    low = np.array([lo for lo, _ in fn.bounds])
    high = np.array([hi for _, hi in fn.bounds])
    return [low + (high - low) * rng.random(fn.dim) for _ in range(k)]


@pytest.mark.parametrize("name", ALL)
def test_gradient_matches_autograd(name):
    fn = functions.get(name)
    for p in random_points(fn):
        t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
        fn(t).backward()
        np.testing.assert_allclose(fn.gradient(p), t.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ALL)
def test_hessian_matches_autograd(name):
    fn = functions.get(name)
    for p in random_points(fn, k=3, seed=1):
        t = torch.tensor(p, dtype=torch.float64)
        expected = torch.autograd.functional.hessian(lambda q: fn(q), t).numpy()
        np.testing.assert_allclose(fn.hessian(p), expected, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("name", ALL)
def test_minima_are_stationary_with_positive_definite_hessian(name):
    fn = functions.get(name)
    for m in fn.minima:
        np.testing.assert_allclose(fn.gradient(m), 0.0, atol=1e-9)
        assert np.all(np.linalg.eigvalsh(fn.hessian(m)) > 0)
    for s in fn.saddles:
        np.testing.assert_allclose(fn.gradient(s), 0.0, atol=1e-9)
        eig = np.linalg.eigvalsh(fn.hessian(s))
        assert eig[0] < 0 < eig[-1]


def test_known_minima():
    np.testing.assert_allclose(functions.rosenbrock().minima[0], [1.0, 1.0])
    himmelblau = functions.himmelblau()
    assert len(himmelblau.minima) == 4
    np.testing.assert_allclose([himmelblau(m) for m in himmelblau.minima], 0.0, atol=1e-20)
    assert functions.saddle().minima == ()
    assert len(functions.several_minima().minima) == 4
    assert len(functions.double_well().minima) == 2


def test_global_minimum_is_lowest():
    fn = functions.several_minima()
    values = sorted(float(fn(m)) for m in fn.minima)
    assert len(set(np.round(values, 6))) == 4  # four different depths
    assert float(fn(fn.global_minimum)) == values[0]


def test_ravine_condition_number():
    fn = functions.ravine(condition=25.0, angle=0.3)
    eig = np.linalg.eigvalsh(fn.hessian(np.zeros(2)))
    np.testing.assert_allclose(eig, [1.0, 25.0])
    assert fn.curvature == pytest.approx(25.0)
    assert fn.extra["condition"] == pytest.approx(25.0)


def test_grid_evaluation_matches_pointwise():
    fn = functions.himmelblau()
    xs, ys = np.meshgrid(np.linspace(-5, 5, 7), np.linspace(-5, 5, 5))
    grid = fn(np.stack([xs, ys]))
    assert grid.shape == (5, 7)
    assert grid[2, 3] == pytest.approx(fn(np.array([xs[2, 3], ys[2, 3]])))


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="coordinate"):
        functions.bowl()(np.zeros(3))
    with pytest.raises(ValueError, match="point"):
        functions.bowl().gradient([np.nan, 0.0])
    with pytest.raises(ValueError, match="curvature"):
        functions.quadratic_1d(curvature=-1.0)
    with pytest.raises(ValueError, match="condition"):
        functions.ravine(condition=0.5)
    with pytest.raises(ValueError, match="positive definite"):
        functions.quadratic([[1.0, 0.0], [0.0, -1.0]])
    with pytest.raises(ValueError, match="unknown function"):
        functions.get("banana")
