"""What the interactive explorers compute, as pure functions; gdcourse.widgets only draws.

Each function here answers one question an explorer asks on every slider move (which
regime is this η in, where does Adam go from here, what does this schedule do to a
training run, how spread out are mini-batch gradients of size B), fast enough to be
asked 30 times a second, and is unit-tested like the rest of the package.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import data, functions, optim, rates, validate

# ------------------------------------------------------------------ learning rate, 1-D


def lr_regime(lr, curvature) -> str:
    """The regime of gradient descent with step η on a quadratic of curvature L.

    The error is multiplied by r = 1 − ηL every step: it shrinks steadily for ηL < 1,
    vanishes in one step at ηL = 1, flips sign and shrinks for 1 < ηL < 2, flips sign
    with constant size at ηL = 2, and grows beyond.
    """
    lr = validate.positive("lr", lr)
    curvature = validate.positive("curvature", curvature)
    x = lr * curvature
    if np.isclose(x, 1.0, rtol=1e-9, atol=0):
        return "converges in one step (η = 1/L)"
    if np.isclose(x, 2.0, rtol=1e-9, atol=0):
        return "oscillates forever (η = 2/L)"
    if x < 1:
        return "converges (η < 1/L)"
    if x < 2:
        return "oscillates, converging (1/L < η < 2/L)"
    return "diverges (η > 2/L)"


def nearest_minimum(fn, point) -> np.ndarray:
    """The known minimum of `fn` closest to `point` (ValueError if it has none)."""
    if not fn.minima:
        raise ValueError(f"{fn.name} has no minimum, so no curvature to compare η with")
    point = validate.finite_array("point", point, shape=(fn.dim,))
    return min(fn.minima, key=lambda m: float(np.linalg.norm(m - point)))


def curvature_at_minimum(fn, point) -> float:
    """Largest Hessian eigenvalue at the minimum nearest `point`: the L of the 2/L rule there."""
    minimum = nearest_minimum(fn, point)
    return float(np.linalg.eigvalsh(fn.hessian(minimum)).max())


def gd_path(fn, start, lr, steps: int) -> optim.Trajectory:
    """Plain gradient descent from `start` (a number for 1-D functions)."""
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    return optim.run(fn, start, optim.SGD(lr=lr), steps, max_norm=1e6)


# ------------------------------------------------------------------- optimisers, 2-D

OPTIMIZERS = ("SGD", "momentum", "Nesterov", "Adagrad", "RMSprop", "Adam")


def _settings(name: str, lr, beta, beta2) -> tuple[float, float, float]:
    """(lr, beta, beta2) checked for the optimiser `name`; ValueError names what is wrong."""
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    lr = validate.positive("lr", lr)
    beta = validate.in_range("beta", beta, 0.0, 1.0)
    beta2 = validate.in_range("beta2", beta2, 0.0, 1.0)
    if beta == 0 and name == "Nesterov":
        raise ValueError("Nesterov needs beta > 0 (torch requires momentum > 0)")
    return lr, beta, beta2


def torch_optimizer(name: str, params, *, lr: float, beta: float = 0.9, beta2: float = 0.999):
    """A real torch.optim optimiser by its explorer name.

    beta is the momentum of momentum / Nesterov and Adam's β₁; beta2 is RMSprop's
    smoothing constant α and Adam's β₂ (the same role: the average of g²).
    """
    import torch

    lr, beta, beta2 = _settings(name, lr, beta, beta2)
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr)
    if name in ("momentum", "Nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=beta, nesterov=name == "Nesterov")
    if name == "Adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "RMSprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=beta2)
    return torch.optim.Adam(params, lr=lr, betas=(beta, beta2))


def _uses(name: str) -> tuple[bool, bool]:
    """Whether the optimiser called `name` reads beta, and beta2."""
    return name in ("momentum", "Nesterov", "Adam"), name in ("RMSprop", "Adam")


def optimizer_path(
    function: str,
    name: str,
    start,
    *,
    lr: float,
    beta: float = 0.9,
    beta2: float = 0.999,
    noise: float = 0.0,
    steps: int = 60,
    seed: int = 0,
) -> optim.Trajectory:
    """The path of torch.optim's `name` on the test function called `function`.

    Cached on the arguments an optimiser actually reads, so moving β leaves the SGD
    and Adagrad paths alone; noise > 0 adds seeded Gaussian noise to every gradient.
    """
    uses_beta, uses_beta2 = _uses(name)
    key = (
        function,
        name,
        tuple(float(v) for v in np.atleast_1d(start)),
        float(lr),
        float(beta) if uses_beta else None,
        float(beta2) if uses_beta2 else None,
        float(noise),
        int(steps),
        int(seed),
    )
    return _cached_path(*key)


def torch_step(name: str, p, *, lr: float, beta: float = 0.9, beta2: float = 0.999):
    """A function g -> None doing one step of torch.optim's `name` on the tensor p in place.

    It calls torch.optim's own functional implementation (torch.optim.sgd.sgd,
    adagrad.adagrad, rmsprop.rmsprop, adam.adam: the code the optimiser classes run
    in their step()), with the classes' default settings and their state, without the
    per-call hooks and profiling of Optimizer.step, which cost more than the arithmetic
    on a 2-vector. tests/test_explore.py checks it against the classes step for step.
    """
    import torch
    from torch.optim import adagrad, adam, rmsprop, sgd

    lr, beta, beta2 = _settings(name, lr, beta, beta2)
    zeros = lambda: torch.zeros_like(p)  # noqa: E731
    step = [torch.tensor(0.0, dtype=p.dtype)]
    if name in ("SGD", "momentum", "Nesterov"):
        buffer = [None]
        momentum = 0.0 if name == "SGD" else beta

        def go(g):
            sgd.sgd(
                [p],
                [g],
                buffer,
                weight_decay=0.0,
                momentum=momentum,
                lr=lr,
                dampening=0.0,
                nesterov=name == "Nesterov",
                maximize=False,
                foreach=False,
            )

    elif name == "Adagrad":
        sums = [zeros()]

        def go(g):
            adagrad.adagrad(
                [p],
                [g],
                sums,
                step,
                foreach=False,
                lr=lr,
                weight_decay=0.0,
                lr_decay=0.0,
                eps=1e-10,
                maximize=False,
            )

    elif name == "RMSprop":
        squares = [zeros()]

        def go(g):
            rmsprop.rmsprop(
                [p],
                [g],
                squares,
                [],
                [],
                step,
                foreach=False,
                lr=lr,
                alpha=beta2,
                eps=1e-8,
                weight_decay=0.0,
                momentum=0.0,
                centered=False,
            )

    else:  # Adam
        first, second = [zeros()], [zeros()]

        def go(g):
            adam.adam(
                [p],
                [g],
                first,
                second,
                [],
                step,
                foreach=False,
                amsgrad=False,
                beta1=beta,
                beta2=beta2,
                lr=lr,
                weight_decay=0.0,
                eps=1e-8,
                maximize=False,
            )

    return go


@lru_cache(maxsize=512)
def _cached_path(function, name, start, lr, beta, beta2, noise, steps, seed):
    """The loop of optim.run_torch(..., analytic=True), lean enough for a slider.

    No autograd and no per-step loss: the gradient comes from the function's formula,
    torch.optim's functional step moves the point, the losses of all points are
    evaluated at once at the end, and the path stops at the first point that is not
    finite or leaves the 1e6 ball (dropped if not finite).
    """
    import torch

    fn = test_function(function)
    kwargs = {"lr": lr}
    if beta is not None:
        kwargs["beta"] = beta
    if beta2 is not None:
        kwargs["beta2"] = beta2
    p = torch.tensor(start, dtype=torch.float64)
    step = torch_step(name, p, **kwargs)
    generator = torch.Generator().manual_seed(seed)
    points = np.empty((steps + 1, len(start)))
    points[0] = start
    current = p.numpy()  # shares memory with p
    diverged, last = False, steps
    with np.errstate(over="ignore", invalid="ignore"), torch.no_grad():
        for t in range(steps):
            g = torch.from_numpy(fn.grad(points[t]))
            if noise > 0:
                g += noise * torch.randn(p.shape, generator=generator, dtype=torch.float64)
            step(g)
            points[t + 1] = current
            if not np.isfinite(current).all() or np.abs(current).max() > 1e6:
                diverged, last = True, t + 1
                break
        losses = fn(points[: last + 1].T)
    keep = last + 1 if np.isfinite(losses[-1]) and np.all(np.isfinite(points[last])) else last
    lrs = np.full(keep - 1, lr)
    return optim.Trajectory(points[:keep].copy(), losses[:keep].copy(), lrs, diverged)


@lru_cache(maxsize=16)
def test_function(name: str):
    """functions.get(name), built once (the explorers ask for it on every update)."""
    return functions.get(name)


test_function.__test__ = False  # a factory, not a pytest test

# ---------------------------------------------------------------- momentum, quadratic


def momentum_path(lr, beta, mu, L, *, steps: int = 60, start=(1.0, 1.0)) -> optim.Trajectory:
    """torch's heavy ball (SGD with momentum β) on ½(mu·x₁² + L·x₂²) from `start`."""
    mu, L = rates._curvatures(mu, L)
    fn = functions.quadratic(np.diag([mu, L]), bounds=((-1.5, 1.5), (-1.5, 1.5)))
    opt = optim.SGD(lr=lr, momentum=beta) if beta > 0 else optim.SGD(lr=lr)
    return optim.run(fn, np.asarray(start, dtype=np.float64), opt, steps, max_norm=1e6)


def momentum_grid(mu, L, *, size: int = 160, beta_max: float = 0.99):
    """The (η, β) axes of the rate map for curvatures mu..L, and the map itself.

    η runs over [0, 4/L], which holds every convergent pair (momentum converges only
    for η < 2(1 + β)/L); β over [0, beta_max]. Returns (lrs, betas, rates[β, η]).
    """
    mu, L = rates._curvatures(mu, L)
    size = validate.count("size", size, minimum=2)
    lrs = np.linspace(0.0, 4.0 / L, size)
    betas = np.linspace(0.0, beta_max, size)
    return lrs, betas, rates.rate_map(lrs, betas, [mu, L])


# -------------------------------------------------------------------------- schedules

SCHEDULERS = (
    "constant",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "warmup + cosine",
    "OneCycleLR",
    "ReduceLROnPlateau",
)


def torch_scheduler(name: str, opt, *, steps: int, gamma: float, period: int, eta_min: float):
    """A real torch.optim.lr_scheduler by its explorer name, stepped once per batch.

    gamma: StepLR's and ExponentialLR's factor, ReduceLROnPlateau's `factor`.
    period: StepLR's step_size, the warmup length, OneCycleLR's rising phase,
        ReduceLROnPlateau's patience. eta_min: the floor of the cosine schedules.
    """
    from torch.optim import lr_scheduler as sch

    steps = validate.count("steps", steps, minimum=2)
    period = validate.count("period", period)
    gamma = validate.in_range("gamma", gamma, 0.0, 1.0, high_open=False)
    eta_min = validate.positive("eta_min", eta_min, allow_zero=True)
    if name == "constant":
        return sch.LambdaLR(opt, lambda t: 1.0)
    if name == "StepLR":
        return sch.StepLR(opt, step_size=period, gamma=gamma)
    if name == "ExponentialLR":
        return sch.ExponentialLR(opt, gamma=gamma)
    if name == "CosineAnnealingLR":
        return sch.CosineAnnealingLR(opt, T_max=steps, eta_min=eta_min)
    if name == "warmup + cosine":
        warm = min(period, steps - 1)
        return sch.SequentialLR(
            opt,
            [
                sch.LinearLR(opt, start_factor=0.01, total_iters=warm),
                sch.CosineAnnealingLR(opt, T_max=steps - warm, eta_min=eta_min),
            ],
            milestones=[warm],
        )
    if name == "OneCycleLR":
        lr = opt.param_groups[0]["lr"]
        pct = min(max(period / steps, 0.01), 0.99)
        return sch.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=pct)
    if name == "ReduceLROnPlateau":
        return sch.ReduceLROnPlateau(opt, factor=min(gamma, 0.99), patience=period)
    raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {name!r}")


def schedule_run(
    name: str,
    *,
    lr: float,
    steps: int = 100,
    gamma: float = 0.5,
    period: int = 30,
    eta_min: float = 0.0,
    batch_size: int = 16,
    seed: int = 0,
):
    """Train the 5-feature linear regression with torch's SGD under a scheduler.

    Mini-batches in a fixed seeded order; the scheduler is stepped after every batch
    (ReduceLROnPlateau with that batch's loss). Returns (lrs, losses): the learning rate
    each step used and the full-data MSE after it.
    """
    import torch

    Xb, y = batch_data(256, noise=0.5)
    batch_size = validate.count("batch_size", batch_size)
    steps = validate.count("steps", steps, minimum=2)
    theta = torch.zeros(Xb.shape[1], dtype=torch.float64)
    opt = torch.optim.SGD([theta], lr=validate.positive("lr", lr))
    scheduler = torch_scheduler(name, opt, steps=steps, gamma=gamma, period=period, eta_min=eta_min)
    order = np.random.default_rng(seed).integers(0, len(y), size=(steps, batch_size))
    lrs, weights = np.empty(steps), np.empty((steps, Xb.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            xb, yb = Xb[order[t]], y[order[t]]
            residual = xb @ theta.numpy() - yb
            theta.grad = torch.from_numpy(2.0 / batch_size * (xb.T @ residual))
            lrs[t] = opt.param_groups[0]["lr"]
            opt.step()
            if name == "ReduceLROnPlateau":
                scheduler.step(float(np.mean(residual**2)))
            else:
                scheduler.step()
            weights[t] = theta.numpy()
        losses = mse_of_weights(Xb, y, weights)
    return lrs, losses


# ------------------------------------------------------------------------- batch size


@lru_cache(maxsize=4)
def batch_data(n: int = 512, noise: float = 1.0, seed: int = 0):
    """The 5-feature regression (with a column of ones) the batch-size and schedule explorers
    train on; cached, since they ask for it on every update."""
    X, y = data.regression5(n, noise=noise, seed=seed)
    return np.hstack([X, np.ones((n, 1))]), y


def mse_gradient(Xb, y, w) -> np.ndarray:
    """Gradient of the mean squared error of the linear model Xb·w (Xb has the ones column)."""
    return 2.0 / len(y) * (Xb.T @ (Xb @ w - y))


def minibatch_gradients(batch_size: int, *, count: int = 150, seed: int = 0, w=None):
    """`count` gradients of mini-batches of `batch_size` distinct examples, and the full one.

    Evaluated at w (zeros by default). Each mini-batch gradient is an unbiased estimate
    of the full gradient; its spread shrinks like 1/√B. Returns (grads (count, d), full (d,)).
    """
    Xb, y = batch_data()
    n, d = Xb.shape
    batch_size = validate.count("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= {n} (the data set), got {batch_size}")
    count = validate.count("count", count)
    w = np.zeros(d) if w is None else validate.finite_array("w", w, shape=(d,))
    rng = np.random.default_rng(seed)
    rows = np.argpartition(rng.random((count, n)), batch_size - 1, axis=1)[:, :batch_size]
    residual = np.einsum("cbd,d->cb", Xb[rows], w) - y[rows]
    grads = 2.0 / batch_size * np.einsum("cbd,cb->cd", Xb[rows], residual)
    return grads, mse_gradient(Xb, y, w)


def sgd_losses(batch_size: int, lr: float, *, epochs: int = 1, seed: int = 0):
    """Mini-batch SGD on the batch explorer's data: (examples seen, full-data loss) per update."""
    Xb, y = batch_data()
    lr = validate.positive("lr", lr)
    batches = data.MiniBatches(Xb, y, batch_size=batch_size, seed=seed)
    w = np.zeros(Xb.shape[1])
    seen, weights = [0], [w]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(validate.count("epochs", epochs)):
            for xb, yb in batches:
                w = w - lr * mse_gradient(xb, yb, w)
                seen.append(seen[-1] + len(yb))
                weights.append(w)
        losses = mse_of_weights(Xb, y, np.array(weights))
    return np.array(seen), losses


def mse_of_weights(Xb, y, weights) -> np.ndarray:
    """The full-data MSE of many weight vectors (rows of `weights`) at once.

    The MSE of a linear model is the quadratic wᵀAw − 2bᵀw + c with A = XᵀX/n,
    b = Xᵀy/n, c = yᵀy/n, so each row costs d² operations instead of a pass over the data.
    """
    n = len(y)
    A, b, c = Xb.T @ Xb / n, Xb.T @ y / n, float(y @ y) / n
    return np.einsum("md,de,me->m", weights, A, weights) - 2.0 * weights @ b + c
