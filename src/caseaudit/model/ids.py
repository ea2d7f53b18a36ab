"""Stable numbers from ids: fingerprints and a seeded mix, for tie-breaks and sampling.

Not Python's ``hash`` (salted per process): the same ids and seed give the same numbers
on every machine, so plans are reproducible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def fingerprint(ids: Sequence[str]) -> np.ndarray:
    """A stable 63-bit number per id."""
    values = [
        int.from_bytes(hashlib.blake2b(i.encode(), digest_size=8).digest(), "little") >> 1
        for i in ids
    ]
    return np.array(values, dtype=np.uint64)


def mix(left: np.ndarray, right: np.ndarray, seed: int) -> np.ndarray:
    """Combine two fingerprint arrays and a seed into well-spread 64-bit numbers
    (splitmix64's finaliser)."""
    with np.errstate(over="ignore"):
        mixed = (
            left * np.uint64(0x9E3779B97F4A7C15)
            ^ right
            ^ np.uint64(seed & 0xFFFFFFFF) * np.uint64(0xBF58476D1CE4E5B9)
        )
        mixed ^= mixed >> np.uint64(31)
        mixed *= np.uint64(0x94D049BB133111EB)
        mixed ^= mixed >> np.uint64(29)
    return mixed
