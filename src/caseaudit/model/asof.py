"""What was known on a day: the one place that decides it for every table (issue 20,
issue 22).

The ledger and its side tables keep dates (requested, decided, raised, assigned,
completed, returned, resubmitted, finalised, confirmed, cancelled). A report, a
moderation or a notice dated D must see only what had happened by D: a break asked on
17 January is not in the report of 15 January, an exemption approved on 11 March does
not remove February's non-completion, a challenge raised after D does not suspend a
judgement on D. :func:`known_on` returns the dataset as it stood at the end of D, and
every command that takes ``--as-of`` (``report``, ``moderate``, ``notify``) reads the
data through it. Per table (:data:`DATED_FACTS`), each dated column is a fact:

- a row whose *defining* date is after the day did not exist yet (a break request, an
  exemption request, a challenge, a moderator's assignment; an audit of a month that
  has not begun);
- a *later* date on a row that did exist is a step not yet taken: the date is cleared
  with what it carries (a moderator's final judgement, an exemption's decision, a
  cancellation's author and reason), and an audit's status goes back to the furthest
  step dated by then (a finalised audit finalised tomorrow is completed today).

A fact without a date (a decision with no ``decided_on``, a consensus flag) is taken as
known: the ledger does not say when it happened, and dropping it would hide what P&Q
recorded. Staff's active dates say when a person works, not when a fact became known,
so ``staff`` is kept whole. Pure: no file is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from caseaudit.model.calendar import month_of
from caseaudit.model.tables import Tables

#: A dataset in, the same kind of dataset out.
T = TypeVar("T", bound=Tables)


@dataclass(frozen=True)
class DatedFacts:
    """How one table's dated columns are read as of a day."""

    #: A row dated after the day (by any of these columns) was not there yet.
    defining: tuple[str, ...] = ()
    #: column → the columns cleared with it when it is after the day (itself included).
    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()


#: Each table's dated facts. A column named here that a table does not have is skipped,
#: so that a column added to a table later only needs a line here.
DATED_FACTS: dict[str, DatedFacts] = {
    "breaks": DatedFacts(defining=("requested_on",)),
    "exemptions": DatedFacts(
        defining=("requested_on",),
        steps=(("decided_on", ("decided_on", "decided_by")),),
    ),
    "challenges": DatedFacts(defining=("raised_on",)),
    "moderations": DatedFacts(
        defining=("assigned_on",),
        steps=(("decided_on", ("decided_on", "final_judgement")),),
    ),
    "history": DatedFacts(
        steps=(
            # Not completed by the day: no judgement given yet (§16).
            ("completed_on", ("completed_on", "overall_judgement")),
            ("returned_on", ("returned_on",)),
            ("resubmitted_on", ("resubmitted_on",)),
            ("finalised_on", ("finalised_on",)),
            ("actions_completed_on", ("actions_completed_on",)),
            ("judgement_confirmed_on", ("judgement_confirmed_on",)),
            ("cancelled_on", ("cancelled_on", "cancelled_by", "cancel_reason")),
        ),
    ),
}
#: A ledger status and the date that says when the audit reached it (contract §3
#: history); ``completed`` after a return is dated by ``resubmitted_on`` (§20).
STATUS_DATES = {
    "completed": "completed_on",
    "returned": "returned_on",
    "finalised": "finalised_on",
    "actions_complete": "actions_completed_on",
    "cancelled": "cancelled_on",
}
#: The steps of an audit, furthest first, each with the date that says it was reached:
#: a status reached after the day falls back to the first of these dated by then, else
#: ``allocated`` (the ledger does not date a non-completion).
STEPS_FURTHEST_FIRST = (
    ("actions_complete", "actions_completed_on"),
    ("finalised", "finalised_on"),
    ("completed", "resubmitted_on"),
    ("returned", "returned_on"),
    ("completed", "completed_on"),
)


def after(values: pd.Series, day: dt.date) -> pd.Series:
    """Whether each date is after ``day`` (null: no, the ledger did not say when), as a
    boolean mask."""
    present = values.notna()
    mask = pd.Series(False, index=values.index, dtype=bool)
    if present.any():
        mask[present] = (values[present] > day).to_numpy(dtype=bool)
    return mask


def known_on(data: T, day: dt.date) -> T:
    """``data`` as it stood at the end of ``day``: see the module docstring.

    ``history`` also loses the rows of months after ``day``'s month (an audit of a month
    that has not begun is not distributed yet, §1), and ``outcomes`` the ratings of an
    audit not completed by the day (§16).
    """
    tables = dict(data.tables)
    for name, facts in DATED_FACTS.items():
        if name in tables:
            tables[name] = _table_known_on(tables[name], facts, day)
    if "history" in tables:
        history = data["history"]
        tables["history"] = _statuses_known_on(history, tables["history"], day)
        if "outcomes" in tables:
            outcomes = tables["outcomes"]
            not_done = history.loc[after(history["completed_on"], day), "audit_id"]
            tables["outcomes"] = outcomes[~outcomes["audit_id"].isin(not_done)]
    tables = {name: frame.reset_index(drop=True) for name, frame in tables.items()}
    return dataclasses.replace(data, tables=tables)


def _table_known_on(frame: pd.DataFrame, facts: DatedFacts, day: dt.date) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index, dtype=bool)
    for column in facts.defining:
        if column in frame.columns:
            keep &= ~after(frame[column], day)
    known = frame[keep]
    changed = False
    for column, cleared in facts.steps:
        if column not in known.columns:
            continue
        later = after(frame.loc[known.index, column], day)
        if not later.any():
            continue
        if not changed:
            known, changed = known.copy(), True
        for name in cleared:
            if name in known.columns:
                known.loc[later, name] = None
    if changed and "decision" in known.columns:  # an exemption not decided yet is pending
        undecided = known["decided_on"].isna() & frame.loc[known.index, "decided_on"].notna()
        known.loc[undecided, "decision"] = "pending"
    return known


def _statuses_known_on(original: pd.DataFrame, known: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Each audit's status as of ``day``; rows of later months dropped."""
    known = known[known["month"].notna() & (known["month"] <= month_of(day))]
    rows = original.loc[known.index]
    # The date that says when each row reached its status; a completed audit that was
    # returned and came back reached "completed" again on its resubmission (§20).
    status_date = rows["status"].map(STATUS_DATES)
    if "resubmitted_on" in rows.columns:
        again = (rows["status"] == "completed") & rows["resubmitted_on"].notna()
        status_date = status_date.where(~again, "resubmitted_on")
    step_later = pd.Series(False, index=known.index, dtype=bool)
    for column in status_date.dropna().unique():  # a few distinct columns
        if column in rows.columns:
            step_later |= (status_date == column) & after(rows[column], day)
    if not step_later.any():
        return known
    known = known.copy()
    known.loc[step_later, "status"] = [
        _furthest_step(row) for row in known.loc[step_later].to_dict("records")
    ]
    return known


def _furthest_step(row: dict[str, object]) -> str:
    """The furthest step an audit had reached by its remaining (known) dates."""
    for status, column in STEPS_FURTHEST_FIRST:
        value = row.get(column)
        if value is not None and value == value:
            return status
    return "allocated"
