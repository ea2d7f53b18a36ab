"""The dataset a user holds: the typed tables (``model.tables``) with the what-if
methods, which read and validate tables given in memory (``model.frames``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from caseaudit.model.config import Config
from caseaudit.model.frames import replace_tables
from caseaudit.model.record import recorded_history
from caseaudit.model.schema import TABLES
from caseaudit.model.tables import LINE, SourceFile, Tables

__all__ = ["LINE", "Dataset", "SourceFile", "dataset_from_tables"]


@dataclass(frozen=True)
class Dataset(Tables):
    """Every input table, typed (see ``Tables``), and the ways to change them in memory."""

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
        return replace_tables(self, tables, config)

    def record(self, plan: object) -> Dataset:
        """The dataset with a plan's allocations in ``history`` (issue 20, contract §6):
        ``allocated`` rows, and for a re-plan (its ``changes``) the moved rows marked
        ``reallocated`` with the new ``-r<k>`` rows. ``plan`` is an ``AllocationResult``
        (anything with ``tables``); a row already in the ledger raises ``InputError``."""
        tables = getattr(plan, "tables")  # noqa: B009 (any plan-like object)
        history = recorded_history(self["history"], tables["allocations"], tables.get("changes"))
        return self.replace(history=history)


def dataset_from_tables(
    tables: Mapping[str, pd.DataFrame],
    config: Config | Mapping[str, Mapping[str, object]] | None = None,
    label: str = "{name} (in memory)",
) -> Dataset:
    """A dataset from DataFrames alone (the ones not given are empty), checked like a
    data directory; raises ``InputError``."""
    empty = Dataset({name: Dataset.empty_table(name) for name in TABLES})
    required = {name: None for name, schema in TABLES.items() if schema.required_table}
    return replace_tables(empty, {**required, **tables}, config, label)
