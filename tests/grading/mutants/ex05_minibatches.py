"""Mistaken solutions for exercises/05_minibatches.ipynb."""

import math

import torch


def slices(count, stop_of):
    """A batch iterator whose number of batches and stops come from the given rules."""

    def batch_slices(n, batch_size, drop_last):
        return [
            [i * batch_size, stop_of(i * batch_size, batch_size, n)]
            for i in range(count(n, batch_size, drop_last))
        ]

    return batch_slices


def right_count(n, batch_size, drop_last):
    return n // batch_size if drop_last else math.ceil(n / batch_size)


def right_stop(start, batch_size, n):
    return min(start + batch_size, n)


def gradient_divided_by_n(X, y, w, b, idx):
    r = X[idx] @ w + b - y[idx]
    return 2 * X[idx].T @ r / len(y), 2 * r.sum().item() / len(y)


def gradient_sum(X, y, w, b, idx):
    r = X[idx] @ w + b - y[idx]
    return 2 * X[idx].T @ r, 2 * r.sum().item()


def gradient_full(X, y, w, b, idx):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r.mean().item()


def gradient_sign(X, y, w, b, idx):
    r = y[idx] - X[idx] @ w - b  # target minus prediction
    return 2 * X[idx].T @ r / len(idx), 2 * r.mean().item()


def gradient_no_two(X, y, w, b, idx):
    w = w.clone().requires_grad_(True)
    b = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = torch.mean((X[idx] @ w + b - y[idx]) ** 2) / 2  # the ½ of some textbooks
    loss.backward()
    return w.grad, b.grad


MUTANTS = {
    "batch_slices": {
        "drops the partial batch": slices(lambda n, B, d: n // B, right_stop),
        "keeps the partial batch": slices(lambda n, B, d: math.ceil(n / B), right_stop),
        "ceil and floor swapped": slices(
            lambda n, B, d: math.ceil(n / B) if d else n // B, right_stop
        ),
        "drops a full last batch": slices(
            lambda n, B, d: (n - 1) // B if d else math.ceil(n / B), right_stop
        ),
        "n // B + 1 batches": slices(lambda n, B, d: n // B if d else n // B + 1, right_stop),
        "inclusive stop": slices(right_count, lambda s, B, n: min(s + B, n) - 1),
        "overlapping batches": slices(right_count, lambda s, B, n: min(s + B + 1, n)),
        "stop past n": slices(right_count, lambda s, B, n: s + B),
        "flat list of starts": lambda n, batch_size, drop_last: list(range(0, n, batch_size)),
    },
    "minibatch_gradient": {
        "divided by N": gradient_divided_by_n,
        "sum instead of mean": gradient_sum,
        "full data set": gradient_full,
        "sign error": gradient_sign,
        "forgot the 2": gradient_no_two,
    },
}


def batch_objects(kind):
    """The batches as slice or range objects, which the task's text invites."""

    def batch_slices(n, batch_size, drop_last):
        count = right_count(n, batch_size, drop_last)
        return [
            kind(i * batch_size, right_stop(i * batch_size, batch_size, n)) for i in range(count)
        ]

    return batch_slices


# Correct answers written another way: each must pass the public and the hidden probes.
RIGHT = {"batch_slices": {"slices": batch_objects(slice), "ranges": batch_objects(range)}}


# ---------------------------------------------------------------- gradient_variance


def variance(correction=0, fpc=True, per_batch=True, root=False):
    """A gradient_variance with the given mistakes."""

    def gradient_variance(g, batch_size):
        n, B = len(g), batch_size
        var = g.var(dim=0, correction=correction)
        if per_batch:
            var = var / B
        if fpc:
            var = var * (n - B) / (n - 1)
        return var.sqrt() if root else var

    return gradient_variance


MUTANTS["gradient_variance"] = {
    "no finite-population correction": variance(fpc=False),
    "sample variance in the formula": variance(correction=1),
    "not divided by B": variance(per_batch=False),
    "standard deviation": variance(root=True),
}


def variance_by_enumeration(g, batch_size):
    """Right, without a formula: the exact variance over every batch of B distinct rows."""
    from itertools import combinations

    means = torch.stack([g[list(c)].mean(dim=0) for c in combinations(range(len(g)), batch_size)])
    return means.var(dim=0, correction=0)


def variance_finite_population(g, batch_size):
    """Right, the survey-sampling form: S²/B · (1 − B/n) with the sample variance S²."""
    n = len(g)
    return g.var(dim=0) / batch_size * (1 - batch_size / n)


WRONG = {
    "gradient_variance": {
        # the variance of the batch SUM, not of its mean
        "variance of the sum": lambda g, B: (
            B * g.var(dim=0, correction=0) * (len(g) - B) / (len(g) - 1)
        ),
    },
}
RIGHT["gradient_variance"] = {
    "every batch": variance_by_enumeration,
    "S²/B·(1 − B/n)": variance_finite_population,
}


# ---------------------------------------------------------------- train_minibatch


def sgd_run(shuffle=True, per_batch=True, zero=True, reduction="mean", reseed=False, **more):
    """A train_minibatch with the given mistakes (more: val=False measures the held-out
    loss on the training data, generator=False seeds torch globally instead)."""
    from torch.utils.data import DataLoader, TensorDataset

    def train_minibatch(X, y, X_val, y_val, w0, b0, lr, epochs, batch_size, seed):
        def make_loader():
            if not more.get("generator", True):
                torch.manual_seed(seed)
                return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)
            generator = torch.Generator().manual_seed(seed)
            data = TensorDataset(X, y)
            return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)

        w = w0.clone().requires_grad_(True)
        b = torch.tensor(b0, dtype=w0.dtype, requires_grad=True)
        optimizer = torch.optim.SGD([w, b], lr=lr)
        loader, trajectory = make_loader(), []
        for _ in range(epochs):
            if reseed:
                loader = make_loader()
            if not per_batch:
                optimizer.zero_grad()
            for xb, yb in loader:
                if per_batch and zero:
                    optimizer.zero_grad()
                r2 = (xb @ w + b - yb) ** 2
                (r2.mean() if reduction == "mean" else r2.sum()).backward()
                if per_batch:
                    optimizer.step()
            if not per_batch:
                optimizer.step()
            trajectory.append(torch.cat([w.detach(), b.detach().reshape(1)]))
        Xv, yv = (X_val, y_val) if more.get("val", True) else (X, y)
        with torch.no_grad():
            return torch.stack(trajectory), torch.mean((Xv @ w + b - yv) ** 2).item()

    return train_minibatch


MUTANTS["train_minibatch"] = {
    "no shuffling": sgd_run(shuffle=False),
    "one step per epoch": sgd_run(per_batch=False),
    "no zero_grad": sgd_run(zero=False),
    "sum instead of mean": sgd_run(reduction="sum"),
    "generator re-seeded every epoch": sgd_run(reseed=True),
}


def sgd_with_modules(X, y, X_val, y_val, w0, b0, lr, epochs, batch_size, seed):
    """Right, with nn.Linear, nn.MSELoss and column targets."""
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    model = nn.Linear(len(w0), 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(w0.reshape(1, -1))
        model.bias.fill_(b0)
    loss_fn, optimizer = nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(
        TensorDataset(X, y.unsqueeze(1)),
        batch_size=batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    trajectory = []
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
        trajectory.append([*model.weight.detach().flatten().tolist(), model.bias.item()])
    with torch.no_grad():
        return trajectory, loss_fn(model(X_val), y_val.unsqueeze(1)).item()


def sgd_float32(X, y, X_val, y_val, w0, b0, lr, epochs, batch_size, seed):
    """Right, in float32 (accepted at the stated rtol 1e-4)."""
    f32 = [t.float() for t in (X, y, X_val, y_val, w0)]
    return sgd_run()(
        *f32, torch.tensor(b0, dtype=torch.float32).item(), lr, epochs, batch_size, seed
    )


WRONG["train_minibatch"] = {
    "held-out loss on the training data": sgd_run(val=False),
    "global seed instead of the generator": sgd_run(generator=False),
}
RIGHT["train_minibatch"] = {"nn.Linear and nn.MSELoss": sgd_with_modules, "float32": sgd_float32}
