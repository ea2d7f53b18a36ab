"""Inputs that fail safe (issue 6): what Excel and real people make, read or refused.

The CLI tests run ``caseaudit`` in-process on the median preset (``generate --preset
median``), break one file the way a new P&Q user would, and check the exit code, the
first line on stderr (file, line, column and the fix), that nothing was written to --out
and that no traceback was shown. A renamed header must give the same plan as the right
one: a header that is not read would silently switch a conflict of interest off.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import caseaudit
from builders import examples
from caseaudit import InputError
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.model.errors import InputWarning
from caseaudit.plans.month.problem import build_problem
from caseaudit.synth import DEFAULT_MONTH, generate_tables

MONTH = DEFAULT_MONTH


# --- helpers ----------------------------------------------------------------------------


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


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


def edit_rows(path: Path, edit: Callable[[list[list[str]]], list[list[str]]]) -> None:
    write_rows(path, edit(read_rows(path)))


def rename_column(old: str, new: str) -> Callable[[list[list[str]]], list[list[str]]]:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        rows[0][rows[0].index(old)] = new
        return rows

    return edit


def drop_column(name: str) -> Callable[[list[list[str]]], list[list[str]]]:
    def edit(rows: list[list[str]]) -> list[list[str]]:
        index = rows[0].index(name)
        return [row[:index] + row[index + 1 :] for row in rows]

    return edit


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def allocate(data: Path, out: Path) -> Result:
    return run("allocate", str(data), "--month", MONTH, "--out", str(out))


def refused(result: Result, out: Path | None = None) -> list[str]:
    """The stderr lines of a run refused as bad input: exit 2, no traceback, and nothing
    written to ``out`` (the --out of an allocate)."""
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if out is not None:
        assert not out.exists(), "nothing may be written to --out on invalid input"
    lines = result.stderr.strip().splitlines()
    assert lines
    return lines


def plan_tables(out: Path) -> dict[str, bytes]:
    """Every CSV the run wrote: the plan (the manifest holds input hashes and timings)."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


# --- one CLI test per input row of issue 6's table --------------------------------------


def test_team_manager_id_header_as_excel_users_type_it_gives_the_same_plan(
    data_dir: Path, median_dir: Path, tmp_path: Path
) -> None:
    edit_rows(data_dir / "cases.csv", rename_column("team_manager_id", "Team Manager ID"))
    renamed = allocate(data_dir, tmp_path / "renamed")
    assert renamed.exit_code == 0, renamed.stdout + renamed.stderr
    assert renamed.stderr == ""  # read as team_manager_id: nothing ignored, nothing to say
    right = allocate(median_dir, tmp_path / "right")
    assert right.exit_code == 0, right.stdout + right.stderr
    plan = plan_tables(tmp_path / "renamed")
    assert plan == plan_tables(tmp_path / "right")
    allocations = pd.read_csv(tmp_path / "renamed" / "allocations.csv", dtype=str)
    assert allocations["team_manager_id"].notna().any()  # the column was read, not defaulted


def test_near_miss_header_is_refused_with_the_name_it_means(data_dir: Path, tmp_path: Path) -> None:
    edit_rows(data_dir / "cases.csv", rename_column("team_manager_id", "team_manager_idd"))
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    # One root cause, one line: no "required column missing" for the column it means.
    assert lines == ["cases.csv:1: team_manager_idd: unknown column: did you mean team_manager_id?"]


def test_removed_team_manager_id_column_is_required_even_if_empty(
    data_dir: Path, tmp_path: Path
) -> None:
    edit_rows(data_dir / "cases.csv", drop_column("team_manager_id"))
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        "cases.csv:1: team_manager_id: required column missing from the header (its cells "
        "may be empty, but the column must be there: it decides who may audit which case)"
    ]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("cases", "team"),
        ("cases", "iro_id"),
        ("staff", "team"),
        ("staff", "manager_id"),
        ("staff", "active_from"),
        ("staff", "active_to"),
    ],
)
def test_every_column_that_can_forbid_a_pair_must_be_in_the_header(
    data_dir: Path, tmp_path: Path, table: str, column: str
) -> None:
    edit_rows(data_dir / f"{table}.csv", drop_column(column))
    lines = refused(run("validate", str(data_dir), "--month", MONTH))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{table}.csv:1: {column}: required column missing")


def test_cp1252_staff_is_reported_first_and_alone(data_dir: Path, tmp_path: Path) -> None:
    staff = data_dir / "staff.csv"
    rows = read_rows(staff)
    rows[11][rows[0].index("name")] = "Zoë Smith"  # spreadsheet line 12
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    staff.write_bytes(buffer.getvalue().encode("cp1252"))  # Excel's "CSV" on Windows
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    # The byte and its column are named, never the cell: it is someone's name.
    assert lines[0] == (
        "staff.csv:12: -: not UTF-8 (byte 0xEB, 'ë' in Windows-1252, in column name): "
        "save the file as CSV UTF-8"
    )
    assert "Zo" not in "\n".join(lines)
    # No cascade: the other files' staff ids cannot be checked against an unread staff.
    assert not [line for line in lines if "unknown staff_id" in line]
    assert len(lines) == 1, lines


def test_semicolon_separated_staff_names_the_semicolons(data_dir: Path, tmp_path: Path) -> None:
    staff = data_dir / "staff.csv"
    write_rows(staff, read_rows(staff), delimiter=";")
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        "staff.csv:1: -: this file is separated by semicolons (;), not commas: save it as "
        "CSV UTF-8 (comma-delimited)"
    ]


def test_a_broken_workbook_left_instead_of_cases_csv(data_dir: Path, tmp_path: Path) -> None:
    # Issue 24: a workbook alone is read as its table; a zip that is no workbook (no
    # workbook.xml, a CSV's text as its sheet) cannot be, and says so once.
    cases = data_dir / "cases.csv"
    with zipfile.ZipFile(data_dir / "cases.xlsx", "w") as workbook:  # an .xlsx is a zip
        workbook.writestr("xl/worksheets/sheet1.xml", cases.read_text(encoding="utf-8"))
    cases.unlink()
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines == [
        "cases.xlsx:1: -: not a readable workbook (CalamineError): save it again from the "
        "spreadsheet program as an Excel workbook (.xlsx)"
    ]


def test_y_and_n_booleans_are_accepted(data_dir: Path, median_dir: Path, tmp_path: Path) -> None:
    words = {"true": "Y", "false": "N"}

    def as_y_n(rows: list[list[str]]) -> list[list[str]]:
        flags = [rows[0].index("is_auditor"), rows[0].index("can_moderate")]
        for row in rows[1:]:
            for index in flags:
                row[index] = words.get(row[index], row[index])
        return rows

    edit_rows(data_dir / "staff.csv", as_y_n)
    assert "Y" in {row[8] for row in read_rows(data_dir / "staff.csv")[1:]}
    result = allocate(data_dir, tmp_path / "y_n")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert allocate(median_dir, tmp_path / "words").exit_code == 0
    assert plan_tables(tmp_path / "y_n") == plan_tables(tmp_path / "words")


# --- more of the same class -------------------------------------------------------------


def test_unknown_column_is_named_once_as_ignored_and_the_run_goes_on(
    data_dir: Path, median_dir: Path, tmp_path: Path
) -> None:
    def add_notes(rows: list[list[str]]) -> list[list[str]]:
        return [[*rows[0], "Case Notes"], *[[*row, "see file"] for row in rows[1:]]]

    edit_rows(data_dir / "cases.csv", add_notes)
    result = allocate(data_dir, tmp_path / "notes")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        'cases.csv:1: case_notes: column "Case Notes" is not part of cases: ignored'
    ]
    assert allocate(median_dir, tmp_path / "plain").exit_code == 0
    assert plan_tables(tmp_path / "notes") == plan_tables(tmp_path / "plain")


def test_header_only_cases_with_reaudits_due_validates_and_says_so(
    data_dir: Path, tmp_path: Path
) -> None:
    cases = data_dir / "cases.csv"
    cases.write_text(cases.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    (data_dir / "exemptions.csv").unlink()  # its rows name the cases just removed
    (data_dir / "conflicts.csv").unlink()  # and its subjects (contract §1: they must exist)
    result = run("validate", str(data_dir), "--month", MONTH)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stderr == ""
    # The median preset has three inadequate audits whose re-audit falls in the month.
    assert result.stdout.splitlines()[-1] == (
        f"{MONTH}: 0 cases in {MONTH} (the month's sample is empty); 3 re-audits due"
    )


def test_validate_counts_the_cases_of_the_month(median_dir: Path) -> None:
    result = run("validate", str(median_dir), "--month", MONTH)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"{MONTH}: 38 cases in {MONTH}; 3 re-audits due"


def test_a_root_cause_is_printed_before_other_files_problems(
    data_dir: Path, tmp_path: Path
) -> None:
    # config.toml sorts before staff.csv by name, but staff.csv cannot be read at all.
    (data_dir / "config.toml").write_text("[policy]\nmax_break_fraction = 1.5\n")
    staff = data_dir / "staff.csv"
    staff.write_bytes(staff.read_bytes().replace(b"Staff 0001", b"Zo\xeb 0001"))
    lines = refused(allocate(data_dir, tmp_path / "out"), tmp_path / "out")
    assert lines[0].startswith("staff.csv:2: -: not UTF-8")
    assert lines[1:] == [
        "config.toml:2: policy.max_break_fraction: must be between 0 and 1, got 1.5"
    ]


def test_identical_messages_are_folded_with_a_count_and_the_first_lines(
    data_dir: Path, tmp_path: Path
) -> None:
    cases = data_dir / "cases.csv"
    edit_rows(cases, lambda rows: [rows[0], *[[*r[:3], "adult", *r[4:]] for r in rows[1:]]])
    lines = refused(run("validate", str(data_dir)))
    more = len(read_rows(cases)) - 2
    assert lines == [
        "cases.csv:2: case_type: 'adult' is not one of: child, care_leaver, foster_carer "
        f"(and {more} more lines like it: 3, 4, 5, 6, 7, …)"
    ]


# --- the reader, on tiny files ----------------------------------------------------------

STAFF = """\
staff_id,name,email,role,staff_group,service,team,manager_id,is_auditor,can_moderate,active_from,active_to
TM1,Team Manager 1,,team_manager,csc,Safeguarding,Team 1,,true,,,
TM2,Team Manager 2,,team_manager,csc,Safeguarding,Team 2,,true,,,
SW1,Worker 1,,social_worker,csc,Safeguarding,Team 1,TM1,false,,,
"""
CASES = """\
case_id,month,subject_id,case_type,service,team,allocated_worker_id,team_manager_id,iro_id
C1,2026-03,P1,child,Safeguarding,Team 1,SW1,TM1,
"""


def tiny_dir(root: Path, staff: bytes | None = None, cases: bytes | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "staff.csv").write_bytes(STAFF.encode() if staff is None else staff)
    (root / "cases.csv").write_bytes(CASES.encode() if cases is None else cases)
    return root


def load_lines(data: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        caseaudit.load(data, MONTH)
    return caught.value.lines()


@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        (
            STAFF.replace(",", "\t").encode(),
            "staff.csv:1: -: this file is separated by tabs, not commas",
        ),
        (
            STAFF.encode("utf-16"),
            'staff.csv:1: -: UTF-16 text (Excel\'s "Unicode Text"), not CSV UTF-8: save it as CSV',
        ),
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "staff.csv:1: -: staff.csv is a spreadsheet saved under a .csv name, not CSV text",
        ),
        (b"PAR1\x15\x04", "staff.csv:1: -: staff.csv is a Parquet file: rename it staff.parquet"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "staff.csv:1: -: not CSV text (the file holds binary"),
        (b"", "staff.csv:1: -: the file is empty: a header row is required"),
        (
            (STAFF + "XX1,Smith, John,,other,csc,Safeguarding,,,false,,,\n").encode(),
            "staff.csv:5: -: this row has 13 cells but the header has 12: a value that holds a "
            "comma must be in double quotes",
        ),
        (
            (STAFF + 'XX1,"Smith,,other,csc,Safeguarding,,,false,,,\n').encode(),
            'staff.csv:5: -: a double quote (") opened on this line is never closed',
        ),
    ],
    ids=[
        "tabs",
        "utf-16",
        "xlsx-named-csv",
        "parquet-named-csv",
        "binary",
        "empty",
        "cells",
        "quote",
    ],
)
def test_a_file_that_is_not_a_csv_table_is_one_root_cause(
    tmp_path: Path, staff: bytes, expected: str
) -> None:
    lines = load_lines(tiny_dir(tmp_path, staff=staff))
    assert len(lines) == 1, lines  # cases.csv names staff ids: none reported as unknown
    assert lines[0].startswith(expected), lines[0]


def test_headers_match_ignoring_case_spaces_hyphens_and_a_bom(tmp_path: Path) -> None:
    rest = CASES.split("\n", 1)[1]
    messy = (
        "\ufeff CASE-ID ,Month,Subject ID,case type,SERVICE,Team,Allocated-Worker-ID,"
        "Team Manager ID,IRO_id"
    )
    data = caseaudit.load(tiny_dir(tmp_path, cases=f"{messy}\n{rest}".encode()), MONTH)
    assert data["cases"].iloc[0]["team_manager_id"] == "TM1"
    assert data.warnings == ()


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        (
            "exemption.csv",
            "exemption.csv:1: -: not a table's file name: did you mean exemptions.csv?",
        ),
        ("Breaks.CSV", "Breaks.CSV:1: -: not a table's file name: did you mean breaks.csv?"),
    ],
)
def test_a_misnamed_table_file_is_refused_not_read_as_absent(
    tmp_path: Path, file_name: str, expected: str
) -> None:
    # Read as absent, a misnamed exemptions.csv would silently switch a rule off.
    data_dir = tiny_dir(tmp_path)
    (data_dir / file_name).write_text("case_id,month,auditor_id\n")
    assert load_lines(data_dir) == [expected]


def test_another_csv_in_the_data_directory_is_ignored_with_a_warning(tmp_path: Path) -> None:
    data_dir = tiny_dir(tmp_path)
    (data_dir / "notes.csv").write_text("anything\n")
    with pytest.warns(InputWarning, match="notes.csv"):
        data = caseaudit.load(data_dir, MONTH)
    assert [str(w) for w in data.warnings] == [
        "notes.csv:1: -: not one of caseaudit's tables: ignored"
    ]


def test_two_columns_that_read_as_one_name_are_a_duplicate(tmp_path: Path) -> None:
    cases = CASES.replace("iro_id", "Team")
    lines = load_lines(tiny_dir(tmp_path, cases=cases.encode()))
    assert lines == ['cases.csv:1: team: "Team" and "team" both read as team: keep one of them']


def test_an_ignored_column_is_a_warning_on_the_dataset(tmp_path: Path) -> None:
    staff = STAFF.replace("active_to\n", "active_to,Phone\n", 1)
    with pytest.warns(InputWarning, match="Phone"):
        data = caseaudit.load(tiny_dir(tmp_path, staff=staff.encode()), MONTH)
    assert [str(w) for w in data.warnings] == [
        'staff.csv:1: phone: column "Phone" is not part of staff: ignored'
    ]
    assert "phone" not in data["staff"].columns


def test_parquet_headers_are_matched_like_csv(tmp_path: Path) -> None:
    data_dir = tiny_dir(tmp_path)
    frame = pd.read_csv(data_dir / "cases.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"team_manager_id": "Team Manager ID", "iro_id": "IRO-ID"})
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), data_dir / "cases.parquet")
    (data_dir / "cases.csv").unlink()
    data = caseaudit.load(data_dir, MONTH)
    assert data["cases"].iloc[0]["team_manager_id"] == "TM1"


@pytest.mark.parametrize("word", ["Y", "y", "N", "n", "YES", "No", "tRuE", "0"])
def test_boolean_words_in_any_case(tmp_path: Path, word: str) -> None:
    staff = STAFF.replace("Team 2,,true,", f"Team 2,,{word},")
    assert staff != STAFF
    data = caseaudit.load(tiny_dir(tmp_path, staff=staff.encode()), MONTH)
    expected = word.lower() in {"y", "yes", "true", "1"}
    assert data["staff"].set_index("staff_id").loc["TM2", "is_auditor"] is expected


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("[policy]\nmax_break_fraction = 1.5", "must be between 0 and 1, got 1.5"),
        ('[policy]\nmax_break_fraction = "abc"', 'must be a number between 0 and 1, got "abc"'),
        ("[policy]\naudit_year_start_month = 0", "must be between 1 and 12, got 0"),
        ("[solver]\ntime_limit_s = 0", "must be more than 0, got 0"),
        ('[output]\ndate_format = "us"', 'must be "iso" or "dmy", got "us"'),
        ("[weights]\nfair_spread = 2.5", "must be a whole number between 0 and 10000, got 2.5"),
        ('[calendar]\ncountry = "XX"', "no bank-holiday calendar for country 'XX'"),
        ("policy = 3", "must be a section [policy], got 3"),
    ],
)
def test_config_errors_speak_policy_and_name_the_key_once(
    tmp_path: Path, setting: str, message: str
) -> None:
    data_dir = tiny_dir(tmp_path)
    (data_dir / "config.toml").write_text(f"# settings\n{setting}\n")
    key = setting.replace("[", "").replace("]\n", ".").split(" =")[0]
    line = setting.count("\n") + 2
    assert load_lines(data_dir) == [f"config.toml:{line}: {key}: {message}"]


def test_one_hidden_problem_is_singular(tmp_path: Path) -> None:
    rows = "".join(f"X{n:03},2026-03,P{n},kind{n},Safeguarding,,SW1,TM1,\n" for n in range(201))
    lines = load_lines(tiny_dir(tmp_path, cases=(CASES + rows).encode()))
    assert len(lines) == 201
    assert lines[-1] == "-:-: -: 1 more problem not shown"


# --- property: the header's spelling never changes who may audit what -------------------


def eligible_pairs(data_dir: Path) -> tuple[set[tuple[str, str]], pd.DataFrame]:
    """The allowed (case, auditor) pairs of the month, and every conflict with its kind."""
    problem = build_problem(caseaudit.load(data_dir, MONTH), MONTH)
    cases = problem.cases.loc[~problem.cases["details_missing"], "case_id"]
    auditors = problem.auditors.loc[problem.auditors["capacity"] > 0, "staff_id"]
    forbidden = set(zip(problem.conflicts["case_id"], problem.conflicts["auditor_id"], strict=True))
    pairs = {(c, a) for c in cases for a in auditors} - forbidden
    conflicts = problem.conflicts.sort_values(list(problem.conflicts.columns)).reset_index(
        drop=True
    )
    return pairs, conflicts


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("small") / "data"
    write_input_tables(directory, generate_tables("small", 0, MONTH), "csv")
    return directory


@pytest.fixture(scope="module")
def small_baseline(small_dir: Path) -> tuple[set[tuple[str, str]], pd.DataFrame]:
    return eligible_pairs(small_dir)


def respell(name: str, style: int, separator: str, padding: str) -> str:
    """One way a person might type the header ``name``."""
    words = name.split("_")
    cased = [
        words,
        [w.upper() for w in words],
        [w.capitalize() for w in words],
        [w.upper() if i % 2 else w for i, w in enumerate(words)],
    ][style]
    return f"{padding}{separator.join(cased)}{padding}"


spellings = st.tuples(
    st.integers(0, 3), st.sampled_from(["_", " ", "-", "  ", " - "]), st.sampled_from(["", " "])
)


@settings(max_examples=examples(10), deadline=None)
@given(data=st.data())
def test_renaming_reordering_or_recasing_headers_never_changes_the_eligible_pairs(
    data: st.DataObject,
    small_dir: Path,
    small_baseline: tuple[set[tuple[str, str]], pd.DataFrame],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    directory = Path(shutil.copytree(small_dir, tmp_path_factory.mktemp("respelt") / "data"))
    for path in sorted(directory.glob("*.csv")):
        rows = read_rows(path)
        order = data.draw(st.permutations(range(len(rows[0]))), label=f"{path.name} order")
        header = [
            respell(name, *data.draw(spellings, label=f"{path.name} {name}")) for name in rows[0]
        ]
        write_rows(path, [[row[i] for i in order] for row in [header, *rows[1:]]])
    pairs, conflicts = eligible_pairs(directory)
    baseline_pairs, baseline_conflicts = small_baseline
    assert pairs  # the small preset's month has allowed pairs: the comparison means something
    assert pairs == baseline_pairs
    pd.testing.assert_frame_equal(conflicts, baseline_conflicts)
