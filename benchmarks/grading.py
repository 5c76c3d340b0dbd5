"""Bulk grading against kernel-based execution, on 30 submissions.

Makes 30 submissions from the solution and exercise notebooks (full solutions, blank
exercises, and solutions with a mistake appended), grades them with
`gdcourse grade --jobs 2`, then executes the same 30 notebooks one fresh kernel each
with `jupyter nbconvert --execute` (the floor of kernel-based graders), and prints
`grade_s=`, `kernel_execute_s=` and `speedup=`. Goal: speedup >= 10.

Then the cost of class size: it grades 300 and 1,200 blank exercise-01 submissions at
`--jobs 2` and prints `per_submission_ms_300=` and `per_submission_ms_1200=`, the time each
adds beyond a one-submission run (server start and the rest). Goal: <= 20 ms each, and the
two within 1.5x of each other (bookkeeping that grows with the class shows as a gap).

Then Dask (skipped, with a line, without the `dask` extra): the same 30 submissions graded
in this process with `--jobs 2` and on a LocalCluster of 2 workers x 1 slot (the cluster's
processes started beforehand, as a course's cluster is; its fork servers started inside the
timing, as the local run's is). It prints `dask_speedup=` (local seconds over Dask
seconds; goal >= 0.8); `dask_warm_speedup=` (the same against a second run on the now warm
servers, as on a cluster kept up between runs); `dask_server_start_s=` (registering the
worker plugin: both servers warm); `dask_per_submission_ms=` (the 30 again on the warm
servers, wall time per submission); `dask_per_submission_ms_300=` (300 blank exercises on
the warm servers: the cluster's own cost per task); `dask_worker_mib=` and
`dask_server_mib=` (a worker process's resident memory, its server's unique memory); and
`submissions_per_hour_per_worker=` (from the warm 30). docs/scale.md sizes a real cluster
from these.
Usage: .venv/bin/python benchmarks/grading.py [dask]   (dask: only the Dask part)
"""

import importlib.util
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MISTAKE = "def gd_step(theta, grad, lr):\n    return theta + lr * grad\n"


def make_submissions(folder: Path, count: int = 30) -> list[Path]:
    sources = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
        (ROOT / "exercises").glob("*.ipynb")
    )
    paths = []
    for i, source in zip(range(count), itertools.cycle(sources), strict=False):
        nb = nbformat.read(source, as_version=4)
        if i % 3 == 2 and source.parent.name == "solutions":
            nb.cells.append(nbformat.v4.new_code_cell(MISTAKE))
        target = folder / f"student{i:02d}" / source.name
        target.parent.mkdir(parents=True)
        nbformat.write(nb, target)
        paths.append(target)
    return paths


def blank_class(folder: Path, count: int) -> Path:
    """`count` students, each with the blank exercise 01."""
    blank = (ROOT / "exercises" / "01_the_idea.ipynb").read_bytes()
    for i in range(count):
        target = folder / f"student{i:05d}" / "01_the_idea.ipynb"
        target.parent.mkdir(parents=True)
        target.write_bytes(blank)
    return folder


def graded_seconds(count: int) -> float:
    from gdcourse.grading import pipeline

    with tempfile.TemporaryDirectory() as tmp:
        subs = blank_class(Path(tmp) / "subs", count)
        start = time.perf_counter()
        summary = pipeline.grade([subs], Path(tmp) / "out", secret=b"benchmark", jobs=2)
        seconds = time.perf_counter() - start
    assert summary["graded"] == count and summary["complete"], summary
    return seconds


def class_size():
    one = min(graded_seconds(1) for _ in range(2))
    for count in (300, 1200):
        per = (graded_seconds(count) - one) / (count - 1)
        print(f"per_submission_ms_{count}={1000 * per:.1f}", flush=True)


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    summary = function(*args, **kwargs)
    assert summary["complete"], summary
    return time.perf_counter() - start


def on_dask():
    if importlib.util.find_spec("distributed") is None:
        print("dask: skipped (pip install -c constraints.txt -e '.[dask]')")
        return
    import psutil

    from gdcourse.grading import cluster, pipeline

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subs = tmp / "subs"
        make_submissions(subs)
        blank = blank_class(tmp / "blank", 300)
        local_s = timed(pipeline.grade, [subs], tmp / "local", secret=b"benchmark", jobs=2)
        with cluster.local_cluster(2, slots=1) as client:
            start = time.perf_counter()
            executor = cluster.DaskExecutor(client)
            server_s = time.perf_counter() - start
            grade_s = timed(
                pipeline.grade, [subs], tmp / "dask", secret=b"benchmark", executor=executor
            )
            warm_s = timed(
                pipeline.grade,
                [subs],
                tmp / "dask",
                secret=b"benchmark",
                executor=executor,
                force=True,
            )
            one_s = timed(
                pipeline.grade,
                [blank / "student00000"],
                tmp / "one",
                secret=b"b",
                executor=executor,
            )
            class_s = timed(pipeline.grade, [blank], tmp / "class", secret=b"b", executor=executor)
            workers = client.run(lambda: psutil.Process().memory_info().rss)
            servers = [
                psutil.Process(f["pid"]).memory_full_info().uss for f in executor.facts().values()
            ]
    print(f"dask_speedup={local_s / (server_s + grade_s):.2f}", flush=True)
    print(f"dask_local_s={local_s:.2f} dask_s={server_s + grade_s:.2f}")
    print(f"dask_warm_speedup={local_s / warm_s:.1f}")  # a cluster kept up: servers started
    print(f"dask_server_start_s={server_s:.2f}")
    print(f"dask_per_submission_ms={1000 * warm_s / 30:.0f}")
    print(f"dask_per_submission_ms_300={1000 * (class_s - one_s) / 299:.1f}")
    print(f"dask_worker_mib={max(workers.values()) / 2**20:.0f}")
    print(f"dask_server_mib={max(servers) / 2**20:.0f}")
    print(f"submissions_per_hour_per_worker={3600 * 30 / (2 * warm_s):.0f}")


def main():
    if sys.argv[1:] == ["dask"]:
        on_dask()
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths = make_submissions(tmp / "subs")
        (tmp / "secret").write_text("benchmark")  # not the instructor's own secret
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gdcourse",
                "grade",
                str(tmp / "subs"),
                "--out",
                str(tmp / "out"),
                "--jobs",
                "2",
                "--secret",
                str(tmp / "secret"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        grade_s = time.perf_counter() - start
        print(f"grade_s={grade_s:.2f}", flush=True)
        start = time.perf_counter()
        for path in paths:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "jupyter",
                    "nbconvert",
                    "--to",
                    "notebook",
                    "--execute",
                    "--ExecutePreprocessor.kernel_name=gdcourse",
                    "--output",
                    str(path.with_suffix(".out.ipynb")),
                    str(path),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        kernel_s = time.perf_counter() - start
        print(f"kernel_execute_s={kernel_s:.2f}")
        print(f"speedup={kernel_s / grade_s:.1f}")
    class_size()
    on_dask()


if __name__ == "__main__":
    main()
