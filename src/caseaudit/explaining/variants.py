"""Variants of a month's problem for ``caseaudit explain`` (issue 11): one pair forced,
or one hard rule relaxed for named auditors, teams or conflicts.

Each variant is the frozen ``MonthProblem`` with some rows changed (``replace``), so the
same solver adapter solves it for real; nothing here knows about the solver. The direct
conflicts (worker, team manager, IRO) are never relaxed.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from caseaudit.explaining.facts import RELAXABLE_RULES, RelaxUnit
from caseaudit.plans.month.problem import MonthProblem


def forced_remainder(problem: MonthProblem, case_id: str, auditor_id: str) -> MonthProblem:
    """The month left to plan once ``case_id`` is given to ``auditor_id``: the case
    taken out, the auditor's capacity one less.

    The auditor's next audits this month cost one slot more (fair spread is convex in
    the month, §2); fair spread is linear in the audits of the year, so counting the
    forced audit as one more this year prices those slots exactly.
    """
    cases = problem.cases[problem.cases["case_id"] != case_id].reset_index(drop=True)
    auditors = problem.auditors.copy()
    chosen = auditors["staff_id"] == auditor_id
    auditors.loc[chosen, "capacity"] = auditors.loc[chosen, "capacity"] - 1
    auditors.loc[chosen, "year_count"] = auditors.loc[chosen, "year_count"] + 1
    return problem.replace(cases=cases, auditors=auditors)


def _capacity_without(problem: MonthProblem, auditor_id: str, rule_id: str) -> int:
    """The auditor's capacity this month under every hard rule but ``rule_id`` (the
    tightest limit, as ``apply_rules`` takes it)."""
    if "monthly_max" in problem.restrictions:
        capacity = problem.policy.max_audits_per_month
    else:
        capacity = max(len(problem.cases), 1)
    for other, restriction in problem.restrictions.items():
        if other != rule_id and auditor_id in restriction.capacity.index:
            capacity = min(capacity, int(restriction.capacity[auditor_id]))
    return capacity


def relaxed(
    problem: MonthProblem,
    units: Iterable[RelaxUnit],
    seen_subject: pd.DataFrame | None = None,
) -> MonthProblem:
    """The month with each unit's rule given up for its auditor, team or conflict.

    ``seen_subject`` is the fresh-eyes pairs of every auditor
    (``seen_subject_by_any_auditor``): an auditor freed here is priced for fresh eyes like
    anyone else. Without it, a freed auditor is not (the month's own pairs list only
    auditors with room)."""
    units = list(units)
    for unit in units:
        if unit.rule not in RELAXABLE_RULES:
            raise ValueError(f"{unit.rule} is never relaxed")
    auditors = problem.auditors.copy()
    capacity = dict(zip(auditors["staff_id"], auditors["capacity"], strict=True))
    for unit in units:
        if unit.rule == "on_break":
            capacity[unit.key[0]] = _capacity_without(problem, unit.key[0], "on_break")
        elif unit.rule == "yearly_max":
            # One more audit this year: the yearly limit leaves room for exactly one.
            capacity[unit.key[0]] = min(_capacity_without(problem, unit.key[0], "yearly_max"), 1)
    revoked = {unit.key[0] for unit in units if unit.rule == "on_break"}
    auditors.loc[auditors["staff_id"].isin(revoked), "break_granted"] = False
    auditors["capacity"] = auditors["staff_id"].map(capacity).astype(int)

    conflicts = problem.conflicts
    cases = problem.cases
    teams = {unit.key for unit in units if unit.rule == "same_team"}
    declared = {unit.key for unit in units if unit.rule == "declared"}
    team_of = dict(
        zip(cases["case_id"], zip(cases["service"], cases["team"], strict=True), strict=True)
    )
    subject_of = dict(zip(cases["case_id"], cases["subject_id"], strict=True))
    dropped = [
        (kind == "same_team" and team_of[case_id] in teams)
        or (kind == "declared" and (auditor_id, subject_of[case_id]) in declared)
        for case_id, auditor_id, kind in zip(
            conflicts["case_id"], conflicts["auditor_id"], conflicts["kind"], strict=True
        )
    ]
    changes: dict[str, pd.DataFrame] = {
        "auditors": auditors,
        "conflicts": conflicts[~pd.Series(dropped, index=conflicts.index, dtype=bool)].reset_index(
            drop=True
        ),
    }
    if seen_subject is not None:
        with_room = set(auditors.loc[auditors["capacity"] > 0, "staff_id"])
        changes["seen_subject"] = seen_subject[
            seen_subject["auditor_id"].isin(with_room)
        ].reset_index(drop=True)
    return problem.replace(**changes)


def units_used(
    problem: MonthProblem, units: list[RelaxUnit], plan: pd.DataFrame
) -> list[RelaxUnit]:
    """The units, in order, that ``plan`` (a plan of the month relaxed by ``units``) relies
    on: a freed auditor who audits a case, a team or declared conflict that one of the
    plan's pairs is forbidden by in the month itself."""
    cases = problem.cases
    team_of = dict(
        zip(cases["case_id"], zip(cases["service"], cases["team"], strict=True), strict=True)
    )
    subject_of = dict(zip(cases["case_id"], cases["subject_id"], strict=True))
    pairs = set(zip(plan["case_id"], plan["auditor_id"], strict=True))
    conflicts = problem.conflicts
    used = {
        RelaxUnit(rule, (auditor_id,))
        for auditor_id in plan["auditor_id"]
        for rule in ("on_break", "yearly_max")
    }
    for case_id, auditor_id, kind in zip(
        conflicts["case_id"], conflicts["auditor_id"], conflicts["kind"], strict=True
    ):
        if (case_id, auditor_id) in pairs:
            if kind == "same_team":
                used.add(RelaxUnit(kind, team_of[case_id]))
            elif kind == "declared":
                used.add(RelaxUnit(kind, (auditor_id, subject_of[case_id])))
    return [unit for unit in units if unit in used]
