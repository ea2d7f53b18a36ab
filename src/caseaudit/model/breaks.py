"""Audit-break decisions, first come first served within the cap (§2–3, contract §4 rule 3)."""

from __future__ import annotations

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
    timing = {True: "on time", False: f"late (after {deadline.isoformat()})"}
    for position, row in enumerate(queue):
        granted = position < places
        row["decision"] = "granted" if granted else "refused_cap"
        when = timing[bool(row["on_time"])]
        if granted:
            place = already_granted + position + 1
            row["reason"] = (
                f"granted: {when}, place {place} of the cap of {cap} (§3), first come first served"
            )
        elif cap == 0:
            row["reason"] = f"refused: {when}; the cap of 0 (§3) allows no break this month"
        else:
            row["reason"] = (
                f"refused: {when}; the cap of {cap} (§3) was already taken by earlier requests"
            )
    frame = pd.DataFrame(rows, columns=BREAK_DECISION_COLUMNS)
    return frame.sort_values(["auditor_id", "month"]).reset_index(drop=True)


def cap_notifications(
    month: str, granted: int, cap: int, refused: int, heads_of_service: list[str]
) -> pd.DataFrame:
    """Tell every Head of Service when the cap is reached (§3)."""
    rows = []
    if cap > 0 and granted >= cap:
        detail = (
            f"audit-break limit reached for {month}: {granted} of {cap} breaks granted"
            f" ({refused} request{'s' if refused != 1 else ''} refused)"
        )
        rows = [
            {"recipient_id": head, "kind": "break_cap_reached", "month": month, "detail": detail}
            for head in sorted(heads_of_service)
        ]
    return pd.DataFrame(rows, columns=NOTIFICATION_COLUMNS)
