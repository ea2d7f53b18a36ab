"""The synthetic authorities: deterministic, shaped as contract §3 says, within the policy,
and with a target month that can be allocated in full.

The checks below re-derive the rules from the generated tables alone (eligibility,
yearly counts, break decisions, re-audits due, conflicts) rather than trusting the
generator's own bookkeeping: a bug shared by both could not hide here.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from datetime import date
from functools import cache

import networkx as nx
import pandas as pd
import pytest
from dateutil.relativedelta import relativedelta

from caseaudit.synth import CONFLICT_REASONS, DEFAULT_MONTH, DOMAINS, PRESETS, generate_tables

CONTRACT_COLUMNS = {
    "staff": [
        "staff_id",
        "name",
        "email",
        "role",
        "staff_group",
        "service",
        "team",
        "manager_id",
        "is_auditor",
        "can_moderate",
        "active_from",
        "active_to",
    ],
    "cases": [
        "case_id",
        "month",
        "subject_id",
        "case_type",
        "service",
        "team",
        "allocated_worker_id",
        "team_manager_id",
        "iro_id",
    ],
    "breaks": ["auditor_id", "month", "requested_on"],
    "conflicts": ["auditor_id", "subject_id", "reason"],
    "exemptions": [
        "case_id",
        "month",
        "auditor_id",
        "requested_on",
        "decision",
        "decided_by",
        "decided_on",
    ],
    "history": [
        "audit_id",
        "month",
        "case_id",
        "subject_id",
        "auditor_id",
        "status",
        "overall_judgement",
        "judgement_confirmed_on",
        "reaudit_of",
        "completed_on",
        "returned_on",
        "finalised_on",
        "actions_completed_on",
        "resubmitted_on",  # issue 20: may be absent from a council's file, generated always
        "cancelled_on",
        "cancelled_by",
        "cancel_reason",
    ],
    "challenges": ["audit_id", "raised_by", "raised_on", "consensus_reached"],
    "moderations": ["audit_id", "moderator_id", "assigned_on", "final_judgement", "decided_on"],
    "break_preferences": ["auditor_id", "month", "rank"],
    "outcomes": ["audit_id", "domain", "rating"],
    "caseload": [
        "case_id",
        "subject_id",
        "case_type",
        "service",
        "team",
        "allocated_worker_id",
        "team_manager_id",
        "iro_id",
        "opened_on",
        "closed_on",
    ],
}
KEYS = {
    "staff": ["staff_id"],
    "cases": ["case_id", "month"],
    "breaks": ["auditor_id", "month"],
    "conflicts": ["auditor_id", "subject_id"],
    "exemptions": ["case_id", "month", "auditor_id"],
    "history": ["audit_id"],
    "challenges": ["audit_id"],
    "moderations": ["audit_id"],
    "break_preferences": ["auditor_id", "month"],
    "caseload": ["case_id"],
    "outcomes": ["audit_id", "domain"],
}
DATE_COLUMNS = {
    "opened_on",
    "closed_on",
    "active_from",
    "active_to",
    "requested_on",
    "decided_on",
    "judgement_confirmed_on",
    "completed_on",
    "returned_on",
    "finalised_on",
    "actions_completed_on",
    "raised_on",
    "assigned_on",
}
BOOL_COLUMNS = {"is_auditor", "can_moderate", "consensus_reached"}
NOT_COUNTED = {"reallocated", "cancelled"}
PRACTITIONER_ROLES = {"social_worker", "personal_adviser", "supervising_social_worker"}
CHAIN_ABOVE = {  # role → role of the line manager
    "social_worker": "team_manager",
    "personal_adviser": "team_manager",
    "supervising_social_worker": "team_manager",
    "team_manager": "group_manager",
    "group_manager": "head_of_service",
    "head_of_service": "assistant_director",
}
APPROVER_ROLE = {"csc": "assistant_director", "pq": "strategic_lead_ipq"}
SMALL_PRESETS = [(preset, seed) for preset in ("small", "median", "largest") for seed in (0, 1, 2)]

# Every text value must be one of these shapes: ids, months, enums, fixed vocabularies.
# Anything else (a child's name, free text) fails the vocabulary test.
TEXT_SHAPES = re.compile(
    r"S\d{4,}|C\d{7}|P\d{7}|\d{4}-\d{2}(-C\d{7}(-r\d+)?)?|[a-z_]+|Staff \d{4,}"
    r"|s\d{4,}@council\.example|(Team|IRO Team) \d+|Quality Assurance"
)
FIXED_TEXT = {
    "Safeguarding",
    "Children in Care",
    "Leaving Care",
    "Fostering",
    "Performance and Quality",
    "Children's Social Care",
    *DOMAINS,
    *(reason for reason in CONFLICT_REASONS if reason),
}


@cache
def tables(preset: str, seed: int, month: str = DEFAULT_MONTH) -> dict[str, pd.DataFrame]:
    return generate_tables(preset, seed, month)


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:]) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def last_day(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:])
    return date(year, mon, calendar.monthrange(year, mon)[1])


def audit_year(month: str) -> int:
    """The audit year (April start) as the year it starts in."""
    return int(month[:4]) if int(month[5:]) >= 4 else int(month[:4]) - 1


def rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [dict(row) for row in frame.to_dict("records")]


# -- the interface ----------------------------------------------------------------------


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(ValueError, match="small, median, largest, region, national"):
        generate_tables("huge", 0)


def test_malformed_month_is_refused() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate_tables("small", 0, "March 2026")


def test_same_arguments_give_identical_tables_and_other_seeds_differ() -> None:
    first, again = generate_tables("median", 7), generate_tables("median", 7)
    for name in CONTRACT_COLUMNS:
        pd.testing.assert_frame_equal(first[name], again[name])
    other = generate_tables("median", 8)
    assert not first["history"].equals(other["history"])


def test_the_default_month_is_fixed() -> None:
    cases = tables("small", 0)["cases"]
    assert DEFAULT_MONTH == "2026-03"
    assert cases["month"].max() == DEFAULT_MONTH


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS)
def test_columns_types_keys_and_order(preset: str, seed: int) -> None:
    generated = tables(preset, seed)
    assert list(generated) == list(CONTRACT_COLUMNS)
    for name, frame in generated.items():
        assert list(frame.columns) == CONTRACT_COLUMNS[name], name
        assert not frame.duplicated(KEYS[name]).any(), f"{name}: duplicate {KEYS[name]}"
        for column in frame.columns:
            values = [v for v in frame[column] if v is not None and not pd.isna(v)]
            if column in DATE_COLUMNS:
                kinds = {type(v) for v in values}
                assert kinds <= {date}, (name, column, kinds)
            elif column in BOOL_COLUMNS:
                assert all(isinstance(v, bool) for v in values), (name, column)
                assert len(values) == len(frame), (name, column)
            elif column == "month":
                assert all(re.fullmatch(r"\d{4}-\d{2}", v) for v in values), name
            elif column == "rank":
                assert all(isinstance(v, int) for v in values)
            else:
                assert all(isinstance(v, str) for v in values), (name, column)
        # Rows sorted by the first column, then the next, as text by code point.
        keys = [tuple("" if pd.isna(v) else str(v) for v in row) for row in frame.values]
        assert keys == sorted(keys), name


def test_region_shape() -> None:
    # Speed is measured in benchmarks, not asserted here (noisy machines).
    generated = generate_tables("region", 0)
    for name, frame in generated.items():
        assert list(frame.columns) == CONTRACT_COLUMNS[name]
    staff, cases = generated["staff"], generated["cases"]
    assert 2_400 <= staff["is_auditor"].sum() <= 2_700
    assert 1_800 <= (cases["month"] == DEFAULT_MONTH).sum() <= 1_950
    # Every preset rates its finished audits (the report's domain ratings, issue 10),
    # nine domains each, sorted by audit_id then domain like every generated table.
    history, outcomes = generated["history"], generated["outcomes"]
    finished = history[history["status"].isin(["finalised", "actions_complete"])]
    assert set(outcomes["audit_id"]) == set(finished["audit_id"])
    assert (outcomes.groupby("audit_id").size() == 9).all()
    keys = list(zip(outcomes["audit_id"], outcomes["domain"], strict=True))
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("preset", "auditors", "cases"), [("small", 15, 11), ("median", 48, 36), ("largest", 260, 195)]
)
def test_sizes_follow_the_presets(preset: str, auditors: int, cases: int) -> None:
    generated = tables(preset, 0)
    eligible = eligible_auditors(generated["staff"], DEFAULT_MONTH)
    month_cases = (generated["cases"]["month"] == DEFAULT_MONTH).sum()
    assert abs(len(eligible) - auditors) <= max(2, auditors // 20)
    assert abs(month_cases - cases) <= max(2, cases // 20)
    assert month_cases == pytest.approx(0.75 * len(eligible), abs=2)


def test_presets_run_from_small_to_national() -> None:
    assert list(PRESETS) == ["small", "median", "largest", "region", "national"]


# -- references, the tree, no names ----------------------------------------------------


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS[:6])
def test_references_resolve(preset: str, seed: int) -> None:
    g = tables(preset, seed)
    staff = set(g["staff"]["staff_id"])
    auditors = set(g["staff"].loc[g["staff"]["is_auditor"], "staff_id"])
    references = {
        "staff": ["manager_id"],
        "cases": ["allocated_worker_id", "team_manager_id", "iro_id"],
        "breaks": ["auditor_id"],
        "conflicts": ["auditor_id"],
        "exemptions": ["auditor_id", "decided_by"],
        "history": ["auditor_id"],
        "challenges": ["raised_by"],
        "moderations": ["moderator_id"],
        "break_preferences": ["auditor_id"],
    }
    for name, columns in references.items():
        for column in columns:
            unknown = {v for v in g[name][column] if v is not None} - staff
            assert not unknown, f"{name}.{column}: unknown staff {sorted(unknown)[:3]}"
    for name in ("breaks", "history", "break_preferences", "exemptions"):
        assert set(g[name]["auditor_id"]) <= auditors, name
    case_months = set(zip(g["cases"]["case_id"], g["cases"]["month"], strict=True))
    for name in ("history", "exemptions"):
        pairs = set(zip(g[name]["case_id"], g[name]["month"], strict=True))
        assert pairs <= case_months, name
    audit_ids = set(g["history"]["audit_id"])
    assert set(g["challenges"]["audit_id"]) <= audit_ids
    assert set(g["moderations"]["audit_id"]) <= set(g["challenges"]["audit_id"])
    assert set(g["outcomes"]["audit_id"]) <= audit_ids
    assert {v for v in g["history"]["reaudit_of"] if v} <= audit_ids
    subjects = dict(zip(g["cases"]["case_id"], g["cases"]["subject_id"], strict=True))
    for row in rows(g["history"]):
        assert row["audit_id"] in (
            f"{row['month']}-{row['case_id']}",
            f"{row['month']}-{row['case_id']}-r1",
        )
        assert subjects[row["case_id"]] == row["subject_id"]


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS[:6])
def test_management_is_a_tree_of_the_expected_roles(preset: str, seed: int) -> None:
    staff = tables(preset, seed)["staff"].set_index("staff_id")
    for person in staff.index:
        seen = [person]
        manager = staff.at[person, "manager_id"]
        while manager is not None:
            assert manager not in seen, f"management loop through {seen}"
            seen.append(manager)
            manager = staff.at[manager, "manager_id"]
        role, manager = staff.at[person, "role"], staff.at[person, "manager_id"]
        if role in CHAIN_ABOVE and staff.at[person, "staff_group"] == "csc":
            assert staff.at[manager, "role"] == CHAIN_ABOVE[role], person
        if role in PRACTITIONER_ROLES:
            team = staff.at[person, "service"], staff.at[person, "team"]
            assert (staff.at[manager, "service"], staff.at[manager, "team"]) == team
    practitioners = staff[staff["role"].isin(PRACTITIONER_ROLES)]
    team_sizes = practitioners.groupby(["service", "team"]).size()
    assert team_sizes.between(5, 7).all()
    assert (staff["role"] == "strategic_lead_ipq").sum() == 1
    pq = staff[staff["service"] == "Performance and Quality"]
    assert set(pq["staff_group"]) == {"pq"}
    assert staff.loc[
        staff["role"].isin(["head_of_service", "assistant_director"]), "can_moderate"
    ].all()


def test_team_names_are_reused_across_services() -> None:
    staff = tables("median", 0)["staff"]
    team_one = staff[(staff["team"] == "Team 1") & (staff["role"] == "team_manager")]
    assert team_one["service"].nunique() == 4


@pytest.mark.parametrize("preset", ["small", "median", "largest"])
def test_no_free_text_anywhere(preset: str) -> None:
    """Subjects are ids only: no text cell could hold a child's name."""
    for name, frame in tables(preset, 0).items():
        for column in frame.columns:
            if column in DATE_COLUMNS | BOOL_COLUMNS | {"rank"}:
                continue
            for value in set(frame[column]):
                if value is None:
                    continue
                assert value in FIXED_TEXT or TEXT_SHAPES.fullmatch(value), (name, column, value)
    cases = tables(preset, 0)["cases"]
    assert cases["subject_id"].str.fullmatch(r"P\d{7}").all()


# -- the ledger obeys the policy -------------------------------------------------------


def eligible_auditors(staff: pd.DataFrame, month: str) -> set[str]:
    first, last = first_day(month), last_day(month)
    return {
        row["staff_id"]
        for row in rows(staff)
        if row["is_auditor"]
        and (row["active_from"] is None or row["active_from"] <= first)
        and (row["active_to"] is None or row["active_to"] >= last)
    }


def chain_above(managers: dict[str, str | None], person: str | None) -> set[str]:
    above: set[str] = set()
    current = managers.get(person) if person else None
    while current is not None and current not in above:
        above.add(current)
        current = managers.get(current)
    return above


class ConflictRules:
    """Contract §4 rule 4 (exemptions aside), from the tables alone."""

    def __init__(self, g: dict[str, pd.DataFrame]) -> None:
        staff = g["staff"]
        self.managers = dict(zip(staff["staff_id"], staff["manager_id"], strict=True))
        self.team_members: dict[tuple[object, object], set[str]] = defaultdict(set)
        for row in rows(staff):
            if row["team"] is not None:
                self.team_members[(row["service"], row["team"])].add(str(row["staff_id"]))
        self.declared: dict[object, set[str]] = defaultdict(set)
        for row in rows(g["conflicts"]):
            self.declared[row["subject_id"]].add(str(row["auditor_id"]))

    def conflicted(self, case: dict[str, object]) -> set[str]:
        worker, manager = case["allocated_worker_id"], case["team_manager_id"]
        direct = {str(p) for p in (worker, manager, case["iro_id"]) if p is not None}
        chain = chain_above(self.managers, str(worker))
        if manager is not None:
            chain |= chain_above(self.managers, str(manager))
        team = self.team_members[(case["service"], case["team"])]
        return direct | chain | team | self.declared[case["subject_id"]]


@cache
def conflict_rules(preset: str, seed: int) -> ConflictRules:
    return ConflictRules(tables(preset, seed))


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS)
def test_history_respects_the_policy(preset: str, seed: int) -> None:
    g = tables(preset, seed)
    history = g["history"]
    per_month = Counter(zip(history["auditor_id"], history["month"], strict=True))
    assert max(per_month.values()) == 1, "an auditor has two ledger rows in one month"
    counted = history[~history["status"].isin(NOT_COUNTED)]
    per_year = Counter(
        (a, audit_year(m)) for a, m in zip(counted["auditor_id"], counted["month"], strict=True)
    )
    assert max(per_year.values()) <= 10
    target_year = audit_year(DEFAULT_MONTH)
    assert max(n for (_, y), n in per_year.items() if y == target_year) <= 9
    cases = {(r["case_id"], r["month"]): r for r in rows(g["cases"])}
    eligible = {m: eligible_auditors(g["staff"], m) for m in set(history["month"])}
    rules = conflict_rules(preset, seed)
    for audit in rows(history):
        assert audit["auditor_id"] in eligible[audit["month"]], audit["audit_id"]
        case = cases[(audit["case_id"], audit["month"])]
        assert audit["auditor_id"] not in rules.conflicted(case), audit["audit_id"]
    assert history["month"].max() < DEFAULT_MONTH


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS[:6])
def test_ledger_dates_follow_the_status(preset: str, seed: int) -> None:
    g = tables(preset, seed)
    moderated = set(g["moderations"]["audit_id"])
    as_of = last_day(month_text(month_index(DEFAULT_MONTH) - 1))
    statuses = Counter(g["history"]["status"])
    for status in ("finalised", "actions_complete", "reallocated", "cancelled", "non_completed"):
        assert statuses[status] >= 1, status
    for audit in rows(g["history"]):
        status = audit["status"]
        dates = [audit[c] for c in ("completed_on", "finalised_on", "actions_completed_on")]
        present = [d for d in dates if d is not None]
        assert present == sorted(present)
        assert all(d <= as_of for d in present)
        if status in ("finalised", "actions_complete"):
            assert audit["completed_on"] and audit["finalised_on"] and audit["overall_judgement"]
        if status == "actions_complete":
            assert audit["actions_completed_on"]
        if status in ("allocated", "reallocated", "cancelled", "non_completed"):
            assert not any(present) and audit["overall_judgement"] is None
        if audit["returned_on"] is not None:
            assert audit["completed_on"] <= audit["returned_on"]
        if audit["overall_judgement"] == "inadequate":
            confirmed = audit["judgement_confirmed_on"]
            assert confirmed is not None
            if audit["audit_id"] not in moderated:
                later = month_text(month_index(str(audit["month"])) + 1)
                assert confirmed.strftime("%Y-%m") in (audit["month"], later)


# -- the target month can be filled ----------------------------------------------------


def awaiting_reaudits(g: dict[str, pd.DataFrame]) -> dict[str, tuple[str, str]]:
    """Contract §4 rule 5: audit_id → (case_id, re-audit month) of each awaiting audit."""
    history = g["history"]
    decided = {
        r["audit_id"]: (r["final_judgement"], r["decided_on"])
        for r in rows(g["moderations"])
        if r["final_judgement"] and r["decided_on"]
    }
    open_challenge = set(
        g["challenges"].loc[~g["challenges"]["consensus_reached"].astype(bool), "audit_id"]
    )
    redone = {
        r["reaudit_of"] for r in rows(history) if r["reaudit_of"] and r["status"] not in NOT_COUNTED
    }
    awaiting = {}
    for audit in rows(history):
        if audit["status"] in NOT_COUNTED or audit["audit_id"] in redone:
            continue
        if audit["audit_id"] in decided:
            judgement, confirmed = decided[str(audit["audit_id"])]
        elif audit["audit_id"] in open_challenge:
            continue
        else:
            judgement, confirmed = audit["overall_judgement"], audit["judgement_confirmed_on"]
        if judgement != "inadequate" or confirmed is None:
            continue
        deadline = confirmed + relativedelta(months=2)
        month = deadline.strftime("%Y-%m")
        if deadline != last_day(month):
            month = month_text(month_index(month) - 1)
        awaiting[str(audit["audit_id"])] = (str(audit["case_id"]), month)
    return awaiting


def break_decisions(g: dict[str, pd.DataFrame], month: str, eligible: set[str], at_max: set[str]):
    on_time_until = last_day(month_text(month_index(month) - 1))
    queue, decisions = [], {}
    for request in rows(g["breaks"]):
        if request["month"] != month:
            continue
        auditor, requested = request["auditor_id"], request["requested_on"]
        if auditor not in eligible or auditor in at_max:
            decisions[auditor] = "not_required"
            continue
        queue.append((requested > on_time_until, requested, auditor))
    cap = len(eligible) // 5  # floor(0.20 × eligible), exactly
    for position, (_, _, auditor) in enumerate(sorted(queue)):
        decisions[auditor] = "granted" if position < cap else "refused_cap"
    return decisions, cap


def honoured_exemptions(g: dict[str, pd.DataFrame], month: str) -> set[tuple[str, str]]:
    staff = g["staff"].set_index("staff_id")
    honoured = set()
    for row in rows(g["exemptions"]):
        approver = row["decided_by"]
        if row["month"] != month or row["decision"] != "approved" or approver is None:
            continue
        needed = APPROVER_ROLE[staff.at[row["auditor_id"], "staff_group"]]
        if approver != row["auditor_id"] and staff.at[approver, "role"] == needed:
            honoured.add((str(row["case_id"]), str(row["auditor_id"])))
    return honoured


@pytest.mark.parametrize(("preset", "seed"), SMALL_PRESETS)
def test_target_month_is_fully_allocatable(preset: str, seed: int) -> None:
    month = DEFAULT_MONTH
    g = tables(preset, seed)
    eligible = eligible_auditors(g["staff"], month)
    counted = g["history"][~g["history"]["status"].isin(NOT_COUNTED)]
    this_year = counted[counted["month"].map(audit_year) == audit_year(month)]
    yearly = Counter(this_year["auditor_id"])
    at_max = {a for a in eligible if yearly[a] >= 10}
    decisions, cap = break_decisions(g, month, eligible, at_max)
    granted = {a for a, d in decisions.items() if d == "granted"}
    exempted = honoured_exemptions(g, month)
    # An auditor with an honoured exemption gets no audit at all in the month (issue 3).
    available = eligible - granted - at_max - {auditor for _, auditor in exempted}
    month_cases = [r for r in rows(g["cases"]) if r["month"] == month]
    due = {case for case, due_month in awaiting_reaudits(g).values() if due_month <= month}
    assert due <= {r["case_id"] for r in month_cases}, "a due re-audit is missing from the list"
    graph = nx.Graph()
    case_nodes = [("case", r["case_id"]) for r in month_cases]
    graph.add_nodes_from(case_nodes)
    rules = conflict_rules(preset, seed)
    for case in month_cases:
        blocked = rules.conflicted(case)
        for auditor in available - blocked:
            if (case["case_id"], auditor) not in exempted:
                graph.add_edge(("case", case["case_id"]), ("auditor", auditor))
    matching = nx.bipartite.hopcroft_karp_matching(graph, top_nodes=case_nodes)
    matched = sum(1 for node in case_nodes if node in matching)
    assert matched == len(month_cases), f"only {matched} of {len(month_cases)} cases can be filled"
    # The month exercises the rules it is meant to: a cap that bites, late requests,
    # requests that are not required, re-audits due, honoured and unhonoured exemptions.
    assert Counter(decisions.values())["refused_cap"] >= 1
    assert Counter(decisions.values())["not_required"] >= 1
    assert len(granted) == cap
    late = g["breaks"]["requested_on"] > last_day(month_text(month_index(month) - 1))
    assert late.any()
    assert g["breaks"]["requested_on"].duplicated().any()
    assert len(due) >= 1
    assert exempted and len(exempted) < (g["exemptions"]["decision"] == "approved").sum()


@pytest.mark.parametrize("month", ["2026-04", "2027-01"])
def test_other_months_are_allocatable_too(month: str) -> None:
    """A month at the start of the audit year and one in the middle of it."""
    g = tables("median", 3, month)
    assert g["cases"]["month"].max() == month
    assert g["history"]["month"].max() == month_text(month_index(month) - 1)
    counted = g["history"][~g["history"]["status"].isin(NOT_COUNTED)]
    per_year = Counter(
        (a, audit_year(m)) for a, m in zip(counted["auditor_id"], counted["month"], strict=True)
    )
    assert max(per_year.values()) <= 10
    assert not any(n >= 10 for (_, y), n in per_year.items() if y == audit_year(month))


def test_outcomes_rate_nine_domains_of_every_finished_audit() -> None:
    g = tables("median", 0)
    finished = g["history"][g["history"]["status"].isin(["finalised", "actions_complete"])]
    outcomes = g["outcomes"]
    assert set(outcomes["audit_id"]) == set(finished["audit_id"])
    assert (outcomes.groupby("audit_id").size() == 9).all()
    assert set(outcomes["domain"]) == set(DOMAINS)


def test_moderators_come_from_another_service() -> None:
    g = tables("largest", 0)
    staff = g["staff"].set_index("staff_id")
    managers = dict(zip(g["staff"]["staff_id"], g["staff"]["manager_id"], strict=True))
    cases = {(r["case_id"], r["month"]): r for r in rows(g["cases"])}
    service_of, worker_of = {}, {}
    for row in rows(g["history"]):
        case = cases[(row["case_id"], row["month"])]
        service_of[row["audit_id"]] = case["service"]
        worker_of[row["audit_id"]] = case["allocated_worker_id"]
    assert len(g["moderations"]) >= 1
    for row in rows(g["moderations"]):
        moderator = row["moderator_id"]
        assert staff.at[moderator, "can_moderate"]
        assert staff.at[moderator, "service"] != service_of[row["audit_id"]]
        assert moderator not in chain_above(managers, worker_of[row["audit_id"]])
    by_audit = defaultdict(list)
    for row in rows(g["challenges"]):
        by_audit[row["audit_id"]].append(row["consensus_reached"])
    assert all(not any(by_audit[a]) for a in g["moderations"]["audit_id"])
