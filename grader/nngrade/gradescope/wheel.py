"""nngrade as a wheel, written from the files of the nngrade that is running.

The Gradescope bundle carries the exact grader the instructor tested, so
the wheel is made from the installed package itself, not rebuilt from a
source tree (an instructor may have nngrade from a wheel, with no tree at
all, and a build would need a build backend and the network). A wheel is
a zip with a ``.dist-info`` folder (the binary distribution format,
PEP 427): ``METADATA`` (copied from the installed distribution, so the
dependencies are the declared ones), ``WHEEL``, ``entry_points.txt`` (the
``nngrade`` command) and ``RECORD`` (each file's sha256 and size).

Both source roots of the namespace package (``grader/nngrade`` and
``reference/nngrade`` in a checkout) go in, with their package data (the
rubric, the suites, the report templates and catalogs); caches and hidden
files do not. The archive is deterministic: sorted names, fixed times.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import zipfile
from collections.abc import Mapping
from pathlib import Path

__all__ = ["nngrade_files", "write_nngrade_wheel", "write_wheel"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _excluded(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" or part.endswith(".egg-info")
               for part in relative.parts) or relative.suffix in (".pyc", ".pyo")


def nngrade_files() -> dict[str, Path]:
    """``nngrade/...`` archive name -> file, for every file of the running nngrade."""
    import nngrade

    files: dict[str, Path] = {}
    for root in list(nngrade.__path__):
        base = Path(root)
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base)
            if path.is_file() and not _excluded(relative):
                files.setdefault(f"nngrade/{relative.as_posix()}", path)  # first root wins
    return files


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def write_wheel(folder: Path, name: str, version: str, files: Mapping[str, bytes | Path],
                dist_info: Mapping[str, str], tag: str = "py3-none-any",
                purelib: bool = True, compress: bool = True) -> Path:
    """Write ``{name}-{version}-{tag}.whl`` into ``folder``; return its path.

    ``files`` maps archive names to contents (or files to read);
    ``dist_info`` holds the ``.dist-info`` files other than ``WHEEL`` and
    ``RECORD``, which are written here.
    """
    dist = f"{name.replace('-', '_')}-{version}"
    info_dir = f"{dist}.dist-info"
    entries: dict[str, bytes] = {}
    for arcname in sorted(files):
        content = files[arcname]
        entries[arcname] = content if isinstance(content, bytes) else Path(content).read_bytes()
    for filename in sorted(dist_info):
        entries[f"{info_dir}/{filename}"] = dist_info[filename].encode("utf-8")
    entries[f"{info_dir}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: nngrade\nRoot-Is-Purelib: "
        f"{'true' if purelib else 'false'}\nTag: {tag}\n").encode("ascii")
    record = [f"{arc},{_digest(data)},{len(data)}" for arc, data in entries.items()]
    record.append(f"{info_dir}/RECORD,,")
    entries[f"{info_dir}/RECORD"] = ("\n".join(record) + "\n").encode("utf-8")

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{tag}.whl"
    tmp = path.with_name(f".{path.name}.tmp")
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(tmp, "w", compression=method) as zf:
        for arcname, data in entries.items():
            info = zipfile.ZipInfo(arcname, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = method
            zf.writestr(info, data)
    tmp.replace(path)
    return path


def write_nngrade_wheel(folder: Path) -> Path:
    """The running nngrade as ``nngrade-<version>-py3-none-any.whl`` in ``folder``."""
    dist = importlib.metadata.distribution("nngrade")
    metadata = dist.read_text("METADATA")
    if not metadata:
        raise RuntimeError("the installed nngrade has no METADATA: reinstall it with pip")
    entry_points = dist.read_text("entry_points.txt") or \
        "[console_scripts]\nnngrade = nngrade.console:main\n"
    return write_wheel(Path(folder), "nngrade", dist.version, nngrade_files(),
                       {"METADATA": metadata, "entry_points.txt": entry_points})
