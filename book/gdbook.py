"""Sphinx extension for the course website: what the stored notebooks need to read well offline.

Applied at build time to the text Sphinx reads; the notebooks on disk are never changed.

- Under the title of each lesson and exercise page, a line of links: the notebook to
  download, and the lesson's exercise (or the exercise's lesson).
- Under each explorer's picture, the line saying that it is interactive in JupyterLab. An
  explorer's stored output has a PNG of its default state, a text/plain line and, in its
  metadata, the explorers' mark (`gdcourse.widgets.EXPLORER_MARK`), by which it is found:
  `gdcourse execute` stores no widget view (see gdcourse/authoring/notebooks.py).
- MathJax: the course's vendored copy is written to `_static/mathjax/` (conf.py's
  `mathjax_path`), so math typesets with no network.
- A figure's alt text is its description (`image_alts`): myst-nb reads only width and
  height from an output's metadata and leaves the PNG's file path as its alt.
"""

from __future__ import annotations

import hashlib
import html
import json
import shutil
from binascii import a2b_base64
from pathlib import Path

from docutils import nodes

# gdcourse.widgets.EXPLORER_MARK, in the metadata of each explorer's output (not imported:
# the site is built from stored notebooks, without the explorers' dependencies)
EXPLORER_MARK = ("gdcourse", "explorer")
ROOT = Path(__file__).resolve().parent.parent
MATHJAX = ROOT / "gdcourse" / "authoring" / "assets" / "mathjax"
NOTE_CLASS = "gd-explorer-note"
LINKS_CLASS = "gd-page-links"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def is_explorer(output: dict) -> bool:
    """Whether a stored output is an explorer's (its metadata carries the explorers' mark)."""
    group, key = EXPLORER_MARK
    return (output.get("metadata") or {}).get(group, {}).get(key) is True


def explorer_note(output: dict) -> dict:
    """The output shown under an explorer's picture: its own text/plain line, and where it moves."""
    line = _text(output["data"].get("text/plain", "Explorer")).strip()
    body = (
        f'<p class="{NOTE_CLASS}"><strong>Interactive in JupyterLab:</strong> '
        f"{html.escape(line)}. This page shows its default state.</p>"
    )
    return {"output_type": "display_data", "data": {"text/html": body}, "metadata": {}}


def page_links(docname: str, srcdir: Path) -> str | None:
    """The MyST line of links under a lesson's or an exercise's title (None for other pages)."""
    folder, _, stem = docname.partition("/")
    if folder not in ("notebooks", "exercises"):
        return None
    name = f"{stem}.ipynb"
    if folder == "notebooks":
        links = [f"{{download}}`Download the notebook ({name}) <{name}>` to run it in JupyterLab"]
        if (srcdir / "exercises" / name).is_file():
            links.append(f"[the exercises for this lesson](../exercises/{name})")
    else:
        links = [f"{{download}}`Download the exercise notebook ({name}) <{name}>`"]
        if (srcdir / "notebooks" / name).is_file():
            links.append(f"[the lesson](../notebooks/{name})")
    return f"```{{container}} {LINKS_CLASS}\n{' · '.join(links)}\n```"


def _insert_after_title(source: str, block: str) -> str:
    lines = source.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("#"):
            return "\n".join([*lines[: index + 1], "", block, "", *lines[index + 1 :]])
    return f"{block}\n\n{source}"


def prepare_notebook(text: str, docname: str, srcdir: Path) -> str:
    """The notebook JSON `text` with the page's links and the explorers' lines added."""
    nb = json.loads(text)
    links = page_links(docname, srcdir)
    for cell in nb["cells"]:
        if links and cell["cell_type"] == "markdown" and _text(cell["source"]).lstrip()[:1] == "#":
            cell["source"] = _insert_after_title(_text(cell["source"]), links)
            links = None
        if cell["cell_type"] == "code":
            outputs = []
            for output in cell.get("outputs", []):
                outputs.append(output)
                if is_explorer(output):
                    outputs.append(explorer_note(output))
            cell["outputs"] = outputs
    return json.dumps(nb)


def _on_source_read(app, docname, source):
    if app.env.doc2path(docname).suffix == ".ipynb":
        source[0] = prepare_notebook(source[0], docname, Path(app.srcdir))


def image_alts(text: str) -> dict[str, str]:
    """{file name myst-nb gives a PNG output: its alt text} for the notebook JSON `text`.

    myst-nb names each PNG it writes by the SHA-256 of its bytes. The alt text is the
    output's description: its image/png `alt` metadata (what gdcourse.plot writes), else its
    text/plain, as in the decks (gdcourse/authoring/assets/deck.html.j2).
    """
    alts = {}
    for cell in json.loads(text)["cells"]:
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            meta = output.get("metadata", {}).get("image/png", {})
            alt = meta.get("alt") or _text(output["data"].get("text/plain", ""))
            if alt.strip():
                name = hashlib.sha256(a2b_base64(_text(png))).hexdigest() + ".png"
                alts[name] = alt.strip()
    return alts


def _set_image_alts(app, doctree):
    path = Path(app.env.doc2path(app.env.docname))
    if path.suffix != ".ipynb":
        return
    alts = image_alts(path.read_text(encoding="utf-8"))
    for image in doctree.findall(nodes.image):
        name = Path(image["uri"]).name
        if name in alts and "alt" not in image:  # an alt set in the cell's metadata wins
            image["alt"] = alts[name]


def _copy_mathjax(app, exception):
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        target.mkdir(parents=True, exist_ok=True)
        for name in ("tex-svg-full.js", "LICENSE"):
            shutil.copy2(MATHJAX / name, target / name)


def setup(app):
    app.connect("source-read", _on_source_read)
    app.connect("build-finished", _copy_mathjax)
    app.connect("doctree-read", _set_image_alts)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
