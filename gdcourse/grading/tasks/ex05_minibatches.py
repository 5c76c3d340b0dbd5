"""Tasks of exercises/05_minibatches.ipynb: the batches of an epoch, and one batch's gradient."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "05_minibatches"


# ---------------------------------------------------------------- batch_slices

# The learner returns a list of [start, stop) pairs (or slices, or ranges); the call turns
# it into its text, e.g. "[[0, 4], [4, 8], [8, 10]]" (collect.batch_pairs). A mistake in
# the number of batches changes the length of the list, and as text it is still compared
# (and its detector still fires) instead of being reported only as "the answer has the
# wrong shape".
SLICES_CALL = "batch_pairs(f(n, batch_size, drop_last), n)"


def _loader_slices(n, batch_size, drop_last):
    """[first, last + 1] of each batch a DataLoader over range(n) yields, without shuffling."""
    from torch.utils.data import DataLoader

    loader = DataLoader(range(n), batch_size=batch_size, shuffle=False, drop_last=drop_last)
    return [[int(batch[0]), int(batch[-1]) + 1] for batch in loader]


def _slices(n, batch_size, drop_last, *, mistake=None):
    """Oracle (and its mutants): the DataLoader's batches as text, with one mistake put in."""
    if mistake == "always drop":
        drop_last = True
    elif mistake == "always keep":
        drop_last = False
    elif mistake == "swapped":
        drop_last = not drop_last
    pairs = _loader_slices(n, batch_size, drop_last)
    if mistake == "inclusive stop":
        pairs = [[start, stop - 1] for start, stop in pairs]
    elif mistake == "overlap":
        pairs = [[start, min(stop + 1, n)] for start, stop in pairs]
    elif mistake == "unclipped":
        pairs = [[start, start + batch_size] for start, _ in pairs]
    elif mistake == "n // B + 1" and not drop_last and n % batch_size == 0:
        pairs.append([n, n])
    elif mistake == "drop full last" and drop_last and n % batch_size == 0:
        pairs = pairs[:-1]
    return str(pairs)


def _slices_probe(rng, kind):
    """kind: (B divides n, drop_last), the four cases that tell the mistakes apart."""
    batch_size = int(rng.integers(2, 6))
    divisible, drop_last = kind
    count = int(rng.integers(2, 4))
    n = batch_size * count + (0 if divisible else int(rng.integers(1, batch_size)))
    return {"n": n, "batch_size": batch_size, "drop_last": drop_last}


SLICES_KINDS = ((True, True), (True, False), (False, True), (False, False))


def _slices_detector(name, hint, mistake):
    return Detector(name, hint, answer=lambda **p: _slices(**p, mistake=mistake))


batch_slices = Task(
    id="batch_slices",
    exercise=EXERCISE,
    title="the batches of one epoch",
    points=2,
    forbids=("torch.utils.data",),
    call=SLICES_CALL,
    oracle=_slices,
    public=(
        {"n": 10, "batch_size": 4, "drop_last": False},
        {"n": 10, "batch_size": 4, "drop_last": True},
        {"n": 6, "batch_size": 3, "drop_last": False},
        {"n": 7, "batch_size": 3, "drop_last": True},
        {"n": 6, "batch_size": 3, "drop_last": True},
    ),
    hidden=lambda rng: [_slices_probe(rng, SLICES_KINDS[int(i)]) for i in rng.permutation(4)],
    detectors=(
        _slices_detector(
            "drops the partial batch",
            "you dropped the last, shorter batch even with drop_last=False: without "
            "drop_last every example is in a batch, so the last batch holds the n % B "
            "examples that are left.",
            "always drop",
        ),
        _slices_detector(
            "keeps the partial batch",
            "you kept the last, shorter batch although drop_last=True: drop_last means "
            "only full batches of batch_size examples, n // batch_size of them.",
            "always keep",
        ),
        _slices_detector(
            "ceil and floor swapped",
            "your number of batches is swapped: without drop_last there are ceil(n / B) "
            "batches (the last may be short), with drop_last there are floor(n / B).",
            "swapped",
        ),
        _slices_detector(
            "drops a full last batch",
            "with drop_last=True you dropped a last batch that is full: drop_last leaves out "
            "only a SHORTER last batch; when B divides n all n // B batches are kept.",
            "drop full last",
        ),
        _slices_detector(
            "n // B + 1 batches",
            "n // B + 1 is not ceil(n / B) when B divides n: you added an empty batch "
            "[n, n]. Use (n + B - 1) // B, or math.ceil(n / B).",
            "n // B + 1",
        ),
        _slices_detector(
            "inclusive stop",
            "your stops are one too small: the pairs are half-open, [start, stop), so a "
            "full batch has stop − start = batch_size and the last stop is n (X[start:stop]).",
            "inclusive stop",
        ),
        _slices_detector(
            "overlapping batches",
            "your batches overlap by one example: a batch is [start, start + B), and the "
            "next batch starts exactly where this one stops.",
            "overlap",
        ),
        _slices_detector(
            "stop past n",
            "your last stop is past the end of the data: the last batch stops at n, "
            "stop = min(start + batch_size, n) (slicing hides this, but the batch is short).",
            "unclipped",
        ),
        Detector(
            "flat list of starts",
            "return one [start, stop] PAIR per batch, e.g. [[0, 4], [4, 8], [8, 10]] (or "
            "slice(0, 4), …), not a flat list of numbers such as the starts 0, B, 2B, ….",
            error="cannot unpack non-iterable",
        ),
    ),
    hints=(
        "Try n = 10, B = 4 and n = 6, B = 3, each with drop_last False and True: how many "
        "batches should each give, and where does the last one stop? Count them with ceil and "
        "floor before you write the loop.",
        "The batches start at 0, B, 2B, … and each stops where the next starts, never past n "
        "(half-open, like a slice). drop_last removes only a last batch SHORTER than B: when B "
        "divides n there is none, and every batch is kept.",
        "For start = 0, B, 2B, … below n the batch is [start, min(start + B, n)]; with "
        "drop_last=True leave out a last pair shorter than B. That makes ceil(n/B) batches "
        "without drop_last and n // B with it.",
    ),
    hint="the batches start at 0, B, 2B, …; each is [start, min(start + B, n)); with "
    "drop_last=True leave out a last batch shorter than B.",
)


# ---------------------------------------------------------------- minibatch_gradient

GRADIENT_CALL = (
    "f(torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), "
    "torch.tensor(w, dtype=torch.float64), b, idx)"
)


def _gradient(X, y, w, b, idx, *, rows="batch", divide_by="B", scale=1.0):
    """Oracle (and its mutants): autograd on the mean squared error of w·x + b over a batch.

    rows="full" uses every example instead of the batch; divide_by="N" averages the
    batch's squared errors over the whole data set, "1" sums them; scale multiplies
    the gradient (−1 for a sign error, 1/2 for a missing factor 2).
    """
    import torch

    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    rows_used = list(range(len(y))) if rows == "full" else list(idx)
    r2 = (Xt[rows_used] @ wt + bt - yt[rows_used]) ** 2
    divisor = {"B": len(rows_used), "N": len(y), "1": 1}[divide_by]
    loss = r2.sum() / divisor
    gw, gb = torch.autograd.grad(loss, (wt, bt))
    return [(scale * gw).tolist(), scale * gb.item()]


def _gradient_probe(rng):
    n, d = int(rng.integers(4, 9)), int(rng.integers(1, 4))
    X = np.round(rng.uniform(-2, 2, (n, d)), 1)
    w_true = np.round(rng.uniform(-2, 2, d), 1)
    y = np.round(X @ w_true + 0.5 + rng.normal(0, 0.3, n), 2)
    B = int(rng.integers(2, n))
    return {
        "X": X.tolist(),
        "y": y.tolist(),
        "w": np.round(rng.uniform(-1, 1, d), 1).tolist(),
        "b": float(np.round(rng.uniform(-1, 1), 1)),
        "idx": sorted(int(i) for i in rng.choice(n, B, replace=False)),
    }


def _gradient_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _gradient(**p, **mistake))


minibatch_gradient = Task(
    id="minibatch_gradient",
    exercise=EXERCISE,
    title="the gradient of one mini-batch",
    points=2,
    call=GRADIENT_CALL,
    oracle=_gradient,
    public=(
        {
            "X": [[1.0, 0.5], [2.0, -1.0], [0.0, 1.5], [-1.0, 2.0], [3.0, 0.0]],
            "y": [2.0, 1.0, 3.5, 2.5, 4.0],
            "w": [0.5, -0.5],
            "b": 0.0,
            "idx": [0, 2, 3],
        },
        {
            "X": [
                [0.5, 1.0, -1.0],
                [1.5, 0.0, 2.0],
                [-0.5, 2.0, 0.5],
                [1.0, -1.5, 1.0],
                [2.0, 0.5, 0.0],
                [-1.0, 1.0, 1.5],
                [0.0, -0.5, -2.0],
                [1.0, 1.0, 1.0],
            ],
            "y": [1.0, 4.5, 2.0, 0.5, 3.0, 1.5, -2.0, 3.0],
            "w": [1.0, 0.0, 0.5],
            "b": -0.5,
            "idx": [6, 1],
        },
        {
            "X": [[1.0], [2.0], [3.0], [4.0]],
            "y": [3.0, 5.0, 7.5, 9.0],
            "w": [1.0],
            "b": 1.0,
            "idx": [3, 0, 1],
        },
    ),
    hidden=lambda rng: [_gradient_probe(rng) for _ in range(4)],
    detectors=(
        _gradient_detector(
            "divided by N",
            "your gradient is the right one times B/N: you summed over the batch but divided "
            "by the size of the whole data set. The batch loss is the mean over its B "
            "examples, so divide by B = len(idx).",
            divide_by="N",
        ),
        _gradient_detector(
            "sum instead of mean",
            "your gradient is B times too large: the loss of a batch is the MEAN of its "
            "squared errors, so divide the sum by B = len(idx).",
            divide_by="1",
        ),
        _gradient_detector(
            "full data set",
            "your gradient is the full-batch one: it uses every row of X. Take only the "
            "rows in the batch, X[idx] and y[idx].",
            rows="full",
        ),
        _gradient_detector(
            "sign error",
            "your gradient has the wrong sign: with residual r = X·w + b − y (prediction "
            "minus target) the gradient is (2/B)·Xᵀr for w and (2/B)·Σr for b.",
            scale=-1.0,
        ),
        _gradient_detector(
            "forgot the 2",
            "your gradient is half the right one: the derivative of r² is 2r, so the "
            "gradient is (2/B)·Xᵀr for w and (2/B)·Σr for b.",
            scale=0.5,
        ),
    ),
    hints=(
        "Which rows enter the batch's loss, and what do you divide by, the batch's size or the "
        "data set's? Lesson 05's section 'One gradient, many estimates' takes mini-batch "
        "gradients the same way.",
        "Select the batch's rows first, then take the mean squared error over those B rows "
        "only. Its gradient is the batch average of 2·residual·input for w and of 2·residual "
        "for b, with residual = prediction − target.",
        "With Xb = X[idx], yb = y[idx], B = len(idx) and r = Xb·w + b − yb: dL/dw = (2/B)·Xbᵀr "
        "and dL/db = (2/B)·Σr. Or make w and b leaves with requires_grad=True and let "
        "backward() compute the same.",
    ),
    hint="take the batch, Xb = X[idx] and yb = y[idx]; with r = Xb @ w + b − yb and B = "
    "len(idx): dL/dw = (2/B)·Xbᵀr and dL/db = (2/B)·Σr (or let autograd compute them).",
)

register(batch_slices, minibatch_gradient)


# ---------------------------------------------------------------- gradient_variance

# The gradient of a mini-batch is the mean of B per-example gradients drawn without
# replacement (the first batch of a shuffled epoch). Its variance, per coordinate, is
# σ²/B · (n − B)/(n − 1), σ² the population variance of the n per-example gradients:
# 1/B as with replacement, times the finite-population correction, which is 0 at B = n.


def _variance(g, batch_size, *, ddof=0, fpc=True, per_batch=True, root=False):
    """Oracle (and its mutants): the variance of the mini-batch mean gradient, per coordinate.

    ddof=1 takes the sample variance where the formula has the population one; fpc=False
    leaves out (n − B)/(n − 1); per_batch=False leaves out the 1/B; root=True returns the
    standard deviation.
    """
    g = np.asarray(g, dtype=np.float64)
    n, B = len(g), batch_size
    var = g.var(axis=0, ddof=ddof)
    if per_batch:
        var = var / B
    if fpc:
        var = var * (n - B) / (n - 1)
    return (np.sqrt(var) if root else var).tolist()


def _variance_probe(rng):
    n, d = int(rng.integers(4, 11)), int(rng.integers(1, 4))
    return {
        "g": np.round(rng.normal(0.5, 1.5, (n, d)), 1).tolist(),
        "batch_size": int(rng.integers(2, n)),
    }


def _variance_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _variance(**p, **mistake))


gradient_variance = Task(
    id="gradient_variance",
    exercise=EXERCISE,
    title="the variance of the mini-batch gradient",
    points=2,
    call="f(torch.tensor(g, dtype=torch.float64), batch_size)",
    oracle=_variance,
    public=(
        {
            "g": [[1.0, -2.0], [3.0, 0.5], [-1.0, 1.0], [2.0, 2.5], [0.0, -1.0], [4.0, 0.0]],
            "batch_size": 2,
        },
        {"g": [[0.5], [2.0], [-1.5], [3.0], [1.0]], "batch_size": 3},
        {
            "g": [[1.0, 0.0, 2.0], [-1.0, 1.0, 0.5], [0.5, -2.0, 1.0], [2.0, 1.5, -1.0]],
            "batch_size": 4,
        },
    ),  # fmt: skip
    hidden=lambda rng: [_variance_probe(rng) for _ in range(4)],
    detectors=(
        _variance_detector(
            "no finite-population correction",
            "your variance is too large, and not 0 when B = n: that is σ²/B for B examples "
            "drawn WITH replacement. A batch holds B different examples, which multiplies "
            "the variance by (n − B)/(n − 1).",
            fpc=False,
        ),
        _variance_detector(
            "sample variance in the formula",
            "your variance is n/(n − 1) times too large: σ² here is the variance of all n "
            "per-example gradients, the population one (divide by n, torch.var(..., "
            "correction=0)); the (n − 1) belongs to the correction factor only.",
            ddof=1,
        ),
        _variance_detector(
            "not divided by B",
            "your variance does not shrink with B as it should: averaging B gradients "
            "divides the variance by B (before the finite-population correction).",
            per_batch=False,
        ),
        _variance_detector(
            "standard deviation",
            "you returned a standard deviation (the square root): the task asks for the variance.",
            root=True,
        ),
    ),
    hints=(
        "What must the answer be at B = n, when every batch is the whole data set? And which "
        "variance of the rows, over n or over n − 1? Lesson 05's section 'One gradient, many "
        "estimates' has the formula.",
        "Averaging B independent draws divides the per-example variance σ² by B; drawing B "
        "DIFFERENT examples multiplies that by the finite-population factor (n − B)/(n − 1), "
        "which is 0 at B = n. σ² is the population variance of the n rows, coordinate by "
        "coordinate.",
        "Var = σ²/B · (n − B)/(n − 1) per coordinate, with σ² the mean of (gᵢ − ḡ)² over the n "
        "rows (g.var(dim=0, correction=0)); return the variance, not its square root.",
    ),
    hint="your variances are not the exact ones: compare them with a Monte-Carlo estimate "
    "over many shuffles (the variance of the mean of the first B rows of g[torch.randperm(n)]), "
    "and check the B = n case, where every batch is the whole data set.",
)

register(gradient_variance)


# ---------------------------------------------------------------- train_minibatch

# A real training loop judged on held-out data: mini-batch SGD on a linear model with
# TensorDataset + DataLoader(shuffle=True, generator=torch.Generator().manual_seed(seed)).
# The parameters after every epoch depend on the order the loader drew, so only the same
# loop under the same generator reproduces them; the held-out loss is then measured.
TRAIN_CALL = (
    "f(torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64), "
    "torch.tensor(X_val, dtype=torch.float64), torch.tensor(y_val, dtype=torch.float64), "
    "torch.tensor(w0, dtype=torch.float64), b0, lr, epochs, batch_size, seed)"
)


def _train(X, y, X_val, y_val, w0, b0, lr, epochs, batch_size, seed, *, shuffle=True,
           per_batch=True, zero=True, reduction="mean", reseed=False):  # fmt: skip
    """Oracle (and its mutants): [[w…, b] after each epoch, held-out MSE at the end].

    The mistakes: shuffle=False, per_batch=False (one step per epoch with the gradients of
    all its batches summed), zero=False (no zero_grad), reduction="sum", reseed=True (a
    new loader with a freshly seeded generator every epoch: the same order every epoch).
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))

    def loader():
        generator = torch.Generator().manual_seed(seed)
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)

    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(float(b0), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    batches, trajectory = loader(), []
    for _ in range(epochs):
        if reseed:
            batches = loader()
        if not per_batch:
            optimizer.zero_grad()
        for xb, yb in batches:
            if per_batch and zero:
                optimizer.zero_grad()
            r2 = (xb @ w + b - yb) ** 2
            (r2.mean() if reduction == "mean" else r2.sum()).backward()
            if per_batch:
                optimizer.step()
        if not per_batch:
            optimizer.step()
        trajectory.append([*w.tolist(), b.item()])
    with torch.no_grad():
        Xv, yv = torch.tensor(X_val, dtype=torch.float64), torch.tensor(y_val, dtype=torch.float64)
        held_out = torch.mean((Xv @ w + b - yv) ** 2).item()
    return [trajectory, held_out]


def _regression(rng, n, w_true):
    X = np.round(rng.uniform(-1.5, 1.5, (n, len(w_true))), 2)
    return X.tolist(), np.round(X @ w_true + 0.3 + rng.normal(0, 0.2, n), 2).tolist()


def _train_probe(rng):
    d = int(rng.integers(1, 4))
    w_true = np.round(rng.uniform(-2, 2, d), 1)
    X, y = _regression(rng, int(rng.integers(10, 17)), w_true)
    X_val, y_val = _regression(rng, 8, w_true)
    return {"X": X, "y": y, "X_val": X_val, "y_val": y_val, "w0": [0.0] * d, "b0": 0.0,
            "lr": float(rng.choice([0.02, 0.05])), "epochs": int(rng.integers(3, 6)),
            "batch_size": int(rng.choice([3, 4])), "seed": int(rng.integers(1000))}  # fmt: skip


def _train_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda **p: _train(**p, **mistake))


def _public_train_probe(seed, d, lr, epochs, batch_size):
    rng = np.random.default_rng(seed)
    probe = _train_probe(rng)
    w_true = np.linspace(1.5, -1.0, d)
    X, y = _regression(rng, 12, w_true)
    X_val, y_val = _regression(rng, 8, w_true)
    return {**probe, "X": X, "y": y, "X_val": X_val, "y_val": y_val, "w0": [0.0] * d,
            "lr": lr, "epochs": epochs, "batch_size": batch_size, "seed": seed}  # fmt: skip


train_minibatch = Task(
    id="train_minibatch",
    exercise=EXERCISE,
    title="mini-batch SGD with a DataLoader, judged on held-out data",
    points=3,
    call=TRAIN_CALL,
    oracle=_train,
    public=(
        _public_train_probe(seed=0, d=2, lr=0.05, epochs=3, batch_size=4),
        _public_train_probe(seed=7, d=1, lr=0.02, epochs=4, batch_size=5),
    ),
    hidden=lambda rng: [_train_probe(rng) for _ in range(3)],
    rtol=1e-4,  # float32 is accepted: a few epochs of float32 steps stay within 1e-5
    atol=1e-6,
    # the learner's first torch.optim.SGD or DataLoader imports more of torch: seconds
    seconds=15.0,
    detectors=(
        _train_detector(
            "no shuffling",
            "your run visits the examples in the same fixed order every epoch: that is "
            "shuffle=False. Pass shuffle=True and the seeded generator to the DataLoader.",
            shuffle=False,
        ),
        _train_detector(
            "one step per epoch",
            "your parameters moved once per epoch: the step belongs inside the loop over "
            "batches. Each mini-batch gets its own zero_grad(), backward() and step().",
            per_batch=False,
        ),
        _train_detector(
            "no zero_grad",
            "your run matches the loop without zero_grad(): backward() adds to .grad, so "
            "each step used the sum of all the gradients so far. Clear the gradients "
            "before every backward().",
            zero=False,
        ),
        _train_detector(
            "sum instead of mean",
            "your steps are B times too large: the loss of a batch is the MEAN of its "
            "squared errors, not their sum.",
            reduction="sum",
        ),
        _train_detector(
            "generator re-seeded every epoch",
            "every epoch of your run visits the examples in the same shuffled order: the "
            "loader (or its generator) is made anew, with the same seed, in every epoch. "
            "Make the generator and the DataLoader once, before the epochs: each epoch "
            "then draws a new order from it.",
            reseed=True,
        ),
    ),
    hints=(
        "Where are the generator and the DataLoader made: once, before the epochs, or anew in "
        "each? And does every batch get its own step? Lesson 05's section 'Shuffling, and the "
        "standard DataLoader loop' has the loop.",
        "Seed one torch.Generator and make one DataLoader with shuffle=True and that generator "
        "before the first epoch, so that each epoch draws a new order. Every batch clears the "
        "gradients, takes the mean squared error over the batch, calls backward() and steps; "
        "record [w…, b] after each epoch.",
        "One generator, g = torch.Generator().manual_seed(seed), and one "
        "DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, generator=g); w "
        "and b new leaves copied from w0 and b0, torch.optim.SGD([w, b], lr=lr); in each epoch, "
        "for every batch zero_grad(), the mean of (xb·w + b − yb)², backward(), step(), and "
        "after the epoch's last batch record [w…, b]; at the end the held-out MSE on X_val, "
        "y_val as a float.",
    ),
    hint="your parameters after the epochs are not those of the stated loop: check that the "
    "generator is seeded once, the DataLoader made once, that every batch gets zero_grad(), "
    "backward() and step(), and that the held-out loss uses X_val and y_val.",
)

register(train_minibatch)
