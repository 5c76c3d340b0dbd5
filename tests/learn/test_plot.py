"""Plot helpers draw what they are given, on the Axes they are given, without pyplot."""

import io
import sys

import numpy as np
import pytest

from gdcourse import functions, plot


def test_figure_is_not_registered_with_pyplot():
    fig, axes = plot.figure(ncols=3)
    assert len(axes) == 3 and fig.axes == list(axes)
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        assert fig not in map(plt.figure, plt.get_fignums())


def test_loss_curve_plots_the_values_and_log_scale():
    fig, ax = plot.figure()
    line = plot.loss_curve(ax, [4.0, 2.0, 1.0], log=True, label="run")
    np.testing.assert_array_equal(line.get_ydata(), [4.0, 2.0, 1.0])
    assert ax.get_yscale() == "log"
    assert ax.get_legend() is not None


def test_function_1d_draws_iterates_on_the_curve():
    fn = functions.quadratic_1d(curvature=2.0)
    fig, ax = plot.figure()
    path = plot.function_1d(ax, fn, iterates=np.array([[2.0], [1.0], [0.5]]))
    np.testing.assert_allclose(path.get_ydata(), fn(np.array([[2.0, 1.0, 0.5]])))


def test_contours_and_trajectories():
    fn = functions.rosenbrock()
    pts = np.array([[-1.0, 2.0], [0.0, 0.0], [1.0, 1.0]])
    fig = plot.trajectories(fn, {"a": pts, "b": pts * 0.5})
    contour_ax, loss_ax = fig.axes[:2]
    plotted = [line for line in contour_ax.get_lines() if line.get_label() == "a"]
    np.testing.assert_array_equal(plotted[0].get_xydata(), pts)
    assert loss_ax.get_yscale() == "log"


def test_trajectory_rejects_wrong_shape():
    fig, ax = plot.figure()
    with pytest.raises(ValueError, match="points must have shape"):
        plot.trajectory(ax, np.zeros((3, 3)))


def test_saddle_contours_work_without_minima():
    fig = plot.trajectories(functions.saddle(), {"path": np.array([[1.0, 0.1], [0.5, 0.2]])})
    assert fig.axes[1].get_yscale() == "linear"


def test_schedule_curves_labels_each_schedule():
    fig, ax = plot.figure()
    plot.schedule_curves(ax, {"step": [1, 1, 0.1], "cos": [1, 0.5, 0]})
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["step", "cos"]


def _drawn(fig):
    fig.savefig(io.BytesIO(), format="png")  # lays out and draws, as the inline display does
    return fig


def test_log_axes_get_plain_text_powers_and_no_minor_ticks_over_two_decades():
    fig, ax = plot.figure()
    plot.loss_curve(ax, [10.0, 1.0, 0.1, 0.01, 0.001], log=True)
    _drawn(fig)
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "10⁻²" in labels and "10⁰" in labels
    assert not any("$" in text for text in labels)  # no mathtext to parse
    assert len(ax.yaxis.get_minorticklocs()) == 0


def test_narrow_log_axes_keep_labelled_minor_ticks():
    fig, ax = plot.figure()
    ax.set_yscale("log")
    ax.plot([0, 1], [0.2, 0.9])  # under one decade: the minor ticks carry the labels
    _drawn(fig)
    minor = [t.get_text() for t in ax.yaxis.get_minorticklabels() if t.get_text()]
    assert len(ax.yaxis.get_minorticklocs()) > 0
    assert minor and all("$" not in text for text in minor)
    assert "2×10⁻¹" in minor


def test_minor_ticks_come_back_when_an_axis_narrows_again():
    fig, ax = plot.figure()
    ax.set_yscale("log")
    ax.plot([0, 1], [1e-4, 1.0])
    _drawn(fig)
    assert len(ax.yaxis.get_minorticklocs()) == 0
    ax.set_ylim(0.2, 0.9)  # an explorer zooming in
    _drawn(fig)
    assert len(ax.yaxis.get_minorticklocs()) > 0


def test_a_formatter_the_lesson_chose_is_left_alone():
    from matplotlib import ticker

    fig, ax = plot.figure()
    ax.set_yscale("log")
    ax.plot([0, 1], [1e-3, 1.0])
    mine = ticker.LogFormatterMathtext()
    ax.yaxis.set_major_formatter(mine)
    _drawn(fig)
    assert ax.yaxis.get_major_formatter() is mine
    assert isinstance(ax.xaxis.get_major_formatter(), ticker.ScalarFormatter)  # linear axis
