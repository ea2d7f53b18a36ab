"""Workbooks in and out (issue 24): tables given as ``<table>.xlsx`` or as the sheets of
one ``caseaudit.xlsx`` read exactly as their CSV; messages locate cells as a spreadsheet
does; ``allocations.xlsx`` holds the hand-off's cells as the Parquet does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

import caseaudit
from caseaudit.cli.main import cli
from caseaudit.io.workbook import EXCEL_EPOCH, cell_text
from caseaudit.io.workbook_out import HANDOFF_WORKBOOK
from caseaudit.synth import DEFAULT_MONTH
from workbooks import Formula, csv_folder_as_workbooks, libreoffice_workbooks

MONTH = "2026-03"
STAFF = """\
staff_id,name,email,role,staff_group,service,team,manager_id,is_auditor,can_moderate,\
active_from,active_to
HS1,Head One,,head_of_service,csc,Safeguarding,,,true,true,,
TM1,Team Manager 1,,team_manager,csc,Safeguarding,Team 1,HS1,true,,,
00000597,Worker 1,,social_worker,csc,Safeguarding,Team 1,TM1,false,,,
PQ1,Officer 1,pq1@x,pq_officer,pq,Performance and Quality,,,true,,,
"""
CASES = """\
case_id,month,subject_id,case_type,service,team,allocated_worker_id,team_manager_id,iro_id
C1,2026-03,P1,child,Safeguarding,Team 1,00000597,TM1,
C2,2026-03,P2,child,Safeguarding,Team 1,00000597,TM1,
"""
BREAKS = "auditor_id,month,requested_on\nHS1,2026-03,2026-02-01\n"


def tiny(root: Path) -> Path:
    """Two cases of Team 1 whose worker's id has leading zeros; HS1 asks for a break."""
    root.mkdir(parents=True)
    for name, text in (("staff", STAFF), ("cases", CASES), ("breaks", BREAKS)):
        (root / f"{name}.csv").write_text(text, encoding="utf-8")
    return root


def serial(day: dt.date) -> int:
    """Excel's date serial number of ``day``."""
    return (dt.datetime(day.year, day.month, day.day) - EXCEL_EPOCH).days


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- workbooks in -------------------------------------------------------------------------

#: Every preset but region in `make test`; region (1,875 cases, 250,000 rows to write and
#: read as cells) in `make test-long` only.
PRESETS = [
    "small",
    "median",
    "largest",
    pytest.param("region", marks=pytest.mark.long),
]
#: LibreOffice starts five times a preset (one import filter a start, seconds each): small
#: in `make test`, the larger presets in `make test-long`.
LIBREOFFICE_PRESETS = [
    "small",
    pytest.param("median", marks=pytest.mark.long),
    pytest.param("largest", marks=pytest.mark.long),
    pytest.param("region", marks=pytest.mark.long),
]
SOFFICE = shutil.which("soffice")
NO_LIBREOFFICE = "LibreOffice (soffice) is not installed: its conversions cannot run"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_same_outputs(expected: Path, actual: Path, data: Path) -> None:
    """Every file of ``actual`` is the bytes of ``expected`` (a run on the CSV tables),
    ``manifest.json`` compared key by key but for two keys. ``timings_s``: seconds
    measured, different on every run (golden.py leaves them out too). ``inputs_sha256``:
    it names and hashes the files read, ``cases.csv`` there and ``cases.xlsx:cases`` or
    ``caseaudit.xlsx:cases`` here, so it is checked apart: one ``<file>:<sheet>`` for
    each table the CSV run read, the sheet named like the table, hashed as the workbook
    in ``data`` is."""
    files = sorted(p.name for p in actual.iterdir())
    assert files == sorted(p.name for p in expected.iterdir())
    assert HANDOFF_WORKBOOK in files
    for name in files:
        if name != "manifest.json":
            assert (actual / name).read_bytes() == (expected / name).read_bytes(), name
    wanted = json.loads((expected / "manifest.json").read_text(encoding="utf-8"))
    got = json.loads((actual / "manifest.json").read_text(encoding="utf-8"))
    read_csv, read_now = wanted.pop("inputs_sha256"), got.pop("inputs_sha256")
    del wanted["timings_s"], got["timings_s"]
    assert got == wanted
    sources = {key.partition(":")[2]: key.partition(":")[0] for key in read_now}
    assert sorted(sources) == sorted(Path(name).stem for name in read_csv)
    assert len(sources) == len(read_now)  # one sheet a table
    for table, file in sources.items():
        assert read_now[f"{file}:{table}"] == sha256(data / file), (file, table)


@pytest.fixture(scope="module")
def office_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LibreOffice user profile for the module's conversions: made by the first start,
    it makes every later start seconds quicker."""
    return tmp_path_factory.mktemp("office") / "profile"


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, Path]]:
    """A preset's CSV tables and the files ``allocate`` writes from them, made once for
    both the workbooks written by the test and LibreOffice's."""
    made: dict[str, tuple[Path, Path]] = {}

    def run_of(preset: str) -> tuple[Path, Path]:
        if preset not in made:
            root = tmp_path_factory.mktemp(preset)
            assert run("generate", "--preset", preset, "--out", str(root / "csv"))[0] == 0
            caseaudit.allocate(root / "csv", DEFAULT_MONTH).write(root / "out-csv")
            made[preset] = root / "csv", root / "out-csv"
        return made[preset]

    return run_of


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_as_workbooks_allocates_to_byte_identical_outputs(
    csv_run: Callable[[str], tuple[Path, Path]], tmp_path: Path, preset: str
) -> None:
    # The same tables as CSV, as one .xlsx per table and as the sheets of caseaudit.xlsx
    # (dates as date cells, booleans as TRUE/FALSE, ranks as numbers, ids as text): the
    # reader types them alike, so every output is the same bytes.
    data, expected = csv_run(preset)
    for name, combined in (("files", False), ("book", True)):
        csv_folder_as_workbooks(data, tmp_path / name, combined=combined)
        caseaudit.allocate(tmp_path / name, DEFAULT_MONTH).write(tmp_path / f"out-{name}")
        assert_same_outputs(expected, tmp_path / f"out-{name}", tmp_path / name)


@pytest.mark.skipif(SOFFICE is None, reason=NO_LIBREOFFICE)
@pytest.mark.parametrize("preset", LIBREOFFICE_PRESETS)
def test_every_preset_converted_by_libreoffice_allocates_to_byte_identical_outputs(
    csv_run: Callable[[str], tuple[Path, Path]], office_profile: Path, tmp_path: Path, preset: str
) -> None:
    # Each CSV converted to <table>.xlsx by LibreOffice as P&Q are told to import it
    # (every column Text but the dates, Date YMD): ids, months, booleans and ranks are
    # text cells, dates are date cells, which the reader gives as the CSV's cells.
    assert SOFFICE is not None
    data, expected = csv_run(preset)
    libreoffice_workbooks(data, tmp_path / "office", SOFFICE, office_profile)
    book = CalamineWorkbook.from_path(str(tmp_path / "office" / "breaks.xlsx"))
    cells = book.get_sheet_by_name("breaks").to_python()
    assert isinstance(cells[1][2], dt.date) and isinstance(cells[1][1], str)  # typed as chosen
    caseaudit.allocate(tmp_path / "office", DEFAULT_MONTH).write(tmp_path / "out")
    assert_same_outputs(expected, tmp_path / "out", tmp_path / "office")


@pytest.mark.skipif(SOFFICE is None, reason=NO_LIBREOFFICE)
def test_a_preset_converted_by_libreoffice_with_its_own_guesses_allocates_the_same(
    csv_run: Callable[[str], tuple[Path, Path]], office_profile: Path, tmp_path: Path
) -> None:
    # The CSVs opened and saved as .xlsx with no choice made: LibreOffice makes the dates
    # date cells and the ranks numbers (2, read back as the float 2.0), and leaves the
    # months and the true/false cells as text. The preset's ids all hold a letter, so
    # none is taken for a number (an id of digits is: test_identity.py), and the reader
    # gives back the CSV's cells.
    assert SOFFICE is not None
    data, expected = csv_run("small")
    libreoffice_workbooks(data, tmp_path / "office", SOFFICE, office_profile, typed=False)
    book = CalamineWorkbook.from_path(str(tmp_path / "office" / "break_preferences.xlsx"))
    assert isinstance(book.get_sheet_by_index(0).to_python()[1][2], float)  # rank, guessed
    caseaudit.allocate(tmp_path / "office", DEFAULT_MONTH).write(tmp_path / "out")
    assert_same_outputs(expected, tmp_path / "out", tmp_path / "office")


@pytest.mark.skipif(SOFFICE is None, reason=NO_LIBREOFFICE)
def test_text_ids_keep_their_zeros_through_libreoffice_imported_as_text(
    office_profile: Path, tmp_path: Path
) -> None:
    # 00000597 imported as Text is the text 00000597 (imported as Standard it would be the
    # number 597: test_identity.py); HS1's request date is a date cell. The tables read
    # from LibreOffice's workbooks are the CSV's, cell for cell.
    assert SOFFICE is not None
    source = tiny(tmp_path / "csv")
    libreoffice_workbooks(source, tmp_path / "office", SOFFICE, office_profile)
    staff = CalamineWorkbook.from_path(str(tmp_path / "office" / "staff.xlsx"))
    assert staff.get_sheet_by_name("staff").to_python()[3][0] == "00000597"
    from_csv, from_office = (
        caseaudit.load(source, MONTH),
        caseaudit.load(tmp_path / "office", MONTH),
    )
    for table in ("staff", "cases", "breaks"):
        pd.testing.assert_frame_equal(from_office[table], from_csv[table])
    assert list(from_office["breaks"]["requested_on"]) == [dt.date(2026, 2, 1)]


def test_text_ids_keep_their_zeros_and_serial_numbers_in_a_date_column_are_dates(
    tmp_path: Path,
) -> None:
    # 00000597 is a text cell in both sheets: read as written. HS1's break request is
    # the number 46054 in a date column (a date cell whose format was lost): Excel's
    # serial for 2026-02-01, which is what breaks.csv says.
    asked = dt.date(2026, 2, 1)
    source = tiny(tmp_path / "csv")
    csv_folder_as_workbooks(
        source, tmp_path / "book", cells={("breaks", 2, "requested_on"): serial(asked)}
    )
    data = caseaudit.load(tmp_path / "book", MONTH)
    assert list(data["cases"]["allocated_worker_id"]) == ["00000597", "00000597"]
    assert list(data["staff"]["staff_id"])[2] == "00000597"
    assert list(data["breaks"]["requested_on"]) == [asked]
    assert serial(asked) == 46054


def test_an_id_that_lost_its_zeros_is_caught_and_located_at_its_cell(tmp_path: Path) -> None:
    # C2's worker is the number 597 (a column Excel read as numbers): "597", never
    # "597.0", which the identity rules match to 00000597 once zeros are ignored; the
    # message names the cell, G3 (allocated_worker_id is column G, C2 on row 3).
    source = tiny(tmp_path / "csv")
    csv_folder_as_workbooks(
        source, tmp_path / "book", cells={("cases", 3, "allocated_worker_id"): 597.0}
    )
    code, stdout, stderr = run("validate", str(tmp_path / "book"))
    assert code == 2, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("cases.xlsx:cases!G3: allocated_worker_id: unknown staff_id '597';")
    assert "'00000597'" in lines[0] and "leading zeros" in lines[0]


def test_a_number_cell_reads_as_a_spreadsheet_shows_it() -> None:
    # A whole number stored as the float 597.0 is "597"; a fraction keeps its digits; a
    # date cell in a month column that is the 1st reads as its month (Excel turns a typed
    # 2026-03 into 1 March 2026), any other day as the date (refused there by the reader).
    assert cell_text(597.0, "text") == "597"
    assert cell_text(597, None) == "597"
    assert cell_text(0.25, "float") == "0.25"
    assert cell_text(dt.datetime(2026, 3, 1), "month") == "2026-03"
    assert cell_text(dt.datetime(2026, 3, 5), "month") == "2026-03-05"
    assert cell_text(46054, "date") == "2026-02-01"
    assert cell_text(46054.5, "date") == "2026-02-01 12:00"  # a time of day: refused
    assert cell_text(True, "bool") == "true"


def test_a_malformed_workbook_is_exit_2_with_the_cell_and_nothing_written(
    tmp_path: Path,
) -> None:
    # Row 3 of the cases sheet has case_type "kid" (column D) and its month is a date
    # cell of the 5th (column B), not a month: each located as a spreadsheet locates it.
    source = tiny(tmp_path / "csv")
    cells = {("cases", 3, "case_type"): "kid", ("cases", 3, "month"): dt.datetime(2026, 3, 5)}
    csv_folder_as_workbooks(source, tmp_path / "book", cells=cells)
    out = tmp_path / "out"
    code, _, stderr = run("allocate", str(tmp_path / "book"), "--month", MONTH, "--out", str(out))
    assert code == 2
    assert not out.exists()
    assert "cases.xlsx:cases!D3: case_type: 'kid' is not one of" in stderr
    assert "cases.xlsx:cases!B3: month: expected a month as YYYY-MM, got '2026-03-05'" in stderr


@pytest.mark.parametrize("combined", [False, True], ids=["cases.xlsx", "caseaudit.xlsx"])
def test_a_formula_that_shows_an_error_is_refused_at_its_cell_not_read_as_blank(
    tmp_path: Path, combined: bool
) -> None:
    # C2's worker is a lookup that failed (#N/A, G3) and C1's IRO one whose reference
    # was deleted (#REF!, I2). calamine reads an error cell as an empty one: the optional
    # IRO would pass for "no IRO" (and its conflict go unchecked), the worker for a blank.
    # Each is refused at its cell with the error the spreadsheet shows, and nothing else
    # is said of the sheet until they are mended (its other cells cannot be trusted).
    source = tiny(tmp_path / "csv")
    cells = {
        ("cases", 3, "allocated_worker_id"): Formula("=VLOOKUP(C3,staff!A:A,1,FALSE)", "#N/A"),
        ("cases", 2, "iro_id"): Formula("=#REF!", "#REF!"),
    }
    csv_folder_as_workbooks(source, tmp_path / "book", combined=combined, cells=cells)
    out = tmp_path / "out"
    code, _, stderr = run("allocate", str(tmp_path / "book"), "--month", MONTH, "--out", str(out))
    assert code == 2
    assert not out.exists()
    book = "caseaudit.xlsx" if combined else "cases.xlsx"
    assert stderr.strip().splitlines() == [
        f"{book}:cases!I2: iro_id: the cell shows the error #REF! (a formula that failed): "
        "mend the formula or type the value",
        f"{book}:cases!G3: allocated_worker_id: the cell shows the error #N/A (a formula "
        "that failed): mend the formula or type the value",
    ]


@pytest.mark.skipif(SOFFICE is None, reason=NO_LIBREOFFICE)
def test_a_formula_error_in_an_ods_saved_by_libreoffice_is_refused_at_its_cell(
    office_profile: Path, tmp_path: Path
) -> None:
    # The same sheet saved by LibreOffice as .ods (its own format): an error cell there
    # is marked calcext:value-type="error", and calamine reads it as empty too.
    source = tiny(tmp_path / "csv")
    cells = {
        ("cases", 3, "allocated_worker_id"): Formula("=NA()", "#N/A"),
        ("cases", 2, "iro_id"): Formula("=1/0", "#DIV/0!"),
    }
    csv_folder_as_workbooks(source, tmp_path / "book", cells=cells)
    assert SOFFICE is not None
    subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation={office_profile.as_uri()}",
            "--convert-to",
            "ods",
            "--outdir",
            str(tmp_path / "book"),
            str(tmp_path / "book" / "cases.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (tmp_path / "book" / "cases.xlsx").unlink()
    code, _, stderr = run("validate", str(tmp_path / "book"))
    assert code == 2
    assert stderr.strip().splitlines() == [
        "cases.ods:cases!I2: iro_id: the cell shows the error #DIV/0! (a formula that "
        "failed): mend the formula or type the value",
        "cases.ods:cases!G3: allocated_worker_id: the cell shows the error #N/A (a formula "
        "that failed): mend the formula or type the value",
    ]


def test_a_missing_column_of_a_sheet_is_located_by_the_header_row(tmp_path: Path) -> None:
    source = tiny(tmp_path / "csv")
    cases = pd.read_csv(source / "cases.csv", dtype=str, keep_default_na=False)
    cases.drop(columns=["team"]).to_csv(source / "cases.csv", index=False)
    csv_folder_as_workbooks(source, tmp_path / "book", combined=True)
    code, _, stderr = run("validate", str(tmp_path / "book"))
    assert code == 2
    assert stderr.startswith("caseaudit.xlsx:cases!1:1: team: required column missing")


def test_an_unreadable_workbook_is_the_root_cause(tmp_path: Path) -> None:
    source = tiny(tmp_path / "csv")
    csv_folder_as_workbooks(source, tmp_path / "book")
    (tmp_path / "book" / "staff.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    code, _, stderr = run("validate", str(tmp_path / "book"))
    assert code == 2
    assert stderr.splitlines()[0].startswith("staff.xlsx:1: -: not a readable workbook")


def test_a_workbook_and_a_csv_for_one_table_are_an_error_naming_both(tmp_path: Path) -> None:
    source = tiny(tmp_path / "csv")
    csv_folder_as_workbooks(source, tmp_path / "files")
    shutil.copy(source / "cases.csv", tmp_path / "files" / "cases.csv")
    code, _, stderr = run("validate", str(tmp_path / "files"))
    assert code == 2
    assert "cases is given twice, by cases.xlsx and by cases.csv: keep only one" in stderr


def test_a_sheet_and_a_file_for_one_table_are_an_error_naming_both(tmp_path: Path) -> None:
    source = tiny(tmp_path / "csv")
    csv_folder_as_workbooks(source, tmp_path / "book", combined=True)
    shutil.copy(source / "breaks.csv", tmp_path / "book" / "breaks.csv")
    code, _, stderr = run("validate", str(tmp_path / "book"))
    assert code == 2
    assert (
        "caseaudit.xlsx:breaks:1: -: breaks is given twice, by this sheet and by breaks.csv"
        in stderr
    )


def test_a_sheet_that_is_no_table_is_ignored_with_a_warning(tmp_path: Path) -> None:
    source = tiny(tmp_path / "csv")
    (source / "notes.csv").write_text("anything\nat all\n", encoding="utf-8")
    target = tmp_path / "book"
    csv_folder_as_workbooks(source, target, combined=True)
    data = caseaudit.load(target, MONTH)
    assert len(data["cases"]) == 2
    assert data.file_name("cases") == "caseaudit.xlsx:cases"


# --- the workbook out ---------------------------------------------------------------------


def expected_cell(value: object, kind: str) -> object:
    """A Parquet cell as the workbook should hold it: booleans as Yes/No."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if kind == "bool":
        return "Yes" if value else "No"
    return value


def parquet_cells(path: Path) -> tuple[list[str], list[list[object]]]:
    table = pq.read_table(path)
    rows = table.to_pylist()
    return table.column_names, [[row[c] for c in table.column_names] for row in rows]


KINDS = {"date32[day]": "date", "bool": "bool", "int64": "int", "double": "float"}


def kinds_of(parquet: Path) -> list[str]:
    """Each column's declared kind, as its Parquet type says."""
    return [KINDS.get(str(t), "text") for t in pq.read_schema(parquet).types]


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plan")
    assert run("generate", "--preset", "small", "--out", str(root / "data"))[0] == 0
    code, _, stderr = run(
        "allocate", str(root / "data"), "--month", DEFAULT_MONTH, "--out", str(root / "out")
    )
    assert code == 0, stderr
    return root / "out"


@pytest.fixture(scope="module")
def replan_dir(plan_dir: Path) -> Path:
    """``reallocate`` of the same month after ``plan_dir``: its workbook has ``changes``."""
    out = plan_dir.parent / "replan"
    code, _, stderr = run(
        "reallocate",
        str(plan_dir.parent / "data"),
        "--month",
        DEFAULT_MONTH,
        "--previous",
        str(plan_dir),
        "--out",
        str(out),
    )
    assert code == 0, stderr
    return out


@pytest.mark.parametrize("command", ["allocate", "reallocate"])
def test_the_output_workbook_read_back_equals_the_parquet_cell_by_cell(
    request: pytest.FixtureRequest, command: str
) -> None:
    plan_dir: Path = request.getfixturevalue("plan_dir" if command == "allocate" else "replan_dir")
    sheets = pd.read_excel(
        plan_dir / HANDOFF_WORKBOOK, sheet_name=None, dtype=object, engine="calamine"
    )
    tables = sorted(p.stem for p in plan_dir.glob("*.parquet"))
    assert next(iter(sheets)) == "allocations"
    assert sorted(sheets) == tables
    for name in tables:
        columns, rows = parquet_cells(plan_dir / f"{name}.parquet")
        kinds = kinds_of(plan_dir / f"{name}.parquet")
        sheet = sheets[name]
        assert list(sheet.columns) == columns, name
        assert len(sheet) == len(rows), name
        pairs = zip(sheet.itertuples(index=False), rows, strict=True)
        for row, (read, written) in enumerate(pairs):
            for column, kind, got, want in zip(columns, kinds, read, written, strict=True):
                got = None if isinstance(got, float) and got != got else got
                if kind == "date" and got is not None:
                    got = got.date()  # calamine gives a date cell as a datetime
                assert got == expected_cell(want, kind), (name, row, column)


def test_the_output_workbook_is_the_same_bytes_on_a_rerun(plan_dir: Path, tmp_path: Path) -> None:
    data = plan_dir.parent / "data"
    code, _, _ = run("allocate", str(data), "--month", DEFAULT_MONTH, "--out", str(tmp_path / "o"))
    assert code == 0
    assert (tmp_path / "o" / HANDOFF_WORKBOOK).read_bytes() == (
        plan_dir / HANDOFF_WORKBOOK
    ).read_bytes()


def test_the_output_workbook_opened_by_libreoffice_equals_the_parquet(
    plan_dir: Path, office_profile: Path, tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: the headless check cannot run")
    # Every sheet as CSV, cells as LibreOffice shows them (UTF-8, comma, all sheets: -1).
    filters = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation={office_profile.as_uri()}",
            "--convert-to",
            filters,
            "--outdir",
            str(tmp_path),
            str(plan_dir / HANDOFF_WORKBOOK),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for parquet in sorted(plan_dir.glob("*.parquet")):
        shown = pd.read_csv(
            tmp_path / f"allocations-{parquet.stem}.csv", dtype=str, keep_default_na=False
        )
        columns, rows = parquet_cells(parquet)
        kinds = kinds_of(parquet)
        assert list(shown.columns) == columns, parquet.stem
        assert len(shown) == len(rows), parquet.stem
        pairs = zip(shown.itertuples(index=False), rows, strict=True)
        for row, (read, written) in enumerate(pairs):
            for column, kind, got, want in zip(columns, kinds, read, written, strict=True):
                want = expected_cell(want, kind)
                if want is None:
                    assert got == "", (parquet.stem, row, column)
                elif kind == "date":
                    assert got == want.isoformat(), (parquet.stem, row, column)
                elif kind == "float":  # shown in the General format: ten significant digits
                    assert float(got) == pytest.approx(want, rel=1e-9), (parquet.stem, row, column)
                else:
                    assert got == str(want), (parquet.stem, row, column)
