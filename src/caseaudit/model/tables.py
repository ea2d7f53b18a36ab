"""The typed input tables of one data directory, as plain data (contract §3).

What every check and plan reads. The what-if methods (``Dataset.replace``,
``Dataset.record``) read and validate tables again, so they live one step up, on
``model.dataset.Dataset``, which adds them to this.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from caseaudit.model.config import Config
from caseaudit.model.errors import InputIssue
from caseaudit.model.schema import TABLES

#: Column holding each row's spreadsheet line, kept so that later checks can locate rows.
LINE = "_line"


@dataclass(frozen=True)
class SourceFile:
    """Where a table came from, for messages and the manifest."""

    table: str
    path: str
    file_name: str
    sha256: str


@dataclass(frozen=True)
class Tables:
    """Every input table, typed: text as str or None, dates as ``datetime.date``, booleans
    as bool, months as ``YYYY-MM`` text. Missing optional tables are empty frames with
    the contract's columns. Each frame carries the ``_line`` column."""

    tables: dict[str, pd.DataFrame]
    sources: dict[str, SourceFile] = field(default_factory=dict)
    config: Config = field(default_factory=Config)
    config_source: SourceFile | None = None
    config_lines: dict[str, int] = field(default_factory=dict)
    #: Tables whose file could not be read or lacks a required column: checks that
    #: depend on them are skipped rather than reporting noise.
    unreadable: frozenset[str] = frozenset()
    #: What was read but ignored (an unknown column, say), located like an input error.
    warnings: tuple[InputIssue, ...] = ()

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def file_name(self, table: str) -> str:
        source = self.sources.get(table)
        return source.file_name if source else f"{table}.csv"

    @staticmethod
    def empty_table(name: str) -> pd.DataFrame:
        columns = [*TABLES[name].column_names, LINE]
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
