"""Rules across rows and tables (contract §3), each problem located at a row.

Per-cell types and enums are checked by the reader; this module checks keys, references
between tables, the management chain and the month's own rules.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from caseaudit.model.calendar import MONTH_PATTERN as MONTH_TEXT
from caseaudit.model.calendar import add_months
from caseaudit.model.errors import IssueCollector, Priority
from caseaudit.model.identity import STAFF_ID_COLUMNS, Identities, Spellings, identity_key
from caseaudit.model.reaudits import awaiting_reaudits
from caseaudit.model.schema import TABLES
from caseaudit.model.tables import LINE, Tables

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
    data: Tables, month: str | None = None, issues: IssueCollector | None = None
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
    known = Identities.of(data)
    if readable("staff"):
        _check_staff(data, known.staff_ids, issues)
        _check_staff_references(data, known.staff_ids, issues)
    if readable("history"):
        _check_history(data, known.audit_ids, issues)
    _check_audit_references(data, known, readable, issues)
    for table in ("cases", "caseload"):  # the sample and the open cases it is drawn from
        if readable("staff", table):
            _check_case_teams(data, table, known, issues)
    if readable("cases", "history"):
        _check_ledger_subjects(data, issues)
    if readable("cases", "history", "caseload", "conflicts"):
        _check_subjects(data, known.subjects, issues)
    if readable("staff", "cases"):
        _check_connected_services(data, issues)
    if readable("outcomes"):
        _check_outcome_domains(data, issues)
    if readable("history", "challenges"):
        for audit_id, line, raised_on, finalised_on in late_challenges(data):
            issues.warn(
                data.file_name("challenges"),
                line,
                "raised_on",
                f"late: challenge of {audit_id} raised {raised_on.isoformat()}, after the audit "
                f"was finalised on {finalised_on.isoformat()} (§21: challenges come before "
                "finalisation); its confirmed judgement stands until a moderation decides",
            )
    if readable("history"):
        _check_missing_months(data, issues)
    if month is not None and check_month_text(month, issues) and readable(*MONTH_INPUTS):
        _check_month(data, month, issues)
    return issues


#: The tables the month's rules read (its cases, its ledger and what decides re-audits).
MONTH_INPUTS = ("staff", "cases", "history", "challenges", "moderations")
#: The staff ids that other tables name (contract §3).
STAFF_REFERENCES = {
    table: columns for table, columns in STAFF_ID_COLUMNS.items() if table != "staff"
}


def month_workload(data: Tables, month: str) -> tuple[int, int]:
    """The month's sample size and how many re-audits are due in it (or overdue)."""
    cases = int((data["cases"]["month"] == month).sum())
    awaiting = awaiting_reaudits(data, month)
    return cases, int((awaiting["reaudit_month"] <= month).sum())


def _rows(frame: pd.DataFrame, columns: Iterable[str]) -> Iterable[tuple]:
    return frame[[*columns, LINE]].itertuples(index=False, name=None)


def _flagged_rows(
    frame: pd.DataFrame, columns: Iterable[str], flagged: np.ndarray | pd.Series
) -> Iterable[tuple]:
    """``_rows`` of only the rows flagged (a boolean mask, in order): the rows a check
    must look at one by one, found by vectorised tests so that a valid table is not
    walked row by row."""
    rows = np.flatnonzero(np.asarray(flagged, dtype=bool))
    if not len(rows):
        return ()
    return _rows(frame.iloc[rows], columns)


def _rows_with(frame: pd.DataFrame, column: str, values: set) -> Iterable[tuple]:
    """``_rows(frame, [column])`` of only the rows whose value is one of ``values``."""
    if not values:
        return ()
    return _flagged_rows(frame, [column], frame[column].isin(list(values)))


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=object)


def _distinct(frame: pd.DataFrame, column: str) -> set:
    """The distinct values of ``column`` that are not null."""
    distinct = set(pd.unique(_values(frame, column)))
    distinct.discard(None)
    return distinct


def _unknown(frame: pd.DataFrame, column: str, known: set | frozenset) -> set:
    """The distinct values of ``column`` that are not null and not in ``known``."""
    return _distinct(frame, column).difference(known)


def _pairs_in(frame: pd.DataFrame, columns: list[str], pairs: pd.DataFrame) -> np.ndarray:
    """Whether each row's values of ``columns`` are a row of ``pairs`` (which holds no
    null): each value numbered (a null 0, in no pair), each row one number of those."""
    combined = np.zeros(len(frame) + len(pairs), dtype=np.int64)
    for column in columns:
        both = np.concatenate([_values(frame, column), _values(pairs, column)])
        codes, distinct = pd.factorize(both)
        combined = combined * (len(distinct) + 1) + (codes + 1)
    given, known = combined[: len(frame)], combined[len(frame) :]
    return pd.Series(given).isin(known).to_numpy(dtype=bool)


def _later(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Whether ``first`` is after ``second``, row by row, where both are given."""
    both = np.asarray(pd.notna(first) & pd.notna(second), dtype=bool)
    later = np.zeros(len(first), dtype=bool)
    later[both] = np.asarray(first[both] > second[both], dtype=bool)
    return later


def _check_unique(data: Tables, table: str, key: tuple[str, ...], issues: IssueCollector) -> None:
    frame = data[table]
    if frame.empty:
        return
    keys = frame[list(key)]
    complete = keys.notna().all(axis=1).to_numpy(dtype=bool)
    repeated = keys[complete].duplicated(keep=False).to_numpy(dtype=bool)
    if not repeated.any():
        return  # the usual case, without a row-by-row walk
    complete = frame[complete]
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


def _unknown_id(data: Tables, kind: str, value: str, spellings: Spellings, defined_in: str) -> str:
    """ "unknown staff_id 'X'", with the leading-zero hint when it applies (contract §1)."""
    return spellings.unknown(f"unknown {kind} {value!r}", value, data.file_name(defined_in))


def _check_staff(data: Tables, staff_spellings: Spellings, issues: IssueCollector) -> None:
    staff = data["staff"]
    staff_ids = _distinct(staff, "staff_id")
    file = data.file_name("staff")
    ids = _values(staff, "staff_id")
    managers = _values(staff, "manager_id")
    managed = np.asarray(pd.notna(managers), dtype=bool)
    unknown_manager = managed & ~staff["manager_id"].isin(list(staff_ids)).to_numpy(dtype=bool)
    own_manager = managed & np.asarray(managers == ids, dtype=bool)
    # The chain as the rows give it (a later row of one staff_id wins).
    chained = managed & ~unknown_manager & ~own_manager
    manager_of: dict[str, str] = dict(
        zip(ids[chained].tolist(), managers[chained].tolist(), strict=True)
    )
    flagged = (
        unknown_manager
        | own_manager
        | _later(_values(staff, "active_from"), _values(staff, "active_to"))
    )
    for staff_id, manager_id, active_from, active_to, line in _flagged_rows(
        staff, ["staff_id", "manager_id", "active_from", "active_to"], flagged
    ):
        if manager_id is not None:
            if manager_id not in staff_ids:
                message = _unknown_id(data, "staff_id", manager_id, staff_spellings, "staff")
                issues.add(file, line, "manager_id", message)
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
                    for staff_id, line in zip(ids.tolist(), staff[LINE].tolist(), strict=True):
                        line_of.setdefault(staff_id, line)
                issues.add(file, line_of[first], "manager_id", f"management chain loops: {chain}")
        for member in path:
            loops_from[member] = ends_in_loop


def _rotate(loop: list[str], first: str) -> list[str]:
    index = loop.index(first)
    return loop[index:] + loop[:index]


def _check_staff_references(
    data: Tables, staff_spellings: Spellings, issues: IssueCollector
) -> None:
    """Staff ids named in other tables must exist in staff (the value is named)."""
    staff = data["staff"]
    staff_ids = _distinct(staff, "staff_id")
    for table, columns in STAFF_REFERENCES.items():
        frame = data[table]
        for column in columns:
            for value, line in _rows_with(frame, column, _unknown(frame, column, staff_ids)):
                if value is not None and value not in staff_ids:
                    message = _unknown_id(data, "staff_id", value, staff_spellings, "staff")
                    issues.add(data.file_name(table), line, column, message)
    auditors = set(staff.loc[staff["is_auditor"] == True, "staff_id"])  # noqa: E712
    for table in ("breaks", "exemptions"):
        frame = data[table]
        named = _distinct(frame, "auditor_id")
        not_auditors = {v for v in named if v in staff_ids and v not in auditors}
        for value, line in _rows_with(frame, "auditor_id", not_auditors):
            if value in staff_ids and value not in auditors:
                issues.add(
                    data.file_name(table), line, "auditor_id", f"{value!r} is not an auditor"
                )


def _check_audit_references(
    data: Tables, known: Identities, readable: Callable[..., bool], issues: IssueCollector
) -> None:
    """Audit and case ids named in other tables must exist where they are defined."""
    if readable("history"):
        history_ids = _distinct(data["history"], "audit_id")
        for table in ("challenges", "outcomes"):
            frame = data[table]
            unknown = _unknown(frame, "audit_id", history_ids)
            for value, line in _rows_with(frame, "audit_id", unknown):
                if value is not None and value not in history_ids:
                    message = _unknown_id(data, "audit_id", value, known.audit_ids, "history")
                    issues.add(data.file_name(table), line, "audit_id", message)
    if readable("challenges"):
        challenged = _distinct(data["challenges"], "audit_id")
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
        case_ids = _distinct(data["cases"], "case_id")
        exemptions = data["exemptions"]
        unknown = _unknown(exemptions, "case_id", case_ids)
        for value, line in _rows_with(exemptions, "case_id", unknown):
            if value is not None and value not in case_ids:
                message = _unknown_id(data, "case_id", value, known.case_ids, "cases")
                issues.add(data.file_name("exemptions"), line, "case_id", message)


def _check_case_teams(data: Tables, table: str, known: Identities, issues: IssueCollector) -> None:
    """Contract §1, §3: every case's service (in ``cases`` or ``caseload``) is a service of
    ``staff``, and its team (when it has one) a team of that service there; the message
    lists the services or the service's teams. Values are compared as
    ``canonical_dataset`` spelled them."""
    cases = data[table]
    services = known.services.spellings()
    pairs = data["staff"][["service", "team"]].dropna().drop_duplicates()
    service = cases["service"]
    flagged = service.notna().to_numpy(dtype=bool) & (
        ~service.isin(list(services)).to_numpy(dtype=bool)
        | (
            cases["team"].notna().to_numpy(dtype=bool)
            & ~_pairs_in(cases, ["service", "team"], pairs)
        )
    )
    file, staff_file = data.file_name(table), data.file_name("staff")
    for service, team, line in _flagged_rows(cases, ["service", "team"], flagged):
        if service not in services:
            listed = ", ".join(known.services.spelt())
            message = f"no staff member in {staff_file} is in the service {service!r}"
            issues.add(file, line, "service", f"{message}; its services are: {listed}")
            continue
        teams = known.teams_of(service).spelt()
        listed = f"its teams are: {', '.join(teams)}" if teams else "it has no teams there"
        message = f"{team!r} is not a team of {service} in {staff_file}; {listed}"
        issues.add(file, line, "team", message)


def _check_ledger_subjects(data: Tables, issues: IssueCollector) -> None:
    """Contract §3: the ledger's subject of a case of ``cases`` is that case's subject
    there; "597" for "00000597" would hide who saw the child (§11) and let a conflict
    declared in one spelling miss the case in the other."""
    given = data["cases"][["case_id", "subject_id"]].dropna().drop_duplicates()
    history = data["history"]
    flagged = (
        history["case_id"].isin(given["case_id"]).to_numpy(dtype=bool)
        & history["subject_id"].notna().to_numpy(dtype=bool)
        & ~_pairs_in(history, ["case_id", "subject_id"], given)
    )
    if not flagged.any():
        return
    cases_file = data.file_name("cases")
    subjects_of: dict[str, set[str]] = {}
    for case_id, subject in zip(
        given["case_id"].tolist(), given["subject_id"].tolist(), strict=True
    ):
        subjects_of.setdefault(case_id, set()).add(subject)
    for case_id, subject, line in _flagged_rows(history, ["case_id", "subject_id"], flagged):
        spelled = sorted(subjects_of[case_id])
        message = Spellings(spelled).unknown(
            f"{subject!r}, but {cases_file} gives case {case_id} the subject "
            f"{' or '.join(repr(s) for s in spelled)}",
            subject,
            cases_file,
        )
        issues.add(data.file_name("history"), line, "subject_id", message)


def _check_subjects(data: Tables, subjects: Spellings, issues: IssueCollector) -> None:
    """Contract §1: a declared conflict names the subject of some row of ``cases``,
    ``history`` or ``caseload`` — a child that exists, or the conflict would silently bar
    no one."""
    conflicts = data["conflicts"]
    known = subjects.spellings()
    for value, line in _rows_with(
        conflicts, "subject_id", _unknown(conflicts, "subject_id", known)
    ):
        message = subjects.unknown(
            f"{value!r} is the subject of no case in {data.file_name('cases')}, "
            f"{data.file_name('history')} or {data.file_name('caseload')}",
            value,
            f"{data.file_name('cases')}, {data.file_name('history')} or "
            f"{data.file_name('caseload')}",
        )
        issues.add(data.file_name("conflicts"), line, "subject_id", message)


def _check_outcome_domains(data: Tables, issues: IssueCollector) -> None:
    """Every rated domain is one of ``[outcomes] domains`` (§16, issue 20): a made-up or
    misspelt domain would drop out of the audit tool's figures unseen."""
    known = data.config.outcomes.domains
    outcomes = data["outcomes"]
    unknown = _unknown(outcomes, "domain", set(known))
    for value, line in _rows_with(outcomes, "domain", unknown):
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f" (the domains: {', '.join(known)})"
        issues.add(data.file_name("outcomes"), line, "domain", f"unknown domain {value!r}{hint}")


def late_challenges(data: Tables) -> list[tuple[str, int, dt.date, dt.date]]:
    """Challenges raised after their audit was finalised (§21: a challenge comes before
    finalisation; one raised on the finalisation day is not late): (audit_id, line,
    raised_on, finalised_on), in the order of the file."""
    history, challenges = data["history"], data["challenges"]
    # Only the audits challenged: a later row of one audit_id wins, as in a dict.
    rows = history[
        history["finalised_on"].notna().to_numpy(dtype=bool)
        & history["audit_id"].isin(list(_distinct(challenges, "audit_id"))).to_numpy(dtype=bool)
    ]
    finalised = dict(zip(rows["audit_id"].tolist(), rows["finalised_on"].tolist(), strict=True))
    return [
        (audit_id, line, raised, finalised[audit_id])
        for audit_id, raised, line in zip(
            challenges["audit_id"], challenges["raised_on"], challenges[LINE], strict=True
        )
        if audit_id in finalised and raised is not None and raised > finalised[audit_id]
    ]


def _check_connected_services(data: Tables, issues: IssueCollector) -> None:
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


def _check_history(data: Tables, audit_spellings: Spellings, issues: IssueCollector) -> None:
    history = data["history"]
    file = data.file_name("history")
    audit_ids = _distinct(history, "audit_id")
    # ``AUDIT_ID`` matches ``<month>-<case_id>`` when the month is ``\d{4}-\d{2}``
    # (7 characters) and the case id is not empty and holds no line break.
    plain_months = [
        m for m in _distinct(history, "month") if isinstance(m, str) and MONTH_PART.fullmatch(m)
    ]
    audit_id, month, case_id, judgement, confirmed, reaudit_of = (
        _values(history, column) for column in _HISTORY_CHECKED
    )
    named = np.asarray(pd.notna(audit_id) & pd.notna(month) & pd.notna(case_id), dtype=bool)
    given = pd.Series(audit_id[named], dtype=object)
    misnamed = np.zeros(len(history), dtype=bool)
    misnamed[named] = (
        (given != month[named] + "-" + case_id[named])
        | ~pd.Series(month[named], dtype=object).isin(plain_months)
        | (given.str.len() == 8)
        | given.str.contains("\n", regex=False)
    ).to_numpy(dtype=bool)
    flagged = (
        misnamed
        | (np.asarray(judgement == "inadequate", dtype=bool) & np.asarray(pd.isna(confirmed)))
        | (
            np.asarray(pd.notna(reaudit_of), dtype=bool)
            & ~history["reaudit_of"].isin(list(audit_ids)).to_numpy(dtype=bool)
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
            expected = f"{month}-{case_id}"
            # ``audit_id`` is ``expected``, or ``expected`` then ``-r<k>`` (k from 1), the
            # case id in it compared by identity (contract §1: "2026-01-c1" is C1's).
            given, wanted = identity_key(audit_id), identity_key(expected)
            match = AUDIT_ID.match(given)
            if not match or not (
                given == wanted
                or (
                    given.startswith(f"{wanted}-r")
                    and REALLOCATION_NUMBER.fullmatch(given, len(wanted) + 2)
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
            message = _unknown_id(data, "audit_id", reaudit_of, audit_spellings, "history")
            issues.add(file, line, "reaudit_of", message)


def _check_month(data: Tables, month: str, issues: IssueCollector) -> None:
    """The month's own rules (contract §2): history must end before ``month`` and leave
    no gap; ``cases`` must hold the month (when it holds any); the month needs work."""
    history = data["history"]
    later = {v for v in _distinct(history, "month") if v >= month}
    for value, line in _rows_with(history, "month", later):
        if value is not None and value >= month:
            issues.add(
                data.file_name("history"),
                line,
                "month",
                f"history already holds month {value}; allocate {month} needs a ledger of "
                "earlier months only",
            )
    held = sorted(_distinct(data["cases"], "month"))
    if held and month not in held:
        # A typo (2027-01 for 2026-01) or a sample not yet added: with re-audits overdue
        # the month would otherwise run, exit 0, with those alone. Its ledger "gaps"
        # would only follow from the wrong month, so they are not reported.
        issues.add(
            data.file_name("cases"),
            1,
            "month",
            f"cases holds no case for month {month}; it holds {month_spans(held)}",
            Priority.HEADER,
        )
        return
    check_ledger_gaps(data, month, issues)
    has_cases = month in held
    if not has_cases:
        _, reaudits_due = month_workload(data, month)
        if not reaudits_due:
            issues.add(
                data.file_name("cases"),
                1,
                "month",
                f"no cases for month {month} and no re-audits due: nothing to allocate",
            )


def check_month_text(month: str, issues: IssueCollector) -> bool:
    """Whether ``month`` is ``YYYY-MM`` exactly (contract §1), as every command and the
    API take it; reported when not ("2026-3" is no month: which month was meant?)."""
    if isinstance(month, str) and MONTH_TEXT.fullmatch(month):
        return True
    issues.add("-", 0, "month", f"expected a month as YYYY-MM, got {month!r}")
    return False


def check_ledger_gaps(data: Tables, month: str, issues: IssueCollector) -> None:
    """Contract §2: when ``history`` holds months before ``month``, every month from its
    earliest up to the one before ``month`` has at least one row, unless ``[ledger]
    missing_months`` lists it. A month's rows left out would silently change re-audits
    due, yearly counts and the report; one line names every missing month."""
    months = {m for m in _distinct(data["history"], "month") if m < month}
    if not months:
        return
    allowed = set(data.config.ledger.missing_months)
    expected, current = [], min(months)
    while current < month:
        expected.append(current)
        current = add_months(current, 1)
    gaps = [m for m in expected if m not in months and m not in allowed]
    if gaps:
        issues.add(
            data.file_name("history"),
            1,
            "month",
            f"the ledger has no row for {month_spans(gaps)}, between its first month "
            f"{min(months)} and {add_months(month, -1)}: add the audits of "
            f"{'that month' if len(gaps) == 1 else 'those months'}, or, if none were done, "
            "list them in config.toml [ledger] missing_months",
            Priority.HEADER,  # the whole table is in doubt: before its rows' problems
        )


def _check_missing_months(data: Tables, issues: IssueCollector) -> None:
    """A month listed in ``[ledger] missing_months`` (no audits at all) that ``history``
    has rows for is a contradiction: refused at the key's line."""
    listed = set(data.config.ledger.missing_months)
    held = listed.intersection(_distinct(data["history"], "month"))
    if held and data.config_source is not None:
        issues.add(
            data.config_source.file_name,
            data.config_lines.get("ledger.missing_months", 1),
            "ledger.missing_months",
            f"lists {month_spans(sorted(held))} as a month with no audits, but history "
            "holds audits in it",
        )


def month_spans(months: list[str]) -> str:
    """Sorted months as a reader takes them in: runs of consecutive months as spans
    ("2025-04 to 2025-12, 2026-02")."""
    spans: list[list[str]] = []
    for month in months:
        if spans and add_months(spans[-1][-1], 1) == month:
            spans[-1].append(month)
        else:
            spans.append([month])
    return ", ".join(s[0] if len(s) == 1 else f"{s[0]} to {s[-1]}" for s in spans)
