"""Tasks as data: what the student hand-out carries instead of the task modules.

`gdcourse release` writes `published.json` beside this module (`document`): for every task
its plain fields (every field of `Task` that holds no code, so a field added later travels
too), the name of its comparison in `comparisons` if it has one, its public probes' expected
answers (the oracle's) and each detector's plain fields and predictions on those probes.
The task modules, with their oracles, detectors and hidden-probe generators, stay with the
instructor; the registry builds an exercise's tasks from this data (`load`) when its module
is absent. Their oracle and detectors then look the answer up by the probe, so they answer
the public probes and nothing else.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

from . import Detector, Task, comparisons

__all__ = ["FILE", "FORMAT", "probe_key", "record", "document", "task_from", "load"]

FILE = Path(__file__).with_name("published.json")
FORMAT = 1
TASK_CODE = ("oracle", "hidden", "detectors", "compare")  # Task's fields that hold code
DETECTOR_CODE = ("answer",)


def probe_key(probe: dict) -> str:
    """A probe's canonical JSON: the key its stored answers are found under."""
    return json.dumps(probe, sort_keys=True, separators=(",", ":"))


def _plain(obj, code: tuple[str, ...]) -> dict:
    """The fields of a dataclass that hold data, not code (a TypeError if a new one does)."""
    fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in code}
    holding_code = [name for name, value in fields.items() if callable(value)]
    if holding_code:
        raise TypeError(
            f"{type(obj).__name__} field {holding_code[0]!r} holds code: name it in "
            "published.py and decide how it travels in the hand-out"
        )
    return fields


def _compare_name(task: Task) -> str | None:
    """The name in `comparisons` of the task's comparison (which ships), or None."""
    if task.compare is None:
        return None
    name = getattr(task.compare, "__name__", "")
    if getattr(comparisons, name, None) is not task.compare:
        raise ValueError(
            f"task {task.id!r} compares with {name or task.compare!r}, which is not a "
            "function of gdcourse.grading.tasks.comparisons: the hand-out could not ship it"
        )
    return name


def record(task: Task) -> dict:
    """A task as plain data: its fields, and the answers on its public probes.

    Runs the oracle and every detector's mistaken answer once per public probe, on the
    instructor's machine, when the hand-out is made.
    """
    probes = [dict(p) for p in task.public]
    return {
        "fields": _plain(task, TASK_CODE),
        "compare": _compare_name(task),
        "expected": [task.oracle(**p) for p in probes],
        "detectors": [
            {
                "fields": _plain(d, DETECTOR_CODE),
                "predictions": None if d.answer is None else [d.answer(**p) for p in probes],
            }
            for d in task.detectors
        ],
    }


def fingerprint(tasks) -> str:
    """A short hash of tasks as a learner meets them: their plain fields (ids, titles,
    points, calls, public probes, tolerances, what they forbid) and their detectors'
    names and hints. The course folder and a hand-out built from it give the same value,
    so an exercise notebook can record the version of the tasks it was made for."""
    plain = [
        {
            "fields": _plain(t, TASK_CODE),
            "detectors": [_plain(d, DETECTOR_CODE) for d in t.detectors],
        }
        for t in sorted(tasks, key=lambda t: t.id)
    ]
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def document(tasks) -> str:
    """The text of `published.json` for these tasks."""
    data = {"format": FORMAT, "tasks": [record(t) for t in tasks]}
    return json.dumps(data, indent=1, ensure_ascii=False)


def _lookup(public, answers, what: str):
    """A function of probe keywords that returns the stored answer for a public probe."""
    table = {probe_key(p): a for p, a in zip(public, answers, strict=True)}

    def answer(**probe):
        try:
            return table[probe_key(probe)]
        except KeyError:
            raise LookupError(f"the hand-out stores {what} for the public probes only") from None

    return answer


def _no_hidden(rng):
    raise LookupError("hidden probes are not part of the hand-out: grade in the course folder")


def _as_field(value):
    """JSON's lists back into the tuples a frozen Task holds (public, and the like)."""
    return tuple(value) if isinstance(value, list) else value


def task_from(data: dict) -> Task:
    """The Task a record describes, answering from its stored data."""
    fields = {name: _as_field(value) for name, value in data["fields"].items()}
    public = fields["public"]
    detectors = tuple(
        Detector(
            **{name: _as_field(value) for name, value in d["fields"].items()},
            answer=None
            if d["predictions"] is None
            else _lookup(public, d["predictions"], f"the predictions of {d['fields']['name']!r}"),
        )
        for d in data["detectors"]
    )
    return Task(
        **fields,
        oracle=_lookup(public, data["expected"], "the expected answers"),
        hidden=_no_hidden,
        detectors=detectors,
        compare=None if data["compare"] is None else getattr(comparisons, data["compare"]),
    )


def load(path: Path = FILE) -> list[Task]:
    """The tasks stored in the hand-out's data file; none where there is no such file."""
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} has format {data.get('format')!r}; this gdcourse reads {FORMAT}")
    return [task_from(t) for t in data["tasks"]]
