"""The explorers' computations: each checked against torch or a closed form."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from gdcourse import explore, functions, optim, rates

# ------------------------------------------------------------------ learning rate, 1-D


@pytest.mark.parametrize(
    ("lr", "expected"),
    [
        (0.1, "converges (η < 1/λ)"),
        (0.25, "converges in one step (η = 1/λ)"),
        (0.4, "oscillates, converging (1/λ < η < 2/λ)"),
        (0.5, "oscillates forever (η = 2/λ)"),
        (0.6, "diverges (η > 2/λ)"),
    ],
)
def test_lr_regime_against_2_over_L(lr, expected):
    assert explore.lr_regime(lr, 4.0) == expected


@pytest.mark.parametrize("lr", [0.1, 0.4, 0.6])
def test_lr_regime_names_what_gradient_descent_does(lr):
    fn = functions.quadratic_1d(curvature=4.0)
    errors = explore.gd_path(fn, 1.0, lr, 12).points[:, 0]
    regime = explore.lr_regime(lr, 4.0)
    flips = np.all(np.sign(errors[1:]) == -np.sign(errors[:-1]))
    assert flips == regime.startswith(("oscillates", "diverges"))
    assert (abs(errors[-1]) > abs(errors[0])) == regime.startswith("diverges")


def test_lr_regime_rejects_bad_input():
    with pytest.raises(ValueError, match="lr must be > 0"):
        explore.lr_regime(0.0, 1.0)
    with pytest.raises(ValueError, match="curvature"):
        explore.lr_regime(0.1, float("nan"))


def test_curvature_at_the_nearest_minimum_of_the_double_well():
    fn = functions.double_well()
    for m in fn.minima:
        h = 1e-4
        numeric = (fn.gradient(m + h)[0] - fn.gradient(m - h)[0]) / (2 * h)
        assert explore.curvature_at_minimum(fn, m + 0.1) == pytest.approx(numeric, rel=1e-6)
    with pytest.raises(ValueError, match="no minimum"):
        explore.curvature_at_minimum(functions.saddle(), [0.0, 0.0])


# ------------------------------------------------------------------- optimisers, 2-D


def torch_optimizer(name: str, params, *, lr: float, beta: float = 0.9, beta2: float = 0.999):
    """The real torch.optim optimiser the explorers call `name`, with these knob values."""
    cls, kwargs = explore.optimizer_settings(name, lr=lr, beta=beta, beta2=beta2)
    return getattr(torch.optim, cls.__name__)(params, **kwargs)


@pytest.mark.parametrize("name", optim.OPTIMIZERS)
@pytest.mark.parametrize("function", ["ravine", "rosenbrock"])
def test_optimizer_path_is_torch_optim_step_for_step(name, function):
    fn = functions.get(function)
    start = (-1.0, 1.5)
    ours = explore.optimizer_path(
        function, name, start, lr=1e-3, beta=0.8, beta2=0.99, noise=0.3, steps=40, seed=3
    )

    def make(ps):
        return torch_optimizer(name, ps, lr=1e-3, beta=0.8, beta2=0.99)

    reference = optim.run_torch(fn, start, make, 40, noise=0.3, seed=3)  # autograd
    np.testing.assert_allclose(ours.points, reference.points, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.losses, reference.losses, rtol=1e-12, atol=1e-12)
    assert not ours.diverged


def test_optimizer_path_stops_where_it_diverges():
    traj = explore.optimizer_path("ravine", "SGD", (-4.0, 2.0), lr=5.0, steps=200)
    assert traj.diverged and len(traj.points) < 201
    assert np.all(np.isfinite(traj.points)) and np.all(np.isfinite(traj.losses))


def test_optimizer_path_is_cached_on_what_the_optimizer_reads():
    args = {"lr": 0.01, "steps": 30}
    sgd = explore.optimizer_path("ravine", "SGD", (1.0, 1.0), beta=0.5, **args)
    assert explore.optimizer_path("ravine", "SGD", (1.0, 1.0), beta=0.9, **args) is sgd
    adam = explore.optimizer_path("ravine", "Adam", (1.0, 1.0), beta=0.5, **args)
    assert explore.optimizer_path("ravine", "Adam", (1.0, 1.0), beta=0.9, **args) is not adam


def test_optimizer_settings_map_names_to_torch_settings():
    p = [torch.zeros(2, requires_grad=True)]
    nesterov = torch_optimizer("Nesterov", p, lr=0.1, beta=0.7)
    assert isinstance(nesterov, torch.optim.SGD)
    assert nesterov.defaults["nesterov"] and nesterov.defaults["momentum"] == 0.7
    adam = torch_optimizer("Adam", p, lr=0.1, beta=0.7, beta2=0.95)
    assert adam.defaults["betas"] == (0.7, 0.95)
    assert torch_optimizer("RMSprop", p, lr=0.1, beta2=0.95).defaults["alpha"] == 0.95
    assert explore.optimizer_settings("SGD", lr=0.1, beta=0.7) == (optim.SGD, {"lr": 0.1})
    with pytest.raises(ValueError, match="optimizer must be one of SGD"):
        explore.optimizer_settings("Lion", lr=0.1)
    with pytest.raises(ValueError, match="Nesterov needs beta > 0"):
        explore.optimizer_settings("Nesterov", lr=0.1, beta=0.0)
    with pytest.raises(ValueError, match="beta2 must be in"):
        explore.optimizer_settings("Adam", lr=0.1, beta2=1.0)
    with pytest.raises(ValueError, match="optimizer must be one of SGD"):
        explore.optimizer_path("ravine", "Lion", (1.0, 1.0), lr=0.1)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam"])
@pytest.mark.parametrize("options", [{}, {"weight_decay": 0.1, "maximize": True}])
def test_functional_step_is_the_torch_class_step_for_step_with_any_settings(name, options):
    """functional_step passes every setting by keyword, so none is lost on the way to torch."""
    extra = {
        "SGD": {"momentum": 0.8, "dampening": 0.3},
        "Adagrad": {"lr_decay": 0.01, "initial_accumulator_value": 0.2, "eps": 1e-6},
        "RMSprop": {"momentum": 0.5, "centered": True, "eps": 1e-6},
        "Adam": {"amsgrad": True, "eps": 1e-6},
    }[name] | options
    start = torch.tensor([1.0, -2.0], dtype=torch.float64)
    theirs = start.clone().requires_grad_(True)
    opt = getattr(torch.optim, name)([theirs], lr=0.05, foreach=False, **extra)
    ours = start.clone()
    step = explore.functional_step(getattr(optim, name)(lr=0.05, **extra), ours)
    rng = np.random.default_rng(0)
    for _ in range(30):
        g = torch.from_numpy(rng.standard_normal(2))
        step(g.clone())
        theirs.grad = g.clone()
        opt.step()
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


# ---------------------------------------------------------------- momentum, quadratic


def test_momentum_grid_is_the_rate_map_and_its_minimum_is_the_optimum():
    lrs, betas, rate = explore.momentum_grid(0.1, 2.0, size=121)
    assert rate.shape == (121, 121) and lrs[-1] == pytest.approx(4.0 / 2.0)
    np.testing.assert_allclose(rate, rates.rate_map(lrs, betas, [0.1, 2.0]))
    i, j = np.unravel_index(np.argmin(rate), rate.shape)
    best = rates.optimal_momentum(0.1, 2.0)
    assert lrs[j] == pytest.approx(best.lr, abs=2 * (lrs[1] - lrs[0]))
    assert betas[i] == pytest.approx(best.beta, abs=2 * (betas[1] - betas[0]))


def test_momentum_path_is_torch_sgd_with_momentum():
    traj = explore.momentum_path(0.5, 0.6, 0.2, 3.0, steps=30, start=(1.0, -1.0))
    fn = functions.quadratic(np.diag([0.2, 3.0]))
    make = lambda ps: torch.optim.SGD(ps, lr=0.5, momentum=0.6)  # noqa: E731
    reference = optim.run_torch(fn, [1.0, -1.0], make, 30)
    np.testing.assert_allclose(traj.points, reference.points, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="L must be >= mu"):
        explore.momentum_path(0.5, 0.6, 3.0, 0.2)


# -------------------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("name", "closed_form"),
    [
        ("StepLR", lambda t: optim.step_lr(t, 0.1, step_size=20, gamma=0.5)),
        ("ExponentialLR", lambda t: optim.exponential_lr(t, 0.1, gamma=0.5)),
        ("CosineAnnealingLR", lambda t: optim.cosine_annealing_lr(t, 0.1, 100, 1e-4)),
        ("OneCycleLR", lambda t: optim.one_cycle_lr(t, 0.1, total_steps=100, pct_start=0.2)),
        ("constant", lambda t: 0.1),
    ],
)
def test_schedule_run_uses_torch_schedules(name, closed_form):
    lrs, losses = explore.schedule_run(name, lr=0.1, gamma=0.5, period=20, eta_min=1e-4)
    expected = [closed_form(t) for t in range(100)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)
    assert losses.shape == (100,) and np.all(np.isfinite(losses))


def test_schedule_run_warmup_then_cosine_matches_sequential_lr():
    lrs, _ = explore.schedule_run("warmup + cosine", lr=0.1, period=10, eta_min=0.0)
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=10),
            lr_scheduler.CosineAnnealingLR(opt, T_max=90),
        ],
        milestones=[10],
    )
    expected = []
    for _ in range(100):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)


@pytest.mark.parametrize("name", explore.SCHEDULERS)
def test_a_scheduler_reads_exactly_the_knobs_the_table_says(name):
    """The schedule explorer greys out the knobs a scheduler does not read."""
    reads, _ = explore.SCHEDULERS[name]
    base = {"gamma": 0.5, "period": 20, "eta_min": 1e-3}
    other = {"gamma": 0.8, "period": 7, "eta_min": 1e-2}
    before, _ = explore.schedule_run(name, lr=0.1, **base)
    for knob in base:
        after, _ = explore.schedule_run(name, lr=0.1, **(base | {knob: other[knob]}))
        assert (knob in reads) == (not np.array_equal(after, before)), knob


def test_schedule_run_is_lesson_09s_run_from_zero_weights():
    """Same data, batches, momentum and loss as lesson 09's `train`, checked against a
    plain autograd loop; the excess loss is the full-data MSE minus the least-squares one."""
    from gdcourse.data import MiniBatches

    Xb, y, w_star, best = explore.schedule_data()
    X, Y = torch.as_tensor(Xb), torch.as_tensor(y)
    assert best == pytest.approx(torch.mean((X @ torch.as_tensor(w_star) - Y) ** 2).item())
    theta = torch.zeros(Xb.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([theta], lr=0.1, momentum=0.5)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=100, eta_min=1e-3)
    batches = MiniBatches(X, Y, batch_size=50, seed=0)  # reshuffled every epoch
    lrs, excess = [], []
    for _ in range(10):  # 10 epochs of 10 batches of 50
        for xb, yb in batches:
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            torch.mean((xb @ theta - yb) ** 2).backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                excess.append(torch.mean((X @ theta - Y) ** 2).item() - best)
    got_lrs, got = explore.schedule_run("CosineAnnealingLR", lr=0.1, eta_min=1e-3)
    np.testing.assert_allclose(got_lrs, lrs, rtol=1e-12)
    np.testing.assert_allclose(got, excess, rtol=1e-6, atol=1e-12)
    assert np.all(got >= 0)


def test_schedule_run_trains_and_plateau_lowers_the_rate():
    lrs, losses = explore.schedule_run("ReduceLROnPlateau", lr=0.05, gamma=0.5, period=10)
    assert losses[-1] < 0.1 * losses[0]
    assert lrs[-1] < lrs[0] and set(np.round(lrs / 0.05, 9)) <= {0.5**k for k in range(60)}
    with pytest.raises(ValueError, match="scheduler must be one of"):
        explore.schedule_run("Cyclic", lr=0.1)


# ------------------------------------------------------------------------- batch size


def test_minibatch_gradients_are_unbiased_with_variance_falling_like_1_over_B():
    variances = {}
    for B in (4, 64):
        grads, full = explore.minibatch_gradients(B, count=4000, seed=1)
        spread = grads.std(axis=0) / np.sqrt(len(grads))
        assert np.all(np.abs(grads.mean(axis=0) - full) < 5 * spread)
        variances[B] = ((grads - full) ** 2).sum(axis=1).mean()
    n = len(explore.batch_data()[1])
    # sampling without replacement: variance ∝ (1/B)·(n − B)/(n − 1)
    predicted = (1 / 4 * (n - 4)) / (1 / 64 * (n - 64))
    assert variances[4] / variances[64] == pytest.approx(predicted, rel=0.1)


def test_minibatch_spread_is_the_rms_distance_of_minibatch_gradients():
    n = len(explore.batch_data()[1])
    for B in (1, 16, 256):
        grads, full = explore.minibatch_gradients(B, count=4000, seed=2)
        measured = np.sqrt(((grads - full) ** 2).sum(axis=1).mean())
        assert measured == pytest.approx(explore.minibatch_spread(B), rel=0.05)
    # the finite-population factor: half the data gives 1/√2 of what 1/√B predicts ...
    half = explore.minibatch_spread(n // 2) / (explore.minibatch_spread(1) / np.sqrt(n // 2))
    assert half == pytest.approx(np.sqrt((n - n // 2) / (n - 1)))
    assert explore.minibatch_spread(n) == 0.0  # ... and the whole data set none at all


def test_full_batch_sgd_is_gradient_descent_and_losses_are_the_mse():
    Xb, y = explore.batch_data()
    seen, losses = explore.sgd_losses(len(y), 0.05, epochs=3)
    w = np.zeros(Xb.shape[1])
    expected = [np.mean((Xb @ w - y) ** 2)]
    for _ in range(3):
        w = w - 0.05 * explore.mse_gradient(Xb, y, w)
        expected.append(np.mean((Xb @ w - y) ** 2))
    np.testing.assert_array_equal(seen, [0, 512, 1024, 1536])
    np.testing.assert_allclose(losses, expected, rtol=1e-10)


def test_minibatch_gradients_reject_a_batch_larger_than_the_data():
    with pytest.raises(ValueError, match="batch_size must be <= 512"):
        explore.minibatch_gradients(513)
