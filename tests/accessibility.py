"""The browser tests' accessibility check: axe-core, run in a page that Playwright opened.

axe-core is the engine of the accessibility audits in browsers' developer tools (headings in
order, images with alt text, contrast, landmarks, names of links and buttons, ...). The
PyPI package axe-playwright-python bundles it (`axe.min.js`) and injects it into the page,
so the check needs no network. `check(tab)` runs every rule axe runs by default and returns
the violations; a violation whose impact is "serious" or "critical" fails a test
(`failing`), the "moderate" and "minor" ones are reported as warnings (`report_minor`).

Code is the one place where the check samples: a lesson page's highlighted code is
thousands of one-token <span>s, and contrast (the slowest rule by far) would take half a
minute on one page. A token's contrast depends only on its computed colour, background,
font size, weight and opacity and on the code block's background, so for colour contrast
the first token of each such look in the page is checked, and the others are marked
`data-gd-axe-same` and left out of that one rule (every other rule sees every token).
"""

from __future__ import annotations

import warnings

FAILING = {"serious", "critical"}
NOT_INSTALLED = "accessibility check skipped: axe-playwright-python is not installed (make setup)"

# Run after axe.min.js, in the page: mark every code token whose look was already seen, and
# point axe's colour-contrast rule at the rest.
SAMPLE_CODE_TOKENS = """
;(() => {
  const seen = new Set();
  for (const token of document.querySelectorAll('.highlight pre span')) {
    if (![...token.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const block = token.closest('.highlight');
    const own = getComputedStyle(token);
    const look = [own.color, own.backgroundColor, own.fontSize, own.fontWeight, own.opacity,
                  getComputedStyle(block).backgroundColor, block.parentElement.className];
    const key = JSON.stringify(look);
    if (seen.has(key)) token.setAttribute('data-gd-axe-same', '');
    else seen.add(key);
  }
  axe.configure({rules: [{id: 'color-contrast', selector: '*:not([data-gd-axe-same])'}]});
})();
"""
# axe's defaults, but no "preload": it fetches the stylesheets again for one rule, which a
# page opened from file:// refuses (and logs as an error); no result but the violations.
OPTIONS = {"resultTypes": ["violations"], "preload": False}


class AccessibilityWarning(UserWarning):
    """A moderate or minor axe violation: reported, not failed."""


def unavailable():
    """Why the check cannot run here (one line), or None when it can."""
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        return NOT_INSTALLED
    return None


def check(tab, context=None):
    """axe's violations in the page open in `tab` (every rule axe runs by default).

    `context` is axe's: None for the whole page, or e.g. {"exclude": [[".slides"]]}.
    Each violation is a dict: axe's rule `id`, `impact` and `help` (what the rule asks), and
    the CSS selectors of the elements that break it (`targets`)."""
    from axe_playwright_python.base import AXE_SCRIPT
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe(axe_script=AXE_SCRIPT + SAMPLE_CODE_TOKENS)
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [" ".join(node["target"]) for node in v["nodes"]],
        }
        for v in axe.run(tab, context=context, options=OPTIONS).response["violations"]
    ]


def lines(violations, where, targets=3):
    """One line per violation: rule, impact, where, what it means and a few targets."""
    out = []
    for v in violations:
        count = len(v["targets"])
        more = f" (+{count - targets} more)" if count > targets else ""
        out.append(
            f"{v['id']} ({v['impact']}) on {where}: {v['help']}; "
            f"{count} element(s): {', '.join(v['targets'][:targets])}{more}"
        )
    return out


def failing(found):
    """The lines of the serious and critical violations in `found`, {where: violations}."""
    return [
        line
        for where, violations in found.items()
        for line in lines([v for v in violations if v["impact"] in FAILING], where)
    ]


def report_minor(found):
    """Warn (in the test output, not failing) about each moderate or minor violation."""
    for where, violations in found.items():
        for line in lines([v for v in violations if v["impact"] not in FAILING], where):
            warnings.warn(line, AccessibilityWarning, stacklevel=2)
