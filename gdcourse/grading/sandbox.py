"""Run untrusted code in isolated children forked from a warm server.

The server process imports the heavy libraries once (torch limited to one thread
before anything runs, so forking is safe); each job is run in a child forked from it,
so no job pays an interpreter start or the torch import. The child gets a new session,
a fresh temporary directory, a scrubbed environment, resource limits (CPU time, memory,
file size, open files, processes), an unprivileged user when the server runs as root,
the kernel's confinement (`confine`: it reads only the policy's paths, writes only its
own folder, opens no socket and signals nothing outside its own tree), an import guard,
and a wall-clock deadline. It sends back JSON only, so nothing the job does can run code
in the caller. When the child ends, so does everything it started: the server is the
"subreaper" of every process a child leaves behind (however it detached: a new session,
a double fork) and kills them before the slot is used again; the verdict waits for the
child's own exit, not for whoever still holds its pipe.

This module knows nothing of gdcourse: what to import ahead, which packages a child may
not import and which job functions it may run come in a `Policy` (gdcourse's is in
`child.py`). `ForkServerExecutor(policy)` is a `concurrent.futures.Executor` over such a
server. Run as `python -m` this module, it is the server, reading its policy and then
jobs on stdin.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import json
import mmap
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

from . import confine

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
              function is resolved: whatever it had imported of them is forgotten too;
    readable: folders whose whole tree a child may read (see `python_paths`);
    files:    single files a child may read besides;
    listable: folders whose entries (names only) a child may list.
    Nothing else on disk is readable to a child, except its own folder.
    """

    warm: tuple[str, ...] = ()
    prepare: str | None = None
    jobs: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    readable: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    listable: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, *, warm=(), prepare=None, jobs=(), blocked=(), readable=(), files=(), listable=()
    ) -> Policy:
        """A policy from modules, functions and paths (names and strings are what travels)."""
        return cls(
            warm=tuple(warm),
            prepare=function_name(prepare) if prepare else None,
            jobs=tuple(function_name(job) for job in jobs),
            blocked=tuple(blocked),
            readable=tuple(map(str, readable)),
            files=tuple(map(str, files)),
            listable=tuple(map(str, listable)),
        )


SYSTEM = ("/usr", "/lib", "/lib64", "/bin")  # shared libraries and the system's programs


def python_paths(hide=()) -> list[str]:
    """The folders this interpreter runs from and imports from, leaving out any that hold
    a hidden path (a folder on sys.path that also holds a course checkout stays unreadable).
    """
    import site
    import sysconfig

    candidates = [sys.base_prefix, sys.prefix, sys.exec_prefix, *site.getsitepackages()]
    candidates += [sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib")]
    candidates += [entry for entry in sys.path if entry and os.path.isabs(entry)]
    hidden = [os.path.realpath(h) for h in hide]
    found = []
    for path in dict.fromkeys(os.path.realpath(c) for c in candidates if c):
        holds_hidden = any(h == path or h.startswith(path.rstrip(os.sep) + os.sep) for h in hidden)
        if os.path.isdir(path) and not holds_hidden:
            found.append(path)
    return found


UNPRIVILEGED = 61000  # first uid/gid for children when the server runs as root (one per slot)
# Servers on one host must not share children's uids (their children could signal each
# other): a server other than the local grader's takes its own block of this many
# (`ForkServerExecutor(first_uid=...)`; the Dask workers' blocks: `cluster.uid_block`).
UID_BLOCK = 100
RESULT_LIMIT = 8 * 2**20  # bytes of JSON a child may send back
ORPHAN_CHECK = 0.2  # seconds: how often a server whose input closed looks for its parent


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


def _keep_imports_readable() -> list[int]:
    """Let an unprivileged child import from sys.path entries it could not reach by path.

    Python itself may live below a directory only root can enter (here: /root/.pyenv).
    Each import directory is opened while still root, and imports then go through
    /proc/self/fd/N, which reaches the directory without re-checking its ancestors. Done
    once in the server, whose children inherit the descriptors; returns them.
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
    return [int(path.rsplit("/", 1)[1]) for path in mapping.values()]


def _stay_dumpable() -> None:
    """After setuid the kernel hides /proc/self from the process; keep it readable."""
    _libc().prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def _libc():
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _become(uid: int) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _stay_dumpable()


def _close_fds_except(keep) -> None:
    """Close every descriptor above 2 but `keep`: a child holds none of the server's pipes."""
    low = 3
    for fd in sorted(fd for fd in set(keep) if fd >= low):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 20)


def _limit_and_isolate(job: dict, workdir: str, uid: int, keep, confinement) -> None:
    """Apply the child's isolation: session, directory, environment, limits, user, confinement.

    Run as root, each concurrent child gets its own unprivileged uid (one per slot), so
    it can signal neither the grader nor another submission. Whatever the user, the
    confinement then leaves it its own folder to write, the policy's paths to read, no
    sockets, and signals only within its own tree.
    """
    limits = job["limits"]
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
    _close_fds_except({*keep, *confinement.fds})
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, not kills
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    if os.geteuid() == 0:
        os.chown(workdir, uid, uid)
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
        _become(uid)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # output written below Python's level goes nowhere
        os.dup2(devnull, fd)
    os.close(devnull)
    confinement.apply(workdir)
    for fd in confinement.fds:
        os.close(fd)


def _resolve(name: str):
    module_name, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


_current: dict = {}  # in a child: its job's limits and the page its stage is written to
STAGE_BYTES = 256


def limits() -> dict:
    """The resource limits of the job running in this child (empty outside a child)."""
    return dict(_current.get("limits", {}))


def stage(text: str) -> None:
    """Say what the running job is doing ("cell 4"), so that a failure the job cannot
    report itself (a timeout, the CPU-time limit, a crash) names where it happened."""
    page = _current.get("page")
    if page is not None:
        data = text.encode(errors="replace")[: STAGE_BYTES - 1] + b"\0"
        page[: len(data)] = data


def _stage_of(page) -> str:
    return bytes(page[:STAGE_BYTES]).split(b"\0", 1)[0].decode(errors="replace")


def _size(count: int) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"


def limit_message(exc: BaseException) -> str | None:
    """Which resource limit an exception raised in a child means, in words, or None."""
    limit = limits()
    if not limit:
        return None
    text = str(exc)
    if isinstance(exc, MemoryError) or "can't allocate memory" in text:
        return f"went over the {_size(limit['memory_bytes'])} memory limit"
    number = getattr(exc, "errno", None)
    if number == errno.EFBIG:
        return f"went over the {_size(limit['file_bytes'])} limit on the size of a file"
    if number in (errno.EMFILE, errno.ENFILE):
        return f"went over the limit of {limit['open_files']} open files"
    if number == errno.EAGAIN and isinstance(exc, BlockingIOError) and "fork" in repr(exc.args):
        return f"went over the limit of {limit['processes']} processes"
    return None


def _child(job, result_fd, workdir, uid, policy, confinement, keep, page) -> None:
    """In the forked child: isolate, guard imports, run the job, write its JSON result, exit."""
    try:
        _current.update(limits=job["limits"], page=page)
        _limit_and_isolate(job, workdir, uid, {*keep, result_fd}, confinement)
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


def _settle_for_forking() -> None:
    """Make each fork of the warmed-up server cheap.

    Forking copies the page tables of every private page, and exiting tears them down:
    with torch loaded that is ~240 MB in ~60,000 pages, about 20 ms a job. Collapsing
    those regions into 2 MB transparent huge pages (MADV_COLLAPSE, Linux 6.1 and later;
    elsewhere nothing happens) copies 512 times fewer entries (measured here: fork and
    exit from 21.6 to 5.5 ms). `gc.freeze()` keeps the children's garbage collector off
    the server's objects, whose pages it would otherwise copy by touching them.
    """
    import ctypes
    import gc

    gc.collect()
    gc.freeze()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    huge = 1 << 21
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        private_anonymous = fields[1].startswith("rw") and (fields[5:] or [""])[0] in ("", "[heap]")
        if not private_anonymous:
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        start, end = (start + huge - 1) & ~(huge - 1), end & ~(huge - 1)
        if end - start >= huge:
            libc.madvise(start, end - start, 14)  # MADV_HUGEPAGE
            libc.madvise(start, end - start, 25)  # MADV_COLLAPSE (fails harmlessly if absent)


def _children() -> list[int] | None:
    """This process's children, as the kernel lists them (None where it cannot)."""
    pids = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as listing:
                pids.extend(int(pid) for pid in listing.read().split())
    except OSError:
        return None
    return pids


def _sweep(own) -> None:
    """Kill and reap every child of the server that is not a running job's own process.

    The server is a subreaper, so whatever a job left behind (a daemon, a double fork in
    a new session) is its child once its parent is gone. Killing one hands its own
    children to the server in turn, so this repeats until none is left.
    """
    for _ in range(10_000):
        strays = [pid for pid in _children() or () if pid not in own]
        if not strays:
            return
        for pid in strays:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _start_server(first: dict) -> tuple[Policy, confine.Confinement, list[int], list[str]]:
    """Warm up, prepare the confinement, and become the user the children will run as."""
    policy = Policy(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in first["policy"].items()}
    )
    _warm_up(policy)
    confinement = confine.Confinement(policy.readable, policy.files, policy.listable)
    keep = _keep_imports_readable() if os.geteuid() == 0 else []
    _settle_for_forking()
    if first.get("user") is not None:
        _become(int(first["user"]))
    _libc().prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come back to the server
    unenforced = confine.missing(confinement.abi)
    if _children() is None:
        unenforced.append(
            "leftover processes: this kernel does not list a process's children, so a "
            "submission's detached processes are stopped only by their user id"
        )
    if os.geteuid() != 0:
        unenforced.append(
            "processes: without root every submission runs as the grader's own user, so "
            "there is no limit on the number of processes a submission starts"
        )
    return policy, confinement, keep, unenforced


def serve(inp=None, out=None) -> None:
    """Read a policy, then jobs, from `inp`; run each job in a forked child; answer on `out`."""
    inp = inp or os.fdopen(sys.stdin.fileno(), "rb", buffering=0)
    out = out or sys.stdout.buffer
    first = _receive(inp)
    if not isinstance(first, dict) or "policy" not in first:
        raise SystemExit("sandbox: the first message must carry the policy")
    parent = os.getppid()
    first_uid = int(first.get("first_uid") or UNPRIVILEGED)
    policy, confinement, keep, unenforced = _start_server(first)
    _send(out, {"ready": os.getpid(), "unenforced": unenforced})
    selector = selectors.DefaultSelector()
    running: dict[int, dict] = {}  # child pid -> job state
    queue: list[dict] = []
    max_children = 1
    open_input = True

    def start(job):
        read_fd, write_fd = os.pipe()
        workdir = tempfile.mkdtemp(prefix="sandbox-job-")
        slot = min(set(range(max_children)) - {s["slot"] for s in running.values()})
        page = mmap.mmap(-1, STAGE_BYTES)
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(job, write_fd, workdir, first_uid + slot, policy, confinement, keep, page)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        exited = os.pidfd_open(pid)
        running[pid] = {
            "job": job,
            "pipe": read_fd,
            "exited": exited,
            "buffer": bytearray(),
            "dir": workdir,
            "slot": slot,
            "page": page,
            "deadline": time.monotonic() + job["timeout"],
        }
        selector.register(read_fd, selectors.EVENT_READ, ("pipe", pid))
        selector.register(exited, selectors.EVENT_READ, ("exit", pid))

    def read(state, drain=False) -> None:
        """Read what the pipe holds (all of it, when draining after the child's exit)."""
        for _ in range(2 * RESULT_LIMIT // 65536 + 2 if drain else 1):
            try:
                chunk = os.read(state["pipe"], 65536)
            except BlockingIOError:
                return
            if not chunk:
                selector.unregister(state["pipe"])
                state["pipe_done"] = True
                return
            if len(state["buffer"]) < RESULT_LIMIT:
                state["buffer"].extend(chunk)

    def finish(pid, failure=None):
        state = running.pop(pid)
        for fd in (state["pipe"], state["exited"]):
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(fd)
            os.close(fd)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the child and anything it started
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        _sweep(running)  # and anything that escaped its process group
        shutil.rmtree(state["dir"], ignore_errors=True)
        where = _stage_of(state["page"])
        state["page"].close()
        message = {"id": state["job"]["id"]}
        if failure is None:
            try:
                result = json.loads(bytes(state["buffer"]))
                if isinstance(result, dict) and "__sandbox_error__" in result:
                    failure = ("error", result["__sandbox_error__"])
                else:
                    message["result"] = result
            except ValueError:
                failure = ("error", _early_exit(status, state["job"]["limits"], where))
        elif where:
            failure = (failure[0], f"{failure[1]} (it was running {where})")
        if failure is not None:
            message["failure"] = list(failure)
        with contextlib.suppress(BrokenPipeError):  # the grader died: `abandon` follows
            _send(out, message)

    def abandon():
        """The grader is gone (its process died): nobody reads results, so stop every job."""
        for pid, state in list(running.items()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            shutil.rmtree(state["dir"], ignore_errors=True)
        running.clear()
        queue.clear()
        _sweep(())

    selector.register(inp.fileno(), selectors.EVENT_READ, ("input", None))
    while open_input or running or queue:
        if not open_input and os.getppid() != parent:
            abandon()
            break
        while queue and len(running) < max_children:
            start(queue.pop(0))
        now = time.monotonic()
        deadlines = [s["deadline"] for s in running.values()]
        wait = max(0.0, min(deadlines) - now) if deadlines else None
        if not open_input:  # a closed pipe may mean a dead grader: look again soon
            wait = ORPHAN_CHECK if wait is None else min(wait, ORPHAN_CHECK)
        for key, _ in selector.select(wait):
            kind, pid = key.data
            if kind == "input":
                message = _receive(inp)
                if message is None:  # the grader closed the pipe: finish and stop
                    open_input = False
                    selector.unregister(inp.fileno())
                elif "max_children" in message:
                    max_children = int(message["max_children"])
                else:
                    queue.append(message)
            elif pid in running and kind == "pipe":
                read(running[pid])
            elif pid in running:  # the child exited: its result is in the pipe by now
                if not running[pid].get("pipe_done"):
                    read(running[pid], drain=True)
                finish(pid)
        now = time.monotonic()
        for pid, state in list(running.items()):
            if now >= state["deadline"]:
                finish(pid, ("timeout", f"still running after {state['job']['timeout']:g} s"))


def _early_exit(status: int, limits: dict, where: str) -> str:
    """Describe how a child ended without sending a result (and where it was)."""
    at = f" in {where}" if where else ""
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        if name == "SIGXCPU":
            return f"the notebook went over the {limits['cpu_seconds']} s CPU-time limit{at}"
        if name == "SIGKILL":
            return (
                f"the submission's process was killed{at} (the system does this to a "
                f"process that needs more memory than it can have; the limit is "
                f"{_size(limits['memory_bytes'])})"
            )
        return f"the submission's process crashed with {name}{at}"
    return (
        f"the submission's process exited (status {os.WEXITSTATUS(status)}){at} before "
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

    `user`: a server started as root gives up root for this uid once it has warmed up, and
    its children then all run as that one user, as they do under a grader that is not
    root (an instructor's laptop); the tests use it to check that mode.

    `first_uid`: under root, the children's uids are `first_uid + slot` (default
    UNPRIVILEGED); servers that share a host each need their own block of UID_BLOCK.
    """

    def __init__(
        self,
        policy: Policy,
        max_workers: int = 2,
        timeout: float = 30.0,
        limits: dict | None = None,
        user: int | None = None,
        first_uid: int | None = None,
    ):
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a sandbox.Policy, got {type(policy).__name__}")
        if int(max_workers) < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if first_uid is not None and int(max_workers) > UID_BLOCK:
            raise ValueError(f"a server with first_uid has at most {UID_BLOCK} slots")
        self.policy = policy
        self.first_uid = UNPRIVILEGED if first_uid is None else int(first_uid)
        self.max_workers, self.timeout = int(max_workers), float(timeout)
        self.limits = limits or default_limits(timeout)
        self.user = user
        self._unenforced: list[str] = []
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
        first = {"policy": asdict(self.policy), "user": self.user, "first_uid": self.first_uid}
        _send(server.stdin, first)
        hello = _receive(server.stdout)
        if not hello or "ready" not in hello:
            raise RuntimeError("the grading server did not start")
        self._unenforced = list(hello.get("unenforced", []))
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

    @property
    def unenforced(self) -> list[str]:
        """What this machine cannot enforce on a child, a sentence each (starts the server)."""
        with self._lock:
            self._ensure_server()
        return list(self._unenforced)

    @property
    def pid(self) -> int | None:
        """The server's process id (None before the first job, or `unenforced`)."""
        return self._server.pid if self._server is not None else None

    def submit(self, fn, /, *args, **kwargs):
        if kwargs:
            raise TypeError("ForkServerExecutor jobs take positional JSON arguments only")
        return self.submit_with(fn, args)

    def submit_with(self, fn, args, *, timeout: float | None = None, limits: dict | None = None):
        """`submit(fn, *args)` with this job's own wall-clock timeout and limits (default:
        the executor's), for a server shared by callers with other settings."""
        if self._closed:
            raise RuntimeError("cannot submit to a shut-down executor")
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
                "timeout": self.timeout if timeout is None else float(timeout),
                "limits": self.limits if limits is None else limits,
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
    # Serve from the module as jobs import it, not from this `__main__` copy of it, so that
    # a job's `stage()` and `limits()` see the state `_child` set up.
    importlib.import_module(__spec__.name).serve()
