"""The annual break plan (issue 9): ``caseaudit plan-breaks`` and ``caseaudit.plan_breaks``.

Each test builds a tiny authority with ``builders.Authority`` and argues the plan it
must get. Every plan made through ``caseaudit.plan_breaks`` (the API or the command) is
re-checked by ``checker.check_break_plan`` — the checker's own reading of the inputs —
by the autouse fixture in ``conftest.py``, emitted requests included.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

import caseaudit
import checker
from builders import Authority
from caseaudit import load
from caseaudit.cli.main import cli
from caseaudit.model.ids import fingerprint
from caseaudit.plans.break_year.adapter import (
    SOFT_RULES,
    STAGES,
    YearIndex,
    _solve_stage,
    solve_year,
)
from caseaudit.plans.break_year.problem import BREAK_RULES, build_break_year
from caseaudit.solver.core import SolveOptions

YEAR = 2026
MONTHS = [f"2026-{m:02d}" for m in range(4, 13)] + ["2027-01", "2027-02", "2027-03"]
AUGUST = "2026-08"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def plan(
    authority: Authority, tmp_path: Path, seed: int = 0, name: str = "data"
) -> caseaudit.BreakPlanResult:
    data_dir = authority.write(tmp_path / name)
    return caseaudit.plan_breaks(load(data_dir), YEAR, seed=seed)


def breaks_of(result: caseaudit.BreakPlanResult) -> dict[str, list[str]]:
    frame = result.break_plan
    return {a: sorted(frame.loc[frame["auditor_id"] == a, "month"]) for a in frame["auditor_id"]}


def pq_officers(authority: Authority, count: int, prefix: str = "P") -> Authority:
    return authority.auditors(*(f"{prefix}{i:02d}" for i in range(1, count + 1)))


def in_service(authority: Authority, service: str, ids: list[str]) -> Authority:
    for staff_id in ids:
        authority.staff(staff_id, role="iro", service=service)
    return authority


# --------------------------------------------------------------------------- needed breaks


def test_full_year_auditors_get_two_breaks_part_year_ones_k_minus_ten(tmp_path: Path) -> None:
    # Ten auditors all year: 12 eligible months, 12 - 10 = 2 breaks each. P11 starts on
    # 1 May (11 months: 1 break, never in April), P12 on 1 June (10 months: none), P13
    # leaves on 31 December (9 months: none). The caps (floor(0.2 × 11..13) = 2 a month,
    # 24 in the year) hold the 21 breaks.
    authority = pq_officers(Authority(), 10)
    authority.staff("P11", active_from="2026-05-01")
    authority.staff("P12", active_from="2026-06-01")
    authority.staff("P13", active_to="2026-12-31")
    result = plan(authority, tmp_path)
    got = breaks_of(result)
    for i in range(1, 11):
        assert len(got[f"P{i:02d}"]) == 2
    assert len(got["P11"]) == 1 and got["P11"][0] != "2026-04"
    assert "P12" not in got and "P13" not in got
    assert result.complete and result.solve.status == "optimal"
    assert set(result.break_plan["source"]) == {"assigned"}


def test_an_auditor_who_joins_mid_month_is_not_eligible_that_month(tmp_path: Path) -> None:
    # Active from 2 May: May is not a whole month, so the year has 10 eligible months
    # (June to March) and P11 needs no break at all.
    authority = pq_officers(Authority(), 10)
    authority.staff("P11", active_from="2026-05-02")
    result = plan(authority, tmp_path)
    assert "P11" not in set(result.break_plan["auditor_id"])


# --------------------------------------------------------------------------- the caps


def test_everyone_wishes_for_august_the_monthly_and_service_caps_hold(tmp_path: Path) -> None:
    # 15 auditors: 3 in Safeguarding, who wish for August at rank 1, and 12 in Fostering,
    # who wish for it at rank 2. August may lose floor(0.2 × 15) = 3 auditors in all, and
    # Safeguarding only floor(0.4 × 3) = 1 of its 3. Rank 1 goes first, but only one
    # Safeguarding wish fits its service; the other two places go to rank-2 Fostering
    # wishes. So August holds 1 + 2 and twelve wishes are unmet: two Safeguarding ones
    # for the service cap, ten Fostering ones because August is full. The year holds:
    # 30 breaks in 12 × 3 = 36 places, Safeguarding's 6 in 12 × 1.
    safeguarding = ["S1", "S2", "S3"]
    fostering = [f"F{i:02d}" for i in range(1, 13)]
    authority = in_service(Authority(), "Safeguarding", safeguarding)
    in_service(authority, "Fostering", fostering)
    for auditor in safeguarding + fostering:
        rank = 1 if auditor in safeguarding else 2
        authority.add("break_preferences", auditor_id=auditor, month=AUGUST, rank=rank)
    result = plan(authority, tmp_path)
    august = result.break_plan[result.break_plan["month"] == AUGUST]
    assert sorted(august["service"]) == ["Fostering", "Fostering", "Safeguarding"]
    assert set(august["source"]) == {"wished"}
    row = result.months.set_index("month").loc[AUGUST]
    assert (row["breaks"], row["cap"], row["Safeguarding"], row["Fostering"]) == (3, 3, 1, 2)
    reasons = result.unmet_preferences.set_index("auditor_id")["reason"]
    assert len(reasons) == 12
    for auditor, reason in reasons.items():
        if auditor in safeguarding:
            assert reason == (
                f"Safeguarding's cap in {AUGUST} is full: 1 of 1 (1 equal claim (drawn by lot "
                "where all else is equal))"
            )
        else:
            assert reason == (
                f"{AUGUST} is full: 3 of 3 (1 better-ranked wish, 2 equal claims (drawn by lot "
                "where all else is equal))"
            )


def test_the_service_cap_alone_turns_wishes_down(tmp_path: Path) -> None:
    # As above, but only Safeguarding wishes for August: the month has room (3), the
    # service does not (1 of 3), so one wish is met and two are unmet for the service cap.
    # Without the service-cap rule in the list, all three would be met.
    safeguarding = ["S1", "S2", "S3"]
    authority = in_service(Authority(), "Safeguarding", safeguarding)
    in_service(authority, "Fostering", [f"F{i:02d}" for i in range(1, 13)])
    for auditor in safeguarding:
        authority.add("break_preferences", auditor_id=auditor, month=AUGUST, rank=1)
    result = plan(authority, tmp_path)
    assert len(result.unmet_preferences) == 2
    assert all(
        r.startswith(f"Safeguarding's cap in {AUGUST} is full: 1 of 1 (1 equal claim")
        for r in result.unmet_preferences["reason"]
    )
    data = load(tmp_path / "data")
    without = tuple(rule for rule in BREAK_RULES if rule.id != "service_cap")
    loose = solve_year(build_break_year(data, YEAR, without), seed=0)
    assert set(loose.plan.loc[loose.plan["month"] == AUGUST, "auditor_id"]) == set(safeguarding)


def test_the_caps_are_computed_in_exact_decimals(tmp_path: Path) -> None:
    # max_break_fraction 0.29 and 100 auditors: floor(0.29 × 100) = 29, where binary
    # floats would say 0.29 × 100 = 28.999999999999996 and a cap of 28.
    authority = pq_officers(Authority(), 100, prefix="Q")
    authority.config_toml = "[policy]\nmax_break_fraction = 0.29\n"
    result = plan(authority, tmp_path)
    assert set(result.months["cap"]) == {29}


def test_a_service_named_like_a_column_gets_its_own_column(tmp_path: Path) -> None:
    # break_plan_months has a column per service after month, eligible, breaks and cap:
    # a service called "cap" must not overwrite the cap.
    authority = in_service(Authority(), "cap", [f"C{i}" for i in range(1, 6)])
    result = plan(authority, tmp_path)
    assert list(result.months.columns) == [
        "month",
        "eligible",
        "breaks",
        "cap",
        "cap (service)",
        "past",
    ]
    assert result.months["cap"].tolist() == [1] * 12
    assert result.months["cap (service)"].sum() == 10


# --------------------------------------------------------------------------- history


def test_past_months_are_fixed_by_history(tmp_path: Path) -> None:
    # History holds April and May 2026: both are past. In April P05 audited nothing (a
    # break); in May P04 audited nothing and P03's only audit was cancelled (two breaks,
    # over May's cap of floor(0.2 × 5) = 1 — history is not re-planned). So P03, P04 and
    # P05 need one more break each, P01 and P02 two, none of them in April or May.
    authority = pq_officers(Authority(), 5)
    for auditor in ("P01", "P02", "P03", "P04"):
        authority.history("2026-04", f"C-{auditor}-4", auditor)
    for auditor in ("P01", "P02", "P05"):
        authority.history("2026-05", f"C-{auditor}-5", auditor)
    authority.history("2026-05", "C-P03-5", "P03", status="cancelled")
    authority.add("break_preferences", auditor_id="P05", month="2026-04", rank=1)
    authority.add("break_preferences", auditor_id="P01", month="2026-04", rank=1)
    result = plan(authority, tmp_path)
    frame = result.break_plan
    past = frame[frame["month"].isin(["2026-04", "2026-05"])]
    assert sorted(zip(past["auditor_id"], past["month"], strict=True)) == [
        ("P03", "2026-05"),
        ("P04", "2026-05"),
        ("P05", "2026-04"),
    ]
    assert set(past["source"]) == {"taken"}
    assert set(frame.loc[~frame.index.isin(past.index), "source"]) == {"assigned"}
    assert {a: len(m) for a, m in breaks_of(result).items()} == {f"P0{i}": 2 for i in range(1, 6)}
    # P05's wish for April is met by the break history shows; P01's is past.
    assert frame.set_index(["auditor_id", "month"]).loc[("P05", "2026-04"), "preference_rank"] == 1
    unmet = result.unmet_preferences.set_index("auditor_id")
    assert unmet.loc["P01", "reason"] == "2026-04 is past: P01 audited then (history)"
    assert result.months.set_index("month").loc["2026-05", ["breaks", "cap", "past"]].tolist() == [
        2,
        1,
        True,
    ]


def test_popular_month_fairness_prefers_those_without_last_years_break(tmp_path: Path) -> None:
    # Ten auditors, August's cap floor(0.2 × 10) = 2. P01, P02 and P03 all wish for
    # August at rank 1; history shows P01 had August 2025 off (no audit) while P02 and
    # P03 audited then. Equal wishes, so fairness decides: P02 and P03 get August, P01
    # does not — whatever the seed (the draw by lot comes only after fairness).
    authority = pq_officers(Authority(), 10)
    for i in range(2, 11):
        authority.history("2025-08", f"C{i:02d}", f"P{i:02d}")
    for auditor in ("P01", "P02", "P03"):
        authority.add("break_preferences", auditor_id=auditor, month=AUGUST, rank=1)
    data_dir = authority.write(tmp_path / "data")
    for seed in range(3):
        result = caseaudit.plan_breaks(load(data_dir), YEAR, seed=seed)
        got = result.break_plan[result.break_plan["month"] == AUGUST]
        assert set(got["auditor_id"]) == {"P02", "P03"}, seed
        (reason,) = result.unmet_preferences["reason"]
        assert reason == (f"{AUGUST} is full: 2 of 2 (2 fairer claims (no break there last year))")


def test_better_ranks_first(tmp_path: Path) -> None:
    # Ten auditors, August's cap 2. P01 and P02 wish for August at rank 1, P03 at rank 2,
    # P04 at rank 3: the two rank-1 wishes take August. P03 also wishes for September at
    # rank 1, which fits: the most wishes are met (three), and the two unmet say why.
    authority = pq_officers(Authority(), 10)
    for auditor, rank in (("P01", 1), ("P02", 1), ("P03", 2), ("P04", 3)):
        authority.add("break_preferences", auditor_id=auditor, month=AUGUST, rank=rank)
    authority.add("break_preferences", auditor_id="P03", month="2026-09", rank=1)
    result = plan(authority, tmp_path)
    got = breaks_of(result)
    assert AUGUST in got["P01"] and AUGUST in got["P02"] and "2026-09" in got["P03"]
    unmet = result.unmet_preferences.set_index(["auditor_id", "month"])["reason"]
    assert unmet.to_dict() == {
        ("P03", AUGUST): f"{AUGUST} is full: 2 of 2 (2 better-ranked wishes)",
        ("P04", AUGUST): f"{AUGUST} is full: 2 of 2 (2 better-ranked wishes)",
    }


# --------------------------------------------------------------------------- requests


def test_requests_are_kept_first_come_first_served_within_the_caps(tmp_path: Path) -> None:
    # Ten auditors, June's cap 2. Three requests for June: P03's on time (10 May), P01's
    # on time but later (20 May), P02's late (3 June). The first two are kept; P02's is
    # not, as June is full with earlier requests. P02's wish for June goes unmet too.
    authority = pq_officers(Authority(), 10)
    authority.add("breaks", auditor_id="P03", month="2026-06", requested_on="2026-05-10")
    authority.add("breaks", auditor_id="P01", month="2026-06", requested_on="2026-05-20")
    authority.add("breaks", auditor_id="P02", month="2026-06", requested_on="2026-06-03")
    authority.add("break_preferences", auditor_id="P02", month="2026-06", rank=1)
    result = plan(authority, tmp_path)
    decisions = result.request_decisions.set_index("auditor_id")
    assert decisions["decision"].to_dict() == {"P01": "kept", "P02": "not_kept", "P03": "kept"}
    assert (
        decisions.loc["P02", "reason"] == "not kept: 2026-06 is full: 2 of 2 (2 earlier requests)"
    )
    june = result.break_plan[result.break_plan["month"] == "2026-06"]
    assert set(june["source"]) == {"requested"}
    (reason,) = result.unmet_preferences["reason"]
    assert reason == "2026-06 is full: 2 of 2 (2 kept requests)"


# --------------------------------------------------------------------------- a year too full


def infeasible_authority() -> Authority:
    # Five auditors all year (two breaks each) and three from April to February (11
    # months: one break each) need 13 breaks; every month's cap is floor(0.2 × 8) = 1 or,
    # in March, floor(0.2 × 5) = 1: 12 places. Short by one.
    authority = pq_officers(Authority(), 5)
    for staff_id in ("T1", "T2", "T3"):
        authority.staff(staff_id, active_from="2026-04-01", active_to="2027-02-28")
    return authority


def test_an_infeasible_year_names_the_full_months_and_the_shortfall(tmp_path: Path) -> None:
    data_dir = infeasible_authority().write(tmp_path / "data")
    out = tmp_path / "out"
    result = run("plan-breaks", str(data_dir), "--year", str(YEAR), "--out", str(out))
    assert result.exit_code == 3, result.output
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("the year cannot be planned: 1 needed break has no month")
    assert "the caps fall short by 1 break" in message
    for month in MONTHS:
        assert f"{month} (1 of 1)" in message
    # The best plan keeping every other hard rule is written: every month at its cap.
    months = pd.read_csv(out / "break_plan_months.csv")
    assert months["breaks"].tolist() == [1] * 12
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["unplaced_breaks"] == 1
    assert manifest["shortfall"] == message


def test_an_auditor_with_too_few_months_left_is_named(tmp_path: Path) -> None:
    # History holds April to February and P01 audited in every one of those months (over
    # the yearly maximum, but history is what it is): P01 still needs both breaks and
    # only March is left. One is placed there; the other has no month, and the message
    # says so without blaming any cap.
    authority = pq_officers(Authority(), 10)
    for month in MONTHS[:11]:
        authority.history(month, f"C{month}", "P01")
    result = plan(authority, tmp_path)
    assert result.shortfall is not None
    assert "P01 needs 2 breaks but can take one in only 1 planned month" in result.shortfall
    assert "caps fall short" not in result.shortfall


# --------------------------------------------------------------------------- allocate


@pytest.mark.parametrize("preset", ["small", "median", "largest"])
def test_every_preset_year_can_be_planned(preset: str) -> None:
    # The generator's authorities must be plannable as they stand: every auditor's needed
    # breaks (§2) fit under the monthly and service caps. A service with a lone auditor
    # has a service cap of floor(0.40 × 1) = 0, so a generator that leaves one (as an
    # auditing assistant director alone in the directorate once did) fails here.
    result = caseaudit.plan_breaks(caseaudit.generate(preset, 0), YEAR)
    assert result.shortfall is None
    assert result.complete
    assert int(result.solve.unplaced.sum()) == 0


def test_emitted_requests_are_granted_by_allocate_in_every_month(tmp_path: Path) -> None:
    # Ten auditors with wishes and a kept request; the plan is written with
    # --emit-requests, its breaks.csv replaces the data's, and allocate runs for each
    # month of the year: every planned break is granted, none refused.
    authority = pq_officers(Authority(), 10)
    authority.add("breaks", auditor_id="P03", month="2026-06", requested_on="2026-05-10")
    authority.add("break_preferences", auditor_id="P01", month=AUGUST, rank=1)
    authority.add("break_preferences", auditor_id="P02", month="2026-12", rank=1)
    for month in MONTHS:
        authority.case(f"C{month}", month=month)
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "plan"
    result = run(
        "plan-breaks", str(data_dir), "--year", str(YEAR), "--out", str(out), "--emit-requests"
    )
    assert result.exit_code == 0, result.output
    shutil.copy(out / "breaks.csv", data_dir / "breaks.csv")
    planned = pd.read_csv(out / "breaks.csv", dtype=str)
    assert len(planned) == 20
    data = load(data_dir)
    for month in MONTHS:
        decisions = caseaudit.allocate(data, month).break_decisions
        assert set(decisions["decision"]) <= {"granted"}, month
        expected = set(planned.loc[planned["month"] == month, "auditor_id"])
        assert set(decisions["auditor_id"]) == expected, month


def test_the_merged_breaks_keep_other_years_and_take_the_plans_months(tmp_path: Path) -> None:
    # Ten auditors (a month's cap 2). The data holds a break of the year before (P05,
    # 2025-06: kept as it is, not this plan's), P03's kept June request, and no other.
    # breaks_merged.csv = that old row + every planned break of the year (the emitted
    # requests, 20 of them as in the test above): replacing breaks.csv by it, allocate
    # grants June exactly as planned. The data's breaks.csv is never written.
    authority = pq_officers(Authority(), 10)
    authority.add("breaks", auditor_id="P05", month="2025-06", requested_on="2025-05-01")
    authority.add("breaks", auditor_id="P03", month="2026-06", requested_on="2026-05-10")
    authority.case("C1", month="2026-06")
    data_dir = authority.write(tmp_path / "data")
    before = (data_dir / "breaks.csv").read_bytes()
    out = tmp_path / "plan"
    result = run(
        "plan-breaks", str(data_dir), "--year", str(YEAR), "--out", str(out), "--emit-requests"
    )
    assert result.exit_code == 0, result.output
    assert (data_dir / "breaks.csv").read_bytes() == before
    emitted = pd.read_csv(out / "breaks.csv", dtype=str)
    merged = pd.read_csv(out / "breaks_merged.csv", dtype=str)
    old = merged[merged["month"] == "2025-06"].to_dict("records")
    assert old == [{"auditor_id": "P05", "month": "2025-06", "requested_on": "2025-05-01"}]
    rest = merged[merged["month"] != "2025-06"]
    key = ["month", "auditor_id"]
    assert len(emitted) == 20
    assert rest.sort_values(key).values.tolist() == emitted.sort_values(key).values.tolist()
    shutil.copy(out / "breaks_merged.csv", data_dir / "breaks.csv")
    june = caseaudit.allocate(load(data_dir), "2026-06").break_decisions
    assert set(june["decision"]) == {"granted"}
    planned = set(emitted.loc[emitted["month"] == "2026-06", "auditor_id"])
    assert set(june["auditor_id"]) == planned
    assert "P03" in planned


def test_a_kept_late_request_is_emitted_on_time(tmp_path: Path) -> None:
    # Ten auditors (June's cap 2). P03 asked for June on time (10 May); P01 asked on
    # 3 June, late, and June still has room, so both are kept. The emitted breaks.csv is
    # for allocate, which grants an on-time request first: P03's keeps its own day, and
    # P01's must not carry its late 3 June (allocate would see a late request) but the
    # plan's day, 31 March, the day before the year's first planned month. Allocate of
    # June then grants both as on time.
    authority = pq_officers(Authority(), 10)
    authority.add("breaks", auditor_id="P03", month="2026-06", requested_on="2026-05-10")
    authority.add("breaks", auditor_id="P01", month="2026-06", requested_on="2026-06-03")
    authority.case("C1", month="2026-06")
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "plan"
    result = run(
        "plan-breaks", str(data_dir), "--year", str(YEAR), "--out", str(out), "--emit-requests"
    )
    assert result.exit_code == 0, result.output
    decisions = pd.read_csv(out / "request_decisions.csv", dtype=str).set_index("auditor_id")
    assert decisions["decision"].to_dict() == {"P01": "kept", "P03": "kept"}
    emitted = pd.read_csv(out / "breaks.csv", dtype=str)
    june = emitted[emitted["month"] == "2026-06"].set_index("auditor_id")["requested_on"]
    assert june.to_dict() == {"P01": "2026-03-31", "P03": "2026-05-10"}
    shutil.copy(out / "breaks.csv", data_dir / "breaks.csv")
    granted = caseaudit.allocate(load(data_dir), "2026-06").break_decisions
    assert granted[["auditor_id", "decision", "on_time"]].values.tolist() == [
        ["P01", "granted", True],
        ["P03", "granted", True],
    ]


# --------------------------------------------------------------------------- the checker


@pytest.fixture
def written_plan(tmp_path: Path) -> tuple[Path, Path]:
    authority = pq_officers(Authority(), 10)
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "out"
    caseaudit.plan_breaks(load(data_dir), YEAR).write(out, emit_requests=True)
    return data_dir, out


def _mutate(out: Path, name: str, change: Callable[[list[dict]], list[dict]]) -> Path:
    copy = Path(shutil.copytree(out, out.parent / f"mutated-{name}"))
    rows = pq.read_table(copy / f"{name}.parquet").to_pylist()
    table = pq.read_table(copy / f"{name}.parquet")
    pq.write_table(
        pa.Table.from_pylist(change(rows), schema=table.schema), copy / f"{name}.parquet"
    )
    return copy


def test_the_checker_accepts_a_valid_plan(written_plan: tuple[Path, Path]) -> None:
    data_dir, out = written_plan
    assert checker.check_break_plan(data_dir, out, YEAR) == []


def test_the_checker_finds_a_third_break(written_plan: tuple[Path, Path]) -> None:
    data_dir, out = written_plan

    # A third break for P01 in a month already at its cap of 2.
    full = pd.read_csv(out / "break_plan_months.csv", dtype={"month": str})
    full_months = set(full.loc[full["breaks"] == full["cap"], "month"])

    def third(rows: list[dict]) -> list[dict]:
        mine = [r for r in rows if r["auditor_id"] == "P01"]
        spare = min(full_months - {r["month"] for r in mine})
        return [*rows, {**mine[0], "month": spare}]

    found = checker.check_break_plan(data_dir, _mutate(out, "break_plan", third), YEAR)
    assert any("P01 has 3 breaks, needs 2" in v for v in found)
    assert any(v.endswith("3 breaks, cap 2 [monthly cap]") for v in found)
    assert any("breaks 2, expected 3 [month table]" in v for v in found)


def test_the_checker_finds_a_break_outside_the_eligible_months(
    written_plan: tuple[Path, Path],
) -> None:
    data_dir, out = written_plan

    def stranger(rows: list[dict]) -> list[dict]:
        return [*rows, {**rows[0], "auditor_id": "SW1", "month": "2026-04"}]

    found = checker.check_break_plan(data_dir, _mutate(out, "break_plan", stranger), YEAR)
    assert any("SW1 in 2026-04: not an auditor eligible" in v for v in found)


def test_the_checker_finds_a_late_emitted_request(written_plan: tuple[Path, Path]) -> None:
    data_dir, out = written_plan

    def late(rows: list[dict]) -> list[dict]:
        first = rows[0]
        return [{**first, "requested_on": pd.Timestamp(first["month"] + "-02").date()}, *rows[1:]]

    found = checker.check_break_plan(data_dir, _mutate(out, "breaks", late), YEAR)
    assert any("(late) [emitted requests]" in v for v in found)


# --------------------------------------------------------------------------- reruns, CLI


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    authority = in_service(Authority(), "Safeguarding", ["S1", "S2", "S3"])
    in_service(authority, "Fostering", [f"F{i:02d}" for i in range(1, 13)])
    for auditor in ("S1", "F01", "F02", "F03"):
        authority.add("break_preferences", auditor_id=auditor, month=AUGUST, rank=1)
    data_dir = authority.write(tmp_path / "data")
    outputs = []
    for attempt in ("a", "b"):
        out = tmp_path / attempt
        result = run(
            "plan-breaks", str(data_dir), "--year", "2026", "--out", str(out), "--emit-requests"
        )
        assert result.exit_code == 0, result.output
        outputs.append(out)
    files = sorted(p.name for p in outputs[0].iterdir() if p.suffix in (".csv", ".parquet", ".png"))
    assert {"break_plan.csv", "break_plan_months.parquet", "breaks.csv", "break_plan.png"} <= set(
        files
    )
    for name in files:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name


def test_cli_help_has_an_example() -> None:
    result = run("plan-breaks", "--help")
    assert result.exit_code == 0
    assert "Example: caseaudit plan-breaks data/ --year 2026" in result.output


def test_cli_writes_every_table_and_refuses_a_full_folder(tmp_path: Path) -> None:
    data_dir = pq_officers(Authority(), 10).write(tmp_path / "data")
    out = tmp_path / "out"
    result = run("plan-breaks", str(data_dir), "--year", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("audit year 2026-04..2027-03: 20 breaks")
    names = {p.name for p in out.iterdir()}
    for table in ("break_plan", "break_plan_months", "unmet_preferences", "request_decisions"):
        assert {f"{table}.csv", f"{table}.parquet"} <= names
    assert {"break_plan.png", "manifest.json"} <= names and "breaks.csv" not in names
    assert (out / "break_plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = (out / "break_plan_months.csv").read_text().splitlines()[0]
    assert header == "month,eligible,breaks,cap,Performance and Quality,past"
    again = run("plan-breaks", str(data_dir), "--year", "2026", "--out", str(out))
    assert again.exit_code == 2 and "pass --force" in again.stderr
    forced = run("plan-breaks", str(data_dir), "--year", "2026", "--out", str(out), "--force")
    assert forced.exit_code == 0


def test_cli_bad_input_writes_nothing(tmp_path: Path) -> None:
    authority = pq_officers(Authority(), 3)
    authority.add("break_preferences", auditor_id="NOBODY", month=AUGUST, rank=1)
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "out"
    result = run("plan-breaks", str(data_dir), "--year", "2026", "--out", str(out))
    assert result.exit_code == 2
    assert "break_preferences.csv:2: auditor_id: unknown staff_id 'NOBODY'" in result.stderr
    assert not out.exists()
    bad_year = run("plan-breaks", str(data_dir), "--year", "26x", "--out", str(out))
    assert bad_year.exit_code == 2 and not out.exists()


# --------------------------------------------------------------------------- the folding


def _lex_vector(index, stage, terms, chosen):  # type: ignore[no-untyped-def]
    """A plan's tier totals in the stage's order (what lexicographic optimality ranks)."""
    placed = np.bincount(index.pair_task[chosen], minlength=index.n_tasks)
    load = np.bincount(index.pair_month[chosen], minlength=len(index.months))
    vector = []
    for tier in stage.tiers:
        term, total = terms[tier], 0
        if term.pair is not None:
            total += int(term.pair[chosen].sum())
        if term.uncovered is not None:
            total += int((term.uncovered * (index.demand - placed)).sum())
        if term.month_slots is not None:
            total += sum(int(s[:n].sum()) for s, n in zip(term.month_slots, load, strict=True))
        vector.append(total)
    return tuple(vector)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_each_stage_is_the_lexicographic_optimum_of_its_tiers(data: st.DataObject) -> None:
    # Random tiny years (every plan enumerated): the stage's single folded cost, with
    # weights bounded by what one residual cycle can change, picks a plan whose tier
    # vector is the lexicographic minimum over every plan that keeps the caps.
    n_tasks = data.draw(st.integers(1, 3))
    n_months = data.draw(st.integers(1, 3))
    n_services = data.draw(st.integers(1, 2))
    task_service = [data.draw(st.integers(0, n_services - 1)) for _ in range(n_tasks)]
    cells = sorted({(m, s) for m in range(n_months) for s in task_service})
    pairs = [
        (t, cells.index((m, task_service[t])))
        for t in range(n_tasks)
        for m in range(n_months)
        if data.draw(st.booleans())
    ]
    if not pairs:
        return
    n = len(pairs)
    index = YearIndex(
        auditor_ids=np.array([f"A{t}" for t in range(n_tasks)], dtype=object),
        demand=np.array([data.draw(st.integers(1, 2)) for _ in range(n_tasks)]),
        months=np.array([f"2026-{4 + m:02d}" for m in range(n_months)], dtype=object),
        month_cap=np.array([data.draw(st.integers(0, 3)) for _ in range(n_months)]),
        agent_month=np.array([m for m, _ in cells]),
        agent_service=np.array([f"S{s}" for _, s in cells], dtype=object),
        agent_cap=np.array([data.draw(st.integers(0, 2)) for _ in cells]),
        pair_task=np.array([t for t, _ in pairs]),
        pair_agent=np.array([a for _, a in pairs]),
        pair_rank=np.array([data.draw(st.sampled_from([-1, -1, 1, 2, 3])) for _ in pairs]),
        pair_had_break=np.array([data.draw(st.booleans()) for _ in pairs]),
        pair_request=np.array([data.draw(st.sampled_from([-1, -1, 0, 1, 2])) for _ in pairs]),
        auditor_fingerprint=fingerprint([f"A{t}" for t in range(n_tasks)]),
        month_fingerprint=fingerprint([f"M{m}" for m in range(n_months)]),
    )
    seed = data.draw(st.integers(0, 3))
    terms = {rule.id: rule.function(index, seed) for rule in SOFT_RULES}
    stage = data.draw(st.sampled_from(STAGES))
    everything = np.ones(n, dtype=bool)
    chosen, _ = _solve_stage(index, stage, terms, ~everything, everything, SolveOptions(seed=seed))
    best = None
    for bits in itertools.product([False, True], repeat=n):
        plan_mask = np.array(bits)
        tasks = np.bincount(index.pair_task[plan_mask], minlength=n_tasks)
        agents = np.bincount(index.pair_agent[plan_mask], minlength=len(cells))
        months = np.bincount(index.pair_month[plan_mask], minlength=n_months)
        if (tasks > index.demand).any() or (agents > index.agent_cap).any():
            continue
        if (months > index.month_cap).any():
            continue
        vector = _lex_vector(index, stage, terms, plan_mask)
        best = vector if best is None or vector < best else best
    assert _lex_vector(index, stage, terms, chosen) == best
