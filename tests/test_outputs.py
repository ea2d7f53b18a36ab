"""The output side of issue 6: an output folder checked before any work, and output tables
declared once (columns, types, sort key) and written exactly as declared.

The CLI tests run ``caseaudit`` in-process on a tiny authority; a fixture makes any solve
fail the test, so that an exit 2 proves the folder was refused before solving.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import caseaudit
import caseaudit.api
import caseaudit.io.folders
import checker
from builders import MONTH, Authority, declared_columns
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.io.writer import OutputLocationError, OutputSchemaError, write_outputs
from caseaudit.model.config import OutputConfig
from caseaudit.model.outputs import OUTPUT_TABLES, outputs_markdown_table
from caseaudit.synth import generate_tables

README = Path(__file__).parent.parent / "README.md"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def tiny_data(root: Path) -> Path:
    """One case, two P&Q auditors: anything valid will do, the solve must never start."""
    return Authority().auditors("P1", "P2").case("C1").write(root / "data")


@pytest.fixture
def never_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any solve fails the test: an exit 2 then shows that --out was refused first."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the month was solved before --out was checked")

    monkeypatch.setattr(caseaudit.api, "allocate", refuse)
    monkeypatch.setattr(caseaudit.api, "reallocate", refuse)


def assert_refused_before_solving(result: Result, given: str) -> str:
    """Exit 2, no traceback, the first stderr line names the folder as the user gave it
    and never a staging folder; returns that line."""
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert given in first
    assert ".caseaudit-check." not in result.stderr
    assert result.stdout == ""
    return first


# --- the output location, checked before any work ---------------------------------------


def test_out_under_proc_is_refused_before_solving(tmp_path: Path, never_solves: None) -> None:
    # /proc takes no new entries even for root: a not-writable location wherever CI runs.
    result = run("allocate", str(tiny_data(tmp_path)), "--month", MONTH, "--out", "/proc/x")
    first = assert_refused_before_solving(result, "/proc/x")
    assert (
        first == "error: output folder /proc/x cannot be written: /proc does not accept new files"
    )
    assert not Path("/proc/x").exists()


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root writes through chmod 555; the /proc/x test covers an unwritable --out as root",
)
def test_out_in_a_read_only_folder_is_refused_before_solving(
    tmp_path: Path, never_solves: None
) -> None:
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        out = read_only / "out"
        result = run("allocate", str(tiny_data(tmp_path)), "--month", MONTH, "--out", str(out))
        first = assert_refused_before_solving(result, str(out))
        assert first.endswith("does not accept new files (permission denied)")
        assert list(read_only.iterdir()) == []
    finally:
        read_only.chmod(0o755)


def test_out_that_is_a_file_is_refused_before_solving(tmp_path: Path, never_solves: None) -> None:
    out = tmp_path / "out.csv"
    out.write_text("kept\n", encoding="utf-8")
    result = run("allocate", str(tiny_data(tmp_path)), "--month", MONTH, "--out", str(out))
    first = assert_refused_before_solving(result, str(out))
    assert first == f"error: output folder {out} is a file, not a folder"
    assert out.read_text(encoding="utf-8") == "kept\n"


def test_out_with_missing_parents_is_made_with_them(tmp_path: Path) -> None:
    # Issue 18: `--out out/x` with out/ missing makes both, once the run has succeeded.
    out = tmp_path / "missing" / "deeper" / "out"
    result = run("allocate", str(tiny_data(tmp_path)), "--month", MONTH, "--out", str(out))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert (out / "allocations.csv").is_file()
    assert [p.name for p in (tmp_path / "missing").iterdir()] == ["deeper"]


def test_out_with_missing_parents_makes_nothing_when_the_input_is_invalid(
    tmp_path: Path,
) -> None:
    # Exit 2 writes nothing: the missing parents are made only when the files are written.
    data = tiny_data(tmp_path)
    (data / "cases.csv").write_text("case_id\nC1\n", encoding="utf-8")
    out = tmp_path / "missing" / "out"
    result = run("allocate", str(data), "--month", MONTH, "--out", str(out))
    assert result.exit_code == 2, result.stdout + result.stderr
    assert not (tmp_path / "missing").exists()


def test_out_below_a_file_is_refused_before_solving(tmp_path: Path, never_solves: None) -> None:
    in_the_way = tmp_path / "notes"
    in_the_way.write_text("kept\n", encoding="utf-8")
    out = in_the_way / "out"
    result = run("allocate", str(tiny_data(tmp_path)), "--month", MONTH, "--out", str(out))
    first = assert_refused_before_solving(result, str(out))
    assert (
        first
        == f"error: output folder {out} cannot be created: {in_the_way} is a file, not a folder"
    )
    assert in_the_way.read_text(encoding="utf-8") == "kept\n"


def test_reallocate_checks_out_before_reading_or_solving(
    tmp_path: Path, never_solves: None
) -> None:
    # The previous plan does not even exist: the output folder is refused first.
    result = run(
        "reallocate",
        str(tiny_data(tmp_path)),
        "--month",
        MONTH,
        "--previous",
        str(tmp_path / "no-plan"),
        "--out",
        "/proc/x",
    )
    assert_refused_before_solving(result, "/proc/x")


def test_demo_checks_out_before_generating(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("kept\n", encoding="utf-8")
    result = run("demo", "--out", str(out))
    assert_refused_before_solving(result, str(out))
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_failed_final_write_names_the_users_folder_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk fills up as the staged files are moved into place: the message names the
    # folder given, never the hidden staging folder, and no file or folder is left over.
    data = tiny_data(tmp_path)
    result = caseaudit.allocate(data, MONTH)
    place = tmp_path / "place"
    place.mkdir()
    out = place / "out"

    def disk_full(source: object, target: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(source))

    monkeypatch.setattr(caseaudit.io.folders.os, "replace", disk_full)
    with pytest.raises(OutputLocationError) as raised:
        result.write(out)
    assert str(raised.value) == (
        f"could not write the output files to {out} (no space left on the device); "
        "nothing was written"
    )
    assert list(place.iterdir()) == []


def test_a_failed_replacement_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --force moves the old folder aside, then the new one in; when the second move fails
    # the old folder is moved back, byte for byte.
    result = caseaudit.allocate(tiny_data(tmp_path), MONTH)
    place = tmp_path / "place"
    place.mkdir()
    out = place / "out"
    result.write(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_replace = os.replace
    moves: list[object] = []

    def second_move_fails(source: object, target: object) -> None:
        moves.append(target)
        if len(moves) == 2:
            raise OSError(errno.EROFS, "Read-only file system", str(target))
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(caseaudit.io.folders.os, "replace", second_move_fails)
    with pytest.raises(OutputLocationError, match="read-only file system"):
        result.write(out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in place.iterdir()] == ["out"]


# --- output tables declared once --------------------------------------------------------


@pytest.fixture(scope="module")
def median_outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """allocate, then reallocate after an honoured exemption, on the median preset: every
    declared table is written, with rows."""
    root = tmp_path_factory.mktemp("median")
    data = root / "data"
    write_input_tables(data, generate_tables("median", 0, MONTH), "csv")
    first = caseaudit.allocate(data, MONTH)
    first.write(root / "plan")
    staff = pd.read_csv(data / "staff.csv", dtype=str)
    director = staff.loc[staff["role"] == "assistant_director", "staff_id"].min()
    csc_auditors = set(staff.loc[staff["staff_group"] == "csc", "staff_id"])
    case_id, auditor_id = next(
        (c, a)
        for c, a in zip(first.allocations["case_id"], first.allocations["auditor_id"], strict=True)
        if a in csc_auditors
    )
    exemptions = pd.read_csv(data / "exemptions.csv", dtype=str)
    row = {
        "case_id": case_id,
        "month": MONTH,
        "auditor_id": auditor_id,
        "requested_on": f"{MONTH}-05",
        "decision": "approved",
        "decided_by": director,
        "decided_on": f"{MONTH}-06",
    }
    pd.concat([exemptions, pd.DataFrame([row])]).to_csv(data / "exemptions.csv", index=False)
    # A case added since the plan, whose subject every auditor declared a conflict with:
    # one unallocated row.
    cases = pd.read_csv(data / "cases.csv", dtype=str)
    added = cases[cases["month"] == MONTH].iloc[[0]].assign(case_id="C9999999", subject_id="P9")
    pd.concat([cases, added]).to_csv(data / "cases.csv", index=False)
    conflicts = pd.read_csv(data / "conflicts.csv", dtype=str)
    everyone = staff.loc[staff["is_auditor"] == "true", ["staff_id"]]
    declared = everyone.rename(columns={"staff_id": "auditor_id"}).assign(subject_id="P9")
    pd.concat([conflicts, declared]).to_csv(data / "conflicts.csv", index=False)
    caseaudit.reallocate(data, MONTH, root / "plan").write(root / "replan")
    return root / "plan", root / "replan"


def test_every_declared_table_is_written_as_declared(median_outputs: tuple[Path, Path]) -> None:
    plan, replan = median_outputs
    declared = declared_columns()
    for out in (plan, replan):
        assert checker.check_output_files(out, declared) == []
    # The walk covered every declared table, each with rows: it cannot pass vacuously.
    written = {p.stem for p in replan.glob("*.parquet")}
    by_reallocate = {n for n, t in OUTPUT_TABLES.items() if "reallocate" in t.commands}
    assert written == by_reallocate
    for name in by_reallocate:
        assert pq.read_table(replan / f"{name}.parquet").num_rows > 0, name
    assert not (plan / "changes.parquet").exists()


def test_the_walk_finds_a_date_written_as_text(median_outputs: tuple[Path, Path]) -> None:
    # The walk itself can fail: the old guess-by-name writer wrote a new date column as
    # text; here distributed_on is made text in the Parquet file.
    plan, _ = median_outputs
    table = pq.read_table(plan / "allocations.parquet")
    position = table.schema.get_field_index("distributed_on")
    as_text = table.set_column(
        position, "distributed_on", table["distributed_on"].cast(pa.string())
    )
    copy = Path(shutil.copytree(plan, plan.parent / "mutated"))
    pq.write_table(as_text, copy / "allocations.parquet")
    assert checker.check_output_files(copy, declared_columns()) == [
        "allocations.parquet: distributed_on is string, declared date [declaration]"
    ]


def _valid_tables(tmp_path: Path) -> dict[str, pd.DataFrame]:
    return dict(caseaudit.allocate(tiny_data(tmp_path), MONTH).tables)


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("allocations", "distributed_on", "2026-03-02"),  # a date written as text
        ("allocations", "due_on", pd.Timestamp("2026-03-31")),  # a date with a time
        ("allocations", "case_id", dt.date(2026, 3, 1)),  # a date where text belongs
        ("allocations", "is_reaudit", "false"),  # a bool written as text
        ("allocations", "month", "2026-3"),  # not YYYY-MM
    ],
)
def test_the_writer_refuses_a_value_of_the_wrong_type(
    tmp_path: Path, table: str, column: str, value: object
) -> None:
    tables = _valid_tables(tmp_path)
    frame = tables[table].copy()
    frame[column] = pd.Series([value] * len(frame), dtype=object)
    tables[table] = frame
    out = tmp_path / "out"
    with pytest.raises(OutputSchemaError, match=f"{table}.{column} "):
        write_outputs(out, tables, {}, OutputConfig())
    assert not out.exists()


def test_the_writer_refuses_columns_that_differ_from_the_declaration(tmp_path: Path) -> None:
    tables = _valid_tables(tmp_path)
    tables["unallocated"] = tables["unallocated"].assign(note=None)
    with pytest.raises(OutputSchemaError, match="unallocated: columns"):
        write_outputs(tmp_path / "out", tables, {}, OutputConfig())
    tables = _valid_tables(tmp_path)
    tables["surprise"] = pd.DataFrame({"a": ["x"]})
    with pytest.raises(OutputSchemaError, match="surprise: not a declared output table"):
        write_outputs(tmp_path / "out", tables, {}, OutputConfig())
    assert not (tmp_path / "out").exists()


def test_the_readme_table_of_outputs_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("| file | columns")
    end = text.index("\n\n", start) + 1
    assert text[start:end] == outputs_markdown_table()


def test_the_declaration_agrees_with_the_checkers_reading_of_the_contract() -> None:
    # The checker reads contract §5 and issue 3 on its own; the declaration must say the
    # same: the contract's columns first, in order, and the same dates and booleans.
    for name, contract in checker.REALLOCATION_OUTPUT_COLUMNS.items():
        table = OUTPUT_TABLES[name]
        assert [c.name for c in table.columns if not c.extra] == list(contract), name
        kinds = table.kinds
        assert {c for c in contract if kinds[c] == "date"} == set(contract) & checker.DATE_COLUMNS
        assert {c for c in contract if kinds[c] == "bool"} == set(contract) & checker.BOOL_COLUMNS


def test_sort_key_is_every_column_in_order() -> None:
    # Contract §1: by the first column, then the next, as text by code point.
    for table in OUTPUT_TABLES.values():
        assert table.sort_key == table.column_names
