"""NumPy reference optimisers, learning-rate schedules and a trajectory runner, and the
table of the optimisers the course compares by name (`OPTIMIZERS`).

Each optimiser and schedule is a short, readable copy of its torch.optim counterpart,
written so a learner can read every line; the tests check them against torch to 1e-6.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import validate

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "BETA",
    "BETA2",
    "OPTIMIZERS",
    "step_lr",
    "exponential_lr",
    "cosine_annealing_lr",
    "linear_warmup",
    "warmup_cosine",
    "one_cycle_lr",
    "schedule_values",
    "Trajectory",
    "run_steps",
    "run",
    "run_torch",
]

# ---------------------------------------------------------------------------- optimisers


def _decayed_grad(params, grad, weight_decay: float, maximize: bool) -> np.ndarray:
    """The first lines of every torch optimiser: flip the sign to maximise, add L2 decay."""
    grad = -grad if maximize else grad
    if weight_decay != 0:
        grad = grad + weight_decay * params
    return grad


class Optimizer:
    """What every optimiser here shares: a public `lr` (schedules change it between steps),
    weight decay, maximize, a `state` dict, and `step(params, grad)`; subclasses write
    `_update`, the rule itself."""

    def __init__(self, lr, weight_decay, maximize):
        self.lr = validate.positive("lr", lr)
        self.weight_decay = validate.positive("weight_decay", weight_decay, allow_zero=True)
        self.maximize = bool(maximize)
        self.state: dict = {}

    def step(self, params: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """Return the new parameters after one step with gradient `grad` (inputs unchanged)."""
        params = np.asarray(params, dtype=np.float64)
        grad = np.asarray(grad, dtype=np.float64)
        if grad.shape != params.shape:
            raise ValueError(f"grad must have shape {params.shape} like params, got {grad.shape}")
        self.state["step"] = self.state.get("step", 0) + 1
        return self._update(params, grad)

    def _update(self, params, grad):
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "state")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum, like torch.optim.SGD.

    Introduced in lesson 08.
    """

    def __init__(self, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
        super().__init__(lr, weight_decay, maximize)
        self.momentum = validate.positive("momentum", momentum, allow_zero=True)
        self.dampening = validate.in_range("dampening", dampening, 0.0, 1.0, high_open=False)
        self.nesterov = bool(nesterov)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov=True requires momentum > 0 and dampening == 0, "
                f"got momentum={momentum!r}, dampening={dampening!r}"
            )

    def _update(self, params, grad):
        grad = _decayed_grad(params, grad, self.weight_decay, self.maximize)
        if self.momentum != 0:
            # The first step copies the gradient (no dampening); later steps average it in.
            buf = self.state.get("momentum_buffer")
            damped = (1 - self.dampening) * grad
            buf = grad.copy() if buf is None else self.momentum * buf + damped
            self.state["momentum_buffer"] = buf
            grad = grad + self.momentum * buf if self.nesterov else buf
        return params - self.lr * grad


class Adagrad(Optimizer):
    """Steps scaled by 1/sqrt(sum of all squared gradients so far), like torch.optim.Adagrad.

    Introduced in lesson 10.
    """

    def __init__(
        self,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        maximize=False,
    ):
        super().__init__(lr, weight_decay, maximize)
        self.lr_decay = validate.positive("lr_decay", lr_decay, allow_zero=True)
        self.initial_accumulator_value = validate.positive(
            "initial_accumulator_value", initial_accumulator_value, allow_zero=True
        )
        self.eps = validate.positive("eps", eps, allow_zero=True)

    def _update(self, params, grad):
        step = self.state["step"]
        grad = _decayed_grad(params, grad, self.weight_decay, self.maximize)
        clr = self.lr / (1 + (step - 1) * self.lr_decay)
        total = self.state.get("sum", np.full_like(params, self.initial_accumulator_value))
        total = total + grad * grad
        self.state["sum"] = total
        return params - clr * (grad / (np.sqrt(total) + self.eps))


class RMSprop(Optimizer):
    """Steps scaled by 1/sqrt(running mean of squared gradients), like torch.optim.RMSprop.

    Introduced in lesson 10.
    """

    def __init__(
        self,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        maximize=False,
    ):
        super().__init__(lr, weight_decay, maximize)
        self.alpha = validate.in_range("alpha", alpha, 0.0, 1.0, high_open=False)
        self.eps = validate.positive("eps", eps, allow_zero=True)
        self.momentum = validate.positive("momentum", momentum, allow_zero=True)
        self.centered = bool(centered)

    def _update(self, params, grad):
        grad = _decayed_grad(params, grad, self.weight_decay, self.maximize)
        alpha, zeros = self.alpha, np.zeros_like(params)
        square_avg = alpha * self.state.get("square_avg", zeros) + (1 - alpha) * grad * grad
        self.state["square_avg"] = square_avg
        if self.centered:  # subtract the squared mean gradient: a running variance
            grad_avg = self.state.get("grad_avg", zeros)
            grad_avg = grad_avg + (1 - alpha) * (grad - grad_avg)
            self.state["grad_avg"] = grad_avg
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            avg = np.sqrt(square_avg) + self.eps
        if self.momentum > 0:
            buf = self.momentum * self.state.get("momentum_buffer", zeros) + grad / avg
            self.state["momentum_buffer"] = buf
            return params - self.lr * buf
        return params - self.lr * (grad / avg)


class Adam(Optimizer):
    """Momentum divided by the root of a running mean of squared gradients (torch.optim.Adam).

    bias_correction=False (not in torch) skips dividing both moments by 1 - beta**step,
    so lessons can show what the correction does: both moments start at zero, and without
    it the first steps are mis-scaled (with the default betas, several times too large).

    Introduced in lesson 10.
    """

    _decoupled = False  # AdamW sets this: decay the weights directly, not through the gradient

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        maximize=False,
        bias_correction=True,
    ):
        super().__init__(lr, weight_decay, maximize)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            validate.in_range("betas[0]", betas[0], 0.0, 1.0),
            validate.in_range("betas[1]", betas[1], 0.0, 1.0),
        )
        self.eps = validate.positive("eps", eps, allow_zero=True)
        self.amsgrad = bool(amsgrad)
        self.bias_correction = bool(bias_correction)

    def _update(self, params, grad):
        (beta1, beta2), step, zeros = self.betas, self.state["step"], np.zeros_like(params)
        decay = 0 if self._decoupled else self.weight_decay
        grad = _decayed_grad(params, grad, decay, self.maximize)
        if self._decoupled:  # AdamW: shrink the weights themselves
            params = params * (1 - self.lr * self.weight_decay)
        exp_avg = self.state.get("exp_avg", zeros)
        exp_avg = exp_avg + (1 - beta1) * (grad - exp_avg)
        exp_avg_sq = beta2 * self.state.get("exp_avg_sq", zeros) + (1 - beta2) * grad * grad
        self.state.update(exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
        if self.bias_correction:
            bias_correction1, bias_correction2 = 1 - beta1**step, 1 - beta2**step
        else:
            bias_correction1, bias_correction2 = 1.0, 1.0
        if self.amsgrad:  # normalise by the largest second moment seen so far
            exp_avg_sq = np.maximum(self.state.get("max_exp_avg_sq", zeros), exp_avg_sq)
            self.state["max_exp_avg_sq"] = exp_avg_sq
        denom = np.sqrt(exp_avg_sq) / bias_correction2**0.5 + self.eps
        return params - (self.lr / bias_correction1) * (exp_avg / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: params shrink by lr·weight_decay each step.

    Introduced in lesson 10.
    """

    _decoupled = True

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        maximize=False,
    ):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, maximize)


# --------------------------------------------------------------------- optimisers by name
# The optimisers the course sets side by side (lesson 10's explorer), each named once with
# its settings: its class (here, and the torch.optim class of the same name) and its
# arguments besides lr. BETA and BETA2 stand for the explorer's two knobs, the only strings
# in the table: β (SGD's momentum, Adam's β₁) and β₂ (how slowly the average of g² moves:
# RMSprop's alpha, Adam's β₂). Every other argument keeps its default, torch's.

BETA, BETA2 = "beta", "beta2"

OPTIMIZERS: dict[str, tuple[type[Optimizer], dict]] = {
    "SGD": (SGD, {}),
    "momentum": (SGD, {"momentum": BETA}),
    "Nesterov": (SGD, {"momentum": BETA, "nesterov": True}),
    "Adagrad": (Adagrad, {}),
    "RMSprop": (RMSprop, {"alpha": BETA2}),
    "Adam": (Adam, {"betas": (BETA, BETA2)}),
}


# ----------------------------------------------------------------------------- schedules
# Each gives the learning rate in force at step t = the number of scheduler.step() calls
# so far (torch's `last_epoch`), in closed form.


def _factor(name: str, value) -> float:
    """A multiplicative factor in (0, 1], as torch's LinearLR requires."""
    value = validate.positive(name, value)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")
    return value


def step_lr(t: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """StepLR: multiply by gamma every step_size steps.

    Introduced in lesson 09.
    """
    t, step_size = validate.count("t", t, minimum=0), validate.count("step_size", step_size)
    validate.positive("base_lr", base_lr)
    validate.positive("gamma", gamma)
    return base_lr * gamma ** (t // step_size)


def exponential_lr(t: int, base_lr: float, gamma: float) -> float:
    """ExponentialLR: multiply by gamma every step.

    Introduced in lesson 09.
    """
    t = validate.count("t", t, minimum=0)
    validate.positive("base_lr", base_lr)
    validate.positive("gamma", gamma)
    return base_lr * gamma**t


def cosine_annealing_lr(t: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """CosineAnnealingLR: half a cosine from base_lr down to eta_min over T_max steps.

    Past T_max the cosine carries on, back up to base_lr at 2·T_max, as torch's does.
    Torch updates the rate recursively; this closed form agrees with it to ~1e-15.

    Introduced in lesson 09.
    """
    t, T_max = validate.count("t", t, minimum=0), validate.count("T_max", T_max)
    validate.positive("base_lr", base_lr)
    validate.positive("eta_min", eta_min, allow_zero=True)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def linear_warmup(t: int, base_lr: float, warmup_steps: int, start_factor: float = 0.1) -> float:
    """Linear ramp from start_factor·base_lr to base_lr over warmup_steps, then constant.

    Equals LinearLR(start_factor=start_factor, end_factor=1.0, total_iters=warmup_steps).

    Introduced in lesson 09.
    """
    t = validate.count("t", t, minimum=0)
    warmup_steps = validate.count("warmup_steps", warmup_steps)
    validate.positive("base_lr", base_lr)
    start_factor = _factor("start_factor", start_factor)
    return base_lr * (start_factor + (1 - start_factor) * min(warmup_steps, t) / warmup_steps)


def warmup_cosine(
    t: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 0.1,
    eta_min: float = 0.0,
) -> float:
    """Linear warm-up for warmup_steps, then cosine annealing until total_steps.

    Equals SequentialLR([LinearLR(start_factor, 1.0, warmup_steps),
    CosineAnnealingLR(T_max=total_steps - warmup_steps, eta_min)], milestones=[warmup_steps]):
    at the milestone torch restarts the cosine at its step 0, i.e. exactly base_lr.

    Introduced in lesson 09.
    """
    warmup_steps = validate.count("warmup_steps", warmup_steps)
    total_steps = validate.count("total_steps", total_steps)
    if total_steps <= warmup_steps:
        raise ValueError(
            f"total_steps must be > warmup_steps={warmup_steps}, got total_steps={total_steps}"
        )
    _factor("start_factor", start_factor)
    if validate.count("t", t, minimum=0) < warmup_steps:
        return linear_warmup(t, base_lr, warmup_steps, start_factor)
    return cosine_annealing_lr(t - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)


def one_cycle_lr(
    t: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> float:
    """OneCycleLR: warm up from max_lr/div_factor to max_lr, then anneal far below the start.

    Defined for t = 0 … total_steps, like torch (which raises after that).

    Introduced in lesson 09.
    """
    total_steps = validate.count("total_steps", total_steps)
    t = validate.count("t", t, minimum=0)
    if t > total_steps:
        raise ValueError(f"t must be <= total_steps={total_steps}, got {t}")
    pct_start = validate.in_range("pct_start", pct_start, 0.0, 1.0)
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
    max_lr = validate.positive("max_lr", max_lr)
    initial_lr = max_lr / validate.positive("div_factor", div_factor)
    min_lr = initial_lr / validate.positive("final_div_factor", final_div_factor)

    # Phases as (last step, lr at its start, lr at its end), exactly as torch lays them out.
    phases = [(pct_start * total_steps - 1, initial_lr, max_lr)]
    if three_phase:
        phases.append((2 * pct_start * total_steps - 2, max_lr, initial_lr))
        phases.append((total_steps - 1, initial_lr, min_lr))
    else:
        phases.append((total_steps - 1, max_lr, min_lr))
    ends = [0.0] + [end for end, _, _ in phases]
    if any(b <= a for a, b in zip(ends, ends[1:], strict=False)):
        raise ValueError(
            f"pct_start={pct_start} and total_steps={total_steps} leave a phase with no steps "
            "(need pct_start * total_steps > 1, and < (total_steps + 1) / 2 with three_phase)"
        )
    start = 0.0
    for i, (end, lr_start, lr_end) in enumerate(phases):
        if t <= end or i == len(phases) - 1:
            pct = (t - start) / (end - start)
            if anneal_strategy == "cos":
                return lr_end + (lr_start - lr_end) / 2.0 * (math.cos(math.pi * pct) + 1)
            return (lr_end - lr_start) * pct + lr_start
        start = end
    raise AssertionError("unreachable")


def schedule_values(fn: Callable[..., float], steps: int, **kwargs) -> np.ndarray:
    """The rates fn(t, **kwargs) for t = 0 … steps-1, e.g. to plot a schedule.

    Introduced in lesson 09.
    """
    steps = validate.count("steps", steps)
    return np.array([fn(t, **kwargs) for t in range(steps)], dtype=np.float64)


# ---------------------------------------------------------------------------- trajectories


@dataclass(frozen=True, eq=False)
class Trajectory:
    """The path of an optimiser: n steps give n+1 points, their losses and n learning rates.

    Introduced in lesson 08, as what run() returns.
    """

    points: np.ndarray  # (n+1, dim), the start first
    losses: np.ndarray  # (n+1,), the loss at each point
    lrs: np.ndarray  # (n,), the learning rate used by each step
    diverged: bool  # stopped early: loss not finite or the point beyond max_norm

    @property
    def final(self) -> np.ndarray:
        """The last point reached."""
        return self.points[-1]


def _check_run(fn, start, noise, seed) -> np.ndarray:
    """Validate noise, seed and start for run() and run_torch() (run_steps checks the rest,
    start again); return start as float64."""
    validate.positive("noise", noise, allow_zero=True)
    validate.count("seed", seed, minimum=0)
    return validate.finite_array("start", start, shape=(fn.dim,))


def run_steps(fn, start, take_step: Callable, steps: int, *, max_norm: float = 1e8) -> Trajectory:
    """The loop of run() and run_torch(): take_step(t, p) -> (lr, new p), called up to
    `steps` times from `start`, recording the path.

    Stops at the first point whose loss is not finite or whose norm exceeds max_norm.
    That point is kept when it and its loss are finite (so a plot shows the jump away)
    and dropped otherwise (inf and nan cannot be drawn). take_step must return a new
    array each time, not one it changes in place.
    """
    start = validate.finite_array("start", start, shape=(fn.dim,))
    validate.count("steps", steps)
    validate.positive("max_norm", max_norm)
    points, losses, lrs = [start], [float(fn(start))], []
    diverged, p = False, start
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected, not warned
        for t in range(steps):
            lr, p = take_step(t, p)
            loss = float(fn(p))
            norm = math.sqrt(p.dot(p))  # np.linalg.norm(p), faster; finite iff every p[i] is
            finite = math.isfinite(loss) and (math.isfinite(norm) or bool(np.isfinite(p).all()))
            diverged = not (finite and norm <= max_norm)
            if finite:
                points.append(p)
                losses.append(loss)
                lrs.append(lr)
            if diverged:
                break
    return Trajectory(np.array(points), np.array(losses), np.array(lrs, dtype=np.float64), diverged)


def run(
    fn,
    start,
    optimizer: Optimizer,
    steps: int,
    *,
    schedule: Callable[[int], float] | None = None,
    noise: float = 0.0,
    seed: int = 0,
    max_norm: float = 1e8,
) -> Trajectory:
    """Minimise fn from start with a reference optimiser, using fn.gradient.

    schedule(t), if given, sets optimizer.lr before step t; noise > 0 adds Gaussian noise
    of that standard deviation to each gradient (seeded) to imitate mini-batch gradients.

    Introduced in lesson 08.
    """
    start = _check_run(fn, start, noise, seed)
    rng = np.random.default_rng(seed)

    def take_step(t, p):
        if schedule is not None:
            optimizer.lr = schedule(t)
        grad = fn.gradient(p)
        if noise > 0:
            grad = grad + noise * rng.standard_normal(p.shape)
        return optimizer.lr, optimizer.step(p, grad)

    return run_steps(fn, start, take_step, steps, max_norm=max_norm)


def run_torch(
    fn,
    start,
    make_optimizer: Callable,
    steps: int,
    *,
    make_scheduler: Callable | None = None,
    noise: float = 0.0,
    seed: int = 0,
    max_norm: float = 1e8,
    analytic: bool = False,
) -> Trajectory:
    """The same loop as run() with a real torch.optim optimiser and autograd.

    make_optimizer([p]) builds the optimiser, e.g. lambda ps: torch.optim.Adam(ps, lr=0.1);
    make_scheduler(opt), if given, builds a scheduler stepped once after each step.
    analytic=True sets p.grad from fn.gradient instead of calling backward(): the same
    numbers, several times faster.

    Introduced in lesson 08.
    """
    import torch  # here, so that importing gdcourse.optim stays cheap

    start = _check_run(fn, start, noise, seed)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p])
    scheduler = make_scheduler(opt) if make_scheduler is not None else None
    generator = torch.Generator().manual_seed(seed)

    def take_step(t, _):
        lr = float(opt.param_groups[0]["lr"])
        if analytic:  # replaces .grad outright, so there is nothing to zero
            p.grad = torch.from_numpy(fn.gradient(p.detach().numpy()))
        else:
            opt.zero_grad()
            fn(p).backward()
        if noise > 0:
            with torch.no_grad():
                p.grad += noise * torch.randn(p.shape, generator=generator, dtype=torch.float64)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        return lr, p.detach().numpy().copy()

    return run_steps(fn, start, take_step, steps, max_norm=max_norm)
