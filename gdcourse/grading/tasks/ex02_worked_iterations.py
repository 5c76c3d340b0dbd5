"""Tasks of exercises/02_worked_iterations.ipynb: k iterations, conditioning, stable η."""

from __future__ import annotations

import numpy as np

from . import Detector, Task, register

EXERCISE = "02_worked_iterations"


def _iterate(x, y, w, b, lr, k, *, steps_offset=0, reduce="mean", sequential=False):
    """Oracle (and its mutants): k steps of autograd gradient descent on the line's MSE."""
    import torch

    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(float(b), dtype=torch.float64, requires_grad=True)
    for _ in range(k + steps_offset):
        r = wt * xt + bt - yt
        loss = torch.mean(r**2) if reduce == "mean" else torch.sum(r**2)
        (gw,) = torch.autograd.grad(loss, wt, retain_graph=True)
        with torch.no_grad():
            wt -= lr * gw
        if sequential:  # the bias gradient computed with the already-updated w
            r = wt * xt + bt - yt
            loss = torch.mean(r**2) if reduce == "mean" else torch.sum(r**2)
        (gb,) = torch.autograd.grad(loss, bt)
        with torch.no_grad():
            bt -= lr * gb
    return [wt.item(), bt.item()]


def _iterate_probe(rng):
    n = int(rng.integers(3, 7))
    x = np.round(rng.uniform(-1.5, 1.5, n), 2)
    return {
        "x": x.tolist(),
        "y": np.round(2 * x + 1 + rng.normal(0, 0.3, n), 2).tolist(),
        "w": 0.0,
        "b": 0.0,
        "lr": float(rng.choice([0.05, 0.1, 0.2])),
        "k": int(rng.integers(2, 9)),
    }


iterate = Task(
    id="iterate",
    exercise=EXERCISE,
    title="k iterations of the worked example",
    points=2,
    forbids=("torch.optim", "torch.autograd", "torch.func", "backward"),  # by hand
    call="f(np.array(x), np.array(y), w, b, lr, k)",
    oracle=_iterate,
    public=(
        {"x": [1.0, 2.0], "y": [2.0, 4.0], "w": 0.0, "b": 0.0, "lr": 0.1, "k": 5},
        {"x": [1.0, 2.0, 3.0], "y": [1.0, 3.0, 4.0], "w": 0.5, "b": -1.0, "lr": 0.05, "k": 3},
    ),
    hidden=lambda rng: [_iterate_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "one step too few",
            "you did one step too few: k iterations means the update runs k times "
            "(check your range()).",
            answer=lambda **p: _iterate(**p, steps_offset=-1),
        ),
        Detector(
            "one step too many",
            "you did one step too many: k iterations means the update runs exactly k times.",
            answer=lambda **p: _iterate(**p, steps_offset=1),
        ),
        Detector(
            "sum instead of mean",
            "your steps are too large by the factor N: the loss is the mean of the squared "
            "errors, so its gradient has 2/N in front.",
            answer=lambda **p: _iterate(**p, reduce="sum"),
        ),
        Detector(
            "sequential update",
            "you updated w before computing the gradient for b: compute BOTH gradients at "
            "the current (w, b), then update both.",
            answer=lambda **p: _iterate(**p, sequential=True),
        ),
    ),
    hints=(
        "Does your loop update exactly k times, and are both gradients computed before either "
        "parameter moves? Compare your first iteration with lesson 02's 'Iteration 1, spelled "
        "out'.",
        "Each iteration computes the residuals at the current (w, b), then both gradients from "
        "those same residuals, and only then moves w and b together; that is repeated k times. "
        "The loss is the mean of the squared residuals, so the gradients carry 2/N.",
        "Repeat k times: r = w·x + b − y, g_w = 2·mean(r·x), g_b = 2·mean(r), then w ← w − "
        "lr·g_w and b ← b − lr·g_b; return the final (w, b).",
    ),
    hint="your (w, b) after k iterations are not the expected ones, and none of the "
    "usual slips explains them: run ONE iteration (k set to 1) and compare it with lesson 02's "
    "first worked iteration, the residuals, the two gradients, then the update.",
)


# ---------------------------------------------------------------- conditioning


def _hessian_eigenvalues(x):
    X = np.column_stack([np.asarray(x, dtype=float), np.ones(len(x))])
    return np.linalg.eigvalsh(2 / len(x) * X.T @ X)


def _x_probe(rng):
    n = int(rng.integers(2, 8))
    x = np.round(rng.uniform(-1, 4, n), 2)
    while np.ptp(x) < 0.5:  # keep the Hessian well away from singular
        x = np.round(rng.uniform(-1, 4, n), 2)
    return {"x": x.tolist()}


def _condition(x):
    lo, hi = _hessian_eigenvalues(x)
    return float(hi / lo)


condition_number = Task(
    id="condition_number",
    exercise=EXERCISE,
    title="condition number of the MSE Hessian",
    points=1,
    call="f(np.array(x))",
    oracle=_condition,
    public=({"x": [1.0, 2.0]}, {"x": [0.0, 1.0, 3.0]}, {"x": [-1.0, 1.0]}),
    hidden=lambda rng: [_x_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "inverted ratio",
            "your answer is 1/κ: the condition number is the LARGEST eigenvalue over the "
            "smallest, so it is at least 1.",
            answer=lambda x: 1 / _condition(x),
        ),
        Detector(
            "singular values of X",
            "you took the ratio of the singular values of X (the square root of κ): the "
            "Hessian is (2/N)·XᵀX, so use its eigenvalues.",
            answer=lambda x: float(np.sqrt(_condition(x))),
        ),
        Detector(
            "forgot the bias column",
            "with only the x column the Hessian is a single number (κ = 1): X needs a column "
            "of ones for the bias b.",
            answer=lambda x: 1.0,
        ),
    ),
    hints=(
        "Which matrix holds the curvature of this loss, does it have a column for b as well as "
        "for w, and which eigenvalue goes on top? Lesson 02 builds it in 'The path on the loss "
        "surface' and takes κ in 'Why it slows down: conditioning'.",
        "Stack the inputs into X with one row (xᵢ, 1) per example, form the 2 × 2 Hessian "
        "(2/N)·XᵀX and divide its largest eigenvalue by its smallest, so κ ≥ 1. X's singular "
        "values are the square roots of XᵀX's eigenvalues: their ratio is √κ.",
        "X = the column of x next to a column of ones (np.column_stack), H = (2/N)·XᵀX, λ = "
        "np.linalg.eigvalsh(H) in ascending order, κ = λ_max / λ_min.",
    ),
    hint="your κ is not the Hessian's: print the 2 × 2 Hessian of the MSE in w and b "
    "and its eigenvalues, and compare them with lesson 02's (one row of X per example, "
    "with the bias's column).",
)


def _max_lr(x):
    return float(2 / _hessian_eigenvalues(x)[-1])


max_stable_lr = Task(
    id="max_stable_lr",
    exercise=EXERCISE,
    title="the largest stable learning rate",
    points=1,
    call="one_number(f(np.array(x)))",  # [0.29] hears "return a float" (collect.one_number)
    oracle=_max_lr,
    public=({"x": [1.0, 2.0]}, {"x": [0.0, 1.0, 3.0]}),
    hidden=lambda rng: [_x_probe(rng) for _ in range(4)],
    detectors=(
        Detector(
            "1/λ instead of 2/λ",
            "your answer is half the limit: 1/λ_max is where oscillation starts; divergence "
            "starts at 2/λ_max.",
            answer=lambda x: _max_lr(x) / 2,
        ),
        Detector(
            "smallest eigenvalue",
            "you used the smallest eigenvalue: the steepest direction (largest eigenvalue) "
            "is the one that diverges first.",
            answer=lambda x: float(2 / _hessian_eigenvalues(x)[0]),
        ),
        Detector(
            "Hessian without the 2",
            "your limit is twice too large: the Hessian of the mean squared error is "
            "(2/N)·XᵀX, with the factor 2.",
            answer=lambda x: 2 * _max_lr(x),
        ),
        Detector(
            "a list of one",
            "return a float: your answer is a list, array or tensor holding one number "
            "(e.g. from eigvalsh(H)[-1:] or a (1,)-shaped result); take float(...) of it.",
            error="return one number (a float)",
        ),
    ),
    hints=(
        "Lesson 01's regimes for one curvature carry over: where does oscillation start, where "
        "divergence, and which of this loss's curvatures breaks first? Lesson 02's section "
        "'How fast can plain gradient descent go?' answers it.",
        "Along each eigenvector of the Hessian H = (2/N)·XᵀX, gradient descent behaves like "
        "the 1-D quadratic with curvature λ, so it diverges once η passes 2/λ for any of them: "
        "the steepest direction, the largest eigenvalue, sets the limit.",
        "η_max = 2 / λ_max, with λ_max the largest eigenvalue of task 2's H = (2/N)·XᵀX (X "
        "with rows (xᵢ, 1)); return it as a float.",
    ),
    hint="your η is not where gradient descent on this loss starts to diverge: check "
    "it by running a few steps at 0.99 and 1.01 times your η (one should settle, the "
    "other grow), then recheck which eigenvalue of which Hessian sets the limit.",
)

register(iterate, condition_number, max_stable_lr)
