"""Interactive explorers: sliders over a figure that redraws in place.

Every explorer is a thin layer over pure functions of gdcourse.explore and
gdcourse.rates. Its figure is drawn once with Agg; a slider move only updates the data
of a few artists and redraws those over a cached background (blitting), then ships a
JPEG to an ipywidgets.Image. Redraws are coalesced: during a fast drag the kernel
renders the latest value at most once per `delay` seconds, never a queue of stale ones.
Without a live kernel (nbconvert HTML, a static viewer) the output still shows a PNG of
the explorer's default state, since every explorer's display bundle carries one.

    from gdcourse import widgets
    widgets.momentum_map()
"""

from __future__ import annotations

import asyncio
import base64
import functools
import html
import io
import textwrap

import ipywidgets as W
import numpy as np
from matplotlib import colormaps, font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from PIL import Image, ImageDraw, ImageFont

from . import explore, functions, optim, plot, rates

__all__ = [
    "Explorer",
    "LearningRate",
    "learning_rate",
    "Optimizers",
    "optimizers",
    "MomentumMap",
    "momentum_map",
    "Schedules",
    "schedules",
    "BatchSize",
    "batch_size",
    "Restarts",
    "restarts",
    "DeepGradients",
    "deep_gradients",
    "EXPLORERS",
    "EXPLORER_MARK",
]

# In the metadata of every explorer's output: how tools that read stored notebooks (the
# course website) tell an explorer's picture from any other, since the stored output has no
# widget view (gdcourse.authoring.notebooks drops it: without a live kernel it has no model).
EXPLORER_MARK = {"gdcourse": {"explorer": True}}


def _look() -> dict:
    """Width and label width shared by every control, so the rows line up."""
    return {"style": {"description_width": "7em"}, "layout": W.Layout(width="20em")}


def _log_slider(description, value, lo, hi):
    """A FloatLogSlider over [10**lo, 10**hi] (what learning rates need)."""
    return W.FloatLogSlider(
        value=value, base=10, min=lo, max=hi, step=0.01, description=description, **_look()
    )


def _slider(description, value, lo, hi, step):
    """An IntSlider for an int step, else a FloatSlider."""
    cls = W.IntSlider if isinstance(step, int) else W.FloatSlider
    return cls(value=value, min=lo, max=hi, step=step, description=description, **_look())


def _dropdown(description, options, value=None):
    value = value if value is not None else options[0]
    return W.Dropdown(options=options, value=value, description=description, **_look())


def _marked(repr_mimebundle):
    """`_repr_mimebundle_` with EXPLORER_MARK added to the output's metadata."""

    @functools.wraps(repr_mimebundle)
    def marked(self, **kwargs):
        data, metadata = repr_mimebundle(self, **kwargs)
        return data, {**metadata, **EXPLORER_MARK}

    return marked


class Explorer(W.VBox):
    """Controls above a figure; subclasses build artists in `_build` and move them in `_update`.

    `_update(values)` sets the data of the animated artists (and anything else that
    changes) and returns a key naming the background it needs; when the key changes,
    the whole figure is redrawn and cached, otherwise only the animated artists are.
    """

    title = "explorer"
    picture = ""  # what the figure shows, in words: the start of its alt text
    delay = 0.03  # seconds between a change and its redraw (coalesces a drag)

    def __init__(self, controls: dict, fig, animated):
        self.controls = controls
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.animated = list(animated)
        for artist in self.animated:
            artist.set_animated(True)
        self.image = W.Image(format="jpeg", layout=W.Layout(max_width="100%"))
        self.image.add_class("gdcourse-figure")
        self.readout = W.HTML()  # numbers that follow the sliders: text in HTML costs nothing,
        self.status = W.HTML()  # where Agg needs about 10 ms to draw two lines of text
        self._lines = ()  # the readout's lines, also drawn into the static PNG
        self.renders = 0
        self._key = self._background = None
        self._pending = None
        box = W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap"))
        super().__init__([box, self.readout, self.image, self.status])
        self.add_class("gdcourse-explorer")
        self.add_class("gdcourse-" + type(self).__name__.lower())
        for control in controls.values():
            control.observe(self._changed, names="value")
        self.render()

    # ---------------------------------------------------------------- update scheduling

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _changed(self, _change) -> None:
        """A control moved: redraw soon, once, with whatever the values are by then."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script, a test): draw right away
            self.render()
            return
        if self._pending is None:
            self._pending = loop.call_later(self.delay, self._flush)

    def _flush(self) -> None:
        self._pending = None
        self.render()

    # ------------------------------------------------------------------------ drawing

    def render(self) -> None:
        """Recompute for the current values and redraw; a failure is shown, not raised."""
        try:
            key = self._update(self.values())
            self.image.value = self._draw(key)
            self.status.value = ""
        except Exception as exc:  # shown to the learner as one line, never a traceback
            message = html.escape(f"{type(exc).__name__}: {exc}")
            self.status.value = f"<span style='color:#b00020'>Could not draw: {message}</span>"
        self.renders += 1

    def _draw(self, key) -> bytes:
        if self._background is None or key != self._key:
            self.canvas.draw()  # animated artists are left out of the background
            # the layout is settled by the first draw; re-solving it costs more than the rest
            self.fig.set_layout_engine("none")
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self._key = key
        else:
            self.canvas.restore_region(self._background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        out = io.BytesIO()
        Image.fromarray(self._rgb()).save(out, format="jpeg", quality=90)
        return out.getvalue()

    def _rgb(self) -> np.ndarray:
        """The canvas as an RGB array (Agg draws RGBA)."""
        return np.ascontiguousarray(np.asarray(self.canvas.buffer_rgba())[..., :3])

    def _static_png(self) -> bytes:
        """The current figure as a PNG, with the readout's lines in a band above it."""
        rgb = self._rgb()
        # wrap each readout line to the picture's width (about 7.3 px a character at 13 px)
        width = max(20, int((rgb.shape[1] - 20) / 7.3))
        lines = [part for line in self._lines for part in textwrap.wrap(line, width) or [""]]
        font = ImageFont.truetype(font_manager.findfont("DejaVu Sans"), 13)
        band = 8 + 18 * len(lines)
        image = Image.new("RGB", (rgb.shape[1], rgb.shape[0] + band), "white")
        image.paste(Image.fromarray(rgb), (0, band))
        draw = ImageDraw.Draw(image)
        for i, line in enumerate(lines):
            draw.text((10, 4 + 18 * i), line, fill="#222222", font=font)
        out = io.BytesIO()
        image.save(out, format="png")
        return out.getvalue()

    def _update(self, values: dict):
        raise NotImplementedError

    def say(self, *lines: str) -> None:
        """Show lines of text above the figure (and in the static picture)."""
        self._lines = lines
        self.readout.value = "<br>".join(html.escape(line) for line in lines)

    # ------------------------------------------------------------------ static output

    @_marked
    def _repr_mimebundle_(self, **kwargs):
        """The live widget, plus a PNG of the current state for renderers without a kernel."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["image/png"] = base64.b64encode(self._static_png()).decode("ascii")
        data["text/plain"] = f"{self.title} (run the cell in a live kernel to use the sliders)"
        # The picture's alt text (the course website, the slides): what it shows, and the
        # readout drawn above it, so a screen reader gets the numbers a sighted reader sees.
        alt = f"{self.title}: {self.picture}."
        if self._lines:
            alt += " Readout: " + "; ".join(self._lines) + "."
        if isinstance(bundle, tuple):
            data, metadata = bundle
            return data, {**(metadata or {}), "image/png": {"alt": alt}}
        return data, {"image/png": {"alt": alt}}


# --------------------------------------------------------------------- learning rate


class LearningRate(Explorer):
    """Gradient descent on a 1-D function: η and the start point against the 2/λ rule."""

    title = "Learning-rate explorer"
    picture = (
        "left, gradient descent's iterates on the chosen 1-D loss L(θ); right, the loss above"
        " its minimum against the step, on a log scale"
    )
    FUNCTIONS = {
        "quadratic, λ = 1": ("quadratic_1d", {"curvature": 1.0}),
        "quadratic, λ = 4": ("quadratic_1d", {"curvature": 4.0}),
        "double well": ("double_well", {}),
    }

    def __init__(self, steps: int = 25):
        self.steps = steps
        controls = {
            "function": _dropdown("function", list(self.FUNCTIONS)),
            "lr": _log_slider("η", 0.3, -2, 0.5),
            "start": _slider("start θ₀", 2.0, -2.5, 2.5, 0.05),
        }
        fig, (self.ax, self.ax_loss) = plot.figure(ncols=2, width=4.4, height=3.0)
        (self.curve,) = self.ax.plot([], [], color="#444444", linewidth=1.4)
        (self.path,) = self.ax.plot([], [], "o-", color=plot.color(0), markersize=4, linewidth=1)
        (self.first,) = self.ax.plot([], [], "s", color=plot.color(0), markersize=7)
        (self.loss,) = self.ax_loss.plot([], [], "o-", color=plot.color(0), markersize=3)
        self.ax.set_xlabel("θ")
        self.ax.set_ylabel("L(θ)")
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("L(θ) − L(θ*)")
        self.ax_loss.set_xlim(0, steps)
        self.ax_loss.set_ylim(1e-12, 1e4)
        super().__init__(controls, fig, [self.path, self.first, self.loss])

    def _update(self, v):
        name, params = self.FUNCTIONS[v["function"]]
        fn = functions.get(name, **params)
        (lo, hi) = fn.bounds[0]
        start = self.controls["start"]
        if (start.min, start.max) != (lo, hi):
            start.min, start.max = lo, hi
        traj = explore.gd_path(fn, v["start"], v["lr"], self.steps)
        pts = traj.points[:, 0]
        self.path.set_data(pts, traj.losses)
        self.first.set_data(pts[:1], traj.losses[:1])
        floor = float(fn(explore.nearest_minimum(fn, pts[-1:])))
        self.loss.set_data(np.arange(len(pts)), np.maximum(traj.losses - floor, 1e-12))
        curvature = explore.curvature_at_minimum(fn, pts[-1:])
        regime = explore.lr_regime(v["lr"], curvature)
        if traj.diverged:
            regime += ", left the plot"
        self.say(
            f"curvature λ = {curvature:.3g} at the minimum reached, "
            f"ηλ = {v['lr'] * curvature:.3g}: {regime}"
        )
        if v["function"] != self._key:  # a new background: the curve of the new function
            grid = np.linspace(lo, hi, 300)
            values = fn(grid[None])
            self.curve.set_data(grid, values)
            self.ax.set_xlim(lo, hi)
            span = values.max() - values.min()
            self.ax.set_ylim(values.min() - 0.05 * span, values.max() + 0.25 * span)
        return v["function"]


def learning_rate(**kw) -> LearningRate:
    """The learning-rate explorer: η and the start point against the 2/λ rule (LearningRate).

    Introduced in lesson 01.
    """
    return LearningRate(**kw)


# ------------------------------------------------------------------------ optimisers


class Optimizers(Explorer):
    """Real torch.optim optimisers side by side on a 2-D test function."""

    title = "Optimiser explorer"
    picture = (
        "left, the paths of several torch.optim optimisers over the contours of a 2-D test "
        "function; right, each one's loss above the minimum against the step"
    )
    STARTS = {
        "ravine": (-4.0, 2.0),
        "rosenbrock": (-1.5, 2.0),
        "saddle": (-1.0, 0.01),
        "several_minima": (0.0, 1.5),
    }
    DEFAULT_LR = {"ravine": 0.1, "rosenbrock": 0.002, "saddle": 0.05, "several_minima": 0.05}

    def __init__(self, steps: int = 60, selected=("SGD", "momentum", "Adam")):
        self.steps = steps
        self.checks = {
            name: W.Checkbox(
                value=name in selected,
                description=name,
                indent=False,
                layout=W.Layout(width="7.5em"),
            )
            for name in optim.OPTIMIZERS
        }
        controls = {
            "function": _dropdown("function", list(self.STARTS)),
            "lr": _log_slider("η", self.DEFAULT_LR["ravine"], -4, 0),
            "beta": _slider("β / β₁", 0.9, 0.0, 0.99, 0.01),
            "beta2": _slider("β₂ / α", 0.999, 0.5, 0.999, 0.001),
            "noise": _slider("noise σ", 0.0, 0.0, 2.0, 0.05),
            **self.checks,
        }
        fig, (self.ax, self.ax_loss) = plot.figure(ncols=2, width=4.6, height=3.6)
        self.paths, self.losses = {}, {}
        for i, name in enumerate(optim.OPTIMIZERS):
            (self.paths[name],) = self.ax.plot(
                [], [], "o-", color=plot.color(i), markersize=2, linewidth=1.2, label=name
            )
            (self.losses[name],) = self.ax_loss.plot(
                [], [], color=plot.color(i), linewidth=1.5, label=name
            )
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step")
        self.ax_loss.set_ylabel("L(θ) − L(θ*)")
        self.ax_loss.set_xlim(0, steps)
        animated = [*self.paths.values(), *self.losses.values()]
        super().__init__(controls, fig, animated)

    def _draw_function(self, function):
        """Contours and axes for a new test function (the slow part; once per function)."""
        for artist in list(self.ax.collections) + [
            a for a in self.ax.lines if a not in self.paths.values()
        ]:
            artist.remove()
        fn = explore.test_function(function)
        plot.contours(self.ax, fn, resolution=120, levels=20)
        start = self.STARTS[function]
        self.ax.plot(*start, "s", color="black", markersize=6)
        self.ax.set_title(function, fontsize="small")
        floor = plot.loss_floor(fn)
        top = float(fn(np.array(start))) - floor
        self.ax_loss.set_ylim(1e-8, max(top, 1e-6) * 30)

    def _update(self, v):
        function = v["function"]
        shown = tuple(name for name in optim.OPTIMIZERS if v[name])
        key = (function, shown)
        if self._key is None or function != self._key[0]:
            self._draw_function(function)
        if key != self._key:  # the legend names only the optimisers drawn
            handles = [self.paths[name] for name in shown]
            self.ax_loss.legend(handles, shown, frameon=False, fontsize="x-small")
        fn = explore.test_function(function)
        floor = plot.loss_floor(fn)
        ends = []
        for name in optim.OPTIMIZERS:
            path, loss = self.paths[name], self.losses[name]
            show = bool(v[name])
            path.set_visible(show)
            loss.set_visible(show)
            if not show:
                continue
            traj = explore.optimizer_path(
                function,
                name,
                self.STARTS[function],
                lr=v["lr"],
                beta=v["beta"],
                beta2=v["beta2"],
                noise=v["noise"],
                steps=self.steps,
            )
            path.set_data(traj.points[:, 0], traj.points[:, 1])
            loss.set_data(np.arange(len(traj.losses)), np.maximum(traj.losses - floor, 1e-12))
            gap = "diverged" if traj.diverged else f"{traj.losses[-1] - floor:.3g}"
            ends.append(f"{name} {gap}")
        x0, y0 = self.STARTS[function]
        self.say(
            f"{function} from θ₀ = "
            + f"({x0:g}, {y0:g})".replace("-", "−")
            + f"; η = {v['lr']:.3g}, β / β₁ = "
            f"{v['beta']:.2f}, β₂ / α = {v['beta2']:.3f}, noise σ = {v['noise']:.2f}",
            f"L(θ) − L(θ*) after {self.steps} steps: " + ", ".join(ends or ["(tick one)"]),
        )
        return key


def optimizers(**kw) -> Optimizers:
    """The optimiser explorer: torch.optim's optimisers side by side (Optimizers).

    Introduced in lesson 10.
    """
    return Optimizers(**kw)


# --------------------------------------------------------------------------- momentum


class MomentumMap(Explorer):
    """The convergence speed over the (η, β) plane, and the path of the chosen pair.

    The curvatures are the smallest and largest eigenvalues λ_min and λ_max of the
    quadratic's Hessian (``mu`` and ``L`` in the code; L here is not the loss). In units
    of 1/λ_max on the η axis the map depends on κ = λ_max/λ_min alone. Moving η or β only
    redraws the point and the path over the cached map; moving a curvature
    redraws the whole figure.
    """

    title = "Momentum explorer"
    picture = (
        "left, a map over the plane of η·λ_max and β of the steps heavy-ball momentum needs "
        "to converge, grey where it diverges, with the chosen pair marked; right, the chosen "
        "pair's path in the two eigen-directions"
    )
    MAX_STEPS = 1000  # the colour scale: steps to shrink the error 1000×, predicted from the rate

    def __init__(self, steps: int = 60):
        self.steps = steps
        controls = {
            "mu": _log_slider("smallest λ", 0.05, -2, 0),
            "L": _log_slider("largest λ", 1.0, -1, 1),
            "lr": _slider("η·λ_max", 1.0, 0.01, 3.99, 0.01),
            "beta": _slider("β", 0.5, 0.0, 0.99, 0.01),
        }
        fig, (self.ax, self.ax_path) = plot.figure(ncols=2, width=4.4, height=3.6)
        cmap = colormaps["viridis"].with_extremes(over="#d9d9d9", bad="#d9d9d9")
        self.mesh = self.ax.imshow(
            np.ones((2, 2)),
            origin="lower",
            aspect="auto",
            cmap=cmap,
            norm=LogNorm(1, self.MAX_STEPS),
            extent=(0.0, 4.0, 0.0, 0.99),
        )
        fig.colorbar(self.mesh, ax=self.ax, extend="max", label="predicted steps to error ÷ 1000")
        (self.point,) = self.ax.plot(
            [], [], "o", color="white", markeredgecolor="black", markersize=8, label="(η, β)"
        )
        (self.best,) = self.ax.plot(
            [],
            [],
            "*",
            color="#f4d35e",
            markeredgecolor="black",
            markersize=12,
            label="best (η*, β*)",
        )
        self.ax.legend(loc="lower left", fontsize="x-small", framealpha=0.8)
        self.kappa = self.ax.text(
            0.98,
            0.98,
            "",
            transform=self.ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        )
        self.ax.grid(False)  # grid lines would cross the map
        self.ax.set_xlabel("η·λ_max  (η in units of 1/λ_max; grey: diverges)")
        self.ax.set_ylabel("β")
        self.ellipses = [
            self.ax_path.plot([], [], color="#9bb7d4", linewidth=0.8)[0] for _ in range(6)
        ]
        (self.path,) = self.ax_path.plot(
            [], [], "o-", color=plot.color(1), markersize=2.5, linewidth=1.1
        )
        self.ax_path.set_xlim(-1.5, 1.5)
        self.ax_path.set_ylim(-1.5, 1.5)
        self.ax_path.set_aspect("equal")
        self.ax_path.set_xlabel("error along the smallest λ")
        self.ax_path.set_ylabel("error along the largest λ")
        super().__init__(controls, fig, [self.point, self.path])

    def _draw_map(self, mu, L):
        """The map for κ = λ_max/λ_min (L/mu): steps to converge, over (η·λ_max, β)."""
        lrs, betas, rate = explore.momentum_grid(mu, L)
        steps = rates.steps_to_reduce(np.minimum(rate, 1.0), 1e-3)
        steps = np.where(np.isfinite(steps), np.minimum(steps, self.MAX_STEPS * 0.999), np.inf)
        self.mesh.set_data(np.maximum(steps, 1.0))
        self.mesh.set_extent((lrs[0] * L, lrs[-1] * L, betas[0], betas[-1]))
        best = rates.optimal_momentum(mu, L)
        self.best.set_data([best.lr * L], [best.beta])
        self.kappa.set_text(f"κ = λ_max/λ_min = {L / mu:.3g}")
        t = np.linspace(0, 2 * np.pi, 120)
        for k, line in enumerate(self.ellipses, start=1):
            level = 0.5 * (k / 4) ** 2 * L  # level sets of ½(μ x₁² + L x₂²)
            line.set_data(np.sqrt(2 * level / mu) * np.cos(t), np.sqrt(2 * level / L) * np.sin(t))

    def _update(self, v):
        mu, L = v["mu"], v["L"]
        if mu > L:
            raise ValueError(f"the smallest λ ({mu:.3g}) must not exceed the largest ({L:.3g})")
        if (mu, L) != self._key:  # a new background: the map for these curvatures
            self._draw_map(mu, L)
        lr = v["lr"] / L
        self.point.set_data([v["lr"]], [v["beta"]])
        traj = explore.momentum_path(lr, v["beta"], mu, L, steps=self.steps)
        self.path.set_data(traj.points[:, 0], traj.points[:, 1])
        rate = rates.momentum_rate(lr, v["beta"], [mu, L])
        steps = rates.steps_to_reduce(min(rate, 1.0), 1e-3)
        best = rates.optimal_momentum(mu, L)
        best_steps = rates.steps_to_reduce(best.rate, 1e-3)
        when = "never" if not np.isfinite(steps) else f"{steps:.0f} steps"
        self.say(
            f"η = {lr:.4g}, β = {v['beta']:.2f}: rate {rate:.4f} per step, "
            f"error ÷ 1000 in {when} (predicted from the rate)",
            f"best pair η* = {best.lr:.4g}, β* = {best.beta:.3f}: rate {best.rate:.4f}, "
            f"{best_steps:.0f} steps predicted",
        )
        return (mu, L)


def momentum_map(**kw) -> MomentumMap:
    """The (η, β) convergence map of momentum (MomentumMap).

    Introduced in lesson 08.
    """
    return MomentumMap(**kw)


# -------------------------------------------------------------------------- schedules


class Schedules(Explorer):
    """A torch scheduler's learning rate, and lesson 09's training run under it.

    The run is `explore.schedule_run`: the lesson's data, batches of 50 and momentum 0.5,
    from zero weights; the right panel shows the excess loss L − L* on a log axis, as the
    lesson's figures do, so that schedules ending 10 or 1000 times apart stay apart.
    """

    title = "Schedule explorer"
    picture = (
        "left, the learning rate a torch scheduler gives at each step; right, lesson 09's "
        "training loss above its minimum under that schedule"
    )
    # what the `period` and `gamma` sliders mean for each scheduler that reads them
    PERIOD = {
        "StepLR": "step_size",
        "warmup + cosine": "warmup steps",
        "OneCycleLR": "steps to peak",
        "ReduceLROnPlateau": "patience",
    }
    GAMMA = {"ReduceLROnPlateau": "factor"}

    def __init__(self, steps: int = 100):
        self.steps = steps
        controls = {
            "scheduler": _dropdown("scheduler", list(explore.SCHEDULERS), "warmup + cosine"),
            "lr": _log_slider("η (peak)", 0.1, -3, -0.5),
            "gamma": _slider("γ", 0.5, 0.01, 1.0, 0.01),
            "period": _slider("warmup steps", 10, 1, steps - 1, 1),
            "eta_min": _log_slider("η_min", 1e-3, -5, -1),
        }
        fig, (self.ax, self.ax_loss) = plot.figure(ncols=2, width=4.4, height=3.0)
        (self.lr_line,) = self.ax.plot([], [], color=plot.color(0), linewidth=1.6)
        (self.loss_line,) = self.ax_loss.plot([], [], color=plot.color(1), linewidth=1.4)
        self.ax.set_xlabel("step (one batch)")
        self.ax.set_ylabel("learning rate η")
        self.ax.set_yscale("log")
        self.ax.set_xlim(0, steps)
        self.ax.set_ylim(1e-6, 1.0)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step (one batch)")
        self.ax_loss.set_ylabel("L − L*  (full data)")
        self.ax_loss.set_xlim(0, steps)
        self.ax_loss.set_ylim(1e-8, 1e2)
        super().__init__(controls, fig, [self.lr_line, self.loss_line])

    def _update(self, v):
        reads, _ = explore.SCHEDULERS[v["scheduler"]]
        for name in ("gamma", "period", "eta_min"):  # grey out the knobs it does not read
            self.controls[name].disabled = name not in reads
        self.controls["period"].description = self.PERIOD.get(v["scheduler"], "period")
        self.controls["gamma"].description = self.GAMMA.get(v["scheduler"], "γ")
        lrs, excess = explore.schedule_run(
            v["scheduler"],
            lr=v["lr"],
            steps=self.steps,
            gamma=v["gamma"],
            period=v["period"],
            eta_min=v["eta_min"],
        )
        x = np.arange(1, self.steps + 1)
        self.lr_line.set_data(x, np.maximum(lrs, 1e-6))
        self.loss_line.set_data(x, excess)
        last = excess[-1]
        self.say(
            f"{v['scheduler']}: η from {lrs[0]:.3g} (first batch) to {lrs[-1]:.3g} (last); "
            + (f"final L − L* = {last:.3g}" if np.isfinite(last) else "the run diverged")
        )
        return "axes"


def schedules(**kw) -> Schedules:
    """The schedule explorer: a scheduler's η and its training run (Schedules).

    Introduced in lesson 09.
    """
    return Schedules(**kw)


# ------------------------------------------------------------------------- batch size


class BatchSize(Explorer):
    """Mini-batch gradients around the full gradient, and SGD's loss curve, as B changes.

    Its data are `explore.batch_data()`: the 5-feature regression with n = 512 and noise
    1.0, from w = 0, so that B can reach the whole data set on a slider of powers of two.
    """

    title = "Batch-size explorer"
    picture = (
        "left, a cloud of mini-batch gradients around the full gradient and their mean; "
        "right, SGD's full-data loss against the examples seen"
    )
    SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)

    def __init__(self, epochs: int = 1):
        self.epochs = epochs
        controls = {
            "batch_size": W.SelectionSlider(
                options=list(self.SIZES), value=16, description="batch size B", **_look()
            ),
            "lr": _log_slider("η", 0.05, -3, -0.5),
        }
        fig, (self.ax, self.ax_loss) = plot.figure(ncols=2, width=4.4, height=3.4)
        grads, full = explore.minibatch_gradients(1)
        spread = np.abs(grads[:, :2] - full[:2]).max() * 1.05
        self.ax.set_xlim(full[0] - spread, full[0] + spread)
        self.ax.set_ylim(full[1] - spread, full[1] + spread)
        self.ax.set_aspect("equal")
        self.cloud = self.ax.scatter(
            [], [], s=6, color=plot.color(0), alpha=0.5, label="mini-batch gradients"
        )
        self.ax.plot(
            full[0],
            full[1],
            "*",
            color="#f4d35e",
            markeredgecolor="black",
            markersize=13,
            label="full gradient",
            zorder=5,
        )
        (self.mean,) = self.ax.plot(
            [], [], "x", color=plot.color(1), markersize=9, label="their mean"
        )
        self.ax.set_xlabel("∂L/∂w₁")
        self.ax.set_ylabel("∂L/∂w₂")
        self.ax.legend(loc="upper right", fontsize="x-small", framealpha=0.85)
        (self.loss,) = self.ax_loss.plot([], [], color=plot.color(0), linewidth=1.2)
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("examples seen")
        self.ax_loss.set_ylabel("full-data MSE")
        n = len(explore.batch_data()[1])
        self.ax_loss.set_xlim(0, epochs * n)
        self.ax_loss.set_ylim(0.5, 100)
        animated = [self.cloud, self.mean, self.loss]
        super().__init__(controls, fig, animated)

    def _update(self, v):
        B = int(v["batch_size"])
        grads, full = explore.minibatch_gradients(B)
        self.cloud.set_offsets(grads[:, :2])
        mean = grads.mean(axis=0)
        self.mean.set_data([mean[0]], [mean[1]])
        spread = float(np.sqrt(((grads - full) ** 2).sum(axis=1).mean()))
        predicted = explore.minibatch_spread(B)
        n = len(explore.batch_data()[1])
        seen, losses = explore.sgd_losses(B, v["lr"], epochs=self.epochs)
        self.loss.set_data(seen, losses)
        if n == B:  # every batch is the whole data set: the distance is round-off
            measured = "0 (every batch is all the data)"
        else:
            measured = f"{spread:.3g} (formula σ/√B·√((n−B)/(n−1)) = {predicted:.3g})"
        self.say(
            f"B = {B}: rms distance of a mini-batch gradient to the full one {measured}",
            f"{len(losses) - 1} updates in {self.epochs} epoch(s), final MSE {losses[-1]:.4g}",
        )
        return "axes"


def batch_size(**kw) -> BatchSize:
    """The batch-size explorer: mini-batch gradients and SGD's loss as B changes (BatchSize).

    Introduced in lesson 05.
    """
    return BatchSize(**kw)


EXPLORERS = {
    "learning_rate": learning_rate,
    "optimizers": optimizers,
    "momentum_map": momentum_map,
    "schedules": schedules,
    "batch_size": batch_size,
}


# --- lesson 12: deep gradients


class DeepGradients(Explorer):
    """Per-layer activation spread and weight-gradient norm of lesson 12's network.

    One forward and backward pass (`explore.deep_statistics`) of Linear(5, 32), `depth`
    hidden blocks Linear(32, 32) → activation initialised as chosen, then Linear(32, 1),
    on lesson 12's batch of 64 examples. Both panels share one fixed log axis, so that
    settings can be compared by eye; values beyond it are drawn on its edge and the
    readout says so. A spread lost to float64 rounding (`explore.deep_rounding_floor`) is
    printed as a bound, not as a value.
    """

    title = "Depth and initialisation explorer"
    picture = (
        "left, the spread of each block's output over a batch; right, the norm of each "
        "block's weight gradient; both against the block's number, on one log axis from 1e-40 "
        "to 1e40 with a dotted line at 1"
    )
    MAX_DEPTH = 30
    LIMITS = (1e-40, 1e40)

    def __init__(self):
        controls = {
            "depth": _slider("depth", 20, 1, self.MAX_DEPTH, 1),
            "init": _dropdown("initialisation", list(explore.DEEP_INITS), "Kaiming"),
            "activation": _dropdown("activation", list(explore.DEEP_ACTIVATIONS), "ReLU"),
        }
        fig, (self.ax, self.ax_grad) = plot.figure(ncols=2, width=4.4, height=3.4)
        style = dict(marker="o", markersize=3, linewidth=1.4)
        (self.spread,) = self.ax.plot([], [], color=plot.color(0), **style)
        (self.grad,) = self.ax_grad.plot([], [], color=plot.color(1), **style)
        for ax in (self.ax, self.ax_grad):
            ax.set_yscale("log")
            ax.set_ylim(*self.LIMITS)
            ax.set_xlim(0.5, self.MAX_DEPTH + 0.5)
            ax.set_yticks([10.0**k for k in range(-40, 41, 10)])
            ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":")
            ax.set_xlabel("block l (1 = nearest the input)")
        self.ax.set_ylabel("spread of hₗ over the batch")
        self.ax.set_title("forward: how much of the input gets through", fontsize="medium")
        self.ax_grad.set_ylabel("‖∂L/∂Wₗ‖")
        self.ax_grad.set_title("backward: each block's weight gradient", fontsize="medium")
        super().__init__(controls, fig, [self.spread, self.grad])

    def _update(self, v):
        depth = int(v["depth"])
        spread, grad, loss = explore.deep_statistics(depth, v["init"], v["activation"])
        lo, hi = self.LIMITS
        layers = np.arange(1, depth + 1)
        with np.errstate(invalid="ignore"):
            self.spread.set_data(layers, np.clip(spread, lo, hi))
            self.grad.set_data(layers, np.clip(grad, lo, hi))
        outside = (spread < lo) | (spread > hi) | (grad < lo) | (grad > hi) | ~np.isfinite(grad)
        ratio = grad[0] / grad[-1]
        if grad.max() < 1e-6:
            verdict = "every block's gradient is tiny"
        elif ratio < 1e-2:
            verdict = "vanishing towards the input"
        elif ratio > 1e2:
            verdict = "exploding towards the input"
        else:
            verdict = "block 1 and the last block within 100× of each other"
        edge = " (points off the chart sit on its edge)" if outside.any() else ""
        floor = explore.deep_rounding_floor(depth, v["init"], v["activation"])
        shown = [
            f"< {floor[i]:.0e} (lost to rounding)" if spread[i] < floor[i] else f"{spread[i]:.1e}"
            for i in (0, -1)
        ]
        self.say(
            f"{depth} blocks, {v['activation']}, init {v['init']}: loss {loss:.3g}{edge}",
            f"spread of hₗ: {shown[0]} at block 1, {shown[1]} at block {depth}",
            f"‖∂L/∂Wₗ‖: {grad[0]:.1e} at block 1, {grad[-1]:.1e} at block {depth}, "
            f"ratio {ratio:.0e}: {verdict}",
        )
        return "axes"


def deep_gradients(**kw) -> DeepGradients:
    """The depth/initialisation explorer: per-layer activation spread and gradient norm.

    Introduced in lesson 12.
    """
    return DeepGradients(**kw)


EXPLORERS["deep_gradients"] = deep_gradients


# --- lesson 11: loss landscapes


class Restarts(Explorer):
    """Random restarts of gradient descent on several_minima: where each start goes, and
    the best loss found as the number of restarts grows.

    The starts are uniform in a square around the shallowest minimum (`spread` in each
    coordinate, cut to the plotted square); `explore.restart_runs` runs RESTART_TRIALS trials
    of up to MAX_RESTARTS starts at once and is cached, so moving k costs only a redraw.
    The left panel shows the first trial's k starts and their first 60 steps, in the
    colour of the minimum each reaches; the right one the best loss found against k.
    """

    title = "Restart explorer"
    picture = (
        "left, trial 1's k starts on several_minima, drawn from the dashed square, and their "
        "first 60 steps, each in the colour of the minimum it reaches (★ in the same colour); "
        "right, the best final loss among the first k runs against k, averaged over the "
        f"{explore.RESTART_TRIALS} trials (dots) and for trial 1 (dashed), with each minimum's "
        "loss dotted and the chosen k marked by a square"
    )

    def __init__(self):
        from matplotlib.collections import LineCollection
        from matplotlib.patches import Rectangle

        fn = explore.test_function(explore.RESTART_FUNCTION)
        self.fn, self.minima = fn, np.array(fn.minima)
        self.levels = np.array([float(fn(m)) for m in fn.minima])
        kmax = explore.MAX_RESTARTS
        controls = {
            "restarts": _slider("restarts k", 8, 1, kmax, 1),
            "spread": _slider("spread", 1.5, 0.1, 3.5, 0.05),
            "lr": _log_slider("η", 0.03, np.log10(0.02), np.log10(0.12)),
        }
        fig, (self.ax, self.ax_best) = plot.figure(ncols=2, width=4.4, height=3.6)
        plot.contours(self.ax, fn, resolution=100, levels=15)
        for i, m in enumerate(fn.minima):
            self.ax.plot(*m, "*", color=plot.color(i), markeredgecolor="black", markersize=13)
        self.box = Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linestyle="--")
        self.ax.add_patch(self.box)
        self.links = LineCollection([], linewidths=0.9, alpha=0.8)
        self.ax.add_collection(self.links)
        self.starts = self.ax.scatter([], [], s=22, edgecolors="black", linewidths=0.5, zorder=4)
        self.ax.set_title(
            "trial 1: each start, its path, in the colour of its minimum", fontsize="small"
        )
        ks = np.arange(1, kmax + 1)
        for i, level in enumerate(self.levels):
            self.ax_best.axhline(level, color=plot.color(i), linestyle=":", linewidth=1.2)
            self.ax_best.text(kmax + 0.3, level, f"min {i}", va="center", fontsize="x-small")
        (self.mean,) = self.ax_best.plot(
            ks,
            ks * 0.0,
            "o-",
            color="black",
            markersize=3,
            label=f"mean over {explore.RESTART_TRIALS} trials",
        )
        (self.first,) = self.ax_best.step(
            ks, ks * 0.0, "--", where="post", color=plot.color(5), label="trial 1"
        )
        (self.now,) = self.ax_best.plot(
            [], [], "s", color="#f4d35e", markeredgecolor="black", markersize=9
        )
        self.ax_best.set(
            xlabel="restarts k",
            ylabel="best final loss of the k runs",
            xlim=(0.5, kmax + 2.5),
            ylim=(self.levels.min() - 0.3, self.levels.max() + 0.5),
            xticks=np.arange(2, kmax + 1, 2),
        )
        self.ax_best.legend(loc="center right", fontsize="x-small", framealpha=0.85)
        animated = [self.box, self.links, self.starts, self.mean, self.first, self.now]
        super().__init__(controls, fig, animated)

    def _update(self, v):
        k = int(v["restarts"])
        starts, basin, losses = explore.restart_runs(v["spread"], v["lr"])
        lo, hi = explore.restart_box(v["spread"])
        self.box.set_bounds(lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
        mine = starts[:, 0, :k].T  # trial 1's first k starts, (k, 2)
        colours = [plot.color(int(i)) for i in basin[0, :k]]
        self.starts.set_offsets(mine)
        self.starts.set_facecolors(colours)
        paths = explore.restart_paths(v["spread"], v["lr"])[:, :, :k]  # (steps + 1, 2, k)
        self.links.set_segments(list(paths.transpose(2, 0, 1)))
        self.links.set_colors(colours)
        best = explore.best_of_restarts(losses)
        self.mean.set_ydata(best.mean(axis=0))
        self.first.set_ydata(best[0])
        self.now.set_data([k], [best[:, k - 1].mean()])
        glob = int(np.argmin(self.levels))
        found = basin == glob
        p = found.mean()
        share = found[:, :k].any(axis=1).mean()
        # the formula's chance, and the binomial standard error of a share of len(basin) trials
        q = 1 - (1 - p) ** k
        error = np.sqrt(q * (1 - q) / len(basin))
        counts = np.bincount(basin[0, :k], minlength=len(self.levels))
        reached = ", ".join(f"{n} min {i}" for i, n in enumerate(counts) if n)
        self.say(
            f"k = {k} starts in the dashed square (spread {v['spread']:.2f}), η = {v['lr']:.3g}",
            f"trial 1 reached {reached}; its best loss {_signed(best[0, k - 1])} "
            f"(global minimum {_signed(self.levels[glob])})",
            f"{len(basin)} trials: p = {p:.3f} per start; the best of k found the global "
            f"minimum in {share:.0%}",
            f"1 − (1 − p)^k = {q:.0%} ± {error:.0%} (standard error of {len(basin)} trials)",
        )
        return "axes"


def _signed(x: float) -> str:
    """x to 3 decimals with a real minus sign (−6.386), as the readout prints a loss."""
    return f"{x:.3f}".replace("-", "−")


def restarts(**kw) -> Restarts:
    """The restart explorer: random restarts on several_minima, the basin each start
    reaches and the best loss found against the number of restarts (Restarts).

    Introduced in lesson 11.
    """
    return Restarts(**kw)


EXPLORERS["restarts"] = restarts
