"""Run untrusted code in isolated children forked from a warm server.

The server process imports the heavy libraries once (torch limited to one thread
before anything runs, so forking is safe); each job is run in a child forked from it,
so no job pays an interpreter start or the torch import. The child gets a new session,
a fresh temporary directory, a scrubbed environment, resource limits (CPU time, memory,
file size, open files, processes), an unprivileged user when the server runs as root,
an import guard, and a wall-clock deadline. It sends back JSON only, so nothing the job
does can run code in the caller.

This module knows nothing of gdcourse: what to import ahead, which packages a child may
not import and which job functions it may run come in a `Policy` (gdcourse's is in
`child.py`). `ForkServerExecutor(policy)` is a `concurrent.futures.Executor` over such a
server. Run as `python -m` this module, it is the server, reading its policy and then
jobs on stdin.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import resource
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Executor, Future
from dataclasses import asdict, dataclass

__all__ = [
    "Policy",
    "function_name",
    "ForkServerExecutor",
    "WorkerDied",
    "JobFailed",
    "default_limits",
    "guard_imports",
    "serve",
]


def function_name(function) -> str:
    """The importable name of a module-level function, "module:name" (what a job sends)."""
    name = f"{function.__module__}:{function.__qualname__}"
    if "<" in name or "." in function.__qualname__:
        raise ValueError(f"a job must be a module-level function, got {name}")
    return name


@dataclass(frozen=True)
class Policy:
    """What a server prepares before forking, and what its children may and may not do.

    warm:     modules imported once in the server, so no child pays for them;
    prepare:  a function the server calls once after importing them (or None);
    jobs:     the only functions a child may run;
    blocked:  packages (and everything below them) a child may not import once its job
              function is resolved: whatever it had imported of them is forgotten too.
    """

    warm: tuple[str, ...] = ()
    prepare: str | None = None
    jobs: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()

    @classmethod
    def of(cls, *, warm=(), prepare=None, jobs=(), blocked=()) -> Policy:
        """A policy from modules and functions (their names are what travels)."""
        return cls(
            warm=tuple(warm),
            prepare=function_name(prepare) if prepare else None,
            jobs=tuple(function_name(job) for job in jobs),
            blocked=tuple(blocked),
        )


UNPRIVILEGED = 61000  # first uid/gid for children when the server runs as root (one per slot)
RESULT_LIMIT = 8 * 2**20  # bytes of JSON a child may send back


class WorkerDied(RuntimeError):
    """The server process ended while the job was in flight (it will be restarted)."""


class JobFailed(RuntimeError):
    """The job's child did not produce a result: timeout, crash or early exit."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind  # "timeout" or "error"


# ------------------------------------------------------------------ framing


def _send(stream, message) -> None:
    data = json.dumps(message).encode()
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _read_exact(stream, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _receive(stream):
    """One framed JSON message, or None at end of stream.

    The server reads its input unbuffered, so that select() sees every message.
    """
    header = _read_exact(stream, 4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return json.loads(_read_exact(stream, size))


# ------------------------------------------------------------------ the child


def _is_blocked(name: str, blocked) -> bool:
    return name in blocked or name.startswith(tuple(b + "." for b in blocked))


class _Blocker:
    """Import hook refusing the blocked packages inside a child."""

    def __init__(self, blocked):
        self.blocked = tuple(blocked)

    def find_spec(self, name, path=None, target=None):
        if _is_blocked(name, self.blocked):
            raise ImportError(f"{name} is not available while a submission is graded")
        return None


def _keep_imports_readable() -> None:
    """Let an unprivileged child import from sys.path entries it could not reach by path.

    Python itself may live below a directory only root can enter (here: /root/.pyenv).
    Each import directory is opened while still root, and imports then go through
    /proc/self/fd/N, which reaches the directory without re-checking its ancestors.
    """
    mapping = {}
    for entry in dict.fromkeys(sys.path):
        if entry and os.path.isdir(entry):
            fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY)
            mapping[entry] = f"/proc/self/fd/{fd}"
    sys.path[:] = [mapping.get(entry, entry) for entry in sys.path]
    prefixes = sorted(mapping, key=len, reverse=True)
    for module in list(sys.modules.values()):
        paths = getattr(module, "__path__", None)
        if not isinstance(paths, list):
            continue
        for i, path in enumerate(paths):
            for prefix in prefixes:
                if path == prefix or path.startswith(prefix + os.sep):
                    paths[i] = mapping[prefix] + path[len(prefix) :]
                    break
    sys.path_importer_cache.clear()


def _stay_dumpable() -> None:
    """After setuid the kernel hides /proc/self from the process; keep it readable."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def _limit_and_isolate(workdir: str, limits: dict, slot: int) -> None:
    """Apply the child's isolation: session, directory, environment, limits, user.

    Run as root, each concurrent child gets its own unprivileged uid (one per slot), so
    it can signal neither the grader nor another submission, and can write only in
    its own directory and world-writable places.
    """
    os.setsid()
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(
        {
            "PATH": "/usr/bin:/bin",
            "HOME": workdir,
            "TMPDIR": workdir,
            "LANG": "C.UTF-8",
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1",
        }
    )
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, not kills
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    if os.geteuid() == 0:
        uid = UNPRIVILEGED + slot
        os.chown(workdir, uid, uid)
        _keep_imports_readable()
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        _stay_dumpable()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # output written below Python's level goes nowhere
        os.dup2(devnull, fd)
    os.close(devnull)


def _resolve(name: str):
    module_name, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _child(job: dict, result_fd: int, workdir: str, slot: int, policy: Policy) -> None:
    """In the forked child: isolate, guard imports, run the job, write its JSON result, exit."""
    try:
        _limit_and_isolate(workdir, job["limits"], slot)
        if job["function"] not in policy.jobs:
            raise PermissionError(f"{job['function']} is not a job this server runs")
        function = _resolve(job["function"])  # before the guard: it may live in a blocked package
        guard_imports(policy.blocked)
        result = function(*job["args"])
        data = json.dumps(result).encode()
    except BaseException as exc:  # noqa: BLE001 - anything here is reported, not raised
        data = json.dumps({"__sandbox_error__": f"{type(exc).__name__}: {exc}"}).encode()
    try:
        with os.fdopen(result_fd, "wb") as out:
            out.write(data[:RESULT_LIMIT])
    finally:
        os._exit(0)


def guard_imports(blocked) -> None:
    """Forget and refuse the blocked packages (in the child, before the job runs).

    Functions already resolved keep working (they hold their modules' globals); what the
    job's untrusted code imports by name is refused.
    """
    for name in list(sys.modules):
        if _is_blocked(name, blocked):
            del sys.modules[name]
    sys.meta_path.insert(0, _Blocker(blocked))


# ------------------------------------------------------------------ the server


def _warm_up(policy: Policy) -> None:
    """Import the policy's modules once, single-threaded, before any child is forked."""
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["OMP_NUM_THREADS"] = "1"  # forking a process with live thread pools is unsafe
    for name in policy.warm:
        importlib.import_module(name)
    if policy.prepare:
        _resolve(policy.prepare)()


def serve(inp=None, out=None) -> None:
    """Read a policy, then jobs, from `inp`; run each job in a forked child; answer on `out`."""
    inp = inp or os.fdopen(sys.stdin.fileno(), "rb", buffering=0)
    out = out or sys.stdout.buffer
    first = _receive(inp)
    if not isinstance(first, dict) or "policy" not in first:
        raise SystemExit("sandbox: the first message must carry the policy")
    policy = Policy(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in first["policy"].items()}
    )
    _warm_up(policy)
    _send(out, {"ready": os.getpid()})
    selector = selectors.DefaultSelector()
    running: dict[int, dict] = {}  # read fd -> job state
    queue: list[dict] = []
    max_children = 1
    open_input = True

    def start(job):
        read_fd, write_fd = os.pipe()
        workdir = tempfile.mkdtemp(prefix="sandbox-job-")
        slot = min(set(range(max_children)) - {s["slot"] for s in running.values()})
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(job, write_fd, workdir, slot, policy)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        running[read_fd] = {
            "job": job,
            "pid": pid,
            "buffer": bytearray(),
            "dir": workdir,
            "slot": slot,
            "deadline": time.monotonic() + job["timeout"],
        }
        selector.register(read_fd, selectors.EVENT_READ)

    def finish(read_fd, failure=None):
        state = running.pop(read_fd)
        selector.unregister(read_fd)
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(state["pid"], signal.SIGKILL)  # the child and anything it started
        _, status = os.waitpid(state["pid"], 0)
        shutil.rmtree(state["dir"], ignore_errors=True)
        message = {"id": state["job"]["id"]}
        if failure is None:
            try:
                result = json.loads(bytes(state["buffer"]))
                if isinstance(result, dict) and "__sandbox_error__" in result:
                    failure = ("error", result["__sandbox_error__"])
                else:
                    message["result"] = result
            except ValueError:
                failure = ("error", _early_exit(status))
        if failure is not None:
            message["failure"] = list(failure)
        _send(out, message)

    selector.register(inp.fileno(), selectors.EVENT_READ)
    while open_input or running or queue:
        while queue and len(running) < max_children:
            start(queue.pop(0))
        now = time.monotonic()
        deadlines = [s["deadline"] for s in running.values()]
        wait = max(0.0, min(deadlines) - now) if deadlines else None
        for key, _ in selector.select(wait):
            if key.fd == inp.fileno():
                message = _receive(inp)
                if message is None:  # the grader closed the pipe: finish and stop
                    open_input = False
                    selector.unregister(inp.fileno())
                elif "max_children" in message:
                    max_children = int(message["max_children"])
                else:
                    queue.append(message)
                continue
            state = running.get(key.fd)
            if state is None:
                continue
            chunk = os.read(key.fd, 65536)
            if chunk and len(state["buffer"]) < RESULT_LIMIT:
                state["buffer"].extend(chunk)
            elif not chunk:
                finish(key.fd)
        now = time.monotonic()
        for fd, state in list(running.items()):
            if now >= state["deadline"]:
                finish(fd, ("timeout", f"still running after {state['job']['timeout']:g} s"))


def _early_exit(status: int) -> str:
    """Describe how a child ended without sending a result."""
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        reason = {"SIGXCPU": "it used up its CPU-time limit", "SIGKILL": "it was killed"}
        return f"the submission's process ended by {name} ({reason.get(name, 'a signal')})"
    return (
        f"the submission's process exited (status {os.WEXITSTATUS(status)}) before "
        "grading finished, e.g. through os._exit()"
    )


# ------------------------------------------------------------------ the executor


def default_limits(timeout: float) -> dict:
    """Resource limits for each child: generous for exercises, fatal for bombs."""
    return {
        "cpu_seconds": max(2, int(timeout) + 2),
        "memory_bytes": 3 * 2**30,  # address space, above the ~0.7 GB torch already maps
        "file_bytes": 16 * 2**20,
        "open_files": 256,
        "processes": 64,
    }


class ForkServerExecutor(Executor):
    """Runs jobs with JSON arguments in children of a warm server that follows `policy`.

    `submit(fn, *args)` needs a module-level function the policy lists as a job, whose
    arguments and return value are JSON data; the future's result is the function's return
    value, or raises JobFailed (timeout, crash, early exit) or WorkerDied (the server itself
    died; a new one is started for later jobs).
    """

    def __init__(
        self,
        policy: Policy,
        max_workers: int = 2,
        timeout: float = 30.0,
        limits: dict | None = None,
    ):
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a sandbox.Policy, got {type(policy).__name__}")
        if int(max_workers) < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        self.policy = policy
        self.max_workers, self.timeout = int(max_workers), float(timeout)
        self.limits = limits or default_limits(timeout)
        self._lock = threading.Lock()
        self._futures: dict[int, Future] = {}
        self._next_id = 0
        self._server = None
        self._closed = False

    def _ensure_server(self):
        if self._server is not None and self._server.poll() is None:
            return self._server
        server = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        _send(server.stdin, {"policy": asdict(self.policy)})
        hello = _receive(server.stdout)
        if not hello or "ready" not in hello:
            raise RuntimeError("the grading server did not start")
        _send(server.stdin, {"max_children": self.max_workers})
        self._server = server
        threading.Thread(target=self._read, args=(server,), daemon=True).start()
        return server

    def _read(self, server):
        while True:
            try:
                message = _receive(server.stdout)
            except (OSError, ValueError):
                message = None
            if message is None:
                break
            future = self._futures.pop(message["id"], None)
            if future is None:
                continue
            if "failure" in message:
                future.set_exception(JobFailed(*message["failure"]))
            else:
                future.set_result(message["result"])
        server.wait()
        with self._lock:
            lost = [f for f in self._futures.values() if getattr(f, "_server", None) is server]
            for job_id in [i for i, f in self._futures.items() if f in lost]:
                del self._futures[job_id]
        for future in lost:
            future.set_exception(WorkerDied("the grading server stopped during this job"))

    def submit(self, fn, /, *args, **kwargs):
        if self._closed:
            raise RuntimeError("cannot submit to a shut-down executor")
        if kwargs:
            raise TypeError("ForkServerExecutor jobs take positional JSON arguments only")
        name = function_name(fn)
        if name not in self.policy.jobs:
            raise ValueError(f"{name} is not a job of this executor's policy")
        future = Future()
        with self._lock:
            server = self._ensure_server()
            job_id = self._next_id
            self._next_id += 1
            future._server = server
            self._futures[job_id] = future
            job = {
                "id": job_id,
                "function": name,
                "args": list(args),
                "timeout": self.timeout,
                "limits": self.limits,
            }
            try:
                _send(server.stdin, job)
            except (BrokenPipeError, OSError):
                del self._futures[job_id]
                future.set_exception(WorkerDied("the grading server is not running"))
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._closed = True
        server = self._server
        if server is not None and server.poll() is None:
            with contextlib.suppress(OSError):
                server.stdin.close()
            if wait:
                try:
                    server.wait(timeout=self.timeout + 10)
                except subprocess.TimeoutExpired:
                    server.kill()


if __name__ == "__main__":
    serve()
