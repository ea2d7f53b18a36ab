"""Append to the data directory's ``notices_sent`` table, one notice at a time, as the
mail server accepts each (issue 22).

A CSV is appended a whole line in one write to a file opened for appending, then synced,
so that a run stopped at any point leaves every line whole; a table that does not exist
yet is created as a CSV (header and row) through a temporary file moved into place. A
Parquet table is rewritten through a temporary file moved into place. Nothing else in
the data directory is touched.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from caseaudit.io.writer import escape_formula

HEADER = "notice_id,sent_on"


def _csv_line(notice_id: str, sent_on: dt.date) -> str:
    text = escape_formula(notice_id)
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return f"{text},{sent_on.isoformat()}"


def _replace(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record_sent(data_dir: Path, notice_id: str, sent_on: dt.date) -> None:
    """Add (notice_id, sent_on) to ``notices_sent`` in ``data_dir``."""
    parquet = data_dir / "notices_sent.parquet"
    if parquet.exists():
        table = pq.read_table(parquet)
        row = pa.table(
            {"notice_id": [notice_id], "sent_on": [sent_on]},
            schema=pa.schema([("notice_id", pa.string()), ("sent_on", pa.date32())]),
        )
        merged = pa.concat_tables(
            [
                table.select(["notice_id", "sent_on"]),
                row.cast(table.select(["notice_id", "sent_on"]).schema),
            ]
        )
        sink = pa.BufferOutputStream()
        pq.write_table(merged, sink)
        _replace(parquet, sink.getvalue().to_pybytes())
        return
    path = data_dir / "notices_sent.csv"
    line = _csv_line(notice_id, sent_on)
    if not path.exists():
        _replace(path, f"{HEADER}\n{line}\n".encode())
        return
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(size - 2, 0))
        tail = file.read()
    ending = "\r\n" if tail.endswith(b"\r\n") else "\n"
    lead = "" if tail.endswith((b"\n", b"\r")) or size == 0 else ending
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(descriptor, (lead + line + ending).encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
