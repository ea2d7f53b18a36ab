"""One tiny hand-built month per rule of contract §4, the right answer argued in a comment.

Every solve goes through ``builders.solve``, which also re-checks the written outputs
with the independent checker.
"""

from __future__ import annotations

from decimal import Decimal

from builders import MONTH, YEAR_2025, Authority, allocated, solve
from caseaudit.model.breaks import break_cap

# ------------------------------------------------------------------ rule 1: eligibility


def test_only_auditors_active_for_the_whole_month(tmp_path):
    # A1 leaves on 30 March and A2 starts on 2 March: neither is active for the whole of
    # March, A3 starts on 1 March exactly and is; so the one case can only go to A3.
    authority = (
        Authority()
        .staff("A1", active_to="2026-03-30")
        .staff("A2", active_from="2026-03-02")
        .staff("A3", active_from="2026-03-01", active_to="2026-03-31")
        .staff("NA", auditor=False)
        .case("C1")
    )
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "A3"}
    assert result.problem.eligible_count == 1


def test_at_most_one_audit_a_month(tmp_path):
    # One auditor, two cases, max one a month: one case is allocated, the other is not,
    # and its reason says the only free auditor was needed for the other case.
    authority = Authority().auditors("A1").case("C1").case("C2")
    result = solve(authority, tmp_path)
    assert len(result.allocations) == 1
    assert len(result.unallocated) == 1
    assert "needed for other cases" in result.unallocated["reason"].iloc[0]


# ------------------------------------------------------------------ rule 2: ten a year


def _ten_audits(authority: Authority, auditor: str, months: list[str], prefix: str) -> None:
    for number, month in enumerate(months):
        authority.history(month, f"{prefix}{number}", auditor)


def test_ten_a_year_counts_the_audit_year_only(tmp_path):
    # A1 has ten audits between April 2025 and February 2026: at 10 of 10 for March 2026.
    # A2 has eleven rows in the same year, but one was reallocated and one cancelled:
    # nine count, so A2 may take one more. The case goes to A2.
    authority = Authority().auditors("A1", "A2").case("C1")
    _ten_audits(authority, "A1", YEAR_2025[:10], "X")
    _ten_audits(authority, "A2", YEAR_2025[:9], "Y")
    authority.history("2026-01", "Z1", "A2", status="reallocated")
    authority.history("2026-02", "Z2", "A2", status="cancelled")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "A2"}
    counts = dict(
        zip(
            result.problem.auditors["staff_id"], result.problem.auditors["year_count"], strict=False
        )
    )
    assert counts == {"A1": 10, "A2": 9}


def test_ten_a_year_resets_in_april(tmp_path):
    # The same ten audits lie in the audit year 2025-04..2026-03; April 2026 starts a new
    # year, so A1 counts 0 and is the only auditor: C1 goes to A1.
    authority = Authority().auditors("A1").case("C1", month="2026-04")
    _ten_audits(authority, "A1", [*YEAR_2025[1:], "2026-03"], "X")
    result = solve(authority, tmp_path, month="2026-04")
    assert allocated(result) == {"C1": "A1"}


def test_earlier_months_never_count_toward_the_monthly_maximum(tmp_path):
    # A1's February audit was not completed (non_completed): it still counts toward the
    # year but not toward March's one-a-month, so A1 can take March's case.
    authority = Authority().auditors("A1").case("C1")
    authority.history("2026-02", "OLD", "A1", status="non_completed")
    assert allocated(solve(authority, tmp_path)) == {"C1": "A1"}


# ------------------------------------------------------------------ rule 3: breaks


def test_break_order_on_time_then_date_then_id_as_text(tmp_path):
    # Ten eligible auditors, cap floor(0.2 × 10) = 2. Requests: A9 and A10 on time on the
    # same day (tie broken by id as text: "A10" < "A9"), A1 late but earliest date of all.
    # On-time requests come first, so A10 then A9 are granted and A1 is refused.
    ids = [f"A{i}" for i in range(1, 11)]
    authority = Authority().auditors(*ids).case("C1")
    authority.add("breaks", auditor_id="A9", month=MONTH, requested_on="2026-02-20")
    authority.add("breaks", auditor_id="A10", month=MONTH, requested_on="2026-02-20")
    authority.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-03-02")
    result = solve(authority, tmp_path)
    decisions = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["decision"], strict=False)
    )
    assert decisions == {"A10": "granted", "A9": "granted", "A1": "refused_cap"}
    on_time = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["on_time"], strict=False)
    )
    assert on_time == {"A10": True, "A9": True, "A1": False}
    assert allocated(result)["C1"] not in {"A9", "A10"}


def test_break_cap_with_not_required_and_notification(tmp_path):
    # Five eligible auditors (A1..A4 and the capped A5) → cap floor(0.2 × 5) = 1; the
    # leaver L1 is not eligible so does not count. L1's request and A5's (at 10 of 10)
    # are not_required and take no place; A1 asked first and is granted; A2 is refused.
    # The cap is reached, so the head of service active on 1 March (HS1, not HS2 who
    # starts on 2 March) is told.
    authority = Authority().auditors("A1", "A2", "A3", "A4", "A5").case("C1")
    authority.staff("L1", active_to="2026-03-15")
    authority.staff(
        "HS2", role="head_of_service", service="Fostering", auditor=False, active_from="2026-03-02"
    )
    _ten_audits(authority, "A5", YEAR_2025[:10], "X")
    authority.add("breaks", auditor_id="L1", month=MONTH, requested_on="2026-01-01")
    authority.add("breaks", auditor_id="A5", month=MONTH, requested_on="2026-01-02")
    authority.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-01-10")
    authority.add("breaks", auditor_id="A2", month=MONTH, requested_on="2026-01-11")
    result = solve(authority, tmp_path)
    decisions = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["decision"], strict=False)
    )
    assert decisions == {
        "L1": "not_required",
        "A5": "not_required",
        "A1": "granted",
        "A2": "refused_cap",
    }
    assert result.problem.break_cap == 1
    reasons = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["reason"], strict=False)
    )
    assert "cap of 1" in reasons["A2"] and "already taken" in reasons["A2"]
    assert "yearly maximum" in reasons["A5"] and "not an eligible auditor" in reasons["L1"]
    notes = result.notifications
    assert list(notes["recipient_id"]) == ["HS1"]
    assert list(notes["kind"]) == ["break_cap_reached"]


def test_no_notification_when_cap_is_zero(tmp_path):
    # Four eligible auditors: floor(0.2 × 4) = 0, so the request is refused and no Head
    # of Service is told (the limit is not "reached" when it is zero).
    authority = Authority().auditors("A1", "A2", "A3", "A4").case("C1")
    authority.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-01-10")
    result = solve(authority, tmp_path)
    assert list(result.break_decisions["decision"]) == ["refused_cap"]
    assert result.notifications.empty


def test_break_cap_in_exact_decimals():
    # In binary floating point 0.29 × 100 = 28.999999999999996, which floors to 28; the
    # contract computes in exact decimals: 29.
    assert break_cap(Decimal("0.29"), 100) == 29
    assert break_cap(Decimal("0.20"), 45) == 9
    assert break_cap(Decimal("0.20"), 4) == 0


def test_config_fraction_is_read_exactly(tmp_path):
    authority = Authority().auditors("A1").case("C1")
    authority.config_toml = "[policy]\nmax_break_fraction = 0.29\n"
    from caseaudit import load

    data = load(authority.write(tmp_path / "data"))
    assert data.config.policy.max_break_fraction == Decimal("0.29")


# ------------------------------------------------------------------ rule 4: conflicts


def test_direct_conflicts_worker_team_manager_and_iro(tmp_path):
    # C1's worker W1, team manager TM2 and IRO I1 are all auditors here; P1 is the only
    # auditor with no conflict, so C1 goes to P1. P1 has three audits this year and the
    # others none, so the preferences point away from P1: were the IRO not a direct
    # conflict, I1 (in no team, above no one) would have C1 (issue 13: with the IRO left
    # out, a tie-break once sent C1 to P1 anyway and the bug passed).
    authority = Authority()
    authority.staff("TM2", role="team_manager", team="Team 2", manager="GM1")
    authority.staff("W1", role="social_worker", team="Team 2", manager="TM2")
    authority.staff("I1", role="iro", service="Safeguarding")
    authority.auditors("P1")
    for number, month in enumerate(YEAR_2025[:3]):
        authority.history(month, f"H{number}", "P1")
    authority.case("C1", team="Team 2", worker="W1", manager="TM2", iro="I1")
    assert allocated(solve(authority, tmp_path)) == {"C1": "P1"}


def test_management_chain_at_any_height(tmp_path):
    # The chain above SW1 is TM1 → GM1 → HS1 → AD1; GM1, HS1 and AD1 are made auditors
    # (C1 has no team manager here). Only P1 is outside the chain.
    # With the chain rule switched off, GM1 (no audit this year; AD1 has 2, HS1 1, P1 5)
    # is preferred — which shows the rule, not the preference, decides.
    def build() -> Authority:
        authority = Authority()
        for row in authority.rows["staff"]:
            if row["staff_id"] in {"AD1", "HS1", "GM1"}:
                row["is_auditor"] = True
        authority.auditors("P1").case("C1", team=None, manager=None)
        for auditor, count in (("P1", 5), ("AD1", 2), ("HS1", 1)):
            for number, month in enumerate(YEAR_2025[:count]):
                authority.history(month, f"H{auditor}{number}", auditor)
        return authority

    assert allocated(solve(build(), tmp_path / "on")) == {"C1": "P1"}
    relaxed = build()
    relaxed.config_toml = "[conflicts]\nmanagement_chain = false\n"
    assert allocated(solve(relaxed, tmp_path / "off")) == {"C1": "GM1"}


def test_same_team_is_the_service_and_team_pair(tmp_path):
    # F1 manages "Team 1" of Fostering; the case is in "Team 1" of Safeguarding: not the
    # same team, so F1 may audit it. S1 is in Safeguarding's Team 1: never.
    authority = Authority()
    authority.staff("S1", role="team_manager", team="Team 1", manager="GM1")
    authority.staff("F1", role="team_manager", service="Fostering", team="Team 1")
    authority.case("C1", manager=None)
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "F1"}


def test_no_team_is_never_the_same_team(tmp_path):
    # A case with no team: S1 (Team 1 of Safeguarding) is not in its team.
    authority = Authority()
    authority.staff("S1", role="team_manager", team="Team 1", service="Fostering")
    authority.case("C1", team=None, manager=None)
    assert allocated(solve(authority, tmp_path)) == {"C1": "S1"}


def test_declared_conflict_blocks_and_is_explained(tmp_path):
    # P1 declared a conflict with C1's subject and is the only auditor: unallocated, and
    # the reason names the declared conflict.
    authority = Authority().auditors("P1").case("C1", subject="S-9")
    authority.add("conflicts", auditor_id="P1", subject_id="S-9", reason="relative")
    result = solve(authority, tmp_path)
    assert result.allocations.empty
    assert "declared conflict" in result.unallocated["reason"].iloc[0]


def test_honoured_exemption_blocks_wrong_approver_does_not(tmp_path):
    # P1 (pq) has an exemption for C1 approved by SL1, the Strategic Lead: honoured, so
    # P1 gets no audit at all this month (issue 3: not C1, nor any other). P2 (pq) has one
    # for C2 approved by AD1, an Assistant Director — the wrong person for a P&Q auditor —
    # so it is not honoured. P3 declared a conflict with C2's subject. The only plan
    # covering both cases is C2 → P2 (allowed: not honoured) and C1 → P3.
    authority = Authority().auditors("P1", "P2", "P3").case("C1").case("C2")
    authority.add("conflicts", auditor_id="P3", subject_id="S-C2")
    authority.add(
        "exemptions",
        case_id="C1",
        month=MONTH,
        auditor_id="P1",
        requested_on="2026-03-02",
        decision="approved",
        decided_by="SL1",
        decided_on="2026-03-03",
    )
    authority.add(
        "exemptions",
        case_id="C2",
        month=MONTH,
        auditor_id="P2",
        requested_on="2026-03-02",
        decision="approved",
        decided_by="AD1",
        decided_on="2026-03-03",
    )
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "P3", "C2": "P2"}
    honoured = dict(
        zip(
            result.exemption_decisions["auditor_id"],
            result.exemption_decisions["honoured"],
            strict=True,
        )
    )
    assert honoured == {"P1": True, "P2": False}


def test_csc_exemption_needs_the_assistant_director(tmp_path):
    # T1 (csc, Fostering) has C1 exempted by AD1: honoured, T1 is the only auditor → C1
    # unallocated with "an honoured exemption" in the reason.
    authority = Authority().case("C1")
    authority.staff("T1", role="team_manager", service="Fostering", team="Team 3")
    authority.add(
        "exemptions",
        case_id="C1",
        month=MONTH,
        auditor_id="T1",
        requested_on="2026-03-02",
        decision="approved",
        decided_by="AD1",
    )
    result = solve(authority, tmp_path)
    assert result.allocations.empty
    assert "honoured exemption" in result.unallocated["reason"].iloc[0]


# ------------------------------------------------------------------ rule 5: re-audits


def test_overdue_reaudit_is_added_and_goes_to_the_original_auditor(tmp_path):
    # C9 was graded inadequate, confirmed 15 Jan 2026 → deadline 15 Mar → re-audit month
    # February (March ends after the deadline). It is not in March's list, so it is added
    # as an overdue re-audit with its latest details, and goes to its original auditor
    # P1 (continuity) even though P2 has fewer audits this year.
    authority = Authority().auditors("P1", "P2").case("C1")
    authority.case("C9", month="2026-01")
    authority.history("2026-01", "C9", "P1", judgement="inadequate", confirmed="2026-01-15")
    result = solve(authority, tmp_path)
    plan = allocated(result)
    assert plan["C9"] == "P1"
    row = result.allocations.set_index("case_id").loc["C9"]
    assert row["is_reaudit"] and row["reaudit_of"] == "2026-01-C9"
    schedule = result.reaudit_schedule.set_index("audit_id").loc["2026-01-C9"]
    assert schedule["reaudit_month"] == "2026-02"
    assert str(schedule["reaudit_deadline"]) == "2026-03-15"


def test_due_reaudit_comes_before_an_ordinary_case(tmp_path):
    # One auditor, two cases: C1 ordinary, C9 a due re-audit. Only one can be covered;
    # due re-audits come first, so C9 is allocated and C1 is not. P1 audited C9's
    # subject in October, so fresh eyes make C9 the dearer case for P1: every preference
    # would cover C1, only the re-audit priority covers C9.
    authority = Authority().auditors("P1").case("C1").case("C9")
    authority.case("C9", month="2026-01")
    authority.history("2025-10", "OLD", "P1", subject="S-C9")
    authority.history("2026-01", "C9", "P2x", judgement="inadequate", confirmed="2026-01-20")
    authority.staff("P2x", auditor=False)
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C9": "P1"}


def test_moderation_changes_the_judgement(tmp_path):
    # C8: the auditor said inadequate, the moderator decided "good" → no re-audit.
    # C7: the auditor said good, the moderator decided inadequate on 2026-01-31 →
    # re-audit deadline 2026-03-31, re-audit month March (due now).
    authority = Authority().auditors("P1", "P2", "P3").case("C1")
    authority.case("C7", month="2026-01").case("C8", month="2026-01")
    authority.history("2026-01", "C8", "P1", judgement="inadequate", confirmed="2026-01-10")
    authority.history("2026-01", "C7", "P2", judgement="good", confirmed="2026-01-10")
    for audit, final in (("2026-01-C8", "good"), ("2026-01-C7", "inadequate")):
        authority.add(
            "challenges",
            audit_id=audit,
            raised_by="SW1",
            raised_on="2026-01-12",
            consensus_reached=False,
        )
        authority.add(
            "moderations",
            audit_id=audit,
            moderator_id="AD1",
            assigned_on="2026-01-14",
            final_judgement=final,
            decided_on="2026-01-31",
        )
    result = solve(authority, tmp_path)
    assert list(result.reaudit_schedule["audit_id"]) == ["2026-01-C7"]
    assert str(result.reaudit_schedule["confirmed_on"].iloc[0]) == "2026-01-31"
    assert result.reaudit_schedule["reaudit_month"].iloc[0] == "2026-03"
    assert allocated(result)["C7"] == "P2"


def test_open_challenge_is_not_yet_confirmed(tmp_path):
    # Inadequate, but challenged without consensus and no moderation decided yet: not
    # confirmed, so nothing awaits a re-audit.
    authority = Authority().auditors("P1").case("C1").case("C7", month="2026-01")
    authority.history("2026-01", "C7", "P1", judgement="inadequate", confirmed="2026-01-10")
    authority.add(
        "challenges",
        audit_id="2026-01-C7",
        raised_by="SW1",
        raised_on="2026-01-12",
        consensus_reached=False,
    )
    result = solve(authority, tmp_path)
    assert result.reaudit_schedule.empty
    assert allocated(result) == {"C1": "P1"}


def test_reaudit_of_a_reaudit_escalates(tmp_path):
    # C7 inadequate in December, re-audited in January and inadequate again: the January
    # audit awaits its own re-audit and, being a re-audit, escalates to the head of
    # service review (§25); the December one is settled.
    authority = Authority().auditors("P1", "P2").case("C1").case("C7", month="2026-01")
    authority.history("2025-12", "C7", "P1", judgement="inadequate", confirmed="2025-12-05")
    authority.history(
        "2026-01",
        "C7",
        "P1",
        judgement="inadequate",
        confirmed="2026-01-30",
        reaudit_of="2025-12-C7",
    )
    result = solve(authority, tmp_path)
    schedule = result.reaudit_schedule
    assert list(schedule["audit_id"]) == ["2026-01-C7"]
    assert schedule["escalation"].iloc[0] == "head_of_service_review"
    assert schedule["head_of_service_id"].iloc[0] == "HS1"


def test_case_in_list_with_reaudit_not_yet_due_is_that_reaudit(tmp_path):
    # C7 inadequate confirmed 2026-02-20 → deadline 2026-04-20 → re-audit month March?
    # March ends 31 March ≤ 20 April, April ends 30 April > 20 April: March. Use a later
    # confirmation, 2026-03-02 → deadline 2026-05-02 → April: not yet due in March. C7 is
    # in March's list anyway, so it is allocated as that re-audit.
    authority = Authority().auditors("P1", "P2").case("C7")
    authority.history("2026-02", "C7", "P1", judgement="inadequate", confirmed="2026-03-02")
    result = solve(authority, tmp_path)
    row = result.allocations.set_index("case_id").loc["C7"]
    assert row["is_reaudit"] and row["reaudit_of"] == "2026-02-C7"
    assert result.reaudit_schedule["reaudit_month"].iloc[0] == "2026-04"


# ------------------------------------------------------------------ preferences


def test_fair_spread_prefers_fewer_audits(tmp_path):
    # P1 has three audits this year, P2 one: C1 goes to P2.
    authority = Authority().auditors("P1", "P2").case("C1")
    for number, month in enumerate(YEAR_2025[:3]):
        authority.history(month, f"H{number}", "P1")
    authority.history("2025-05", "H9", "P2")
    assert allocated(solve(authority, tmp_path)) == {"C1": "P2"}


def test_fresh_eyes_avoid_an_auditor_who_saw_the_subject(tmp_path):
    # P1 and P2 both have one audit this year; P1's was of C1's subject S-C1 in
    # September: fresh eyes send C1 to P2.
    authority = Authority().auditors("P1", "P2").case("C1")
    authority.history("2025-09", "OLD", "P1", subject="S-C1")
    authority.history("2025-09", "OTHER", "P2")
    assert allocated(solve(authority, tmp_path)) == {"C1": "P2"}


def test_fresh_eyes_look_back_exactly_twelve_months(tmp_path):
    # The 12 months before March 2026 are March 2025 to February 2026 (§7). P1 audited
    # C1's subject in March 2025, the window's first month; that audit is in the 2024
    # audit year, so P1 has none this year, while P2 has one (of another subject). Fair
    # spread alone favours P1 by 2 points; fresh eyes charge P1 10: C1 goes to P2.
    # A window of 11 months would miss March 2025 and give C1 to P1.
    authority = Authority().auditors("P1", "P2").case("C1")
    authority.history("2025-03", "OLD", "P1", subject="S-C1")
    authority.history("2025-09", "OTHER", "P2")
    assert allocated(solve(authority, tmp_path)) == {"C1": "P2"}


def test_fresh_eyes_forget_an_audit_thirteen_months_back(tmp_path):
    # The same, with P1's audit of the subject in February 2025: 13 months back, outside
    # the window, so only fair spread counts and C1 goes to P1 (no audit this year). A
    # window of 13 months would charge P1 10 and give C1 to P2.
    authority = Authority().auditors("P1", "P2").case("C1")
    authority.history("2025-02", "OLD", "P1", subject="S-C1")
    authority.history("2025-09", "OTHER", "P2")
    assert allocated(solve(authority, tmp_path)) == {"C1": "P1"}


def test_candidate_limit_keeps_the_original_and_reports_feasible(tmp_path):
    # Six auditors, a re-audit whose original auditor P6 has the most audits this year.
    # With two candidates per case, C9 keeps the two cheapest pairs of its scan: P6 (the
    # original-auditor bonus of 30 outweighs 2 × its 4 audits) and P1 (no audit this year,
    # also the case's own starting auditor); the original auditor is always kept anyway.
    # Continuity wins, and the plan is optimal over 2 of the 6 allowed pairs only, so the
    # run says "feasible" rather than claiming a proof for the whole month.
    authority = Authority().auditors("P1", "P2", "P3", "P4", "P5", "P6").case("C9")
    for auditor, count in (("P2", 1), ("P3", 1), ("P4", 1), ("P5", 1), ("P6", 4)):
        for number, month in enumerate(YEAR_2025[:count]):
            authority.history(month, f"H{auditor}{number}", auditor)
    authority.history("2026-02", "C9", "P6", judgement="inadequate", confirmed="2026-02-10")
    authority.config_toml = "[solver]\nmax_candidates_per_case = 2\n"
    result = solve(authority, tmp_path)
    assert result.solve.stats["candidate_pairs"] == 2
    assert result.solve.stats["allowed_pairs"] == 6
    assert allocated(result) == {"C9": "P6"}
    assert result.solve.status == "feasible"
    assert result.manifest["counts"]["candidate_limit"] == 2


def test_due_reaudit_without_case_details_is_unallocated_with_the_reason(tmp_path):
    # C9's inadequate audit is due, but cases has no row for C9 at all: its worker and
    # team are unknown, so no auditor can be cleared of a conflict. It is listed as
    # unallocated (exit 3 from the CLI) rather than guessed. C1 goes to P2: P1's January
    # audit counts toward the audit year (1 against P2's 0), so the fair spread picks P2.
    authority = Authority().auditors("P1", "P2").case("C1")
    authority.history("2026-01", "C9", "P1", judgement="inadequate", confirmed="2026-01-10")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "P2"}
    row = result.unallocated.set_index("case_id").loc["C9"]
    assert "worker and team are unknown" in row["reason"]
    assert row["subject_id"] == "S-C9"


def test_every_rule_is_listed_once_with_its_paragraph():
    # The solver's one place for the rules: each hard and soft rule names a policy
    # paragraph and a real function (no placeholders).
    from caseaudit.plans.month.adapter import SOFT_RULES
    from caseaudit.plans.month.rules import HARD_RULES

    rules = [*HARD_RULES, *SOFT_RULES]
    assert len({r.label for r in rules}) == len(rules)
    for rule in rules:
        assert "§" in rule.paragraph
        assert rule.function.__doc__ and "§" in rule.function.__doc__, rule.label


def test_reaudit_whose_original_auditor_is_barred_is_still_covered(tmp_path):
    # C9's inadequate audit was P6's; P6 has since declared a conflict with its subject,
    # so the re-audit must go to P1, the only other auditor. Covering a due re-audit
    # outranks every preference: the continuity bonus that no allowed pair can earn must
    # not make covering C9 look dearer than leaving it (a bound on the preference tier
    # once counted that bonus against every pair, and C9 was left unallocated).
    authority = Authority().auditors("P1", "P6").case("C9")
    authority.history("2026-01", "C9", "P6", judgement="inadequate", confirmed="2026-01-12")
    authority.add("conflicts", auditor_id="P6", subject_id="S-C9", reason="family friend")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C9": "P1"}
    assert result.allocations.set_index("case_id").loc["C9", "is_reaudit"]


def test_the_conflicts_of_interest_are_listed_once_on_the_rule_records():
    # Issue 19: "which rules are conflicts of interest" is the records' kind, read by the
    # unallocated sentence, the re-plan's changes and the what-if counts alike; the
    # moderation plan bars a moderator on exactly the month's conflicts (§22), and an
    # honoured exemption (§4, §29–30) is its own kind, not a conflict.
    from caseaudit.model.rule_record import RuleKind, conflict_ids
    from caseaudit.plans.moderation.problem import MODERATION_RULES
    from caseaudit.plans.month.rules import CONFLICT_RULES, HARD_RULES, RULES_BY_ID

    assert CONFLICT_RULES == ("direct", "management_chain", "same_team", "declared")
    assert conflict_ids(MODERATION_RULES) == CONFLICT_RULES
    assert RULES_BY_ID["exempted"].kind is RuleKind.EXEMPTION
    assert all(rule.count_label and rule.reason for rule in HARD_RULES)
