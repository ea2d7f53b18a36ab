"""Read a data directory: CSV or Parquet tables plus ``config.toml`` (contract §1, §3).

Every problem is collected and reported together, located as
``<file>:<line>: <column>: <message>``; nothing here stops at the first problem. A file
that cannot be read as a table (not UTF-8, not comma-separated, a spreadsheet, binary) is
reported as the root cause, once, and the table is marked unreadable so that the checks
which depend on it stay silent instead of burying the cause.

Headers are matched after trimming, ignoring case, with spaces and hyphens read as
underscores. An unknown column close to a missing known one is an error that suggests
the name; any other unknown column is ignored with an ``InputWarning`` (kept on
``Dataset.warnings``, shown by ``warnings.warn`` and printed on stderr by the CLI).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import hashlib
import io
import math
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pandas.arrays import ArrowStringArray

from caseaudit.io.config_reader import read_config
from caseaudit.io.workbook import (
    WORKBOOK_SUFFIXES,
    Sheet,
    combined_sheets,
    read_sheet,
    table_files,
)
from caseaudit.model.dataset import LINE, Dataset, SourceFile
from caseaudit.model.errors import InputError, InputWarning, IssueCollector, Priority, plural
from caseaudit.model.identity import canonical_dataset
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.schema import TABLES, Column, TableSchema

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})
BOOLEAN_WORDS = "true/false, yes/no, y/n or 1/0"

#: Files a spreadsheet program saves, found where a table was expected.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
#: Text exports that are not comma-separated CSV.
OTHER_TEXT_SUFFIXES = (".tsv", ".txt")
#: Every file name ending under which a table is looked for (and reported if unreadable).
TABLE_SUFFIXES = (".csv", ".parquet", *SPREADSHEET_SUFFIXES, *OTHER_TEXT_SUFFIXES)
SAVE_AS_CSV = 'save it as CSV UTF-8 (in Excel: Save As, "CSV UTF-8 (Comma delimited)")'
#: Separators Excel writes in some locales or exports, and how a message names them.
SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}
#: How close (difflib ratio) an unknown column must be to a known one to be a near miss.
NEAR_MISS = 0.8
#: Binary signatures of files that are not CSV text, whatever their name says.
_ZIP, _OLE, _PARQUET = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1"
_UTF8_BOM = b"\xef\xbb\xbf"
#: A line end as a CSV may be written: CRLF (Windows), CR (old Macintosh) or LF.
LINE_END = re.compile(rb"\r\n?")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def normalise_header(name: object) -> str:
    """A header cell as the column name it means: trimmed, lower case, spaces and
    hyphens as underscores (``"Team Manager ID"`` → ``team_manager_id``)."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s_-]+", "_", text)


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
        message = "data directory not found"
        if directory.exists():
            message = (
                "this is a file, not a folder: give the data directory, the folder that "
                "holds staff.csv, cases.csv and the other tables"
            )
        issues.add(str(directory), 0, "-", message, Priority.FILE)
        raise InputError(issues.issues)
    first_warning = len(issues.warnings)
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, SourceFile] = {}
    unreadable: set[str] = set()
    misnamed = _misnamed_tables(directory, issues)
    sheets = combined_sheets(directory, issues)  # caseaudit.xlsx, a sheet per table
    for schema in TABLES.values():
        if schema.name in misnamed:
            tables[schema.name] = Dataset.empty_table(schema.name)
            unreadable.add(schema.name)
            continue
        sheet = sheets.get(schema.name)
        found, problem = (
            _find_table_file(directory, schema, issues)
            if sheet is None
            else _sheet_alone(directory, sheet, schema.name, issues)
        )
        if found is None:
            tables[schema.name] = Dataset.empty_table(schema.name)
            if problem or schema.required_table:
                unreadable.add(schema.name)
            continue
        tables[schema.name], readable, label = _read_table(found, schema, issues, sheet)
        sources[schema.name] = SourceFile(schema.name, str(found), label, _sha256(found))
        if not readable:
            unreadable.add(schema.name)
    config, config_source, config_lines = read_config(directory / "config.toml", issues)
    ignored = tuple(issues.warnings[first_warning:])
    for warning in ignored:
        warnings.warn(str(warning), InputWarning, stacklevel=2)
    data = Dataset(
        tables, sources, config, config_source, config_lines, frozenset(unreadable), ignored
    )
    # Contract §1: every id, service and team in its defining table's spelling.
    data = canonical_dataset(data, issues)
    if not collect_only:
        issues.raise_if_any()
    return data


def _sheet_alone(
    directory: Path, sheet: Sheet, table: str, issues: IssueCollector
) -> tuple[Path | None, bool]:
    """``caseaudit.xlsx``'s sheet for ``table``, unless a file gives the table too: two
    sources for one table are an input error naming both (issue 24)."""
    others = table_files(directory, table)
    if not others:
        return sheet.path, False
    issues.add(
        f"{sheet.path.name}:{sheet.sheet}",
        1,
        "-",
        f"{table} is given twice, by this sheet and by {' and '.join(others)}: keep only one",
        Priority.FILE,
    )
    return None, True


def _misnamed_tables(directory: Path, issues: IssueCollector) -> set[str]:
    """Tables whose file is there under a wrong name, or beside a look-alike (contract §1).

    A file whose name looks like a table's but is not exactly ``<name>.csv`` or
    ``<name>.parquet`` (``exemptions (1).csv``, ``Cases.csv``, ``cases_final.csv``,
    ``Copy of staff.csv``, ``exemption.csv``, ``cases.xlsx`` beside ``cases.csv``) is an
    error: beside the table's file it names both (an edited copy must never be silently
    passed over); alone, it names the file the table must be. A table whose only file is
    misnamed is returned, so that it reads as unreadable rather than as absent (absent, a
    rule would silently switch off). Any other ``.csv`` or ``.parquet`` file is ignored
    with a warning; other files (``notes.txt``, ``README.md``) are not looked at.
    """
    entries = sorted(directory.iterdir())
    # Exact names as listed, not ``Path.exists``: on a case-insensitive disk "Cases.csv"
    # would otherwise pass for cases.csv and be read without a word.
    names = {path.name for path in entries}
    table_files = {f"{name}{suffix}" for name in TABLES for suffix in (".csv", ".parquet")}
    misnamed: set[str] = set()
    for path in entries:
        suffix = path.suffix.lower()
        if suffix not in TABLE_SUFFIXES or path.name in table_files or not path.is_file():
            continue
        table = looks_like_table(path.name)
        exact = path.stem == table  # cases.xlsx: _find_table_file's message when alone
        own = [f"{table}{ending}" for ending in (".csv", ".parquet") if f"{table}{ending}" in names]
        if table is None:
            if suffix in (".csv", ".parquet"):
                issues.warn(path.name, 1, "-", _ignored_file(path.stem))
        elif own and exact and suffix in WORKBOOK_SUFFIXES:  # issue 24: two sources
            issues.add(
                path.name,
                1,
                "-",
                f"{table} is given twice, by {path.name} and by {own[0]}: keep only one",
                Priority.FILE,
            )
        elif own:
            issues.add(
                path.name,
                1,
                "-",
                f"{path.name} looks like a copy of {own[0]}: keep the one that holds the "
                f"data, named {own[0]}, and move the other out of the data folder",
                Priority.FILE,
            )
        elif not exact:
            misnamed.add(table)
            readable = (".csv", ".parquet", *WORKBOOK_SUFFIXES)
            wanted = f"{table}{suffix}" if suffix in readable else f"{table}.csv"
            how = "" if suffix in readable else f" ({SAVE_AS_CSV})"
            issues.add(
                path.name,
                1,
                "-",
                f"not a table's file name: did you mean {wanted}?{how}",
                Priority.FILE,
            )
    return misnamed


#: Words and numbers that a copy's name adds to the table's ("Copy of", " (1)", "_final",
#: "- Copy", "v2", "old", a date), left out before a name is compared with the tables'.
_COPY_WORDS = frozenset(
    {"copy", "of", "final", "old", "new", "backup", "bak", "edited", "latest", "draft", "tmp"}
)
_COPY_TOKEN = re.compile(r"(?:v?\d+)")


def looks_like_table(file_name: str) -> str | None:
    """The input table a file name looks like (contract §1 look-alike files), or None.

    The name (without its last suffix) is read as words: Unicode NFKC, case-folded, split
    at anything that is not a letter or digit. It looks like a table when the table's
    words appear together in it, whole (``cases_final``, ``Copy of Staff``, ``break
    preferences (1)``), or when, without the words a copy adds, it is a near miss of the
    table's name (``exemption``, ``exemptons``). Whole words only, so ``break_decisions``
    is not ``breaks``; a name caseaudit gives one of its outputs is never a look-alike
    (``breaks_by_month``, ``moderation``, ``challenges_open``): it is said to be an output.
    """
    stem = unicodedata.normalize("NFKC", file_name).casefold().rsplit(".", 1)[0]
    words = re.findall(r"[^\W_]+", stem)
    if "_".join(words) in OUTPUT_TABLES.keys() - TABLES.keys():
        return None
    matches = [
        name
        for name in TABLES
        if any(
            words[i : i + len(name.split("_"))] == name.split("_")
            for i in range(len(words) - len(name.split("_")) + 1)
        )
    ]
    if matches:
        return max(matches, key=lambda name: (len(name.split("_")), name))
    kept = [w for w in words if w not in _COPY_WORDS and not _COPY_TOKEN.fullmatch(w)]
    close = difflib.get_close_matches("_".join(kept), list(TABLES), n=1, cutoff=NEAR_MISS)
    return close[0] if close else None


def _ignored_file(stem: str) -> str:
    words = "_".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", stem).casefold()))
    if words in OUTPUT_TABLES.keys() - TABLES.keys():
        return "an output of caseaudit, not one of its input tables: ignored"
    return "not one of caseaudit's tables: ignored"


def _find_table_file(
    directory: Path, schema: TableSchema, issues: IssueCollector
) -> tuple[Path | None, bool]:
    """The table's file, and whether something was found that cannot be read as it."""
    csv_path = directory / f"{schema.name}.csv"
    parquet_path = directory / f"{schema.name}.parquet"
    folders = [path for path in (csv_path, parquet_path) if path.exists() and not path.is_file()]
    for folder in folders:
        issues.add(
            folder.name,
            1,
            "-",
            f"{folder.name} is a folder, not a file: the table must be a file named "
            f"{folder.name} (rename or move the folder)",
            Priority.FILE,
        )
    if folders:
        return None, True
    if csv_path.exists() and parquet_path.exists():
        issues.add(
            csv_path.name,
            1,
            "-",
            f"both {csv_path.name} and {parquet_path.name} are present; keep only one",
            Priority.FILE,
        )
        return None, True
    if csv_path.exists():
        return csv_path, False
    if parquet_path.exists():
        return parquet_path, False
    workbooks = [directory / f"{schema.name}{s}" for s in WORKBOOK_SUFFIXES]
    workbooks = [path for path in workbooks if path.is_file()]
    if len(workbooks) > 1:
        names = " and ".join(path.name for path in workbooks)
        issues.add(
            workbooks[0].name,
            1,
            "-",
            f"{schema.name} is given twice, by {names}: keep only one",
            Priority.FILE,
        )
        return None, True
    if workbooks:
        return workbooks[0], False  # issue 24: a workbook is read like CSV
    for suffix in SPREADSHEET_SUFFIXES:
        other = directory / f"{schema.name}{suffix}"
        if other.exists():
            issues.add(
                other.name,
                1,
                "-",
                f"{other.name} is a spreadsheet: save it as CSV UTF-8 or Parquet "
                f"({csv_path.name} or {parquet_path.name})",
                Priority.FILE,
            )
            return None, True
    for suffix in OTHER_TEXT_SUFFIXES:
        other = directory / f"{schema.name}{suffix}"
        if other.exists():
            issues.add(
                other.name,
                1,
                "-",
                f"{other.name} is not read: {SAVE_AS_CSV}, named {csv_path.name}",
                Priority.FILE,
            )
            return None, True
    if schema.required_table:
        issues.add(
            csv_path.name,
            1,
            "-",
            f"required table missing: add {csv_path.name} or {parquet_path.name}",
            Priority.FILE,
        )
    return None, False


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_table(
    path: Path, schema: TableSchema, issues: IssueCollector, sheet: Sheet | None = None
) -> tuple[pd.DataFrame, bool, str]:
    """The typed table, whether it can be trusted (its file and header are sound), and
    the name messages give it (a workbook's: ``cases.xlsx:cases``, issue 24).

    Cells of the columns that are there are checked even when the header is not sound,
    so that one run reports every problem; the table is then marked unreadable.
    """
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        given = read_sheet(path, schema, issues, sheet.sheet if sheet else None)
        if given is None:
            return Dataset.empty_table(schema.name), False, path.name
        frame, sound = _typed_table(given.label, schema, given.header, given.cells, issues)
        return frame, sound, given.label
    raw = _read_raw(path, schema, issues)
    if raw is None:
        return Dataset.empty_table(schema.name), False, path.name
    header, cells = raw
    return (*_typed_table(path.name, schema, header, cells, issues), path.name)


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
    return _typed_table(file, schema, header, cells, issues)


def _typed_table(
    file: str,
    schema: TableSchema,
    header: list[str],
    cells: pd.DataFrame,
    issues: IssueCollector,
) -> tuple[pd.DataFrame, bool]:
    """The header checked and every cell typed; the table and whether it is sound."""
    checked = _check_header(file, schema, header, cells, issues)
    if checked is None:
        return Dataset.empty_table(schema.name), False
    positions, sound = checked
    first_issue = len(issues.issues)
    texts = [_column_texts(cells.iloc[:, position]) for position in range(cells.shape[1])]
    lines = list(range(2, len(cells) + 2))
    if len(cells):
        filled = np.zeros(len(cells), dtype=bool)
        for column_texts in texts:
            filled |= column_texts.filled
        if not filled.all():
            cells = cells[filled]
            lines = np.arange(2, len(filled) + 2)[filled].tolist()
            texts = [column_texts.kept(filled) for column_texts in texts]
    typed: dict[str, Any] = {}
    for column in schema.columns:
        if column.name in positions:
            position = positions[column.name]
            values = texts[position].values
            typed[column.name] = _parse_column(values, column, lines, file, issues, texts[position])
        else:
            typed[column.name] = [column.default] * len(cells)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in typed.items()})
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
    if not known and _header_below(schema, cells):
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


def _header_below(schema: TableSchema, cells: pd.DataFrame) -> bool:
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


def _read_raw(
    path: Path, schema: TableSchema, issues: IssueCollector
) -> tuple[list[str], pd.DataFrame] | None:
    """The header as written and the cells by position (row i on spreadsheet line
    i + 2), or None when the file cannot be read as a table (reported)."""
    if path.suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises many kinds; the message locates it
            issues.add(
                path.name,
                1,
                "-",
                f"not a readable Parquet file ({type(exc).__name__}): write it again as "
                f"Parquet, or save the table as {path.stem}.csv (CSV UTF-8)",
                Priority.FILE,
            )
            return None
        header = [str(name) for name in table.column_names]
        frame = table.to_pandas(types_mapper=None, date_as_object=True)
        frame.columns = range(len(header))
        return header, frame
    return _read_csv(path, schema, issues)


def _read_csv(
    path: Path, schema: TableSchema, issues: IssueCollector
) -> tuple[list[str], pd.DataFrame] | None:
    data = path.read_bytes()

    def root_cause(line: int, message: str) -> None:
        issues.add(path.name, line, "-", message, Priority.FILE)

    if not_text := _not_csv_text(path, data):
        root_cause(1, not_text)
        return None
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    # Contract §1: LF, CRLF or CR ("CSV (Macintosh)") line ends, all read as LF, so that
    # the rows and the line numbers of messages are the same whichever was written.
    if b"\r" in data:
        data = LINE_END.sub(b"\n", data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        root_cause(data[: exc.start].count(b"\n") + 1, _not_utf8(data, exc.start))
        return None
    if not text.strip():
        root_cause(1, "the file is empty: a header row is required")
        return None
    if separator := _other_separator(text, schema):
        root_cause(
            1,
            f"this file is separated by {separator}, not commas: save it as CSV UTF-8 "
            "(comma-delimited)",
        )
        return None
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            # Keep blank lines so that row i stays on spreadsheet line i + 2; empty rows
            # (also Excel's ",,,," for a cleared row) are dropped after numbering.
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        lines = text.split("\n", 2)
        below = pd.DataFrame([next(csv.reader([lines[1]]), [])]) if len(lines) > 1 else None
        if below is not None and _header_below(schema, below):
            root_cause(1, TITLE_ROW)  # a one-cell title, then the header's many cells
        else:
            root_cause(*_malformed(str(exc)))
        return None
    header = [str(name) for name in frame.iloc[0]]
    cells = frame.iloc[1:].reset_index(drop=True)
    cells.columns = range(len(header))
    return header, cells


def _not_csv_text(path: Path, data: bytes) -> str | None:
    """Why ``data`` is not CSV text at all, judged by its first bytes."""
    if data.startswith((_ZIP, _OLE)):
        return (
            f"{path.name} is a spreadsheet saved under a .csv name, not CSV text: "
            f"{SAVE_AS_CSV}, or as Parquet"
        )
    if data.startswith(_PARQUET):
        return f"{path.name} is a Parquet file: rename it {path.stem}.parquet"
    if data.startswith(_UTF16_BOMS):
        return f'UTF-16 text (Excel\'s "Unicode Text"), not CSV UTF-8: {SAVE_AS_CSV}'
    if b"\x00" in data[:8192]:
        return f"not CSV text (the file holds binary data): {SAVE_AS_CSV}"
    return None


def _not_utf8(data: bytes, start: int) -> str:
    """The message for a byte that is not UTF-8: the byte, the character Windows-1252
    (what Excel writes for "CSV" on Windows) reads it as, and the column it is in —
    never the cell's text, which may be someone's name."""
    line_start = data.rfind(b"\n", 0, start) + 1
    field = data[line_start:start].count(b",")
    header = data[: max(data.find(b"\n"), 0)].decode("utf-8", errors="replace").split(",")
    column = header[field].strip().lstrip("\ufeff") if field < len(header) else f"field {field}"
    character = bytes([data[start]]).decode("cp1252", errors="replace")
    return (
        f"not UTF-8 (byte 0x{data[start]:02X}, {character!r} in Windows-1252, in column "
        f"{column}): save the file as CSV UTF-8"
    )


def _other_separator(text: str, schema: TableSchema) -> str | None:
    """The separator the header is written with, when it is not the comma: the one that
    splits the header into the most of the table's column names."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    known = set(schema.column_names)

    def recognised(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(normalise_header(cell) in known for cell in cells)

    with_commas = recognised(",")
    best = max(SEPARATORS, key=recognised)
    return SEPARATORS[best] if recognised(best) > with_commas else None


def _malformed(error: str) -> tuple[int, str]:
    """A located message for pandas' tokenizer error."""
    if match := re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error):
        expected, line, saw = (int(g) for g in match.groups())
        return line, (
            f"this row has {plural(saw, 'cell')} but the header has {expected}: a value "
            "that holds a comma must be in double quotes"
        )
    if match := re.search(r"inside string starting at row (\d+)", error):
        return int(match.group(1)) + 1, 'a double quote (") opened on this line is never closed'
    match = re.search(r"line (\d+)", error)
    return (int(match.group(1)) if match else 1), "malformed CSV row (wrong number of cells?)"


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

    values: np.ndarray
    filled: np.ndarray
    cleaned: np.ndarray | None

    def kept(self, rows: np.ndarray) -> _ColumnTexts:
        """The same column with only ``rows`` (a boolean mask)."""
        cleaned = None if self.cleaned is None else self.cleaned[rows]
        return _ColumnTexts(self.values[rows], self.filled[rows], cleaned)


def _clean_one(value: str) -> str | None:
    """``_clean_texts`` of one text: as a fixed-width numpy string it loses its trailing
    NULs, then it is trimmed; empty is None."""
    return value.rstrip("\x00").strip() or None


def _column_texts(column: pd.Series) -> _ColumnTexts:
    """``_clean_texts`` of a column, by Python only for the cells it may change."""
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
        cleaned_uniques[:-1] = [_clean_one(value) for value in uniques]
        cleaned = cleaned_uniques[codes]  # code -1 (null) takes the last, None
    return _ColumnTexts(values, cleaned != None, cleaned)  # noqa: E711


def _parse_column(
    values: np.ndarray,
    column: Column,
    lines: list[int],
    file: str,
    issues: IssueCollector,
    texts: _ColumnTexts | None = None,
) -> list[object] | np.ndarray:
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
