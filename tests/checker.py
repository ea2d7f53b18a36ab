"""An independent checker of the outputs of ``caseaudit allocate``.

It re-derives every hard rule of the contract (contract.md §4, the outputs of
§5 and the conventions of §1) straight from the raw input files, with plain
pandas/pyarrow, the standard library, ``holidays`` and ``python-dateutil``.
It deliberately imports nothing from ``caseaudit``: a bug shared by the solver
and its own helpers must not be able to hide here.

    violations = check_allocation(data_dir, out_dir, "2027-01")
    assert_valid_allocation(data_dir, out_dir, "2027-01", {"conflicts": {"same_team": False}})

and of ``caseaudit reallocate`` (issue 3), against the previous plan it re-plans:

    violations = check_reallocation(data_dir, out_dir, "2027-01", previous_dir)

and of ``caseaudit report`` (issues 10 and 20), every list and figure recomputed from
the input rows dated on or before the as-of day:

    violations = check_report(data_dir, report_dir, date(2026, 2, 28))

Each violation is one human-readable line that names the table, the ids and
the rule broken (in square brackets).
"""

from __future__ import annotations

import calendar
import copy
import csv
import json
import math
import re
import tomllib
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import holidays
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dateutil.relativedelta import relativedelta

__all__ = [
    "DEFAULT_CONFIG",
    "OUTPUT_COLUMNS",
    "REALLOCATION_OUTPUT_COLUMNS",
    "RuleReading",
    "assert_valid_allocation",
    "assert_valid_break_plan",
    "assert_valid_moderation",
    "assert_valid_reallocation",
    "assert_valid_report",
    "check_allocation",
    "check_break_plan",
    "check_moderation",
    "check_output_files",
    "check_reallocation",
    "check_report",
]

DEFAULT_CONFIG: dict[str, dict[str, Any]] = {
    "policy": {
        "audit_year_start_month": 4,
        "max_audits_per_year": 10,
        "max_audits_per_month": 1,
        "max_break_fraction": 0.20,
        "reaudit_within_months": 2,
        "review_meeting_after_days": 28,
        "reflection_meeting_within_working_days": 5,
        "amendment_working_days": 3,
    },
    "conflicts": {"same_team": True, "management_chain": True},
    "calendar": {"country": "GB", "subdivision": "ENG"},
    "output": {"date_format": "iso", "bom": False},
    "solver": {},
    "weights": {},
}

OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "allocations": (
        "audit_id",
        "month",
        "case_id",
        "subject_id",
        "case_type",
        "service",
        "team",
        "auditor_id",
        "auditor_name",
        "auditor_email",
        "allocated_worker_id",
        "team_manager_id",
        "iro_id",
        "group_manager_id",
        "distributed_on",
        "due_on",
        "is_reaudit",
        "reaudit_of",
        "reason",
    ),
    "unallocated": ("case_id", "month", "subject_id", "reason"),
    "break_decisions": ("auditor_id", "month", "requested_on", "on_time", "decision"),
    "notifications": ("recipient_id", "kind", "month", "detail"),
    "reaudit_schedule": (
        "audit_id",
        "case_id",
        "subject_id",
        "confirmed_on",
        "reflection_meeting_by",
        "review_meeting_on",
        "reaudit_deadline",
        "reaudit_month",
        "escalation",
        "head_of_service_id",
    ),
}
# Every exemption of the month, honoured or not (issue 3): written by allocate and
# reallocate alike, checked whenever it is there.
EXEMPTION_DECISION_COLUMNS: tuple[str, ...] = (
    "case_id",
    "month",
    "auditor_id",
    "requested_on",
    "decision",
    "decided_by",
    "honoured",
    "reason",
)
# reallocate (issue 3) writes every allocate table plus these two.
REALLOCATION_OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    **OUTPUT_COLUMNS,
    "changes": (
        "audit_id",
        "previous_audit_id",
        "case_id",
        "previous_auditor_id",
        "new_auditor_id",
        "reason",
    ),
    "exemption_decisions": EXEMPTION_DECISION_COLUMNS,
}
PREVIOUS_PLAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "allocations": ("audit_id", "month", "case_id", "auditor_id"),
    "break_decisions": ("auditor_id", "month", "requested_on", "on_time", "decision"),
}
DATE_COLUMNS = frozenset(
    {
        "distributed_on",
        "due_on",
        "requested_on",
        "confirmed_on",
        "reflection_meeting_by",
        "review_meeting_on",
        "reaudit_deadline",
    }
)
BOOL_COLUMNS = frozenset({"is_reaudit", "on_time", "honoured"})
CASE_DETAIL_COLUMNS = (
    "subject_id",
    "case_type",
    "service",
    "team",
    "allocated_worker_id",
    "team_manager_id",
    "iro_id",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NOT_COUNTED_STATUSES = frozenset({"reallocated", "cancelled"})
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
EXEMPTION_APPROVER_ROLE = {"csc": "assistant_director", "pq": "strategic_lead_ipq"}
BREAK_CAP_KIND = "break_cap_reached"
MAX_CELL_MISMATCHES = 10
REALLOCATION_SUFFIX = re.compile(r"-r([0-9]+)$")

Month = tuple[int, int]
Row = dict[str, Any]


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def check_allocation(
    data_dir: Path | str,
    out_dir: Path | str,
    month: str,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Return a list of human-readable violations (empty = all good)."""
    return _Checker(Path(data_dir), Path(out_dir), month, config).run()


def assert_valid_allocation(
    data_dir: Path | str,
    out_dir: Path | str,
    month: str,
    config: Mapping[str, Any] | None = None,
) -> None:
    """Raise AssertionError listing every violation of the allocation in out_dir."""
    violations = check_allocation(data_dir, out_dir, month, config)
    if violations:
        listing = "\n".join(f"  - {violation}" for violation in violations)
        raise AssertionError(f"{len(violations)} violation(s) of the contract:\n{listing}")


def check_reallocation(
    data_dir: Path | str,
    out_dir: Path | str,
    month: str,
    previous_dir: Path | str,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Violations of a ``caseaudit reallocate`` output re-planning previous_dir (issue 3)."""
    return _ReallocationChecker(
        Path(data_dir), Path(out_dir), month, config, Path(previous_dir)
    ).run()


def assert_valid_reallocation(
    data_dir: Path | str,
    out_dir: Path | str,
    month: str,
    previous_dir: Path | str,
    config: Mapping[str, Any] | None = None,
) -> None:
    """Raise AssertionError listing every violation of the reallocation in out_dir."""
    violations = check_reallocation(data_dir, out_dir, month, previous_dir, config)
    if violations:
        listing = "\n".join(f"  - {violation}" for violation in violations)
        raise AssertionError(
            f"{len(violations)} violation(s) of the contract and issue 3:\n{listing}"
        )


def check_output_files(
    out_dir: Path | str,
    declarations: Mapping[str, Iterable[tuple[str, str]]],
    date_format: str = "iso",
) -> list[str]:
    """Walk each declared table (name → (column, kind) pairs, kind one of text, date,
    bool, int, month) against its CSV and Parquet files in out_dir: columns in order,
    Parquet types, CSV formats and escaping, rows sorted as text by code point.

    The declarations are passed in, so that this module still imports nothing from
    caseaudit; a table whose Parquet file is absent is skipped (the caller knows which
    tables a command writes)."""
    violations: list[str] = []
    for name, columns in declarations.items():
        declared = list(columns)
        parquet_path = Path(out_dir) / f"{name}.parquet"
        if parquet_path.exists():
            violations += _walk_table(Path(out_dir), name, declared, date_format)
    return violations


_PARQUET_KIND = {
    "text": pa.string(),
    "month": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
}
_CSV_CELL = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "dmy": re.compile(r"\d{2}/\d{2}/\d{4}"),
    "bool": re.compile(r"true|false"),
    "int": re.compile(r"-?\d+"),
    "month": re.compile(r"\d{4}-(0[1-9]|1[0-2])"),
}


def _walk_table(
    out_dir: Path, name: str, declared: list[tuple[str, str]], date_format: str
) -> list[str]:
    found: list[str] = []
    table = pq.read_table(out_dir / f"{name}.parquet")
    # Columns marked "?" are written only when the run has them, all of them or none.
    always = [(column, kind) for column, kind in declared if not kind.startswith("?")]
    every = [(column, kind.lstrip("?")) for column, kind in declared]
    declared = every if table.column_names == [c for c, _ in every] else always
    names = [column for column, _ in declared]
    if table.column_names != names:
        return [f"{name}.parquet: columns {table.column_names}, declared {names} [declaration]"]
    for column, kind in declared:
        arrow_type = table.schema.field(column).type
        if arrow_type != _PARQUET_KIND[kind]:
            found.append(f"{name}.parquet: {column} is {arrow_type}, declared {kind} [declaration]")
    rows = table.to_pylist()
    with (out_dir / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    if not records or records[0] != names:
        return [*found, f"{name}.csv: header {records[:1]}, declared {names} [declaration]"]
    if len(records) - 1 != len(rows):
        return [*found, f"{name}.csv: {len(records) - 1} rows, Parquet has {len(rows)}"]
    for line, (record, row) in enumerate(zip(records[1:], rows, strict=True), start=2):
        for (column, kind), cell in zip(declared, record, strict=True):
            value = row[column]
            pattern = _CSV_CELL.get("dmy" if kind == "date" and date_format == "dmy" else kind)
            if cell == "" and value is None:
                continue
            if pattern is not None and not pattern.fullmatch(cell):
                found.append(f"{name}.csv:{line}: {column}: {cell!r} is not a {kind} cell")
            if kind == "month" and not _CSV_CELL["month"].fullmatch(str(value)):
                found.append(f"{name}.parquet row {line}: {column}: {value!r} is not a month")
            if kind in ("text", "month") and cell != _csv_escape(str(value)):
                found.append(f"{name}.csv:{line}: {column}: {cell!r} is not {value!r}, escaped")
    keys = [tuple(_sort_text(row[column]) for column in names) for row in rows]
    if keys != sorted(keys):
        found.append(f"{name}: rows are not sorted by {names} as text by code point")
    return found


# ---------------------------------------------------------------------------
# Small value helpers (text in, typed values out; never raise)
# ---------------------------------------------------------------------------


def _as_text(value: Any) -> str | None:
    """Normalise an input cell to trimmed text, None for null/empty."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _blank(value: Any) -> bool:
    return _as_text(value) is None


def _out_text(value: Any) -> str | None:
    """An output cell as raw text for comparison; null and '' both become None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value if value != "" else None
    return _as_text(value)


def _to_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _as_text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:  # contract §1: input dates may also be DD/MM/YYYY
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _as_text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    return None


def _parse_month(value: Any) -> Month | None:
    text = _as_text(value)
    if text is None or len(text) != 7 or text[4] != "-":
        return None
    try:
        year, month = int(text[:4]), int(text[5:])
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 else None


def _month_text(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def _add_months(month: Month, count: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + count
    return (index // 12, index % 12 + 1)


def _first_day(month: Month) -> date:
    return date(month[0], month[1], 1)


def _last_day(month: Month) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def _lower(value: Any) -> str | None:
    text = _as_text(value)
    return text.lower() if text is not None else None


def _show(value: Any) -> str:
    """Render a value inside a message: null is shown as <empty>."""
    if value is None or value == "":
        return "<empty>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return repr(value) if isinstance(value, str) and value != value.strip() else str(value)


def _sort_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv_escape(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_cell_matches(value: Any, cell: str, date_format: str = "iso") -> bool:
    """Does a CSV cell carry this Parquet value, as contract §1 prescribes?

    ``date_format`` "dmy" is the ``[output]`` option for hand-off systems that want
    dd/mm/yyyy; Parquet keeps real dates either way."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell == ""
    if isinstance(value, bool):
        return cell == ("true" if value else "false")
    if isinstance(value, datetime):
        return cell in {value.date().isoformat(), value.isoformat(), str(value)}
    if isinstance(value, date):
        return cell == (value.strftime("%d/%m/%Y") if date_format == "dmy" else value.isoformat())
    if isinstance(value, int):
        return cell == str(value)
    if isinstance(value, float):
        try:
            return math.isclose(float(cell), value, rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    if isinstance(value, str):
        return cell == _csv_escape(value)
    return cell == str(value)


# ---------------------------------------------------------------------------
# Config and calendar
# ---------------------------------------------------------------------------


def _merge_config(base: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for section, values in overrides.items():
        if isinstance(values, Mapping) and isinstance(base.get(section), dict):
            base[section].update(values)
        else:
            base[section] = copy.deepcopy(values)


def _load_config(data_dir: Path, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults (contract §3), then data_dir/config.toml, then the caller's overrides."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    path = data_dir / "config.toml"
    if path.exists():
        with path.open("rb") as handle:
            _merge_config(config, tomllib.load(handle))
    if overrides:
        _merge_config(config, overrides)
    return config


class _Calendar:
    """Working days: Monday to Friday except the configured bank holidays."""

    def __init__(self, country: str | None, subdivision: str | None) -> None:
        self._holidays: Any = (
            holidays.country_holidays(country, subdiv=subdivision) if country else {}
        )

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The count-th working day after day (day itself never counts)."""
        counted = 0
        while counted < count:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


# ---------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------


def _column_name(header: str) -> str:
    """Contract §1: trimmed, any case, spaces and hyphens read as underscores."""
    return re.sub(r"[ -]", "_", header.strip().lower())


def _identity(text: str) -> str:
    """Contract §1 "Identity", written anew here: NFKC, whitespace runs as one space,
    trimmed, case-folded (and NFKC again, so that a key's key is itself)."""
    spaced = " ".join(unicodedata.normalize("NFKC", text).split())
    return unicodedata.normalize("NFKC", spaced.casefold())


def _first_spellings(values: Iterable[str | None]) -> dict[str, str]:
    """Each identity's first spelling among ``values``."""
    spellings: dict[str, str] = {}
    for value in values:
        if value is not None:
            spellings.setdefault(_identity(value), value)
    return spellings


#: (table, column) → the identity it names, as the defining tables spell it (§1).
_NAMED_BY: dict[tuple[str, str], str] = {
    **{
        (table, column): "staff_id"
        for table, columns in {
            "staff": ("manager_id",),
            "cases": ("allocated_worker_id", "team_manager_id", "iro_id"),
            "breaks": ("auditor_id",),
            "conflicts": ("auditor_id",),
            "exemptions": ("auditor_id", "decided_by"),
            "history": ("auditor_id",),
            "challenges": ("raised_by",),
            "moderations": ("moderator_id",),
            "break_preferences": ("auditor_id",),
        }.items()
        for column in columns
    },
    ("history", "reaudit_of"): "audit_id",
    ("challenges", "audit_id"): "audit_id",
    ("moderations", "audit_id"): "audit_id",
    ("outcomes", "audit_id"): "audit_id",
    ("cases", "case_id"): "case_id",
    ("exemptions", "case_id"): "case_id",
    ("history", "case_id"): "case_id",
    ("cases", "subject_id"): "subject_id",
    ("history", "subject_id"): "subject_id",
    ("conflicts", "subject_id"): "subject_id",
    ("staff", "service"): "service",
    ("cases", "service"): "service",
}


def _read_input_table(data_dir: Path, name: str) -> list[dict[str, str | None]] | None:
    """Rows of an input table as trimmed text (None = null), every id, service and team
    respelled as its defining table spells it (contract §1: a case's "team 3" is staff's
    "Team 3"); None if the table is absent."""
    rows = _read_raw_input_table(data_dir, name)
    if rows is None:
        return None
    staff = _read_raw_input_table(data_dir, "staff") or []
    cases = _read_raw_input_table(data_dir, "cases") or []
    history = _read_raw_input_table(data_dir, "history") or []
    spellings = {
        "staff_id": _first_spellings(r.get("staff_id") for r in staff),
        "audit_id": _first_spellings(r.get("audit_id") for r in history),
        "case_id": _first_spellings(r.get("case_id") for r in cases),
        "subject_id": _first_spellings(
            [*(r.get("subject_id") for r in cases), *(r.get("subject_id") for r in history)]
        ),
        "service": _first_spellings(r.get("service") for r in staff),
    }
    teams: dict[str, dict[str, str]] = defaultdict(dict)
    for row in staff:
        service, team = row.get("service"), row.get("team")
        if service is not None and team is not None:
            teams[_identity(service)].setdefault(_identity(team), team)
    for row in rows:
        for column, value in row.items():
            kind = _NAMED_BY.get((name, column))
            if kind is not None and value is not None:
                row[column] = spellings[kind].get(_identity(value), value)
        if name in ("staff", "cases") and row.get("team") is not None:
            of_service = teams.get(_identity(row.get("service") or ""), {})
            row["team"] = of_service.get(_identity(row["team"] or ""), row["team"])
    return rows


def _read_raw_input_table(data_dir: Path, name: str) -> list[dict[str, str | None]] | None:
    """Rows of an input table as trimmed text (None = null); None if the table is absent."""
    csv_path, parquet_path = data_dir / f"{name}.csv", data_dir / f"{name}.parquet"
    if csv_path.exists():
        with csv_path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(csv.reader(handle))
        if not records:
            return []
        header = [_column_name(column) for column in records[0]]
        rows = []
        for record in records[1:]:
            if not any(cell.strip() for cell in record):
                continue
            padded = (record + [""] * len(header))[: len(header)]
            rows.append(
                {column: _as_text(cell) for column, cell in zip(header, padded, strict=True)}
            )
        return rows
    if parquet_path.exists():
        table = pq.read_table(parquet_path)
        return [
            {_column_name(str(column)): _as_text(value) for column, value in row.items()}
            for row in table.to_pylist()
        ]
    return _read_workbook_table(data_dir, name)


def _read_workbook_table(data_dir: Path, name: str) -> list[dict[str, str | None]] | None:
    """Issue 24: ``<name>.xlsx`` (the sheet named like the table, else the first) or the
    sheet of ``caseaudit.xlsx`` named like it, read with calamine itself; cells typed as
    dates, booleans and numbers become the text a CSV would hold (``_as_text``)."""
    from python_calamine import CalamineWorkbook

    own, combined = data_dir / f"{name}.xlsx", data_dir / "caseaudit.xlsx"
    path = own if own.exists() else combined if combined.exists() else None
    if path is None:
        return None
    book = CalamineWorkbook.from_path(str(path))
    sheets = {_column_name(sheet): sheet for sheet in book.sheet_names}
    if name not in sheets and path == combined:
        return None
    records = book.get_sheet_by_name(sheets.get(name, book.sheet_names[0])).to_python(
        skip_empty_area=False
    )
    if not records:
        return []
    header = [_column_name(str(column)) for column in records[0]]
    rows = []
    for record in records[1:]:
        cells = [_as_text(cell) for cell in record]
        if all(cell is None for cell in cells):
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


@dataclass(frozen=True)
class _Staff:
    staff_id: str
    name: str | None
    email: str | None
    role: str | None
    staff_group: str | None
    service: str | None
    team: str | None
    manager_id: str | None
    is_auditor: bool
    active_from: date | None
    active_to: date | None

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or self.active_to >= day
        )

    def active_throughout(self, first: date, last: date) -> bool:
        return (self.active_from is None or self.active_from <= first) and (
            self.active_to is None or self.active_to >= last
        )


@dataclass(frozen=True)
class _History:
    audit_id: str
    month: Month | None
    case_id: str | None
    subject_id: str | None
    auditor_id: str | None
    status: str | None
    overall_judgement: str | None
    judgement_confirmed_on: date | None
    reaudit_of: str | None
    finalised_on: date | None = None


@dataclass(frozen=True)
class _AwaitingReaudit:
    """An inadequate audit still waiting for its re-audit (contract §4 rule 5)."""

    audit_id: str
    case_id: str
    subject_id: str | None
    confirmed_on: date
    deadline: date
    reaudit_month: Month
    is_itself_reaudit: bool


@dataclass(frozen=True)
class _BreakDecision:
    auditor_id: str
    requested_on: date | None
    on_time: bool | None
    decision: str | None
    note: str = ""  # appended to "expected ..." in a violation message


@dataclass
class _OutputTable:
    name: str
    columns: list[str]
    rows: list[Row]


# ---------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------


class _Checker:
    """Loads inputs, re-derives what the rules require, compares with the outputs."""

    output_columns: Mapping[str, tuple[str, ...]] = OUTPUT_COLUMNS
    #: Tables checked when they are written, not required.
    optional_columns: Mapping[str, tuple[str, ...]] = {
        "exemption_decisions": EXEMPTION_DECISION_COLUMNS
    }

    def __init__(
        self, data_dir: Path, out_dir: Path, month: str, overrides: Mapping[str, Any] | None
    ) -> None:
        parsed = _parse_month(month)
        if parsed is None:
            raise ValueError(f"month must be YYYY-MM, got {month!r}")
        self.data_dir = data_dir
        self.out_dir = out_dir
        self.month = parsed
        self.month_text = _month_text(parsed)
        self.first_day = _first_day(parsed)
        self.last_day = _last_day(parsed)
        self.config = _load_config(data_dir, overrides)
        policy = self.config["policy"]
        self.year_start_month = int(policy["audit_year_start_month"])
        self.max_per_year = int(policy["max_audits_per_year"])
        self.max_per_month = int(policy["max_audits_per_month"])
        # Exact decimals: 0.2 read as the text "0.2", never as a binary float.
        self.break_fraction = Fraction(str(policy["max_break_fraction"]))
        self.reaudit_within_months = int(policy["reaudit_within_months"])
        self.review_after_days = int(policy["review_meeting_after_days"])
        self.reflection_working_days = int(policy["reflection_meeting_within_working_days"])
        self.same_team = bool(self.config["conflicts"]["same_team"])
        self.management_chain = bool(self.config["conflicts"]["management_chain"])
        cal = self.config["calendar"]
        self.calendar = _Calendar(cal.get("country"), cal.get("subdivision"))
        self.violations: list[str] = []
        self._chains: dict[str | None, list[str]] = {}

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- orchestration -----------------------------------------------------

    def run(self) -> list[str]:
        if not self._load_inputs():
            return self.violations
        self._derive_eligibility_and_counts()
        self._derive_breaks()
        self._derive_reaudits()
        self._check_manifest()
        tables = {name: self._read_output(name) for name in self.output_columns}
        for name in self.optional_columns:
            if name not in tables and (self.out_dir / f"{name}.parquet").exists():
                tables[name] = self._read_output(name)
        for table in tables.values():
            if table is not None:
                self._check_columns_and_order(table)
        allocations = tables["allocations"]
        unallocated = tables["unallocated"]
        if allocations is not None:
            self._check_allocation_rows(allocations)
            self._check_auditor_loads(allocations)
            self._check_no_audit_on_break(allocations, tables["break_decisions"])
            self._check_reaudit_flags(allocations)
        if unallocated is not None:
            self._check_unallocated_rows(unallocated)
        if allocations is not None and unallocated is not None:
            self._check_coverage(allocations, unallocated)
        if tables["break_decisions"] is not None:
            self._check_break_decisions(tables["break_decisions"])
        if tables["notifications"] is not None:
            self._check_break_cap_notifications(tables["notifications"])
        if tables["reaudit_schedule"] is not None:
            self._check_reaudit_schedule(tables["reaudit_schedule"])
        exemption_decisions = tables.get("exemption_decisions")
        if exemption_decisions is not None:
            self._check_exemption_decisions(exemption_decisions)
        self._check_more(tables)
        if allocations is not None and unallocated is not None:
            self._check_reasons(tables, allocations, unallocated)
        return self.violations

    def _columns_of(self, name: str) -> tuple[str, ...]:
        return {**self.optional_columns, **self.output_columns}[name]

    def _check_more(self, tables: Mapping[str, _OutputTable | None]) -> None:
        """Checks of a command's extra outputs (none for allocate)."""

    # -- inputs ------------------------------------------------------------

    def _load_inputs(self) -> bool:
        staff_rows = _read_input_table(self.data_dir, "staff")
        case_rows = _read_input_table(self.data_dir, "cases")
        if staff_rows is None or case_rows is None:
            missing = [n for n, t in (("staff", staff_rows), ("cases", case_rows)) if t is None]
            self.fail(f"input: required table(s) {', '.join(missing)} missing from {self.data_dir}")
            return False
        self.staff: dict[str, _Staff] = {}
        for row in staff_rows:
            staff_id = row.get("staff_id")
            if staff_id is None:
                continue
            self.staff[staff_id] = _Staff(
                staff_id=staff_id,
                name=row.get("name"),
                email=row.get("email"),
                role=_lower(row.get("role")),
                staff_group=_lower(row.get("staff_group")),
                service=row.get("service"),
                team=row.get("team"),
                manager_id=row.get("manager_id"),
                is_auditor=bool(_to_bool(row.get("is_auditor"))),
                active_from=_to_date(row.get("active_from")),
                active_to=_to_date(row.get("active_to")),
            )
        # The case details in force for m: the row of m, else the latest month before m.
        self.case_details: dict[str, Row] = {}
        self.month_case_ids: set[str] = set()
        detail_month: dict[str, Month] = {}
        for row in case_rows:
            case_id, case_month = row.get("case_id"), _parse_month(row.get("month"))
            if case_id is None or case_month is None or case_month > self.month:
                continue
            if case_month == self.month:
                self.month_case_ids.add(case_id)
            if case_id not in detail_month or case_month >= detail_month[case_id]:
                detail_month[case_id] = case_month
                self.case_details[case_id] = row
        self.break_rows = _read_input_table(self.data_dir, "breaks") or []
        self.declared = {
            (row.get("auditor_id"), row.get("subject_id"))
            for row in _read_input_table(self.data_dir, "conflicts") or []
        }
        self.exemption_rows = _read_input_table(self.data_dir, "exemptions") or []
        self.month_exemptions = sorted(
            (row for row in self.exemption_rows if _parse_month(row.get("month")) == self.month),
            key=lambda row: (row.get("case_id") or "", row.get("auditor_id") or ""),
        )
        self.history = [
            _History(
                audit_id=row["audit_id"],
                month=_parse_month(row.get("month")),
                case_id=row.get("case_id"),
                subject_id=row.get("subject_id"),
                auditor_id=row.get("auditor_id"),
                status=_lower(row.get("status")),
                overall_judgement=_lower(row.get("overall_judgement")),
                judgement_confirmed_on=_to_date(row.get("judgement_confirmed_on")),
                reaudit_of=row.get("reaudit_of"),
                finalised_on=_to_date(row.get("finalised_on")),
            )
            for row in _read_input_table(self.data_dir, "history") or []
            if row.get("audit_id") is not None
        ]
        self.challenges: dict[str, list[Row]] = defaultdict(list)
        for row in _read_input_table(self.data_dir, "challenges") or []:
            self.challenges[row.get("audit_id") or ""].append(row)
        self.moderations: dict[str, list[Row]] = defaultdict(list)
        for row in _read_input_table(self.data_dir, "moderations") or []:
            self.moderations[row.get("audit_id") or ""].append(row)
        # An honoured exemption for ANY case of m: no audit at all in m (issue 3).
        self.exempted_auditors: dict[str, Row] = {}
        for row in self.month_exemptions:
            if self._exemption_is_honoured(row):
                self.exempted_auditors.setdefault(row.get("auditor_id") or "", row)
        return True

    # -- derivations (what the rules require, from the inputs alone) ---------

    def _derive_eligibility_and_counts(self) -> None:
        """Rule 1 eligibility and rule 2 counts of the audit year before m."""
        self.eligible = {
            staff_id
            for staff_id, person in self.staff.items()
            if person.is_auditor and person.active_throughout(self.first_day, self.last_day)
        }
        start_year = self.month[0] if self.month[1] >= self.year_start_month else self.month[0] - 1
        self.year_start: Month = (start_year, self.year_start_month)
        self.year_end: Month = _add_months(self.year_start, 11)
        self.year_label = f"{_month_text(self.year_start)}..{_month_text(self.year_end)}"
        self.history_in_year: Counter[str] = Counter(
            audit.auditor_id
            for audit in self.history
            if audit.month is not None
            and self.year_start <= audit.month <= self.year_end
            and audit.status not in NOT_COUNTED_STATUSES
            and audit.auditor_id is not None
        )

    def _derive_breaks(self) -> None:
        """Rule 3: first come first served within floor(fraction × eligible auditors)."""
        self.break_cap = math.floor(self.break_fraction * len(self.eligible))
        self.expected_breaks = self._decide_break_requests(self.break_rows, already_granted=0)
        self.granted_breaks = {
            a for a, d in self.expected_breaks.items() if d.decision == "granted"
        }

    def _decide_break_requests(
        self, rows: Iterable[Mapping[str, Any]], already_granted: int
    ) -> dict[str, _BreakDecision]:
        """Decide m's requests among rows, granting while already_granted + granted < cap."""
        on_time_until = self.first_day - timedelta(days=1)
        required: list[tuple[tuple[int, date, str], str, date | None, bool]] = []
        decisions: dict[str, _BreakDecision] = {}
        for row in rows:
            auditor_id = row.get("auditor_id")
            if auditor_id is None or _parse_month(row.get("month")) != self.month:
                continue
            requested_on = _to_date(row.get("requested_on"))
            on_time = requested_on is not None and requested_on <= on_time_until
            could_audit = (
                auditor_id in self.eligible and self.history_in_year[auditor_id] < self.max_per_year
            )
            if not could_audit:
                decisions[auditor_id] = _BreakDecision(
                    auditor_id, requested_on, on_time, "not_required"
                )
                continue
            order_key = (0 if on_time else 1, requested_on or date.max, auditor_id)
            required.append((order_key, auditor_id, requested_on, on_time))
        required.sort(key=lambda item: item[0])
        for position, (_key, auditor_id, requested_on, on_time) in enumerate(required):
            decision = "granted" if already_granted + position < self.break_cap else "refused_cap"
            decisions[auditor_id] = _BreakDecision(auditor_id, requested_on, on_time, decision)
        return decisions

    def _effective_judgement(self, audit: _History) -> tuple[str | None, date | None]:
        """(judgement, confirmed_on), or (None, None) while a challenge is unresolved."""
        decided = [
            row
            for row in self.moderations.get(audit.audit_id, [])
            if _lower(row.get("final_judgement")) and _to_date(row.get("decided_on"))
        ]
        if decided:
            latest = max(
                decided,
                key=lambda row: (_to_date(row.get("decided_on")), row.get("moderator_id") or ""),
            )
            return _lower(latest.get("final_judgement")), _to_date(latest.get("decided_on"))
        # Issue 20: a challenge raised after finalisation (not on its day) is late and
        # leaves the confirmed judgement standing.
        finalised = audit.finalised_on
        if any(
            _to_bool(row.get("consensus_reached")) is not True
            and not (
                finalised is not None
                and (raised := _to_date(row.get("raised_on"))) is not None
                and raised > finalised
            )
            for row in self.challenges.get(audit.audit_id, [])
        ):
            return None, None
        return audit.overall_judgement, audit.judgement_confirmed_on

    def _derive_reaudits(self) -> None:
        """Rule 5: awaiting inadequate audits, their deadlines and re-audit months."""
        reaudited = {
            audit.reaudit_of
            for audit in self.history
            if audit.reaudit_of is not None and audit.status not in NOT_COUNTED_STATUSES
        }
        self.awaiting: dict[str, _AwaitingReaudit] = {}
        for audit in self.history:
            judgement, confirmed_on = self._effective_judgement(audit)
            if judgement != "inadequate" or confirmed_on is None or audit.case_id is None:
                continue
            if audit.audit_id in reaudited:
                continue
            deadline = confirmed_on + relativedelta(months=self.reaudit_within_months)
            deadline_month = (deadline.year, deadline.month)
            reaudit_month = (
                deadline_month
                if deadline == _last_day(deadline_month)
                else _add_months(deadline_month, -1)
            )
            self.awaiting[audit.audit_id] = _AwaitingReaudit(
                audit_id=audit.audit_id,
                case_id=audit.case_id,
                subject_id=audit.subject_id,
                confirmed_on=confirmed_on,
                deadline=deadline,
                reaudit_month=reaudit_month,
                is_itself_reaudit=audit.reaudit_of is not None,
            )
        by_case: dict[str, list[_AwaitingReaudit]] = defaultdict(list)
        for awaiting in self.awaiting.values():
            by_case[awaiting.case_id].append(awaiting)
        # Where several await, reaudit_of names the latest confirmed (ties: any of them).
        self.latest_awaiting: dict[str, set[str]] = {}
        for case_id, items in by_case.items():
            latest = max(item.confirmed_on for item in items)
            self.latest_awaiting[case_id] = {
                item.audit_id for item in items if item.confirmed_on == latest
            }
        self.due_reaudit_cases = {
            item.case_id for item in self.awaiting.values() if item.reaudit_month <= self.month
        }
        self.needed_case_ids = self.month_case_ids | self.due_reaudit_cases
        self.history_subject = {
            audit.case_id: audit.subject_id for audit in self.history if audit.case_id
        }

    # -- outputs: files, types, CSV twins, order -----------------------------

    def _read_output(self, name: str) -> _OutputTable | None:
        parquet_path = self.out_dir / f"{name}.parquet"
        if not parquet_path.exists():
            self.fail(f"{name}: {parquet_path.name} is missing from {self.out_dir}")
            return None
        try:
            arrow_table = pq.read_table(parquet_path)
        except (OSError, pa.ArrowException) as error:
            self.fail(f"{name}: cannot read {parquet_path.name}: {error}")
            return None
        table = _OutputTable(name, list(arrow_table.column_names), arrow_table.to_pylist())
        self._check_parquet_types(name, arrow_table.schema)
        self._check_csv_twin(table)
        return table

    def _check_parquet_types(self, name: str, schema: pa.Schema) -> None:
        """Contract §1: dates as date, booleans as bool, months and ids as text."""
        for column in self._columns_of(name):
            if column not in schema.names:
                continue
            arrow_type = schema.field(column).type
            if pa.types.is_dictionary(arrow_type):
                arrow_type = arrow_type.value_type
            if column in DATE_COLUMNS:
                ok = pa.types.is_date(arrow_type)
                expected = "date"
            elif column in BOOL_COLUMNS:
                ok = pa.types.is_boolean(arrow_type)
                expected = "bool"
            else:
                # An all-null optional text column may be stored with the null type.
                ok = (
                    pa.types.is_string(arrow_type)
                    or pa.types.is_large_string(arrow_type)
                    or pa.types.is_null(arrow_type)
                    or getattr(pa.types, "is_string_view", lambda _t: False)(arrow_type)
                )
                expected = "text"
            if not ok:
                self.fail(
                    f"{name}.parquet: column {column} has type {arrow_type}, expected {expected}"
                )

    def _check_csv_twin(self, table: _OutputTable) -> None:
        """The CSV twin: header, same columns and rows, ISO dates, true/false, escaping."""
        path = self.out_dir / f"{table.name}.csv"
        if not path.exists():
            self.fail(f"{table.name}: {path.name} (the CSV twin of the Parquet file) is missing")
            return
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = [record for record in csv.reader(handle) if record]
        if not records:
            self.fail(f"{table.name}.csv: no header row (a header is required even with no rows)")
            return
        header, body = records[0], records[1:]
        if header != table.columns:
            self.fail(
                f"{table.name}.csv: columns {header} differ from the Parquet columns "
                f"{table.columns}"
            )
            return
        if len(body) != len(table.rows):
            self.fail(
                f"{table.name}.csv: {len(body)} row(s) but {table.name}.parquet has "
                f"{len(table.rows)}"
            )
            return
        mismatches = 0
        for line, (record, row) in enumerate(zip(body, table.rows, strict=True), start=2):
            for column, cell in zip(header, record, strict=False):
                value = row[column]
                date_format = str(self.config.get("output", {}).get("date_format", "iso"))
                if _csv_cell_matches(value, cell, date_format):
                    continue
                mismatches += 1
                if mismatches <= MAX_CELL_MISMATCHES:
                    hint = ""
                    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                        hint = " (a text cell starting with = + - @ tab or CR needs a leading ')"
                    self.fail(
                        f"{table.name}.csv:{line}: {column}: cell {cell!r} does not match the "
                        f"Parquet value {value!r}{hint}"
                    )
            if len(record) != len(header):
                self.fail(f"{table.name}.csv:{line}: {len(record)} cells, header has {len(header)}")
        if mismatches > MAX_CELL_MISMATCHES:
            self.fail(
                f"{table.name}.csv: {mismatches - MAX_CELL_MISMATCHES} more cell mismatch(es)"
            )

    def _check_columns_and_order(self, table: _OutputTable) -> None:
        """Contract §1: contract columns first, in order; rows sorted as text by code point."""
        contract = list(self._columns_of(table.name))
        if table.columns[: len(contract)] != contract:
            missing = [column for column in contract if column not in table.columns]
            detail = f"; missing {missing}" if missing else ""
            self.fail(
                f"{table.name}: columns must start with {contract}, got "
                f"{table.columns[: len(contract)]}{detail}"
            )
        key_columns = [column for column in contract if column in table.columns]
        keys = [tuple(_sort_text(row[c]) for c in key_columns) for row in table.rows]
        for position in range(1, len(keys)):
            if keys[position] < keys[position - 1]:
                self.fail(
                    f"{table.name}: rows not sorted by {', '.join(key_columns)} as text by code "
                    f"point: row {position + 1} {keys[position][0]!r} comes after row {position} "
                    f"{keys[position - 1][0]!r}"
                )
                break

    def _check_manifest(self) -> None:
        path = self.out_dir / "manifest.json"
        if not path.exists():
            self.fail(f"manifest: manifest.json is missing from {self.out_dir}")
            return
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            self.fail(f"manifest: manifest.json is not valid JSON: {error}")
            return
        if not isinstance(manifest, dict):
            self.fail("manifest: manifest.json must hold a JSON object")
            return
        keys = {key.lower() for key in _all_keys(manifest)}
        for word in ("status", "seed", "month"):
            if not any(word in key for key in keys):
                self.fail(f"manifest: no key naming the {word}")
        if "month" in manifest and manifest["month"] != self.month_text:
            self.fail(f"manifest: month is {manifest['month']!r}, expected {self.month_text!r}")

    # -- allocations ---------------------------------------------------------

    def _expected_case_value(self, case_id: str, column: str) -> tuple[bool, str | None]:
        """(known, value) of a case column in m; only subject_id is known for history-only cases."""
        details = self.case_details.get(case_id)
        if details is not None:
            return True, details.get(column)
        if column == "subject_id" and case_id in self.history_subject:
            return True, self.history_subject[case_id]
        return False, None

    def _expected_distributed(self, row: Row, first_working: date) -> tuple[date, str]:
        """The hand-out day of an allocation and why: the month's first working day (§1)."""
        return first_working, f"{first_working} (the first working day of {self.month_text}) [§1]"

    def _check_allocation_rows(self, table: _OutputTable) -> None:
        """Rule 1 eligibility, the case details and the dates of contract §5."""
        expected_distributed = self.calendar.on_or_after(self.first_day)
        case_counts = Counter(row.get("case_id") for row in table.rows)
        for case_id, count in sorted(case_counts.items(), key=lambda item: str(item[0])):
            if count > 1:
                self.fail(f"allocations: case {case_id} is allocated {count} times [at most once]")
        for row in table.rows:
            case_id = _out_text(row.get("case_id"))
            label = f"allocations {_show(row.get('audit_id'))}"
            if case_id is None:
                self.fail(f"{label}: case_id is empty")
                continue
            expected_audit_id, why = self._expected_audit_id(case_id, row)
            if row.get("audit_id") != expected_audit_id:
                self.fail(f"{label}: audit_id should be {expected_audit_id} {why}")
            if row.get("month") != self.month_text:
                self.fail(
                    f"{label}: month is {_show(row.get('month'))}, expected {self.month_text}"
                )
            self._check_auditor_fields(label, row)
            for column in CASE_DETAIL_COLUMNS:
                known, expected = self._expected_case_value(case_id, column)
                if known and _out_text(row.get(column)) != expected:
                    self.fail(
                        f"{label}: {column} is {_show(row.get(column))} but the case row of "
                        f"{case_id} says {_show(expected)}"
                    )
            self._check_group_manager(label, case_id, row)
            distributed_on, due_on = (
                _to_date(row.get("distributed_on")),
                _to_date(row.get("due_on")),
            )
            expected_day, why = self._expected_distributed(row, expected_distributed)
            if distributed_on != expected_day:
                self.fail(f"{label}: distributed_on is {_show(distributed_on)}, expected {why}")
            if due_on != self.last_day:
                self.fail(
                    f"{label}: due_on is {_show(due_on)}, expected {self.last_day} "
                    f"(the last calendar day of {self.month_text}) [§6]"
                )
            if _out_text(row.get("reason")) is None:
                self.fail(f"{label}: reason is empty (say why this auditor)")
            self._check_conflicts(label, case_id, row)

    def _expected_audit_id(self, case_id: str, row: Row) -> tuple[str, str]:
        """(the audit id the row must carry, why) — contract §5: ``<month>-<case_id>``."""
        return f"{self.month_text}-{case_id}", f"for case {case_id} in {self.month_text}"

    def _check_auditor_fields(self, label: str, row: Row) -> None:
        auditor_id = _out_text(row.get("auditor_id"))
        person = self.staff.get(auditor_id or "")
        if person is None:
            self.fail(f"{label}: auditor {_show(auditor_id)} is not in staff")
            return
        if auditor_id not in self.eligible:
            why = (
                "is_auditor is false"
                if not person.is_auditor
                else f"not active for the whole month (active {_show(person.active_from)}"
                f"..{_show(person.active_to)})"
            )
            self.fail(
                f"{label}: auditor {auditor_id} is not eligible in {self.month_text}: {why} "
                "[rule 1 eligibility]"
            )
        if _out_text(row.get("auditor_name")) != person.name:
            self.fail(
                f"{label}: auditor_name is {_show(row.get('auditor_name'))} but staff "
                f"{auditor_id} is {_show(person.name)}"
            )
        if _out_text(row.get("auditor_email")) != person.email:
            self.fail(
                f"{label}: auditor_email is {_show(row.get('auditor_email'))} but staff "
                f"{auditor_id} has {_show(person.email)}"
            )

    def _check_group_manager(self, label: str, case_id: str, row: Row) -> None:
        details = self.case_details.get(case_id)
        if details is None:
            return
        team_manager_id = details.get("team_manager_id")
        expected = None
        if team_manager_id is not None and team_manager_id in self.staff:
            expected = self.staff[team_manager_id].manager_id
        if _out_text(row.get("group_manager_id")) != expected:
            self.fail(
                f"{label}: group_manager_id is {_show(row.get('group_manager_id'))}, expected "
                f"{_show(expected)} (the line manager of team manager {_show(team_manager_id)})"
            )

    def _chain_above(self, staff_id: str | None) -> list[str]:
        """Every manager above staff_id, at any height (loop-safe)."""
        if staff_id in self._chains:
            return self._chains[staff_id]
        chain: list[str] = []
        seen = {staff_id}
        person = self.staff.get(staff_id or "")
        current = person.manager_id if person else None
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            manager = self.staff.get(current)
            current = manager.manager_id if manager else None
        self._chains[staff_id] = chain
        return chain

    def _exemption_is_honoured(self, row: Mapping[str, Any]) -> bool:
        """Contract §3: approved, by someone else, whose role fits the auditor's staff group."""
        if _lower(row.get("decision")) != "approved":
            return False
        auditor_id, decided_by = row.get("auditor_id"), row.get("decided_by")
        auditor = self.staff.get(auditor_id or "")
        approver = self.staff.get(decided_by or "")
        if auditor is None or approver is None or decided_by == auditor_id:
            return False
        required_role = EXEMPTION_APPROVER_ROLE.get(auditor.staff_group or "")
        return required_role is not None and approver.role == required_role

    def _honoured_exemption(self, auditor_id: str, case_id: str) -> Row | None:
        for row in self.exemption_rows:
            if (
                row.get("case_id") == case_id
                and row.get("auditor_id") == auditor_id
                and _parse_month(row.get("month")) == self.month
                and self._exemption_is_honoured(row)
            ):
                return row
        return None

    def _check_conflicts(self, label: str, case_id: str, row: Row) -> None:
        """Rule 4: direct, management chain, same team, declared, exempted."""
        auditor_id = _out_text(row.get("auditor_id"))
        if auditor_id is None:
            return
        for message in self._conflicts_of(case_id, auditor_id, _out_text(row.get("subject_id"))):
            self.fail(f"{label}: {message}")

    def _conflicts_of(
        self, case_id: str, auditor_id: str, row_subject: str | None = None
    ) -> list[str]:
        """Every rule 4 conflict between the case and the auditor, as violation text."""
        found = []
        details = self.case_details.get(case_id) or {}
        worker, manager, iro = (
            details.get("allocated_worker_id"),
            details.get("team_manager_id"),
            details.get("iro_id"),
        )
        for role_name, holder in (
            ("allocated worker", worker),
            ("team manager", manager),
            ("IRO", iro),
        ):
            if holder is not None and holder == auditor_id:
                found.append(f"auditor {auditor_id} is the case's {role_name} [conflict: direct]")
        if self.management_chain:
            for role_name, holder in (("allocated worker", worker), ("team manager", manager)):
                if holder is not None and auditor_id in self._chain_above(holder):
                    found.append(
                        f"auditor {auditor_id} is in the line-management chain above "
                        f"the {role_name} {holder} [conflict: management_chain]"
                    )
        person = self.staff.get(auditor_id)
        if self.same_team and person is not None:
            service, team = details.get("service"), details.get("team")
            if (
                team is not None
                and person.team is not None
                and (person.service, person.team) == (service, team)
            ):
                found.append(
                    f"auditor {auditor_id} is in the same team as case {case_id} "
                    f"({service} / {team}) [conflict: same_team]"
                )
        subjects = {details.get("subject_id"), row_subject, self.history_subject.get(case_id)}
        for subject_id in sorted(s for s in subjects if s is not None):
            if (auditor_id, subject_id) in self.declared:
                found.append(
                    f"auditor {auditor_id} declared a conflict with subject "
                    f"{subject_id} [conflict: declared]"
                )
        exemption = self._honoured_exemption(auditor_id, case_id)
        if exemption is not None:
            found.append(
                f"auditor {auditor_id} holds an exemption for case {case_id} in "
                f"{self.month_text} approved by {exemption.get('decided_by')} "
                "[conflict: exempted]"
            )
        return found

    def _check_auditor_loads(self, table: _OutputTable) -> None:
        """Rules 1 and 2: the monthly and the yearly maximum."""
        in_month = Counter(_out_text(row.get("auditor_id")) for row in table.rows)
        in_month.pop(None, None)
        for auditor_id, count in sorted(in_month.items(), key=lambda item: str(item[0])):
            if count > self.max_per_month:
                self.fail(
                    f"allocations: auditor {auditor_id} has {count} audits in {self.month_text}, "
                    f"above max_audits_per_month {self.max_per_month} [monthly maximum]"
                )
            earlier = self.history_in_year[auditor_id or ""]
            if count + earlier > self.max_per_year:
                self.fail(
                    f"allocations: auditor {auditor_id} would have {count + earlier} audits in "
                    f"the audit year {self.year_label} ({count} in {self.month_text} + {earlier} "
                    f"in history), above max_audits_per_year {self.max_per_year} "
                    "[yearly maximum]"
                )

    def _check_no_audit_on_break(self, table: _OutputTable, decisions: _OutputTable | None) -> None:
        """Rule 3: an auditor with a granted break in m gets no audit in m."""
        on_break = set(self.granted_breaks)
        if decisions is not None:
            on_break |= {
                row.get("auditor_id")
                for row in decisions.rows
                if row.get("decision") == "granted" and row.get("month") == self.month_text
            }
        for row in table.rows:
            if row.get("auditor_id") in on_break:
                self.fail(
                    f"allocations {_show(row.get('audit_id'))}: auditor {row.get('auditor_id')} "
                    f"has a granted break in {self.month_text} [break]"
                )

    def _check_reaudit_flags(self, table: _OutputTable) -> None:
        """Rule 5: a case with an awaiting re-audit is allocated as that re-audit."""
        for row in table.rows:
            case_id = _out_text(row.get("case_id"))
            label = f"allocations {_show(row.get('audit_id'))}"
            is_reaudit = _to_bool(row.get("is_reaudit"))
            reaudit_of = _out_text(row.get("reaudit_of"))
            expected = self.latest_awaiting.get(case_id or "")
            if expected:
                wanted = " or ".join(sorted(expected))
                if is_reaudit is not True or reaudit_of not in expected:
                    self.fail(
                        f"{label}: case {case_id} awaits a re-audit, so is_reaudit must be true "
                        f"and reaudit_of {wanted}; got is_reaudit={_show(is_reaudit)}, "
                        f"reaudit_of={_show(reaudit_of)} [re-audit]"
                    )
            elif is_reaudit is not False or reaudit_of is not None:
                self.fail(
                    f"{label}: case {case_id} awaits no re-audit, so is_reaudit must be false "
                    f"and reaudit_of empty; got is_reaudit={_show(is_reaudit)}, "
                    f"reaudit_of={_show(reaudit_of)} [re-audit]"
                )

    # -- unallocated and coverage --------------------------------------------

    def _check_unallocated_rows(self, table: _OutputTable) -> None:
        counts = Counter(row.get("case_id") for row in table.rows)
        for case_id, count in sorted(counts.items(), key=lambda item: str(item[0])):
            if count > 1:
                self.fail(f"unallocated: case {case_id} is listed {count} times")
        for row in table.rows:
            case_id = _out_text(row.get("case_id"))
            label = f"unallocated {_show(case_id)}"
            if row.get("month") != self.month_text:
                self.fail(
                    f"{label}: month is {_show(row.get('month'))}, expected {self.month_text}"
                )
            known, subject_id = self._expected_case_value(case_id or "", "subject_id")
            if known and _out_text(row.get("subject_id")) != subject_id:
                self.fail(
                    f"{label}: subject_id is {_show(row.get('subject_id'))} but the case says "
                    f"{_show(subject_id)}"
                )
            if _out_text(row.get("reason")) is None:
                self.fail(f"{label}: reason is empty (name what blocked the case)")

    def _check_coverage(self, allocations: _OutputTable, unallocated: _OutputTable) -> None:
        """Every case needing an auditor is allocated or unallocated, never both, nothing else."""
        allocated = {_out_text(row.get("case_id")) for row in allocations.rows} - {None}
        left_out = {_out_text(row.get("case_id")) for row in unallocated.rows} - {None}
        for case_id in sorted(allocated & left_out):
            self.fail(f"coverage: case {case_id} is both allocated and unallocated")
        covered = allocated | left_out
        for case_id in sorted(self.needed_case_ids - covered):
            why = (
                "a due or overdue re-audit"
                if case_id in self.due_reaudit_cases
                else f"in the {self.month_text} case list"
            )
            self.fail(
                f"coverage: case {case_id} ({why}) is missing from both allocations and unallocated"
            )
        for case_id in sorted(c for c in covered - self.needed_case_ids if c is not None):
            self.fail(
                f"coverage: case {case_id} is neither in the {self.month_text} case list nor a "
                "due re-audit, yet appears in the outputs"
            )

    def _check_exemption_decisions(self, table: _OutputTable) -> None:
        """One row per exemption of m, echoing the input, honoured as re-derived (§3)."""
        expected: dict[tuple[str | None, str | None], Row] = {}
        for row in self.month_exemptions:
            expected.setdefault((row.get("case_id"), row.get("auditor_id")), row)
        seen: set[tuple[str | None, str | None]] = set()
        for row in table.rows:
            key = (_out_text(row.get("case_id")), _out_text(row.get("auditor_id")))
            label = f"exemption_decisions {_show(key[0])}/{_show(key[1])}"
            if row.get("month") != self.month_text:
                self.fail(
                    f"{label}: month is {_show(row.get('month'))}, expected {self.month_text}"
                )
                continue
            if key in seen:
                self.fail(f"{label}: listed more than once")
                continue
            seen.add(key)
            source = expected.get(key)
            if source is None:
                self.fail(f"{label}: no such exemption for {self.month_text} in the input")
                continue
            honoured = self._exemption_is_honoured(source)
            checks = (
                (
                    "requested_on",
                    _to_date(row.get("requested_on")),
                    _to_date(source.get("requested_on")),
                ),
                ("decision", _lower(row.get("decision")), _lower(source.get("decision"))),
                ("decided_by", _out_text(row.get("decided_by")), source.get("decided_by")),
                ("honoured", _to_bool(row.get("honoured")), honoured),
            )
            for column, got, want in checks:
                if got != want:
                    why = " [exemption honoured]" if column == "honoured" else ""
                    self.fail(f"{label}: {column} is {_show(got)}, expected {_show(want)}{why}")
            if _out_text(row.get("reason")) is None:
                self.fail(f"{label}: reason is empty (say why it is or is not honoured)")
        for case_id, auditor_id in sorted(
            set(expected) - seen, key=lambda k: (k[0] or "", k[1] or "")
        ):
            self.fail(
                f"exemption_decisions: the exemption of {auditor_id} for case {case_id} in "
                f"{self.month_text} has no row"
            )

    # -- breaks and notifications --------------------------------------------

    def _check_break_decisions(self, table: _OutputTable) -> None:
        """Rule 3, re-derived and compared row by row."""
        seen: set[str] = set()
        for row in table.rows:
            auditor_id = _out_text(row.get("auditor_id")) or ""
            label = f"break_decisions {_show(auditor_id)}"
            if row.get("month") != self.month_text:
                self.fail(
                    f"{label}: month is {_show(row.get('month'))}, expected {self.month_text}"
                )
                continue
            if auditor_id in seen:
                self.fail(f"{label}: decided more than once")
                continue
            seen.add(auditor_id)
            expected = self.expected_breaks.get(auditor_id)
            if expected is None:
                self.fail(f"{label}: no break request of {auditor_id} for {self.month_text}")
                continue
            got = (
                _to_date(row.get("requested_on")),
                _to_bool(row.get("on_time")),
                _out_text(row.get("decision")),
            )
            want = (expected.requested_on, expected.on_time, expected.decision)
            for column, got_value, want_value in zip(
                ("requested_on", "on_time", "decision"), got, want, strict=True
            ):
                if got_value != want_value:
                    self.fail(
                        f"{label}: {column} is {_show(got_value)}, expected {_show(want_value)}"
                        f"{expected.note} (cap {self.break_cap} of {len(self.eligible)} eligible "
                        "auditors) [break]"
                    )
        for auditor_id in sorted(set(self.expected_breaks) - seen):
            self.fail(
                f"break_decisions: the request of {auditor_id} for {self.month_text} has no "
                f"decision (expected {self.expected_breaks[auditor_id].decision}) [break]"
            )

    def _check_break_cap_notifications(self, table: _OutputTable) -> None:
        """Rule 3: every active head of service hears when the cap is reached."""
        cap_rows = [row for row in table.rows if row.get("kind") == BREAK_CAP_KIND]
        granted = len(self.granted_breaks)
        # ">=": a reallocation never revokes a grant, so a shrunken cap may be exceeded.
        reached = self.break_cap > 0 and granted >= self.break_cap
        expected = (
            {
                staff_id
                for staff_id, person in self.staff.items()
                if person.role == "head_of_service" and person.active_on(self.first_day)
            }
            if reached
            else set()
        )
        got = Counter(_out_text(row.get("recipient_id")) for row in cap_rows)
        for row in cap_rows:
            if row.get("month") != self.month_text:
                self.fail(
                    f"notifications {_show(row.get('recipient_id'))}: {BREAK_CAP_KIND} for month "
                    f"{_show(row.get('month'))}, expected {self.month_text}"
                )
        state = f"{granted} granted, cap {self.break_cap}"
        for recipient in sorted(expected - set(got)):
            self.fail(
                f"notifications: head of service {recipient} gets no {BREAK_CAP_KIND} "
                f"notification although the cap is reached ({state}) [break cap]"
            )
        for recipient, count in sorted(got.items(), key=lambda item: str(item[0])):
            if recipient not in expected:
                why = "the cap is not reached" if not reached else "not an active head of service"
                self.fail(
                    f"notifications: unexpected {BREAK_CAP_KIND} notification to "
                    f"{_show(recipient)} ({why}; {state}) [break cap]"
                )
            elif count > 1:
                self.fail(f"notifications: {recipient} gets {count} {BREAK_CAP_KIND} notifications")

    # -- re-audit schedule -----------------------------------------------------

    def _head_of_service(self, case_id: str) -> str | None:
        details = self.case_details.get(case_id)
        service = details.get("service") if details else None
        heads = sorted(
            staff_id
            for staff_id, person in self.staff.items()
            if person.role == "head_of_service"
            and person.service == service
            and person.active_on(self.first_day)
        )
        return heads[0] if heads else None

    def _check_reaudit_schedule(self, table: _OutputTable) -> None:
        """Contract §5: one row per awaiting inadequate audit, dates re-derived (§25)."""
        seen: set[str] = set()
        for row in table.rows:
            audit_id = _out_text(row.get("audit_id")) or ""
            label = f"reaudit_schedule {_show(audit_id)}"
            if audit_id in seen:
                self.fail(f"{label}: listed more than once")
                continue
            seen.add(audit_id)
            awaiting = self.awaiting.get(audit_id)
            if awaiting is None:
                self.fail(f"{label}: not an inadequate audit awaiting its re-audit")
                continue
            head = self._head_of_service(awaiting.case_id)
            expected: dict[str, Any] = {
                "case_id": awaiting.case_id,
                "confirmed_on": awaiting.confirmed_on,
                "reflection_meeting_by": self.calendar.add_working_days(
                    awaiting.confirmed_on, self.reflection_working_days
                ),
                "review_meeting_on": self.calendar.on_or_after(
                    awaiting.confirmed_on + timedelta(days=self.review_after_days)
                ),
                "reaudit_deadline": awaiting.deadline,
                "reaudit_month": _month_text(awaiting.reaudit_month),
                "escalation": "head_of_service_review" if awaiting.is_itself_reaudit else "none",
                "head_of_service_id": head,
            }
            for column, want in expected.items():
                got = row.get(column)
                got = _to_date(got) if column in DATE_COLUMNS else _out_text(got)
                if got != want:
                    self.fail(f"{label}: {column} is {_show(got)}, expected {_show(want)}")
            subjects = {
                awaiting.subject_id,
                self._expected_case_value(awaiting.case_id, "subject_id")[1],
            }
            if _out_text(row.get("subject_id")) not in subjects:
                self.fail(
                    f"{label}: subject_id is {_show(row.get('subject_id'))}, expected "
                    f"{_show(awaiting.subject_id)}"
                )
        for audit_id in sorted(set(self.awaiting) - seen):
            awaiting = self.awaiting[audit_id]
            self.fail(
                f"reaudit_schedule: inadequate audit {audit_id} (case {awaiting.case_id}, "
                f"confirmed {awaiting.confirmed_on}) awaits its re-audit but has no row"
            )

    # -- reasons: every claim that can be parsed, re-verified against the plan ----
    #
    # The reasons are written in a small vocabulary of facts (see ``FACT_PATTERNS``)
    # that this checker parses wherever they appear; each fact is checked against the
    # plan in the output tables and the inputs. A reason may say more than the checker
    # can parse, never something that a parsed fact contradicts.

    def _check_reasons(
        self,
        tables: Mapping[str, _OutputTable | None],
        allocations: _OutputTable,
        unallocated: _OutputTable,
    ) -> None:
        self.plan_auditor_of: dict[str, str] = {}
        self.plan_cases_of: dict[str, set[str]] = defaultdict(set)
        for row in allocations.rows:
            case_id, auditor_id = _out_text(row.get("case_id")), _out_text(row.get("auditor_id"))
            if case_id is not None and auditor_id is not None:
                self.plan_auditor_of[case_id] = auditor_id
                self.plan_cases_of[auditor_id].add(case_id)
        self.plan_unallocated = {_out_text(row.get("case_id")) for row in unallocated.rows}
        self._allowed_cache: dict[str, list[str]] = {}
        self.seen_in_window = {
            (audit.subject_id, audit.auditor_id)
            for audit in self.history
            if audit.month is not None
            and _add_months(self.month, -12) <= audit.month < self.month
            and audit.status not in NOT_COUNTED_STATUSES
        }
        self.auditor_of_audit = {audit.audit_id: audit.auditor_id for audit in self.history}
        for name, column in REASON_COLUMNS.items():
            table = tables.get(name)
            if table is None:
                continue
            for row in table.rows:
                text = _out_text(row.get(column))
                if text is None:
                    continue
                label = f"{name} {_show(row.get(table.columns[0]))}: {column}"
                for pattern, check in FACT_PATTERNS:
                    for match in pattern.finditer(text):
                        ids = [_strip_id(group) for group in match.groups()]
                        problem = check(self, *ids)
                        if problem:
                            self.fail(f"{label} says {match.group(0)!r}, but {problem} [reason]")
        for row in allocations.rows:
            self._check_allocation_reason(row)
        for row in unallocated.rows:
            self._check_unallocated_reason(row)
        if tables.get("break_decisions") is not None:
            self._check_break_reasons(tables["break_decisions"])  # type: ignore[arg-type]
        if tables.get("notifications") is not None:
            self._check_notification_details(tables["notifications"])  # type: ignore[arg-type]
        if tables.get("exemption_decisions") is not None:
            self._check_exemption_reasons(tables["exemption_decisions"])  # type: ignore[arg-type]

    # ---- the plan, as the reasons speak of it

    def _available(self, auditor_id: str) -> bool:
        """May audit this month at all: eligible, no break, no honoured exemption, under
        the yearly maximum (rules 1–3, issue 3)."""
        return (
            auditor_id in self.eligible
            and auditor_id not in self.granted_breaks
            and auditor_id not in self.exempted_auditors
            and self.history_in_year[auditor_id] < self.max_per_year
            and self.max_per_month > 0
        )

    def _allowed(self, case_id: str) -> list[str]:
        """The auditors the rules allow for the case (any plan)."""
        if case_id not in self._allowed_cache:
            self._allowed_cache[case_id] = [
                auditor_id
                for auditor_id in sorted(self.eligible)
                if self._available(auditor_id) and not self._conflicts_of(case_id, auditor_id)
            ]
        return self._allowed_cache[case_id]

    def _has_room(self, auditor_id: str) -> bool:
        """Allowed more audits this month than the plan gives them."""
        capacity = min(self.max_per_month, self.max_per_year - self.history_in_year[auditor_id])
        return len(self.plan_cases_of.get(auditor_id, ())) < capacity

    def _original_auditor(self, case_id: str) -> str | None:
        awaiting = sorted(self.latest_awaiting.get(case_id, ()))
        return self.auditor_of_audit.get(awaiting[0]) if awaiting else None

    def _seen_subject(self, auditor_id: str, case_id: str) -> bool:
        """Audited the case's subject in the 12 months before m (fresh eyes); the
        original auditor of a re-audit is exempt from fresh eyes."""
        if auditor_id == self._original_auditor(case_id):
            return False
        known, subject_id = self._expected_case_value(case_id, "subject_id")
        return known and (subject_id, auditor_id) in self.seen_in_window

    # ---- the facts any reason may state (FACT_PATTERNS)

    def _fact_allocated_to(self, case_id: str, auditor_id: str) -> str | None:
        holder = self.plan_auditor_of.get(case_id)
        return None if holder == auditor_id else f"{case_id} is with {_show(holder)}"

    def _fact_audits(self, auditor_id: str, cases: str) -> str | None:
        named = set(cases.split(" and "))
        held = self.plan_cases_of.get(auditor_id, set())
        missing = sorted(named - held)
        return None if not missing else f"{auditor_id} audits {sorted(held) or 'nothing'}"

    def _fact_unallocated(self, case_id: str) -> str | None:
        return None if case_id in self.plan_unallocated else f"{case_id} is not in unallocated"

    def _fact_not_in_sample(self, case_id: str) -> str | None:
        return (
            f"{case_id} needs an auditor in the month" if case_id in self.needed_case_ids else None
        )

    def _fact_no_audit(self, auditor_id: str) -> str | None:
        held = sorted(self.plan_cases_of.get(auditor_id, ()))
        return f"{auditor_id} audits {held}" if held else None

    def _fact_on_break(self, auditor_id: str) -> str | None:
        return None if auditor_id in self.granted_breaks else f"{auditor_id} has no granted break"

    def _fact_not_eligible(self, auditor_id: str) -> str | None:
        return f"{auditor_id} is eligible" if auditor_id in self.eligible else None

    def _fact_not_auditor(self, auditor_id: str) -> str | None:
        person = self.staff.get(auditor_id)
        return f"{auditor_id} is an auditor" if person is not None and person.is_auditor else None

    def _fact_year_count(self, auditor_id: str, count: str, maximum: str) -> str | None:
        return self._year_count_problem(auditor_id, int(count), int(maximum))

    def _year_count_problem(self, auditor_id: str, count: int, maximum: int) -> str | None:
        actual = self.history_in_year[auditor_id]
        if (count, maximum) != (actual, self.max_per_year):
            return f"{auditor_id} has {actual} of {self.max_per_year} in the audit year's ledger"
        return None

    def _fact_at_yearly_maximum(self, auditor_id: str) -> str | None:
        actual = self.history_in_year[auditor_id]
        return None if actual >= self.max_per_year else f"{auditor_id} has only {actual}"

    def _fact_exemption_for(self, auditor_id: str, case_ids: str) -> str | None:
        honoured = {
            row.get("case_id")
            for row in self.month_exemptions
            if row.get("auditor_id") == auditor_id and self._exemption_is_honoured(row)
        }
        named = {c.strip() for c in case_ids.split(",")}
        return None if named <= honoured else f"{auditor_id}'s honoured exemptions: {honoured}"

    def _fact_exempted(self, auditor_id: str) -> str | None:
        return None if auditor_id in self.exempted_auditors else f"{auditor_id} is not exempted"

    def _fact_case_role(self, auditor_id: str, role: str, case_id: str) -> str | None:
        column = {
            "allocated worker": "allocated_worker_id",
            "team manager": "team_manager_id",
            "IRO": "iro_id",
        }[role]
        holder = (self.case_details.get(case_id) or {}).get(column)
        return None if holder == auditor_id else f"the {role} of {case_id} is {_show(holder)}"

    def _fact_same_team(self, auditor_id: str, case_id: str) -> str | None:
        found = self._conflicts_of(case_id, auditor_id)
        return None if any("[conflict: same_team]" in f for f in found) else "not in its team"

    def _fact_declared(self, auditor_id: str, subject_id: str) -> str | None:
        return None if (auditor_id, subject_id) in self.declared else "no such declared conflict"

    def _fact_manages(self, auditor_id: str, person: str) -> str | None:
        return None if auditor_id in self._chain_above(person) else f"not above {person}"

    def _fact_conflict_with(self, auditor_id: str, case_id: str) -> str | None:
        return None if self._conflicts_of(case_id, auditor_id) else "no conflict of interest"

    # ---- table-specific claims

    def _check_allocation_reason(self, row: Row) -> None:
        reason = _out_text(row.get("reason")) or ""
        case_id = _out_text(row.get("case_id")) or ""
        auditor_id = _out_text(row.get("auditor_id")) or ""
        label = f"allocations {_show(row.get('audit_id'))}: reason"

        def wrong(claim: str, problem: str) -> None:
            self.fail(f"{label} says {claim!r}, but {problem} [reason]")

        if match := re.search(r"(\d+) of (\d+) audits so far this audit year", reason):
            problem = self._year_count_problem(auditor_id, int(match[1]), int(match[2]))
            if problem:
                wrong(match[0], problem)
        original = self._original_auditor(case_id)
        if match := re.search(rf"Original auditor of inadequate audit ({_ID})", reason):
            if _strip_id(match[1]) not in self.latest_awaiting.get(case_id, set()):
                wrong(match[0], f"{case_id} awaits {sorted(self.latest_awaiting.get(case_id, []))}")
            if original != auditor_id:
                wrong(match[0], f"the original auditor is {_show(original)}")
        if match := re.search(rf"Re-audit of ({_ID}); the original auditor ({_ID})", reason):
            if _strip_id(match[1]) not in self.latest_awaiting.get(case_id, set()):
                wrong(match[0], f"{case_id} awaits {sorted(self.latest_awaiting.get(case_id, []))}")
            if _strip_id(match[2]) != original or original == auditor_id:
                wrong(match[0], f"the original auditor is {_show(original)}")
        allowed = self._allowed(case_id)
        own = self.history_in_year[auditor_id]
        fewer = [a for a in allowed if self.history_in_year[a] < own]
        if "the only auditor allowed for this case" in reason and allowed != [auditor_id]:
            wrong("the only auditor allowed", f"the rules allow {allowed}")
        if match := re.search(r"the fewest among the (\d+) auditors allowed for this case", reason):
            if int(match[1]) != len(allowed):
                wrong(match[0], f"the rules allow {len(allowed)} auditors for {case_id}")
            if fewer:
                wrong(match[0], f"{fewer[:5]} have fewer than {own}")
        if match := re.search(
            r"the (\d+) allowed auditors? with fewer audits this year "
            r"\((\d+)(?: to (\d+))? audits? so far\) "
            r"(?:was needed for another case|were needed for other cases)",
            reason,
        ):
            counts = sorted(self.history_in_year[a] for a in fewer)
            low, high = int(match[2]), int(match[3] or match[2])
            if int(match[1]) != len(fewer) or (counts and (low, high) != (counts[0], counts[-1])):
                wrong(match[0], f"{len(fewer)} allowed auditors have fewer ({counts})")
            free = [a for a in fewer if self._has_room(a)]
            if free:
                wrong(match[0], f"{free[:5]} have room for it in the plan")
        if match := re.search(
            r"the (\d+) free auditors? with fewer audits this year had audited this subject",
            reason,
        ):
            free = [a for a in fewer if self._has_room(a)]
            fresh = [a for a in free if not self._seen_subject(a, case_id)]
            if int(match[1]) != len(free):
                wrong(match[0], f"{len(free)} such auditors have room in the plan")
            if fresh:
                wrong(match[0], f"{fresh[:5]} had not audited the subject")
        if "; audited this subject in the last 12 months" in reason:
            if not self._seen_subject(auditor_id, case_id):
                wrong("audited this subject", f"{auditor_id} did not in the 12 months before")
            if "no free auditor allowed for the case was new to it" in reason:
                fresh = [
                    a for a in allowed if self._has_room(a) and not self._seen_subject(a, case_id)
                ]
                if fresh:
                    wrong("no free auditor ... was new to it", f"{fresh[:5]} were")

    def _check_unallocated_reason(self, row: Row) -> None:
        reason = _out_text(row.get("reason")) or ""
        case_id = _out_text(row.get("case_id")) or ""
        label = f"unallocated {_show(case_id)}: reason"
        match = re.search(rf"cases has no row for ({_ID}) up to", reason)
        if match and _strip_id(match[1]) in self.case_details:
            self.fail(f"{label} says {match[0]!r}, but cases has one [reason]")
        match = re.search(r"of (\d+) auditors?, (.*)$", reason)
        if match is None:
            return
        auditors = [s for s, person in self.staff.items() if person.is_auditor]
        if int(match[1]) != len(auditors):
            self.fail(f"{label}: says {match[1]} auditors, but staff has {len(auditors)} [reason]")
        numbers = [re.match(r"(?:the other )?(\d+)\b", part) for part in match[2].split("; ")]
        if all(numbers):
            total = sum(int(n[1]) for n in numbers if n)
            if total != int(match[1]):
                self.fail(f"{label}: its counts add up to {total}, not {match[1]} [reason]")
        if not_eligible := re.search(r"(\d+) not eligible in", reason):
            actual = sum(1 for a in auditors if a not in self.eligible)
            if int(not_eligible[1]) != actual:
                self.fail(f"{label}: {not_eligible[0]!r}, but {actual} are not [reason]")

    def _check_break_reasons(self, table: _OutputTable) -> None:
        previous = getattr(self, "previous_breaks", {})
        for row in table.rows:
            auditor_id = _out_text(row.get("auditor_id")) or ""
            reason = _out_text(row.get("reason"))
            decision = _out_text(row.get("decision"))
            if reason is None:
                continue
            label = f"break_decisions {_show(auditor_id)}: reason"
            opening = {
                "granted": "granted",
                "refused_cap": "refused",
                "not_required": "not required",
            }
            if not reason.startswith(opening.get(decision or "", "?")):
                self.fail(f"{label} {reason!r} does not match the decision {decision} [reason]")
            # One cap in every output (issue 18): a kept decision's words state it too.
            for match in re.finditer(r"cap of (\d+)", reason):
                if int(match[1]) != self.break_cap:
                    self.fail(f"{label} says {match[0]!r}; the cap is {self.break_cap} [reason]")
            match = re.search(r"place (\d+) of the cap", reason)
            if match and not 1 <= int(match[1]) <= self.break_cap:
                self.fail(f"{label} says {match[0]!r}; the cap is {self.break_cap} [reason]")
            if auditor_id in previous:
                continue  # the previous plan's decision stands
            on_time = _to_bool(row.get("on_time"))
            if ("on time" in reason and on_time is False) or ("late" in reason and on_time):
                self.fail(f"{label} {reason!r} contradicts on_time {_show(on_time)} [reason]")
            if "not an eligible auditor" in reason and auditor_id in self.eligible:
                self.fail(f"{label}: {auditor_id} is eligible [reason]")
            if "yearly maximum" in reason and self.history_in_year[auditor_id] < self.max_per_year:
                self.fail(f"{label}: {auditor_id} is below the yearly maximum [reason]")

    def _check_notification_details(self, table: _OutputTable) -> None:
        refused = sum(1 for d in self.expected_breaks.values() if d.decision == "refused_cap")
        for row in table.rows:
            detail = _out_text(row.get("detail")) or ""
            match = re.search(
                r"(\d+) (?:of|breaks granted against a cap of) (\d+)(?: breaks granted|, granted "
                r"before the cap fell) \((\d+) requests? refused\)",
                detail,
            )
            if match is None:
                continue
            claimed = tuple(int(n) for n in match.groups())
            actual = (len(self.granted_breaks), self.break_cap, refused)
            if claimed != actual:
                self.fail(
                    f"notifications {_show(row.get('recipient_id'))}: detail says "
                    f"{match[0]!r}, but {actual[0]} of {actual[1]} were granted and {actual[2]} "
                    "refused [reason]"
                )

    def _check_exemption_reasons(self, table: _OutputTable) -> None:
        """Each exemption says what it means for this plan: who has the case now, or why
        it has none; a non-completion warning only to an auditor who has the case."""
        for row in table.rows:
            case_id = _out_text(row.get("case_id")) or ""
            auditor_id = _out_text(row.get("auditor_id")) or ""
            reason = _out_text(row.get("reason")) or ""
            label = f"exemption_decisions {case_id}/{auditor_id}: reason"
            holder = self.plan_auditor_of.get(case_id)
            if case_id not in self.needed_case_ids:
                needed = f"{case_id} is not in {self.month_text}'s sample"
            elif holder is None:
                needed = f"{case_id} is unallocated"
            else:
                needed = f"{case_id} is allocated to {holder}"
            if needed not in reason:
                self.fail(f"{label} {reason!r} does not say {needed!r} [reason]")
            honoured = _to_bool(row.get("honoured"))
            if (": honoured" in reason) != bool(honoured):
                self.fail(f"{label} {reason!r} contradicts honoured {_show(honoured)} [reason]")
            if honoured and f"{auditor_id} gets no audit this month" not in reason:
                self.fail(f"{label} does not say that {auditor_id} gets no audit [reason]")
            if ("non-completion" in reason) != (not honoured and holder == auditor_id):
                self.fail(
                    f"{label} {reason!r}: the non-completion warning belongs exactly to an "
                    f"auditor who has the case ({case_id} is with {_show(holder)}) [reason]"
                )
            decided_by = _out_text(row.get("decided_by"))
            for pattern in (rf"refused by ({_ID})", rf"approved by ({_ID}) \("):
                match = re.search(pattern, reason)
                if match and match[1] != "the" and _strip_id(match[1]) != decided_by:
                    self.fail(
                        f"{label} names {match[1]}, decided_by is {_show(decided_by)} [reason]"
                    )
            match = re.search(rf"stays with ({_ID})", reason)
            if match and _strip_id(match[1]) != holder:
                self.fail(
                    f"{label} says {match[0]!r}, but {case_id} is with {_show(holder)} [reason]"
                )


#: Ids in reasons: no spaces or punctuation around them; a full stop after is stripped.
_ID = r"[^\s,;:()'\"]+"


def _strip_id(text: str) -> str:
    return text.rstrip(".")


#: Which column of each output table holds its reason.
REASON_COLUMNS = {
    "allocations": "reason",
    "unallocated": "reason",
    "break_decisions": "reason",
    "notifications": "detail",
    "exemption_decisions": "reason",
    "changes": "reason",
}
#: The facts a reason may state about the plan, and the check of each.
FACT_PATTERNS: list[tuple[re.Pattern[str], Callable[..., str | None]]] = [
    (re.compile(rf"({_ID}) is allocated to ({_ID})"), _Checker._fact_allocated_to),
    (re.compile(rf"({_ID}) audits ({_ID}(?: and {_ID})*) this month"), _Checker._fact_audits),
    (re.compile(rf"({_ID}) is unallocated"), _Checker._fact_unallocated),
    (re.compile(rf"({_ID}) is not in \S+'s sample"), _Checker._fact_not_in_sample),
    (re.compile(rf"({_ID}) gets no audit this month"), _Checker._fact_no_audit),
    (re.compile(rf"exemption honoured for ({_ID})"), _Checker._fact_exempted),
    (re.compile(rf"({_ID}) is on (?:a granted|an) audit break"), _Checker._fact_on_break),
    (re.compile(rf"({_ID}) was granted a late audit break"), _Checker._fact_on_break),
    (re.compile(rf"({_ID}) is not an auditor active for"), _Checker._fact_not_eligible),
    (re.compile(rf"({_ID}) is no longer eligible"), _Checker._fact_not_eligible),
    (re.compile(rf"({_ID}) is not an auditor(?! active)"), _Checker._fact_not_auditor),
    (
        re.compile(rf"({_ID}) has (\d+) of (\d+) audits this audit year already"),
        _Checker._fact_year_count,
    ),
    (re.compile(rf"({_ID}) is at the yearly maximum"), _Checker._fact_at_yearly_maximum),
    (
        re.compile(rf"({_ID}) has an honoured exemption for ({_ID}(?:, {_ID})*)"),
        _Checker._fact_exemption_for,
    ),
    (
        re.compile(rf"({_ID}) is the (allocated worker|team manager|IRO) of ({_ID})"),
        _Checker._fact_case_role,
    ),
    (re.compile(rf"({_ID}) is in ({_ID})'s team"), _Checker._fact_same_team),
    (re.compile(rf"({_ID}) declared a conflict of interest with ({_ID})"), _Checker._fact_declared),
    (re.compile(rf"({_ID}) manages ({_ID}), the"), _Checker._fact_manages),
    (re.compile(rf"({_ID}) has a conflict of interest with ({_ID})"), _Checker._fact_conflict_with),
]


# ---------------------------------------------------------------------------
# reallocate (issue 3)
# ---------------------------------------------------------------------------


def _reallocation_number(previous_audit_id: str, month_text: str, case_id: str) -> int:
    """k of a previous audit id ``<month>-<case_id>-r<k>``; 0 for ``<month>-<case_id>``.

    Read against the id's own prefix first, so that a case id that itself ends in
    ``-r<digits>`` is not taken for a reallocation count.
    """
    base = f"{month_text}-{case_id}"
    if previous_audit_id == base:
        return 0
    rest = previous_audit_id[len(base) + 2 :]
    if previous_audit_id.startswith(f"{base}-r") and rest.isascii() and rest.isdigit():
        return int(rest)
    match = REALLOCATION_SUFFIX.search(previous_audit_id)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class _PreviousAllocation:
    audit_id: str | None
    auditor_id: str | None


class _ReallocationChecker(_Checker):
    """Every allocate check, adapted to a re-plan of ``previous_dir``, plus issue 3's rules."""

    output_columns = REALLOCATION_OUTPUT_COLUMNS

    def __init__(
        self,
        data_dir: Path,
        out_dir: Path,
        month: str,
        overrides: Mapping[str, Any] | None,
        previous_dir: Path,
    ) -> None:
        super().__init__(data_dir, out_dir, month, overrides)
        self.previous_dir = previous_dir

    # -- inputs: the data directory and the previous plan ------------------------

    def _expected_distributed(self, row: Row, first_working: date) -> tuple[date, str]:
        """Issue 20: an audit the re-plan moved or added is handed out on the first working
        day on or after the latest decision the re-plan acts on (an honoured exemption's
        decided_on, a leaver's active_to + 1, a newly granted break's requested_on), never
        before the month's first working day; an unmoved audit keeps that first day."""
        case_id = _out_text(row.get("case_id")) or ""
        kept = self.previous_allocations.get(case_id)
        if kept is not None and kept.auditor_id == _out_text(row.get("auditor_id")):
            return super()._expected_distributed(row, first_working)
        decisions: list[date] = []
        # Every honoured exemption of the month (an auditor may hold several); a refused
        # or pending one frees nothing, so the re-plan does not act on it.
        for exemption in self.month_exemptions:
            decided = _to_date(exemption.get("decided_on"))
            if decided is not None and self._exemption_is_honoured(exemption):
                decisions.append(decided)
        for previous in self.previous_allocations.values():
            person = self.staff.get(previous.auditor_id or "")
            left = None if person is None else person.active_to
            if left is not None and left < self.last_day:
                decisions.append(left + timedelta(days=1))
        for auditor_id in self.granted_breaks:
            before = self.previous_breaks.get(auditor_id)
            if before is None or before.decision != "granted":
                requested = self.expected_breaks[auditor_id].requested_on
                if requested is not None:
                    decisions.append(requested)
        day = max([first_working, *(self.calendar.on_or_after(d) for d in decisions)])
        return day, f"{day} (the first working day on or after the re-plan's latest decision)"

    def _load_inputs(self) -> bool:
        if not super()._load_inputs():
            return False
        allocations = self._read_previous_table("allocations")
        decisions = self._read_previous_table("break_decisions")
        if allocations is None or decisions is None:
            return False
        self.previous_allocations: dict[str, _PreviousAllocation] = {}
        for position, row in enumerate(allocations, start=2):
            case_id = _out_text(row.get("case_id"))
            if not self._previous_row_ok("allocations", position, row, case_id):
                continue
            assert case_id is not None
            if case_id in self.previous_allocations:
                self.fail(
                    f"previous plan: allocations.parquet row {position}: case {case_id} twice"
                )
                continue
            self.previous_allocations[case_id] = _PreviousAllocation(
                _out_text(row.get("audit_id")), _out_text(row.get("auditor_id"))
            )
        self.previous_breaks: dict[str, _BreakDecision] = {}
        for position, row in enumerate(decisions, start=2):
            auditor_id = _out_text(row.get("auditor_id"))
            if not self._previous_row_ok("break_decisions", position, row, auditor_id):
                continue
            assert auditor_id is not None
            if auditor_id in self.previous_breaks:
                self.fail(
                    f"previous plan: break_decisions.parquet row {position}: {auditor_id} twice"
                )
                continue
            self.previous_breaks[auditor_id] = _BreakDecision(
                auditor_id,
                _to_date(row.get("requested_on")),
                _to_bool(row.get("on_time")),
                _out_text(row.get("decision")),
                note=" (the previous plan's decision stands)",
            )
        return True

    def _read_previous_table(self, name: str) -> list[Row] | None:
        path = self.previous_dir / f"{name}.parquet"
        if not path.exists():
            self.fail(f"previous plan: {path.name} is missing from {self.previous_dir}")
            return None
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as error:
            self.fail(f"previous plan: cannot read {path}: {error}")
            return None
        missing = [c for c in PREVIOUS_PLAN_COLUMNS[name] if c not in table.column_names]
        if missing:
            self.fail(f"previous plan: {path.name} lacks column(s) {', '.join(missing)}")
            return None
        return table.to_pylist()

    def _previous_row_ok(self, name: str, position: int, row: Row, key: str | None) -> bool:
        if key is None:
            self.fail(f"previous plan: {name}.parquet row {position}: no id")
            return False
        if _out_text(row.get("month")) != self.month_text:
            self.fail(
                f"previous plan: {name}.parquet row {position} ({key}) is of month "
                f"{_show(row.get('month'))}, not {self.month_text}"
            )
            return False
        return True

    # -- derivations ---------------------------------------------------------------

    def _derive_breaks(self) -> None:
        """The previous decisions stand; requests without one are decided after them."""
        self.break_cap = math.floor(self.break_fraction * len(self.eligible))
        decisions = dict(self.previous_breaks)
        already = sum(1 for d in decisions.values() if d.decision == "granted")
        undecided = [row for row in self.break_rows if row.get("auditor_id") not in decisions]
        new = self._decide_break_requests(undecided, already_granted=already)
        decisions.update(
            {
                auditor_id: replace(decision, note=" (a request new since the previous plan)")
                for auditor_id, decision in new.items()
            }
        )
        self.expected_breaks = decisions
        self.granted_breaks = {a for a, d in decisions.items() if d.decision == "granted"}

    def _expected_audit_id(self, case_id: str, row: Row) -> tuple[str, str]:
        """Kept when (case, auditor) is unchanged, ``-r<k+1>`` when moved, plain when new."""
        previous = self.previous_allocations.get(case_id)
        if previous is None or previous.audit_id is None:
            plain = f"{self.month_text}-{case_id}"
            return plain, f"for case {case_id}, newly allocated since the previous plan [audit id]"
        auditor_id = _out_text(row.get("auditor_id"))
        if auditor_id == previous.auditor_id:
            return previous.audit_id, (
                f"for case {case_id}: {auditor_id} still holds it, so the previous plan's id "
                "stays [audit id]"
            )
        k = _reallocation_number(previous.audit_id, self.month_text, case_id) + 1
        return f"{self.month_text}-{case_id}-r{k}", (
            f"for case {case_id}: moved from {_show(previous.auditor_id)} "
            f"({previous.audit_id}) to {_show(auditor_id)} [audit id]"
        )

    # -- the extra checks -------------------------------------------------------

    def _check_more(self, tables: Mapping[str, _OutputTable | None]) -> None:
        allocations, unallocated = tables["allocations"], tables["unallocated"]
        if allocations is not None:
            self._check_exempted_auditors(allocations)
            self._check_changes(tables["changes"], allocations, unallocated)

    def _check_exempted_auditors(self, table: _OutputTable) -> None:
        """Issue 3: an honoured exemption for any case of m means no audit at all in m."""
        for row in table.rows:
            auditor_id = _out_text(row.get("auditor_id"))
            exemption = self.exempted_auditors.get(auditor_id or "")
            if exemption is None:
                continue
            self.fail(
                f"allocations {_show(row.get('audit_id'))}: auditor {auditor_id} holds an honoured "
                f"exemption (case {exemption.get('case_id')}, approved by "
                f"{exemption.get('decided_by')}) and may have no audit at all in "
                f"{self.month_text} [exempted auditor]"
            )

    def _check_changes(
        self,
        table: _OutputTable | None,
        allocations: _OutputTable,
        unallocated: _OutputTable | None,
    ) -> None:
        """One row per case whose allocation changed, none for an unchanged one (issue 3)."""
        new: dict[str, str | None] = {}
        for row in allocations.rows:
            case_id = _out_text(row.get("case_id"))
            if case_id is not None:
                new.setdefault(case_id, _out_text(row.get("auditor_id")))
        left_out = (
            {_out_text(row.get("case_id")) for row in unallocated.rows} if unallocated else set()
        )
        expected: dict[str, tuple[str, dict[str, str | None]]] = {}
        for case_id in sorted(set(self.previous_allocations) | set(new)):
            previous = self.previous_allocations.get(case_id)
            auditor_id = new.get(case_id)
            before = previous.auditor_id if previous else None
            if previous is not None and case_id in new and auditor_id == before:
                continue  # unchanged: no row
            if previous is None:
                kind = "added"
            elif case_id in new:
                kind = "moved"
            else:
                kind = "now unallocated" if case_id in left_out else "dropped"
            audit_id = (
                self._expected_audit_id(case_id, {"auditor_id": auditor_id})[0]
                if case_id in new
                else None
            )
            expected[case_id] = (
                kind,
                {
                    "audit_id": audit_id,
                    "previous_audit_id": previous.audit_id if previous else None,
                    "previous_auditor_id": before,
                    "new_auditor_id": auditor_id if case_id in new else None,
                },
            )
        if table is None:
            return
        seen: set[str] = set()
        for row in table.rows:
            case_id = _out_text(row.get("case_id")) or ""
            label = f"changes {_show(case_id)}"
            if _out_text(row.get("reason")) is None:
                self.fail(f"{label}: reason is empty (say why it changed) [changes]")
            if case_id in seen:
                self.fail(f"{label}: more than one row for the case [changes]")
                continue
            seen.add(case_id)
            if case_id not in expected:
                previous = self.previous_allocations.get(case_id)
                state = (
                    f"still with {previous.auditor_id}"
                    if previous is not None
                    else "neither in the previous plan nor allocated now"
                )
                self.fail(f"{label}: the allocation did not change ({state}) [changes]")
                continue
            kind, want = expected[case_id]
            for column, want_value in want.items():
                got = _out_text(row.get(column))
                if got != want_value:
                    self.fail(
                        f"{label}: {column} is {_show(got)}, expected {_show(want_value)} "
                        f"(case {kind}) [changes]"
                    )
        for case_id in sorted(set(expected) - seen):
            kind, want = expected[case_id]
            self.fail(
                f"changes: case {case_id} ({kind}: {_show(want['previous_auditor_id'])} -> "
                f"{_show(want['new_auditor_id'])}) has no row [changes]"
            )


def _all_keys(value: Any) -> Iterable[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from _all_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _all_keys(inner)


# ---------------------------------------------------------------------------
# The rules, pair by pair (for property tests)
# ---------------------------------------------------------------------------

_CONFLICT_TAG = re.compile(r"\[conflict: ([a-z_]+)\]$")


class RuleReading:
    """The checker's own reading of a month's hard rules, from the input files alone:
    which rules forbid an auditor for a case in any plan, named by the rule ids of the
    contract's vocabulary (eligible, on_break, exempted, yearly_max, monthly_max, and
    the conflict kinds direct, management_chain, same_team, declared).

        rules = RuleReading(data_dir, "2026-03")
        rules.forbids("C1", "P1"), rules.forbidding("C1", "P1")
    """

    def __init__(
        self, data_dir: Path | str, month: str, config: Mapping[str, Any] | None = None
    ) -> None:
        self._checker = _Checker(Path(data_dir), Path(data_dir), month, config)
        if not self._checker._load_inputs():
            raise ValueError("; ".join(self._checker.violations))
        self._checker._derive_eligibility_and_counts()
        self._checker._derive_breaks()
        self._checker._derive_reaudits()

    def eligible(self, auditor_id: str) -> bool:
        """Rule 1: an auditor active for the whole month."""
        return auditor_id in self._checker.eligible

    def on_break(self, auditor_id: str) -> bool:
        """Rule 3: a break granted within the cap."""
        return auditor_id in self._checker.granted_breaks

    def exempted(self, auditor_id: str) -> bool:
        """Issue 3: an honoured exemption for any case of the month."""
        return auditor_id in self._checker.exempted_auditors

    def at_yearly_maximum(self, auditor_id: str) -> bool:
        """Rule 2: no audit left in the audit year."""
        return self._checker.history_in_year[auditor_id] >= self._checker.max_per_year

    def conflicts(self, case_id: str, auditor_id: str) -> set[str]:
        """Rule 4: the conflict kinds between the case and the auditor."""
        kinds = set()
        for message in self._checker._conflicts_of(case_id, auditor_id):
            match = _CONFLICT_TAG.search(message)
            if match is None:
                raise AssertionError(f"untagged conflict: {message}")
            kinds.add(match.group(1))
        return kinds

    def forbidding(self, case_id: str, auditor_id: str) -> set[str]:
        """Every rule that forbids the auditor for the case."""
        rules = self.conflicts(case_id, auditor_id)
        for rule, applies in (
            ("eligible", not self.eligible(auditor_id)),
            ("on_break", self.on_break(auditor_id)),
            ("exempted", self.exempted(auditor_id)),
            ("yearly_max", self.at_yearly_maximum(auditor_id)),
            ("monthly_max", self._checker.max_per_month <= 0),
        ):
            if applies:
                rules.add(rule)
        return rules

    def forbids(self, case_id: str, auditor_id: str) -> bool:
        """Yes or no: may this auditor never audit this case this month?"""
        return bool(self.forbidding(case_id, auditor_id))


# ---------------------------------------------------------------------------
# moderate (issue 8)
# ---------------------------------------------------------------------------

MODERATION_OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "moderation": (
        "audit_id",
        "case_id",
        "subject_id",
        "auditor_id",
        "moderator_id",
        "moderator_name",
        "moderator_service",
        "assigned_on",
        "reason",
    ),
    "unmoderated": ("audit_id", "reason"),
    "notifications": ("recipient_id", "kind", "month", "detail"),
}
_COUNTED_PART = re.compile(r", (?=\d+ )")


def check_moderation(
    data_dir: Path | str,
    out_dir: Path | str,
    as_of: str | date,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Violations of a ``caseaudit moderate`` output (issue 8, §21–22): who needed a
    moderator, every independence rule, the monthly cap, the most moderated and the
    smallest largest load (by an augmenting-path matching of its own), the counted
    reasons and the notifications."""
    day = as_of if isinstance(as_of, date) else date.fromisoformat(str(as_of))
    return _ModerationChecker(Path(data_dir), Path(out_dir), day, config).run()


def assert_valid_moderation(
    data_dir: Path | str,
    out_dir: Path | str,
    as_of: str | date,
    config: Mapping[str, Any] | None = None,
) -> None:
    violations = check_moderation(data_dir, out_dir, as_of, config)
    if violations:
        listing = "\n".join(f"  - {violation}" for violation in violations)
        raise AssertionError(f"{len(violations)} violation(s) of issue 8:\n{listing}")


class _ModerationChecker:
    """Re-derives the moderation rules from the input files alone."""

    def __init__(
        self, data_dir: Path, out_dir: Path, as_of: date, overrides: Mapping[str, Any] | None
    ) -> None:
        self.data_dir, self.out_dir, self.as_of = data_dir, out_dir, as_of
        self.month = (as_of.year, as_of.month)
        config = _load_config(data_dir, overrides)
        moderation = config.get("moderation", {})
        self.cap = int(moderation.get("max_moderations_per_month", 2))
        self.groups = [
            {_identity(str(name)) for name in group}
            for group in moderation.get("connected_services", [])
        ]
        self.same_team = bool(config["conflicts"]["same_team"])
        self.management_chain = bool(config["conflicts"]["management_chain"])
        self.violations: list[str] = []

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- inputs -------------------------------------------------------------

    def _rows(self, name: str) -> list[dict[str, str | None]]:
        return _read_input_table(self.data_dir, name) or []

    def _load(self) -> None:
        self.staff = {r["staff_id"]: r for r in self._rows("staff") if r.get("staff_id")}
        self.history = {r["audit_id"]: r for r in self._rows("history") if r.get("audit_id")}
        self.cases = {(r["case_id"], r["month"]): r for r in self._rows("cases")}
        self.challenges = self._rows("challenges")
        self.moderations = self._rows("moderations")
        self.declared = {(r["auditor_id"], r["subject_id"]) for r in self._rows("conflicts")}
        moderated = {r["audit_id"] for r in self.moderations}
        self.needing = {
            r["audit_id"]
            for r in self.challenges
            if _to_bool(r.get("consensus_reached")) is not True
            and (_to_date(r.get("raised_on")) or date.max) <= self.as_of
            and r["audit_id"] not in moderated
        }
        self.challengers: dict[str, set[str]] = defaultdict(set)
        for r in self.challenges:
            if r.get("raised_by"):
                self.challengers[r["audit_id"]].add(r["raised_by"])
        self.load_before: Counter[str] = Counter(
            r["moderator_id"]
            for r in self.moderations
            if (d := _to_date(r.get("assigned_on"))) and (d.year, d.month) == self.month
        )
        self.senior = sorted(
            s for s, r in self.staff.items() if _to_bool(r.get("can_moderate")) is True
        )

    def _active(self, staff_id: str) -> bool:
        row = self.staff[staff_id]
        start, end = _to_date(row.get("active_from")), _to_date(row.get("active_to"))
        return (start is None or start <= self.as_of) and (end is None or end >= self.as_of)

    def _above(self, staff_id: str | None) -> set[str]:
        found: set[str] = set()
        current = self.staff.get(staff_id or "", {}).get("manager_id")
        while current is not None and current not in found and current != staff_id:
            found.add(current)
            current = self.staff.get(current, {}).get("manager_id")
        return found

    # -- the rules ----------------------------------------------------------

    def barred(self, audit_id: str, person: str) -> list[str]:
        """Every rule of issue 8 that bars ``person`` from moderating ``audit_id``."""
        audit = self.history[audit_id]
        row = self.staff.get(person)
        if row is None:
            return ["unknown staff member"]
        found = []
        if _to_bool(row.get("can_moderate")) is not True:
            found.append("not can_moderate")
        if not self._active(person):
            found.append("not active on the as-of date")
        case = self.cases.get((audit["case_id"], audit["month"]))
        if case is None:
            found.append("case details unknown")
        else:
            service = case["service"]
            if row["service"] == service:
                found.append("same service")
            if any(_identity(service) in g and _identity(row["service"]) in g for g in self.groups):
                found.append("connected service")
            worker, manager = case["allocated_worker_id"], case.get("team_manager_id")
            if person in {worker, manager, case.get("iro_id")}:
                found.append("direct conflict")
            if self.management_chain and person in self._above(worker) | self._above(manager):
                found.append("management chain of the case")
            if (
                self.same_team
                and case.get("team") is not None
                and (row["service"], row.get("team")) == (service, case["team"])
            ):
                found.append("same team")
            if (person, case["subject_id"]) in self.declared:
                found.append("declared conflict")
        auditor = audit["auditor_id"]
        if person == auditor:
            found.append("the auditor")
        if person in self._above(auditor):
            found.append("above the auditor")
        if auditor in self._above(person):
            found.append("below the auditor")
        for challenger in self.challengers.get(audit_id, set()):
            if person == challenger:
                found.append("a challenger")
            if person in self._above(challenger):
                found.append("above a challenger")
        return found

    def _allowed(self) -> dict[str, list[str]]:
        return {
            audit_id: [p for p in self.senior if not self.barred(audit_id, p)]
            for audit_id in sorted(self.needing)
        }

    @staticmethod
    def _most_matched(allowed: dict[str, list[str]], room: dict[str, int]) -> int:
        """Maximum number of audits given a moderator within ``room``: augmenting paths."""
        taken: dict[str, list[str]] = defaultdict(list)

        def place(audit_id: str, seen: set[str]) -> bool:
            for person in allowed[audit_id]:
                if person in seen or room.get(person, 0) <= 0:
                    continue
                seen.add(person)
                if len(taken[person]) < room[person]:
                    taken[person].append(audit_id)
                    return True
                for other in list(taken[person]):
                    taken[person].remove(other)
                    taken[person].append(audit_id)
                    if place(other, seen):
                        return True
                    taken[person].remove(audit_id)
                    taken[person].append(other)
            return False

        return sum(place(audit_id, set()) for audit_id in allowed)

    # -- the outputs --------------------------------------------------------

    def _table(self, name: str) -> list[Row] | None:
        path = self.out_dir / f"{name}.parquet"
        if not path.exists():
            self.fail(f"{name}.parquet is missing")
            return None
        table = pq.read_table(path)
        expected = list(MODERATION_OUTPUT_COLUMNS[name])
        if table.column_names[: len(expected)] != expected:
            self.fail(f"{name}: columns {table.column_names}, expected {expected} first")
        return table.to_pylist()

    def run(self) -> list[str]:
        self._load()
        moderation = self._table("moderation")
        unmoderated = self._table("unmoderated")
        notifications = self._table("notifications")
        if moderation is None or unmoderated is None or notifications is None:
            return self.violations
        self._check_rows(moderation)
        self._check_coverage(moderation, unmoderated)
        self._check_optimal(moderation)
        self._check_reasons(unmoderated)
        self._check_notifications(moderation, unmoderated, notifications)
        return self.violations

    def _check_rows(self, moderation: list[Row]) -> None:
        added: Counter[str] = Counter()
        for row in moderation:
            audit_id, person = row["audit_id"], row["moderator_id"]
            where = f"moderation {audit_id} → {person}"
            if audit_id not in self.needing:
                self.fail(f"{where}: the audit needs no moderator on {self.as_of} [needs]")
                continue
            audit = self.history[audit_id]
            for column in ("case_id", "subject_id", "auditor_id"):
                if row[column] != audit[column]:
                    self.fail(f"{where}: {column} {row[column]!r}, history {audit[column]!r}")
            for rule in self.barred(audit_id, person):
                self.fail(f"{where}: {rule} [independence]")
            staff = self.staff.get(person, {})
            if (row["moderator_name"], row["moderator_service"]) != (
                staff.get("name"),
                staff.get("service"),
            ):
                self.fail(f"{where}: name/service differ from staff")
            if row["assigned_on"] != self.as_of:
                self.fail(f"{where}: assigned_on {row['assigned_on']}, not {self.as_of}")
            added[person] += 1
        for person, count in added.items():
            if self.load_before[person] + count > self.cap:
                self.fail(
                    f"moderation: {person} has {self.load_before[person]} + {count} "
                    f"moderations this month, above {self.cap} [monthly cap]"
                )

    def _check_coverage(self, moderation: list[Row], unmoderated: list[Row]) -> None:
        given = Counter(r["audit_id"] for r in moderation)
        left = Counter(r["audit_id"] for r in unmoderated)
        for audit_id, count in (given + left).items():
            if count > 1:
                self.fail(f"{audit_id}: listed {count} times in moderation/unmoderated")
        for audit_id in sorted(self.needing - set(given) - set(left)):
            self.fail(f"{audit_id}: needs a moderator but is in neither table [coverage]")
        for audit_id in sorted(set(left) - self.needing):
            self.fail(f"unmoderated {audit_id}: the audit needs no moderator [needs]")

    def _check_optimal(self, moderation: list[Row]) -> None:
        allowed = self._allowed()
        room = {p: max(self.cap - self.load_before[p], 0) for p in self.senior}
        most = self._most_matched(allowed, room)
        if len(moderation) != most:
            self.fail(f"moderation: {len(moderation)} moderated, {most} possible [most]")
        if not most:
            return
        smallest = next(
            level
            for level in range(1, self.cap + 1)
            if self._most_matched(
                allowed,
                {p: max(min(self.cap, level) - self.load_before[p], 0) for p in self.senior},
            )
            == most
        )
        added = Counter(r["moderator_id"] for r in moderation)
        largest = max(self.load_before[p] + n for p, n in added.items())
        if largest != smallest:
            self.fail(
                f"moderation: largest load this month {largest}, {smallest} possible "
                "[smallest largest load]"
            )

    def _check_reasons(self, unmoderated: list[Row]) -> None:
        for row in unmoderated:
            reason = str(row["reason"])
            match = re.match(r"of (\d+) senior managers? who may moderate, (.*)$", reason)
            if match is None:
                if self.senior and self.history.get(row["audit_id"]) is not None:
                    audit = self.history[row["audit_id"]]
                    if (audit["case_id"], audit["month"]) in self.cases:
                        self.fail(f"unmoderated {row['audit_id']}: reason not counted: {reason}")
                continue
            total = int(match.group(1))
            if total != len(self.senior):
                self.fail(
                    f"unmoderated {row['audit_id']}: counts {total} senior managers, "
                    f"{len(self.senior)} may moderate"
                )
            parts = _COUNTED_PART.split(match.group(2))
            if sum(int(part.split(" ", 1)[0]) for part in parts) != total:
                self.fail(f"unmoderated {row['audit_id']}: counts do not add up: {reason}")

    def _check_notifications(
        self, moderation: list[Row], unmoderated: list[Row], notifications: list[Row]
    ) -> None:
        month = f"{self.month[0]:04d}-{self.month[1]:02d}"
        leads = sorted(
            s
            for s, r in self.staff.items()
            if r.get("role") == "strategic_lead_ipq" and self._active(s)
        )
        expected = Counter(("moderator_assigned", r["moderator_id"]) for r in moderation)
        expected += Counter(("challenge_unmoderated", lead) for _ in unmoderated for lead in leads)
        found = Counter((r["kind"], r["recipient_id"]) for r in notifications)
        if found != expected:
            self.fail(f"notifications: {dict(found)}, expected {dict(expected)}")
        for r in notifications:
            if r["month"] != month:
                self.fail(f"notifications: month {r['month']}, not {month}")


# ---------------------------------------------------------------------------
# The annual break plan (issue 9)
# ---------------------------------------------------------------------------

BREAK_PLAN_SOURCES = frozenset({"wished", "assigned", "taken", "requested"})


def _exact_fraction(value: Any) -> Fraction:
    """A config fraction as the decimal that was written (0.2 is 1/5, never 0.2000…01)."""
    return Fraction(str(value))


def _plan_rows(out_dir: Path, name: str) -> list[Row] | None:
    path = out_dir / f"{name}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else None


def check_break_plan(
    data_dir: Path | str,
    out_dir: Path | str,
    year: int,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Re-check a written break plan against every hard rule of issue 9, from the raw
    input files: each (auditor, month) at most once, only months of the year in which
    the auditor is eligible, past months exactly as history shows them, the needed
    number of breaks (fewer only when the manifest reports the shortfall), the monthly
    and the service caps in exact decimals, the month table's counts, every unmet wish
    and every request accounted for, and the emitted requests (when written) on time
    and equal to the planned breaks. Each violation names its rule in brackets."""
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    settings = _load_config(data_dir, config)
    policy = settings["policy"]
    start = int(policy.get("audit_year_start_month", 4))
    per_year = int(policy.get("max_audits_per_year", 10))
    month_fraction = _exact_fraction(policy.get("max_break_fraction", "0.20"))
    service_fraction = _exact_fraction(
        settings.get("breaks", {}).get("max_service_break_fraction", "0.40")
    )
    months = [_month_text(_add_months((year, start), i)) for i in range(12)]
    staff = _read_input_table(data_dir, "staff") or []
    history = _read_input_table(data_dir, "history") or []
    wishes = _read_input_table(data_dir, "break_preferences") or []
    requests = _read_input_table(data_dir, "breaks") or []

    auditors: dict[str, _Staff] = {}
    for row in staff:
        if _to_bool(row.get("is_auditor")):
            auditors[str(row["staff_id"])] = _Staff(
                staff_id=str(row["staff_id"]),
                name=row.get("name"),
                email=row.get("email"),
                role=row.get("role"),
                staff_group=row.get("staff_group"),
                service=row.get("service"),
                team=row.get("team"),
                manager_id=row.get("manager_id"),
                is_auditor=True,
                active_from=_to_date(row.get("active_from")),
                active_to=_to_date(row.get("active_to")),
            )

    def eligible_in(month_text: str) -> set[str]:
        month = _parse_month(month_text)
        assert month is not None
        first, last = _first_day(month), _last_day(month)
        return {a for a, s in auditors.items() if s.active_throughout(first, last)}

    eligible = {m: eligible_in(m) for m in months}
    latest = max((r["month"] for r in history if r.get("month")), default=None)
    past = {m for m in months if latest is not None and m <= latest}
    audited = {
        (r["auditor_id"], r["month"])
        for r in history
        if r.get("status") not in NOT_COUNTED_STATUSES
    }
    taken = {(a, m) for m in past for a in eligible[m] if (a, m) not in audited}

    found: list[str] = []
    plan = _plan_rows(out_dir, "break_plan")
    month_rows = _plan_rows(out_dir, "break_plan_months")
    if plan is None or month_rows is None:
        return ["break_plan or break_plan_months is missing [outputs]"]
    manifest_path = out_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    breaks: Counter[tuple[str, str]] = Counter((r["auditor_id"], r["month"]) for r in plan)
    for (auditor, month), count in sorted(breaks.items()):
        if count > 1:
            found.append(f"break_plan: {auditor} has {count} breaks in {month} [one a month]")
    wished = {(r["auditor_id"], r["month"]): int(r["rank"]) for r in wishes if r.get("rank")}
    requested = {(r["auditor_id"], r["month"]): _to_date(r["requested_on"]) for r in requests}
    for row in plan:
        auditor, month, source = row["auditor_id"], row["month"], row["source"]
        where = f"break_plan: {auditor} in {month}"
        if month not in months:
            found.append(f"{where}: not a month of the audit year {year} [year]")
            continue
        if auditor not in eligible[month]:
            found.append(f"{where}: not an auditor eligible for the whole month [eligible]")
        if source not in BREAK_PLAN_SOURCES:
            found.append(f"{where}: source {source!r} [source]")
        if (month in past) != (source == "taken"):
            when = "past" if month in past else "future"
            found.append(f"{where}: source {source} in a {when} month [past months]")
        if source == "wished" and (auditor, month) not in wished:
            found.append(f"{where}: source wished, but no such wish [source]")
        if source == "requested" and (auditor, month) not in requested:
            found.append(f"{where}: source requested, but no such request [source]")
        if row["preference_rank"] != wished.get((auditor, month)):
            found.append(
                f"{where}: preference_rank {_show(row['preference_rank'])}, the wish says "
                f"{_show(wished.get((auditor, month)))} [rank]"
            )
    planned_past = {(a, m) for a, m in breaks if m in past}
    for auditor, month in sorted(taken - planned_past):
        found.append(
            f"break_plan: {auditor} took a break in {month} (history), not listed [past months]"
        )
    for auditor, month in sorted(planned_past - taken):
        found.append(f"break_plan: {auditor} in {month}: history shows no break [past months]")

    # Exactly the needed number (fewer only in a year the manifest says cannot be planned).
    per_auditor = Counter(a for a, _ in breaks)
    shortfall = manifest.get("shortfall")
    missing = 0
    for auditor in sorted(auditors):
        k = sum(auditor in eligible[m] for m in months)
        needed = max(k - per_year, 0)
        taken_here = sum((auditor, m) in taken for m in past)
        expected = max(needed, taken_here)
        have = per_auditor.get(auditor, 0)
        if have > expected or (have < expected and shortfall is None):
            found.append(
                f"break_plan: {auditor} has {have} breaks, needs {expected} "
                f"(eligible in {k} months) [needed breaks]"
            )
        missing += max(expected - have, 0)
    unplaced = manifest.get("counts", {}).get("unplaced_breaks")
    if manifest and unplaced != missing:
        found.append(
            f"manifest: unplaced_breaks {unplaced}, the plan misses {missing} [needed breaks]"
        )
    if missing and not shortfall:
        found.append(f"manifest: {missing} breaks unplaced, no shortfall message [needed breaks]")

    # The caps, in exact decimals, in every planned month.
    by_month = Counter(m for _, m in breaks)
    by_service = Counter((m, auditors[a].service) for a, m in breaks if a in auditors)
    services = sorted({s.service for s in auditors.values() if s.service})
    month_table = {r["month"]: r for r in month_rows}
    for month in months:
        cap = math.floor(month_fraction * len(eligible[month]))
        if month not in past and by_month[month] > cap:
            found.append(f"{month}: {by_month[month]} breaks, cap {cap} [monthly cap]")
        for service in services:
            members = sum(auditors[a].service == service for a in eligible[month])
            service_cap = math.floor(service_fraction * members)
            if month not in past and by_service[(month, service)] > service_cap:
                found.append(
                    f"{month}: {service} has {by_service[(month, service)]} breaks, cap "
                    f"{service_cap} [service cap]"
                )
        row = month_table.get(month)
        if row is None:
            found.append(f"break_plan_months: {month} missing [month table]")
            continue
        expected_row = {
            "eligible": len(eligible[month]),
            "breaks": by_month[month],
            "cap": cap,
            "past": month in past,
            # A service named like a declared column is written "<name> (service)".
            **{
                f"{s} (service)" if s in {"month", "eligible", "breaks", "cap", "past"} else s: (
                    by_service[(month, s)]
                )
                for s in services
            },
        }
        for column, value in expected_row.items():
            if row.get(column) != value:
                found.append(
                    f"break_plan_months: {month} {column} {_show(row.get(column))}, expected "
                    f"{value} [month table]"
                )

    # Every wish of the year either met or listed as unmet, with its rank.
    unmet = _plan_rows(out_dir, "unmet_preferences") or []
    listed = {(r["auditor_id"], r["month"]): r for r in unmet}
    for key, rank in sorted(wished.items()):
        if key[1] not in months:
            continue
        if key in breaks and key in listed:
            found.append(f"unmet_preferences: {key[0]} {key[1]} is met by the plan [unmet]")
        if key not in breaks and key not in listed:
            found.append(f"unmet_preferences: {key[0]} {key[1]} unmet but not listed [unmet]")
        if key in listed and listed[key]["rank"] != rank:
            found.append(f"unmet_preferences: {key[0]} {key[1]} rank differs [unmet]")
        if key in listed and not listed[key]["reason"]:
            found.append(f"unmet_preferences: {key[0]} {key[1]} has no reason [unmet]")
    for key in sorted(set(listed) - set(wished)):
        found.append(f"unmet_preferences: {key[0]} {key[1]} is not a wish [unmet]")

    # Every request of the year decided: kept exactly when planned.
    decided = _plan_rows(out_dir, "request_decisions") or []
    decisions = {(r["auditor_id"], r["month"]): r for r in decided}
    for key in sorted(k for k in requested if k[1] in months):
        decision = decisions.get(key, {}).get("decision")
        expected_decision = "past" if key[1] in past else ("kept" if key in breaks else "not_kept")
        if decision != expected_decision:
            found.append(
                f"request_decisions: {key[0]} {key[1]} is {_show(decision)}, the plan says "
                f"{expected_decision} [requests]"
            )

    # The emitted requests: exactly the planned future breaks, each on time.
    emitted = _plan_rows(out_dir, "breaks")
    if emitted is not None:
        future = {k for k in breaks if k[1] not in past}
        rows = {(r["auditor_id"], r["month"]): r for r in emitted}
        if set(rows) != future or len(rows) != len(emitted):
            found.append(
                f"breaks: {len(emitted)} requests for {len(future)} planned breaks "
                "[emitted requests]"
            )
        for (auditor, month), row in sorted(rows.items()):
            month_key = _parse_month(month)
            assert month_key is not None
            deadline = _last_day(_add_months(month_key, -1))
            if row["requested_on"] is None or row["requested_on"] > deadline:
                found.append(
                    f"breaks: {auditor} {month} requested on {_show(row['requested_on'])}, "
                    f"after {deadline} (late) [emitted requests]"
                )
    return found


def assert_valid_break_plan(
    data_dir: Path | str,
    out_dir: Path | str,
    year: int,
    config: Mapping[str, Any] | None = None,
) -> None:
    violations = check_break_plan(data_dir, out_dir, year, config)
    if violations:
        listing = "\n".join(f"  - {v}" for v in violations)
        raise AssertionError(f"{len(violations)} violation(s) of issue 9:\n{listing}")


# ---------------------------------------------------------------------------
# report (issues 10 and 20): every list and figure as of a day
# ---------------------------------------------------------------------------
#
# The report is recomputed from the input rows dated on or before the as-of day,
# read here anew: a date after the day is not yet in the ledger, a status reached after
# it is rolled back to the step reached by then, a request, decision, challenge or
# moderation after it has not happened. Each list is compared row for row, in order,
# on the columns the contract and issue 20 fix; each figure cell by cell.

#: The nine domains of the audit tool (contract §3 outcomes), ``[outcomes] domains``.
DEFAULT_DOMAINS = (
    "D1 Voice and lived experience of the child",
    "D2 Assessment and analysis",
    "D3 Planning",
    "D4 Direct work and relationships",
    "D5 Management oversight and supervision",
    "D6 Multi-agency working",
    "D7 Recording",
    "D8 Timeliness and compliance",
    "D9 Outcomes and impact",
)
GRADES = (
    "outstanding",
    "good",
    "requires_improvement_good_elements",
    "requires_improvement",
    "inadequate",
)
#: A ledger status and the date that says when the audit reached it (contract §3).
_STATUS_DATE = {
    "completed": "completed_on",
    "returned": "returned_on",
    "finalised": "finalised_on",
    "actions_complete": "actions_completed_on",
    "cancelled": "cancelled_on",
}
#: The steps of an audit, furthest first, each with the date that says it was reached.
_STEPS = (
    ("actions_complete", "actions_completed_on"),
    ("finalised", "finalised_on"),
    ("completed", "resubmitted_on"),
    ("returned", "returned_on"),
    ("completed", "completed_on"),
)
_LEDGER_DATES = (
    "judgement_confirmed_on",
    "completed_on",
    "returned_on",
    "resubmitted_on",
    "finalised_on",
    "actions_completed_on",
    "cancelled_on",
)
NO_DETAILS = "(no case details)"


def check_report(
    data_dir: Path, out_dir: Path, as_of: date, overrides: Mapping[str, Any] | None = None
) -> list[str]:
    """Every list and figure ``caseaudit report --as-of`` wrote into ``out_dir``,
    recomputed from ``data_dir`` as it stood at the end of ``as_of``."""
    return _ReportChecker(data_dir, out_dir, as_of, overrides).run()


def assert_valid_report(
    data_dir: Path, out_dir: Path, as_of: date, overrides: Mapping[str, Any] | None = None
) -> None:
    violations = check_report(data_dir, out_dir, as_of, overrides)
    assert not violations, "independent checker:\n  " + "\n  ".join(violations)


def _ledger_row_on(row: Row, day: date) -> Row | None:
    """A history row as known at the end of ``day``: None before its month starts;
    later dates blanked; a judgement not given before completion; a status reached
    later rolled back to the furthest step reached by then (issue 20)."""
    month = _parse_month(row.get("month"))
    if month is None or _first_day(month) > day:
        return None
    known = dict(row)
    status = _lower(row.get("status"))
    reached_on = _STATUS_DATE.get(status or "")
    if status == "completed" and _to_date(row.get("resubmitted_on")) is not None:
        reached_on = "resubmitted_on"  # came back after a return (§20)
    later = {c for c in _LEDGER_DATES if (d := _to_date(row.get(c))) is not None and d > day}
    for column in later:
        known[column] = None
    if "completed_on" in later:
        known["overall_judgement"] = None
    if "cancelled_on" in later:
        known["cancelled_by"] = known["cancel_reason"] = None
    if reached_on in later:
        status = next(
            (step for step, column in _STEPS if _to_date(known.get(column)) is not None),
            "allocated",
        )
    known["status"] = status
    return known


class _ReportChecker:
    def __init__(
        self, data_dir: Path, out_dir: Path, as_of: date, overrides: Mapping[str, Any] | None
    ) -> None:
        self.data_dir, self.out_dir, self.as_of = data_dir, out_dir, as_of
        config = _load_config(data_dir, overrides)
        policy = config["policy"]
        self.policy = policy
        self.target = float(config.get("report", {}).get("inadequate_share_target", 0.10))
        self.domains = tuple(config.get("outcomes", {}).get("domains", DEFAULT_DOMAINS))
        calendar_config = config["calendar"]
        self.calendar = _Calendar(
            calendar_config.get("country"), calendar_config.get("subdivision")
        )
        self.violations: list[str] = []
        self.month: Month = (as_of.year, as_of.month)
        self.period = [_add_months(self.month, k) for k in range(-11, 1)]
        self.period_text = {_month_text(m) for m in self.period}
        start = int(policy["audit_year_start_month"])
        year = self.month[0] if self.month[1] >= start else self.month[0] - 1
        self.year_start: Month = (year, start)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # -- the inputs as known on the day ----------------------------------------

    def _load(self) -> None:
        day = self.as_of
        read = lambda name: _read_input_table(self.data_dir, name) or []  # noqa: E731
        self.staff = {r["staff_id"]: r for r in read("staff") if r.get("staff_id")}
        raw_history = read("history")
        self.history = [
            known for row in raw_history if (known := _ledger_row_on(row, day)) is not None
        ]
        self.by_audit = {row["audit_id"]: row for row in self.history}
        done_later = {
            row["audit_id"]
            for row in raw_history
            if (d := _to_date(row.get("completed_on"))) is not None and d > day
        }
        self.outcomes_present = _read_input_table(self.data_dir, "outcomes") is not None
        self.outcomes = [r for r in read("outcomes") if r.get("audit_id") not in done_later]
        self.challenges = [
            r for r in read("challenges") if (d := _to_date(r.get("raised_on"))) and d <= day
        ]
        self.breaks = [
            r for r in read("breaks") if not ((d := _to_date(r.get("requested_on"))) and d > day)
        ]
        self.exemptions = []
        for row in read("exemptions"):
            if (d := _to_date(row.get("requested_on"))) is not None and d > day:
                continue
            if (d := _to_date(row.get("decided_on"))) is not None and d > day:
                row = {**row, "decision": "pending", "decided_by": None, "decided_on": None}
            self.exemptions.append(row)
        self.moderations = []
        for row in read("moderations"):
            if (d := _to_date(row.get("assigned_on"))) is not None and d > day:
                continue
            if (d := _to_date(row.get("decided_on"))) is not None and d > day:
                row = {**row, "final_judgement": None, "decided_on": None}
            self.moderations.append(row)
        cases: dict[str, list[Row]] = defaultdict(list)
        for row in read("cases"):
            cases[row.get("case_id") or ""].append(row)
        self.cases = {
            case: sorted(rows, key=lambda r: r.get("month") or "") for case, rows in cases.items()
        }

    def _details(self, row: Row) -> dict[str, Any]:
        """The people to chase: the case as it stood in the audit's month (that month's
        row, else the latest earlier one), and the team manager's manager."""
        month = row.get("month") or ""
        earlier = [
            c
            for c in self.cases.get(row.get("case_id") or "", [])
            if (c.get("month") or "") <= month
        ]
        case = earlier[-1] if earlier else None
        manager = case.get("team_manager_id") if case else None
        person = self.staff.get(manager or "")
        return {
            "audit_id": row.get("audit_id"),
            "month": month,
            "case_id": row.get("case_id"),
            "service": case.get("service") if case else None,
            "auditor_id": row.get("auditor_id"),
            "team_manager_id": manager,
            "group_manager_id": person.get("manager_id") if person else None,
        }

    def _counted(self) -> list[Row]:
        return [r for r in self.history if r.get("status") not in NOT_COUNTED_STATUSES]

    def _honoured(self, row: Row) -> bool:
        """Contract §3: approved, by someone else of the role the auditor's group needs."""
        auditor = self.staff.get(row.get("auditor_id") or "")
        approver = self.staff.get(row.get("decided_by") or "")
        if _lower(row.get("decision")) != "approved" or auditor is None or approver is None:
            return False
        if row.get("decided_by") == row.get("auditor_id"):
            return False
        return approver.get("role") == EXEMPTION_APPROVER_ROLE.get(auditor.get("staff_group") or "")

    def _judgements(self) -> dict[str, tuple[str, date]]:
        """audit_id → (effective judgement, confirmed on), confirmed by the day (contract
        §4 rule 5; a late challenge does not suspend, issue 20)."""
        decided: dict[str, tuple[date, str, str]] = {}
        for row in self.moderations:
            final, on = _lower(row.get("final_judgement")), _to_date(row.get("decided_on"))
            if final and on:
                key = (on, row.get("moderator_id") or "", final)
                decided[row["audit_id"]] = max(decided.get(row["audit_id"], key), key)
        suspended = set()
        for row in self.challenges:
            audit = self.by_audit.get(row.get("audit_id") or "")
            finalised = _to_date(audit.get("finalised_on")) if audit else None
            raised = _to_date(row.get("raised_on"))
            late = finalised is not None and raised is not None and raised > finalised
            if _to_bool(row.get("consensus_reached")) is not True and not late:
                suspended.add(row.get("audit_id"))
        result = {}
        for row in self._counted():
            audit_id = row["audit_id"]
            if audit_id in decided:
                on, _, judgement = decided[audit_id]
                result[audit_id] = (judgement, on)
            elif audit_id not in suspended:
                judgement = _lower(row.get("overall_judgement"))
                on = _to_date(row.get("judgement_confirmed_on"))
                if judgement and on is not None and on <= self.as_of:
                    result[audit_id] = (judgement, on)
        return result

    # -- the comparison ----------------------------------------------------------

    def _output(self, name: str) -> list[Row] | None:
        path = self.out_dir / f"{name}.parquet"
        if not path.exists():
            self.fail(f"{name}: {path.name} missing")
            return None
        return pq.read_table(path).to_pylist()

    def _compare(self, name: str, expected: list[Row]) -> None:
        """Row for row, in order, on the expected rows' columns (floats to 4 places)."""
        got = self._output(name)
        if got is None:
            return
        columns = list(expected[0]) if expected else []
        shown = [{c: row.get(c) for c in columns} for row in got]
        if len(got) != len(expected):
            keys = lambda rows: [next(iter(r.values()), None) for r in rows]  # noqa: E731
            self.fail(
                f"{name}: {len(got)} rows, expected {len(expected)} "
                f"(written {keys(shown)[:8]}, expected {keys(expected)[:8]})"
            )
            return
        for position, (row, want) in enumerate(zip(shown, expected, strict=True), start=1):
            for column, value in want.items():
                have = row.get(column)
                if isinstance(value, float) and isinstance(have, float):
                    same = round(value, 4) == round(have, 4)
                else:
                    same = have == value
                if not same:
                    self.fail(
                        f"{name} row {position} ({_show(next(iter(want.values())))}): "
                        f"{column} is {_show(have)}, expected {_show(value)}"
                    )

    def run(self) -> list[str]:
        self._load()
        self.judged = self._judgements()
        self._check_late_lists()
        self._compare("amendments_due", self._amendments_due())
        self._compare("awaiting_actions", self._awaiting_actions())
        self._compare("inadequate_cycle", self._inadequate_cycle())
        self._compare("challenges_open", self._challenges_open())
        self._compare("retrospective_exemptions", self._retrospective_exemptions())
        self._compare("cancellations", self._cancellations())
        self._compare("incomplete_audit_tools", self._incomplete_audit_tools())
        for by in ("month", "service"):
            self._compare(f"judgements_by_{by}", self._judgements_by(by))
        self._compare("domain_ratings", self._domain_ratings())
        self._compare("audits_per_auditor", self._audits_per_auditor())
        self._compare("breaks_by_month", self._breaks_by_month())
        self._compare("completion_by_service", self._completion_by_service())
        self._compare("amendments_by_service", self._amendments_by_service())
        return self.violations

    # -- the lists ---------------------------------------------------------------

    def _check_late_lists(self) -> None:
        """§6, §27–31: allocated or non-completed, not completed, past the month's last
        day; a non-completion unless an honoured exemption (decided by the day) covers it."""
        honoured = {
            (r.get("case_id"), r.get("month"), r.get("auditor_id"))
            for r in self.exemptions
            if self._honoured(r)
        }
        late = []
        for row in self.history:
            due = _last_day(_parse_month(row["month"]) or self.month)
            not_done = row["status"] in ("allocated", "non_completed")
            if not_done and row.get("completed_on") is None and due < self.as_of:
                key = (row.get("case_id"), row.get("month"), row.get("auditor_id"))
                late.append(
                    {
                        **self._details(row),
                        "status": row["status"],
                        "due_on": due,
                        "days_overdue": (self.as_of - due).days,
                        "non_completion": key not in honoured,
                    }
                )
        late.sort(key=lambda r: (-r["days_overdue"], r["audit_id"]))
        self._compare("outstanding", late)
        non = [
            {k: v for k, v in r.items() if k != "non_completion"}
            for r in late
            if r["non_completion"]
        ]
        self._compare("non_completions", non)

    def _amendments_due(self) -> list[Row]:
        """§20: returned (by the day), due back N working days after the return."""
        rows = []
        days = int(self.policy["amendment_working_days"])
        for row in self.history:
            if row["status"] != "returned":
                continue
            returned = _to_date(row.get("returned_on"))
            due = None if returned is None else self.calendar.add_working_days(returned, days)
            rows.append(
                {
                    **self._details(row),
                    "returned_on": returned,
                    "amendment_due_on": due,
                    "overdue": None if due is None else self.as_of > due,
                }
            )
        rows.sort(
            key=lambda r: (
                r["amendment_due_on"] is None,
                r["amendment_due_on"] or date.min,
                r["audit_id"],
            )
        )
        return rows

    def _awaiting_actions(self) -> list[Row]:
        """§23, §27: finalised by the day, the actions not confirmed by then."""
        rows = []
        for row in self.history:
            if row["status"] != "finalised":
                continue
            finalised = _to_date(row.get("finalised_on"))
            judged = self.judged.get(row["audit_id"])
            rows.append(
                {
                    **self._details(row),
                    "finalised_on": finalised,
                    "age_days": None if finalised is None else (self.as_of - finalised).days,
                    "judgement": judged[0] if judged else _lower(row.get("overall_judgement")),
                }
            )
        rows.sort(key=lambda r: (r["age_days"] is None, -(r["age_days"] or 0), r["audit_id"]))
        return rows

    def _head_of_service(self, service: str | None) -> str | None:
        """Role head_of_service in the service, active on the 1st of the as-of month,
        the lowest staff_id (contract §3)."""
        first = _first_day(self.month)
        heads = sorted(
            staff_id
            for staff_id, person in self.staff.items()
            if person.get("role") == "head_of_service"
            and person.get("service") == service
            and (_to_date(person.get("active_from")) or date.min) <= first
            and (_to_date(person.get("active_to")) or date.max) >= first
        )
        return heads[0] if heads else None

    def _strategic_lead(self) -> str | None:
        leads = sorted(
            staff_id
            for staff_id, person in self.staff.items()
            if person.get("role") == "strategic_lead_ipq"
            and (_to_date(person.get("active_from")) or date.min) <= self.as_of
            and (_to_date(person.get("active_to")) or date.max) >= self.as_of
        )
        return leads[0] if leads else None

    def _inadequate_cycle(self) -> list[Row]:
        """§25–26, contract §6: one row per case, its latest inadequate audit, until a
        re-audit of it is confirmed other than inadequate; the stage, furthest first,
        and whom to chase."""
        counted = self._counted()
        reaudits: dict[str, list[Row]] = defaultdict(list)
        for row in sorted(counted, key=lambda r: r["audit_id"]):
            if row.get("reaudit_of"):
                reaudits[row["reaudit_of"]].append(row)
        latest: dict[str, tuple[date, str]] = {}
        for row in counted:
            judged = self.judged.get(row["audit_id"])
            if judged and judged[0] == "inadequate" and row.get("case_id"):
                key = (judged[1], row["audit_id"])
                latest[row["case_id"]] = max(latest.get(row["case_id"], key), key)
        rows = []
        for confirmed, audit_id in latest.values():
            later = reaudits.get(audit_id, [])
            if any(
                (j := self.judged.get(r["audit_id"])) is not None and j[0] != "inadequate"
                for r in later
            ):
                continue  # the cycle ended (§26)
            row = self.by_audit[audit_id]
            details = self._details(row)
            deadline = confirmed + relativedelta(months=int(self.policy["reaudit_within_months"]))
            month_of_deadline: Month = (deadline.year, deadline.month)
            reaudit_month = (
                month_of_deadline
                if deadline == _last_day(month_of_deadline)
                else _add_months(month_of_deadline, -1)
            )
            reflection = self.calendar.add_working_days(
                confirmed, int(self.policy["reflection_meeting_within_working_days"])
            )
            review = self.calendar.on_or_after(
                confirmed + timedelta(days=int(self.policy["review_meeting_after_days"]))
            )
            escalated = bool(row.get("reaudit_of"))
            head = self._head_of_service(details["service"])
            reaudit = later[-1] if later else None
            if escalated:
                stage, chase = "escalated", head
            elif self.as_of > deadline:
                stage = "re-audit overdue"
                chase = reaudit["auditor_id"] if reaudit else self._strategic_lead()
            elif reaudit is not None:
                stage, chase = "re-audit allocated", reaudit["auditor_id"]
            elif self.as_of > review:
                stage, chase = "re-audit due", self._strategic_lead()
            elif self.as_of > reflection:
                stage, chase = "review due", details["team_manager_id"]
            else:
                stage, chase = "reflection due", details["group_manager_id"]
            rows.append(
                {
                    **details,
                    "confirmed_on": confirmed,
                    "reflection_meeting_by": reflection,
                    "review_meeting_on": review,
                    "reaudit_deadline": deadline,
                    "reaudit_month": _month_text(reaudit_month),
                    "escalation": "head_of_service_review" if escalated else "none",
                    "head_of_service_id": head,
                    "overdue": self.as_of > deadline,
                    "stage": stage,
                    "chase_id": chase,
                }
            )
        rows.sort(key=lambda r: (r["reaudit_deadline"], r["audit_id"]))
        return rows

    def _challenges_open(self) -> list[Row]:
        """§21–22: one row per audit with a challenge without consensus raised by the
        day (its earliest), the moderation's state; a decided one only in its month;
        late when raised after the audit's finalisation (not on its day)."""
        first: dict[str, Row] = {}
        for row in sorted(
            self.challenges, key=lambda r: (r.get("raised_on") or "", r.get("raised_by") or "")
        ):
            if _to_bool(row.get("consensus_reached")) is not True:
                first.setdefault(row.get("audit_id") or "", row)
        rows = []
        for audit_id, challenge in first.items():
            mods = [m for m in self.moderations if m.get("audit_id") == audit_id]
            done = [m for m in mods if m.get("final_judgement") and m.get("decided_on")]
            waiting = [m for m in mods if m not in done]
            found: Row | None = None
            if done:
                found = max(done, key=lambda m: (m["decided_on"], m.get("moderator_id") or ""))
                state = "decided"
                decided_on = _to_date(found["decided_on"])
                if decided_on is None or (decided_on.year, decided_on.month) != self.month:
                    continue
            elif waiting:
                found = max(
                    waiting, key=lambda m: (m.get("assigned_on") or "", m.get("moderator_id") or "")
                )
                state = "moderator_assigned"
            else:
                state = "awaiting_moderator"
            audit = self.by_audit.get(audit_id, {"audit_id": audit_id})
            raised = _to_date(challenge.get("raised_on"))
            finalised = _to_date(audit.get("finalised_on"))
            rows.append(
                {
                    **self._details(audit),
                    "raised_by": challenge.get("raised_by"),
                    "raised_on": raised,
                    "days_open": (self.as_of - raised).days if raised else None,
                    "moderation_status": state,
                    "moderator_id": found.get("moderator_id") if found else None,
                    "assigned_on": _to_date(found.get("assigned_on")) if found else None,
                    "final_judgement": _lower(found.get("final_judgement"))
                    if state == "decided" and found
                    else None,
                    "decided_on": _to_date(found.get("decided_on"))
                    if state == "decided" and found
                    else None,
                    "late": raised is not None and finalised is not None and raised > finalised,
                }
            )
        rank = {"awaiting_moderator": 0, "moderator_assigned": 1, "decided": 2}
        rows.sort(
            key=lambda r: (rank[r["moderation_status"]], -(r["days_open"] or 0), r["audit_id"])
        )
        return rows

    def _retrospective_exemptions(self) -> list[Row]:
        """§5, §30: honoured, decided (by the day) after the audit's due date and in the
        twelve months to the day."""
        start = _first_day(self.period[0])
        by_key = {(r.get("case_id"), r.get("month"), r.get("auditor_id")): r for r in self.history}
        rows = []
        for row in self.exemptions:
            month = _parse_month(row.get("month"))
            decided = _to_date(row.get("decided_on"))
            if month is None or decided is None or not self._honoured(row):
                continue
            due = _last_day(month)
            if decided <= due or decided < start:
                continue
            key = (row.get("case_id"), row.get("month"), row.get("auditor_id"))
            audit = by_key.get(key)
            details = (
                self._details(audit)
                if audit
                else {
                    "audit_id": None,
                    "month": row.get("month"),
                    "case_id": row.get("case_id"),
                    "auditor_id": row.get("auditor_id"),
                }
            )
            rows.append(
                {
                    **details,
                    "due_on": due,
                    "requested_on": _to_date(row.get("requested_on")),
                    "decided_by": row.get("decided_by"),
                    "decided_on": decided,
                    "days_after_due": (decided - due).days,
                }
            )
        rows.sort(key=lambda r: (-r["days_after_due"], r["audit_id"] or "", r["case_id"] or ""))
        return rows

    def _cancellations(self) -> list[Row]:
        """§30, contract §6: cancelled by the day, in the twelve months (by the
        cancellation's month, else the audit's); authorised like an exemption."""
        rows = []
        for row in self.history:
            if row["status"] != "cancelled":
                continue
            on = _to_date(row.get("cancelled_on"))
            month = _month_text((on.year, on.month)) if on else row["month"]
            if month not in self.period_text:
                continue
            auditor = self.staff.get(row.get("auditor_id") or "")
            by = row.get("cancelled_by")
            approver = self.staff.get(by or "")
            needed = EXEMPTION_APPROVER_ROLE.get((auditor or {}).get("staff_group") or "")
            authorised = (
                by is not None
                and by != row.get("auditor_id")
                and approver is not None
                and approver.get("role") == needed
            )
            rows.append(
                {
                    **self._details(row),
                    "cancelled_on": on,
                    "cancelled_by": by,
                    "cancel_reason": row.get("cancel_reason"),
                    "authorised": authorised,
                }
            )
        rows.sort(
            key=lambda r: (
                r["authorised"],
                r["cancelled_on"] is None,
                -(r["cancelled_on"] or date.min).toordinal(),
                r["audit_id"],
            )
        )
        return rows

    def _incomplete_audit_tools(self) -> list[Row]:
        """§16: the period's counted audits with a judgement and fewer than every
        configured domain rated (names compared by identity, contract §1)."""
        if not self.outcomes_present:
            return []
        wanted = {_identity(d) for d in self.domains}
        rated: dict[str, set[str]] = defaultdict(set)
        for row in self.outcomes:
            rated[row.get("audit_id") or ""].add(_identity(row.get("domain") or ""))
        rows = []
        for row in self._counted():
            if row["month"] not in self.period_text or not row.get("overall_judgement"):
                continue
            count = len(rated.get(row["audit_id"], set()) & wanted)
            if count < len(wanted):
                rows.append(
                    {
                        **self._details(row),
                        "judgement": _lower(row.get("overall_judgement")),
                        "domains_rated": count,
                        "domains_expected": len(wanted),
                    }
                )
        rows.sort(key=lambda r: (r["domains_rated"], r["audit_id"]))
        return rows

    # -- the figures -------------------------------------------------------------

    def _judgements_by(self, by: str) -> list[Row]:
        """Effective judgements of the period's audits by month or the case's service."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        services = set()
        for row in self.history:
            if row["month"] not in self.period_text:
                continue
            service = self._details(row)["service"] or NO_DETAILS
            services.add(service)
            judged = self.judged.get(row["audit_id"])
            if judged:
                counts[row["month"] if by == "month" else service][judged[0]] += 1
        groups = [_month_text(m) for m in self.period] if by == "month" else sorted(services)
        rows = []
        for group in groups:
            grades = {grade: counts[group][grade] for grade in GRADES}
            total = sum(grades.values())
            rows.append(
                {
                    by: group,
                    **grades,
                    "judged": total,
                    "inadequate_share": round(grades["inadequate"] / total, 4) if total else None,
                    "inadequate_share_target": self.target,
                }
            )
        return rows

    def _domain_ratings(self) -> list[Row]:
        in_period = {r["audit_id"] for r in self.history if r["month"] in self.period_text}
        spelling = {_identity(domain): domain for domain in self.domains}  # contract §1
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for row in self.outcomes:
            if row.get("audit_id") in in_period:
                domain = row.get("domain") or ""
                domain = spelling.get(_identity(domain), domain)
                counts[domain][_lower(row.get("rating")) or ""] += 1
        rows = []
        for domain, ratings in counts.items():
            applicable = ratings["met"] + ratings["partially_met"] + ratings["not_met"]
            rows.append(
                {
                    "domain": domain,
                    "met": ratings["met"],
                    "partially_met": ratings["partially_met"],
                    "not_met": ratings["not_met"],
                    "not_applicable": ratings["not_applicable"],
                    "not_met_share": round(ratings["not_met"] / applicable, 4)
                    if applicable
                    else None,
                }
            )
        rows.sort(
            key=lambda r: (
                r["not_met_share"] is None,
                -(r["not_met_share"] or 0),
                -r["not_met"],
                r["domain"],
            )
        )
        return rows

    def _audits_per_auditor(self) -> list[Row]:
        """§2: counted audits of the as-of audit year per auditor; every auditor active
        on the day is listed."""
        year = {_month_text(_add_months(self.year_start, k)) for k in range(12)}
        audits, completed = Counter(), Counter()
        for row in self._counted():
            if row["month"] in year:
                audits[row["auditor_id"]] += 1
                completed[row["auditor_id"]] += row.get("completed_on") is not None
        active = {
            staff_id
            for staff_id, person in self.staff.items()
            if _to_bool(person.get("is_auditor"))
            and (_to_date(person.get("active_from")) or date.min) <= self.as_of
            and (_to_date(person.get("active_to")) or date.max) >= self.as_of
        }
        return [
            {
                "auditor_id": auditor,
                "service": (self.staff.get(auditor) or {}).get("service"),
                "audits": audits[auditor],
                "completed": completed[auditor],
                "max_audits_per_year": int(self.policy["max_audits_per_year"]),
            }
            for auditor in sorted(active | set(audits))
        ]

    def _breaks_by_month(self) -> list[Row]:
        """§3, contract §4 rule 3: each month's requests (known by the day) decided
        first come first served against the cap of the month's eligible auditors."""
        horizon = _add_months(self.month, 12)
        asked = {_parse_month(r.get("month")) for r in self.breaks}
        later = sorted(m for m in asked if m is not None and self.month < m <= horizon)
        fraction = Fraction(str(self.policy["max_break_fraction"]))
        maximum = int(self.policy["max_audits_per_year"])
        start_month = int(self.policy["audit_year_start_month"])
        rows = []
        for month in [*self.period, *later]:
            first, last = _first_day(month), _last_day(month)
            eligible = {
                staff_id
                for staff_id, person in self.staff.items()
                if _to_bool(person.get("is_auditor"))
                and (_to_date(person.get("active_from")) or date.min) <= first
                and (_to_date(person.get("active_to")) or date.max) >= last
            }
            year_start = (month[0] if month[1] >= start_month else month[0] - 1, start_month)
            before = Counter(
                r["auditor_id"]
                for r in self._counted()
                if (m := _parse_month(r["month"])) is not None and year_start <= m < month
            )
            cap = math.floor(fraction * len(eligible))
            requests = [r for r in self.breaks if _parse_month(r.get("month")) == month]
            needed = []
            not_required = 0
            for row in requests:
                auditor = row.get("auditor_id") or ""
                if auditor not in eligible or before[auditor] >= maximum:
                    not_required += 1
                    continue
                needed.append(row)
            granted = min(cap, len(needed))
            rows.append(
                {
                    "month": _month_text(month),
                    "eligible": len(eligible),
                    "requested": len(requests),
                    "granted": granted,
                    "refused_cap": len(needed) - granted,
                    "not_required": not_required,
                    "cap": cap,
                }
            )
        return rows

    def _completion_by_service(self) -> list[Row]:
        """§6: the period's counted audits whose month ended before the day: completed
        by the month's last day, later, or not yet, by the case's service."""
        tally: dict[str, Counter[str]] = defaultdict(Counter)
        for row in self._counted():
            month = _parse_month(row["month"])
            if row["month"] not in self.period_text or month is None:
                continue
            due = _last_day(month)
            if due >= self.as_of:
                continue
            service = self._details(row)["service"] or NO_DETAILS
            done = _to_date(row.get("completed_on"))
            tally[service]["due"] += 1
            tally[service]["on_time" if done and done <= due else "late" if done else "not"] += 1
        return [
            {
                "service": service,
                "due": counts["due"],
                "on_time": counts["on_time"],
                "late": counts["late"],
                "not_completed": counts["not"],
                "on_time_share": round(counts["on_time"] / counts["due"], 4),
            }
            for service, counts in sorted(tally.items())
        ]

    def _amendments_by_service(self) -> list[Row]:
        """§20, contract §6: amendments by service and month of return (in the period):
        back within N working days of the return, back later, not back; the share on
        time of those back or past their due day."""
        days = int(self.policy["amendment_working_days"])
        tally: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for row in self.history:
            returned = _to_date(row.get("returned_on"))
            if returned is None:
                continue
            month = _month_text((returned.year, returned.month))
            if month not in self.period_text:
                continue
            due = self.calendar.add_working_days(returned, days)
            back = _to_date(row.get("resubmitted_on"))
            counts = tally[(self._details(row)["service"] or NO_DETAILS, month)]
            counts["returned"] += 1
            counts["on_time" if back and back <= due else "late" if back else "not_back"] += 1
            counts["decided"] += back is not None or self.as_of > due
        return [
            {
                "service": service,
                "month": month,
                "returned": counts["returned"],
                "back_on_time": counts["on_time"],
                "back_late": counts["late"],
                "not_back": counts["not_back"],
                "on_time_share": round(counts["on_time"] / counts["decided"], 4)
                if counts["decided"]
                else None,
            }
            for (service, month), counts in sorted(tally.items())
        ]
