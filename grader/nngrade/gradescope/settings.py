"""The course's Gradescope settings: ``course/gradescope.toml`` inside the autograder bundle.

``nngrade gradescope build`` writes the file from its options; an
instructor may edit it in the unzipped bundle and zip it again. Every
submission is graded with the same seed (drawn once, at build time), so a
regrade on Gradescope gives the same points.

Visibility follows Gradescope's four values. Hidden tests default to
``after_due_date``: students see which of their files import at once, and
each hidden test's verdict and feedback after the deadline. A module or one
contract name can be given another visibility (``[visibility]
activations = "visible"``, ``"losses.mse" = "hidden"``).

Timeouts and memory are set for Gradescope's default container: half a
CPU (so the per-call timeout is twice nngrade's default) and 768 MB for
everything (the grading process, the sandbox's worker and the student's
arrays; the worker's limit leaves the rest room).
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["VISIBILITIES", "GradescopeSettings", "SettingsError", "load_settings"]

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
LANGS = ("en", "zh")


class SettingsError(ValueError):
    """The settings file is wrong; the message names the setting and what it may be."""


@dataclass(frozen=True)
class GradescopeSettings:
    seed: int
    lang: str = "en"
    test_visibility: str = "after_due_date"
    check_visibility: str = "visible"
    stdout_visibility: str = "hidden"
    call_timeout: float = 4.0
    submission_timeout: float = 300.0
    memory_mb: int = 384
    visibility: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise SettingsError(f"lang = {self.lang!r}: use one of {', '.join(LANGS)}")
        for name in ("test_visibility", "check_visibility", "stdout_visibility"):
            _check_visibility(name, getattr(self, name))
        from nngrade.contract import MODULES

        for key, value in self.visibility.items():
            _check_visibility(f"visibility.{key}", value)
            module, _, name = key.partition(".")
            if module not in MODULES or (name and name not in MODULES[module]):
                raise SettingsError(f"visibility.{key}: not a module or a contract name "
                                    "(e.g. activations, losses.mse)")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise SettingsError(f"seed = {self.seed!r}: give a whole number")
        if not 0.1 <= float(self.call_timeout) <= 600:
            raise SettingsError("call_timeout must be between 0.1 and 600 seconds")
        if not 1 <= float(self.submission_timeout) <= 2400:
            raise SettingsError("submission_timeout must be between 1 and 2400 seconds "
                                "(Gradescope stops any autograder after 40 minutes)")
        if not 128 <= int(self.memory_mb) <= 65536:
            raise SettingsError("memory_mb must be between 128 and 65536")

    def visibility_for(self, module: str, name: str) -> str:
        """A hidden test's visibility: its contract name's, else its module's, else the default."""
        return self.visibility.get(f"{module}.{name}") or self.visibility.get(module) \
            or self.test_visibility

    @classmethod
    def new(cls, **values: Any) -> GradescopeSettings:
        """Settings with a freshly drawn seed unless one is given."""
        values = {k: v for k, v in values.items() if v is not None}
        values.setdefault("seed", secrets.randbelow(2**31))
        return cls(**values)

    def to_toml(self) -> str:
        lines = [
            "# nngrade's Gradescope settings (read by run_autograder for every submission).",
            "# Visibility values: hidden, after_due_date, after_published, visible.",
        ]
        for f in fields(self):
            if f.name == "visibility":
                continue
            lines.append(f"{f.name} = {json.dumps(getattr(self, f.name))}")
        lines += ["", "# Per module or per contract name, e.g. activations = \"visible\"",
                  "[visibility]"]
        for key, value in sorted(self.visibility.items()):
            lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
        return "\n".join(lines) + "\n"


def _check_visibility(name: str, value: object) -> None:
    if value not in VISIBILITIES:
        raise SettingsError(f"{name} = {value!r}: use one of {', '.join(VISIBILITIES)}")


def load_settings(path: Path) -> GradescopeSettings:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    known = {f.name for f in fields(GradescopeSettings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(unknown)}; "
                            f"known: {', '.join(sorted(known))}")
    if "seed" not in data:
        raise SettingsError(f"{path}: no seed (every submission must be graded with the same)")
    try:
        return GradescopeSettings(**data)
    except TypeError as exc:
        raise SettingsError(f"{path}: {exc}") from exc
