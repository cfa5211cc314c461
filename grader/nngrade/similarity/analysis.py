"""A whole class compared, module by module: what the report and the CSV are made from.

``analyse`` takes the hand-ins (as ``nngrade.similarity.intake`` reads
them), the given code and the settings, and for each module of the
contract: finds each file's dead code (knowing which names the whole
hand-in uses), scores every pair (``nngrade.similarity.compare``), groups
flagged pairs into clusters, and works out the matching regions of the
pairs the report will show side by side. It reads every file as text and
never raises for a bad one: a hand-in that could not be read is listed
with the reason, and a module a hand-in lacks is simply not compared.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from nngrade.contract import MODULES
from nngrade.similarity.clusters import Cluster, RepeatedPair, find_clusters, repeated_pairs
from nngrade.similarity.compare import ModuleResult, Pair, Settings, compare_module, fragments
from nngrade.similarity.deadcode import hand_in_dead_spans
from nngrade.similarity.given import GivenCode
from nngrade.similarity.intake import HandIn

__all__ = ["MAX_SHOWN", "Analysis", "ModuleAnalysis", "analyse", "shown_pairs"]


@dataclass
class ModuleAnalysis:
    """One module's comparison, its clusters and the pairs the report shows."""

    result: ModuleResult
    clusters: list[Cluster]
    shown: list[Pair]  # flagged pairs and the top ones, with their matching regions
    missing: list[str]  # hand-ins (readable) without this module's file

    @property
    def module(self) -> str:
        return self.result.module


@dataclass
class Analysis:
    """Everything the report says."""

    settings: Settings
    given: GivenCode
    hand_ins: list[HandIn]
    modules: list[ModuleAnalysis]
    repeated: list[RepeatedPair]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def unreadable(self) -> list[HandIn]:
        return [h for h in self.hand_ins if h.error]


def contract_names(module: str) -> set[str]:
    """Top-level names of ``module`` the contract asks for (classes for their methods)."""
    return {name.split(".")[0] for name in MODULES.get(module, ())}


MAX_SHOWN = 200  # side-by-side views per module; the CSV has every pair


def shown_pairs(result: ModuleResult, settings: Settings) -> list[Pair]:
    """The pairs listed with a side-by-side view: every flagged one (at most ``MAX_SHOWN``),
    and at least the ``top`` best."""
    flagged = sum(p.flagged for p in result.pairs)
    return result.pairs[:min(MAX_SHOWN, max(settings.top, flagged))]


def analyse(hand_ins: Sequence[HandIn], given: GivenCode, settings: Settings,
            modules: Sequence[str] | None = None) -> Analysis:
    """Compare every pair of ``hand_ins`` in each of ``modules`` (default: the contract's)."""
    started = time.perf_counter()
    readable = [h for h in hand_ins if not h.error]
    wanted = list(modules) if modules else list(MODULES)
    keep = {module: contract_names(module) for module in MODULES}
    dead = {h.student: hand_in_dead_spans(h.files, keep) for h in readable}
    analyses = []
    for module in wanted:
        files = {h.student: h.files[module] for h in readable if module in h.files}
        result = compare_module(module, files, given, settings,
                                {student: dead[student][module] for student in files})
        clusters = find_clusters(result)
        shown = shown_pairs(result, settings)
        for pair in shown:
            pair.fragment_list = fragments(result.documents[pair.a], result.documents[pair.b],
                                           pair.shared, settings.k)
        missing = [h.student for h in readable if module not in h.files]
        analyses.append(ModuleAnalysis(result, clusters, shown, missing))
    repeated = repeated_pairs(a.result for a in analyses)
    return Analysis(settings, given, list(hand_ins), analyses, repeated,
                    seconds=time.perf_counter() - started)
