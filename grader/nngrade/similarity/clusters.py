"""Groups of hand-ins that share one source, and pairs that match in more than one module.

Copying is rarely a pair: one solution passes from hand to hand. When three
or more hand-ins of a module are linked by flagged pairs, the report shows
them together (a connected component of the graph whose edges are the
flagged pairs) with every pairwise score, so an instructor compares the
group once instead of pair by pair. The group says nothing about who wrote
the code first.

A pair flagged in several modules is stronger than one flagged once, so
those pairs are listed on their own as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from nngrade.similarity.compare import ModuleResult, Pair

__all__ = ["Cluster", "RepeatedPair", "find_clusters", "repeated_pairs"]

MIN_CLUSTER = 3


@dataclass
class Cluster:
    """Hand-ins of one module linked by flagged pairs (three or more)."""

    module: str
    number: int  # 1, 2, ... within the module, largest first
    members: list[str]
    scores: dict[tuple[str, str], float] = field(default_factory=dict)  # every pair, a < b

    def score(self, a: str, b: str) -> float:
        return self.scores.get((a, b) if a < b else (b, a), 0.0)


@dataclass(frozen=True)
class RepeatedPair:
    """Two students flagged together in more than one module."""

    a: str
    b: str
    modules: tuple[str, ...]
    best: float


def find_clusters(result: ModuleResult) -> list[Cluster]:
    """The module's clusters; each pair inside one gets its ``cluster`` number."""
    neighbours: dict[str, set[str]] = defaultdict(set)
    for pair in result.flagged:
        neighbours[pair.a].add(pair.b)
        neighbours[pair.b].add(pair.a)
    seen: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(neighbours):
        if start in seen:
            continue
        group, stack = [], [start]
        seen.add(start)
        while stack:
            node = stack.pop()
            group.append(node)
            for other in sorted(neighbours[node] - seen):
                seen.add(other)
                stack.append(other)
        if len(group) >= MIN_CLUSTER:
            groups.append(sorted(group))
    groups.sort(key=lambda g: (-len(g), g))
    by_pair = {(p.a, p.b): p for p in result.pairs}
    clusters = []
    for number, members in enumerate(groups, start=1):
        cluster = Cluster(result.module, number, members)
        inside = set(members)
        for (a, b), pair in by_pair.items():
            if a in inside and b in inside:
                cluster.scores[(a, b)] = pair.score
                pair.cluster = number
        clusters.append(cluster)
    return clusters


def repeated_pairs(results: Iterable[ModuleResult]) -> list[RepeatedPair]:
    """Pairs flagged in two or more modules, most modules first."""
    found: dict[tuple[str, str], list[Pair]] = defaultdict(list)
    for result in results:
        for pair in result.flagged:
            found[(pair.a, pair.b)].append(pair)
    repeated = [RepeatedPair(a, b, tuple(p.module for p in pairs), max(p.score for p in pairs))
                for (a, b), pairs in found.items() if len(pairs) > 1]
    repeated.sort(key=lambda r: (-len(r.modules), -r.best, r.a, r.b))
    return repeated
