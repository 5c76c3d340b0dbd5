"""The lessons as a learner sees them: JupyterLab in headless Chromium.

For every lesson with explorers (a cell with `from gdcourse import widgets`): run all
cells, find no widget or Python error, move each explorer's first slider and see its
figure change. Screenshots of each explorer, before and after, go to tests/.screenshots/
(or $GDCOURSE_SCREENSHOTS) for a person to look at. For every lesson: the stored
notebook renders its math with MathJax and all its images.

Needs Debian's chromium (`apt-get install chromium`) and the playwright package; without
them these tests are skipped with one line, except under CI=true, where they fail.
"""

import contextlib
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from tests import browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("GDCOURSE_BROWSER_NOTEBOOKS", ROOT / "notebooks"))
SCREENSHOTS = Path(os.environ.get("GDCOURSE_SCREENSHOTS", ROOT / "tests" / ".screenshots"))
LESSONS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
EXPLORER_LESSONS = [lesson for lesson in LESSONS if browser.has_explorers(lesson)]
RUN_TIMEOUT = 150  # seconds for "Run All Cells" on one lesson
FIGURE_TIMEOUT = 10  # seconds for a figure to redraw after its slider moved

pytestmark = pytest.mark.browser

UNAVAILABLE = browser.unavailable()
if UNAVAILABLE and not browser.in_ci():
    pytest.skip(UNAVAILABLE, allow_module_level=True)


if not UNAVAILABLE:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright


# Module scope, not session: Playwright's sync API keeps its event loop marked as running
# in this thread until it stops, which would break every later test that uses asyncio.
@pytest.fixture(scope="module")
def chromium():
    if UNAVAILABLE:  # only under CI=true: a missing browser fails the run
        pytest.fail(f"CI=true and {UNAVAILABLE.removeprefix('browser tests skipped: ')}")
    with sync_playwright() as playwright:
        chrome = browser.launch_chromium(playwright)
        yield chrome
        chrome.close()


@pytest.fixture(scope="module")
def lab(chromium):  # after `chromium`: no server is started when the browser is missing
    with browser.jupyter_lab(NOTEBOOKS) as server:
        yield server


class _Summary:
    """Lines added to pytest's closing summary."""

    def __init__(self, line):
        self.lines = [line]

    def pytest_terminal_summary(self, terminalreporter):
        for line in self.lines:
            terminalreporter.write_line(line)


SUMMARY = _Summary(f"browser screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def screenshots(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    request.config.pluginmanager.register(SUMMARY)
    return SCREENSHOTS


def new_tab(chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.page_errors = []
    tab.on("pageerror", lambda error: tab.page_errors.append(str(error)[:300]))
    return context, tab


def load_lab(tab, lab):
    tab.goto(lab.url())
    tab.wait_for_function("() => window.jupyterapp && window.jupyterapp.started", timeout=60_000)
    tab.evaluate("async () => { await window.jupyterapp.restored; }")


def report_failure(request, failures_before, tab, lab, screenshots):
    """After a failed test: save a screenshot of the page and JupyterLab's log."""
    if request.session.testsfailed == failures_before:
        return False
    stem = screenshots / ("FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name).strip("_"))
    with contextlib.suppress(Exception):
        tab.screenshot(path=f"{stem}.png")
    Path(f"{stem}.log").write_text(lab.log_tail(20_000))
    SUMMARY.lines.append(f"{request.node.name} failed: see {stem}.png and {stem}.log")
    return True


@pytest.fixture
def fresh_page(request, chromium, lab, screenshots):
    """A new browser context for one lesson, opened at lab/tree/<lesson>?reset."""
    failures = request.session.testsfailed
    context, tab = new_tab(chromium)
    yield tab
    report_failure(request, failures, tab, lab, screenshots)
    context.close()
    lab.shutdown_kernels()


@pytest.fixture(scope="module")
def shared_lab_page(chromium, lab):
    """One JupyterLab page, loaded once, in which lessons are opened one after another."""
    context, tab = new_tab(chromium)
    load_lab(tab, lab)
    yield tab
    context.close()


@pytest.fixture
def lab_page(request, shared_lab_page, lab, screenshots):
    failures = request.session.testsfailed
    yield shared_lab_page
    if report_failure(request, failures, shared_lab_page, lab, screenshots):
        load_lab(shared_lab_page, lab)  # the next lesson starts from a clean page
    else:
        shared_lab_page.evaluate(browser.JS_CLOSE_ALL)
    lab.shutdown_kernels()


def open_lesson(page, lab, lesson, fresh):
    """Open the lesson (fresh: load lab/tree/<lesson>?reset; else open it in the running
    JupyterLab) and wait until it is there and, when fresh, its kernel idle.
    Return the notebook as JupyterLab serves it."""
    assert lab.proc.poll() is None, f"JupyterLab has exited; its log ends:\n{lab.log_tail()}"
    nb = nbformat.read(lab.root / lesson.name, as_version=4)  # the copy it serves
    if fresh:
        page.goto(lab.url(lesson.name))
        ready = browser.JS_READY
    else:
        page.evaluate(browser.JS_OPEN, lesson.name)
        ready = browser.JS_LOADED
    page.wait_for_function(ready, arg=[lesson.name, len(nb.cells)], timeout=90_000)
    return nb


def menu(page, title, label):
    """Click a main-menu entry, as a learner would."""
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(f"^{title}$")).click()
    entry = page.locator(".lm-Menu .lm-Menu-itemLabel", has_text=re.compile(f"^{label}$"))
    entry.first.click()


def run_all_cells(page, lesson):
    """Clear all outputs, then Run ▸ Run All Cells; wait until every code cell has run."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        "(path) => {" + browser.JS_PANEL + "return Array.from(panelFor(path).content.model.cells)"
        ".every(c => c.type !== 'code' || c.executionCount === null); }",
        arg=lesson.name,
    )
    menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        state = page.evaluate(browser.JS_RUN_STATE, lesson.name)
        if state["errors"] or (state["pending"] == 0 and state["status"] == "idle"):
            return state
        assert time.monotonic() < deadline, f"{lesson.name}: Run All Cells unfinished: {state}"
        time.sleep(0.5)


def settled_src(page, figure, timeout=FIGURE_TIMEOUT, quiet=0.5):
    """Wait until the figure has loaded and its src has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        src = figure.evaluate("img => img.complete && img.naturalWidth > 0 ? img.src : null")
        if src != last:
            last, since = src, time.monotonic()
        elif src and time.monotonic() - since >= quiet:
            return src
        time.sleep(0.1)
    raise AssertionError(f"figure did not settle within {timeout} s (src {last!r})")


def move_first_slider(page, explorer):
    """Move the explorer's first slider one step with the keyboard; return (before, after)
    as the slider's readout shows them (or its aria value, when the readout is hidden)."""
    slider = explorer.locator(".widget-slider").first
    handle = slider.locator(".noUi-handle").first
    shown = (
        "el => { const r = el.querySelector('.widget-readout');"
        " const h = el.querySelector('.noUi-handle');"
        " return (r && r.offsetParent ? r.textContent.trim() : '')"
        " || h.getAttribute('aria-valuetext') || h.getAttribute('aria-valuenow'); }"
    )
    value = slider.evaluate(shown)
    handle.focus()
    for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):  # at the maximum, go left instead
        page.keyboard.press(key)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            moved = slider.evaluate(shown)
            if moved != value:
                return value, moved
            time.sleep(0.05)
    raise AssertionError(f"the first slider did not move with the arrow keys (at {value})")


def wait_kernel_idle(page, lesson, timeout=60):
    deadline = time.monotonic() + timeout
    while (state := page.evaluate(browser.JS_RUN_STATE, lesson.name))["status"] != "idle":
        assert time.monotonic() < deadline, f"{lesson.name}: kernel still {state['status']}"
        time.sleep(0.1)


def assert_no_errors(page, lesson, when):
    errors = page.evaluate(browser.JS_CELL_ERRORS, lesson.name)
    # the kernel's own reports (also from widget callbacks), unless a cell shows them
    reported = page.evaluate("window.__gdcourseErrors || []")
    errors += [e for e in reported if not any(line.endswith(e) for line in errors)]
    if errors and page.page_errors:
        errors += ["browser errors:"] + page.page_errors
    assert not errors, f"{lesson.name} {when}:\n" + "\n".join(errors)


@pytest.mark.skipif(not LESSONS, reason=f"no lessons in {NOTEBOOKS}")
def test_some_lessons_have_explorers():
    assert EXPLORER_LESSONS, f"no lesson in {NOTEBOOKS} has `from gdcourse import widgets`"


@pytest.mark.parametrize("lesson", EXPLORER_LESSONS, ids=lambda p: p.stem)
def test_explorers_run_and_respond(fresh_page, lab, screenshots, lesson):
    page = fresh_page
    open_lesson(page, lab, lesson, fresh=True)
    page.evaluate(browser.JS_WATCH_ERRORS, lesson.name)
    state = run_all_cells(page, lesson)
    explorers = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .gdcourse-explorer")
    if not state["errors"]:  # widget views appear asynchronously after their cells ran
        with contextlib.suppress(PlaywrightTimeout):  # then reported by the asserts below
            explorers.first.wait_for(state="attached", timeout=15_000)
            page.wait_for_function(browser.JS_WIDGETS_SHOWN, timeout=15_000)
    assert_no_errors(page, lesson, "after Run All Cells")
    count = explorers.count()
    assert count >= 1, f"{lesson.name} imports gdcourse.widgets but shows no .gdcourse-explorer"

    for i in range(count):
        explorer = explorers.nth(i)
        name = f"{lesson.stem}-{i + 1}"
        explorer.scroll_into_view_if_needed()
        figure = explorer.locator("img.gdcourse-figure, .gdcourse-figure img").first
        figure.wait_for(state="visible", timeout=15_000)
        old_src = settled_src(page, figure)
        explorer.screenshot(path=screenshots / f"{name}-before.png", animations="disabled")
        before = figure.screenshot(animations="disabled")

        value, moved = move_first_slider(page, explorer)
        try:
            page.wait_for_function(
                "([img, old]) => img.src !== old && img.complete && img.naturalWidth > 0",
                arg=[figure.element_handle(), old_src],
                timeout=FIGURE_TIMEOUT * 1000,
            )
        except PlaywrightTimeout:
            assert_no_errors(page, lesson, f"after moving {name}'s first slider")
            raise AssertionError(
                f"{name}: first slider {value} → {moved}, figure not redrawn in {FIGURE_TIMEOUT} s"
            ) from None
        settled_src(page, figure)
        wait_kernel_idle(page, lesson)  # a callback's traceback comes after its redraw
        explorer.screenshot(path=screenshots / f"{name}-after.png", animations="disabled")
        after = figure.screenshot(animations="disabled")
        assert after != before, f"{name}: first slider {value} → {moved}, figure pixels unchanged"
        assert_no_errors(page, lesson, f"after moving {name}'s first slider")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_renders_math_and_images(lab_page, lab, lesson):
    nb = open_lesson(lab_page, lab, lesson, fresh=False)
    node = lab_page.evaluate_handle(browser.JS_NODE, lesson.name)
    math, images = browser.math_cells(nb), browser.stored_images(nb)

    def problems():
        shown = node.evaluate(browser.JS_RENDERED)
        cells = shown["cells"]
        if len(cells) != len(nb.cells):
            return [f"{len(cells)} cells on the page, {len(nb.cells)} in the notebook"]
        found = [f"cell {i}: math not typeset" for i in math if not cells[i]["math"]]
        for i, cell in enumerate(cells):
            if nb.cells[i].cell_type == "markdown" and not cell["rendered"]:
                found.append(f"cell {i}: markdown not rendered")
            if cell["mathErrors"]:
                found.append(f"cell {i}: {cell['mathErrors']} TeX error(s)")
            found += [f"cell {i}: unknown TeX macro {m}" for m in cell["undefinedMacros"]]
            found += [f"cell {i}: raw TeX left: {text!r}" for text in cell["raw"]]
        if shown["images"] < images:
            found.append(f"{shown['images']} images on the page, {images} stored")
        found += [f"image not loaded: {src}" for src in shown["broken"]]
        return found

    deadline = time.monotonic() + 30
    while (found := problems()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not found, f"{lesson.name}:\n" + "\n".join(found)
