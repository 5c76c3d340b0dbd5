"""The trust boundary as code: the layout, the sandbox policy and the import guard agree.

Moving or adding a module must never silently change what a graded submission may import:
the policy is built from the package's own objects, and these tests fail when the layout
and the policy drift apart.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gdcourse
from gdcourse.grading import child, sandbox

PACKAGE = Path(gdcourse.__file__).parent
ENTRY_POINTS = {"__init__", "__main__", "cli"}


def test_the_top_level_is_exactly_the_learner_api():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - ENTRY_POINTS
    assert modules == set(gdcourse.LEARNER_API)
    assert set(gdcourse.WARM) <= set(gdcourse.LEARNER_API)


def test_every_subpackage_is_blocked_inside_a_graded_child():
    subpackages = {f"gdcourse.{p.parent.name}" for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == {"gdcourse.grading", "gdcourse.authoring"}
    assert set(child.POLICY.blocked) == subpackages


def test_the_policy_warms_the_learner_api_and_runs_one_job():
    assert child.POLICY.jobs == (sandbox.function_name(child.run_submission),)
    assert child.POLICY.prepare == sandbox.function_name(child.prepare)
    assert {f"gdcourse.{name}" for name in gdcourse.WARM} <= set(child.POLICY.warm)
    assert child.CHECKS == "gdcourse.checks"


def test_the_silent_checks_stub_has_every_name_an_exercise_imports():
    """Else the exercise's first cell (`from gdcourse.checks import check, handed_out`)
    raised ImportError while graded (it did, before issue #20's validate showed it)."""
    from gdcourse import checks
    from gdcourse.grading import runner

    assert set(runner.CHECKS_NAMES) == set(checks.__all__)
    # in a fresh interpreter: run_cells replaces gdcourse.checks and sys.stdout for good,
    # as the grader's child wants, which would spoil this test process
    code = (
        "import json, sys\nfrom gdcourse.grading import runner\n"
        "cell = 'from gdcourse.checks import check, handed_out, validate'\n"
        "result = runner.run_cells([cell], [])\n"
        "sys.__stdout__.write(json.dumps(result['errors']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []


def test_an_executor_refuses_a_job_its_policy_does_not_name():
    executor = sandbox.ForkServerExecutor(child.POLICY, max_workers=1, timeout=5)
    with pytest.raises(ValueError, match="not a job"):
        executor.submit(sandbox.default_limits, 5)
    executor.shutdown()


def test_a_job_must_be_a_module_level_function():
    with pytest.raises(ValueError, match="module-level"):
        sandbox.function_name(lambda: None)


GUARDED = """
import gdcourse.data
from gdcourse.grading import child, sandbox
sandbox.guard_imports(child.POLICY.blocked)
for name in ("gdcourse.grading.tasks", "gdcourse.grading.judge", "gdcourse.authoring.release"):
    try:
        __import__(name)
    except ImportError as exc:
        print("refused", name, "|", exc)
    else:
        print("IMPORTED", name)
import gdcourse.optim
print("learner api ok")
"""


def test_the_guard_refuses_both_layers_and_keeps_the_learner_api():
    out = subprocess.run(
        [sys.executable, "-c", GUARDED], capture_output=True, text=True, check=True
    ).stdout
    assert "IMPORTED" not in out
    assert out.count("refused") == 3 and "not available while a submission is graded" in out
    assert "learner api ok" in out
