"""The course's data sets and the in-memory mini-batch iterator."""

import numpy as np
import pytest
import torch

from gdcourse import data


def test_two_point_table():
    x, y = data.two_point()
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(y, [2.0, 4.0])


def test_noisy_line_is_seeded_and_close_to_the_line():
    x, y = data.noisy_line()
    assert x.shape == y.shape == (100,)
    assert x[0] == -2.0 and x[-1] == 2.0
    np.testing.assert_array_equal(y, data.noisy_line()[1])
    assert not np.array_equal(y, data.noisy_line(seed=1)[1])
    residual = y - (2 * x + 1)
    assert 0.05 < residual.std() < 0.15
    slope, intercept = np.polyfit(x, y, 1)
    assert abs(slope - 2) < 0.05 and abs(intercept - 1) < 0.05


def test_regression5_recovers_true_weights():
    X, y = data.regression5()
    assert X.shape == (1000, 5) and y.shape == (1000,)
    A = np.column_stack([X, np.ones(len(X))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(coef[:5], data.REGRESSION_W, atol=0.02)
    assert abs(coef[5] - data.REGRESSION_B) < 0.02


@pytest.mark.parametrize("as_tensor", [False, True])
def test_minibatches_cover_every_example_once_per_epoch(as_tensor):
    X, y = data.regression5(n=103)
    if as_tensor:
        X, y = torch.as_tensor(X), torch.as_tensor(y)
    batches = data.MiniBatches(X, y, batch_size=10, seed=3)
    assert len(batches) == 11
    epochs = []
    for _ in range(2):
        seen = [yb for _, yb in batches]
        assert [len(b) for b in seen] == [10] * 10 + [3]
        joined = np.concatenate([np.asarray(b) for b in seen])
        np.testing.assert_array_equal(np.sort(joined), np.sort(np.asarray(y)))
        epochs.append(joined)
    assert not np.array_equal(epochs[0], epochs[1])  # reshuffled each epoch


def test_minibatches_without_shuffle_keep_order_and_can_drop_last():
    x = np.arange(10.0)
    batches = list(data.MiniBatches(x, batch_size=4, shuffle=False, drop_last=True))
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_minibatches_keep_features_and_targets_aligned():
    X, y = data.regression5(n=50)
    for xb, yb in data.MiniBatches(X, y, batch_size=7, seed=1):
        np.testing.assert_allclose(yb, xb @ data.REGRESSION_W + data.REGRESSION_B, atol=0.5)


def test_bad_arguments_name_the_problem():
    with pytest.raises(ValueError, match="batch_size"):
        data.MiniBatches(np.zeros(3), batch_size=0)
    with pytest.raises(ValueError, match="same length"):
        data.MiniBatches(np.zeros(3), np.zeros(4), batch_size=2)
    with pytest.raises(ValueError, match="noise"):
        data.noisy_line(noise=-1.0)
    with pytest.raises(ValueError, match="n must"):
        data.regression5(n=0)
