"""Running a notebook's code cells as the grader does, then collecting the answers.

This is the learner's side of the trust boundary, like `collect`: it runs the
submission's cells as IPython would (`code_of`, `NotebookShell`) in a fresh namespace,
then calls each task's function on the probes it was given through `collect`, and
returns plain data. It holds no oracle, imports no task and compares nothing.

Two callers run it: the grader's sandboxed child (`child.run_submission`, in a child
forked from the sandbox's server) and, in the student hand-out, which has no sandbox,
`validate`/`progress` in a plain fresh interpreter (`python -m` this module, `main`).
"""

from __future__ import annotations

import functools
import importlib.abc
import json
import sys
import types
from collections.abc import Callable

from . import collect

__all__ = [
    "CHECKS",
    "CHECKS_NAMES",
    "code_of",
    "NotebookShell",
    "notebook_namespace",
    "run_cells",
    "error_line",
    "BLOCKED",
    "main",
]

# The module a notebook's `check(...)` lines import; inside grading it is a silent stub.
CHECKS = f"{__package__.rpartition('.')[0]}.checks"
# What an exercise notebook imports from it (`checks.__all__`: tests/grading/test_policy.py
# compares), each a silent no-op while graded: its first cell's `handed_out(...)` too.
CHECKS_NAMES = (
    "check",
    "evaluate",
    "hint",
    "hint_text",
    "validate",
    "progress",
    "handed_out",
    "installed_version",
)
# What a notebook may not import while it runs here (as `child.POLICY.blocked` in the
# sandbox): the grading and authoring packages.
BLOCKED = (__package__, f"{__package__.rpartition('.')[0]}.authoring")


def code_of(source: str) -> str:
    """A cell's Python as IPython would run it (IPython's own input transformer).

    Magics and shell escapes become calls on `get_ipython()` (`%%time` becomes
    `get_ipython().run_cell_magic('time', '', body)`), which `NotebookShell` answers.
    """
    return _transformer().transform_cell(source)


@functools.cache
def _transformer():
    """One transformer for every cell (building one costs more than transforming a cell)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


class _Captured:
    """What `%%capture name` binds `name` to: the body ran, nothing was shown."""

    stdout = stderr = ""
    outputs: tuple = ()

    def show(self) -> None:
        return None


class NotebookShell:
    """What `get_ipython()` returns while a submission is graded.

    Enough of IPython's shell that a notebook which ran in JupyterLab runs the same here:
    the magics that time or capture a statement or a cell run it; every other magic
    (`%matplotlib`, `%load_ext`, `%%html`, …) does nothing; a shell escape (`!pip …`)
    never runs a shell.
    """

    RUNS_CODE = frozenset({"time", "timeit", "capture", "prun"})

    def __init__(self, namespace: dict):
        self.user_ns = namespace

    def _run(self, code: str, name: str) -> None:
        exec(compile(code_of(code), f"<%{name}>", "exec"), self.user_ns)

    def run_cell_magic(self, name: str, line: str, body: str):
        if name in self.RUNS_CODE:
            self._run(body, f"%{name}")
            if name == "capture" and line.split():
                self.user_ns[line.split()[0]] = _Captured()
        return None

    def run_line_magic(self, name: str, line: str):
        if name in self.RUNS_CODE:
            self._run(line, name)
        return None

    def system(self, command: str) -> None:
        return None

    def getoutput(self, command: str) -> list:
        return []


def _no_input(prompt: str = "") -> str:
    raise EOFError("input() gets no answer while the notebook is graded")


def _display(*objects, **options) -> None:
    return None


def notebook_namespace() -> dict:
    """The globals a submission's cells run in: a notebook's, with no keyboard and no screen."""
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    shell = NotebookShell(namespace)
    namespace.update(get_ipython=lambda: shell, display=_display, input=_no_input)
    return namespace


def _quiet_checks() -> None:
    """Inside grading, the notebook's `check(...)`, `hint(...)`, `validate()` and `progress()`
    lines do nothing (a notebook that validates itself is not validated again while it runs)."""
    stub = types.ModuleType(CHECKS)
    for name in CHECKS_NAMES:
        setattr(stub, name, lambda *args, **kwargs: None)
    sys.modules[CHECKS] = stub


def run_cells(
    cells: list[str],
    tasks: list[dict],
    output_limit: int = 20_000,
    *,
    stage: Callable[[str], None] = lambda text: None,
    describe: Callable[[BaseException, int], str] | None = None,
) -> dict:
    """Run the cells, then collect each task's answers on its probes (plain data only).

    `stage` says what runs now (the sandbox's `stage`, which names where a timeout
    struck); `describe` turns an error a cell raised into a sentence (default
    `error_line`).
    """
    describe = describe or error_line
    _quiet_checks()
    call, failure_type = collect.collect, collect.Failure  # kept before learner code runs
    output = collect.CappedWriter(output_limit)
    sys.stdout = sys.stderr = output
    namespace = notebook_namespace()
    errors = []
    for number, source in enumerate(cells, start=1):
        stage(f"cell {number}")
        try:
            code = compile(code_of(source), f"<cell {number}>", "exec")
            exec(code, namespace)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            errors.append(describe(exc, number))
    answers = {}
    for task in tasks:
        obj = namespace.get(task["id"])
        if not callable(obj):
            answers[task["id"]] = {"missing": f"no function named {task['id']} was defined"}
            continue
        stage(f"a call of {task['id']}")
        results = []
        for probe in task["probes"]:
            value = call(task["call"], obj, probe, task["seconds"], task["id"])
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


def error_line(exc: BaseException, number: int) -> str:
    """One sentence for an error a cell raised."""
    name = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
    return f"cell {number}{where} raised {name}"


class _Refuse(importlib.abc.MetaPathFinder):
    """Refuses the BLOCKED packages, with the sandbox's own words."""

    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ImportError(f"{name} is not available while a submission is graded")
        return None


def main() -> None:
    """`python -m gdcourse.grading.runner RESULT`: read {"cells", "tasks"} as JSON on stdin,
    run them as `run_cells` does, write the result as JSON to the file RESULT.

    The plain-interpreter way of running a notebook as the grader would, where the
    sandbox is not there (the student hand-out): a fresh process, the import guard, no
    confinement (it is the learner's own work, on the learner's own machine).
    """
    job = json.loads(sys.stdin.read())
    result_path = sys.argv[1]
    for name in list(sys.modules):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED) and name != __spec__.name:
            del sys.modules[name]
    sys.meta_path.insert(0, _Refuse())
    result = run_cells(job["cells"], job["tasks"])
    with open(result_path, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
