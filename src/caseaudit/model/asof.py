"""What was known on a day: the one place that decides it for every table (issue 20).

The ledger and its side tables keep dates (requested, decided, raised, assigned,
completed, returned, resubmitted, finalised, confirmed, cancelled). A report, a
moderation or a notice dated D must see only what had happened by D: a break asked on
17 January is not in the report of 15 January, an exemption approved on 11 March does
not remove February's non-completion, a challenge raised after D does not suspend a
judgement on D. :func:`known_on` returns the dataset as it stood at the end of D, and
every command that takes ``--as-of`` reads the data through it.

A fact without a date (a decision with no ``decided_on``, a consensus flag, an outcome
rating) is taken as known: the ledger does not say when it happened, and dropping it
would hide what P&Q recorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TypeVar

import pandas as pd

from caseaudit.model.calendar import first_day
from caseaudit.model.tables import Tables

#: A dataset in, the same kind of dataset out.
T = TypeVar("T", bound=Tables)

#: A ledger status and the date that says when the audit reached it (contract §3
#: history; ``resubmitted_on`` is the later completion of a returned audit, §20).
STATUS_DATES = {
    "completed": "completed_on",
    "returned": "returned_on",
    "finalised": "finalised_on",
    "actions_complete": "actions_completed_on",
    "cancelled": "cancelled_on",
}
#: The steps of an audit, furthest first, each with the date that says it was reached.
STEPS_FURTHEST_FIRST = (
    ("actions_complete", "actions_completed_on"),
    ("finalised", "finalised_on"),
    ("completed", "resubmitted_on"),
    ("returned", "returned_on"),
    ("completed", "completed_on"),
)
#: Dates of a ledger row that are blanked when they fall after the day.
LEDGER_DATES = (
    "completed_on",
    "returned_on",
    "resubmitted_on",
    "finalised_on",
    "actions_completed_on",
    "judgement_confirmed_on",
    "cancelled_on",
)
CANCELLATION = ("cancelled_on", "cancelled_by", "cancel_reason")


def after(values: pd.Series, day: dt.date) -> pd.Series:
    """Whether each date is after ``day`` (null: no), as a boolean mask."""
    return pd.Series(
        [v is not None and v == v and v > day for v in values.tolist()],
        index=values.index,
        dtype=bool,
    )


def known_on(data: T, day: dt.date) -> T:
    """The dataset as it stood at the end of ``day``: every fact dated after it removed
    or blanked (issue 20).

    - ``history``: a month that starts after the day has no audits yet; a date after the
      day is blanked, and a status the audit reached after the day is rolled back to the
      furthest step reached by then (a cancellation after the day is not a cancellation
      yet); a judgement confirmed after the day is not confirmed, and one given on a
      completion after the day is not given.
    - ``challenges`` raised, ``breaks`` and ``exemptions`` requested, ``moderations``
      assigned after the day are dropped; an exemption decided after the day is pending
      (§5, §30); a moderation decided after the day has no decision yet.
    - ``outcomes`` of an audit not completed by the day are dropped.
    """
    tables = dict(data.tables)
    history = _history_on(data["history"], day)
    tables["history"] = history
    tables["challenges"] = _kept(data["challenges"], "raised_on", day)
    tables["breaks"] = _kept(data["breaks"], "requested_on", day)
    exemptions = _kept(data["exemptions"], "requested_on", day).copy()
    undecided = after(exemptions["decided_on"], day)
    exemptions.loc[undecided, "decision"] = "pending"
    exemptions.loc[undecided, ["decided_by", "decided_on"]] = None
    tables["exemptions"] = exemptions
    moderations = _kept(data["moderations"], "assigned_on", day).copy()
    undecided = after(moderations["decided_on"], day)
    moderations.loc[undecided, ["final_judgement", "decided_on"]] = None
    tables["moderations"] = moderations
    outcomes = data["outcomes"]
    not_done = set(data["history"].loc[after(data["history"]["completed_on"], day), "audit_id"])
    tables["outcomes"] = outcomes[~outcomes["audit_id"].isin(not_done)]
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
    return dataclasses.replace(data, tables=tables)


def _kept(frame: pd.DataFrame, column: str, day: dt.date) -> pd.DataFrame:
    return frame[~after(frame[column], day)]


def _history_on(history: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    started = history["month"].map(lambda m: m is not None and first_day(m) <= day)
    rows = history[started.astype(bool)].copy()
    present = [c for c in LEDGER_DATES if c in rows.columns]
    later = {column: after(rows[column], day) for column in present}
    # A completed audit that was returned and came back reached "completed" again on
    # its resubmission (§20).
    status_date = [
        "resubmitted_on"
        if status == "completed" and again is not None
        else STATUS_DATES.get(status)
        for status, again in zip(rows["status"], rows["resubmitted_on"], strict=True)
    ]
    reached_later = pd.Series(
        [
            column is not None and column in later and bool(later[column].iat[i])
            for i, column in enumerate(status_date)
        ],
        index=rows.index,
        dtype=bool,
    )
    if "completed_on" in later:
        # Not completed by the day: no judgement given yet (§16).
        rows.loc[later["completed_on"], "overall_judgement"] = None
    for column, mask in later.items():
        rows.loc[mask, column] = None
    if "cancelled_on" in later:
        rows.loc[later["cancelled_on"], [c for c in CANCELLATION if c in rows.columns]] = None
    rows.loc[reached_later, "status"] = [
        _furthest_step(row) for row in rows.loc[reached_later].to_dict("records")
    ]
    return rows


def _furthest_step(row: dict[str, object]) -> str:
    """The furthest step an audit had reached by its remaining (known) dates; none yet:
    still ``allocated`` (the ledger does not date a non-completion)."""
    for status, column in STEPS_FURTHEST_FIRST:
        value = row.get(column)
        if value is not None and value == value:
            return status
    return "allocated"
