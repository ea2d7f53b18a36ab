"""The rule record every plan lists its hard rules with (issue 19).

A plan's rules are one tuple of :class:`RuleRecord`, in the order its reasons name them.
Everything else that speaks of a rule — the model built from it, ``blocking_rules``, the
reason sentences, ``explain``'s counts and relaxations, the what-if counts of conflicts
— reads that tuple, so a rule added to it is applied, counted and named everywhere, and
no second list of rule ids can drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

F = TypeVar("F")


class RuleKind(StrEnum):
    """What a rule is, for the sentences that group rules."""

    #: Who may be asked at all (an auditor for the whole month, flagged can_moderate).
    ELIGIBILITY = "eligibility"
    #: A conflict of interest with the case (contract §4 rule 4: direct, management
    #: chain, same team, declared).
    CONFLICT = "conflict"
    #: An honoured exemption (§4, §29–30): its own reason, not a conflict of interest.
    EXEMPTION = "exemption"
    #: A granted audit break (§2–3).
    BREAK = "break"
    #: A limit on how many (audits a month or a year, moderations a month).
    LIMIT = "limit"
    #: Anything else a plan forbids (the moderation's own bars, a break plan's months).
    OTHER = "other"


@dataclass(frozen=True)
class Relaxation:
    """How ``explain`` words relaxing the rule one step at a time: ``step`` formats a
    step's key (``"{0}'s"``), ``change`` the change with its ``{count}`` and ``{steps}``,
    ``noun`` what one step gives up, ``nothing`` and ``everything`` the sentences for no
    step and for every step. ``order`` places the rule among the relaxations tried."""

    order: int
    step: str
    change: str
    noun: str
    nothing: str
    everything: str


@dataclass(frozen=True)
class RuleRecord(Generic[F]):
    """One hard rule of a plan: its id, a short label, the paragraph it implements, the
    function that applies it, its kind, the words after a count (``count_label``: "14 in
    the same team"), the words a plan's reason sentence uses after a count (``reason``,
    which may name ``{month}`` and ``{maximum}``), and how ``explain`` relaxes it (None
    when it is never relaxed)."""

    id: str
    label: str
    paragraph: str
    function: F
    kind: RuleKind = RuleKind.OTHER
    count_label: str = ""
    reason: str = ""
    relax: Relaxation | None = None

    @property
    def is_conflict(self) -> bool:
        """A conflict of interest with the case (contract §4 rule 4)."""
        return self.kind is RuleKind.CONFLICT


def rules_by_id(rules: tuple[RuleRecord[F], ...]) -> dict[str, RuleRecord[F]]:
    """The records by id; an id listed twice is a programming error."""
    found = {rule.id: rule for rule in rules}
    if len(found) != len(rules):
        raise ValueError(f"rule ids listed twice: {[r.id for r in rules]}")
    return found


def conflict_ids(rules: tuple[RuleRecord[F], ...]) -> tuple[str, ...]:
    """The ids of the rules that are conflicts of interest, in the list's order."""
    return tuple(rule.id for rule in rules if rule.is_conflict)
