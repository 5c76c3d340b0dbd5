"""The portability pass: nbval over every notebook with the CPU kernels forced elsewhere.

A stored output must reproduce on any correct floating-point kernel, not only on the
machine that ran `make notebooks`. Other machines differ in SIMD width (AVX-512, AVX2,
SSE, NEON), in BLAS and in summation order; here the same machine is pushed onto other
code paths through each library's documented switch, and nbval must still pass:

- torch: ``ATEN_CPU_CAPABILITY`` (its vectorised kernels: avx512, avx2 or default);
- MKL (torch's BLAS on x86): ``MKL_ENABLE_INSTRUCTIONS`` caps the instruction set on Intel
  CPUs, ``MKL_CBWR`` picks a code path on any CPU (COMPATIBLE is the SSE2 path);
- oneDNN (torch's other CPU kernels): ``ONEDNN_MAX_CPU_ISA``;
- numpy: ``NPY_DISABLE_CPU_FEATURES`` switches off its SIMD dispatch targets;
- OpenBLAS (numpy's BLAS): ``OPENBLAS_CORETYPE`` forces a core's kernels;
- threads: ``OMP_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` (a laptop has more cores than
  this machine, and a parallel reduction splits its sum by thread).

Each configuration prints the kernels it got (torch's ``get_cpu_capability()``, numpy's
dispatch, OpenBLAS's core) so a run says what it checked. Run from the repository root:
``python -m tests.portability [--jobs N] [PATH ...]``; it exits non-zero when a stored
output changes under any configuration. `make test` runs it after the unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIRS = ["notebooks", "solutions", "exercises"]

# numpy's x86 dispatch targets above the X86_V2 baseline, from the widest down
NUMPY_ABOVE_AVX2 = ["AVX512_SPR", "AVX512_ICL", "X86_V4"]
NUMPY_ABOVE_BASELINE = [*NUMPY_ABOVE_AVX2, "X86_V3"]

# name -> (what it emulates, environment)
CONFIGS: dict[str, tuple[str, dict[str, str]]] = {
    "avx2": (
        "a laptop or server without AVX-512 (Haswell to Zen 3)",
        {
            "ATEN_CPU_CAPABILITY": "avx2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2",
            "MKL_CBWR": "AVX2",
            "ONEDNN_MAX_CPU_ISA": "AVX2",
            "NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_ABOVE_AVX2),
            "OPENBLAS_CORETYPE": "Haswell",
            # a 4-core laptop: OpenBLAS splits its work into other pieces
            "OPENBLAS_NUM_THREADS": "4",
        },
    ),
    "sse": (
        "no vector extensions beyond SSE4: other vector widths and summation orders everywhere",
        {
            "ATEN_CPU_CAPABILITY": "default",
            "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
            "MKL_CBWR": "COMPATIBLE",
            "ONEDNN_MAX_CPU_ISA": "SSE41",
            "NPY_DISABLE_CPU_FEATURES": " ".join(NUMPY_ABOVE_BASELINE),
            "OPENBLAS_CORETYPE": "Nehalem",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
        },
    ),
}

PROBE = r"""
import json, threadpoolctl, torch, numpy
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
info = {
    "torch": torch.backends.cpu.get_cpu_capability(),
    "threads": torch.get_num_threads(),
    "numpy": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
    "openblas": [p.get("architecture") for p in threadpoolctl.threadpool_info()
                 if p["internal_api"] == "openblas"],
}
print(json.dumps(info))
"""


def known_features(env: dict[str, str]) -> dict[str, str]:
    """Drop numpy features this numpy does not know: it refuses to start on an unknown name."""
    probe = "from numpy._core._multiarray_umath import __cpu_dispatch__ as d; print(' '.join(d))"
    names = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    env = dict(env)
    wanted = env.get("NPY_DISABLE_CPU_FEATURES", "").split()
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(f for f in wanted if f in names)
    return env


def kernels(env: dict[str, str] | None) -> dict:
    """The kernels a process started with `env` on top of ours uses."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if out.returncode:
        raise RuntimeError(f"the kernel probe failed under {env}:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def describe(info: dict) -> str:
    numpy = ",".join(info["numpy"]) or "baseline only"
    openblas = ",".join(a or "?" for a in info["openblas"]) or "none"
    return (
        f"torch {info['torch']} with {info['threads']} threads, numpy dispatch {numpy}, "
        f"OpenBLAS core {openblas}"
    )


def run_config(name: str, env: dict[str, str], paths: list[str], log: Path) -> tuple[int, float]:
    """nbval over `paths` with `env` on top of ours; the output goes to `log`."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        *paths,
        "--nbval-kernel-name",
        "gdcourse",
        "--nbval-sanitize-with",
        "tests/nbval_sanitize.cfg",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
    ]
    start = time.perf_counter()
    with log.open("w") as out:
        rc = subprocess.call(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    return rc, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=NOTEBOOK_DIRS, help="notebooks or folders")
    parser.add_argument("--jobs", type=int, default=1, help="configurations run at once")
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS), help="only these")
    parser.add_argument("--logs", default=".portability", help="folder for each run's log")
    args = parser.parse_args(argv)

    logs = ROOT / args.logs
    logs.mkdir(exist_ok=True)
    native = kernels(None)
    print(f"portability: native kernels: {describe(native)}")
    chosen = {}
    for name in args.config or CONFIGS:
        purpose, env = CONFIGS[name]
        env = known_features(env)
        forced = kernels(env)
        same = forced == native
        print(
            f"portability: {name} ({purpose}): {describe(forced)}"
            + ("  [torch, numpy and OpenBLAS as native here; MKL/oneDNN forced]" if same else "")
        )
        chosen[name] = env

    def one(item):
        name, env = item
        return name, run_config(name, env, args.paths, logs / f"{name}.log")

    failed = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, (rc, seconds) in pool.map(one, chosen.items()):
            log = logs / f"{name}.log"
            summary = log.read_text().strip().splitlines()[-1:] or ["(no output)"]
            print(f"portability: {name}: {summary[0]} ({seconds:.0f} s)")
            if rc:
                failed.append(name)
                print(log.read_text())
    if failed:
        print(f"portability: stored outputs changed under {', '.join(failed)} (logs in {logs})")
        return 1
    print(f"portability: every stored output reproduced under {', '.join(chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
