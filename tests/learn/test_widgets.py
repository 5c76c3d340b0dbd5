"""The explorers as widgets: they draw, redraw in place, coalesce drags and degrade to a PNG."""

from __future__ import annotations

import asyncio
import base64
import html
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbconvert import HTMLExporter
from PIL import Image

from gdcourse import explore, widgets

# one value per explorer's main control that differs from the default, and must redraw
MOVES = {
    "learning_rate": ("lr", 0.6),
    "optimizers": ("lr", 0.02),
    "momentum_map": ("beta", 0.8),
    "schedules": ("lr", 0.2),
    "batch_size": ("batch_size", 128),
}


@pytest.fixture(scope="module", params=sorted(widgets.EXPLORERS))
def explorer(request):
    return request.param, widgets.EXPLORERS[request.param]()


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.int16)


def test_explorer_draws_its_default_state(explorer):
    name, e = explorer
    assert e.status.value == "", e.status.value
    assert e.readout.value  # the numbers that go with the figure
    image = pixels(e.image.value)
    assert image.shape[0] > 200 and image.shape[1] > 600
    assert image.std() > 10  # not a blank canvas
    assert "gdcourse-explorer" in e._dom_classes and "gdcourse-figure" in e.image._dom_classes


def test_every_control_redraws_the_figure(explorer):
    name, e = explorer
    for key, control in e.controls.items():
        if control.disabled:  # greyed out: the chosen scheduler does not read it
            continue
        before = pixels(e.image.value)
        old = control.value
        if hasattr(control, "options"):
            options = list(control.options)
            control.value = options[(options.index(old) + 1) % len(options)]
        elif isinstance(control.value, bool):
            control.value = not old
        else:
            span = control.max - control.min
            control.value = old + 0.2 * span if old + 0.2 * span <= control.max else control.min
        assert e.status.value == "", f"{name}.{key}: {e.status.value}"
        assert np.abs(pixels(e.image.value) - before).max() > 40, f"{name}.{key} drew nothing new"
        control.value = old


def test_a_slider_move_reuses_the_cached_background(explorer):
    name, e = explorer
    key, value = MOVES[name]
    background = e._background
    before = e.renders
    e.controls[key].value = value
    assert e.renders == before + 1
    assert e._background is background  # blitted, not redrawn from scratch


def test_display_bundle_carries_a_png_of_the_current_state(explorer):
    name, e = explorer
    data = e._repr_mimebundle_()
    if isinstance(data, tuple):
        data = data[0]
    assert "application/vnd.jupyter.widget-view+json" in data
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG")
    static, live = Image.open(io.BytesIO(png)).size, Image.open(io.BytesIO(e.image.value)).size
    assert static[0] == live[0] and static[1] > live[1]  # the readout's lines in a band above
    assert "live kernel" in data["text/plain"]


def test_a_fast_drag_renders_once_with_the_latest_value():
    e = widgets.momentum_map()
    before = e.renders

    async def drag():
        for beta in np.linspace(0.1, 0.9, 25):
            e.controls["beta"].value = float(beta)  # 25 changes before the loop runs again
        assert e.renders == before  # nothing drawn yet: one redraw is scheduled
        await asyncio.sleep(e.delay * 4)

    asyncio.run(drag())
    assert e.renders == before + 1
    x, y = e.point.get_data()
    assert y[0] == pytest.approx(0.9)


def test_learning_rate_explorer_labels_the_regime_from_2_over_L():
    e = widgets.learning_rate()
    e.controls["function"].value = "quadratic, λ = 4"
    for lr in (0.1, 0.4, 0.6):
        e.controls["lr"].value = lr
        assert html.escape(explore.lr_regime(e.controls["lr"].value, 4.0)) in e.readout.value


def test_a_bad_combination_is_reported_in_the_explorer_not_raised():
    e = widgets.momentum_map()
    e.controls["mu"].value = 1.0
    e.controls["L"].value = 0.2
    assert "must not exceed" in e.status.value
    e.controls["L"].value = 5.0
    assert e.status.value == ""


def test_optimizer_checkboxes_show_and_hide_paths():
    e = widgets.optimizers()
    assert e.paths["Adam"].get_visible() and not e.paths["RMSprop"].get_visible()
    e.controls["RMSprop"].value = True
    assert e.paths["RMSprop"].get_visible() and len(e.paths["RMSprop"].get_xdata()) > 1


def test_optimizer_legend_names_only_the_ticked_optimizers():
    e = widgets.optimizers()

    def legend():
        return [t.get_text() for t in e.ax_loss.get_legend().get_texts()]

    assert legend() == ["SGD", "momentum", "Adam"]
    e.controls["SGD"].value = False
    e.controls["RMSprop"].value = True
    assert legend() == ["momentum", "RMSprop", "Adam"]
    e.controls["function"].value = "rosenbrock"
    assert legend() == ["momentum", "RMSprop", "Adam"]


# ------------------------------------------------------------- the stored lessons

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(
    p
    for p in (ROOT / "notebooks").glob("*.ipynb")
    if "from gdcourse import widgets" in p.read_text(encoding="utf-8")
)


def test_the_five_explorers_are_in_their_lessons():
    used = set()
    for path in LESSONS:
        used |= set(re.findall(r"widgets\.(\w+)\(", path.read_text(encoding="utf-8")))
    assert used >= set(widgets.EXPLORERS), sorted(set(widgets.EXPLORERS) - used)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_a_static_render_of_the_lesson_shows_each_explorer_as_a_png(path):
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata  # no saved widget state: renderers use the PNG
    cells = [c for c in nb.cells if c.cell_type == "code" and "widgets." in c.source]
    for cell in cells:
        (output,) = cell.outputs
        # as `gdcourse execute` stores it: the PNG and the mark, no widget view (no model)
        assert "image/png" in output.data
        assert "application/vnd.jupyter.widget-view+json" not in output.data
        assert widgets.EXPLORER_MARK.items() <= output.metadata.items()
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert "application/vnd.jupyter.widget-view+json" not in html
    for cell in cells:
        assert output_png(cell) in html


def output_png(cell) -> str:
    return cell.outputs[0].data["image/png"].strip()[:200]


# --- lesson 12: deep gradients

MOVES["deep_gradients"] = ("depth", 12)


def test_deep_gradients_explorer_draws_deep_statistics():
    e = widgets.deep_gradients()
    e.controls["depth"].value = 25
    e.controls["init"].value = "N(0, 0.01²): too small"
    e.controls["activation"].value = "tanh"
    spread, grad, _ = explore.deep_statistics(25, "N(0, 0.01²): too small", "tanh")
    x, y = e.grad.get_data()
    np.testing.assert_array_equal(x, np.arange(1, 26))
    np.testing.assert_allclose(y, np.clip(grad, *e.LIMITS))
    np.testing.assert_allclose(e.spread.get_data()[1], np.clip(spread, *e.LIMITS))
    assert "every block&#x27;s gradient is tiny" in e.readout.value
    e.controls["init"].value = "N(0, 1): too large"
    assert "exploding towards the input" in e.readout.value
    # a sigmoid's last spread is float64 rounding: printed as a bound, not as a value
    e.controls["activation"].value = "sigmoid"
    e.controls["init"].value = "default (nn.Linear)"
    floor = explore.deep_rounding_floor(25, "default (nn.Linear)", "sigmoid")
    assert explore.deep_statistics(25, "default (nn.Linear)", "sigmoid")[0][-1] < floor[-1]
    assert f"&lt; {floor[-1]:.0e} (lost to rounding) at block 25" in e.readout.value


# --- lesson 11: loss landscapes

MOVES["restarts"] = ("restarts", 12)


def test_restart_explorer_draws_the_restart_runs():
    e = widgets.restarts()
    e.controls["spread"].value = 3.5
    e.controls["lr"].value = 0.05
    e.controls["restarts"].value = 5
    lr = e.controls["lr"].value
    starts, basin, losses = explore.restart_runs(3.5, lr)
    np.testing.assert_array_equal(e.starts.get_offsets(), starts[:, 0, :5].T)
    assert len(e.links.get_segments()) == 5
    best = explore.best_of_restarts(losses)
    np.testing.assert_allclose(e.mean.get_ydata(), best.mean(axis=0))
    np.testing.assert_allclose(e.first.get_ydata(), best[0])
    glob = int(np.argmin(e.levels))
    assert f"p = {np.mean(basin == glob):.3f} per start" in e.readout.value
    # the formula's chance for k = 5, with the binomial standard error of the trials' share
    q = 1 - (1 - np.mean(basin == glob)) ** 5
    error = np.sqrt(q * (1 - q) / len(basin))
    assert f"= {q:.0%} ± {error:.0%} (standard error of {len(basin)} trials)" in e.readout.value
    # a narrow square around the shallowest minimum: no number of restarts finds the global one
    e.controls["spread"].value = 0.3
    assert "p = 0.000 per start" in e.readout.value and "global minimum in 0%" in e.readout.value
