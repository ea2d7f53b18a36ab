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


def fold_high(part: np.ndarray) -> np.ndarray:
    """The finaliser's first step, ``x ^ (x >> 31)``, on one side of the mix alone.

    Logical shifts distribute over xor, so ``fold_high(l) ^ fold_high(r)`` is that step
    applied to ``l ^ r``: a pass over every pair done once per task and once per agent
    (:func:`mix_rest` finishes the mix)."""
    return part ^ (part >> np.uint64(31))


def mix_rest(folded: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Finish :func:`mix` in place on ``fold_high(mix_left(l)) ^ fold_high(mix_right(r,
    seed))``: the same numbers as :func:`mix_finalise`, one shift and one xor fewer per
    pair."""
    with np.errstate(over="ignore"):
        folded *= np.uint64(0x94D049BB133111EB)
        np.right_shift(folded, np.uint64(29), out=scratch)
        folded ^= scratch
    return folded


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
