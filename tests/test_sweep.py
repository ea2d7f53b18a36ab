"""``sweep`` (issue 12): the same numbers on any executor, and changes that do what they say.

The executor tests run a few small scenarios (the small preset) on a process pool of one
and of two workers, and on a real ``dask.distributed`` LocalCluster of two worker
processes that the test starts and stops itself.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from caseaudit import (
    LoseStaff,
    MergeTeams,
    Scenario,
    SetConfig,
    WantMonthOff,
    generate,
    sweep,
)
from caseaudit.synth import DEFAULT_MONTH
from caseaudit.whatif.sweep import FIGURES, run_scenario

SCENARIOS = [
    Scenario("as it is"),
    Scenario("cap 10%", (SetConfig("policy", "max_break_fraction", "0.10"),)),
    Scenario("no P&Q officers", (LoseStaff(DEFAULT_MONTH, role="pq_officer"),)),
    Scenario("two months", months=2, seed=3, challenge_rate=0.2),
]


@pytest.fixture(scope="module")
def small() -> object:
    return generate("small", 0)


@pytest.fixture(scope="module")
def on_one_worker(small: object) -> pd.DataFrame:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return sweep(small, SCENARIOS, executor=pool)  # type: ignore[arg-type]


def test_one_row_per_scenario_sorted_by_name(on_one_worker: pd.DataFrame) -> None:
    assert list(on_one_worker.columns) == list(FIGURES)
    assert list(on_one_worker["scenario"]) == sorted(s.name for s in SCENARIOS)


def test_two_workers_give_identical_numbers(small: object, on_one_worker: pd.DataFrame) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        on_two = sweep(small, SCENARIOS, executor=pool)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(on_two, on_one_worker, check_exact=True)


def test_a_dask_cluster_gives_identical_numbers(small: object, on_one_worker: pd.DataFrame) -> None:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_cluster = sweep(small, SCENARIOS, executor=client.get_executor())  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(on_cluster, on_one_worker, check_exact=True)


def test_repeated_names_are_refused(small: object) -> None:
    with pytest.raises(ValueError, match="unique: twice"):
        sweep(small, [Scenario("twice"), Scenario("twice")])  # type: ignore[arg-type]


# -- the changes, recomputed in plain pandas --------------------------------------------


def test_losing_the_officers_removes_exactly_the_eligible_officers(small: object) -> None:
    # Eligible in March: is_auditor and active the whole month (contract §3). Losing
    # every P&Q officer takes exactly the eligible ones out of the count.
    staff = small["staff"]  # type: ignore[index]
    eligible = (
        (staff["is_auditor"] == True)  # noqa: E712
        & staff["active_from"].map(lambda d: d is None or str(d) <= "2026-03-01")
        & staff["active_to"].map(lambda d: d is None or str(d) >= "2026-03-31")
    )
    officers = int((eligible & (staff["role"] == "pq_officer")).sum())
    assert officers > 0
    before = run_scenario(small, SCENARIOS[0])  # type: ignore[arg-type]
    after = run_scenario(small, SCENARIOS[2])  # type: ignore[arg-type]
    assert before["eligible_auditors_min"] - after["eligible_auditors_min"] == officers


def test_the_month_off_adds_on_time_requests_for_the_share_asked(small: object) -> None:
    changed = WantMonthOff(DEFAULT_MONTH, 0.4, seed=2)(small)  # type: ignore[arg-type]
    before = small["breaks"]  # type: ignore[index]
    after = changed["breaks"]
    staff = small["staff"]  # type: ignore[index]
    auditors = int((staff["is_auditor"] == True).sum())  # noqa: E712 (small: all active)
    asked_before = set(before.loc[before["month"] == DEFAULT_MONTH, "auditor_id"])
    asked_after = set(after.loc[after["month"] == DEFAULT_MONTH, "auditor_id"])
    assert asked_before <= asked_after
    assert len(asked_after) >= round(0.4 * auditors)
    new = after[~after["auditor_id"].isin(asked_before) & (after["month"] == DEFAULT_MONTH)]
    assert (new["requested_on"].astype(str) == "2026-02-01").all()


def test_merging_two_teams_puts_their_staff_and_cases_in_one(small: object) -> None:
    cases = small["cases"]  # type: ignore[index]
    teams = sorted(cases["team"].dropna().unique())[:2]
    merged = MergeTeams("Safeguarding", (teams[0], teams[1]))(small)  # type: ignore[arg-type]
    for table in ("staff", "cases"):
        frame = small[table]  # type: ignore[index]
        was = (frame["service"] == "Safeguarding") & frame["team"].isin(teams)
        now = merged[table]
        assert (now.loc[was.to_numpy(), "team"] == teams[0]).all()
        assert int((now["team"] == teams[1]).sum()) == 0
        assert int((now["team"] == teams[0]).sum()) == int(was.sum())


def test_losing_staff_must_say_who() -> None:
    with pytest.raises(ValueError, match="who leaves"):
        LoseStaff(DEFAULT_MONTH)
