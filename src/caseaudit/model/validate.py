"""Rules across rows and tables (contract §3), each problem located at a row.

Per-cell types and enums are checked by the reader; this module checks keys, references
between tables, the management chain and the month's own rules.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

import pandas as pd

from caseaudit.model.dataset import LINE, Dataset
from caseaudit.model.errors import IssueCollector
from caseaudit.model.reaudits import awaiting_reaudits
from caseaudit.model.schema import TABLES

AUDIT_ID = re.compile(r"^(?P<month>\d{4}-\d{2})-(?P<case>.+?)(?:-r(?P<k>[1-9]\d*))?$")
#: The ``<month>`` of ``AUDIT_ID``.
MONTH_PART = re.compile(r"\d{4}-\d{2}")
#: The ``<k>`` of ``<month>-<case_id>-r<k>``.
REALLOCATION_NUMBER = re.compile(r"[1-9]\d*")
#: The columns ``_check_history`` reads, in its order.
_HISTORY_CHECKED = (
    "audit_id",
    "month",
    "case_id",
    "overall_judgement",
    "judgement_confirmed_on",
    "reaudit_of",
)


def validate_dataset(
    data: Dataset, month: str | None = None, issues: IssueCollector | None = None
) -> IssueCollector:
    """Every cross-row rule of the data directory; with ``month``, the month's rules too.

    A check that reads a table which could not be read (``data.unreadable``: its file,
    or a column of its header) is skipped, so that the root cause is reported once
    rather than buried under a reference error on every row of every other file.
    """
    issues = issues if issues is not None else IssueCollector()
    unreadable = data.unreadable

    def readable(*tables: str) -> bool:
        return not unreadable.intersection(tables)

    for name, schema in TABLES.items():
        if schema.key:  # a missing key column reads as empty cells, which are skipped
            _check_unique(data, name, schema.key, issues)
    if readable("staff"):
        _check_staff(data, issues)
        _check_staff_references(data, issues)
    if readable("history"):
        _check_history(data, issues)
    _check_audit_references(data, readable, issues)
    if readable("staff", "cases"):
        _check_connected_services(data, issues)
    if month is not None and readable(*MONTH_INPUTS):
        _check_month(data, month, issues)
    return issues


#: The tables the month's rules read (its cases, its ledger and what decides re-audits).
MONTH_INPUTS = ("staff", "cases", "history", "challenges", "moderations")
#: The staff ids that other tables name (contract §3).
STAFF_REFERENCES = {
    "cases": ("allocated_worker_id", "team_manager_id", "iro_id"),
    "breaks": ("auditor_id",),
    "conflicts": ("auditor_id",),
    "exemptions": ("auditor_id", "decided_by"),
    "history": ("auditor_id",),
    "challenges": ("raised_by",),
    "moderations": ("moderator_id",),
    "break_preferences": ("auditor_id",),
    "caseload": ("allocated_worker_id", "team_manager_id", "iro_id"),
}


def month_workload(data: Dataset, month: str) -> tuple[int, int]:
    """The month's sample size and how many re-audits are due in it (or overdue)."""
    cases = int((data["cases"]["month"] == month).sum())
    awaiting = awaiting_reaudits(data, month)
    return cases, int((awaiting["reaudit_month"] <= month).sum())


def _rows(frame: pd.DataFrame, columns: Iterable[str]) -> Iterable[tuple]:
    return frame[[*columns, LINE]].itertuples(index=False, name=None)


def _flagged_rows(
    frame: pd.DataFrame, columns: Iterable[str], flagged: Iterable[bool]
) -> Iterable[tuple]:
    """``_rows`` of only the rows flagged (in order): the rows a check must look at one
    by one, found in one pass so that a valid table is not walked row by row."""
    rows = [position for position, flag in enumerate(flagged) if flag]
    if not rows:
        return ()
    return _rows(frame.iloc[rows], columns)


def _rows_with(frame: pd.DataFrame, column: str, values: set) -> Iterable[tuple]:
    """``_rows(frame, [column])`` of only the rows whose value is one of ``values``."""
    if not values:
        return ()
    return _flagged_rows(frame, [column], (value in values for value in frame[column].tolist()))


def _unknown(frame: pd.DataFrame, column: str, known: set) -> set:
    """The distinct values of ``column`` that are not null and not in ``known``."""
    return {v for v in set(frame[column].tolist()) if v is not None and v not in known}


def _check_unique(data: Dataset, table: str, key: tuple[str, ...], issues: IssueCollector) -> None:
    frame = data[table]
    if frame.empty:
        return
    complete = frame[frame[list(key)].notna().all(axis=1)]
    repeated = complete.duplicated(list(key), keep=False)
    if not repeated.any():
        return  # the usual case, without a row-by-row walk
    first_line: dict[tuple, int] = {}
    for row in _rows(complete[repeated], key):
        values, line = tuple(row[:-1]), row[-1]
        if any(v is None for v in values):
            continue
        if values in first_line:
            shown = ", ".join(repr(v) for v in values)
            issues.add(
                data.file_name(table),
                line,
                key[-1] if len(key) == 1 else "-",
                f"duplicate {'/'.join(key)} ({shown}); first given on line {first_line[values]}",
            )
        else:
            first_line[values] = line


def _check_staff(data: Dataset, issues: IssueCollector) -> None:
    staff = data["staff"]
    staff_ids = set(staff["staff_id"].dropna())
    file = data.file_name("staff")
    ids = staff["staff_id"].tolist()
    managers = staff["manager_id"].tolist()
    # The chain as the rows give it (a later row of one staff_id wins).
    manager_of: dict[str, str] = {
        staff_id: manager_id
        for staff_id, manager_id in zip(ids, managers, strict=True)
        if manager_id is not None and manager_id in staff_ids and manager_id != staff_id
    }
    flagged = (
        (manager_id is not None and (manager_id not in staff_ids or manager_id == staff_id))
        or (active_from is not None and active_to is not None and active_from > active_to)
        for staff_id, manager_id, active_from, active_to in zip(
            ids, managers, staff["active_from"].tolist(), staff["active_to"].tolist(), strict=True
        )
    )
    for staff_id, manager_id, active_from, active_to, line in _flagged_rows(
        staff, ["staff_id", "manager_id", "active_from", "active_to"], flagged
    ):
        if manager_id is not None:
            if manager_id not in staff_ids:
                issues.add(file, line, "manager_id", f"unknown staff_id {manager_id!r}")
            elif manager_id == staff_id:
                issues.add(file, line, "manager_id", f"{staff_id!r} is their own manager")
        if active_from is not None and active_to is not None and active_from > active_to:
            issues.add(file, line, "active_to", "active_to is before active_from")
    reported: set[str] = set()
    line_of: dict[str, int] | None = None
    # Whether each staff member's chain, walked before, ends (False) or runs into a
    # loop (True); None while it is being walked. A later walk that meets a known one
    # stops there: it would only find that chain's end or the same loop again.
    loops_from: dict[str, bool | None] = {}
    for start in sorted(manager_of):
        if start in loops_from:
            continue
        path: list[str] = []
        current: str | None = start
        while current is not None and current not in loops_from:
            loops_from[current] = None
            path.append(current)
            current = manager_of.get(current)
        ends_in_loop = current is not None and loops_from[current] is not False
        if current is not None and loops_from[current] is None:  # back on this walk
            loop = path[path.index(current) :]
            if not reported.intersection(loop):
                reported.update(loop)
                first = min(loop)
                chain = " → ".join([*_rotate(loop, first), first])
                if line_of is None:
                    line_of = {}
                    for staff_id, line in zip(ids, staff[LINE].tolist(), strict=True):
                        line_of.setdefault(staff_id, line)
                issues.add(file, line_of[first], "manager_id", f"management chain loops: {chain}")
        for member in path:
            loops_from[member] = ends_in_loop


def _rotate(loop: list[str], first: str) -> list[str]:
    index = loop.index(first)
    return loop[index:] + loop[:index]


def _check_staff_references(data: Dataset, issues: IssueCollector) -> None:
    """Staff ids named in other tables must exist in staff (the value is named)."""
    staff = data["staff"]
    staff_ids = set(staff["staff_id"].dropna())
    for table, columns in STAFF_REFERENCES.items():
        frame = data[table]
        for column in columns:
            for value, line in _rows_with(frame, column, _unknown(frame, column, staff_ids)):
                if value is not None and value not in staff_ids:
                    issues.add(data.file_name(table), line, column, f"unknown staff_id {value!r}")
    auditors = set(staff.loc[staff["is_auditor"] == True, "staff_id"])  # noqa: E712
    for table in ("breaks", "exemptions"):
        frame = data[table]
        named = set(frame["auditor_id"].tolist())
        not_auditors = {v for v in named if v in staff_ids and v not in auditors}
        for value, line in _rows_with(frame, "auditor_id", not_auditors):
            if value in staff_ids and value not in auditors:
                issues.add(
                    data.file_name(table), line, "auditor_id", f"{value!r} is not an auditor"
                )


def _check_audit_references(
    data: Dataset, readable: Callable[..., bool], issues: IssueCollector
) -> None:
    """Audit and case ids named in other tables must exist where they are defined."""
    if readable("history"):
        history_ids = set(data["history"]["audit_id"].dropna())
        for table in ("challenges", "outcomes"):
            frame = data[table]
            unknown = _unknown(frame, "audit_id", history_ids)
            for value, line in _rows_with(frame, "audit_id", unknown):
                if value is not None and value not in history_ids:
                    issues.add(
                        data.file_name(table), line, "audit_id", f"unknown audit_id {value!r}"
                    )
    if readable("challenges"):
        challenged = set(data["challenges"]["audit_id"].dropna())
        moderations = data["moderations"]
        unknown = _unknown(moderations, "audit_id", challenged)
        for value, line in _rows_with(moderations, "audit_id", unknown):
            if value is not None and value not in challenged:
                issues.add(
                    data.file_name("moderations"),
                    line,
                    "audit_id",
                    f"audit_id {value!r} has no challenge in challenges",
                )
    if readable("cases"):
        case_ids = set(data["cases"]["case_id"].dropna())
        exemptions = data["exemptions"]
        unknown = _unknown(exemptions, "case_id", case_ids)
        for value, line in _rows_with(exemptions, "case_id", unknown):
            if value is not None and value not in case_ids:
                issues.add(
                    data.file_name("exemptions"), line, "case_id", f"unknown case_id {value!r}"
                )


def _check_connected_services(data: Dataset, issues: IssueCollector) -> None:
    """Contract §3: every service named in ``[moderation] connected_services`` is the
    service of some staff member or case; a typo there would silently let a moderator
    from a connected service through (§22). Located at the key's line in config.toml."""
    groups = data.config.moderation.connected_services
    if not groups or data.config_source is None:
        return
    known = set(data["staff"]["service"].dropna()) | set(data["cases"]["service"].dropna())
    line = data.config_lines.get("moderation.connected_services", 1)
    for name in sorted({name for group in groups for name in group} - known):
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        issues.add(
            data.config_source.file_name,
            line,
            "moderation.connected_services",
            f"no staff member or case has the service {name!r}{hint}",
        )


def _check_history(data: Dataset, issues: IssueCollector) -> None:
    history = data["history"]
    file = data.file_name("history")
    audit_ids = set(history["audit_id"].dropna())
    # ``AUDIT_ID`` matches ``<month>-<case_id>`` when the month is ``\d{4}-\d{2}``
    # (7 characters) and the case id is not empty and holds no line break.
    plain_months = {
        m for m in set(history["month"].tolist()) if isinstance(m, str) and MONTH_PART.fullmatch(m)
    }
    flagged = (
        (
            audit_id is not None
            and month is not None
            and case_id is not None
            and (
                audit_id != f"{month}-{case_id}"
                or month not in plain_months
                or len(audit_id) == 8
                or "\n" in audit_id
            )
        )
        or (judgement == "inadequate" and confirmed is None)
        or (reaudit_of is not None and reaudit_of not in audit_ids)
        for audit_id, month, case_id, judgement, confirmed, reaudit_of in zip(
            *(history[column].tolist() for column in _HISTORY_CHECKED), strict=True
        )
    )
    for audit_id, month, case_id, judgement, confirmed, reaudit_of, line in _flagged_rows(
        history,
        [
            "audit_id",
            "month",
            "case_id",
            "overall_judgement",
            "judgement_confirmed_on",
            "reaudit_of",
        ],
        flagged,
    ):
        if audit_id is not None and month is not None and case_id is not None:
            match = AUDIT_ID.match(audit_id)
            expected = f"{month}-{case_id}"
            # ``audit_id`` is ``expected``, or ``expected`` then ``-r<k>`` (k from 1).
            if not match or not (
                audit_id == expected
                or (
                    audit_id.startswith(f"{expected}-r")
                    and REALLOCATION_NUMBER.fullmatch(audit_id, len(expected) + 2)
                )
            ):
                issues.add(
                    file,
                    line,
                    "audit_id",
                    f"audit_id {audit_id!r} should be {expected!r} (or {expected}-r<k>)",
                )
        if judgement == "inadequate" and confirmed is None:
            issues.add(
                file,
                line,
                "judgement_confirmed_on",
                "required when overall_judgement is inadequate (§25)",
            )
        if reaudit_of is not None and reaudit_of not in audit_ids:
            issues.add(file, line, "reaudit_of", f"unknown audit_id {reaudit_of!r}")


def _check_month(data: Dataset, month: str, issues: IssueCollector) -> None:
    """The month's own rules: history must end before ``month``; the month needs work."""
    history = data["history"]
    later = {v for v in set(history["month"].tolist()) if v is not None and v >= month}
    for value, line in _rows_with(history, "month", later):
        if value is not None and value >= month:
            issues.add(
                data.file_name("history"),
                line,
                "month",
                f"history already holds month {value}; allocate {month} needs a ledger of "
                "earlier months only",
            )
    has_cases = bool((data["cases"]["month"] == month).any())
    if not has_cases:
        _, reaudits_due = month_workload(data, month)
        if not reaudits_due:
            issues.add(
                data.file_name("cases"),
                1,
                "month",
                f"no cases for month {month} and no re-audits due: nothing to allocate",
            )
