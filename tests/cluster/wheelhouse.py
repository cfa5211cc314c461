"""An offline wheelhouse of nngrade's dependencies, made from the packages the tests run with.

The bundle's setup.sh installs nngrade's wheel with pip, which then wants
numpy, click, jinja2, pytest... from an index. The tests must not need the
network, so each installed distribution nngrade requires (recursively, with
this interpreter's markers) is packed back into a wheel from its installed
files (its RECORD), with the tags its installed WHEEL file declares; setup.sh
then installs with ``PIP_NO_INDEX=1 PIP_FIND_LINKS=<wheelhouse>``. Files
installed outside site-packages (console scripts, listed as ``../../bin/..``)
are left out: pip writes scripts again from ``entry_points.txt``.
"""

from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from nngrade.gradescope.wheel import write_wheel

__all__ = ["build_wheelhouse", "requirement_closure"]

_SKIP_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "WHEEL"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_closure(root: str) -> list[md.Distribution]:
    """The installed distributions ``root`` needs, itself excluded, extras ignored."""
    env = default_environment()
    seen: dict[str, md.Distribution] = {}
    todo = [root]
    while todo:
        dist = md.distribution(todo.pop())
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                continue
            key = _canonical(req.name)
            if key not in seen and key != _canonical(root):
                seen[key] = md.distribution(req.name)
                todo.append(req.name)
    return list(seen.values())


def _repack(dist: md.Distribution, folder: Path) -> Path:
    wheel_info = dist.read_text("WHEEL") or ""
    tags = [ln.split(":", 1)[1].strip() for ln in wheel_info.splitlines()
            if ln.startswith("Tag:")]
    purelib = "Root-Is-Purelib: true" in wheel_info
    files: dict[str, Path] = {}
    dist_info: dict[str, str] = {}
    for item in dist.files or []:
        posix = item.as_posix()
        if posix.startswith("..") or "__pycache__" in item.parts or posix.endswith(".pyc"):
            continue
        if item.parts[0].endswith(".dist-info"):
            if item.name not in _SKIP_INFO and len(item.parts) == 2:
                dist_info[item.name] = item.read_text() or ""
            continue
        path = Path(str(dist.locate_file(item)))
        if path.is_file():
            files[posix] = path
    name = dist.metadata["Name"]
    return write_wheel(folder, name, dist.version, files, dist_info,
                       tag=tags[0] if tags else "py3-none-any", purelib=purelib,
                       compress=False)


def build_wheelhouse(folder: Path) -> list[Path]:
    """Wheels of every installed dependency of nngrade, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    return [_repack(dist, folder) for dist in requirement_closure("nngrade")]
