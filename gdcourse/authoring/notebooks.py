"""Execute notebooks top to bottom in a fresh kernel, so stored outputs are generated.

`make notebooks` calls `execute`; the benchmark times it. A notebook is rewritten only
when every cell ran, so a failing run never leaves half-executed outputs behind.

What is stored is what a reader without the kernel can see. A widget's view
(`application/vnd.jupyter.widget-view+json`) is dropped from its output: it names a model
that lived in the kernel that ran the notebook and is not stored (no widget state), so
JupyterLab, which ranks that type first in a trusted notebook, would show "Error displaying
widget: model not found" in its place. What stays is the output's static fallback, for an
explorer its PNG, its text and its metadata (alt text, `widgets.EXPLORER_MARK`), which
JupyterLab, nbconvert, the website and the decks show until the cell runs again. nbval
never compares the widget view (its model id is random), so the check is unchanged.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

__all__ = ["KERNEL", "WIDGET_VIEW", "execute", "joined_streams", "main", "without_widget_views"]

KERNEL = "gdcourse"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def joined_streams(outputs: list) -> list:
    """The outputs with each run of consecutive stream outputs to the same stream joined
    into one: a kernel flushes a long print in several messages at moments that vary, and
    stored notebooks should not change with them (the text is the same)."""
    joined = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and output.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and last.get("name") == output.get("name")
        ):
            last["text"] += output["text"]
        else:
            joined.append(output)
    return joined


def without_widget_views(outputs: list) -> list:
    """The outputs with each widget's view dropped from the output's data, where something
    else is left to show (a PNG, text); the rest of each output, metadata included, as it
    was. An output with a widget view alone is kept whole: there is nothing static to show
    instead (ipywidgets always adds text/plain, so the course has none)."""
    kept = []
    for output in outputs:
        data = output.get("data") or {}
        if WIDGET_VIEW in data and len(data) > 1:
            output = copy.deepcopy(output)
            del output["data"][WIDGET_VIEW]
        kept.append(output)
    return kept


def execute(path: str | Path, *, kernel: str = KERNEL, timeout: int = 300, write: bool = True):
    """Run one notebook in a fresh kernel (cwd = its folder); return the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=timeout,
        record_timing=False,
        store_widget_state=False,  # nothing live is stored: see without_widget_views
        # every output is in once the last cell replies; a graceful shutdown of a kernel that
        # imported torch then waits 1.5-3.5 s (noisy) for nothing a learner ever waits for
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = without_widget_views(joined_streams(cell.outputs))
    if write:
        nb.metadata["kernelspec"] = {
            "name": kernel,
            "display_name": "Python (gdcourse)",
            "language": "python",
        }
        nbformat.write(nb, path)
    return seconds


def main(*, paths, timeout: int = 300) -> int:
    """The `gdcourse execute` command: run each notebook in place; 1 if any failed."""
    from nbclient.exceptions import CellExecutionError

    failed = 0
    for path in paths:
        try:
            seconds = execute(path, timeout=timeout)
        except CellExecutionError as exc:
            failed += 1
            first_lines = "\n".join(str(exc).strip().splitlines()[-6:])
            print(f"FAILED {path} (left unchanged):\n{first_lines}", file=sys.stderr)
        except ValueError as exc:
            failed += 1
            print(f"FAILED {path}: {exc}", file=sys.stderr)
        else:
            print(f"executed {path} in {seconds:.1f} s")
    return 1 if failed else 0
