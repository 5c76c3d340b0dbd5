"""✓ in the notebook means full marks when graded (issue #22), and the review's cases stay fixed.

`check` judges the public probes, the grader each student's hidden probes. Every known
mistake in tests/grading/mutants (MUTANTS, one per detector, and WRONG, mistakes no detector
names) must fail both; every correct variant there (RIGHT) must pass both. A mistake that
passes one and fails the other is a ✓ that grading turns into 0, or the reverse: the
probes lack the case that tells it apart.
"""

import importlib
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from gdcourse import checks
from gdcourse.grading import collect, judge, tasks

SECRET = b"an agreement secret"
STUDENTS = ("ann", "ben", "cat", "dan", "eve", "fay")


def module(task):
    return importlib.import_module(f"tests.grading.mutants.ex{task.exercise}")


def cases(kind):
    found = []
    for task in tasks.all_tasks():
        for name, function in getattr(module(task), kind, {}).get(task.id, {}).items():
            found.append(pytest.param(task, function, id=f"{task.id}-{name}"))
    return found


def graded(task, function, student):
    """The verdict the grader gives this function on this student's hidden probes."""
    probes = task.hidden_probes(SECRET, student)
    answers = [collect.collect(task.call, function, p, task.seconds) for p in probes]
    return judge.judge(task, probes, answers, show_values=False)


@pytest.mark.parametrize("task,mistake", cases("MUTANTS") + cases("WRONG"))
def test_a_mistake_fails_the_check_and_the_grading_alike(task, mistake):
    assert not checks.evaluate(task.id, mistake).passed, "the public probes miss this mistake"
    passed = [s for s in STUDENTS if graded(task, mistake, s).passed]
    assert not passed, f"✗ in the notebook but full marks when graded for {passed}"


@pytest.mark.parametrize("task,variant", cases("RIGHT"))
def test_a_correct_variant_passes_the_check_and_the_grading_alike(task, variant):
    verdict = checks.evaluate(task.id, variant)
    assert verdict.passed, verdict.render()
    for student in STUDENTS:
        verdict = graded(task, variant, student)
        assert verdict.passed, (student, verdict.render())


# ------------------------------------------------------------------ review item 1: None


@pytest.mark.parametrize("task", tasks.all_tasks(), ids=lambda t: t.id)
def test_a_function_that_returns_none_hears_so_first(task):
    def forgot_return(*args, **kwargs):
        pass

    verdict = checks.evaluate(task.id, forgot_return)
    assert verdict.status == collect.FAILED
    assert verdict.hint == "your function returned None: did you forget `return`?"
    assert not graded(task, forgot_return, "ann").passed


# ------------------------------------------------------------------ review item 3: digits


def test_answers_that_print_alike_are_shown_with_all_their_digits():
    task = replace(tasks.get("lr_sweep"), rtol=1e-9, atol=0.0)  # the review's tolerance

    def float32(lr_min, lr_max, steps):
        return torch.logspace(math.log10(lr_min), math.log10(lr_max), steps)

    verdict = checks.evaluate(task.id, float32)  # the registered task accepts this now
    assert verdict.passed
    probes = [dict(p) for p in task.public]
    answers = [collect.collect(task.call, float32, p, 2.0) for p in probes]
    lines = judge.judge(task, probes, answers).details
    expected, got = lines[1].split(":", 1)[1].strip(), lines[2].split(":", 1)[1].strip()
    assert expected != got, lines
    assert judge.shown_pair(0.25, 0.5) == ("0.25", "0.5")  # otherwise the usual short form


def test_train_linear_says_which_loss_was_needed():
    def closed_form(x, y, w, b, lr, steps):
        slope, intercept = np.polyfit(x.numpy(), y.numpy(), 1)
        return slope, intercept

    text = checks.evaluate("train_linear", closed_form).render()
    assert "your loss:" in text and "needed: a loss between" in text, text
    assert "expected:" not in text


# ------------------------------------------------------------------ review POLISH (01-08)


def test_train_linear_names_the_row_shape_when_x_is_one_row():
    """The review's learner passed x.unsqueeze(0), shape (1, N): the hint must not say (N,)."""

    def one_row(x, y, w, b, lr, steps):
        model = torch.nn.Linear(1, 1, dtype=torch.float64)
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(steps):
            optimizer.zero_grad()
            torch.nn.MSELoss()(model(x.unsqueeze(0)), y.unsqueeze(0)).backward()
            optimizer.step()
        return model.weight.item(), model.bias.item()

    verdict = checks.evaluate("train_linear", one_row)
    named = next(d for d in tasks.get("train_linear").detectors if d.name == "x not a column")
    assert verdict.hint == named.hint
    assert "x.unsqueeze(0), which is one row" in verdict.hint and "(N,)" not in verdict.hint


def test_exercise_02_fallback_hints_name_the_symptom_not_the_formula():
    for task in tasks.for_exercise("02_worked_iterations"):
        assert task.hint.startswith("your "), task.id
        assert not any(part in task.hint for part in ("=", "XᵀX", "mean(", "2/")), task.id
