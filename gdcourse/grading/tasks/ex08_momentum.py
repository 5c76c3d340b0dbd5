"""Tasks of exercises/08_momentum.ipynb: momentum and Nesterov steps in torch's convention."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "08_momentum"
# the call checks that the learner's function leaves its input tensors unchanged
CALL = (
    "inputs_kept(f, ('params', 'grad', 'buf'), torch.tensor(params), torch.tensor(grad), "
    "None if buf is None else torch.tensor(buf), lr, momentum)"
)
CHANGED = Detector(
    "changed the inputs in place",
    "your function changed a tensor it was given (`params -= …`, `buf.mul_(…)`): the task "
    "asks for new tensors, so compute them (params - lr * step, momentum * buf + grad) and "
    "leave the inputs as they were.",
    error="in place: compute new tensors",
)


def _torch_step(params, grad, buf, lr, momentum, nesterov=False):
    """Oracle: one step of torch.optim.SGD; returns (new params, new momentum buffer)."""
    import torch

    p = torch.tensor(params, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=nesterov)
    if buf is not None:
        opt.state[p]["momentum_buffer"] = torch.tensor(buf, dtype=torch.float64)
    p.grad = torch.tensor(grad, dtype=torch.float64)
    opt.step()
    return [p.detach().tolist(), opt.state[p]["momentum_buffer"].tolist()]


def _arrays(params, grad, buf):
    g = np.asarray(grad, dtype=float)
    return np.asarray(params, dtype=float), g, (None if buf is None else np.asarray(buf, float))


def _dampened(params, grad, buf, lr, momentum, nesterov=False):
    """The v = βv + (1−β)g convention, applied where torch has no dampening."""
    p, g, b = _arrays(params, grad, buf)
    b = (1 - momentum) * g if b is None else momentum * b + (1 - momentum) * g
    step = g + momentum * b if nesterov else b
    return [(p - lr * step).tolist(), b.tolist()]


def _new_buffer(g, b, momentum):
    return g.copy() if b is None else momentum * b + g


def _old_buffer_update(params, grad, buf, lr, momentum):
    p, g, b = _arrays(params, grad, buf)
    new = _new_buffer(g, b, momentum)
    return [(p - lr * (g if b is None else b)).tolist(), new.tolist()]


def _velocity_convention(params, grad, buf, lr, momentum):
    """v = βv − ηg, θ = θ + v, with the given buffer taken as v."""
    p, g, b = _arrays(params, grad, buf)
    v = -lr * g if b is None else momentum * b - lr * g
    return [(p + v).tolist(), v.tolist()]


def _plain_momentum(params, grad, buf, lr, momentum):
    return _torch_step(params, grad, buf, lr, momentum, nesterov=False)


def _lookahead_applied_twice(params, grad, buf, lr, momentum):
    """Stepped from the look-ahead point θ − ηβb instead of from θ."""
    p, g, b = _arrays(params, grad, buf)
    old = np.zeros_like(g) if b is None else b
    new = _new_buffer(g, b, momentum)
    return [(p - lr * momentum * old - lr * (g + momentum * new)).tolist(), new.tolist()]


def _probe(rng, first=False):
    n = int(rng.integers(2, 5))
    return {
        "params": np.round(rng.normal(size=n), 3).tolist(),
        "grad": np.round(rng.normal(size=n), 3).tolist(),
        "buf": None if first else np.round(rng.normal(size=n), 3).tolist(),
        "lr": float(rng.choice([0.05, 0.1, 0.2])),
        "momentum": float(rng.choice([0.5, 0.8, 0.9])),
    }


PUBLIC = (
    {"params": [1.0, -2.0], "grad": [0.5, 1.0], "buf": None, "lr": 0.1, "momentum": 0.9},
    {"params": [1.0, -2.0], "grad": [0.5, 1.0], "buf": [2.0, -1.0], "lr": 0.1, "momentum": 0.9},
    {
        "params": [0.5, 0.0, 3.0],
        "grad": [-1.0, 2.0, 0.5],
        "buf": [1.0, 1.0, -2.0],
        "lr": 0.2,
        "momentum": 0.5,
    },
)


def _hidden(rng):
    return [_probe(rng, first=(i == 0)) for i in range(5)]


momentum_step = Task(
    id="momentum_step",
    exercise=EXERCISE,
    title="a momentum step in torch's convention",
    points=2,
    forbids=("torch.optim",),
    call=CALL,
    oracle=_torch_step,
    public=PUBLIC,
    hidden=_hidden,
    detectors=(
        Detector(
            "(1−β) dampening",
            "your buffer is scaled by (1 − β): that is the moving-average convention "
            "v = βv + (1 − β)g. torch.optim.SGD uses v = βv + g (no dampening), and v = g "
            "on the first step.",
            answer=_dampened,
        ),
        Detector(
            "v = βv − ηg convention",
            "you used the velocity convention v = βv − ηg, θ = θ + v. In torch's convention "
            "the buffer holds gradients: b = βb + g, then θ = θ − η·b.",
            answer=_velocity_convention,
        ),
        Detector(
            "stepped with the old buffer",
            "you moved θ with the buffer from before this step: update the buffer "
            "b = βb + g first, then step θ = θ − η·b with the new buffer.",
            answer=_old_buffer_update,
        ),
        CHANGED,
    ),
    hint="b = g if there is no buffer yet, else b = β·b + g; then θ = θ − η·b. Return "
    "(new θ, new b).",
    hints=(
        "In torch's convention, is there a (1 − β) or an η inside the buffer, and does θ move "
        "with the buffer from before this step or after it? (Lesson 08, section 2.)",
        "Torch's buffer adds up raw gradients: on the first step (buf is None) it is a copy of "
        "the gradient, after that β times the old buffer plus the gradient. Only then does θ "
        "move, by η times this NEW buffer; build new tensors instead of changing the inputs.",
        "b_new = g if buf is None, else β·buf + g; θ_new = θ − η·b_new; return (θ_new, b_new) as "
        "new tensors (no -= or mul_ on params, grad or buf).",
    ),
)


nesterov_step = Task(
    id="nesterov_step",
    exercise=EXERCISE,
    title="a Nesterov step in torch's convention",
    points=2,
    forbids=("torch.optim",),
    call=CALL,
    oracle=lambda **p: _torch_step(**p, nesterov=True),
    public=PUBLIC,
    hidden=_hidden,
    detectors=(
        Detector(
            "plain momentum",
            "that is the plain momentum step: with nesterov=True torch steps with g + β·b "
            "(the gradient plus the look-ahead part), not with b alone.",
            answer=_plain_momentum,
        ),
        Detector(
            "update applied to the look-ahead point",
            "you stepped from the look-ahead point θ − η·β·b_old as well: in torch's "
            "re-parametrisation θ already stands for the look-ahead point, so step from θ "
            "with η·(g + β·b).",
            answer=_lookahead_applied_twice,
        ),
        Detector(
            "(1−β) dampening",
            "your buffer is scaled by (1 − β): torch.optim.SGD uses b = βb + g without "
            "dampening, then steps with g + β·b when nesterov=True.",
            answer=lambda **p: _dampened(**p, nesterov=True),
        ),
        CHANGED,
    ),
    hint="first the NEW buffer, b_new = g if there is no buffer yet, else β·b + g; then "
    "θ = θ − η·(g + β·b_new), with that new buffer, not the old one. Return (new θ, b_new).",
    hints=(
        "Compared with your momentum step, what changes with nesterov=True: the buffer, the "
        "direction θ moves along, or the point it moves from? (Lesson 08, section 6.)",
        "The buffer is updated exactly as for plain momentum, without dampening. Torch's "
        "parameters already are the look-ahead points, so the step starts from θ itself, but "
        "moves along the gradient plus β times the new buffer instead of along the buffer alone.",
        "b_new = g if buf is None, else β·buf + g; θ_new = θ − η·(g + β·b_new); return "
        "(θ_new, b_new) as new tensors.",
    ),
)


# ---------------------------------------------------------------- ema_weights


def _weights(beta, k, *, scale=lambda beta: 1.0, shift=0):
    return [scale(beta) * beta ** (j + shift) for j in range(k)]


ema_weights = Task(
    id="ema_weights",
    exercise=EXERCISE,
    title="the weights of past gradients in the buffer",
    points=1,
    call="f(beta, k)",
    oracle=_weights,
    public=({"beta": 0.9, "k": 5}, {"beta": 0.5, "k": 4}),
    hidden=lambda rng: [
        {"beta": float(rng.choice([0.3, 0.6, 0.8, 0.95])), "k": int(rng.integers(2, 9))}
        for _ in range(4)
    ],
    detectors=(
        Detector(
            "moving-average weights",
            "your weights carry a factor (1 − β): that is the dampened moving average. "
            "In torch's buffer b = βb + g the gradient from j steps ago has weight β^j.",
            answer=lambda beta, k: _weights(beta, k, scale=lambda b: 1 - b),
        ),
        Detector(
            "off by one power",
            "your weights are all β times too small: the newest gradient (j = 0) enters "
            "with weight 1 = β⁰.",
            answer=lambda beta, k: _weights(beta, k, shift=1),
        ),
        Detector(
            "oldest first",
            "your weights are in the reverse order: the list starts with the NEWEST "
            "gradient g_t, whose weight is the largest, then g_(t−1), and so on.",
            answer=lambda beta, k: _weights(beta, k)[::-1],
        ),
    ),
    hint="unroll b_t = β·b_(t−1) + g_t: the gradient from j steps ago has weight β^j, "
    "for j = 0, …, k − 1.",
    hints=(
        "Unroll b_t = β·b_(t−1) + g_t by hand for two or three steps: what multiplies g_t, and "
        "what multiplies g_(t−1)? (Lesson 08, section 3.)",
        "Each step multiplies everything already in the buffer by β and adds the new gradient "
        "with weight 1 (torch has no (1 − β)). So a gradient's weight depends only on how many "
        "steps ago it arrived, and the list starts with the newest, the largest weight.",
        "The gradient from j steps ago has weight β^j, so the answer is [β⁰, β¹, …, β^(k−1)] = "
        "[1, β, β², …], k numbers.",
    ),
)

register(momentum_step, nesterov_step, ema_weights)


# ---------------------------------------------------------------- convert_momentum

# torch:    b_t = β·b_(t−1) + g_t,          θ_(t+1) = θ_t − η_t·b_t
# dampened: m_t = β·m_(t−1) + (1 − β)·g_t,  θ_(t+1) = θ_t − α_t·m_t
# velocity: v_t = μ_t·v_(t−1) − ε_t·g_t,     θ_(t+1) = θ_t + v_t
# (all buffers start at 0). The same trajectory for every gradient sequence needs
# m_t = (1 − β)·b_t, so α_t = η_t / (1 − β), and v_t = −η_t·b_t, so ε_t = η_t and
# μ_t = β·η_t / η_(t−1): a constant μ = β is right only while η is constant.


def _conversion(lrs, beta, *, damp=None, sign=1.0, ratio="now over before"):
    """Oracle (and its mutants): [α_t], [ε_t], [μ_t] that reproduce torch's trajectory.

    damp: the dampened learning rate α_t as a function of (η_t, β) (a mutant's mistake);
    sign=-1 flips ε; ratio: how μ_t follows the schedule ("constant" ignores it,
    "before over now" inverts it). μ_0 multiplies v_(−1) = 0 and is given as β.
    """
    eta = np.asarray(lrs, dtype=np.float64)
    alpha = eta / (1 - beta) if damp is None else damp(eta, beta)
    before = np.concatenate([eta[:1], eta[:-1]])
    mu = {
        "now over before": beta * eta / before,
        "before over now": beta * before / eta,
        "constant": np.full_like(eta, beta),
    }[ratio]
    return [alpha.tolist(), (sign * eta).tolist(), mu.tolist()]


def _schedule_probe(rng):
    t = int(rng.integers(4, 9))
    base = float(rng.choice([0.05, 0.1, 0.2]))
    kind = int(rng.integers(3))
    if kind == 0:  # step decay at a random step
        change = int(rng.integers(1, t))
        lrs = [base if i < change else base * 0.1 for i in range(t)]
    elif kind == 1:  # linear warm-up, then constant
        warm = int(rng.integers(2, t))
        lrs = [base * min(i + 1, warm) / warm for i in range(t)]
    else:  # an exponential decay
        gamma = float(rng.choice([0.5, 0.8, 0.9]))
        lrs = [base * gamma**i for i in range(t)]
    return {"lrs": [round(v, 8) for v in lrs], "beta": float(rng.choice([0.5, 0.8, 0.9]))}


def _conversion_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _conversion(**p, **mistake))


convert_momentum = Task(
    id="convert_momentum",
    exercise=EXERCISE,
    title="the same run in the other two momentum conventions",
    points=2,
    call="f(list(lrs), beta)",
    oracle=_conversion,
    public=(
        {"lrs": [0.1, 0.1, 0.1, 0.1], "beta": 0.9},
        {"lrs": [0.1, 0.1, 0.1, 0.01, 0.01], "beta": 0.9},
        {"lrs": [0.02, 0.04, 0.06, 0.08, 0.1], "beta": 0.5},
    ),
    hidden=lambda rng: [_schedule_probe(rng) for _ in range(4)],
    detectors=(
        _conversion_detector(
            "(1−β) dropped",
            "your dampened run takes steps (1 − β) times too small: its buffer m averages "
            "the gradients with weights (1 − β)·β^j, so m = (1 − β)·b. Divide η_t by "
            "(1 − β) to take torch's steps.",
            damp=lambda eta, beta: eta,
        ),
        _conversion_detector(
            "(1−β) multiplied",
            "your dampened learning rates are scaled the wrong way: m = (1 − β)·b is "
            "SMALLER than torch's buffer, so its learning rate must be LARGER, η_t / (1 − β).",
            damp=lambda eta, beta: eta * (1 - beta),
        ),
        _conversion_detector(
            "sign convention flipped",
            "your velocity run goes uphill: in v = μ·v − ε·g, θ = θ + v the minus sign "
            "is in the velocity, so ε_t is a positive learning rate.",
            sign=-1.0,
        ),
        _conversion_detector(
            "constant μ = β",
            "your velocity run matches torch's only while η is constant: the velocity "
            "carries the OLD learning rate inside it (v_(t−1) = −η_(t−1)·b_(t−1)), so when "
            "η changes μ_t has to rescale it to the new one.",
            ratio="constant",
        ),
        _conversion_detector(
            "η applied at the wrong time",
            "your μ_t rescales the velocity the wrong way: v_(t−1) holds η_(t−1), and it "
            "must become η_t, so the ratio is new over old, η_t / η_(t−1).",
            ratio="before over now",
        ),
    ),
    hint="your hyper-parameters do not reproduce torch's trajectory: write θ_1 and θ_2 "
    "for two steps with different η_0 and η_1 in all three conventions and match them "
    "term by term (the check's expected lists show which of the three is off).",
    hints=(
        "Do your three conventions take the same first step for the same gradient? Then let η "
        "change between two steps: which of your numbers have to follow the change? "
        "(Lesson 08, section 5.)",
        "Match the buffers, not the formulas: the dampened buffer is m_t = (1 − β)·b_t, smaller "
        "than torch's, so α_t must be larger to make up for it; the velocity is v_t = −η_t·b_t, "
        "so ε_t is the positive η_t. Since v_(t−1) carries the OLD rate η_(t−1) inside it, μ_t "
        "must rescale it to the new rate whenever η changes.",
        "α_t = η_t / (1 − β), ε_t = η_t, and μ_t = β·η_t / η_(t−1) for t ≥ 1 with μ_0 = β "
        "(so μ_t = β throughout a constant schedule).",
    ),
)

register(convert_momentum)
