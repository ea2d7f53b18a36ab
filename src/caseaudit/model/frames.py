"""Tables given in memory: a notebook's what-if, or a generated authority.

A DataFrame is read by exactly the rules a file is read by (``read_frame``: the header
rules, every cell typed, enums and dates checked), then the whole dataset is checked by
``caseaudit.model.validate``; every problem is raised together as ``InputError``, located
as ``replace(staff=…):<line>: <column>: <message>`` where line i + 2 is the frame's row i
(as for Parquet). Nothing here touches a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import TypeVar

import pandas as pd
from pydantic import ValidationError

from caseaudit.model.cells import read_frame
from caseaudit.model.config import Config
from caseaudit.model.config_messages import config_message
from caseaudit.model.errors import IssueCollector
from caseaudit.model.identity import canonical_dataset
from caseaudit.model.schema import TABLES
from caseaudit.model.tables import SourceFile, Tables
from caseaudit.model.validate import validate_dataset

#: What a config change may be: a whole ``Config``, or sections of keys to change.
ConfigChange = Config | Mapping[str, Mapping[str, object]]
#: The tables in, the same kind of tables out (a ``Dataset`` stays one).
T = TypeVar("T", bound=Tables)


def replace_tables(
    data: T,
    tables: Mapping[str, pd.DataFrame | None],
    config: ConfigChange | None = None,
    label: str = "replace({name}=…)",
    validate: bool = True,
) -> T:
    """``data`` with some tables (a DataFrame, or None for an empty optional table) and
    config values changed, checked like a data directory; raises ``InputError``.

    ``config`` is a ``Config`` or ``{"policy": {"max_break_fraction": "0.25"}}``: the
    keys given change, the others keep their values. ``validate=False`` types the cells
    but leaves the rules across rows and tables to the caller's next step (the
    simulation's, whose ``allocate`` and ``moderate`` check the whole dataset anyway).
    """
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise TypeError(f"unknown table {unknown[0]!r}; the tables are {', '.join(TABLES)}")
    issues = IssueCollector()
    new_tables = dict(data.tables)
    sources = dict(data.sources)
    unreadable = set(data.unreadable)
    for name, frame in tables.items():
        file = label.format(name=name)
        unreadable.discard(name)
        if frame is None:
            if TABLES[name].required_table:
                issues.add(file, 1, "-", f"{name} is required: give a table, not None")
                unreadable.add(name)
            new_tables[name] = Tables.empty_table(name)
            sources.pop(name, None)
            continue
        typed, sound = read_frame(frame, TABLES[name], file, issues)
        new_tables[name] = typed
        if not sound:
            unreadable.add(name)
        sources[name] = SourceFile(name, "<memory>", file, _frame_sha256(frame))
    changed = dataclasses.replace(
        data, tables=new_tables, sources=sources, unreadable=frozenset(unreadable)
    )
    if config is not None:
        changed = _with_config(changed, config, label.format(name="config"), issues)
    # Contract §1: a table given anew may spell a value another table defines.
    changed = canonical_dataset(changed, issues)
    if validate:
        validate_dataset(changed, None, issues)
    issues.raise_if_any()
    return changed


def _with_config(data: T, change: ConfigChange, file: str, issues: IssueCollector) -> T:
    """The config changed, each invalid key reported in config.toml's words."""
    if isinstance(change, Config):
        merged = change.model_dump()
    else:
        merged = data.config.model_dump()
        for section, values in change.items():
            current = merged.get(section)
            merged[section] = {**current, **values} if isinstance(current, dict) else values
    try:
        config = Config.model_validate(merged, strict=False)
    except ValidationError as exc:
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"])
            issues.add(file, 1, location, config_message(error))
        return data
    digest = hashlib.sha256(config.model_dump_json().encode()).hexdigest()
    # A source, so that the checks of the config against the tables run (a typo in
    # connected_services would silently weaken a moderator's independence, §22).
    return dataclasses.replace(
        data,
        config=config,
        config_source=SourceFile("config", "<memory>", file, digest),
        config_lines={},
    )


def _frame_sha256(frame: pd.DataFrame) -> str:
    """A fingerprint of the table as given, for the manifest's inputs."""
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
