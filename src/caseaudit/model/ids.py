"""Stable numbers from ids: a fingerprint per id, for tie-breaks and sampling.

Not Python's ``hash`` (salted per process): the same ids give the same numbers on every
machine, so plans are reproducible. The seeded mix of two fingerprints is the core's
(``solver.ties``).
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
