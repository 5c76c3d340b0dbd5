"""What runs beside learner code: calling the learner's object on probes, plain data back.

This module is the learner's side of the trust boundary. In a notebook, `gdcourse.checks`
calls `collect` in the learner's own kernel; under `gdcourse grade`, the forked child
(`child.py`) calls it after the submission's cells ran. Either way it only calls the
learner's object and converts what comes back to plain data (numbers, lists, strings), or
to a `Failure` saying what went wrong. It holds no oracle and compares nothing: `judge.py`
does that, in the grader's own process.
"""

from __future__ import annotations

import io
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "PASSED",
    "FAILED",
    "ERROR",
    "TIMEOUT",
    "NOT_IMPLEMENTED",
    "INVALID",
    "Failure",
    "TimeLimitExceeded",
    "time_limit",
    "plain",
    "invoke",
    "HELPERS",
    "batch_pairs",
    "one_number",
    "leaf_tensors",
    "inputs_kept",
    "inputs_kept_list",
    "whole_batches",
    "network",
    "collect",
    "CappedWriter",
]

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # gdcourse/: library frames

# Statuses a task can end with (the grader writes them to grades.csv); a Failure's kind is
# one of the last four.
PASSED, FAILED, ERROR, TIMEOUT, NOT_IMPLEMENTED, INVALID = (
    "passed",
    "failed",
    "error",
    "timeout",
    "not implemented",
    "invalid",
)


@dataclass(frozen=True)
class Failure:
    """What went wrong when calling the learner's object (instead of an answer)."""

    kind: str  # ERROR, TIMEOUT, NOT_IMPLEMENTED or INVALID
    message: str  # e.g. "ZeroDivisionError: division by zero"
    where: str = ""  # the learner's line, e.g. "line 4: return total / n"


class TimeLimitExceeded(Exception):
    """Raised inside the learner's code when it runs past the task's time limit."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after `seconds` of wall-clock time (main thread only)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise TimeLimitExceeded(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def plain(value):
    """Convert an answer to plain data (floats, lists, strings) or raise TypeError.

    Tensors and arrays become nested lists; this is all that crosses from the
    learner's process to the judge.
    """
    if isinstance(value, str | bool) or value is None:
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    if hasattr(value, "detach") and hasattr(value, "tolist"):  # a torch tensor
        return plain(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(f"returned a {type(value).__name__}, which is not a number, array or string")


def _library(filename: str) -> bool:
    """Whether a traceback frame is in gdcourse, an installed package or the standard library."""
    return (
        filename.startswith((PACKAGE_DIR, sys.base_prefix, sys.prefix))
        or "site-packages" in filename
    )


def _where(tb) -> str:
    """The last line of the learner's own code in a traceback, in a short form."""
    frames = [f for f in traceback.extract_tb(tb) if not _library(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"in {frame.name}, line {frame.lineno}{code}"


# ------------------------------------------------------------------ call helpers
# A task's call may wrap the learner's function in one of these: they check what an
# answer must be beyond its value (the leaf tensors themselves, inputs left unchanged)
# and read the accepted forms of an answer. They raise ValueError with a sentence for the
# learner, which the task's detectors recognise.


def batch_pairs(batches, n):
    """batch_slices' answer as the text of its [start, stop] pairs.

    A batch may be a pair, a `slice` or a `range` (each half-open, as the task says);
    None passes through for the judge to name.
    """
    if batches is None:
        return None
    pairs = []
    for item in batches:
        if isinstance(item, slice | range):
            if item.step not in (None, 1):
                raise ValueError(f"a batch is a step-1 range of indices, not {item!r}")
            start = 0 if item.start is None else item.start
            stop = n if item.stop is None else item.stop
        else:
            start, stop = item  # "cannot unpack non-iterable int": a flat list of numbers
        pairs.append([int(start), int(stop)])
    return str(pairs)


def one_number(answer):
    """An answer that must be one number: a list, array or tensor of one raises a sentence.

    None passes through for the judge to name.
    """
    shape = getattr(answer, "shape", None)
    if shape is None and isinstance(answer, list | tuple):
        shape = (len(answer),)
    if shape is not None and len(shape) != 0:
        raise ValueError(
            f"return one number (a float), not a {type(answer).__name__} of shape "
            f"{tuple(shape)}: e.g. float(value) or value.item()"
        )
    return answer


def leaf_tensors(result, names=("w", "b")):
    """The returned tensors as floats, after checking they are the leaves that were trained.

    Autograd trains leaf tensors with requires_grad=True, and backward() fills their .grad:
    an answer computed another way (NumPy, a new tensor each step) has no such leaves.
    """
    if result is None:
        return None
    values = list(result)
    if len(values) != len(names):
        raise ValueError(f"return the {len(names)} tensors ({', '.join(names)}), not {len(values)}")
    for name, value in zip(names, values, strict=True):
        if not (getattr(value, "is_leaf", False) and getattr(value, "requires_grad", False)):
            raise ValueError(
                f"not the leaf tensor: `{name}` must be the tensor you created with "
                "requires_grad=True, updated in place, returned itself (not a float, a "
                "NumPy value or a new tensor computed from it)"
            )
        if value.grad is None:
            raise ValueError(
                f"not the leaf tensor that backward() filled: `{name}.grad` is None, so "
                f"`{name}` was never part of a loss you called backward() on"
            )
    return [float(v.detach()) for v in values]


def inputs_kept(f, names, *args):
    """Call f(*args) and raise if it changed a tensor argument in place (`names`: the first
    arguments' names, for the message)."""
    import torch

    before = [a.clone() if isinstance(a, torch.Tensor) else None for a in args]
    answer = f(*args)
    for name, arg, copy in zip(names, args, before, strict=False):
        if copy is not None and not torch.equal(arg, copy):
            raise ValueError(
                f"your function changed its input `{name}` in place: compute new tensors "
                f"and leave the inputs as they were (no `{name} -= …`, `.mul_()`, `.copy_()`)"
            )
    return answer


def inputs_kept_list(f, name, tensors, *rest):
    """inputs_kept for a function whose first argument is a list of tensors."""
    import torch

    copies = [t.clone() for t in tensors]
    answer = f(tensors, *rest)
    if any(not torch.equal(t, c) for t, c in zip(tensors, copies, strict=True)):
        raise ValueError(
            f"your function changed the tensors of `{name}` in place: return new tensors "
            "and leave the inputs as they were (no `g.mul_()`, `g *= …`)"
        )
    return answer


def whole_batches(f, X, *args, k):
    """Call f(X, *args, k) and raise if a module's forward pass saw all of X's rows at once."""
    import torch

    rows: list[int] = []

    def seen(module, inputs, output):
        first = inputs[0] if inputs else None
        if isinstance(first, torch.Tensor) and first.dim() > 0:
            rows.append(int(first.shape[0]))

    handle = torch.nn.modules.module.register_module_forward_hook(seen)
    try:
        answer = f(X, *args, k)
    finally:
        handle.remove()
    if k > 1 and len(X) in rows:
        raise ValueError(
            f"the whole batch in one forward pass: your model saw all {len(X)} rows at "
            f"once. Call it on each of the k = {k} micro-batches, X.chunk(k), instead"
        )
    return answer


def network(layers, activation):
    """A float64 nn.Sequential of Linear layers with the given [weight, bias] lists, and a
    fresh `activation` ("sigmoid", "tanh" or "relu") between each two: the deep network a
    task hands to the learner's function."""
    import torch

    kinds = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    modules = []
    for i, (weight, bias) in enumerate(layers):
        w = torch.tensor(weight, dtype=torch.float64)
        linear = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(w)
            linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        modules.append(linear)
        if i < len(layers) - 1:
            modules.append(kinds[activation]())
    return torch.nn.Sequential(*modules)


HELPERS = {
    "batch_pairs": batch_pairs,
    "leaf_tensors": leaf_tensors,
    "inputs_kept": inputs_kept,
    "inputs_kept_list": inputs_kept_list,
    "whole_batches": whole_batches,
    "one_number": one_number,
    "network": network,
}


def invoke(call: str, obj, probe: dict):
    """Evaluate a task's call expression, e.g. "f(np.array(x), lr)", with f = obj.

    Calls are plain strings so that the grader can send them to the submission's
    process without the task definitions (and their oracles) ever being there. They may
    use the `HELPERS` above by name.
    """
    env = {"np": np, "f": obj, **HELPERS}
    if "torch" in call:
        import torch

        env["torch"] = torch
    return eval(call, env, dict(probe))  # the expression comes from a task definition


def collect(call: str, obj, probe: dict, seconds: float):
    """Call the learner's object on one probe; return plain data or a Failure."""
    try:
        with time_limit(seconds):
            answer = invoke(call, obj, probe)
        return plain(answer)
    except NotImplementedError as exc:
        return Failure(NOT_IMPLEMENTED, "not implemented yet", _where(exc.__traceback__))
    except TimeLimitExceeded as exc:
        return Failure(TIMEOUT, str(exc), _where(exc.__traceback__))
    except TypeError as exc:
        if str(exc).startswith("returned a "):
            return Failure(INVALID, str(exc))
        return Failure(ERROR, f"TypeError: {exc}", _where(exc.__traceback__))
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the learner's own error
        return Failure(ERROR, f"{type(exc).__name__}: {exc}", _where(exc.__traceback__))


class CappedWriter(io.TextIOBase):
    """A stdout replacement that keeps the first `limit` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.kept, self.total = limit, [], 0

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(text[:room])
        self.total += len(text)
        return len(text)

    def getvalue(self) -> str:
        return "".join(self.kept)
