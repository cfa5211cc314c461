"""Fingerprints of a token stream: k-gram hashes, thinned out by winnowing.

This is the method of MOSS, described in Schleimer, Wilkerson and Aiken,
"Winnowing: Local Algorithms for Document Fingerprinting" (SIGMOD 2003),
and implemented by copydetect and Dolos as well:

1. every run of ``k`` consecutive tokens (a k-gram) is hashed; runs never
   cross a unit's edge (see ``nngrade.similarity.tokens``);
2. in every window of ``w`` consecutive k-gram hashes of a unit, the
   smallest is selected (the rightmost one on a tie), and the selected
   hashes, with their positions, are the file's fingerprints (the paper's
   Definition 1). Two files that share a run of at least ``k + w - 1``
   tokens are guaranteed to share a fingerprint; a run shorter than ``k``
   is never matched, which is what keeps ``return x`` from matching.

The hash of a token is a BLAKE2b digest of its text and the hash of a
k-gram a polynomial over those, mixed: nothing depends on Python's
per-process string hashing (``PYTHONHASHSEED``), so the same class gives
the same fingerprints, and the same report, on every run and machine.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["coverage", "kgram_hashes", "token_ids", "winnow"]

_BASE = np.uint64(0x100000001B3)  # the FNV prime: odd, so the polynomial is a bijection mod 2**64


@lru_cache(maxsize=1 << 16)
def _token_id(word: str) -> int:
    digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def token_ids(words: tuple[str, ...] | list[str]) -> np.ndarray:
    """A stable 64-bit number per token."""
    return np.fromiter((_token_id(w) for w in words), dtype=np.uint64, count=len(words))


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: nearby polynomials get unrelated hashes (fair minima)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def kgram_hashes(ids: np.ndarray, units: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The hash of every k-gram that lies inside one unit, and its first token's position."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + ids[j:j + n]
    positions = np.arange(n, dtype=np.int64)
    inside = units[:n] == units[k - 1:k - 1 + n]
    return _mix(h[inside]), positions[inside]


def winnow(hashes: np.ndarray, groups: np.ndarray, w: int) -> np.ndarray:
    """Indexes (into ``hashes``) of the fingerprints winnowing selects, ascending.

    ``groups`` gives each hash its unit; windows never span two units, and a
    unit with fewer than ``w`` hashes contributes its (rightmost) minimum.
    """
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    chosen = []
    if n >= w:
        windows = sliding_window_view(hashes, w)
        rightmost_min = (w - 1) - np.argmin(windows[:, ::-1], axis=1)
        first = np.arange(n - w + 1)
        same_unit = groups[first] == groups[first + w - 1]
        chosen.append((first + rightmost_min)[same_unit])
    # units too short for one full window
    edges = np.flatnonzero(np.diff(groups)) + 1
    begins = np.concatenate(([0], edges))
    lengths = np.diff(np.concatenate((begins, [n])))
    short = lengths < w
    for begin, length in zip(begins[short].tolist(), lengths[short].tolist(), strict=True):
        part = hashes[begin:begin + length]
        chosen.append(np.array([begin + length - 1 - int(np.argmin(part[::-1]))]))
    return np.unique(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)


def coverage(positions: np.ndarray, k: int) -> int:
    """How many tokens the k-grams starting at ``positions`` (sorted, distinct) cover."""
    if len(positions) == 0:
        return 0
    return int(np.minimum(np.diff(positions), k).sum()) + k
