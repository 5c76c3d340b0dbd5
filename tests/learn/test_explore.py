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


# --- lesson 11: loss landscapes


def _torch_mlp(params):
    """nn.Sequential(Linear, ReLU, Linear) in float64 holding these weights."""
    W1, b1, W2, b2 = (torch.as_tensor(p) for p in params)
    model = torch.nn.Sequential(
        torch.nn.Linear(W1.shape[1], W1.shape[0], dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(W2.shape[1], W2.shape[0], dtype=torch.float64),
    )
    with torch.no_grad():
        for p, value in zip(model.parameters(), (W1, b1, W2, b2), strict=True):
            p.copy_(value)
    return model


def test_capstone_data_is_lesson_13s_split_of_the_digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    val, train = order[360:720], order[720:]
    mean, std = digits.data[train].mean(axis=0), digits.data[train].std(axis=0)
    std[std == 0] = 1.0
    X_train, y_train, X_val, y_val = explore.capstone_data()
    np.testing.assert_allclose(X_train, (digits.data[train] - mean) / std, rtol=1e-12)
    np.testing.assert_allclose(X_val, (digits.data[val] - mean) / std, rtol=1e-12)
    np.testing.assert_array_equal(y_train, digits.target[train])
    np.testing.assert_array_equal(y_val, digits.target[val])


def test_mlp_loss_and_gradient_match_torch():
    X, y, _, _ = explore.capstone_data()
    params = explore.mlp_init(seed=3)
    model = _torch_mlp(params)
    loss = torch.nn.functional.cross_entropy(model(torch.as_tensor(X)), torch.as_tensor(y))
    loss.backward()
    assert explore.mlp_loss(params, X, y) == pytest.approx(loss.item(), rel=1e-12)
    value, grads = explore.mlp_gradient(params, X, y)
    assert value == pytest.approx(loss.item(), rel=1e-12)
    for g, p in zip(grads, model.parameters(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-9, atol=1e-14)


def test_mlp_init_draws_as_nn_linear():
    W1, b1, W2, b2 = explore.mlp_init((64, 64, 10), seed=0)
    assert [W1.shape, b1.shape, W2.shape, b2.shape] == [(64, 64), (64,), (10, 64), (10,)]
    assert np.abs(np.concatenate([W1.ravel(), b1, W2.ravel(), b2])).max() <= 1 / 8
    assert W1.std() == pytest.approx(1 / 8 / np.sqrt(3), rel=0.05)  # uniform on ±1/√64


def test_mlp_train_is_torch_sgd_with_momentum():
    X, y, _, _ = explore.capstone_data()
    X, y = X[:100], y[:100]
    start = explore.mlp_init(seed=1)
    trained = explore.mlp_train(start, X, y, lr=0.05, momentum=0.9, batch_size=32, epochs=2)
    model = _torch_mlp(start)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    batches = explore.data.MiniBatches(X, y, batch_size=32, seed=0)
    for _ in range(2):  # the same batches: data.MiniBatches with the same seed
        for xb, yb in batches:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(
                model(torch.as_tensor(xb)), torch.as_tensor(yb)
            ).backward()
            opt.step()
    for mine, theirs in zip(trained, model.parameters(), strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert not np.array_equal(trained[0], start[0])  # and the start is left alone
    np.testing.assert_array_equal(start[0], explore.mlp_init(seed=1)[0])


def test_slice_losses_are_the_losses_of_the_weights_on_the_line_and_the_plane():
    X, y, _, _ = explore.capstone_data()
    X, y = X[:200], y[:200]
    a, b = explore.mlp_init(seed=0), explore.mlp_init(seed=1)
    line = [q - p for p, q in zip(a, b, strict=True)]
    alphas = np.array([-0.5, 0.0, 0.3, 1.0, 1.5])
    got = explore.slice_losses(a, [line], alphas[:, None], X, y, chunk=2)
    for alpha, loss in zip(alphas, got, strict=True):
        weights = [(1 - alpha) * p + alpha * q for p, q in zip(a, b, strict=True)]
        assert loss == pytest.approx(explore.mlp_loss(weights, X, y), rel=1e-12)
    d1, d2 = (explore.filter_normalised_direction(b, seed=s) for s in (1, 2))
    grid = np.array([[[-1.0, 0.5], [0.0, 0.0]], [[0.25, -0.75], [1.0, 1.0]]])  # (2, 2, 2)
    got = explore.slice_losses(b, [d1, d2], grid, X, y, chunk=3)
    assert got.shape == (2, 2)
    for (i, j), (s, t) in zip(np.ndindex(2, 2), grid.reshape(-1, 2), strict=True):
        weights = [p + s * u + t * v for p, u, v in zip(b, d1, d2, strict=True)]
        assert got[i, j] == pytest.approx(explore.mlp_loss(weights, X, y), rel=1e-12)
    with pytest.raises(ValueError, match="one per direction"):
        explore.slice_losses(b, [d1, d2], np.zeros((3, 1)), X, y)


def test_filter_normalised_direction_matches_each_neurons_norm():
    params = explore.mlp_init(seed=0)
    d = explore.filter_normalised_direction(params, seed=5)
    for p, u in zip(params, d, strict=True):
        assert u.shape == p.shape
        if p.ndim == 1:
            assert not u.any()  # the biases are left where they are
        else:
            np.testing.assert_allclose(
                np.linalg.norm(u, axis=1), np.linalg.norm(p, axis=1), rtol=1e-12
            )
            assert abs(np.corrcoef(u.ravel(), p.ravel())[0, 1]) < 0.1  # a random direction
    again = explore.filter_normalised_direction(params, seed=5)
    assert all(np.array_equal(u, v) for u, v in zip(d, again, strict=True))


def test_restart_runs_end_where_torch_sgd_does():
    fn = explore.test_function(explore.RESTART_FUNCTION)
    starts, basin, losses = explore.restart_runs(3.5, 0.05)
    lo, hi = explore.restart_box(3.5)
    np.testing.assert_allclose(lo, [-2.2, -2.2])
    np.testing.assert_allclose(hi, [2.2, 2.2])
    assert starts.shape == (2, explore.RESTART_TRIALS, explore.MAX_RESTARTS)
    for t, k in [(0, 0), (3, 7), (10, 15), (40, 2)]:
        run = optim.run(fn, starts[:, t, k], optim.SGD(lr=0.05), 200)
        nearest = np.argmin([np.linalg.norm(run.final - m) for m in fn.minima])
        assert basin[t, k] == nearest
        assert losses[t, k] == pytest.approx(run.losses[-1], abs=1e-12)
    # a narrow box around the shallowest minimum never leaves its basin
    _, narrow, _ = explore.restart_runs(0.3, 0.03)
    shallowest = int(np.argmax([fn(m) for m in fn.minima]))
    assert (narrow == shallowest).all()


def test_best_of_restarts_is_the_lowest_loss_of_the_first_k():
    losses = np.array([[3.0, 1.0, 2.0, 0.5], [0.0, 4.0, -1.0, 5.0]])
    np.testing.assert_array_equal(
        explore.best_of_restarts(losses), [[3.0, 1.0, 1.0, 0.5], [0.0, 0.0, -1.0, -1.0]]
    )
