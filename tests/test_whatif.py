"""The notebook API (issue 12): ``Dataset.replace``, ``generate`` and ``simulate_year``.

The year is re-checked month by month by the independent checker (``checker.py``: plain
pandas over the files, no caseaudit code) and its ledger by plain pandas here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from dateutil.relativedelta import relativedelta

import caseaudit
from caseaudit import InputError, generate, load, simulate_year
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.model.calendar import add_months
from caseaudit.synth import DEFAULT_MONTH, generate_tables
from checker import check_allocation

LINE = "_line"


def _tables(data: caseaudit.Dataset) -> dict[str, pd.DataFrame]:
    return {name: frame.drop(columns=[LINE]) for name, frame in data.tables.items()}


def _fewer_officers(staff: pd.DataFrame) -> pd.DataFrame:
    """Every P&Q officer leaves at the end of February (so none is eligible in March)."""
    changed = staff.drop(columns=[LINE])
    officers = changed["role"] == "pq_officer"
    changed.loc[officers, "active_from"] = None
    changed.loc[officers, "active_to"] = dt.date(2026, 2, 28)
    return changed


def test_load_replace_allocate_gives_the_cli_files_for_the_same_inputs(tmp_path: Path) -> None:
    # The same change made twice: in memory (replace) and in files (a data directory the
    # CLI reads). Every CSV table written must be byte-identical; the manifest differs
    # only by what it says about the inputs' origin, so it is left out.
    tables = generate_tables("small", 3)
    original = tmp_path / "original"
    write_input_tables(original, tables, "csv")
    data = load(original)
    staff = _fewer_officers(data["staff"])
    changed = data.replace(staff=staff, config={"policy": {"max_break_fraction": "0.30"}})

    edited = tmp_path / "edited"
    write_input_tables(edited, {**tables, "staff": staff}, "csv")
    (edited / "config.toml").write_text("[policy]\nmax_break_fraction = 0.30\n")
    cli_out = tmp_path / "cli"
    run = CliRunner().invoke(
        cli, ["allocate", str(edited), "--month", DEFAULT_MONTH, "--out", str(cli_out)]
    )
    api_out = tmp_path / "api"
    result = caseaudit.allocate(changed, DEFAULT_MONTH)
    result.write(api_out)
    # Without its officers the small authority leaves cases open; both agree on that too.
    assert run.exit_code == (0 if result.fully_allocated else 3), run.output
    csv_files = sorted(p.name for p in cli_out.glob("*.csv"))
    assert csv_files == sorted(p.name for p in api_out.glob("*.csv"))
    assert "allocations.csv" in csv_files
    for name in csv_files:
        assert (api_out / name).read_bytes() == (cli_out / name).read_bytes(), name


def test_replace_changes_only_what_is_given() -> None:
    data = generate("small", 0)
    changed = data.replace(config={"policy": {"max_break_fraction": "0.25"}})
    assert str(changed.config.policy.max_break_fraction) == "0.25"
    assert changed.config.policy.max_audits_per_year == data.config.policy.max_audits_per_year
    for name, frame in _tables(data).items():
        pd.testing.assert_frame_equal(changed[name].drop(columns=[LINE]), frame)


def test_replace_reports_what_the_same_file_would_report(tmp_path: Path) -> None:
    # Three bad cells and a bad config key: the messages are the file's, line for line,
    # with the frame named instead of the file (row i is line i + 2 in both).
    tables = generate_tables("small", 0)
    staff = tables["staff"].copy()
    staff.loc[2, "role"] = "wizard"
    staff.loc[4, "active_from"] = "2026/12/25"  # year/month/day: not a date the contract reads
    staff.loc[6, "manager_id"] = "S9999"
    folder = tmp_path / "data"
    write_input_tables(folder, tables, "csv")
    staff.to_csv(folder / "staff.csv", index=False)  # as a person saves it, typos and all
    (folder / "config.toml").write_text("[policy]\nmax_audits_per_year = -1\n")
    with pytest.raises(InputError) as from_files:
        load(folder)

    data = generate("small", 0)
    with pytest.raises(InputError) as in_memory:
        data.replace(staff=staff, config={"policy": {"max_audits_per_year": -1}})

    def without_file(error: InputError) -> list[tuple[int, str, str]]:
        return sorted(
            (issue.line, issue.column, issue.message)
            for issue in error.issues
            if issue.column != "policy.max_audits_per_year"
        )

    assert without_file(in_memory.value) == without_file(from_files.value)
    assert len(without_file(in_memory.value)) == 3
    files = {issue.file for issue in in_memory.value.issues}
    assert files == {"replace(staff=…)", "replace(config=…)"}
    config_issue = next(i for i in in_memory.value.issues if i.file == "replace(config=…)")
    file_issue = next(i for i in from_files.value.issues if i.file == "config.toml")
    assert config_issue.message == file_issue.message == "must be at least 0, got -1"


def test_replace_checks_across_tables_and_refuses_an_unknown_table() -> None:
    data = generate("small", 0)
    cases = data["cases"].drop(columns=[LINE])
    cases.loc[0, "allocated_worker_id"] = "NOBODY"
    with pytest.raises(InputError, match=r"replace\(cases=…\):2: allocated_worker_id: unknown"):
        data.replace(cases=cases)
    with pytest.raises(TypeError, match="unknown table 'stafff'"):
        data.replace(stafff=cases)


def test_generate_in_memory_is_the_generated_directory(tmp_path: Path) -> None:
    write_input_tables(tmp_path, generate_tables("small", 5, "2026-07"), "csv")
    from_files = load(tmp_path)
    in_memory = generate("small", 5, "2026-07")
    for name, frame in _tables(from_files).items():
        pd.testing.assert_frame_equal(in_memory[name].drop(columns=[LINE]), frame, obj=name)


# -- simulate_year ---------------------------------------------------------------------

#: Six months to the end of the audit year 2026-04..2027-03 (the other six are in the
#: generated ledger), so that ten a year is checked on a whole audit year.
START = "2026-10"
MONTHS = 6


@pytest.fixture(scope="module")
def checked_year(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, list[str]]:
    """The small authority's last six months of an audit year, every month's inputs and
    outputs written and checked by the independent checker as the simulation goes."""
    root = tmp_path_factory.mktemp("year")
    violations: list[str] = []

    def check(month: str, inputs: caseaudit.Dataset, result: caseaudit.AllocationResult) -> None:
        data_dir, out_dir = root / month / "data", root / month / "out"
        write_input_tables(data_dir, _tables(inputs), "csv")
        result.write(out_dir)
        overrides = result.problem.config.as_dict()
        violations.extend(
            f"{month}: {v}" for v in check_allocation(data_dir, out_dir, month, overrides)
        )

    year = simulate_year(
        generate("small", 2, START),
        START,
        months=MONTHS,
        judgements={"good": 0.6, "requires_improvement": 0.25, "inadequate": 0.15},
        seed=4,
        challenge_rate=0.2,
        on_month=check,
    )
    return year, violations


def test_every_simulated_month_keeps_every_hard_rule(checked_year: tuple) -> None:
    year, violations = checked_year
    assert len(year.coverage) == MONTHS
    assert violations == []


def test_ten_a_year_and_one_a_month_hold_at_the_years_end(checked_year: tuple) -> None:
    # Plain pandas over the final history, which ends with March 2027, the audit year's
    # last month: counted audits (not reallocated or cancelled) per auditor per audit
    # year (April start) at most 10, per month at most 1.
    year, _ = checked_year
    history = year.dataset["history"]
    assert history["month"].max() == "2027-03"
    counted = history[~history["status"].isin(["reallocated", "cancelled"])].copy()
    month_number = counted["month"].str[5:7].astype(int)
    counted["audit_year"] = counted["month"].str[:4].astype(int) - (month_number < 4)
    per_year = counted.groupby(["auditor_id", "audit_year"]).size()
    per_month = counted.groupby(["auditor_id", "month"]).size()
    assert per_year.max() <= 10
    assert per_month.max() <= 1
    simulated = counted[counted["month"] >= START]
    assert simulated["month"].nunique() == MONTHS
    assert len(simulated) == int(year.coverage["allocated"].sum())


def test_inadequate_judgements_are_reaudited_by_their_reaudit_month(checked_year: tuple) -> None:
    # Independently of the simulation's own table: an inadequate audit of the run,
    # confirmed on D, is due in the latest month ending on or before D + 2 months; when
    # that month was run, the ledger holds an audit of it (reaudit_of) by then.
    year, _ = checked_year
    history = year.dataset["history"]
    moderations = year.dataset["moderations"].set_index("audit_id")
    last_run = year.months[-1]
    inadequate = history[
        (history["month"] >= START)
        & (history["overall_judgement"] == "inadequate")
        & history["status"].isin(["finalised", "actions_complete"])
    ]
    assert len(inadequate) > 0
    checked = 0
    for audit in inadequate.itertuples():
        confirmed = audit.judgement_confirmed_on
        if audit.audit_id in moderations.index:
            confirmed = moderations.loc[audit.audit_id, "decided_on"]
        deadline = confirmed + relativedelta(months=2)
        due = deadline.strftime("%Y-%m")
        if (deadline + relativedelta(days=1)).month == deadline.month:
            due = (deadline - relativedelta(months=1)).strftime("%Y-%m")
        if due > last_run:
            continue
        reaudits = history[history["reaudit_of"] == audit.audit_id]
        assert len(reaudits) == 1, audit.audit_id
        assert reaudits["month"].iloc[0] <= due, audit.audit_id
        checked += 1
    assert checked > 0


def test_simulated_tables_agree_with_the_ledger(checked_year: tuple) -> None:
    year, _ = checked_year
    history = year.dataset["history"]
    simulated = history[history["month"] >= START]
    by_month = simulated.groupby("month").size()
    assert year.coverage.set_index("month")["allocated"].to_dict() == by_month.to_dict()
    last = year.audits_per_auditor[year.audits_per_auditor["month"] == year.months[-1]]
    assert (last["audits_this_year"] <= last["max_audits_per_year"]).all()
    assert (year.breaks["granted"] <= year.breaks["cap"]).all()
    challenged = year.dataset["challenges"]
    ours = challenged[challenged["audit_id"].str[:7] >= START]
    assert set(year.moderations["audit_id"]) >= set(ours["audit_id"])


def test_the_same_seed_gives_the_same_year_and_another_seed_another() -> None:
    data = generate("small", 1)
    first = simulate_year(data, DEFAULT_MONTH, months=2, seed=7, challenge_rate=0.3)
    again = simulate_year(data, DEFAULT_MONTH, months=2, seed=7, challenge_rate=0.3)
    other = simulate_year(data, DEFAULT_MONTH, months=2, seed=8, challenge_rate=0.3)
    history = first.dataset["history"].drop(columns=[LINE])
    pd.testing.assert_frame_equal(history, again.dataset["history"].drop(columns=[LINE]))
    assert not history.equals(other.dataset["history"].drop(columns=[LINE]))


def test_a_grade_distribution_without_inadequate_opens_no_new_cycle() -> None:
    # Only "good" drawn: no new inadequate judgement, so every cycle in the table was
    # already awaiting its re-audit when the run started.
    year = simulate_year(generate("small", 1), DEFAULT_MONTH, months=2, judgements={"good": 1.0})
    simulated = year.dataset["history"]
    assert set(simulated.loc[simulated["month"] >= DEFAULT_MONTH, "overall_judgement"]) == {"good"}
    assert (year.inadequate_cycles["month"] < DEFAULT_MONTH).all()


@pytest.mark.parametrize(
    ("judgements", "message"),
    [
        ({"great": 1.0}, "unknown judgement 'great'"),
        ({"good": 0.5, "inadequate": 0.4}, "sum to 1"),
    ],
)
def test_a_bad_grade_distribution_is_refused(judgements: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_year(generate("small", 1), DEFAULT_MONTH, months=1, judgements=judgements)


def test_given_break_requests_are_used_instead_of_a_plan() -> None:
    # One on-time request for March by one auditor, and nothing else: no plan is made,
    # so March has that one request and April none.
    data = generate("small", 1)
    auditor = str(data["staff"].loc[data["staff"]["is_auditor"], "staff_id"].min())
    requests = pd.DataFrame(
        {"auditor_id": [auditor], "month": [DEFAULT_MONTH], "requested_on": [dt.date(2026, 2, 1)]}
    )
    year = simulate_year(data, DEFAULT_MONTH, months=2, breaks=requests)
    assert year.breaks["requests"].tolist() == [1, 0]
    kept = year.dataset["breaks"].drop(columns=[LINE])
    pd.testing.assert_frame_equal(kept, requests.astype(object))


def test_each_month_past_the_held_ones_is_drawn_with_draw_sample() -> None:
    # Issue 21: the simulation draws each month it does not hold as P&Q do, with
    # draw-sample on the caseload. Recomputed independently: the month's inputs less the
    # month's cases are the dataset draw-sample saw; drawing again gives the same rows,
    # with their stratum and inclusion probability.
    data = generate("small", 1)
    # 2026-04 starts an audit year: its breaks are planned before its sample is drawn
    # (drawn first, the sample was sized for auditors the plan then sends on a break).
    seen: dict[str, tuple[caseaudit.Dataset, caseaudit.AllocationResult]] = {}
    following = add_months(DEFAULT_MONTH, 1)
    simulate_year(
        data, DEFAULT_MONTH, months=2, seed=3, on_month=lambda m, d, r: seen.update({m: (d, r)})
    )
    inputs, result = seen[following]
    cases = inputs["cases"].drop(columns=[LINE])
    held = cases[cases["month"] == following].reset_index(drop=True)
    before = inputs.replace(cases=cases[cases["month"] != following])
    drawn = caseaudit.draw_sample(before, following, seed=3).sample
    assert len(held) > 0
    assert held["case_id"].tolist() == drawn["case_id"].tolist()
    assert held["stratum"].tolist() == drawn["stratum"].tolist()
    assert held["inclusion_probability"].tolist() == drawn["inclusion_probability"].tolist()
    assert result.unallocated.empty  # always allocatable (issue 21)


def test_draw_false_keeps_the_earlier_seeded_draw_of_the_held_size() -> None:
    # Backward compatible: draw=False samples the following month from the cases it
    # knows, as many as the latest held month, with no stratum or inclusion probability.
    data = generate("small", 1)
    following = add_months(DEFAULT_MONTH, 1)
    year = simulate_year(data, DEFAULT_MONTH, months=2, seed=3, draw=False)
    cases = year.dataset["cases"]
    month = cases[cases["month"] == following]
    assert len(month) == int((data["cases"]["month"] == DEFAULT_MONTH).sum())
    assert month["stratum"].isna().all()
