"""Blank input templates, ``caseaudit init DIR [--xlsx]`` (issue 24, contract §1, §3).

Every input table's header, as CSV files or as one workbook ``caseaudit.xlsx`` with a
sheet per table, and a ``config.toml`` listing every key with its default, commented
out (the file as written changes nothing). In the workbook each column is formatted as
what it holds: ids and other text as Text (a spreadsheet then keeps ``00000597``),
months as Text (``2026-03`` would otherwise become a date), dates as dates, the enums
and booleans as drop-down lists; a ``README`` sheet says what each column holds.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from pydantic import BaseModel

from caseaudit.io.workbook import COMBINED
from caseaudit.io.workbook_out import FIXED_CREATED
from caseaudit.model.config import Config
from caseaudit.model.schema import TABLES, Column

#: How many rows of each sheet carry the column's format and drop-down list.
TEMPLATE_ROWS = 5000
#: What a cell of each kind holds, for the README sheet.
KIND_WORDS = {
    "text": "text",
    "enum": "one of the list",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD or DD/MM/YYYY)",
    "month": "a month as YYYY-MM",
    "int": "a whole number",
    "float": "a number",
}


def template_files(xlsx: bool) -> dict[str, bytes]:
    """The files ``caseaudit init`` writes, by name."""
    files = {"config.toml": config_template().encode("utf-8")}
    if xlsx:
        files[COMBINED] = workbook_template()
    else:
        for schema in TABLES.values():
            files[f"{schema.name}.csv"] = (",".join(_written(schema.columns)) + "\n").encode()
    return files


def _written(columns: tuple[Column, ...]) -> list[str]:
    """The columns a blank table's header holds: all but those a later command adds."""
    return [column.name for column in columns if not column.written_when_used]


def _cell_words(column: Column) -> str:
    words = KIND_WORDS[column.kind]
    if column.choices:
        words += ": " + ", ".join(column.choices)
    return words


def workbook_template() -> bytes:
    """``caseaudit.xlsx``: a README sheet, then one formatted, empty sheet per table."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    # Same bytes every time (the template has no date of its own).
    book.set_properties({"created": FIXED_CREATED, "title": "caseaudit input tables"})
    bold = book.add_format({"bold": True, "bottom": 1})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    formats = {
        "text": book.add_format({"num_format": "@"}),
        "enum": book.add_format({"num_format": "@"}),
        "month": book.add_format({"num_format": "@"}),
        "bool": book.add_format({}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "int": book.add_format({"num_format": "0"}),
        "float": book.add_format({"num_format": "General"}),
    }
    readme = book.add_worksheet("README")
    readme.write_row(0, 0, ["table", "column", "holds", "must be filled", "table holds"], bold)
    readme.set_column(0, 0, 20)
    readme.set_column(1, 1, 26)
    readme.set_column(2, 2, 60, wrap)
    readme.set_column(3, 3, 14)
    readme.set_column(4, 4, 60, wrap)
    readme.freeze_panes(1, 0)
    row = 1
    for schema in TABLES.values():
        sheet = book.add_worksheet(schema.name)
        for position, name in enumerate(_written(schema.columns)):
            column = schema.column(name)
            sheet.write_string(0, position, name, bold)
            sheet.set_column(position, position, max(len(name) + 2, 12), formats[column.kind])
            choices = column.choices or (("true", "false") if column.kind == "bool" else ())
            if choices:
                sheet.data_validation(
                    1,
                    position,
                    TEMPLATE_ROWS,
                    position,
                    {"validate": "list", "source": list(choices)},
                )
            required = "yes" if column.required else "no"
            described = schema.description + (
                " (a required table)" if schema.required_table else ""
            )
            readme.write_row(row, 0, [schema.name, name, _cell_words(column), required, described])
            row += 1
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, tuple):
        value = list(value)
    return json.dumps(value, ensure_ascii=False)  # strings and lists of them: TOML too


def config_template() -> str:
    """Every section and key of ``config.toml`` with its default, commented out."""
    lines = [
        "# caseaudit's settings: every key with its default. Uncomment a line to change it;",
        "# a key left commented out keeps its default (README, Configuration).",
    ]
    defaults = Config()
    for section, model in defaults:
        assert isinstance(model, BaseModel)
        lines += ["", f"[{section}]"]
        values: Mapping[str, object] = dict(model)
        for key, value in values.items():
            if value is None:
                lines.append(f"# {key} =            # not set by default")
            else:
                lines.append(f"# {key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def write_templates(staging: Path, xlsx: bool) -> None:
    """``template_files`` into ``staging`` (``write_folder``'s fill)."""
    for name, content in template_files(xlsx).items():
        (staging / name).write_bytes(content)
