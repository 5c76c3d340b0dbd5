"""Deck export: a lesson as a reveal.js deck that works offline (`gdcourse slides`).

`export(notebook, out_dir)` writes `out_dir/NAME.slides.html` with nbconvert's reveal.js
template, pointed at the copies of reveal.js and MathJax vendored in
`gdcourse/authoring/assets/` (written to `out_dir/assets/`), so a deck opened from disk
shows its slides, its math and its stored figures (embedded as data URIs) with no
network. What the deck shows is `deck_notebook(nb)`: the notebook cut for slides and
marked (`slides.marks`), with links between lessons pointing to their decks and widgets
replaced by their stored figures; the notebook file itself is never changed.
`export_main` is the command: it checks each deck it writes with `slides.inspect`.
"""

from __future__ import annotations

import copy
import re
import shutil
import sys
from pathlib import Path

from .inspect import inspect_deck
from .marks import BUDGET, HEIGHT, WIDTH, first_heading, mark_slides, split_cells

__all__ = [
    "ASSETS",
    "TEMPLATE",
    "VENDORED",
    "WIDGET_VIEW",
    "deck_notebook",
    "export",
    "export_main",
    "exporter",
    "write_assets",
]

ASSETS = Path(__file__).resolve().parents[1] / "assets"  # gdcourse/authoring/assets
TEMPLATE = ASSETS / "deck.html.j2"
# What is copied next to the decks, {name in the package: name under DIR/assets/}: only
# what a deck loads, with the licences. The deck keeps reveal.js's own layout (dist/),
# which the package cannot (the repository ignores folders named dist).
VENDORED = {
    "deck.css": "deck.css",
    "reveal.js/LICENSE": "reveal.js/LICENSE",
    "reveal.js/reveal.css": "reveal.js/dist/reveal.css",
    "reveal.js/reveal.js": "reveal.js/dist/reveal.js",
    "reveal.js/theme/white.css": "reveal.js/dist/theme/white.css",
    "reveal.js/plugin/notes/notes.js": "reveal.js/plugin/notes/notes.js",
    "mathjax/LICENSE": "mathjax/LICENSE",
    "mathjax/tex-svg-full.js": "mathjax/tex-svg-full.js",
}

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_LESSON_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb\)")


# ---------------------------------------------------------------- what a deck shows


def _static(output):
    """An output as a deck can show it: a widget (it needs a live kernel) by the static
    fallback stored beside it (the explorers store their first figure), or nothing."""
    data = output.get("data") or {}
    if WIDGET_VIEW not in data:
        return output
    output = copy.deepcopy(output)
    del output["data"][WIDGET_VIEW]
    return output if output["data"] else None


def deck_notebook(nb, *, budget: int = BUDGET):
    """The notebook as a deck shows it: cut for slides, marked, lesson links to decks,
    widgets replaced by their stored figures."""
    deck = mark_slides(split_cells(nb, budget=budget), budget=budget)
    for cell in deck.cells:
        if cell.cell_type == "markdown":
            cell.source = _LESSON_LINK.sub(r"](\1.slides.html)", cell.source)
        elif cell.cell_type == "code":
            cell.outputs = [o for o in map(_static, cell.outputs) if o is not None]
    for cell in deck.cells:
        if first_heading(cell) == 1:
            deck.metadata["title"] = cell.source.strip().splitlines()[0].lstrip("#").strip()
            break
    return deck


# ---------------------------------------------------------------- export


def write_assets(out_dir: str | Path) -> list[Path]:
    """Copy the files a deck loads to `out_dir/assets/`; return their paths."""
    written = []
    for name, copy_name in VENDORED.items():
        source, target = ASSETS / name, Path(out_dir) / "assets" / copy_name
        if not source.is_file():
            raise FileNotFoundError(f"vendored file missing from the package: {source}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.stat().st_size != source.stat().st_size:
            shutil.copyfile(source, target)
        written.append(target)
    return written


def exporter():
    """nbconvert's SlidesExporter set up for an offline deck (see assets/deck.html.j2)."""
    from nbconvert import SlidesExporter

    return SlidesExporter(
        template_file=str(TEMPLATE),
        reveal_url_prefix="assets/reveal.js",
        reveal_theme="white",
        reveal_transition="none",
        reveal_number="c/t",
        reveal_width=str(WIDTH),
        reveal_height=str(HEIGHT),
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # nothing below is loaded by deck.html.j2; set so that no default CDN address
        # can reach the page through a block the template does not override
        mathjax_url="assets/mathjax/tex-svg-full.js",
        require_js_url="",
        jquery_url="",
        mermaid_js_url="",
        font_awesome_url="",
    )


def export(path: str | Path, out_dir: str | Path, *, budget: int = BUDGET) -> Path:
    """Write `out_dir/NAME.slides.html` (and `out_dir/assets/`); return the deck's path."""
    import nbformat

    path, out_dir = Path(path), Path(out_dir)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    nb = nbformat.read(path, as_version=4)
    deck = deck_notebook(nb, budget=budget)
    body, _ = exporter().from_notebook_node(deck, resources={"metadata": {"name": path.stem}})
    out_dir.mkdir(parents=True, exist_ok=True)
    write_assets(out_dir)
    target = out_dir / f"{path.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def export_main(*, paths, out) -> int:
    """The `gdcourse slides` command: a deck per notebook, each checked to load offline."""
    failed = 0
    for path in paths:
        try:
            deck = export(path, out)
        except (ValueError, OSError) as exc:
            failed += 1
            print(f"slides: {path}: {exc}", file=sys.stderr)
            continue
        report = inspect_deck(deck)
        print(
            f"wrote {deck} ({report['slides']} slides, {report['subslides']} with "
            f"sub-slides, {report['fragments']} build-up steps)"
        )
        for url in report["remote"] + report["missing"]:
            failed += 1
            print(f"slides: {deck} would load {url} (remote or missing)", file=sys.stderr)
    return 1 if failed else 0
