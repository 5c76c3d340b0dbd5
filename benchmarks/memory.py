"""Peak memory of a lesson's kernel, for sizing a hub (docs/hub.md, docs/instructor.md).

Prints `name=value` lines: `kernel_peak_mb_<lesson>=` is the peak resident memory
(VmHWM, in MB) of a fresh gdcourse kernel that ran the lesson top to bottom, what one
open lesson costs a hub; `kernel_peak_mb_max=` is the largest, named by
`kernel_peak_lesson=`, and `kernel_idle_mb=` is a kernel that only imported numpy,
torch and matplotlib. Linux only (it reads /proc).
Usage: .venv/bin/python benchmarks/memory.py [NOTEBOOK ...]
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
IDLE = "%matplotlib inline\nimport numpy\nimport torch\nimport matplotlib.pyplot"


def peak_mb(nb, folder: Path) -> float:
    """Run every cell of `nb` in a fresh kernel; the kernel's peak resident memory in MB."""
    client = NotebookClient(
        nb, kernel_name="gdcourse", timeout=600, resources={"metadata": {"path": str(folder)}}
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        pid = client.km.provisioner.process.pid
        status = Path(f"/proc/{pid}/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return kb / 1024


def main(paths: list[str]) -> None:
    lessons = [Path(p) for p in paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    idle = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IDLE)])
    print(f"kernel_idle_mb={peak_mb(idle, ROOT):.0f}", flush=True)
    peaks = {}
    for lesson in lessons:
        nb = nbformat.read(lesson, as_version=4)
        peaks[lesson.stem] = peak_mb(nb, lesson.parent)
        print(f"kernel_peak_mb_{lesson.stem}={peaks[lesson.stem]:.0f}", flush=True)
    worst = max(peaks, key=peaks.get)
    print(f"kernel_peak_mb_max={peaks[worst]:.0f}")
    print(f"kernel_peak_lesson={worst}")


if __name__ == "__main__":
    main(sys.argv[1:])
