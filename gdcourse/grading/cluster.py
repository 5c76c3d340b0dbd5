"""Grading on a Dask cluster: `gdcourse grade … --scheduler ADDRESS` or `--dask N`.

Only step 3 of the pipeline (run) moves; survey, choose, plan, judge and record stay in
the grader's process, so rows, feedback, resume, the secret's hidden probes and the term
store are the same as a local run's.

- `SandboxPlugin`, a Dask `WorkerPlugin` registered once per cluster, gives each worker
  one warm `sandbox.ForkServerExecutor` (started in `setup`, stopped in `teardown`) with
  a slot per worker thread. A submission never runs in the worker process itself:
  `run_on_worker`, the task, forwards the job to that worker's own server and returns
  the child's plain JSON (or the failure, as data).
- `DaskExecutor` is a `concurrent.futures.Executor` over a `distributed.Client`, so
  `pipeline.run` drives it as it drives the local server. Only the job's plain data
  travels (cells, each task's id, call, seconds and probes): no oracle, no secret.
  Tasks are impure (`pure=False`): two identical notebooks are two jobs.
- A worker that dies while grading is Dask's business: the task goes to another worker,
  up to `distributed.scheduler.allowed-failures` times; after that (`KilledWorker`) the
  submission gets `error` rows saying so (`LOST`), and the batch goes on.
- Children's user ids (when the worker runs as root) are unique per host: each worker's
  server locks a block of `sandbox.UID_BLOCK` ids (`uid_block`, a lock file per block in
  the host's temporary folder, or in $GDCOURSE_UID_LOCKS where jobs on one host get
  private temporary folders; held while the worker lives; block 0 is left to a local
  `gdcourse grade`).

`distributed` is the optional extra `dask` (`pip install -e '.[dask]'`); nothing else in
gdcourse imports this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import tempfile
import uuid
from concurrent.futures import Executor, Future
from pathlib import Path

from distributed import Client, LocalCluster, WorkerPlugin, get_worker
from distributed.scheduler import KilledWorker

from . import child, sandbox

__all__ = [
    "PLUGIN",
    "LOST",
    "SandboxPlugin",
    "DaskExecutor",
    "run_on_worker",
    "uid_block",
    "local_cluster",
    "connect",
]

PLUGIN = "gdcourse-sandbox"
BLOCKS = range(1, 45)  # 61100 … 65499: below 65534 (nobody); 44 workers a host
LOST = (
    "the grading machine running this notebook stopped, on every attempt (Dask's "
    "KilledWorker), so it was not graded; your instructor can grade it again"
)


def uid_block(folder=None) -> tuple[int, int]:
    """The first uid of a block no other server on this host holds, and the descriptor
    of its lock file (the block is held while it stays open, and freed when the process
    ends, however it ends). The lock files are in `folder`, else $GDCOURSE_UID_LOCKS, else
    the temporary folder: one every worker on the host sees."""
    folder = Path(folder or os.environ.get("GDCOURSE_UID_LOCKS") or tempfile.gettempdir())
    for block in BLOCKS:
        try:
            fd = os.open(folder / f"gdcourse-uids-{block}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # another user's lock file: theirs
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return sandbox.UNPRIVILEGED + block * sandbox.UID_BLOCK, fd
    raise RuntimeError(f"every block of sandbox user ids on this host is taken ({len(BLOCKS)})")


class SandboxPlugin(WorkerPlugin):
    """One warm fork server per Dask worker, a slot per worker thread."""

    idempotent = True  # registering it again (another `grade` run) keeps the running servers
    name = PLUGIN

    def __init__(self):
        self.executor: sandbox.ForkServerExecutor | None = None
        self.first_uid = None
        self._lock = None
        self.unenforced: list[str] = []

    async def setup(self, worker):
        self.first_uid, self._lock = uid_block()
        self.executor = sandbox.ForkServerExecutor(
            child.POLICY, max_workers=worker.state.nthreads, first_uid=self.first_uid
        )
        # starting the server imports torch: off the worker's event loop
        lines = await asyncio.to_thread(lambda: self.executor.unenforced)
        self.unenforced = child.unenforced_here() + lines

    async def teardown(self, worker):
        if self.executor is not None:
            await asyncio.to_thread(self.executor.shutdown)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def run_on_worker(cells: list[str], job_tasks: list[dict], timeout: float, limits: dict) -> dict:
    """The Dask task: grade one submission in this worker's sandbox; plain data back."""
    plugin = get_worker().plugins.get(PLUGIN)
    if plugin is None or plugin.executor is None:  # not set up yet: the pipeline retries
        return {"died": "this Dask worker's grading server has not started"}
    future = plugin.executor.submit_with(
        child.run_submission, (cells, job_tasks), timeout=timeout, limits=limits
    )
    try:
        return {"result": future.result()}
    except sandbox.JobFailed as exc:
        return {"failure": [exc.kind, str(exc)]}
    except sandbox.WorkerDied as exc:
        return {"died": str(exc)}


def _facts(dask_worker) -> dict:
    """What a worker's plugin holds: its server's pid, its uid block, what it cannot enforce."""
    plugin = dask_worker.plugins.get(PLUGIN)
    if plugin is None or plugin.executor is None:
        return {}
    return {
        "pid": plugin.executor.pid,
        "first_uid": plugin.first_uid,
        "unenforced": plugin.unenforced,
    }


class DaskExecutor(Executor):
    """`submit(child.run_submission, cells, tasks)` on a Dask cluster, with the results and
    failures of `sandbox.ForkServerExecutor` (JobFailed, WorkerDied), so that the pipeline
    cannot tell them apart. Registers `SandboxPlugin` on the client's cluster."""

    def __init__(self, client: Client, *, timeout: float = 30.0, limits: dict | None = None):
        self.client = client
        self.timeout = float(timeout)
        self.limits = limits or sandbox.default_limits(timeout)
        client.register_plugin(SandboxPlugin(), name=PLUGIN)

    def facts(self) -> dict:
        """Each worker's address -> its server's pid, first uid and unenforced lines."""
        return self.client.run(_facts)

    @property
    def unenforced(self) -> list[str]:
        """What the workers cannot enforce on a child, each line once, with its workers."""
        lines: dict[str, list[str]] = {}
        for address, facts in self.facts().items():
            for line in facts.get("unenforced", []):
                lines.setdefault(line, []).append(address)
        return [f"{line} (workers {', '.join(sorted(where))})" for line, where in lines.items()]

    def submit(self, fn, /, *args, **kwargs):
        if kwargs or fn is not child.run_submission:
            raise ValueError("a DaskExecutor runs child.run_submission(cells, tasks) only")
        task = self.client.submit(
            run_on_worker,
            *args,
            self.timeout,
            self.limits,
            pure=False,
            key=f"gdcourse-grade-{uuid.uuid4().hex}",
        )
        future = Future()
        future.set_running_or_notify_cancel()
        future.task = task  # held until settled: a Dask future let go is a task cancelled
        task.add_done_callback(lambda done: _settle(done, future))
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        return None  # the cluster belongs to whoever made the client


def _settle(task, future: Future) -> None:
    """A finished Dask task's outcome onto the pipeline's future."""
    future.task = None
    try:
        answer = task.result()
    except KilledWorker:
        future.set_exception(sandbox.JobFailed("error", LOST))
        return
    except BaseException as exc:  # noqa: BLE001 - the cluster's own failure, said as such
        message = f"the Dask cluster could not run this notebook ({type(exc).__name__}: {exc})"
        future.set_exception(sandbox.JobFailed("error", message))
        return
    if "result" in answer:
        future.set_result(answer["result"])
    elif "failure" in answer:
        future.set_exception(sandbox.JobFailed(*answer["failure"]))
    else:
        future.set_exception(sandbox.WorkerDied(answer.get("died", "")))


@contextlib.contextmanager
def local_cluster(workers: int, slots: int = 1):
    """A LocalCluster of `workers` processes on 127.0.0.1 (no dashboard) and its client."""
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=slots,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@contextlib.contextmanager
def connect(*, scheduler: str | None = None, workers: int | None = None):
    """A client of the scheduler at `scheduler`, or of a new local cluster of `workers`."""
    if scheduler:
        with Client(scheduler) as client:
            yield client
    else:
        with local_cluster(workers) as client:
            yield client
