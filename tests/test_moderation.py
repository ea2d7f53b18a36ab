"""``caseaudit moderate`` (issue 8, §21–22): independent moderators for challenged audits.

Every instance starts from ``builders.Authority()`` (a Safeguarding service whose
Assistant Director AD1 may moderate, but is in the service of every case here and above
its worker) plus one challenged audit, 2026-01-C1 of Team 1 in Safeguarding, audited by
the P&Q officer A1 and challenged by its worker SW1, and one tempting moderator M1: a
Head of Service in Fostering who nothing else bars. Each rule's test changes one fact so
that M1 is barred by that rule alone; AD1 is barred throughout, so the audit is left
unmoderated and its reason counts both. Every ``moderate`` run is re-checked by the
independent checker (``conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

import caseaudit
import checker
from builders import Authority
from caseaudit import load
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.plans.moderation.adapter import (
    OBJECTIVE,
    decode,
    encode,
    fold,
    moderation_assignment,
)
from caseaudit.plans.moderation.problem import (
    MODERATION_RULES,
    _first_rule_counts,
    build_moderation_problem,
    moderation_blockers,
)
from caseaudit.solver.core import SolveOptions, solve
from caseaudit.synth import generate_tables

AS_OF = "2026-02-20"
AUDIT = "2026-01-C1"
TABLES = ("moderation", "unmoderated", "notifications")


def challenged(**moderator: object) -> Authority:
    """The base instance; ``moderator`` overrides M1's staff fields."""
    authority = Authority()
    authority.staff("A1")  # a P&Q officer, managed by the strategic lead SL1
    fields: dict[str, object] = {
        "role": "head_of_service",
        "service": "Fostering",
        "auditor": False,
        "can_moderate": True,
    }
    authority.staff("M1", **(fields | moderator))  # type: ignore[arg-type]
    authority.case("C1", month="2026-01")
    authority.history("2026-01", "C1", "A1", status="completed")
    challenge(authority, AUDIT, "SW1")
    return authority


def challenge(
    authority: Authority, audit_id: str, by: str, on: str = "2026-02-10", consensus: object = False
) -> Authority:
    return authority.add(
        "challenges", audit_id=audit_id, raised_by=by, raised_on=on, consensus_reached=consensus
    )


def moderate(
    authority: Authority, tmp_path: Path, as_of: str = AS_OF
) -> caseaudit.ModerationResult:
    return caseaudit.moderate(load(authority.write(tmp_path / "data")), as_of)


def plan(result: caseaudit.ModerationResult) -> dict[str, str]:
    frame = result.moderation
    return dict(zip(frame["audit_id"], frame["moderator_id"], strict=True))


def rules_barring(result: caseaudit.ModerationResult, staff_id: str = "M1") -> list[str]:
    return [b.rule for b in moderation_blockers(result.problem, AUDIT, staff_id)]


def test_the_base_instance_is_moderated_by_the_tempting_manager(tmp_path: Path) -> None:
    result = moderate(challenged(), tmp_path)
    assert plan(result) == {AUDIT: "M1"}
    assert rules_barring(result) == []
    # AD1 may moderate but is in the case's service and above its worker (and the
    # challenger, who is that worker).
    assert rules_barring(result, "AD1") == ["same_service", "management_chain", "above_challenger"]
    row = result.moderation.iloc[0]
    assert (row["moderator_service"], row["assigned_on"]) == ("Fostering", dt.date(2026, 2, 20))
    assert "independent of the case (Safeguarding)" in row["reason"]
    assert result.notifications[["recipient_id", "kind"]].values.tolist() == [
        ["M1", "moderator_assigned"]
    ]


def _same_service(a: Authority) -> Authority:
    return challenged(service="Safeguarding")


def _connected_service(a: Authority) -> Authority:
    a.config_toml = '[moderation]\nconnected_services = [["Safeguarding", "Fostering"]]\n'
    return a


def _direct(a: Authority) -> Authority:
    a.rows["cases"][0]["iro_id"] = "M1"  # M1 chairs the child's reviews
    return a


def _management_chain(a: Authority) -> Authority:
    # The case's team manager TM9 is managed by M1 (the worker SW1, who challenged, is not).
    a.staff("TM9", role="team_manager", team="Team 9", manager="M1", auditor=False)
    a.rows["cases"][0]["team_manager_id"] = "TM9"
    return a


def _declared(a: Authority) -> Authority:
    return a.add("conflicts", auditor_id="M1", subject_id="S-C1", reason="knows the family")


def _auditor(a: Authority) -> Authority:
    a.rows["history"][0]["auditor_id"] = "M1"
    return a


def _above_auditor(a: Authority) -> Authority:
    next(r for r in a.rows["staff"] if r["staff_id"] == "A1")["manager_id"] = "M1"
    return a


def _below_auditor(a: Authority) -> Authority:
    return challenged(manager="A1")


def _challenger(a: Authority) -> Authority:
    return challenge(a, AUDIT, "M1", consensus=True)  # any challenge of the audit counts


def _above_challenger(a: Authority) -> Authority:
    a.staff("TM7", role="team_manager", service="Fostering", team="Team 7", manager="M1")
    return challenge(a, AUDIT, "TM7")


def _inactive(a: Authority) -> Authority:
    return challenged(active_to="2026-02-15")


def _not_can_moderate(a: Authority) -> Authority:
    return challenged(can_moderate=False)


def _at_the_cap(a: Authority) -> Authority:
    return _earlier_moderations(a, ["2026-02-02", "2026-02-03"])


def _earlier_moderations(a: Authority, assigned: list[str]) -> Authority:
    """Other challenged audits that M1 already moderates, assigned on these days."""
    for number, day in enumerate(assigned, start=2):
        a.case(f"C{number}", month="2025-12")
        a.history("2025-12", f"C{number}", "A1", status="finalised")
        challenge(a, f"2025-12-C{number}", "SW1", on="2026-01-05")
        a.add("moderations", audit_id=f"2025-12-C{number}", moderator_id="M1", assigned_on=day)
    return a


BARRED_ALONE: list[tuple[str, Callable[[Authority], Authority], str]] = [
    ("same_service", _same_service, "2 in the case's service (Safeguarding)"),
    ("connected_service", _connected_service, "1 in a connected service"),
    ("direct", _direct, "1 the case's worker, team manager or IRO"),
    ("management_chain", _management_chain, "1 above the case's worker or team manager"),
    ("declared", _declared, "1 with a declared conflict with the subject"),
    ("auditor", _auditor, "1 the auditor"),
    ("above_auditor", _above_auditor, "1 in the auditor's management chain"),
    ("below_auditor", _below_auditor, "1 managed by the auditor"),
    ("challenger", _challenger, "1 who challenged the audit"),
    ("above_challenger", _above_challenger, "1 above a challenger in the chain"),
    ("active", _inactive, "1 not active on 2026-02-20"),
    ("monthly_cap", _at_the_cap, "1 at 2 of 2 this month"),
]


@pytest.mark.parametrize(
    ("rule", "change", "counted"), BARRED_ALONE, ids=[r for r, _, _ in BARRED_ALONE]
)
def test_a_rule_alone_bars_the_tempting_moderator(
    tmp_path: Path, rule: str, change: Callable[[Authority], Authority], counted: str
) -> None:
    result = moderate(change(challenged()), tmp_path)
    assert plan(result) == {}
    assert rules_barring(result) == [rule]
    (reason,) = result.unmoderated["reason"]
    assert reason.startswith("of 2 senior managers who may moderate, ")
    assert counted in reason
    if rule != "same_service":  # AD1, in the case's service, is counted under it first
        assert "1 in the case's service (Safeguarding)" in reason
    assert result.notifications[["recipient_id", "kind"]].values.tolist() == [
        ["SL1", "challenge_unmoderated"]
    ]


def test_only_an_active_strategic_lead_hears_of_an_unmoderated_audit(tmp_path: Path) -> None:
    # M1 is in the case's service, so nobody may moderate 2026-01-C1 (as of 20 February).
    # Besides SL1 (active), P&Q have had SL0, who left on 31 January, and will have SL2,
    # who starts on 1 March: neither is active on the as-of day, so the notice that the
    # audit has no moderator goes to SL1 alone (§22: P&Q's strategic lead is told).
    authority = _same_service(challenged())
    lead = {"role": "strategic_lead_ipq", "group": "pq", "service": "Performance and Quality"}
    authority.staff("SL0", auditor=False, active_to="2026-01-31", **lead)  # type: ignore[arg-type]
    authority.staff("SL2", auditor=False, active_from="2026-03-01", **lead)  # type: ignore[arg-type]
    result = moderate(authority, tmp_path)
    assert plan(result) == {}
    assert result.notifications[["recipient_id", "kind"]].values.tolist() == [
        ["SL1", "challenge_unmoderated"]
    ]


def test_not_flagged_can_moderate_is_not_a_candidate(tmp_path: Path) -> None:
    result = moderate(_not_can_moderate(challenged()), tmp_path)
    assert plan(result) == {}
    assert rules_barring(result) == ["can_moderate"]
    # Only the staff flagged can_moderate are counted: AD1.
    assert list(result.unmoderated["reason"]) == [
        "of 1 senior manager who may moderate, 1 in the case's service (Safeguarding)"
    ]


def test_the_same_team_is_always_the_same_service(tmp_path: Path) -> None:
    # A team is (service, team), so a moderator in the case's team is in its service too:
    # same_team can never bar alone, but it is named, and it follows [conflicts].
    result = moderate(challenged(service="Safeguarding", team="Team 1"), tmp_path / "on")
    assert rules_barring(result) == ["same_service", "same_team"]
    off = challenged(service="Safeguarding", team="Team 1")
    off.config_toml = "[conflicts]\nsame_team = false\n"
    assert rules_barring(moderate(off, tmp_path / "off")) == ["same_service"]


def test_dropping_a_rule_from_the_list_lets_its_pair_through(tmp_path: Path) -> None:
    data = load(_same_service(challenged()).write(tmp_path / "data"))
    day = dt.date.fromisoformat(AS_OF)
    kept = tuple(r for r in MODERATION_RULES if r.id != "same_service")
    for rules, expected in ((MODERATION_RULES, {}), (kept, {AUDIT: "M1"})):
        problem = build_moderation_problem(data, day, rules=rules)
        index = encode(problem)
        result = solve(moderation_assignment(index, fold(index, 0)), SolveOptions())
        assert dict(decode(index, result).values.tolist()) == expected


# -- who needs a moderator ----------------------------------------------------------------


def test_one_moderator_per_audit_however_many_challenges(tmp_path: Path) -> None:
    authority = challenge(challenged(), AUDIT, "TM1", on="2026-02-11", consensus=None)
    assert plan(moderate(authority, tmp_path)) == {AUDIT: "M1"}


@pytest.mark.parametrize(
    ("change", "needs"),
    [
        (lambda a: a, True),
        # Consensus reached on the only challenge: the auditor's judgement stands.
        (lambda a: a.rows["challenges"][0].update(consensus_reached=True), False),
        # Raised after the as-of date: not yet P&Q's to arrange.
        (lambda a: a.rows["challenges"][0].update(raised_on=dt.date(2026, 2, 21)), False),
        # Already given a moderator (in another month: no load this month).
        (
            lambda a: a.add(
                "moderations", audit_id=AUDIT, moderator_id="M1", assigned_on="2026-01-30"
            ),
            False,
        ),
    ],
    ids=["open", "consensus", "raised-later", "moderated"],
)
def test_who_needs_a_moderator(tmp_path: Path, change: Callable, needs: bool) -> None:
    authority = challenged()
    change(authority)
    result = moderate(authority, tmp_path)
    assert list(result.problem.audits["audit_id"]) == ([AUDIT] if needs else [])
    assert plan(result) == ({AUDIT: "M1"} if needs else {})


def test_empty_consensus_means_no_consensus(tmp_path: Path) -> None:
    authority = challenged()
    authority.rows["challenges"][0]["consensus_reached"] = None
    assert plan(moderate(authority, tmp_path)) == {AUDIT: "M1"}


# -- fair load ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assigned", "moderated"),
    [
        (["2026-02-02", "2026-02-03"], False),  # two already this month: at the cap
        (["2026-01-30", "2026-01-31"], True),  # last month's do not count
        (["2026-01-30", "2026-02-03"], True),  # one this month: room for one more
    ],
    ids=["this-month", "last-month", "one-of-each"],
)
def test_the_cap_counts_this_months_moderations_only(
    tmp_path: Path, assigned: list[str], moderated: bool
) -> None:
    result = moderate(_earlier_moderations(challenged(), assigned), tmp_path)
    assert plan(result) == ({AUDIT: "M1"} if moderated else {})
    assert int(result.problem.moderators.set_index("staff_id").at["M1", "year_load"]) == 2


def test_room_left_this_month_is_shared_between_challenges(tmp_path: Path) -> None:
    # M1 has one moderation this month already, room for one more; a second audit that
    # only M1 may moderate competes with the first: one of them is left, and its reason
    # says M1 was filled by this plan.
    authority = _earlier_moderations(challenged(), ["2026-02-03"])
    authority.case("C8", month="2026-01")
    authority.history("2026-01", "C8", "A1", status="completed")
    challenge(authority, "2026-01-C8", "SW1")
    result = moderate(authority, tmp_path)
    assert len(result.moderation) == 1
    (reason,) = result.unmoderated["reason"]
    assert reason.endswith("1 at 2 of 2 this month with this plan's other moderations")


def test_smallest_largest_load_beats_a_greedy_pass(tmp_path: Path) -> None:
    # Audits X = 2026-01-C1 and Y = 2026-01-C2. M1 may moderate both; M2 only X (M2
    # declared a conflict with Y's subject). M2 already has two moderations this audit
    # year (in October), M1 none, so a greedy pass in audit order, taking the manager
    # with fewest this year, gives X to M1, and then Y can only go to M1 too: M1 at 2 of 2.
    # The optimum gives X to M2 and Y to M1: largest load 1 (the year tier gives way to
    # the load tier above it).
    authority = challenged()
    authority.staff("M2", role="head_of_service", service="Leaving Care", auditor=False)
    authority.rows["staff"][-1]["can_moderate"] = True
    authority.case("C2", month="2026-01")
    authority.history("2026-01", "C2", "A1", status="completed")
    challenge(authority, "2026-01-C2", "SW1")
    authority.add("conflicts", auditor_id="M2", subject_id="S-C2", reason=None)
    for number in (5, 6):
        authority.case(f"C{number}", month="2025-09")
        authority.history("2025-09", f"C{number}", "A1", status="finalised")
        challenge(authority, f"2025-09-C{number}", "SW1", on="2025-10-01")
        authority.add(
            "moderations",
            audit_id=f"2025-09-C{number}",
            moderator_id="M2",
            assigned_on="2025-10-02",
        )
    result = moderate(authority, tmp_path)
    assert plan(result) == {AUDIT: "M2", "2026-01-C2": "M1"}
    assert result.solve.tiers["largest_load"] == 1
    # Without the load tier, fewer-this-year alone does what the greedy pass does.
    problem = result.problem
    index = encode(problem)
    tiers = tuple(t for t in OBJECTIVE if t.id != "largest_load")
    without = solve(moderation_assignment(index, fold(index, 0, tiers)), SolveOptions())
    assert dict(decode(index, without).values.tolist()) == {AUDIT: "M1", "2026-01-C2": "M1"}


# -- the independent checker ----------------------------------------------------------------


def test_the_checker_catches_a_moderator_who_is_not_independent(tmp_path: Path) -> None:
    data_dir = _same_service(challenged()).write(tmp_path / "data")
    result = caseaudit.moderate(load(data_dir), AS_OF)
    out = tmp_path / "out"
    result.write(out)
    assert checker.check_moderation(data_dir, out, AS_OF) == []
    forged = pd.DataFrame(
        [
            {
                "audit_id": AUDIT,
                "case_id": "C1",
                "subject_id": "S-C1",
                "auditor_id": "A1",
                "moderator_id": "M1",
                "moderator_name": "Staff M1",
                "moderator_service": "Safeguarding",
                "assigned_on": dt.date(2026, 2, 20),
                "reason": "forged",
            }
        ]
    )
    forged.to_parquet(out / "moderation.parquet", index=False)
    found = checker.check_moderation(data_dir, out, AS_OF)
    assert f"moderation {AUDIT} → M1: same service [independence]" in found
    assert f"{AUDIT}: listed 2 times in moderation/unmoderated" in found


# -- the command ----------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_moderate(data_dir: Path, out: Path, *extra: str, as_of: str = AS_OF) -> Result:
    return run("moderate", str(data_dir), "--as-of", as_of, "--out", str(out), *extra)


def test_cli_writes_the_tables_and_exits_0(tmp_path: Path) -> None:
    data_dir = challenged().write(tmp_path / "data")
    result = run_moderate(data_dir, tmp_path / "out")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 moderated, 0 left without one" in result.stdout
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {f"{t}.{e}" for t in TABLES for e in ("csv", "parquet")} | {"manifest.json"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["solver"]["status"] == "optimal"
    assert manifest["as_of"] == AS_OF


def test_cli_exits_3_when_nobody_can_moderate(tmp_path: Path) -> None:
    data_dir = _above_auditor(challenged()).write(tmp_path / "data")
    result = run_moderate(data_dir, tmp_path / "out")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "1 challenged audit without a moderator: see unmoderated.csv" in result.stderr
    unmoderated = pd.read_csv(tmp_path / "out" / "unmoderated.csv")
    assert unmoderated.values.tolist() == [
        [
            AUDIT,
            "of 2 senior managers who may moderate, 1 in the case's service (Safeguarding), "
            "1 in the auditor's management chain",
        ]
    ]


def test_cli_as_of_before_every_challenge_is_nothing_to_do(tmp_path: Path) -> None:
    data_dir = challenged().write(tmp_path / "data")
    result = run_moderate(data_dir, tmp_path / "out", as_of="2026-02-09")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "no challenged audit needs a moderator" in result.stdout
    for table in TABLES:
        assert pd.read_parquet(tmp_path / "out" / f"{table}.parquet").empty
        assert (tmp_path / "out" / f"{table}.csv").read_text().count("\n") == 1  # header


def test_cli_without_challenges_is_nothing_to_do(tmp_path: Path) -> None:
    authority = Authority().case("C1")  # no challenges.csv, no moderations.csv
    result = run_moderate(authority.write(tmp_path / "data"), tmp_path / "out")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert pd.read_parquet(tmp_path / "out" / "moderation.parquet").empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda a: challenge(a, "2026-01-C404", "SW1"),
            "challenges.csv:3: audit_id: unknown audit_id '2026-01-C404'",
        ),
        (
            lambda a: a.add(
                "moderations", audit_id="2025-12-C1", moderator_id="M1", assigned_on="2026-02-01"
            ),
            "moderations.csv:2: audit_id: audit_id '2025-12-C1' has no challenge in challenges",
        ),
        (
            lambda a: setattr(
                a,
                "config_toml",
                '[moderation]\nmax_moderations_per_month = 2\nconnected_services = [["Fostering", '
                '"Children in Kare"]]\n',
            ),
            "config.toml:3: moderation.connected_services: no staff member or case has the "
            "service 'Children in Kare'",
        ),
    ],
    ids=["unknown-audit", "moderation-without-challenge", "unknown-connected-service"],
)
def test_cli_bad_input_exits_2_located_and_writes_nothing(
    tmp_path: Path, change: Callable, message: str
) -> None:
    authority = challenged()
    change(authority)
    data_dir = authority.write(tmp_path / "data")
    result = run_moderate(data_dir, tmp_path / "out")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message in result.stderr.splitlines()
    assert not (tmp_path / "out").exists()


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    data_dir = challenged().write(tmp_path / "data")
    bad_date = run_moderate(data_dir, tmp_path / "out", as_of="2026-02-30")
    assert bad_date.exit_code == 2
    assert "expected a date as YYYY-MM-DD" in bad_date.stderr
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run_moderate(data_dir, out).exit_code == 2
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # Contract §2: a folder caseaudit did not write is refused even with --force; its
    # own earlier output is replaced only with --force.
    assert run_moderate(data_dir, out, "--force").exit_code == 2
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    ours = tmp_path / "ours"
    assert run_moderate(data_dir, ours).exit_code == 0
    assert run_moderate(data_dir, ours).exit_code == 2
    assert run_moderate(data_dir, ours, "--force").exit_code == 0
    assert "Example:" in run("moderate", "--help").stdout


# -- generated data and reruns ----------------------------------------------------------------


@pytest.fixture(scope="module")
def median_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("median")
    tables = generate_tables("median", 0)
    dirs = {}
    for file_format in ("csv", "parquet"):
        dirs[file_format] = root / file_format
        write_input_tables(dirs[file_format], tables, file_format)
    return dirs


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_reruns_are_byte_identical(
    tmp_path: Path, median_dirs: dict[str, Path], file_format: str
) -> None:
    # The ledger's last day: generated data hold challenges still waiting for a moderator.
    as_of = "2026-02-28"
    outputs = []
    for run_number in (1, 2):
        out = tmp_path / f"run{run_number}"
        result = run_moderate(median_dirs[file_format], out, as_of=as_of)
        assert result.exit_code == 0, result.stdout + result.stderr
        outputs.append({p.name: p.read_bytes() for p in out.iterdir() if p.suffix != ".json"})
    assert outputs[0] == outputs[1]
    assert pd.read_parquet(tmp_path / "run1" / "moderation.parquet").shape[0] >= 2


def test_generated_moderators_come_from_several_services(median_dirs: dict[str, Path]) -> None:
    staff = pd.read_parquet(median_dirs["parquet"] / "staff.parquet")
    assert staff.loc[staff["can_moderate"], "service"].nunique() >= 3


def test_unmoderated_counts_agree_with_the_blockers_pair_by_pair(
    median_dirs: dict[str, Path],
) -> None:
    # The unmoderated reasons count every (audit, manager) pair at once (a national run
    # leaves hundreds of audits to hundreds of managers); pair by pair, the first rule
    # of moderation_blockers gives the same counts, for every audit waiting on the
    # ledger's last day, with every manager full (so each free pair counts as filled).
    data = load(median_dirs["parquet"])
    problem = build_moderation_problem(data, dt.date(2026, 2, 28))
    managers = list(problem.moderators["staff_id"])
    full = pd.Series(problem.cap, index=managers)
    audits = list(problem.audits.loc[~problem.audits["details_missing"], "audit_id"])
    assert audits and managers
    expected = {}
    for audit_id in audits:
        counted: Counter[str] = Counter()
        for staff_id in managers:
            blockers = moderation_blockers(problem, audit_id, staff_id)
            counted[blockers[0].rule if blockers else "filled"] += 1
        expected[audit_id] = counted
    assert _first_rule_counts(problem, audits, full) == expected
    # A manager with room whom no rule bars would have taken the audit.
    with pytest.raises(RuntimeError, match="plan not maximal"):
        _first_rule_counts(problem, audits, pd.Series(0, index=managers))
