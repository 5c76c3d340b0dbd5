"""Confine a process with the kernel's own mechanisms: Landlock and a seccomp filter.

A submission's child process must see nothing but what running a notebook needs. Two
Linux mechanisms do that without root and without starting anything (the warm fork
server stays warm: a child confines itself after the fork, before learner code runs):

Landlock (kernel documentation: userspace-api/landlock.rst), an allow-list per process:
    filesystem  read-only beneath the given directories and files (the Python
                installation, the libraries), read-write only in the job's own folder;
                everything else, however it is reached (/proc/<pid>/cwd included), is
                refused;
    network     TCP bind and connect refused (ABI 4 and later);
    scopes      signals only to processes of the same sandbox, abstract UNIX sockets
                only within it (ABI 6 and later).
seccomp (userspace-api/seccomp_filter.rst), a filter on system calls:
    no new sockets of any family (so no UDP, raw or UNIX-socket connections either),
    no io_uring (it would bypass the filter), no new namespaces, no ptrace or reading
    other processes' memory, no mounts, keys, BPF or perf events.

Both are inherited by every descendant and cannot be lifted. `Confinement` is prepared
once in the server (it opens the allowed paths while it still can: as root, Python may
live below a folder an unprivileged child could not enter) and applied in each child.
`missing()` says what this kernel cannot enforce, so the grader can say it once.

The system-call numbers and structures below come from the kernel's uapi headers
(linux/landlock.h, linux/seccomp.h, linux/filter.h, asm/unistd.h).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

__all__ = ["landlock_abi", "missing", "Confinement"]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# ------------------------------------------------------------------ Landlock

# The three Landlock system calls have the same numbers on every architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1

# filesystem rights, and the ABI version that introduced each
_FS_RIGHTS = {
    "execute": (1 << 0, 1),
    "write_file": (1 << 1, 1),
    "read_file": (1 << 2, 1),
    "read_dir": (1 << 3, 1),
    "remove_dir": (1 << 4, 1),
    "remove_file": (1 << 5, 1),
    "make_char": (1 << 6, 1),
    "make_dir": (1 << 7, 1),
    "make_reg": (1 << 8, 1),
    "make_sock": (1 << 9, 1),
    "make_fifo": (1 << 10, 1),
    "make_block": (1 << 11, 1),
    "make_sym": (1 << 12, 1),
    "refer": (1 << 13, 2),
    "truncate": (1 << 14, 3),
    "ioctl_dev": (1 << 15, 5),
}
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

_READ = ("execute", "read_file", "read_dir")


def _rights(names, abi: int) -> int:
    return sum(bit for name, (bit, since) in _FS_RIGHTS.items() if name in names and abi >= since)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers (0: none, or disabled at boot)."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(0, int(version))


# ------------------------------------------------------------------ seccomp

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET

# (audit arch, system calls refused with EPERM, clone) per machine
_ARCH = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "ptrace": 101,
            "mount": 165,
            "umount2": 166,
            "unshare": 272,
            "setns": 308,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "bpf": 321,
            "userfaultfd": 323,
            "perf_event_open": 298,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
        },
        56,
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "ptrace": 117,
            "mount": 40,
            "umount2": 39,
            "unshare": 97,
            "setns": 268,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "bpf": 280,
            "userfaultfd": 282,
            "perf_event_open": 241,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
        },
        220,
    ),
}
_CLONE3 = 435  # the same on both; its flags live in memory a filter cannot read


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _seccomp_program() -> bytes | None:
    """The BPF program of the filter for this machine, or None on an unknown one."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return None
    audit_arch, refused, clone = arch
    deny, enosys, allow = (_RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS, _RET_ALLOW)
    body = [
        _instruction(_JEQ_K, 0, 1, nr) + _instruction(_RET_K, 0, 0, deny) for nr in refused.values()
    ]
    program = [
        _instruction(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        _instruction(_JEQ_K, 1, 0, audit_arch),
        _instruction(_RET_K, 0, 0, deny),  # another ABI (e.g. 32-bit calls): refuse all
        _instruction(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        _instruction(_JGE_K, 0, 1, 0x40000000),  # x32 system calls
        _instruction(_RET_K, 0, 0, deny),
        *body,
        # clone3 passes its flags in memory: answer "not implemented", so the C library
        # falls back to clone, whose flags (argument 0) the filter can read
        _instruction(_JEQ_K, 0, 1, _CLONE3),
        _instruction(_RET_K, 0, 0, enosys),
        _instruction(_JEQ_K, 0, 3, clone),
        _instruction(_LD_W_ABS, 0, 0, 16),  # low half of args[0]
        _instruction(_JSET_K, 0, 1, _NAMESPACE_FLAGS),
        _instruction(_RET_K, 0, 0, deny),
        _instruction(_RET_K, 0, 0, allow),
    ]
    return b"".join(program)


def _install_seccomp(program: bytes) -> None:
    count = len(program) // 8
    buffer = ctypes.create_string_buffer(program, len(program))

    class _Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = _Prog(count, ctypes.cast(buffer, ctypes.c_void_p))
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


# ------------------------------------------------------------------ together


def missing(abi: int | None = None) -> list[str]:
    """What this machine cannot enforce, a sentence each (empty when everything is)."""
    abi = landlock_abi() if abi is None else abi
    lines = []
    if abi < 1:
        lines.append(
            "files: Landlock is not available, so submissions can read every file their user can"
        )
    if abi < 4:
        lines.append(
            "TCP: Landlock (ABI 4) is not available; only the seccomp filter refuses sockets"
        )
    if abi < 6:
        lines.append(
            "signals: Landlock (ABI 6) is not available; only separate user ids stop signals"
        )
    if _seccomp_program() is None:
        lines.append(
            f"system calls: no seccomp filter for {platform.machine()}, so sockets are open"
        )
    return lines


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class Confinement:
    """Landlock rules and a seccomp filter, prepared in a server, applied in each child.

    readable:  directories whose whole tree a child may read (and execute);
    files:     single files it may read, e.g. the learner-facing modules of a package
               whose folder also holds what the child must not read;
    listable:  directories whose entries it may list (names only, not their contents);
    devices:   device files it may read and write (/dev/null).
    A path that does not exist is skipped. The paths are opened now (O_PATH), so a
    server that later drops its privileges still hands its children the same rules.
    """

    def __init__(
        self,
        readable=(),
        files=(),
        listable=(),
        devices=("/dev/null", "/dev/zero", "/dev/urandom"),
    ):
        self.abi = landlock_abi()
        self.program = _seccomp_program()
        self._rules: list[tuple[int, int]] = []  # (O_PATH fd, allowed rights)
        if self.abi < 1:
            return
        rights = (
            (readable, _rights(_READ, self.abi), True),
            (files, _rights(("execute", "read_file"), self.abi), False),
            (listable, _rights(("read_dir",), self.abi), True),
            (devices, _rights(("read_file", "write_file"), self.abi), False),  # file rights only
        )
        for paths, allowed, directory in rights:
            for path in dict.fromkeys(paths):
                if os.path.isdir(path) if directory else os.path.exists(path):
                    self._rules.append((os.open(path, os.O_PATH | os.O_CLOEXEC), allowed))

    @property
    def fds(self) -> list[int]:
        """The descriptors the rules hold (a child must keep them open until `apply`)."""
        return [fd for fd, _ in self._rules]

    def apply(self, workdir: str) -> None:
        """Confine this process (and all it will start): call in the child, before its job."""
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "no_new_privs refused")
        if self.abi >= 1:
            self._landlock(workdir)
        if self.program is not None:
            _install_seccomp(self.program)

    def _landlock(self, workdir: str) -> None:
        abi = self.abi
        every = _rights(_FS_RIGHTS, abi)
        fields = [every]
        if abi >= 4:
            fields.append(_NET_BIND_TCP | _NET_CONNECT_TCP)  # handled, and no rule allows any
        if abi >= 6:
            fields.append(_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL)
        attr = struct.pack(f"{len(fields)}Q", *fields)
        ruleset = _libc.syscall(_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), 0)
        if ruleset < 0:
            raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
        try:
            own = os.open(workdir, os.O_PATH | os.O_CLOEXEC)
            for fd, allowed in [*self._rules, (own, every)]:
                rule = _PathBeneath(allowed, fd)
                if _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0):
                    raise OSError(ctypes.get_errno(), "landlock_add_rule failed")
            os.close(own)
            if _libc.syscall(_RESTRICT_SELF, ruleset, 0) != 0:
                raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
        finally:
            os.close(ruleset)
