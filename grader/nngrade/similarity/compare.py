"""Every pair of hand-ins of one module, scored by how much of what they wrote is the same.

For each module, each hand-in's file becomes fingerprints
(``nngrade.similarity.fingerprints``), and two kinds of them are told apart:

- **given** fingerprints, of code every student was handed or shown
  (``nngrade.similarity.given``), are dropped: what is left is the code the
  student *wrote*;
- **common** fingerprints, found in more than ``common_limit`` hand-ins
  (``max_share`` of the class, at least ``common_floor``), are how most of
  the class writes that code (MOSS's ``-m``, Dolos's maximum fingerprint
  share). They still count as written code, but sharing them is no
  evidence of anything. The rest is the student's *own* code.

For a pair (A, B):

- ``same_a``: tokens of A's written code that B also has (likewise
  ``same_b``); ``written_a``: tokens of A's written code;
- ``similarity = (same_a + same_b) / (written_a + written_b)``: how much of
  what the two wrote is the same (Dolos's measure, on tokens). A copy has
  nearly all of it; two honest students share only the parts that anyone
  would write alike;
- ``evidence = (matched_a + matched_b) / 2``: tokens of *own* (uncommon)
  code the two share. (Weighting each shared k-gram by how many other
  hand-ins have it was tried and dropped: a copied function is a long run
  of k-grams that each a few classmates also happen to contain, so it
  discounted copies as much as coincidences);
- ``score = similarity * min(1, evidence / min_tokens)``: a pair whose
  shared uncommon code is shorter than ``min_tokens`` (a few lines) cannot
  score high however alike the files are, because a short stretch of
  identical code is weak evidence (two honest three-line solutions can
  coincide, and everything written the common way proves nothing).

Pairs are ranked by score. A pair at or above ``threshold`` is *flagged*:
worth an instructor's look, never a verdict. Only pairs that share own
code are scored; every other pair scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nngrade.similarity.fingerprints import coverage, kgram_hashes, token_ids, winnow
from nngrade.similarity.given import GivenCode
from nngrade.similarity.tokens import TokenStream, tokenize_source

__all__ = ["Document", "Fragment", "ModuleResult", "Pair", "Settings", "compare_module",
           "fragments", "make_document"]

MAX_OCCURRENCES = 8  # of one shared hash per file, when matching regions (repeated code)
_EMPTY_HASHES = np.zeros(0, dtype=np.uint64)
_EMPTY_POSITIONS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Settings:
    """The comparison's parameters, all shown in the report's header."""

    k: int = 10  # tokens per k-gram: shorter shared runs are never matched
    window: int = 5  # winnowing window: shared runs of k + window - 1 tokens are always found
    max_share: float = 0.1  # code in more than this share of the hand-ins is common
    common_floor: int = 4  # ... and in more than this many, in small classes
    min_tokens: int = 60  # shared own tokens needed for a full score (about six lines)
    common_weight: float = 0.25  # what a shared token of common code counts for in evidence
    threshold: float = 0.9  # flag pairs at or above this score
    top: int = 10  # pairs listed with a side-by-side view, per module (flagged ones always)

    def __post_init__(self) -> None:
        if self.k < 2 or not 1 <= self.window <= self.k:
            raise ValueError("k must be at least 2 and the window between 1 and k")
        if not 0 < self.max_share <= 1 or not 0 <= self.threshold <= 1:
            raise ValueError("max_share must be in (0, 1] and threshold in [0, 1]")

    def common_limit(self, documents: int) -> int:
        """A fingerprint found in more hand-ins than this is common code."""
        return max(self.common_floor, math.floor(self.max_share * documents))


@dataclass
class Document:
    """One hand-in's file of one module, as fingerprints."""

    student: str
    text: str
    stream: TokenStream
    hashes: np.ndarray  # every k-gram's hash, in position order
    positions: np.ndarray  # ... and where it starts (token index)
    chosen: np.ndarray  # indexes into hashes/positions that winnowing selected
    dead: list[tuple[int, int]] = field(default_factory=list)  # character ranges set aside
    written_hashes: np.ndarray = field(default_factory=lambda: _EMPTY_HASHES)  # not given
    written_positions: np.ndarray = field(default_factory=lambda: _EMPTY_POSITIONS)
    written_unique: np.ndarray = field(default_factory=lambda: _EMPTY_HASHES)
    written: int = 0  # tokens of written code (covered by written fingerprints)
    own_hashes: np.ndarray = field(default_factory=lambda: _EMPTY_HASHES)  # ... and not common
    own_positions: np.ndarray = field(default_factory=lambda: _EMPTY_POSITIONS)
    own_unique: np.ndarray = field(default_factory=lambda: _EMPTY_HASHES)
    own: int = 0  # tokens of own code
    written_at: dict[int, list[int]] = field(default_factory=dict)  # hash -> positions
    written_keys: frozenset[int] = frozenset()
    own_keys: frozenset[int] = frozenset()
    display_roles: np.ndarray | None = None  # per token, kept by the report once worked out

    @property
    def parsed(self) -> bool:
        return self.stream.parsed


@dataclass(frozen=True)
class Fragment:
    """A region of A (tokens a_start..a_end) found again in B (b_start..b_end)."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int

    @property
    def tokens(self) -> int:
        return self.a_end - self.a_start


@dataclass
class Pair:
    """Two hand-ins of one module and what they share; ``a`` < ``b`` by student id."""

    module: str
    a: str
    b: str
    similarity: float  # share of the written code that is the same in both
    score: float  # similarity, discounted when the shared own code is short
    same_a: int  # tokens of A's written code found in B
    same_b: int
    written_a: int
    written_b: int
    matched_a: int  # tokens of A's own (uncommon) code found in B
    matched_b: int
    evidence: float  # tokens of own code the two share (mean of both sides)
    shared: frozenset[int]  # the written fingerprints both have
    flagged: bool = False
    rank: int = 0
    cluster: int | None = None
    fragment_list: list[Fragment] | None = None

    @property
    def share_a(self) -> float:
        """The share of A's written code found in B."""
        return self.same_a / self.written_a if self.written_a else 0.0

    @property
    def share_b(self) -> float:
        return self.same_b / self.written_b if self.written_b else 0.0


@dataclass
class ModuleResult:
    """The comparison of one module across the class."""

    module: str
    documents: dict[str, Document]
    pairs: list[Pair]  # every pair that shares own code, best score first
    pairs_compared: int  # every pair of hand-ins that have this module
    common_limit: int
    only_given: list[str]  # hand-ins that wrote nothing in this module (stubs, given code)
    not_parsed: list[str]  # hand-ins whose file Python's tokenizer rejected (lexed instead)
    failed: dict[str, str]  # hand-ins whose file could not be compared at all, and why

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]


def make_document(student: str, text: str, settings: Settings,
                  dead: Sequence[tuple[int, int]] = ()) -> Document:
    """Tokens, k-gram hashes and winnowed fingerprints of one file, dead code left out."""
    stream = tokenize_source(text, ignore=dead)
    hashes, positions = kgram_hashes(token_ids(stream.words), stream.units, settings.k)
    chosen = winnow(hashes, stream.units[positions], settings.window)
    return Document(student, text, stream, hashes, positions, chosen, dead=list(dead))


def _own_code(docs: list[Document], given: GivenCode, settings: Settings) -> None:
    """Sort each document's fingerprints into written (not given) and own (not common)."""
    limit = settings.common_limit(len(docs))
    everything = np.concatenate([np.unique(d.hashes) for d in docs] or [_EMPTY_HASHES])
    values, counts = np.unique(everything, return_counts=True)
    common = values[counts > limit]
    for doc in docs:
        fp_hashes = doc.hashes[doc.chosen]
        fp_positions = doc.positions[doc.chosen]
        written = ~np.isin(fp_hashes, given.hashes)
        doc.written_hashes = fp_hashes[written]
        doc.written_positions = fp_positions[written]
        doc.written_unique = np.unique(doc.written_hashes)
        doc.written = coverage(doc.written_positions, settings.k)
        own = ~np.isin(doc.written_hashes, common)
        doc.own_hashes = doc.written_hashes[own]
        doc.own_positions = doc.written_positions[own]
        doc.own_unique = np.unique(doc.own_hashes)
        doc.own = coverage(doc.own_positions, settings.k)
        at: dict[int, list[int]] = {}
        for h, p in zip(doc.written_hashes.tolist(), doc.written_positions.tolist(),
                        strict=True):
            at.setdefault(h, []).append(p)
        doc.written_at = at
        doc.written_keys = frozenset(at)
        doc.own_keys = frozenset(doc.own_unique.tolist())


def _candidate_pairs(docs: list[Document]) -> np.ndarray:
    """Index pairs (i < j) of documents that share at least one own fingerprint."""
    if len(docs) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    hashes = np.concatenate([d.own_unique for d in docs])
    owners = np.concatenate([np.full(len(d.own_unique), i, dtype=np.int64)
                             for i, d in enumerate(docs)])
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    if len(hashes) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    begins = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    sizes = np.diff(np.concatenate((begins, [len(hashes)])))
    n = len(docs)
    codes = []
    shared = sizes > 1
    for begin, size in zip(begins[shared].tolist(), sizes[shared].tolist(), strict=True):
        group = owners[begin:begin + size]
        i, j = np.triu_indices(size, 1)
        codes.append(group[i] * n + group[j])
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1)


def _covered(at: dict[int, list[int]], keys: frozenset[int], k: int) -> int:
    """Tokens covered by the k-grams of the fingerprints ``keys`` (plain Python: for the
    hundred-odd fingerprints of a file this is several times faster than numpy calls)."""
    positions = sorted(p for h in keys for p in at[h])
    if not positions:
        return 0
    total = k
    for before, after in zip(positions, positions[1:], strict=False):
        total += min(k, after - before)
    return total


def _score_pair(module: str, a: Document, b: Document, settings: Settings) -> Pair:
    k = settings.k
    shared = a.written_keys & b.written_keys
    same_a = _covered(a.written_at, shared, k)
    same_b = _covered(b.written_at, shared, k)
    shared_own = shared & a.own_keys & b.own_keys
    matched_a = _covered(a.written_at, shared_own, k)
    matched_b = _covered(b.written_at, shared_own, k)
    total = a.written + b.written
    similarity = (same_a + same_b) / total if total else 0.0
    common_same = max(0, same_a - matched_a) + max(0, same_b - matched_b)
    evidence = (matched_a + matched_b + settings.common_weight * common_same) / 2
    score = similarity * min(1.0, evidence / settings.min_tokens)
    return Pair(module, a.student, b.student, similarity, score, same_a, same_b, a.written,
                b.written, matched_a, matched_b, evidence, shared,
                flagged=score >= settings.threshold)


def compare_module(module: str, files: Mapping[str, str], given: GivenCode,
                   settings: Settings,
                   dead: Mapping[str, Sequence[tuple[int, int]]] | None = None) -> ModuleResult:
    """Score every pair of ``files`` (student -> source of this module).

    ``dead``: per student, the character ranges of dead code to leave out.
    """
    documents: dict[str, Document] = {}
    failed: dict[str, str] = {}
    for student in sorted(files):
        try:
            documents[student] = make_document(student, files[student], settings,
                                               (dead or {}).get(student, ()))
        except Exception as exc:  # noqa: BLE001 - one file must never stop the report
            failed[student] = f"{type(exc).__name__}: {exc}"
    docs = list(documents.values())
    _own_code(docs, given, settings)
    pairs = [_score_pair(module, docs[i], docs[j], settings)
             for i, j in _candidate_pairs(docs).tolist()]
    pairs = [p for p in pairs if p.score > 0]
    pairs.sort(key=lambda p: (-p.score, -p.similarity, p.a, p.b))
    for rank, pair in enumerate(pairs, start=1):
        pair.rank = rank
    n = len(docs)
    return ModuleResult(
        module=module,
        documents=documents,
        pairs=pairs,
        pairs_compared=n * (n - 1) // 2,
        common_limit=settings.common_limit(n),
        only_given=[d.student for d in docs if d.written == 0],
        not_parsed=[d.student for d in docs if not d.parsed],
        failed=failed,
    )


def fragments(a: Document, b: Document, shared: frozenset[int], k: int) -> list[Fragment]:
    """The regions of A found again in B, longest first kept, in A's order.

    Shared fingerprints at the same offset from each other (the same
    stretch of code in both files) merge into one region; then regions are
    kept longest first, each token of either file in one region at most (as
    greedy string tiling does), so code that repeats within a file is paired
    once.
    """
    matches: list[tuple[int, int]] = []  # (offset b - a, position in a)
    for h in shared:
        for p in a.written_at[h][:MAX_OCCURRENCES]:
            for q in b.written_at[h][:MAX_OCCURRENCES]:
                matches.append((q - p, p))
    matches.sort()
    runs: list[list[int]] = []  # [offset, first a, last a]
    for offset, p in matches:
        if runs and runs[-1][0] == offset and p <= runs[-1][2] + k:
            runs[-1][2] = p
        else:
            runs.append([offset, p, p])
    candidates = [Fragment(first, last + k, first + offset, last + k + offset)
                  for offset, first, last in runs]
    candidates.sort(key=lambda f: (-f.tokens, f.a_start, f.b_start))
    kept: list[Fragment] = []
    for frag in candidates:  # greedy tiling: each token of either file in one region at most
        if any((frag.a_start < o.a_end and o.a_start < frag.a_end)
               or (frag.b_start < o.b_end and o.b_start < frag.b_end) for o in kept):
            continue
        kept.append(frag)
    return sorted(kept, key=lambda f: (f.a_start, f.b_start))
