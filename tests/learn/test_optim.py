"""The reference optimisers and schedules in gdcourse.optim agree with torch.optim."""

from __future__ import annotations

import inspect
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from gdcourse import functions, optim

STEPS = 200
SEEDS = [0, 1, 2]


# ------------------------------------------------------------------ stand-in test functions


class Quadratic:
    """0.5 pᵀAp − bᵀp with A random symmetric positive definite (eigenvalues in [0.5, 4])."""

    def __init__(self, dim: int = 5, seed: int = 0, eigenvalues=None):
        rng = np.random.default_rng(seed)
        q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        eig = rng.uniform(0.5, 4.0, dim) if eigenvalues is None else np.asarray(eigenvalues)
        self.dim, self.L = dim, float(eig.max())
        self.A = q @ np.diag(eig) @ q.T
        self.b = rng.standard_normal(dim)

    def __call__(self, p):
        if isinstance(p, torch.Tensor):
            A, b = torch.as_tensor(self.A), torch.as_tensor(self.b)
        else:
            A, b = self.A, self.b
        return 0.5 * p @ (A @ p) - b @ p

    def gradient(self, p):
        return self.A @ p - self.b


class Rosenbrock:
    """(1 − x)² + 100 (y − x²)², minimum at (1, 1)."""

    dim = 2

    def __call__(self, p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    def gradient(self, p):
        x, y = p
        return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


class Cliff(Quadratic):
    """A quadratic whose loss is infinite outside the ball of radius 5."""

    def __call__(self, p):
        return np.inf if np.linalg.norm(p) > 5 else super().__call__(p)


# ------------------------------------------------------------------------------ optimisers


def side_by_side(name, kwargs, starts, gradients, steps=STEPS):
    """Paths of our optimiser and of torch's (single-tensor code), stepped in lockstep.

    One problem per start: torch steps all of them as params of one optimiser (each with
    its own state), we use one reference optimiser per problem. Returns two arrays of shape
    (steps, problems, dim). Both get the same gradient, taken at torch's point: feeding each
    its own would let the sign-like dynamics of RMSprop/Adam near a minimum amplify 1e-17
    rounding differences to 1e-3 within a few dozen steps, which says nothing about formulas.
    """
    ours, xs = [make_optimizer(name, **kwargs) for _ in starts], list(starts)
    ps = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in starts]
    theirs = TORCH[name](ps, foreach=False, **kwargs)
    our_path, their_path = [], []
    for _ in range(steps):
        for i, (opt, p, gradient) in enumerate(zip(ours, ps, gradients, strict=True)):
            g = gradient(p.detach().numpy())
            xs[i] = opt.step(xs[i], g)
            p.grad = torch.from_numpy(g)
        theirs.step()
        our_path.append(np.stack(xs))
        their_path.append(np.stack([p.detach().numpy() for p in ps]))
    return np.array(our_path), np.array(their_path)


CASES = {
    "sgd": [
        dict(lr=0.1),
        dict(lr=0.05, momentum=0.9),
        dict(lr=0.05, momentum=0.9, dampening=0.5),
        dict(lr=0.05, momentum=0.8, nesterov=True),
        dict(lr=0.1, weight_decay=0.1),
        dict(lr=0.1, maximize=True),
        dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.05),
        dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.2, maximize=True),
    ],
    "adagrad": [
        dict(lr=0.5),
        dict(lr=0.5, lr_decay=0.01),
        dict(lr=0.5, weight_decay=0.1),
        dict(lr=0.5, initial_accumulator_value=0.5),
        dict(lr=0.5, eps=1e-3),
        dict(lr=0.5, maximize=True),
        dict(lr=0.3, lr_decay=0.05, weight_decay=0.05, initial_accumulator_value=0.1, eps=1e-6),
    ],
    "rmsprop": [
        dict(lr=0.01),
        dict(lr=0.01, alpha=0.9),
        dict(lr=0.005, momentum=0.9),
        dict(lr=0.01, centered=True),
        dict(lr=0.01, weight_decay=0.1),
        dict(lr=0.01, maximize=True, eps=1e-4),
        dict(lr=0.003, alpha=0.95, momentum=0.5, centered=True, weight_decay=0.05),
    ],
    "adam": [
        dict(lr=0.05),
        dict(lr=0.05, amsgrad=True),
        dict(lr=0.05, weight_decay=0.1),
        dict(lr=0.05, betas=(0.5, 0.9)),
        dict(lr=0.05, betas=(0.3, 0.99)),
        dict(lr=0.05, maximize=True, eps=1e-3),
        dict(lr=0.03, betas=(0.8, 0.95), weight_decay=0.05, amsgrad=True, maximize=True),
    ],
    "adamw": [
        dict(lr=0.05),
        dict(lr=0.05, weight_decay=0.3),
        dict(lr=0.05, weight_decay=0.0, amsgrad=True),
        dict(lr=0.05, betas=(0.6, 0.9)),
        dict(lr=0.05, maximize=True),
        dict(lr=0.03, betas=(0.8, 0.95), weight_decay=0.1, amsgrad=True, maximize=True),
    ],
}
REFERENCE = {
    "sgd": optim.SGD,
    "adagrad": optim.Adagrad,
    "rmsprop": optim.RMSprop,
    "adam": optim.Adam,
    "adamw": optim.AdamW,
}
TORCH = {name: getattr(torch.optim, cls.__name__) for name, cls in REFERENCE.items()}


def make_optimizer(name: str, **kwargs) -> optim.Optimizer:
    """The reference optimiser called `name` (a key of REFERENCE), built with `kwargs`."""
    return REFERENCE[name](**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [(name, kw) for name, cases in CASES.items() for kw in cases],
    ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()),
)
def test_optimizer_matches_torch(name, kwargs):
    problems = [Quadratic(seed=seed) for seed in SEEDS]
    starts = [3 * np.random.default_rng(100 + seed).standard_normal(5) for seed in SEEDS]
    # When maximising, climb the concave −f so that the path converges instead of blowing up.
    sign = -1.0 if kwargs.get("maximize") else 1.0
    gradients = [lambda p, q=q: sign * q.gradient(p) for q in problems]

    ours, theirs = side_by_side(name, kwargs, starts, gradients)
    assert ours.shape == theirs.shape == (STEPS, len(SEEDS), 5)
    assert np.all(np.isfinite(ours))
    assert np.all(np.abs(ours[-1] - starts).max(axis=1) > 0.1)  # every path really moved
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop"])
def test_optimizer_matches_torch_on_rosenbrock_with_changing_lr(name):
    kwargs = {"sgd": dict(lr=1e-3, momentum=0.9), "adam": {}, "rmsprop": {}}[name]
    fn, start = Rosenbrock(), np.array([-1.5, 2.0])
    ours = optim.run(
        fn, start, make_optimizer(name, **kwargs), STEPS, schedule=lambda t: 1e-3 * 0.99**t
    )
    theirs = optim.run_torch(
        fn,
        start,
        lambda ps: TORCH[name](ps, foreach=False, **(kwargs | {"lr": 1e-3})),
        STEPS,
        make_scheduler=lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.99),
    )
    assert not ours.diverged and not theirs.diverged
    np.testing.assert_allclose(ours.points, theirs.points, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.lrs, theirs.lrs, rtol=0, atol=1e-12)


def test_step_leaves_inputs_unchanged_and_keeps_state():
    params, grad = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    opt = optim.Adam(lr=0.1, amsgrad=True)
    new = opt.step(params, grad)
    np.testing.assert_array_equal(params, [1.0, -2.0])
    np.testing.assert_array_equal(grad, [0.5, 0.5])
    assert not np.shares_memory(new, params)
    assert opt.state["step"] == 1
    assert set(opt.state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    opt.step(new, grad)
    assert opt.state["step"] == 2


def test_adam_without_bias_correction():
    lr, (b1, b2), eps = 0.1, (0.9, 0.999), 1e-8
    p0, g = np.array([1.0, -2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    plain = optim.Adam(lr=lr, bias_correction=False)
    corrected = optim.Adam(lr=lr)
    p1 = plain.step(p0, g)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    np.testing.assert_allclose(p1, p0 - lr * m / (np.sqrt(v) + eps), rtol=0, atol=1e-15)
    # Bias-corrected Adam's first step has length lr in every coordinate; the plain one
    # is lr·(1 − b1)/sqrt(1 − b2) ≈ 3.16·lr.
    np.testing.assert_allclose(np.abs(corrected.step(p0, g) - p0), lr, rtol=1e-6)
    np.testing.assert_allclose(np.abs(p1 - p0), lr * (1 - b1) / np.sqrt(1 - b2), rtol=1e-6)
    p, q = p1, corrected.step(p0, g)
    for _ in range(5):
        p, q = plain.step(p, g), corrected.step(q, g)
        assert np.abs(p - q).max() > 1e-3


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_defaults_are_torchs(name):
    """What a lesson (or the explorers' torch_step) leaves out means the same in both."""
    ours = {
        key: p.default
        for key, p in inspect.signature(REFERENCE[name]).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    theirs = TORCH[name]([torch.zeros(1, requires_grad=True)], lr=0.1).defaults
    extra = {"bias_correction"}  # Adam's, not torch's: lessons show what it does
    assert set(ours) - extra <= set(theirs)
    for key in set(ours) - extra - {"lr"}:
        assert ours[key] == theirs[key], key
    assert optim.AdamW().weight_decay == 0.01 and optim.Adam().weight_decay == 0


def test_the_table_of_optimizers_names_real_classes_and_their_arguments():
    for name, (cls, settings) in optim.OPTIMIZERS.items():
        assert issubclass(cls, optim.Optimizer) and hasattr(torch.optim, cls.__name__), name
        assert set(settings) <= set(inspect.signature(cls).parameters), name
        assert "lr" not in settings, name  # the explorers' lr knob always sets it


# ------------------------------------------------------------------------------- schedules


def torch_lrs(make_scheduler, steps, lr=0.1):
    """The lr in force before each of `steps` scheduler steps (steps values in all)."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = make_scheduler(opt)
    lrs = []
    for t in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()  # before scheduler.step(), as torch expects (p has no grad: a no-op)
        if t < steps - 1:
            scheduler.step()
    return np.array(lrs)


SCHEDULES = [
    # (our function, its kwargs, torch scheduler factory, steps to compare)
    (optim.step_lr, dict(base_lr=0.1, step_size=7), lambda o: lr_scheduler.StepLR(o, 7), 60),
    (
        optim.step_lr,
        dict(base_lr=0.3, step_size=3, gamma=0.5),
        lambda o: lr_scheduler.StepLR(o, 3, gamma=0.5),
        40,
    ),
    (
        optim.exponential_lr,
        dict(base_lr=0.1, gamma=0.97),
        lambda o: lr_scheduler.ExponentialLR(o, 0.97),
        STEPS,
    ),
    (
        optim.exponential_lr,
        dict(base_lr=2.0, gamma=0.5),
        lambda o: lr_scheduler.ExponentialLR(o, 0.5),
        50,
    ),
    (
        optim.linear_warmup,
        dict(base_lr=0.1, warmup_steps=10),
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=10),
        30,
    ),
    (
        optim.linear_warmup,
        dict(base_lr=0.5, warmup_steps=37, start_factor=0.01),
        lambda o: lr_scheduler.LinearLR(o, start_factor=0.01, end_factor=1.0, total_iters=37),
        80,
    ),
]
for T_max, eta_min in [(1, 0.0), (10, 0.0), (37, 0.001), (100, 0.05)]:
    SCHEDULES.append(
        (
            optim.cosine_annealing_lr,
            dict(base_lr=0.1, T_max=T_max, eta_min=eta_min),
            partial(lr_scheduler.CosineAnnealingLR, T_max=T_max, eta_min=eta_min),
            5 * T_max + 3,  # several half-periods beyond T_max, where torch's cosine continues
        )
    )
for warmup, total, factor, eta_min in [(5, 50, 0.1, 0.0), (10, 100, 0.01, 1e-3), (1, 20, 0.5, 0)]:
    SCHEDULES.append(
        (
            optim.warmup_cosine,
            dict(
                base_lr=0.1,
                warmup_steps=warmup,
                total_steps=total,
                start_factor=factor,
                eta_min=eta_min,
            ),
            lambda o, w=warmup, n=total, f=factor, e=eta_min: lr_scheduler.SequentialLR(
                o,
                [
                    lr_scheduler.LinearLR(o, start_factor=f, end_factor=1.0, total_iters=w),
                    lr_scheduler.CosineAnnealingLR(o, T_max=n - w, eta_min=e),
                ],
                milestones=[w],
            ),
            2 * total,
        )
    )
for total, kwargs in [
    (100, dict(pct_start=0.3, anneal_strategy="cos")),
    (100, dict(pct_start=0.3, anneal_strategy="linear")),
    (57, dict(pct_start=0.25, anneal_strategy="cos", three_phase=True)),
    (57, dict(pct_start=0.25, anneal_strategy="linear", three_phase=True)),
    (1000, dict(pct_start=0.1, div_factor=10.0, final_div_factor=100.0)),
    (9, dict(pct_start=0.5, three_phase=True)),
]:
    SCHEDULES.append(
        (
            optim.one_cycle_lr,
            dict(max_lr=0.4, total_steps=total, **kwargs),
            lambda o, n=total, kw=kwargs: lr_scheduler.OneCycleLR(o, 0.4, total_steps=n, **kw),
            total + 1,  # t = 0 … total_steps, all that torch allows
        )
    )


@pytest.mark.parametrize(
    ("fn", "kwargs", "make_scheduler", "steps"),
    SCHEDULES,
    ids=[f"{s[0].__name__}-{i}" for i, s in enumerate(SCHEDULES)],
)
def test_schedule_matches_torch(fn, kwargs, make_scheduler, steps):
    base = kwargs.get("base_lr", 0.1)
    theirs = torch_lrs(make_scheduler, steps, lr=base)
    ours = optim.schedule_values(fn, steps, **kwargs)
    assert ours.shape == (steps,)
    assert np.ptp(ours) > 1e-3  # the schedule does change the rate
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_warmup_cosine_at_the_milestone():
    # Torch's SequentialLR restarts the cosine at its step 0 at the milestone: exactly base_lr.
    lrs = optim.schedule_values(
        optim.warmup_cosine, 12, base_lr=1.0, warmup_steps=4, total_steps=8, start_factor=0.2
    )
    np.testing.assert_allclose(lrs[:5], [0.2, 0.4, 0.6, 0.8, 1.0], rtol=0, atol=1e-15)
    assert lrs[8] == pytest.approx(0.0, abs=1e-15) and lrs[12 - 1] < 1.0


def test_one_cycle_endpoints():
    lrs = optim.schedule_values(optim.one_cycle_lr, 101, max_lr=1.0, total_steps=100)
    assert lrs[0] == pytest.approx(1 / 25) and lrs.max() == pytest.approx(1.0)
    assert lrs[99] == pytest.approx(1 / 25 / 1e4)


# ------------------------------------------------------------------------------ trajectories


def test_run_matches_run_torch_with_sgd():
    fn = Quadratic(seed=3)
    start = np.full(fn.dim, 2.0)
    ours = optim.run(fn, start, optim.SGD(lr=0.1, momentum=0.5), 100)
    theirs = optim.run_torch(
        fn, start, lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, foreach=False), 100
    )
    assert ours.points.shape == (101, fn.dim) and ours.losses.shape == (101,)
    assert ours.lrs.shape == (100,) and not ours.diverged
    np.testing.assert_allclose(ours.points, theirs.points, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.points[0], start)
    np.testing.assert_array_equal(ours.final, ours.points[-1])
    np.testing.assert_allclose(ours.losses, [fn(p) for p in ours.points], rtol=0, atol=0)
    # It converged to the minimiser A⁻¹b.
    np.testing.assert_allclose(ours.final, np.linalg.solve(fn.A, fn.b), atol=1e-6)


def test_run_applies_schedule_like_torch_scheduler():
    fn, start = Quadratic(seed=4), np.ones(5)
    schedule = partial(optim.cosine_annealing_lr, base_lr=0.2, T_max=30)
    ours = optim.run(fn, start, optim.Adam(lr=0.2), 40, schedule=schedule)
    theirs = optim.run_torch(
        fn,
        start,
        lambda ps: torch.optim.Adam(ps, lr=0.2, foreach=False),
        40,
        make_scheduler=lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=30),
    )
    np.testing.assert_allclose(ours.lrs, [schedule(t) for t in range(40)], rtol=0, atol=1e-15)
    np.testing.assert_allclose(theirs.lrs, ours.lrs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.points, theirs.points, rtol=0, atol=1e-9)


@pytest.mark.parametrize("runner", ["numpy", "torch"])
def test_noise_is_reproducible_by_seed(runner):
    fn, start = Quadratic(seed=5), np.zeros(5)

    def go(seed, noise=0.5):
        if runner == "numpy":
            return optim.run(fn, start, optim.SGD(lr=0.1), 30, noise=noise, seed=seed)
        make = lambda ps: torch.optim.SGD(ps, lr=0.1)  # noqa: E731
        return optim.run_torch(fn, start, make, 30, noise=noise, seed=seed)

    a, b, c, clean = go(7), go(7), go(8), go(7, noise=0.0)
    np.testing.assert_array_equal(a.points, b.points)
    assert np.abs(a.points - c.points).max() > 1e-2
    assert np.abs(a.points - clean.points).max() > 1e-2


def test_divergence_stops_early_and_keeps_the_finite_jump():
    fn = Quadratic(seed=6, eigenvalues=[1.0, 2.0, 3.0, 4.0, 5.0])
    traj = optim.run(fn, np.ones(5), optim.SGD(lr=10 / fn.L), 200)  # lr = 5 · (2/L)
    assert traj.diverged
    assert len(traj.points) < 30
    assert np.linalg.norm(traj.final) > 1e8  # the first point past max_norm is kept
    assert np.all(np.linalg.norm(traj.points[:-1], axis=1) <= 1e8)
    assert len(traj.lrs) == len(traj.points) - 1 == len(traj.losses) - 1
    torch_traj = optim.run_torch(fn, np.ones(5), lambda ps: torch.optim.SGD(ps, lr=10 / fn.L), 200)
    assert torch_traj.diverged and len(torch_traj.points) == len(traj.points)


def test_divergence_drops_a_point_with_infinite_loss():
    fn = Cliff(seed=6, eigenvalues=[1.0, 2.0, 3.0, 4.0, 5.0])
    traj = optim.run(fn, np.ones(5) * 0.1, optim.SGD(lr=0.5), 200)
    assert traj.diverged and np.all(np.isfinite(traj.losses))
    assert np.all(np.linalg.norm(traj.points, axis=1) <= 5)
    assert len(traj.lrs) == len(traj.points) - 1
    fine = optim.run(fn, np.ones(5) * 0.1, optim.SGD(lr=0.1), 50)
    assert not fine.diverged and len(fine.points) == 51


def test_import_does_not_load_torch():
    code = "import sys, gdcourse.optim; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: optim.SGD(lr=0), "lr"),
        (lambda: optim.SGD(lr=-1), "lr"),
        (lambda: optim.Adam(lr=float("nan")), "lr"),
        (lambda: optim.SGD(lr=0.1, momentum=-0.5), "momentum"),
        (lambda: optim.SGD(lr=0.1, nesterov=True), "nesterov"),
        (lambda: optim.SGD(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
        (lambda: optim.Adam(betas=(1.0, 0.999)), "betas"),
        (lambda: optim.AdamW(betas=(0.9, -0.1)), "betas"),
        (lambda: optim.Adam(betas=(0.9,)), "betas"),
        (lambda: optim.Adagrad(lr_decay=-1), "lr_decay"),
        (lambda: optim.RMSprop(alpha=1.5), "alpha"),
        (lambda: optim.Adam(weight_decay=-0.1), "weight_decay"),
        (lambda: optim.SGD(lr=0.1).step(np.zeros(3), np.zeros(2)), "grad"),
        (lambda: optim.run(Quadratic(), np.zeros(4), optim.SGD(lr=0.1), 10), "start"),
        (lambda: optim.run(Quadratic(), [np.nan] * 5, optim.SGD(lr=0.1), 10), "start"),
        (lambda: optim.run(Quadratic(), np.zeros(5), optim.SGD(lr=0.1), 0), "steps"),
        (lambda: optim.run(Quadratic(), np.zeros(5), optim.SGD(lr=0.1), 5, noise=-1), "noise"),
        (lambda: optim.run_torch(Quadratic(), np.zeros(3), torch.optim.SGD, 5), "start"),
        (lambda: optim.run_torch(Quadratic(), np.zeros(5), torch.optim.SGD, 0), "steps"),
        (lambda: optim.step_lr(3, 0.1, step_size=0), "step_size"),
        (lambda: optim.exponential_lr(-1, 0.1, 0.9), "t"),
        (lambda: optim.cosine_annealing_lr(3, 0.1, T_max=0), "T_max"),
        (lambda: optim.linear_warmup(3, 0.1, 5, start_factor=1.5), "start_factor"),
        (lambda: optim.warmup_cosine(3, 0.1, warmup_steps=10, total_steps=10), "total_steps"),
        (lambda: optim.one_cycle_lr(3, 0.1, total_steps=0), "total_steps"),
        (lambda: optim.one_cycle_lr(3, 0.1, total_steps=100, pct_start=0.0), "pct_start"),
        (lambda: optim.one_cycle_lr(3, 0.1, total_steps=100, pct_start=1.0), "pct_start"),
        (lambda: optim.one_cycle_lr(3, 0.1, total_steps=10, pct_start=0.05), "pct_start"),
        (lambda: optim.one_cycle_lr(101, 0.1, total_steps=100), "total_steps"),
        (lambda: optim.one_cycle_lr(3, 0.1, 100, anneal_strategy="exp"), "anneal_strategy"),
        (lambda: optim.schedule_values(optim.step_lr, 0, base_lr=0.1, step_size=2), "steps"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("name", ["rosenbrock", "ravine", "saddle"])
def test_run_torch_analytic_gradients_match_autograd(name):
    fn = functions.get(name)
    start = np.asarray(fn.bounds, dtype=float).mean(axis=1) + 0.3

    def go(analytic):
        make = lambda ps: torch.optim.Adam(ps, lr=0.05)  # noqa: E731
        return optim.run_torch(fn, start, make, 40, noise=0.1, seed=2, analytic=analytic)

    auto, exact = go(False), go(True)
    np.testing.assert_allclose(exact.points, auto.points, rtol=0, atol=1e-10)
    np.testing.assert_allclose(exact.losses, auto.losses, rtol=0, atol=1e-10)
