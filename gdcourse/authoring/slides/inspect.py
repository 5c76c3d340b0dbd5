"""Deck inspection: what a written deck holds, and whether it loads anything it should not.

`inspect_deck(path)` reads a deck's HTML (with the standard library's HTMLParser) for
its slide structure and every URL it loads or links to, including those in inline CSS
and JavaScript and in the stylesheets it loads; a deck must load nothing remote and
lack nothing local, so that it works from disk with no network. `expected_structure(nb)`
says what structure nbconvert makes of a marked notebook, to compare with a deck's.
`gdcourse slides` (`slides.deck.export_main`) runs the check on every deck it writes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from .marks import FRAGMENT, NOTES, SKIP, SLIDE, SUBSLIDE, slide_marks

__all__ = ["expected_structure", "inspect_deck", "is_remote"]


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
