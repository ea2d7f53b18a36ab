"""Read a data directory: CSV or Parquet tables plus ``config.toml`` (contract §1, §3).

Every problem is collected and reported together, located as
``<file>:<line>: <column>: <message>``; nothing here stops at the first problem.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from caseaudit.io.config_reader import read_config
from caseaudit.model.dataset import LINE, Dataset, SourceFile
from caseaudit.model.errors import InputError, IssueCollector
from caseaudit.model.schema import TABLES, Column, TableSchema

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})


def read_dataset(data_dir: Path | str, issues: IssueCollector | None = None) -> Dataset:
    """Read and type every table of ``data_dir``.

    Problems are collected in ``issues`` when given (so that cross-table checks can add
    theirs before anything is raised); without it, ``InputError`` lists them all.
    Cross-table rules are checked separately by ``caseaudit.model.validate``.
    """
    directory = Path(data_dir)
    collect_only = issues is not None
    issues = issues if issues is not None else IssueCollector()
    if not directory.is_dir():
        issues.add(str(directory), 0, "-", "data directory not found")
        raise InputError(issues.issues)
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, SourceFile] = {}
    unreadable: set[str] = set()
    for schema in TABLES.values():
        found = _find_table_file(directory, schema, issues)
        if found is None:
            tables[schema.name] = Dataset.empty_table(schema.name)
            if schema.required_table:
                unreadable.add(schema.name)
            continue
        sources[schema.name] = SourceFile(schema.name, str(found), found.name, _sha256(found))
        before = len(issues.issues)
        tables[schema.name] = _read_table(found, schema, issues)
        if any(i.line <= 1 for i in issues.issues[before:]):
            unreadable.add(schema.name)  # a header problem: its rows are not trustworthy
    config, config_source, config_lines = read_config(directory / "config.toml", issues)
    if not collect_only:
        issues.raise_if_any()
    return Dataset(tables, sources, config, config_source, config_lines, frozenset(unreadable))


def _find_table_file(directory: Path, schema: TableSchema, issues: IssueCollector) -> Path | None:
    csv_path = directory / f"{schema.name}.csv"
    parquet_path = directory / f"{schema.name}.parquet"
    if csv_path.exists() and parquet_path.exists():
        issues.add(
            csv_path.name,
            1,
            "-",
            f"both {csv_path.name} and {parquet_path.name} are present; keep only one",
        )
        return None
    if csv_path.exists():
        return csv_path
    if parquet_path.exists():
        return parquet_path
    if schema.required_table:
        issues.add(
            csv_path.name, 1, "-", f"required table missing: add {csv_path.name} or .parquet"
        )
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_table(path: Path, schema: TableSchema, issues: IssueCollector) -> pd.DataFrame:
    raw = _read_raw(path, issues)
    if raw is None:
        return Dataset.empty_table(schema.name)
    raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    for name in duplicated:
        issues.add(path.name, 1, name, "column appears more than once in the header")
    if duplicated:
        return Dataset.empty_table(schema.name)
    typed: dict[str, Any] = {}
    lines = list(range(2, len(raw) + 2))
    if len(raw):
        filled = np.zeros(len(raw), dtype=bool)
        for name in raw.columns:
            filled |= _clean_texts(raw[name].to_numpy(dtype=object)) != None  # noqa: E711
        raw = raw[filled]
        lines = [line for line, keep in zip(lines, filled, strict=True) if keep]
    missing = False
    for column in schema.columns:
        if column.name not in raw.columns:
            if column.required:
                issues.add(path.name, 1, column.name, "required column missing from the header")
                missing = True
            typed[column.name] = [column.default] * len(raw)
            continue
        values = raw[column.name].to_numpy(dtype=object)
        typed[column.name] = _parse_column(values, column, lines, path, issues)
    for extra in raw.columns:
        if extra not in typed:
            typed[extra] = list(_clean_texts(raw[extra].to_numpy(dtype=object)))
    if missing:
        return Dataset.empty_table(schema.name)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in typed.items()})
    frame[LINE] = lines
    return frame


def _read_raw(path: Path, issues: IssueCollector) -> pd.DataFrame | None:
    if path.suffix == ".parquet":
        try:
            return pq.read_table(path).to_pandas(types_mapper=None, date_as_object=True)
        except Exception as exc:  # pyarrow raises many kinds; the message locates it
            issues.add(path.name, 1, "-", f"not a readable Parquet file ({type(exc).__name__})")
            return None
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        issues.add(path.name, line, "-", "not UTF-8 text: save the file as CSV UTF-8")
        return None
    if not text.strip():
        issues.add(path.name, 1, "-", "the file is empty: a header row is required")
        return None
    import io as _io

    try:
        return pd.read_csv(
            _io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            # Keep blank lines so that row i stays on spreadsheet line i + 2; empty rows
            # (also Excel's ",,,," for a cleared row) are dropped after numbering.
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else 1
        issues.add(path.name, line, "-", "malformed CSV row (wrong number of fields?)")
        return None


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


def _parse_column(
    values: np.ndarray, column: Column, lines: list[int], path: Path, issues: IssueCollector
) -> list[object]:
    if column.kind in ("text", "enum", "month"):
        fast = _parse_text_column(values, column)
        if fast is not None:
            return fast
    parsed: list[object] = []
    for value, line in zip(values, lines, strict=True):
        try:
            result = _parse_value(value, column)
        except ValueError as exc:
            issues.add(path.name, line, column.name, str(exc))
            result = None
        if result is None:
            if column.required:
                if _clean_text(value) is None:
                    issues.add(path.name, line, column.name, "required value is empty")
            else:
                result = column.default
        parsed.append(result)
    return parsed


def _parse_text_column(values: np.ndarray, column: Column) -> list[object] | None:
    """The common case in one pass; None when any cell needs the per-cell path (and its
    located message): an empty required cell, an unknown enum value, a bad month."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    cleaned = _clean_texts(values)
    missing = cleaned == None  # noqa: E711
    if column.required and missing.any():
        return None
    distinct = set(pd.unique(cleaned[~missing]))
    if column.kind == "enum" and not distinct <= set(column.choices):
        return None
    if column.kind == "month" and not all(MONTH.match(v) for v in distinct):
        return None
    if column.default is not None:
        cleaned[missing] = column.default
    return list(cleaned)


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
        raise ValueError(f"expected true/false (or yes/no, 1/0), got {text!r}")
    if kind == "date":
        return parse_iso_date(text)
    if kind == "month":
        if not MONTH.match(text):
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return text
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    raise AssertionError(f"unknown column kind {kind}")


def parse_iso_date(text: str) -> dt.date:
    """Parse ``YYYY-MM-DD``; anything else gets a message naming the expected format."""
    if not ISO_DATE.match(text):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a real date: {text!r} (expected YYYY-MM-DD)") from None
