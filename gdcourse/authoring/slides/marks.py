"""Slide marks: how tall a lesson's cells are on a slide, and which cell starts which slide.

`mark_slides(nb)` gives every cell a `metadata.slideshow.slide_type` by fixed rules,
so a lesson presents well (in JupyterLab, or in a deck from `slides.deck`): the title
and every `#`/`##` section start a slide, `###` a vertical sub-slide; a code cell stays
on the slide of the Markdown that introduces it; a slide that would overflow continues
on a sub-slide; a list of several longer points builds up item by item. A mark an
author set by hand is kept; the marks the rules set are recorded in the notebook's
metadata (`gdcourse.slides`), so running the rules again updates them after the lesson
changes, without touching the author's. `gdcourse mark-slides` (`marks_main`) writes
the marks into the notebooks (metadata only, never outputs).

`split_cells(nb)` cuts Markdown cells at headings, at paragraph breaks where a slide
would overflow, and into list items for build-ups: a deck does it in memory, and
`gdcourse mark-slides --split-headings` stores the cuts at headings in the notebook.

Heights are estimates in the deck's pixels (`WIDTH` × `HEIGHT`), from the Markdown
blocks that `authoring.markdown` reads and from the stored outputs.
"""

from __future__ import annotations

import base64
import copy
import math
import re
import struct
import sys

from ..markdown import blocks, heading_level, list_items

__all__ = [
    "BUDGET",
    "CONTINUE",
    "FRAGMENT",
    "HEIGHT",
    "NOTES",
    "SKIP",
    "SLIDE",
    "SLIDE_TYPES",
    "SUBSLIDE",
    "WIDTH",
    "authored",
    "cell_height",
    "first_heading",
    "is_build_up",
    "mark_slides",
    "markdown_height",
    "marks_main",
    "output_height",
    "png_size",
    "slide_marks",
    "split_cells",
]

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
HEADING_LINE = {1: 80, 2: 60, 3: 48}  # px per heading line, by level
MATH_BLOCK, MATH_ROW = 50, 34  # px per displayed formula, plus per extra row
TABLE_ROW = 36
GAP = 14  # between paragraphs, and the padding of a code cell or output
IMAGE_MAX = BUDGET - 60  # deck.css caps a figure's height at this
CONTENT_WIDTH = WIDTH - 60

# A build-up (one fragment per item) helps for a list of a few longer points that a
# lecturer talks through in turn; a list of short entries is shown at once.
BUILD_UP_ITEMS = (3, 8)
BUILD_UP_MEAN_CHARS = 50


# ---------------------------------------------------------------- heights


def _wrapped(text: str, chars: int) -> int:
    return sum(max(1, math.ceil(len(line.strip()) / chars)) for line in text.splitlines())


def markdown_height(markdown: str) -> int:
    """Estimated height in deck pixels of a Markdown cell."""
    total = 0
    for kind, text in blocks(markdown):
        if kind == "heading":
            total += HEADING_LINE.get(heading_level(text), TEXT_LINE)
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


def first_heading(cell) -> int:
    """The level of the heading a Markdown cell opens with (its first non-blank line), or 0."""
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
            level = first_heading(cell)
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


# ---------------------------------------------------------------- splitting cells


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


# ---------------------------------------------------------------- the command


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
        found = slide_marks(marked)
        print(f"marked {path}: {found.count(SLIDE)} slides, {found.count(SUBSLIDE)} sub-slides")
    if check and stale:
        print(
            "run `gdcourse mark-slides` on them (it changes slide metadata only)", file=sys.stderr
        )
        return 1
    return 0
