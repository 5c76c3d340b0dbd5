"""Exercise tasks, each defined once and used by both in-notebook checks and grading.

A task says how to call the learner's object on a probe (`call`, which runs where the
learner's code runs and returns plain data), which probes are public (shown in the
notebook) and how to generate hidden ones (grading only), the oracle that computes
the expected answer (PyTorch itself wherever possible), the tolerance, the points,
and misconception detectors: the mistakes learners really make, each with its hint.

Task modules are named after their exercise notebook (`ex01_the_idea.py` defines the
tasks of `exercises/01_the_idea.ipynb`) and register their tasks on import. They stay in
the course folder: the student hand-out carries the tasks as data instead (`published`:
plain fields, public probes, the oracle's answers and the detectors' predictions on them),
and an exercise whose module is absent is built from that data.

Hidden probes are drawn per student from a seed that needs the instructor's secret
(`Task.hidden_probes`), so nothing a student has predicts them.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import judge

__all__ = [
    "REFERENCE",
    "Detector",
    "Task",
    "register",
    "get",
    "all_tasks",
    "for_exercise",
    "exercises",
]

# The course's own reference implementations, which lesson 00 invites learners to read:
# calling them would solve a task without the skill it is for (`gdcourse.optim.step_lr`
# answers a schedule task, `gdcourse.doctor` labels a loss curve). Every task rules them
# out, on top of what it forbids itself (`Task.ruled_out`).
REFERENCE = (
    "gdcourse.optim",
    "gdcourse.rates",
    "gdcourse.lrfind",
    "gdcourse.explore",
    "gdcourse.functions",
    "gdcourse.doctor",
)


@dataclass(frozen=True)
class Detector:
    """A known mistake: either a wrong answer it predicts, or an error message it explains."""

    name: str
    hint: str
    answer: Callable | None = None  # probe kwargs -> the answer the mistake produces
    error: str | None = None  # a substring of the error message the mistake causes


@dataclass(frozen=True)
class Task:
    """One graded task of an exercise notebook."""

    id: str
    exercise: str
    title: str
    points: int
    call: str  # expression calling the learner's object `f` on the probe, e.g. "f(np.array(x))"
    oracle: Callable  # (**probe) -> expected answer; runs in the judge
    public: tuple[dict, ...]
    hidden: Callable  # (np.random.Generator) -> list of probes
    detectors: tuple[Detector, ...] = ()
    rtol: float = 1e-5
    atol: float = 1e-7
    hint: str = ""  # for a wrong answer that matches no detector
    # (answer, expected, probe, correct) -> bool, instead of equality: a function of
    # `comparisons`, which ships with the hand-out
    compare: Callable | None = None
    seconds: float = 2.0  # time limit per probe
    forbids: tuple[str, ...] = ()  # APIs the learner's function may not use (`forbidden`)
    # Hints on demand (`checks.hint`), in order: a nudge towards the likely mistake, the
    # idea in words, then the formula or a near-complete recipe; never the solution's code.
    hints: tuple[str, ...] = ()

    @property
    def ruled_out(self) -> tuple[str, ...]:
        """What the learner's function may not use: the task's `forbids` and the course's
        reference implementations (`REFERENCE`)."""
        return self.forbids + REFERENCE

    def accepts(self, answer, expected, probe, correct) -> bool:
        """Whether `answer` counts as `expected` on this probe (`correct`: the oracle's answer).

        `expected` is the oracle's answer when judging, a detector's prediction when asking
        whether a mistake explains the answer; a `compare` may measure against `correct`.
        """
        if self.compare is not None:
            return bool(self.compare(answer, expected, probe, correct))
        return judge.same(answer, expected, self.rtol, self.atol)

    def hidden_probes(self, secret: bytes, student: str) -> list[dict]:
        """This student's hidden probes, drawn from HMAC-SHA256(secret, exercise, task, student).

        Each student gets other probes, the same ones on every run with the same secret (so
        resumed runs agree), and no one without the secret can compute them.
        """
        message = "\0".join((self.exercise, self.id, student)).encode()
        digest = hmac.new(secret, message, hashlib.sha256).digest()
        return list(self.hidden(np.random.default_rng(int.from_bytes(digest, "big"))))


_REGISTRY: dict[str, Task] = {}
_loaded = False


def register(*tasks: Task) -> None:
    """Add tasks to the registry (called by each task module on import): each needs two
    misconception detectors and two hint levels."""
    for task in tasks:
        if task.id in _REGISTRY and _REGISTRY[task.id] is not task:
            raise ValueError(f"task id {task.id!r} is defined twice")
        if len(task.detectors) < 2:
            raise ValueError(f"task {task.id!r} needs at least two misconception detectors")
        _check_hints(task)
        _REGISTRY[task.id] = task


def _check_hints(task: Task) -> None:
    """A task has at least two hint levels, distinct non-empty strings (a ValueError
    otherwise): `hint(task_id)` goes from a nudge to the formula."""
    hints = task.hints
    if not isinstance(hints, tuple) or not all(isinstance(h, str) and h.strip() for h in hints):
        raise ValueError(f"task {task.id!r}: hints must be a tuple of non-empty strings")
    if len(hints) < 2:
        raise ValueError(
            f"task {task.id!r} needs at least two hint levels (a nudge, then the idea or the "
            f"formula), it has {len(hints)}"
        )
    if len(set(hints)) < len(hints):
        raise ValueError(f"task {task.id!r}: two of its hint levels are the same")


def _load() -> None:
    """Import every task module, then build from the published data the exercises without one."""
    global _loaded
    if not _loaded:
        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith("ex"):
                importlib.import_module(f"{__name__}.{info.name}")
        from . import published

        with_module = {t.exercise for t in _REGISTRY.values()}
        register(*(t for t in published.load() if t.exercise not in with_module))
        _loaded = True


def get(task_id: str) -> Task:
    """The task with this id, or a ValueError listing the known ids."""
    _load()
    try:
        return _REGISTRY[task_id]
    except KeyError:
        raise ValueError(f"unknown task {task_id!r}; known tasks: {sorted(_REGISTRY)}") from None


def all_tasks() -> list[Task]:
    """Every task, ordered by exercise and then by definition order."""
    _load()
    return sorted(_REGISTRY.values(), key=lambda t: t.exercise)


def for_exercise(exercise: str) -> list[Task]:
    """The tasks of one exercise notebook, in order."""
    return [t for t in all_tasks() if t.exercise == exercise]


def exercises() -> list[str]:
    """The ids of all exercise notebooks that have tasks."""
    return sorted({t.exercise for t in all_tasks()})
