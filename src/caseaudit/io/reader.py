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
import difflib
import hashlib
import io
import re
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from caseaudit.io.config_reader import read_config
from caseaudit.io.workbook import (
    WORKBOOK_SUFFIXES,
    Sheet,
    combined_sheets,
    read_sheet,
    table_files,
)
from caseaudit.model.cells import NEAR_MISS, TITLE_ROW, header_below, normalise_header, typed_table
from caseaudit.model.dataset import Dataset, SourceFile
from caseaudit.model.errors import InputError, InputWarning, IssueCollector, Priority, plural
from caseaudit.model.identity import canonical_dataset
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.schema import TABLES, TableSchema
from caseaudit.model.validate import validate_dataset

#: Files a spreadsheet program saves, found where a table was expected.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")
#: Text exports that are not comma-separated CSV.
OTHER_TEXT_SUFFIXES = (".tsv", ".txt")
#: Every file name ending under which a table is looked for (and reported if unreadable).
TABLE_SUFFIXES = (".csv", ".parquet", *SPREADSHEET_SUFFIXES, *OTHER_TEXT_SUFFIXES)
SAVE_AS_CSV = 'save it as CSV UTF-8 (in Excel: Save As, "CSV UTF-8 (Comma delimited)")'
#: Separators Excel writes in some locales or exports, and how a message names them.
SEPARATORS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}
#: Binary signatures of files that are not CSV text, whatever their name says.
_ZIP, _OLE, _PARQUET = b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1"
_UTF8_BOM = b"\xef\xbb\xbf"
#: A line end as a CSV may be written: CRLF (Windows), CR (old Macintosh) or LF.
LINE_END = re.compile(rb"\r\n?")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


def load_dataset(
    data_dir: Path | str,
    month: str | None = None,
    stacklevel: int = 2,
    progress: Callable[[str], None] | None = None,
) -> Dataset:
    """Read every table and check every rule (contract §2: every problem reported
    together); raises ``InputError`` with the cell errors and cross-table errors of every
    file. A warning the checks add (a late challenge, say: issue 20) is shown with
    ``warnings.warn(..., stacklevel=stacklevel)``, counted from here: 2 names the caller
    (the reader shows its own). ``progress`` is told each stage as it starts (issue 24)."""
    issues = IssueCollector()
    if progress is not None:
        progress("reading")
    data = read_dataset(data_dir, issues)
    read_warnings = len(issues.warnings)
    if progress is not None:
        progress("checking")
    validate_dataset(data, month, issues).raise_if_any()
    for warning in issues.warnings[read_warnings:]:
        warnings.warn(str(warning), InputWarning, stacklevel=stacklevel)
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
        frame, sound = typed_table(given.label, schema, given.header, given.cells, issues)
        return frame, sound, given.label
    raw = _read_raw(path, schema, issues)
    if raw is None:
        return Dataset.empty_table(schema.name), False, path.name
    header, cells = raw
    return (*typed_table(path.name, schema, header, cells, issues), path.name)


def _read_raw(
    path: Path, schema: TableSchema, issues: IssueCollector
) -> tuple[list[str], pd.DataFrame] | None:
    """The header as written and the cells by position (row i on spreadsheet line
    i + 2), or None when the file cannot be read as a table (reported)."""
    if path.suffix == ".parquet":
        try:
            # Text read as dictionaries (as Parquet stores it): no text decoded twice.
            texts = [f.name for f in pq.read_schema(path) if _is_text(f.type)]
            table = pq.read_table(path, read_dictionary=texts)
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
        columns = {
            position: _parquet_cells(table.column(position)) for position in range(len(header))
        }
        return header, pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows))
    return _read_csv(path, schema, issues)


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _parquet_cells(column: pa.ChunkedArray) -> pd.Series:
    """A Parquet column's cells: text and dates as categories (each distinct value one
    Python object), so that the cells are typed once per distinct value (``model.cells``)
    and the table holds each value once; any other type as pandas reads it."""
    kind = column.type
    if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
        encoded = column.combine_chunks()  # one dictionary for the chunks'
        distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    elif _is_text(kind) or pa.types.is_date(kind):
        encoded = column.combine_chunks().dictionary_encode()
        distinct = np.empty(len(encoded.dictionary), dtype=object)
        distinct[:] = encoded.dictionary.to_pylist()  # few days, as ``datetime.date``
    else:
        return column.to_pandas(date_as_object=True)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    try:
        categories = pd.Categorical.from_codes(
            codes, categories=pd.Index(distinct, dtype=object), validate=False
        )
    except ValueError:  # a dictionary that holds a value twice (another writer's)
        return _parquet_cells(pa.chunked_array([encoded.cast(encoded.dictionary.type)]))
    return pd.Series(categories, copy=False)


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
        if below is not None and header_below(schema, below):
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
