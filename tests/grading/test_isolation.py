"""A submission sees nothing but itself, and leaves nothing behind.

Each hostile submission is a blank exercise 01 with one more cell that tries a way out
(the solutions through the package's location, a classmate's notebook found by walking
the disk, the output folder and the instructor's secret, a loopback port, the grader's
own channel, a signal to the grader) and, only if that way out worked, defines the
solution's functions: full points would mean the theft succeeded, so each must score 0
while the batch goes on. Another submission is a correct solution that leaves a detached
process behind holding its result pipe: it must grade in full, without waiting for that
process, and nothing it started may be left running.

Every test runs twice: with the grader's children under their own user ids (a grader run
as root), and all as one ordinary user with the kernel's confinement as the only wall
(a server that gives up root once warm, as on an instructor's laptop). The folders are
made world-readable, so that file permissions alone would let every theft through.
"""

import os
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from gdcourse.grading import child, confine, pipeline, sandbox
from gdcourse.grading import secret as secret_file
from tests.grading.test_pipeline import EXERCISE, FULL, by_student, cells_of, notebook, read_csv

ORDINARY_USER = 60500  # a uid with no account, for the ordinary-user mode
TIMEOUT = 8.0
MARK = "gdc-escapee"  # the process name a leftover process gives itself

pytestmark = pytest.mark.skipif(
    confine.landlock_abi() < 6, reason="this kernel lacks Landlock ABI 6 (files, TCP, signals)"
)


def _succeeded_then_solve(attempt: str, solution: str) -> str:
    """A cell that tries `attempt` (which sets `stolen`) and defines the solution if it worked."""
    return (
        f"stolen = False\ntry:\n{_indent(attempt)}\nexcept Exception:\n    pass\n"
        f"if stolen:\n    exec({solution!r})"
    )


def _indent(code: str) -> str:
    return "\n".join("    " + line for line in code.splitlines())


def _public_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gdcourse-isolation-"))
    folder.chmod(0o755)
    return folder


def _listener():
    """A loopback port that records whatever arrives."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            received.append(conn.recv(100))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, received, stop


def _leftovers() -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == MARK:
                found.append(int(pid))
        except OSError:
            pass
    return found


ESCAPE = f"""
import ctypes, os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, {MARK.encode()!r}, 0, 0, 0)  # PR_SET_NAME
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        time.sleep(60)  # holding every descriptor the cell had, the result pipe among them
    os._exit(0)
"""

KILL_NEIGHBOURS = f"""
import ctypes, os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, {MARK.encode()!r}, 0, 0, 0)
        me, end = os.getpid(), time.time() + 15
        while time.time() < end:  # kill whatever else runs as this user: the next submission
            for pid in filter(str.isdigit, os.listdir("/proc")):
                if int(pid) != me:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.05)
    os._exit(0)
"""


@pytest.fixture(scope="module", params=["own uids", "ordinary user"])
def batch(request):
    """Grade the hostile batch once per mode; return rows by student and what leaked."""
    as_user = request.param == "ordinary user"
    if as_user and os.geteuid() != 0:
        pytest.skip("the tests run as an ordinary user already: the first mode is this one")
    folder = _public_folder()
    root, out = folder / "submissions", folder / "results"
    out.mkdir()
    (out / "grades.csv").write_text("student,points\nclassmate,5\n")
    secret = folder / "config" / "grading-secret"
    secret.parent.mkdir()
    secret.write_text("0123456789abcdef")
    secret.chmod(0o644)
    port, received, stop_listening = _listener()
    got_signal = []
    previous = signal.signal(signal.SIGUSR1, lambda *a: got_signal.append(1))
    solution, blank = cells_of("solutions"), cells_of("exercises")
    code = "\n".join(solution)
    classmate = root / "classmate" / f"{EXERCISE}.ipynb"
    attempts = {
        "package": (
            "import gdcourse, json, pathlib\n"
            "course = pathlib.Path(gdcourse.__file__).resolve().parents[1]\n"
            "nb = json.loads((course / 'solutions' / '01_the_idea.ipynb').read_text())\n"
            "for c in nb['cells']:\n"
            "    if c['cell_type'] == 'code':\n"
            "        exec(''.join(c['source']))\n"
            "stolen = True"
        ),
        "walker": (
            "import json, os\n"
            f"for top, dirs, files in os.walk({str(folder)!r}):\n"
            "    for name in files:\n"
            "        if name.endswith('.ipynb') and 'classmate' in top:\n"
            "            nb = json.load(open(os.path.join(top, name)))\n"
            "            for c in nb['cells']:\n"
            "                if c['cell_type'] == 'code':\n"
            "                    exec(''.join(c['source']))\n"
            "            stolen = True"
        ),
        "results": f"stolen = len(open({str(out / 'grades.csv')!r}).read()) > 0",
        "listing": f"stolen = len(__import__('os').listdir({str(out)!r})) > 0",
        "secret": f"stolen = len(open({str(secret)!r}).read()) > 0",
        "network": (
            "import socket\n"
            f"s = socket.create_connection(('127.0.0.1', {port.getsockname()[1]}), timeout=2)\n"
            "s.sendall(b'stolen')\n"
            "stolen = True"
        ),
        "channel": (
            "import os\n"
            "with open(f'/proc/{os.getppid()}/fd/1', 'wb') as grader:\n"
            "    grader.write(b'\\x00\\x00\\x00\\x02{}')\n"
            "stolen = True"
        ),
        "unixsocket": (
            "import socket\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "s.connect('/run/systemd/private')\n"
            "stolen = True"
        ),
        "signaller": (
            "import os, signal\n"
            f"os.kill({os.getpid()}, signal.SIGUSR1)\n"
            "os.kill(os.getppid(), 0)\n"
            "stolen = True"
        ),
    }
    files = {
        f"{name}/{EXERCISE}.ipynb": blank + [_succeeded_then_solve(a, code)]
        for name, a in attempts.items()
    }
    files["classmate/01_the_idea.ipynb"] = solution
    files["escaper/01_the_idea.ipynb"] = solution + [ESCAPE]
    for name, cells in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook(cells))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    assert classmate.exists()
    executor = sandbox.ForkServerExecutor(
        child.POLICY, max_workers=2, timeout=TIMEOUT, user=ORDINARY_USER if as_user else None
    )
    start = time.monotonic()
    pipeline.grade(
        [root], out, executor=executor, timeout=TIMEOUT, secret=secret_file.load(secret).key
    )
    seconds = time.monotonic() - start
    executor.shutdown()
    leftovers = _leftovers()
    signal.signal(signal.SIGUSR1, previous)
    stop_listening.set()
    port.close()
    yield {
        "rows": by_student(read_csv(out / "grades.csv")),
        "received": received,
        "signal": got_signal,
        "seconds": seconds,
        "leftovers": leftovers,
        "attempts": list(attempts),
    }
    for pid in leftovers:
        os.kill(pid, signal.SIGKILL)


def points(batch, student):
    return sum(float(r["points"]) for r in batch["rows"][student])


def test_the_batch_goes_on_and_the_classmate_grades_in_full(batch):
    assert points(batch, "classmate") == FULL
    assert set(batch["rows"]) >= {"classmate", "escaper", *batch["attempts"]}


@pytest.mark.parametrize(
    "student",
    ["package", "walker", "results", "listing", "secret", "network", "channel", "unixsocket"],
)
def test_no_way_out_gives_points(batch, student):
    assert points(batch, student) == 0, batch["rows"][student]


def test_nothing_arrives_on_the_loopback_port(batch):
    assert points(batch, "network") == 0
    assert batch["received"] == []


def test_the_grader_receives_no_signal(batch):
    assert points(batch, "signaller") == 0
    assert batch["signal"] == []


def test_a_detached_process_neither_delays_the_verdict_nor_outlives_the_run(batch):
    assert points(batch, "escaper") == FULL, batch["rows"]["escaper"]
    assert {r["status"] for r in batch["rows"]["escaper"]} == {"passed"}
    assert batch["seconds"] < 3 * TIMEOUT
    assert batch["leftovers"] == []


def test_a_lingering_process_cannot_reach_the_next_submission_on_its_slot(tmp_path):
    solution = cells_of("solutions")
    subs = tmp_path / "subs"
    for student, cells in (("a-lingerer", solution + [KILL_NEIGHBOURS]), ("b-next", solution)):
        (subs / student).mkdir(parents=True)
        (subs / student / f"{EXERCISE}.ipynb").write_text(notebook(cells))
    pipeline.grade([subs], tmp_path / "out", jobs=1, timeout=TIMEOUT, secret=b"s")
    totals = {r["student"]: float(r["points"]) for r in read_csv(tmp_path / "out" / "totals.csv")}
    # (the lingerer may kill its own job's process before that finishes: its grade is its own
    # business; the next submission's is the point)
    assert totals["b-next"] == FULL
    assert _leftovers() == []


def test_what_is_not_enforced_is_said_once_at_the_start(tmp_path, capsys):
    subs = tmp_path / "subs" / "ann"
    subs.mkdir(parents=True)
    (subs / f"{EXERCISE}.ipynb").write_text(notebook(cells_of("exercises")))
    executor = sandbox.ForkServerExecutor(child.POLICY, max_workers=1, timeout=TIMEOUT)
    try:
        expected = child.unenforced_here() + executor.unenforced
        pipeline.grade([tmp_path / "subs"], tmp_path / "out", executor=executor, secret=b"s")
    finally:
        executor.shutdown()
    said = [line for line in capsys.readouterr().err.splitlines() if "not enforced" in line]
    assert len(said) == len(expected)
    if os.geteuid() == 0:
        assert expected == []  # root on this kernel: every protection holds


ORPHANED = """
import time
from gdcourse.grading import child, sandbox
executor = sandbox.ForkServerExecutor(child.POLICY, max_workers=1, timeout=120)
executor.submit(child.run_submission, ["while True:\\n    pass"], [])
time.sleep(2)
print(executor.pid, flush=True)
time.sleep(600)
"""


def test_a_server_whose_grader_dies_stops_its_jobs_and_exits():
    # a Dask worker killed mid-run is such a grader: nothing of its sandbox may outlive it
    import subprocess
    import sys

    import psutil

    root = Path(__file__).resolve().parents[2]
    grader = subprocess.Popen(
        [sys.executable, "-c", ORPHANED], stdout=subprocess.PIPE, text=True, cwd=root
    )
    server = int(grader.stdout.readline())
    jobs = [p.pid for p in psutil.Process(server).children(recursive=True)]
    assert jobs, "the job did not start"
    grader.kill()
    grader.wait()

    def alive():
        running = []
        for pid in [server, *jobs]:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    running.append(pid)
            except psutil.NoSuchProcess:
                continue
        return running

    deadline = time.monotonic() + 15  # the job's own limit is 120 s
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive()
