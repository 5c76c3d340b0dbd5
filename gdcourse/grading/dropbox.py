"""`gdcourse dropbox`: per-student drop folders on a shared hub, closed at the deadline.

A shared drop folder that every student may write into lets one student create another's
folder first and block or replace their work. Here the instructor (as root) creates the
folders instead, and each belongs to its student:

- `open ROOT --students ada,ben` (or `--roster` a Canvas roster export): ROOT is root's,
  mode 0711 (students pass through it to their own folder but cannot list it or create
  anything in it); ROOT/<login> is the student's, mode 0700. Run it again to add
  students or to reopen after a deadline.
- `close ROOT --out DIR`: each folder is taken back (root's, 0700: the student can no
  longer change it), and every regular file in it that the student owns is copied to
  DIR/<login>/, the layout `gdcourse grade` reads. `DIR/collected.csv` lists each file
  with its size, SHA-256 and the time it was last changed. That time is the file's
  status-change time (ctime) when it is later than the modification time: a student can
  set a file's modification time back (`touch -d`), never its ctime. The copies carry
  that time as their modification time, so late work is judged on it. Symbolic links,
  files someone else owns and other special files are not followed: they are listed as
  skipped, with the reason.
- `return RESULTS`: each student's feedback files (RESULTS/feedback/<student>/, as
  `gdcourse grade` writes them) go to `~<login>/gdcourse-feedback/`, written by a process
  running as that student, so a link a student planted there can only ever lead to
  files the student may write anyway.

- `unpack DOWNLOAD --roster gradebook.csv --out DIR` (any LMS upload, no root): Canvas's
  "Download Submissions" names each file `<name>_<Canvas user id>_<file id>_<file name>`
  (`late` or `LATE` after the name for late work); the roster (Canvas's gradebook
  export) maps the user id, its `ID` column, to the login (`SIS Login ID`), and each file
  goes to DIR/<login>/<file name>, the layout `gdcourse grade` reads.

The hub commands need root (they change owners); every command reports by name the
students or files it could not serve (no such user, a folder that is not theirs, a file
with no roster row) and changes nothing for them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "students_from",
    "open_folders",
    "close_folders",
    "return_feedback",
    "unpack_canvas",
    "main",
]

ROSTER_COLUMNS = ("SIS Login ID", "login", "student")  # Canvas's export first
MAX_BYTES = 50_000_000  # a notebook larger than this is skipped, not copied


def students_from(students: str | None = None, roster: str | None = None) -> list[str]:
    """Logins from a comma-separated list and/or a roster CSV (its login column)."""
    found = [s.strip() for s in (students or "").split(",") if s.strip()]
    if roster:
        with open(roster, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            column = next((c for c in ROSTER_COLUMNS if c in (reader.fieldnames or ())), None)
            if column is None:
                raise ValueError(
                    f"the roster {roster} has none of the columns {', '.join(ROSTER_COLUMNS)}"
                )
            found += [row[column].strip() for row in reader if row[column].strip()]
    if not found:
        raise ValueError("name the students: --students ada,ben or --roster roster.csv")
    bad = [s for s in found if "/" in s or s in (".", "..") or s.startswith("-")]
    if bad:
        raise ValueError(f"not a login name: {bad[0]!r}")
    return list(dict.fromkeys(found))


def _user(login: str):
    try:
        return pwd.getpwnam(login)
    except KeyError:
        return None


def _need_root() -> None:
    if os.geteuid() != 0:
        raise PermissionError("gdcourse dropbox changes folder owners: run it as root (sudo)")


def open_folders(root: str | Path, students: list[str]) -> dict[str, str]:
    """Create (or reopen) ROOT/<login> for each student, theirs alone; {login: problem}."""
    _need_root()
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    os.chown(root, 0, 0)
    os.chmod(root, 0o711)
    problems = {}
    for login in students:
        user = _user(login)
        if user is None:
            problems[login] = "no such user on this machine"
            continue
        folder = root / login
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            info = folder.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid not in (0, user.pw_uid):
                problems[login] = f"{folder} exists and is not this student's folder"
                continue
        os.chown(folder, user.pw_uid, user.pw_gid)
        os.chmod(folder, 0o700)
    return problems


def _changed(info: os.stat_result) -> float:
    """When the student last changed the file: its ctime if later than its mtime."""
    return max(info.st_mtime, info.st_ctime)


def _copy_owned(source: Path, target: Path, uid: int) -> tuple[str, int, str, float]:
    """Copy one file the student owns, never through a link; ("", size, sha256, changed)
    or (why it was skipped, 0, "", 0)."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"cannot be opened ({exc.strerror})", 0, "", 0.0
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file", 0, "", 0.0
        if info.st_uid != uid:
            return "owned by someone else", 0, "", 0.0
        if info.st_size > MAX_BYTES:
            return f"larger than {MAX_BYTES // 1_000_000} MB", 0, "", 0.0
        data = f.read(MAX_BYTES + 1)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    changed = _changed(info)
    os.utime(target, (changed, changed))
    return "", len(data), hashlib.sha256(data).hexdigest(), changed


def close_folders(
    root: str | Path, out: str | Path, students: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Take each student's folder back and copy what they submitted to OUT/<login>/;
    write OUT/collected.csv. ({login: problem}, the logins that submitted nothing)."""
    _need_root()
    root, out = Path(root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    problems, empty, rows = {}, [], []
    for login in students:
        user, folder = _user(login), root / login
        if user is None:
            problems[login] = "no such user on this machine"
            continue
        if folder.is_symlink() or not folder.is_dir():
            problems[login] = f"no drop folder {folder}"
            continue
        files = []
        for top, dirs, names in os.walk(folder, followlinks=False):
            os.chown(top, 0, 0, follow_symlinks=False)  # closed: from now on root's alone
            os.chmod(top, 0o700)
            files += [Path(top, name) for name in dirs + names if os.path.islink(Path(top, name))]
            files += [Path(top, name) for name in names if not os.path.islink(Path(top, name))]
        copied = 0
        for path in sorted(files):
            relative = path.relative_to(folder)
            if path.is_symlink():
                why, size, digest, changed = "a symbolic link (not followed)", 0, "", 0.0
            else:
                target = out / login / relative
                why, size, digest, changed = _copy_owned(path, target, user.pw_uid)
            when = datetime.fromtimestamp(changed, UTC).isoformat(timespec="seconds")
            rows.append([login, str(relative), size, digest, "" if why else when, why])
            copied += not why
        if not copied:
            empty.append(login)
    with open(out / "collected.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "file", "bytes", "sha256", "changed", "skipped"])
        writer.writerows(rows)
    return problems, empty


# Runs as the student (a shell, which every user may run, unlike the course's Python):
# one feedback file from stdin into ~/gdcourse-feedback/NAME.
_WRITE_AS_STUDENT = 'mkdir -p "$HOME/gdcourse-feedback" && cat > "$HOME/gdcourse-feedback/$1"'


def return_feedback(results: str | Path) -> dict[str, str]:
    """Each student's feedback files to ~<login>/gdcourse-feedback/; {login: problem}."""
    _need_root()
    feedback = Path(results) / "feedback"
    if not feedback.is_dir():
        raise ValueError(f"{results} has no feedback/ folder: grade into it first")
    problems = {}
    for folder in sorted(p for p in feedback.iterdir() if p.is_dir()):
        login, user = folder.name, _user(folder.name)
        if user is None or not Path(user.pw_dir).is_dir():
            problems[login] = "no such user (or no home folder) on this machine"
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = "_".join(path.relative_to(folder).parts)
            done = subprocess.run(
                ["/bin/sh", "-c", _WRITE_AS_STUDENT, "sh", name],
                input=path.read_bytes(), capture_output=True,
                user=user.pw_uid, group=user.pw_gid, extra_groups=[],
                env={"PATH": "/usr/bin:/bin", "HOME": user.pw_dir}, cwd="/",
            )  # fmt: skip
            if done.returncode:
                last = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
                problems[login] = f"could not write into {user.pw_dir}/gdcourse-feedback: {last}"
                break
    return problems


_CANVAS_NAME = re.compile(r"^(?P<name>[^_]+)_(?:late_|LATE_)?(?P<id>\d+)_\d+_(?P<file>.+)$")


def unpack_canvas(download: str | Path, roster: str | Path, out: str | Path) -> dict[str, str]:
    """Canvas's bulk download to OUT/<login>/<file name> through the roster; {file: problem}."""
    with open(roster, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if not {"ID", "SIS Login ID"} <= set(reader.fieldnames or ()):
            raise ValueError(f"the roster {roster} needs Canvas's ID and SIS Login ID columns")
        logins = {row["ID"].strip(): row["SIS Login ID"].strip() for row in reader}
    problems = {}
    for path in sorted(Path(download).iterdir()):
        match = _CANVAS_NAME.match(path.name)
        if not path.is_file() or path.is_symlink():
            problems[path.name] = "not a file"
        elif match is None:
            problems[path.name] = "not named as Canvas names a submission (name_id_fileid_file)"
        elif not logins.get(match["id"]):
            problems[path.name] = f"Canvas user id {match['id']} has no login in the roster"
        else:
            target = Path(out) / logins[match["id"]] / match["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return problems


def main(*, action, folder, students=None, roster=None, out=None) -> int:
    """The `gdcourse dropbox` command: 0 when every student was served, 1 when some were
    not (named), 2 on bad input."""
    try:
        if action == "return":
            problems = return_feedback(folder)
        elif action == "unpack":
            if not roster or not out:
                raise ValueError("unpack needs --roster (Canvas's gradebook export) and --out")
            problems = unpack_canvas(folder, roster, out)
        else:
            logins = students_from(students, roster)
            if action == "open":
                problems = open_folders(folder, logins)
            elif out is None:
                raise ValueError("close needs --out DIR: where the submissions are copied")
            else:
                problems, empty = close_folders(folder, out, logins)
                if empty:
                    print(f"dropbox: nothing submitted by: {', '.join(empty)}")
    except (ValueError, PermissionError, OSError) as exc:
        print(f"dropbox: {exc}", file=sys.stderr)
        return 2
    for login, problem in problems.items():
        print(f"dropbox: {login}: {problem}", file=sys.stderr)
    served = {
        "open": "opened",
        "close": f"closed, copied to {out}",
        "return": "feedback returned",
        "unpack": f"unpacked into {out}",
    }
    print(f"dropbox: {served[action]}; {len(problems)} named above not served")
    return 1 if problems else 0
