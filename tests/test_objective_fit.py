"""The month's objective always fits 64-bit integers (issue 23, contract §4).

The tiers (coverage, minimal change, preferences, tie-break) used to be folded into one
integer whose weights multiply the worst case of every tier below: at national scale a
re-plan's cost passed 2^62 even with every weight 1. Tiers now share a stage only while
their folded cost fits; the stages are solved one after the other, each keeping exactly
the plans optimal for the ones before it (their flow's potentials).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner

import caseaudit.plans.month.adapter as month
from builders import MONTH, Authority, allocated, resolve, solve
from caseaudit.cli.main import cli
from caseaudit.plans.month.adapter import (
    INT64_SAFE,
    TIERS,
    _fits,
    _stage_weights,
    _TierReach,
    plan_stages,
)


def national_reach(n: int, unit_preference: int) -> dict[str, _TierReach]:
    """Each tier's reach on a month of ``n`` open cases with a previous plan: coverage
    costs 2 per due re-audit left out, a change 1 per case, a preference at most
    ``unit_preference`` per case, the tie-break at most 1023 per case."""
    return {
        "coverage": _TierReach(2 * n, 2),
        "change": _TierReach(n, 1),
        "preference": _TierReach(n * unit_preference, unit_preference),
        "tie_break": _TierReach(n * 1023, 1023),
    }


def test_national_replan_is_split_where_the_product_overflowed() -> None:
    # National: 15,000 cases, 20,000 auditors, preference unit 58 (default weights,
    # 30 + 10 + 2 × 9 audits). The old product: tie 15,000 × 1,023 ≈ 1.5e7 → preference
    # weight; × (15,000 × 58 + 1) ≈ 1.3e13 → change weight; × (15,000 + 1) ≈ 2.0e17 →
    # coverage weight, and × 2 × 15,000 ≈ 6e21 > 2^62 ≈ 4.6e18: it overflowed.
    n, nodes = 15_000, 15_000 + 20_000 + 2
    reach = national_reach(n, 58)
    old = _stage_weights(list(TIERS), reach)
    assert old["coverage"] * reach["coverage"].total >= INT64_SAFE
    assert not _fits(list(TIERS), reach, nodes)
    # Now: coverage, change and preferences fold to a coverage weight of
    # (15,000 × 58 + 1) × (15,000 + 1) ≈ 1.3e10, × 30,000 ≈ 3.9e14 < 2^62; the tie-break
    # is a stage of its own, whose unit costs are at most 1,023.
    assert plan_stages(reach, nodes) == [["coverage", "change", "preference"], ["tie_break"]]


def test_every_weight_at_its_maximum_still_fits_in_stages() -> None:
    # Every weight 10,000 and ten audits a year: a preference unit of
    # 10,000 + 10,000 + 10,000 × 11 = 130,000. Whatever the stages, each one's folded
    # cost fits: the total over a plan and one unit times the node count.
    for n in (10, 15_000, 1_000_000):
        nodes = 2 * n + 2
        reach = national_reach(n, 130_000)
        stages = plan_stages(reach, nodes)
        assert [tier for stage in stages for tier in stage] == list(TIERS)
        assert all(_fits(stage, reach, nodes) for stage in stages)


def test_a_tier_that_cannot_fit_alone_is_refused() -> None:
    # A preference unit of 2^50 on a million nodes: 2^50 × 1e6 ≈ 1.1e21 > 2^62, alone.
    reach = national_reach(1_000, 1 << 50)
    with pytest.raises(OverflowError, match="preference tier alone"):
        plan_stages(reach, 1_000_000)


def two_case_month() -> Authority:
    """C1 and C2; T1 and T2, two Fostering team managers, the only auditors."""
    authority = Authority().case("C1").case("C2")
    authority.staff("T1", role="team_manager", service="Fostering", team="Team 8")
    authority.staff("T2", role="team_manager", service="Fostering", team="Team 9")
    return authority


@pytest.mark.parametrize("limit_bits", [62, 16])
def test_replan_in_stages_is_the_lexicographic_optimum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit_bits: int
) -> None:
    # The first plan gives each case one of T1, T2. Then P9 joins and the auditor of C1
    # is exempted from it (approved by the Assistant Director). Coverage first: both
    # cases are covered either way. Fewest changes next: only C1 must move, and the one
    # free auditor is P9, so C1 → P9 and C2 keeps its auditor — one change, whereas any
    # plan that moves C2 too has two. With the integer width cut to 2^16 the tiers no
    # longer fold together (the tie-break's 2 × 1,023 times the preferences' reach
    # times the cases passes it): solved in stages, the plan must be the same.
    monkeypatch.setattr(month, "INT64_SAFE", 1 << limit_bits)
    authority = two_case_month()
    first = solve(authority, tmp_path)
    before = allocated(first)
    later = copy.deepcopy(authority).auditors("P9")
    later.add(
        "exemptions",
        case_id="C1",
        month=MONTH,
        auditor_id=before["C1"],
        requested_on="2026-03-03",
        decision="approved",
        decided_by="AD1",
        decided_on="2026-03-04",
    )
    result = resolve(later, tmp_path, tmp_path / "out")
    assert allocated(result) == {"C1": "P9", "C2": before["C2"]}
    solver = result.manifest["solver"]
    assert isinstance(solver, dict)
    assert solver["status"] == "optimal"
    staged = any("solved lexicographically in" in note for note in solver["notes"])
    assert staged is (limit_bits == 16)


def test_validate_names_the_weight_whose_objective_cannot_fit(tmp_path: Path) -> None:
    # fair_spread 10,000 per audit × (10,000,000 + 1) audits: one audit's preference cost
    # passes 2^31 − 1, which the staged objective needs (contract §4). Found from
    # config.toml alone, at the weight's line, exit 2, nothing written.
    data = tmp_path / "data"
    two_case_month().write(data)
    (data / "config.toml").write_text(
        "[policy]\nmax_audits_per_year = 10000000\n\n[weights]\nfair_spread = 10000\n"
    )
    outcome = CliRunner().invoke(cli, ["validate", str(data)])
    assert outcome.exit_code == 2
    assert "config.toml:5: weights.fair_spread: 10000 per audit" in outcome.output
    assert "would not fit 64-bit integers" in outcome.output
