"""Who may be drawn into the month's sample (issue 21, contract §6 "draw-sample").

Each exclusion is one named function that cites its source and returns, for every open
case of the caseload, whether the rule keeps it out. ``EXCLUSIONS`` lists them once, in
the order in which a case's reason is named: a case kept out by several rules is listed
in ``excluded`` with the first. Removing a rule from the list removes it from the draw.
A case not open on the month's first day is no candidate at all (contract §6: closed
cases are not listed in ``excluded``), so openness is :func:`open_on_first_day`, not an
exclusion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.model.calendar import add_months, first_day
from caseaudit.model.config import SampleConfig


@dataclass(frozen=True)
class SampleFacts:
    """What the exclusions read: the month, the ``[sample]`` settings, the open cases,
    the ledger and the cases ``allocate`` adds as due re-audits."""

    month: str
    settings: SampleConfig
    #: The caseload's rows open on the month's first day.
    open_cases: pd.DataFrame
    history: pd.DataFrame
    #: Case ids whose re-audit is due in the month or overdue (contract §4 rule 5).
    reaudits_due: frozenset[str]
    #: Staff ids active on the month's first day.
    active_staff: frozenset[str]


@dataclass(frozen=True)
class Exclusion:
    id: str
    #: The reason written in ``excluded``: policy words, ids only.
    reason: str
    source: str
    function: Callable[[SampleFacts], np.ndarray]


def open_on_first_day(caseload: pd.DataFrame, month: str) -> np.ndarray:
    """Contract §6: open on the 1st of m when opened_on ≤ that day and closed_on is
    empty or ≥ that day."""
    first = first_day(month)
    opened = np.fromiter((d <= first for d in caseload["opened_on"]), bool, len(caseload))
    closed = caseload["closed_on"].tolist() if "closed_on" in caseload else [None] * len(caseload)
    still_open = np.fromiter((d is None or d >= first for d in closed), bool, len(caseload))
    return opened & still_open


def opened_recently(facts: SampleFacts) -> np.ndarray:
    """Issue 21: opened fewer than ``[sample] min_days_open`` days before the month's first
    day: too little work on file to audit the last six months of it (§15)."""
    latest = first_day(facts.month) - dt.timedelta(days=facts.settings.min_days_open)
    opened = facts.open_cases["opened_on"].tolist()
    return np.fromiter((d > latest for d in opened), bool, len(opened))


def audited_recently(facts: SampleFacts) -> np.ndarray:
    """Issue 21, contract §6: audited (any status but cancelled) in any of the
    ``[sample] exclude_audited_within_months`` months before the month."""
    history = facts.history
    window = history[
        (history["month"] >= add_months(facts.month, -facts.settings.exclude_audited_within_months))
        & (history["month"] < facts.month)
        & (history["status"] != "cancelled")
    ]
    return facts.open_cases["case_id"].isin(set(window["case_id"])).to_numpy(dtype=bool)


def reaudit_due(facts: SampleFacts) -> np.ndarray:
    """Contract §4 rule 5: a case whose re-audit is due (or overdue) is added by
    ``allocate`` itself; drawing it too would list it twice."""
    return facts.open_cases["case_id"].isin(facts.reaudits_due).to_numpy(dtype=bool)


def worker_not_active(facts: SampleFacts) -> np.ndarray:
    """§8, §10 (the rest of §1 as users would expect): the audit is done with the
    allocated worker; a case whose allocated worker is not active on the month's first
    day waits until it is reallocated."""
    workers = facts.open_cases["allocated_worker_id"]
    return (~workers.isin(facts.active_staff)).to_numpy(dtype=bool)


EXCLUSIONS: tuple[Exclusion, ...] = (
    Exclusion(
        "reaudit_due",
        "its re-audit is due this month: allocate adds it",
        "contract §4 rule 5",
        reaudit_due,
    ),
    Exclusion(
        "audited_recently",
        "audited within the last {months} months",
        "issue 21, contract §6",
        audited_recently,
    ),
    Exclusion(
        "opened_recently",
        "opened less than {days} days before the month",
        "issue 21, §15",
        opened_recently,
    ),
    Exclusion(
        "worker_not_active",
        "its allocated worker is not active on the month's first day",
        "§8, §10",
        worker_not_active,
    ),
)


def first_exclusion(
    facts: SampleFacts, exclusions: tuple[Exclusion, ...] = EXCLUSIONS
) -> pd.Series:
    """Per open case (aligned with ``facts.open_cases``), the reason of the first rule
    that keeps it out, or None when it may be drawn."""
    settings = facts.settings
    reasons = np.full(len(facts.open_cases), None, dtype=object)
    for exclusion in exclusions:
        hit = exclusion.function(facts) & (reasons == None)  # noqa: E711
        reasons[hit] = exclusion.reason.format(
            months=settings.exclude_audited_within_months, days=settings.min_days_open
        )
    return pd.Series(reasons, index=facts.open_cases.index, dtype=object)
