"""The README's example rows (issue 24, "Docs that run"): every input table has one, and
together they are a data folder that ``caseaudit validate`` accepts, with the month's
rules too. Each block is taken from README.md, so that the examples cannot rot: a new
table, a renamed column or a rule the rows break fails here."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from caseaudit.cli.main import cli
from caseaudit.model.schema import TABLES

README = Path(__file__).parent.parent / "README.md"

#: The block's own marker: the examples are the ```csv blocks after it, up to </details>.
MARKER = "<!-- tests/test_readme_examples.py"


def example_tables() -> dict[str, str]:
    """Each ```csv block of the README's examples, by the table its caption names."""
    text = README.read_text(encoding="utf-8")
    start = text.index(MARKER)
    block = text[start : text.index("</details>", start)]
    found = re.findall(r"`(\w+)\.csv`\n```csv\n(.*?)```", block, re.DOTALL)
    tables = dict(found)
    assert len(tables) == len(found), "a table is given twice"
    return tables


def test_every_input_table_has_an_example_row() -> None:
    tables = example_tables()
    assert set(tables) == set(TABLES)
    for name, csv in tables.items():
        assert len(csv.splitlines()) >= 2, name  # a header and at least one row


def test_the_readme_example_rows_validate(tmp_path: Path) -> None:
    tables = example_tables()
    for name, csv in tables.items():
        (tmp_path / f"{name}.csv").write_text(csv, encoding="utf-8")
    # The cases' month, 2026-03, with its rules: breaks, exemptions and the ledger.
    result = CliRunner().invoke(cli, ["validate", str(tmp_path), "--month", "2026-03"])
    assert result.exit_code == 0, result.output
    # Every row was read: the counts validate prints are the blocks' rows.
    counts = ", ".join(f"{name} {len(csv.splitlines()) - 1}" for name, csv in tables.items())
    said = result.stdout.splitlines()[0].removeprefix("valid: ").split(", ")
    assert sorted(said) == sorted(counts.split(", "))
    assert result.stderr == ""  # no column ignored, no warning
