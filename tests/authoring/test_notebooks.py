"""`gdcourse execute`: notebooks re-executed in place in a fresh kernel, or left alone."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import nbformat

from gdcourse import cli, widgets
from gdcourse.authoring.notebooks import WIDGET_VIEW, without_widget_views

SANITIZE = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def tiny_notebook(path, source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)


def test_execute_writes_outputs(tmp_path, capsys):
    path = tmp_path / "ok.ipynb"
    tiny_notebook(path, "print(6 * 7)")
    assert cli.main(["execute", str(path)]) == 0
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["execution_count"] == 1
    assert "".join(cell["outputs"][0]["text"]) == "42\n"


def test_failing_notebook_is_left_unchanged(tmp_path, capsys):
    path = tmp_path / "bad.ipynb"
    tiny_notebook(path, "1 / 0")
    before = path.read_text()
    assert cli.main(["execute", str(path)]) == 1
    assert path.read_text() == before
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_execute_stores_a_print_split_across_flushes_as_one_output(tmp_path, capsys):
    path = tmp_path / "flushes.ipynb"
    source = (
        "import sys, time\n"
        "print('first', flush=True); time.sleep(0.3)\n"
        "print('second', flush=True); time.sleep(0.3)\n"
        "print('oops', file=sys.stderr, flush=True); time.sleep(0.3)\n"
        "print('third')"
    )
    tiny_notebook(path, source)
    assert cli.main(["execute", str(path)]) == 0
    outputs = json.loads(path.read_text())["cells"][0]["outputs"]
    streams = [(o["name"], "".join(o["text"])) for o in outputs]
    assert streams == [("stdout", "first\nsecond\n"), ("stderr", "oops\n"), ("stdout", "third\n")]


PNG = "iVBORw0KGgo="  # only its place in the bundle matters here
VIEW = {"version_major": 2, "version_minor": 0, "model_id": "0123abcd"}


def test_the_store_step_drops_widget_views_and_keeps_the_rest():
    explorer = nbformat.v4.new_output(
        "display_data",
        data={WIDGET_VIEW: VIEW, "image/png": PNG, "text/plain": "Explorer (run the cell…)"},
        metadata={"image/png": {"alt": "what it shows"}, "gdcourse": {"explorer": True}},
    )
    result = nbformat.v4.new_output(
        "execute_result", data={WIDGET_VIEW: VIEW, "text/plain": "IntSlider(value=3)"}
    )
    result["execution_count"] = 4
    alone = nbformat.v4.new_output("display_data", data={WIDGET_VIEW: VIEW})
    text = nbformat.v4.new_output("stream", name="stdout", text="42\n")
    outputs = [explorer, result, alone, text]
    before = json.loads(json.dumps(outputs))

    stored = without_widget_views(outputs)

    assert json.loads(json.dumps(outputs)) == before  # the outputs given are left alone
    assert stored[0]["data"] == {"image/png": PNG, "text/plain": "Explorer (run the cell…)"}
    assert stored[0]["metadata"] == explorer["metadata"]
    assert stored[1]["data"] == {"text/plain": "IntSlider(value=3)"}
    assert stored[1]["execution_count"] == 4
    assert stored[2] == alone  # nothing static to show instead: kept whole
    assert stored[3] == text


def test_execute_stores_an_explorer_as_its_picture_and_nbval_still_passes(tmp_path, capsys):
    """A lesson's explorer cell, executed by `gdcourse execute`: no widget view, no widget
    state; its PNG, text, alt text and mark stored; nbval, run on the result, passes (it
    ignores the widget view the fresh run has)."""
    path = tmp_path / "explorer.ipynb"
    tiny_notebook(path, "from gdcourse import widgets\nwidgets.learning_rate()")
    assert cli.main(["execute", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata
    (output,) = nb.cells[0].outputs
    assert set(output["data"]) == {"image/png", "text/plain"}
    assert base64.b64decode(output["data"]["image/png"]).startswith(b"\x89PNG")
    assert "live kernel" in output["data"]["text/plain"]
    assert output["metadata"]["image/png"]["alt"].startswith("Learning-rate explorer")
    assert widgets.EXPLORER_MARK.items() <= output["metadata"].items()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", path.name,
         "--nbval-kernel-name", "gdcourse", "--nbval-sanitize-with", str(SANITIZE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
