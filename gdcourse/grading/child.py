"""What a forked grading child does with a submission, and the sandbox policy it runs under.

The child executes the notebook's code cells, then calls the learner's functions on the
probes it was given (`runner.run_cells`, through `collect`) and returns plain data. It
holds no oracle and compares nothing: the grader judges the returned data in its own
process.

`POLICY` is gdcourse's sandbox policy, written with module objects rather than strings so
that moving a module moves the policy with it: the server imports the learner API ahead,
and a submission may import neither `gdcourse.grading` (task definitions, oracles, the
grader) nor `gdcourse.authoring` (maintainer tools).
"""

from __future__ import annotations

import errno
from pathlib import Path

import gdcourse

from .. import authoring
from . import runner, sandbox
from .runner import CHECKS, NotebookShell, code_of, notebook_namespace

__all__ = [
    "POLICY",
    "CHECKS",
    "prepare",
    "run_submission",
    "code_of",
    "NotebookShell",
    "notebook_namespace",
    "unenforced_here",
]


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
    code_of("")  # builds IPython's input transformer once, here


def run_submission(cells: list[str], tasks: list[dict], output_limit: int = 20_000) -> dict:
    """The sandbox's job: `runner.run_cells`, saying each stage to the sandbox and naming a
    resource limit that stopped a cell."""
    return runner.run_cells(cells, tasks, output_limit, stage=sandbox.stage, describe=_error_line)


def _error_line(exc: BaseException, number: int) -> str:
    """One sentence for an error a cell raised; a resource limit is named as such."""
    name = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    limit = sandbox.limit_message(exc)
    if limit:
        return f"the notebook {limit} in cell {number} ({name})"
    if isinstance(exc, PermissionError) and exc.errno == errno.EPERM:
        return f"cell {number} tried something a graded notebook may not do ({name})"
    return runner.error_line(exc, number)


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
