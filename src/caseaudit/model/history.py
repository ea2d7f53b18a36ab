"""What the ledger (``history``) says of the audit year so far (contract §4 rule 2),
shared by the month's plan, the notices and the report."""

from __future__ import annotations

import pandas as pd

from caseaudit.model.calendar import audit_year_start
from caseaudit.model.schema import NOT_COUNTED_STATUSES
from caseaudit.model.tables import Tables


def yearly_counts(data: Tables, month: str) -> pd.Series:
    """Audits each auditor already has in the audit year of ``month`` (contract §4 rule 2).

    Reallocated and cancelled rows do not count; earlier months never count toward the
    monthly maximum, only toward the year.
    """
    history = data["history"]
    start = audit_year_start(month, data.config.policy.audit_year_start_month)
    in_year = history[
        (history["month"] >= start)
        & (history["month"] < month)
        & ~history["status"].isin(NOT_COUNTED_STATUSES)
    ]
    return in_year.groupby("auditor_id").size()
