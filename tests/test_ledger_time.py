"""Issue 20: the ledger keeps time. Each numbered item of the issue on a hand-built
ledger whose expected rows are argued in comments, with dates on both sides of each
boundary (the as-of day itself, the finalisation day, the due day, a bank holiday)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import caseaudit
from builders import Authority, examples
from caseaudit.cli.main import cli
from caseaudit.model.asof import known_on
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import InputError
from caseaudit.model.frames import replace_tables
from caseaudit.model.reaudits import awaiting_reaudits
from caseaudit.reporting.monitoring import build_monitoring
from test_report import challenge, judged, ledger, report_of

D = dt.date.fromisoformat


def cycle_ledger() -> Authority:
    """C1's February audit by P1 is inadequate, confirmed Friday 6 February 2026: the
    reflection meeting is due by 13 February (5 working days), the review on 6 March
    (28 days), the re-audit by 6 April (2 months). Its March re-audit by P2 is allocated,
    not done."""
    authority = Authority().auditors("P1", "P2")
    judged(authority, "2026-02", "C1", "P1", "inadequate", "2026-02-03", "2026-02-06")
    ledger(authority, "2026-03", "C1", "P2", "allocated", reaudit_of="2026-02-C1")
    return authority


@pytest.mark.parametrize(
    ("as_of", "stage", "chase"),
    [
        ("2026-02-13", "reflection due", "GM1"),  # the reflection's last day itself
        ("2026-02-16", "review due", "TM1"),  # the next working day
        ("2026-02-28", "review due", "TM1"),
        # From 1 March the re-audit row exists: allocated, its auditor is chased; on the
        # deadline itself still allocated, the day after overdue (item 1: 10 April).
        ("2026-03-02", "re-audit allocated", "P2"),
        ("2026-04-06", "re-audit allocated", "P2"),
        ("2026-04-07", "re-audit overdue", "P2"),
        ("2026-04-10", "re-audit overdue", "P2"),
    ],
)
def test_a_case_stays_in_the_cycle_while_its_reaudit_is_only_allocated(
    tmp_path: Path, as_of: str, stage: str, chase: str
) -> None:
    result = report_of(cycle_ledger(), tmp_path, as_of)
    cycle = result.inadequate_cycle
    assert list(cycle["audit_id"]) == ["2026-02-C1"]
    assert (cycle.at[0, "stage"], cycle.at[0, "chase_id"]) == (stage, chase)


def test_a_case_without_a_reaudit_is_not_staged_as_allocated_beside_one_with_it(
    tmp_path: Path,
) -> None:
    """Two cases in the cycle as of 2 March: C1's re-audit is allocated to P2 in March;
    C2's inadequate audit (confirmed Monday 23 February) has no re-audit row, so on
    2 March it is past its reflection meeting (2 March is the fifth working day, not
    past it): "reflection due", chasing the group manager, not "re-audit allocated"."""
    authority = cycle_ledger()
    judged(authority, "2026-02", "C2", "P1", "inadequate", "2026-02-20", "2026-02-23")
    cycle = report_of(authority, tmp_path, "2026-03-02").inadequate_cycle.set_index("audit_id")
    assert cycle.loc["2026-02-C1", ["stage", "chase_id"]].tolist() == ["re-audit allocated", "P2"]
    assert cycle.loc["2026-02-C2", ["stage", "chase_id"]].tolist() == ["reflection due", "GM1"]


def test_the_cycle_ends_only_when_the_reaudit_is_confirmed_other_than_inadequate(
    tmp_path: Path,
) -> None:
    authority = Authority().auditors("P1", "P2")
    judged(authority, "2026-02", "C1", "P1", "inadequate", "2026-02-03", "2026-02-06")
    # The re-audit was done on 20 March and confirmed good on 25 March: in the cycle on
    # the 24th (done, not confirmed), out of it on the 25th.
    judged(
        authority,
        "2026-03",
        "C1",
        "P2",
        "good",
        "2026-03-20",
        "2026-03-25",
        reaudit_of="2026-02-C1",
    )
    assert list(report_of(authority, tmp_path / "a", "2026-03-24").inadequate_cycle["stage"]) == [
        "re-audit allocated"
    ]
    assert report_of(authority, tmp_path / "b", "2026-03-25").inadequate_cycle.empty


def test_a_repeat_inadequate_is_escalated_to_the_head_of_service(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2")
    judged(authority, "2026-01", "C1", "P1", "inadequate", "2026-01-05", "2026-01-09")
    # The re-audit is inadequate again: the case's row is now the re-audit, escalated.
    judged(
        authority,
        "2026-02",
        "C1",
        "P2",
        "inadequate",
        "2026-02-10",
        "2026-02-12",
        reaudit_of="2026-01-C1",
    )
    cycle = report_of(authority, tmp_path, "2026-02-20").inadequate_cycle
    assert list(cycle["audit_id"]) == ["2026-02-C1"]  # one row per case
    assert (cycle.at[0, "stage"], cycle.at[0, "chase_id"]) == ("escalated", "HS1")


def retrospective_ledger() -> Authority:
    """P1's January 2025 audit of C1 was never done; SL1 (the right approver for a pq
    auditor) approved an exemption on 11 March 2026, long after the due day."""
    authority = Authority().staff("P1", group="pq", service="Performance and Quality")
    ledger(authority, "2025-04", "C1", "P1", "non_completed")
    authority.add(
        "exemptions",
        case_id="C1",
        month="2025-04",
        auditor_id="P1",
        requested_on="2026-03-02",
        decision="approved",
        decided_by="SL1",
        decided_on="2026-03-11",
    )
    return authority


def test_a_retrospective_exemption_does_not_rewrite_the_past(tmp_path: Path) -> None:
    # 28 February and 10 March: the approval has not happened: a non-completion.
    for as_of in ("2026-02-28", "2026-03-10"):
        result = report_of(retrospective_ledger(), tmp_path / as_of, as_of)
        assert list(result.non_completions["audit_id"]) == ["2025-04-C1"], as_of
        assert result.tables["retrospective_exemptions"].empty
    # 11 March, the decision day itself: honoured, no longer a non-completion, and listed
    # as retrospective: decided 344 days after the due day (30 April 2025).
    result = report_of(retrospective_ledger(), tmp_path / "after", "2026-03-11")
    assert result.non_completions.empty
    retro = result.tables["retrospective_exemptions"]
    assert list(retro["audit_id"]) == ["2025-04-C1"]
    assert list(retro["days_after_due"]) == [(D("2026-03-11") - D("2025-04-30")).days]
    assert "1 retrospective exemption" in result.summary()


def late_challenge_ledger(raised_on: str) -> Authority:
    """C1's January audit is inadequate, finalised and confirmed on 20 January 2026."""
    authority = Authority().auditors("P1", "P2")
    judged(authority, "2026-01", "C1", "P1", "inadequate", "2026-01-15", "2026-01-20")
    authority.case("C1", month="2026-03")
    authority.case("C2", month="2026-03")
    return challenge(authority, "2026-01-C1", raised_on)


def test_a_late_challenge_is_flagged_and_keeps_the_confirmed_grade(tmp_path: Path) -> None:
    # Raised the day after finalisation: late. The judgement stands, so the re-audit is
    # still awaited (allocate's schedule) and the case stays in the cycle.
    data = caseaudit.load(late_challenge_ledger("2026-01-21").write(tmp_path / "late"))
    assert list(awaiting_reaudits(data, "2026-03")["audit_id"]) == ["2026-01-C1"]
    result = caseaudit.report(data, "2026-02-10")
    assert list(result.challenges_open["late"]) == [True]
    assert list(result.inadequate_cycle["audit_id"]) == ["2026-01-C1"]
    plan = caseaudit.allocate(data, "2026-03")
    assert plan.reaudit_schedule["audit_id"].tolist() == ["2026-01-C1"]
    assert plan.allocations.set_index("case_id").at["C1", "is_reaudit"]


def test_a_challenge_on_the_finalisation_day_is_not_late(tmp_path: Path) -> None:
    # Raised on 20 January, the finalisation day: in time, so it suspends the judgement.
    data = caseaudit.load(late_challenge_ledger("2026-01-20").write(tmp_path / "d"))
    result = caseaudit.report(data, "2026-02-10")
    assert list(result.challenges_open["late"]) == [False]
    assert result.inadequate_cycle.empty
    assert awaiting_reaudits(data, "2026-03").empty


def test_validation_warns_of_a_late_challenge_at_its_line(tmp_path: Path) -> None:
    data_dir = late_challenge_ledger("2026-01-21").write(tmp_path / "d")
    run = CliRunner().invoke(cli, ["validate", str(data_dir)])
    assert run.exit_code == 0
    assert "challenges.csv:2: raised_on: late: challenge of 2026-01-C1 raised 2026-01-21" in (
        run.stderr
    )


def test_the_report_does_not_show_break_requests_made_after_the_day(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2", "P3", "P4", "P5")
    authority.case("C1", month="2026-03")
    # March requests: one made on 15 January (the as-of day itself), one on the 17th.
    authority.add("breaks", auditor_id="P1", month="2026-03", requested_on="2026-01-15")
    authority.add("breaks", auditor_id="P2", month="2026-03", requested_on="2026-01-17")
    march = report_of(authority, tmp_path, "2026-01-15").tables["breaks_by_month"]
    assert march.set_index("month").at["2026-03", "requested"] == 1


def test_cancellations_are_listed_with_their_authoriser(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "P2")
    # P1 and P2 are P&Q officers: only the Strategic Lead (SL1) may cancel their audits.
    ledger(
        authority,
        "2026-01",
        "C1",
        "P1",
        "cancelled",
        cancelled_on="2026-01-12",
        cancelled_by="AD1",
        cancel_reason="child moved out of area",
    )
    ledger(
        authority,
        "2026-01",
        "C2",
        "P2",
        "cancelled",
        cancelled_on="2026-01-14",
        cancelled_by="SL1",
        cancel_reason="duplicate",
    )
    # Cancelled on 20 February: on 10 February still allocated and outstanding.
    ledger(
        authority,
        "2026-01",
        "C3",
        "P1",
        "cancelled",
        cancelled_on="2026-02-20",
        cancelled_by="AD1",
        cancel_reason="case closed",
    )
    result = report_of(authority, tmp_path, "2026-02-10")
    cancelled = result.tables["cancellations"]
    # Unauthorised first: C1 by AD1, the wrong approver for a pq auditor; C2 by SL1.
    assert list(cancelled["audit_id"]) == ["2026-01-C1", "2026-01-C2"]
    assert list(cancelled["authorised"]) == [False, True]
    assert list(result.outstanding["audit_id"]) == ["2026-01-C3"]


def test_amendments_back_within_three_working_days_across_a_bank_holiday(
    tmp_path: Path,
) -> None:
    authority = Authority().auditors("P1", "P2", "P3")
    # Returned Thursday 2 April 2026: Good Friday (3rd) and Easter Monday (6th) are bank
    # holidays, so due back Thursday 9 April. C1 back on the 9th (on time), C2 on the
    # 10th (late), C3 not back.
    for case, auditor, back in (
        ("C1", "P1", "2026-04-09"),
        ("C2", "P2", "2026-04-10"),
        ("C3", "P3", None),
    ):
        extra = {"resubmitted_on": back} if back else {}
        ledger(
            authority,
            "2026-03",
            case,
            auditor,
            "completed" if back else "returned",
            completed_on="2026-03-20",
            returned_on="2026-04-02",
            **extra,
        )
    result = report_of(authority, tmp_path, "2026-04-15")
    rows = result.tables["amendments_by_service"]
    assert rows[["month", "returned", "back_on_time", "back_late", "not_back"]].values.tolist() == [
        ["2026-04", 3, 1, 1, 1]
    ]
    assert rows.at[0, "on_time_share"] == round(1 / 3, 4)
    # As of 9 April, the due day: C2 and C3 not back yet nor late: 1 of 1 decided on time.
    early = report_of(authority, tmp_path / "early", "2026-04-09").tables["amendments_by_service"]
    assert early[["back_on_time", "back_late", "not_back"]].values.tolist() == [[1, 0, 2]]
    assert early.at[0, "on_time_share"] == 1.0


def test_an_unknown_domain_is_an_input_error_and_a_partial_tool_is_listed(
    tmp_path: Path,
) -> None:
    authority = Authority().auditors("P1")
    judged(authority, "2026-01", "C1", "P1", "good", "2026-01-10", "2026-01-12")
    authority.add("outcomes", audit_id="2026-01-C1", domain="D3 Planning", rating="met")
    authority.add("outcomes", audit_id="2026-01-C1", domain="D7 Recording", rating="met")
    result = report_of(authority, tmp_path / "ok")
    tools = result.tables["incomplete_audit_tools"]
    assert list(tools["domains_rated"]) == [2]
    assert list(tools["domains_expected"]) == [9]
    authority.add("outcomes", audit_id="2026-01-C1", domain="D3 Planing", rating="met")
    with pytest.raises(InputError, match="unknown domain 'D3 Planing'; did you mean 'D3 Planning'"):
        caseaudit.load(authority.write(tmp_path / "bad"))


def test_a_domain_is_named_like_every_name_by_its_identity(tmp_path: Path) -> None:
    """Contract §1: a domain written with other case and spaces (a non-breaking one
    included) is the configured domain, counted as rated and reported in its spelling;
    two rows of one audit that normalise alike are one domain rated twice."""
    authority = Authority().auditors("P1")
    judged(authority, "2026-01", "C1", "P1", "good", "2026-01-10", "2026-01-12")
    authority.add("outcomes", audit_id="2026-01-C1", domain="d3\u00a0 planning ", rating="met")
    authority.add("outcomes", audit_id="2026-01-C1", domain="D7 RECORDING", rating="not_met")
    result = report_of(authority, tmp_path / "ok")
    tools = result.tables["incomplete_audit_tools"]
    # 2 of the 9 domains rated, both recognised: the 7 others are missing.
    assert list(tools["domains_rated"]) == [2]
    assert "D3 Planning" not in tools.at[0, "missing_domains"]
    assert "D7 Recording" not in tools.at[0, "missing_domains"]
    assert set(result.tables["domain_ratings"]["domain"]) == {"D3 Planning", "D7 Recording"}
    authority.add("outcomes", audit_id="2026-01-C1", domain="D3 planning", rating="met")
    with pytest.raises(InputError, match=r"outcomes\.csv:4: "):
        caseaudit.load(authority.write(tmp_path / "twice"))


def test_config_domains_that_normalise_alike_are_named_twice(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.case("C1")
    authority.config_toml = '[outcomes]\ndomains = ["D1 Voice", "d1  voice"]\n'
    with pytest.raises(InputError, match="a domain is named twice"):
        caseaudit.load(authority.write(tmp_path / "data"))


def test_known_on_rolls_back_statuses_and_decisions(tmp_path: Path) -> None:
    authority = retrospective_ledger()
    judged(
        authority,
        "2026-01",
        "C2",
        "P1",
        "good",
        "2026-01-10",
        "2026-01-20",
        status="actions_complete",
        actions_completed_on="2026-02-02",
    )
    data = caseaudit.load(authority.write(tmp_path / "d"))
    before = known_on(data, D("2026-01-15"))
    row = before["history"].set_index("audit_id").loc["2026-01-C2"]
    # Completed on the 10th, finalised on the 20th: on the 15th only completed.
    assert (row["status"], row["finalised_on"], row["judgement_confirmed_on"]) == (
        "completed",
        None,
        None,
    )
    assert before["exemptions"].empty  # requested on 2 March
    pending = known_on(data, D("2026-03-10"))["exemptions"]
    assert list(pending["decision"]) == ["pending"]


def test_record_appends_a_plan_and_refuses_it_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    gen = CliRunner().invoke(
        cli,
        [
            "generate",
            "--preset",
            "small",
            "--seed",
            "1",
            "--out",
            str(data_dir),
            "--month",
            "2026-03",
        ],
    )
    assert gen.exit_code == 0
    plan = caseaudit.allocate(caseaudit.load(data_dir, "2026-03"), "2026-03")
    plan.write(tmp_path / "plan")
    before = caseaudit.load(data_dir)["history"]
    recorded = caseaudit.record(tmp_path / "plan", data_dir)["history"]
    added = recorded[~recorded["audit_id"].isin(before["audit_id"])]
    assert sorted(added["audit_id"]) == sorted(plan.allocations["audit_id"])
    assert set(added["status"]) == {"allocated"}
    history_bytes = next(data_dir.glob("history.*")).read_bytes()
    run = CliRunner().invoke(cli, ["record", str(tmp_path / "plan"), str(data_dir)])
    assert run.exit_code == 2
    assert "is already in history" in run.stderr
    assert next(data_dir.glob("history.*")).read_bytes() == history_bytes  # nothing written
    # The API gives the same ledger as the command.
    same = caseaudit.load(data_dir)
    assert len(same["history"]) == len(recorded)
    # Dataset.record (notebooks) refuses the same rows as the command.
    with pytest.raises(InputError, match="already in history"):
        caseaudit.load(data_dir).record(plan)


def test_record_then_allocate_equals_a_hand_written_ledger(tmp_path: Path) -> None:
    """March is allocated and recorded; April's plan from that ledger is the plan from a
    ledger with March's rows written by hand (status allocated, nothing else known)."""
    authority = Authority().auditors("P1", "P2", "P3")
    for case in ("C1", "C2"):
        authority.case(case, month="2026-03")
    for case in ("C3", "C4", "C1"):
        authority.case(case, month="2026-04")
    data = caseaudit.load(authority.write(tmp_path / "data"))
    march = caseaudit.allocate(data, "2026-03")
    recorded = data.record(march)
    for row in march.allocations.itertuples():
        authority.add(
            "history",
            audit_id=row.audit_id,
            month=row.month,
            case_id=row.case_id,
            subject_id=row.subject_id,
            auditor_id=row.auditor_id,
            status="allocated",
        )
    by_hand = caseaudit.load(authority.write(tmp_path / "by_hand"))
    assert len(recorded["history"]) == 2
    first = caseaudit.allocate(recorded, "2026-04")
    second = caseaudit.allocate(by_hand, "2026-04")
    pd.testing.assert_frame_equal(first.allocations, second.allocations)
    # Three April cases, three auditors with room: all allocated.
    assert len(first.allocations) == 3


def test_record_keeps_the_plans_inclusion_probability(tmp_path: Path) -> None:
    """Contract §6 "record": a plan whose allocations carry the sample's
    ``inclusion_probability`` (issue 21) writes it into ``history``; a plan without it
    leaves the ledger's header as it was (the column may be absent)."""
    authority = Authority().auditors("P1", "P2", "P3")
    for case in ("C1", "C2"):
        authority.case(case, month="2026-03")
    without_dir = authority.write(tmp_path / "without")
    plan = caseaudit.allocate(caseaudit.load(without_dir), "2026-03")
    plan.write(tmp_path / "plan")
    caseaudit.record(tmp_path / "plan", without_dir)
    header = (without_dir / "history.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "inclusion_probability" not in header.split(",")

    # The same plan as draw-sample's design would have it: C1 drawn 1 in 4, C2 1 in 8.
    probability = {"2026-03-C1": 0.25, "2026-03-C2": 0.125}
    for suffix in ("parquet", "csv"):
        path = tmp_path / "plan" / f"allocations.{suffix}"
        frame = pd.read_parquet(path) if suffix == "parquet" else pd.read_csv(path, dtype=str)
        frame["inclusion_probability"] = frame["audit_id"].map(probability)
        if suffix == "parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    with_dir = authority.write(tmp_path / "with")
    history = caseaudit.record(tmp_path / "plan", with_dir)["history"]
    assert dict(zip(history["audit_id"], history["inclusion_probability"], strict=True)) == (
        probability
    )
    written = pd.read_csv(with_dir / "history.csv", dtype=str).set_index("audit_id")
    assert written["inclusion_probability"].to_dict() == {
        "2026-03-C1": "0.25",
        "2026-03-C2": "0.125",
    }


def test_an_inclusion_probability_that_is_not_a_number_is_located(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.case("C1", month="2026-03")
    ledger(authority, "2026-02", "C1", "P1", "allocated", inclusion_probability="a quarter")
    with pytest.raises(InputError, match=r"history\.csv:2: inclusion_probability: expected a"):
        caseaudit.load(authority.write(tmp_path / "data"))


# -- a day before an event does not know it (issue 20, a property) -----------------------

#: The steps of an audit, furthest first, each with the date it was reached (§16–23).
STEPS = (
    ("actions_complete", "actions_completed_on"),
    ("finalised", "finalised_on"),
    ("completed", "resubmitted_on"),
    ("returned", "returned_on"),
    ("completed", "completed_on"),
)
#: The dated events of a ledger row: the date column each one is recorded in.
ROW_EVENTS = {
    "completion": "completed_on",
    "return": "returned_on",
    "finalisation": "finalised_on",
    "confirmation": "judgement_confirmed_on",
    "cancellation": "cancelled_on",
}


@functools.cache
def dated_authority(seed: int) -> Dataset:
    """The small preset, its cancellations dated (the 10th of their month, by the
    Assistant Director) so that a cancellation is an event with a day."""
    data = caseaudit.generate("small", seed)
    history = data["history"].drop(columns="_line")
    cancelled = history["status"] == "cancelled"
    history.loc[cancelled, "cancelled_on"] = [
        dt.date.fromisoformat(f"{month}-10") for month in history.loc[cancelled, "month"]
    ]
    assistant_director = data["staff"].loc[data["staff"]["role"] == "assistant_director"]
    history.loc[cancelled, "cancelled_by"] = assistant_director["staff_id"].min()
    return replace_tables(data, {"history": history}, validate=False)


def events(data: Dataset) -> list[tuple[str, str, int, dt.date]]:
    """Every dated event: (kind, table, row position, day)."""
    found = []
    for position, row in enumerate(data["history"].to_dict("records")):
        for kind, column in ROW_EVENTS.items():
            if row.get(column) is not None:
                found.append((kind, "history", position, row[column]))
    for kind, table, column in (
        ("challenge", "challenges", "raised_on"),
        ("moderation decision", "moderations", "decided_on"),
        ("exemption decision", "exemptions", "decided_on"),
        ("break request", "breaks", "requested_on"),
    ):
        for position, day in enumerate(data[table][column]):
            if day is not None:
                found.append((kind, table, position, day))
    return found


def without_event(data: Dataset, kind: str, table: str, position: int, day: dt.date) -> Dataset:
    """The dataset as if the event had not happened (nor anything that follows from it
    in the same row): a challenge or break request deleted; a decision undone; in a
    ledger row, the event's date and every later step's blanked, the status the furthest
    step still dated (``allocated`` if none), a completion's judgement and domain
    ratings (given with it, §16) removed, a cancellation's authoriser and reason too."""
    frame = data[table].drop(columns="_line").copy()
    index = frame.index[position]
    changed: dict[str, pd.DataFrame] = {table: frame}
    if kind in ("challenge", "break request"):
        changed[table] = frame.drop(index=index)
    elif kind == "moderation decision":
        frame.loc[index, ["final_judgement", "decided_on"]] = None
    elif kind == "exemption decision":
        frame.loc[index, ["decision", "decided_by", "decided_on"]] = ["pending", None, None]
    else:
        row = frame.loc[index].to_dict()
        event_column = ROW_EVENTS[kind]
        dated = [column for _, column in STEPS] + ["judgement_confirmed_on", "cancelled_on"]
        for column in dated:
            value = row.get(column)
            if column == event_column or (
                value is not None and value >= day and kind != "confirmation"
            ):
                row[column] = None
        if row["completed_on"] is None:
            row["overall_judgement"] = None
            outcomes = data["outcomes"].drop(columns="_line")
            changed["outcomes"] = outcomes[outcomes["audit_id"] != row["audit_id"]]
        if row["cancelled_on"] is None:
            row["cancelled_by"] = row["cancel_reason"] = None
        if kind != "confirmation" and row["status"] not in ("non_completed", "reallocated"):
            row["status"] = next(
                (status for status, column in STEPS if row.get(column) is not None), "allocated"
            )
        frame.loc[index] = pd.Series(row)
    return replace_tables(data, changed, validate=False)


@settings(max_examples=examples(40), deadline=None)
@given(st.data())
def test_a_day_before_an_event_reports_as_if_it_never_happened(draw: st.DataObject) -> None:
    """Issue 20: the report of a day before an event equals the report of the same day
    computed from the ledger with that event removed."""
    data = dated_authority(draw.draw(st.sampled_from([0, 1]), label="seed"))
    every = events(data)
    # The kind first, so that each of the nine is drawn as often as any other.
    kind = draw.draw(st.sampled_from(sorted({event[0] for event in every})), label="kind")
    of_kind = [event for event in every if event[0] == kind]
    _, table, position, day = draw.draw(st.sampled_from(of_kind), label="event")
    before = day - dt.timedelta(days=draw.draw(st.integers(1, 45), label="days before"))
    removed = without_event(data, kind, table, position, day)
    expected = build_monitoring(removed, before).tables
    for name, frame in build_monitoring(data, before).tables.items():
        pd.testing.assert_frame_equal(frame, expected[name], obj=f"{kind}: {name}")
