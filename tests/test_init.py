"""``caseaudit init DIR [--xlsx]`` (issue 24): blank tables to fill and a commented
config.toml; a filled-in template then runs like any data folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from caseaudit.cli.main import cli
from caseaudit.io.config_reader import read_config
from caseaudit.model.config import Config
from caseaudit.model.errors import IssueCollector
from caseaudit.model.schema import TABLES


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_writes_every_table_header_and_a_config_that_changes_nothing(tmp_path: Path) -> None:
    code, _, stderr = run("init", str(tmp_path / "data"))
    assert code == 0, stderr
    for name, schema in TABLES.items():
        header = (tmp_path / "data" / f"{name}.csv").read_text(encoding="utf-8").strip()
        expected = [c.name for c in schema.columns if not c.written_when_used]
        assert header.split(",") == expected, name
    # As written, every key is commented out: the defaults. Uncommented, every key parses
    # and each is its default (so the file lists every key of the contract's config).
    config = (tmp_path / "data" / "config.toml").read_text(encoding="utf-8")
    uncommented = "\n".join(
        line[2:].split("  #")[0] if line.startswith("# ") and " = " in line else line
        for line in config.splitlines()
        if "not set by default" not in line
    )
    (tmp_path / "all.toml").write_text(uncommented, encoding="utf-8")
    for path in (tmp_path / "data" / "config.toml", tmp_path / "all.toml"):
        issues = IssueCollector()
        read, _, _ = read_config(path, issues)
        assert not issues.issues, issues.issues
        assert read == Config()
    keys = {(s, k) for s, v in tomllib.loads(uncommented).items() for k in v}
    every = {(s, k) for s, model in Config() for k in dict(model)}
    # A key whose default is None (no sample size, no mail server) is listed commented
    # out ("not set by default"): it has no value to uncomment.
    unset = {(s, k) for s, model in Config() for k, v in dict(model).items() if v is None}
    assert ("sample", "size") in unset and ("smtp", "host") in unset
    assert every - keys == unset


def test_init_xlsx_writes_one_workbook_a_sheet_per_table_and_a_readme(tmp_path: Path) -> None:
    code, _, stderr = run("init", str(tmp_path / "data"), "--xlsx")
    assert code == 0, stderr
    book = CalamineWorkbook.from_path(str(tmp_path / "data" / "caseaudit.xlsx"))
    assert book.sheet_names == ["README", *TABLES]
    readme = pd.read_excel(
        tmp_path / "data" / "caseaudit.xlsx", sheet_name="README", engine="calamine"
    )
    assert set(readme["table"]) == set(TABLES)
    role = readme[(readme["table"] == "staff") & (readme["column"] == "role")].iloc[0]
    assert "pq_officer" in role["holds"]
    # The blank workbook is a data folder: it validates (the README sheet is no table).
    code, _, stderr = run("validate", str(tmp_path / "data"))
    assert code == 0, stderr
    assert stderr == ""


def test_a_filled_template_allocates(tmp_path: Path) -> None:
    # The workbook filled in by pandas (the template's sheets as the small preset's
    # CSVs) is a data folder like any other.
    code, _, _ = run("generate", "--preset", "small", "--out", str(tmp_path / "csv"))
    assert code == 0
    assert run("init", str(tmp_path / "data"), "--xlsx")[0] == 0
    with pd.ExcelWriter(tmp_path / "data" / "caseaudit.xlsx", engine="xlsxwriter") as writer:
        for name in TABLES:
            path = tmp_path / "csv" / f"{name}.csv"
            if path.exists():
                pd.read_csv(path, dtype=str, keep_default_na=False).to_excel(
                    writer, sheet_name=name, index=False
                )
    code, _, stderr = run(
        "allocate", str(tmp_path / "data"), "--month", "2026-03", "--out", str(tmp_path / "out")
    )
    assert code == 0, stderr
    assert (tmp_path / "out" / "allocations.xlsx").exists()


def test_init_never_writes_into_a_folder_that_holds_files(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "staff.csv").write_text("mine\n", encoding="utf-8")
    code, _, stderr = run("init", str(tmp_path / "data"))
    assert code == 2
    assert (tmp_path / "data" / "staff.csv").read_text(encoding="utf-8") == "mine\n"
    assert run("init", str(tmp_path / "new"))[0] == 0
    code, _, stderr = run("init", str(tmp_path / "new"), "--xlsx")  # a template, maybe filled
    assert code == 2
    assert "init writes blank tables only into a new or empty folder" in stderr
    assert not (tmp_path / "new" / "caseaudit.xlsx").exists()
