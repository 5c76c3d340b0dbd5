"""`gdcourse similarity` on a class of 1,000 synthetic exercise-01 submissions.

Each submission is the blank exercise with every `raise NotImplementedError` replaced by
8 to 16 random statements (assignments, numpy calls, loops, branches, comprehensions over
a shared vocabulary of names, so that short idioms recur across the class as they do in
real work). Every 50th student hands in the previous student's notebook with every name
renamed. Prints `similarity_s_1000=` (reading, fingerprinting and comparing, all of it;
goal: under 10 s), `similarity_ms_per_submission=`, and `planted_found=` / `planted=`
(goal: all found) and `other_pairs=` (goal: 0).
Usage: .venv/bin/python benchmarks/similarity.py
"""

import random
import re
import tempfile
import time
from pathlib import Path

import nbformat

from gdcourse.grading import similarity

ROOT = Path(__file__).resolve().parent.parent
STUB = "    # YOUR CODE HERE\n    raise NotImplementedError"
NAMES = [f"{stem}{i}" for stem in ("val", "acc", "tmp", "res", "step") for i in range(6)]
OPS, COMPARE = ["+", "-", "*", "/", "**"], ["<", ">", "<=", ">=", "=="]


def statement(rng: random.Random) -> list[str]:
    a, b, c = rng.sample(NAMES, 3)
    op, n = rng.choice(OPS), rng.randint(0, 9)
    return rng.choice(
        [
            [f"{a} = {b} {op} {c}"],
            [f"{a} = np.{rng.choice(['mean', 'sum', 'abs', 'sqrt'])}({b} {op} {c}) {op} {n}"],
            [f"for {a} in range(len({b})):", f"    {c} += {b}[{a}] {op} {n}"],
            [f"if {a} {rng.choice(COMPARE)} {n}:", f"    return {b} {op} {c}"],
            [f"{a} = [{b} {op} {n} for {b} in {c}]"],
            [f"{a}, {b} = {c} {op} {n}, {a} {op} {b}"],
        ]
    )


def body(rng: random.Random) -> str:
    lines = [line for _ in range(rng.randint(8, 16)) for line in statement(rng)]
    return "\n".join(f"    {line}" for line in lines + [f"return {rng.choice(NAMES)}"])


def renamed(source: str, rng: random.Random) -> str:
    new = dict(zip(NAMES, rng.sample([f"z{i}" for i in range(100)], len(NAMES)), strict=True))
    return re.sub(r"\b\w+\b", lambda m: new.get(m.group(), m.group()), source)


def make_class(folder: Path, count: int, rng: random.Random) -> int:
    """Write `count` submissions; return how many are planted copies."""
    blank = nbformat.read(ROOT / "exercises" / "01_the_idea.ipynb", as_version=4)
    planted, previous = 0, None
    for i in range(count):
        nb = nbformat.from_dict(blank)
        if previous is not None and i % 50 == 49:
            for cell, source in zip(nb.cells, previous, strict=True):
                cell.source = renamed(source, rng)
            planted += 1
        else:
            for cell in nb.cells:
                cell.source = cell.source.replace(STUB, body(rng))
        previous = [cell.source for cell in nb.cells]
        target = folder / f"student{i:04d}" / "01_the_idea.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
    return planted


def main(count: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        planted = make_class(Path(tmp), count, random.Random(0))
        start = time.perf_counter()
        documents, blanks = similarity.read_documents([tmp], say=print)
        read = time.perf_counter() - start
        [(exercise, found)] = documents.items()
        pairs = similarity.similar_pairs(found, blanks[exercise])
        seconds = time.perf_counter() - start
    copies = [p for p in pairs if int(p.b.student[-4:]) % 50 == 49]
    copies = [p for p in copies if int(p.b.student[-4:]) - int(p.a.student[-4:]) == 1]
    print(f"similarity_s_{count}={seconds:.2f}")
    print(f"similarity_read_s_{count}={read:.2f}")
    print(f"similarity_ms_per_submission={1000 * seconds / count:.2f}")
    print(f"planted={planted}")
    print(f"planted_found={len(copies)}")
    print(f"other_pairs={len(pairs) - len(copies)}")


if __name__ == "__main__":
    main()
