"""Lecture mode: slide marks, and an offline deck of every lesson.

Every lesson is exported as a deck once per run (a module fixture); each deck must have
one <section> per slide-marked cell, keep every stored figure, and load nothing from
the network. The browser test opens a deck from disk in headless Chromium, offline,
and checks that reveal.js started, the math was typeset and the figures decoded; it
needs Debian's chromium and is skipped without it (one line), except under CI=true. Every
figure's alt text is its description, and axe-core (tests/accessibility.py) finds no serious
or critical violation on any slide of any deck (that test needs axe-playwright-python too).
"""

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gdcourse import cli
from gdcourse.authoring.markdown import blocks, heading_level
from gdcourse.authoring.slides.deck import WIDGET_VIEW, deck_notebook
from gdcourse.authoring.slides.inspect import expected_structure, inspect_deck
from gdcourse.authoring.slides.marks import authored, mark_slides, slide_marks, split_cells
from tests import accessibility, browser

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PNG = (  # a 1 × 1 pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
    "PchI7wAAAABJRU5ErkJggg=="
)


def notebook(*cells):
    nb = new_notebook(cells=list(cells))
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"c{index}"
    return nb


def figure_cell(source="plot()"):
    cell = new_code_cell(source)
    cell.outputs = [new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    return cell


def marks(nb):
    return slide_marks(mark_slides(nb))


# ---------------------------------------------------------------- the rules


def test_sections_start_slides_and_code_stays_with_its_text():
    nb = notebook(
        new_markdown_cell("# 01 · Title\n\nWhat this is."),
        new_code_cell("import numpy"),
        new_markdown_cell("## 1 · A section\n\nIntro text."),
        new_code_cell("print(1)"),
        new_markdown_cell("### 1b · A subsection"),
        new_markdown_cell("A remark."),
        new_code_cell("print(2)"),
    )
    assert marks(nb) == ["slide", "-", "slide", "-", "subslide", "-", "-"]


def test_an_overflowing_slide_continues_on_a_subslide():
    nb = notebook(
        new_markdown_cell("## Figures"),
        figure_cell(),
        new_code_cell("\n".join(f"x{i} = {i}" for i in range(40))),  # code after code: too tall
        new_markdown_cell("What the figure shows. " * 200),  # text after it: too tall again
    )
    assert marks(nb) == ["slide", "-", "subslide", "subslide"]


def test_a_code_cell_after_its_text_never_leaves_it_even_when_tall():
    nb = notebook(new_markdown_cell("## S\n\nIntro."), new_code_cell("x = 1\n" * 80))
    assert marks(nb) == ["slide", "-"]


def test_a_list_of_longer_points_builds_up_but_a_short_list_does_not():
    point = "a point long enough that a lecturer talks about it for a while, {}"
    build_up = "\n".join(f"- {point.format(i)}" for i in range(4))
    short = "- a\n- b\n- c"
    nb = notebook(
        new_markdown_cell("## S\n\nIntro."),
        new_markdown_cell(build_up),
        new_markdown_cell(short),
    )
    assert marks(nb) == ["slide", "fragment", "-"]
    # in a deck the list is cut into one fragment per item
    deck = deck_notebook(nb)
    assert slide_marks(deck) == ["slide"] + ["fragment"] * 4 + ["-"]


def test_an_authors_mark_is_kept_and_the_rules_marks_follow_the_lesson():
    nb = notebook(
        new_markdown_cell("# Title"),
        new_markdown_cell("Speaker notes."),
        new_markdown_cell("Plain text."),
    )
    nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}  # set by hand
    first = mark_slides(nb)
    assert slide_marks(first) == ["slide", "notes", "-"]
    assert first.metadata["gdcourse"]["slides"] == {"c0": "slide", "c2": "-"}
    # the lesson changes: the rules' mark follows, the author's stays
    first.cells[2].source = "## Now a section"
    first.cells[1].source = "## Notes that open with a heading"
    second = mark_slides(first)
    assert slide_marks(second) == ["slide", "notes", "slide"]
    # an author overriding a rule's mark wins from then on
    second.cells[2].metadata["slideshow"] = {"slide_type": "subslide"}
    assert slide_marks(mark_slides(second))[2] == "subslide"
    # marking is pure and idempotent
    assert mark_slides(second) == mark_slides(mark_slides(second))
    assert "slideshow" not in nb.cells[0].metadata


def test_split_cells_cuts_at_headings_and_keeps_the_first_id():
    nb = notebook(new_markdown_cell("End of section 1.\n\n## 2 · Next\n\nText of 2."))
    deck = split_cells(nb)
    assert [c.source for c in deck.cells] == ["End of section 1.", "## 2 · Next\n\nText of 2."]
    assert [c.id for c in deck.cells] == ["c0", "c0-1"]
    assert slide_marks(mark_slides(deck)) == ["slide", "slide"]
    stored = split_cells(nb, budget=None)  # for notebooks on disk: fresh ids
    assert len(stored.cells) == 2 and stored.cells[1].id not in ("c0", "c0-1")
    nbformat.validate(stored)


def test_only_the_items_of_a_build_up_become_fragments():
    point = "a point long enough to be worth revealing on its own, one at a time"
    source = "\n".join(f"- {point} ({i})" for i in range(3)) + "\n\nA closing paragraph."
    deck = split_cells(notebook(new_markdown_cell(source)))
    assert [c.source for c in deck.cells][-1] == "A closing paragraph."
    assert len(deck.cells) == 4
    assert slide_marks(mark_slides(deck))[1:] == ["fragment", "fragment", "-"]


def test_deck_links_between_lessons_point_to_decks():
    nb = notebook(new_markdown_cell("# T\n\n**Next:** [02 · Two](02_worked_iterations.ipynb)."))
    deck = deck_notebook(nb)
    assert "](02_worked_iterations.slides.html)" in deck.cells[0].source
    assert deck.metadata["title"] == "T"


def test_a_deck_shows_an_explorers_stored_figure_instead_of_its_widget():
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    explorer = new_code_cell("widgets.momentum_map()")
    explorer.outputs = [
        new_output(
            "display_data",
            data={WIDGET_VIEW: view, "image/png": PNG, "text/plain": "Explorer"},
        ),
        new_output("display_data", data={WIDGET_VIEW: view}),  # nothing static
    ]
    deck = deck_notebook(notebook(new_markdown_cell("# T"), explorer))
    assert [sorted(o["data"]) for o in deck.cells[1].outputs] == [["image/png", "text/plain"]]
    assert WIDGET_VIEW in explorer.outputs[0]["data"]  # the notebook is untouched


def without_slide_marks(path_or_text):
    data = json.loads(path_or_text)
    data["metadata"].get("gdcourse", {}).pop("slides", None)
    if data["metadata"].get("gdcourse") == {}:
        del data["metadata"]["gdcourse"]
    for cell in data["cells"]:
        cell["metadata"].pop("slideshow", None)
    return data


def test_mark_slides_command_changes_slide_metadata_only(tmp_path, capsys):
    lesson = LESSONS[1]
    copy = tmp_path / lesson.name
    unmarked = without_slide_marks(lesson.read_text(encoding="utf-8"))
    copy.write_text(json.dumps(unmarked), encoding="utf-8")
    assert cli.main(["mark-slides", str(copy)]) == 0
    assert "marked" in capsys.readouterr().out
    before, after = lesson.read_text(encoding="utf-8"), copy.read_text(encoding="utf-8")
    assert without_slide_marks(after) == without_slide_marks(before)
    nb = nbformat.read(copy, as_version=4)
    assert all("slideshow" in cell.metadata for cell in nb.cells)
    assert cli.main(["mark-slides", "--check", str(copy)]) == 0
    text = copy.read_text(encoding="utf-8")
    assert cli.main(["mark-slides", str(copy)]) == 0  # nothing to do: file untouched
    assert copy.read_text(encoding="utf-8") == text
    blank = tmp_path / "blank.ipynb"
    nbformat.write(notebook(new_markdown_cell("# T")), blank)
    assert cli.main(["mark-slides", "--check", str(blank)]) == 1


def test_every_lesson_carries_current_slide_marks():
    """The slide types stored in the lessons are what the rules give now (for live
    presenting in JupyterLab; the decks recompute them). `make notebooks` re-marks."""
    stale = [
        lesson.name
        for lesson in LESSONS
        if (nb := nbformat.read(lesson, as_version=4)) != mark_slides(nb)
    ]
    assert not stale, f"run `gdcourse mark-slides notebooks/*.ipynb`; stale: {stale}"


def test_split_headings_never_touches_code_cells(tmp_path):
    lesson = next(p for p in LESSONS if p.stem.endswith("_momentum"))
    copy = tmp_path / lesson.name
    copy.write_text(lesson.read_text(encoding="utf-8"), encoding="utf-8")
    assert cli.main(["mark-slides", "--split-headings", str(copy)]) == 0
    old, new = nbformat.read(lesson, as_version=4), nbformat.read(copy, as_version=4)
    nbformat.validate(new)
    code = [(c.source, c.outputs) for c in old.cells if c.cell_type == "code"]
    assert [(c.source, c.outputs) for c in new.cells if c.cell_type == "code"] == code
    joined = "\n\n".join(c.source for c in new.cells if c.cell_type == "markdown")
    assert " ".join(joined.split()) == " ".join(
        "\n\n".join(c.source for c in old.cells if c.cell_type == "markdown").split()
    )
    for cell in new.cells:  # every section heading now opens its cell, and its slide
        if cell.cell_type == "markdown" and re.search(r"^#{1,2} ", cell.source, re.M):
            assert re.match(r"#{1,2} ", cell.source)
            assert cell.metadata["slideshow"]["slide_type"] == "slide"


# ---------------------------------------------------------------- checking a deck


def test_inspect_deck_finds_every_kind_of_remote_or_missing_resource(tmp_path):
    (tmp_path / "here.css").write_text("@import url(https://fonts.example/x.css);")
    (tmp_path / "ok.js").write_text("")
    deck = tmp_path / "d.html"
    deck.write_text(
        '<html><head><script src="https://cdn.example/a.js"></script>'
        '<link rel="stylesheet" href="//cdn.example/b.css">'
        '<link rel="stylesheet" href="here.css"><script src="ok.js"></script>'
        '<style>body { background: url("http://x.example/c.png") }</style>'
        "<script type=\"module\">import m from 'https://cdn.example/m.mjs';</script></head>"
        '<body><div class="slides"><section><section><img src="gone.png">'
        '<img src="data:image/png;base64,AAAA"><a href="https://docs.example/">a link</a>'
        "</section><section></section></section><section><section></section></section>"
        "</div></body></html>"
    )
    found = inspect_deck(deck)
    assert sorted(found["remote"]) == [
        "//cdn.example/b.css",
        "here.css -> https://fonts.example/x.css",
        "http://x.example/c.png",
        "https://cdn.example/a.js",
        "https://cdn.example/m.mjs",
    ]
    assert found["missing"] == ["gone.png"]
    assert found["links"] == ["https://docs.example/"]  # navigation, not loaded
    assert (found["slides"], found["subslides"]) == (2, 3)


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    """Every lesson exported once, into one folder, with `gdcourse slides`."""
    out = tmp_path_factory.mktemp("decks")
    assert cli.main(["slides", *map(str, LESSONS), "--out", str(out)]) == 0
    return out


def images(nb):
    return sum(
        "image/png" in output.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def section_headings(nb):
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for kind, text in blocks(cell.source):
                count += kind == "heading" and heading_level(text) <= 2
    return count


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_exports_an_offline_deck(decks, lesson):
    deck = decks / f"{lesson.stem}.slides.html"
    found = inspect_deck(deck)
    assert found["remote"] == [], "the deck would load these from the network"
    assert found["missing"] == [], "the deck loads local files that were not written"
    assert {"assets/reveal.js/dist/reveal.js", "assets/mathjax/tex-svg-full.js"} <= set(
        found["local"]
    )
    nb = nbformat.read(lesson, as_version=4)
    shown = deck_notebook(nb)
    # one <section> per slide-marked cell: top level per "slide", inner per slide/subslide
    assert {k: found[k] for k in ("slides", "subslides", "fragments")} == (
        expected_structure(shown)
    )
    if not authored(nb):  # by the rules alone, each # and ## heading opens a slide
        assert found["slides"] == section_headings(nb)
    html = deck.read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == images(nb), "a stored figure is lost"
    assert "$" in html and "tex-svg-full.js" in html  # math left for MathJax to typeset


# ---------------------------------------------------------------- in a browser

browser_unavailable = None
try:
    import playwright.sync_api  # noqa: F401
except ImportError:
    browser_unavailable = "the playwright package is not installed (make setup)"
if not os.access(CHROMIUM, os.X_OK):
    browser_unavailable = "Debian's chromium is not installed (apt-get install chromium)"
in_ci = os.environ.get("CI", "").strip().lower() == "true"


@pytest.mark.browser
@pytest.mark.skipif(bool(browser_unavailable) and not in_ci, reason=f"{browser_unavailable}")
def test_a_deck_opened_from_disk_offline_shows_slides_math_and_figures(decks):
    from playwright.sync_api import sync_playwright

    lesson = next(p for p in LESSONS if p.stem.endswith("_momentum"))  # much math, six figures
    deck = decks / f"{lesson.stem}.slides.html"
    expected = expected_structure(deck_notebook(nbformat.read(lesson, 4)))
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(deck.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
            page.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
            state = page.evaluate(
                """() => ({
                slides: Reveal.getTotalSlides(),
                math: document.querySelectorAll('mjx-container').length,
                mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
                rawMath: Array.from(document.querySelectorAll('.jp-RenderedMarkdown'))
                    .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.textContent)).length,
                figures: Array.from(document.images).filter(i => i.naturalWidth > 0).length,
                images: document.images.length,
            })"""
            )
        finally:
            browser.close()
    assert state["slides"] == expected["subslides"]  # reveal counts every inner section
    assert state["math"] > 20 and state["mathErrors"] == 0 and state["rawMath"] == 0
    assert state["figures"] == state["images"] == images(nbformat.read(lesson, 4))
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert errors == []


# Press a key until the deck's end; the (h, v, fragment) after each press, in order.
_WALK = """async (key) => {
    const seen = [];
    const where = () => { const i = Reveal.getIndices(); return [i.h, i.v || 0, i.f ?? -1]; };
    seen.push(where());
    for (let n = 0; n < 2000; n++) {
        const before = JSON.stringify(where());
        document.dispatchEvent(new KeyboardEvent("keydown", {keyCode: key, which: key,
                                                              bubbles: true}));
        await new Promise(r => setTimeout(r, 0));
        if (JSON.stringify(where()) === before) break;  // at the end: the key does nothing
        seen.push(where());
    }
    return seen;
}"""

# Every slide: whether its content is taller than the slide, and whether it can scroll.
_HEIGHTS = """() => Reveal.getSlides().map(s => ({
    tall: s.scrollHeight > s.clientHeight + 2,
    scrolls: ["auto", "scroll"].includes(getComputedStyle(s).overflowY),
    height: s.scrollHeight,
}))"""


@pytest.mark.browser
@pytest.mark.skipif(bool(browser_unavailable) and not in_ci, reason=f"{browser_unavailable}")
def test_arrow_and_space_walk_every_slide_and_tall_slides_scroll(decks):
    """→ and Space visit every slide and sub-slide in order (as the guide's key table says),
    and a slide taller than a 1280 × 720 screen can be scrolled to see all of it."""
    from playwright.sync_api import sync_playwright

    lesson = next(p for p in LESSONS if p.stem.endswith("_momentum"))
    deck = decks / f"{lesson.stem}.slides.html"
    walks = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(offline=True, viewport={"width": 1280, "height": 720})
            page = context.new_page()
            page.goto(deck.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=30_000)
            total = page.evaluate("() => Reveal.getTotalSlides()")
            heights = page.evaluate(_HEIGHTS)
            for name, code in (("right", 39), ("space", 32)):
                page.evaluate("() => Reveal.slide(0, 0, -1)")
                walks[name] = page.evaluate(_WALK, code)
        finally:
            browser.close()
    for name, seen in walks.items():
        slides = [tuple(s[:2]) for s in seen]
        visited = list(dict.fromkeys(slides))
        assert len(visited) == total, f"{name} visits {len(visited)} of {total} slides"
        assert visited == sorted(visited), f"{name} goes back and forth"
        assert all(a <= b for a, b in zip(seen, seen[1:], strict=False)), name
    assert any(h["tall"] for h in heights), "no tall slide: this test would prove nothing"
    stuck = [i for i, h in enumerate(heights) if h["tall"] and not h["scrolls"]]
    assert not stuck, f"slides taller than the screen with no way to see all: {stuck}"


# ---------------------------------------------------------------- accessible decks


def descriptions(nb):
    """Each figure's description, in the deck's order: the output's image/png alt metadata,
    else its text/plain (what deck.html.j2 writes as the <img> alt)."""
    return [
        (
            output.get("metadata", {}).get("image/png", {}).get("alt") or data.get("text/plain", "")
        ).strip()
        for cell in deck_notebook(nb).cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in (data := output.get("data", {}))
    ]


class _Images(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.alts = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append((dict(attrs).get("alt") or "").strip())


def alt_texts(deck_html):
    """The alt text of each <img> in the deck, in order ("" for none)."""
    return _Images(deck_html).alts


def test_a_decks_figure_has_its_description_as_alt_text(tmp_path):
    described, plain = figure_cell(), figure_cell()
    described.outputs[0].metadata = {"image/png": {"alt": 'Loss against step: "fast" then flat'}}
    nbformat.write(notebook(new_markdown_cell("# T"), described, plain), tmp_path / "t.ipynb")
    assert cli.main(["slides", str(tmp_path / "t.ipynb"), "--out", str(tmp_path / "out")]) == 0
    deck = (tmp_path / "out" / "t.slides.html").read_text(encoding="utf-8")
    # the description, else the text/plain; never nbconvert's "No description has been provided"
    assert alt_texts(deck) == ['Loss against step: "fast" then flat', "<Figure>"]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_figure_in_a_deck_has_its_description_as_alt_text(decks, lesson):
    deck = (decks / f"{lesson.stem}.slides.html").read_text(encoding="utf-8")
    assert alt_texts(deck) == descriptions(nbformat.read(lesson, as_version=4))


AXE_UNAVAILABLE = browser.unavailable() or accessibility.unavailable()
# reveal's print view, every fragment shown: each slide once, one under the other
PRINT_VIEW = "?view=print&pdfSeparateFragments=false"
# reveal hides every slide but the current one from screen readers; take that off, as reveal
# does for the slide it shows
JS_SHOW_EVERY_SLIDE = """() => {
    for (const s of document.querySelectorAll('.reveal .slides section')) {
        s.removeAttribute('aria-hidden');
        s.hidden = false;
    }
    return document.querySelectorAll('.reveal .slides .pdf-page').length;
}"""


@pytest.mark.browser
@pytest.mark.skipif(bool(AXE_UNAVAILABLE) and not in_ci, reason=f"{AXE_UNAVAILABLE}")
def test_every_slide_of_every_deck_passes_the_accessibility_check(decks):
    """axe-core's default rules on every slide of every deck; serious or critical violations
    fail, moderate and minor ones are warnings.

    reveal.js shows one slide at a time: it hides every other slide from screen readers
    (aria-hidden, hidden) and most from view, and axe leaves hidden content out, so axe on an
    open deck checks one slide. So every deck is opened, from disk and offline, in reveal's
    print view with every build-up step shown: every slide is laid out once, one under the
    other, and with reveal's aria-hidden and hidden taken off (as reveal does for the slide it
    shows) axe checks every slide as a reader meets it: headings, alt text, contrast of text,
    code and links, scrolling regions. What is around the slides (the controls, progress bar
    and slide number, the page's language and landmarks) is the template's, the same in every
    deck: axe checks it, and not the slides, on the first deck as presented."""
    from playwright.sync_api import sync_playwright

    found, pages, requests, errors = {}, {}, [], []
    with sync_playwright() as p:
        chrome = browser.launch_chromium(p)
        try:
            tab = browser.offline_tab(
                chrome, requests, errors, viewport={"width": 1280, "height": 720}
            )
            views = [(LESSONS[0], "presented", "")]
            views += [(lesson, "every slide", PRINT_VIEW) for lesson in LESSONS]
            for lesson, view, query in views:
                deck = decks / f"{lesson.stem}.slides.html"
                tab.goto(deck.as_uri() + query)
                tab.wait_for_function("() => window.Reveal && Reveal.isReady()")
                tab.evaluate("() => MathJax.startup.promise")
                if query:  # reveal lays the pages out after it is ready, then adds them at once
                    tab.wait_for_function("() => document.querySelector('.reveal .pdf-page')")
                    pages[lesson.stem] = tab.evaluate(JS_SHOW_EVERY_SLIDE)
                context = None if query else {"exclude": [[".reveal .slides"]]}
                found[f"{deck.name} ({view})"] = accessibility.check(tab, context)
        finally:
            chrome.close()
    for lesson in LESSONS:  # the print view laid out every slide
        expected = expected_structure(deck_notebook(nbformat.read(lesson, 4)))
        assert pages[lesson.stem] == expected["subslides"], lesson.stem
    assert browser.remote(requests) == [] and errors == []
    accessibility.report_minor(found)
    serious = accessibility.failing(found)
    assert serious == [], "\n".join(["axe: serious or critical violations", *serious])
