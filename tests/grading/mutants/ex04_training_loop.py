"""Mistaken solutions for exercises/04_training_loop.ipynb."""

import torch
from torch import nn


def line_model(w, b):
    model = nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    return model


def train_x_not_a_column(x, y, w, b, lr, steps):
    model = line_model(w, b)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_zero_grad_before_step(x, y, w, b, lr, steps):
    model = line_model(w, b)
    X, Y = x.unsqueeze(1), y.unsqueeze(1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.zero_grad()  # clears the gradient the step was about to use
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_no_zero_grad(x, y, w, b, lr, steps):
    model = line_model(w, b)
    X, Y = x.unsqueeze(1), y.unsqueeze(1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_only_weight_zeroed(x, y, w, b, lr, steps):
    """The review's case: the weight's gradient cleared by hand, the bias's never."""
    model = line_model(w, b)
    X, Y = x.unsqueeze(1), y.unsqueeze(1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        if model.weight.grad is not None:
            model.weight.grad.zero_()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_default_lr(x, y, w, b, lr, steps):
    model = line_model(w, b)
    X, Y = x.unsqueeze(1), y.unsqueeze(1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters())  # lr left at its default
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_flat_target(x, y, w, b, lr, steps):
    model = line_model(w, b)
    X = x.unsqueeze(1)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)  # (N, 1) against (N,): broadcasts, with a warning
        loss.backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def linear_model(w, b):
    model = nn.Linear(len(w), 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(w.reshape(1, -1))
        model.bias.fill_(b)
    return model


def flat_gradient(model):
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def accumulate_unscaled(X, y, w, b, k):
    model = linear_model(w, b)
    loss_fn = nn.MSELoss()
    for xm, ym in zip(X.chunk(k), y.unsqueeze(1).chunk(k), strict=True):
        loss_fn(model(xm), ym).backward()
    return flat_gradient(model)


def accumulate_zero_grad_inside(X, y, w, b, k):
    model = linear_model(w, b)
    loss_fn = nn.MSELoss()
    for xm, ym in zip(X.chunk(k), y.unsqueeze(1).chunk(k), strict=True):
        model.zero_grad()
        (loss_fn(model(xm), ym) / k).backward()
    return flat_gradient(model)


def accumulate_sum(X, y, w, b, k):
    model = linear_model(w, b)
    for xm, ym in zip(X.chunk(k), y.chunk(k), strict=True):
        ((model(xm).squeeze(1) - ym) ** 2).sum().backward()
    return flat_gradient(model)


def accumulate_flat_target(X, y, w, b, k):
    model = linear_model(w, b)
    loss_fn = nn.MSELoss()
    for xm, ym in zip(X.chunk(k), y.chunk(k), strict=True):
        (loss_fn(model(xm), ym) / k).backward()
    return flat_gradient(model)


def train(x, y, w, b, lr, steps, *, dtype=torch.float64, column=1):
    model = line_model(w, b)
    X, Y = x.to(dtype).unsqueeze(column), y.to(dtype).unsqueeze(column)
    loss_fn = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(X), Y).backward()
        optimizer.step()
    return model.weight.item(), model.bias.item()


def train_closed_form(x, y, w, b, lr, steps):
    """The review's bypass: the least-squares line, no training loop."""
    A = torch.stack([x, torch.ones_like(x)], dim=1)
    solution = torch.linalg.lstsq(A, y.unsqueeze(1)).solution
    return solution[0].item(), solution[1].item()


def accumulate_full_batch(X, y, w, b, k):
    """The review's bypass: one backward() on the whole batch, which the task forbids."""
    model = nn.Linear(X.shape[1], 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(w.reshape(1, -1))
        model.bias.fill_(b)
    nn.MSELoss()(model(X), y.unsqueeze(1)).backward()
    return torch.cat([p.grad.flatten() for p in model.parameters()])


MUTANTS = {
    "train_linear": {
        "x not a column": train_x_not_a_column,
        "parameters never moved": train_zero_grad_before_step,
        "no zero_grad": train_no_zero_grad,
        "only the weight's gradient cleared": train_only_weight_zeroed,
        "default learning rate": train_default_lr,
        "target of shape (N,)": train_flat_target,
        "float32 inputs": lambda *a: train(*a, dtype=torch.float32),
    },
    "accumulated_gradient": {
        "not divided by k": accumulate_unscaled,
        "zero_grad inside the loop": accumulate_zero_grad_inside,
        "sum instead of mean": accumulate_sum,
        "target of shape (B/k,)": accumulate_flat_target,
        "the whole batch at once": accumulate_full_batch,
    },
}

# Wrong answers that no detector names: each must fail the public and the hidden probes.
WRONG = {
    "train_linear": {
        "closed form": train_closed_form,
        "ten times the steps": lambda x, y, w, b, lr, steps: train(x, y, w, b, lr, 10 * steps),
        "twice the steps": lambda x, y, w, b, lr, steps: train(x, y, w, b, lr, 2 * steps),
    },
}
