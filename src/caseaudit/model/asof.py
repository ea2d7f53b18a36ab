"""The ledger as known on a day: a fact dated after the day is not yet there (issue 20,
issue 22).

Every command that speaks for a day (``notify``, and the report and moderation after
issue 20) reads the data through :func:`known_on`, the one place that decides what had
happened by then. Per table, each dated column is a fact:

- a row whose *defining* date is after the day did not exist yet (a break request, an
  exemption request, a challenge, a moderator's assignment, an audit of a month that has
  not begun);
- a *later* date on a row that did exist is a step not yet taken: the date is cleared,
  with what it carries (a moderator's final judgement, an exemption's decision, a
  judgement's confirmation), and an audit's status goes back to the last stage whose
  date is on or before the day (a finalised audit finalised tomorrow is completed today).

A date left empty in the ledger cannot be placed in time and is kept as the ledger says
(the ledger did not say when). Tables without dates (staff, cases, conflicts, outcomes,
break preferences) are kept whole: staff's active dates say when a person works, not
when a fact became known. Pure: no file is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from caseaudit.model.calendar import month_of
from caseaudit.model.dataset import Dataset


@dataclass(frozen=True)
class DatedFacts:
    """How one table's dated columns are read as of a day."""

    #: A row dated after the day (by any of these columns) was not there yet.
    defining: tuple[str, ...] = ()
    #: column → the columns cleared with it when it is after the day (itself included).
    steps: tuple[tuple[str, tuple[str, ...]], ...] = ()


#: Each table's dated facts. A column named here that a table does not have is skipped,
#: so that a column added to a table later (``cancelled_on``, say) only needs a line here.
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
            ("completed_on", ("completed_on",)),
            ("returned_on", ("returned_on",)),
            ("finalised_on", ("finalised_on",)),
            ("actions_completed_on", ("actions_completed_on",)),
            ("judgement_confirmed_on", ("judgement_confirmed_on",)),
            ("cancelled_on", ("cancelled_on", "cancelled_by", "cancel_reason")),
            ("resubmitted_on", ("resubmitted_on",)),
        ),
    ),
}
#: An audit's stages in the order they happen, each with the date that records it: as of
#: a day, a status whose date is later falls back to the latest earlier stage dated by
#: then (or ``allocated``). ``cancelled`` falls back the same way once the ledger dates it.
STAGES: tuple[tuple[str, str], ...] = (
    ("completed", "completed_on"),
    ("returned", "returned_on"),
    ("finalised", "finalised_on"),
    ("actions_complete", "actions_completed_on"),
)
DATED_STATUSES = {status: column for status, column in STAGES} | {"cancelled": "cancelled_on"}


def after(values: pd.Series, day: dt.date) -> pd.Series:
    """Whether each date is after ``day`` (null: no, the ledger did not say when)."""
    return pd.Series(
        [v is not None and v == v and v > day for v in values.tolist()],
        index=values.index,
        dtype=bool,
    )


def known_on(data: Dataset, day: dt.date) -> Dataset:
    """``data`` as it was known at the end of ``day``: see the module docstring.

    ``history`` also loses the rows of months after ``day``'s month (an audit of a month
    that has not begun is not distributed yet, §1).
    """
    tables = dict(data.tables)
    for name, facts in DATED_FACTS.items():
        if name in tables:
            tables[name] = _table_known_on(tables[name], facts, day)
    if "history" in tables:
        tables["history"] = _statuses_known_on(data["history"], tables["history"], day)
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
        later = after(known[column], day)
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
    known = known[known["month"] <= month_of(day)]
    step_later = pd.Series(False, index=known.index, dtype=bool)
    for status, column in DATED_STATUSES.items():
        if column in original.columns:
            dated = original.loc[known.index, column]
            step_later |= (known["status"] == status) & after(dated, day)
    if not step_later.any():
        return known
    known = known.copy()
    for position in known.index[step_later]:
        known.at[position, "status"] = _stage_by(known.loc[position], day)
        if known.at[position, "completed_on"] is None:  # not completed: no judgement yet
            known.at[position, "overall_judgement"] = None
    return known


def _stage_by(row: pd.Series, day: dt.date) -> str:
    """The latest stage whose date (already cleared when after ``day``) is set."""
    stage = "allocated"
    for status, column in STAGES:
        value = row.get(column)
        if value is not None and value == value and value <= day:
            stage = status
    return stage
