"""Inadequate audits awaiting a re-audit, and their meeting dates (§25–26, contract §4 rule 5)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from caseaudit.model.calendar import (
    WorkingCalendar,
    first_day,
    reaudit_deadline,
    reaudit_month,
)
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.schema import NOT_COUNTED_STATUSES
from caseaudit.model.tables import Tables

AWAITING_COLUMNS = [
    "audit_id",
    "case_id",
    "subject_id",
    "auditor_id",
    "confirmed_on",
    "reaudit_deadline",
    "reaudit_month",
    "was_reaudit",
]


def on_or_before(days: pd.Series, day: dt.date) -> pd.Series:
    """Whether each date is on or before ``day`` (null: no), as a boolean mask even when
    empty (an empty object Series would select columns instead of rows)."""
    values = days.to_numpy(dtype=object)
    present = pd.notna(values)
    result = np.zeros(len(values), dtype=bool)
    result[present] = values[present] <= day  # compared one by one, as Python compares
    return pd.Series(result, index=days.index, dtype=bool)


def is_late(raised_on: dt.date | None, finalised_on: dt.date | None) -> bool:
    """A challenge raised after its audit's finalisation (§21: challenges come before
    it); one raised on the finalisation day is not late (contract §6)."""
    return raised_on is not None and finalised_on is not None and raised_on > finalised_on


def effective_judgements(data: Tables, as_of: dt.date | None = None) -> pd.DataFrame:
    """Each counted audit's effective judgement and the date it was confirmed.

    A moderator's decided ``final_judgement`` replaces the auditor's (§22). An audit under
    a challenge without consensus and without a decided moderation is not yet confirmed,
    so it is left out, unless the challenge is late (raised after finalisation, §21):
    then the confirmed judgement stands (issue 20).

    ``allocate`` reads the ledger as it stands (``as_of`` None). The report reads it as of
    a day (issue 10): a challenge raised, or a moderation decided, after that day has not
    happened, and a judgement confirmed after it is not confirmed yet.
    """
    history = data["history"]
    counted = history[~history["status"].isin(NOT_COUNTED_STATUSES)]
    moderations = data["moderations"]
    challenges = data["challenges"]
    if as_of is not None:
        moderations = moderations[on_or_before(moderations["decided_on"], as_of)]
        challenges = challenges[on_or_before(challenges["raised_on"], as_of)]
    decided = moderations[
        moderations["final_judgement"].notna() & moderations["decided_on"].notna()
    ].sort_values(["audit_id", "decided_on", "moderator_id"])
    latest_decision = decided.groupby("audit_id").tail(1).set_index("audit_id")
    # A challenge raised after the audit was finalised is late (§21, issue 20): the
    # confirmed judgement stands until a moderation decides otherwise.
    finalised = dict(zip(history["audit_id"], history["finalised_on"], strict=True))
    suspending = [
        consensus is not True and not is_late(raised, finalised.get(audit_id))
        for audit_id, raised, consensus in zip(
            challenges["audit_id"],
            challenges["raised_on"],
            challenges["consensus_reached"],
            strict=True,
        )
    ]
    open_challenges = set(
        challenges.loc[pd.Series(suspending, index=challenges.index, dtype=bool), "audit_id"]
    )
    columns = [
        "audit_id",
        "case_id",
        "subject_id",
        "auditor_id",
        "judgement",
        "confirmed_on",
        "was_reaudit",
    ]
    moderated = counted["audit_id"].isin(latest_decision.index)
    audits = counted[moderated | ~counted["audit_id"].isin(open_challenges)]
    decided_judgement = audits["audit_id"].map(latest_decision["final_judgement"])
    decided_on = audits["audit_id"].map(latest_decision["decided_on"])
    by_moderator = audits["audit_id"].isin(latest_decision.index)
    frame = pd.DataFrame(
        {
            "audit_id": audits["audit_id"],
            "case_id": audits["case_id"],
            "subject_id": audits["subject_id"],
            "auditor_id": audits["auditor_id"],
            "judgement": decided_judgement.where(by_moderator, audits["overall_judgement"]),
            "confirmed_on": decided_on.where(by_moderator, audits["judgement_confirmed_on"]),
            "was_reaudit": audits["reaudit_of"].notna(),
        },
        columns=columns,
    )
    frame = frame[frame["judgement"].notna() & frame["confirmed_on"].notna()]
    if as_of is not None:
        frame = frame[on_or_before(frame["confirmed_on"], as_of)]
    return frame.astype(object).where(frame.notna(), None).reset_index(drop=True)


def awaiting_reaudits(data: Tables, month: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """Inadequate audits with no later counted audit that re-audits them (§25–26).

    The deadline is the confirmation date plus ``reaudit_within_months`` calendar months;
    the re-audit month is the latest month ending on or before it. ``as_of``: judgements
    as they stood that day (see :func:`effective_judgements`).
    """
    within = data.config.policy.reaudit_within_months
    judgements = effective_judgements(data, as_of)
    inadequate = judgements[judgements["judgement"] == "inadequate"]
    history = data["history"]
    reaudited = set(
        history.loc[~history["status"].isin(NOT_COUNTED_STATUSES), "reaudit_of"].dropna()
    )
    awaiting = inadequate[~inadequate["audit_id"].isin(reaudited)].copy()
    if awaiting.empty:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in AWAITING_COLUMNS})
    awaiting["reaudit_deadline"] = [reaudit_deadline(d, within) for d in awaiting["confirmed_on"]]
    awaiting["reaudit_month"] = [reaudit_month(d) for d in awaiting["reaudit_deadline"]]
    return awaiting[AWAITING_COLUMNS].sort_values("audit_id").reset_index(drop=True)


def head_of_service_by_service(data: Tables, month: str) -> dict[str, str]:
    """The head of service of each service: role head_of_service, active on the 1st of the
    month, lowest staff_id (contract §3)."""
    day = first_day(month)
    staff = data["staff"]
    heads = staff[(staff["role"] == "head_of_service") & active_on(staff, day)]
    result: dict[str, str] = {}
    for service, staff_id in sorted(zip(heads["service"], heads["staff_id"], strict=True)):
        result.setdefault(service, staff_id)
    return result


def active_on(staff: pd.DataFrame, day: object) -> pd.Series:
    """Staff active on ``day`` (active dates inclusive, null = open-ended)."""
    starts = staff["active_from"].to_numpy(dtype=object)
    ends = staff["active_to"].to_numpy(dtype=object)
    started, not_ended = pd.isna(starts), pd.isna(ends)  # null: open-ended
    started[~started] = starts[~started] <= day
    not_ended[~not_ended] = ends[~not_ended] >= day
    return pd.Series(started & not_ended, index=staff.index, dtype=bool)


def reaudit_schedule(
    data: Tables, month: str, awaiting: pd.DataFrame, case_service: dict[str, str]
) -> pd.DataFrame:
    """The re-audit schedule of contract §5 with the §25 meetings."""
    policy = data.config.policy
    calendar = WorkingCalendar(data.config.calendar.country, data.config.calendar.subdivision)
    heads = head_of_service_by_service(data, month)
    rows = []
    for item in awaiting.itertuples(index=False):
        confirmed = item.confirmed_on
        service = case_service.get(item.case_id)
        rows.append(
            {
                "audit_id": item.audit_id,
                "case_id": item.case_id,
                "subject_id": item.subject_id,
                "confirmed_on": confirmed,
                "reflection_meeting_by": calendar.add_working_days(
                    confirmed, policy.reflection_meeting_within_working_days
                ),
                "review_meeting_on": calendar.on_or_next_working_day(
                    confirmed + pd.Timedelta(days=policy.review_meeting_after_days).to_pytimedelta()
                ),
                "reaudit_deadline": item.reaudit_deadline,
                "reaudit_month": item.reaudit_month,
                "escalation": "head_of_service_review" if item.was_reaudit else "none",
                "head_of_service_id": heads.get(service) if service else None,
            }
        )
    return pd.DataFrame(rows, columns=OUTPUT_TABLES["reaudit_schedule"].column_names)
