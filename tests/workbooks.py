"""Test helper: a data folder's CSV tables written as workbooks, typed as a P&Q officer's
spreadsheet types them (issue 24): ids and other text as text cells, dates as date
cells, booleans as TRUE/FALSE, whole numbers as numbers; or converted by LibreOffice,
imported as P&Q are told to (every column as Text but the dates)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter

from caseaudit.model.cells import normalise_header, parse_date
from caseaudit.model.schema import TABLES

#: A cell written as given instead of from the CSV: (table, row, column) → value, the
#: row counted as the sheet counts it (the header is row 1).
Cells = dict[tuple[str, int, str], object]


@dataclass(frozen=True)
class Formula:
    """A formula cell and the value a spreadsheet saved with it (``#N/A``: an error)."""

    formula: str
    shown: str


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
            if isinstance(given, Formula):
                sheet.write_formula(row, position, given.formula, None, given.shown)
                continue
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


#: LibreOffice's CSV import filter, its Text Import dialog's choices in order: separated by
#: commas (44), text in double quotes (34), UTF-8 (76), from line 1; then each column's
#: type (below); the language left as it is; quoted fields not forced to text; special
#: numbers not detected (with every other column typed, nothing is left to detect).
LIBREOFFICE_CSV = "Text - txt - csv (StarCalc):44,34,76,1,{types},,false,false"
#: The column types of that dialog: Text, and Date in the order year, month, day.
TEXT, DATE_YMD = 2, 5


def import_types(table: str, header: list[str]) -> dict[int, int]:
    """What a P&Q officer is told to choose in the Text Import dialog, column by column
    (1-based): every column Text, so that ids keep their zeros and months stay months,
    but the dates, as Date (YMD)."""
    schema = TABLES[table]
    types = {}
    for position, name in enumerate(header, start=1):
        column = normalise_header(name)
        dated = column in schema.column_names and schema.column(column).kind == "date"
        types[position] = DATE_YMD if dated else TEXT
    return types


def libreoffice_workbooks(
    source: Path, target: Path, soffice: str, profile: Path, typed: bool = True
) -> None:
    """``source``'s CSV tables converted to ``<table>.xlsx`` by LibreOffice headless, each
    column typed as :func:`import_types` says (not ``typed``: as LibreOffice guesses, the
    CSV opened and saved with no choice made); ``config.toml`` is copied. LibreOffice
    takes one import filter for all the files of a run, so tables whose column types
    agree position by position are converted together (a few starts, not one a table)."""
    target.mkdir(parents=True)
    if (source / "config.toml").exists():
        shutil.copy(source / "config.toml", target / "config.toml")
    groups: list[tuple[dict[int, int], list[Path]]] = []
    for name in TABLES:
        path = source / f"{name}.csv"
        if not path.exists():
            continue
        header = pd.read_csv(path, dtype=str, nrows=0).columns.tolist()
        types = import_types(name, header) if typed else {}
        for merged, files in groups:
            if all(merged.get(position, kind) == kind for position, kind in types.items()):
                merged.update(types)
                files.append(path)
                break
        else:
            groups.append((types, [path]))
    for types, files in groups:
        columns = "/".join(f"{position}/{kind}" for position, kind in sorted(types.items()))
        infilter = [f"--infilter={LIBREOFFICE_CSV.format(types=columns)}"] if typed else []
        subprocess.run(
            [
                soffice,
                "--headless",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "xlsx",
                *infilter,
                "--outdir",
                str(target),
                *map(str, files),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    for _, files in groups:
        for path in files:  # LibreOffice says nothing when a file fails to convert
            assert (target / f"{path.stem}.xlsx").is_file(), f"LibreOffice did not convert {path}"
