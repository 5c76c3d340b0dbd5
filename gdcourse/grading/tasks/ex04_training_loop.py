"""Tasks of exercises/04_training_loop.ipynb: the canonical loop, gradient accumulation."""

from __future__ import annotations

import warnings

import numpy as np

from . import Detector, Task, register
from .comparisons import matches_run_loss

EXERCISE = "04_training_loop"


# ---------------------------------------------------------------- train_linear


def _train(x, y, w, b, lr, steps, *, zero_grad=True, step=True, column_target=True):
    """Oracle (and its mutants): the canonical loop with nn.Linear, nn.MSELoss, optim.SGD.

    Returns the trained [w, b]. The model starts from the given w and b, so there is
    no randomness; float64 throughout.
    """
    import torch
    from torch import nn

    X = torch.tensor(x, dtype=torch.float64).unsqueeze(1)
    Y = torch.tensor(y, dtype=torch.float64)
    if column_target:
        Y = Y.unsqueeze(1)
    model = nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        if zero_grad == "weight":  # only the weight's gradient cleared
            model.weight.grad = None
        elif zero_grad:
            optimizer.zero_grad()
        with warnings.catch_warnings():  # the (N,) target's broadcasting warning
            warnings.simplefilter("ignore")
            loss = loss_fn(model(X), Y)
        loss.backward()
        if step:
            optimizer.step()
    return [model.weight.item(), model.bias.item()]


def _line_probe(rng):
    n = int(rng.integers(4, 9))
    x = np.round(rng.uniform(-1.5, 1.5, n), 2)
    slope, intercept = float(rng.choice([-2.0, -1.0, 1.5, 2.0, 3.0])), float(rng.normal())
    return {
        "x": x.tolist(),
        "y": np.round(slope * x + intercept + rng.normal(0, 0.2, n), 2).tolist(),
        "w": round(float(rng.normal()), 2),
        "b": round(float(rng.normal()), 2),
        # a short run, far from the best line: a closed form or more steps is rejected
        "lr": float(rng.choice([0.02, 0.05])),
        "steps": int(rng.integers(5, 11)),
    }


train_linear = Task(
    id="train_linear",
    exercise=EXERCISE,
    title="a short training run that reaches a target loss",
    points=3,
    call="f(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), "
    "w, b, lr, steps)",
    oracle=_train,
    public=(
        {
            "x": [0.0, 1.0, 2.0, 3.0],
            "y": [1.2, 2.8, 5.1, 7.0],
            "w": 0.0,
            "b": 0.0,
            "lr": 0.02,
            "steps": 10,
        },
        {
            "x": [-1.0, -0.5, 0.5, 1.0, 1.5],
            "y": [-1.1, 0.2, 1.8, 3.2, 3.9],
            "w": 1.0,
            "b": -1.0,
            "lr": 0.05,
            "steps": 8,
        },
        {"x": [1.0, 2.0], "y": [2.0, 4.0], "w": 0.0, "b": 0.0, "lr": 0.05, "steps": 10},
    ),
    hidden=lambda rng: [_line_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "x not a column",
            "the model got inputs of the wrong shape: nn.Linear(1, 1) expects a batch of "
            "rows of shape (N, 1), one row per example. Make x a column with x.unsqueeze(1) "
            "(not x.unsqueeze(0), which is one row of N numbers), and the target too.",
            error="mat1 and mat2 shapes cannot be multiplied",
        ),
        Detector(
            "float32 inputs",
            "the model is float64 and your inputs float32 (.float() or dtype=torch.float32): "
            "keep x's dtype, X = x.unsqueeze(1), so that every tensor is float64.",
            error="must have the same dtype",
        ),
        Detector(
            "parameters never moved",
            "your (w, b) are the starting values: the parameters never moved. Call "
            "optimizer.step() after loss.backward() in every step, and never zero_grad() "
            "between backward() and step().",
            answer=lambda **p: _train(**p, step=False),
        ),
        Detector(
            "no zero_grad",
            "your run matches the loop without optimizer.zero_grad(): backward() adds to "
            ".grad, so every step used the sum of all gradients so far. Clear the "
            "gradients at the start of every step.",
            answer=lambda **p: _train(**p, zero_grad=False),
        ),
        Detector(
            "only the weight's gradient cleared",
            "your run matches a loop that clears the weight's gradient but not the bias's: "
            "the bias then steps with the sum of all its gradients so far. "
            "optimizer.zero_grad() clears every parameter the optimizer holds.",
            answer=lambda **p: _train(**p, zero_grad="weight"),
        ),
        Detector(
            "default learning rate",
            "your run matches η = 0.001, the default of torch.optim.SGD: pass the learning "
            "rate, torch.optim.SGD(model.parameters(), lr=lr).",
            answer=lambda **p: _train(**{**p, "lr": 1e-3}),
        ),
        Detector(
            "target of shape (N,)",
            "your run fitted a flat line through the mean of y: the prediction has shape "
            "(N, 1) and the target (N,), so nn.MSELoss broadcast them to an N × N table. "
            "Make the target a column too: y.unsqueeze(1).",
            answer=lambda **p: _train(**p, column_target=False),
        ),
    ),
    hints=(
        "Are both the inputs and the targets columns of shape (N, 1), and does each of the "
        "`steps` turns clear the gradients, call backward() and then step()? Lesson 04's "
        "section 'The training loop' has the loop to compare with.",
        "nn.Linear and nn.MSELoss work on a batch of rows, one per example, for the prediction "
        "and for the target alike: a flat target broadcasts into an N × N table. Give "
        "torch.optim.SGD the model's parameters and lr (its default is not yours), and clear "
        "the gradients at the start of every step.",
        "X = x.unsqueeze(1), Y = y.unsqueeze(1), the optimiser "
        "torch.optim.SGD(model.parameters(), lr=lr); then `steps` times: zero_grad(), the "
        "nn.MSELoss() of model(X) against Y, backward(), step().",
    ),
    hint="your trained (w, b) do not reach the loss of the correct run: a higher loss means "
    "a step is missing or wrong, a much lower one that the run was not the `steps` steps of "
    "SGD with learning rate lr asked for. Check the loop against the list above.",
    compare=matches_run_loss,
    # the learner's first torch.optim.SGD imports torch._dynamo: seconds on a slow machine
    seconds=15.0,
)


# ---------------------------------------------------------------- accumulated_gradient


def _gradient(X, y, w, b, k, *, mode="batch"):
    """Oracle (and its mutants): the gradient of the MSE, as one flat vector (w…, b).

    The oracle is autograd on the whole batch at once; the mutants accumulate over k
    micro-batches with a mistake in the loop.
    """
    import torch
    from torch import nn

    Xt = torch.tensor(X, dtype=torch.float64)
    Yt = torch.tensor(y, dtype=torch.float64).unsqueeze(1)
    model = nn.Linear(Xt.shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(w, dtype=torch.float64).reshape(1, -1))
        model.bias.fill_(b)
    loss_fn = nn.MSELoss(reduction="sum" if mode == "sum" else "mean")
    if mode == "batch":
        loss_fn(model(Xt), Yt).backward()
        return torch.cat([p.grad.flatten() for p in model.parameters()]).tolist()
    for xm, ym in zip(Xt.chunk(k), Yt.chunk(k), strict=True):
        if mode == "zero_grad inside":
            model.zero_grad()
        if mode == "flat target":
            ym = ym.squeeze(1)
        with warnings.catch_warnings():  # the flat target's broadcasting warning
            warnings.simplefilter("ignore")
            loss = loss_fn(model(xm), ym)
        (loss if mode in ("unscaled", "sum") else loss / k).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()]).tolist()


def _batch_probe(rng):
    d = int(rng.integers(1, 4))
    k, size = int(rng.choice([2, 3, 4])), int(rng.choice([2, 3, 5]))
    B = k * size
    X = np.round(rng.normal(size=(B, d)), 2)
    w_true = rng.normal(size=d)
    return {
        "X": X.tolist(),
        "y": np.round(X @ w_true + rng.normal() + rng.normal(0, 0.3, B), 2).tolist(),
        "w": np.round(rng.normal(size=d), 2).tolist(),
        "b": round(float(rng.normal()), 2),
        "k": k,
    }


accumulated_gradient = Task(
    id="accumulated_gradient",
    exercise=EXERCISE,
    title="k micro-batches equal one large batch",
    points=2,
    # the call checks that no forward pass saw the whole batch (collect.whole_batches)
    call="whole_batches(f, torch.tensor(X, dtype=torch.float64), "
    "torch.tensor(y, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), b, k=k)",
    oracle=_gradient,
    public=(
        {
            "X": [[1.0, 0.0], [0.5, 2.0], [-1.0, 1.0], [2.0, -0.5], [0.0, 1.5], [1.5, 1.0]],
            "y": [1.0, 3.0, -0.5, 2.5, 1.0, 4.0],
            "w": [0.5, -0.5],
            "b": 0.0,
            "k": 3,
        },
        {
            "X": [[1.0], [2.0], [3.0], [4.0], [-1.0], [0.0], [0.5], [2.5]],
            "y": [3.0, 5.0, 7.5, 9.0, -1.0, 1.0, 2.0, 6.0],
            "w": [1.0],
            "b": 0.5,
            "k": 2,
        },
    ),
    hidden=lambda rng: [_batch_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "not divided by k",
            "your gradient is k times too large: each micro-batch loss is already a mean, "
            "so divide it by k before backward() (the k pieces must average, not add up).",
            answer=lambda **p: _gradient(**p, mode="unscaled"),
        ),
        Detector(
            "zero_grad inside the loop",
            "only the last micro-batch's gradient survived: zero_grad() inside the loop "
            "throws away what the earlier micro-batches accumulated. Clear .grad once, "
            "before the loop.",
            answer=lambda **p: _gradient(**p, mode="zero_grad inside"),
        ),
        Detector(
            "sum instead of mean",
            "your gradient is B times too large (B = the number of examples): you summed "
            "the squared errors. Use the mean, nn.MSELoss(), on each micro-batch and "
            "divide it by k.",
            answer=lambda **p: _gradient(**p, mode="sum"),
        ),
        Detector(
            "target of shape (B/k,)",
            "the prediction has shape (n, 1) and your target (n,), so nn.MSELoss broadcast "
            "them to an n × n table: make the target a column, y.unsqueeze(1).",
            answer=lambda **p: _gradient(**p, mode="flat target"),
        ),
        Detector(
            "the whole batch at once",
            "your model saw the whole batch in one forward pass: the task is the "
            "accumulation, one forward and one backward() per micro-batch of X.chunk(k), "
            "each loss divided by k.",
            error="the whole batch in one forward pass",
        ),
    ),
    hints=(
        "Each micro-batch's nn.MSELoss() is already a mean over its own examples: what do k of "
        "them add up to? And how often should .grad be cleared? Lesson 04's section "
        "'Deliberate accumulation: k micro-batches equal one large batch' works through it.",
        "Since backward() adds to .grad, clear it once, before the loop, and let the k "
        "micro-batches add up. The mean over the whole batch is the average of the k "
        "micro-batch means, so each micro-batch's loss is divided by k before its backward().",
        "Clear the gradients once; for each pair of X.chunk(k) and y.chunk(k): the "
        "nn.MSELoss() of the model's prediction against the targets as a column "
        "(unsqueeze(1)), divided by k, then backward(). What .grad holds at the end is the "
        "large batch's gradient.",
    ),
    hint="your accumulated gradient is not the large batch's: check that .grad is cleared "
    "once before the loop, that every micro-batch of X.chunk(k) gets its own backward(), and "
    "how each micro-batch's loss is scaled so the k pieces add up to the mean.",
)

register(train_linear, accumulated_gradient)
