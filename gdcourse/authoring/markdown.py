"""The one Markdown reader of the authoring tools: blocks, headings, list items, fences, math.

Slide marks (`slides.marks`) need a lesson's Markdown as blocks, to estimate how tall
it is and where to cut it; lesson timings (`timings`) need its prose words and its
displayed formulas, and the items of its objectives list. Both read the same syntax,
so both read it here: one heading rule, one list-item rule, one fenced-code rule.

It reads the subset of Markdown the lessons use, by lines, with no Markdown library:
ATX headings (`## Title`), `-`/`*`/`+`/`1.`/`1)` list items with indented
continuation lines, ``` and ~~~ fenced code, `$$` displayed formulas, pipe tables,
HTML and paragraphs.
"""

from __future__ import annotations

import re

__all__ = [
    "DISPLAY_MATH",
    "FENCE",
    "HEADING",
    "LIST_ITEM",
    "blocks",
    "count_words",
    "fence_end",
    "formulas",
    "heading_level",
    "item_text",
    "list_items",
    "without_fences",
]

HEADING = re.compile(r"^(#{1,6})\s+\S")  # group 1: the #s
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+")  # group 1: the indent, 2: the marker
FENCE = re.compile(r"^\s*(```|~~~)")  # a line opening (or closing) fenced code; 1: the fence
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)  # a displayed formula, $$ ... $$

# What is not prose, for counting words (see count_words)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?\$")
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>\n]+>")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$", re.MULTILINE)
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)


# ---------------------------------------------------------------- lines


def heading_level(line: str) -> int:
    """1-6 for an ATX heading line (`## Title`), else 0."""
    match = HEADING.match(line)
    return len(match.group(1)) if match else 0


def item_text(line: str) -> str | None:
    """The text after the marker of a line that opens a list item (`- x`, `2. x`), or None."""
    match = LIST_ITEM.match(line)
    return line[match.end() :] if match else None


def fence_end(lines: list[str], start: int) -> int | None:
    """The index of the line that closes the fenced code opened by `lines[start]`.

    None when `lines[start]` opens no fence, or opens one that is never closed. The
    closing line is the first later one that starts (after spaces) with the same fence.
    """
    match = FENCE.match(lines[start])
    if not match:
        return None
    fence = match.group(1)
    for end in range(start + 1, len(lines)):
        if lines[end].strip().startswith(fence):
            return end
    return None


# ---------------------------------------------------------------- blocks


def blocks(markdown: str) -> list[tuple[str, str]]:
    """The Markdown split into (kind, text) blocks, in order.

    Kinds: "heading", "math" (a `$$` display), "code" (a fenced block), "table",
    "list", "html" and "para". Blank lines separate paragraphs; a display formula, a
    fence (to the end of the text if it is never closed), a list (with its indented
    continuation lines) and a table stay whole.
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
        if FENCE.match(line):
            end = fence_end(lines, i)
            end = len(lines) - 1 if end is None else end
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
        if LIST_ITEM.match(line):
            end = i
            while end + 1 < len(lines):
                nxt = lines[end + 1]
                if not nxt.strip():
                    # a blank line ends the list unless the list goes on after it
                    if end + 2 < len(lines) and (
                        LIST_ITEM.match(lines[end + 2]) or lines[end + 2].startswith("  ")
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
                or FENCE.match(nxt)
                or nxt.strip().startswith("|")
                or (LIST_ITEM.match(nxt) and not nxt.startswith(" "))
                or (nxt.strip().startswith("$$") and not lines[end].rstrip().endswith("\\"))
            ):
                break
            end += 1
        found.append((kind, lines[i : end + 1]))
        i = end + 1
    return [(kind, "\n".join(text)) for kind, text in found]


def list_items(text: str) -> list[str]:
    """The items of a Markdown list block, each with its continuation lines.

    Items are the lines opening an item at the first item's indent or less; a more
    indented item (a nested list) and every other line continue the item above.
    """
    items: list[list[str]] = []
    indent = None
    for line in text.splitlines():
        match = LIST_ITEM.match(line)
        if match and (indent is None or len(match.group(1)) <= indent):
            indent = len(match.group(1)) if indent is None else indent
            items.append([line])
        elif items:
            items[-1].append(line)
    return ["\n".join(item).rstrip() for item in items]


# ---------------------------------------------------------------- prose


def without_fences(markdown: str) -> str:
    """The Markdown with each closed fenced code block replaced by one space.

    A fence that is never closed is left as it is (it may be a stray ``` in prose).
    """
    lines = markdown.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        end = fence_end(lines, i)
        if end is None:
            kept.append(lines[i])
            i += 1
        else:
            kept.append(" ")
            i = end + 1
    return "\n".join(kept)


def formulas(markdown: str) -> int:
    """The number of displayed ($$ ... $$) formulas in Markdown text, outside fenced code."""
    return len(DISPLAY_MATH.findall(without_fences(markdown)))


def count_words(markdown: str) -> int:
    """Words of prose in Markdown text.

    Fenced code and displayed formulas are not prose (formulas are counted apart);
    inline code (`x.grad`) and inline math ($\\eta$) each count as one word; a link
    counts by its text, an image not at all; HTML tags and table rules are dropped.
    """
    text = without_fences(markdown)
    text = DISPLAY_MATH.sub(" ", text)
    text = _INLINE_MATH.sub(" x ", text)
    text = _INLINE_CODE.sub(" x ", text)
    text = _LINK.sub(lambda m: " " if m.group(0).startswith("!") else f" {m.group(1)} ", text)
    text = _TAG.sub(" ", text)
    text = _TABLE_RULE.sub(" ", text)
    return len(_WORD.findall(text))
