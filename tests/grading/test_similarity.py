"""`gdcourse similarity`: planted copies are found, with where; independent work is not.

The class is exercise 01 (`exercises/01_the_idea.ipynb` is the scaffold): ada hands in
the course's solution, ben a copy of it with every variable renamed, the functions
reordered and merged into one cell, and the comments and spacing changed; cat and dan
solve it independently (a loop, and a differently vectorised version); gus wrote only
the one-line `gd_step` (the same line as ada's); eve and fay hand in the blank.
"""

import csv
import shutil

import pytest

from gdcourse import cli
from gdcourse.grading import pipeline, similarity
from tests.grading.test_gradebook import Canned
from tests.grading.test_pipeline import EXERCISE, cells_of, notebook

BLANK = cells_of("exercises")
SOLUTION = cells_of(
    "solutions"
)  # code cells: 1 imports, 2 mse_gradients, 6 lr_regime, 8 stop_reason

COPY = [
    "import numpy as np\nfrom gdcourse.checks import check",
    '''# stopping first, then the regimes
def stop_reason(g, before, after, tol):
    """Which stopping rule fires: "gradient", "change" or "continue"."""
    if np.linalg.norm( g ) < tol:   # small gradient
        return "gradient"

    if abs(after-before) < tol:
        return "change"
    return "continue"


def lr_regime(step_size, L):
    """Return "converges", "oscillates" or "diverges"."""
    factor = 1 - step_size*L
    if factor < -1:
        return "diverges"
    if factor < 0:    # overshoots, comes back
        return "oscillates"
    return "converges"''',
    '''def mse_gradients(inputs, targets, weight, bias):
    """Return (dL/dw, dL/db) of the mean squared error of w·x + b."""
    residual = weight*inputs + bias - targets
    return (2 * np.mean(residual * inputs),
            2 * np.mean(residual))''',
    '''def gd_step(params, g, eta):
    """Return θ after one gradient-descent step."""
    return params - eta * g''',
    'check("mse_gradients", mse_gradients)\ncheck("gd_step", gd_step)\n'
    'check("lr_regime", lr_regime)\ncheck("stop_reason", stop_reason)',
]

LOOP = [
    BLANK[0],
    """def mse_gradients(x, y, w, b):
    n = len(x)
    dw = 0.0
    db = 0.0
    for xi, yi in zip(x, y):
        err = (w * xi + b) - yi
        dw += 2 * err * xi / n
        db += 2 * err / n
    return dw, db""",
    """def gd_step(theta, grad, lr):
    new_theta = theta - lr * grad
    return new_theta""",
    '''def lr_regime(lr, curvature):
    product = lr * curvature
    if product > 2:
        return "diverges"
    elif product > 1:
        return "oscillates"
    else:
        return "converges"''',
    '''def stop_reason(grad, loss_before, loss_after, eps):
    grad_norm = float(np.sqrt(np.sum(np.square(grad))))
    if grad_norm < eps:
        return "gradient"
    elif abs(loss_before - loss_after) < eps:
        return "change"
    else:
        return "continue"''',
]

VECTORISED = [
    BLANK[0],
    """def mse_gradients(x, y, w, b):
    x = np.asarray(x, dtype=float)
    residual = x * w + b - np.asarray(y, dtype=float)
    return 2.0 * np.dot(residual, x) / x.size, 2.0 * residual.sum() / x.size""",
    """def gd_step(theta, grad, lr):
    return np.subtract(theta, np.multiply(lr, grad))""",
    '''def lr_regime(lr, curvature):
    factor = abs(1 - lr * curvature)
    if factor <= 1:
        return "converges" if lr * curvature <= 1 else "oscillates"
    return "diverges"''',
    '''def stop_reason(grad, loss_before, loss_after, eps):
    rules = [
        ("gradient", np.linalg.norm(grad) < eps),
        ("change", abs(loss_after - loss_before) < eps),
    ]
    for name, fired in rules:
        if fired:
            return name
    return "continue"''',
]

ONE_LINE = [
    source.replace(
        "    # YOUR CODE HERE\n    raise NotImplementedError", "    return theta - lr * grad"
    )
    if source.startswith("def gd_step")
    else source
    for source in BLANK
]


def write_class(root, **more):
    files = {
        "ada/01_the_idea.ipynb": notebook(SOLUTION),
        "ben/01_the_idea.ipynb": notebook(COPY),
        "cat/01_the_idea.ipynb": notebook(LOOP),
        "dan/01_the_idea.ipynb": notebook(VECTORISED),
        "eve/01_the_idea.ipynb": notebook(BLANK),
        "fay/01_the_idea.ipynb": notebook(BLANK),
        "gus/01_the_idea.ipynb": notebook(ONE_LINE),
        **more,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def pairs_of(paths, **options):
    documents, blanks = similarity.read_documents(paths, say=lambda line: None)
    return similarity.similar_pairs(documents[EXERCISE], blanks[EXERCISE], **options)


def students(pairs):
    return [{p.a.student, p.b.student} for p in pairs]


def test_the_copy_and_only_the_copy_is_reported(tmp_path):
    pairs = pairs_of([write_class(tmp_path)])
    assert students(pairs) == [{"ada", "ben"}]
    # 26 of ada's 29: the copy put brackets around mse_gradients' return, a real change
    assert pairs[0].score >= 0.85 and pairs[0].shared >= 3 * similarity.MIN_SHARED


def test_the_regions_name_each_copied_function_where_it_moved(tmp_path):
    [pair] = pairs_of([write_class(tmp_path)])
    assert (pair.a.student, pair.b.student) == ("ada", "ben")
    found = {(r.a.cell, r.b.cell): r for r in pair.regions}
    # ada's mse_gradients (code cell 2) is ben's cell 3, gd_step (4) ben's 4, and ada's
    # lr_regime (6) and stop_reason (8) are both in ben's cell 2, in the other order
    assert set(found) == {(2, 3), (4, 4), (6, 2), (8, 2)}
    lines = {(2, 3): (1, 5), (4, 4): (1, 3), (6, 2): (12, 19), (8, 2): (2, 9)}  # ben's
    for key, (first, last) in lines.items():
        b = found[key].b
        assert first <= b.first and b.last <= last and b.last - b.first >= (last - first) // 2
    assert found[8, 2].text() == "code cell 8 lines 1–7 ↔ code cell 2 lines 2–8"


def test_independent_solutions_share_little(tmp_path):
    """Not reported, and not close: well below the default threshold at any size floor."""
    pairs = pairs_of([write_class(tmp_path)], threshold=0.01, min_shared=1)
    score = {frozenset((p.a.student, p.b.student)): p.score for p in pairs}
    for one, other in [("ada", "cat"), ("ada", "dan"), ("cat", "dan"), ("ben", "cat")]:
        assert score.get(frozenset((one, other)), 0) < similarity.THRESHOLD / 2


def test_blanks_and_a_one_liner_are_not_reported(tmp_path):
    """The scaffold is subtracted; gus's one line is in ada's code, but too little to count."""
    write_class(tmp_path)
    everything = pairs_of([tmp_path], threshold=0.01, min_shared=1)
    assert not [p for p in everything if {p.a.student, p.b.student} & {"eve", "fay"}]
    assert {"ada", "gus"} in students(everything)  # score 1: all of gus's code is ada's
    assert {"ada", "gus"} not in students(pairs_of([tmp_path]))


def test_without_the_blank_the_scaffold_alone_would_match(tmp_path):
    """The subtraction is what keeps the blanks apart (this guards the test above)."""
    write_class(tmp_path)
    documents, blanks = similarity.read_documents([tmp_path], say=lambda line: None)
    eve = [d for d in documents[EXERCISE] if d.student == "eve"][0]
    assert eve.prints and not eve.prints.keys() - blanks[EXERCISE]
    pairs = similarity.similar_pairs(documents[EXERCISE], set(), min_shared=1)
    assert {"eve", "fay"} in students(pairs)


def test_code_much_of_the_class_shares_is_an_idiom(tmp_path):
    """ada's and ben's shared code, written also by 12 others, is no longer evidence."""
    more = {f"s{i:02}/01_the_idea.ipynb": notebook(COPY) for i in range(12)}
    pairs = pairs_of([write_class(tmp_path, **more)])
    assert {"ada", "ben"} not in students(pairs)
    assert {"ada", "ben"} in students(pairs_of([tmp_path], common=0.9))


def test_a_results_folder_reads_the_submissions_it_graded(tmp_path):
    subs, out = write_class(tmp_path / "subs"), tmp_path / "results"
    pipeline.grade([subs], out, executor=Canned(), secret=b"s")
    (subs / "ben" / "01_the_idea.ipynb").write_text(notebook(COPY + ["x = 1"]))
    pipeline.grade(
        [subs], out, executor=Canned(), secret=b"s"
    )  # ben's first version has a record too
    shutil.rmtree(subs / "fay")
    lines = []
    documents, _ = similarity.read_documents([out], say=lines.append)
    assert sorted(d.student for d in documents[EXERCISE]) == [
        "ada",
        "ben",
        "cat",
        "dan",
        "eve",
        "gus",
    ]
    assert len(lines) == 1 and "fay" in lines[0] and "no such file" in lines[0]
    assert students(pairs_of([out])) == [{"ada", "ben"}]


def test_broken_notebooks_and_cells_are_skipped_or_read_roughly(tmp_path, capsys):
    broken = {
        "hal/01_the_idea.ipynb": "{ not json",
        # cells that do not tokenise still count for what they hold
        "ivy/01_the_idea.ipynb": notebook(COPY[:-1] + ["def f(:\n    x = (1,\n", 'y = """']),
        "jon/01_the_idea.ipynb": notebook([f"%%time\n{source}" for source in LOOP]),
    }
    write_class(tmp_path, **broken)
    out = tmp_path / "pairs.csv"
    assert cli.main(["similarity", str(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "skipped" in printed.err and "hal" in printed.err and "not valid JSON" in printed.err
    assert printed.out.startswith(f"{EXERCISE}: 9 submissions, 4 pairs")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == similarity.CSV_COLUMNS
    found = {frozenset((r["student_a"], r["student_b"])): r for r in rows}
    # ivy is ben's copy (so ada's too); jon's %%time cells are cat's code
    assert set(found) == {
        frozenset(p) for p in [("ada", "ben"), ("ada", "ivy"), ("ben", "ivy"), ("cat", "jon")]
    }
    assert float(found[frozenset(("cat", "jon"))]["score"]) == 1.0
    assert "↔ code cell 2 lines" in found[frozenset(("ada", "ben"))]["regions"]


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main(["similarity", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert cli.main(["similarity", str(tmp_path)]) == 2
    assert "no readable submissions" in capsys.readouterr().err
    write_class(tmp_path)
    for bad in (
        ["--threshold", "0"],
        ["--threshold", "1.5"],
        ["--common", "0"],
        ["--min-shared", "0"],
    ):
        assert cli.main(["similarity", str(tmp_path), *bad]) == 2
        assert "must be" in capsys.readouterr().err
    for out in (tmp_path, tmp_path / "no" / "such.csv"):
        assert cli.main(["similarity", str(tmp_path), "--out", str(out)]) == 2
        assert "--out must be a file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["similarity", str(tmp_path), "--threshold", "high"])
    assert exc.value.code == 2


def test_winnowing_keeps_a_fingerprint_in_every_window():
    hashes = [77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17, 98]
    chosen = similarity.winnow(hashes, 4)  # the paper's example: 17 17 8 39 17
    assert [hashes[i] for i in chosen] == [17, 17, 8, 39, 17]
    assert all(set(range(s, s + 4)) & set(chosen) for s in range(len(hashes) - 3))
    assert similarity.winnow([5, 3], 4) == [1] and similarity.winnow([], 4) == []


def test_renaming_comments_and_layout_do_not_change_the_tokens():
    one = "def f(x, y):\n    # add\n    return x + 2 * y  # done\n"
    other = "def add(first,\n        second):\n    return first+2*second\n"
    assert [t for t, _ in similarity.tokens(one)] == [t for t, _ in similarity.tokens(other)]
    kept = [t for t, _ in similarity.tokens("total = abs(x.mean()) + len('ab')")]
    assert kept == [
        "V",
        "=",
        "abs",
        "(",
        "V",
        ".",
        "mean",
        "(",
        ")",
        ")",
        "+",
        "len",
        "(",
        "S",
        ")",
    ]


def test_a_line_repeated_in_two_functions_is_matched_where_its_function_went(tmp_path):
    """Exercise 08's two steps share a line; ben swapped them (cells 2 and 4)."""
    solution = cells_of("solutions", "08_momentum")
    swapped = [solution[0], solution[3], solution[2], solution[1], *solution[4:]]
    for student, cells in (("ada", solution), ("ben", swapped)):
        (tmp_path / student).mkdir()
        (tmp_path / student / "08_momentum.ipynb").write_text(notebook(cells, "08_momentum"))
    documents, blanks = similarity.read_documents([tmp_path], say=lambda line: None)
    [pair] = similarity.similar_pairs(documents["08_momentum"], blanks["08_momentum"])
    found = {(r.a.cell, r.b.cell) for r in pair.regions}
    # the swapped steps are matched where each went; every other shared cell to itself
    assert {(2, 4), (4, 2), (6, 6)} <= found
    assert all(a == b for a, b in found - {(2, 4), (4, 2)}), found
