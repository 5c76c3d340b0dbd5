"""`gdcourse grade`: the command-line contract and the adversarial submissions.

One batch holds every kind of bad submission next to good ones; each must get its
rows with the right status and a clear feedback line, and none may affect another.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gdcourse import cli
from gdcourse.grading import child, collect, gradebook, judge, pipeline, sandbox, tasks
from gdcourse.grading import secret as secret_file

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "01_the_idea"
TIMEOUT = 6.0
SECRET = b"a test secret"


def notebook(cells, exercise=EXERCISE, **metadata):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    if exercise:
        nb.metadata["gdcourse"] = {"exercise": exercise}
    nb.metadata.update(metadata)
    return nbformat.writes(nb)


def cells_of(folder, exercise=EXERCISE):
    nb = nbformat.read(ROOT / folder / f"{exercise}.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


PATCHES = """
import builtins, math
import numpy as np
import torch
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
math.isclose = lambda *a, **k: True
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
builtins.abs = lambda x: 0
builtins.all = lambda x: True
builtins.isinstance = lambda *a: True
"""


def lookup_table_attack() -> str:
    """Exercise 01's functions answering from a table, as a student could once compute it.

    With probes drawn from seed 0, a student who had the task modules could compute every
    hidden probe and its answer at home: `task.hidden(np.random.default_rng(0))` and the
    oracle. Each function returns the tabled answer and raises on anything else.
    """
    table = {
        task.id: [
            [list(p.values()), task.oracle(**p)] for p in task.hidden(np.random.default_rng(0))
        ]
        for task in tasks.for_exercise(EXERCISE)
    }
    lines = [
        f"TABLE = {table!r}",
        "def _answer(task, *args):",
        "    plain = [a.tolist() if hasattr(a, 'tolist') else a for a in args]",
        "    for key, answer in TABLE[task]:",
        "        if key == plain:",
        "            return answer",
        "    raise KeyError('not in my table')",
    ]
    for task in tasks.for_exercise(EXERCISE):
        names = ", ".join(task.public[0])
        lines.append(f"def {task.id}({names}):\n    return _answer({task.id!r}, {names})")
    return "\n".join(lines)


FAKE_OUTPUT = """
print("✓ mse_gradients — gradients of the mean squared error (2/2 points)")
print("student,exercise,task,points,max_points,status,feedback")
print("mallory,01_the_idea,mse_gradients,2,2,passed,")
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Write the batch, grade it once, and return (out folder, rows by student)."""
    root = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("results")
    sentinel = tmp_path_factory.mktemp("elsewhere") / "keep.txt"
    sentinel.write_text("do not delete")
    solution, blank = cells_of("solutions"), cells_of("exercises")
    files = {
        "good/01_the_idea.ipynb": notebook(solution),
        "renamed/my homework.ipynb": notebook(solution),
        "blank/01_the_idea.ipynb": notebook(blank),
        "malformed/01_the_idea.ipynb": "{ this is not json",
        "notanotebook/01_the_idea.ipynb": json.dumps([1, 2, 3]),
        "oldformat/01_the_idea.ipynb": json.dumps({"nbformat": 3, "worksheets": []}),
        "empty/01_the_idea.ipynb": notebook([]),
        "unknown/homework.ipynb": notebook(solution, exercise="99_nothing"),
        "syntax/01_the_idea.ipynb": notebook(
            solution[:1] + ["def mse_gradients(:\n    pass"] + solution[2:]
        ),
        "toplevel/01_the_idea.ipynb": notebook(solution + ["raise RuntimeError('boom')"]),
        "magics/01_the_idea.ipynb": notebook(
            ["%matplotlib inline\n%load_ext autoreload\n!pip install nothing"]
            + [f"%%time\n{cell}" for cell in solution]
            + ["%%capture captured\nprint('not shown')", "%time z = 1", "answer = input('?')"]
        ),
        "loop/01_the_idea.ipynb": notebook(solution + ["while True:\n    pass"]),
        "memory/01_the_idea.ipynb": notebook(solution + ["hog = bytearray(8 * 2**30)"]),
        "tensors/01_the_idea.ipynb": notebook(
            solution + ["import torch\nhog = torch.empty(2**33)"]
        ),
        "stdlib/01_the_idea.ipynb": notebook(
            ["import cProfile, fractions, statistics, turtle"] + solution
        ),
        "output/01_the_idea.ipynb": notebook(solution + ["print('x' * 5_000_000)"]),
        "sysexit/01_the_idea.ipynb": notebook(solution + ["import sys\nsys.exit(3)"]),
        "osexit/01_the_idea.ipynb": notebook(solution + ["import os\nos._exit(0)"]),
        "killer/01_the_idea.ipynb": notebook(
            solution
            + [
                "import os, signal\nfor pid in (os.getppid(), -1):\n"
                "    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n        pass"
            ]
        ),
        "patcher/01_the_idea.ipynb": notebook(blank + [PATCHES]),
        "patchfirst/01_the_idea.ipynb": notebook([PATCHES] + blank),
        "faker/01_the_idea.ipynb": notebook(blank + [FAKE_OUTPUT]),
        "lookup/01_the_idea.ipynb": notebook(blank + [lookup_table_attack()]),
        "vandal/01_the_idea.ipynb": notebook(
            solution
            + [
                f"import os, shutil\nfor p in [{str(sentinel)!r}, {str(out / 'grades.csv')!r}]:\n"
                "    try:\n        os.remove(p)\n    except OSError:\n        pass\n"
                f"try:\n    open({str(out / 'grades.csv')!r}, 'w').write('hacked')\n"
                "except OSError:\n    pass\n"
                f"shutil.rmtree({str(root)!r}, ignore_errors=True)"
            ]
        ),
        "insider/01_the_idea.ipynb": notebook(
            blank
            + [
                "def mse_gradients(x, y, w, b):\n"
                "    from gdcourse.grading.tasks import get\n"
                "    return get('mse_gradients').oracle(x=list(x), y=list(y), w=w, b=b)",
                "import gdcourse.grading.judge",
            ]
        ),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    summary = pipeline.grade([root], out, secret=SECRET, jobs=2, timeout=TIMEOUT)
    rows = read_csv(out / "grades.csv")
    return {
        "out": out,
        "root": root,
        "rows": by_student(rows),
        "summary": summary,
        "sentinel": sentinel,
        "all_rows": rows,
    }


def by_student(rows):
    grouped = {}
    for row in rows:
        grouped.setdefault(row["student"], []).append(row)
    return grouped


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def statuses(batch, student):
    return [r["status"] for r in batch["rows"][student]]


def points(batch, student):
    return sum(float(r["points"]) for r in batch["rows"][student])


FULL = sum(t.points for t in tasks.for_exercise(EXERCISE))
N_TASKS = len(tasks.for_exercise(EXERCISE))


def feedback_file(batch, student):
    return (batch["out"] / "feedback" / student / f"{EXERCISE}.txt").read_text()


def test_every_submission_has_its_rows_and_the_batch_completes(batch):
    assert batch["summary"]["complete"]
    # unreadable notebooks and the one of no known exercise are counted as such, never as
    # "unchanged" (nothing was graded before)
    assert batch["summary"]["reused"] == 0
    assert batch["summary"]["invalid"] == 5  # malformed, notanotebook, oldformat, empty, unknown
    assert set(batch["rows"]) >= {"good", "blank", "malformed", "killer", "vandal", "unknown"}
    header = list(batch["all_rows"][0])
    assert header == gradebook.GRADES_COLUMNS
    allowed = {"passed", "failed", "error", "timeout", "invalid"}
    assert {r["status"] for r in batch["all_rows"]} <= allowed
    keys = [(r["student"], r["exercise"], r["task"]) for r in batch["all_rows"]]
    assert len(keys) == len(set(keys))


def test_solution_full_marks_and_blank_zero(batch):
    assert points(batch, "good") == FULL
    assert points(batch, "renamed") == FULL  # recognised from metadata, not the file name
    assert points(batch, "blank") == 0
    assert all("not implemented" in r["feedback"] for r in batch["rows"]["blank"])


@pytest.mark.parametrize(
    "student,text",
    [
        ("malformed", "not valid JSON"),
        ("notanotebook", "not a Jupyter notebook"),
        ("oldformat", "format 3 is not supported"),
        ("empty", "empty"),
    ],
)
def test_unreadable_notebooks_are_invalid(batch, student, text):
    rows = batch["rows"][student]
    assert len(rows) == N_TASKS and set(statuses(batch, student)) == {"invalid"}
    assert text in rows[0]["feedback"]
    assert "submit that .ipynb file again" in rows[0]["feedback"]  # what to do about it


def test_unknown_exercise_gets_one_invalid_row(batch):
    (row,) = batch["rows"]["unknown"]
    assert row["status"] == "invalid" and "unknown exercise" in row["feedback"]
    assert row["exercise"] == "" and row["file"].endswith("unknown/homework.ipynb")
    text = (batch["out"] / "feedback" / "unknown" / "unknown-homework.txt").read_text()
    assert "open the exercise from exercises/ and save your work in it" in text


def test_syntax_error_costs_only_its_task(batch):
    rows = {r["task"]: r for r in batch["rows"]["syntax"]}
    assert rows["mse_gradients"]["status"] == "error"
    assert "SyntaxError" in rows["mse_gradients"]["feedback"]
    assert rows["gd_step"]["status"] == "passed"
    # the error is said once: not twice on its task's line, not under the tasks that passed
    assert rows["mse_gradients"]["feedback"].count("SyntaxError") == 1
    assert "SyntaxError" not in rows["gd_step"]["feedback"]
    assert feedback_file(batch, "syntax").count("SyntaxError") == 1


def test_top_level_exception_is_reported_and_defined_functions_still_graded(batch):
    assert points(batch, "toplevel") == FULL
    # said once, above the tasks (every task passed, so no row repeats it)
    assert feedback_file(batch, "toplevel").count("RuntimeError: boom") == 1


def test_any_standard_library_module_can_be_imported(batch):
    # Python may live where the unprivileged child cannot reach it by path (/root/...).
    assert points(batch, "stdlib") == FULL, batch["rows"]["stdlib"]


def test_infinite_loop_times_out_and_says_where(batch):
    assert set(statuses(batch, "loop")) == {"timeout"}
    last_cell = len(cells_of("solutions")) + 1
    feedback = batch["rows"]["loop"][0]["feedback"]
    assert f"did not finish within {TIMEOUT:g} s (in cell {last_cell})" in feedback


@pytest.mark.parametrize("student,error", [("memory", "MemoryError"), ("tensors", "RuntimeError")])
def test_memory_bomb_is_stopped_and_the_limit_named(batch, student, error):
    assert points(batch, student) == FULL
    last_cell = len(cells_of("solutions")) + 1
    feedback = feedback_file(batch, student)  # every task passed: said once, above them
    assert f"went over the 3 GiB memory limit in cell {last_cell} ({error}" in feedback


def test_the_cpu_time_limit_is_named_with_its_cell():
    limits = {**sandbox.default_limits(20), "cpu_seconds": 1}
    executor = sandbox.ForkServerExecutor(child.POLICY, max_workers=1, timeout=20, limits=limits)
    try:
        future = executor.submit(child.run_submission, ["x = 1", "while True:\n    x += 1"], [])
        with pytest.raises(sandbox.JobFailed, match="over the 1 s CPU-time limit in cell 2"):
            future.result()
    finally:
        executor.shutdown()


def test_megabytes_of_output_are_capped(batch):
    assert points(batch, "output") == FULL
    feedback = (batch["out"] / "feedback" / "output" / f"{EXERCISE}.txt").read_text()
    assert "printed 5000001 characters" in feedback
    assert len(feedback) < 5000


def test_sys_exit_and_os_exit(batch):
    assert points(batch, "sysexit") == FULL
    assert "SystemExit" in feedback_file(batch, "sysexit")
    assert set(statuses(batch, "osexit")) == {"error"}
    assert "exited" in batch["rows"]["osexit"][0]["feedback"]


def test_killing_the_grader_fails(batch):
    assert points(batch, "killer") == FULL
    assert points(batch, "good") == FULL


def test_patched_comparisons_and_fake_output_score_zero(batch):
    for student in ("patcher", "patchfirst", "faker"):
        assert points(batch, student) == 0, student
    assert "mallory" not in batch["rows"]


def test_a_table_of_the_old_seed_0_probes_scores_nothing(batch):
    env: dict = {}
    exec(lookup_table_attack(), env)
    for task in tasks.for_exercise(EXERCISE):  # the table does answer the seed-0 probes
        probes = task.hidden(np.random.default_rng(0))
        answers = [collect.collect(task.call, env[task.id], p, task.seconds) for p in probes]
        assert judge.judge(task, probes, answers).passed, task.id
    assert points(batch, "lookup") == 0
    assert set(statuses(batch, "lookup")) == {"error"}
    assert all("not in my table" in r["feedback"] for r in batch["rows"]["lookup"])


def test_files_outside_the_submission_directory_survive(batch):
    assert batch["sentinel"].read_text() == "do not delete"
    assert (batch["root"] / "good" / "01_the_idea.ipynb").exists()
    assert read_csv(batch["out"] / "grades.csv")  # rewritten by the grader, still a CSV
    assert points(batch, "vandal") == FULL


def test_magics_run_as_in_jupyterlab(batch):
    # %%time cells run their bodies, other magics and shell escapes do nothing harmful, and
    # input() meets end-of-file instead of waiting for a keyboard
    assert points(batch, "magics") == FULL, batch["rows"]["magics"]
    feedback = feedback_file(batch, "magics")
    assert "EOFError: input() gets no answer while the notebook is graded" in feedback


def test_grading_internals_cannot_be_imported(batch):
    rows = {r["task"]: r for r in batch["rows"]["insider"]}
    assert rows["mse_gradients"]["status"] == "error"
    assert "not available while a submission is graded" in rows["mse_gradients"]["feedback"]
    # the top-level import is refused too, and named in every task's note
    assert "gdcourse.grading is not available" in rows["gd_step"]["feedback"]


def test_feedback_files_never_show_hidden_probes(batch):
    probes = tasks.get("mse_gradients").hidden_probes(SECRET, "good")
    text = (batch["out"] / "feedback" / "good" / f"{EXERCISE}.txt").read_text()
    assert f"Total: {FULL}/{FULL} points" in text
    assert str(probes[0]["x"][0]) not in text


def test_totals(batch):
    totals = {r["student"]: r for r in read_csv(batch["out"] / "totals.csv")}
    # then one column per assignment: here the one exercise graded
    assert list(next(iter(totals.values()))) == [*gradebook.TOTALS_COLUMNS, EXERCISE]
    assert float(totals["good"]["points"]) == FULL
    assert float(totals["good"]["max_points"]) == FULL


def completed(exercise: str):
    """The exercise notebook as a student hands it in after doing every task: its own
    cells (the import cell with `handed_out(...)` included), each stub replaced by the
    solution's cell of the same id."""
    blank = nbformat.read(ROOT / "exercises" / f"{exercise}.ipynb", as_version=4)
    solved = {
        c.id: c.source for c in nbformat.read(ROOT / "solutions" / f"{exercise}.ipynb", 4).cells
    }
    for cell in blank.cells:
        if cell.cell_type == "code" and "NotImplementedError" in cell.source:
            cell.source = solved[cell.id]
    return blank


def test_every_solution_full_marks_and_every_blank_zero(tmp_path):
    for exercise in tasks.exercises():
        for folder in ("solutions", "exercises", "completed"):
            target = tmp_path / "subs" / f"{folder}-{exercise}" / f"{exercise}.ipynb"
            target.parent.mkdir(parents=True)
            if folder == "completed":
                nbformat.write(completed(exercise), target)
            else:
                shutil.copy(ROOT / folder / f"{exercise}.ipynb", target)
    pipeline.grade([tmp_path / "subs"], tmp_path / "out", secret=SECRET, jobs=2)
    totals = {r["student"]: r for r in read_csv(tmp_path / "out" / "totals.csv")}
    rows = read_csv(tmp_path / "out" / "grades.csv")
    for exercise in tasks.exercises():
        maximum = str(sum(t.points for t in tasks.for_exercise(exercise)))
        full = totals[f"solutions-{exercise}"]  # out of every exercise graded: fixed maxima
        assert full[exercise] == maximum
        assert full["max_points"] == str(sum(t.points for t in tasks.all_tasks()))
        assert totals[f"exercises-{exercise}"][exercise] == "0"
        # what a student who did every task hands in: the exercise's own import cell
        # (`handed_out`) runs quietly, and every task scores
        assert totals[f"completed-{exercise}"][exercise] == maximum, exercise
        mine = [r for r in rows if r["student"] == f"completed-{exercise}"]
        assert mine and not any(r["feedback"] for r in mine), mine[:2]


def test_rerun_grades_only_what_changed_and_force_regrades(tmp_path):
    subs = tmp_path / "subs"
    for student in ("ann", "ben"):
        (subs / student).mkdir(parents=True)
        shutil.copy(ROOT / "solutions" / f"{EXERCISE}.ipynb", subs / student / "a.ipynb")
    out = tmp_path / "out"
    first = pipeline.grade([subs], out, secret=SECRET)
    assert first["graded"] == 2
    again = pipeline.grade([subs], out, secret=SECRET)
    assert again["graded"] == 0 and again["reused"] == 2
    shutil.copy(ROOT / "exercises" / f"{EXERCISE}.ipynb", subs / "ben" / "a.ipynb")
    changed = pipeline.grade([subs], out, secret=SECRET)
    assert changed["graded"] == 1
    totals = {r["student"]: r["points"] for r in read_csv(out / "totals.csv")}
    assert totals == {"ann": str(FULL), "ben": "0"}
    assert pipeline.grade([subs], out, secret=SECRET, force=True)["graded"] == 2
    assert len(read_csv(out / "grades.csv")) == 2 * N_TASKS
    # another secret draws other hidden probes: nothing saved under the old one is reused
    renewed = pipeline.grade([subs], out, secret=b"a new secret")
    assert renewed["graded"] == 2 and renewed["reused"] == 0
    totals = {r["student"]: r["points"] for r in read_csv(out / "totals.csv")}
    assert totals == {"ann": str(FULL), "ben": "0"}
    saved = b"".join(path.read_bytes() for path in out.rglob("*") if path.is_file())
    assert SECRET not in saved and b"a new secret" not in saved


def test_a_killed_run_resumes_without_loss_or_duplicates(tmp_path, own_config_folder):
    subs = tmp_path / "subs"
    solution = cells_of("solutions")
    for i in range(6):
        (subs / f"s{i}").mkdir(parents=True)
        slow = ["import time\ntime.sleep(1.5)"] if i else []
        (subs / f"s{i}" / "a.ipynb").write_text(notebook(solution + slow))
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "gdcourse",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = out / ".results"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.1)
    process.kill()
    process.wait()
    saved = len(list(results.glob("*.json")))
    assert 2 <= saved < 6
    # the command created the default secret; the same secret draws the same probes
    key = secret_file.load()
    assert key.path.is_relative_to(own_config_folder) and not key.created
    summary = pipeline.grade([subs], out, secret=key.key)
    assert summary["reused"] == saved and summary["graded"] == 6 - saved
    rows = read_csv(out / "grades.csv")
    assert len(rows) == 6 * N_TASKS
    assert all(r["status"] == "passed" for r in rows)


def test_usage_errors_exit_2(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "file")]) == 2
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--jobs", "0"]) == 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["grade", str(tmp_path)])  # --out missing: argparse's usage error
    assert exc.value.code == 2


def test_exit_status_zero_and_summary_line(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    shutil.copy(ROOT / "exercises" / f"{EXERCISE}.ipynb", tmp_path / "subs" / "x.ipynb")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("graded 1 of 1 submissions")


def test_environment_of_the_child_is_scrubbed(tmp_path, monkeypatch):
    monkeypatch.setenv("GDCOURSE_SECRET", "s3cret")
    (tmp_path / "subs").mkdir()
    probe_cells = cells_of("solutions")[:1] + [
        "import os\n"
        "def gd_step(theta, grad, lr):\n"
        "    return theta - lr * grad * (1 if 'GDCOURSE_SECRET' not in os.environ else 2)\n"
        "def mse_gradients(x, y, w, b):\n"
        "    import numpy as np\n"
        "    r = w * x + b - y\n"
        "    return 2 * np.mean(r * x), 2 * np.mean(r * (0 if os.getcwd() == '/' else 1))"
    ]
    (tmp_path / "subs" / "env.ipynb").write_text(notebook(probe_cells))
    pipeline.grade([tmp_path / "subs"], tmp_path / "out", secret=SECRET)
    rows = {r["task"]: r for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["gd_step"]["status"] == "passed"
    assert rows["mse_gradients"]["status"] == "passed"


@pytest.mark.skipif(os.geteuid() != 0, reason="per-slot users need root")
def test_children_do_not_run_as_root(tmp_path):
    (tmp_path / "subs").mkdir()
    cells = cells_of("solutions")[:1] + [
        "import os\n"
        "def gd_step(theta, grad, lr):\n"
        "    return theta - lr * grad if os.geteuid() != 0 else theta"
    ]
    (tmp_path / "subs" / "uid.ipynb").write_text(notebook(cells))
    pipeline.grade([tmp_path / "subs"], tmp_path / "out", secret=SECRET)
    rows = {r["task"]: r for r in read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["gd_step"]["status"] == "passed"
