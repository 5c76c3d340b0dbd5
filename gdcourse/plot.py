"""Figures in one consistent look, drawn without pyplot's global state.

Every drawing function takes the Axes to draw on and returns what it drew, so a
lesson can combine panels freely; `figure()` makes a new Figure (not registered with
pyplot, so nothing is shown twice). In a notebook, end the cell with the figure to
show it. No rcParams are changed.

Log axes are drawn in the same style with less work (`CourseFigure`): powers of ten
as plain text (10⁻³) rather than mathtext, and minor ticks only on axes spanning under
two decades, where they carry the labels. Matplotlib builds a full tick object for
every minor tick; dropping the unlabelled ones about halves the drawing time of a
figure with log axes, which is most of a lesson's run time after the imports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps, ticker
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "LINESTYLES",
    "MAX_SOLID_COLORS",
    "BAND_WIDTH",
    "CONTOUR_CMAP",
    "DPI",
    "MINOR_TICKS_BELOW_DECADES",
    "PlainLogFormatter",
    "tidy_log_axis",
    "CourseFigure",
    "distinguish_lines",
    "figure",
    "style",
    "color",
    "loss_curve",
    "loss_curves",
    "function_1d",
    "contours",
    "trajectory",
    "trajectories",
    "loss_floor",
    "schedule_curves",
]

# Okabe & Ito's colour-blind-safe palette (blue, vermillion, bluish green, orange, reddish
# purple, sky blue), without its yellow, too pale on white, and with Paul Tol's indigo as a
# seventh colour. Every pair stays at least 16 CIELAB units apart under simulated
# protanopia, deuteranopia and tritanopia (tests/learn/test_plot.py).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#332288")
# A line style per palette colour, used when an Axes holds more than MAX_SOLID_COLORS
# palette colours: then no line depends on its colour alone.
LINESTYLES = ("-", "--", "-.", ":", (0, (6, 1.5, 1, 1.5, 1, 1.5)), (0, (9, 2.5)), (0, (1, 1)))
MAX_SOLID_COLORS = 4
BAND_WIDTH = 3.0  # a line this wide (points) is a band under others, not one to restyle
# Filled contours in light greys, darker where the loss is lower: every palette colour stays
# at least 15 CIELAB units from every shade, under each simulated colour-vision deficiency
# too (a blue path on a blue map did not: tests/learn/test_plot.py).
CONTOUR_CMAP = ListedColormap(colormaps["Greys_r"](np.linspace(0.65, 0.97, 256)), "gd_contours")
DPI = 90
MINOR_TICKS_BELOW_DECADES = 2.0  # log axes spanning this many decades or more lose them
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


class PlainLogFormatter(ticker.LogFormatterSciNotation):
    """Matplotlib's log tick labels (10⁻³, 2×10⁻¹) as plain text: no mathtext parse."""

    def __call__(self, x, pos=None):
        text = super().__call__(x, pos)
        match = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", text)
        if match is None:
            return text
        text = re.sub(r"\^\{([^}]*)\}", lambda m: m.group(1).translate(_SUPERSCRIPT), match[1])
        return text.replace("\\times", "×")


def tidy_log_axis(axis) -> None:
    """Give a log-scaled axis plain-text labels, and no minor ticks while it spans ≥ 2 decades.

    Only matplotlib's default log formatters and locator are replaced; ones a lesson set
    itself stay.
    """
    if axis.get_scale() != "log":
        return
    for get, put in (
        (axis.get_major_formatter, axis.set_major_formatter),
        (axis.get_minor_formatter, axis.set_minor_formatter),
    ):
        old = get()
        if type(old) is ticker.LogFormatterSciNotation:
            put(
                PlainLogFormatter(
                    old._base,
                    labelOnlyBase=old.labelOnlyBase,
                    minor_thresholds=old.minor_thresholds,
                    linthresh=old._linthresh,
                )
            )
    low, high = sorted(axis.get_view_interval())
    wide = low > 0 and math.log10(high / low) >= MINOR_TICKS_BELOW_DECADES
    minor = axis.get_minor_locator()
    if wide and type(minor) is ticker.LogLocator:
        axis.set_minor_locator(_NoMinorTicks(minor))
    elif not wide and isinstance(minor, _NoMinorTicks):  # zoomed in again (an explorer)
        axis.set_minor_locator(minor.dropped)


class _NoMinorTicks(ticker.NullLocator):
    """No minor ticks, remembering the locator it replaced."""

    def __init__(self, dropped):
        self.dropped = dropped


def distinguish_lines(ax) -> None:
    """Give each palette colour its own line style when `ax` holds more than four of them.

    Only thin solid lines drawn in a palette colour change, and the legend's sample lines
    follow, so that a reader who cannot tell two colours apart can still tell the lines
    apart. A line drawn dashed on purpose, in grey or black as a reference, or as a band (a
    line 3 points wide or more, or translucent: drawn under another line it coincides with)
    keeps its style. Runs when a CourseFigure is drawn.
    """
    palette = {c.lower(): i for i, c in enumerate(COLORS)}
    lines = [
        line
        for line in ax.lines
        if isinstance(line.get_color(), str)
        and line.get_color().lower() in palette
        and line.get_linestyle() in ("-", "--", "-.", ":")
        and line.get_linewidth() < BAND_WIDTH
        and (line.get_alpha() is None or line.get_alpha() >= 1)
    ]
    if len({line.get_color().lower() for line in lines}) <= MAX_SOLID_COLORS:
        return
    legends = [ax.get_legend(), *ax.figure.legends]
    for line in lines:
        if line.get_linestyle() != "-" and not getattr(line, "_gd_restyled", False):
            continue
        style = LINESTYLES[palette[line.get_color().lower()]]
        line.set_linestyle(style)
        line._gd_restyled = True
        for legend in legends:
            if legend is None:
                continue
            for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=False):
                if text.get_text() == line.get_label() and hasattr(handle, "set_linestyle"):
                    handle.set_linestyle(style)


class CourseFigure(Figure):
    """A Figure in the course's look, with a description for readers who cannot see it.

    Each time it is laid out or drawn it tidies its log axes (`tidy_log_axis`) and gives lines
    their own styles where colour alone would have to tell them apart (`distinguish_lines`).
    `alt`, a sentence saying what the figure shows, is its text in a notebook's output (the
    `text/plain` beside the PNG) and the PNG's alt text on the course website and in the
    slides, so a screen reader reads what the figure shows rather than its size.
    """

    alt: str | None = None

    def _tidy(self) -> None:
        for ax in self.axes:
            tidy_log_axis(ax.xaxis)
            tidy_log_axis(ax.yaxis)
            distinguish_lines(ax)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The description as text, and as the PNG's alt text; IPython adds the PNG itself.

        Without a description, None: IPython shows the default `<CourseFigure size …>`
        text, which the course's tests reject for a lesson's figure.
        """
        if not self.alt:
            return None
        return {"text/plain": self.alt}, {"image/png": {"alt": self.alt}}

    def draw(self, renderer):
        self._tidy()
        super().draw(renderer)

    def get_tightbbox(self, renderer=None, *args, **kwargs):
        self._tidy()
        return super().get_tightbbox(renderer, *args, **kwargs)


def figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    width: float = 4.2,
    height: float = 3.2,
    alt: str | None = None,
):
    """A new Figure with ncols × nrows styled panels; returns (fig, axes).

    `alt` says in a sentence what the figure shows (what is plotted against what, and what
    to see in it), for readers who cannot see the picture; it can also be set later as
    `fig.alt`, once the numbers it quotes are known.

    Introduced in lesson 01.
    """
    fig = CourseFigure(figsize=(width * ncols, height * nrows), dpi=DPI, layout="constrained")
    fig.alt = alt
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat:
        style(ax)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def style(ax) -> None:
    """The course look: light grid behind the data, no top or right frame."""
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def color(i: int) -> str:
    """The i-th colour of the course palette (wraps around).

    Introduced in lesson 01.
    """
    return COLORS[i % len(COLORS)]


def loss_curve(ax, losses, *, x=None, label=None, log=False, xlabel="step", **kw):
    """One loss curve (log scale y when `log`, for losses spanning decades).

    Introduced in lesson 02.
    """
    losses = np.asarray(losses, dtype=float)
    x = np.arange(len(losses)) if x is None else np.asarray(x)
    (line,) = ax.plot(x, losses, label=label, linewidth=1.6, **kw)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    if label is not None:
        ax.legend(frameon=False)
    return line


def loss_curves(
    curves: Mapping[str, Sequence[float]], *, log=True, xlabel="step", title=None, alt=None
):
    """A figure with several labelled loss curves on one Axes (`alt`: as for `figure`).

    Introduced in lesson 08.
    """
    fig, ax = figure(width=5.5, height=3.4, alt=alt)
    for i, (label, losses) in enumerate(curves.items()):
        loss_curve(ax, losses, label=label, log=log, xlabel=xlabel, color=color(i))
    if title:
        ax.set_title(title)
    return fig


def function_1d(ax, fn, *, iterates=None, bounds=None, label=None, color_index=0, n=400):
    """A 1-D test function's curve and, optionally, gradient-descent iterates on it.

    Introduced in lesson 01.
    """
    lo, hi = bounds or fn.bounds[0]
    if iterates is not None and len(iterates):
        pts = np.asarray(iterates, dtype=float).reshape(-1)
        lo, hi = min(lo, pts.min()), max(hi, pts.max())
    grid = np.linspace(lo, hi, n)
    ax.plot(grid, fn(grid[None]), color="#444444", linewidth=1.4)
    ax.set_xlabel("θ")
    ax.set_ylabel("L(θ)")
    if iterates is None:
        return None
    pts = np.asarray(iterates, dtype=float).reshape(-1)
    (path,) = ax.plot(
        pts,
        fn(pts[None]),
        "o-",
        color=color(color_index),
        markersize=4,
        linewidth=1,
        label=label,
        alpha=0.9,
    )
    ax.plot(pts[:1], fn(pts[None, :1]), "s", color=color(color_index), markersize=7)
    if label is not None:
        ax.legend(frameon=False)
    return path


def contours(ax, fn, *, bounds=None, levels=25, resolution=160, log=True, mark=True):
    """Filled contours of a 2-D test function, with its minima (★) and saddles (×) marked.

    With `log`, levels are spaced logarithmically above the lowest value on the grid,
    so both the steep walls and the flat valley floor show structure.

    Introduced in lesson 02.
    """
    (x0, x1), (y0, y1) = bounds or fn.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    zs = fn(np.stack([xs, ys]))
    if log:
        shifted = zs - zs.min() + 1e-3 * (zs.max() - zs.min())
        edges = np.geomspace(shifted.min(), shifted.max(), levels)
        filled = ax.contourf(xs, ys, shifted, levels=edges, cmap=CONTOUR_CMAP, norm=LogNorm())
        ax.contour(xs, ys, shifted, levels=edges, colors="#555555", linewidths=0.3, alpha=0.35)
    else:
        filled = ax.contourf(xs, ys, zs, levels=levels, cmap=CONTOUR_CMAP)
        ax.contour(xs, ys, zs, levels=levels, colors="#555555", linewidths=0.3, alpha=0.35)
    if mark:
        for m in fn.minima:
            ax.plot(*m, "*", color="#f4d35e", markersize=12, markeredgecolor="black")
        for s in fn.saddles:
            ax.plot(*s, "x", color="black", markersize=8)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("θ₁")
    ax.set_ylabel("θ₂")
    ax.grid(False)
    return filled


def trajectory(ax, points, *, label=None, color_index=0, markersize=3):
    """A 2-D optimisation path: a line through the iterates, a square at the start.

    Introduced in lesson 02.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got shape {pts.shape}")
    c = color(color_index)
    (line,) = ax.plot(
        pts[:, 0], pts[:, 1], "o-", color=c, markersize=markersize, linewidth=1.2, label=label
    )
    ax.plot(pts[0, 0], pts[0, 1], "s", color=c, markersize=7, markeredgecolor="white")
    if label is not None:
        ax.legend(frameon=True, framealpha=0.85, loc="upper right")
    return line


def trajectories(
    fn, paths: Mapping[str, np.ndarray], *, bounds=None, title=None, losses=True, alt=None
):
    """Contours of `fn` with several labelled paths, and (if `losses`) their loss curves.

    `alt`: as for `figure`. Introduced in lesson 08.
    """
    fig, axes = figure(ncols=2 if losses else 1, width=4.6, height=3.8, alt=alt)
    ax = axes[0] if losses else axes
    contours(ax, fn, bounds=bounds)
    for i, (label, pts) in enumerate(paths.items()):
        trajectory(ax, pts, label=label, color_index=i)
    if title:
        ax.set_title(title)
    if losses:
        for i, (label, pts) in enumerate(paths.items()):
            values = fn(np.asarray(pts, dtype=float).T)
            loss_curve(
                axes[1], values - loss_floor(fn), label=label, log=bool(fn.minima), color=color(i)
            )
        axes[1].set_ylabel("L(θ) − L(θ*)" if fn.minima else "loss")
    return fig


def loss_floor(fn) -> float:
    """The loss at fn's lowest known minimum (0 when it has none): what a curve of
    L(θ) − L(θ*) subtracts, so that it shows the distance to the minimum on log axes."""
    best = fn.global_minimum
    return float(fn(best)) if best is not None else 0.0


def schedule_curves(ax, schedules: Mapping[str, Sequence[float]], *, log=False):
    """Learning rate against step for several schedules on one Axes.

    Introduced in lesson 09.
    """
    for i, (name, lrs) in enumerate(schedules.items()):
        ax.plot(np.arange(len(lrs)), lrs, label=name, color=color(i), linewidth=1.6)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate η")
    ax.legend(frameon=False, fontsize="small")
