"""Test helper: a data folder's CSV tables written as workbooks, typed as a P&Q officer's
spreadsheet types them (issue 24): ids and other text as text cells, dates as date
cells, booleans as TRUE/FALSE, whole numbers as numbers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import xlsxwriter

from caseaudit.model.cells import normalise_header, parse_date
from caseaudit.model.schema import TABLES

#: A cell written as given instead of from the CSV: (table, row, column) → value, the
#: row counted as the sheet counts it (the header is row 1).
Cells = dict[tuple[str, int, str], object]


def _write_sheet(
    book: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, cells: Cells | None = None
) -> None:
    sheet = book.add_worksheet(name)
    schema = TABLES[name]
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for position, header in enumerate(frame.columns):
        sheet.write_string(0, position, header)
        column = normalise_header(header)
        kind = schema.column(column).kind if column in schema.column_names else "text"
        for row, text in enumerate(frame[header].tolist(), start=1):
            given = (cells or {}).get((name, row + 1, header), text)
            if isinstance(given, dt.datetime):
                sheet.write_datetime(row, position, given, date_format)
                continue
            if given is not text:
                sheet.write(row, position, given)
                continue
            if text == "":
                continue
            if kind == "date":
                day = parse_date(text)
                sheet.write_datetime(
                    row, position, dt.datetime(day.year, day.month, day.day), date_format
                )
            elif kind == "bool":
                sheet.write_boolean(row, position, text.lower() in ("true", "yes", "y", "1"))
            elif kind in ("int", "float"):
                sheet.write_number(row, position, float(text))
            else:
                sheet.write_string(row, position, text)


def csv_folder_as_workbooks(
    source: Path, target: Path, combined: bool = False, cells: Cells | None = None
) -> None:
    """``source``'s tables as ``<table>.xlsx`` files, or (``combined``) as the sheets of
    one ``caseaudit.xlsx``, with ``cells`` written as given; ``config.toml`` is copied."""
    target.mkdir(parents=True)
    if (source / "config.toml").exists():
        shutil.copy(source / "config.toml", target / "config.toml")
    book = xlsxwriter.Workbook(target / "caseaudit.xlsx") if combined else None
    for name in TABLES:
        path = source / f"{name}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if book is None:
            one = xlsxwriter.Workbook(target / f"{name}.xlsx")
            _write_sheet(one, name, frame, cells)
            one.close()
        else:
            _write_sheet(book, name, frame, cells)
    if book is not None:
        book.close()
