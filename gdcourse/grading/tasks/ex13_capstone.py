"""Tasks of exercises/13_capstone.ipynb: standardising with training statistics, accuracy
from logits, the learning rate of a per-batch warmup-then-cosine schedule, and a whole
training run judged on held-out rows.

The oracles are torch itself: `Tensor.mean`/`Tensor.std(correction=0)`, `argmax` over
the class dimension, and torch.optim.lr_scheduler's SequentialLR stepped once per batch.
"""

from __future__ import annotations

import math

import numpy as np

from . import Detector, Task, comparisons, register

EXERCISE = "13_capstone"


# ---------------------------------------------------------------- standardise

STANDARDISE_CALL = (
    "f(torch.tensor(train, dtype=torch.float64), torch.tensor(other, dtype=torch.float64))"
)


def _standardise(train, other, *, stats="train", correction=0, power=1.0, centre=True):
    """Oracle (and its mutants): both sets scaled with one set of statistics.

    stats="train" is right; "all" takes them from train and other together; "own"
    scales each set with its own. correction=1 is torch's default std (n − 1);
    power=2 divides by the variance; centre=False leaves the mean in.
    """
    import torch

    a = torch.tensor(train, dtype=torch.float64)
    b = torch.tensor(other, dtype=torch.float64)

    def statistics(x):
        mean = x.mean(dim=0)
        std = x.std(dim=0, correction=correction)
        std = torch.where(std == 0, torch.ones_like(std), std)  # a constant feature: divide by 1
        return (mean if centre else torch.zeros_like(mean)), std**power

    if stats == "own":
        (ma, sa), (mb, sb) = statistics(a), statistics(b)
    else:
        ma, sa = statistics(a if stats == "train" else torch.cat([a, b]))
        mb, sb = ma, sa
    return [((a - ma) / sa).tolist(), ((b - mb) / sb).tolist()]


def _standardise_probe(rng):
    n_train, n_other, d = int(rng.integers(4, 7)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
    scale = rng.choice([1.0, 3.0, 10.0], size=d)
    train = np.round(rng.normal(2.0, 1.0, (n_train, d)) * scale, 1)
    other = np.round(rng.normal(2.5, 1.5, (n_other, d)) * scale, 1)
    if rng.random() < 0.5:  # a feature that is constant in the training set
        # a multiple of 1/4, exactly representable, so its mean is exactly that value and
        # its std exactly 0 however it is computed (4.6 would give a mean of
        # 4.6000000000000005 and a std of 8.9e-16)
        train[:, 0] = np.round(rng.uniform(0, 5) * 4) / 4
    return {"train": train.tolist(), "other": other.tolist()}


def _standardise_detector(name, hint, **mistake):
    return Detector(name, hint, answer=lambda train, other: _standardise(train, other, **mistake))


standardise = Task(
    id="standardise",
    exercise=EXERCISE,
    title="standardise with the training statistics",
    points=2,
    call=STANDARDISE_CALL,
    oracle=_standardise,
    public=(
        {
            "train": [[1.0, 10.0], [2.0, 30.0], [3.0, 20.0], [6.0, 60.0]],
            "other": [[4.0, 40.0], [0.0, 0.0], [5.0, 25.0]],
        },
        {
            "train": [[5.0, 1.0, -2.0], [5.0, 2.0, 0.0], [5.0, 6.0, 4.0], [5.0, 3.0, 2.0]],
            "other": [[4.0, 0.0, 1.0], [7.0, 5.0, 3.0]],
        },
    ),
    hidden=lambda rng: [_standardise_probe(rng) for _ in range(4)],
    detectors=(
        _standardise_detector(
            "statistics of all the data",
            "you computed the mean and standard deviation of train and other together: take "
            "them from the training set alone and apply the same numbers to both sets "
            "(otherwise the held-out data leaks into the preprocessing).",
            stats="all",
        ),
        _standardise_detector(
            "each set with its own statistics",
            "you scaled `other` with its own mean and standard deviation: new data must be "
            "transformed with the TRAINING statistics, the only ones you have at training time.",
            stats="own",
        ),
        _standardise_detector(
            "std with n − 1",
            "your standard deviation divides by n − 1, torch's default: use "
            "train.std(dim=0, correction=0), which divides by n like np.std.",
            correction=1,
        ),
        _standardise_detector(
            "divided by the variance",
            "you divided by the variance: divide by the standard deviation, its square root.",
            power=2.0,
        ),
        _standardise_detector(
            "mean not subtracted",
            "you only divided by the standard deviation: subtract the training mean first, "
            "(x − mean) / std.",
            centre=False,
        ),
    ),
    hint="your standardised sets differ from the expected ones on the probe shown: check "
    "where each set's mean and standard deviation come from, and how the standard "
    "deviation is computed.",
    hints=(
        "Which rows do your mean and standard deviation come from, and does your std divide by n "
        "or by n − 1? (Lesson 13, section 1: standardise with the training statistics only.)",
        "One mean and one standard deviation per feature (column), from train alone, the std "
        "dividing by n, with a zero std replaced by 1. Apply those same training numbers to both "
        "sets: subtract the mean, then divide by the std (not the variance).",
        "mean = train.mean(dim=0), std = train.std(dim=0, correction=0) with zeros replaced by 1 "
        "(torch.where); return ((train − mean) / std, (other − mean) / std).",
    ),
)


# ---------------------------------------------------------------- accuracy

ACCURACY_CALL = "f(torch.tensor(logits, dtype=torch.float64), torch.tensor(labels))"


def _accuracy(logits, labels, *, mistake=None):
    """Oracle (and its mutants): the fraction of rows whose largest logit is the label."""
    import torch

    z, y = torch.tensor(logits, dtype=torch.float64), torch.tensor(labels)
    if mistake == "keepdim":  # (N, 1) against (N,) broadcasts to an N × N comparison
        return float((z.argmax(dim=1, keepdim=True) == y).double().mean())
    correct = (z.argmax(dim=1) == y).double()
    if mistake == "count":
        return float(correct.sum())
    if mistake == "percent":
        return float(100 * correct.mean())
    if mistake == "error rate":
        return float(1 - correct.mean())
    return float(correct.mean())


def _accuracy_probe(rng):
    n_classes = int(rng.integers(3, 7))
    n = int(rng.choice([k for k in range(5, 13) if k != n_classes]))
    logits = np.round(rng.normal(0, 2, (n, n_classes)), 2)
    labels = rng.integers(0, n_classes, n)
    right = rng.random(n) < 0.6  # about 60 % correct, so no probe is all right or all wrong
    labels[right] = logits[right].argmax(axis=1)
    return {"logits": logits.tolist(), "labels": labels.tolist()}


def _accuracy_detector(name, hint, mistake):
    return Detector(name, hint, answer=lambda **p: _accuracy(**p, mistake=mistake))


accuracy = Task(
    id="accuracy",
    exercise=EXERCISE,
    title="accuracy from logits",
    points=1,
    call=ACCURACY_CALL,
    oracle=_accuracy,
    public=(
        {
            "logits": [
                [2.0, -1.0, 0.5],
                [0.1, 0.3, -0.2],
                [-1.0, 0.0, 3.0],
                [1.5, 2.5, 0.0],
                [0.0, -2.0, -1.0],
            ],
            "labels": [0, 2, 2, 1, 1],
        },
        {
            "logits": [
                [0.2, 1.2, -0.3, 0.0],
                [3.0, 0.1, 0.4, -1.0],
                [-0.5, -0.4, 0.9, 1.1],
                [1.0, 0.0, 2.0, 0.5],
                [0.3, 0.2, 0.1, 0.0],
                [-2.0, 1.0, 0.0, 0.5],
            ],
            "labels": [1, 0, 3, 0, 0, 3],
        },
    ),
    hidden=lambda rng: [_accuracy_probe(rng) for _ in range(4)],
    detectors=(
        _accuracy_detector(
            "count, not fraction",
            "you returned the number of correct rows: accuracy is a fraction, so divide by "
            "the number of rows (or take the mean of the matches as floats).",
            "count",
        ),
        _accuracy_detector(
            "percent",
            "you returned a percentage: return the fraction between 0 and 1.",
            "percent",
        ),
        _accuracy_detector(
            "error rate",
            "you returned the fraction of WRONG rows: accuracy counts the rows whose largest "
            "logit IS the label.",
            "error rate",
        ),
        _accuracy_detector(
            "argmax with keepdim=True",
            "your predictions have shape (N, 1), which broadcasts against the labels' (N,) "
            "into an N × N comparison: use logits.argmax(dim=1) without keepdim.",
            "keepdim",
        ),
        Detector(
            "mean of a bool tensor",
            "(predictions == labels) is a tensor of bools, and torch cannot average bools: "
            "turn the matches into numbers first, (predictions == labels).float().mean().",
            error="could not infer output dtype",
        ),
        Detector(
            "argmax over the wrong dimension",
            "you took argmax over dim 0 (the examples), which gives one index per class: "
            "the class dimension is dim=1, logits.argmax(dim=1).",
            error="must match the size of tensor",
        ),
    ),
    hint="your accuracy differs from the expected one on the probe shown: count by hand "
    "which rows' largest logit is at the true class, and compare.",
    hints=(
        "Is your answer a fraction between 0 and 1, and over which dimension do you look for the "
        "largest logit? (Lesson 13, section 2.)",
        "Each row's prediction is the index of its largest logit across the classes (dim=1), one "
        "index per row. Compare the predictions with the labels and average the matches over the "
        "N rows, turning them into floats first.",
        "accuracy = (1/N)·Σᵢ [argmax_c logits[i, c] = labels[i]]: the argmax over dim=1 without "
        "keepdim, compared with the labels, the matches turned into floats before the mean, "
        "returned as a float.",
    ),
)


# ---------------------------------------------------------------- warmup_cosine_lr

START_FACTOR = 0.1


def _recipe_lr(epoch, batch, batches_per_epoch, base_lr, warmup_epochs, epochs):
    """Oracle: torch's SequentialLR(LinearLR, CosineAnnealingLR), stepped once per batch."""
    import torch
    from torch.optim import lr_scheduler

    warmup, total = warmup_epochs * batches_per_epoch, epochs * batches_per_epoch
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    scheduler = lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LinearLR(opt, start_factor=START_FACTOR, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup),
        ],
        milestones=[warmup],
    )
    for _ in range(epoch * batches_per_epoch + batch):
        opt.step()
        scheduler.step()
    return float(opt.param_groups[0]["lr"])


def _recipe_formula(t, base_lr, warmup, total, *, start=START_FACTOR, restart=True):
    """The closed form at update t; restart=False runs the cosine clock from update 0."""
    if t < warmup:
        return base_lr * (start + (1 - start) * t / warmup)
    if not restart:
        return base_lr * (1 + math.cos(math.pi * t / total)) / 2
    return base_lr * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


def _recipe_mistake(epoch, batch, batches_per_epoch, base_lr, warmup_epochs, epochs, mistake):
    n = batches_per_epoch
    warmup, total = warmup_epochs * n, epochs * n
    t = epoch * n + batch
    if mistake == "per epoch":  # one scheduler.step() per epoch: counts epochs, not batches
        return _recipe_formula(epoch, base_lr, warmup_epochs, epochs)
    if mistake == "off by one":
        return _recipe_formula(t + 1, base_lr, warmup, total)
    if mistake == "batch only":
        return _recipe_formula(batch, base_lr, warmup, total)
    if mistake == "from zero":
        return _recipe_formula(t, base_lr, warmup, total, start=0.0)
    if mistake == "no restart":
        return _recipe_formula(t, base_lr, warmup, total, restart=False)
    raise ValueError(mistake)


def _recipe_probe(rng):
    n, epochs = int(rng.integers(3, 9)), int(rng.integers(3, 7))
    warmup_epochs = int(rng.integers(1, epochs))
    return {
        "epoch": int(rng.integers(0, epochs)),
        "batch": int(rng.integers(0, n)),
        "batches_per_epoch": n,
        "base_lr": float(rng.choice([0.05, 0.1, 0.5])),
        "warmup_epochs": warmup_epochs,
        "epochs": epochs,
    }


def _recipe_detector(name, hint, mistake):
    return Detector(name, hint, answer=lambda **p: _recipe_mistake(**p, mistake=mistake))


RECIPE = {"batches_per_epoch": 10, "base_lr": 0.1, "warmup_epochs": 1, "epochs": 4}

warmup_cosine_lr = Task(
    id="warmup_cosine_lr",
    exercise=EXERCISE,
    title="warmup then cosine, per batch",
    points=2,
    forbids=("torch.optim.lr_scheduler",),
    call="f(epoch, batch, batches_per_epoch, base_lr, warmup_epochs, epochs)",
    oracle=_recipe_lr,
    public=tuple(
        {"epoch": e, "batch": b, **RECIPE} for e, b in ((0, 0), (0, 4), (1, 0), (1, 5), (3, 9))
    ),
    hidden=lambda rng: [_recipe_probe(rng) for _ in range(5)],
    detectors=(
        _recipe_detector(
            "stepped per epoch",
            "your rate only changes from epoch to epoch: the schedule is stepped once per "
            "BATCH, so count updates, t = epoch · batches_per_epoch + batch, and measure "
            "warmup and cosine in updates too.",
            "per epoch",
        ),
        _recipe_detector(
            "one update ahead",
            "your schedule is one update ahead: the first batch (epoch 0, batch 0) uses "
            "0.1 · base_lr, the rate before any scheduler.step().",
            "off by one",
        ),
        _recipe_detector(
            "forgot the epochs already done",
            "your update count restarts every epoch: t = epoch · batches_per_epoch + batch "
            "counts all the batches of the earlier epochs too.",
            "batch only",
        ),
        _recipe_detector(
            "warmup from zero",
            "your warmup starts at 0: it rises linearly from 0.1 · base_lr to base_lr, "
            "η = base_lr · (0.1 + 0.9 · t / W).",
            "from zero",
        ),
        _recipe_detector(
            "cosine not restarted after warmup",
            "your cosine runs from update 0 over all T updates: it starts at the end of the "
            "warmup, at base_lr, and lasts T − W updates, cos(π (t − W) / (T − W)).",
            "no restart",
        ),
    ),
    hint="your rate differs from torch's SequentialLR on the probe shown: check the very "
    "first batch, the first batch after the warmup and the last batch of the last epoch.",
    hints=(
        "What does your step counter count, batches or epochs, and does it go on across epochs? "
        "(Lesson 13, section 5, and lesson 09, the warmup-then-cosine section.)",
        "Count updates: a batch's update number includes every batch of the earlier epochs, and W "
        "and T are measured in updates too. For the first W updates the rate rises linearly from "
        "0.1·base_lr; from update W on the cosine starts afresh at base_lr and falls to 0 over "
        "the remaining T − W updates.",
        "t = epoch·batches_per_epoch + batch, W = warmup_epochs·batches_per_epoch, T = "
        "epochs·batches_per_epoch; η = base_lr·(0.1 + 0.9·t/W) for t < W, else η = "
        "base_lr·(1 + cos(π·(t − W)/(T − W)))/2.",
    ),
)


# ---------------------------------------------------------------- train_and_validate

# collect.held_out_run builds the data and the model from the seed, runs the learner's loop
# with hooks on the model, and measures the trained model on test rows it never handed out
RUN_FIELDS = 8


def _held_out(seed):
    """Oracle: the test loss a run must reach (the rest of the answer is measured, not
    compared: see comparisons.reaches_held_out)."""
    return [comparisons.HELD_OUT_LIMIT] + [0.0] * (RUN_FIELDS - 1)


def _run_detector(name, hint):
    return Detector(name, hint, answer=lambda seed: name)


train_and_validate = Task(
    id="train_and_validate",
    exercise=EXERCISE,
    title="a training run, judged on held-out data",
    points=3,
    call="held_out_run(f, seed)",
    oracle=_held_out,
    compare=comparisons.reaches_held_out,
    public=({"seed": 0},),
    hidden=lambda rng: [{"seed": int(rng.integers(1, 10**6))} for _ in range(2)],
    seconds=20.0,
    detectors=(
        _run_detector(
            "trained on the validation rows",
            "your training passes saw the validation rows: train on X_train only. The "
            "validation set measures how the model does on data it has not learnt from; "
            "once it is trained on, its loss says nothing about new data.",
        ),
        _run_detector(
            "statistics of all the data",
            "you standardised with the mean and std of the training AND validation rows "
            "together: take them from X_train alone and apply those same numbers to X_val "
            "(at training time nothing else is known).",
        ),
        _run_detector(
            "validation with its own statistics",
            "you standardised X_val with its own mean and std: new data must go through "
            "the same transformation as the training data, (X_val − train mean) / train std.",
        ),
        _run_detector(
            "not standardised",
            "the model saw the raw features, whose scales differ by a factor of 10⁵: "
            "standardise each feature with the training set's mean and std first.",
        ),
        _run_detector(
            "gradients accumulated",
            "your gradients grow from step to step: backward() ADDS to .grad, so call "
            "optimizer.zero_grad() before each backward().",
        ),
        _run_detector(
            "evaluated in training mode",
            "you measured the validation loss with the model in training mode, so dropout "
            "was still switching units off: call model.eval() before evaluating (and "
            "model.train() before training again).",
        ),
        _run_detector(
            "returned the training loss",
            "the loss you returned is the model's loss on the TRAINING rows: return the "
            "loss on X_val, y_val, which the model was not trained on.",
        ),
        Detector(
            "evaluated on the training set",
            "your model never saw the validation rows: a loss measured on the training rows "
            "says how well it memorised them, not how it does on new data. Evaluate "
            "model(X_val standardised) against y_val, all of X_val in one forward pass.",
            error="on the training rows only",
        ),
    ),
    hint="your run did not reach the needed test loss, or returned another number than "
    "the trained model's validation loss: look at your training loss epoch by epoch "
    "first, then at what you return.",
    hints=(
        "Which rows give your statistics, which rows does the model train on, and in which mode "
        "and on which rows is the loss you return measured? (Lesson 13, section 9.)",
        "Standardise with the training rows' mean and std only, and apply those same numbers to "
        "X_val. Train on the standardised training rows alone, with optimizer.zero_grad() before "
        "every backward(); then switch to model.eval() and measure the validation MSE in one "
        "forward pass under torch.no_grad().",
        "Take the mean and std of X_train over dim=0; X_train and X_val both become "
        "(X − mean)/std. Then e.g. Adam with lr=0.01, 30 epochs over shuffled batches of 32 "
        "training rows (zero_grad, MSE, backward, step); then model.eval() and, under "
        "torch.no_grad(), return the MSE of model(X_val) against y_val as a float.",
    ),
)

register(standardise, accuracy, warmup_cosine_lr, train_and_validate)
