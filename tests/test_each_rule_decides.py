"""Each hard rule of ``allocate``, alone, changes the plan (issue 13).

A rule whose test passes with the rule deleted guards nothing. So every test here builds
a month in which the preferences point at one **tempting** auditor T — T has no audit
yet this audit year, the fallback P1 has two, Q1–Q3 three each, so the fair spread
(contract §4 objective 2) sends the case to T — and then adds the one fact that makes
one rule, and no other, forbid T. The plan must then be C1 → P1; ``blocking_rules``
must name that rule alone; and the same month solved with that rule left out of the
model (``build_problem(hard_rules=…)``, the list the solver is built from) must give
C1 → T. Five eligible auditors make the break cap floor(0.2 × 5) = 1.

The rules that are not a (case, auditor) filter — break decisions, exemption approvers,
the head of service, which inadequate audit a re-audit answers and with which details —
get the same treatment: a month in which the preferences would choose the other answer,
argued in each comment. So do a rule of ``plan-breaks`` and two of ``report`` that a
planted bug once slipped past (``make mutants``). Every ``solve`` also re-checks its
written outputs with the independent checker, every plan through the API too
(``conftest.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import caseaudit
from builders import MONTH, YEAR_2025, Authority, allocated, solve
from caseaudit import AllocationResult, load
from caseaudit.plans.break_year.adapter import solve_year
from caseaudit.plans.break_year.problem import BREAK_RULES, build_break_year
from caseaudit.plans.month.adapter import solve_month
from caseaudit.plans.month.problem import build_problem
from caseaudit.plans.month.rules import HARD_RULES, blocking_rules


def tempting(**t_fields: object) -> Authority:
    """The base month: T (no audits this year; a P&Q officer unless ``t_fields`` say
    otherwise), P1 (two audits), Q1–Q3 (three each), and C1 of Safeguarding's Team 1
    (worker SW1, team manager TM1; none of them auditors)."""
    authority = Authority()
    fields: dict[str, object] = {"role": "pq_officer"} | t_fields
    authority.staff("T", **fields)  # type: ignore[arg-type]
    authority.auditors("P1", "Q1", "Q2", "Q3")
    for auditor, count in (("P1", 2), ("Q1", 3), ("Q2", 3), ("Q3", 3)):
        for number, month in enumerate(YEAR_2025[:count]):
            authority.history(month, f"H{auditor}{number}", auditor)
    return authority


def plan_without(data_dir: Path, rule_id: str, month: str = MONTH) -> dict[str, str]:
    """The plan of the same month with ``rule_id`` left out of the solver's model."""
    data = load(data_dir, month)
    rules = [rule for rule in HARD_RULES if rule.id != rule_id]
    problem = build_problem(data, month, validate=False, hard_rules=rules)
    assignment = solve_month(problem, data.config, seed=0).assignment
    return dict(zip(assignment["case_id"], assignment["auditor_id"], strict=True))


def rules_blocking(result: AllocationResult, case_id: str = "C1", auditor: str = "T") -> list[str]:
    return [blocker.rule for blocker in blocking_rules(result.problem, case_id, auditor)]


# ------------------------------------------------------------------ one rule, one fact


def _in_c1(a: Authority) -> Authority:
    return a.case("C1")


def _is_the_worker(a: Authority) -> Authority:
    # T is C1's allocated worker. The case has no team (so same_team cannot bar T) and T
    # manages no one (so the chain cannot).
    return a.case("C1", team=None, worker="T")


def _is_the_team_manager(a: Authority) -> Authority:
    # T manages Team 2, not SW1's team: T is above no one on C1, only its team manager.
    return a.case("C1", team=None, manager="T")


def _is_the_iro(a: Authority) -> Authority:
    # T is C1's IRO, in P&Q, outside every chain and team of the case. (Issue 13: with
    # the IRO left out of the direct conflicts, this case went to T.)
    return a.case("C1", iro="T")


def _manages_the_worker(a: Authority) -> Authority:
    # T manages W2 (Team 3), C1's allocated worker; C1's team manager is TM1 and the
    # case has no team, so only the chain above the worker bars T.
    a.staff("W2", role="social_worker", team="Team 3", manager="T", auditor=False)
    return a.case("C1", team=None, worker="W2")


def _manages_the_team_manager(a: Authority) -> Authority:
    # The worker SW1's chain is TM1 → GM1 → HS1 → AD1; C1's team manager is TM9, whose
    # manager is T. T is above the team manager only: the chain rule must follow both.
    a.staff("TM9", role="team_manager", team="Team 9", manager="T", auditor=False)
    return a.case("C1", team=None, manager="TM9")


def _in_the_team(a: Authority) -> Authority:
    # T is a social worker of Team 1, managed by TM1: in C1's team, above no one on it.
    return a.case("C1")


def _declared(a: Authority) -> Authority:
    a.add("conflicts", auditor_id="T", subject_id="S-C1", reason="neighbour")
    return a.case("C1")


def _exempted_by_the_strategic_lead(a: Authority) -> Authority:
    # T (P&Q) asked to be exempted from C1 and SL1, the Strategic Lead, agreed (§4).
    return _exemption(a.case("C1"), "T", "SL1")


def _exempted_by_the_assistant_director(a: Authority) -> Authority:
    # T (CSC, a team manager of Fostering) exempted by AD1, the Assistant Director (§4).
    return _exemption(a.case("C1"), "T", "AD1")


def _on_break(a: Authority) -> Authority:
    # T asked on time for a break in March: first in the queue, within the cap of 1.
    a.add("breaks", auditor_id="T", month=MONTH, requested_on="2026-02-01")
    return a.case("C1")


def _at_ten_audits(a: Authority) -> Authority:
    # With ten audits T is the dearest by fair spread (20 against P1's 4), but C1 is the
    # re-audit of T's own inadequate February audit: continuity (30) outweighs it, so
    # only the yearly maximum keeps C1 from T.
    for number, month in enumerate(YEAR_2025[:9]):
        a.history(month, f"HT{number}", "T")
    a.history("2026-02", "C1", "T", judgement="inadequate", confirmed="2026-02-10")
    return a.case("C1")


ONE_RULE: list[tuple[str, dict[str, object], Callable[[Authority], Authority]]] = [
    ("eligible", {"active_to": "2026-03-30"}, _in_c1),  # T leaves on 30 March (contract §3)
    ("direct", {"role": "social_worker", "manager": "TM1"}, _is_the_worker),
    ("direct", {"role": "team_manager", "team": "Team 2", "manager": "GM1"}, _is_the_team_manager),
    ("direct", {"role": "iro", "group": "pq", "service": "Performance and Quality"}, _is_the_iro),
    (
        "management_chain",
        {"role": "team_manager", "team": "Team 3", "manager": "GM1"},
        _manages_the_worker,
    ),
    ("management_chain", {"role": "group_manager", "manager": "HS1"}, _manages_the_team_manager),
    ("same_team", {"role": "social_worker", "team": "Team 1", "manager": "TM1"}, _in_the_team),
    ("declared", {}, _declared),
    ("exempted", {}, _exempted_by_the_strategic_lead),
    (
        "exempted",
        {"role": "team_manager", "service": "Fostering", "team": "Team 1"},
        _exempted_by_the_assistant_director,
    ),
    ("on_break", {}, _on_break),
    ("yearly_max", {}, _at_ten_audits),
]
ONE_RULE_IDS = [
    "eligible",
    "direct_worker",
    "direct_team_manager",
    "direct_iro",
    "chain_above_worker",
    "chain_above_team_manager",
    "same_team",
    "declared",
    "exempted_pq",
    "exempted_csc",
    "on_break",
    "yearly_max",
]


@pytest.mark.parametrize(("rule", "t_fields", "fact"), ONE_RULE, ids=ONE_RULE_IDS)
def test_the_rule_alone_keeps_the_case_from_the_tempting_auditor(
    tmp_path: Path, rule: str, t_fields: dict[str, object], fact: Callable[[Authority], Authority]
) -> None:
    result = solve(fact(tempting(**t_fields)), tmp_path)
    assert allocated(result) == {"C1": "P1"}
    assert rules_blocking(result) == [rule]
    assert plan_without(tmp_path / "data", rule) == {"C1": "T"}


def test_the_monthly_maximum_alone_spreads_two_cases(tmp_path: Path) -> None:
    # Two cases. T's first audit costs 0 and a second 2 (the convex fair spread); P1's
    # costs 4. Without the one-a-month rule T takes both; with it, one each for T and
    # P1 (which case is which is the tie-break's, so the multiset is compared).
    result = solve(tempting().case("C1").case("C2"), tmp_path)
    assert sorted(allocated(result).values()) == ["P1", "T"]
    assert plan_without(tmp_path / "data", "monthly_max") == {"C1": "T", "C2": "T"}


# ------------------------------------------------------------------ exemptions (§4, §29–30)


def _exemption(
    authority: Authority,
    auditor: str,
    decided_by: str | None,
    decision: str = "approved",
    case_id: str = "C1",
) -> Authority:
    return authority.add(
        "exemptions",
        case_id=case_id,
        month=MONTH,
        auditor_id=auditor,
        requested_on="2026-03-02",
        decision=decision,
        decided_by=decided_by,
        decided_on=None if decision == "pending" else "2026-03-03",
    )


CSC_T = {"role": "team_manager", "service": "Fostering", "team": "Team 1"}
AD_T = {"role": "assistant_director", "service": "Fostering", "can_moderate": True}
SL_T = {"role": "strategic_lead_ipq", "group": "pq", "service": "Performance and Quality"}
EXEMPTIONS = [
    # (T's fields, decision, decided_by, honoured)
    ({}, "approved", "SL1", True),  # P&Q staff: the Strategic Lead agrees
    (CSC_T, "approved", "AD1", True),  # CSC staff: the Assistant Director agrees
    ({}, "approved", "AD1", False),  # P&Q staff, agreed by the wrong group's approver
    (CSC_T, "approved", "SL1", False),  # CSC staff, agreed by the wrong group's approver
    (CSC_T, "approved", "HS1", False),  # a head of service is no approver at all
    (AD_T, "approved", "T", False),  # an Assistant Director approving their own exemption
    (SL_T, "approved", "T", False),  # the Strategic Lead approving their own exemption
    (AD_T, "approved", "AD2", True),  # … which another Assistant Director may agree
    (SL_T, "approved", "SL2", True),  # … and another Strategic Lead
    (CSC_T, "refused", "AD1", False),  # refused by the right approver
    (CSC_T, "pending", None, False),  # not decided yet
]
EXEMPTION_IDS = [
    "pq_by_strategic_lead",
    "csc_by_assistant_director",
    "pq_by_assistant_director",
    "csc_by_strategic_lead",
    "csc_by_head_of_service",
    "assistant_director_self",
    "strategic_lead_self",
    "assistant_director_by_another",
    "strategic_lead_by_another",
    "refused",
    "pending",
]


@pytest.mark.parametrize(
    ("t_fields", "decision", "decided_by", "honoured"), EXEMPTIONS, ids=EXEMPTION_IDS
)
def test_only_the_right_approver_takes_the_tempting_auditor_off(
    tmp_path: Path,
    t_fields: dict[str, object],
    decision: str,
    decided_by: str | None,
    honoured: bool,
) -> None:
    # T is tempting for C1 and asked to be exempted from it. An honoured exemption sends
    # C1 to P1; any other leaves T the auditor the preferences choose — so the honoured
    # flag, not only a reason's words, decides the plan. In the self-approvals the
    # approver has the right role for T's group: only "someone other than the auditor"
    # (contract §3) stops them. AD2 and SL2 are second approvers, no auditors.
    authority = tempting(**t_fields).case("C1")
    authority.staff("AD2", role="assistant_director", auditor=False)
    authority.staff(
        "SL2", role="strategic_lead_ipq", group="pq", service="Performance and Quality",
        auditor=False,
    )  # fmt: skip
    result = solve(_exemption(authority, "T", decided_by, decision), tmp_path)
    assert list(result.exemption_decisions["honoured"]) == [honoured]
    assert allocated(result) == {"C1": "P1" if honoured else "T"}
    if decided_by == "T":
        assert "themself" in result.exemption_decisions["reason"].iloc[0]


def test_an_honoured_exemption_bars_the_auditor_from_every_case(tmp_path: Path) -> None:
    # T is exempted from C2 only, agreed by the Strategic Lead: honoured. It takes T off
    # auditing for the whole month (issue 3), so C1, which T would otherwise get, goes
    # elsewhere too. Without the rule T takes one of the two.
    authority = _exemption(tempting().case("C1").case("C2"), "T", "SL1", case_id="C2")
    result = solve(authority, tmp_path)
    plan = allocated(result)
    assert len(plan) == 2 and "T" not in set(plan.values())
    assert "T" in set(plan_without(tmp_path / "data", "exempted").values())


# ------------------------------------------------------------------ breaks (§2–3, rule 3)


def _decisions(result: AllocationResult, column: str = "decision") -> dict[str, object]:
    frame = result.break_decisions
    return dict(zip(frame["auditor_id"], frame[column], strict=True))


def test_an_earlier_on_time_request_beats_a_lower_id(tmp_path: Path) -> None:
    # Five eligible auditors: cap 1. Q2 asked on 1 February, Q1 on 10 February, both on
    # time. First come first served: Q2. (Ordered by id alone, Q1 would win.)
    authority = tempting().case("C1")
    authority.add("breaks", auditor_id="Q1", month=MONTH, requested_on="2026-02-10")
    authority.add("breaks", auditor_id="Q2", month=MONTH, requested_on="2026-02-01")
    result = solve(authority, tmp_path)
    assert _decisions(result) == {"Q1": "refused_cap", "Q2": "granted"}


def test_a_tie_on_the_same_day_goes_to_the_lower_id_as_text(tmp_path: Path) -> None:
    # Cap 1. A10 and A9 asked on time on the same day: the tie is broken by auditor_id
    # compared as text by code point (contract §1), and "A10" < "A9". A10 is granted.
    authority = tempting().auditors("A10", "A9").case("C1")
    authority.add("breaks", auditor_id="A9", month=MONTH, requested_on="2026-02-10")
    authority.add("breaks", auditor_id="A10", month=MONTH, requested_on="2026-02-10")
    result = solve(authority, tmp_path)
    assert result.problem.break_cap == 1  # seven eligible auditors: floor(1.4)
    assert _decisions(result) == {"A10": "granted", "A9": "refused_cap"}


def test_the_last_day_of_the_previous_month_is_on_time(tmp_path: Path) -> None:
    # A request on 28 February, the last day of m−1, is on time (requested_on ≤ that
    # day); one on 1 March is late. The on-time one is granted although Q1's id is lower.
    authority = tempting().case("C1")
    authority.add("breaks", auditor_id="Q1", month=MONTH, requested_on="2026-03-01")
    authority.add("breaks", auditor_id="Q2", month=MONTH, requested_on="2026-02-28")
    result = solve(authority, tmp_path)
    assert _decisions(result, "on_time") == {"Q1": False, "Q2": True}
    assert _decisions(result) == {"Q1": "refused_cap", "Q2": "granted"}


def heads_of_service(authority: Authority) -> Authority:
    """Several heads of service, as the contract allows: in Safeguarding HS1 (the base
    instance's), HS2, HS0 who left on 28 February and HS05 who starts on 2 March; in
    Fostering HF2 and HF1, who starts on 1 March exactly. Active on 1 March: HS1, HS2,
    HF1, HF2. The lowest active id per service: HS1 (not HS0 or HS05, lower but
    inactive; not HS2) and HF1 (not HF2)."""
    authority.staff("HS2", role="head_of_service", manager="AD1", auditor=False)
    authority.staff(
        "HS0", role="head_of_service", manager="AD1", auditor=False, active_to="2026-02-28"
    )
    authority.staff(
        "HS05", role="head_of_service", manager="AD1", auditor=False, active_from="2026-03-02"
    )
    authority.staff("HF2", role="head_of_service", service="Fostering", auditor=False)
    authority.staff(
        "HF1",
        role="head_of_service",
        service="Fostering",
        auditor=False,
        active_from="2026-03-01",
    )
    return authority


def test_every_active_head_of_service_is_told_when_the_cap_is_reached(tmp_path: Path) -> None:
    # Cap 1, one on-time request granted: the cap is reached, and every head of service
    # active on 1 March is told — all four, in both services, not only the lowest id of
    # each; HS0 (left) and HS05 (not started) are not.
    authority = heads_of_service(tempting().case("C1"))
    authority.add("breaks", auditor_id="Q1", month=MONTH, requested_on="2026-02-10")
    result = solve(authority, tmp_path)
    assert _decisions(result) == {"Q1": "granted"}
    notes = result.notifications
    assert list(notes["recipient_id"]) == ["HF1", "HF2", "HS1", "HS2"]
    assert set(notes["kind"]) == {"break_cap_reached"}


# ------------------------------------------------------------------ head of service (§25)


def test_the_head_of_service_is_the_lowest_active_id_of_the_case_service(tmp_path: Path) -> None:
    # Two inadequate audits await their re-audit, one of a Safeguarding case (C7) and one
    # of a Fostering case (C8). Each schedule row names its service's head of service:
    # HS1 and HF1 (see ``heads_of_service``).
    authority = heads_of_service(tempting().case("C1"))
    authority.case("C7", month="2026-02")
    authority.case("C8", month="2026-02", service="Fostering", team=None, manager=None)
    authority.history("2026-02", "C7", "Q1", judgement="inadequate", confirmed="2026-02-20")
    authority.history("2026-02", "C8", "Q2", judgement="inadequate", confirmed="2026-02-20")
    result = solve(authority, tmp_path)
    schedule = result.reaudit_schedule
    heads = dict(zip(schedule["case_id"], schedule["head_of_service_id"], strict=True))
    assert heads == {"C7": "HS1", "C8": "HF1"}


# ------------------------------------------------------------------ re-audits (§25–26, rule 5)


def test_reaudit_of_names_the_latest_inadequate_audit(tmp_path: Path) -> None:
    # C7 was graded inadequate twice, by Q1 in December and by Q2 in January, neither
    # audit a re-audit of the other: both await a re-audit (both on the schedule), and
    # the one re-audit names the latest confirmed, 2026-01-C7, whose auditor Q2 has it
    # (continuity). The December one alone would send it to Q1.
    authority = tempting().case("C7")
    authority.case("C7", month="2025-12").case("C7", month="2026-01")
    authority.history("2025-12", "C7", "Q1", judgement="inadequate", confirmed="2025-12-15")
    authority.history("2026-01", "C7", "Q2", judgement="inadequate", confirmed="2026-01-20")
    result = solve(authority, tmp_path)
    row = result.allocations.set_index("case_id").loc["C7"]
    assert row["is_reaudit"] and row["reaudit_of"] == "2026-01-C7"
    assert row["auditor_id"] == "Q2"
    assert list(result.reaudit_schedule["audit_id"]) == ["2025-12-C7", "2026-01-C7"]


def test_a_cancelled_reaudit_does_not_settle_the_inadequate_audit(tmp_path: Path) -> None:
    # C7's December audit was inadequate; its January re-audit was cancelled. A cancelled
    # audit re-audits nothing (contract §4 rule 5): December's still awaits, is overdue
    # (deadline 15 February → month January), so C7 is added to March as that re-audit.
    authority = tempting().case("C1").case("C7", month="2025-12")
    authority.history("2025-12", "C7", "Q1", judgement="inadequate", confirmed="2025-12-15")
    authority.history("2026-01", "C7", "Q2", status="cancelled", reaudit_of="2025-12-C7")
    result = solve(authority, tmp_path)
    assert list(result.reaudit_schedule["audit_id"]) == ["2025-12-C7"]
    row = result.allocations.set_index("case_id").loc["C7"]
    assert row["is_reaudit"] and row["reaudit_of"] == "2025-12-C7"


def test_an_added_reaudit_takes_the_cases_latest_details(tmp_path: Path) -> None:
    # C9 was in Team 2 in December (worker W2) and in Team 1 in January (worker SW1);
    # its January audit by X1 was inadequate (deadline 15 March → February: overdue), so
    # C9 is added to March with its January details. T is in Team 1: barred by the same
    # team. With December's details T, the tempting auditor, would have it.
    authority = tempting(role="social_worker", team="Team 1", manager="TM1")
    authority.staff("X1", auditor=False)
    authority.staff("TM2", role="team_manager", team="Team 2", manager="GM1", auditor=False)
    authority.staff("W2", role="social_worker", team="Team 2", manager="TM2", auditor=False)
    authority.case("C9", month="2025-12", team="Team 2", worker="W2", manager="TM2")
    authority.case("C9", month="2026-01")
    authority.history("2026-01", "C9", "X1", judgement="inadequate", confirmed="2026-01-15")
    # March's sample (contract §2: cases must hold the month run): C8, of no team, which
    # T (no audits this year) takes, so that C9 is decided exactly as without it.
    authority.case("C8", team=None)
    result = solve(authority, tmp_path)
    assert result.allocations.set_index("case_id").loc["C8", "auditor_id"] == "T"
    row = result.allocations.set_index("case_id").loc["C9"]
    assert (row["team"], row["allocated_worker_id"], row["auditor_id"]) == ("Team 1", "SW1", "P1")


def test_the_original_auditor_has_the_reaudit(tmp_path: Path) -> None:
    # C9's inadequate February audit was Q1's (three audits, four with it); T has none.
    # Fair spread prefers T by 8; continuity (30) prefers Q1: Q1.
    authority = tempting().case("C9")
    authority.history("2026-02", "C9", "Q1", judgement="inadequate", confirmed="2026-02-10")
    assert allocated(solve(authority, tmp_path)) == {"C9": "Q1"}


# ------------------------------------------------------------------ plan-breaks (issue 9)


def test_a_planned_break_only_falls_in_a_month_the_auditor_is_eligible_in(
    tmp_path: Path,
) -> None:
    # Ten full-year P&Q officers (two breaks each) and P11, who starts on 2 April: April
    # is not a whole month for P11, so P11 is eligible May–March, 11 months, and needs
    # one break (11 − 10). P11 wishes for April at rank 1, the one month no break can
    # spare an audit in. The caps leave room in April (floor(0.2 × 10) = 2 places, and
    # 21 breaks for 24 places in the year), so the most-wishes tier would meet the wish:
    # only the eligible-months rule turns it down.
    authority = Authority().auditors(*(f"P{i:02d}" for i in range(1, 11)))
    authority.staff("P11", active_from="2026-04-02")
    authority.add("break_preferences", auditor_id="P11", month="2026-04", rank=1)
    data_dir = authority.write(tmp_path / "data")
    result = caseaudit.plan_breaks(load(data_dir), 2026)
    plan = result.break_plan
    p11 = sorted(plan.loc[plan["auditor_id"] == "P11", "month"])
    assert len(p11) == 1 and p11 != ["2026-04"]
    assert list(result.unmet_preferences["auditor_id"]) == ["P11"]
    without = tuple(rule for rule in BREAK_RULES if rule.id != "eligible_months")
    loose = solve_year(build_break_year(load(data_dir), 2026, without), seed=0).plan
    assert sorted(loose.loc[loose["auditor_id"] == "P11", "month"]) == ["2026-04"]


# ------------------------------------------------------------------ report (issue 10)


def test_awaiting_actions_shows_the_moderators_judgement(tmp_path: Path) -> None:
    # P1 graded C1 "requires improvement" in January; the worker challenged, no
    # consensus, and the moderator AD1 decided "good" on 5 February (§22: the moderator's
    # judgement is final). As of 10 February the audit is finalised and its actions are
    # not confirmed yet, so it is on the awaiting-actions list (§23, §27) — with "good",
    # the effective judgement, not the auditor's.
    authority = Authority().auditors("P1").case("C1", month="2026-01")
    authority.add(
        "history",
        audit_id="2026-01-C1",
        month="2026-01",
        case_id="C1",
        subject_id="S-C1",
        auditor_id="P1",
        status="finalised",
        overall_judgement="requires_improvement",
        judgement_confirmed_on="2026-01-30",
        completed_on="2026-01-28",
        finalised_on="2026-01-30",
    )
    authority.add(
        "challenges",
        audit_id="2026-01-C1",
        raised_by="SW1",
        raised_on="2026-01-29",
        consensus_reached=False,
    )
    authority.add(
        "moderations",
        audit_id="2026-01-C1",
        moderator_id="AD1",
        assigned_on="2026-02-02",
        final_judgement="good",
        decided_on="2026-02-05",
    )
    result = caseaudit.report(load(authority.write(tmp_path / "data")), "2026-02-10")
    waiting = result.awaiting_actions
    assert waiting[["audit_id", "judgement"]].values.tolist() == [["2026-01-C1", "good"]]


def test_a_reaudit_is_overdue_only_after_its_deadline_day(tmp_path: Path) -> None:
    # C1 was confirmed inadequate on 10 December, C2 on 9 December: deadlines 10 and 9
    # February (two calendar months, §25). As of 10 February, C2's deadline has passed;
    # C1's is today — a re-audit done today is still in time, so not overdue.
    authority = Authority().auditors("P1", "P2")
    for case_id, auditor, day in (("C1", "P1", "2025-12-10"), ("C2", "P2", "2025-12-09")):
        authority.case(case_id, month="2025-12")
        authority.add(
            "history",
            audit_id=f"2025-12-{case_id}",
            month="2025-12",
            case_id=case_id,
            subject_id=f"S-{case_id}",
            auditor_id=auditor,
            status="finalised",
            overall_judgement="inadequate",
            judgement_confirmed_on=day,
            completed_on=day,
            finalised_on=day,
        )
    result = caseaudit.report(load(authority.write(tmp_path / "data")), "2026-02-10")
    cycle = result.inadequate_cycle
    overdue = dict(zip(cycle["case_id"], cycle["overdue"], strict=True))
    assert overdue == {"C1": False, "C2": True}
