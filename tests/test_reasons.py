"""Reasons that cannot lie (issue 6): every reason states only facts that hold for the
plan it describes, and the messages around a run say what happened in plain words.

The independent checker parses every auditor id, count and claim it can in the reason
columns and re-verifies it against the plan; here it runs on the presets, on a re-plan
with exemptions, and on deliberately falsified reasons (it must object). The tiny
instances argue their expected reason in a comment.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

import caseaudit
import checker
from builders import MONTH, YEAR_2025, Authority, allocated, solve
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.synth import generate_tables

STRATEGIC_LEAD = "the Strategic Lead for Improvement, Performance and Quality"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def exemption(authority: Authority, auditor: str, decision: str, case: str = "C1") -> None:
    """An exemption of a P&Q auditor, decided by the Strategic Lead (SL1): honoured when
    approved (§4)."""
    authority.add(
        "exemptions",
        case_id=case,
        month=MONTH,
        auditor_id=auditor,
        requested_on="2026-02-20",
        decision=decision,
        decided_by="SL1",
        decided_on="2026-02-21",
    )


def reason_of(result: caseaudit.AllocationResult, table: str, case_id: str) -> str:
    frame = result.tables[table]
    return str(frame.loc[frame["case_id"] == case_id, "reason"].iloc[0])


# --- the presets: every parsable claim re-verified ---------------------------------------


@pytest.mark.parametrize("preset", ["median", "largest"])
def test_every_reason_of_a_preset_holds_for_its_plan(preset: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_input_tables(data, generate_tables(preset, 0, MONTH), "csv")
    result = caseaudit.allocate(data, MONTH)
    out = tmp_path / "out"
    result.write(out)
    assert checker.check_allocation(data, out, MONTH) == []
    # Not vacuous: the exemptions of the month are there, each naming who has its case.
    decisions = result.exemption_decisions
    assert len(decisions) > 0
    holders = dict(
        zip(result.allocations["case_id"], result.allocations["auditor_id"], strict=True)
    )
    for case_id, reason in zip(decisions["case_id"], decisions["reason"], strict=True):
        assert f"{case_id} is allocated to {holders[case_id]}" in reason


def test_every_reason_of_a_replan_with_exemptions_holds(tmp_path: Path) -> None:
    # Median preset, planned; then two auditors who hold a case ask to be exempted: one
    # approved by the Assistant Director (honoured: the case moves), one refused (the
    # case stays, and its auditor is warned of a non-completion).
    data = tmp_path / "data"
    write_input_tables(data, generate_tables("median", 0, MONTH), "csv")
    first = caseaudit.allocate(data, MONTH)
    first.write(tmp_path / "plan")
    staff = pd.read_csv(data / "staff.csv", dtype=str)
    director = staff.loc[staff["role"] == "assistant_director", "staff_id"].min()
    csc = set(staff.loc[staff["staff_group"] == "csc", "staff_id"])
    # Cases without a generated exemption, held by CSC staff other than the director
    # (whose own exemption only someone else may agree).
    asked = set(pd.read_csv(data / "exemptions.csv", dtype=str)["case_id"])
    held = [
        (case_id, auditor_id)
        for case_id, auditor_id in zip(
            first.allocations["case_id"], first.allocations["auditor_id"], strict=True
        )
        if auditor_id in csc - {director} and case_id not in asked
    ]
    (moved_case, exempted), (kept_case, refused) = held[0], held[1]
    rows = [
        (moved_case, exempted, "approved"),
        (kept_case, refused, "refused"),
    ]
    exemptions = pd.read_csv(data / "exemptions.csv", dtype=str)
    added = pd.DataFrame(
        [
            {
                "case_id": case_id,
                "month": MONTH,
                "auditor_id": auditor_id,
                "requested_on": f"{MONTH}-05",
                "decision": decision,
                "decided_by": director,
                "decided_on": f"{MONTH}-06",
            }
            for case_id, auditor_id, decision in rows
        ]
    )
    pd.concat([exemptions, added]).to_csv(data / "exemptions.csv", index=False)
    result = caseaudit.reallocate(data, MONTH, tmp_path / "plan")
    out = tmp_path / "replan"
    result.write(out)
    assert checker.check_reallocation(data, out, MONTH, tmp_path / "plan") == []
    new_holder = dict(
        zip(result.allocations["case_id"], result.allocations["auditor_id"], strict=True)
    )
    assert new_holder[moved_case] != exempted
    assert new_holder[kept_case] == refused
    moved = reason_of(result, "exemption_decisions", moved_case)
    assert f"{exempted} gets no audit this month (§4); {moved_case} is allocated to " in moved
    assert moved.endswith(f"{moved_case} is allocated to {new_holder[moved_case]}")
    kept = reason_of(result, "exemption_decisions", kept_case)
    assert kept == (
        f"refused by {director}; {kept_case} is allocated to {refused}, who must audit it: an "
        "audit not done without an agreed exemption is a non-completion (§30)"
    )
    assert moved_case in set(result.changes["case_id"])


# --- tiny instances, the reason argued ----------------------------------------------------


def five_auditors_one_on_break() -> Authority:
    """Five P&Q auditors: the break cap is floor(0.2 × 5) = 1, so A1's on-time request is
    granted and A1 gets no audit in March (§2–3)."""
    authority = Authority().auditors("A1", "A2", "A3", "A4", "A5").case("C1")
    authority.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-01-20")
    return authority


def test_a_refused_exemption_names_who_has_the_case_when_its_auditor_is_on_break(
    tmp_path: Path,
) -> None:
    # The C0002741 fault: A1's exemption from C1 was refused, but A1 is on a granted
    # break, so C1 goes to A2 (A3..A5 have an audit this year each, A2 none). The reason
    # must name that auditor and why A1 has none — not "stays with A1", and no
    # non-completion warning to A1, who has nothing to complete.
    authority = five_auditors_one_on_break()
    for auditor in ("A3", "A4", "A5"):
        authority.history("2025-10", f"H{auditor}", auditor)
    exemption(authority, "A1", "refused")
    result = solve(authority, tmp_path)
    holder = allocated(result)["C1"]
    assert holder == "A2"
    reason = reason_of(result, "exemption_decisions", "C1")
    assert reason.startswith(f"refused by SL1; C1 is allocated to {holder}; A1 is on a granted")
    assert "audit break" in reason
    assert "stays with" not in reason
    assert "non-completion" not in reason


def test_a_refused_exemption_of_the_auditor_who_has_the_case_warns_of_non_completion(
    tmp_path: Path,
) -> None:
    # A1 is the only auditor, so A1 has C1; the refusal leaves the audit to A1 (§30).
    authority = Authority().auditors("A1").case("C1")
    exemption(authority, "A1", "refused")
    result = solve(authority, tmp_path)
    assert reason_of(result, "exemption_decisions", "C1") == (
        "refused by SL1; C1 is allocated to A1, who must audit it: an audit not done "
        "without an agreed exemption is a non-completion (§30)"
    )


def test_an_honoured_exemption_in_allocate_names_the_auditor_who_has_the_case(
    tmp_path: Path,
) -> None:
    # A1's exemption is approved by the Strategic Lead: honoured, A1 gets no audit, and
    # C1 goes to A2, the only other auditor.
    authority = Authority().auditors("A1", "A2").case("C1")
    exemption(authority, "A1", "approved")
    result = solve(authority, tmp_path)
    assert reason_of(result, "exemption_decisions", "C1") == (
        f"approved by SL1 ({STRATEGIC_LEAD}): honoured; A1 gets no audit this month (§4); "
        "C1 is allocated to A2"
    )


def test_an_honoured_exemption_whose_case_finds_no_auditor_says_so(tmp_path: Path) -> None:
    # A1 is the only auditor and is exempted: C1 has no auditor at all this month.
    authority = Authority().auditors("A1").case("C1")
    exemption(authority, "A1", "approved")
    result = solve(authority, tmp_path)
    assert reason_of(result, "exemption_decisions", "C1") == (
        f"approved by SL1 ({STRATEGIC_LEAD}): honoured; A1 gets no audit this month (§4); "
        "C1 is unallocated in this plan (see unallocated)"
    )


def test_an_honoured_exemption_is_its_own_reason_not_a_conflict_of_interest(
    tmp_path: Path,
) -> None:
    # A1, the only auditor, holds an honoured exemption for C1 (§4, §29–30): C1 has no
    # auditor. An exemption is not a conflict of interest (the policy never calls it
    # one): the sentence counts A1 under the exemption, and says nothing of conflicts.
    authority = Authority().auditors("A1").case("C1")
    exemption(authority, "A1", "approved")
    result = solve(authority, tmp_path)
    assert reason_of(result, "unallocated", "C1") == (
        "no auditor available: of 1 auditor, 1 with an honoured exemption"
    )


def test_a_new_hard_rule_is_named_in_the_unallocated_sentence(tmp_path: Path) -> None:
    # A rule added to the records is both applied and named: "no_one" bars every auditor
    # from every case, so C1's one auditor A1 is counted under it, with the record's own
    # words (the sentence is read off HARD_RULES, no list of ids of its own).
    from caseaudit import build_problem, load
    from caseaudit.model.rule_record import RuleKind
    from caseaudit.plans.month import rules, tables

    def no_one(facts: rules.MonthFacts) -> rules.Restriction:
        """§0 (a test rule): nobody audits."""
        return rules._limit(facts.auditors, facts.auditors["staff_id"].notna(), 0, "is no one")

    extra = rules.HardRule(
        "no_one", "no one", "§0", no_one, RuleKind.OTHER, "barred by no_one", "barred by no_one"
    )
    records = (extra, *rules.HARD_RULES)
    by_id = {rule.id: rule for rule in records}
    data = load(Authority().auditors("A1").case("C1").write(tmp_path), MONTH)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules, "RULES_BY_ID", by_id)
        patch.setattr(tables, "HARD_RULES", records)
        problem = build_problem(data, MONTH, hard_rules=records)
        reason = tables.unallocated_reason(problem, "C1", details_missing=False)
    assert reason == "no auditor available: of 1 auditor, 1 barred by no_one"


def test_auditors_with_fewer_audits_are_counted_not_read_as_a_number_of_auditors(
    tmp_path: Path,
) -> None:
    # A1 has no audits this year, A2 five. A2 declared a conflict with C2's subject, so
    # C2 can only go to A1, and C1 to A2: A2's reason counts the one auditor with fewer
    # audits (A1, at 0) and says it was needed for another case — not "auditors with
    # fewer (0)", which reads as "no auditors".
    authority = Authority().auditors("A1", "A2").case("C1").case("C2")
    for number, month in enumerate(YEAR_2025[:5]):
        authority.history(month, f"H{number}", "A2")
    authority.add("conflicts", auditor_id="A2", subject_id="S-C2")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "A2", "C2": "A1"}
    assert reason_of(result, "allocations", "C1") == (
        "No conflict of interest; 5 of 10 audits so far this audit year, the 1 allowed "
        "auditor with fewer audits this year (0 audits so far) was needed for another case."
    )
    assert reason_of(result, "allocations", "C2") == (
        "No conflict of interest; 0 of 10 audits so far this audit year, the only auditor "
        "allowed for this case."
    )


def test_a_reaudit_says_why_its_original_auditor_does_not_have_it(tmp_path: Path) -> None:
    # A1 judged C1 inadequate (confirmed 20 January: deadline 20 March, re-audit month
    # February, so overdue in March) and would keep it for the re-audit (§25), but A1 is
    # on a granted break: the reason names the original auditor and the break.
    authority = five_auditors_one_on_break()
    authority.history("2026-01", "C1", "A1", judgement="inadequate", confirmed="2026-01-20")
    result = solve(authority, tmp_path)
    reason = reason_of(result, "allocations", "C1")
    assert reason.startswith("Re-audit of 2026-01-C1; the original auditor A1 is on a granted")
    assert "; no conflict of interest; 0 of 10 audits so far this audit year" in reason


# --- the checker objects to a reason that lies --------------------------------------------


def _falsify(out: Path, table: str, key: tuple[str, str], column: str, text: str) -> None:
    """Rewrite one reason in the Parquet file (the checker's plan is read from Parquet)."""
    path = out / f"{table}.parquet"
    frame = pq.read_table(path).to_pandas()
    frame.loc[frame[key[0]] == key[1], column] = text
    pq.write_table(pa.Table.from_pandas(frame, schema=pq.read_schema(path)), path)


def _reason_violations(data: Path, out: Path) -> list[str]:
    return [v for v in checker.check_allocation(data, out, MONTH) if "[reason]" in v]


def test_the_checker_finds_the_old_exemption_reason_and_a_wrong_count(tmp_path: Path) -> None:
    authority = five_auditors_one_on_break()
    exemption(authority, "A1", "refused")
    result = solve(authority, tmp_path)
    holder = allocated(result)["C1"]
    out = Path(shutil.copytree(tmp_path / "out", tmp_path / "falsified"))
    _falsify(
        out,
        "exemption_decisions",
        ("case_id", "C1"),
        "reason",
        "refused by SL1, so the audit stays with A1; an audit not done without an agreed "
        "exemption is a non-completion (§30)",
    )
    _falsify(
        out,
        "allocations",
        ("case_id", "C1"),
        "reason",
        "No conflict of interest; 3 of 10 audits so far this audit year.",
    )
    assert _reason_violations(tmp_path / "data", out) == [
        "allocations 2026-03-C1: reason says '3 of 10 audits so far this audit year', but "
        f"{holder} has 0 of 10 in the audit year's ledger [reason]",
        "exemption_decisions C1/A1: reason 'refused by SL1, so the audit stays with A1; an "
        "audit not done without an agreed exemption is a non-completion (§30)' does not say "
        f"'C1 is allocated to {holder}' [reason]",
        "exemption_decisions C1/A1: reason 'refused by SL1, so the audit stays with A1; an "
        "audit not done without an agreed exemption is a non-completion (§30)': the "
        "non-completion warning belongs exactly to an auditor who has the case (C1 is with "
        f"{holder}) [reason]",
        f"exemption_decisions C1/A1: reason says 'stays with A1', but C1 is with {holder} [reason]",
    ]


@pytest.mark.parametrize(
    ("table", "key", "column", "falsified", "objection"),
    [
        (
            "unallocated",
            ("month", MONTH),
            "reason",
            f"no auditor available: of 9 auditors, 1 not eligible in {MONTH}; 1 on an audit break",
            "says 9 auditors, but staff has 5",
        ),
        (
            "unallocated",
            ("month", MONTH),
            "reason",
            "no auditor available: of 5 auditors, 1 on an audit break; 3 at 10 of 10",
            "its counts add up to 4, not 5",
        ),
        (
            "break_decisions",
            ("auditor_id", "A2"),
            "reason",
            "refused: on time; the cap of 5 (§3) was already taken by earlier requests",
            "the cap is 1",
        ),
        (
            "notifications",
            ("recipient_id", "HS1"),
            "detail",
            f"audit-break limit reached for {MONTH}: 2 of 1 breaks granted (0 requests refused)",
            "but 1 of 1 were granted and 1 refused",
        ),
        (
            "allocations",
            ("case_id", "C1"),
            "reason",
            "No conflict of interest; 0 of 10 audits so far this audit year, the fewest among "
            "the 7 auditors allowed for this case.",
            "the rules allow 4 auditors for C1",
        ),
        (
            "allocations",
            ("case_id", "C1"),
            "reason",
            "No conflict of interest; A1 audits C1 this month.",
            "A1 audits nothing",
        ),
    ],
)
def test_the_checker_objects_to_each_kind_of_false_claim(
    tmp_path: Path,
    table: str,
    key: tuple[str, str],
    column: str,
    falsified: str,
    objection: str,
) -> None:
    # Five auditors, cap 1: A1's break is granted, A2's refused (HS1 hears the cap is
    # reached). Five cases for A2..A5: one is left unallocated.
    authority = five_auditors_one_on_break().case("C2").case("C3").case("C4").case("C5")
    authority.add("breaks", auditor_id="A2", month=MONTH, requested_on="2026-01-21")
    solve(authority, tmp_path)
    out = Path(shutil.copytree(tmp_path / "out", tmp_path / "falsified"))
    _falsify(out, table, key, column, falsified)
    violations = _reason_violations(tmp_path / "data", out)
    assert len([v for v in violations if objection in v]) == 1, violations


# --- messages around a run ------------------------------------------------------------------


def test_header_only_cases_with_reaudits_due_says_the_sample_is_empty(tmp_path: Path) -> None:
    # The median preset's three inadequate audits fall due in the month. With no case
    # rows at all, they are added to the month, but without their worker and team their
    # conflicts cannot be checked, so they stay unallocated (exit 3, outputs written).
    data = tmp_path / "data"
    write_input_tables(data, generate_tables("median", 0, MONTH), "csv")
    cases = data / "cases.csv"
    cases.write_text(cases.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    (data / "exemptions.csv").unlink()  # its rows name the cases just removed
    (data / "conflicts.csv").unlink()  # and its subjects (contract §1: they must exist)
    out = tmp_path / "out"
    result = run("allocate", str(data), "--month", MONTH, "--out", str(out))
    assert result.exit_code == 3, result.stdout + result.stderr
    summary = result.stdout.splitlines()[0]
    assert summary.startswith(
        f"{MONTH}: the month's sample is empty, 3 due re-audits added; 0 allocated, 3 unallocated;"
    )
    assert caseaudit.allocate(data, MONTH).summary() == summary
    assert len(pd.read_csv(out / "unallocated.csv")) == 3


def test_reallocate_counts_one_audit_in_the_singular(tmp_path: Path) -> None:
    # A1 has C1; A1's exemption is then approved: one audit had to move, to A2.
    authority = Authority().auditors("A1").case("C1")
    data = authority.write(tmp_path / "data")
    assert (
        run("allocate", str(data), "--month", MONTH, "--out", str(tmp_path / "plan")).exit_code == 0
    )
    later = copy.deepcopy(authority).auditors("A2")
    exemption(later, "A1", "approved")
    later_data = later.write(tmp_path / "later")
    result = run(
        "reallocate",
        str(later_data),
        "--month",
        MONTH,
        "--previous",
        str(tmp_path / "plan"),
        "--out",
        str(tmp_path / "replan"),
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    # Issue 18: the decision on each exemption read comes first, then the count.
    lines = result.stdout.splitlines()
    assert lines[1].startswith("exemption C1 for A1: honoured")
    assert lines[2] == (
        f"1 audit had to move; 1 moved in all; files written to {tmp_path / 'replan'}"
    )


def test_a_plan_of_the_wrong_month_is_one_message_per_file(tmp_path: Path) -> None:
    # A March plan given as the previous plan of April: two allocations and one break
    # decision of March. One line per file, with the count, not one line per row.
    authority = (
        Authority()
        .auditors("A1", "A2", "A3", "A4", "A5")
        .case("C1")
        .case("C2")
        .case("C1", month="2026-04")
    )
    authority.add("breaks", auditor_id="A5", month=MONTH, requested_on="2026-01-20")
    data = authority.write(tmp_path / "data")
    plan = tmp_path / "plan"
    assert run("allocate", str(data), "--month", MONTH, "--out", str(plan)).exit_code == 0
    result = run(
        "reallocate",
        str(data),
        "--month",
        "2026-04",
        "--previous",
        str(plan),
        "--out",
        str(tmp_path / "april"),
    )
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    wrong_month = sorted(line for line in result.stderr.splitlines() if "of month" in line)
    assert wrong_month == [
        "plan/allocations.parquet:2: month: 2 rows of the plan are of month 2026-03, not "
        "2026-04: --previous must be an output of 2026-04",
        "plan/break_decisions.parquet:2: month: 1 row of the plan is of month 2026-03, not "
        "2026-04: --previous must be an output of 2026-04",
    ]
    assert not (tmp_path / "april").exists()
