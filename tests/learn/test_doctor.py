"""gdcourse.doctor: every label on a synthetic history built to show it, bad input rejected
with a ValueError naming the argument, and the function pure."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gdcourse import doctor
from gdcourse.doctor import Diagnosis, diagnose

T = np.arange(200)


def decay(start=20.0, floor=0.01, tau=20.0, t=T):
    """A smooth exponential decay from `start` towards `floor`."""
    return floor + (start - floor) * np.exp(-t / tau)


def noisy(curve, sigma=0.4, seed=0):
    """Multiply a curve by independent log-normal noise, like mini-batch losses."""
    rng = np.random.default_rng(seed)
    return curve * np.exp(sigma * rng.standard_normal(len(curve)))


HISTORIES = {
    "healthy": decay(),
    "diverging": 1.0 * 1.05 ** T[:100],  # grows but stays finite
    "flat": np.full(100, 3.0),
    "oscillating": decay(floor=0.5) * (1 + 0.6 * np.sin(2 * np.pi * T / 12)),
    "plateau": decay(start=20.0, floor=18.0, tau=5.0),
    "noisy": noisy(decay()),
    "slow": np.linspace(20.0, 15.0, 200),
    "nan": np.append(decay()[:50], np.nan),
}


@pytest.mark.parametrize("label", sorted(HISTORIES))
def test_each_label_on_its_synthetic_history(label):
    assert diagnose(HISTORIES[label]).label == label


def test_every_label_is_covered():
    covered = set(HISTORIES) | {"overfitting"}
    assert covered == set(doctor.LABELS)


def test_healthy_says_whether_still_falling():
    assert "levelled off" in diagnose(decay()).reason
    assert "still falling" in diagnose(decay(tau=400.0, floor=0.0)).reason


# ----------------------------------------------------------------------------- nan


def test_nan_after_explosion_advises_lower_learning_rate():
    history = np.append(2.0 ** np.arange(30.0), np.nan)
    d = diagnose(history)
    assert d.label == "nan"
    assert d.evidence["first_bad_step"] == 30
    assert "exploded" in d.reason
    assert "10×" in d.advice


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_sudden_nan_or_inf_points_at_numerics(bad):
    history = np.append(decay()[:80], [bad, np.nan])
    d = diagnose(history)
    assert d.label == "nan"
    assert d.evidence["first_bad_step"] == 80
    assert "log(0)" in d.advice
    assert d.evidence["value"] == ("nan" if np.isnan(bad) else "inf")


def test_nan_at_first_step():
    d = diagnose([np.nan, np.nan, np.nan])
    assert d.label == "nan"
    assert "first step" in d.reason


def test_nan_in_validation_losses():
    assert diagnose(decay(), [1.0, 0.5, np.nan]).label == "nan"


# ------------------------------------------------------------------------- diverging


def test_late_rise_below_start_is_diverging():
    down = decay(start=20.0, floor=0.01, tau=5.0, t=np.arange(100))
    up = 0.01 * 1.1 ** np.arange(1, 61)  # rises about 300× from the bottom, stays < 20
    d = diagnose(np.append(down, up))
    assert d.label == "diverging"
    assert "rose from" in d.reason


def test_diverging_beats_noise_and_overfitting():
    history = noisy(1.0 * 1.05 ** T[:100])
    assert diagnose(history, val_losses=[1.0, 0.5, 2.0]).label == "diverging"


# ----------------------------------------------------------------------- overfitting


def test_overfitting_from_validation_curve_turning_up():
    train = decay()
    val = 0.5 + 0.002 * (np.arange(100) - 30.0) ** 2  # minimum at evaluation 30
    d = diagnose(train, val)
    assert d.label == "overfitting"
    assert d.evidence["val_best_at"] == 30
    assert "early stopping" in d.advice


def test_validation_still_falling_is_not_overfitting():
    d = diagnose(decay(), decay(start=25.0, floor=0.05))
    assert d.label == "healthy"
    assert d.evidence["val_best_at"] == 199


def test_overfit_tol_controls_the_rule():
    val = np.append(np.linspace(1.0, 0.5, 50), np.full(10, 0.54))  # 8 % above the minimum
    assert diagnose(decay(), val).label == "healthy"
    assert diagnose(decay(), val, overfit_tol=0.05).label == "overfitting"


# -------------------------------------------------------------------- flat / plateau


def test_flat_with_tiny_drift_and_flat_tol():
    history = 3.0 - 1e-4 * np.arange(100)  # falls by 0.33 %
    assert diagnose(history).label == "flat"
    assert diagnose(history, flat_tol=0.001).label == "slow"


def test_plateau_needs_small_drop_min_drop_adjusts_it():
    history = decay(start=2.0, floor=0.5, tau=5.0)  # falls 4× then stops
    assert diagnose(history).label == "plateau"
    assert diagnose(history, min_drop=3.0).label == "healthy"


# -------------------------------------------------------------- oscillating / noisy


def test_two_cycle_is_oscillating():
    level = decay(floor=1.0)
    history = level * np.where(T % 2 == 0, 1.5, 0.6)
    d = diagnose(history)
    assert d.label == "oscillating"
    assert abs(d.evidence["autocorrelation"]) > 0.9


def test_two_cycle_riding_on_a_wave_is_oscillating():
    # lag-1 contributions of the zigzag (negative) and the wave (positive) cancel
    wave = 1.5 + 0.4 * np.sin(2 * np.pi * T / 40)
    history = wave * np.where(T % 2 == 0, 1.2, 0.85)
    assert diagnose(history).label == "oscillating"
    scatter, rho = doctor.wiggle(history[100:])
    assert rho > 0.5  # found at lag 2


def test_random_noise_is_not_oscillating_for_many_seeds():
    labels = {diagnose(noisy(decay(), seed=s)).label for s in range(20)}
    assert labels == {"noisy"}


def test_noise_tol_controls_noisy():
    history = noisy(decay(), sigma=0.05)
    assert diagnose(history).label == "healthy"
    assert diagnose(history, noise_tol=0.02).label == "noisy"


def test_wiggle_statistics():
    t = np.arange(100)
    smooth = np.exp(-t / 30)
    assert doctor.wiggle(smooth)[0] < 1e-6
    scatter, rho = doctor.wiggle(noisy(np.ones(4000), sigma=0.2, seed=1))
    assert scatter == pytest.approx(0.2, rel=0.05)
    assert abs(rho) < 0.05
    assert doctor.wiggle([1.0, 2.0, 3.0]) == (0.0, 0.0)  # too short to judge


def test_segment_medians():
    np.testing.assert_array_equal(doctor.segment_medians(np.arange(20.0)), np.arange(10) * 2 + 0.5)
    np.testing.assert_array_equal(doctor.segment_medians([3.0, 1.0]), [3.0, 1.0])


def test_negative_losses_do_not_crash():
    history = decay() - 5.0  # e.g. a log-likelihood loss
    assert diagnose(history).label in doctor.LABELS


# -------------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "must not be empty"),
        (np.array([]), "must not be empty"),
        ([1.0], "at least 2 values"),
        ("abc", "sequence of numbers"),
        (None, "sequence of numbers"),
        ({"a": 1.0}, "sequence of numbers"),
        (["a", "b"], "only numbers"),
        (["1.0", "2.0"], "only numbers"),
        ([1.0, None, 2.0], "only numbers"),
        ([1.0, "x"], "only numbers"),
        ([True, False, True], "only numbers"),
        ([1.0 + 1j, 2.0], "only numbers"),
        ([[1.0, 2.0], [3.0, 4.0]], "1-D"),
        (3.0, "1-D"),
        ([object(), object()], "only numbers"),
    ],
)
def test_bad_losses_raise_value_error_naming_the_argument(value, message):
    with pytest.raises(ValueError, match=message) as info:
        diagnose(value)
    assert str(info.value).startswith("losses ")


def test_bad_val_losses_name_their_argument():
    for value in ([], "abc", [1.0, "x"], [[1.0, 2.0]]):
        with pytest.raises(ValueError) as info:
            diagnose(decay(), value)
        assert str(info.value).startswith("val_losses ")


@pytest.mark.parametrize("name", ["flat_tol", "min_drop", "noise_tol", "overfit_tol"])
@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), "0.1", True])
def test_bad_thresholds_raise(name, value):
    with pytest.raises(ValueError, match=name):
        diagnose(decay(), **{name: value})


def test_min_drop_must_exceed_one():
    with pytest.raises(ValueError, match="min_drop"):
        diagnose(decay(), min_drop=1.0)


def test_accepts_lists_arrays_integers_and_tensors():
    history = decay()
    expected = diagnose(history)
    assert diagnose(list(history)) == expected
    assert diagnose(torch.tensor(history, requires_grad=True)) == expected
    assert diagnose(np.array([20, 10, 5, 2, 1, 1, 1, 1, 1, 1])).label in doctor.LABELS
    # losses.append(loss) instead of loss.item(): 0-d tensors that still hold a graph
    w = torch.tensor(2.0, requires_grad=True)
    tensors = [w * float(v) / 2.0 for v in history]
    assert diagnose(tensors) == expected


def test_pure_input_untouched_and_repeatable():
    history = noisy(decay())
    copy = history.copy()
    first, second = diagnose(history), diagnose(history)
    np.testing.assert_array_equal(history, copy)
    assert first == second
    assert first.evidence == second.evidence


# ------------------------------------------------------------------------- display


def test_diagnosis_display():
    d = diagnose(np.append(2.0 ** np.arange(30.0), np.nan))
    text = str(d)
    assert text.startswith("nan: ")
    assert "→" in text
    assert repr(d).startswith("Diagnosis(label='nan'")
    md = d._repr_markdown_()
    assert md.startswith("**nan**")
    assert d.advice in md
    assert isinstance(d, Diagnosis)


def test_every_label_has_advice():
    for label in doctor.LABELS:
        assert any(key.split()[0] == label and text for key, text in doctor.ADVICE.items())
