"""Grading on Dask (`gdcourse grade --scheduler/--dask`, `grading/cluster.py`) on one machine.

One LocalCluster of 2 worker processes on 127.0.0.1 (no dashboard) for the module, with
`allowed-failures` 0 so that a worker killed mid-run gives KilledWorker at once. It grades
the benchmark's submissions to the local run's grades.csv and totals.csv, byte for byte
(each worker's server with its own block of uids, no task definition imported on a
worker, a second run resumed); a loop still reads `timeout` (through `--scheduler`); a
worker killed mid-run gives that submission `error` rows and the batch goes on; after
shutdown no sandbox server, nor anything it started, is left. `--dask 1` starts and stops
its own cluster. Skipped without `distributed` (the `dask` extra), except under CI=true,
where it fails.
"""

import contextlib
import os
import signal
import sys
import threading
import time

import pytest

try:
    import dask
except ImportError:
    if os.environ.get("CI", "").strip().lower() == "true":
        raise
    pytest.skip(
        "Dask tests skipped: distributed is not installed (pip install -e '.[dask]')",
        allow_module_level=True,
    )

import psutil

from benchmarks.grading import make_submissions
from gdcourse import cli
from gdcourse.grading import cluster, pipeline, sandbox, tasks
from tests.grading.test_pipeline import SECRET, cells_of, notebook, read_csv

EXERCISE = "01_the_idea"
SERVERS: set[int] = set()  # every sandbox server the cluster ran, and what they started
STARTED: set[int] = set()


@pytest.fixture(scope="module")
def client():
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        cluster.local_cluster(2) as client,
    ):
        yield client


def executor(client, timeout=30.0):
    made = cluster.DaskExecutor(client, timeout=timeout)
    remember(made)
    return made


def remember(made):
    for facts in made.facts().values():
        if facts.get("pid"):
            SERVERS.add(facts["pid"])
            with contextlib.suppress(psutil.Error):
                STARTED.update(c.pid for c in psutil.Process(facts["pid"]).children(True))


def test_the_benchmark_submissions_grade_as_they_do_locally(client, tmp_path):
    make_submissions(tmp_path / "subs")
    local = pipeline.grade([tmp_path / "subs"], tmp_path / "local", secret=SECRET, jobs=2)
    on_dask = executor(client)
    remote = pipeline.grade([tmp_path / "subs"], tmp_path / "dask", secret=SECRET, executor=on_dask)
    assert local["complete"] and remote["complete"]
    assert remote["graded"] == local["graded"] == 30
    for name in ("grades.csv", "totals.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert {"passed", "failed"} <= set(remote["statuses"])
    # each worker's server has its own block of children's uids, none the local grader's
    first_uids = [facts["first_uid"] for facts in on_dask.facts().values()]
    assert len(set(first_uids)) == 2
    assert all(uid >= sandbox.UNPRIVILEGED + sandbox.UID_BLOCK for uid in first_uids)
    # the workers graded without ever importing a task definition (oracles stay here)
    imported = client.run(lambda: [m for m in sys.modules if m.startswith("gdcourse.grading.")])
    for modules in imported.values():
        assert "gdcourse.grading.cluster" in modules
        assert not [
            m for m in modules if m.startswith(("gdcourse.grading.tasks", "gdcourse.grading.judge"))
        ]
    # resumed as locally: nothing changed, nothing graded again
    again = pipeline.grade([tmp_path / "subs"], tmp_path / "dask", secret=SECRET, executor=on_dask)
    assert again["graded"] == 0 and again["reused"] == 30


def test_a_loop_reads_timeout_through_the_command(client, tmp_path):
    subs = tmp_path / "subs"
    (subs / "loop").mkdir(parents=True)
    solution = cells_of("solutions")
    (subs / "loop" / f"{EXERCISE}.ipynb").write_text(notebook(solution + ["while True:\n    pass"]))
    (tmp_path / "secret").write_text("a test secret")
    address = client.scheduler.address
    command = ["grade", str(subs), "--out", str(tmp_path / "out"), "--timeout", "3"]
    command += ["--secret", str(tmp_path / "secret"), "--scheduler", address]
    assert cli.main(command) == 0
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert len(rows) == len(tasks.for_exercise(EXERCISE))
    assert {r["status"] for r in rows} == {"timeout"}
    assert f"did not finish within 3 s (in cell {len(solution) + 1})" in rows[0]["feedback"]
    remember(cluster.DaskExecutor(client))


def test_a_worker_killed_mid_run_gives_error_rows_and_the_batch_goes_on(client, tmp_path):
    subs = tmp_path / "subs"
    slow = cells_of("solutions") + ["import time\ntime.sleep(4)"]
    students = [f"s{i}" for i in range(4)]
    for student in students:
        (subs / student).mkdir(parents=True)
        (subs / student / f"{EXERCISE}.ipynb").write_text(notebook(slow))
    on_dask = executor(client)
    summary = {}
    grading = threading.Thread(
        target=lambda: summary.update(
            pipeline.grade([subs], tmp_path / "out", secret=SECRET, executor=on_dask)
        )
    )
    grading.start()
    deadline = time.monotonic() + 60
    busy = []
    while time.monotonic() < deadline and not busy:
        busy = [address for address, keys in client.processing().items() if keys]
        time.sleep(0.2)
    assert busy, "no worker started grading"
    time.sleep(1.5)  # inside the submission's sleep
    remember(on_dask)
    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    grading.join(180)
    assert not grading.is_alive() and summary["complete"]
    rows = read_csv(tmp_path / "out" / "grades.csv")
    by_student = {s: [r for r in rows if r["student"] == s] for s in students}
    lost = [s for s, own in by_student.items() if {r["status"] for r in own} == {"error"}]
    assert lost, rows
    for student, own in by_student.items():
        assert len(own) == len(tasks.for_exercise(EXERCISE))
        if student in lost:
            assert all("(Dask's KilledWorker)" in r["feedback"] for r in own), own
        else:
            assert {r["status"] for r in own} == {"passed"}, own
    remember(cluster.DaskExecutor(client))  # the restarted worker's new server


def test_after_shutdown_no_sandbox_process_is_left(client):
    remember(cluster.DaskExecutor(client))
    assert len(SERVERS) >= 3  # two at the start, one more for the worker restarted above
    client.cluster.close()
    client.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and alive(SERVERS | STARTED):
        time.sleep(0.5)
    assert not alive(SERVERS | STARTED)


def alive(pids) -> list[int]:
    """The pids still running (a zombie has ended; a pid reused since is another process)."""
    running = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            if process.status() != psutil.STATUS_ZOMBIE and "python" in process.name():
                running.append(pid)
        except psutil.Error:
            continue
    return running


def test_dask_n_starts_and_stops_its_own_local_cluster(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ann.ipynb").write_text(notebook(cells_of("solutions")))
    (tmp_path / "secret").write_text("a test secret")
    command = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--dask", "1"]
    assert cli.main([*command, "--secret", str(tmp_path / "secret")]) == 0
    rows = read_csv(tmp_path / "out" / "grades.csv")
    assert rows and {r["status"] for r in rows} == {"passed"}


def test_usage_errors(tmp_path):
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--dask", "0"]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["grade", str(tmp_path), "--out", "o", "--dask", "2", "--scheduler", "x"])
    assert exc.value.code == 2


def test_each_server_on_a_host_gets_its_own_block_of_uids(tmp_path, monkeypatch):
    first, lock = cluster.uid_block(tmp_path)
    second, other = cluster.uid_block(tmp_path)
    assert first == sandbox.UNPRIVILEGED + sandbox.UID_BLOCK  # block 0 is a local run's
    assert second == first + sandbox.UID_BLOCK
    os.close(lock)  # a worker that ends frees its block, however it ends
    monkeypatch.setenv("GDCOURSE_UID_LOCKS", str(tmp_path))
    again, lock = cluster.uid_block()
    assert again == first
    for fd in (lock, other):
        os.close(fd)
