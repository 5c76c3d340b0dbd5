"""`gdcourse execute`: notebooks re-executed in place in a fresh kernel, or left alone."""

import json

import nbformat

from gdcourse import cli


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
