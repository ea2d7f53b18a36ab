"""``allocations.xlsx``: the hand-off as a workbook for people (issue 24, contract §5).

Every command that writes the hand-off (``allocate``, ``reallocate``) writes it beside
the CSV and Parquet files, one sheet per table of the command, ``allocations`` first:
cells typed by the tables' declarations (contract §1), so no cell needs the CSV's
formula escape, an id stays text (``00000597``), a date is a date, a boolean reads
Yes/No; a bold, frozen header with filters, columns as wide as their text. The rows are
in the order the CSV has them. Same tables, same bytes: the workbook's creation date
is the plan's month (not the clock) and ``xlsxwriter`` dates its zip entries 1980-01-01.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from caseaudit.model.config import OutputConfig
from caseaudit.model.outputs import OutputTable

#: The file's name, and the table whose presence makes a folder a hand-off.
HANDOFF_WORKBOOK = "allocations.xlsx"
HANDOFF_TABLE = "allocations"
#: How a boolean reads in the workbook.
YES, NO = "Yes", "No"
#: Column widths, in characters: never narrower than a date, never wider than a screen.
MIN_WIDTH, MAX_WIDTH = 10, 60
#: The creation date of a workbook whose tables name no month.
FIXED_CREATED = dt.datetime(2000, 1, 1)
#: Excel's own format for text (a cell a user edits stays text, leading zeros kept).
TEXT_FORMAT = "@"


def _is_null(value: object) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or value != value


def _created(month: object) -> dt.datetime:
    """The workbook's creation date: the first day of the plan's month."""
    if isinstance(month, str) and len(month) == 7:
        return dt.datetime(int(month[:4]), int(month[5:]), 1)
    return FIXED_CREATED


def workbook_bytes(
    tables: Mapping[str, tuple[OutputTable, pd.DataFrame]],
    options: OutputConfig,
    month: object = None,
) -> bytes:
    """Every table (declaration, rows in the written order) as a sheet, the hand-off
    first, then the others in the order given."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            # Cells are written by kind below; these only keep xlsxwriter from ever
            # guessing a formula, a link or a number in a text.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"created": _created(month), "title": "caseaudit hand-off"})
    date_pattern = "dd/mm/yyyy" if options.date_format == "dmy" else "yyyy-mm-dd"
    formats = {
        "header": book.add_format({"bold": True, "bottom": 1}),
        "text": book.add_format({"num_format": TEXT_FORMAT}),
        "month": book.add_format({"num_format": TEXT_FORMAT}),
        "date": book.add_format({"num_format": date_pattern}),
        "int": book.add_format({"num_format": "0"}),
        "float": book.add_format({"num_format": "General"}),
        "bool": book.add_format({}),
    }
    order = sorted(tables, key=lambda name: name != HANDOFF_TABLE)  # stable: hand-off first
    for name in order:
        table, frame = tables[name]
        _write_sheet(book.add_worksheet(name[:31]), table, frame, formats)
    book.close()
    return buffer.getvalue()


def _write_sheet(
    sheet: Worksheet,
    table: OutputTable,
    frame: pd.DataFrame,
    formats: Mapping[str, object],
) -> None:
    for position, column in enumerate(table.columns):
        sheet.write_string(0, position, column.name, formats["header"])
        kind = column.kind
        cell_format = formats[kind]
        width = len(column.name)
        for row, value in enumerate(frame[column.name].tolist(), start=1):
            if _is_null(value):
                continue
            if kind == "date":
                sheet.write_datetime(row, position, value, cell_format)
                continue
            if kind in ("int", "float"):
                sheet.write_number(row, position, value, cell_format)
                text = str(value)
            else:
                text = (YES if value else NO) if kind == "bool" else str(value)
                sheet.write_string(row, position, text, cell_format)
            width = max(width, len(text))
        if kind == "date":
            width = max(width, len("0000-00-00"))
        sheet.set_column(position, position, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(table.columns) - 1, 0))
