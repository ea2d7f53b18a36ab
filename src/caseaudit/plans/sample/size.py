"""The month's default sample size, decided exactly as ``allocate`` decides who can take
an audit (issue 21): the month's problem is built by ``model.problem.build_problem`` —
eligibility, breaks first come first served within the cap, the yearly maximum — with
no case of the month yet, so only the due re-audits are in it."""

from __future__ import annotations

from dataclasses import dataclass

from caseaudit.model.dataset import Dataset
from caseaudit.plans.month.problem import MonthProblem, build_problem


@dataclass(frozen=True)
class SampleSize:
    size: int
    #: Auditors who can take at least one audit in the month (capacity above 0).
    available_auditors: int
    spare_auditors: int
    reaudits_due: int
    #: ``default`` (one per available auditor, less spare and due re-audits), ``--size``
    #: or ``[sample] size``.
    source: str

    def describe(self) -> str:
        if self.source != "default":
            return f"{self.size} (set by {self.source})"
        spare = f" - {self.spare_auditors} kept spare" if self.spare_auditors else ""
        return (
            f"{self.size} = {self.available_auditors} auditors who can take one{spare} - "
            f"{self.reaudits_due} re-audits due"
        )


def month_without_sample(data: Dataset, month: str) -> MonthProblem:
    """The month as ``allocate`` would see it before any case is drawn."""
    return build_problem(data, month, validate=False)


def sample_size(
    problem: MonthProblem, requested: int | None, config_size: int | None, spare: int
) -> SampleSize:
    """Issue 21: one case per auditor who can take one in m, less the re-audits due in m
    (which ``allocate`` adds) and ``[sample] spare_auditors``; ``--size`` or
    ``[sample] size`` overrides. An upper bound: the draw may take fewer (contract §6)."""
    available = int((problem.auditors["capacity"] > 0).sum())
    due = int(problem.cases["reaudit_due"].sum())
    if requested is not None:
        return SampleSize(requested, available, spare, due, "--size")
    if config_size is not None:
        return SampleSize(config_size, available, spare, due, "[sample] size")
    return SampleSize(max(available - spare - due, 0), available, spare, due, "default")
