"""Lecture decks: slide marks for the lessons, and reveal.js decks that work offline.

Two halves:

* `mark_slides(nb)` gives every cell a `metadata.slideshow.slide_type` by fixed rules,
  so a lesson presents well (in JupyterLab or in an exported deck): the title and
  every `#`/`##` section start a slide, `###` a vertical sub-slide; a code cell stays
  on the slide of the Markdown that introduces it; a slide that would overflow
  continues on a sub-slide; a list of several longer points builds up item by item.
  A mark an author set by hand is kept; the marks the rules set are recorded in the
  notebook's metadata (`gdcourse.slides`), so running the rules again updates them
  after the lesson changes, without touching the author's. `gdcourse mark-slides`
  writes the marks into the notebooks (metadata only, never outputs).
* `export(notebook, out_dir)` writes `out_dir/NAME.slides.html` with nbconvert's
  reveal.js template, pointed at the copies of reveal.js and MathJax vendored in
  `gdcourse/assets/` (written to `out_dir/assets/`), so a deck opened from disk shows
  its slides, its math and its stored figures (embedded as data URIs) with no
  network. For the deck, Markdown cells are first split in memory at headings, at
  paragraph breaks where a slide would overflow, and into list items for build-ups;
  the notebook file itself is never changed by an export.
"""

from __future__ import annotations

import base64
import copy
import math
import re
import shutil
import struct
import sys
from html.parser import HTMLParser
from pathlib import Path

ASSETS = Path(__file__).resolve().parent / "assets"
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

SLIDE, SUBSLIDE, FRAGMENT, CONTINUE, SKIP, NOTES = (
    "slide",
    "subslide",
    "fragment",
    "-",
    "skip",
    "notes",
)
SLIDE_TYPES = (SLIDE, SUBSLIDE, FRAGMENT, CONTINUE, SKIP, NOTES)

# The deck's logical size in CSS pixels (reveal.js scales it to the screen), and the
# estimate of how tall each kind of content is at the deck's font sizes (20 px prose,
# 16 px code). The estimate decides where a slide overflows; it need not be exact,
# since a slide that still overflows scrolls (see deck.css).
WIDTH, HEIGHT = 1280, 720
BUDGET = 640  # usable height of one slide, px
TEXT_LINE, TEXT_CHARS = 30, 110  # px per line of prose, characters per line
CODE_LINE, CODE_CHARS = 22, 120  # px per line of code or printed output
HEADING = {1: 80, 2: 60, 3: 48}  # px per heading line, by level
MATH_BLOCK, MATH_ROW = 50, 34  # px per displayed formula, plus per extra row
TABLE_ROW = 36
GAP = 14  # between paragraphs, and the padding of a code cell or output
IMAGE_MAX = BUDGET - 60  # deck.css caps a figure's height at this
CONTENT_WIDTH = WIDTH - 60

# A build-up (one fragment per item) helps for a list of a few longer points that a
# lecturer talks through in turn; a list of short entries is shown at once.
BUILD_UP_ITEMS = (3, 8)
BUILD_UP_MEAN_CHARS = 50

_HEADING = re.compile(r"^(#{1,6})\s+\S")
_LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")


# ---------------------------------------------------------------- Markdown blocks


def heading_level(line: str) -> int:
    """1-6 for an ATX heading line (`## Title`), else 0."""
    match = _HEADING.match(line)
    return len(match.group(1)) if match else 0


def blocks(markdown: str) -> list[tuple[str, str]]:
    """The Markdown split into (kind, text) blocks, in order.

    Kinds: "heading", "math" (a `$$` display), "code" (a fenced block), "table",
    "list", "html" and "para". Blank lines separate paragraphs; a display formula, a
    fence, a list (with its indented continuation lines) and a table stay whole.
    """
    lines = markdown.splitlines()
    found: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if heading_level(line):
            found.append(("heading", [line]))
            i += 1
            continue
        if _FENCE.match(line):
            fence = _FENCE.match(line).group(1)
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(fence):
                end += 1
            found.append(("code", lines[i : end + 1]))
            i = end + 1
            continue
        if stripped.startswith("$$"):
            end = i
            # a display formula ends on the line that closes the $$ opened here
            if not (stripped.count("$$") >= 2 and len(stripped) > 2):
                end = i + 1
                while end < len(lines) and "$$" not in lines[end]:
                    end += 1
            found.append(("math", lines[i : end + 1]))
            i = end + 1
            continue
        if stripped.startswith("|"):
            end = i
            while end + 1 < len(lines) and lines[end + 1].strip().startswith("|"):
                end += 1
            found.append(("table", lines[i : end + 1]))
            i = end + 1
            continue
        if _LIST_ITEM.match(line):
            end = i
            while end + 1 < len(lines):
                nxt = lines[end + 1]
                if not nxt.strip():
                    # a blank line ends the list unless the list goes on after it
                    if end + 2 < len(lines) and (
                        _LIST_ITEM.match(lines[end + 2]) or lines[end + 2].startswith("  ")
                    ):
                        end += 1
                        continue
                    break
                if heading_level(nxt) or nxt.strip().startswith("$$") and not nxt.startswith(" "):
                    break
                end += 1
            found.append(("list", lines[i : end + 1]))
            i = end + 1
            continue
        kind = "html" if stripped.startswith("<") else "para"
        end = i
        while end + 1 < len(lines):
            nxt = lines[end + 1]
            if (
                not nxt.strip()
                or heading_level(nxt)
                or _FENCE.match(nxt)
                or nxt.strip().startswith("|")
                or (_LIST_ITEM.match(nxt) and not nxt.startswith(" "))
                or (nxt.strip().startswith("$$") and not lines[end].rstrip().endswith("\\"))
            ):
                break
            end += 1
        found.append((kind, lines[i : end + 1]))
        i = end + 1
    return [(kind, "\n".join(text)) for kind, text in found]


def list_items(text: str) -> list[str]:
    """The items of a Markdown list block, each with its continuation lines."""
    items: list[list[str]] = []
    indent = None
    for line in text.splitlines():
        match = _LIST_ITEM.match(line)
        if match and (indent is None or len(match.group(1)) <= indent):
            indent = len(match.group(1)) if indent is None else indent
            items.append([line])
        elif items:
            items[-1].append(line)
    return ["\n".join(item).rstrip() for item in items]


def _wrapped(text: str, chars: int) -> int:
    return sum(max(1, math.ceil(len(line.strip()) / chars)) for line in text.splitlines())


def markdown_height(markdown: str) -> int:
    """Estimated height in deck pixels of a Markdown cell."""
    total = 0
    for kind, text in blocks(markdown):
        if kind == "heading":
            total += HEADING.get(heading_level(text), TEXT_LINE)
        elif kind == "math":
            rows = text.count("\\\\") + text.count("\n") // 2
            total += MATH_BLOCK + MATH_ROW * rows
        elif kind == "table":
            rows = [r for r in text.splitlines() if not re.fullmatch(r"[\s|:-]+", r)]
            total += TABLE_ROW * len(rows)
        elif kind == "code":
            total += CODE_LINE * max(1, text.count("\n") - 1) + GAP
        elif kind == "list":
            items = list_items(text)
            lines = sum(_wrapped(" ".join(i.split()), TEXT_CHARS - 4) for i in items)
            total += TEXT_LINE * lines
        else:
            total += TEXT_LINE * _wrapped(" ".join(text.split()), TEXT_CHARS)
        total += GAP
    return total


def png_size(data: str) -> tuple[int, int] | None:
    """(width, height) of a base64 PNG, read from its header, or None."""
    try:
        raw = base64.b64decode(data[:64])
        if raw[:8] != b"\x89PNG\r\n\x1a\n":
            return None
        return struct.unpack(">II", raw[16:24])
    except (ValueError, struct.error):
        return None


def output_height(output) -> int:
    """Estimated height in deck pixels of one output of a code cell."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        return CODE_LINE * _wrapped(text, CODE_CHARS) + GAP
    if kind == "error":
        return CODE_LINE * len(output.get("traceback", [])) * 3 + GAP
    data = output.get("data", {})
    if "image/png" in data:
        size = png_size(data["image/png"])
        if size is None:
            return IMAGE_MAX
        width, height = size
        return min(IMAGE_MAX, round(height * min(1.0, CONTENT_WIDTH / max(width, 1)))) + GAP
    if "text/markdown" in data:
        return markdown_height(data["text/markdown"])
    if "text/html" in data:
        return TEXT_LINE * min(20, str(data["text/html"]).count("<tr") + 2)
    if "text/plain" in data:
        return CODE_LINE * _wrapped(data["text/plain"], CODE_CHARS) + GAP
    return 0


def cell_height(cell) -> int:
    """Estimated height in deck pixels of a cell with its outputs."""
    if cell.cell_type == "markdown":
        return markdown_height(cell.source)
    if cell.cell_type != "code":
        return TEXT_LINE * _wrapped(cell.source, TEXT_CHARS)
    height = CODE_LINE * _wrapped(cell.source, CODE_CHARS) + GAP if cell.source.strip() else 0
    return height + sum(output_height(o) for o in cell.get("outputs", []))


# ---------------------------------------------------------------- marking rules


def _first_heading(cell) -> int:
    if cell.cell_type != "markdown":
        return 0
    for line in cell.source.splitlines():
        if line.strip():
            return heading_level(line)
    return 0


def is_build_up(markdown: str) -> bool:
    """True for Markdown that is one list of a few longer points (see BUILD_UP_*)."""
    found = blocks(markdown)
    if len(found) != 1 or found[0][0] != "list":
        return False
    items = list_items(found[0][1])
    low, high = BUILD_UP_ITEMS
    if not low <= len(items) <= high:
        return False
    return sum(len(" ".join(i.split())) for i in items) / len(items) >= BUILD_UP_MEAN_CHARS


def _builds_up(cell) -> bool:
    """A list cell to build up: a whole list (see is_build_up), or one item of one."""
    return is_build_up(cell.source) or bool((cell.metadata.get("gdcourse") or {}).get("item"))


def _key(cell, index: int) -> str:
    return cell.get("id") or f"#{index}"


def _recorded(nb) -> dict:
    return dict((nb.metadata.get("gdcourse") or {}).get("slides") or {})


def authored(nb) -> dict[str, str]:
    """{cell key: slide type} of the marks an author set (not those the rules set)."""
    recorded = _recorded(nb)
    found = {}
    for index, cell in enumerate(nb.cells):
        given = (cell.metadata.get("slideshow") or {}).get("slide_type")
        key = _key(cell, index)
        if given in SLIDE_TYPES and recorded.get(key) != given:
            found[key] = given
    return found


def mark_slides(nb, *, budget: int = BUDGET):
    """A copy of `nb` with a slide type on every cell (author's marks kept); pure.

    Rules, in order, for a cell without an author's mark:
      1. the first cell, and Markdown opening with a `#` or `##` heading: "slide";
      2. Markdown opening with a `###` heading: "subslide";
      3. a code cell right after Markdown: "-" (it stays with the text introducing it);
      4. otherwise, a cell that would take the current (sub)slide past `budget`
         pixels starts a "subslide";
      5. Markdown that is one list of a few longer points, below other content on
         its slide: "fragment" (shown on the next key press);
      6. everything else: "-".
    The keys of the cells the rules marked go to `metadata.gdcourse.slides`.
    """
    nb = copy.deepcopy(nb)
    given = authored(nb)
    rules: dict[str, str] = {}
    height = 0
    previous = None  # the previous visible cell
    for index, cell in enumerate(nb.cells):
        key = _key(cell, index)
        size = cell_height(cell)
        if key in given:
            kind = given[key]
        else:
            level = _first_heading(cell)
            if previous is None or level in (1, 2):
                kind = SLIDE
            elif level == 3:
                kind = SUBSLIDE
            elif cell.cell_type == "code" and previous.cell_type == "markdown":
                kind = CONTINUE
            elif height and height + size > budget:
                kind = SUBSLIDE
            elif cell.cell_type == "markdown" and height and _builds_up(cell):
                kind = FRAGMENT
            else:
                kind = CONTINUE
            cell.metadata["slideshow"] = {"slide_type": kind}
            rules[key] = kind
        if kind in (SKIP, NOTES):
            continue
        if previous is None:
            kind = SLIDE  # nbconvert and RISE start the deck here whatever the mark says
        height = size if kind in (SLIDE, SUBSLIDE) else height + size
        previous = cell
    nb.metadata.setdefault("gdcourse", {})
    nb.metadata["gdcourse"]["slides"] = rules
    if not rules:
        del nb.metadata["gdcourse"]["slides"]
        if not nb.metadata["gdcourse"]:
            del nb.metadata["gdcourse"]
    return nb


def slide_marks(nb) -> list[str]:
    """The slide type of each cell ("-" where none is set)."""
    return [(c.metadata.get("slideshow") or {}).get("slide_type", CONTINUE) for c in nb.cells]


# ---------------------------------------------------------------- splitting for a deck


def _new_markdown(source: str, template, number: int | None, item: bool = False):
    import nbformat

    cell = nbformat.v4.new_markdown_cell(source)  # a fresh random id
    if number is not None:
        cell["id"] = f"{(template.get('id') or 'cell')[:56]}-{number}"
    cell.metadata = {k: v for k, v in template.metadata.items() if k != "slideshow"}
    if item:  # one item of a list to build up (read by mark_slides; decks only)
        cell.metadata["gdcourse"] = {"item": True}
    return cell


def _pieces(markdown: str, budget: int | None) -> list[tuple[str, bool]]:
    """Markdown cut at headings, into list items for build-ups, and to fit `budget`.

    Returns (text, is one item of a build-up) pairs. With budget None it is cut at
    `#`, `##` and `###` headings only.
    """
    sections: list[list[tuple[str, str]]] = [[]]
    for kind, text in blocks(markdown):
        if kind == "heading" and heading_level(text) <= 3 and sections[-1]:
            sections.append([])
        sections[-1].append((kind, text))
    if budget is None:
        if len(sections) == 1:
            return [(markdown, False)]
        return [("\n\n".join(text for _, text in section), False) for section in sections]
    pieces: list[tuple[str, bool]] = []
    for section in sections:
        current: list[str] = []
        height = 0
        for kind, text in section:
            if kind == "list" and is_build_up(text):
                if current:
                    pieces.append(("\n\n".join(current), False))
                pieces.extend((item, True) for item in list_items(text))
                current, height = [], 0
                continue
            size = markdown_height(text)
            if current and height + size > budget:
                pieces.append(("\n\n".join(current), False))
                current, height = [], 0
            current.append(text)
            height += size
        if current:
            pieces.append(("\n\n".join(current), False))
    return pieces


def split_cells(nb, *, budget: int | None = BUDGET):
    """A copy of `nb` whose Markdown cells are cut for slides (see `_pieces`); pure.

    Only cells without an author's slide mark are cut. With a budget (for a deck) the
    first piece keeps the cell's id and the others get `ID-1`, `ID-2`...; with budget
    None (cut at headings only, to store in the notebook) they get fresh ids. The
    notebook's recorded rule marks are carried over, so `mark_slides` still tells the
    author's marks from the rules' afterwards.
    """
    nb = copy.deepcopy(nb)
    given = authored(nb)
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or _key(cell, index) in given:
            cells.append(cell)
            continue
        pieces = _pieces(cell.source, budget)
        if len(pieces) <= 1:
            cells.append(cell)
            continue
        cell.source = pieces[0][0]
        cells.append(cell)
        for n, (text, item) in enumerate(pieces[1:], start=1):
            cells.append(_new_markdown(text, cell, n if budget is not None else None, item))
        if pieces[0][1]:  # after the copies: they must not inherit the first piece's flag
            cell.metadata["gdcourse"] = {"item": True}
    nb.cells = cells
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _static(output):
    """An output as a deck can show it: a widget (it needs a live kernel) by the static
    fallback stored beside it (the explorers store their first figure), or nothing."""
    data = output.get("data") or {}
    if WIDGET_VIEW not in data:
        return output
    output = copy.deepcopy(output)
    del output["data"][WIDGET_VIEW]
    return output if output["data"] else None


_LESSON_LINK = re.compile(r"\]\((\d\d_[A-Za-z0-9_]+)\.ipynb\)")


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
        if _first_heading(cell) == 1:
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


# ---------------------------------------------------------------- checking a deck


class _Deck(HTMLParser):
    """Collects the deck's slide structure and every URL it loads or links to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # <section> nesting
        self.slides = 0  # top-level sections
        self.subslides = 0  # sections inside a top-level one
        self.fragments = 0
        self.loads: list[tuple[str, str]] = []  # (tag, url) of resources the page loads
        self.links: list[str] = []  # <a href>: navigation, loaded only when clicked
        self.inline: list[str] = []  # the text of <style> and <script> elements
        self._capture = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.slides += 1
            elif self.depth == 2:
                self.subslides += 1
        if "fragment" in (attrs.get("class") or "").split():
            self.fragments += 1
        for name in ("src", "data", "poster", "srcset"):
            if attrs.get(name):
                self.loads.append((tag, attrs[name]))
        if attrs.get("href"):
            (self.links if tag == "a" else self.loads).append(
                attrs["href"] if tag == "a" else (tag, attrs["href"])
            )
        self._capture = tag in ("style", "script")

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1
        self._capture = False

    def handle_data(self, data):
        if self._capture:
            self.inline.append(data)


_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", re.IGNORECASE)
_JS_IMPORT = re.compile(r"""\bimport\b[^'"]*['"]([^'"]+)['"]""")


def _path_part(url: str) -> str:
    return url.split("#")[0].split("?")[0]


def _exists(folder: Path, url: str) -> bool:
    return (folder / _path_part(url)).is_file()


def is_remote(url: str) -> bool:
    """True for a URL that needs the network: http(s)://, //host, ftp://..."""
    return bool(_REMOTE.match(url))


def inspect_deck(path: str | Path) -> dict:
    """The structure of a deck and any resource it would fetch remotely or lacks.

    Returns slides, subslides, fragments, local (relative URLs of the files it loads),
    remote (every URL it would load from the network, in attributes, inline CSS
    `url()`/`@import`, JavaScript `import`, and the CSS files it loads), missing (local
    files it loads that do not exist) and links (its <a href> URLs).
    """
    path = Path(path)
    parser = _Deck()
    parser.feed(path.read_text(encoding="utf-8"))
    urls = [url for _, url in parser.loads]
    for text in parser.inline:
        urls += _CSS_URL.findall(text) + _JS_IMPORT.findall(text)
    remote, local, missing = [], [], []
    for url in urls:
        if url.startswith(("data:", "#")):
            continue
        if is_remote(url):
            remote.append(url)
            continue
        local.append(url)
        if not _exists(path.parent, url):
            missing.append(url)
            continue
        target = path.parent / _path_part(url)
        if target.suffix == ".css":  # what a stylesheet imports is loaded too
            for inner in _CSS_URL.findall(target.read_text(encoding="utf-8", errors="replace")):
                if is_remote(inner):
                    remote.append(f"{url} -> {inner}")
                elif not inner.startswith(("data:", "#")) and not _exists(target.parent, inner):
                    missing.append(f"{url} -> {inner}")
    return {
        "slides": parser.slides,
        "subslides": parser.subslides,
        "fragments": parser.fragments,
        "local": local,
        "remote": remote,
        "missing": missing,
        "links": parser.links,
    }


def expected_structure(nb) -> dict:
    """How many top-level sections, inner sections and fragments nbconvert makes of `nb`.

    nbconvert opens a top-level <section> at each "slide" cell and an inner one at each
    "slide" or "subslide" cell (the first visible cell always starts a slide); every
    run of consecutive "fragment" cells opens one fragment <div> per cell.
    """
    marks = [m for m in slide_marks(nb) if m not in (SKIP, NOTES)]
    if not marks:
        return {"slides": 0, "subslides": 0, "fragments": 0}
    marks[0] = SLIDE
    slides = marks.count(SLIDE)
    return {
        "slides": slides,
        "subslides": slides + marks.count(SUBSLIDE),
        "fragments": marks.count(FRAGMENT),
    }


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


def marks_main(*, paths, check: bool = False, split_headings: bool = False) -> int:
    """The `gdcourse mark-slides` command: slide types by rule (metadata only)."""
    import nbformat

    stale = 0
    for path in paths:
        try:
            nb = nbformat.read(path, as_version=4)
        except (OSError, ValueError) as exc:
            print(f"mark-slides: {path}: {exc}", file=sys.stderr)
            return 2
        marked = mark_slides(split_cells(nb, budget=None) if split_headings else nb)
        if marked == nb:
            continue
        stale += 1
        if check:
            print(f"stale slide marks: {path}", file=sys.stderr)
            continue
        nbformat.write(marked, path)
        counts = {k: slide_marks(marked).count(k) for k in ("slide", "subslide")}
        print(f"marked {path}: {counts['slide']} slides, {counts['subslide']} sub-slides")
    if check and stale:
        print(
            "run `gdcourse mark-slides` on them (it changes slide metadata only)", file=sys.stderr
        )
        return 1
    return 0
