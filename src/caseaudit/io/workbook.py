"""Input tables given as workbooks (issue 24, contract §1): ``<table>.xlsx`` or one
``caseaudit.xlsx`` with a sheet per table, read with ``python-calamine`` through pandas.

A sheet is turned into the cells a CSV would hold, text by position, and then typed by
the very rules that type a CSV (``caseaudit.io.reader``): a cell typed as a date gives
``YYYY-MM-DD``; a number in a date column is Excel's date serial number and gives its
date; a number elsewhere is written as a spreadsheet shows it (``597``, never
``597.0``), so that an id that lost its leading zeros is caught by the identity rules
(``caseaudit.model.identity``); text stays text (``00000597`` stays). Each table is
named ``<file>:<sheet>`` with its header's column letters, so messages locate a cell as
a spreadsheet does: ``cases.xlsx:cases!F12: team: ...``. A cell that shows a formula's
error (``#N/A``, ``#REF!``) is refused at its cell: calamine reads it as an empty cell.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pandas as pd
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name

from caseaudit.model.errors import IssueCollector, Priority, SheetFile
from caseaudit.model.schema import TABLES, TableSchema

#: Workbook files read as tables (calamine reads each); ``.numbers`` is not one.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: The workbook that holds every table, a sheet each (``caseaudit init --xlsx`` writes it).
COMBINED = "caseaudit.xlsx"
#: Sheets of ``caseaudit.xlsx`` that are not tables and are passed over without a word.
NOTES_SHEETS = frozenset({"readme"})
#: Day 0 of Excel's (1900) date serial numbers, as every serial past 1900-02-28 counts.
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: The serial number of 9999-12-31, the last date a spreadsheet holds.
LAST_SERIAL = 2958465


@dataclass(frozen=True)
class Sheet:
    """Where a table is given inside a workbook: the file and the sheet's name."""

    path: Path
    sheet: str


@dataclass(frozen=True)
class RawSheet:
    """A sheet's header and cells as text by position (row i on sheet row i + 2), and
    the name messages give it (with its column letters)."""

    label: SheetFile
    header: list[str]
    cells: pd.DataFrame


def table_of_sheet(name: str) -> str | None:
    """The table a sheet's name names (``Break preferences`` → ``break_preferences``)."""
    from caseaudit.model.cells import normalise_header

    normalised = normalise_header(name)
    return normalised if normalised in TABLES else None


def _sheet_names(path: Path, issues: IssueCollector) -> list[str] | None:
    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            return [str(name) for name in book.sheet_names]
    except Exception as exc:  # calamine raises many kinds; the message names the file
        issues.add(
            path.name,
            1,
            "-",
            f"not a readable workbook ({type(exc).__name__}): save it again from the "
            "spreadsheet program as an Excel workbook (.xlsx)",
            Priority.FILE,
        )
        return None


def combined_sheets(directory: Path, issues: IssueCollector) -> dict[str, Sheet]:
    """The tables ``caseaudit.xlsx`` gives, one sheet each (issue 24). A sheet whose name
    is no table is ignored with a warning (a ``README`` sheet without one); two sheets
    for one table are an error naming both."""
    path = directory / COMBINED
    if not path.is_file():
        return {}
    names = _sheet_names(path, issues)
    if names is None:
        return {}
    found: dict[str, Sheet] = {}
    for name in names:
        table = table_of_sheet(name)
        if table is None:
            if name.strip().casefold() not in NOTES_SHEETS:
                issues.warn(f"{COMBINED}:{name}", 1, "-", "not one of caseaudit's tables: ignored")
        elif table in found:
            issues.add(
                f"{COMBINED}:{name}",
                1,
                "-",
                f'sheets "{found[table].sheet}" and "{name}" both hold {table}: keep one',
                Priority.FILE,
            )
        else:
            found[table] = Sheet(path, name)
    return found


def table_files(directory: Path, table: str) -> list[str]:
    """The files of ``directory`` that give ``table`` by their own name, sorted."""
    endings = (".csv", ".parquet", *WORKBOOK_SUFFIXES)
    names = {path.name for path in directory.iterdir()}
    return sorted(f"{table}{ending}" for ending in endings if f"{table}{ending}" in names)


def read_sheet(
    path: Path, schema: TableSchema, issues: IssueCollector, sheet: str | None = None
) -> RawSheet | None:
    """The table's sheet as text cells: ``sheet``, else the sheet named like the table,
    else the first; None when the workbook cannot be read (reported, once)."""
    if sheet is None:
        names = _sheet_names(path, issues)
        if names is None:
            return None
        if not names:
            issues.add(path.name, 1, "-", "the workbook has no sheet", Priority.FILE)
            return None
        sheet = next((n for n in names if table_of_sheet(n) == schema.name), names[0])
    try:
        frame = pd.read_excel(
            path,
            sheet_name=sheet,
            header=None,
            dtype=object,
            engine="calamine",
            keep_default_na=False,
            na_filter=False,
        )
    except Exception as exc:  # as in _sheet_names
        issues.add(
            f"{path.name}:{sheet}",
            1,
            "-",
            f"the sheet cannot be read ({type(exc).__name__}): save the workbook again as "
            "an Excel workbook (.xlsx)",
            Priority.FILE,
        )
        return None
    from caseaudit.model.cells import normalise_header

    label = f"{path.name}:{sheet}"
    if frame.empty:
        issues.add(label, 1, "-", "the sheet is empty: a header row is required", Priority.FILE)
        return None
    header = [cell_text(value, None) for value in frame.iloc[0]]
    letters: dict[str, str] = {}
    kinds: list[str | None] = []
    for position, name in enumerate(header):
        normalised = normalise_header(name)
        letters.setdefault(normalised, xl_col_to_name(position))
        known = normalised in schema.column_names
        kinds.append(schema.column(normalised).kind if known else None)
    located = SheetFile(label, letters)
    if errors := error_cells(path, sheet):
        for (row, position), shown in sorted(errors.items()):
            named = normalise_header(header[position]) if position < len(header) else "-"
            issues.add(
                located,
                row + 1,
                named,
                f"the cell shows the error {shown} (a formula that failed): mend the "
                "formula or type the value",
                Priority.FILE,
            )
        return None  # the sheet's other cells may follow from the errors: not read
    cells = frame.iloc[1:].reset_index(drop=True)
    texts = pd.DataFrame(
        {
            position: [cell_text(value, kinds[position]) for value in cells.iloc[:, position]]
            for position in range(len(header))
        },
        index=cells.index,
    )
    return RawSheet(located, header, texts)


#: The XML parts of an .xlsx, found through its relationships (ECMA-376 part 1, §12).
_WORKBOOK_PART = "xl/workbook.xml"
_WORKBOOK_RELATIONSHIPS = "xl/_rels/workbook.xml.rels"


def _local(tag: str) -> str:
    """An XML name without its namespace (transitional and strict .xlsx differ in it)."""
    return tag.rpartition("}")[2]


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member that holds ``sheet``'s cells: workbook.xml names its relationship,
    the relationships its target."""
    book = ElementTree.fromstring(archive.read(_WORKBOOK_PART))
    ids = [
        value
        for element in book.iter()
        if _local(element.tag) == "sheet" and element.get("name") == sheet
        for key, value in element.attrib.items()
        if _local(key) == "id"
    ]
    if not ids:
        return None
    relationships = ElementTree.fromstring(archive.read(_WORKBOOK_RELATIONSHIPS))
    for relationship in relationships:
        if relationship.get("Id") == ids[0] and (target := relationship.get("Target")):
            if target.startswith("/"):
                return target.lstrip("/")
            return str(PurePosixPath("xl") / target)
    return None


def error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """The cells of ``sheet`` that show a formula's error (``#N/A``, ``#REF!``, ...), by
    row and column counted from 0, with the error as shown. calamine reads such a cell
    as an empty one (python-calamine issue 105), which would pass for a blank: an
    optional id or date silently missing, where contract §2 refuses invalid input at its
    cell. Looked for in .xlsx and .xlsm (an error cell is marked ``t="e"``) and in .ods
    as LibreOffice saves it (``calcext:value-type="error"``); an .xls is not looked into."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_error_cells(path, sheet)
    if suffix == ".ods":
        return _ods_error_cells(path, sheet)
    return {}


def _xlsx_error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet)
        if part is None or part not in archive.namelist():
            return {}
        data = archive.read(part)
    if b't="e"' not in data and b"t='e'" not in data:
        return {}  # no error cell: the usual sheet is not parsed a second time
    found: dict[tuple[int, int], str] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(data)):
        if _local(element.tag) != "c":
            continue
        if element.get("t") == "e" and (reference := element.get("r")):
            # Excel saves the error shown as the cell's value; "#VALUE!" if a writer did not
            shown = next((v.text for v in element if _local(v.tag) == "v" and v.text), "#VALUE!")
            found[xl_cell_to_rowcol(reference)] = shown
        element.clear()
    return found


#: OpenDocument's table namespace, and LibreOffice's mark of a cell showing an error.
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_ERROR = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"


def _ods_error_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """As :func:`error_cells` for an .ods: rows and cells are counted as written, a
    ``number-rows-repeated`` / ``number-columns-repeated`` one as that many."""
    with zipfile.ZipFile(path) as archive:
        if "content.xml" not in archive.namelist():
            return {}
        data = archive.read("content.xml")
    if b'value-type="error"' not in data:
        return {}
    name, rows_repeated, columns_repeated = (
        f"{{{_ODS_TABLE}}}{key}"
        for key in ("name", "number-rows-repeated", "number-columns-repeated")
    )
    found: dict[tuple[int, int], str] = {}
    inside, row, column = False, 0, 0
    for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = element.tag
        if tag == f"{{{_ODS_TABLE}}}table":
            inside = event == "start" and element.get(name) == sheet
        elif not inside:
            continue
        elif tag == f"{{{_ODS_TABLE}}}table-row":
            if event == "start":
                column = 0
            else:
                row += int(element.get(rows_repeated, "1"))
                element.clear()
        elif event == "end" and tag in (
            f"{{{_ODS_TABLE}}}table-cell",
            f"{{{_ODS_TABLE}}}covered-table-cell",
        ):
            if element.get(_ODS_ERROR) == "error":
                shown = "".join(element.itertext()).strip() or "#VALUE!"
                found[(row, column)] = shown
            column += int(element.get(columns_repeated, "1"))
    return found


def cell_text(value: object, kind: str | None) -> str:
    """A cell as CSV text, by the kind of its column (``None``: not a known column).

    A date cell is ``YYYY-MM-DD`` (in a month column, its month when it is the 1st: a
    spreadsheet turns ``2026-03`` into 1 March 2026); a number in a date column is a
    date serial number; any other number as a spreadsheet shows it, whole numbers without
    a decimal point (pandas gives 597.0 as the int 597).
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and kind == "date" and 1 <= value <= LAST_SERIAL:
        value = EXCEL_EPOCH + dt.timedelta(days=float(value))
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            return value.isoformat(sep=" ", timespec="minutes")  # refused: a time of day
        if kind == "month" and value.day == 1:
            return value.strftime("%Y-%m")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)
