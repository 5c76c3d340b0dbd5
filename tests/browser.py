"""Helpers for the browser tests: find Chromium, run JupyterLab, drive a notebook in it.

Used by tests/test_browser.py. JupyterLab runs on a free loopback port with a random
token, over a temporary copy of the lessons, with its own settings, workspaces and
runtime folders (news and update checks off, every cell attached to the page); it is
started with `expose_app_in_browser`, so the tests can wait on the notebook's own model
(execution counts, kernel status) instead of guessing from the page.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat

DEBIAN_CHROMIUM = "/usr/bin/chromium"
SKIP_REASON = "browser tests skipped: Debian's chromium is not installed (apt-get install chromium)"
NO_PLAYWRIGHT = "browser tests skipped: the playwright package is not installed (make setup)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers often have a tiny /dev/shm; Chromium then crashes on large pages.
    "--disable-dev-shm-usage",
]
# JupyterLab user settings: no news or update pop-ups, and every cell attached to the
# page (the default windowing leaves cells out of view unrendered).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def in_ci():
    return os.environ.get("CI", "").strip().lower() == "true"


def chromium_executable():
    """The Chromium to drive: $GDCOURSE_CHROMIUM, else Debian's, else `chromium` on PATH."""
    for candidate in (os.environ.get("GDCOURSE_CHROMIUM"), DEBIAN_CHROMIUM):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def unavailable():
    """Why the browser tests cannot run here (one line), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return NO_PLAYWRIGHT
    if chromium_executable() is None:
        return SKIP_REASON
    return None


def launch_chromium(playwright):
    return playwright.chromium.launch(
        executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS
    )


def offline_tab(chrome, requests, errors, **options):
    """A new tab in a context with no network; it appends each request's URL to `requests`
    and each page error or console error to `errors`."""
    context = chrome.new_context(offline=True, **options)
    tab = context.new_page()
    tab.on("request", lambda r: requests.append(r.url))
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return tab


def remote(requests):
    """The requests that would leave the machine (anything but file: and data: URLs)."""
    return [url for url in requests if not url.startswith(("file:", "data:"))]


# ---------------------------------------------------------------------------------------
# JupyterLab


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """A running JupyterLab server: `url(path)` gives a logged-in address for a notebook."""

    def __init__(self, root, port, token, proc, log):
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook=None):
        where = f"lab/tree/{urllib.parse.quote(notebook)}" if notebook else "lab"
        return f"{self.base}/{where}?reset&token={self.token}"

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(
            f"{self.base}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
            data=b"" if method == "POST" else None,
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Shut down every session (and its kernel) so the next lesson has the CPU."""
        for session in self.api("GET", "sessions"):
            with contextlib.suppress(urllib.error.URLError):
                self.api("DELETE", f"sessions/{session['id']}")
        for kernel in self.api("GET", "kernels"):
            with contextlib.suppress(urllib.error.URLError):
                self.api("DELETE", f"kernels/{kernel['id']}")

    def log_tail(self, chars=3000):
        return self.log.read_text(errors="replace")[-chars:]


def lab_command(root, port, token):
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.getuid() == 0:
        command.append("--allow-root")
    return command


@contextlib.contextmanager
def jupyter_lab(notebooks, startup_timeout=90):
    """Copy `notebooks` into a temporary folder and serve it with JupyterLab; yield a Lab."""
    with tempfile.TemporaryDirectory(prefix="gdcourse-lab-") as tmp:
        tmp = Path(tmp)
        root = tmp / "notebooks"
        shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        env = dict(os.environ)
        for name, folder in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTERLAB_SETTINGS_DIR", "settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
        ]:
            (tmp / folder).mkdir()
            env[name] = str(tmp / folder)
        for name, settings in LAB_SETTINGS.items():
            path = tmp / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        env.pop("JUPYTER_TOKEN", None)
        log = tmp / "jupyterlab.log"
        token = secrets.token_hex(24)
        lab = None
        for _attempt in range(3):  # the free port can be taken between choosing and binding
            port = free_port()
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    lab_command(root, port, token),
                    cwd=tmp,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            lab = Lab(root, port, token, proc, log)
            if wait_until_up(lab, startup_timeout):
                break
            stop(lab)
        else:
            raise RuntimeError(f"JupyterLab did not start; its log ends:\n{lab.log_tail()}")
        try:
            yield lab
        finally:
            stop(lab)


def wait_until_up(lab, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.proc.poll() is not None:
            return False
        try:
            if lab.api("GET", "status", timeout=2) is not None:
                return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.25)
    return False


def stop(lab):
    """Ask the server to shut down (it stops its kernels), then make sure it is gone."""
    if lab.proc.poll() is None:
        with contextlib.suppress(urllib.error.URLError, OSError, ValueError):
            lab.shutdown_kernels()
            lab.api("POST", "shutdown", timeout=5)
        try:
            lab.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.proc.send_signal(signal.SIGTERM)
            try:
                lab.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                lab.proc.kill()
                lab.proc.wait()


# ---------------------------------------------------------------------------------------
# What a notebook should show


def code_of(cell):
    return cell.source if cell.cell_type == "code" else ""


def has_explorers(path):
    nb = nbformat.read(path, as_version=4)
    return any(
        re.search(r"^\s*from\s+gdcourse\s+import\s+.*\bwidgets\b", code_of(c), re.M)
        for c in nb.cells
    )


MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+\$", re.S)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def math_cells(nb):
    """Indices of the markdown cells with $...$ or $$...$$ outside code."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and MATH.search(CODE.sub("", cell.source))
    ]


def stored_images(nb):
    """How many <img> the stored outputs and markdown should put on the page."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            count += len(re.findall(r"!\[[^\]]*\]\(|<img\b", cell.source))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            count += any(m in data for m in ("image/png", "image/jpeg", "image/gif"))
    return count


# ---------------------------------------------------------------------------------------
# JavaScript run in the page (window.jupyterapp is there thanks to expose_app_in_browser)

JS_PANEL = """
const panelFor = (path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) return w;
  }
  return null;
};
"""

# Ready: the notebook model is loaded with all its cells, the kernel is up and idle.
JS_READY = (
    "([path, ncells]) => {"
    + JS_PANEL
    + """
  const panel = panelFor(path);
  if (!panel || !panel.context.isReady || !panel.sessionContext.isReady) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.content.widgets.length === ncells;
}"""
)

# Loaded: the notebook model is there with all its cells (the kernel may still start).
JS_LOADED = (
    "([path, ncells]) => {"
    + JS_PANEL
    + """
  const panel = panelFor(path);
  return !!panel && panel.context.isReady && panel.content.widgets.length === ncells;
}"""
)

JS_NODE = "(path) => {" + JS_PANEL + "return panelFor(path).content.node; }"

JS_OPEN = """async (path) => {
  await window.jupyterapp.commands.execute('docmanager:open', {path});
}"""

# Close every open document without asking (a notebook that ran has unsaved changes).
JS_CLOSE_ALL = """() => {
  for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) w.dispose();
}"""

# Collect every error the kernel reports, also from widget callbacks (which JupyterLab
# sends to the log console, not to a cell).
JS_WATCH_ERRORS = (
    "(path) => {"
    + JS_PANEL
    + """
  const panel = panelFor(path);
  window.__gdcourseErrors = [];
  panel.sessionContext.iopubMessage.connect((_, msg) => {
    const c = msg.content || {};
    if (msg.header.msg_type === 'error') {
      window.__gdcourseErrors.push(`${c.ename}: ${c.evalue}`);
    } else if (msg.header.msg_type === 'stream' && c.name === 'stderr'
               && /Traceback/.test(c.text)) {
      window.__gdcourseErrors.push(c.text.slice(-600));
    }
  });
}"""
)

# Progress of "Run All Cells": done when every code cell with code has an execution count
# and the kernel is idle, or as soon as a cell has an error output (run-all stops there).
JS_RUN_STATE = (
    "(path) => {"
    + JS_PANEL
    + """
  const panel = panelFor(path);
  const cells = Array.from(panel.content.model.cells);
  const code = cells.filter(c => c.type === 'code' && c.sharedModel.getSource().trim());
  const pending = code.filter(c => c.executionCount === null).length;
  const errors = code.filter(c => c.outputs.toJSON().some(o => o.output_type === 'error'));
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {code: code.length, pending, status: kernel ? kernel.status : 'none',
          errors: errors.length};
}"""
)

# What a learner would see as broken in the notebook's outputs, one line per problem.
JS_CELL_ERRORS = (
    "(path) => {"
    + JS_PANEL
    + """
  const panel = panelFor(path);
  const out = [];
  Array.from(panel.content.model.cells).forEach((cell, i) => {
    if (cell.type !== 'code') return;
    for (const o of cell.outputs.toJSON()) {
      if (o.output_type === 'error') out.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      const text = Array.isArray(o.text) ? o.text.join('') : (o.text || '');
      if (o.output_type === 'stream' && o.name === 'stderr' && /Traceback/.test(text))
        out.push(`cell ${i}: stderr: ${text.slice(-600)}`);
    }
  });
  const node = panel.content.node;
  for (const el of node.querySelectorAll('.jp-OutputArea-output'))
    if (el.textContent.includes('Error displaying widget'))
      out.push('widget: ' + el.textContent.trim().slice(0, 300));
  for (const el of node.querySelectorAll('.jupyter-widgets-error-widget'))
    out.push('widget failed to render: ' + el.textContent.trim().slice(0, 300));
  // stderr inside widgets (an Output widget that caught a callback's traceback)
  for (const el of node.querySelectorAll(
      '.jupyter-widgets [data-mime-type="application/vnd.jupyter.stderr"]'))
    if (/Traceback|Error/.test(el.textContent))
      out.push('in a widget: ' + el.textContent.trim().slice(-600));
  return out;
}"""
)

# Every widget output has finished loading (its view is shown, or its error is).
JS_WIDGETS_SHOWN = """() => !Array.from(document.querySelectorAll('.jp-OutputArea-output'))
  .some(el => el.textContent.trim() === 'Loading widget...')"""

# Math and images of the stored notebook, cell by cell (cells are in notebook order).
JS_RENDERED = """(node) => {
  const cells = Array.from(node.querySelectorAll(':scope .jp-Cell'));
  const rawMath = (root) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      if (t.parentElement.closest('code, pre, mjx-container, script')) continue;
      if (t.textContent.includes('$\\\\') || t.textContent.includes('$$'))
        found.push(t.textContent.trim().slice(0, 80));
    }
    return found;
  };
  const imgs = Array.from(node.querySelectorAll('.jp-Cell img'));
  return {
    cells: cells.map(cell => {
      const md = cell.querySelector('.jp-RenderedMarkdown');
      return {
        markdown: cell.classList.contains('jp-MarkdownCell'),
        rendered: !!md,
        math: md ? md.querySelectorAll('mjx-container').length : 0,
        mathErrors: md ? md.querySelectorAll('mjx-merror').length : 0,
        // MathJax shows an unknown macro as its name in red (the noundefined extension)
        undefinedMacros: md ? Array.from(md.querySelectorAll('mjx-container mtext[mathcolor]'))
          .map(e => e.textContent).filter(t => t.startsWith('\\\\')) : [],
        raw: md ? rawMath(md) : [],
      };
    }),
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                .map(i => (i.getAttribute('src') || '').slice(0, 60)),
  };
}"""
