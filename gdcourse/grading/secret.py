"""The instructor's grading secret: where it lives, creating it once, refusing bad places.

Hidden probes are drawn from a seed that only the instructor can compute: an HMAC of the
task and the student under this secret (`tasks.Task.hidden_probes`). It lives outside the
course folder, in the instructor's own configuration folder
(`$XDG_CONFIG_HOME/gdcourse/grading-secret`, else `~/.config/gdcourse/grading-secret`),
is created there with `secrets.token_hex(32)` on first use (file 0600, folder 0700) and
reused after that, so resumed runs draw the same probes. `--secret FILE` names another.
A secret inside the course folder that the hand-out is made from, or inside the
submissions or the results, is refused: it would travel to students.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .. import course

__all__ = ["COURSE", "Secret", "SecretError", "default_path", "load", "fingerprint"]

COURSE = course.root()  # the course folder (authoring.release.ROOT)


class SecretError(ValueError):
    """A secret that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Secret:
    """The secret's bytes, the file they came from, and whether this run created it."""

    key: bytes
    path: Path
    created: bool = False


def default_path(environ=None) -> Path:
    """`$XDG_CONFIG_HOME/gdcourse/grading-secret`, else `~/.config/gdcourse/grading-secret`."""
    environ = os.environ if environ is None else environ
    config = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(config).expanduser() / "gdcourse" / "grading-secret"


def _refuse_inside(path: Path, folders) -> None:
    """SecretError when the secret lies inside one of the folders (the course, say)."""
    where = path.resolve()
    for folder in folders:
        if where.is_relative_to(Path(folder).resolve()):
            raise SecretError(
                f"the secret {path} lies inside {folder}, which is handed out or shared; "
                "keep it in your own configuration folder (the default) or pass --secret "
                "with a file elsewhere"
            )


def _create(path: Path) -> bool:
    """Write a new random secret to `path` (0600, its folder 0700) unless one is there."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # whatever the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another run created it a moment ago: use that one
        return False
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def load(given: str | Path | None = None, *, outside=(COURSE,)) -> Secret:
    """The secret from `given`, or from the default file (created on first use).

    A given file must exist and be non-empty. Either is refused (SecretError) when it lies
    inside one of the `outside` folders: the course folder, and whatever else the caller
    names (the submissions and the results).
    """
    path = Path(given).expanduser() if given is not None else default_path()
    _refuse_inside(path, outside)
    created = given is None and _create(path)
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise SecretError(f"no secret file {path}") from None
    except OSError as exc:
        raise SecretError(f"cannot read the secret {path}: {exc.strerror}") from None
    if not key:
        raise SecretError(f"the secret file {path} is empty")
    return Secret(key, path, created)


def fingerprint(key: bytes) -> str:
    """A short hash that names the secret in saved results' keys without revealing it."""
    return hashlib.sha256(b"gdcourse grading secret\0" + key).hexdigest()[:16]
