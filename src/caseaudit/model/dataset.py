"""The typed input tables of one data directory, as read by ``caseaudit.io``."""

from __future__ import annotations

from collections.abc import Mapping
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
class Dataset:
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

    def with_config(self, section: str, **values: object) -> Dataset:
        """A what-if copy with some config values changed, validated like config.toml.

        ``data.with_config("policy", max_break_fraction="0.25")`` is
        ``data.replace(config={"policy": {"max_break_fraction": "0.25"}})``.
        """
        return self.replace(config={section: values})

    def replace(
        self,
        *,
        config: Config | Mapping[str, Mapping[str, object]] | None = None,
        **tables: pd.DataFrame | None,
    ) -> Dataset:
        """A what-if copy with any tables and policy changed, nothing written to disk.

        ``data.replace(staff=fewer_officers, config={"policy": {"max_break_fraction":
        "0.25"}})``: each table given (a DataFrame with the contract's columns, or None
        for an empty optional table) is read by the same rules as a file, the config keys
        given change, and the whole dataset is validated again; every problem is raised
        together as ``InputError``, located as ``replace(staff=…):<line>: <column>:
        <message>`` with row i of the frame on line i + 2.
        """
        # The reader's header and cell rules, applied to frames in memory (no file).
        from caseaudit.io.frames import replace_tables

        return replace_tables(self, tables, config)

    def record(self, plan: object) -> Dataset:
        """The dataset with a plan's allocations in ``history`` (issue 20, contract §6):
        ``allocated`` rows, and for a re-plan (its ``changes``) the moved rows marked
        ``reallocated`` with the new ``-r<k>`` rows. ``plan`` is an ``AllocationResult``
        (anything with ``tables``); a row already in the ledger raises ``InputError``."""
        from caseaudit.model.record import recorded_history

        tables = getattr(plan, "tables")  # noqa: B009 (any plan-like object)
        history = recorded_history(self["history"], tables["allocations"], tables.get("changes"))
        return self.replace(history=history)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def file_name(self, table: str) -> str:
        source = self.sources.get(table)
        return source.file_name if source else f"{table}.csv"

    @staticmethod
    def empty_table(name: str) -> pd.DataFrame:
        columns = [*TABLES[name].column_names, LINE]
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
