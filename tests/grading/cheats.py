"""Numerically correct solutions that use what their task forbids, one per declared entry.

CHEATS: {task id: {forbidden entry: the source of a notebook cell}}. Each cell imports what
it needs and defines the task's function with a real, working use of that entry, so
the function's answers are right and only the rule can fail it. Import styles vary on
purpose (aliases, `from` imports, helpers that hide the call).
"""

_SCHEDULE = """
import torch
from torch.optim import lr_scheduler


def _lr_after(t, base_lr, make):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make(opt)
    for _ in range(t):
        opt.step()
        scheduler.step()
    return opt.param_groups[0]["lr"]
"""

_ITERATE = """
import torch
{imports}


def iterate(x, y, w, b, lr, k):
    X, Y = torch.tensor(x), torch.tensor(y)
    w = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    for _ in range(k):
{body}
    return w.item(), b.item()
"""

_LOOP = """
import torch.optim as o


def {name}(x, y, lr, steps):
    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = o.SGD([w, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.mean((w * x + b - y) ** 2).backward()
        optimizer.step()
    return w, b
"""

_MOMENTUM = """
import torch


def {name}(params, grad, buf, lr, momentum):
    p = params.clone().requires_grad_()
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov={nesterov})
    if buf is not None:
        opt.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]
"""

_ADAM = """
from torch.optim import {cls} as Optimizer


def _state(t, m, v):
    return {{"step": torch.tensor(float(t)), "exp_avg": m.clone(), "exp_avg_sq": v.clone()}}


def {name}(params, grad, m, v, t, lr, beta1, beta2, eps{extra}):
    p = params.clone().requires_grad_()
    opt = Optimizer([p], lr=lr, betas=(beta1, beta2), eps=eps{decay})
    if t > 0:
        opt.state[p] = _state(t, m, v)
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["exp_avg"], opt.state[p]["exp_avg_sq"]
"""

_WITH_GRADS = """
import torch
{imports}


def _params(grads):
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    return params


def {name}(grads{extra}):
{body}
"""


def _norm(imports, body):
    return _WITH_GRADS.format(imports=imports, name="global_grad_norm", extra="", body=body)


def _clip(imports, body):
    return _WITH_GRADS.format(
        imports=imports, name="clip_by_global_norm", extra=", max_norm", body=body
    )


_BY_HAND_NORM = "    total = torch.sqrt(sum((g**2).sum() for g in grads))\n"
_SCALED = (
    _BY_HAND_NORM
    + "    params = _params([g * min(1.0, max_norm / (float(total) + 1e-6)) for g in grads])\n"
)

CHEATS = {
    "mse_gradients": {
        "torch.autograd": """
import torch
from torch.autograd import grad as derivative


def mse_gradients(x, y, w, b):
    w = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    loss = torch.mean((w * torch.tensor(x) + b - torch.tensor(y)) ** 2)
    dw, db = derivative(loss, (w, b))
    return dw.item(), db.item()
""",
        "torch.func": """
import torch
import torch.func as tf


def mse_gradients(x, y, w, b):
    X, Y = torch.tensor(x), torch.tensor(y)

    def loss(w, b):
        return torch.mean((w * X + b - Y) ** 2)

    w, b = torch.tensor(float(w), dtype=torch.float64), torch.tensor(float(b), dtype=torch.float64)
    dw, db = tf.grad(loss, argnums=(0, 1))(w, b)
    return dw.item(), db.item()
""",
        "backward": """
import torch


def mse_gradients(x, y, w, b):
    w = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    torch.mean((w * torch.tensor(x) + b - torch.tensor(y)) ** 2).backward()
    return w.grad.item(), b.grad.item()
""",
    },
    "gd_step": {
        "torch.optim": """
import torch
from torch import optim


def gd_step(theta, grad, lr):
    p = torch.tensor(theta, requires_grad=True)
    step = optim.SGD([p], lr=lr)
    p.grad = torch.tensor(grad)
    step.step()
    return p.detach().numpy()
""",
    },
    "iterate": {
        "torch.optim": _ITERATE.format(
            imports="from torch.optim import SGD",
            body="""        opt = SGD([w, b], lr=lr)
        r = (w * X + b - Y).detach()
        w.grad, b.grad = 2 * torch.mean(r * X), 2 * torch.mean(r)
        opt.step()""",
        ),
        "torch.autograd": _ITERATE.format(
            imports="",
            body="""        loss = torch.mean((w * X + b - Y) ** 2)
        dw, db = torch.autograd.grad(loss, (w, b))
        with torch.no_grad():
            w -= lr * dw
            b -= lr * db""",
        ),
        "torch.func": _ITERATE.format(
            imports="from torch.func import grad",
            body="""        loss = lambda w, b: torch.mean((w * X + b - Y) ** 2)  # noqa: E731
        dw, db = grad(loss, argnums=(0, 1))(w, b)
        with torch.no_grad():
            w -= lr * dw
            b -= lr * db""",
        ),
        "backward": _ITERATE.format(
            imports="",
            body="""        torch.mean((w * X + b - Y) ** 2).backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None""",
        ),
    },
    "fit_line": {"torch.optim": "import torch\n" + _LOOP.format(name="fit_line")},
    "fixed_loop": {
        "torch.optim": "import torch\n"
        + _LOOP.format(name="fixed_loop")
        .replace("(x, y, lr, steps)", "(x, y, w0, b0, lr, steps)")
        .replace("torch.zeros((), dtype", "torch.tensor(w0, dtype", 1)
        .replace("torch.zeros((), dtype", "torch.tensor(b0, dtype", 1)
    },
    "batch_slices": {
        "torch.utils.data": """
from torch.utils.data import BatchSampler, SequentialSampler


def batch_slices(n, batch_size, drop_last):
    batches = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    return [[batch[0], batch[-1] + 1] for batch in batches]
""",
    },
    "momentum_step": {"torch.optim": _MOMENTUM.format(name="momentum_step", nesterov=False)},
    "nesterov_step": {"torch.optim": _MOMENTUM.format(name="nesterov_step", nesterov=True)},
    "step_schedule": {
        "torch.optim.lr_scheduler": _SCHEDULE
        + """
def step_schedule(t, base_lr, step_size, gamma):
    return _lr_after(t, base_lr, lambda opt: lr_scheduler.StepLR(opt, step_size, gamma))
""",
    },
    "cosine_schedule": {
        "torch.optim.lr_scheduler": """
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR as Cosine


def cosine_schedule(t, base_lr, T_max, eta_min):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = Cosine(opt, T_max, eta_min)
    for _ in range(t):
        opt.step()
        scheduler.step()
    return opt.param_groups[0]["lr"]
""",
    },
    "warmup_schedule": {
        "torch.optim.lr_scheduler": _SCHEDULE
        + """
def warmup_schedule(t, base_lr, warmup_steps, start_factor):
    def make(opt):
        return torch.optim.lr_scheduler.LinearLR(opt, start_factor, 1.0, warmup_steps)

    return _lr_after(t, base_lr, make)
""",
    },
    "exponential_schedule": {
        "torch.optim.lr_scheduler": _SCHEDULE
        + """
def exponential_schedule(t, base_lr, gamma):
    return _lr_after(t, base_lr, lambda opt: getattr(lr_scheduler, "ExponentialLR")(opt, gamma))
""",
    },
    "plateau_schedule": {
        "torch.optim.lr_scheduler": """
import torch
from torch.optim.lr_scheduler import ReduceLROnPlateau as Plateau


def plateau_schedule(losses, lr, factor, patience, min_lr):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    scheduler = Plateau(opt, factor=factor, patience=patience, min_lr=min_lr)
    rates = []
    for loss in losses:
        scheduler.step(loss)
        rates.append(opt.param_groups[0]["lr"])
    return rates
""",
    },
    "one_cycle_schedule": {
        "torch.optim.lr_scheduler": _SCHEDULE
        + """
def one_cycle_schedule(t, max_lr, total_steps, pct_start, div_factor, final_div_factor):
    def make(opt):
        return lr_scheduler.OneCycleLR(
            opt, max_lr, total_steps=total_steps, pct_start=pct_start, div_factor=div_factor,
            final_div_factor=final_div_factor, cycle_momentum=False,
        )

    return _lr_after(t, max_lr, make)
""",
    },
    "warmup_cosine_lr": {
        "torch.optim.lr_scheduler": _SCHEDULE
        + """
def warmup_cosine_lr(epoch, batch, batches_per_epoch, base_lr, warmup_epochs, epochs):
    W, T = warmup_epochs * batches_per_epoch, epochs * batches_per_epoch

    def make(opt):
        warmup = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=W)
        cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=T - W)
        return lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[W])

    return _lr_after(epoch * batches_per_epoch + batch, base_lr, make)
""",
    },
    "adam_step": {
        "torch.optim": "import torch\n"
        + _ADAM.format(name="adam_step", cls="Adam", extra="", decay=""),
    },
    "adamw_step": {
        "torch.optim": "import torch\n"
        + _ADAM.format(
            name="adamw_step",
            cls="AdamW",
            extra=", weight_decay",
            decay=", weight_decay=weight_decay",
        ),
    },
    "rmsprop_step": {
        "torch.optim": """
import torch


def rmsprop_step(params, grad, v, lr, alpha, eps):
    p = params.clone().requires_grad_()
    opt = torch.optim.RMSprop([p], lr=lr, alpha=alpha, eps=eps)
    opt.state[p] = {"step": torch.tensor(1.0), "square_avg": v.clone()}
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["square_avg"]
""",
    },
    "adagrad_steps": {
        "torch.optim": """
import torch
from torch import optim as o


def adagrad_steps(params, grads, lr, lr_decay, eps, initial_accumulator_value):
    p = params.clone().requires_grad_()
    opt = o.Adagrad([p], lr, lr_decay, eps=eps, initial_accumulator_value=initial_accumulator_value)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    return p.detach(), opt.state[p]["sum"]
""",
    },
    "global_grad_norm": {
        "clip_grad_norm_": _norm(
            "from torch.nn.utils import clip_grad_norm_ as c",
            "    return float(c(_params(grads), float('inf')))",
        ),
        "clip_grad_norm": _norm(
            "import warnings",
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore')\n"
            "        return float(torch.nn.utils.clip_grad_norm(_params(grads), float('inf')))",
        ),
        "get_total_norm": _norm(
            "from torch.nn import utils", "    return float(utils.get_total_norm(grads))"
        ),
        "torch.nn.utils.clip_grad": _norm(
            "import torch.nn.utils.clip_grad as cg",
            "    return float(cg.clip_grad_norm_(_params(grads), float('inf')))",
        ),
    },
    "init_std": {
        "torch.nn.init": """
import math

from torch.nn.init import calculate_gain


def init_std(shape, scheme, nonlinearity):
    fan_out, fan_in = shape
    gain = calculate_gain(nonlinearity)
    if scheme == "xavier":
        return gain * math.sqrt(2 / (fan_in + fan_out))
    return gain / math.sqrt(fan_in)
""",
    },
    "clip_by_global_norm": {
        "clip_grad_value_": _clip(
            "",
            _SCALED + "    torch.nn.utils.clip_grad_value_(params, float('inf'))\n"
            "    return [p.grad for p in params]",
        ),
        "clip_grads_with_norm_": _clip(
            "from torch.nn.utils import clip_grads_with_norm_",
            _BY_HAND_NORM + "    params = _params(grads)\n"
            "    clip_grads_with_norm_(params, max_norm, total)\n"
            "    return [p.grad for p in params]",
        ),
        "clip_grad_norm_": _clip(
            "",
            "    params = _params(grads)\n"
            "    torch.nn.utils.clip_grad_norm_(params, max_norm)\n"
            "    return [p.grad for p in params]",
        ),
        "clip_grad_norm": _clip(
            "import warnings",
            "    params = _params(grads)\n"
            "    with warnings.catch_warnings():\n"
            "        warnings.simplefilter('ignore')\n"
            "        torch.nn.utils.clip_grad_norm(params, max_norm)\n"
            "    return [p.grad for p in params]",
        ),
        "get_total_norm": _clip(
            "",
            "    total = torch.nn.utils.get_total_norm(grads)\n"
            "    return [g * min(1.0, max_norm / (float(total) + 1e-6)) for g in grads]",
        ),
        "torch.nn.utils.clip_grad": _clip(
            "from torch.nn.utils import clip_grad",
            "    params = _params(grads)\n"
            "    clip_grad.clip_grad_norm_(params, max_norm)\n"
            "    return [p.grad for p in params]",
        ),
    },
}

_BACKPROP = """
import torch
{imports}


def backprop_by_hand(X, y, W1, b1, w2, b2):
    params = [W1.clone(), b1.clone(), w2.clone(), torch.tensor(float(b2), dtype=torch.float64)]
    for p in params:
        p.requires_grad_(True)

    def loss_of(W1, b1, w2, b2):
        return torch.mean((torch.tanh(X @ W1.T + b1) @ w2 + b2 - y) ** 2)

{body}
"""

CHEATS["backprop_by_hand"] = {
    "torch.autograd": _BACKPROP.format(
        imports="from torch import autograd",
        body="    return autograd.grad(loss_of(*params), params)",
    ),
    "torch.func": _BACKPROP.format(
        imports="from torch.func import grad",
        body="    return grad(loss_of, argnums=(0, 1, 2, 3))(*(p.detach() for p in params))",
    ),
    "backward": _BACKPROP.format(
        imports="",
        body="    loss_of(*params).backward()\n    return [p.grad for p in params]",
    ),
}

# Correct solutions that call the course's own reference code (`tasks.REFERENCE`), which
# every task rules out: {task id: (the reference module it uses, the cell's source)}.
REFERENCE_CHEATS = {
    "step_schedule": (
        "gdcourse.optim",
        """
from gdcourse.optim import step_lr


def step_schedule(t, base_lr, step_size, gamma):
    return step_lr(t, base_lr, step_size, gamma)
""",
    ),
    "cosine_schedule": (
        "gdcourse.optim",
        """
import gdcourse.optim as reference


def cosine_schedule(t, base_lr, T_max, eta_min):
    return reference.cosine_annealing_lr(t, base_lr, T_max, eta_min)
""",
    ),
}
