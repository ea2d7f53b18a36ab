"""A synthetic authority whose target month is still to be drawn (issue 21): the tables
of ``generate_tables`` without the month's cases, so that ``draw-sample`` draws them
from the caseload (``caseaudit demo``, tests and benchmarks)."""

from __future__ import annotations

import pandas as pd


def without_month(tables: dict[str, pd.DataFrame], month: str) -> dict[str, pd.DataFrame]:
    """The tables with no case of ``month`` in ``cases`` and no exemption of ``month``
    (an exemption names a case of the month's list, which is not drawn yet), and no
    declared conflict with a child who was only in that list: a conflict must name a
    child of ``cases``, ``history`` or ``caseload`` (contract §1)."""
    changed = dict(tables)
    cases, exemptions = tables["cases"], tables["exemptions"]
    changed["cases"] = cases[cases["month"] != month].reset_index(drop=True)
    changed["exemptions"] = exemptions[exemptions["month"] != month].reset_index(drop=True)
    known = {
        *changed["cases"]["subject_id"],
        *tables["history"]["subject_id"],
        *tables["caseload"]["subject_id"],
    }
    conflicts = tables["conflicts"]
    changed["conflicts"] = conflicts[conflicts["subject_id"].isin(known)].reset_index(drop=True)
    return changed
