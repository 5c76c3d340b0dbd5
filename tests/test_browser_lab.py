"""JupyterLab as `make lab` opens it, offline: no news, no update check, and each explorer's
picture in a lesson until its cell runs. Headless Chromium, like tests/test_browser.py.

JupyterLab is started as `make lab` starts it (`jupyter lab`, with nothing on its command
line about news or updates), in this environment, whose overrides.d holds the course's
settings (gdcourse/lab-settings/gdcourse.json, installed by `make setup`; the file itself is
checked by tests/test_lab_settings.py). Its config, data, runtime and user-settings folders
are new and empty (the user settings hold only `windowingMode: none`, which attaches every
cell to the page), so nothing a user of this machine set can hide or fake the result. The
test's own additions: a loopback port and a token, `expose_app_in_browser` (the page's
model, to wait on), and an audit hook in the server process that logs any name lookup or
connection for a host off this machine.

The lesson is a copy of the first lesson with an explorer, stored by `gdcourse execute`
and trusted, as JupyterLab has a notebook a learner saved (it then ranks a widget view above
the PNG: what showed "model not found" before `gdcourse execute` dropped the widget view).

- Opened, every explorer shows its PNG and no widget error; Run All: the live explorer, with
  its sliders and figure, and no error.
- Throughout, the page has every request to a host other than the local server aborted and
  recorded: none. No toast (the news question) appears; the page never calls the endpoints
  through which the server fetches news, checks for updates or lists extensions; the server
  looks up or connects to no host off this machine.
- Control: the same lesson with a widget view added back to each explorer output shows no
  picture there, only JupyterLab's widget placeholder or error.

Screenshots of the explorer as stored and as run go to tests/.screenshots/ (or
$GDCOURSE_SCREENSHOTS). Needs Debian's chromium and playwright, as tests/test_browser.py does.
"""

import contextlib
import copy
import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from jupyterlab.commands import get_app_dir
from nbformat.sign import NotebookNotary

from gdcourse.authoring.notebooks import WIDGET_VIEW, execute
from gdcourse.authoring.release import LAB_SETTINGS
from gdcourse.widgets import EXPLORER_MARK
from tests import browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("GDCOURSE_SCREENSHOTS", ROOT / "tests" / ".screenshots"))
LESSON = next(
    p for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")) if browser.has_explorers(p)
)
INSTALLED = Path(get_app_dir(), "settings", "overrides.d", LAB_SETTINGS.name)
# Flags of tests/browser.py's command line that set what the course's settings must set here.
NOT_FROM_MAKE_LAB = ("--LabApp.news_url", "--LabApp.check_for_updates_class")
# Where the page asks the server to reach the network: news (and the update check), and the
# extension manager's listing of PyPI.
NETWORK_ENDPOINTS = ("/lab/api/news", "/lab/api/update", "/lab/api/extensions")
OUTBOUND = "GDCOURSE-OUTBOUND"

pytestmark = pytest.mark.browser

UNAVAILABLE = browser.unavailable()
if UNAVAILABLE and not browser.in_ci():
    pytest.skip(UNAVAILABLE, allow_module_level=True)

if not UNAVAILABLE:
    from playwright.sync_api import sync_playwright

# `python -m jupyterlab` (what `jupyter lab` runs), with an audit hook that writes a line to
# the server's log for every name lookup or connection for a host that is not this machine.
SERVER = f"""
import runpy, sys
LOCAL = {{"127.0.0.1", "::1", "localhost", "0.0.0.0", "::", ""}}
def outbound(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else None  # else a Unix socket
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        host = args[0]
    else:
        return
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is not None and str(host) not in LOCAL:
        sys.stderr.write(f"{OUTBOUND} {{event}} {{args!r}}\\n")
        sys.stderr.flush()
sys.addaudithook(outbound)
sys.argv[0] = "jupyter-lab"
runpy.run_module("jupyterlab", run_name="__main__", alter_sys=True)
"""

# Every toast JupyterLab shows, recorded as it appears (the news question is one).
RECORD_TOASTS = """
window.__toasts = [];
new MutationObserver(() => {
  for (const toast of document.querySelectorAll('.Toastify__toast')) {
    const text = toast.textContent.trim();
    if (!window.__toasts.includes(text)) window.__toasts.push(text);
  }
}).observe(document, {subtree: true, childList: true});
"""

# What the outputs of cell `i` show.
JS_OUTPUT = (
    "([path, i]) => {"
    + browser.JS_PANEL
    + """
  const cell = panelFor(path).content.widgets[i];
  const area = cell.node.querySelector('.jp-OutputArea');
  const images = Array.from(area.querySelectorAll('img'));
  return {
    trusted: cell.model.trusted,
    images: images.length,
    loaded: images.filter(img => img.complete && img.naturalWidth > 0).length,
    text: area.textContent.trim().slice(0, 300),
    live: area.querySelectorAll('.gdcourse-explorer').length,
    sliders: area.querySelectorAll('.gdcourse-explorer .widget-slider').length,
    figure: area.querySelectorAll('.gdcourse-explorer img.gdcourse-figure').length,
  };
}"""
)


def explorer_cells(nb):
    """Indices of the cells with an explorer's output (found by its mark)."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if any(
            EXPLORER_MARK.items() <= o.get("metadata", {}).items() for o in cell.get("outputs", [])
        )
    ]


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def chromium():
    if UNAVAILABLE:  # only under CI=true: a missing browser fails the run
        pytest.fail(f"CI=true and {UNAVAILABLE.removeprefix('browser tests skipped: ')}")
    with sync_playwright() as playwright:
        chrome = browser.launch_chromium(playwright)
        yield chrome
        chrome.close()


@pytest.fixture(scope="module")
def lessons(tmp_path_factory):
    """The folder JupyterLab serves: the lesson as `gdcourse execute` stores it, and the
    control (the same with a widget view added back to each explorer output), both signed
    as trusted in the notary of `data/` beside the folder."""
    folder = tmp_path_factory.mktemp("lab")
    root = folder / "notebooks"
    root.mkdir()
    lesson = root / LESSON.name
    shutil.copy2(LESSON, lesson)
    execute(lesson)
    nb = nbformat.read(lesson, as_version=4)
    assert explorer_cells(nb), f"{LESSON.name} stored no explorer output with the mark"
    control = copy.deepcopy(nb)
    for i in explorer_cells(control):
        for output in control.cells[i].outputs:
            view = {"version_major": 2, "version_minor": 0, "model_id": secrets.token_hex(16)}
            output["data"][WIDGET_VIEW] = view
    nbformat.write(control, root / f"control-{LESSON.name}")
    (folder / "data").mkdir()
    notary = NotebookNotary(data_dir=str(folder / "data"))
    for path in (lesson, root / f"control-{LESSON.name}"):
        notary.sign(nbformat.read(path, as_version=4))
    return root


@pytest.fixture(scope="module")
def lab(chromium, lessons):
    """JupyterLab as `make lab` starts it, in this environment, over `lessons`."""
    if not INSTALLED.is_file() or INSTALLED.read_bytes() != (ROOT / LAB_SETTINGS).read_bytes():
        pytest.fail(
            f"{INSTALLED} is missing or differs from {LAB_SETTINGS}: this environment lacks "
            "the course's JupyterLab settings (run `make setup`)"
        )
    tmp = lessons.parent
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_TOKEN"}
    for name, folder in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ]:
        (tmp / folder).mkdir(exist_ok=True)
        env[name] = str(tmp / folder)
    tracker = (
        tmp / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    )
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    port, token = browser.free_port(), secrets.token_hex(24)
    command = [
        a for a in browser.lab_command(lessons, port, token) if not a.startswith(NOT_FROM_MAKE_LAB)
    ]
    assert command[1:3] == ["-m", "jupyterlab"]
    command[1:3] = ["-c", SERVER]
    log = tmp / "jupyterlab.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = browser.Lab(lessons, port, token, proc, log)
    try:
        if not browser.wait_until_up(server, 90):
            raise RuntimeError(f"JupyterLab did not start; its log ends:\n{server.log_tail()}")
        yield server
    finally:
        browser.stop(server)


class Watched:
    """A page whose requests to other hosts are aborted and recorded, with its toasts."""

    def __init__(self, chromium, lab):
        self.lab, self.remote, self.local, self.sockets = lab, [], [], []
        self.context = chromium.new_context(
            viewport={"width": 1400, "height": 1000}, service_workers="block"
        )
        self.context.add_init_script(RECORD_TOASTS)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.lab.base + "/"):
            self.local.append(url.removeprefix(self.lab.base).split("?")[0])
            route.continue_()
        else:
            self.remote.append(url)
            route.abort("internetdisconnected")

    def toasts(self):
        return self.page.evaluate("window.__toasts")


@pytest.fixture
def watched(request, chromium, lab):
    failures = request.session.testsfailed
    watched = Watched(chromium, lab)
    yield watched
    if request.session.testsfailed != failures:
        stem = SCREENSHOTS / ("FAILED-" + re.sub(r"[^\w.-]+", "_", request.node.name))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            watched.page.screenshot(path=f"{stem}.png")
        Path(f"{stem}.log").write_text(lab.log_tail(20_000))
    watched.context.close()
    lab.shutdown_kernels()


# ---------------------------------------------------------------------------------------
# Helpers


def open_notebook(watched, name):
    """Open lab/tree/<name> and wait until its cells are there and its kernel is idle."""
    nb = nbformat.read(watched.lab.root / name, as_version=4)
    watched.page.goto(watched.lab.url(name))
    watched.page.wait_for_function(browser.JS_READY, arg=[name, len(nb.cells)], timeout=90_000)
    return nb


def output_of(watched, name, i, settled, timeout=30):
    """What cell i's output shows, once `settled(shown)` holds (or the last seen at timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        shown = watched.page.evaluate(JS_OUTPUT, [name, i])
        if settled(shown) or time.monotonic() > deadline:
            return shown
        time.sleep(0.25)


def settings_default(lab, plugin, key):
    """The default the server gives a setting (the schema's, or an override's), and the
    user's own settings of that plugin as a raw text."""
    url = f"{lab.base}/lab/api/settings/{plugin}?token={lab.token}"
    with urllib.request.urlopen(url, timeout=10) as response:
        found = json.loads(response.read())
    return found["schema"]["properties"][key]["default"], found["raw"]


def run_all(watched, name, timeout=150):
    watched.page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
    )
    deadline = time.monotonic() + timeout
    while True:
        state = watched.page.evaluate(browser.JS_RUN_STATE, name)
        if state["errors"] or (state["pending"] == 0 and state["status"] == "idle"):
            return state
        assert time.monotonic() < deadline, f"{name}: Run All Cells unfinished: {state}"
        time.sleep(0.5)


def assert_offline_and_quiet(watched):
    assert not watched.remote, f"requests to other hosts: {watched.remote}"
    sockets = [
        u for u in watched.sockets if not u.startswith(f"ws://127.0.0.1:{watched.lab.port}/")
    ]
    assert not sockets, f"websockets to other hosts: {sockets}"
    asked = [u for u in watched.local if u.startswith(NETWORK_ENDPOINTS)]
    assert not asked, f"the page asked the server to reach the network: {sorted(set(asked))}"
    outbound = [line for line in watched.lab.log_tail(10**7).splitlines() if OUTBOUND in line]
    assert not outbound, "the server reached for other hosts:\n" + "\n".join(outbound[:5])
    assert not watched.toasts(), f"toasts appeared: {watched.toasts()}"


# ---------------------------------------------------------------------------------------
# Tests


def test_the_course_settings_are_jupyterlabs_defaults_and_no_user_setting_makes_them(lab):
    for plugin, key, value in [
        ("@jupyterlab/apputils-extension:notification", "fetchNews", "false"),
        ("@jupyterlab/apputils-extension:notification", "checkForUpdates", False),
        ("@jupyterlab/extensionmanager-extension:plugin", "enabled", False),
    ]:
        assert settings_default(lab, plugin, key) == (value, "{}"), (plugin, key)


def test_a_lesson_opens_offline_without_news_showing_each_explorer_picture_until_it_runs(
    watched, lab
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    nb = open_notebook(watched, LESSON.name)
    cells = explorer_cells(nb)

    def picture(shown):
        return shown["images"] and shown["loaded"] == shown["images"]

    for i in cells:
        shown = output_of(watched, LESSON.name, i, picture)
        assert shown["trusted"], f"cell {i}: the notebook is not trusted, the test means nothing"
        assert shown["images"] == shown["loaded"] == 1, f"cell {i} shows no picture: {shown}"
        assert not re.search(r"widget|model not found|error", shown["text"], re.I), shown
        assert not shown["live"], f"cell {i}: a widget before the cell ran: {shown}"
    cell = watched.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").nth(cells[0])
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=SCREENSHOTS / f"lab-{LESSON.stem}-stored.png", animations="disabled")

    state = run_all(watched, LESSON.name)
    assert not state["errors"], watched.page.evaluate(browser.JS_CELL_ERRORS, LESSON.name)

    def live(shown):
        return shown["live"] and shown["sliders"] and shown["figure"] and picture(shown)

    for i in cells:
        shown = output_of(watched, LESSON.name, i, live)
        assert shown["live"] == 1 and shown["sliders"] >= 1 and shown["figure"] == 1, shown
        assert shown["images"] == shown["loaded"] == 1, f"cell {i}: only the live figure: {shown}"
    assert not watched.page.evaluate(browser.JS_CELL_ERRORS, LESSON.name)
    cell.scroll_into_view_if_needed()
    cell.screenshot(path=SCREENSHOTS / f"lab-{LESSON.stem}-run.png", animations="disabled")
    assert_offline_and_quiet(watched)


def test_control_a_stored_widget_view_hides_the_picture_in_a_trusted_notebook(watched, lab):
    name = f"control-{LESSON.name}"
    nb = open_notebook(watched, name)
    for i in explorer_cells(nb):
        shown = output_of(watched, name, i, lambda s: "Error displaying widget" in s["text"])
        assert shown["trusted"] and shown["images"] == 0, shown
        assert re.search(r"Loading widget|Error displaying widget", shown["text"]), shown
    assert_offline_and_quiet(watched)
