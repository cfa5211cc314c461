"""Confinement a forked child applies to itself before it runs student code.

Namespaces (bubblewrap) decide what the worker can *see*; this module limits
what the child can *do*, and it is all that is left where bubblewrap is not
available:

- rlimits: address space, CPU seconds, file size, open files, processes,
  no core dumps;
- a seccomp filter (libseccomp through ctypes, no compiled extension), with
  ``no_new_privs``: no new processes (fork, vfork, clone without
  CLONE_THREAD; clone3 answers ENOSYS so glibc falls back to clone for
  threads), no exec, no ptrace or cross-process memory access, no sockets
  (a child needs none: it talks over inherited pipes), no mounts or
  namespace changes, no SysV / POSIX message-queue IPC (which would outlive
  the child and could be read by the next student's), no io_uring (which
  bypasses seccomp), no signals to any process but itself;
- ``PR_SET_PDEATHSIG``, so the child dies with the zygote.

Imports only the standard library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import resource
import signal
import struct
import sys
from collections.abc import Mapping

__all__ = [
    "NOBODY",
    "apply_rlimits",
    "compile_filter",
    "install_filter",
    "seccomp_available",
    "set_dumpable",
    "set_parent_death_signal",
]

NOBODY = 65534  # the uid and gid a child drops to in the fallback, when the grader is root

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, arg: int) -> None:
    if _libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def set_dumpable(dumpable: bool) -> None:
    """A non-dumpable process cannot be ptraced nor have its /proc/PID/mem or fds opened."""
    _prctl(_PR_SET_DUMPABLE, 1 if dumpable else 0)


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies."""
    _prctl(_PR_SET_PDEATHSIG, int(sig))


# name -> (soft, hard); the caller passes byte / second / count values.
_RLIMITS = {
    "memory_bytes": resource.RLIMIT_AS,
    "file_bytes": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "processes": resource.RLIMIT_NPROC,
}


def apply_rlimits(limits: Mapping[str, int]) -> list[str]:
    """Lower the rlimits named in ``limits`` (see ``_RLIMITS``, plus ``cpu_seconds``).

    Core dumps are always disabled. Returns the names that could not be set,
    so that the grader can report a missing protection instead of failing.
    """
    failed: list[str] = []

    def lower(which: int, soft: int, hard: int, label: str) -> None:
        try:
            old_soft, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                hard = min(hard, old_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (OSError, ValueError):
            failed.append(label)

    lower(resource.RLIMIT_CORE, 0, 0, "core")
    for name, which in _RLIMITS.items():
        if name in limits:
            value = int(limits[name])
            lower(which, value, value, name)
    if "cpu_seconds" in limits:
        cpu = max(1, int(limits["cpu_seconds"]))
        # SIGXCPU at the soft limit, SIGKILL one second later if it is caught.
        lower(resource.RLIMIT_CPU, cpu, cpu + 1, "cpu_seconds")
    # A write past RLIMIT_FSIZE should fail with EFBIG, not kill the child.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return failed


# ------------------------------------------------------------------ seccomp

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_NE = 1
_SCMP_CMP_MASKED_EQ = 7
_CLONE_THREAD = 0x00010000


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


# Denied outright with EPERM. Unknown names (older kernels/libseccomp) are skipped.
_DENY = (
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "tkill",
    "socket",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "mount_setattr",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "open_by_handle_at",
    "name_to_handle_at",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "shmget",
    "shmat",
    "msgget",
    "semget",
    "mq_open",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "iopl",
    "ioperm",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "syslog",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "clock_adjtime",
)
# Signals may go to this process only (arg 0 is the target pid / tgid).
_SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def _load_libseccomp() -> ctypes.CDLL | None:
    for name in ("libseccomp.so.2", ctypes.util.find_library("seccomp")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError:
            continue
        lib.seccomp_init.restype = ctypes.c_void_p
        lib.seccomp_init.argtypes = [ctypes.c_uint32]
        lib.seccomp_rule_add_array.restype = ctypes.c_int
        lib.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.POINTER(_ArgCmp),
        ]
        lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
        lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        lib.seccomp_load.restype = ctypes.c_int
        lib.seccomp_load.argtypes = [ctypes.c_void_p]
        lib.seccomp_export_bpf.restype = ctypes.c_int
        lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.seccomp_release.restype = None
        lib.seccomp_release.argtypes = [ctypes.c_void_p]
        return lib
    return None


_lib: ctypes.CDLL | None = _load_libseccomp()


def seccomp_available() -> bool:
    """Whether libseccomp could be loaded (the filter itself is installed per child)."""
    return _lib is not None


# A pid no real process has: the filter is compiled once in the zygote with
# this value in the "signals to self only" rules, and each child patches in
# its own pid (compiling and loading through libseccomp in every forked
# child costs ~2 ms of copy-on-write faults; patching costs ~20 us).
_PID_PLACEHOLDER = 0x7EADBEEF
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def compile_filter() -> bytes:
    """The child's seccomp program as classic BPF, with a placeholder for its pid.

    Raises ``OSError`` if libseccomp is missing or refuses a rule.
    """
    lib = _lib
    if lib is None:
        raise OSError(errno.ENOSYS, "libseccomp is not available")
    ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
    if not ctx:
        raise OSError(errno.ENOMEM, "seccomp_init failed")
    try:
        eperm = _act_errno(errno.EPERM)

        def rule(action: int, name: str, *cmps: tuple[int, int, int, int]) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                return  # not a syscall on this architecture / libseccomp version
            array = (_ArgCmp * max(1, len(cmps)))(*(_ArgCmp(*c) for c in cmps))
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
            if rc < 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")

        for name in _DENY:
            rule(eperm, name)
        # clone3 cannot be filtered on its flags (they sit in a struct):
        # ENOSYS makes glibc fall back to clone, which can.
        rule(_act_errno(errno.ENOSYS), "clone3")
        rule(eperm, "clone", (0, _SCMP_CMP_MASKED_EQ, _CLONE_THREAD, 0))
        for name in _SELF_ONLY:
            rule(eperm, name, (0, _SCMP_CMP_NE, _PID_PLACEHOLDER, 0))
        read_fd, write_fd = os.pipe()
        try:
            rc = lib.seccomp_export_bpf(ctx, write_fd)
            os.close(write_fd)
            write_fd = -1
            if rc < 0:
                raise OSError(-rc, f"seccomp_export_bpf: {os.strerror(-rc)}")
            chunks = []
            while chunk := os.read(read_fd, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
    finally:
        lib.seccomp_release(ctx)
    program = b"".join(chunks)
    if (
        not program
        or len(program) % 8
        or _PID_PLACEHOLDER.to_bytes(4, sys.byteorder) not in program
    ):
        raise OSError(errno.EINVAL, "unexpected BPF program from libseccomp")
    return program


def install_filter(program: bytes, pid: int | None = None) -> None:
    """Set ``no_new_privs`` and load ``program`` (from ``compile_filter``) for this process.

    ``pid`` is this process's pid as the kernel sees it from here, the only
    target signals may be sent to. Irreversible; threads started later inherit
    it. Raises ``OSError``.
    """
    pid = os.getpid() if pid is None else pid
    patched = bytearray(program)
    for offset in range(0, len(patched), 8):
        code, jt, jf, k = _INSN.unpack_from(patched, offset)
        if k == _PID_PLACEHOLDER:
            _INSN.pack_into(patched, offset, code, jt, jf, pid)
    buffer = ctypes.create_string_buffer(bytes(patched), len(patched))
    fprog = _SockFprog(len(patched) // 8, ctypes.addressof(buffer))
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"loading the seccomp filter: {os.strerror(err)}")


_INSN = struct.Struct("=HBBI")
