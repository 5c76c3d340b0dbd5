"""The part of grading that runs inside a submission's isolated process.

It executes the notebook's code cells, then calls the learner's functions on the
probes it was given and returns plain data. It holds no oracle and compares nothing:
the grader judges the returned data in its own process.
"""

from __future__ import annotations

import sys
import types

from . import judge, sandbox


def _code(source: str) -> str:
    """A cell's Python: IPython magics and shell lines are dropped."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def _quiet_checks() -> None:
    """Inside grading, the notebook's `check(...)` lines do nothing."""
    stub = types.ModuleType("gdcourse.checks")
    stub.check = lambda *args, **kwargs: None
    stub.evaluate = stub.check
    sys.modules["gdcourse.checks"] = stub


def run_submission(cells: list[str], tasks: list[dict], output_limit: int = 20_000) -> dict:
    """Run the cells, then collect each task's answers on its probes (plain data only)."""
    sandbox.guard_imports()
    _quiet_checks()
    collect, failure_type = judge.collect, judge.Failure  # kept before learner code runs
    output = sandbox.CappedWriter(output_limit)
    sys.stdout = sys.stderr = output
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    errors = []
    for number, source in enumerate(cells, start=1):
        try:
            code = compile(_code(source), f"<cell {number}>", "exec")
            exec(code, namespace)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
            errors.append(f"cell {number}{where}: {type(exc).__name__}: {exc}")
    answers = {}
    for task in tasks:
        obj = namespace.get(task["id"])
        if not callable(obj):
            answers[task["id"]] = {"missing": f"no function named {task['id']} was defined"}
            continue
        results = []
        for probe in task["probes"]:
            value = collect(task["call"], obj, probe, task["seconds"])
            if isinstance(value, failure_type):
                value = {"failure": [value.kind, value.message, value.where]}
            else:
                value = {"answer": value}
            results.append(value)
        answers[task["id"]] = results
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    return {
        "errors": errors,
        "answers": answers,
        "output": output.getvalue(),
        "output_chars": output.total,
    }
