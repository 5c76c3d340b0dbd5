"""Tasks that forbid an API: a correct function that uses it scores 0, in the check and in
the grader, with a hint naming what it uses; aliases and helpers do not hide it; tasks
without `forbids`, honest solutions and hostile text are unaffected."""

import csv
import importlib.util
import re
import time
from pathlib import Path

import nbformat
import pytest

from gdcourse import checks
from gdcourse.grading import child, collect, forbidden, judge, pipeline, tasks
from tests.grading.cheats import CHEATS, REFERENCE_CHEATS

ROOT = Path(__file__).resolve().parents[2]
RULED = [t for t in tasks.all_tasks() if t.forbids]
CASES = [(t, entry) for t in RULED for entry in t.forbids]
CASE_IDS = [f"{t.id}-{entry}" for t, entry in CASES]


def load(source: str, tmp_path: Path, monkeypatch, name: str = "learner"):
    """Source as an importable module, so that inspect.getsource works as in Jupyter."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(__import__("sys").modules, name, module)
    spec.loader.exec_module(module)
    return module


def code_cells(folder: str, exercise: str) -> list[str]:
    nb = nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def notebook(cells, exercise) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["gdcourse"] = {"exercise": exercise}
    return nbformat.writes(nb)


def named(hint: str, entry: str) -> bool:
    return hint.startswith("this task asks you to write it yourself") and entry in hint


# ------------------------------------------------------------------ declarations


def test_forbids_are_declared_as_tuples_of_dotted_names():
    pattern = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
    for task in tasks.all_tasks():
        assert isinstance(task.forbids, tuple), task.id
        assert all(isinstance(e, str) and pattern.fullmatch(e) for e in task.forbids), task.id
    by_id = {t.id: t.forbids for t in RULED}
    assert "torch.optim" in by_id["momentum_step"] and "torch.optim" in by_id["adam_step"]
    assert "torch.optim.lr_scheduler" in by_id["cosine_schedule"]
    assert {"clip_grad_norm_", "clip_grad_value_"} <= set(by_id["clip_by_global_norm"])
    assert "train_linear" not in by_id  # exercise 04 asks for torch.optim.SGD


@pytest.mark.parametrize("task", RULED, ids=[t.id for t in RULED])
def test_solutions_and_stubs_use_nothing_their_task_forbids(task, tmp_path, monkeypatch):
    for folder in ("solutions", "exercises"):
        cells = code_cells(folder, task.exercise)
        book = forbidden.read_notebook(cells, child.code_of)
        assert forbidden.in_notebook(book, task.id, task.forbids) is None, folder
    # the check reads the live function: load the solution as a module
    cells = code_cells("solutions", task.exercise)
    source = "\n\n".join(c for c in cells if not c.lstrip().startswith(("check(", "%")))
    solution = getattr(load(source, tmp_path, monkeypatch), task.id)
    assert checks.evaluate(task.id, solution).passed


# ------------------------------------------------------------------ the check


@pytest.mark.parametrize("task,entry", CASES, ids=CASE_IDS)
def test_check_gives_zero_to_a_correct_function_that_uses_a_forbidden_api(
    task, entry, tmp_path, monkeypatch
):
    source = CHEATS.get(task.id, {}).get(entry)
    assert source, f"tests/grading/cheats.py has no cheat for {task.id}: {entry}"
    cheat = getattr(load(source, tmp_path, monkeypatch), task.id)
    probes = [dict(p) for p in task.public]
    answers = [collect.collect(task.call, cheat, p, task.seconds) for p in probes]
    assert judge.judge(task, probes, answers).passed  # right answers: only the rule fails it
    verdict = checks.evaluate(task.id, cheat)
    assert verdict.status == collect.FAILED and verdict.points == 0
    assert named(verdict.hint, entry), verdict.hint
    assert verdict.details == []


MAKE = "torch.optim.SGD"
MOMENTUM = """
import torch
{prelude}


def momentum_step(params, grad, buf, lr, momentum):
    {inside}
    p = params.clone().requires_grad_()
    opt = {make}([p], lr=lr, momentum=momentum)
    if buf is not None:
        opt.state[p]["momentum_buffer"] = buf.clone()
    p.grad = grad.clone()
    opt.step()
    return p.detach(), opt.state[p]["momentum_buffer"]
"""
HELPER = "def _make(params, **options):\n    return torch.optim.SGD(params, **options)\n"
ALIASES = {
    "full path": ("", "", MAKE, "torch.optim.SGD"),
    "module alias": ("import torch.optim as o", "", "o.SGD", "torch.optim"),
    "from import": ("from torch import optim", "", "optim.SGD", "torch.optim.SGD"),
    "renamed class": ("from torch.optim import SGD as Plain", "", "Plain", "torch.optim"),
    "global alias": (f"Maker = {MAKE}", "", "Maker", "torch.optim"),
    "import inside": ("", "import torch.optim as o", "o.SGD", "torch.optim"),
    "string": ("", "", 'getattr(torch, "optim").SGD', "'optim'"),
    "helper": (HELPER, "", "_make", "(in _make"),
    "helper of a helper": (
        HELPER.replace("_make", "_inner") + "\n\ndef _make(params, **options):\n"
        "    return _inner(params, **options)\n",
        "",
        "_make",
        "(in _inner",
    ),
    "helper class": (
        "class Factory:\n    @staticmethod\n    def make(params, **options):\n"
        "        return torch.optim.SGD(params, **options)\n",
        "",
        "Factory.make",
        "(in Factory",
    ),
}


@pytest.mark.parametrize("variant", ALIASES)
def test_aliases_and_helpers_do_not_hide_the_use_from_the_check(variant, tmp_path, monkeypatch):
    prelude, inside, make, shown = ALIASES[variant]
    source = MOMENTUM.format(prelude=prelude, inside=inside or "pass", make=make)
    cheat = load(source, tmp_path, monkeypatch).momentum_step
    verdict = checks.evaluate("momentum_step", cheat)
    assert verdict.points == 0 and named(verdict.hint, "torch.optim"), verdict.hint
    assert shown in verdict.hint


def test_bare_names_match_methods_of_any_object(tmp_path, monkeypatch):
    source = MOMENTUM.format(prelude="", inside="pass", make=MAKE)
    step = load(source, tmp_path, monkeypatch).momentum_step
    finding = forbidden.in_function(step, ("step",))
    assert finding is not None and finding.api == "opt.step" and finding.called
    source = "def f(loss):\n    backward = 1\n    return loss.detach() * backward\n"
    assert forbidden.in_function(load(source, tmp_path, monkeypatch).f, ("backward",)) is None


def test_honest_code_that_mentions_a_forbidden_api_passes(tmp_path, monkeypatch):
    source = '''
from torch import optim


def momentum_step(params, grad, buf, lr, momentum):
    """The step torch.optim.SGD takes, written out."""
    optim = grad.clone() if buf is None else momentum * buf + grad  # a local name
    return params - lr * optim, optim
'''
    honest = load(source, tmp_path, monkeypatch).momentum_step
    assert checks.evaluate("momentum_step", honest).passed


def test_a_task_without_forbids_is_unaffected(tmp_path, monkeypatch):
    cells = code_cells("solutions", "04_training_loop")
    source = "\n\n".join(c for c in cells if not c.startswith("check("))
    solution = load(source, tmp_path, monkeypatch).train_linear
    assert "torch.optim.SGD" in source
    assert tasks.get("train_linear").forbids == ()
    assert checks.evaluate("train_linear", solution).passed


@pytest.mark.parametrize("task_id", REFERENCE_CHEATS)
def test_the_course_reference_code_solves_no_task_in_the_check(task_id, tmp_path, monkeypatch):
    entry, source = REFERENCE_CHEATS[task_id]
    task = tasks.get(task_id)
    assert entry in tasks.REFERENCE and entry not in task.forbids
    assert set(tasks.REFERENCE) <= set(task.ruled_out)
    function = getattr(load(source, tmp_path, monkeypatch), task_id)
    assert judge.judge(task, list(task.public), [collect.collect(task.call, function, dict(p),
        task.seconds) for p in task.public]).passed  # fmt: skip
    verdict = checks.evaluate(task_id, function)
    assert not verdict.passed and verdict.points == 0
    assert named(verdict.hint, entry), verdict.hint


def test_without_source_the_check_cannot_tell_and_judges_the_answers():
    # a limit of static detection, stated in the docs: code made by exec has no source
    namespace: dict = {}
    exec(CHEATS["momentum_step"]["torch.optim"], namespace)
    assert checks.evaluate("momentum_step", namespace["momentum_step"]).passed


# ------------------------------------------------------------------ hostile text


HOSTILE = {
    "unary": "def f(x):\n    return " + "-" * 400_000 + "x",
    "parentheses": "def f(x):\n    return " + "(" * 50_000 + "x" + ")" * 50_000,
    "long sum": "def f(x):\n    return torch.optim.SGD" + "+x" * 1_000,
    "deep sum": "def f(x):\n    return torch.optim.SGD" + "+x" * 200_000,
    "long chain": "def f(x):\n    return x" + ".a" * 200_000,
    "long alias": "o = torch" + ".a" * 200_000 + "\ndef f(x):\n    return o",
    "syntax error": "def f(x:\n    return torch.optim.SGD",
    "null byte": "def f(x):\n    return torch.optim.SGD\0",
    "too large": "def f(x):\n    return torch.optim.SGD\n" + "#" * forbidden.MAX_CHARS,
    "bad magic": "%%time\n" + "(" * 10_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_is_cannot_tell_not_a_crash(name):
    start = time.perf_counter()
    book = forbidden.read_notebook(["import torch", HOSTILE[name]], child.code_of)
    finding = forbidden.in_notebook(book, "f", ("torch.optim",))
    assert time.perf_counter() - start < 5
    if name == "long sum":  # parseable: still read
        assert finding is not None and finding.api == "torch.optim.SGD"
    else:
        assert finding is None


# ------------------------------------------------------------------ the grader


def _sources():
    """Every submission of the batch: {student: (exercise, cells)}."""
    subs = {}
    for task, entry in CASES:
        subs[f"{task.id}--{entry}"] = (task.exercise, [CHEATS[task.id][entry]])
    solution = code_cells("solutions", "08_momentum")
    for variant, (prelude, inside, make, _) in ALIASES.items():
        source = MOMENTUM.format(prelude=prelude, inside=inside or "pass", make=make)
        subs[f"alias--{variant}"] = ("08_momentum", solution[:1] + [source])
    subs["honest"] = ("08_momentum", solution)
    subs["nested"] = ("08_momentum", solution + [HOSTILE["unary"], HOSTILE["long chain"]])
    broken = [c.replace("def momentum_step(", "def momentum_step(:") for c in solution]
    subs["syntax"] = ("08_momentum", broken)
    subs["no-forbids"] = ("04_training_loop", code_cells("solutions", "04_training_loop"))
    for task_id, (_, source) in REFERENCE_CHEATS.items():
        subs[f"reference--{task_id}"] = (tasks.get(task_id).exercise, [source])
    return subs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cheats")
    out = tmp_path_factory.mktemp("graded")
    for student, (exercise, cells) in _sources().items():
        (root / student).mkdir()
        (root / student / f"{exercise}.ipynb").write_text(notebook(cells, exercise))
    summary = pipeline.grade([root], out, jobs=2, timeout=60, secret=b"s")
    assert summary["complete"]
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {(r["student"], r["task"]): r for r in rows}


@pytest.mark.parametrize("task,entry", CASES, ids=CASE_IDS)
def test_grader_gives_zero_to_a_correct_function_that_uses_a_forbidden_api(graded, task, entry):
    row = graded[(f"{task.id}--{entry}", task.id)]
    assert row["status"] == "failed" and float(row["points"]) == 0
    assert named(row["feedback"], entry), row["feedback"]


@pytest.mark.parametrize("task_id", REFERENCE_CHEATS)
def test_the_course_reference_code_solves_no_task_when_graded(graded, task_id):
    row = graded[(f"reference--{task_id}", task_id)]
    assert row["status"] == "failed" and float(row["points"]) == 0
    assert named(row["feedback"], REFERENCE_CHEATS[task_id][0]), row["feedback"]


@pytest.mark.parametrize("variant", ALIASES)
def test_aliases_and_helpers_do_not_hide_the_use_from_the_grader(graded, variant):
    row = graded[(f"alias--{variant}", "momentum_step")]
    assert float(row["points"]) == 0 and named(row["feedback"], "torch.optim"), row
    assert ALIASES[variant][3] in row["feedback"]


def test_grader_passes_honest_and_unruled_work_and_survives_hostile_cells(graded):
    def rows(student):
        return {task: r for (s, task), r in graded.items() if s == student}

    for student in ("honest", "nested", "no-forbids"):
        assert all(r["status"] == "passed" for r in rows(student).values()), rows(student)
    syntax = rows("syntax")
    assert syntax["momentum_step"]["status"] == "error"
    assert "SyntaxError" in syntax["momentum_step"]["feedback"]
    assert syntax["nesterov_step"]["status"] == "passed"
