"""What a forked grading child does with a submission, and the sandbox policy it runs under.

The child executes the notebook's code cells, then calls the learner's functions on the
probes it was given (through `collect`) and returns plain data. It holds no oracle and
compares nothing: the grader judges the returned data in its own process.

`POLICY` is gdcourse's sandbox policy, written with module objects rather than strings so
that moving a module moves the policy with it: the server imports the learner API ahead,
and a submission may import neither `gdcourse.grading` (task definitions, oracles, the
grader) nor `gdcourse.authoring` (maintainer tools).
"""

from __future__ import annotations

import sys
import types

import gdcourse

from .. import authoring
from . import collect, sandbox

__all__ = ["POLICY", "prepare", "run_submission", "code_of"]

# The module a notebook's `check(...)` lines import; inside grading it is a silent stub.
CHECKS = f"{gdcourse.__name__}.checks"


def prepare() -> None:
    """Run once in the server before any child: one thread, and torch.optim's first-use cost.

    The first optimiser built imports torch._dynamo (about 2 s); paying it here means no
    submission pays it.
    """
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    weight = torch.zeros(1, requires_grad=True)
    weight.grad = torch.ones(1)
    torch.optim.SGD([weight], lr=0.1, momentum=0.9).step()
    torch.optim.Adam([weight], lr=0.1).step()


def code_of(source: str) -> str:
    """A cell's Python: IPython magics and shell lines are dropped."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def _quiet_checks() -> None:
    """Inside grading, the notebook's `check(...)` lines do nothing."""
    stub = types.ModuleType(CHECKS)
    stub.check = lambda *args, **kwargs: None
    stub.evaluate = stub.check
    sys.modules[CHECKS] = stub


def run_submission(cells: list[str], tasks: list[dict], output_limit: int = 20_000) -> dict:
    """Run the cells, then collect each task's answers on its probes (plain data only)."""
    _quiet_checks()
    call, failure_type = collect.collect, collect.Failure  # kept before learner code runs
    output = collect.CappedWriter(output_limit)
    sys.stdout = sys.stderr = output
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    errors = []
    for number, source in enumerate(cells, start=1):
        try:
            code = compile(code_of(source), f"<cell {number}>", "exec")
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
            value = call(task["call"], obj, probe, task["seconds"])
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


POLICY = sandbox.Policy.of(
    warm=(
        "numpy",
        "torch",
        "matplotlib.pyplot",
        *(f"{gdcourse.__name__}.{name}" for name in gdcourse.WARM),
        __name__,
    ),
    prepare=prepare,
    jobs=(run_submission,),
    blocked=(__package__, authoring.__name__),
)
