"""What the interactive explorers compute, as pure functions; gdcourse.widgets only draws.

Each function here answers one question an explorer asks on every slider move (which
regime is this η in, where does Adam go from here, what does this schedule do to a
training run, how spread out are mini-batch gradients of size B), fast enough to be
asked 30 times a second, and is unit-tested like the rest of the package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from . import data, functions, optim, rates, validate

__all__ = [
    "lr_regime",
    "nearest_minimum",
    "curvature_at_minimum",
    "gd_path",
    "optimizer_settings",
    "optimizer_path",
    "torch_step",
    "functional_step",
    "test_function",
    "momentum_path",
    "momentum_grid",
    "SCHEDULERS",
    "torch_scheduler",
    "schedule_data",
    "schedule_run",
    "batch_data",
    "mse_gradient",
    "minibatch_gradients",
    "minibatch_spread",
    "sgd_losses",
    "capstone_data",
    "mlp_init",
    "mlp_loss",
    "slice_losses",
    "mlp_gradient",
    "mlp_train",
    "filter_normalised_direction",
    "RESTART_FUNCTION",
    "MAX_RESTARTS",
    "RESTART_TRIALS",
    "restart_box",
    "restart_runs",
    "restart_paths",
    "best_of_restarts",
    "mse_of_weights",
    "DEEP_WIDTH",
    "DEEP_ACTIVATIONS",
    "DEEP_INITS",
    "deep_layers",
    "deep_statistics",
    "DEEP_ROUNDING",
    "deep_rounding_floor",
]

# ------------------------------------------------------------------ learning rate, 1-D


def lr_regime(lr, curvature) -> str:
    """The regime of gradient descent with step η on a quadratic of curvature λ.

    The error is multiplied by r = 1 − ηλ every step: it shrinks steadily for ηλ < 1,
    vanishes in one step at ηλ = 1, flips sign and shrinks for 1 < ηλ < 2, flips sign
    with constant size at ηλ = 2, and grows beyond. (λ, not L: L is the loss.)
    """
    lr = validate.positive("lr", lr)
    curvature = validate.positive("curvature", curvature)
    x = lr * curvature
    if np.isclose(x, 1.0, rtol=1e-9, atol=0):
        return "converges in one step (η = 1/λ)"
    if np.isclose(x, 2.0, rtol=1e-9, atol=0):
        return "oscillates forever (η = 2/λ)"
    if x < 1:
        return "converges (η < 1/λ)"
    if x < 2:
        return "oscillates, converging (1/λ < η < 2/λ)"
    return "diverges (η > 2/λ)"


def nearest_minimum(fn, point) -> np.ndarray:
    """The known minimum of `fn` closest to `point` (ValueError if it has none)."""
    if not fn.minima:
        raise ValueError(f"{fn.name} has no minimum, so no curvature to compare η with")
    point = validate.finite_array("point", point, shape=(fn.dim,))
    return min(fn.minima, key=lambda m: float(np.linalg.norm(m - point)))


def curvature_at_minimum(fn, point) -> float:
    """Largest Hessian eigenvalue at the minimum nearest `point`: the λ of the 2/λ rule there."""
    minimum = nearest_minimum(fn, point)
    return float(np.linalg.eigvalsh(fn.hessian(minimum)).max())


def gd_path(fn, start, lr, steps: int) -> optim.Trajectory:
    """Plain gradient descent from `start` (a number for 1-D functions)."""
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    return optim.run(fn, start, optim.SGD(lr=lr), steps, max_norm=1e6)


# ------------------------------------------------------------------- optimisers, 2-D


def optimizer_settings(
    name: str, *, lr, beta=0.9, beta2=0.999
) -> tuple[type[optim.Optimizer], dict]:
    """The class of the optimiser called `name` (a key of optim.OPTIMIZERS) and its arguments
    for these knob values: beta and beta2 put in where the table has optim.BETA and
    optim.BETA2. ValueError names what is wrong."""
    cls, settings = _entry(name)
    knobs = {
        optim.BETA: validate.in_range("beta", beta, 0.0, 1.0),
        optim.BETA2: validate.in_range("beta2", beta2, 0.0, 1.0),
    }
    if settings.get("nesterov") and knobs[optim.BETA] == 0:
        raise ValueError(f"{name} needs beta > 0 (torch requires momentum > 0)")
    kwargs = {key: _put_knobs(value, knobs) for key, value in settings.items()}
    return cls, {"lr": validate.positive("lr", lr), **kwargs}


def _entry(name: str) -> tuple[type[optim.Optimizer], dict]:
    """optim.OPTIMIZERS[name], or ValueError listing the names."""
    if name not in optim.OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(optim.OPTIMIZERS)}, got {name!r}")
    return optim.OPTIMIZERS[name]


def _put_knobs(value, knobs: dict):
    """A setting of the table with each knob's name replaced by its value."""
    if isinstance(value, tuple):
        return tuple(_put_knobs(v, knobs) for v in value)
    return knobs[value] if isinstance(value, str) else value


def _knobs_read(settings: dict) -> set[str]:
    """The knobs an entry of optim.OPTIMIZERS reads: the strings among its settings."""
    values = [
        v for value in settings.values() for v in (value if isinstance(value, tuple) else [value])
    ]
    return {v for v in values if isinstance(v, str)}


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
    """The path of torch.optim's `name` (a key of optim.OPTIMIZERS) on the test function
    called `function`.

    Cached on the arguments an optimiser actually reads, so moving β leaves the SGD
    and Adagrad paths alone; noise > 0 adds seeded Gaussian noise to every gradient.
    """
    reads = _knobs_read(_entry(name)[1])
    key = (
        function,
        name,
        tuple(float(v) for v in np.atleast_1d(start)),
        float(lr),
        float(beta) if optim.BETA in reads else None,
        float(beta2) if optim.BETA2 in reads else None,
        float(noise),
        int(steps),
        int(seed),
    )
    return _cached_path(*key)


def torch_step(name: str, p, *, lr: float, beta: float = 0.9, beta2: float = 0.999):
    """A function g -> None doing one step of torch.optim's `name` (a key of
    optim.OPTIMIZERS) with these knob values on the tensor p in place: functional_step
    with the settings of optimizer_settings(name, ...)."""
    cls, kwargs = optimizer_settings(name, lr=lr, beta=beta, beta2=beta2)
    return functional_step(cls(**kwargs), p)


def functional_step(s: optim.Optimizer, p):
    """A function g -> None doing one step of the torch.optim class that `s` mirrors, with
    s's settings (all of them: s is a reference optimiser, used only for its settings),
    on the tensor p in place.

    It calls torch.optim's own functional implementation (torch.optim.sgd.sgd,
    adagrad.adagrad, rmsprop.rmsprop, adam.adam: the code the optimiser classes run in
    their step()), by keyword, with the state the class would keep, without the per-call
    hooks and profiling of Optimizer.step, which cost more than the arithmetic on a
    2-vector. tests/learn/test_explore.py checks it against the classes step for step.
    """
    import torch
    from torch.optim import adagrad, adam, rmsprop, sgd

    cls = type(s)
    zeros = lambda: torch.zeros_like(p)  # noqa: E731
    steps = [torch.tensor(0.0, dtype=p.dtype)]  # the step count, which torch keeps in a tensor
    # For each class: its function, the name it gives the gradients, the state the class
    # keeps (lists torch updates in place), and the settings besides lr, weight_decay and
    # maximize, which all four take.
    if cls is optim.SGD:
        call, grads = sgd.sgd, "d_p_list"
        state = {"momentum_buffer_list": [None]}
        settings = {"momentum": s.momentum, "dampening": s.dampening, "nesterov": s.nesterov}
    elif cls is optim.Adagrad:
        call, grads = adagrad.adagrad, "grads"
        state = {
            "state_sums": [torch.full_like(p, s.initial_accumulator_value)],
            "state_steps": steps,
        }
        settings = {"lr_decay": s.lr_decay, "eps": s.eps}
    elif cls is optim.RMSprop:
        call, grads = rmsprop.rmsprop, "grads"
        state = {
            "square_avgs": [zeros()],
            "grad_avgs": [zeros()] if s.centered else [],
            "momentum_buffer_list": [zeros()] if s.momentum > 0 else [],
            "state_steps": steps,
        }
        settings = {"alpha": s.alpha, "eps": s.eps, "momentum": s.momentum, "centered": s.centered}
    elif cls is optim.Adam:
        call, grads = adam.adam, "grads"
        state = {
            "exp_avgs": [zeros()],
            "exp_avg_sqs": [zeros()],
            "max_exp_avg_sqs": [zeros()] if s.amsgrad else [],
            "state_steps": steps,
        }
        beta1, beta2 = s.betas
        settings = {"amsgrad": s.amsgrad, "beta1": beta1, "beta2": beta2, "eps": s.eps}
    else:
        raise ValueError(f"functional_step has no functional call for {cls.__name__}")
    kwargs = {"params": [p], "foreach": False, "lr": s.lr, "weight_decay": s.weight_decay}
    kwargs |= {"maximize": s.maximize, **state, **settings}

    def go(g):
        call(**kwargs, **{grads: [g]})

    return go


@lru_cache(maxsize=512)
def _cached_path(function, name, start, lr, beta, beta2, noise, steps, seed):
    """optimizer_path's work: optim.run_steps with torch_step moving the point.

    The gradient comes from the function's formula (fn.gradient), as in
    optim.run_torch(..., analytic=True), with the same seeded noise; torch_step replaces
    the optimiser object, whose step() costs more than the arithmetic on a 2-vector.
    """
    import torch

    fn = test_function(function)
    knobs = {"lr": lr}
    if beta is not None:
        knobs["beta"] = beta
    if beta2 is not None:
        knobs["beta2"] = beta2
    p = torch.tensor(start, dtype=torch.float64)
    step = torch_step(name, p, **knobs)
    generator = torch.Generator().manual_seed(seed)
    current = p.numpy()  # shares memory with p

    def take_step(t, point):
        g = torch.from_numpy(fn.gradient(point))
        if noise > 0:
            g += noise * torch.randn(p.shape, generator=generator, dtype=torch.float64)
        step(g)
        return lr, current.copy()

    with torch.no_grad():
        return optim.run_steps(fn, np.array(start), take_step, steps, max_norm=1e6)


@lru_cache(maxsize=16)
def test_function(name: str):
    """functions.get(name), built once (the explorers ask for it on every update)."""
    return functions.get(name)


test_function.__test__ = False  # a factory, not a pytest test

# ---------------------------------------------------------------- momentum, quadratic


def momentum_path(lr, beta, mu, L, *, steps: int = 60, start=(1.0, 1.0)) -> optim.Trajectory:
    """torch's heavy ball (SGD with momentum β) on ½(mu·x₁² + L·x₂²) from `start`."""
    mu, L = validate.curvatures(mu, L)
    fn = functions.quadratic(np.diag([mu, L]), bounds=((-1.5, 1.5), (-1.5, 1.5)))
    opt = optim.SGD(lr=lr, momentum=beta) if beta > 0 else optim.SGD(lr=lr)
    return optim.run(fn, np.asarray(start, dtype=np.float64), opt, steps, max_norm=1e6)


def momentum_grid(mu, L, *, size: int = 160, beta_max: float = 0.99):
    """The (η, β) axes of the rate map for curvatures mu..L, and the map itself.

    η runs over [0, 4/L], which holds every convergent pair (momentum converges only
    for η < 2(1 + β)/L); β over [0, beta_max]. Returns (lrs, betas, rates[β, η]).
    """
    mu, L = validate.curvatures(mu, L)
    size = validate.count("size", size, minimum=2)
    lrs = np.linspace(0.0, 4.0 / L, size)
    betas = np.linspace(0.0, beta_max, size)
    return lrs, betas, rates.rate_map(lrs, betas, [mu, L])


# -------------------------------------------------------------------------- schedules


def _warmup_cosine(sch, opt, k):
    """LinearLR from 1 % up for `period` steps (at most steps − 1), then a cosine to eta_min."""
    warm = min(k["period"], k["steps"] - 1)
    return sch.SequentialLR(
        opt,
        [
            sch.LinearLR(opt, start_factor=0.01, total_iters=warm),
            sch.CosineAnnealingLR(opt, T_max=k["steps"] - warm, eta_min=k["eta_min"]),
        ],
        milestones=[warm],
    )


def _one_cycle(sch, opt, k):
    """OneCycleLR peaking at the optimiser's lr after `period` steps (1 % to 99 % of the run)."""
    pct = min(max(k["period"] / k["steps"], 0.01), 0.99)
    lr = opt.param_groups[0]["lr"]
    return sch.OneCycleLR(opt, max_lr=lr, total_steps=k["steps"], pct_start=pct)


# The schedules the schedule explorer offers, each named once with its settings: the knobs
# it reads, and a function (torch.optim.lr_scheduler, optimizer, knobs) -> the scheduler.
# The knobs: gamma is StepLR's and ExponentialLR's factor, ReduceLROnPlateau's `factor`;
# period is StepLR's step_size, the warm-up length, OneCycleLR's rising phase,
# ReduceLROnPlateau's patience; eta_min is the floor of the cosine schedules; steps, the
# length of the run, is always given.
SCHEDULERS: dict[str, tuple[tuple[str, ...], Callable]] = {
    "constant": ((), lambda sch, opt, k: sch.LambdaLR(opt, lambda t: 1.0)),
    "StepLR": (
        ("gamma", "period"),
        lambda sch, opt, k: sch.StepLR(opt, step_size=k["period"], gamma=k["gamma"]),
    ),
    "ExponentialLR": (("gamma",), lambda sch, opt, k: sch.ExponentialLR(opt, gamma=k["gamma"])),
    "CosineAnnealingLR": (
        ("eta_min",),
        lambda sch, opt, k: sch.CosineAnnealingLR(opt, T_max=k["steps"], eta_min=k["eta_min"]),
    ),
    "warmup + cosine": (("period", "eta_min"), _warmup_cosine),
    "OneCycleLR": (("period",), _one_cycle),
    "ReduceLROnPlateau": (
        ("gamma", "period"),
        lambda sch, opt, k: sch.ReduceLROnPlateau(
            opt, factor=min(k["gamma"], 0.99), patience=k["period"]
        ),
    ),
}


def torch_scheduler(name: str, opt, *, steps: int, gamma: float, period: int, eta_min: float):
    """A real torch.optim.lr_scheduler by its explorer name (a key of SCHEDULERS), stepped
    once per batch, with the knob values given (those it does not read are still checked)."""
    from torch.optim import lr_scheduler

    if name not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {name!r}")
    knobs = {
        "steps": validate.count("steps", steps, minimum=2),
        "period": validate.count("period", period),
        "gamma": validate.in_range("gamma", gamma, 0.0, 1.0, high_open=False),
        "eta_min": validate.positive("eta_min", eta_min, allow_zero=True),
    }
    _, build = SCHEDULERS[name]
    return build(lr_scheduler, opt, knobs)


@lru_cache(maxsize=1)
def schedule_data():
    """Lesson 09's training problem, for the schedule explorer: (Xb, y, w*, L*).

    `data.regression5(n=500)` with a column of ones for the bias, its least-squares
    weights w* and loss L*, the lowest full-data MSE any linear model reaches; cached,
    since the explorer asks for it on every update.
    """
    X, y = data.regression5(500)
    Xb = np.hstack([X, np.ones((len(y), 1))])
    w_star, *_ = np.linalg.lstsq(Xb, y, rcond=None)
    return Xb, y, w_star, float(np.mean((Xb @ w_star - y) ** 2))


def schedule_run(
    name: str,
    *,
    lr: float,
    steps: int = 100,
    gamma: float = 0.5,
    period: int = 30,
    eta_min: float = 0.0,
    batch_size: int = 50,
    momentum: float = 0.5,
    seed: int = 0,
):
    """Lesson 09's run under a scheduler: its linear regression, torch's SGD with momentum.

    The lesson's data (`schedule_data`), batches and momentum: mini-batches of 50 from
    `data.MiniBatches` (reshuffled every epoch, seed 0), β = 0.5, starting from zero
    weights (the lesson starts from nn.Linear's random ones). The scheduler is stepped
    after every batch, ReduceLROnPlateau with that batch's loss. Returns (lrs, excess):
    the learning rate each step used and the full-data excess loss L − L* after it.

    Introduced in lesson 09.
    """
    import torch

    Xb, y, w_star, _ = schedule_data()
    batch_size = validate.count("batch_size", batch_size)
    steps = validate.count("steps", steps, minimum=2)
    theta = torch.zeros(Xb.shape[1], dtype=torch.float64)
    opt = torch.optim.SGD(
        [theta],
        lr=validate.positive("lr", lr),
        momentum=validate.in_range("momentum", momentum, 0.0, 1.0),
    )
    scheduler = torch_scheduler(name, opt, steps=steps, gamma=gamma, period=period, eta_min=eta_min)
    batches = data.MiniBatches(Xb, y, batch_size=batch_size, seed=seed)
    lrs, weights = np.empty(steps), np.empty((steps, Xb.shape[1]))
    t = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while t < steps:
            for xb, yb in batches:
                residual = xb @ theta.numpy() - yb
                theta.grad = torch.from_numpy(2.0 / len(yb) * (xb.T @ residual))
                lrs[t] = opt.param_groups[0]["lr"]
                opt.step()
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(float(np.mean(residual**2)))
                else:
                    scheduler.step()
                weights[t] = theta.numpy()
                t += 1
                if t == steps:
                    break
        # L(w) − L* = (w − w*)ᵀ A (w − w*) with A = XᵀX/n: no cancellation against L*
        error = weights - w_star
        excess = np.einsum("md,de,me->m", error, Xb.T @ Xb / len(y), error)
    return lrs, excess


# ------------------------------------------------------------------------- batch size


@lru_cache(maxsize=4)
def batch_data(n: int = 512, noise: float = 1.0, seed: int = 0):
    """The 5-feature regression (with a column of ones) the batch-size explorer samples
    gradients from (n = 512, noise 1.0: other data than lesson 05's, as the lesson says);
    cached, since the explorer asks for it on every update."""
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


def minibatch_spread(batch_size: int, *, w=None) -> float:
    """The rms distance of a mini-batch gradient from the full one, by the formula.

    Batches of B distinct examples out of n give E‖g_B − ∇L‖² = σ²/B · (n − B)/(n − 1),
    with σ² the spread of the per-example gradients: 1/√B for small batches, then the
    finite-population factor pulls it down to exactly 0 at B = n (every batch is the whole
    data set). Evaluated at w (zeros by default), like `minibatch_gradients`.
    """
    Xb, y = batch_data()
    n, d = Xb.shape
    batch_size = validate.count("batch_size", batch_size)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= {n} (the data set), got {batch_size}")
    w = np.zeros(d) if w is None else validate.finite_array("w", w, shape=(d,))
    per_example = 2.0 * (Xb @ w - y)[:, None] * Xb
    sigma2 = float(np.mean(np.sum((per_example - per_example.mean(axis=0)) ** 2, axis=1)))
    return float(np.sqrt(sigma2 / batch_size * (n - batch_size) / (n - 1)))


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


# --- lesson 12: deep gradients

DEEP_WIDTH = 32
"""The width of lesson 12's hidden blocks."""

DEEP_ACTIVATIONS = ("tanh", "sigmoid", "ReLU")
"""The activations the depth/initialisation explorer offers, as lesson 12 names them."""

DEEP_INITS = {
    "N(0, 0.01²): too small": lambda fan_in, fan_out: 0.01,
    "default (nn.Linear)": None,
    "Xavier": lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)),
    "Kaiming": lambda fan_in, fan_out: np.sqrt(2.0 / fan_in),
    "N(0, 1): too large": lambda fan_in, fan_out: 1.0,
}
"""Initialisations of the hidden blocks, smallest weights first, by name: the standard
deviation of normal weights as a function of (fan_in, fan_out), with zero biases (as
lesson 12's `Block` does), or None for what `nn.Linear` does by itself (weights and
biases uniform on ±1/√fan_in)."""


def _deep_phi(activation: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """φ(z) and φ′(z); ReLU′(0) is 0, as in torch."""
    if activation == "tanh":
        h = np.tanh(z)
        return h, 1.0 - h * h
    if activation == "sigmoid":
        h = 0.5 * (1.0 + np.tanh(0.5 * z))  # σ(z) without overflow in exp for large |z|
        return h, h * (1.0 - h)
    return np.maximum(z, 0.0), (z > 0).astype(z.dtype)


def deep_layers(depth: int, init: str, *, width: int = DEEP_WIDTH, seed: int = 0, inputs: int = 5):
    """The weights [(W, b), ...] of lesson 12's network, as float64 numpy arrays.

    Built exactly as the lesson's `deep_net(act, init, seed=seed)` builds it, so that the
    explorer at depth 20 shows the lesson's own networks: torch.manual_seed(seed), then
    `depth` blocks nn.Linear(width, width) re-initialised by `init` (a key of DEEP_INITS:
    normal weights and zero biases, or nn.Linear's own uniform ones), then the first
    layer nn.Linear(inputs, width) and the last nn.Linear(width, 1). Torch's global
    random state is restored afterwards. W has nn.Linear's shape (fan_out, fan_in).
    """
    import torch

    depth = validate.count("depth", depth)
    width = validate.count("width", width)
    if init not in DEEP_INITS:
        raise ValueError(f"init must be one of {list(DEEP_INITS)}, got {init!r}")
    scale = DEEP_INITS[init]
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        blocks = []
        for _ in range(depth):
            linear = torch.nn.Linear(width, width, dtype=torch.float64)
            if scale is not None:
                linear.weight.normal_(0.0, scale(width, width))
                linear.bias.zero_()
            blocks.append(linear)
        first = torch.nn.Linear(inputs, width, dtype=torch.float64)
        last = torch.nn.Linear(width, 1, dtype=torch.float64)
        return [(m.weight.numpy().copy(), m.bias.numpy().copy()) for m in (first, *blocks, last)]


def deep_statistics(
    depth: int, init: str, activation: str, *, width: int = DEEP_WIDTH, seed: int = 0
):
    """One forward and backward pass of the MSE loss of lesson 12's network on its batch
    (data.regression5, n = 64, seed 0), by hand in float64; returns (spread, grad, loss).

    spread[l-1]: how much block l's output h_l varies with the input, the standard
    deviation over the 64 examples of each unit, root mean square over the units (a unit
    that ignores the input, however large, adds nothing); grad[l-1]: ‖∂L/∂W_l‖ of block
    l's weights, what an optimiser sees. Both for l = 1 … depth. Cached: the explorer asks
    again whenever a slider comes back to a value. Introduced in lesson 12.
    """
    return _deep_pass(depth, init, activation, width, seed)[:3]


DEEP_ROUNDING = 1e-13
"""A spread of h_l below this fraction of the largest |h_l| is float64 rounding, not the
network: float64 keeps about 16 significant digits, so an input-dependent part that much
smaller than h_l itself is rounded away (1e-13 leaves a margin above that)."""


def deep_rounding_floor(
    depth: int, init: str, activation: str, *, width: int = DEEP_WIDTH, seed: int = 0
) -> np.ndarray:
    """DEEP_ROUNDING · max|h_l| for blocks l = 1 … depth of deep_statistics' network: a
    spread below it is lost to rounding and only bounded by it, not measured (lesson 12's
    explorer prints such a spread as "< floor")."""
    return DEEP_ROUNDING * _deep_pass(depth, init, activation, width, seed)[3]


@lru_cache(maxsize=512)
def _deep_pass(depth: int, init: str, activation: str, width: int, seed: int):
    """deep_statistics' (spread, grad, loss) and max|h_l| of each block, cached."""
    if activation not in DEEP_ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(DEEP_ACTIVATIONS)}, got {activation!r}")
    X, y = data.regression5(n=64, seed=0)
    layers = deep_layers(depth, init, width=width, seed=seed, inputs=X.shape[1])
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        W, b = layers[0]
        h = X @ W.T + b
        inputs, slopes = [], []
        for W, b in layers[1:-1]:
            inputs.append(h)
            h, slope = _deep_phi(activation, h @ W.T + b)
            slopes.append(slope)
        outputs = inputs[1:] + [h]
        W, b = layers[-1]
        residual = (h @ W.T + b)[:, 0] - y
        loss = float(np.mean(residual**2))
        signal = (2.0 / len(y)) * residual[:, None] @ W  # ∂L/∂h_D
        grad = np.empty(depth)
        for l in range(depth - 1, -1, -1):
            delta = signal * slopes[l]  # ∂L/∂z_l
            grad[l] = np.linalg.norm(delta.T @ inputs[l])
            signal = delta @ layers[l + 1][0]
        spread = np.array([np.sqrt(np.mean(np.var(h, axis=0))) for h in outputs])
        size = np.array([np.abs(h).max() for h in outputs])
    for values in (spread, grad, size):
        values.setflags(write=False)
    return spread, grad, loss, size


# --- lesson 11: loss landscapes


@lru_cache(maxsize=1)
def capstone_data():
    """Lesson 13's digits, split and standardised as the capstone does, in float64.

    scikit-learn's 1797 handwritten digits (8 × 8 grey levels, 64 features), read from the
    copy of `digits.csv.gz` that scikit-learn ships, with NumPy (importing scikit-learn
    costs about a second, more than everything else lesson 11 does with the data). The
    capstone's split: a permutation with seed 0, the first 360 images for testing, the
    next 360 held out for validation, the other 1077 for training; every pixel
    standardised with the training images' mean and standard deviation (1 where a pixel
    is blank in all of them). Returns (X_train, y_train, X_val, y_val); cached.

    Introduced in lesson 11.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the digits need scikit-learn installed (its data file)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",")
    X, y = table[:, :-1], table[:, -1].astype(np.int64)
    order = np.random.default_rng(0).permutation(len(X))
    val, train = order[360:720], order[720:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X[train] - mean) / std, y[train], (X[val] - mean) / std, y[val]


def mlp_init(sizes=(64, 64, 10), *, seed: int = 0) -> list[np.ndarray]:
    """Weights [W₁, b₁, W₂, b₂, ...] of a ReLU network with these layer sizes, drawn as
    torch.nn.Linear draws them: every weight and bias uniform on ±1/√(inputs of the layer).
    W has shape (outputs, inputs), as in torch. Introduced in lesson 11."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = 1.0 / np.sqrt(n_in)
        params += [rng.uniform(-bound, bound, (n_out, n_in)), rng.uniform(-bound, bound, n_out)]
    return params


def mlp_loss(params, X, y) -> float:
    """Mean cross-entropy of the ReLU network `params` ([W₁, b₁, W₂, b₂, ...], W of shape
    (outputs, inputs) as in torch) on (X, y): what nn.Sequential(Linear, ReLU, ..., Linear)
    and cross_entropy compute."""
    zero = [np.zeros_like(p, dtype=np.float64) for p in params]
    return float(slice_losses(params, [zero], np.zeros(1), X, y))


def slice_losses(base, directions, coefficients, X, y, *, chunk: int = 32) -> np.ndarray:
    """The mean cross-entropy of the ReLU network base + Σₖ cₖ·directions[k] for every row
    c of `coefficients` (shape (..., K), K directions): a loss along a line or over a
    plane through weight space, in one vectorised pass.

    The first layer's pre-activations are linear in c, X·(W + Σ cₖDₖ)ᵀ = X·Wᵀ + Σ cₖ X·Dₖᵀ,
    so they cost K + 1 matrix products in all, not one per point; the later layers run
    for `chunk` points at a time as batched matrix products. Returns an array of shape
    (...). Introduced in lesson 11.
    """
    base = [np.asarray(p, dtype=np.float64) for p in base]
    directions = [[np.asarray(p, dtype=np.float64) for p in d] for d in directions]
    coefficients = np.asarray(coefficients, dtype=np.float64)
    if coefficients.shape[-1:] != (len(directions),):
        raise ValueError(
            f"coefficients must end in an axis of {len(directions)} (one per direction), "
            f"got shape {coefficients.shape}"
        )
    lead = coefficients.shape[:-1]
    c = coefficients.reshape(-1, len(directions))
    # first layer: the data times the base weights and times each direction, once
    parts = [X @ base[0].T + base[1]] + [X @ d[0].T + d[1] for d in directions]
    rows = np.arange(len(y))
    out = np.empty(len(c))
    for start in range(0, len(c), chunk):
        cc = c[start : start + chunk]  # (m, K)
        h = parts[0] + np.einsum(
            "mk,knj->mnj", cc, np.array(parts[1:]).reshape(-1, *parts[0].shape)
        )
        for i in range(2, len(base), 2):
            h = np.maximum(h, 0.0)
            W = base[i] + np.einsum(
                "mk,kij->mij", cc, np.array([d[i] for d in directions]).reshape(-1, *base[i].shape)
            )
            b = base[i + 1] + cc @ np.array([d[i + 1] for d in directions]).reshape(
                -1, *base[i + 1].shape
            )
            h = h @ np.ascontiguousarray(W.swapaxes(-1, -2)) + b[:, None, :]
        top = h.max(axis=-1, keepdims=True)
        log_z = top[..., 0] + np.log(np.exp(h - top).sum(axis=-1))
        out[start : start + chunk] = np.mean(log_z - h[:, rows, y], axis=-1)
    return out.reshape(lead)


def mlp_gradient(params, X, y) -> tuple[float, list[np.ndarray]]:
    """The mean cross-entropy of one ReLU network on (X, y) and its gradient, by backprop:
    what loss.backward() gives for nn.Sequential(Linear, ReLU, ..., Linear) and
    cross_entropy (mlp_train's step). Introduced in lesson 11."""
    hs = [X]
    for i in range(0, len(params), 2):
        z = hs[-1] @ params[i].T + params[i + 1]
        hs.append(np.maximum(z, 0.0) if i + 2 < len(params) else z)
    logits = hs.pop()
    top = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - top)
    softmax = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = float(np.mean(np.log(e.sum(axis=1)) + top[:, 0] - logits[rows, y]))
    delta = softmax
    delta[rows, y] -= 1.0
    delta /= len(y)
    grads = [None] * len(params)
    for i in range(len(params) - 2, -1, -2):
        h = hs[i // 2]
        grads[i], grads[i + 1] = delta.T @ h, delta.sum(axis=0)
        if i > 0:
            delta = (delta @ params[i]) * (h > 0)
    return loss, grads


def mlp_train(
    params,
    X,
    y,
    *,
    lr: float,
    momentum: float = 0.9,
    batch_size: int = 32,
    epochs: int = 1,
    seed: int = 0,
) -> list[np.ndarray]:
    """The network after `epochs` of mini-batch SGD with momentum (torch.optim.SGD's rule:
    b ← βb + g, θ ← θ − ηb), batches from data.MiniBatches (reshuffled every epoch);
    `params` is left alone. Introduced in lesson 11."""
    lr = validate.positive("lr", lr)
    momentum = validate.in_range("momentum", momentum, 0.0, 1.0)
    params = [np.array(p, dtype=np.float64) for p in params]
    buffers = [np.zeros_like(p) for p in params]
    batches = data.MiniBatches(X, y, batch_size=batch_size, seed=seed)
    for _ in range(validate.count("epochs", epochs)):
        for xb, yb in batches:
            _, grads = mlp_gradient(params, xb, yb)
            for p, b, g in zip(params, buffers, grads, strict=True):
                b *= momentum
                b += g
                p -= lr * b
    return params


def filter_normalised_direction(params, *, seed: int = 0) -> list[np.ndarray]:
    """A random direction in weight space scaled like `params`, after Li et al. (2018).

    Gaussian entries; then each row of each weight matrix (one neuron's incoming weights,
    a filter in a convolutional net) is rescaled to the norm of the same row of the
    weights, and the biases' part is zero, as in their plots. A step of 1 along it thus
    changes every neuron by as much as its own size, which makes slices of networks with
    different weight scales comparable. Introduced in lesson 11.
    """
    rng = np.random.default_rng(seed)
    direction = []
    for p in params:
        p = np.asarray(p, dtype=np.float64)
        if p.ndim < 2:
            direction.append(np.zeros_like(p))
            continue
        d = rng.standard_normal(p.shape)
        scale = np.linalg.norm(p, axis=-1, keepdims=True) / np.linalg.norm(
            d, axis=-1, keepdims=True
        )
        direction.append(d * scale)
    return direction


# The restart explorer's function, its number of random starts per trial and of trials.
RESTART_FUNCTION, MAX_RESTARTS, RESTART_TRIALS = "several_minima", 16, 64


def restart_box(spread):
    """The square the restart explorer draws starts from: within `spread` of the shallowest
    minimum of several_minima in each coordinate, cut to the plotted square. Returns
    (lo, hi), two 2-vectors."""
    fn = test_function(RESTART_FUNCTION)
    spread = validate.positive("spread", spread)
    centre = max(fn.minima, key=lambda m: float(fn(m)))
    bounds = np.array(fn.bounds)
    return np.maximum(centre - spread, bounds[:, 0]), np.minimum(centre + spread, bounds[:, 1])


@lru_cache(maxsize=64)
def restart_runs(spread: float, lr: float, *, steps: int = 200, seed: int = 0):
    """Random restarts of gradient descent on several_minima, all run at once.

    RESTART_TRIALS trials of MAX_RESTARTS starts each, uniform in `restart_box(spread)`
    (the same uniform numbers for every spread, so the starts move smoothly with the
    slider), at most `steps` steps of plain gradient descent with step `lr` each; a run
    whose step has fallen below 1e-9 is stopped there (its loss is then within about
    1e-16 of the minimum's), which makes an update several times cheaper.
    Returns (starts (2, trials, restarts), basin (trials, restarts): the index in
    fn.minima of the minimum each run ends nearest to, losses (trials, restarts): its
    final loss), read-only. Cached: an explorer asks again on every slider move.

    Introduced in lesson 11.
    """
    fn = test_function(RESTART_FUNCTION)
    lr = validate.positive("lr", lr)
    lo, hi = restart_box(spread)
    u = np.random.default_rng(seed).random((2, RESTART_TRIALS, MAX_RESTARTS))
    starts = lo[:, None, None] + (hi - lo)[:, None, None] * u
    points = starts.reshape(2, -1).copy()
    active, moving = np.arange(points.shape[1]), points
    for t in range(validate.count("steps", steps)):
        step = lr * fn.gradient_formula(moving)
        moving = moving - step
        if t % 10 == 9:  # every 10 steps, put aside the runs that have stopped moving
            points[:, active] = moving
            still = np.abs(step).max(axis=0) > 1e-9
            active, moving = active[still], moving[:, still]
            if not active.size:
                break
    points[:, active] = moving
    points = points.reshape(starts.shape)
    minima = np.array(fn.minima)
    distance = np.linalg.norm(points[None] - minima[:, :, None, None], axis=1)
    basin, losses = distance.argmin(axis=0), fn.value(points)
    for array in (starts, basin, losses):
        array.setflags(write=False)  # cached: shared by every caller
    return starts, basin, losses


@lru_cache(maxsize=64)
def restart_paths(spread: float, lr: float, *, steps: int = 60) -> np.ndarray:
    """The first `steps` steps of the first trial's runs of `restart_runs(spread, lr)`, for
    drawing: shape (steps + 1, 2, MAX_RESTARTS), the starts first; read-only, cached."""
    fn = test_function(RESTART_FUNCTION)
    starts = restart_runs(spread, lr)[0][:, 0, :]
    path = [starts]
    for _ in range(validate.count("steps", steps)):
        path.append(path[-1] - lr * fn.gradient_formula(path[-1]))
    path = np.array(path)
    path.setflags(write=False)
    return path


def best_of_restarts(losses) -> np.ndarray:
    """The lowest loss among the first k runs of each trial, for k = 1, 2, ...: what
    keeping the best of k restarts finds. Shape (trials, restarts), like `losses`."""
    return np.minimum.accumulate(np.asarray(losses, dtype=np.float64), axis=1)
