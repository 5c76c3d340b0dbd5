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


# --------------------------------------------------------------------- accessibility

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of
# color vision deficiency", severity 1.0: the full dichromacies, applied to linear RGB.
CVD = {
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


def _linear_rgb(hex_colour):
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    """CIELAB (D65) of a linear-RGB colour."""
    xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    ) @ np.clip(linear, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(palette, matrix):
    labs = [_lab(np.asarray(matrix) @ _linear_rgb(c)) for c in palette]
    return min(
        (float(np.linalg.norm(labs[i] - labs[j])), palette[i], palette[j])
        for i in range(len(labs))
        for j in range(i + 1, len(labs))
    )


def test_cvd_simulation_catches_the_old_palette():
    """The check can fail: the course's first palette lost red vs brown under protanopia."""
    old = ("#1f5fa8", "#d1495b", "#2a9d8f", "#e9a23b", "#6a4c93", "#7f7f7f", "#8c564b")
    distance, a, b = _closest_pair(old, CVD["protanopia"])
    assert distance < 8 and {a, b} == {"#d1495b", "#8c564b"}


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_palette_colours_stay_apart_under_colour_vision_deficiencies(vision):
    matrix = np.eye(3) if vision == "normal" else CVD[vision]
    distance, a, b = _closest_pair(plot.COLORS, matrix)
    # 15 CIELAB units: clearly different at a glance; 2.3 is a just-noticeable difference.
    assert distance >= 15, f"{a} and {b} look alike under {vision} (ΔE = {distance:.1f})"


@pytest.mark.parametrize("vision", ["normal", *CVD])
def test_paths_stand_out_on_the_filled_contours(vision):
    """A trajectory in any palette colour is visible on every shade of the contour map."""
    from matplotlib.colors import to_hex

    matrix = np.eye(3) if vision == "normal" else CVD[vision]
    shades = [to_hex(plot.CONTOUR_CMAP(v)) for v in np.linspace(0, 1, 33)]
    worst = min(
        (
            float(
                np.linalg.norm(
                    _lab(np.asarray(matrix) @ _linear_rgb(c))
                    - _lab(np.asarray(matrix) @ _linear_rgb(s))
                )
            ),
            c,
            s,
        )
        for c in plot.COLORS
        for s in shades
    )
    assert worst[0] >= 15, f"{worst[1]} on {worst[2]} under {vision}: ΔE = {worst[0]:.1f}"


def test_more_than_four_colours_get_line_styles_and_the_legend_follows():
    fig, ax = plot.figure()
    for i in range(5):
        ax.plot([0, 1, 2], [i, i, i], color=plot.color(i), label=f"run {i}")
    ax.plot([0, 2], [0, 0], color="black", label="reference")
    ax.plot([0, 2], [1, 1], "--", color=plot.color(0), label="dashed on purpose")
    ax.legend()
    fig.savefig(io.BytesIO(), format="png")

    def dashes(line):  # what is drawn: the offset and on/off pattern (None: solid)
        offset, pattern = line._unscaled_dash_pattern
        return (offset, tuple(pattern) if pattern else None)

    styles = [dashes(line) for line in ax.lines]
    assert len(set(styles[:5])) == 5, styles
    assert styles[5] == (0, None) and styles[6] == dashes(ax.lines[1])
    handles = {
        t.get_text(): h
        for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles, strict=True)
    }
    assert [dashes(handles[f"run {i}"]) for i in range(5)] == styles[:5]


def test_bands_keep_their_style():
    fig, ax = plot.figure()
    for i in range(5):
        ax.plot([0, 1, 2], [i, i, i], color=plot.color(i))
    ax.plot([0, 2], [0, 0], color=plot.color(5), linewidth=6)
    ax.plot([0, 2], [1, 1], color=plot.color(6), alpha=0.4)
    fig.savefig(io.BytesIO(), format="png")
    assert [line._unscaled_dash_pattern[1] for line in ax.lines[5:]] == [None, None]
    assert ax.lines[1]._unscaled_dash_pattern[1] is not None


def test_four_colours_stay_solid():
    fig, ax = plot.figure()
    for i in range(4):
        ax.plot([0, 1], [i, i], color=plot.color(i))
    fig.savefig(io.BytesIO(), format="png")
    assert {line.get_linestyle() for line in ax.lines} == {"-"}


def test_a_described_figure_shows_its_description_as_text_and_alt():
    fig, ax = plot.figure(alt="Loss against step: it falls from 1 to 0.01.")
    ax.plot([0, 1], [1, 0.01])
    data, metadata = fig._repr_mimebundle_()
    assert data == {"text/plain": "Loss against step: it falls from 1 to 0.01."}
    assert metadata == {"image/png": {"alt": "Loss against step: it falls from 1 to 0.01."}}
    fig.alt = "changed once the numbers are known"
    assert fig._repr_mimebundle_()[0]["text/plain"] == "changed once the numbers are known"


def test_an_undescribed_figure_falls_back_to_the_default_text():
    fig, _ = plot.figure()
    assert fig._repr_mimebundle_() is None
    assert repr(fig).startswith("<CourseFigure size")
