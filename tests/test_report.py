"""caseaudit report (issue 10): the monitoring lists, the figures and report.html.

Each list is checked on a tiny hand-built ledger whose rows are argued in comments; every
report built here, and those of generated authorities on several days, is recomputed by
the independent checker (``checker.check_report``) from the input files; the page is rendered in
headless Chromium (Debian's ``chromium``; the browser test skips, with the reason, only
where that browser is absent) and its numbers are read back against the CSVs; the
same browser prints it to PDF (every page A4) and lays it out 390 px wide (no sideways
scrolling).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html.parser
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import caseaudit
import checker
from builders import Authority
from caseaudit.cli.main import cli
from caseaudit.io.writer import write_outputs
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.reporting.html import EMPTY_FIGURE, EMPTY_LISTS, SHOWN_ROWS, cell_text, report_html
from caseaudit.reporting.monitoring import FIGURE_NAMES, LIST_NAMES

AS_OF = "2026-02-10"


def ledger(
    authority: Authority,
    month: str,
    case_id: str,
    auditor: str,
    status: str,
    judgement: str | None = None,
    confirmed: str | None = None,
    reaudit_of: str | None = None,
    suffix: str = "",
    **dates: str,
) -> Authority:
    """One history row (and its case in that month, unless already there)."""
    if not any(c["case_id"] == case_id and c["month"] == month for c in authority.rows["cases"]):
        authority.case(case_id, month=month)
    return authority.add(
        "history",
        audit_id=f"{month}-{case_id}{suffix}",
        month=month,
        case_id=case_id,
        subject_id=f"S-{case_id}",
        auditor_id=auditor,
        status=status,
        overall_judgement=judgement,
        judgement_confirmed_on=confirmed,
        reaudit_of=reaudit_of,
        **dates,
    )


def judged(
    authority: Authority,
    month: str,
    case_id: str,
    auditor: str,
    judgement: str,
    completed: str,
    finalised: str,
    confirmed: str | None = None,
    status: str = "finalised",
    **more: str,
) -> Authority:
    """A finished audit, its judgement confirmed when it was finalised unless said."""
    return ledger(
        authority,
        month,
        case_id,
        auditor,
        status,
        judgement,
        confirmed or finalised,
        completed_on=completed,
        finalised_on=finalised,
        **more,
    )


def challenge(
    authority: Authority,
    audit_id: str,
    raised_on: str,
    raised_by: str = "SW1",
    consensus: bool | None = False,
) -> Authority:
    return authority.add(
        "challenges",
        audit_id=audit_id,
        raised_by=raised_by,
        raised_on=raised_on,
        consensus_reached=consensus,
    )


def moderation(
    authority: Authority,
    audit_id: str,
    moderator: str,
    assigned_on: str,
    final: str | None = None,
    decided_on: str | None = None,
) -> Authority:
    return authority.add(
        "moderations",
        audit_id=audit_id,
        moderator_id=moderator,
        assigned_on=assigned_on,
        final_judgement=final,
        decided_on=decided_on,
    )


def report_of(authority: Authority, tmp_path: Path, as_of: str = AS_OF) -> caseaudit.ReportResult:
    """The report of the hand-built authority as of the day, its tables written and
    recomputed by the independent checker from the input files (issue 20)."""
    data_dir = authority.write(tmp_path / "data")
    result = caseaudit.report(caseaudit.load(data_dir), as_of)
    write_outputs(tmp_path / "checked", result.tables, result.manifest, result.output)
    checker.assert_valid_report(data_dir, tmp_path / "checked", dt.date.fromisoformat(as_of))
    return result


def column(frame: pd.DataFrame, name: str) -> list[object]:
    return frame[name].tolist()


# ------------------------------------------------------------------ outstanding audits


def approved_exemption(
    authority: Authority, case_id: str, month: str, auditor: str, decided_by: str
) -> Authority:
    """An exemption asked on the 5th of the month and approved on the 6th."""
    return authority.add(
        "exemptions",
        case_id=case_id,
        month=month,
        auditor_id=auditor,
        requested_on=f"{month}-05",
        decision="approved",
        decided_by=decided_by,
        decided_on=f"{month}-06",
    )


def non_completion_ledger() -> Authority:
    """Auditors P1..P4 are P&Q officers: only the Strategic Lead (SL1) may agree their
    exemptions (§4); AD1 is an Assistant Director, the wrong approver for them."""
    authority = Authority().auditors("P1", "P2", "P3", "P4")
    # A second team manager, under a second group manager, who holds C1 from March.
    authority.staff("GM2", role="group_manager", manager="HS1", auditor=False)
    authority.staff("TM2", role="team_manager", team="Team 2", manager="GM2", auditor=False)
    authority.case("C1", month="2026-03", manager="TM2")
    # C1, January, still allocated: due 2026-01-31, 10 days overdue on 2026-02-10, no
    # exemption asked: a non-completion. Its people are January's (TM1, GM1), not March's.
    ledger(authority, "2026-01", "C1", "P1", "allocated")
    # C2, January, non-completed, exemption approved by SL1 (the right role, not P2
    # themself): honoured, so outstanding but not a non-completion (§30).
    ledger(authority, "2026-01", "C2", "P2", "non_completed")
    approved_exemption(authority, "C2", "2026-01", "P2", decided_by="SL1")
    # C3, January, non-completed, exemption approved by AD1: not the Strategic Lead, so not
    # honoured: a non-completion all the same.
    ledger(authority, "2026-01", "C3", "P3", "non_completed")
    approved_exemption(authority, "C3", "2026-01", "P3", decided_by="AD1")
    # C6, December, non-completed: 41 days overdue (2025-12-31 to 2026-02-10), the most
    # urgent; kept although far beyond the deadline (§30).
    ledger(authority, "2025-12", "C6", "P4", "non_completed")
    # Not listed: C4's month (February) has not ended; C5 was completed; C7 was cancelled;
    # C8 is non-completed but completed_on says it was done after all.
    ledger(authority, "2026-02", "C4", "P1", "allocated")
    ledger(authority, "2025-12", "C5", "P1", "completed", completed_on="2026-01-10")
    ledger(authority, "2026-01", "C7", "P4", "cancelled")
    ledger(authority, "2025-11", "C8", "P2", "non_completed", completed_on="2026-01-20")
    return authority


def test_outstanding_lists_every_overdue_audit_most_overdue_first(tmp_path: Path) -> None:
    result = report_of(non_completion_ledger(), tmp_path)
    outstanding = result.outstanding
    # Most overdue first; equal ages by audit id.
    assert column(outstanding, "audit_id") == [
        "2025-12-C6",
        "2026-01-C1",
        "2026-01-C2",
        "2026-01-C3",
    ]
    assert column(outstanding, "days_overdue") == [41, 10, 10, 10]
    assert column(outstanding, "due_on") == [dt.date(2025, 12, 31)] + [dt.date(2026, 1, 31)] * 3
    assert column(outstanding, "non_completion") == [True, True, False, True]
    # The people to chase are those of the audit's month: TM1 and GM1 for C1 in January,
    # although TM2 holds the case in March.
    first_c1 = outstanding[outstanding["case_id"] == "C1"].iloc[0]
    assert (first_c1["auditor_id"], first_c1["team_manager_id"], first_c1["group_manager_id"]) == (
        "P1",
        "TM1",
        "GM1",
    )


def test_an_honoured_exemption_makes_no_non_completion_and_an_unhonoured_one_does(
    tmp_path: Path,
) -> None:
    result = report_of(non_completion_ledger(), tmp_path)
    non = result.non_completions
    # C2's exemption was agreed by the Strategic Lead: honoured, so not listed. C3's was
    # agreed by an Assistant Director, who cannot agree a P&Q officer's: listed.
    assert column(non, "audit_id") == ["2025-12-C6", "2026-01-C1", "2026-01-C3"]
    exemption = dict(zip(non["audit_id"], non["exemption"], strict=True))
    assert exemption["2026-01-C1"] == "no exemption requested"
    assert exemption["2026-01-C3"].startswith("approved by an Assistant Director")
    assert "Strategic Lead" in exemption["2026-01-C3"]


# ------------------------------------------------------------------ amendments


def test_an_amendment_is_due_three_working_days_after_return_across_a_bank_holiday(
    tmp_path: Path,
) -> None:
    authority = Authority().auditors("P1", "P2", "P3")
    # Returned Thursday 2026-04-02; Good Friday (04-03) and Easter Monday (04-06) are bank
    # holidays in England, so the three working days are 04-07, 04-08, 04-09: due 04-09,
    # not overdue on 04-09. (Counting the holidays would make it due 04-07, and overdue.)
    ledger(
        authority,
        "2026-03",
        "C1",
        "P1",
        "returned",
        completed_on="2026-03-30",
        returned_on="2026-04-02",
    )
    # Returned Friday 2026-03-27: 03-30, 03-31, 04-01: due 04-01, overdue on 04-09.
    ledger(
        authority,
        "2026-03",
        "C2",
        "P2",
        "returned",
        completed_on="2026-03-20",
        returned_on="2026-03-27",
    )
    # Returned without a date: the due date is unknown, listed last.
    ledger(authority, "2026-03", "C3", "P3", "returned", completed_on="2026-03-20")
    # Completed, not returned: not listed.
    ledger(authority, "2026-02", "C4", "P1", "completed", completed_on="2026-02-20")
    # Returned on 04-10, the day after the as-of day: not returned yet then, not listed.
    ledger(
        authority,
        "2026-03",
        "C5",
        "P2",
        "returned",
        completed_on="2026-04-08",
        returned_on="2026-04-10",
    )
    result = report_of(authority, tmp_path, "2026-04-09")
    amendments = result.amendments_due
    assert column(amendments, "audit_id") == ["2026-03-C2", "2026-03-C1", "2026-03-C3"]
    assert column(amendments, "amendment_due_on") == [
        dt.date(2026, 4, 1),
        dt.date(2026, 4, 9),
        None,
    ]
    assert column(amendments, "overdue") == [True, False, None]


def test_amendment_working_days_come_from_the_config(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.config_toml = "[policy]\namendment_working_days = 1\n"
    # Returned Friday 2026-03-27, one working day: Monday 03-30.
    ledger(
        authority,
        "2026-03",
        "C1",
        "P1",
        "returned",
        completed_on="2026-03-20",
        returned_on="2026-03-27",
    )
    result = report_of(authority, tmp_path, "2026-03-31")
    assert column(result.amendments_due, "amendment_due_on") == [dt.date(2026, 3, 30)]
    assert column(result.amendments_due, "overdue") == [True]


# ------------------------------------------------------------------ awaiting actions


def test_finalised_audits_await_the_team_managers_actions_oldest_first(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2", "P3")
    # Finalised 2026-01-20: 21 days on 2026-02-10. Finalised 2026-02-01: 9 days.
    judged(authority, "2026-01", "C1", "P1", "good", "2026-01-25", "2026-02-01")
    judged(authority, "2026-01", "C2", "P2", "requires_improvement", "2026-01-15", "2026-01-20")
    # Actions confirmed: not listed.
    judged(
        authority,
        "2025-12",
        "C3",
        "P3",
        "good",
        "2025-12-15",
        "2025-12-20",
        status="actions_complete",
        actions_completed_on="2026-01-30",
    )
    # As of 02-10: C4's actions were confirmed on 02-12, so on 02-10 they were still
    # awaited (finalised 01-31: 10 days); C5 was finalised on 02-12, not yet then.
    judged(
        authority,
        "2026-01",
        "C4",
        "P1",
        "good",
        "2026-01-28",
        "2026-01-31",
        status="actions_complete",
        actions_completed_on="2026-02-12",
    )
    judged(authority, "2026-01", "C5", "P2", "good", "2026-01-28", "2026-02-12")
    result = report_of(authority, tmp_path)
    waiting = result.awaiting_actions
    assert column(waiting, "audit_id") == ["2026-01-C2", "2026-01-C4", "2026-01-C1"]
    assert column(waiting, "age_days") == [21, 10, 9]
    assert column(waiting, "judgement") == ["requires_improvement", "good", "good"]


# ------------------------------------------------------------------ inadequate cycle


def test_a_repeat_inadequate_escalates_to_the_head_of_service(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2", "P3")
    # C1 judged inadequate in October, re-audited in December and inadequate again: the
    # October audit is re-audited (off the list); the December one awaits its re-audit
    # and, being itself a re-audit, escalates to the head of service (§25), HS1.
    judged(authority, "2025-10", "C1", "P1", "inadequate", "2025-10-15", "2025-10-20")
    judged(
        authority,
        "2025-12",
        "C1",
        "P2",
        "inadequate",
        "2025-12-10",
        "2025-12-15",
        reaudit_of="2025-10-C1",
    )
    # C2 inadequate, confirmed Wednesday 2026-01-28, not a re-audit: no escalation.
    judged(authority, "2026-01", "C2", "P3", "inadequate", "2026-01-25", "2026-01-28")
    # C3 inadequate, confirmed 2026-02-20, after the as-of day: not confirmed yet then.
    judged(authority, "2026-02", "C3", "P1", "inadequate", "2026-02-09", "2026-02-20")
    result = report_of(authority, tmp_path)
    cycle = result.inadequate_cycle
    # Earliest deadline first: 2025-12-15 + 2 months = 2026-02-15; 2026-01-28 + 2 = 03-28.
    assert column(cycle, "audit_id") == ["2025-12-C1", "2026-01-C2"]
    assert column(cycle, "escalation") == ["head_of_service_review", "none"]
    assert column(cycle, "head_of_service_id") == ["HS1", "HS1"]
    assert column(cycle, "reaudit_deadline") == [dt.date(2026, 2, 15), dt.date(2026, 3, 28)]
    # The latest month ending by the deadline: January (Feb 28 > Feb 15), February.
    assert column(cycle, "reaudit_month") == ["2026-01", "2026-02"]
    # Five working days after Monday 12-15: 16, 17, 18, 19, 22. After Wednesday 01-28:
    # 29, 30, 02-02, 02-03, 02-04.
    assert column(cycle, "reflection_meeting_by") == [dt.date(2025, 12, 22), dt.date(2026, 2, 4)]
    # 28 days on: Monday 2026-01-12 and Wednesday 2026-02-25, both working days.
    assert column(cycle, "review_meeting_on") == [dt.date(2026, 1, 12), dt.date(2026, 2, 25)]
    assert column(cycle, "overdue") == [False, False]
    assert column(cycle, "next_step") == [
        "head of service review, then re-audit by 2026-02-15",
        "review meeting on 2026-02-25",
    ]
    assert column(cycle, "auditor_id") == ["P2", "P3"]


def moderated_ledger() -> Authority:
    """Challenges in every moderation state, as of 2026-02-10 (§21–22)."""
    authority = Authority().auditors("P1", "P2", "P3", "P4", "P5", "P6")
    authority.staff(
        "M1", role="head_of_service", service="Fostering", auditor=False, can_moderate=True
    )
    # C1: judged inadequate, challenged without consensus; the moderator decided
    # requires_improvement on 2026-02-03: the effective judgement is no longer inadequate,
    # so no re-audit is awaited, and the challenge shows as decided this month.
    judged(
        authority,
        "2026-01",
        "C1",
        "P1",
        "inadequate",
        "2026-01-20",
        "2026-02-04",
        confirmed="2026-01-25",
    )
    challenge(authority, "2026-01-C1", "2026-01-22")
    moderation(authority, "2026-01-C1", "M1", "2026-01-23", "requires_improvement", "2026-02-03")
    # C2: challenged on 2026-02-01, nobody assigned yet: awaiting a moderator, 9 days.
    ledger(authority, "2026-01", "C2", "P2", "completed", completed_on="2026-01-30")
    challenge(authority, "2026-01-C2", "2026-02-01")
    # C3: challenged on 2026-01-20 (consensus left empty: none yet), moderator assigned on
    # 01-25, no decision: moderator assigned, 21 days.
    ledger(authority, "2026-01", "C3", "P3", "completed", completed_on="2026-01-18")
    challenge(authority, "2026-01-C3", "2026-01-20", raised_by="TM1", consensus=None)
    moderation(authority, "2026-01-C3", "M1", "2026-01-25")
    # Not listed: C4 reached consensus; C5 was decided in January (not this month); C6's
    # challenge is raised after the as-of day.
    ledger(authority, "2026-01", "C4", "P4", "completed", completed_on="2026-01-18")
    challenge(authority, "2026-01-C4", "2026-01-20", consensus=True)
    judged(
        authority, "2025-12", "C5", "P5", "good", "2025-12-20", "2026-01-29", confirmed="2026-01-28"
    )
    challenge(authority, "2025-12-C5", "2025-12-22")
    moderation(authority, "2025-12-C5", "M1", "2025-12-23", "good", "2026-01-28")
    ledger(authority, "2026-02", "C6", "P6", "completed", completed_on="2026-02-09")
    challenge(authority, "2026-02-C6", "2026-02-11")
    return authority


def test_a_moderation_overturning_an_inadequate_ends_the_cycle(tmp_path: Path) -> None:
    result = report_of(moderated_ledger(), tmp_path)
    assert result.inadequate_cycle.empty
    january = result.tables["judgements_by_month"].set_index("month").loc["2026-01"]
    # C1 counts as the moderator's requires_improvement; C2, C3, C4 are not judged yet.
    assert (int(january["inadequate"]), int(january["requires_improvement"])) == (0, 1)


def test_a_moderation_decided_after_the_as_of_day_has_not_happened_yet(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2")
    authority.staff(
        "M1", role="head_of_service", service="Fostering", auditor=False, can_moderate=True
    )
    authority.staff(
        "M2", role="head_of_service", service="Leaving Care", auditor=False, can_moderate=True
    )
    # C1: inadequate, challenged on 01-22 without consensus; M1 upheld it on 01-30, then a
    # second moderation by M2 made it requires_improvement on 02-20. On 02-10 only the
    # first decision exists: inadequate, confirmed 01-30, re-audit by 03-30.
    judged(authority, "2026-01", "C1", "P1", "inadequate", "2026-01-19", "2026-01-20")
    challenge(authority, "2026-01-C1", "2026-01-22")
    for moderator, assigned, final, decided in (
        ("M1", "2026-01-23", "inadequate", "2026-01-30"),
        ("M2", "2026-02-05", "requires_improvement", "2026-02-20"),
    ):
        moderation(authority, "2026-01-C1", moderator, assigned, final, decided)
    # C2: inadequate, confirmed 01-28 with nobody disagreeing by 02-10; a challenge raised
    # on 02-12 and decided good on 02-20 is still in the future on 02-10, so the auditor's
    # inadequate stands then: re-audit by 03-28.
    judged(authority, "2026-01", "C2", "P2", "inadequate", "2026-01-26", "2026-01-28")
    challenge(authority, "2026-01-C2", "2026-02-12")
    moderation(authority, "2026-01-C2", "M1", "2026-02-13", "good", "2026-02-20")
    before = report_of(authority, tmp_path / "before", "2026-02-10")
    cycle = before.inadequate_cycle
    assert column(cycle, "audit_id") == ["2026-01-C2", "2026-01-C1"]
    assert column(cycle, "confirmed_on") == [dt.date(2026, 1, 28), dt.date(2026, 1, 30)]
    assert column(cycle, "reaudit_deadline") == [dt.date(2026, 3, 28), dt.date(2026, 3, 30)]
    january = before.tables["judgements_by_month"].set_index("month").loc["2026-01"]
    assert (int(january["inadequate"]), int(january["judged"])) == (2, 2)
    # On 02-28 both decisions have been made: neither is inadequate any more.
    after = report_of(authority, tmp_path / "after", "2026-02-28")
    assert after.inadequate_cycle.empty
    january = after.tables["judgements_by_month"].set_index("month").loc["2026-01"]
    grades = [int(january[g]) for g in ("good", "requires_improvement", "inadequate")]
    assert grades == [1, 1, 0]


def test_open_challenges_show_each_moderation_state_most_urgent_first(tmp_path: Path) -> None:
    result = report_of(moderated_ledger(), tmp_path)
    challenges = result.challenges_open
    assert column(challenges, "audit_id") == ["2026-01-C2", "2026-01-C3", "2026-01-C1"]
    assert column(challenges, "moderation_status") == [
        "awaiting_moderator",
        "moderator_assigned",
        "decided",
    ]
    assert column(challenges, "days_open") == [9, 21, 19]
    assert column(challenges, "moderator_id") == [None, "M1", "M1"]
    assert column(challenges, "final_judgement") == [None, None, "requires_improvement"]
    # In March the February decision is no longer listed.
    later = report_of(moderated_ledger(), tmp_path / "march", "2026-03-02")
    assert "2026-01-C1" not in set(later.challenges_open["audit_id"])


# ------------------------------------------------------------------ figures


def test_breaks_by_month_decide_requests_against_the_cap(tmp_path: Path) -> None:
    authority = Authority().auditors(*(f"P{n}" for n in range(1, 11)))
    # P11 leaves mid-March: not eligible in March, so its request is not required.
    authority.staff("P11", active_to="2026-03-15")
    # Ten auditors eligible all March: cap floor(0.20 × 10) = 2. Three on-time requests:
    # the two earliest granted, the third refused by the cap.
    for auditor, day in (
        ("P1", "2026-02-01"),
        ("P2", "2026-02-02"),
        ("P3", "2026-02-03"),
        ("P11", "2026-02-01"),
    ):
        authority.add("breaks", auditor_id=auditor, month="2026-03", requested_on=day)
    ledger(authority, "2026-02", "C1", "P1", "allocated")
    result = report_of(authority, tmp_path, "2026-03-05")
    months = result.tables["breaks_by_month"].set_index("month")
    march = months.loc["2026-03"]
    assert (march["eligible"], march["requested"], march["granted"]) == (10, 4, 2)
    assert (march["refused_cap"], march["not_required"], march["cap"]) == (1, 1, 2)
    # Twelve months to the as-of month; February had 11 eligible (cap 2) and no request.
    assert list(months.index) == [f"2025-{m:02d}" for m in range(4, 13)] + [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert (months.loc["2026-02", "eligible"], months.loc["2026-02", "cap"]) == (11, 2)


@pytest.mark.parametrize(("preset", "seed"), [("small", 0), ("median", 2)])
def test_every_list_and_figure_recomputed_by_the_checker_on_a_generated_authority(
    tmp_path: Path, preset: str, seed: int
) -> None:
    """Issue 20: the report of any day is recomputed by the independent checker from the
    input rows dated on or before it. The days: the ledger's last day (Saturday
    28 February 2026, a month-end), 31 January 2026 (a month-end), Christmas Day and
    the summer bank holiday of 2025, and the early May bank holiday (5 May 2025)."""
    data_dir = tmp_path / "data"
    CliRunner().invoke(
        cli,
        ["generate", "--preset", preset, "--seed", str(seed), "--out", str(data_dir)],
        catch_exceptions=False,
    )
    data = caseaudit.load(data_dir)
    for day in ("2026-02-28", "2026-01-31", "2025-12-25", "2025-08-25", "2025-05-05"):
        as_of = dt.date.fromisoformat(day)
        result = caseaudit.report(data, as_of)
        write_outputs(tmp_path / day, result.tables, result.manifest, result.output)
        checker.assert_valid_report(data_dir, tmp_path / day, as_of)


def test_the_report_checker_catches_a_wrong_stage_and_a_missing_row(tmp_path: Path) -> None:
    """The checker is not vacuous: as of 16 February C1 is "review due" (see
    test_ledger_time's cycle); a report saying "reflection due", or one without the
    row, is caught."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    authority = Authority().auditors("P1", "P2")
    judged(authority, "2026-02", "C1", "P1", "inadequate", "2026-02-03", "2026-02-06")
    report_of(authority, tmp_path, "2026-02-16")
    written = tmp_path / "checked" / "inadequate_cycle.parquet"
    table = pq.read_table(written)
    stage = table.schema.get_field_index("stage")
    pq.write_table(table.set_column(stage, "stage", pa.array(["reflection due"])), written)
    violations = checker.check_report(tmp_path / "data", tmp_path / "checked", dt.date(2026, 2, 16))
    assert violations == [
        "inadequate_cycle row 1 (2026-02-C1): stage is reflection due, expected review due"
    ]
    pq.write_table(table.slice(0, 0), written)
    violations = checker.check_report(tmp_path / "data", tmp_path / "checked", dt.date(2026, 2, 16))
    assert [v.split(" (")[0] for v in violations] == ["inadequate_cycle: 0 rows, expected 1"]


def test_the_target_share_comes_from_the_config(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2")
    authority.config_toml = "[report]\ninadequate_share_target = 0.05\n"
    # One inadequate and one good judgement in January: half of January's judged audits.
    judged(authority, "2026-01", "C1", "P1", "inadequate", "2026-01-15", "2026-01-20")
    judged(
        authority,
        "2026-01",
        "C2",
        "P2",
        "good",
        "2026-01-15",
        "2026-01-21",
        status="actions_complete",
        actions_completed_on="2026-02-01",
    )
    result = report_of(authority, tmp_path)
    months = result.tables["judgements_by_month"].set_index("month")
    assert set(months["inadequate_share_target"]) == {0.05}
    assert (months.loc["2026-01", "judged"], months.loc["2026-01", "inadequate_share"]) == (2, 0.5)
    assert result.summary().endswith(
        "inadequate 50.0% of 2 judgements 2025-03..2026-02 (target 5%)"
    )


def test_a_target_outside_zero_to_one_is_an_input_error_at_its_line(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.case("C1")
    authority.config_toml = "[report]\n\ninadequate_share_target = 1.5\n"
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, ["report", str(data_dir), "--as-of", AS_OF, "--out", str(out)])
    assert run.exit_code == 2
    assert run.stderr.startswith("config.toml:3: report.inadequate_share_target: ")
    assert not out.exists()


def test_an_authority_without_a_ledger_has_empty_lists_and_zero_figures(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.case("C1")
    result = report_of(authority, tmp_path, "2026-03-10")
    for name in LIST_NAMES:
        assert result.tables[name].empty, name
    months = result.tables["judgements_by_month"]
    # The twelve months to March 2026, none judged: no share rather than a share of 0.
    assert list(months["month"]) == [f"2025-{m:02d}" for m in range(4, 13)] + [
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert set(months["judged"]) == {0}
    assert months["inadequate_share"].isna().all()
    assert column(result.tables["audits_per_auditor"], "audits") == [0]
    assert "no judgement confirmed 2025-04..2026-03" in result.summary()
    result.write(tmp_path / "out")  # the empty tables are written with their headers
    with open(tmp_path / "out" / "outstanding.csv", encoding="utf-8") as handle:
        assert handle.read().splitlines() == [",".join(OUTPUT_TABLES["outstanding"].column_names)]


def test_an_empty_overdue_list_says_why_and_is_not_called_outstanding(tmp_path: Path) -> None:
    # No ledger: nothing is overdue on 2026-03-10, and the page says so in words. The
    # list is "Overdue audits": "Outstanding" is the best grade only (issue 24).
    authority = Authority().auditors("P1")
    authority.case("C1")
    page = report_of(authority, tmp_path, "2026-03-10").html.decode("utf-8")
    assert '<td class="empty" colspan="11">No audits are overdue on 2026-03-10.</td>' in page
    assert '<h2 id="outstanding">Overdue audits <span class="para">§6, §27 · 0</span></h2>' in page
    assert "Outstanding audits" not in page
    assert "No challenge is open on 2026-03-10." in page


def test_statuses_are_shown_in_words_not_codes(tmp_path: Path) -> None:
    # non_completion_ledger's overdue audits are allocated or non_completed in the
    # ledger: the page says "not completed" for the latter; the CSV keeps the code.
    assert cell_text("non_completed", "str", "status") == "not completed"
    assert cell_text("actions_complete", "str", "status") == "actions complete"
    assert cell_text("awaiting_moderator", "str", "moderation_status") == "awaiting moderator"
    grade = "requires_improvement_good_elements"
    assert cell_text(grade, "str", "judgement") == "requires improvement (good elements)"
    # An id is not a code, whatever it looks like.
    assert cell_text("S_0001", "str", "auditor_id") == "S_0001"
    result = report_of(non_completion_ledger(), tmp_path)
    statuses = result.outstanding["status"]
    assert set(statuses) == {"allocated", "non_completed"}
    page = result.html.decode("utf-8")
    said = '<td data-label="Status">not completed</td>'
    # Both lists with a status (overdue audits, non-completions) show it in words.
    coded = pd.concat([statuses, result.tables["non_completions"]["status"]])
    assert page.count(said) == int((coded == "non_completed").sum())
    assert "non_<wbr>completed" not in page


def test_a_national_list_shows_its_first_rows_and_leaves_the_rest_to_its_csv() -> None:
    # The median authority's page with its overdue list swollen to 20,000 rows (a region
    # a year behind): shown whole, each row some 700 bytes, the page would be about 14 MB.
    # It shows the first SHOWN_ROWS (200) and says how many more outstanding.csv holds,
    # so the page grows by those 200 rows only and stays under 5 MB.
    result = caseaudit.report(caseaudit.generate("median", 0), "2026-02-28")
    monitoring = result.monitoring
    base = report_html(monitoring)
    overdue = monitoring.tables["outstanding"]
    copies = -(-20_000 // len(overdue))
    long = pd.concat([overdue] * copies, ignore_index=True).head(20_000)
    long["audit_id"] = [f"2025-01-X{n:05d}" for n in range(len(long))]
    swollen = dataclasses.replace(monitoring, tables={**monitoring.tables, "outstanding": long})
    page = report_html(swollen)
    assert len(page) < 5_000_000
    assert len(page) - len(base) < SHOWN_ROWS * 1_500
    text = page.decode("utf-8")
    assert (
        '<p class="more" data-more="outstanding">and 19,800 more — see '
        '<a href="outstanding.csv">outstanding.csv</a></p>'
    ) in text
    shown_ids = re.findall(r'<td data-label="Audit">(2025-01-X\d+)</td>', text)
    assert shown_ids == [f"2025-01-X{n:05d}" for n in range(SHOWN_ROWS)]
    # The headline count and the heading still count every row.
    assert '<span class="count" data-count="outstanding">20000</span>' in text


def test_a_share_with_nothing_to_share_is_null_in_parquet_as_in_csv(tmp_path: Path) -> None:
    """Contract §1: null is an empty CSV cell and a Parquet null, never NaN. No audit is
    judged in any of the twelve months, so every month's share is null in both files."""
    import pyarrow.parquet as pq

    authority = Authority().auditors("P1")
    authority.case("C1")
    report_of(authority, tmp_path, "2026-03-10").write(tmp_path / "out")
    shares = pq.read_table(tmp_path / "out" / "judgements_by_month.parquet")["inadequate_share"]
    assert shares.null_count == 12
    with open(tmp_path / "out" / "judgements_by_month.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["inadequate_share"] for row in rows] == [""] * 12


# ------------------------------------------------------------------ generator, files, CLI


@pytest.mark.parametrize(("preset", "seed"), [("median", 0), ("small", 1)])
def test_the_generator_exercises_every_list(preset: str, seed: int) -> None:
    data = caseaudit.generate(preset, seed)
    result = caseaudit.report(data, "2026-02-28")
    # Issue 10's lists; issue 20's (retrospective exemptions, cancellations, incomplete
    # audit tools) are exercised by their hand-built ledgers in test_ledger_time.py.
    for name in (*LIST_NAMES[:6], "domain_ratings"):
        assert len(result.tables[name]) >= 1, name
    # An honoured exemption keeps an outstanding audit off the non-completions.
    assert (~result.outstanding["non_completion"]).sum() >= 1
    assert (result.amendments_due["overdue"] == True).sum() >= 1  # noqa: E712
    assert (result.inadequate_cycle["escalation"] == "head_of_service_review").sum() >= 1
    states = set(result.challenges_open["moderation_status"])
    assert states == {"awaiting_moderator", "moderator_assigned", "decided"}


def test_reruns_write_byte_identical_files(tmp_path: Path) -> None:
    data = caseaudit.generate("small", 1)
    first, second = tmp_path / "first", tmp_path / "second"
    caseaudit.report(data, "2026-02-28").write(first)
    caseaudit.report(data, "2026-02-28").write(second)
    names = sorted(p.name for p in first.iterdir() if p.name != "manifest.json")
    assert names == sorted(p.name for p in second.iterdir() if p.name != "manifest.json")
    assert {n.rsplit(".", 1)[1] for n in names} == {"csv", "parquet", "html"}
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_lists_are_written_most_urgent_first(tmp_path: Path) -> None:
    result = report_of(non_completion_ledger(), tmp_path)
    result.write(tmp_path / "out")
    with open(tmp_path / "out" / "outstanding.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["audit_id"] for r in rows] == list(result.outstanding["audit_id"])
    assert [r["days_overdue"] for r in rows] == ["41", "10", "10", "10"]


def test_ties_are_broken_by_every_column_as_text_in_order() -> None:
    # Issue 23: urgent_first ranks a column by its distinct values and stops once no two
    # rows tie. Four rows of the overdue list, 10 days overdue each but the first (41):
    # 41 comes first (most overdue); the three at 10 tie on audit_id "A" and "A" and a
    # null (read as the empty text, which sorts before "A"); the two "A" rows tie on
    # month too and are told apart by case_id ("C1" before "C2") — the later columns
    # (a date, an int) are never needed.
    columns = OUTPUT_TABLES["outstanding"].column_names
    base = dict.fromkeys(columns)
    rows = [
        {**base, "audit_id": "A", "month": "2026-01", "case_id": "C2", "days_overdue": 10},
        {**base, "audit_id": "Z", "month": "2025-12", "case_id": "C9", "days_overdue": 41},
        {**base, "audit_id": "A", "month": "2026-01", "case_id": "C1", "days_overdue": 10},
        {**base, "audit_id": None, "month": "2026-01", "case_id": "C3", "days_overdue": 10},
    ]
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    ordered = OUTPUT_TABLES["outstanding"].urgent_first(frame)
    assert list(ordered["case_id"]) == ["C9", "C3", "C1", "C2"]


@pytest.mark.parametrize("seed", range(5))
def test_urgent_first_orders_as_sorting_each_rows_texts(seed: int) -> None:
    # The order urgent_first gives (ranks by distinct value, early stop) against the
    # contract's definition written out directly: the urgency key, then every column's
    # text compared in order (null as the empty text), rows fully equal in input order.
    # Few distinct values per column, so that rows tie on the first columns and deeper.
    rng = random.Random(seed)
    table = OUTPUT_TABLES["amendments_due"]
    kinds = table.kinds
    pools: dict[str, list[object]] = {
        "text": ["a", "b", "", None, "B", "ä"],
        "month": ["2026-01", "2025-12", None],
        "date": [dt.date(2026, 1, 2), dt.date(2025, 12, 31), None],
        "int": [0, 7, 10, None],
        "bool": [True, False, None],
        "float": [0.5, 0.25, None],
    }
    rows = [{c: rng.choice(pools[kinds[c]]) for c in table.column_names} for _ in range(60)]
    frame = pd.DataFrame(rows, columns=table.column_names, dtype=object)
    ordered = table.urgent_first(frame)

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    def key(position: int) -> tuple[object, ...]:
        row = rows[position]
        due = row["amendment_due_on"]  # ascending, nulls after every day
        return (due is None, due or dt.date.min, *(text(row[c]) for c in table.column_names))

    expected = sorted(range(len(rows)), key=key)
    assert ordered.to_dict("records") == [rows[i] for i in expected]


def test_cli_report_writes_the_lists_the_page_and_the_manifest(tmp_path: Path) -> None:
    data_dir = non_completion_ledger().write(tmp_path / "data")
    out = tmp_path / "out"
    run = CliRunner().invoke(cli, ["report", str(data_dir), "--as-of", AS_OF, "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert run.stdout.startswith(f"as of {AS_OF}: 4 overdue (3 non-completions)")
    for table in (t for t in OUTPUT_TABLES.values() if "report" in t.commands):
        assert (out / f"{table.name}.csv").exists(), table.name
        assert (out / f"{table.name}.parquet").exists(), table.name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["as_of"] == AS_OF
    assert manifest["counts"]["non_completions"] == 3
    assert (out / "report.html").read_bytes().startswith(b"<!doctype html>")
    # A second run into the same folder needs --force (contract §2).
    again = CliRunner().invoke(cli, ["report", str(data_dir), "--as-of", AS_OF, "--out", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.stderr


def test_cli_report_refuses_a_bad_date_and_bad_input_writing_nothing(tmp_path: Path) -> None:
    data_dir = non_completion_ledger().write(tmp_path / "data")
    out = tmp_path / "out"
    bad_date = CliRunner().invoke(
        cli, ["report", str(data_dir), "--as-of", "2026-02-30", "--out", str(out)]
    )
    assert bad_date.exit_code == 2
    assert "expected a date as YYYY-MM-DD" in bad_date.stderr
    history = data_dir / "history.csv"
    history.write_text(history.read_text().replace("non_completed", "not_done", 1))
    bad_input = CliRunner().invoke(
        cli, ["report", str(data_dir), "--as-of", AS_OF, "--out", str(out)]
    )
    assert bad_input.exit_code == 2
    assert bad_input.stderr.startswith("history.csv:")
    assert "status" in bad_input.stderr.splitlines()[0]
    assert "Traceback" not in bad_input.stderr
    assert not out.exists()


# ------------------------------------------------------------------ the page in a browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _Page(html.parser.HTMLParser):
    """The rendered DOM's tables (by ``data-table``), headline counts, charts and the
    attributes the page's script sets on ``<html>``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.counts: dict[str, str] = {}
        self.charts: list[str] = []
        self.root: dict[str, str | None] = {}
        self.sources: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._count: str | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            if attributes.get(name):
                self.sources.append(str(attributes[name]))
        if tag == "html":
            self.root = attributes
        elif tag == "table" and attributes.get("data-table"):
            self._table = str(attributes["data-table"])
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        elif tag == "span" and attributes.get("data-count"):
            self._count = str(attributes["data-count"])
            self.counts[self._count] = ""
        elif tag == "img" and attributes.get("data-chart"):
            self.charts.append(str(attributes["data-chart"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "span":
            self._count = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._count is not None:
            self.counts[self._count] += data


#: The codes the page shows in words (issue 24), written out here, not derived: a new
#: code fails the test until its words are agreed.
CODES_IN_WORDS = {
    "non_completed": "not completed",
    "allocated": "allocated",
    "actions_complete": "actions complete",
    "awaiting_moderator": "awaiting moderator",
    "moderator_assigned": "moderator assigned",
    "decided": "decided",
    "head_of_service_review": "head of service review",
    "none": "none",
    "outstanding": "outstanding",
    "good": "good",
    "requires_improvement_good_elements": "requires improvement (good elements)",
    "requires_improvement": "requires improvement",
    "inadequate": "inadequate",
}
CODE_COLUMNS = ("status", "moderation_status", "escalation", "judgement", "final_judgement")


def shown(text: str, kind: str, column: str = "") -> str:
    """A CSV cell as the page should show it: shares as percentages with one decimal,
    booleans as yes/no, codes in words, everything else as written."""
    if text == "":
        return ""
    if column in CODE_COLUMNS:
        return CODES_IN_WORDS[text]
    if kind == "float":
        return f"{100 * float(text):.1f}%"
    if kind == "bool":
        return {"true": "yes", "false": "no"}[text]
    return text


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed here "
    "(.ci/run installs it): the page cannot be rendered",
)
#: A4 in PostScript points (210 × 297 mm); Chromium rounds the page to whole pixels.
A4_POINTS = (595.28, 841.89)
#: The text's width on A4 portrait and landscape in CSS pixels (96 to the inch), inside
#: the page's 11 mm side margins (``@page`` in ``caseaudit.reporting.html``).
A4_TEXT_WIDTHS = (int((210 - 22) / 25.4 * 96), int((297 - 22) / 25.4 * 96))
#: Lays the report out as printed, at the width of the paper's text: each frame copies
#: the report's print rules to all media (CSSOM: the report's Content-Security-Policy
#: governs its own markup, not this page's script), then notes how far right any element
#: of the summary and figures (portrait pages) or of the lists (landscape pages) reaches.
PRINT_FRAME = """<!doctype html>
<html><body style="margin:0">
<iframe id="portrait" src="report.html" style="width:{portrait}px;height:900px;border:0"></iframe>
<iframe id="landscape" src="report.html" style="width:{landscape}px;height:900px;border:0"></iframe>
<script>
function printed(frame, selector) {{
  var doc = frame.contentDocument;
  Array.prototype.forEach.call(doc.styleSheets, function (sheet) {{
    Array.prototype.slice.call(sheet.cssRules).forEach(function (rule) {{
      if (rule.media && rule.media.mediaText === "print") {{
        Array.prototype.forEach.call(rule.cssRules, function (inner) {{
          sheet.insertRule(inner.cssText, sheet.cssRules.length);
        }});
      }}
    }});
  }});
  doc.documentElement.style.overflow = "hidden";
  var right = 0;
  doc.querySelectorAll(selector).forEach(function (element) {{
    right = Math.max(right, Math.ceil(element.getBoundingClientRect().right));
  }});
  document.body.setAttribute("data-" + frame.id, right);
  document.body.setAttribute("data-" + frame.id + "-width", doc.documentElement.clientWidth);
}}
document.getElementById("portrait").addEventListener("load", function () {{
  printed(this, "header *, #summary *, #figures *");
}});
document.getElementById("landscape").addEventListener("load", function () {{
  printed(this, "#lists *");
}});
</script>
</body></html>
"""
#: A phone's width in CSS pixels (an iPhone 12 to 15).
PHONE_WIDTH = 390
#: Holds the report in a phone-wide frame and copies the report's measured width onto its
#: own body, for --dump-dom to print. Headless Chromium will not make its window narrower
#: than 500 px, so the frame, not the window, is the phone.
PHONE_FRAME = """<!doctype html>
<html><body style="margin:0">
<iframe id="page" src="report.html" style="width:{width}px;height:844px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {{
  document.body.setAttribute("data-page-width", this.contentDocument.documentElement.scrollWidth);
  document.body.setAttribute("data-window-width", this.contentWindow.innerWidth);
}});
</script>
</body></html>
"""


#: The overdue list's key columns (the audit, who to chase, when it was due), as the page
#: labels them: on a phone each must show whole, within the screen, on every card.
KEY_COLUMNS = ("Audit", "Auditor", "Due on")
#: Counts the overdue list's key cells and those laid out whole inside the phone's width.
PHONE_KEYS_FRAME = """<!doctype html>
<html><body style="margin:0">
<iframe id="page" src="report.html" style="width:{width}px;height:844px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {{
  var doc = this.contentDocument, width = this.contentWindow.innerWidth;
  var cells = 0, visible = 0;
  {labels}.forEach(function (label) {{
    doc.querySelectorAll('table[data-table="outstanding"] td[data-label="' + label + '"]')
      .forEach(function (cell) {{
        cells += 1;
        var box = cell.getBoundingClientRect();
        var style = doc.defaultView.getComputedStyle(cell);
        if (box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= width
            && style.display !== "none" && style.visibility !== "hidden") {{
          visible += 1;
        }}
      }});
  }});
  document.body.setAttribute("data-key-cells", cells);
  document.body.setAttribute("data-key-visible", visible);
}});
</script>
</body></html>
"""


def chromium(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Headless Chromium on the arguments; it must exit 0."""
    done = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def laid_out(frame: Path, text: str) -> dict[str, int]:
    """The numbers a frame page (``text``, written to ``frame`` beside the report) notes
    on its ``<body>`` as ``data-*`` attributes once Chromium has laid it out."""
    frame.write_text(text, encoding="utf-8")
    rendered = chromium(
        "--allow-file-access-from-files",  # the frame reads the report's layout
        "--virtual-time-budget=10000",
        "--dump-dom",
        frame.as_uri(),
    )
    body = re.search(r"<body[^>]*>", rendered.stdout)
    assert body is not None
    return {key: int(n) for key, n in re.findall(r'data-([a-z-]+)="(\d+)"', body.group(0))}


@pytest.fixture(scope="module")
def written_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The median authority's report as of the ledger's last day, written once."""
    out = tmp_path_factory.mktemp("report") / "out"
    caseaudit.report(caseaudit.generate("median", 0), "2026-02-28").write(out)
    return out


@needs_chromium
def test_the_page_renders_in_chromium_and_shows_the_csvs_numbers(written_report: Path) -> None:
    out = written_report
    rendered = chromium(
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        "--dump-dom",
        (out / "report.html").as_uri(),
    )
    # Chromium logs every console message as "CONSOLE(line)" on stderr: there is none.
    console = [line for line in rendered.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    page = _Page()
    page.feed(rendered.stdout)
    # The page's script ran: no script or image error, and every chart decoded with a size.
    assert page.root.get("data-errors") == "[]"
    assert page.root.get("data-charts-shown") == str(len(page.charts))
    # Nothing is loaded from anywhere: every source is an embedded image or an anchor.
    assert all(s.startswith(("data:image/png;base64,", "#")) for s in page.sources)
    # Every table shows its CSV, row for row, in the CSV's order; a figure with rows has
    # its chart, an empty list says so.
    rows_in_csv = {}
    for table in (t for t in OUTPUT_TABLES.values() if "report" in t.commands):
        with open(out / f"{table.name}.csv", encoding="utf-8") as handle:
            header, *body = list(csv.reader(handle))
        rows_in_csv[table.name] = len(body)
        kinds = [table.kinds[c] for c in header]
        expected = [
            [shown(cell, kind, c) for cell, kind, c in zip(row, kinds, header, strict=True)]
            for row in body[:SHOWN_ROWS]
        ]
        empty = EMPTY_LISTS.get(table.name, EMPTY_FIGURE).format(day="2026-02-28")
        seen = page.tables[table.name]
        assert len(seen[0]) == len(header), table.name  # the header row
        assert seen[1:] == (expected or [[empty]]), table.name
    figures = [name for name in FIGURE_NAMES if rows_in_csv[name]]
    assert sorted(page.charts) == sorted(figures)
    assert len(page.charts) == 7  # issue 20 added amendments_by_service
    assert {name: int(count) for name, count in page.counts.items()} == {
        name: rows_in_csv[name] for name in LIST_NAMES
    }


@needs_chromium
def test_the_page_prints_on_a4_portrait_then_landscape_for_the_lists(
    written_report: Path, tmp_path: Path
) -> None:
    pdf = tmp_path / "report.pdf"
    page = (written_report / "report.html").as_uri()
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page)
    # Chromium's own default is US Letter (612 × 792): A4 pages come from the page's
    # print style. Every page of the PDF names its size in a /MediaBox.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    sizes = [(round(float(w)), round(float(h))) for w, h in boxes]
    portrait = (round(A4_POINTS[0]), round(A4_POINTS[1]))
    landscape = portrait[::-1]
    # The summary and the figures on portrait pages, the wide lists on landscape ones.
    assert sizes[0] == portrait
    assert set(sizes) == {portrait, landscape}


@needs_chromium
def test_printed_nothing_runs_off_the_right_of_the_paper(written_report: Path) -> None:
    frame = PRINT_FRAME.format(portrait=A4_TEXT_WIDTHS[0], landscape=A4_TEXT_WIDTHS[1])
    found = laid_out(written_report / "print.html", frame)
    # The frames were the width of the paper's text, and every element ends within it.
    assert (found["portrait-width"], found["landscape-width"]) == A4_TEXT_WIDTHS
    assert found["portrait"] <= A4_TEXT_WIDTHS[0]
    assert found["landscape"] <= A4_TEXT_WIDTHS[1]


@needs_chromium
def test_the_page_fits_a_phone_without_sideways_scrolling(written_report: Path) -> None:
    found = laid_out(written_report / "phone.html", PHONE_FRAME.format(width=PHONE_WIDTH))
    assert found["window-width"] == PHONE_WIDTH
    # The document is no wider than the phone: the lists fold into cards and a wide
    # figure table scrolls inside its own box, not the page.
    assert found["page-width"] <= PHONE_WIDTH


@needs_chromium
def test_the_overdue_lists_key_columns_stay_visible_on_a_phone(written_report: Path) -> None:
    frame = PHONE_KEYS_FRAME.format(width=PHONE_WIDTH, labels=json.dumps(list(KEY_COLUMNS)))
    found = laid_out(written_report / "phone-keys.html", frame)
    with open(written_report / "outstanding.csv", encoding="utf-8") as handle:
        overdue = len(handle.read().splitlines()) - 1
    # The median authority has overdue audits (22 on 2026-02-28): every one's audit id,
    # auditor and due date is on its card, whole, inside the 390 px screen.
    assert overdue > 0
    assert found["key-cells"] == len(KEY_COLUMNS) * overdue
    assert found["key-visible"] == found["key-cells"]


# ---------------------------------------------------------------- caseload estimates (issue 21)


def _sampled(authority: Authority, case_id: str, stratum: str, p: float, grade: str) -> None:
    """A January audit of a case drawn in ``stratum`` with inclusion probability ``p``."""
    authority.case(case_id, month="2026-01")
    authority.rows["cases"][-1].update(stratum=stratum, inclusion_probability=p)
    auditor = f"P{len(authority.rows['history']) + 1}"
    judged(
        authority,
        "2026-01",
        case_id,
        auditor,
        grade,
        "2026-01-15",
        "2026-01-20",
        inclusion_probability=p,  # type: ignore[arg-type]
    )


def test_caseload_estimates_recomputed_by_hand(tmp_path: Path) -> None:
    # January's sample: stratum A drawn with probability 1/2 (C1 inadequate, C2 good),
    # stratum B with 1/4 (C3, C4 good). Weights 1/p: 2, 2, 4, 4; together 12.
    authority = Authority().auditors("P1", "P2", "P3", "P4")
    _sampled(authority, "C1", "A", 0.5, "inadequate")
    _sampled(authority, "C2", "A", 0.5, "good")
    _sampled(authority, "C3", "B", 0.25, "good")
    _sampled(authority, "C4", "B", 0.25, "good")
    result = report_of(authority, tmp_path)
    rows = result.tables["caseload_estimates"].set_index("judgement")
    result.write(tmp_path / "out")
    # The section of report.html has its chart and the table's numbers.
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'data-chart="caseload_estimates"' in page and "Share of caseload" in page
    z = 1.959963984540054

    def wilson(p: float, n: float) -> tuple[float, float]:
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5
        return (max(0.0, centre - half), min(1.0, centre + half))

    # Inadequate: 1 of 4 files audited (25%), but weighted 2 of 12: R = 1/6 of the
    # caseload. Linearised: u = w (y - R) / 12 is 5/36, -1/36 in A and -1/18, -1/18 in B.
    # A's u spread about their mean 2/36 by +-3/36: 2 x 9/1296, times n/(n-1) = 2: 1/36.
    # B's are equal: 0. V = 1/36, so the effective n is R (1 - R) / V = 5/36 x 36 = 5, and
    # the interval is Wilson's for 1/6 on 5: about 0.026 to 0.597.
    inadequate = rows.loc["inadequate"]
    assert (inadequate["audited"], inadequate["audits"]) == (1, 4)
    assert inadequate["audited_share"] == 0.25
    assert inadequate["caseload_share"] == round(1 / 6, 4)
    assert inadequate["effective_audits"] == 5.0
    low, high = wilson(1 / 6, 5)
    assert (inadequate["caseload_share_low"], inadequate["caseload_share_high"]) == (
        round(low, 4),
        round(high, 4),
    )
    assert 0.026 < low < 0.027 and 0.596 < high < 0.597
    # Good is the complement (every file is good or inadequate): u changes sign, so the
    # variance and effective n are the same and the interval is the mirror image.
    good = rows.loc["good"]
    assert (good["audited_share"], good["caseload_share"]) == (0.75, round(5 / 6, 4))
    assert (good["caseload_share_low"], good["caseload_share_high"]) == (
        round(1 - high, 4),
        round(1 - low, 4),
    )
    # A grade never seen: share 0, no variance, so n is the 4 files: Wilson's interval
    # for 0 of 4 is [0, z^2 / (4 + z^2)] = [0, 0.4899].
    never = rows.loc["outstanding"]
    assert (never["caseload_share"], never["caseload_share_low"]) == (0.0, 0.0)
    assert never["caseload_share_high"] == round(z * z / (4 + z * z), 4)
    assert never["effective_audits"] == 4.0


def test_caseload_estimates_are_empty_without_inclusion_probabilities(tmp_path: Path) -> None:
    # A ledger drawn by hand (no inclusion_probability): nothing to weight by, no rows,
    # while the audited files' judgements are still counted by month.
    authority = Authority().auditors("P1")
    judged(authority, "2026-01", "C1", "P1", "inadequate", "2026-01-15", "2026-01-20")
    result = report_of(authority, tmp_path)
    assert result.tables["caseload_estimates"].empty
    assert int(result.tables["judgements_by_month"]["judged"].sum()) == 1


def test_caseload_estimates_leave_out_re_audits(tmp_path: Path) -> None:
    # A re-audit is not drawn (allocate adds it): even with a probability it is not a
    # sampled file. C1 (p 1/2) inadequate is the only sampled audit: 1 of 1.
    authority = Authority().auditors("P1", "P2")
    _sampled(authority, "C1", "A", 0.5, "inadequate")
    authority.case("C1", month="2026-02")
    judged(
        authority,
        "2026-02",
        "C1",
        "P2",
        "good",
        "2026-02-03",
        "2026-02-05",
        reaudit_of="2026-01-C1",
        inclusion_probability=0.5,  # type: ignore[arg-type]
    )
    rows = report_of(authority, tmp_path).tables["caseload_estimates"].set_index("judgement")
    assert rows.loc["inadequate", "audits"] == 1
    assert rows.loc["inadequate", "caseload_share"] == 1.0
