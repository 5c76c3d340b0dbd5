"""Mistaken solutions for exercises/13_capstone.ipynb."""

import math

import torch


def _scale(x, mean, std):
    return (x - mean) / torch.where(std == 0, torch.ones_like(std), std)


def standardise_all_data(train, other):
    both = torch.cat([train, other])
    mean, std = both.mean(dim=0), both.std(dim=0, correction=0)
    return _scale(train, mean, std), _scale(other, mean, std)


def standardise_own_statistics(train, other):
    def own(x):
        return _scale(x, x.mean(dim=0), x.std(dim=0, correction=0))

    return own(train), own(other)


def standardise_torch_default_std(train, other):
    mean, std = train.mean(dim=0), train.std(dim=0)  # correction=1 by default
    return _scale(train, mean, std), _scale(other, mean, std)


def standardise_by_variance(train, other):
    mean, var = train.mean(dim=0), train.var(dim=0, correction=0)
    return _scale(train, mean, var), _scale(other, mean, var)


def standardise_no_centring(train, other):
    std = train.std(dim=0, correction=0)
    zero = torch.zeros_like(std)
    return _scale(train, zero, std), _scale(other, zero, std)


def accuracy_count(logits, labels):
    return (logits.argmax(dim=1) == labels).sum().item()


def accuracy_percent(logits, labels):
    return 100 * (logits.argmax(dim=1) == labels).float().mean().item()


def accuracy_error_rate(logits, labels):
    return (logits.argmax(dim=1) != labels).float().mean().item()


def accuracy_keepdim(logits, labels):
    return (logits.argmax(dim=1, keepdim=True) == labels).float().mean().item()


def accuracy_bool_mean(logits, labels):
    return (logits.argmax(dim=1) == labels).mean().item()


def accuracy_wrong_dim(logits, labels):
    return (logits.argmax(dim=0) == labels).float().mean().item()


def schedule(t, base_lr, warmup, total, start=0.1, restart=True):
    if t < warmup:
        return base_lr * (start + (1 - start) * t / warmup)
    if restart:
        return base_lr * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2
    return base_lr * (1 + math.cos(math.pi * t / total)) / 2


def lr_per_epoch(epoch, batch, n, base_lr, warmup_epochs, epochs):
    return schedule(epoch, base_lr, warmup_epochs, epochs)


def lr_one_ahead(epoch, batch, n, base_lr, warmup_epochs, epochs):
    return schedule(epoch * n + batch + 1, base_lr, warmup_epochs * n, epochs * n)


def lr_batch_only(epoch, batch, n, base_lr, warmup_epochs, epochs):
    return schedule(batch, base_lr, warmup_epochs * n, epochs * n)


def lr_warmup_from_zero(epoch, batch, n, base_lr, warmup_epochs, epochs):
    return schedule(epoch * n + batch, base_lr, warmup_epochs * n, epochs * n, start=0.0)


def lr_no_restart(epoch, batch, n, base_lr, warmup_epochs, epochs):
    return schedule(epoch * n + batch, base_lr, warmup_epochs * n, epochs * n, restart=False)


def train(model, X_train, y_train, X_val, y_val, *, how="right", epochs=30):
    """The capstone's training run, with one mistake (`how`)."""
    if how == "raw":
        mean, std = torch.zeros(X_train.shape[1]), torch.ones(X_train.shape[1])
    elif how == "all":
        both = torch.cat([X_train, X_val])
        mean, std = both.mean(dim=0), both.std(dim=0)
    else:
        mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    A, B = (X_train - mean) / std, (X_val - mean) / std
    if how == "own":
        B = (X_val - X_val.mean(dim=0)) / X_val.std(dim=0)
    targets = y_train
    if how == "leak":
        A, targets = torch.cat([A, B]), torch.cat([y_train, y_val])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(0)
    for _ in range(0 if how == "untrained" else epochs):
        model.train()
        for idx in torch.randperm(len(A), generator=generator).split(32):
            if how != "no zero_grad":
                optimizer.zero_grad()
            torch.nn.functional.mse_loss(model(A[idx]), targets[idx]).backward()
            optimizer.step()
    if how != "no eval":
        model.eval()
    with torch.no_grad():
        if how == "train loss only":
            return torch.nn.functional.mse_loss(model(A), targets).item()
        validation = torch.nn.functional.mse_loss(model(B), y_val).item()
        if how in ("train loss", "train loss only"):
            return torch.nn.functional.mse_loss(model(A), targets).item()
        return validation


def train_sgd_full_batch(model, X_train, y_train, X_val, y_val):
    """A correct variant: full-batch SGD with momentum, population std, a loop of steps."""
    mean, std = X_train.mean(dim=0), X_train.std(dim=0, correction=0)
    A = (X_train - mean) / std
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(400):
        optimizer.zero_grad(set_to_none=False)
        ((model(A) - y_train) ** 2).mean().backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        return float(((model((X_val - mean) / std) - y_val) ** 2).mean())


MUTANTS = {
    "train_and_validate": {
        "trained on the validation rows": lambda *a: train(*a, how="leak"),
        "statistics of all the data": lambda *a: train(*a, how="all"),
        "validation with its own statistics": lambda *a: train(*a, how="own"),
        "not standardised": lambda *a: train(*a, how="raw"),
        "gradients accumulated": lambda *a: train(*a, how="no zero_grad"),
        "evaluated in training mode": lambda *a: train(*a, how="no eval"),
        "returned the training loss": lambda *a: train(*a, how="train loss"),
        "evaluated on the training set": lambda *a: train(*a, how="train loss only"),
    },
    "standardise": {
        "statistics of all the data": standardise_all_data,
        "each set with its own statistics": standardise_own_statistics,
        "std with n − 1": standardise_torch_default_std,
        "divided by the variance": standardise_by_variance,
        "mean not subtracted": standardise_no_centring,
    },
    "accuracy": {
        "count, not fraction": accuracy_count,
        "percent": accuracy_percent,
        "error rate": accuracy_error_rate,
        "argmax with keepdim=True": accuracy_keepdim,
        "mean of a bool tensor": accuracy_bool_mean,
        "argmax over the wrong dimension": accuracy_wrong_dim,
    },
    "warmup_cosine_lr": {
        "stepped per epoch": lr_per_epoch,
        "one update ahead": lr_one_ahead,
        "forgot the epochs already done": lr_batch_only,
        "warmup from zero": lr_warmup_from_zero,
        "cosine not restarted after warmup": lr_no_restart,
    },
}


def standardise_numpy(train, other):
    """np.std: the review's correct answer that a constant column of 4.6s rejected."""
    a, b = train.numpy(), other.numpy()
    mean, std = a.mean(axis=0), a.std(axis=0)
    std[std == 0] = 1.0
    return (a - mean) / std, (b - mean) / std


def standardise_by_hand(train, other):
    mean = train.mean(dim=0)
    std = ((train - mean) ** 2).mean(dim=0).sqrt()
    std = torch.where(std == 0, torch.ones_like(std), std)
    return (train - mean) / std, (other - mean) / std


# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {
    "standardise": {"np.std": standardise_numpy, "by hand": standardise_by_hand},
    "train_and_validate": {"full-batch SGD with momentum": train_sgd_full_batch},
}

# Mistakes no detector names: each must still fail the check and the grading.
WRONG = {
    "train_and_validate": {
        "no training": lambda *a: train(*a, how="untrained"),
        "one epoch": lambda *a: train(*a, epochs=1),
        "a hard-coded loss": lambda *a: 0.01,
    },
}
