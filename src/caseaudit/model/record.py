"""``record``: a plan's allocations written into the ledger (issue 20, contract §6).

A month's plan becomes ``allocated`` rows of ``history``; a re-plan's moved audits become
``reallocated`` and its new ``<month>-<case_id>-r<k>`` rows are appended. A row already
in the ledger is refused, never overwritten: recording a plan twice, or a plan another
plan already recorded, is an input error.
"""

from __future__ import annotations

import pandas as pd

from caseaudit.model.errors import InputError, InputIssue
from caseaudit.model.schema import TABLES
from caseaudit.model.tables import LINE

#: Copied from the plan's allocations when it carries it (the sample's design, issue 21).
INCLUSION_PROBABILITY = "inclusion_probability"


def recorded_history(
    history: pd.DataFrame,
    allocations: pd.DataFrame,
    changes: pd.DataFrame | None = None,
    source: str = "allocations",
) -> pd.DataFrame:
    """``history`` with the plan's allocations appended as ``allocated`` and, for a
    re-plan (``changes`` given), each moved audit's earlier row marked ``reallocated``.

    An allocation already in the ledger under its audit id is refused unless it is an
    unchanged row of the re-plan (the earlier plan's own, recorded before)."""
    ledger = history.drop(columns=LINE, errors="ignore").copy()
    known = dict(zip(ledger["audit_id"], ledger["status"], strict=True))
    moved = {} if changes is None else _moved(changes)
    unchanged = set() if changes is None else _unchanged(allocations, changes)
    issues = []
    new_rows = []
    for position, row in enumerate(allocations.to_dict("records")):
        audit_id = row["audit_id"]
        if audit_id in known:
            if audit_id in unchanged:
                continue  # the earlier plan's own row, still this auditor's
            issues.append(
                InputIssue(source, position + 2, "audit_id", f"{audit_id!r} is already in history")
            )
            continue
        previous = moved.get(audit_id)
        if previous is not None and known.get(previous) != "allocated":
            state = "not in history" if previous not in known else f"{known[previous]}"
            issues.append(
                InputIssue(
                    source,
                    position + 2,
                    "audit_id",
                    f"moves {previous!r}, which is {state}: record the earlier plan first",
                )
            )
            continue
        entry: dict[str, object] = dict.fromkeys(TABLES["history"].column_names)
        entry.update(
            audit_id=audit_id,
            month=row["month"],
            case_id=row["case_id"],
            subject_id=row["subject_id"],
            auditor_id=row["auditor_id"],
            status="allocated",
            reaudit_of=row.get("reaudit_of"),
        )
        if INCLUSION_PROBABILITY in allocations.columns:
            entry[INCLUSION_PROBABILITY] = row[INCLUSION_PROBABILITY]
        new_rows.append(entry)
    if issues:
        raise InputError(issues)
    ledger.loc[ledger["audit_id"].isin(set(moved.values())), "status"] = "reallocated"
    if not new_rows:
        return ledger.reset_index(drop=True)
    appended = pd.DataFrame(new_rows, dtype=object)
    frame = pd.concat([ledger, appended], ignore_index=True) if len(ledger) else appended
    return frame.astype(object).where(frame.notna(), None)


def _moved(changes: pd.DataFrame) -> dict[str, str]:
    """New audit id → the audit id it replaces, for each audit the re-plan moved."""
    both = changes[changes["audit_id"].notna() & changes["previous_audit_id"].notna()]
    return dict(zip(both["audit_id"], both["previous_audit_id"], strict=True))


def _unchanged(allocations: pd.DataFrame, changes: pd.DataFrame) -> set[str]:
    """The re-plan's allocations that no change names: the earlier plan's rows."""
    named = set(changes["audit_id"].dropna())
    return set(allocations["audit_id"]) - named
