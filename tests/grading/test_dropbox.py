"""Drop folders on a hub, with real users and permissions (as root): no student can create,
block, read or overwrite another's folder; closing takes the folders back and copies
what each student submitted with a time they could not set back; feedback reaches each
student's home only, written as that student."""

import csv
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from gdcourse import cli
from gdcourse.grading import dropbox

STUDENTS = ("gdc-ada", "gdc-ben")


@pytest.fixture(scope="module")
def base():
    """A folder every user can pass through (pytest's own temporary folder is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="gdcourse-dropbox-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def tmp(base, request):
    folder = base / request.node.name
    folder.mkdir(mode=0o755)
    return folder


@pytest.fixture(scope="module")
def users(base):
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("real students need root and useradd")
    homes = base / "homes"
    homes.mkdir(mode=0o755)
    for login in STUDENTS:
        subprocess.run(["userdel", login], capture_output=True)
        subprocess.run(
            ["useradd", "-m", "-d", str(homes / login), "-s", "/bin/sh", "-U", login], check=True
        )
    yield {login: pwd.getpwnam(login) for login in STUDENTS}
    for login in STUDENTS:
        subprocess.run(["userdel", login], capture_output=True)
        subprocess.run(["groupdel", login], capture_output=True)


def as_student(user, script: str) -> subprocess.CompletedProcess:
    """`sh -c script` run as the student, with their own ids only."""
    return subprocess.run(
        ["sh", "-c", script], user=user.pw_uid, group=user.pw_gid, extra_groups=[],
        capture_output=True, text=True, cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": user.pw_dir},
    )  # fmt: skip


@pytest.fixture
def drop(tmp, users):
    root = tmp / "submit"
    assert cli.main(["dropbox", "open", str(root), "--students", ",".join(STUDENTS)]) == 0
    return root


def test_open_gives_each_student_a_folder_no_one_else_can_touch(drop, users):
    ada, ben = users["gdc-ada"], users["gdc-ben"]
    assert stat_of(drop) == (0, 0o711)
    assert stat_of(drop / "gdc-ada") == (ada.pw_uid, 0o700)
    written = as_student(ada, f"echo mine > {drop}/gdc-ada/08_momentum.ipynb")
    assert written.returncode == 0, written.stderr
    # ben can neither list the drop folder, nor squat a folder, nor read or replace ada's
    for attack in (
        f"ls {drop}",
        f"mkdir {drop}/gdc-carl",
        f"cat {drop}/gdc-ada/08_momentum.ipynb",
        f"echo blank > {drop}/gdc-ada/08_momentum.ipynb",
        f"rm -rf {drop}/gdc-ada",
        f"mv {drop}/gdc-ada {drop}/x",
    ):
        assert as_student(ben, attack).returncode != 0, attack
    assert (drop / "gdc-ada" / "08_momentum.ipynb").read_text() == "mine\n"


def test_a_squatted_or_unknown_folder_is_named_not_taken_over(tmp, users, capsys):
    root = tmp / "submit"
    (root / "gdc-ada").mkdir(parents=True)
    os.chown(root / "gdc-ada", users["gdc-ben"].pw_uid, users["gdc-ben"].pw_gid)
    assert cli.main(["dropbox", "open", str(root), "--students", "gdc-ada,nobody-here"]) == 1
    err = capsys.readouterr().err
    assert "gdc-ada: " in err and "not this student's folder" in err
    assert "nobody-here: no such user" in err
    assert (root / "gdc-ada").stat().st_uid == users["gdc-ben"].pw_uid  # unchanged


def test_close_takes_the_folders_back_and_copies_with_times_a_student_cannot_set_back(
    drop, users, tmp, capsys
):
    ada = users["gdc-ada"]
    folder = drop / "gdc-ada"
    script = (
        f"cd {folder} && echo '{{}}' > 08_momentum.ipynb && mkdir week && echo x > week/a.py"
        f" && touch -d 2020-01-01 08_momentum.ipynb && ln -s /etc/passwd stolen.ipynb"
    )
    assert as_student(ada, script).returncode == 0
    before = time.time() - 5
    out = tmp / "week08"
    close = ["dropbox", "close", str(drop), "--roster", roster(tmp), "--out", str(out)]
    assert cli.main(close) == 0
    assert "nothing submitted by: gdc-ben" in capsys.readouterr().out
    # closed: ada can no longer change her folder, not even the sub-folder she made
    for attempt in (f"echo late > {folder}/09.ipynb", f"echo late > {folder}/week/b.py"):
        assert as_student(ada, attempt).returncode != 0, attempt
    assert stat_of(folder) == (0, 0o700)
    copied = out / "gdc-ada" / "08_momentum.ipynb"
    assert copied.read_text() == "{}\n"
    # the backdated modification time does not count: the ctime (now) does
    assert copied.stat().st_mtime >= before
    assert (out / "gdc-ada" / "week" / "a.py").exists()
    assert not (out / "gdc-ada" / "stolen.ipynb").exists()
    with open(out / "collected.csv", newline="") as f:
        rows = {r["file"]: r for r in csv.DictReader(f)}
    assert rows["stolen.ipynb"]["skipped"].startswith("a symbolic link")
    assert rows["08_momentum.ipynb"]["sha256"] and not rows["08_momentum.ipynb"]["skipped"]
    # reopening gives the folder back for the next week
    assert cli.main(["dropbox", "open", str(drop), "--students", "gdc-ada"]) == 0
    assert as_student(ada, f"echo again > {folder}/09_schedules.ipynb").returncode == 0


def test_return_writes_each_students_feedback_into_their_home_as_them(users, tmp):
    ada, ben = users["gdc-ada"], users["gdc-ben"]
    results = tmp / "results"
    for login, text in (("gdc-ada", "ada: 5/5"), ("gdc-ben", "ben: 2/5"), ("gone", "x")):
        (results / "feedback" / login).mkdir(parents=True)
        (results / "feedback" / login / "08_momentum.txt").write_text(text)
    # ben plants a link where his feedback goes, hoping root follows it into ada's home
    os.makedirs(f"{ben.pw_dir}", exist_ok=True)
    assert as_student(ben, f"ln -s {ada.pw_dir} ~/gdcourse-feedback").returncode == 0
    problems = dropbox.return_feedback(results)
    assert set(problems) == {"gone", "gdc-ben"}, problems
    assert "could not write" in problems["gdc-ben"]
    mine = Path(ada.pw_dir, "gdcourse-feedback", "08_momentum.txt")
    assert mine.read_text() == "ada: 5/5" and mine.stat().st_uid == ada.pw_uid
    # the link led nowhere ben may not write: ada's feedback is intact, nothing of his is there
    assert not Path(ada.pw_dir, "08_momentum.txt").exists()


def test_commands_name_what_they_lack(tmp_path, capsys):
    assert cli.main(["dropbox", "open", str(tmp_path / "s")]) == 2
    assert "--students" in capsys.readouterr().err
    assert cli.main(["dropbox", "close", str(tmp_path / "s"), "--students", "gdc-ada"]) == 2
    assert "--out" in capsys.readouterr().err


def roster(folder: Path) -> str:
    path = folder / "roster.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID\nAda,1,1,gdc-ada\nBen,2,2,gdc-ben\n")
    return str(path)


def stat_of(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_uid, info.st_mode & 0o7777


def test_unpack_maps_a_canvas_download_to_logins_through_the_roster(tmp, capsys):
    download = tmp / "download"
    download.mkdir()
    files = {
        "lovelaceada_101_9001_08_momentum.ipynb": "ada",
        "babbagecharles_late_102_9002_08_momentum-1.ipynb": "late",
        "nobody_999_9003_08_momentum.ipynb": "unknown",
        "notes.txt": "stray",
    }
    for name, text in files.items():
        (download / name).write_text(text)
    gradebook = tmp / "gradebook.csv"
    gradebook.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        '"Lovelace, Ada",101,s1,ada,A\n"Babbage, Charles",102,s2,cb,A\n'
    )
    out = tmp / "submissions"
    argv = ["dropbox", "unpack", str(download), "--roster", str(gradebook), "--out", str(out)]
    assert cli.main(argv) == 1
    assert (out / "ada" / "08_momentum.ipynb").read_text() == "ada"
    assert (out / "cb" / "08_momentum-1.ipynb").read_text() == "late"
    err = capsys.readouterr().err
    assert "nobody_999_9003_08_momentum.ipynb: Canvas user id 999 has no login" in err
    assert "notes.txt: not named as Canvas names a submission" in err
