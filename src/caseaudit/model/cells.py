"""Typing a table by the schema's rules: its header matched, every cell typed (contract
§1, §3). No file is touched: ``io.reader`` turns files into raw cells and hands them here;
a notebook's DataFrame (``Dataset.replace``) comes here directly.

Headers are matched after trimming, ignoring case, with spaces and hyphens read as
underscores. An unknown column close to a missing known one is an error that suggests
the name; any other unknown column is ignored with an ``InputWarning``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from caseaudit.model.errors import IssueCollector, Priority
from caseaudit.model.schema import Column, TableSchema
from caseaudit.model.tables import LINE, Tables

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


TRUE_WORDS = frozenset({"true", "yes", "y", "1"})


FALSE_WORDS = frozenset({"false", "no", "n", "0"})


BOOLEAN_WORDS = "true/false, yes/no, y/n or 1/0"


#: How close (difflib ratio) an unknown column must be to a known one to be a near miss.
NEAR_MISS = 0.8


def normalise_header(name: object) -> str:
    """A header cell as the column name it means: trimmed, lower case, spaces and
    hyphens as underscores (``"Team Manager ID"`` → ``team_manager_id``)."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_-]+", "_", text)


def read_frame(
    frame: pd.DataFrame, schema: TableSchema, file: str, issues: IssueCollector
) -> tuple[pd.DataFrame, bool]:
    """A table given in memory (a notebook's DataFrame), typed and checked by the same
    header and cell rules as a file, read like Parquet (row i on line i + 2) and located
    as ``file``. A ``_line`` column it carries is dropped: the rows are numbered anew."""
    given = frame.drop(columns=[LINE], errors="ignore")
    header = [str(name) for name in given.columns]
    cells = given.reset_index(drop=True)
    cells.columns = range(len(header))
    return typed_table(file, schema, header, cells, issues)


def typed_table(
    file: str,
    schema: TableSchema,
    header: list[str],
    cells: pd.DataFrame,
    issues: IssueCollector,
) -> tuple[pd.DataFrame, bool]:
    """The header checked and every cell typed; the table and whether it is sound."""
    checked = _check_header(file, schema, header, cells, issues)
    if checked is None:
        return Tables.empty_table(schema.name), False
    positions, sound = checked
    first_issue = len(issues.issues)
    texts = [_column_texts(cells.iloc[:, position]) for position in range(cells.shape[1])]
    lines = np.arange(2, len(cells) + 2)
    if len(cells):
        filled = np.zeros(len(cells), dtype=bool)
        for column_texts in texts:
            filled |= column_texts.filled
        if not filled.all():
            cells = cells[filled]
            lines = lines[filled]
            texts = [column_texts.kept(filled) for column_texts in texts]
    typed: dict[str, Any] = {}
    for column in schema.columns:
        if column.name in positions:
            typed[column.name] = _parse_column(
                texts[positions[column.name]], column, lines, file, issues
            )
        else:
            typed[column.name] = [column.default] * len(cells)
    # copy=False: each column is its own array already (pandas would copy it, then copy
    # every column again into one block).
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object, copy=False) for name, values in typed.items()},
        copy=False,
    )
    frame[LINE] = lines
    if schema.name == "staff":  # the other tables' references follow from its cells
        issues.issues[first_issue:] = [
            dataclasses.replace(issue, priority=Priority.DEFINING)
            for issue in issues.issues[first_issue:]
        ]
    return frame, sound


def _check_header(
    file: str,
    schema: TableSchema,
    header: list[str],
    cells: pd.DataFrame,
    issues: IssueCollector,
) -> tuple[dict[str, int], bool] | None:
    """The position of each known column and whether the header is sound; None when a
    name is given twice (which of the two holds the data is anyone's guess).

    Reports a name given twice, a near miss of a missing column (with the name it
    probably means) and a missing header-required column; warns of ignored columns.
    """
    names = [normalise_header(h) for h in header]
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(names):
        positions.setdefault(name, []).append(position)
    duplicated = False
    for name, found in positions.items():
        if name and len(found) > 1:
            duplicated = True
            spellings = sorted({_as_written(header[p]) for p in found})
            if len(spellings) == 1:
                message = "column appears more than once in the header"
            else:
                quoted = " and ".join(f'"{w}"' for w in spellings)
                message = f"{quoted} both read as {name}: keep one of them"
            issues.add(file, 1, name, message, Priority.HEADER)
    if duplicated:
        return None
    known = {name: found[0] for name, found in positions.items() if name in schema.column_names}
    if not known and header_below(schema, cells):
        # A report title above the header ("Staff list, March 2026"): one root cause,
        # not every column missing (issue 18).
        issues.add(
            file,
            1,
            "-",
            TITLE_ROW,
            Priority.HEADER,
        )
        return None
    suggested = _near_misses(names, schema, known)
    for position, name in enumerate(names):
        if name in known:
            continue
        written = _as_written(header[position])
        quoted = f' "{written}"' if written != name else ""
        if name in suggested:
            issues.add(
                file,
                1,
                name,
                f"unknown column{quoted}: did you mean {suggested[name]}?",
                Priority.HEADER,
            )
        elif not name:
            if _has_values(cells.iloc[:, position]):
                issues.warn(file, 1, "-", f"column {position + 1} has values but no name: ignored")
        else:
            issues.warn(file, 1, name, f"column{quoted} is not part of {schema.name}: ignored")
    meant = set(suggested.values())
    missing = [c for c in schema.columns if c.header_required and c.name not in known]
    for column in missing:
        if column.name in meant:
            continue  # the near miss above already names it
        message = "required column missing from the header"
        if not column.required:
            decides = _DECIDES.get((schema.name, column.name), _DECIDES_OTHERWISE)
            message += f" (its cells may be empty, but the column must be there: {decides})"
        issues.add(file, 1, column.name, message, Priority.HEADER)
    return known, not (missing or suggested)


#: Why a column whose cells may all be empty must still be in the header (contract §1
#: "Headers"): what a missing one, read as empty cells, would silently change.
_PAIR_RULE = "it decides who may audit which case"


_DECIDES = {
    **{("staff", c): _PAIR_RULE for c in ("team", "manager_id", "active_from", "active_to")},
    **{("cases", c): _PAIR_RULE for c in ("team", "team_manager_id", "iro_id")},
    ("exemptions", "decided_by"): _PAIR_RULE,
    ("exemptions", "decided_on"): "it decides when an exemption was honoured",
    ("staff", "email"): "the hand-off e-mails the auditors",
    ("staff", "can_moderate"): "it decides who may moderate",
    ("challenges", "consensus_reached"): "it decides which audits need a moderator",
    ("history", "overall_judgement"): "it decides which audits need a re-audit",
    ("history", "judgement_confirmed_on"): "it decides when a re-audit is due",
    ("history", "reaudit_of"): "it decides which re-audits are done",
    ("moderations", "final_judgement"): "it decides which audits need a re-audit",
    ("moderations", "decided_on"): "it decides when a re-audit is due",
}


_DECIDES_OTHERWISE = "read as empty cells, it would silently change the plan or the report"


TITLE_ROW = (
    "line 1 looks like a title; the header must be the first line (line 2 holds the column "
    "names: delete line 1)"
)


def header_below(schema: TableSchema, cells: pd.DataFrame) -> bool:
    """Whether the first row under line 1 names at least half of the table's columns."""
    if cells.empty:
        return False
    names = {normalise_header(cell) for cell in cells.iloc[0].tolist() if not _is_null(cell)}
    return 2 * len(names.intersection(schema.column_names)) >= len(schema.columns)


def _as_written(header_cell: object) -> str:
    return str(header_cell).replace("\ufeff", "").strip()


def _near_misses(names: list[str], schema: TableSchema, known: dict[str, int]) -> dict[str, str]:
    """Unknown names that are probably a missing known column, mapped to that column."""
    absent = [c for c in schema.column_names if c not in known]
    misses = {}
    for name in names:
        if not name or name in known:
            continue
        close = difflib.get_close_matches(name, absent, n=1, cutoff=NEAR_MISS)
        if close:
            misses[name] = close[0]
        elif f"{name}_id" in absent:  # "IRO" for iro_id, "Manager" for manager_id
            misses[name] = f"{name}_id"
    return misses


def _has_values(values: pd.Series) -> bool:
    return bool((_clean_texts(values.to_numpy(dtype=object)) != None).any())  # noqa: E711


def _is_null(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return bool(value is pd.NaT)


def _clean_text(value: object) -> str | None:
    if _is_null(value):
        return None
    text = str(value).strip()
    return text or None


def _clean_texts(values: np.ndarray) -> np.ndarray:
    """Vectorised ``_clean_text`` for a column: trimmed text, empty as None."""
    array = np.asarray(values, dtype=object)
    null = np.asarray(pd.isna(array), dtype=bool)
    cleaned = np.full(len(array), None, dtype=object)
    if (~null).any():
        stripped = np.char.strip(array[~null].astype(str))
        texts = stripped.astype(object)
        texts[stripped == ""] = None
        cleaned[~null] = texts
    return cleaned


#: What ``_clean_texts`` trims: Python's whitespace (``str.strip``; none lies above
#: U+3000) and NUL (a fixed-width numpy string drops its trailing NULs).
_TRIMMED = "\x00" + "".join(c for c in map(chr, range(0x3001)) if c.isspace())


#: ``infer_dtype`` names of columns whose every cell that is not null is some text.
_NEVER_BLANK = frozenset({"date", "boolean", "integer", "datetime"})


@dataclass(frozen=True)
class _ColumnTexts:
    """One column's cells as read (``values``), which of them ``_clean_texts`` reads as
    filled, and (when every cell is text or null) ``_clean_texts`` itself."""

    given: np.ndarray | None
    filled: np.ndarray
    cleaned: np.ndarray | None
    #: For a column read as categories (a Parquet file's, ``io.reader``): each row's
    #: position in ``distinct`` and the column of its distinct values, in which every one
    #: appears (a null last, when there is one), so that a column is parsed once per
    #: distinct value (``_parse_column``).
    codes: np.ndarray | None = None
    distinct: _ColumnTexts | None = None

    @property
    def values(self) -> np.ndarray:
        """The cells as read (of a column of categories, taken from ``distinct`` only
        when asked for: the usual column never needs them)."""
        if self.given is not None:
            return self.given
        assert self.distinct is not None and self.codes is not None
        return self.distinct.values[self.codes]

    def by_cell(self) -> _ColumnTexts:
        """The same column without ``distinct``: its cells and their cleaned texts."""
        if self.distinct is None or self.codes is None:
            return self
        cleaned = self.distinct.cleaned
        return _ColumnTexts(
            self.values, self.filled, None if cleaned is None else cleaned[self.codes]
        )

    def kept(self, rows: np.ndarray) -> _ColumnTexts:
        """The same column with only ``rows`` (a boolean mask), by cell: a distinct value
        may no longer appear."""
        column = self.by_cell()
        cleaned = None if column.cleaned is None else column.cleaned[rows]
        return _ColumnTexts(column.values[rows], column.filled[rows], cleaned)


def _clean_one(value: str) -> str | None:
    """``_clean_texts`` of one text: as a fixed-width numpy string it loses its trailing
    NULs, then it is trimmed; empty is None."""
    return value.rstrip("\x00").strip() or None


def _column_texts(column: pd.Series) -> _ColumnTexts:
    """``_clean_texts`` of a column, by Python only for the cells it may change."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return _category_texts(column)
    values = column.to_numpy(dtype=object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in _NEVER_BLANK:  # Parquet dates, booleans, numbers: only nulls are empty
        return _ColumnTexts(values, ~np.asarray(pd.isna(values), dtype=bool), None)
    if kind not in ("string", "empty"):
        cleaned = _clean_texts(values)
        return _ColumnTexts(values, cleaned != None, None)  # noqa: E711
    if isinstance(column.array, ArrowStringArray):
        null = column.isna().to_numpy(dtype=bool)
        cleaned = values.copy()
        cleaned[null] = None
        arrow = pa.array(column.array)
        may_change = pc.or_(
            pc.not_equal(pc.utf8_trim(arrow, characters=_TRIMMED), arrow), pc.equal(arrow, "")
        )
        for row in np.flatnonzero(pc.fill_null(may_change, False).to_numpy(zero_copy_only=False)):
            cleaned[row] = _clean_one(values[row])
    else:
        codes, uniques = pd.factorize(values)
        cleaned_uniques = np.empty(len(uniques) + 1, dtype=object)
        cleaned_uniques[:-1] = _clean_each(uniques)
        cleaned = cleaned_uniques[codes]  # code -1 (null) takes the last, None
    return _ColumnTexts(values, cleaned != None, cleaned)  # noqa: E711


def _clean_each(texts: np.ndarray) -> np.ndarray:
    """``_clean_one`` of each text, by Python only for those it may change (a text that
    pyarrow's trim leaves as it is, and not empty, is its own)."""
    cleaned = np.array(texts, dtype=object)
    try:
        arrow = pa.array(cleaned, type=pa.string())
    except (pa.ArrowException, UnicodeEncodeError):  # a lone surrogate: not UTF-8
        cleaned[:] = [_clean_one(text) for text in texts]
        return cleaned
    may_change = pc.or_(
        pc.not_equal(pc.utf8_trim(arrow, characters=_TRIMMED), arrow), pc.equal(arrow, "")
    )
    for row in np.flatnonzero(may_change.to_numpy(zero_copy_only=False)):
        cleaned[row] = _clean_one(texts[row])
    return cleaned


def _category_texts(column: pd.Series) -> _ColumnTexts:
    """``_column_texts`` of a column of categories, computed on its distinct values
    and taken by code."""
    codes = column.cat.codes.to_numpy()
    if not np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)).all():
        column = column.cat.remove_unused_categories()  # each distinct value appears
        codes = column.cat.codes.to_numpy()
    has_null = bool((codes < 0).any())
    categories = column.cat.categories.to_numpy(dtype=object)
    values = np.empty(len(categories) + has_null, dtype=object)
    values[: len(categories)] = categories  # a null, when there is one, last: None
    kind = pd.api.types.infer_dtype(categories, skipna=True)
    if kind in ("string", "empty"):
        # ``_column_texts`` of distinct texts: each cleaned once, without factorizing.
        cleaned = np.empty(len(values), dtype=object)
        cleaned[: len(categories)] = _clean_each(categories)
        distinct = _ColumnTexts(values, cleaned != None, cleaned)  # noqa: E711
    else:
        distinct = _column_texts(pd.Series(values, dtype=object, copy=False))
    positions = np.where(codes < 0, len(categories), codes) if has_null else codes
    return _ColumnTexts(None, distinct.filled[positions], None, positions, distinct)


def _parse_column(
    texts: _ColumnTexts, column: Column, lines: np.ndarray, file: str, issues: IssueCollector
) -> list[object] | np.ndarray:
    if texts.distinct is not None and texts.codes is not None:
        # The paths that report nothing, run on the distinct values: each maps a value
        # alone, and each condition that sends a column to the per-cell path holds of
        # the column when it holds of its distinct values, every one of which appears.
        once = _parse_quietly(texts.distinct.values, column, texts.distinct)
        if once is not None:
            return np.asarray(once, dtype=object)[texts.codes]
        texts = texts.by_cell()  # a cell needs its message
    values = texts.values
    quiet = _parse_quietly(values, column, texts)
    if quiet is not None:
        return quiet
    return _parse_each(values, column, lines.tolist(), file, issues)


def _parse_quietly(
    values: np.ndarray, column: Column, texts: _ColumnTexts | None
) -> list[object] | np.ndarray | None:
    """The column parsed by a path that needs no located message, None when a cell
    needs one (``_parse_each`` then reports it)."""
    if column.kind in ("text", "enum", "month"):
        fast = _parse_text_column(values, column, texts)
        if fast is not None:
            return fast
    if column.kind in ("date", "bool"):
        typed = _already_typed_column(values, column)
        if typed is not None:
            return typed
    if texts is not None and texts.cleaned is not None:
        parsed_once = _parse_distinct(values, column)
        if parsed_once is not None:
            return parsed_once
    return None


def _parse_each(
    values: np.ndarray, column: Column, lines: list[int], file: str, issues: IssueCollector
) -> list[object]:
    """Every cell parsed alone, each failure reported at its line."""
    parsed: list[object] = []
    failed: list[tuple[int, str, object]] = []  # (line, message, value)
    filled = 0
    for value, line in zip(values, lines, strict=True):
        filled += _clean_text(value) is not None
        try:
            result = _parse_value(value, column)
        except ValueError as exc:
            failed.append((line, str(exc), value))
            result = None
        if result is None:
            if column.required:
                if _clean_text(value) is None:
                    issues.add(file, line, column.name, "required value is empty")
            else:
                result = column.default
        parsed.append(result)
    if column.kind == "date" and failed and len(failed) == filled:
        # Not one date read: the column is in another format, one cause (issue 18).
        line, _, value = failed[0]
        text = _clean_text(value) or ""
        issues.add(
            file,
            line,
            column.name,
            f'no date in this column could be read; found "{text}" ({date_form(text)}); '
            f"{DATE_FORMATS}",
        )
    else:
        for line, message, _ in failed:
            issues.add(file, line, column.name, message)
    return parsed


def _parse_distinct(values: np.ndarray, column: Column) -> np.ndarray | None:
    """The per-cell parse of a column of text cells, run once per distinct value; None
    when any value needs its located message (the per-cell path then reports it)."""
    codes, uniques = pd.factorize(values)
    if column.required and (codes < 0).any():
        return None
    results = np.empty(len(uniques) + 1, dtype=object)
    for index, value in enumerate(uniques):
        try:
            result = _parse_value(value, column)
        except ValueError:
            return None
        if result is None:
            if column.required:
                return None
            result = column.default
        results[index] = result
    results[-1] = column.default  # code -1: a null cell
    return results[codes]


#: ``infer_dtype`` names of a column that Parquet already typed as the contract asks.
_TYPED = {"date": "date", "bool": "boolean"}


def _already_typed_column(values: np.ndarray, column: Column) -> list[object] | None:
    """Parquet dates and booleans as they are; None when any cell needs the per-cell
    path (text to parse, an empty required cell, datetimes with a time of day)."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty" and not column.required:
        return [column.default] * len(values)
    if kind != _TYPED[column.kind]:
        return None
    missing = np.asarray(pd.isna(values), dtype=bool)
    if column.required and missing.any():
        return None
    typed = np.asarray(values, dtype=object).copy()
    typed[missing] = column.default
    return list(typed)


def _parse_text_column(
    values: np.ndarray, column: Column, texts: _ColumnTexts | None = None
) -> np.ndarray | None:
    """The common case in one pass; None when any cell needs the per-cell path (and its
    located message): an empty required cell, an unknown enum value, a bad month."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    cleaned = (
        texts.cleaned.copy()
        if texts is not None and texts.cleaned is not None
        else _clean_texts(values)
    )
    missing = cleaned == None  # noqa: E711
    if column.required and missing.any():
        return None
    distinct = set(pd.unique(cleaned[~missing])) if column.kind != "text" else set()
    if column.kind == "enum" and not distinct <= set(column.choices):
        return None
    if column.kind == "month" and not all(MONTH.match(v) for v in distinct):
        return None
    if column.default is not None:
        cleaned[missing] = column.default
    return cleaned


def _parse_value(value: object, column: Column) -> object:
    kind = column.kind
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if kind == "date" and isinstance(value, dt.date):
        return value
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        kind == "float"
        and isinstance(value, int | float | np.floating)
        and not isinstance(value, bool)
    ):
        return _parse_float(str(float(value))) if not pd.isna(value) else None
    text = _clean_text(value)
    if text is None:
        return None
    if kind == "text":
        return text
    if kind == "enum":
        if text not in column.choices:
            raise ValueError(f"{text!r} is not one of: {', '.join(column.choices)}")
        return text
    if kind == "bool":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise ValueError(f"expected {BOOLEAN_WORDS}, got {text!r}")
    if kind == "date":
        return parse_date(text)
    if kind == "month":
        if not MONTH.match(text):
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return text
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if kind == "float":
        return _parse_float(text)
    raise AssertionError(f"unknown column kind {kind}")


def parse_date(text: str) -> dt.date:
    """An input date (contract §1): ``YYYY-MM-DD``, or ``DD/MM/YYYY`` as a UK spreadsheet
    shows it (two digits each for day and month); nothing else. A date that is not
    real (31/02, or 03/25/2026: month/day/year) is an error naming the form it has."""
    if ISO_DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not a real date: {text!r} (year-month-day); {DATE_FORMATS}"
            ) from None
    if match := DAY_MONTH_YEAR.match(text):
        day, month, year = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            form = date_form(text)
            also = (
                ", so the column's other dates may be misread too"
                if form == "month/day/year"
                else ""
            )
            raise ValueError(f"not a real date: {text!r} ({form}{also}); {DATE_FORMATS}") from None
    raise ValueError(f"expected a date, got {text!r} ({date_form(text)}); {DATE_FORMATS}")


DATE_FORMATS = "dates must be YYYY-MM-DD or DD/MM/YYYY"


DAY_MONTH_YEAR = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")


#: Two numbers and a year with slashes: DD/MM/YYYY, or a form a message must name.
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


#: Forms a date is found in that the contract does not allow, and how a message names them.
_DATE_FORMS = (
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "year/month/day"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{2}"), "day/month with a two-digit year"),
    (re.compile(r"\d{1,2}-\d{1,2}-\d{4}"), "day-month-year with hyphens"),
    (re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}"), "day.month.year with dots"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}[T ].*"), "a date with a time of day"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}"), "year-month-day"),
    (re.compile(r"\d{8}"), "eight digits without separators"),
    (
        re.compile(r"\d{5}(\.\d+)?"),
        "a spreadsheet's date serial number: format the column as a date",
    ),
)


def date_form(text: str) -> str:
    """The form a date is written in, for a message: "year/month/day", "month/day/year"…"""
    if match := _SLASHED.fullmatch(text):
        first, second = int(match.group(1)), int(match.group(2))
        if second > 12 and first <= 12:
            return "month/day/year"
        return (
            "day/month/year"
            if DAY_MONTH_YEAR.match(text)
            else "day/month/year without leading zeros"
        )
    for pattern, form in _DATE_FORMS:
        if pattern.fullmatch(text):
            return form
    return "words" if any(c.isalpha() for c in text) else "not a date"


def _parse_float(text: str) -> float:
    """A finite number (a probability, say), as written: ``0.25``, ``1e-3``."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    if not np.isfinite(number):
        raise ValueError(f"expected a finite number, got {text!r}")
    return number
