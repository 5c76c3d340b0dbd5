"""The grading secret: created once in the instructor's configuration folder, reused, and
never accepted where the hand-out, the submissions or the results could carry it."""

import csv
import os
import shutil
import stat
from pathlib import Path

import pytest

from gdcourse import cli
from gdcourse.authoring import release
from gdcourse.grading import confine, pipeline
from gdcourse.grading import secret as secret_file

ROOT = Path(__file__).resolve().parents[2]
EXERCISE = "01_the_idea"


def test_the_default_secret_is_created_private_once_and_reused(own_config_folder):
    first = secret_file.load()
    assert first.path == own_config_folder / "gdcourse" / "grading-secret"
    assert first.created and len(first.key) == 64  # token_hex(32)
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(first.path.parent.stat().st_mode) == 0o700
    again = secret_file.load()
    assert again.key == first.key and not again.created


def test_without_xdg_config_home_the_secret_lives_under_home():
    path = secret_file.default_path({"HOME": "/home/teacher"})
    assert path == Path("/home/teacher/.config/gdcourse/grading-secret")
    assert secret_file.default_path({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}).parent == Path(
        "/x/gdcourse"
    )


def test_the_course_folder_is_the_one_the_hand_out_is_made_from():
    assert secret_file.COURSE == release.ROOT


def test_a_given_secret_must_exist_and_hold_something(tmp_path):
    with pytest.raises(secret_file.SecretError, match="no secret file"):
        secret_file.load(tmp_path / "missing")
    (tmp_path / "empty").write_text(" \n")
    with pytest.raises(secret_file.SecretError, match="is empty"):
        secret_file.load(tmp_path / "empty")
    (tmp_path / "mine").write_text("correct horse battery staple\n")
    assert secret_file.load(tmp_path / "mine").key == b"correct horse battery staple"


def test_a_secret_inside_the_course_folder_is_refused(monkeypatch):
    with pytest.raises(secret_file.SecretError, match="inside"):
        secret_file.load(ROOT / "notebooks" / "grading-secret")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(ROOT / "config"))
    with pytest.raises(secret_file.SecretError, match="inside"):
        secret_file.load()  # the default is refused there too, before it is created
    assert not (ROOT / "config").exists()


@pytest.fixture
def submissions(tmp_path):
    (tmp_path / "subs" / "ann").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{EXERCISE}.ipynb", tmp_path / "subs" / "ann" / "a.ipynb")
    return tmp_path / "subs"


def grade(submissions, out, *options):
    return cli.main(["grade", str(submissions), "--out", str(out), *options])


def test_grade_refuses_a_secret_in_the_course_or_the_submissions_or_the_results(
    submissions, tmp_path, capsys
):
    out = tmp_path / "out"
    for inside in (ROOT / "grading-secret", submissions / "secret", out / "secret"):
        inside.parent.mkdir(parents=True, exist_ok=True)
        if not inside.is_relative_to(ROOT):  # a real file, refused for where it is
            inside.write_text("x" * 64)
        assert grade(submissions, out, "--secret", str(inside)) == 2
        assert "inside" in capsys.readouterr().err
    assert not (out / "grades.csv").exists()
    assert grade(submissions, out, "--secret", str(tmp_path / "missing")) == 2
    assert "no secret file" in capsys.readouterr().err


def test_grade_says_where_the_secret_lives_and_uses_the_given_one(submissions, tmp_path, capsys):
    out = tmp_path / "out"
    assert grade(submissions, out) == 0
    first = capsys.readouterr()
    default = secret_file.default_path()
    assert f"hidden probes come from the secret in {default} (created now)" in first.err
    assert len(first.out.strip().splitlines()) == 1  # stdout keeps its one summary line
    assert grade(submissions, out) == 0
    again = capsys.readouterr()
    assert f"secret in {default}; keep it" in again.err and "graded 0 of 1" in again.out
    mine = tmp_path / "mine"
    mine.write_text("another secret")
    assert grade(submissions, out, "--secret", str(mine)) == 0
    renewed = capsys.readouterr()
    assert f"secret in {mine};" in renewed.err and "graded 1 of 1" in renewed.out


@pytest.mark.skipif(
    os.geteuid() != 0 and confine.landlock_abi() < 1,
    reason="without root, only Landlock keeps the grader's own files from a submission",
)
def test_a_submission_cannot_read_the_secret(submissions, tmp_path):
    key = secret_file.load()
    cells = [
        "def gd_step(theta, grad, lr):\n"
        f"    try:\n        open({str(key.path)!r}).read()\n"
        "    except PermissionError:\n        return theta - lr * grad\n"
        "    return theta"
    ]
    from tests.grading.test_pipeline import notebook

    (submissions / "eve").mkdir()
    (submissions / "eve" / "a.ipynb").write_text(notebook(cells))
    pipeline.grade([submissions], tmp_path / "out", secret=key.key)
    with open(tmp_path / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {(r["student"], r["task"]): r for r in csv.DictReader(f)}
    assert rows["eve", "gd_step"]["status"] == "passed", rows["eve", "gd_step"]
