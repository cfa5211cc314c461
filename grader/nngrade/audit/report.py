"""The audit's findings: counts per module and per name, each survivor with its diff.

Terminal text for the instructor at the keyboard, a self-contained HTML page
to keep or share, and a JSON document for tools. Mutants recorded as
equivalent (``equivalent.toml``: the same program in effect, with the reason
reviewed) are counted apart and never listed as holes.
"""

from __future__ import annotations

import difflib
import html
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nngrade.audit.run import Outcome

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["EQUIVALENT_FILE", "AuditReport", "Equivalent", "changed_line", "load_equivalent"]

EQUIVALENT_FILE = Path(__file__).with_name("equivalent.toml")
STATUSES = ("killed", "survived", "flaky", "crashed", "equivalent")


@dataclass(frozen=True)
class Equivalent:
    """A reviewed survivor: in ``function`` (module.name), ``before`` became ``after``.

    ``line`` (optional) is the whole changed line after the mutation, stripped: for
    changes as short as ``1 -> 2`` that could be made in several places of one
    function, so that the entry covers the one place its reason is about.
    """

    function: str
    before: str
    after: str
    reason: str
    line: str = ""


def load_equivalent(path: Path = EQUIVALENT_FILE) -> list[Equivalent]:
    """The reviewed list of equivalent mutants (none when the file does not exist)."""
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Equivalent(e["function"], e["before"], e["after"], e["reason"], e.get("line", ""))
            for e in data.get("equivalent", [])]


def changed_line(original: str, mutated: str) -> str:
    """The first line of ``mutated`` that differs from ``original``, stripped."""
    for old, new in zip(original.splitlines(), mutated.splitlines(), strict=False):
        if old != new:
            return new.strip()
    return ""


def _diff(original: str, mutated: str, module: str) -> str:
    lines = difflib.unified_diff(original.splitlines(), mutated.splitlines(),
                                 f"{module}.py", f"{module}.py (mutant)", n=1, lineterm="")
    return "\n".join(list(lines)[2:])


@dataclass
class AuditReport:
    """Everything the audit found, ready to print."""

    outcomes: Sequence[Outcome]
    originals: Mapping[str, str]  # module -> the unparsed original (mutants are unparsed too)
    seeds: Sequence[int]
    equivalent: Sequence[Equivalent] = ()
    missing: Sequence[str] = ()  # contract names the folder does not have
    skipped: Mapping[str, str] = field(default_factory=dict)  # module -> why not audited
    seconds: float = 0.0

    def status(self, outcome: Outcome) -> str:
        m = outcome.mutant
        if outcome.status in ("survived", "flaky") and any(
                e.function == f"{m.module}.{m.function}" and e.before == m.before
                and e.after == m.after
                and (not e.line or e.line == changed_line(self.originals.get(m.module, ""),
                                                          m.source))
                for e in self.equivalent):
            return "equivalent"
        return outcome.status

    def counts(self, key: str = "module") -> dict[str, Counter[str]]:
        """status counts per module (``key="module"``) or per name (``key="name"``)."""
        out: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            k = o.mutant.module if key == "module" else f"{o.mutant.module}.{o.mutant.function}"
            out.setdefault(k, Counter())[self.status(o)] += 1
        return out

    def holes(self) -> list[Outcome]:
        """Mutants that scored full marks under some seed and are not recorded as equivalent."""
        return [o for o in self.outcomes if self.status(o) in ("survived", "flaky")]

    def total(self) -> Counter[str]:
        return Counter(self.status(o) for o in self.outcomes)

    # ---------------------------------------------------------------- output

    def text(self) -> str:
        total = self.total()
        lines = [f"nngrade audit: {len(self.outcomes)} mutants x {len(self.seeds)} seeds "
                 f"({_seeds_text(self.seeds)}) in {self.seconds:.0f} s",
                 "  " + ", ".join(f"{s} {total.get(s, 0)}" for s in STATUSES)]
        if self.missing:
            lines.append("  missing (not audited): " + ", ".join(self.missing))
        for module, why in self.skipped.items():
            lines.append(f"  {module}: not audited ({why})")
        lines.append("")
        lines.append(f"  {'name':<40} " + " ".join(f"{s:>10}" for s in STATUSES))
        for name, counter in self.counts("name").items():
            lines.append(f"  {name:<40} " + " ".join(f"{counter.get(s, 0):>10}" for s in STATUSES))
        for o in self.holes() + [o for o in self.outcomes if self.status(o) == "crashed"]:
            m = o.mutant
            seeds = ", ".join(f"{s}: {v}" for s, v in sorted(o.verdicts.items()))
            lines += ["", f"{self.status(o).upper()} {m.id}  ({seeds})", f"  {m.describe()}",
                      _indent(self._diff_of(o))]
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        total = self.total()
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td>"
            + "".join(f"<td class='{s}'>{c.get(s, 0)}</td>" for s in STATUSES) + "</tr>"
            for name, c in self.counts("name").items())
        holes = "".join(
            f"<h3 class='{self.status(o)}'>{self.status(o)}: <code>{html.escape(o.mutant.id)}"
            f"</code></h3><p>{html.escape(o.mutant.describe())} &mdash; seeds: "
            f"{html.escape(str(dict(sorted(o.verdicts.items()))))}</p><pre>"
            f"{html.escape(self._diff_of(o))}</pre>"
            for o in self.holes() + [o for o in self.outcomes if self.status(o) == "crashed"])
        missing = ("<p>Missing (not audited): " + html.escape(", ".join(self.missing)) + "</p>"
                   if self.missing else "")
        summary = ", ".join(f"{s} {total.get(s, 0)}" for s in STATUSES)
        return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>nngrade audit</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px;text-align:right}}
td:first-child{{text-align:left}}.survived,.flaky,.crashed{{color:#b00}}pre{{background:#f6f6f6;padding:8px}}</style>
</head><body><h1>nngrade audit</h1>
<p>{len(self.outcomes)} mutants &times; {len(self.seeds)} seeds ({_seeds_text(self.seeds)}),
{self.seconds:.0f} s: {summary}.</p>{missing}
<table><tr><th>name</th>{''.join(f'<th>{s}</th>' for s in STATUSES)}</tr>{rows}</table>
<h2>Survivors and crashes</h2>{holes or '<p>None.</p>'}
</body></html>
"""

    def _diff_of(self, outcome: Outcome) -> str:
        m = outcome.mutant
        return _diff(self.originals.get(m.module, ""), m.source, m.module)

    def as_json(self) -> dict[str, Any]:
        return {
            "seeds": list(self.seeds), "seconds": round(self.seconds, 1),
            "total": dict(self.total()), "missing": list(self.missing),
            "skipped": dict(self.skipped),
            "mutants": [{"id": o.mutant.id, "status": self.status(o), "verdicts": o.verdicts,
                         "lost": o.lost, "before": o.mutant.before, "after": o.mutant.after}
                        for o in self.outcomes],
        }


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _seeds_text(seeds: Iterable[int]) -> str:
    return ", ".join(str(s) for s in seeds)
