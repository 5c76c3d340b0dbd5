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

import errno
import functools
import sys
import types
from pathlib import Path

import gdcourse

from .. import authoring
from . import collect, sandbox

__all__ = [
    "POLICY",
    "prepare",
    "run_submission",
    "code_of",
    "NotebookShell",
    "notebook_namespace",
    "unenforced_here",
]

# The module a notebook's `check(...)` lines import; inside grading it is a silent stub.
CHECKS = f"{gdcourse.__name__}.checks"


def prepare() -> None:
    """Run once in the server before any child: one thread, torch.optim's first-use cost, and
    the input transformer.

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
    _transformer()


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
    namespace = notebook_namespace()
    errors = []
    for number, source in enumerate(cells, start=1):
        sandbox.stage(f"cell {number}")
        try:
            code = compile(code_of(source), f"<cell {number}>", "exec")
            exec(code, namespace)
        except (Exception, SystemExit, KeyboardInterrupt) as exc:
            errors.append(_error_line(exc, number))
    answers = {}
    for task in tasks:
        obj = namespace.get(task["id"])
        if not callable(obj):
            answers[task["id"]] = {"missing": f"no function named {task['id']} was defined"}
            continue
        sandbox.stage(f"a call of {task['id']}")
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


def _error_line(exc: BaseException, number: int) -> str:
    """One sentence for an error a cell raised; a resource limit is named as such."""
    name = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    limit = sandbox.limit_message(exc)
    if limit:
        return f"the notebook {limit} in cell {number} ({name})"
    if isinstance(exc, PermissionError) and exc.errno == errno.EPERM:
        return f"cell {number} tried something a graded notebook may not do ({name})"
    where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
    return f"cell {number}{where} raised {name}"


def _installed_as_library() -> bool:
    """Whether gdcourse lies in a library folder (site-packages) rather than a checkout."""
    import site
    import sysconfig

    folders = [*site.getsitepackages(), *(sysconfig.get_path(n) for n in ("purelib", "platlib"))]
    parent = Path(gdcourse.__file__).resolve().parent.parent
    return any(parent == Path(folder).resolve() for folder in folders)


def _readable() -> dict:
    """What a child may read: Python and its libraries, and of gdcourse only the learner's
    modules (not the course checkout around them: solutions, tests, task definitions).

    When gdcourse is installed in a library folder rather than run from a checkout, its
    grading code lies in a folder the child must read to import anything; that folder
    cannot be hidden, and `unenforced_here` says so.
    """
    package = Path(gdcourse.__file__).resolve().parent
    learner = [package / f"{name}.py" for name in ("__init__", *gdcourse.LEARNER_API)]
    cached = [p for m in learner for p in (package / "__pycache__").glob(f"{m.stem}.*.pyc")]
    hide = [] if _installed_as_library() else [package.parent]
    return {
        "readable": (*sandbox.python_paths(hide=hide), *sandbox.SYSTEM),
        "files": tuple(map(str, learner + cached)),
        "listable": (str(package), str(package / "__pycache__")),
    }


def unenforced_here() -> list[str]:
    """What the policy itself cannot hide on this installation (see `_readable`)."""
    if _installed_as_library():
        folder = Path(gdcourse.__file__).resolve().parent.parent
        return [
            f"files: gdcourse is installed in {folder}, a library folder that submissions "
            "must read, so they can read its task definitions; grade from a course checkout"
        ]
    return []


POLICY = sandbox.Policy.of(
    warm=(
        "numpy",
        "torch",
        "matplotlib.pyplot",
        "IPython.core.inputtransformer2",
        *(f"{gdcourse.__name__}.{name}" for name in gdcourse.WARM),
        __name__,
    ),
    prepare=prepare,
    jobs=(run_submission,),
    blocked=(__package__, authoring.__name__),
    **_readable(),
)
