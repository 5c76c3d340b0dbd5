"""Every task: the solution passes, the stub says "not implemented", each detector fires
on a hand-written mutant with its own hint, and other wrong answers get a general ✗."""

import importlib
from functools import cache
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from gdcourse import checks
from gdcourse.grading import collect, judge, tasks

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"a test secret"
TASKS = tasks.all_tasks()
IDS = [t.id for t in TASKS]


@cache
def namespace(folder: str, exercise: str) -> dict:
    """Run a notebook's code cells, except the check lines, and return its globals."""
    nb = nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)
    env: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(
            line for line in cell.source.splitlines() if not line.startswith(("check(", "%"))
        )
        exec(compile(code, f"{exercise}.ipynb", "exec"), env)
    return env


def learner(folder, task):
    env = namespace(folder, task.exercise)
    assert task.id in env, f"{folder}/{task.exercise}.ipynb defines no function {task.id}"
    return env[task.id]


def mutants(task):
    module = importlib.import_module(f"tests.grading.mutants.ex{task.exercise}")
    return module.MUTANTS.get(task.id, {})


def test_the_course_has_at_least_forty_five_tasks_in_ten_exercises():
    assert len(TASKS) >= 45
    assert len(tasks.exercises()) >= 10
    assert all(2 <= len(tasks.for_exercise(e)) <= 6 for e in tasks.exercises())


def test_task_ids_are_unique_and_each_has_two_detectors():
    assert all(len(t.detectors) >= 2 for t in TASKS)
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_solution_passes_public_and_hidden_probes(task):
    solution = learner("solutions", task)
    assert checks.evaluate(task.id, solution).passed
    probes = task.hidden_probes(SECRET, "ann")
    answers = [collect.collect(task.call, solution, p, task.seconds) for p in probes]
    verdict = judge.judge(task, probes, answers, show_values=False)
    assert verdict.passed, verdict.render()
    assert verdict.details == []  # hidden probe values never reach feedback


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_blank_stub_reports_not_implemented(task):
    verdict = checks.evaluate(task.id, learner("exercises", task))
    assert verdict.status == collect.NOT_IMPLEMENTED
    assert "not implemented yet" in verdict.render()
    assert verdict.points == 0


DETECTOR_CASES = [(t, d) for t in TASKS for d in t.detectors]


@pytest.mark.parametrize(
    "task,detector", DETECTOR_CASES, ids=[f"{t.id}-{d.name}" for t, d in DETECTOR_CASES]
)
def test_each_detector_fires_on_its_mutant(task, detector):
    mutant = mutants(task).get(detector.name)
    assert mutant is not None, f"tests/grading/mutants has no mutant for {task.id}: {detector.name}"
    verdict = checks.evaluate(task.id, mutant)
    assert not verdict.passed
    assert verdict.hint == detector.hint, verdict.render()


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_unrecognised_wrong_answer_gets_the_general_hint(task):
    solution = learner("solutions", task)

    def distort(answer):
        if isinstance(answer, str):
            return "none of these"
        if isinstance(answer, list) and judge.as_array(answer) is None:  # ragged
            return [distort(a) for a in answer]
        return (np.asarray(answer, dtype=float) * 1.37 + 0.1).tolist()

    def wrong(*args, **kwargs):
        answer = solution(*args, **kwargs)
        if isinstance(answer, tuple) and all(getattr(a, "requires_grad", False) for a in answer):
            with torch.no_grad():  # the trained leaves themselves, moved off the answer
                for leaf in answer:
                    leaf.mul_(1.37).add_(0.1)
            return answer
        return distort(collect.plain(answer))

    verdict = checks.evaluate(task.id, wrong)
    assert verdict.status == collect.FAILED
    assert verdict.hint == (task.hint or "not the expected answer.")
    # the expected answer, or what a comparison that accepts more than it measured
    shown = "needed:" if getattr(task.compare, "describe", None) else "expected:"
    assert shown in verdict.render()


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_hidden_probes_are_per_student_and_need_the_secret(task):
    ann = task.hidden_probes(SECRET, "ann")
    assert ann == task.hidden_probes(SECRET, "ann")  # a resumed run draws the same probes
    assert ann != task.hidden_probes(SECRET, "ben")  # another student, other probes
    assert ann != task.hidden_probes(b"another secret", "ann")  # a new secret, other probes
    assert all(set(p) == set(task.public[0]) for p in ann)


def test_bad_answers_get_a_clear_message_not_a_crash():
    def raises(*args):
        return [1.0, 2.0][5]

    cases = {
        "returns an object": (lambda *a: object(), collect.INVALID, "return a number"),
        "wrong shape": (lambda *a: [1.0, 2.0, 3.0], collect.FAILED, "shape"),
        "NaN": (lambda *a: [float("nan"), 0.0], collect.FAILED, "NaN"),
        "raises": (raises, collect.ERROR, "IndexError: list index out of range"),
    }
    for name, (fn, status, text) in cases.items():
        verdict = checks.evaluate("mse_gradients", fn)
        assert verdict.status == status, name
        assert text in verdict.render(), (name, verdict.render())
    verdict = checks.evaluate("mse_gradients", raises)
    assert "in raises, line" in verdict.render()  # the learner's own line, briefly
    assert "Traceback" not in verdict.render()


def test_a_function_that_never_returns_is_stopped():
    def loops(*args):
        while True:
            pass

    task = tasks.get("gd_step")
    answer = collect.collect(task.call, loops, dict(task.public[0]), 0.2)
    assert isinstance(answer, collect.Failure) and answer.kind == collect.TIMEOUT


def test_check_prints_and_unknown_task_is_reported(capsys):
    checks.check("gd_step", lambda theta, grad, lr: theta - lr * grad)
    assert capsys.readouterr().out.startswith("✓ gd_step")
    checks.check("no_such_task", print)
    assert "unknown task" in capsys.readouterr().out


def test_register_requires_two_detectors():
    task = tasks.get("gd_step")
    from dataclasses import replace

    with pytest.raises(ValueError, match="two misconception detectors"):
        tasks.register(replace(task, id="lonely", detectors=task.detectors[:1]))


@pytest.mark.parametrize(
    "task",
    [t for t in TASKS if t.exercise[:2] in ("09", "10", "12", "13")],
    ids=lambda t: t.id,
)
def test_the_fallback_hint_names_the_symptom_not_the_formula(task):
    """A wrong answer no detector names hears what differs, not the answer (review POLISH)."""
    assert task.hint.startswith("your "), task.hint
    formula = ("·", "√", "η", "β", "cos(", "←", "min(", "//")  # what the old hints spelt out
    assert not any(sign in task.hint for sign in formula), task.hint
