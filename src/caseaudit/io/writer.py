"""Write output tables as CSV and typed Parquet, atomically (contract §1–2).

Each table is written as its declaration in ``caseaudit.model.outputs`` says: its
columns in order, each cell formatted by the column's declared type, rows sorted by the
declared key. A frame whose columns or values do not match is refused (a bug, never a
silently mistyped file). A whole run's files are written into a temporary sibling
directory and moved into place at the end, so a run that fails half-way leaves no
half-written table; the temporary directory's name never appears in a message. Which
folder may be written, and how, is ``caseaudit.io.folders``'s (contract §2).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from caseaudit.io.folders import OutputLocationError, check_output_dir, write_folder
from caseaudit.io.workbook_out import HANDOFF_TABLE, HANDOFF_WORKBOOK, workbook_bytes
from caseaudit.model.calendar import MONTH_PATTERN
from caseaudit.model.config import OutputConfig
from caseaudit.model.outputs import OUTPUT_TABLES, OutputTable

__all__ = ["OutputLocationError", "OutputSchemaError", "check_output_dir", "write_outputs"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Parquet types by declared kind (contract §1: months as ``YYYY-MM`` text).
ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "month": pa.string(),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
}
#: Which Python values each declared kind accepts (null is accepted everywhere).
ACCEPTS: dict[str, Callable[[object], bool]] = {
    "text": lambda v: isinstance(v, str),
    "month": lambda v: isinstance(v, str) and MONTH_PATTERN.match(v) is not None,
    # A datetime (or pandas Timestamp) is a date with a time: not what a date column holds.
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "bool": lambda v: isinstance(v, bool | np.bool_),
    "int": lambda v: isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_),
    "float": lambda v: isinstance(v, float | np.floating) and bool(np.isfinite(v)),
}


class OutputSchemaError(TypeError):
    """A table does not match its declaration: a bug in the code that built it."""


def escape_formula(text: str) -> str:
    """Prefix ``'`` so a spreadsheet never runs a cell as a formula (contract §1)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _is_null(value: object) -> bool:
    return (
        value is None
        or value is pd.NaT
        or value is pd.NA
        or (isinstance(value, float) and np.isnan(value))
    )


def _cell(value: object, kind: str, options: OutputConfig) -> str:
    """One CSV cell as contract §1 writes its declared kind."""
    if _is_null(value):
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "date":
        if not isinstance(value, dt.date):
            raise OutputSchemaError(f"a date column holds {value!r}")
        return value.strftime("%d/%m/%Y") if options.date_format == "dmy" else value.isoformat()
    if kind == "int":
        return str(value)
    if kind == "float":  # the shortest text that reads back as the same number
        return repr(float(value))  # type: ignore[arg-type]
    return escape_formula(str(value))


def _sort_text(value: object) -> str:
    if _is_null(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


#: Sets of value types within which equal values have the same text: a column of these
#: is formatted once per distinct value (not 1 and True, 0.0 and -0.0, a date and a
#: datetime, which compare equal but read differently).
_TEXT_BY_VALUE = (
    frozenset({str, dt.date, type(None)}),
    frozenset({bool, type(None)}),
    frozenset({int, type(None)}),
)


def _by_value(values: Sequence[object]) -> bool:
    types = set(map(type, values))
    return any(types <= allowed for allowed in _TEXT_BY_VALUE)


def _texts(values: list[object], text: Callable[[object], str]) -> list[str]:
    """``text`` of each value, worked out once per distinct value when that is the same."""
    if not _by_value(values):
        return [text(v) for v in values]
    text_of = {v: text(v) for v in set(values)}
    return list(map(text_of.__getitem__, values))


#: Arrow types whose text (cast to string: ISO dates, ``true``/``false``, decimal
#: integers) is ``_sort_text``'s, by the one Python type a column holds besides None.
_ARROW_TEXT = {str: pa.string(), dt.date: pa.date32(), bool: pa.bool_(), int: pa.int64()}


def _arrow_ranks(values: Sequence[object]) -> np.ndarray | None:
    """``_sort_ranks`` in Arrow for a column of one plain type (and None), else None.

    UTF-8 bytes order as code points do, so Arrow's dense rank of the texts is the rank
    ``sorted`` would give; a text Arrow cannot hold (a lone surrogate, an integer past 64
    bits) leaves the column to Python."""
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) != 1 or (arrow_type := _ARROW_TEXT.get(kinds.pop())) is None:
        return None
    # Only the distinct values are ranked (a column repeats them); None is code -1,
    # which picks the text "" appended at the end.
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    try:
        array = pa.array(distinct, type=arrow_type)
    except (OverflowError, ValueError, pa.ArrowException):
        return None
    texts = pa.concat_arrays([pc.cast(array, pa.string()), pa.array([""])])
    return np.asarray(pc.rank(texts, tiebreaker="dense"), dtype=np.int64)[codes]


def _sort_ranks(values: Sequence[object]) -> np.ndarray:
    """Each value's rank among the column's distinct ``_sort_text``s (code point order)."""
    ranks = _arrow_ranks(values)
    if ranks is not None:
        return ranks
    if _by_value(values):
        text_of = {v: _sort_text(v) for v in set(values)}
        rank = {text: position for position, text in enumerate(sorted(set(text_of.values())))}
        rank_of = {v: rank[text] for v, text in text_of.items()}
        return np.fromiter(map(rank_of.__getitem__, values), dtype=np.int64, count=len(values))
    texts = [_sort_text(v) for v in values]
    rank = {text: position for position, text in enumerate(sorted(set(texts)))}
    return np.fromiter(map(rank.__getitem__, texts), dtype=np.int64, count=len(texts))


def sort_rows(frame: pd.DataFrame, key: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows by ``key`` (default: every column in order), as text by code point
    (contract §1); rows that compare equal keep their order."""
    if frame.empty:
        return frame.reset_index(drop=True)
    columns = list(key) if key is not None else list(frame.columns)
    # Ranking each column's texts and sorting the ranks (stably) orders the rows as
    # sorting their tuples of texts would.
    selected = frame[columns]
    if selected.shape[1] == 0:
        return frame.reset_index(drop=True)
    return frame.iloc[_order(selected)].reset_index(drop=True)


def _values(column: pd.Series) -> Sequence[object]:
    """A column's Python values: an object column's own array (no copy), else a list."""
    return column.to_numpy() if column.dtype == object else column.tolist()


def _order(selected: pd.DataFrame) -> np.ndarray:
    """The stable order of the rows by their columns' ranks, the first column first.

    Dense ranks fit in few bits: the columns are packed into one number per row and
    sorted once, the order ``lexsort`` gives over every column. Once the packed numbers
    all differ, the later columns cannot reorder anything and are not ranked (an id
    first, as most tables have, settles the order alone). Keys too wide to pack in 63
    bits are sorted by ``lexsort``."""
    count = selected.shape[1]
    ranks: list[np.ndarray] = []
    packed = np.zeros(len(selected), dtype=np.int64)
    bits = 0
    for i in range(count):
        rank = _sort_ranks(_values(selected.iloc[:, i]))
        ranks.append(rank)
        width = int(rank.max()).bit_length()
        if bits + width > 63:
            ranks += [_sort_ranks(_values(selected.iloc[:, j])) for j in range(i + 1, count)]
            return np.lexsort(ranks[::-1])
        packed = (packed << width) | rank
        bits += width
        order = np.argsort(packed, kind="stable")
        ordered = packed[order]
        if not (ordered[1:] == ordered[:-1]).any():
            break
    return order


def _column_cells(values: list[object], kind: str, options: OutputConfig) -> list[str]:
    """``_cell`` of each value of a column; texts without a formula start as they are."""
    if kind in ("bool", "date", "int"):
        return _texts(values, lambda v: _cell(v, kind, options))
    return [
        v
        if type(v) is str and not v.startswith(FORMULA_STARTS)
        else ""
        if v is None
        else _cell(v, kind, options)
        for v in values
    ]


def csv_bytes(frame: pd.DataFrame, kinds: Mapping[str, str], options: OutputConfig) -> bytes:
    """The frame as CSV text, each column formatted by its kind in ``kinds``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = list(frame.columns)
    writer.writerow(columns)
    if not columns:  # a row without cells is still a line
        writer.writerows([] for _ in range(len(frame)))
    cells = [
        _column_cells(frame.iloc[:, position].tolist(), kinds[column], options)
        for position, column in enumerate(columns)
    ]
    writer.writerows(zip(*cells, strict=True))
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if options.bom else data


def check_frame(table: OutputTable, frame: pd.DataFrame) -> None:
    """Refuse a frame whose columns or values do not match the table's declaration."""
    if list(frame.columns) != table.column_names:
        raise OutputSchemaError(
            f"{table.name}: columns {list(frame.columns)} differ from the declared "
            f"{table.column_names}"
        )
    for column, kind in table.kinds.items():
        accepts = ACCEPTS[kind]
        values = frame[column].tolist()
        if _all_accepted(values, kind):
            continue
        for position, value in enumerate(values):
            if not _is_null(value) and not accepts(value):
                raise OutputSchemaError(
                    f"{table.name}.{column} (declared {kind}), row {position}: "
                    f"{value!r} of type {type(value).__name__}"
                )


#: The types of the values each declared kind accepts without a closer look.
_PLAIN_TYPES: dict[str, frozenset[type]] = {
    "text": frozenset({str, type(None)}),
    "month": frozenset({str, type(None)}),
    "date": frozenset({dt.date, type(None)}),
    "bool": frozenset({bool, np.bool_, type(None)}),
    "int": frozenset({int, type(None)}),
    "float": frozenset({float, type(None)}),
}


def _all_accepted(values: list[object], kind: str) -> bool:
    """Whether every value is null or accepted by ``ACCEPTS[kind]``, judged by the
    values' types (and a month's distinct texts); False means: look one by one."""
    if not set(map(type, values)) <= _PLAIN_TYPES[kind]:
        return False
    if kind == "month":
        return all(ACCEPTS["month"](v) for v in set(values) if v is not None)
    return True


def arrow_table(frame: pd.DataFrame, table: OutputTable) -> pa.Table:
    """Real types from the declaration; raw values (no formula escaping)."""
    schema = pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in table.columns])
    arrays = []
    for column in table.columns:
        values = frame[column.name].tolist()
        # Nulls of other kinds, and a float column's NaN (pandas' null for floats), are
        # written as null, as the CSV writes them empty (contract §1).
        if column.kind == "float" or not set(map(type, values)) <= _PLAIN_TYPES[column.kind]:
            values = [None if _is_null(v) else v for v in values]
        arrays.append(pa.array(values, type=ARROW_TYPES[column.kind]))
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(frame: pd.DataFrame, table: OutputTable) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(frame, table), sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


#: How ``write_outputs`` opens each extra file in its fresh staging folder.
_NEW_FILE = (
    os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)


def write_outputs(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, object],
    options: OutputConfig,
    force: bool = False,
    files: Mapping[str, bytes] | None = None,
) -> None:
    """Write every table as CSV and Parquet plus ``manifest.json``, all or nothing (a
    hand-off, ``allocations``, also as ``allocations.xlsx``: issue 24); ``files`` (name
    → bytes, a figure say) are written beside them in the same move."""
    out_dir = Path(out_dir)
    declared: list[tuple[OutputTable, pd.DataFrame]] = []
    for name, frame in tables.items():
        if name not in OUTPUT_TABLES:
            raise OutputSchemaError(f"{name}: not a declared output table")
        table = OUTPUT_TABLES[name].as_written(list(frame.columns))
        declared.append((table, frame))
        check_frame(table, frame)

    def fill(staging: Path) -> None:
        written: dict[str, tuple[OutputTable, pd.DataFrame]] = {}
        for table, frame in declared:
            # A list P&Q chase from is written most urgent first (issue 10).
            ordered = (
                table.urgent_first(frame) if table.urgency else sort_rows(frame, table.sort_key)
            )
            # A table caseaudit reads back keeps the dates its reader takes (ISO).
            table_options = (
                options.model_copy(update={"date_format": "iso"}) if table.read_back else options
            )
            (staging / f"{table.name}.csv").write_bytes(
                csv_bytes(ordered, table.kinds, table_options)
            )
            (staging / f"{table.name}.parquet").write_bytes(parquet_bytes(ordered, table))
            written[table.name] = (table, ordered)
        if HANDOFF_TABLE in written:  # the hand-off for people, issue 24
            month = manifest.get("month")
            (staging / HANDOFF_WORKBOOK).write_bytes(workbook_bytes(written, options, month))
        folders: set[str] = set()
        for file_name, content in (files or {}).items():
            # Tens of thousands of notices: each folder made once, plain paths.
            path = os.path.join(staging, file_name)
            folder = os.path.dirname(path)
            if folder not in folders:
                os.makedirs(folder, exist_ok=True)  # notices/
                folders.add(folder)
            # One open, write and close a file (``open`` adds a stat and a tty check).
            descriptor = os.open(path, _NEW_FILE, 0o666)
            try:
                left = memoryview(content)
                while left:  # a write may take only part of it
                    left = left[os.write(descriptor, left) :]
            finally:
                os.close(descriptor)

    write_folder(out_dir, force, "output", fill, manifest)
