"""How the zygote is started: bubblewrap's command line, or the unconfined fallback.

The sandbox's filesystem is built from nothing: a read-only view of only what
Python and numpy need (``/usr``, the interpreter, its standard library with
its ``site-packages`` hidden, the numpy package), the worker package (which
holds nothing secret), and two small private tmpfs (``/tmp``, ``/dev/shm``).
The repository, the venv's ``site-packages`` (which holds ``nngrade`` itself,
hence the hidden suites and the reference), ``/root``, ``/home`` and ``/work``
are simply not there. Any site-packages directory or ``nngrade`` install that
happens to sit under a bound directory (e.g. Debian's python in ``/usr``) is
covered by an empty read-only tmpfs.

Where bubblewrap cannot run (not installed, user namespaces disabled), the
zygote runs as a plain subprocess with the same rlimits and seccomp filter,
and children drop to ``nobody`` when the grader runs as root. The reported
protections say what is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nngrade
import nngrade.worker
from nngrade.sandbox.api import SandboxError
from nngrade.worker.bootstrap import BOOTSTRAP

__all__ = ["Launch", "Layout", "bwrap_status", "host_layout", "plan"]

SANDBOX_LIB = "/opt/nngrade/lib"  # holds nngrade/worker
SANDBOX_SITE = "/opt/nngrade/site"  # holds numpy (and numpy.libs)
SANDBOX_SCRATCH = "/tmp"

# The environment of the worker, nothing inherited: deterministic hashing,
# single-threaded BLAS (a 2-core machine grades two students at once).
WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8",
}


@dataclass(frozen=True)
class Layout:
    """Host paths the worker needs, and the ones it must never see."""

    python: str  # the real interpreter binary (not a venv symlink)
    stdlib: str
    libpython: str | None
    numpy: str
    numpy_libs: str | None
    worker: str
    secrets: tuple[str, ...]


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(path))


def _numpy_folder() -> str:
    """numpy's package folder, found without importing numpy (a grading process launches
    its sandbox before it imports numpy)."""
    spec = importlib.util.find_spec("numpy")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxError("numpy is not installed: the sandbox's worker needs it")
    return next(iter(spec.submodule_search_locations))


@functools.cache
def host_layout() -> Layout:
    """Find the interpreter, its standard library, numpy and the worker package on this host."""
    python = _real(sys.executable)
    stdlib = _real(sysconfig.get_paths()["stdlib"])
    libpython = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        name = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY")
        libdir = sysconfig.get_config_var("LIBDIR")
        if name and libdir and os.path.exists(os.path.join(libdir, name)):
            libpython = os.path.join(_real(libdir), name)
    numpy_dir = _real(_numpy_folder())
    libs = os.path.join(os.path.dirname(numpy_dir), "numpy.libs")
    worker = _real(Path(nngrade.worker.__file__).parent)
    # nngrade is a namespace package over grader/ and reference/: hide each root and the
    # folder that holds it (the repository, or site-packages).
    roots = {_real(p) for p in nngrade.__path__}
    secrets = set(roots)
    for root in roots:
        secrets |= {os.path.dirname(root), os.path.dirname(os.path.dirname(root))}
    candidates = list(site.getsitepackages()) + [site.getusersitepackages()]
    for scheme_vars in ({}, {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}):
        paths = sysconfig.get_paths(vars=scheme_vars)
        candidates += [paths["purelib"], paths["platlib"]]
    candidates += [os.path.join(stdlib, "site-packages"), os.path.join(stdlib, "dist-packages")]
    candidates += ["/usr/lib/python3/dist-packages"]
    secrets.update(_real(c) for c in candidates if c and os.path.isdir(c))
    return Layout(
        python=python,
        stdlib=stdlib,
        libpython=libpython,
        numpy=numpy_dir,
        numpy_libs=libs if os.path.isdir(libs) else None,
        worker=worker,
        secrets=tuple(sorted(secrets)),
    )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


@dataclass(frozen=True)
class Launch:
    """Everything ``subprocess.Popen`` needs to start one zygote."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None
    mode: str  # "bwrap" or "none"
    root: str | None  # the fallback's private directory, removed on close
    lib: str  # the sys.path entry that holds nngrade/worker, hidden from student code
    unprobed: bool = False  # bubblewrap chosen without `bwrap_status`: retry with it on failure


def _config(ctrl_fd: int, diag_fd: int, pidns: bool, scratch: str, drop_user: bool) -> str:
    cfg = {
        "ctrl_fd": ctrl_fd,
        "diag_fd": diag_fd,
        "pidns": pidns,
        "scratch": scratch,
        "drop_user": drop_user,
    }
    return json.dumps(cfg)


def bwrap_argv(
    layout: Layout,
    ctrl_fd: int,
    scratch_bytes: int,
    command: list[str] | None = None,
    diag_fd: int = -1,
) -> list[str]:
    """The bubblewrap command line that starts the zygote (or ``command``, for probing)."""
    bwrap = shutil.which("bwrap") or "bwrap"
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "nngrade",
        "--clearenv",
    ]
    for key, value in {**WORKER_ENV, "HOME": SANDBOX_SCRATCH}.items():
        argv += ["--setenv", key, value]
    binds: list[tuple[str, str]] = [("/usr", "/usr")]
    argv += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            argv += ["--ro-bind", top, top]
            binds.append((top, top))
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for path in (layout.python, layout.libpython, layout.stdlib):
        if path and not any(_inside(path, src) for src, _ in binds):
            argv += ["--ro-bind", path, path]
            if os.path.isdir(path):
                binds.append((path, path))
    needed = [p for p in (layout.python, layout.libpython, layout.stdlib) if p]
    for secret in layout.secrets:
        if any(_inside(path, secret) for path in needed):
            continue  # e.g. /usr/local/lib holding the interpreter's own stdlib
        for src, dst in binds:
            if _inside(secret, src) and os.path.isdir(secret):
                hidden = dst + secret[len(src) :]
                argv += ["--tmpfs", hidden, "--remount-ro", hidden]
    argv += ["--ro-bind", layout.numpy, f"{SANDBOX_SITE}/numpy"]
    if layout.numpy_libs:
        argv += ["--ro-bind", layout.numpy_libs, f"{SANDBOX_SITE}/numpy.libs"]
    argv += ["--ro-bind", layout.worker, f"{SANDBOX_LIB}/nngrade/worker"]
    size = str(int(scratch_bytes))
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", size, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    argv += ["--size", size, "--tmpfs", SANDBOX_SCRATCH]
    argv += ["--remount-ro", "/", "--chdir", SANDBOX_SCRATCH]
    if command is None:
        command = [
            layout.python,
            "-I",
            "-S",
            "-B",
            "-c",
            BOOTSTRAP,
            _config(ctrl_fd, diag_fd, True, SANDBOX_SCRATCH, False),
            SANDBOX_LIB,
            SANDBOX_SITE,
            str(diag_fd),
        ]
    return argv + ["--", *command]


@functools.cache
def bwrap_status(scratch_bytes: int = 1 << 20) -> tuple[bool, str]:
    """Whether bubblewrap can start a confined Python here (checked once per process)."""
    if shutil.which("bwrap") is None:
        return False, "bubblewrap (bwrap) is not installed"
    layout = host_layout()
    probe = [layout.python, "-I", "-S", "-B", "-c", "pass"]
    try:
        done = subprocess.run(
            bwrap_argv(layout, -1, scratch_bytes, probe),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap could not start: {exc}"
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return False, "bubblewrap could not start: " + (why[-1] if why else "unknown error")
    return True, ""


def requested_mode(mode: str | None) -> str:
    """``bwrap``, ``none`` or ``auto``, from ``Limits.mode`` or ``$NNGRADE_SANDBOX``."""
    chosen = (mode or os.environ.get("NNGRADE_SANDBOX") or "auto").strip().lower()
    if chosen not in {"bwrap", "none", "auto"}:
        raise ValueError(f"sandbox mode must be bwrap, none or auto, not {chosen!r}")
    return chosen


def plan(ctrl_fd: int, diag_fd: int, mode: str | None, scratch_bytes: int, *,
         probe: bool = True) -> Launch:
    """How to start the zygote: bubblewrap when it works (or is required), else the fallback.

    With ``probe=False`` and the mode left to ``auto``, an installed bubblewrap
    is launched without first checking that it can start (`bwrap_status`,
    a fifth of a second of every cold start): the launch says so
    (``unprobed``), and its caller plans again with the probe if it fails.

    ``diag_fd`` becomes the zygote's stderr. It is passed as an extra fd, not
    as bubblewrap's own stderr: bubblewrap's pid 1 keeps its stdio open, and
    every student could reach it as ``/proc/1/fd/2`` (a channel from one
    student's child to the next one's); extra fds it closes. Raises
    ``SandboxError`` when bubblewrap is required (``mode="bwrap"``) and cannot run.
    """
    layout = host_layout()
    chosen = requested_mode(mode)
    if chosen != "none":
        if not probe and chosen == "auto" and bwrap_status.cache_info().currsize == 0 \
                and shutil.which("bwrap") is not None:
            argv = bwrap_argv(layout, ctrl_fd, scratch_bytes, diag_fd=diag_fd)
            return Launch(argv, {}, None, "bwrap", None, SANDBOX_LIB, unprobed=True)
        ok, why = bwrap_status()
        if ok:
            argv = bwrap_argv(layout, ctrl_fd, scratch_bytes, diag_fd=diag_fd)
            return Launch(argv, {}, None, "bwrap", None, SANDBOX_LIB)
        if chosen == "bwrap":
            raise SandboxError(why)
    return _fallback(layout, ctrl_fd, diag_fd)


def _fallback(layout: Layout, ctrl_fd: int, diag_fd: int) -> Launch:
    """A private directory of symlinks stands in for the sandbox's /opt/nngrade."""
    root = tempfile.mkdtemp(prefix="nngrade-sandbox-")
    os.chmod(root, 0o711)  # children may run as nobody and must reach scratch/
    lib = os.path.join(root, "lib")
    site_dir = os.path.join(root, "site")
    scratch = os.path.join(root, "scratch")
    os.makedirs(os.path.join(lib, "nngrade"))
    os.makedirs(site_dir)
    os.mkdir(scratch, 0o711)
    os.chmod(scratch, 0o711)
    os.symlink(layout.worker, os.path.join(lib, "nngrade", "worker"))
    os.symlink(layout.numpy, os.path.join(site_dir, "numpy"))
    if layout.numpy_libs:
        os.symlink(layout.numpy_libs, os.path.join(site_dir, "numpy.libs"))
    cfg = _config(ctrl_fd, diag_fd, False, scratch, True)
    argv = [layout.python, "-I", "-S", "-B", "-c", BOOTSTRAP, cfg, lib, site_dir, str(diag_fd)]
    return Launch(argv, {**WORKER_ENV, "HOME": scratch}, scratch, "none", root, lib)
