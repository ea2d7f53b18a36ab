"""Lexicographic objectives folded into one integer cost: the tiers every plan shares.

A plan lists its objective's tiers, most important first, each with the most it can
change (over any plan, or along one cycle of the residual network: the plan says which
bound it proves). Each tier's weight is one more than everything the tiers below it can
add up to, so one integer cost orders plans exactly as the tiers do, and the folded
costs must stay below :data:`INT64_SAFE` (OR-Tools' costs are signed 64-bit integers,
scaled by the node count inside the flow).
"""

from __future__ import annotations

from collections.abc import Iterable

#: Folded costs stay below this, with room for the flow's own arithmetic.
INT64_SAFE = 1 << 62


def tier_weights(spans: Iterable[tuple[str, int]]) -> tuple[dict[str, int], int]:
    """Weights for ``(tier, span)`` pairs given most important first, and what all of
    them weighted can add up to. From the lowest tier up, each weight is one more than
    the weighted spans of the tiers below it."""
    ordered = list(spans)
    weights: dict[str, int] = {}
    below = 0
    for tier, span in reversed(ordered):
        weights[tier] = below + 1
        below += weights[tier] * span
    return {tier: weights[tier] for tier, _ in ordered}, below
