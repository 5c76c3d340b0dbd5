"""Stored outputs print no round-off as a value.

A difference between two float64 computations that agree (1.8e-15 here, 8.9e-16 on a CPU
with another SIMD width) is noise: its digits depend on the summation order, so a stored
output that prints it fails nbval on the next machine. A lesson prints such a comparison as
a bound or a verdict ("max difference < 1e-12", "agree to 12 digits: True"). This scanner
reads every checked output (cells tagged nbval-ignore-output are not checked) and fails on
a number below 1e-10 in scientific notation next to a comparison word, unless it is the
bound of a comparison ("< 1e-12", "to 1e-12").
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(
    p for folder in ("notebooks", "solutions", "exercises") for p in (ROOT / folder).glob("*.ipynb")
)

# words this course uses when it compares two results
COMPARISON = re.compile(
    r"differ|diff\b|\berror|deviation|mismatch|\bgap\b|agree|identical|round-off"
    r"|\bmax\s*\||largest\s*\||\|[^|\n]*\s[−-]\s[^|\n]*\|",
    re.IGNORECASE,
)
SCIENTIFIC = re.compile(r"[-+]?\d+(?:\.\d+)?e[-+]?\d+", re.IGNORECASE)
# a number that closes a bound is a threshold the lesson chose, not a measured round-off
BOUND = re.compile(r"(?:<|≤|<=|\bto|\bwithin|\bbelow|\btol(?:erance)?\s*=?)\s*$", re.IGNORECASE)
TINY = 1e-10


def checked_outputs(path: Path):
    """(cell index, text) of every output nbval compares in the notebook at `path`."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if "nbval-ignore-output" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text = output["text"]
            else:
                text = output.get("data", {}).get("text/plain", "")
            yield index, "".join(text) if isinstance(text, list) else text


def round_off_printed(text: str) -> list[str]:
    """The lines of an output that print a round-off-sized value as a comparison's result.

    The comparison word may stand on the line itself or, for a table, anywhere in the same
    output (its header); a value is tiny when it is below 1e-10 in absolute value, zero
    included (a stored 0.0e+00 is 1.1e-16 on another machine).
    """
    compares = bool(COMPARISON.search(text))
    found = []
    for line in text.splitlines():
        if not (compares or COMPARISON.search(line)):
            continue
        for match in SCIENTIFIC.finditer(line):
            if abs(float(match.group())) >= TINY:
                continue
            if BOUND.search(line[: match.start()]):
                continue
            found.append(line.strip())
            break
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_stored_output_prints_round_off_as_a_value(path):
    offending = [
        f"cell {index}: {line}"
        for index, text in checked_outputs(path)
        for line in round_off_printed(text)
    ]
    assert not offending, (
        "round-off printed as a value (print a bound or a verdict, e.g. "
        "f'max difference < 1e-12: {diff < 1e-12}'):\n" + "\n".join(offending)
    )


@pytest.mark.parametrize(
    "text",
    [
        "max |accumulated − batch| = 1.8e-15",
        "largest difference: 1.4e-14",
        "ExponentialLR: max |formula − torch| over all 100 steps = 1.4e-17",
        "step  loss (manual)  loss (optim)  |difference|\n   6   0.11   0.11   0.0e+00",
        "relative error 3.0e-16",
        "max |a - b| = 0.0e+00",
    ],
)
def test_scanner_flags_round_off(text):
    assert round_off_printed(text)


@pytest.mark.parametrize(
    "text",
    [
        "|diff| < 1e-14: True",
        "max |formula − torch| < 1e-12 over all 100 steps: True",
        "paths agree to 1e-12: True",
        "η_end = 0.004/1e4 = 4e-07",
        "L after 150 steps = 9.31e-06",  # a loss, not a comparison
        "largest difference: 2.1e-01",  # a real difference, far above round-off
        "final loss 3.2e-12",  # small, but no comparison
        "at step 60: |∇L| = 3.1e-06; never |y| > 1",  # bars of norms, no subtraction
        "sigmoid, residual   8.96e-17",  # a residual network, not a residual
    ],
)
def test_scanner_passes_bounds_verdicts_and_real_values(text):
    assert not round_off_printed(text)
