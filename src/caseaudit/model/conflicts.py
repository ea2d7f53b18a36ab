"""Conflicts of interest between auditors and cases (contract §4 rule 4).

Each kind is one function returning (case_id, auditor_id, kind) rows, so that the
forbidden pairs can both be removed from the candidates and counted in explanations.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from caseaudit.model.schema import STAFF_GROUPS

CONFLICT_COLUMNS = ["case_id", "auditor_id", "kind"]

#: Policy words for each kind, used in reasons.
CONFLICT_LABELS = {
    "direct": "the case's worker, team manager or IRO",
    "management_chain": "in the management chain above the worker or team manager",
    "same_team": "in the same team",
    "declared": "a declared conflict with the subject",
    "exempted": "an honoured exemption",
}

#: Who may agree an exemption, by the auditor's staff group (§4).
EXEMPTION_APPROVER_ROLE = {"csc": "assistant_director", "pq": "strategic_lead_ipq"}
assert set(EXEMPTION_APPROVER_ROLE) == set(STAFF_GROUPS)


def ancestors_of(manager_of: dict[str, str]) -> dict[str, list[str]]:
    """Every staff member's managers up the chain, nearest first.

    Validation rejects loops; the ``seen`` guard only keeps a bad input from hanging.
    """
    result: dict[str, list[str]] = {}
    for staff_id in manager_of:
        above: list[str] = []
        current = manager_of.get(staff_id)
        while current is not None and current not in above and current != staff_id:
            above.append(current)
            current = manager_of.get(current)
        result[staff_id] = above
    return result


def direct_conflicts(cases: pd.DataFrame) -> Iterable[tuple[str, str, str]]:
    for key, worker, manager, iro in zip(
        cases["case_id"],
        cases["allocated_worker_id"],
        cases["team_manager_id"],
        cases["iro_id"],
        strict=True,
    ):
        for person in {worker, manager, iro}:
            if person is not None:
                yield key, person, "direct"


def chain_conflicts(
    cases: pd.DataFrame, ancestors: dict[str, list[str]]
) -> Iterable[tuple[str, str, str]]:
    for key, worker, manager in zip(
        cases["case_id"], cases["allocated_worker_id"], cases["team_manager_id"], strict=True
    ):
        above = set(ancestors.get(worker, []))
        if manager is not None:
            above.update(ancestors.get(manager, []))
        for person in above:
            yield key, person, "management_chain"


def same_team_conflicts(
    cases: pd.DataFrame, auditors: pd.DataFrame
) -> Iterable[tuple[str, str, str]]:
    """A team is the pair (service, team); no team means never the same team."""
    members: dict[tuple[str, str], list[str]] = {}
    for staff_id, service, team in zip(
        auditors["staff_id"], auditors["service"], auditors["team"], strict=True
    ):
        if team is not None:
            members.setdefault((service, team), []).append(staff_id)
    for key, service, team in zip(cases["case_id"], cases["service"], cases["team"], strict=True):
        if team is not None:
            for person in members.get((service, team), []):
                yield key, person, "same_team"


def declared_conflicts(
    cases: pd.DataFrame, conflicts: pd.DataFrame
) -> Iterable[tuple[str, str, str]]:
    by_subject: dict[str, set[str]] = {}
    for auditor_id, subject_id in zip(
        conflicts["auditor_id"], conflicts["subject_id"], strict=True
    ):
        by_subject.setdefault(subject_id, set()).add(auditor_id)
    for key, subject in zip(cases["case_id"], cases["subject_id"], strict=True):
        for person in by_subject.get(subject, ()):
            yield key, person, "declared"


def exempted_conflicts(
    cases: pd.DataFrame, exemption_decisions: pd.DataFrame
) -> Iterable[tuple[str, str, str]]:
    """An honoured exemption takes the auditor off that case (§4)."""
    honoured = exemption_decisions[exemption_decisions["honoured"].astype(bool)]
    by_case: dict[str, set[str]] = {}
    for case_id, auditor_id in zip(honoured["case_id"], honoured["auditor_id"], strict=True):
        by_case.setdefault(case_id, set()).add(auditor_id)
    for key, case_id in zip(cases["case_id"], cases["case_id"], strict=True):
        for person in by_case.get(case_id, ()):
            yield key, person, "exempted"
