"""A seeded mix of stable fingerprints: the tie-breaks of every plan.

Not Python's ``hash`` (salted per process): the same fingerprints and seed give the same
numbers on every machine, so plans are reproducible. The fingerprints themselves (of
ids) are the domain's (``model.ids``); the core only mixes numbers.
"""

from __future__ import annotations

import numpy as np


def mix(left: np.ndarray, right: np.ndarray, seed: int) -> np.ndarray:
    """Combine two fingerprint arrays and a seed into well-spread 64-bit numbers
    (splitmix64's finaliser)."""
    return mix_finalise(mix_left(left) ^ mix_right(right, seed))


def mix_left(left: np.ndarray) -> np.ndarray:
    """The part of :func:`mix` that depends on the left fingerprint alone."""
    with np.errstate(over="ignore"):
        return left * np.uint64(0x9E3779B97F4A7C15)


def mix_right(right: np.ndarray, seed: int) -> np.ndarray:
    """The part of :func:`mix` that depends on the right fingerprint and the seed alone."""
    with np.errstate(over="ignore"):
        return right ^ np.uint64(seed & 0xFFFFFFFF) * np.uint64(0xBF58476D1CE4E5B9)


def mix_finalise(mixed: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
    """Finish :func:`mix` on ``mix_left(l) ^ mix_right(r, seed)``, in place (``scratch``,
    of the same shape, saves the temporaries when whole blocks of pairs are mixed)."""
    scratch = np.empty_like(mixed) if scratch is None else scratch
    with np.errstate(over="ignore"):
        np.right_shift(mixed, np.uint64(31), out=scratch)
        mixed ^= scratch
        mixed *= np.uint64(0x94D049BB133111EB)
        np.right_shift(mixed, np.uint64(29), out=scratch)
        mixed ^= scratch
    return mixed
