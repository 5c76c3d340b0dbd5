"""Sphinx configuration of the course website (`make book`; sources staged by book/build.py).

The site is built from the notebooks' STORED outputs: nothing is executed. Everything a page
loads is written into the site (MathJax from the course's vendored copy, the theme's own
fonts and icons), so the site works from disk with no network.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the local extension gdbook

project = "gdcourse: gradient descent with PyTorch"
author = "the gdcourse authors"
copyright = "the gdcourse authors; course text CC BY 4.0, code MIT"

extensions = ["myst_nb", "gdbook"]
root_doc = "index"
# The staged source folder holds only what belongs in the site; this keeps Sphinx from
# picking up anything else that might be lying there.
include_patterns = [
    "index.md",
    "notebooks/[0-9][0-9]_*.ipynb",
    "exercises/[0-9][0-9]_*.ipynb",
    "docs/*.md",
]
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]

# ---- notebooks: stored outputs only
nb_execution_mode = "off"
# An explorer's output carries a PNG of its default state and a text/plain line: myst-nb
# shows the PNG (gdbook adds the line under it). A widget view, were one stored, is empty
# without a kernel: never shown.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}  # never load the widget manager from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3  # docs link to sections (hub.md#3-where-submissions-are-collected)

# ---- math: the course's vendored MathJax 3 (SVG output, no font files), copied by gdbook
mathjax_path = "mathjax/tex-svg-full.js"

# ---- HTML
html_theme = "sphinx_book_theme"
html_title = "gdcourse"
html_static_path = ["_static"]
templates_path = ["_templates"]  # navbar-logo.html: the theme's, inside a landmark
html_css_files = ["gdbook.css"]
html_copy_source = False  # the notebooks are offered as downloads instead
html_show_sourcelink = False
html_show_search_summary = False  # a summary is fetched per result: refused from file://
html_last_updated_fmt = None
html_context = {"default_mode": "light"}  # the stored figures are drawn on white
html_theme_options = {
    "use_download_button": False,  # each lesson links its notebook in the text
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}

# ---- warnings are errors (book/build.py passes -W --keep-going): a broken internal link,
# a missing image or a bad cross-reference fails the build
nitpicky = True
