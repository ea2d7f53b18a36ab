"""Write a data directory of input tables (used by ``caseaudit generate`` and tests)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from caseaudit.io.writer import ARROW_TYPES, csv_bytes, sort_rows
from caseaudit.model.config import OutputConfig
from caseaudit.model.schema import TABLES

#: An input enum is text in a file.
_ARROW_TYPES = {**ARROW_TYPES, "enum": pa.string()}


def write_input_tables(
    out_dir: Path, tables: Mapping[str, pd.DataFrame], file_format: str = "csv"
) -> list[Path]:
    """Write each table as ``<name>.csv`` or ``<name>.parquet`` with the schema's types."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # Arrow encodes and compresses a Parquet file without holding the GIL: each file is
    # written on a thread while the next table is sorted (an error is raised at the end).
    with ThreadPoolExecutor(max_workers=1) as parquet:
        pending: list[Future[None]] = []
        for name, frame in tables.items():
            schema = TABLES[name]
            # A column a later command adds (issue 21) is written only when some row has
            # it: a ledger that never held it keeps its header as it was.
            columns = [
                c.name
                for c in schema.columns
                if c.name in frame.columns
                and (not c.written_when_used or frame[c.name].notna().any())
            ]
            ordered = sort_rows(frame[columns])
            for stale in (out_dir / f"{name}.csv", out_dir / f"{name}.parquet"):
                stale.unlink(missing_ok=True)
            path = out_dir / f"{name}.{file_format}"
            if file_format == "csv":
                kinds = {c: schema.column(c).kind for c in columns}
                path.write_bytes(csv_bytes(ordered, kinds, OutputConfig()))
            else:
                # Missing values (None, NaN, NaT) found by pandas in one pass: null in Parquet.
                arrays = [
                    pa.array(
                        ordered[c].tolist(),
                        type=_ARROW_TYPES[schema.column(c).kind],
                        mask=ordered[c].isna().to_numpy(),
                    )
                    for c in columns
                ]
                table = pa.Table.from_arrays(arrays, names=columns)
                pending.append(parquet.submit(pq.write_table, table, path))
            written.append(path)
        for done in pending:
            done.result()
    return written


def write_history(data_dir: Path, history: pd.DataFrame) -> Path:
    """Replace the data directory's ``history`` (CSV or Parquet, as it is; CSV when there
    is none) atomically: written beside it, then moved over it (contract §2)."""
    existing = [p for p in (data_dir / "history.parquet", data_dir / "history.csv") if p.exists()]
    file_format = existing[0].suffix.lstrip(".") if existing else "csv"
    staging = data_dir / f".history.{file_format}.caseaudit-tmp"
    try:
        (written,) = write_input_tables(
            staging.parent / staging.name, {"history": history}, file_format
        )
        target = data_dir / f"history.{file_format}"
        os.replace(written, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
