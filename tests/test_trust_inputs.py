"""Data that cannot silently switch off a safeguard (issue 18; contract §1 and §2).

Each test breaks one input the way a council's spreadsheet or a tired officer does (a
renamed column, an edited copy beside the original, a Macintosh CSV, a UK date, a month
typed wrong, a month missing from the ledger) and checks that the run either reads it as
the contract allows or refuses it, exit 2, with one located line that names the cause.
The CLI runs in-process on the median preset (``generate --preset median``) unless a tiny
hand-built directory says more.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import caseaudit
from caseaudit import InputError
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.model.cells import read_frame
from caseaudit.model.errors import IssueCollector
from caseaudit.model.schema import Column, TableSchema
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MONTH = DEFAULT_MONTH


@pytest.fixture(scope="module")
def median_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The median preset, written once; each test copies it before breaking a file."""
    directory = tmp_path_factory.mktemp("median") / "data"
    write_input_tables(directory, generate_tables("median", 0, MONTH), "csv")
    return directory


@pytest.fixture
def data_dir(median_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(median_dir, tmp_path / "data"))


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]], line_end: str = "\n") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def edit_rows(path: Path, edit: Callable[[list[list[str]]], list[list[str]]]) -> None:
    write_rows(path, edit(read_rows(path)))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def allocate(data: Path, out: Path, month: str = MONTH) -> Result:
    return run("allocate", str(data), "--month", month, "--out", str(out))


def refused(result: Result, out: Path | None = None) -> list[str]:
    """The stderr lines of a run refused as bad input: exit 2, no traceback, nothing
    written to ``out``."""
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if out is not None:
        assert not out.exists(), "nothing may be written to --out on invalid input"
    return result.stderr.strip().splitlines()


def errors(lines: list[str]) -> list[str]:
    """The refusals among stderr lines (an ignored column is said too, and is no error)."""
    return [line for line in lines if not line.endswith(": ignored")]


# --- 1. every contract column is in the header --------------------------------------------

OTHERWISE = "read as empty cells, it would silently change the plan or the report"


@pytest.mark.parametrize(
    ("table", "column", "decides"),
    [
        # Renamed, each of these ran with exit 0 on the landed main: 0 re-audits instead of
        # 3; 23 re-audits added and 17 cases unallocated; a report or hand-off changed.
        ("history", "overall_judgement", "it decides which audits need a re-audit"),
        ("history", "reaudit_of", "it decides which re-audits are done"),
        ("history", "returned_on", OTHERWISE),
        ("history", "finalised_on", OTHERWISE),
        ("history", "completed_on", OTHERWISE),
        ("moderations", "final_judgement", "it decides which audits need a re-audit"),
        ("moderations", "decided_on", "it decides when a re-audit is due"),
        ("staff", "email", "the hand-off e-mails the auditors"),
    ],
)
def test_a_renamed_optional_column_is_refused_naming_it(
    data_dir: Path, tmp_path: Path, table: str, column: str, decides: str
) -> None:
    # "Column 7" is like no known name: it is ignored (said once), and the contract's
    # column it replaced is missing from the header: exit 2, at line 1, naming it.
    def rename(rows: list[list[str]]) -> list[list[str]]:
        rows[0][rows[0].index(column)] = "Column 7"
        return rows

    edit_rows(data_dir / f"{table}.csv", rename)
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert errors(lines) == [
        f"{table}.csv:1: {column}: required column missing from the header (its cells may "
        f"be empty, but the column must be there: {decides})"
    ]
    ignored = f'{table}.csv:1: column_7: column "Column 7" is not part of {table}: ignored'
    assert lines.count(ignored) == 1


def test_a_near_miss_of_a_ledger_column_suggests_it(data_dir: Path, tmp_path: Path) -> None:
    def rename(rows: list[list[str]]) -> list[list[str]]:
        rows[0][rows[0].index("reaudit_of")] = "Re-audit of"
        return rows

    edit_rows(data_dir / "history.csv", rename)
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        'history.csv:1: re_audit_of: unknown column "Re-audit of": did you mean reaudit_of?'
    ]


def test_a_column_that_may_be_absent_may_be_left_out() -> None:
    # The flag that issues 20 and 21 use for their columns (contract: "may be absent"):
    # left out, the column reads as its default; any other column left out is an error.
    schema = TableSchema(
        "things",
        (Column("thing_id", required=True), Column("weight", may_be_absent=True), Column("note")),
    )
    issues = IssueCollector()
    frame, sound = read_frame(pd.DataFrame({"thing_id": ["T1"], "note": [""]}), schema, "t", issues)
    assert sound and not issues.issues
    assert frame["weight"].tolist() == [None]
    _, sound = read_frame(pd.DataFrame({"thing_id": ["T1"]}), schema, "t", issues)
    assert not sound
    assert [str(i) for i in issues.issues] == [
        "t:1: note: required column missing from the header (its cells may be empty, but "
        "the column must be there: read as empty cells, it would silently change the plan "
        "or the report)"
    ]


# --- 2. look-alike files -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("copy", "original"),
    [
        ("exemptions (1).csv", "exemptions.csv"),  # a download saved twice
        ("Cases.csv", "cases.csv"),
        ("cases_final.csv", "cases.csv"),
        ("Copy of staff.csv", "staff.csv"),
        ("staff - Copy.csv", "staff.csv"),
        ("break preferences (1).csv", "break_preferences.csv"),
        ("exemption.csv", "exemptions.csv"),  # a near miss, beside the table
        ("history_2025.parquet", "history.csv"),
        ("cases_final.xlsx", "cases.csv"),  # the workbook the CSV was saved from
    ],
)
def test_a_look_alike_beside_a_table_is_refused_naming_both(
    data_dir: Path, tmp_path: Path, copy: str, original: str
) -> None:
    # On the landed main, "exemptions (1).csv" was only "ignored" and "cases.xlsx" beside
    # cases.csv said nothing: whichever of the two held the decision, one was read.
    shutil.copyfile(data_dir / original, data_dir / copy)
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        f"{copy}:1: -: {copy} looks like a copy of {original}: keep the one that holds the "
        f"data, named {original}, and move the other out of the data folder"
    ]


def test_a_workbook_named_like_a_table_beside_it_is_two_sources(
    data_dir: Path, tmp_path: Path
) -> None:
    # Issue 24: cases.xlsx is read as cases, so beside cases.csv the table is given twice,
    # whichever of the two was edited since.
    shutil.copyfile(data_dir / "cases.csv", data_dir / "cases.xlsx")
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        "cases.xlsx:1: -: cases is given twice, by cases.xlsx and by cases.csv: keep only one"
    ]


def test_a_misnamed_workbook_alone_is_told_its_name(data_dir: Path, tmp_path: Path) -> None:
    # Issue 24: a workbook is read (no more "save it as CSV"), under the table's name.
    (data_dir / "conflicts.csv").rename(data_dir / "Conflicts.xlsx")
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == ["Conflicts.xlsx:1: -: not a table's file name: did you mean conflicts.xlsx?"]


@pytest.mark.parametrize(
    "name",
    ["notes.txt", "README.md", "break_decisions.csv", "breaks_by_month.csv", "allocations.csv"],
)
def test_files_that_look_like_no_table_are_not_look_alikes(
    data_dir: Path, tmp_path: Path, name: str
) -> None:
    # Whole words: break_decisions (an output) is not breaks. Outputs never belong in the
    # data folder, but one copied there is only said to be ignored; a text file is not
    # looked at.
    (data_dir / name).write_text("anything\n", encoding="utf-8")
    result = allocate(data_dir, tmp_path / "out")
    assert result.exit_code == 0, result.stdout + result.stderr
    if name.endswith(".csv"):
        assert result.stderr.splitlines() == [f"{name}:1: -: " + _ignored(name)]
    else:
        assert result.stderr == ""


def _ignored(name: str) -> str:
    if name == "notes.csv":
        return "not one of caseaudit's tables: ignored"
    return "an output of caseaudit, not one of its input tables: ignored"


@pytest.mark.parametrize("preset", ["small", "median"])
def test_generated_presets_trip_no_look_alike_and_no_header_check(
    tmp_path: Path, preset: str
) -> None:
    out = tmp_path / preset
    assert run("generate", "--preset", preset, "--seed", "0", "--out", str(out)).exit_code == 0
    result = run("validate", str(out), "--month", MONTH)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr == ""


# --- 3. files a spreadsheet or a slip makes, that crashed --------------------------------


def test_a_csv_saved_as_csv_macintosh_reads_as_the_same_plan(
    data_dir: Path, median_dir: Path, tmp_path: Path
) -> None:
    # CR-only line ends (Excel for Mac's "CSV (Macintosh)"): exit 1 on the landed main.
    for name in ("staff.csv", "cases.csv"):
        write_rows(data_dir / name, read_rows(median_dir / name), line_end="\r")
    assert b"\n" not in (data_dir / "staff.csv").read_bytes()
    mac = allocate(data_dir, tmp_path / "mac")
    assert mac.exit_code == 0, mac.stdout + mac.stderr
    assert allocate(median_dir, tmp_path / "unix").exit_code == 0
    assert plan_tables(tmp_path / "mac") == plan_tables(tmp_path / "unix")


def test_cr_line_ends_keep_the_line_numbers_of_messages(data_dir: Path) -> None:
    rows = read_rows(data_dir / "cases.csv")
    rows[4][rows[0].index("case_type")] = "adult"  # spreadsheet line 5
    write_rows(data_dir / "cases.csv", rows, line_end="\r")
    lines = refused(run("validate", str(data_dir)))
    assert lines == [
        "cases.csv:5: case_type: 'adult' is not one of: child, care_leaver, foster_carer"
    ]


def test_a_folder_named_like_a_table_is_a_located_error(data_dir: Path, tmp_path: Path) -> None:
    (data_dir / "conflicts.csv").unlink()
    (data_dir / "conflicts.csv").mkdir()  # exit 1 on the landed main
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        "conflicts.csv:1: -: conflicts.csv is a folder, not a file: the table must be a file "
        "named conflicts.csv (rename or move the folder)"
    ]


def plan_tables(out: Path) -> dict[str, bytes]:
    """Every CSV the run wrote: the plan (the manifest holds input hashes and timings)."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


# --- 7. the data folder and the month as the API takes them ------------------------------


def test_a_file_given_as_the_data_folder_says_it_is_a_file(data_dir: Path) -> None:
    lines = refused(run("validate", str(data_dir / "staff.csv")))
    assert lines == [
        f"{data_dir / 'staff.csv'}:0: -: this is a file, not a folder: give the data "
        "directory, the folder that holds staff.csv, cases.csv and the other tables"
    ]


# --- 4. dates as a UK spreadsheet writes them ----------------------------------------------

#: The date columns of each table the median preset fills.
DATE_COLUMNS = {
    "breaks": ("requested_on",),
    "exemptions": ("requested_on", "decided_on"),
    "history": (
        "judgement_confirmed_on",
        "completed_on",
        "returned_on",
        "finalised_on",
        "actions_completed_on",
    ),
    "challenges": ("raised_on",),
    "moderations": ("assigned_on", "decided_on"),
}


def rewrite_dates(directory: Path, table: str, write: Callable[[str], str]) -> int:
    """Every filled date of ``table`` rewritten by ``write``; how many were."""
    rows = read_rows(directory / f"{table}.csv")
    indexes = [rows[0].index(column) for column in DATE_COLUMNS[table]]
    count = 0
    for row in rows[1:]:
        for index in indexes:
            if row[index]:
                row[index] = write(row[index])
                count += 1
    write_rows(directory / f"{table}.csv", rows)
    return count


def uk(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def test_uk_dates_give_the_same_plan_as_iso_dates(
    data_dir: Path, median_dir: Path, tmp_path: Path
) -> None:
    # Break requests (on time or late, first come first served) and the ledger's
    # judgement dates (which re-audits are due) decide the plan: read as the same days,
    # the plan is byte for byte the same.
    assert sum(rewrite_dates(data_dir, table, uk) for table in DATE_COLUMNS) > 100
    result = allocate(data_dir, tmp_path / "uk")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert allocate(median_dir, tmp_path / "iso").exit_code == 0
    assert plan_tables(tmp_path / "uk") == plan_tables(tmp_path / "iso")


def test_a_column_of_dates_in_another_form_is_one_line(data_dir: Path) -> None:
    # Every completed_on written year/month/day (issue 18's example): one cause, so one
    # line at the column's first filled cell, not one line per cell.
    rows = read_rows(data_dir / "history.csv")
    index = rows[0].index("completed_on")
    filled = [line for line, row in enumerate(rows[1:], start=2) if row[index]]
    assert len(filled) > 100
    for line in filled:
        rows[line - 1][index] = rows[line - 1][index].replace("-", "/")
    write_rows(data_dir / "history.csv", rows)
    lines = refused(run("validate", str(data_dir)))
    assert lines == [
        f'history.csv:{filled[0]}: completed_on: no date in this column could be read; found "'
        f'{rows[filled[0] - 1][index]}" (year/month/day); dates must be YYYY-MM-DD or DD/MM/YYYY'
    ]


def test_month_day_year_is_an_error_not_a_guess(data_dir: Path) -> None:
    # 02/13/2026 can only be month/day/year; read as day/month it is no date. It is
    # refused, never read as 2026-02-13: the column's 02/03/2026 would be misread too.
    rows = read_rows(data_dir / "breaks.csv")
    index = rows[0].index("requested_on")
    rows[1][index], rows[2][index] = "02/13/2026", "02/03/2026"
    write_rows(data_dir / "breaks.csv", rows)
    lines = refused(run("validate", str(data_dir)))
    assert lines == [
        "breaks.csv:2: requested_on: not a real date: '02/13/2026' (month/day/year, so the "
        "column's other dates may be misread too); dates must be YYYY-MM-DD or DD/MM/YYYY"
    ]


# --- 6. time: the month run and the ledger's months ---------------------------------------


def test_a_month_that_cases_does_not_hold_is_refused_naming_its_months(
    data_dir: Path, tmp_path: Path
) -> None:
    # 2027-01 typed for 2026-01: the median preset's three re-audits are overdue by then,
    # so the landed main ran the month on them alone, exit 0.
    lines = refused(allocate(data_dir, tmp_path / "out", "2027-01"), tmp_path / "out")
    held = sorted({row[1] for row in read_rows(data_dir / "cases.csv")[1:]})
    assert lines == [
        f"cases.csv:1: month: cases holds no case for month 2027-01; it holds {held[0]} to "
        f"{held[-1]}"
    ]


def without_month(directory: Path, month: str) -> None:
    """The ledger without ``month``'s audits, and every row that names one of them."""
    rows = read_rows(directory / "history.csv")
    gone = {row[0] for row in rows[1:] if row[1] == month}
    assert gone
    write_rows(directory / "history.csv", [rows[0], *[r for r in rows[1:] if r[0] not in gone]])
    for table in ("challenges", "outcomes", "moderations"):
        edit_rows(
            directory / f"{table}.csv", lambda t: [t[0], *[r for r in t[1:] if r[0] not in gone]]
        )


def test_a_month_missing_from_the_ledger_is_refused_naming_it(
    data_dir: Path, tmp_path: Path
) -> None:
    # February's audits left out of history: its inadequate audits, yearly counts and
    # re-audits done are silently lost; the landed main planned March on it, exit 0.
    without_month(data_dir, "2026-02")
    first = min(row[1] for row in read_rows(data_dir / "history.csv")[1:])
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        f"history.csv:1: month: the ledger has no row for 2026-02, between its first month "
        f"{first} and 2026-02: add the audits of that month, or, if none were done, list "
        "them in config.toml [ledger] missing_months"
    ]
    for command in (
        ["validate", str(data_dir), "--month", MONTH],
        ["explain", str(data_dir), "--month", MONTH],
    ):
        assert refused(run(*command)) == lines, command
    report = run("report", str(data_dir), "--as-of", "2026-03-10", "--out", str(tmp_path / "r"))
    assert refused(report, tmp_path / "r") == lines


def test_a_month_with_no_audits_is_declared_in_the_config(data_dir: Path, tmp_path: Path) -> None:
    without_month(data_dir, "2026-02")
    (data_dir / "config.toml").write_text('[ledger]\nmissing_months = ["2026-02"]\n')
    result = allocate(data_dir, tmp_path / "out")
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            '["2026-2"]',
            "config.toml:2: ledger.missing_months: expected months as YYYY-MM, got '2026-2'",
        ),
        (
            '["2026-01"]',
            "config.toml:2: ledger.missing_months: lists 2026-01 as a month with no audits, "
            "but history holds audits in it",
        ),
    ],
)
def test_missing_months_are_checked(data_dir: Path, value: str, message: str) -> None:
    (data_dir / "config.toml").write_text(f"[ledger]\nmissing_months = {value}\n")
    assert refused(run("validate", str(data_dir))) == [message]


@pytest.mark.parametrize("month", ["2026-3", "2026-03 ", "March 2026", "2026-13"])
def test_the_api_takes_months_as_yyyy_mm_exactly(median_dir: Path, month: str) -> None:
    with pytest.raises(InputError) as caught:
        caseaudit.load(median_dir, month)
    assert caught.value.lines() == [f"-:0: month: expected a month as YYYY-MM, got {month!r}"]


# --- 5. the root cause first ---------------------------------------------------------------

TITLE = (
    "staff.csv:1: -: line 1 looks like a title; the header must be the first line (line 2 "
    "holds the column names: delete line 1)"
)


@pytest.mark.parametrize("padding", [True, False])
def test_a_title_above_the_header_is_named_as_such(
    data_dir: Path, tmp_path: Path, padding: bool
) -> None:
    # A report title on line 1, padded with empty cells by a spreadsheet (or not): the
    # landed main said every column of staff was missing (or line 2 had too many cells).
    rows = read_rows(data_dir / "staff.csv")
    title = ["Staff list, March 2026", *([""] * (len(rows[0]) - 1) if padding else [])]
    write_rows(data_dir / "staff.csv", [title, *rows])
    assert refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out") == [TITLE]


def test_a_bad_staff_cell_is_printed_before_what_follows_from_it(
    data_dir: Path, tmp_path: Path
) -> None:
    # The first auditor asking for a break has is_auditor "maybe": breaks.csv's "not an
    # auditor" follows from it, and breaks.csv sorts first by name; staff.csv comes first.
    auditor = read_rows(data_dir / "breaks.csv")[1][0]
    rows = read_rows(data_dir / "staff.csv")
    line = next(n for n, row in enumerate(rows[1:], start=2) if row[0] == auditor)
    rows[line - 1][rows[0].index("is_auditor")] = "maybe"
    write_rows(data_dir / "staff.csv", rows)
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        f"staff.csv:{line}: is_auditor: expected true/false, yes/no, y/n or 1/0, got 'maybe'",
        f"breaks.csv:2: auditor_id: {auditor!r} is not an auditor",
    ]
