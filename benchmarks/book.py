"""Time to build the course website from a clean tree, as `make book` does.

Prints `book_build_s=`: seconds for `book/build.py` into a fresh folder (no earlier output,
no doctrees), in a fresh interpreter, Sphinx's start-up included (goal: at most 60 on the
course's 2-core machine), and `book_pages=`, how many HTML pages it wrote.
Usage: .venv/bin/python benchmarks/book.py
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "html"
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "book" / "build.py"), "--out", str(out)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        took = time.perf_counter() - start
        pages = sum(1 for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts)
    print(f"book_build_s={took:.1f}")
    print(f"book_pages={pages}")


if __name__ == "__main__":
    main()
