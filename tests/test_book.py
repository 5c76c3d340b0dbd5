"""The course website (`make book`): built once from the stored outputs, then read page by page.

The site is built with `book/build.py` into a temporary folder (a module fixture), exactly as
`make book` builds it. The checks: every lesson and exercise has a page, in order, linked by
previous/next; the home page's lesson map is the course's; no page loads anything from the
network (the HTML's scripts, stylesheets, images and icons, and what those stylesheets load);
each explorer shows its stored picture and the line saying it is interactive in JupyterLab;
each lesson links its notebook (shipped in the site) and its exercise; the search index knows
the course's words; a broken internal link fails the build. The browser test opens pages from
disk in headless Chromium, offline: math typesets and search finds "momentum" with no request
leaving the machine. Then every page of the site is opened the same way, one after another:
none requests anything from the network or logs an error, math typesets wherever a page has
math, every image shows and has a description for its alt text, and axe-core (the engine of
browsers' accessibility audits, tests/accessibility.py) finds no serious or critical
violation (moderate and minor ones are printed as warnings). It needs Debian's chromium (and
axe-playwright-python) and is skipped without it (one line), except under CI=true. Without
the `book` extra (Sphinx) every test here is skipped the same way.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from gdcourse import widgets
from gdcourse.course import lessons
from tests import accessibility, browser

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "book" / "build.py"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LESSONS = [name[: -len(".ipynb")] for _, _, name in lessons(ROOT / "notebooks")]
EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
GUIDES = ["instructor", "hub", "architecture"]
# Every page a reader reaches by "next" from the home page, in that order.
ORDER = (
    ["index"]
    + [f"notebooks/{name}" for name in LESSONS]
    + [f"exercises/{name}" for name in EXERCISES]
    + [f"docs/{name}" for name in GUIDES]
)
in_ci = browser.in_ci()

builder_unavailable = None
try:
    import myst_nb  # noqa: F401
    import sphinx  # noqa: F401
    import sphinx_book_theme  # noqa: F401
except ImportError:
    builder_unavailable = "the website's builder is not installed (make book installs it)"
pytestmark = pytest.mark.skipif(
    bool(builder_unavailable) and not in_ci, reason=f"{builder_unavailable}"
)


def run_build(out, root=ROOT):
    return subprocess.run(
        [sys.executable, str(BUILD), "--out", str(out), "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The whole course built once, into a temporary folder, the way `make book` builds it."""
    out = tmp_path_factory.mktemp("book") / "html"
    done = run_build(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr
    return out


class Page(HTMLParser):
    """What an HTML page loads (scripts, stylesheets, images, ...) and where it links."""

    LOADING_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest"}

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.loads, self.links, self.styles, self.inline_scripts = [], [], [], []
        self.images, self.classes, self._in = [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.append((tag, attrs.get("class") or "", attrs))
        if attrs.get("style"):
            self.styles.append(attrs["style"])
        loading = ("script", "img", "iframe", "source", "audio", "video", "embed", "track")
        if tag in loading and attrs.get("src"):
            self.loads.append(attrs["src"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "object" and attrs.get("data"):
            self.loads.append(attrs["data"])
        if tag == "link" and attrs.get("href"):
            rels = set((attrs.get("rel") or "").split())
            (self.loads if rels & self.LOADING_RELS else self.links).append(attrs["href"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("style", "script") and not attrs.get("src"):
            self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.styles.append(data)
        elif self._in == "script":
            self.inline_scripts.append(data)

    def link(self, css_class):
        """The href of the first tag carrying `css_class` (None if none does)."""
        for _, classes, attrs in self.classes:
            if css_class in classes.split():
                return attrs.get("href")
        return None


def page(site, name):
    return Page((site / f"{name}.html").read_text(encoding="utf-8"))


def local(base: Path, url: str) -> Path | None:
    """The file a relative URL names from the file `base` (None for a data: or # URL)."""
    if url.startswith(("data:", "#")) or not url:
        return None
    return (base.parent / unquote(urlsplit(url).path)).resolve()


REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http:, https:, //host
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)


def css_urls(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)  # comments (licences) load nothing
    return [m.group(2) or m.group(4) for m in CSS_URL.finditer(text)]


# ---------------------------------------------------------------- pages and their order


def test_every_lesson_and_exercise_has_a_page_in_order_with_previous_and_next(site):
    assert len(LESSONS) >= 14 and len(EXERCISES) >= 13
    for before, after in zip(ORDER, ORDER[1:], strict=False):
        forward = page(site, before).link("right-next")
        assert forward is not None, f"{before} has no next link"
        assert local(site / f"{before}.html", forward) == (site / f"{after}.html").resolve()
        back = page(site, after).link("left-prev")
        assert back is not None, f"{after} has no previous link"
        assert local(site / f"{after}.html", back) == (site / f"{before}.html").resolve()
    assert page(site, ORDER[-1]).link("right-next") is None


def test_the_home_page_maps_every_lesson_in_order(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    positions = []
    for number, title, name in lessons(ROOT / "notebooks"):
        link = f'href="notebooks/{name[: -len(".ipynb")]}.html"'
        assert link in home, f"the home page does not link lesson {number}"
        positions.append(home.index(link))
        assert title.split("·", 1)[-1].strip() in home
        if (ROOT / "exercises" / name).is_file():
            assert f'href="exercises/{name[: -len(".ipynb")]}.html"' in home
    assert positions == sorted(positions)


# ---------------------------------------------------------------- offline


def test_no_page_loads_anything_from_the_network(site):
    # the pages (_static/ holds the theme's Jinja macros, also named .html: not pages)
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    assert len(pages) >= len(ORDER)
    stylesheets, remote, missing = set(), [], []
    for path in pages:
        found = Page(path.read_text(encoding="utf-8"))
        for url in found.loads + [u for style in found.styles for u in css_urls(style)]:
            if REMOTE.match(url):
                remote.append((path.name, url))
            elif (target := local(path, url)) is not None:
                if not target.is_file():
                    missing.append((path.name, url))
                elif target.suffix == ".css":
                    stylesheets.add(target)
        remote += [(path.name, s[:80]) for s in found.inline_scripts if re.search("https?:", s)]
    seen = set()
    while stylesheets:  # what the stylesheets load, and what those load
        sheet = stylesheets.pop()
        seen.add(sheet)
        for url in css_urls(sheet.read_text(encoding="utf-8")):
            if REMOTE.match(url):
                remote.append((sheet.name, url))
            elif (target := local(sheet, url)) is not None:
                if not target.is_file():
                    missing.append((sheet.name, url))
                elif target.suffix == ".css" and target not in seen:
                    stylesheets.add(target)
    assert remote == [], "the site would load these from the network"
    assert missing == [], "the site loads local files that were not written"
    assert any(p.name == "pydata-sphinx-theme.css" for p in seen)  # the theme's, with its icons


def test_math_is_typeset_by_the_vendored_mathjax(site):
    vendored = ROOT / "gdcourse" / "authoring" / "assets" / "mathjax" / "tex-svg-full.js"
    copy = site / "_static" / "mathjax" / "tex-svg-full.js"
    assert copy.read_bytes() == vendored.read_bytes()
    with_math = 0
    for name in ORDER:  # Sphinx loads MathJax on the pages that have math
        if 'class="math' in (site / f"{name}.html").read_text(encoding="utf-8"):
            with_math += 1
            scripts = [u.split("?")[0] for u in page(site, name).loads]
            assert any(u.endswith("_static/mathjax/tex-svg-full.js") for u in scripts), name
    assert with_math >= 10


# ---------------------------------------------------------------- lesson pages


def explorer_lines(lesson):
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    return [
        output["data"]["text/plain"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if widgets.EXPLORER_MARK.items() <= output.get("metadata", {}).items()
    ]


EXPLORER = re.compile(
    r'<div class="cell_output docutils container">\s*<img [^>]*src="([^"]+\.png)"[^>]*>\s*'
    r'<div class="output text_html"><p class="gd-explorer-note">(.*?)</p>',
    re.DOTALL,
)


@pytest.mark.parametrize("lesson", LESSONS)
def test_an_explorer_shows_its_picture_and_says_it_is_interactive_in_jupyterlab(site, lesson):
    html = (site / "notebooks" / f"{lesson}.html").read_text(encoding="utf-8")
    lines = explorer_lines(lesson)
    shown = EXPLORER.findall(html)
    assert len(shown) == len(lines)
    for (image, note), line in zip(shown, lines, strict=True):
        assert local(site / "notebooks" / f"{lesson}.html", image).is_file()
        text = re.sub(r"<[^>]+>", "", note)
        assert "Interactive in JupyterLab" in text and line.strip() in text
    assert WIDGET_VIEW not in html  # no empty widget tag in place of the picture


def test_the_explorers_are_in_the_site():
    assert sum(bool(explorer_lines(lesson)) for lesson in LESSONS) >= 5


def gdbook():
    spec = importlib.util.spec_from_file_location("gdbook", ROOT / "book" / "gdbook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_explorers_line_goes_under_outputs_with_the_explorers_mark_only():
    """What `gdcourse execute` stores: an explorer's PNG, text and mark, no widget view."""
    book = gdbook()
    group, key = book.EXPLORER_MARK
    assert {group: {key: True}} == widgets.EXPLORER_MARK  # the mark the explorers write
    explorer = nbformat.v4.new_output(
        "display_data",
        data={"image/png": "iVBORw0KGgo=", "text/plain": "Momentum explorer (run the cell…)"},
        metadata={"image/png": {"alt": "the (η, β) plane"}, **widgets.EXPLORER_MARK},
    )
    figure = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})
    nb = new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[explorer, figure])])
    prepared = json.loads(book.prepare_notebook(json.dumps(nb), "notebooks/08_x", ROOT))
    outputs = prepared["cells"][0]["outputs"]
    kinds = [set(o["data"]) for o in outputs]
    assert kinds == [{"image/png", "text/plain"}, {"text/html"}, {"image/png"}]
    assert "Momentum explorer (run the cell…)" in outputs[1]["data"]["text/html"]


@pytest.mark.parametrize(
    "name", [f"notebooks/{n}" for n in LESSONS] + [f"exercises/{n}" for n in EXERCISES]
)
def test_each_page_links_its_notebook_to_download_and_its_partner(site, name):
    folder, stem = name.split("/")
    path = site / f"{name}.html"
    found = Page(path.read_text(encoding="utf-8"))
    downloads = [u for u in found.links if u.endswith(f"/{stem}.ipynb") and "_downloads/" in u]
    assert downloads, f"{name} does not link its notebook"
    assert local(path, downloads[0]).read_bytes() == (ROOT / f"{name}.ipynb").read_bytes()
    partner = "exercises" if folder == "notebooks" else "notebooks"
    if (ROOT / partner / f"{stem}.ipynb").is_file():
        assert f"../{partner}/{stem}.html" in found.links, f"{name} does not link its {partner}"


# ---------------------------------------------------------------- search


def search_index(site):
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def test_the_search_index_covers_every_page_and_the_course_words(site):
    assert (site / "search.html").is_file()
    index = search_index(site)
    assert set(ORDER) <= set(index["docnames"])

    def pages(kind, word):  # the pages with the word in their text (terms) or title (titleterms)
        found = index[kind].get(word, [])
        return {index["docnames"][i] for i in (found if isinstance(found, list) else [found])}

    momentum = pages("terms", "momentum") | pages("titleterms", "momentum")
    assert "notebooks/08_momentum" in momentum and len(momentum) >= 10


# ---------------------------------------------------------------- the build's own checks


def test_a_broken_internal_link_fails_the_build(tmp_path):
    course = tmp_path / "course"
    (course / "notebooks").mkdir(parents=True)
    nb = new_notebook(cells=[new_markdown_cell("# 00 · Tiny\n\nOn to [lesson 01](01_gone.ipynb).")])
    nbformat.write(nb, course / "notebooks" / "00_tiny.ipynb")
    done = run_build(tmp_path / "html", root=course)
    assert done.returncode != 0
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "01_gone.ipynb" in warnings[0], done.stderr


# ---------------------------------------------------------------- in a browser

SCREENSHOTS = Path(os.environ.get("GDCOURSE_SCREENSHOTS", ROOT / "tests" / ".screenshots"))
BROWSER_UNAVAILABLE = browser.unavailable()


@pytest.mark.browser
@pytest.mark.skipif(bool(BROWSER_UNAVAILABLE) and not in_ci, reason=f"{BROWSER_UNAVAILABLE}")
def test_the_site_opened_from_disk_offline_shows_math_explorers_and_search(site):
    from playwright.sync_api import sync_playwright

    requests, errors = [], []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chrome = browser.launch_chromium(p)
        try:
            tab = browser.offline_tab(
                chrome, requests, errors, viewport={"width": 1280, "height": 900}
            )
            tab.goto((site / "notebooks" / "08_momentum.html").as_uri())
            tab.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
            tab.evaluate("() => MathJax.startup.promise")
            state = tab.evaluate(
                """() => ({
                math: document.querySelectorAll('mjx-container').length,
                mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
                rawMath: Array.from(document.querySelectorAll('article p, article li'))
                    .filter(e => /\\$[^$\\s][^$]*\\$/.test(e.textContent)).length,
                figures: Array.from(document.images).filter(i => i.naturalWidth > 0).length,
                images: document.images.length,
            })"""
            )
            tab.screenshot(path=str(SCREENSHOTS / "book_08_momentum.png"))
            explorer = site / "notebooks" / f"{next(n for n in LESSONS if explorer_lines(n))}.html"
            tab.goto(explorer.as_uri())
            note = tab.locator(".gd-explorer-note").first
            note.scroll_into_view_if_needed()
            shown = note.is_visible() and tab.evaluate(
                """() => {
                const img = document.querySelector('.gd-explorer-note')
                    .closest('.cell_output').querySelector('img');
                return img.naturalWidth > 0 && img.getBoundingClientRect().height > 100;
            }"""
            )
            tab.screenshot(path=str(SCREENSHOTS / "book_explorer.png"))
            tab.goto((site / "search.html").as_uri() + "?q=momentum")
            tab.wait_for_selector("#search-results li a", timeout=30_000)
            results = tab.eval_on_selector_all(
                "#search-results li a", "links => links.map(a => a.textContent)"
            )
            tab.screenshot(path=str(SCREENSHOTS / "book_search.png"))
        finally:
            chrome.close()
    assert state["math"] > 20 and state["mathErrors"] == 0 and state["rawMath"] == 0
    assert state["figures"] == state["images"] > 0
    assert shown, "the explorer's picture or its line is not shown"
    assert any("Momentum" in title for title in results)
    assert browser.remote(requests) == []
    assert errors == []


# ---------------------------------------------------------------- every page, in a browser

AXE_UNAVAILABLE = BROWSER_UNAVAILABLE or accessibility.unavailable()
# An alt text that describes nothing: empty, a file's name (myst-nb's default is the PNG's
# path), or matplotlib's text for a figure nobody described.
NO_DESCRIPTION = re.compile(
    r"^\s*$|\.(png|jpe?g|gif|svg)$|<\w*Figure size [\d.]+x[\d.]+ with", re.IGNORECASE
)
JS_SHOWN = """() => ({
    math: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror, [data-mjx-error]').length,
    images: Array.from(document.images).map(i => ({
        src: (i.getAttribute('src') || '').slice(0, 80),
        alt: i.getAttribute('alt'),
        shown: i.complete && i.naturalWidth > 0,
    })),
})"""


def site_pages(site):
    """Every HTML page of the site, by its path under the site ("notebooks/08_momentum.html")."""
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if "_static" not in p.relative_to(site).parts
    )


@pytest.fixture(scope="module")
def opened(site):
    """Every page of the site opened from disk in headless Chromium, offline, one after the
    other: {page: what it requested, its errors, its math and images, and axe's violations}."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as p:
        chrome = browser.launch_chromium(p)
        try:
            requests, errors = [], []
            tab = browser.offline_tab(
                chrome, requests, errors, viewport={"width": 1280, "height": 900}
            )
            for name in site_pages(site):
                requests.clear()
                errors.clear()
                path = site / name
                tab.goto(path.as_uri())
                has_math = 'class="math' in path.read_text(encoding="utf-8")
                if has_math:
                    tab.wait_for_function("() => window.MathJax && MathJax.startup", timeout=30_000)
                    tab.evaluate("() => MathJax.startup.promise")
                shown = tab.evaluate(JS_SHOWN)
                found[name] = {
                    **shown,
                    "has_math": has_math,
                    "axe": accessibility.check(tab),
                    "remote": browser.remote(requests),
                    "errors": list(errors),
                }
        finally:
            chrome.close()
    assert len(found) >= len(ORDER)
    return found


needs_axe = pytest.mark.skipif(bool(AXE_UNAVAILABLE) and not in_ci, reason=f"{AXE_UNAVAILABLE}")


@pytest.mark.browser
@needs_axe
def test_every_page_opened_offline_loads_nothing_from_the_network_and_shows_its_math(opened):
    assert {name: p["remote"] for name, p in opened.items() if p["remote"]} == {}
    assert {name: p["errors"] for name, p in opened.items() if p["errors"]} == {}
    untypeset = [n for n, p in opened.items() if p["has_math"] and not p["math"]]
    assert untypeset == [], "MathJax typeset nothing on these pages"
    assert {n: p["mathErrors"] for n, p in opened.items() if p["mathErrors"]} == {}
    assert sum(p["has_math"] for p in opened.values()) >= 10


@pytest.mark.browser
@needs_axe
def test_every_image_on_every_page_shows_and_has_a_description(opened):
    """The alt text of a lesson's figure is the description its notebook stores (the output's
    image/png alt metadata, book/gdbook.py); an explorer's picture is among them."""
    images = [(name, image) for name, p in opened.items() for image in p["images"]]
    assert len(images) >= 60
    assert [(name, i["src"]) for name, i in images if not i["shown"]] == []
    undescribed = [
        f"{name}: {i['src']} alt={i['alt']!r:.60}"
        for name, i in images
        if i["alt"] is None or NO_DESCRIPTION.search(i["alt"])
    ]
    assert undescribed == [], f"{len(undescribed)} images without a description"


@pytest.mark.browser
@needs_axe
def test_every_page_passes_the_accessibility_check(opened):
    """axe-core's default rules (WCAG 2.x A and AA, and its best practices) on every page;
    serious or critical violations fail, moderate and minor ones are warnings."""
    found = {name: p["axe"] for name, p in opened.items()}
    accessibility.report_minor(found)
    serious = accessibility.failing(found)
    assert serious == [], "\n".join(["axe: serious or critical violations", *serious])


@pytest.mark.browser
@needs_axe
def test_the_accessibility_check_fails_what_it_should(tmp_path):
    """The check can fail: an image without alt (critical), grey text (serious), and in code
    a token whose look is new (checked) after many of a passing look (checked once); a
    heading that skips a level (moderate) is a warning."""
    from playwright.sync_api import sync_playwright

    tokens = '<span class="n">x</span> ' * 200 + '<span class="c">pale comment</span>'
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>Bad</title><style>'
        ".c { color: #bbb } .highlight { background: #fff }</style></head><body><main>"
        '<h1>Bad</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color: #aaa">grey text</p><h3>A level skipped</h3>'
        f'<div class="highlight"><pre>{tokens}</pre></div></main></body></html>'
    )
    with sync_playwright() as p:
        chrome = browser.launch_chromium(p)
        try:
            tab = browser.offline_tab(chrome, [], [])
            tab.goto(page.as_uri())
            found = {v["id"]: v for v in accessibility.check(tab)}
            sampled = tab.evaluate("document.querySelectorAll('[data-gd-axe-same]').length")
        finally:
            chrome.close()
    assert found["image-alt"]["impact"] == "critical"
    assert found["color-contrast"]["impact"] == "serious"
    assert sorted(found["color-contrast"]["targets"]) == [".c", "p"]
    assert sampled == 199  # every "x" token but the first: the same look
    lines = accessibility.failing({"bad.html": list(found.values())})
    assert any(line.startswith("image-alt (critical) on bad.html") for line in lines)
    assert not any(line.startswith("heading-order") for line in lines)
    with pytest.warns(accessibility.AccessibilityWarning, match=r"heading-order \(moderate\)"):
        accessibility.report_minor({"bad.html": list(found.values())})
