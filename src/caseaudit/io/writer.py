"""Write output tables as CSV and typed Parquet, atomically (contract §1–2).

A whole run's files are written into a temporary sibling directory and moved into place
at the end, so a run that fails half-way leaves no half-written table.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from caseaudit.model.config import OutputConfig

DATE_COLUMNS = frozenset(
    {
        "distributed_on",
        "due_on",
        "requested_on",
        "confirmed_on",
        "reflection_meeting_by",
        "review_meeting_on",
        "reaudit_deadline",
        "decided_on",
        "assigned_on",
        "raised_on",
    }
)
BOOL_COLUMNS = frozenset({"is_reaudit", "on_time", "honoured", "consensus_reached"})
INT_COLUMNS = frozenset({"rank", "count", "year_count"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class OutputExistsError(Exception):
    """The output directory exists and is not empty, and ``--force`` was not given."""


def check_output_dir(out_dir: Path, force: bool) -> None:
    """Refuse a non-empty output directory unless ``force`` (contract §2: exit 2)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(
            f"{out_dir} is not empty; pass --force to replace it (the whole directory)"
        )


def escape_formula(text: str) -> str:
    """Prefix ``'`` so a spreadsheet never runs a cell as a formula (contract §1)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: object, column: str, options: OutputConfig) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if options.date_format == "dmy" else value.isoformat()
    return escape_formula(str(value))


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by the first column, then the next, as text by code point (contract §1)."""
    if frame.empty:
        return frame.reset_index(drop=True)
    keys = [
        tuple("" if _is_null(v) else _sort_text(v) for v in row)
        for row in frame.itertuples(index=False)
    ]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return frame.iloc[order].reset_index(drop=True)


def _is_null(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value))


def _sort_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_bytes(frame: pd.DataFrame, options: OutputConfig) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    columns = list(frame.columns)
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_cell(v, c, options) for v, c in zip(row, columns, strict=True)])
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if options.bom else data


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """Real types: dates as date32, booleans as bool, everything else text (raw values)."""
    arrays = []
    for column in frame.columns:
        values = [None if _is_null(v) else v for v in frame[column].tolist()]
        if column in DATE_COLUMNS:
            arrays.append(pa.array(values, type=pa.date32()))
        elif column in BOOL_COLUMNS:
            arrays.append(pa.array(values, type=pa.bool_()))
        elif column in INT_COLUMNS:
            arrays.append(pa.array(values, type=pa.int64()))
        else:
            arrays.append(
                pa.array([None if v is None else str(v) for v in values], type=pa.string())
            )
    return pa.Table.from_arrays(arrays, names=list(frame.columns))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(frame), sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def write_outputs(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, object],
    options: OutputConfig,
    force: bool = False,
) -> None:
    """Write every table as CSV and Parquet plus ``manifest.json``, all or nothing."""
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    try:
        for name, frame in tables.items():
            ordered = sort_rows(frame)
            (staging / f"{name}.csv").write_bytes(csv_bytes(ordered, options))
            (staging / f"{name}.parquet").write_bytes(parquet_bytes(ordered))
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
        )
        os.chmod(staging, 0o755)
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=parent))
            os.replace(out_dir, retired / "previous")
            os.replace(staging, out_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
