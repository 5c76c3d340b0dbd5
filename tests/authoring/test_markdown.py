"""The Markdown reader behind slide marks and lesson timings (gdcourse.authoring.markdown).

Slide heights, cuts and build-ups, lecture word counts and the objectives lists all read
lessons through it, so each rule is pinned here: headings, list items and where a list
ends, fences (closed and not), displayed formulas, and what counts as a word.
"""

import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from gdcourse.authoring import timings
from gdcourse.authoring.markdown import (
    blocks,
    count_words,
    fence_end,
    formulas,
    heading_level,
    item_text,
    list_items,
    without_fences,
)


def kinds(text):
    return [kind for kind, _ in blocks(text)]


# ---------------------------------------------------------------- lines


@pytest.mark.parametrize(
    "line, level",
    [
        ("# Title", 1),
        ("## 2 · A section", 2),
        ("### Sub", 3),
        ("###### Six", 6),
        ("####### Seven", 0),  # more than six: not a heading
        ("#hashtag", 0),  # no space after the #s
        ("#   ", 0),  # nothing after them
        ("  ## indented", 0),
        ("Text with # inside", 0),
    ],
)
def test_heading_level(line, level):
    assert heading_level(line) == level


@pytest.mark.parametrize(
    "line, text",
    [
        ("- a point", "a point"),
        ("* star", "star"),
        ("+ plus", "plus"),
        ("1. first", "first"),
        ("12) twelfth", "twelfth"),
        ("   - indented", "indented"),
        ("-\ttab", "tab"),
        ("-no space", None),
        ("1.5 is a number", None),
        ("**bold**", None),
        ("text - not an item", None),
    ],
)
def test_item_text(line, text):
    assert item_text(line) == text


def test_fence_end_finds_the_matching_fence_only():
    lines = ["```python", "x = 1", "~~~", "  ```", "after"]
    assert fence_end(lines, 0) == 3  # ~~~ does not close ```; an indented ``` does
    assert fence_end(["~~~", "```", "~~~~"], 0) == 2
    assert fence_end(["```", "never closed"], 0) is None
    assert fence_end(["plain text", "```"], 0) is None  # not a fence at all


# ---------------------------------------------------------------- blocks


def test_blocks_keep_formulas_lists_and_tables_whole():
    text = (
        "# Title\n\nSome prose\nover two lines.\n\n$$\na = b\n\\\\\nc = d\n$$\n\n"
        "- one\n  continued\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "```python\nx = 1\n\ny = 2\n```\n"
    )
    found = blocks(text)
    assert kinds(text) == ["heading", "para", "math", "list", "table", "code"]
    assert found[1][1] == "Some prose\nover two lines."
    assert found[2][1] == "$$\na = b\n\\\\\nc = d\n$$"
    assert found[5][1] == "```python\nx = 1\n\ny = 2\n```"  # a blank line inside stays
    assert list_items(found[3][1]) == ["- one\n  continued", "- two"]


def test_a_paragraph_after_a_list_is_its_own_block():
    text = "Intro:\n- one\n- two\n\nAfter the list.\n\n1. again\n2. and again\nlazy line"
    found = blocks(text)
    assert kinds(text) == ["para", "list", "para", "list"]
    assert found[1][1] == "- one\n- two"
    assert found[2][1] == "After the list."
    assert list_items(found[3][1]) == ["1. again", "2. and again\nlazy line"]


def test_a_list_goes_on_over_blank_lines_and_ends_at_a_heading_or_formula():
    loose = "- one\n\n- two\n\n  more of two\n\n## Next"
    assert kinds(loose) == ["list", "heading"]
    assert list_items(blocks(loose)[0][1]) == ["- one", "- two\n\n  more of two"]
    assert kinds("- one\n$$x$$") == ["list", "math"]
    assert kinds("- one\n  $$x$$") == ["list"]  # indented: part of the item


def test_nested_items_stay_inside_their_parent_item():
    text = "- parent\n  - child one\n  - child two\n- sibling"
    assert list_items(text) == ["- parent\n  - child one\n  - child two", "- sibling"]


def test_headings_fences_tables_and_formulas_interrupt_a_paragraph():
    assert kinds("text\n## H") == ["para", "heading"]
    assert kinds("text\n```\ncode\n```") == ["para", "code"]
    assert kinds("text\n| a |") == ["para", "table"]
    assert kinds("text\n$$x$$") == ["para", "math"]
    assert kinds("text \\\n$$x$$") == ["para"]  # a line ending in \ carries on
    assert kinds("text\n  - indented item") == ["para"]
    assert kinds("<div>\nhtml\n</div>") == ["html"]


def test_a_fence_holds_what_looks_like_markdown_and_an_unclosed_one_runs_to_the_end():
    text = "```\n# not a heading\n- not an item\n$$\n```\nafter"
    assert blocks(text) == [
        ("code", "```\n# not a heading\n- not an item\n$$\n```"),
        ("para", "after"),
    ]
    assert kinds("```\nnever closed\n\n# still code") == ["code"]


def test_a_display_formula_ends_on_the_line_that_closes_it():
    assert blocks("$$a = b$$\ntext") == [("math", "$$a = b$$"), ("para", "text")]
    assert blocks("$$\na\nb $$\ntext") == [("math", "$$\na\nb $$"), ("para", "text")]
    assert blocks("$$ never closed\nx") == [("math", "$$ never closed\nx")]


# ---------------------------------------------------------------- prose


def test_without_fences_drops_closed_fences_only():
    assert without_fences("a\n```\ncode words\n```\nb") == "a\n \nb"
    assert without_fences("a\n~~~\ncode\n```\nb") == "a\n~~~\ncode\n```\nb"  # not closed


def test_formulas_counts_displays_outside_fenced_code():
    assert formulas("$$a$$ and $$\nb\n$$") == 2
    assert formulas("```\n$$in code$$\n```\n$$out$$") == 1
    assert formulas("inline $a$ only") == 0


def test_count_words_ignores_code_and_formulas():
    text = (
        "Gradient descent takes a step against the gradient.\n\n"
        "```python\nfor step in range(10):\n    pass\n```\n\n"
        "$$\\theta \\leftarrow \\theta - \\eta \\nabla L$$\n\n"
        "With $\\eta = 0.1$ and `lr=0.1` see [the docs](https://example.org) ![a plot](x.png)\n"
        "| a | b |\n|---|---|\n| one | two |"
    )
    # 8 + "With x and x see the docs" (7) + table cells a b one two (4)
    assert count_words(text) == 19
    assert formulas(text) == 1


def test_count_words_joins_hyphens_and_apostrophes_and_drops_tags():
    assert count_words("step-size isn't <b>bold</b> e.g. snake_case") == 6
    assert count_words("```\nnever closed fence\n") == 3  # a stray ``` is prose


def test_objectives_read_list_items_with_the_same_rule():
    source = (
        "**After this lesson you will be able to:**\n\n"
        "1) name the parts;\n"
        "   over two lines,\n"
        "* try a star; and\n"
        "-not an item\n"
    )
    nb = new_notebook(cells=[new_markdown_cell(source)])
    assert timings.objectives(nb) == ["name the parts; over two lines", "try a star"]
