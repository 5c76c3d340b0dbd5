"""The learning-rate range test of lessons 07 and 13."""

import numpy as np
import pytest
import torch
from torch import nn

from gdcourse import data, lrfind


def _problem(seed=0):
    X, y = data.regression5(n=256, seed=seed)
    X = torch.as_tensor(X, dtype=torch.float32)
    Y = torch.as_tensor(y, dtype=torch.float32).unsqueeze(1)
    torch.manual_seed(seed)
    model = nn.Linear(5, 1)
    return model, torch.optim.SGD(model.parameters(), lr=1.0), nn.MSELoss(), X, Y


def test_rates_grow_geometrically_and_the_optimizer_uses_them():
    model, optimizer, loss_fn, X, Y = _problem()
    used = []
    optimizer.register_step_pre_hook(lambda opt, *_: used.append(opt.param_groups[0]["lr"]))
    batches = data.MiniBatches(X, Y, batch_size=64, seed=0)  # 4 batches: cycled 5 times
    lrs, smoothed = lrfind.range_test(
        model, optimizer, loss_fn, batches, lr_min=1e-5, lr_max=1e-3, steps=20
    )
    assert len(lrs) == len(smoothed) == 20  # nothing diverges below 1e-3
    np.testing.assert_allclose(lrs, np.geomspace(1e-5, 1e-3, 20), rtol=1e-12)
    np.testing.assert_allclose(used, lrs, rtol=1e-12)


def test_smoothed_loss_is_the_bias_corrected_average_of_the_batch_losses():
    model, optimizer, loss_fn, X, Y = _problem()
    raw = []
    record = lambda m, inputs, out: raw.append(loss_fn(out, Y[: len(out)]).item())  # noqa: E731
    batches = data.MiniBatches(X, Y, batch_size=256, shuffle=False)  # one full batch
    model.register_forward_hook(record)
    _, smoothed = lrfind.range_test(model, optimizer, loss_fn, batches, lr_max=1e-3, steps=5)
    weights = 0.9 ** np.arange(5)[::-1]
    expected = 0.1 * np.dot(weights, raw) / (1 - 0.9**5)
    assert smoothed[-1] == pytest.approx(expected, rel=1e-12)


def test_the_test_stops_when_the_loss_blows_up():
    model, optimizer, loss_fn, X, Y = _problem()
    batches = data.MiniBatches(X, Y, batch_size=32, seed=0)
    lrs, smoothed = lrfind.range_test(model, optimizer, loss_fn, batches, steps=200)
    assert len(lrs) < 200
    last = smoothed[-1]
    assert not np.isfinite(last) or last > 4.0 * smoothed[:-1].min()
    chosen, at_min, steepest = lrfind.choose_lr(lrs, smoothed)
    assert at_min == lrs[np.argmin(smoothed[np.isfinite(smoothed)])]
    assert chosen == pytest.approx(at_min / 10)
    assert lrs[0] <= steepest <= at_min


def test_choose_lr_on_a_known_curve_ignores_the_non_finite_stop():
    lrs = np.geomspace(1e-4, 1.0, 9)
    smoothed = np.array([2.0, 1.98, 1.9, 1.2, 0.6, 0.5, 0.7, 3.0, np.nan])
    chosen, at_min, steepest = lrfind.choose_lr(lrs, smoothed)
    assert at_min == lrs[5] and chosen == pytest.approx(lrs[5] / 10)
    assert steepest == lrs[3]  # log 1.9 -> log 0.6: the fastest fall per decade of η


def test_an_exhausted_generator_is_an_error_not_an_endless_loop():
    model, optimizer, loss_fn, X, Y = _problem()
    once = iter([(X, Y)])
    with pytest.raises(ValueError, match="batches gave no batch"):
        lrfind.range_test(model, optimizer, loss_fn, once, lr_max=1e-3, steps=5)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"lr_min": 0.0}, "lr_min"),
        ({"lr_min": 1.0, "lr_max": 0.5}, "lr_max"),
        ({"steps": 1}, "steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"stop_factor": 0.5}, "stop_factor"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, name):
    model, optimizer, loss_fn, X, Y = _problem()
    with pytest.raises(ValueError, match=name):
        lrfind.range_test(model, optimizer, loss_fn, [(X, Y)], **kwargs)


def test_choose_lr_rejects_mismatched_or_diverged_input():
    with pytest.raises(ValueError, match="same length"):
        lrfind.choose_lr([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="first step"):
        lrfind.choose_lr([1e-3, 1e-2], [np.inf, np.nan])
