"""Identity of ids, services and teams (contract §1 "Identity", "References must resolve").

Every id, service and team is compared by :func:`identity_key` (Unicode NFKC, every run
of whitespace one space, trimmed, case-folded), and only here. :func:`canonical_dataset`
runs once, where the tables are read (``read_dataset``, ``Dataset.replace``): it
rewrites every reference in the spelling of the table that defines the value — a staff
id, a service and a team as in ``staff``, a case id as in ``cases``, a subject as in
``cases`` then ``history``, an audit id as in ``history``, a rated domain as
``[outcomes] domains`` — so that the rules, the moderation rules, the report and
``explain`` downstream see one spelling of each value, and the outputs spell a value as
its defining table does. A reference that matches no defining value is left as written:
``caseaudit.model.validate`` reports it, with :meth:`Spellings.unknown` adding the
leading-zero hint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from caseaudit.model.config import Config
from caseaudit.model.errors import IssueCollector
from caseaudit.model.keys import identity_key, identity_key_array, identity_keys, zeros_ignored
from caseaudit.model.tables import LINE, Tables

#: A dataset in, the same kind of dataset out.
T = TypeVar("T", bound=Tables)

#: How a message tells a user to keep leading zeros (contract §1).
KEEP_ZEROS = (
    "a spreadsheet drops leading zeros from a column it reads as numbers: format the "
    "column as Text before typing or pasting the ids, and save the table again"
)

#: The staff ids each table names (contract §3), ``staff.manager_id`` included.
STAFF_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "staff": ("manager_id",),
    "cases": ("allocated_worker_id", "team_manager_id", "iro_id"),
    "breaks": ("auditor_id",),
    "conflicts": ("auditor_id",),
    "exemptions": ("auditor_id", "decided_by"),
    "history": ("auditor_id",),
    "challenges": ("raised_by",),
    "moderations": ("moderator_id",),
    "break_preferences": ("auditor_id",),
    "caseload": ("allocated_worker_id", "team_manager_id", "iro_id"),
}
#: The audit ids each table names (defined by ``history.audit_id``).
AUDIT_ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "history": ("reaudit_of",),
    "challenges": ("audit_id",),
    "moderations": ("audit_id",),
    "outcomes": ("audit_id",),
}
#: The case ids each table names (defined by ``cases.case_id``). ``history.case_id``
#: takes the spelling of ``cases`` when the case is there; a ledger may reach back
#: before the sample file, so it is not required to.
CASE_ID_COLUMNS: dict[str, tuple[str, ...]] = {"exemptions": ("case_id",), "history": ("case_id",)}


class Spellings:
    """The values of one identity as their defining table spells them: the first
    spelling of each key (in the order given) is the value's spelling.

    Built lazily, each part once (the values are a snapshot taken here): at national
    scale most lookups are of a value already spelled as defined, which needs no key
    (``changes``), so the keys of the hundreds of thousands of defining values are
    computed in one vectorised pass (``identity_keys``) and the key → spelling map only
    when some value is spelled otherwise."""

    def __init__(self, values: Iterable[object]) -> None:
        self._given = values if isinstance(values, np.ndarray) else list(values)
        self._values: list[str] | None = None
        self._keys: list[str] | None = None
        self._by_key: dict[str, str] | None = None
        self._spellings: frozenset[str] | None = None
        self._one_per_key: bool | None = None
        self._by_zeros: dict[str, list[str]] | None = None

    @property
    def values(self) -> list[str]:
        """The distinct texts given, in the order of their first appearance."""
        if self._values is None:
            self._values = _distinct(self._given)
        return self._values

    @property
    def keys(self) -> list[str]:
        """``identity_key`` of each of ``values``."""
        if self._keys is None:
            self._keys = identity_keys(self.values)
        return self._keys

    @property
    def by_key(self) -> dict[str, str]:
        """Each key's spelling: the first value given with that key."""
        if self._by_key is None:
            by_key: dict[str, str] = {}
            for key, value in zip(self.keys, self.values, strict=True):
                by_key.setdefault(key, value)
            self._by_key = by_key
        return self._by_key

    def one_spelling_per_key(self) -> bool:
        """Whether no two values given share a key (the usual case), counted by pyarrow
        without a Python list of the keys."""
        if self._one_per_key is None:
            if self._keys is None and (array := identity_key_array(self.values)) is not None:
                distinct = pc.count_distinct(array).as_py()
            else:
                distinct = len(set(self.keys))
            self._one_per_key = distinct == len(self.values)
        return self._one_per_key

    def spellings(self) -> frozenset[str]:
        """Every value as spelled (each key's first value)."""
        if self._spellings is None:
            self._spellings = frozenset(
                self.values if self.one_spelling_per_key() else self.by_key.values()
            )
        return self._spellings

    def spell(self, value: str) -> str | None:
        """The defining spelling of ``value``, None when it names nothing."""
        return self.by_key.get(identity_key(value))

    def changes(self, values: Iterable[object]) -> dict[str, str]:
        """Each of ``values`` (distinct) that names a value spelled otherwise, mapped to
        that spelling. A value that is itself a spelling is its own (the key of that
        spelling was first given by it), so only the others need their key."""
        changes: dict[str, str] = {}
        for value in set(values).difference(self.spellings()):
            if isinstance(value, str):
                spelling = self.spell(value)
                if spelling is not None and spelling != value:
                    changes[value] = spelling
        return changes

    def spelt(self) -> list[str]:
        """Every value, as spelled, sorted as text by code point (contract §1)."""
        return sorted(self.spellings())

    def without_zeros(self, value: str) -> str | None:
        """The one known value that ``value`` matches once leading zeros are ignored and
        that has zeros ``value`` lacks ("597" for "00000597", as a spreadsheet leaves
        it); None when none or several do."""
        if self._by_zeros is None:
            self._by_zeros = {}
            for key, spelling in self.by_key.items():
                self._by_zeros.setdefault(zeros_ignored(key), []).append(spelling)
        key = identity_key(value)
        found = self._by_zeros.get(zeros_ignored(key), [])
        if len(found) != 1 or len(identity_key(found[0])) <= len(key):
            return None
        return found[0]

    def unknown(self, message: str, value: str, where: str) -> str:
        """``message`` about a ``value`` that names nothing, with the leading-zero hint
        when it matches one known value (in ``where``, a file) once zeros are ignored."""
        match = self.without_zeros(value)
        if match is None:
            return message
        return (
            f"{message}; it matches {match!r} in {where} once leading zeros are ignored: "
            f"{KEEP_ZEROS}"
        )


@dataclasses.dataclass(frozen=True)
class Identities:
    """The defining spellings of every identity of one dataset."""

    staff_ids: Spellings
    case_ids: Spellings
    subjects: Spellings
    audit_ids: Spellings
    services: Spellings
    #: Each service's teams, by the service's key.
    teams: dict[str, Spellings]

    @staticmethod
    def of(data: Tables) -> Identities:
        staff = data["staff"]
        services = Spellings(_column(staff, "service"))
        team_values: dict[str, list[object]] = {}
        service_keys = dict(zip(services.values, services.keys, strict=True))
        # One row per (service, team) pair, in the order of first appearance.
        pairs = staff[["service", "team"]].drop_duplicates()
        for service, team in zip(pairs["service"].tolist(), pairs["team"].tolist(), strict=True):
            if isinstance(service, str):
                team_values.setdefault(service_keys[service], []).append(team)
        subjects = [
            _column(data[table], "subject_id") for table in ("cases", "history", "caseload")
        ]
        return Identities(
            staff_ids=Spellings(_column(staff, "staff_id")),
            case_ids=Spellings(_column(data["cases"], "case_id")),
            subjects=Spellings(np.concatenate(subjects)),
            audit_ids=Spellings(_column(data["history"], "audit_id")),
            services=services,
            teams={service: Spellings(values) for service, values in team_values.items()},
        )

    def teams_of(self, service: str) -> Spellings:
        # Not ``.get(key, Spellings(()))``: that builds the empty default on every call,
        # once per (service, team) pair of the caseload (seconds at national scale).
        spellings = self.teams.get(identity_key(service))
        return spellings if spellings is not None else Spellings(())


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=object)


def _distinct(values: np.ndarray | list[object]) -> list[str]:
    """The distinct texts of ``values``, in the order of their first appearance."""
    array = np.empty(len(values), dtype=object)
    array[:] = values  # not np.asarray: it would read a list of equal tuples as a matrix
    distinct = pd.unique(array.astype(object, copy=False))
    if pd.api.types.infer_dtype(distinct, skipna=True) == "string":
        return distinct[~pd.isna(distinct)].tolist()  # texts and nulls only
    return [v for v in distinct if isinstance(v, str)]


def canonical_dataset(data: T, issues: IssueCollector) -> T:
    """``data`` with every id, service and team spelled as its defining table spells it
    (contract §1); two values of one table's key that only differ in spelling are
    reported in ``issues``. A value that names nothing is left as written, for
    ``validate_dataset`` to report."""
    known = Identities.of(data)
    _check_key_spellings(data, known, issues)
    tables = dict(data.tables)

    def respell(table: str, column: str, spellings: Spellings) -> None:
        tables[table] = _respelled(tables[table], column, spellings)

    staff = tables["staff"]
    tables["staff"] = _respelled(staff, "service", known.services)
    tables["staff"] = _respelled_teams(tables["staff"], known)
    for table, columns in STAFF_ID_COLUMNS.items():
        for column in columns:
            respell(table, column, known.staff_ids)
    for table, columns in AUDIT_ID_COLUMNS.items():
        for column in columns:
            respell(table, column, known.audit_ids)
    for table, columns in CASE_ID_COLUMNS.items():
        for column in columns:
            respell(table, column, known.case_ids)
    respell("cases", "subject_id", known.subjects)
    respell("history", "subject_id", known.subjects)
    respell("conflicts", "subject_id", known.subjects)
    # A rated domain as ``[outcomes] domains`` spells it (§16, issue 20).
    respell("outcomes", "domain", Spellings(data.config.outcomes.domains))
    tables["cases"] = _respelled_case_ids(tables["cases"], known.case_ids)
    tables["cases"] = _respelled(tables["cases"], "service", known.services)
    tables["cases"] = _respelled_teams(tables["cases"], known)
    # The open cases the sample is drawn from (issue 21) name staff, services and teams
    # as the sample does.
    respell("caseload", "subject_id", known.subjects)
    tables["caseload"] = _respelled(tables["caseload"], "service", known.services)
    tables["caseload"] = _respelled_teams(tables["caseload"], known)
    config = _respelled_config(data, known)
    if all(tables[name] is data.tables[name] for name in tables) and config is data.config:
        return data
    return dataclasses.replace(data, tables=tables, config=config)


def _respelled(frame: pd.DataFrame, column: str, spellings: Spellings) -> pd.DataFrame:
    """``frame`` with ``column`` respelled (a value ``spellings`` does not know is kept);
    the same frame when nothing changes, the usual case."""
    values = frame[column].to_numpy(dtype=object)
    changes = spellings.changes(pd.unique(values))
    if not changes:
        return frame
    changed = frame.copy()
    changed[column] = pd.Series(
        [changes.get(v, v) if isinstance(v, str) else v for v in values.tolist()],
        index=frame.index,
        dtype=object,
    )
    return changed


def _respelled_teams(frame: pd.DataFrame, known: Identities) -> pd.DataFrame:
    """``frame``'s team (a pair with its service, contract §3) as ``staff`` spells it
    for that service; ``frame``'s service is already respelled."""
    changes: dict[tuple[str, str], str] = {}
    for service, teams in frame.groupby("service", sort=False)["team"]:
        if isinstance(service, str):
            team_changes = known.teams_of(service).changes(pd.unique(teams.to_numpy(object)))
            changes.update({(service, team): to for team, to in team_changes.items()})
    if not changes:
        return frame
    changed = frame.copy()
    changed["team"] = pd.Series(
        [
            changes.get((service, team), team)
            for service, team in zip(frame["service"], frame["team"], strict=True)
        ],
        index=frame.index,
        dtype=object,
    )
    return changed


def _respelled_case_ids(cases: pd.DataFrame, case_ids: Spellings) -> pd.DataFrame:
    """One case's rows of several months in one spelling, its first; rows of one month
    whose ids only differ in spelling are an error (reported) and keep theirs."""
    respelled = _respelled(cases, "case_id", case_ids)
    if respelled is cases:
        return cases
    distinct = Spellings(_column(cases, "case_id"))
    key_of = dict(zip(distinct.values, distinct.keys, strict=True))
    keys = pd.DataFrame(
        {
            "key": cases["case_id"].map(key_of).to_numpy(dtype=object),
            "month": _column(cases, "month"),
        }
    )
    clashing = keys.duplicated(keep=False).to_numpy() & keys["key"].notna().to_numpy()
    kept = cases[clashing & (respelled["case_id"] != cases["case_id"]).to_numpy()]
    respelled.loc[kept.index, "case_id"] = kept["case_id"]
    return respelled


def _respelled_config(data: Tables, known: Identities) -> Config:
    """``[moderation] connected_services`` spelled as ``staff`` spells each service."""
    config = data.config
    groups = config.moderation.connected_services
    spelled = [[known.services.spell(name) or name for name in group] for group in groups]
    if spelled == groups:
        return config
    moderation = config.moderation.model_copy(update={"connected_services": spelled})
    return config.model_copy(update={"moderation": moderation})


#: The columns whose values define an identity, one row each, with the key they are in.
_DEFINING_KEYS = {
    "staff": ("staff_id", ()),
    "cases": ("case_id", ("month",)),
    "history": ("audit_id", ()),
}


def _check_key_spellings(data: Tables, known: Identities, issues: IssueCollector) -> None:
    """Contract §1: two different values of one table's key that normalise alike are an
    input error (``S1`` and ``s1`` in staff), located at the later row."""
    defined = {"staff": known.staff_ids, "cases": known.case_ids, "history": known.audit_ids}
    for table, (column, rest) in _DEFINING_KEYS.items():
        frame = data[table]
        if defined[table].one_spelling_per_key():
            continue  # the usual case: every key has one spelling, without a row walk
        first: dict[tuple, tuple[str, int]] = {}
        columns = [column, *rest, LINE]
        for row in frame[columns].itertuples(index=False, name=None):
            value, others, line = row[0], tuple(row[1:-1]), row[-1]
            if not isinstance(value, str):
                continue
            key = (identity_key(value), *others)
            if key not in first:
                first[key] = (value, line)
                continue
            spelled, first_line = first[key]
            if spelled != value:
                issues.add(
                    data.file_name(table),
                    line,
                    column,
                    f"{value!r} and {spelled!r} (line {first_line}) are one {column} once "
                    "case, spaces and Unicode forms are ignored: spell them alike, or give "
                    "them ids that differ by more",
                )
