"""`gdcourse similarity`: pairs of submissions whose code is unusually alike, for a human.

The method is MOSS's (Schleimer, Wilkerson and Aiken, "Winnowing: local algorithms for
document fingerprinting", SIGMOD 2003), on the code each learner wrote:

1. normalise  each code cell, as the grader runs it (`child.code_of`: IPython's input
              transformer; the body of a `%%time` cell is its code), into tokens that
              survive cosmetic edits: every name the learner chooses becomes `V`, every
              number `N`, every string `S`; comments, blank lines, indentation and line
              breaks go. Keywords, builtins (`abs`, `range`) and attribute names (`.mean`,
              `.backward`) stay: renaming them changes what the code does, and they are
              what tells a loop from a vectorised solution;
2. hash       every K consecutive tokens of a cell (a k-gram);
3. winnow     keep the smallest hash of every W consecutive ones: the fingerprints. Any
              run of W + K - 1 tokens that two cells share gives both at least one shared
              fingerprint, wherever it lies; the fingerprints form a set, so moving
              functions or cells around changes nothing;
4. subtract   every k-gram of the blank hand-out (`exercises/NN_*.ipynb`: the imports,
              signatures, docstrings and `check(...)` lines every submission has), and
              fingerprints found in more than a fraction of the exercise's submissions
              (idioms that many write independently);
5. compare    through an index fingerprint -> submissions, so only pairs that share
              something cost anything. A pair's score is shared / the smaller of their
              fingerprint counts (containment, as MOSS's "percent of the file matched",
              the larger of its two): a copy padded with extra code still scores high,
              where Jaccard would dilute it. A pair is reported when the score reaches
              the threshold and enough fingerprints are shared that a short solution
              contained in a longer one is not reported for its few lines alone;
6. regions    the line spans of the shared fingerprints, merged, in each notebook.

Only pairs of different students on the same exercise are compared. A reported pair is a
reason for a person to read both notebooks, never a verdict.
"""

from __future__ import annotations

import ast
import builtins
import csv
import hashlib
import io
import itertools
import keyword
import re
import sys
import tokenize
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .. import course
from . import child, gradebook, pipeline

__all__ = [
    "K",
    "W",
    "THRESHOLD",
    "MIN_SHARED",
    "COMMON",
    "CSV_COLUMNS",
    "Span",
    "Region",
    "Document",
    "Pair",
    "tokens",
    "kgram_hashes",
    "winnow",
    "fingerprints",
    "all_kgrams",
    "similar_pairs",
    "regions",
    "read_documents",
    "report",
    "write_csv",
    "main",
]

K = 8  # tokens per k-gram: about one line of code (`r = w * x + b - y` is 9)
W = 4  # window: any shared run of K + W - 1 = 11 tokens is found
THRESHOLD = 0.6  # default score to report a pair
MIN_SHARED = 8  # default fingerprints two submissions must share (about 20 tokens of code)
COMMON = 0.1  # default: a fingerprint in more than this fraction of the class is an idiom
COMMON_FLOOR = 10  # ...and in more than this many submissions (MOSS's default -m 10), so a
# small class's copy ring is not mistaken for an idiom
HANDOUTS = course.root() / "exercises"
CSV_COLUMNS = [
    "exercise",
    "student_a",
    "student_b",
    "score",
    "shared",
    "regions",
    "path_a",
    "path_b",
]

_KEPT = frozenset(keyword.kwlist) | frozenset(dir(builtins))
_DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
_DROPPED |= {tokenize.ENCODING, tokenize.ENDMARKER}
# When a cell does not tokenise (an unclosed bracket or string): strings, numbers, names
# and single characters, line by line, so a broken cell still counts for what it holds.
_ROUGH = re.compile(r"""(?P<c>\#.*)|(?P<s>'[^'\n]*'?|"[^"\n]*"?)|(?P<n>\d[\w.]*)|(?P<v>\w+)|\S""")


@dataclass(frozen=True, order=True)
class Span:
    """Where a k-gram lies: code cell `cell` (counting code cells from 1), lines first..last."""

    cell: int
    first: int
    last: int

    def text(self) -> str:
        lines = (
            f"line {self.first}" if self.first == self.last else f"lines {self.first}–{self.last}"
        )
        return f"code cell {self.cell} {lines}"


@dataclass(frozen=True, order=True)
class Region:
    """A stretch of one notebook that matches a stretch of the other."""

    a: Span
    b: Span

    def text(self) -> str:
        return f"{self.a.text()} ↔ {self.b.text()}"


@dataclass(frozen=True)
class Document:
    """One submission, reduced to its fingerprints: hash -> where it occurs."""

    student: str
    path: Path
    exercise: str
    prints: dict[int, tuple[Span, ...]]


@dataclass(frozen=True)
class Pair:
    """Two submissions of an exercise whose code is alike."""

    a: Document
    b: Document
    score: float
    shared: int
    regions: tuple[Region, ...]


# ------------------------------------------------------------------ 1. normalise


def tokens(source: str) -> list[tuple[str, int]]:
    """A cell's normalised tokens with their line in the cell, as the grader would run it."""
    found = []
    for code, offset in _python_of(source):
        found += [(token, line + offset) for token, line in _normalised(code)]
    return found


def _python_of(source: str, offset: int = 0) -> list[tuple[str, int]]:
    """The Python a cell runs, as (code, lines before it in the cell) pieces.

    `code_of` turns a `%%time` cell into one call whose body is a string; the grader runs
    that body as code, so it is tokenised as code here. Other cell magics (`%%html`) run
    no Python and count for nothing. A cell the transformer rejects is read as written.
    """
    try:
        code = child.code_of(source)
    except Exception:  # IPython's transformer raises on what it cannot tokenise (a bad
        code = source  # indent): the grader records an error, here the cell is read as is
    magic = _cell_magic(code) if code.startswith("get_ipython().run_cell_magic(") else None
    if magic is None:
        return [(code, offset)]
    name, body = magic
    if name not in child.NotebookShell.RUNS_CODE:
        return []
    lines = source.splitlines()
    before = next((i for i, line in enumerate(lines) if line.startswith("%%")), 0) + 1
    return _python_of(body, offset + before)


def _cell_magic(code: str) -> tuple[str, str] | None:
    """(name, body) of a transformed cell magic; None for anything else, such as a learner's
    own `get_ipython().run_cell_magic(...)` call with a variable in it."""
    try:
        [statement] = ast.parse(code).body
        name, _, body = (ast.literal_eval(arg) for arg in statement.value.args)
    except (SyntaxError, ValueError, TypeError, AttributeError):
        return None
    return (name, body) if isinstance(name, str) and isinstance(body, str) else None


def _normalised(code: str) -> list[tuple[str, int]]:
    """Python's tokens, names V (but keywords, builtins, attributes), numbers N, strings S."""
    try:
        raw = [(t.type, t.string, t.start[0]) for t in _generate(code)]
    except (tokenize.TokenError, SyntaxError):
        raw = _rough(code)
    out, previous = [], ""
    for kind, text, line in raw:
        if kind in _DROPPED or not text.strip():
            continue
        if kind == tokenize.NAME and text not in _KEPT and previous != ".":
            token = "V"
        elif kind == tokenize.NUMBER:
            token = "N"
        elif kind == tokenize.STRING:
            token = "S"
        else:
            token = text
        out.append((token, line))
        previous = text
    return out


def _generate(code: str):
    """tokenize's tokens, with each f-string (one token before Python 3.12) as one STRING."""
    depth = 0
    start, end = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -1)
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == start:
            depth += 1
            if depth == 1:
                yield token._replace(type=tokenize.STRING)
        elif token.type == end:
            depth -= 1
        elif depth == 0:
            yield token


def _rough(code: str) -> list[tuple[int, str, int]]:
    """Tokens of code that Python cannot tokenise, found line by line."""
    kinds = {"c": tokenize.COMMENT, "s": tokenize.STRING, "n": tokenize.NUMBER, "v": tokenize.NAME}
    return [
        (kinds.get(match.lastgroup, tokenize.OP), match.group(), number)
        for number, line in enumerate(code.splitlines(), start=1)
        for match in _ROUGH.finditer(line)
    ]


# ------------------------------------------------------------------ 2. hash, 3. winnow


def kgram_hashes(tokens_: list[str], k: int = K) -> list[int]:
    """A 64-bit hash of every k consecutive tokens (stable across runs, unlike `hash`)."""
    return [
        int.from_bytes(
            hashlib.blake2b("\x1f".join(tokens_[i : i + k]).encode(), digest_size=8).digest()
        )
        for i in range(len(tokens_) - k + 1)
    ]


def winnow(hashes: list[int], w: int = W) -> list[int]:
    """The positions winnowing selects: in every window of w hashes the smallest (the
    rightmost of equals), each position once. Fewer than w hashes: their smallest."""
    chosen: list[int] = []
    for start in range(max(len(hashes) - w + 1, 1 if hashes else 0)):
        window = hashes[start : start + w]
        smallest = min(window)
        position = start + max(i for i, h in enumerate(window) if h == smallest)
        if not chosen or chosen[-1] != position:
            chosen.append(position)
    return chosen


def fingerprints(cells: list[str], k: int = K, w: int = W) -> dict[int, tuple[Span, ...]]:
    """A notebook's fingerprints, each with where it occurs (cells are fingerprinted apart,
    so a match never straddles two cells and reordering cells changes nothing)."""
    found: dict[int, list[Span]] = defaultdict(list)
    for number, source in enumerate(cells, start=1):
        cell = tokens(source)
        hashes = kgram_hashes([token for token, _ in cell], k)
        for position in winnow(hashes, w):
            span = Span(number, cell[position][1], cell[position + k - 1][1])
            found[hashes[position]].append(span)
    return {h: tuple(spans) for h, spans in found.items()}


def all_kgrams(cells: list[str], k: int = K) -> set[int]:
    """Every k-gram hash of a notebook, winnowed or not: what the blank hand-out gives."""
    return {h for source in cells for h in kgram_hashes([t for t, _ in tokens(source)], k)}


# ------------------------------------------------------------------ 4. subtract, 5. compare


def similar_pairs(
    documents: list[Document],
    blank: set[int] = frozenset(),
    *,
    threshold: float = THRESHOLD,
    min_shared: int = MIN_SHARED,
    common: float = COMMON,
    common_floor: int = COMMON_FLOOR,
) -> list[Pair]:
    """The pairs of one exercise's documents that are alike, best first.

    Fingerprints of the blank, and those in more than max(common x class, common_floor)
    documents, are left out before anything is counted.
    """
    index: dict[int, list[int]] = defaultdict(list)
    for number, document in enumerate(documents):
        for h in document.prints.keys() - blank:
            index[h].append(number)
    limit = max(common * len(documents), common_floor)
    index = {h: holders for h, holders in index.items() if len(holders) <= limit}
    counts = [0] * len(documents)
    for holders in index.values():
        for number in holders:
            counts[number] += 1
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for holders in index.values():
        for pair in itertools.combinations(holders, 2):
            shared[pair] += 1
    pairs = []
    for (i, j), together in shared.items():
        a, b = documents[i], documents[j]
        score = together / min(counts[i], counts[j])
        if together < min_shared or score < threshold or a.student == b.student:
            continue
        kept = {h for h in a.prints.keys() & b.prints.keys() if h in index}
        pairs.append(Pair(a, b, score, together, regions(a, b, kept)))
    return sorted(pairs, key=lambda p: (-p.score, -p.shared, p.a.student, p.b.student))


# ------------------------------------------------------------------ 6. regions


def regions(a: Document, b: Document, shared: set[int]) -> tuple[Region, ...]:
    """The matching stretches of two documents, in a's order.

    Fingerprints found once in each give a pair of spans; overlapping or adjacent pairs
    (in one cell on each side) merge. A fingerprint found more than once (a line repeated
    in two functions) pairs the spans that extend those stretches, or else its
    occurrences in order, so repeated code does not pair every place with every other.
    """
    once = [h for h in sorted(shared) if len(a.prints[h]) == len(b.prints[h]) == 1]
    anchored = _merge([Region(a.prints[h][0], b.prints[h][0]) for h in once])
    extra = []
    for h in sorted(shared.difference(once)):
        every = [Region(x, y) for x in a.prints[h] for y in b.prints[h]]
        near = [r for r in every if any(_touch(s.a, r.a) and _touch(s.b, r.b) for s in anchored)]
        extra += near or [Region(x, y) for x, y in zip(a.prints[h], b.prints[h], strict=False)]
    return tuple(_merge(anchored + extra))


def _merge(found: list[Region]) -> list[Region]:
    """Regions joined while two touch or overlap on both sides, until none do."""
    merged = sorted(found)
    changed = True
    while changed:
        changed, done = False, []
        for region in merged:
            for i, other in enumerate(done):
                if _touch(other.a, region.a) and _touch(other.b, region.b):
                    done[i] = Region(_join(other.a, region.a), _join(other.b, region.b))
                    changed = True
                    break
            else:
                done.append(region)
        merged = sorted(done)
    return merged


def _touch(x: Span, y: Span) -> bool:
    return x.cell == y.cell and y.first <= x.last + 1 and y.last >= x.first - 1


def _join(x: Span, y: Span) -> Span:
    return Span(x.cell, min(x.first, y.first), max(x.last, y.last))


# ------------------------------------------------------------------ reading and output


def read_documents(paths, say=print, *, k: int = K, w: int = W, handouts: Path = HANDOUTS):
    """Fingerprint every readable submission under `paths`; say why each other one is left out.

    Returns {exercise: [Document]} and {exercise: k-gram hashes of its blank}.
    """
    documents: dict[str, list[Document]] = defaultdict(list)
    blanks: dict[str, set[int]] = {}
    for submission in _submissions(paths, say):
        try:
            exercise, cells = pipeline.read_notebook(submission.path)
        except (OSError, pipeline.Invalid) as exc:
            say(f"skipped {submission.path}: {exc}")
            continue
        if exercise not in blanks:
            blanks[exercise] = _blank(exercise, handouts, say, k)
        prints = fingerprints(cells, k, w)
        documents[exercise].append(Document(submission.student, submission.path, exercise, prints))
    return dict(documents), blanks


def _submissions(paths, say) -> list[pipeline.Submission]:
    """Notebooks under files and folders; for a `grade --out` folder, those it graded."""
    found: dict[str, pipeline.Submission] = {}
    for given in map(Path, paths):
        if not gradebook.is_results(given):
            found.update((str(s.path), s) for s in pipeline.discover([given]))
            continue
        for record in gradebook.saved_records(given):  # old versions share a path: once each
            path = Path(record.source)
            if path.is_file():
                found[str(path)] = pipeline.Submission(path, record.student)
            elif str(path) not in found:
                say(
                    f"skipped {path} (graded into {given}): no such file here; the paths in a "
                    "results folder are relative to where `gdcourse grade` ran"
                )
    return list(found.values())


def _blank(exercise: str, handouts: Path, say, k: int) -> set[int]:
    path = handouts / f"{exercise}.ipynb"
    try:
        return all_kgrams(pipeline.read_notebook(path)[1], k)
    except (OSError, pipeline.Invalid) as exc:
        say(f"no blank hand-out for {exercise} ({path}: {exc}): its scaffold counts as code")
        return set()


def report(exercise: str, submissions: int, pairs: list[Pair], threshold: float) -> str:
    """The text report of one exercise."""
    lines = [
        f"{exercise}: {submissions} submissions, {_count(pairs, 'pair')} scoring >= {threshold:g}"
    ]
    for pair in pairs:
        lines.append(
            f"  {pair.score:.2f}  {pair.a.student} ↔ {pair.b.student}  "
            f"({pair.shared} shared fingerprints; {pair.a.path} ↔ {pair.b.path})"
        )
        lines += [f"        {region.text()}" for region in pair.regions]
    return "\n".join(lines)


def _count(things, noun: str) -> str:
    return f"{len(things)} {noun}{'' if len(things) == 1 else 's'}"


def write_csv(path: Path, pairs: list[Pair]) -> None:
    """One row per reported pair; regions as in the text report, separated by "; "."""
    with Path(path).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for p in pairs:
            where = "; ".join(region.text() for region in p.regions)
            row = [p.a.exercise, p.a.student, p.b.student, f"{p.score:.3f}", p.shared, where]
            writer.writerow(row + [p.a.path, p.b.path])


def main(
    *,
    paths,
    out=None,
    threshold: float = THRESHOLD,
    min_shared: int = MIN_SHARED,
    common: float = COMMON,
) -> int:
    """The `gdcourse similarity` command: check the arguments, compare, print the report."""
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(
            f"similarity: no such file or folder: {', '.join(map(str, missing))}", file=sys.stderr
        )
        return 2
    if not (0 < threshold <= 1 and 0 < common <= 1) or min_shared < 1:
        print(
            "similarity: --threshold and --common must be in (0, 1] and --min-shared >= 1",
            file=sys.stderr,
        )
        return 2
    if out is not None and (Path(out).is_dir() or not Path(out).parent.is_dir()):
        print(f"similarity: --out must be a file in an existing folder, got {out}", file=sys.stderr)
        return 2
    documents, blanks = read_documents(paths, lambda line: print(line, file=sys.stderr))
    if not documents:
        print(
            f"similarity: no readable submissions under {', '.join(map(str, paths))}",
            file=sys.stderr,
        )
        return 2
    everything = []
    for exercise in sorted(documents):
        pairs = similar_pairs(
            documents[exercise],
            blanks[exercise],
            threshold=threshold,
            min_shared=min_shared,
            common=common,
        )
        print(report(exercise, len(documents[exercise]), pairs, threshold))
        everything += pairs
    if out is not None:
        write_csv(out, everything)
        print(f"wrote {_count(everything, 'pair')} to {out}")
    return 0
