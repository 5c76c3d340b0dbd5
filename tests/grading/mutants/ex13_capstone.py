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


MUTANTS = {
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
RIGHT = {"standardise": {"np.std": standardise_numpy, "by hand": standardise_by_hand}}
