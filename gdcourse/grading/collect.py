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


def invoke(call: str, obj, probe: dict):
    """Evaluate a task's call expression, e.g. "f(np.array(x), lr)", with f = obj.

    Calls are plain strings so that the grader can send them to the submission's
    process without the task definitions (and their oracles) ever being there.
    """
    env = {"np": np, "f": obj}
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
