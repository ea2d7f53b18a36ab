"""Exemptions and mid-month reallocation with minimal change (issue 3, §2, §4–5, §29–31).

Each test allocates a tiny month, changes the data as the month goes on, re-plans it
and checks both plans independently.
"""

from __future__ import annotations

import copy

import pytest
from click.testing import CliRunner

from builders import MONTH, YEAR_2025, Authority, allocated, day, resolve, solve
from caseaudit.cli.main import cli


def one_case_month() -> Authority:
    """C1 in Safeguarding; T1, a Fostering team manager (CSC), is the only auditor."""
    authority = Authority().case("C1")
    authority.staff("T1", role="team_manager", service="Fostering", team="Team 9")
    return authority


def exemption(authority: Authority, auditor: str, decision: str, decided_by: str | None) -> None:
    authority.add(
        "exemptions",
        case_id="C1",
        month=MONTH,
        auditor_id=auditor,
        requested_on="2026-03-03",
        decision=decision,
        decided_by=decided_by,
        decided_on="2026-03-04" if decided_by else None,
    )


@pytest.mark.parametrize(
    ("auditor", "decision", "decided_by", "honoured", "phrase"),
    [
        # CSC auditor: only the Assistant Director may agree (§4).
        ("T1", "approved", "GM1", False, "approved by a group manager; CSC exemptions need"),
        ("T1", "approved", "HS1", False, "approved by a head of service; CSC exemptions need"),
        ("T1", "approved", "SL1", False, "CSC exemptions need the Assistant Director"),
        ("T1", "approved", "AD1", True, "honoured"),
        # P&Q auditor: only the Strategic Lead may agree.
        ("P1", "approved", "AD1", False, "P&Q exemptions need the Strategic Lead"),
        ("P1", "approved", "SL1", True, "honoured"),
        ("P1", "approved", "P1", False, "approved by the auditor themself"),
        ("T1", "pending", None, False, "pending"),
        ("T1", "refused", "AD1", False, "refused by AD1"),
    ],
)
def test_exemption_decisions(tmp_path, auditor, decision, decided_by, honoured, phrase):
    # First plan: the auditor under test is the only auditor, so C1 goes to them. Then
    # P9 joins and the exemption arrives. Honoured: C1 moves to P9 with a new id ending
    # -r1. Not honoured: C1 stays with its auditor and keeps its id (a non-completion if
    # the audit is not done, §30).
    authority = one_case_month()
    if auditor == "P1":
        authority.auditors("P1")
        for row in authority.rows["staff"]:
            if row["staff_id"] == "T1":
                row["is_auditor"] = False
    first = solve(authority, tmp_path)
    assert allocated(first) == {"C1": auditor}
    later = copy.deepcopy(authority).auditors("P9")
    exemption(later, auditor, decision, decided_by)
    result = resolve(later, tmp_path, tmp_path / "out")
    row = result.exemption_decisions.iloc[0]
    assert bool(row["honoured"]) is honoured
    assert phrase in row["reason"]
    if honoured:
        assert allocated(result) == {"C1": "P9"}
        assert list(result.allocations["audit_id"]) == [f"{MONTH}-C1-r1"]
        change = result.changes.iloc[0]
        assert (change["previous_audit_id"], change["previous_auditor_id"]) == (
            f"{MONTH}-C1",
            auditor,
        )
        assert "exemption honoured" in change["reason"]
    else:
        assert "non-completion (§30)" in row["reason"]
        assert allocated(result) == {"C1": auditor}
        assert list(result.allocations["audit_id"]) == [f"{MONTH}-C1"]
        assert result.changes.empty


def test_leaver_moves(tmp_path):
    # T1 had C1; T1 leaves on 15 March, so is no longer eligible: C1 moves to P9.
    authority = one_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority).auditors("P9")
    for row in later.rows["staff"]:
        if row["staff_id"] == "T1":
            row["active_to"] = day("2026-03-15")
    result = resolve(later, tmp_path, tmp_path / "out")
    assert allocated(result) == {"C1": "P9"}
    assert "no longer eligible" in result.changes["reason"].iloc[0]


def five_auditors() -> Authority:
    """Five auditors → break cap floor(0.2 × 5) = 1. A1 has the fewest audits this year
    (0 against 3 for the others), so the first plan gives C1 to A1."""
    authority = Authority().auditors("A1", "A2", "A3", "A4", "A5").case("C1")
    for auditor in ("A2", "A3", "A4", "A5"):
        for number, month in enumerate(YEAR_2025[:3]):
            authority.history(month, f"H{auditor}{number}", auditor)
    return authority


def test_late_break_inside_the_cap_moves_the_audit(tmp_path):
    # No break was granted before; A1's late request (4 March) takes the one place, so
    # A1's audit moves to one of the others.
    authority = five_auditors()
    assert allocated(solve(authority, tmp_path)) == {"C1": "A1"}
    later = copy.deepcopy(authority)
    later.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-03-04")
    result = resolve(later, tmp_path, tmp_path / "out")
    decisions = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["decision"], strict=False)
    )
    assert decisions == {"A1": "granted"}
    assert allocated(result)["C1"] != "A1"
    assert "late audit break" in result.changes["reason"].iloc[0]


def test_late_break_over_the_cap_is_refused_and_nothing_moves(tmp_path):
    # A2's on-time request took the one place in the first run and is never revoked;
    # A1's late request is refused (cap reached), so A1 keeps C1.
    authority = five_auditors()
    authority.add("breaks", auditor_id="A2", month=MONTH, requested_on="2026-02-01")
    first = solve(authority, tmp_path)
    assert allocated(first) == {"C1": "A1"}
    later = copy.deepcopy(authority)
    later.add("breaks", auditor_id="A1", month=MONTH, requested_on="2026-03-04")
    result = resolve(later, tmp_path, tmp_path / "out")
    decisions = dict(
        zip(result.break_decisions["auditor_id"], result.break_decisions["decision"], strict=False)
    )
    assert decisions == {"A2": "granted", "A1": "refused_cap"}
    assert allocated(result) == {"C1": "A1"}
    assert result.changes.empty


def two_case_month() -> Authority:
    """A2 declared a conflict with C1's subject, so the first plan is forced:
    C1 → A1, C2 → A2."""
    authority = Authority().auditors("A1", "A2").case("C1").case("C2")
    authority.add("conflicts", auditor_id="A2", subject_id="S-C1")
    return authority


def exempt_a2_from_c2(authority: Authority) -> None:
    """A2 (P&Q) exempted from C2, agreed by the Strategic Lead: honoured (§4)."""
    authority.add(
        "exemptions",
        case_id="C2",
        month=MONTH,
        auditor_id="A2",
        requested_on="2026-03-03",
        decision="approved",
        decided_by="SL1",
    )


def test_freed_case_needs_one_collateral_move(tmp_path):
    # A2's exemption for C2 is honoured: A2 gets nothing this month. A3 joins but is
    # conflicted with C2's subject. Covering both cases needs A1 on C2 and A3 on C1:
    # C2 moves (it had to) and C1 moves once to make room — one collateral change, the
    # fewest possible, and both cases stay covered (coverage comes before fewest changes).
    authority = two_case_month()
    assert allocated(solve(authority, tmp_path)) == {"C1": "A1", "C2": "A2"}
    later = copy.deepcopy(authority).auditors("A3")
    later.add("conflicts", auditor_id="A3", subject_id="S-C2")
    exempt_a2_from_c2(later)
    result = resolve(later, tmp_path, tmp_path / "out")
    assert allocated(result) == {"C1": "A3", "C2": "A1"}
    assert sorted(result.allocations["audit_id"]) == [f"{MONTH}-C1-r1", f"{MONTH}-C2-r1"]
    reasons = dict(zip(result.changes["case_id"], result.changes["reason"], strict=False))
    assert "exemption honoured" in reasons["C2"]
    assert "moved so that another case could be covered" in reasons["C1"]
    assert result.manifest["counts"]["must_move"] == 1
    assert result.manifest["counts"]["moved"] == 2


def test_freed_case_with_a_free_auditor_moves_alone(tmp_path):
    # The same exemption, but A3 has no conflict: C2 goes to A3 and C1 stays with A1 —
    # zero collateral changes, though giving C1 to A3 would cost nothing in coverage.
    authority = two_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority).auditors("A3")
    exempt_a2_from_c2(later)
    result = resolve(later, tmp_path, tmp_path / "out")
    assert allocated(result) == {"C1": "A1", "C2": "A3"}
    assert list(result.changes["case_id"]) == ["C2"]
    assert result.allocations.set_index("case_id").at["C1", "audit_id"] == f"{MONTH}-C1"


def test_repeated_reallocation_numbers_the_moves(tmp_path):
    # Second re-plan of the same month: A3, who took C2 in the first re-plan (id -r1),
    # declares a conflict with C2's subject; C2 moves again and gets id -r2. The ledger
    # keeps both rows: -r1 becomes "reallocated".
    authority = two_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority).auditors("A3", "A4")
    for number, month in enumerate(YEAR_2025[:2]):
        later.history(month, f"HA4{number}", "A4")
    exempt_a2_from_c2(later)
    first = resolve(later, tmp_path, tmp_path / "out", name="r1")
    assert allocated(first)["C2"] == "A3"
    again = copy.deepcopy(later)
    again.add("conflicts", auditor_id="A3", subject_id="S-C2")
    second = resolve(again, tmp_path, tmp_path / "out-r1", name="r2")
    row = second.changes.set_index("case_id").loc["C2"]
    assert row["previous_audit_id"] == f"{MONTH}-C2-r1"
    assert row["audit_id"] == f"{MONTH}-C2-r2"
    assert "conflict of interest now recorded" in row["reason"]


def test_added_and_dropped_cases(tmp_path):
    # C2 leaves the month's list and C5 joins: C2's audit is dropped, C5 is allocated with
    # the plain id; C1 is untouched.
    authority = two_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority)
    later.rows["cases"] = [r for r in later.rows["cases"] if r["case_id"] != "C2"]
    later.case("C5")
    result = resolve(later, tmp_path, tmp_path / "out")
    changes = result.changes.set_index("case_id")
    assert changes.at["C2", "reason"].startswith("case no longer in the month's list")
    assert changes.at["C5", "audit_id"] == f"{MONTH}-C5"
    assert allocated(result)["C1"] == "A1"


def test_cli_reallocate_exit_codes_and_byte_identical_reruns(tmp_path):
    authority = two_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority)
    exempt_a2_from_c2(later)
    data = later.write(tmp_path / "later")
    runner = CliRunner()
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / f"re-{name}"
        result = runner.invoke(
            cli,
            [
                "reallocate",
                str(data),
                "--month",
                MONTH,
                "--previous",
                str(tmp_path / "out"),
                "--out",
                str(out),
            ],
        )
        # C2 cannot be covered: A1 is busy with C1 (moving A1 would leave C1 bare).
        assert result.exit_code == 3, result.output
        outputs.append(out)
    for path in sorted(outputs[0].iterdir()):
        if path.name != "manifest.json":
            assert path.read_bytes() == (outputs[1] / path.name).read_bytes(), path.name
    manifest = (outputs[0] / "manifest.json").read_text()
    assert "previous_plan" in manifest and "allocations.parquet" in manifest
    missing = runner.invoke(
        cli,
        [
            "reallocate",
            str(data),
            "--month",
            MONTH,
            "--previous",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert missing.exit_code == 2
    assert not (tmp_path / "x").exists()


def test_reallocated_id_reads_k_after_the_case_id():
    from caseaudit.plans.month.reallocation import reallocated_audit_id

    assert reallocated_audit_id(MONTH, "C1", None) == f"{MONTH}-C1"
    assert reallocated_audit_id(MONTH, "C1", f"{MONTH}-C1") == f"{MONTH}-C1-r1"
    assert reallocated_audit_id(MONTH, "C1", f"{MONTH}-C1-r2") == f"{MONTH}-C1-r3"
    # A case id that itself ends in "-r5": its first move is -r1, not -r6.
    assert reallocated_audit_id(MONTH, "X-r5", f"{MONTH}-X-r5") == f"{MONTH}-X-r5-r1"


def test_an_unmoved_audit_is_not_dropped_to_cover_a_freed_one(tmp_path):
    # A2's honoured exemption frees C2. A1 could take C2, but only by leaving C1 bare:
    # the same number of cases covered, one more change. So C1 stays with A1 and C2 is
    # left unallocated (exit 3), with its reason.
    authority = two_case_month()
    solve(authority, tmp_path)
    later = copy.deepcopy(authority)
    exempt_a2_from_c2(later)
    result = resolve(later, tmp_path, tmp_path / "out")
    assert allocated(result) == {"C1": "A1"}
    assert list(result.unallocated["case_id"]) == ["C2"]
    assert list(result.changes["case_id"]) == ["C2"]


def test_a_leavers_replan_states_one_break_cap_everywhere(tmp_path):
    # Ten P&Q auditors: cap floor(0.2 × 10) = 2, and the first plan grants A01's and
    # A02's on-time requests (both places). A10 then leaves on 15 March, so is not
    # eligible for the whole month (contract §3): nine eligible, cap floor(0.2 × 9) = 1
    # (contract §4 rule 3, computed once). A02's break is kept (never revoked), over the
    # new cap; stdout, every break reason and the Head of Service's notice say cap 1.
    ids = [f"A{n:02d}" for n in range(1, 11)]
    authority = Authority().auditors(*ids).case("C1")
    for auditor in ("A01", "A02"):
        authority.add("breaks", auditor_id=auditor, month=MONTH, requested_on="2026-02-01")
    first = solve(authority, tmp_path)
    assert set(first.break_decisions["decision"]) == {"granted"}
    assert first.problem.break_cap == 2
    later = copy.deepcopy(authority)
    for row in later.rows["staff"]:
        if row["staff_id"] == "A10":
            row["active_to"] = day("2026-03-15")
    data_dir = later.write(tmp_path / "data-r1")
    out = tmp_path / "out-r1"
    args = ["reallocate", str(data_dir), "--month", MONTH, "--previous", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "(cap 1)" in result.stdout
    reasons = (out / "break_decisions.csv").read_text(encoding="utf-8")
    assert "cap of 2" not in reasons
    assert "place 1 of the cap of 1" in reasons
    assert "kept although the cap of 1 (§3) is now lower" in reasons
    notices = (out / "notifications.csv").read_text(encoding="utf-8")
    assert f"audit-break limit reached for {MONTH}: 2 breaks granted against a cap of 1" in notices
    assert "2 of 1" not in notices


def test_reallocate_prints_the_decision_on_each_exemption_it_read(tmp_path):
    # Issue 18: T1 (CSC) asks twice: approved by the Assistant Director for C1 (honoured,
    # §4), approved by a group manager for C2 (not honoured: CSC needs the AD); a P&Q
    # officer's request for C2 is still pending. Each is one stdout line saying why.
    authority = one_case_month().case("C2").auditors("P1", "P9")
    solve(authority, tmp_path)
    later = copy.deepcopy(authority)
    exemption(later, "T1", "approved", "AD1")
    for auditor, decision, decided_by in (("T1", "approved", "GM1"), ("P1", "pending", None)):
        later.add(
            "exemptions",
            case_id="C2",
            month=MONTH,
            auditor_id=auditor,
            requested_on="2026-03-03",
            decision=decision,
            decided_by=decided_by,
            decided_on="2026-03-04" if decided_by else None,
        )
    data_dir = later.write(tmp_path / "data-r1")
    args = ["reallocate", str(data_dir), "--month", MONTH, "--previous", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out-r1")])
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("exemption ")]
    assert [line.split(" (")[0] for line in lines] == [
        "exemption C1 for T1: honoured",
        "exemption C2 for P1: not honoured",
        "exemption C2 for T1: not honoured",
    ]
    assert "approved by AD1 (an Assistant Director): honoured" in lines[0]
    assert "pending: not agreed yet" in lines[1]
    assert "approved by a group manager; CSC exemptions need the Assistant Director" in lines[2]


@pytest.mark.parametrize(
    ("second_decision", "handed_out"),
    [
        # The refused exemption (11 March) frees nothing: the re-plan acts on the
        # approval of 4 March only, so the moved audit goes out on Wednesday 4 March.
        ("refused", "2026-03-04"),
        # Both approved by the Assistant Director: the re-plan acts on both, the latest
        # decided on Wednesday 11 March (contract §6: the latest decision acted on).
        ("approved", "2026-03-11"),
    ],
)
def test_a_moved_audit_is_handed_out_after_the_latest_honoured_exemption_only(
    tmp_path, second_decision, handed_out
):
    authority = one_case_month()
    authority.case("C2", month="2026-02")  # a case T1 was also asked about
    first = solve(authority, tmp_path)
    assert allocated(first) == {"C1": "T1"}
    later = copy.deepcopy(authority).auditors("P9")
    exemption(later, "T1", "approved", "AD1")  # decided 4 March
    later.add(
        "exemptions",
        case_id="C2",
        month=MONTH,
        auditor_id="T1",
        requested_on="2026-03-09",
        decision=second_decision,
        decided_by="AD1",
        decided_on="2026-03-11",
    )
    result = resolve(later, tmp_path, tmp_path / "out")  # the checker agrees
    assert allocated(result) == {"C1": "P9"}
    assert list(result.allocations["distributed_on"]) == [day(handed_out)]
