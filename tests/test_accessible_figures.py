"""Every stored picture says in words what it shows.

A figure's PNG reaches readers through the notebook, the course website and the slides;
a reader who cannot see it gets its alt text instead (the output's `image/png` metadata,
which myst-nb and nbconvert write into the page) and, in JupyterLab, its text/plain. Until
a lesson gives the figure a description (`plot.figure(..., alt=...)` or `fig.alt`), both are
matplotlib's `<CourseFigure size 420x320 with 1 Axes>`, which tells nobody anything.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb")
)
UNDESCRIBED = re.compile(r"<\w*Figure size [\d.]+x[\d.]+ with \d+ Axes>")
MIN_WORDS = 6  # "Loss against step." is a caption, not a description


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def pictures(path: Path):
    """(cell index, alt text, text/plain) of every PNG output of the notebook at `path`."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            data = output.get("data", {})
            if "image/png" in data:
                alt = output.get("metadata", {}).get("image/png", {}).get("alt", "")
                yield index, alt, _text(data.get("text/plain", ""))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_picture_has_a_description(path):
    missing = [
        f"cell {index}: {plain.strip()[:60]!r}"
        for index, alt, plain in pictures(path)
        if len(alt.split()) < MIN_WORDS or UNDESCRIBED.search(alt) or UNDESCRIBED.search(plain)
    ]
    assert not missing, (
        f"{path.name}: figures without a description (give plot.figure an alt=...): {missing}"
    )


def test_the_check_sees_an_undescribed_figure(tmp_path):
    """The scan can fail: a stored figure with matplotlib's default text is reported."""
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {
                            "image/png": "iVBORw0KGgo=",
                            "text/plain": "<CourseFigure size 420x320 with 1 Axes>",
                        },
                        "metadata": {},
                    }
                ],
            }
        ]
    }
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(AssertionError, match="cell 0"):
        test_every_picture_has_a_description(path)


def test_lessons_have_pictures_to_check():
    assert sum(1 for p in NOTEBOOKS for _ in pictures(p)) >= 60
