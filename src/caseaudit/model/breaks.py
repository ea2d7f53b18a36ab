"""Audit-break decisions, first come first served within the cap (§2–3, contract §4 rule 3)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pandas as pd

from caseaudit.model.calendar import add_months, last_day
from caseaudit.model.outputs import OUTPUT_TABLES

#: The contract's columns, then ``reason``: why, in policy words.
BREAK_DECISION_COLUMNS = OUTPUT_TABLES["break_decisions"].column_names
NOTIFICATION_COLUMNS = OUTPUT_TABLES["notifications"].column_names


def break_cap(max_break_fraction: Decimal, eligible_auditors: int) -> int:
    """floor(fraction × eligible auditors), in exact decimals (0.2 × 45 is 9, not 8)."""
    return math.floor(Decimal(str(max_break_fraction)) * eligible_auditors)


def decide_breaks(
    requests: pd.DataFrame,
    month: str,
    eligible: set[str],
    at_yearly_maximum: set[str],
    cap: int,
    already_granted: int = 0,
) -> pd.DataFrame:
    """Decide the month's break requests.

    A request from an auditor who could not be allocated anyway (not eligible, or at the
    yearly maximum) is ``not_required`` and takes no place under the cap. The others are
    served on-time first (requested by the last day of the previous month, §2), then by
    earlier ``requested_on``, then by auditor_id as text; the first ``cap`` are granted.
    ``already_granted`` counts places taken by earlier decisions (mid-month reallocation).
    """
    deadline = last_day(add_months(month, -1))
    rows = []
    for auditor_id, requested_on in zip(
        requests["auditor_id"], requests["requested_on"], strict=True
    ):
        row: dict[str, object] = {
            "auditor_id": auditor_id,
            "month": month,
            "requested_on": requested_on,
            "on_time": requested_on <= deadline,
            "decision": None,
            "reason": None,
        }
        if auditor_id not in eligible:
            row["decision"] = "not_required"
            row["reason"] = f"not required: not an eligible auditor for the whole of {month}"
        elif auditor_id in at_yearly_maximum:
            row["decision"] = "not_required"
            row["reason"] = "not required: already at the yearly maximum of audits"
        rows.append(row)
    queue = sorted(
        (r for r in rows if r["decision"] is None),
        key=lambda r: (not r["on_time"], r["requested_on"], r["auditor_id"]),
    )
    places = max(cap - already_granted, 0)
    for position, row in enumerate(queue):
        row["decision"] = "granted" if position < places else "refused_cap"
        row["reason"] = _reason(row, deadline, cap, already_granted + position + 1)
    frame = pd.DataFrame(rows, columns=BREAK_DECISION_COLUMNS)
    return frame.sort_values(["auditor_id", "month"]).reset_index(drop=True)


def _reason(row: dict[str, object], deadline: dt.date, cap: int, place: int) -> str:
    """Why a request in the queue was granted or refused, in the words of §3, against
    this run's ``cap`` (a granted break kept over a cap that fell is said so)."""
    when = "on time" if row["on_time"] else f"late (after {deadline.isoformat()})"
    if row["decision"] == "granted":
        if place <= cap:
            return (
                f"granted: {when}, place {place} of the cap of {cap} (§3), first come first served"
            )
        return (
            f"granted: {when}, place {place}, first come first served; kept although the cap "
            f"of {cap} (§3) is now lower: a granted break is never revoked"
        )
    if cap == 0:
        return f"refused: {when}; the cap of 0 (§3) allows no break this month"
    return f"refused: {when}; the cap of {cap} (§3) was already taken by earlier requests"


def restate_earlier(earlier: pd.DataFrame, month: str, cap: int) -> pd.DataFrame:
    """A re-plan's earlier decisions, kept as they were, their reasons stated against
    this run's cap (contract §4 rule 3: one cap, computed once, in every output): the cap
    falls when an auditor leaves, and a break already granted is never revoked."""
    deadline = last_day(add_months(month, -1))
    restated = earlier.copy()
    queued = restated[restated["decision"] != "not_required"]
    order = sorted(
        queued.index,
        key=lambda i: (
            not queued.at[i, "on_time"],
            queued.at[i, "requested_on"],
            queued.at[i, "auditor_id"],
        ),
    )
    for place, index in enumerate(order, start=1):
        restated.at[index, "reason"] = _reason(restated.loc[index].to_dict(), deadline, cap, place)
    return restated


def cap_notifications(
    month: str, granted: int, cap: int, refused: int, heads_of_service: list[str]
) -> pd.DataFrame:
    """Tell every Head of Service when the cap is reached (§3)."""
    rows = []
    if cap > 0 and granted >= cap:
        # More granted than the cap only after a re-plan whose cap fell (a leaver):
        # "10 of 9" would read as an error, so the figures are stated apart.
        figures = (
            f"{granted} of {cap} breaks granted"
            if granted == cap
            else f"{granted} breaks granted against a cap of {cap}, granted before the cap fell"
        )
        detail = (
            f"audit-break limit reached for {month}: {figures}"
            f" ({refused} request{'s' if refused != 1 else ''} refused)"
        )
        rows = [
            {"recipient_id": head, "kind": "break_cap_reached", "month": month, "detail": detail}
            for head in sorted(heads_of_service)
        ]
    return pd.DataFrame(rows, columns=NOTIFICATION_COLUMNS)
