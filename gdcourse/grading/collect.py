"""What runs beside learner code: calling the learner's object on probes, plain data back.

This module is the learner's side of the trust boundary. In a notebook, `gdcourse.checks`
calls `collect` in the learner's own kernel; under `gdcourse grade`, the forked child
(`child.py`) calls it after the submission's cells ran. Either way it only calls the
learner's object and converts what comes back to plain data (numbers, lists, strings), or
to a `Failure` saying what went wrong. It holds no oracle and compares nothing: `judge.py`
does that, in the grader's own process.
"""

from __future__ import annotations

import ast
import functools
import inspect
import io
import re
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
    "held_out_run",
    "called_as",
    "SIGNATURE",
    "signature_mismatch",
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


# The capstone's training run (exercise 13, held_out_run): features in very different units,
# so that a run without standardisation does not learn in the time given
RUN_SIZES = (400, 150, 300)  # training, validation (both given), test (never given)
RUN_SCALES = (1.0, 100.0, 0.01, 10.0, 1000.0)
RUN_OFFSETS = (5.0, -300.0, 0.5, 40.0, 2000.0)
# statistics codes in held_out_run's answer
TRAIN_STATS, ALL_STATS, OWN_STATS, NO_STATS, OTHER_STATS = 0.0, 1.0, 2.0, 3.0, 4.0


def run_data(seed):
    """The capstone's splits: ((X, y) training, validation, test) as float32 tensors, from
    gdcourse.data.regression5 with its features rescaled (RUN_SCALES, RUN_OFFSETS)."""
    import torch

    from .. import data

    n_train, n_val, n_test = RUN_SIZES
    X, y = data.regression5(n_train + n_val + n_test, noise=0.1, seed=seed)
    X = torch.tensor(X * np.array(RUN_SCALES) + np.array(RUN_OFFSETS), dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
    cuts = (0, n_train, n_train + n_val, n_train + n_val + n_test)
    return tuple((X[a:b], y[a:b]) for a, b in zip(cuts, cuts[1:], strict=False))


def run_model(seed):
    """The capstone's model, initialised from the seed: 5 → 32 → 1 with ReLU and dropout."""
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(5, 32), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(32, 1)
    )


def _statistics(Z, X_val, X_train):
    """Which statistics standardised the validation rows the model saw (Z) from X_val."""
    both = np.concatenate([X_train, X_val])
    candidates = [(NO_STATS, np.zeros(X_val.shape[1]), np.ones(X_val.shape[1]))]
    for code, source in ((TRAIN_STATS, X_train), (ALL_STATS, both), (OWN_STATS, X_val)):
        for ddof in (0, 1):  # np.std / torch's correction=0, or torch's default n − 1
            candidates.append((code, source.mean(axis=0), source.std(axis=0, ddof=ddof)))
    scale = 1.0 + float(np.max(np.abs(Z)))
    for code, mean, std in candidates:
        if np.max(np.abs(Z - (X_val - mean) / std)) <= 1e-4 * scale:
            return code
    return OTHER_STATS


def held_out_run(f, seed):
    """Run the learner's training function once and measure what only the run shows.

    f(model, X_train, y_train, X_val, y_val) trains `model` and returns the validation loss
    it measured. Hooks on the model's first layer see every forward pass (its mode, whether
    gradients were on, the rows it saw) and every gradient; a global optimizer hook sees each
    step. From the one forward pass over all the validation rows the learner's
    standardisation is read (per feature, affine), and applied to the TEST rows the learner
    never gets. Returns [test loss, returned loss, validation loss, training loss (the last
    three of the trained model in eval mode), validation rows trained on (0/1), statistics
    code, validation evaluated in training mode (0/1), gradients accumulated across steps
    (0/1)]; None passes through for the judge to name.
    """
    import torch
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    (X_tr, y_tr), (X_val, y_val), (X_te, y_te) = run_data(seed)
    model = run_model(seed)
    first = model[0]
    passes, last_grad, accumulated = [], [], []

    def seen(module, inputs):
        x = inputs[0]
        passes.append((model.training, torch.is_grad_enabled(), x.detach().double().clone()))

    def before_step(optimizer, args, kwargs):
        if first.weight.grad is not None and last_grad:
            accumulated.append(not torch.allclose(first.weight.grad, last_grad[-1]))

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: more threads only wait for each other
    hooks = [
        first.register_forward_pre_hook(seen),
        first.weight.register_hook(lambda g: last_grad.append(g.detach().clone())),
        register_optimizer_step_pre_hook(before_step),
    ]
    try:
        returned = f(model, X_tr.clone(), y_tr.clone(), X_val.clone(), y_val.clone())
    finally:
        for hook in hooks:
            hook.remove()
        torch.set_num_threads(threads)
    if returned is None:
        return None
    returned = float(returned)
    n_val = len(X_val)
    evaluations = [p for p in passes if len(p[2]) == n_val]
    if not evaluations and any(
        len(x) == len(X_tr) and not (mode and grad) for mode, grad, x in passes
    ):
        raise ValueError(
            f"you evaluated the model on the training rows only, never on the {n_val} "
            "validation rows: evaluate it on the whole of X_val in one call"
        )
    if not evaluations:
        raise ValueError(
            f"no forward pass over all {n_val} validation rows at once: evaluate the model "
            "on the whole of X_val in one call, under torch.no_grad()"
        )
    training = [p[2] for p in passes if p[1] and len(p[2]) != n_val]
    if not training:
        raise ValueError(
            "the model you were given never trained: no forward pass with gradients "
            "on the training rows (train `model` itself, do not build another one)"
        )
    in_training_mode, _, Z = evaluations[-1]
    Xv, Xt = X_val.double().numpy(), X_tr.double().numpy()
    Z = Z.numpy()
    # the learner's standardisation, feature by feature: Z = a·X + c
    a = ((Z - Z.mean(0)) * (Xv - Xv.mean(0))).sum(0) / ((Xv - Xv.mean(0)) ** 2).sum(0)
    c = Z.mean(0) - a * Xv.mean(0)
    val_rows = torch.tensor(a * Xv + c)
    leaked = any(
        torch.cdist(rows, val_rows, p=float("inf")).min() <= 1e-4 * (1 + rows.abs().max())
        for rows in training
    )
    model.eval()
    with torch.no_grad():

        def loss(X, y):
            inputs = torch.tensor(a * X.double().numpy() + c, dtype=torch.float32)
            return float(torch.nn.functional.mse_loss(model(inputs), y))

        losses = [loss(X_te, y_te), returned, loss(X_val, y_val), loss(X_tr, y_tr)]
    return losses + [
        float(leaked),
        _statistics(Z, Xv, Xt),
        float(in_training_mode),
        float(any(accumulated)),
    ]


HELPERS = {
    "batch_pairs": batch_pairs,
    "leaf_tensors": leaf_tensors,
    "inputs_kept": inputs_kept,
    "inputs_kept_list": inputs_kept_list,
    "whole_batches": whole_batches,
    "one_number": one_number,
    "network": network,
    "held_out_run": held_out_run,
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


# ------------------------------------------------------------------ a wrong signature
# What each helper passes to the learner's function, where its arguments do not say it.
CALLED_WITH = {"held_out_run": ("model", "X_train", "y_train", "X_val", "y_val")}
MADE_BY = {"network": "model"}  # helpers that build an argument: what the learner gets


def _argument_name(node) -> str:
    """The probe name an argument of a call expression carries: `x` in `np.array(x)`,
    `torch.tensor(x, dtype=…)`, `list(x)`, `[torch.tensor(g) for g in x]`,
    `None if x is None else torch.tensor(x)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MADE_BY:
        return MADE_BY[node.func.id]
    if isinstance(node, ast.Call) and node.args:
        return _argument_name(node.args[0])
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        return _argument_name(node.generators[0].iter)
    if isinstance(node, ast.IfExp):
        return _argument_name(node.orelse)
    return "…"


@functools.cache
def called_as(call: str) -> tuple[str, ...] | None:
    """The names of the arguments a task's call expression gives the learner's function `f`,
    in order (None when it cannot tell): "f(np.array(x), lr)" gives ("x", "lr")."""
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name) and node.func.id == "f":
            args = [_argument_name(a) for a in node.args]
            return tuple(args + [k.arg for k in node.keywords if k.arg])
        passed = [i for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id == "f"]
        if passed and isinstance(node.func, ast.Name):
            helper = node.func.id
            if helper in CALLED_WITH:
                return CALLED_WITH[helper]
            rest = [
                a for a in node.args[passed[0] + 1 :] if not isinstance(a, ast.Constant | ast.Tuple)
            ]
            args = [_argument_name(a) for a in rest]
            return tuple(args + [_argument_name(k.value) for k in node.keywords if k.arg])
    return None


SIGNATURE = "your function takes"  # how signature_mismatch's sentence starts
_BINDING = re.compile(
    r"^(?:[\w<>]+\.)*([\w<>]+)\(\) (?:takes|missing|got an unexpected|got multiple)"
)


def _parameter(parameter: inspect.Parameter) -> str:
    if parameter.kind is parameter.VAR_POSITIONAL:
        return f"*{parameter.name}"
    if parameter.kind is parameter.VAR_KEYWORD:
        return f"**{parameter.name}"
    if parameter.default is parameter.empty:
        return parameter.name
    default = repr(parameter.default)
    return f"{parameter.name}={default if len(default) <= 12 else '…'}"


def signature_mismatch(exc: TypeError, obj, call: str, name: str = "") -> str | None:
    """A sentence naming the expected signature when `exc` is Python refusing the task's
    call of `obj` itself (too many or too few arguments), not an error inside it; else None.

    "your function takes 4 parameters (params, grad, buf, lr): the task calls it as
    momentum_step(params, grad, buf, lr, momentum)" (`name`: the task's, else the function's)
    """
    match = _BINDING.match(str(exc))
    own = getattr(obj, "__name__", "")
    if match is None or match.group(1) != own or not inspect.isfunction(obj):
        return None
    innermost = traceback.extract_tb(exc.__traceback__)[-1:]
    code = obj.__code__
    if innermost and (innermost[0].filename, innermost[0].name) == (code.co_filename, own):
        return None  # raised inside the function: a call it makes, not the task's call of it
    parameters = list(inspect.signature(obj).parameters.values())
    shown = ", ".join(map(_parameter, parameters))
    count = len(parameters)
    takes = f"{count} parameter{'s' if count != 1 else ''} ({shown})" if count else "no parameters"
    names = called_as(call)
    caller = name or (own if own.isidentifier() else "f")
    if names is None:
        return f"{SIGNATURE} {takes}, which does not fit how the task calls it ({exc})"
    return f"{SIGNATURE} {takes}: the task calls it as {caller}({', '.join(names)})"


def collect(call: str, obj, probe: dict, seconds: float, name: str = ""):
    """Call the learner's object on one probe; return plain data or a Failure (`name`: the
    task's function name, for a sentence about its parameters)."""
    if "torch" in call:
        # Import torch before the clock starts: its first import takes seconds on a slow
        # or busy machine, and an import the time limit interrupts leaves torch half
        # registered, so every later `import torch` in the process fails.
        import torch  # noqa: F401
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
        mismatch = signature_mismatch(exc, obj, call, name)
        if mismatch:
            return Failure(ERROR, mismatch)
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
