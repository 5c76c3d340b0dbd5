"""Friendlier checks (issue #20): the mistakes of form learners make most get a plain
sentence, in the notebook's check and in the grader's feedback alike.

Each answer here is a real one a learner writes (a trailing comma, a tuple too many, a list
of tensors, NumPy on a tensor that requires grad, one parameter too few or too many).
"""

import csv
import inspect
import shutil
from pathlib import Path

import nbformat
import pytest
import torch

from benchmarks.checks import solutions
from gdcourse import checks
from gdcourse.grading import collect, judge, pipeline, tasks

ROOT = Path(__file__).resolve().parents[2]


def trailing_comma(theta, grad, lr):
    return (theta - lr * grad,)


def two_values(theta, grad, lr):
    return theta - lr * grad, grad


def one_element_tensors(theta, grad, lr):
    return [torch.tensor([v]) for v in theta - lr * grad]


def tensor_of_tensors(theta, grad, lr):
    rows = [torch.tensor([v, v]) for v in theta - lr * grad]
    return torch.tensor(rows)[:, 0]


def numpy_of_grad_tensor(theta, grad, lr):
    t = torch.tensor(theta, requires_grad=True)
    return t.numpy() - lr * grad


def list_as_tensor(theta, grad, lr):
    steps = [torch.tensor(theta), torch.tensor(grad)]
    return steps.sum()


def one_too_few(params, grad, buf, lr):
    return params, buf


def one_too_many(params, grad, buf, lr, momentum, nesterov, dampening=0.0):
    return params, buf


def only_params(params, grad, buf, lr, momentum):
    buf = grad.clone() if buf is None else momentum * buf + grad
    return params - lr * buf


CASES = {
    "gd_step": {
        trailing_comma: "is there a comma after `return …`?",
        two_values: "your function returned 2 values (`return a, b`?) where the task expects "
        "one array of shape (2,)",
        one_element_tensors: "each item is a one-element tensor or array",
        tensor_of_tensors: "To join a Python list of tensors, use torch.stack(list)",
        numpy_of_grad_tensor: "a tensor that still requires grad was turned into NumPy: call "
        ".detach() on it first",
        list_as_tensor: "a Python list was used as a tensor or an array",
    },
    "momentum_step": {
        one_too_few: "your function takes 4 parameters (params, grad, buf, lr): the task "
        "calls it as momentum_step(params, grad, buf, lr, momentum)",
        one_too_many: "your function takes 7 parameters (params, grad, buf, lr, momentum, "
        "nesterov, dampening=0.0): the task calls it as "
        "momentum_step(params, grad, buf, lr, momentum)",
        only_params: "the task expects 2 values (a tuple, `return a, b`), your function "
        "returned one",
    },
}
PARAMS = [
    pytest.param(task, f, sentence, id=f"{task}-{f.__name__}")
    for task, answers in CASES.items()
    for f, sentence in answers.items()
]


@pytest.mark.parametrize("task,function,sentence", PARAMS)
def test_the_check_says_it_in_a_sentence(task, function, sentence):
    verdict = checks.evaluate(task, function)
    assert not verdict.passed
    assert sentence in verdict.hint, verdict.render()
    assert "your code raised an error" not in verdict.hint


def test_a_returned_tensor_that_requires_grad_or_a_list_of_tensors_is_fine():
    """Detached on the way to the judge: the value is what counts."""
    assert checks.evaluate(
        "gd_step", lambda theta, grad, lr: torch.tensor(theta - lr * grad, requires_grad=True)
    ).passed
    assert checks.evaluate(
        "gd_step", lambda theta, grad, lr: [torch.tensor(v) for v in theta - lr * grad]
    ).passed


def test_none_is_named_first():
    """Already there before issue #20 (judge.RETURNED_NONE), for every task (test_agreement)."""
    verdict = checks.evaluate("gd_step", lambda theta, grad, lr: None)
    assert (
        verdict.hint
        == judge.RETURNED_NONE
        == ("your function returned None: did you forget `return`?")
    )


def test_a_type_error_inside_the_function_is_not_a_signature_mismatch():
    def inner(theta, grad, lr):
        if lr > 0:
            return inner(theta, grad)  # its own call, wrong: Python's message says it
        return theta

    verdict = checks.evaluate("gd_step", inner)
    assert "your function takes" not in verdict.hint
    assert any("TypeError" in d for d in verdict.details), verdict.render()


def test_a_lambda_is_told_the_call_too():
    verdict = checks.evaluate("gd_step", lambda theta, grad: theta)
    assert verdict.hint == (
        "your function takes 2 parameters (theta, grad): the task calls it as "
        "gd_step(theta, grad, lr)"
    )


def test_every_task_names_the_parameters_of_its_solution():
    """The names the signature sentence gives are the solution's own parameters."""
    for exercise in tasks.exercises():
        env = solutions(exercise)
        for task in tasks.for_exercise(exercise):
            parameters = tuple(inspect.signature(env[task.id]).parameters)
            assert collect.called_as(task.call) == parameters, task.id


def test_the_grader_says_the_same(tmp_path):
    """Through the grading path (sandboxed child, hidden probes): the same sentences."""
    sources = {
        "gd_step": [trailing_comma, numpy_of_grad_tensor, list_as_tensor],
        "momentum_step": [one_too_few, only_params],
    }
    exercise_of = {"gd_step": "01_the_idea", "momentum_step": "08_momentum"}
    for task, functions in sources.items():
        exercise = exercise_of[task]
        cells = [
            c.source
            for c in nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", 4).cells
            if c.cell_type == "code"
        ]
        for f in functions:
            nb = nbformat.v4.new_notebook()
            source = "import numpy as np\nimport torch\n" + inspect.getsource(f).replace(
                f"def {f.__name__}(", f"def {task}("
            )
            nb.cells = [nbformat.v4.new_code_cell(c) for c in [*cells, source]]
            nb.metadata["gdcourse"] = {"exercise": exercise}
            folder = tmp_path / "subs" / f.__name__
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{exercise}.ipynb")
    pipeline.grade([tmp_path / "subs"], tmp_path / "out", secret=b"friendly", jobs=2)
    with open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["student"], r["task"]): r for r in csv.DictReader(f)}
    for task, functions in sources.items():
        for f in functions:
            row = rows[(f.__name__, task)]
            assert row["status"] != "passed"
            assert CASES[task][f].split(": ")[0] in row["feedback"], row["feedback"]
    shutil.rmtree(tmp_path / "subs")


def test_torch_is_imported_before_the_time_limit_starts():
    """A check that is the first thing to use torch on a slow machine: the time limit must
    not interrupt torch's import (which leaves torch unusable in that kernel for good)."""
    import subprocess
    import sys

    script = (
        "from gdcourse.grading import collect\n"
        "print(collect.collect('f(torch.tensor([1.0]))', lambda t: t * 2, {}, 0.001))\n"
        "import torch\n"
        "print(float(torch.ones(1)[0]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["[2.0]", "1.0"]
