"""The policy rules as solver terms: hard rules are constraints, soft rules are costs.

Every rule is one function that cites its policy paragraph; ``HARD_RULES`` and
``SOFT_RULES`` list them in one place, in the order they are applied. Eligibility,
conflicts of interest and exemptions (contract §4 rules 1 and 4) are enforced before
this point: the model has a variable only for an allowed (case, auditor) pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from caseaudit.io.encode import EncodedProblem
from caseaudit.model.config import WeightsConfig
from caseaudit.model.ids import mix

# ---------------------------------------------------------------- hard rules


def eligible_pairs_only(encoded: EncodedProblem) -> int:
    """§2–4, §8–9, contract §4 rules 1 and 4: a decision exists only for an allowed pair.

    Eligibility, active dates, conflicts of interest and honoured exemptions were applied
    when the pairs were built (``caseaudit.model.problem``); here the model checks that it
    received each pair once and within range, and returns how many variables it needs.
    """
    keys = encoded.pair_case * max(encoded.n_auditors, 1) + encoded.pair_auditor
    if len(keys) and (
        encoded.pair_case.min() < 0
        or encoded.pair_case.max() >= encoded.n_cases
        or encoded.pair_auditor.min() < 0
        or encoded.pair_auditor.max() >= encoded.n_auditors
        or len(np.unique(keys)) != len(keys)
    ):
        raise ValueError("eligible pairs out of range or repeated")
    return len(keys)


def one_auditor_per_case(encoded: EncodedProblem) -> list[np.ndarray]:
    """§1: each case gets at most one auditor (the rest of its row is "unallocated").

    Returns, per case, the indices of its candidate pairs.
    """
    order = np.argsort(encoded.pair_case, kind="stable")
    bounds = np.searchsorted(encoded.pair_case[order], np.arange(encoded.n_cases + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(encoded.n_cases)]


def auditor_capacity(encoded: EncodedProblem) -> list[np.ndarray]:
    """§2–3, contract §4 rules 1–3: at most ``capacity`` audits per auditor this month —
    the monthly maximum, what is left of the ten a year, and zero on a granted break.

    Returns, per auditor, the indices of its candidate pairs.
    """
    order = np.argsort(encoded.pair_auditor, kind="stable")
    bounds = np.searchsorted(encoded.pair_auditor[order], np.arange(encoded.n_auditors + 1))
    return [order[bounds[a] : bounds[a + 1]] for a in range(encoded.n_auditors)]


# ---------------------------------------------------------------- soft rules (costs)


def coverage_priority(encoded: EncodedProblem) -> np.ndarray:
    """Contract §4 objective (1): leaving a case without an auditor costs its priority —
    2 for a due or overdue re-audit (§25), 1 otherwise. Scaled above every other tier."""
    return encoded.case_priority


def kept_pair_available(encoded: EncodedProblem) -> np.ndarray:
    """Per case: whether its previous (case, auditor) pair is still allowed."""
    available = np.zeros(encoded.n_cases, dtype=bool)
    available[encoded.pair_case[encoded.pair_in_previous_plan]] = True
    return available


def minimal_change_cost(encoded: EncodedProblem) -> np.ndarray:
    """§5: when reallocating, a case whose previous auditor is still allowed costs 1 if it
    goes to anyone else (per pair here) or to no one (see ``lexicographic_costs``)."""
    had_pair = kept_pair_available(encoded)
    return (had_pair[encoded.pair_case] & ~encoded.pair_in_previous_plan).astype(np.int64)


def original_auditor_cost(encoded: EncodedProblem, weights: WeightsConfig) -> np.ndarray:
    """§25: a re-audit goes preferably to the auditor of the inadequate audit."""
    return (encoded.pair_is_reaudit & ~encoded.pair_is_original).astype(np.int64) * (
        weights.original_auditor
    )


def fair_spread_cost(encoded: EncodedProblem, weights: WeightsConfig) -> np.ndarray:
    """§2: prefer auditors with fewer audits so far this audit year.

    Linear in the count: the squared deviation from the mean expands to this per-pair
    cost plus a constant when each auditor takes at most one audit a month.
    """
    return encoded.auditor_year_count[encoded.pair_auditor] * weights.fair_spread


def fair_spread_slot_costs(encoded: EncodedProblem, weights: WeightsConfig) -> list[np.ndarray]:
    """§2 with a monthly maximum above one: the k-th extra audit of an auditor in the month
    costs ``k × fair_spread`` more (convex, so cheaper slots fill first)."""
    return [
        np.arange(1, max(int(cap), 1), dtype=np.int64) * weights.fair_spread
        for cap in encoded.auditor_capacity
    ]


def fresh_eyes_cost(encoded: EncodedProblem, weights: WeightsConfig) -> np.ndarray:
    """Contract §4 objective (2): avoid an auditor who audited the same subject in the last
    12 months — except the original auditor of a re-audit (already excluded upstream)."""
    return encoded.pair_seen_subject.astype(np.int64) * weights.fresh_eyes


TIE_BREAK_RANGE = 1 << 10


def tie_break_cost(encoded: EncodedProblem, seed: int) -> np.ndarray:
    """Contract §4 objective (3): a fixed pseudo-random number per (case, auditor) pair,
    drawn from the ids and the seed, so that one optimum stands out among equals."""
    mixed = mix(
        encoded.case_fingerprint[encoded.pair_case],
        encoded.auditor_fingerprint[encoded.pair_auditor],
        seed,
    )
    return (mixed % np.uint64(TIE_BREAK_RANGE)).astype(np.int64)


@dataclass(frozen=True)
class Rule:
    label: str
    paragraph: str
    function: Callable[..., object]


HARD_RULES: tuple[Rule, ...] = (
    Rule("eligible auditors only, no conflict of interest", "§2–4, §8–9", eligible_pairs_only),
    Rule("one auditor per case", "§1", one_auditor_per_case),
    Rule("monthly and yearly maximum, breaks", "§2–3", auditor_capacity),
)
SOFT_RULES: tuple[Rule, ...] = (
    Rule("cover every case, due re-audits first", "§1, §25", coverage_priority),
    Rule("fewest changes to the previous plan", "§5", minimal_change_cost),
    Rule("original auditor for a re-audit", "§25", original_auditor_cost),
    Rule("fair spread of the audit year", "§2", fair_spread_cost),
    Rule("fresh eyes on the subject", "§7", fresh_eyes_cost),
    Rule("deterministic tie-break", "contract §4", tie_break_cost),
)


@dataclass(frozen=True)
class Costs:
    """The lexicographic objective folded into one integer cost per decision.

    ``pair`` is the cost of each candidate pair, ``uncovered`` the cost of leaving each
    case unallocated, ``slots`` the extra cost of each auditor's 2nd, 3rd, … audit.
    Each tier's weight exceeds the largest total the tiers below can reach, so the
    single sum orders plans exactly as the tiers do.
    """

    pair: np.ndarray
    uncovered: np.ndarray
    slots: list[np.ndarray]
    tier_weights: tuple[int, ...]


INT64_SAFE = 1 << 62


def lexicographic_costs(encoded: EncodedProblem, weights: WeightsConfig, seed: int) -> Costs:
    """Fold the tiers (change, preferences, tie-break) under coverage into one cost."""
    n = max(encoded.n_cases, 1)
    change = minimal_change_cost(encoded)
    preference = (
        original_auditor_cost(encoded, weights)
        + fair_spread_cost(encoded, weights)
        + fresh_eyes_cost(encoded, weights)
    )
    slot_costs = fair_spread_slot_costs(encoded, weights)
    slot_total = int(sum(int(s.sum()) for s in slot_costs))
    tie = tie_break_cost(encoded, seed)

    # Dropping a case whose previous pair is still allowed is a change too.
    dropped = kept_pair_available(encoded).astype(np.int64)

    def bound(values: np.ndarray) -> int:
        return int(values.max()) if len(values) else 0

    tie_weight = 1
    preference_weight = n * bound(tie) + 1
    preference_total = n * bound(preference) + slot_total
    change_weight = preference_weight * (preference_total + 1)
    coverage_weight = change_weight * (n * max(bound(change), bound(dropped)) + 1)
    if coverage_weight * 2 * n >= INT64_SAFE:
        raise OverflowError("objective too large for 64-bit integers; lower the weights")
    pair = change * change_weight + preference * preference_weight + tie * tie_weight
    return Costs(
        pair=pair.astype(np.int64),
        uncovered=coverage_priority(encoded).astype(np.int64) * coverage_weight
        + dropped * change_weight,
        slots=[s * preference_weight for s in slot_costs],
        tier_weights=(coverage_weight, change_weight, preference_weight, tie_weight),
    )
