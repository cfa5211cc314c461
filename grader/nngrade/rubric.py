"""The rubric: how many points each contract name is worth, read from an editable TOML file."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from nngrade.contract import MODULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_RUBRIC = Path(__file__).with_name("rubric.toml")

__all__ = ["DEFAULT_RUBRIC", "Rubric", "RubricError", "load_rubric"]


class RubricError(ValueError):
    """The rubric file does not match the contract; the message says what to fix."""


@dataclass(frozen=True)
class Rubric:
    points: dict[str, dict[str, float]]  # module -> name -> points
    sha256: str
    path: Path

    @property
    def total(self) -> float:
        return sum(sum(names.values()) for names in self.points.values())

    def module_total(self, module: str) -> float:
        """The points of one module (an assignment made of whole modules is worth this)."""
        return sum(self.points.get(module, {}).values())

    def of(self, module: str, name: str) -> float:
        return self.points[module][name]


def load_rubric(path: Path | None = None) -> Rubric:
    """Read and validate a rubric: every contract name present, no unknown names, no negatives."""
    path = Path(path) if path else DEFAULT_RUBRIC
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from exc
    points: dict[str, dict[str, float]] = {}
    problems = []
    for module, names in MODULES.items():
        section = data.get(module, {})
        points[module] = {}
        for name in names:
            value = section.get(name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                problems.append(f"[{module}] {name!r} needs a number of points >= 0")
                continue
            points[module][name] = float(value)
        for extra in set(section) - set(names):
            problems.append(f"[{module}] {extra!r} is not a contract name")
    for extra in set(data) - set(MODULES):
        problems.append(f"[{extra}] is not a contract module")
    if problems:
        raise RubricError(f"{path}:\n  " + "\n  ".join(sorted(problems)))
    return Rubric(points, hashlib.sha256(raw).hexdigest(), path)
