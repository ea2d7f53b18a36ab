"""A year of the monthly job, simulated: ``simulate_year`` (issue 12).

Each month the simulation does what P&Q do, with the same functions they use:

1. the month's sample: the dataset's own cases of that month, or (past the months it
   holds) drawn by ``draw-sample`` from the dataset's ``caseload`` (issue 21: stratified,
   fair over the year, always allocatable), as P&Q draw it; with ``draw=False``, or
   with no caseload, a seeded draw of the same size as the latest held month from every
   case it knows, with the latest details of each (the simulation before issue 21);
2. the breaks: the audit year's break plan (``plan_breaks``, §2–3) made when the
   simulation starts and again when a new audit year starts, its requests copied into
   ``breaks`` as ``--emit-requests`` writes them; or the requests given;
3. ``allocate`` (§4–5), which adds the due and overdue re-audits itself (§25–26);
4. the plan recorded in ``history`` (``Dataset.record``, as ``caseaudit record`` does),
   then a judgement for every audit, drawn from the grade distribution given (a seeded
   numpy ``Generator``), written on its row as a finalised audit of the month with its
   dates, so that an inadequate one schedules its re-audit for a later month;
5. challenges at the rate given, each raised by the case's worker without consensus,
   and ``moderate`` (§21–22) at the month's end; a moderator upholds the judgement
   14 days after being assigned, and the audit is finalised then.

Every random draw comes from a generator seeded by (seed, month, purpose), so a month's
draws do not depend on how many draws other purposes made, and the same arguments give
the same year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from caseaudit.api import AllocationResult, allocate, moderate, plan_breaks
from caseaudit.model.calendar import (
    add_months,
    audit_year_start,
    last_day,
    parse_month,
    reaudit_deadline,
    reaudit_month,
)
from caseaudit.model.dataset import LINE, Dataset
from caseaudit.model.errors import plural
from caseaudit.model.frames import replace_tables
from caseaudit.model.reaudits import effective_judgements
from caseaudit.model.schema import JUDGEMENT_MIX, NOT_COUNTED_STATUSES, TABLES
from caseaudit.model.validate import validate_dataset
from caseaudit.plans.month.rules import CONFLICT_RULES
from caseaudit.plans.sample.draw import draw_sample

#: The grade mix of the synthetic authorities: the default ``judgements``.
DEFAULT_JUDGEMENTS: Mapping[str, float] = dict(JUDGEMENT_MIX)
#: Days from a moderator's assignment to their decision (the simulation's assumption).
MODERATION_DAYS = 14
#: Seeds of the separate random streams of one month.
_SAMPLE, _JUDGEMENT, _DATES, _CHALLENGE = range(4)


@dataclass(frozen=True)
class YearSimulation:
    """A simulated run of months: tidy month-by-month tables and the final dataset.

    ``coverage``: per month, the sample, re-audits added, allocated, unallocated,
    coverage (allocated share of the cases needing an auditor), eligible auditors, pairs
    forbidden by a conflict of interest, the solve's status.
    ``audits_per_auditor``: per month and eligible auditor, audits in the month and in
    the audit year so far (history included), the yearly maximum, a granted break.
    ``breaks``: per month, eligible auditors, the cap, requests, granted, refused,
    not required.
    ``inadequate_cycles``: every inadequate judgement awaiting or made in the run: when
    confirmed, the re-audit deadline and month, the re-audit (id, month, judgement),
    whether it was on time, and whether the inadequate audit was itself a re-audit.
    ``moderations``: per month, every challenged audit waiting for a moderator at its
    end: ``assigned`` one that month, or still ``waiting`` (and listed again next month).
    ``dataset``: the dataset after the last month, its history holding every month run.
    """

    start_month: str
    months: tuple[str, ...]
    coverage: pd.DataFrame
    audits_per_auditor: pd.DataFrame
    breaks: pd.DataFrame
    inadequate_cycles: pd.DataFrame
    moderations: pd.DataFrame
    dataset: Dataset

    def summary(self) -> str:
        cases = int(self.coverage["cases"].sum())
        allocated = int(self.coverage["allocated"].sum())
        share = allocated / cases if cases else 1.0
        fullest = self.breaks.assign(room=self.breaks["cap"] - self.breaks["granted"])
        fullest_row = fullest.sort_values(["room", "month"]).iloc[0]
        over = int((fullest["room"] < 0).sum())
        cap_text = "within the cap every month" if not over else f"over the cap in {over}"
        yearly = self.audits_per_auditor
        most = int(yearly["audits_this_year"].max()) if len(yearly) else 0
        maximum = int(yearly["max_audits_per_year"].max()) if len(yearly) else 0
        cycles = self.inadequate_cycles
        made = int((cycles["month"] >= self.start_month).sum())
        awaiting = int(cycles["reaudit_audit_id"].isna().sum())
        on_time = int((cycles["on_time"] == True).sum())  # noqa: E712 (None: awaiting)
        challenged = self.moderations["audit_id"].nunique()
        moderated = self.moderations.loc[self.moderations["status"] == "assigned", "audit_id"]
        return (
            f"{self.months[0]}..{self.months[-1]}: {allocated} of {cases} cases allocated "
            f"({share:.1%}); breaks {cap_text} (fullest "
            f"{fullest_row['month']} {int(fullest_row['granted'])} of "
            f"{int(fullest_row['cap'])}); most audits by one auditor in an audit year "
            f"{most} of {maximum}; {plural(made, 'inadequate judgement')} made; of "
            f"{plural(len(cycles), 'inadequate cycle')}, {on_time} re-audited on time, "
            f"{len(cycles) - on_time - awaiting} late, {awaiting} awaiting; "
            f"{plural(challenged, 'challenged audit')}, {moderated.nunique()} given a moderator"
        )


def simulate_year(
    dataset: Dataset,
    start_month: str,
    months: int = 12,
    judgements: Mapping[str, float] | None = None,
    seed: int = 0,
    challenge_rate: float = 0.05,
    breaks: pd.DataFrame | None = None,
    on_month: Callable[[str, Dataset, AllocationResult], None] | None = None,
    draw: bool = True,
) -> YearSimulation:
    """Roll the monthly job forward from ``start_month`` for ``months`` months.

    ``judgements`` maps each overall judgement to its probability (they sum to 1; the
    default is the synthetic authorities' mix, 6% inadequate). ``challenge_rate`` is the
    share of audits challenged without consensus. ``breaks``, when given, is the break
    requests table used as it is; otherwise each audit year's breaks are planned.
    ``on_month(month, inputs, result)`` is called after each month's allocation with
    the dataset it was made from (to check or keep each month). ``draw``: each month the
    dataset does not hold is drawn with ``draw_sample`` from its ``caseload`` (issue 21);
    False (or no caseload) keeps the earlier seeded draw from the cases it knows.
    The dataset's history must end before ``start_month``.
    """
    grades, weights = _distribution(judgements)
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if not 0 <= challenge_rate <= 1:
        raise ValueError(f"challenge_rate must be between 0 and 1, got {challenge_rate}")
    parse_month(start_month)
    sample_size = _sample_size(dataset, start_month)
    data = dataset if breaks is None else dataset.replace(breaks=breaks)
    start_of_year = dataset.config.policy.audit_year_start_month
    coverage, per_auditor, break_rows, moderation_rows = [], [], [], []
    #: Days from each simulated audit's finalisation to its actions' completion (§23).
    action_days: dict[str, int] = {}
    run = tuple(add_months(start_month, k) for k in range(months))
    for index, month in enumerate(run):
        streams = [np.random.default_rng([seed, index, purpose]) for purpose in range(4)]
        # The year's breaks are planned before its first month's sample is drawn (the
        # plan does not read cases): draw-sample sizes the month by who is free.
        if breaks is None and (index == 0 or audit_year_start(month, start_of_year) == month):
            data = _changed(data, breaks=_planned_requests(data, month, seed, index == 0))
        if not (data["cases"]["month"] == month).any():
            if draw and len(data["caseload"]):
                cases = _drawn_sample(data, month, seed)
            else:
                cases = _with_sample(data, month, sample_size, streams[_SAMPLE])
            data = _changed(data, cases=cases)
        result = allocate(data, month, seed=seed)
        if on_month is not None:
            on_month(month, data, result)
        judged = _judged(result, grades, weights, streams[_JUDGEMENT], streams[_DATES])
        challenged = streams[_CHALLENGE].random(len(judged)) < challenge_rate
        data = _append_month(data, result, judged, challenged)
        moderated = moderate(data, last_day(month), seed=seed)
        data = _record_moderations(data, moderated.moderation, set(judged["audit_id"]))
        action_days.update(zip(judged["audit_id"], judged["action_days"], strict=True))
        data = _complete_actions(data, month, action_days)
        coverage.append(_coverage_row(result))
        break_rows.append(_break_row(result))
        per_auditor.append(_audits_per_auditor(data, result))
        moderation_rows.append(_moderation_rows(month, moderated.moderation, moderated.unmoderated))
    validate_dataset(data).raise_if_any()  # the last month's ledger, as a report reads it
    return YearSimulation(
        start_month=start_month,
        months=run,
        coverage=pd.DataFrame(coverage),
        audits_per_auditor=pd.concat(per_auditor, ignore_index=True),
        breaks=pd.DataFrame(break_rows),
        inadequate_cycles=_inadequate_cycles(data, start_month),
        moderations=pd.concat(moderation_rows, ignore_index=True),
        dataset=data,
    )


def _distribution(judgements: Mapping[str, float] | None) -> tuple[list[str], np.ndarray]:
    """The grades and their probabilities, checked: known grades, summing to 1."""
    given = DEFAULT_JUDGEMENTS if judgements is None else judgements
    known = TABLES["history"].column("overall_judgement").choices
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"unknown judgement {unknown[0]!r}; the judgements are {', '.join(known)}")
    grades = [grade for grade in known if given.get(grade, 0) > 0]
    weights = np.array([float(given[grade]) for grade in grades])
    if any(float(p) < 0 for p in given.values()) or not np.isclose(weights.sum(), 1.0):
        raise ValueError(f"judgement probabilities must be at least 0 and sum to 1: {given}")
    return grades, weights / weights.sum()


def _sample_size(data: Dataset, start_month: str) -> int:
    """The size of the latest sample at or before the start: the size of drawn ones."""
    months = data["cases"]["month"]
    held = months[months <= start_month]
    if held.empty:
        raise ValueError(f"the dataset holds no month's sample at or before {start_month}")
    return int((months == held.max()).sum())


def _changed(data: Dataset, **tables: pd.DataFrame) -> Dataset:
    """``data.replace(...)`` with the cells typed but the rules across tables left to
    the next ``allocate`` or ``moderate``, which checks the whole dataset anyway."""
    return replace_tables(data, tables, validate=False)


def _table(data: Dataset, name: str) -> pd.DataFrame:
    return data[name].drop(columns=[LINE])


def _with_sample(data: Dataset, month: str, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """``cases`` with a drawn sample for ``month``: ``size`` distinct cases, each with
    its latest details (a case's worker and team as last recorded)."""
    cases = _table(data, "cases")
    latest = cases.sort_values(["case_id", "month"]).groupby("case_id").tail(1)
    picked = rng.choice(len(latest), size=min(size, len(latest)), replace=False)
    sample = latest.iloc[np.sort(picked)].assign(month=month)
    return pd.concat([cases, sample], ignore_index=True)


def _planned_requests(data: Dataset, month: str, seed: int, first: bool) -> pd.DataFrame:
    """``breaks`` for the audit year of ``month`` on: the requests before it as they
    were (and, in the first month run, that month's own requests, already received),
    then one on-time request per break of the year's plan for the other auditors."""
    year = int(audit_year_start(month, data.config.policy.audit_year_start_month)[:4])
    plan = plan_breaks(data, year, seed=seed)
    requests = plan.requests_for_allocate
    existing = _table(data, "breaks")
    kept = existing[(existing["month"] < month) | (first & (existing["month"] == month))]
    planned = requests[requests["month"] >= month]
    already = pd.MultiIndex.from_frame(kept[["auditor_id", "month"]])
    new = planned[~pd.MultiIndex.from_frame(planned[["auditor_id", "month"]]).isin(already)]
    return pd.concat([kept, new], ignore_index=True)


def _judged(
    result: AllocationResult,
    grades: list[str],
    weights: np.ndarray,
    judgement_rng: np.random.Generator,
    dates_rng: np.random.Generator,
) -> pd.DataFrame:
    """The month's audits with a drawn judgement, completed within the month: 7 to 20
    days after distribution, finalised 1 to 5 days later, both by the due date; their
    actions completed 14 to 56 days after finalisation."""
    audits = result.allocations.sort_values("audit_id").reset_index(drop=True)
    drawn = judgement_rng.choice(len(grades), size=len(audits), p=weights)
    lags = dates_rng.integers([7, 1, 14], [21, 6, 57], size=(len(audits), 3))
    completed, finalised = [], []
    for start, due, (to_complete, to_finalise, _) in zip(
        audits["distributed_on"], audits["due_on"], lags.tolist(), strict=True
    ):
        done = min(start + dt.timedelta(days=to_complete), due - dt.timedelta(days=1))
        completed.append(done)
        finalised.append(min(done + dt.timedelta(days=to_finalise), due))
    return audits.assign(
        overall_judgement=[grades[k] for k in drawn.tolist()],
        completed_on=completed,
        finalised_on=finalised,
        action_days=lags[:, 2].tolist(),
    )


def _drawn_sample(data: Dataset, month: str, seed: int) -> pd.DataFrame:
    """``cases`` with the month's sample as ``draw-sample`` draws it (issue 21), with
    its ``stratum`` and ``inclusion_probability``, as P&Q append sample.csv to
    cases.csv. Not validated again: ``allocate`` checks the month's whole dataset."""
    drawn = draw_sample(data, month, seed=seed, validate=False).sample
    return pd.concat([_table(data, "cases"), drawn.drop(columns="drawn_rank")], ignore_index=True)


def _append_month(
    data: Dataset, result: AllocationResult, judged: pd.DataFrame, challenged: np.ndarray
) -> Dataset:
    """The month's plan recorded in ``history`` as P&Q record it (``Dataset.record``,
    issue 20: ``allocated`` rows), then what happened to each audit by the month's end:
    finalised, or completed and awaiting a moderator when challenged; and the
    challenges, raised the day after completion."""
    recorded = data.record(result)
    history = _table(recorded, "history")
    outcome = judged.set_index("audit_id")
    rows = history["audit_id"].isin(outcome.index)
    done = outcome.loc[history.loc[rows, "audit_id"]]
    was_challenged = pd.Series(challenged, index=judged["audit_id"]).loc[done.index].to_numpy()
    history.loc[rows, "status"] = np.where(was_challenged, "completed", "finalised")
    history.loc[rows, "overall_judgement"] = done["overall_judgement"].to_numpy()
    # A challenged judgement is confirmed by its moderator's decision (§22); the date
    # here only keeps an inadequate row valid until then.
    history.loc[rows, "judgement_confirmed_on"] = np.where(
        was_challenged, done["completed_on"], done["finalised_on"]
    )
    history.loc[rows, "completed_on"] = done["completed_on"].to_numpy()
    history.loc[rows, "finalised_on"] = [
        None if flag else day
        for flag, day in zip(was_challenged, done["finalised_on"], strict=True)
    ]
    raised = judged[challenged]
    challenges = pd.DataFrame(
        {
            "audit_id": raised["audit_id"],
            "raised_by": raised["allocated_worker_id"],
            "raised_on": [
                min(finished + dt.timedelta(days=1), due)
                for finished, due in zip(raised["completed_on"], raised["due_on"], strict=True)
            ],
            "consensus_reached": False,
        }
    )
    return _changed(
        recorded,
        history=history,
        challenges=pd.concat([_table(data, "challenges"), challenges], ignore_index=True),
    )


def _record_moderations(data: Dataset, moderation: pd.DataFrame, simulated: set[str]) -> Dataset:
    """Each moderator assigned, deciding ``MODERATION_DAYS`` later: the judgement
    upheld, and the simulated audit finalised on that day."""
    if moderation.empty:
        return data
    history = _table(data, "history")
    judgement_of = dict(zip(history["audit_id"], history["overall_judgement"], strict=True))
    decided_on = [day + dt.timedelta(days=MODERATION_DAYS) for day in moderation["assigned_on"]]
    finals = [judgement_of.get(audit_id) for audit_id in moderation["audit_id"]]
    decisions = pd.DataFrame(
        {
            "audit_id": moderation["audit_id"],
            "moderator_id": moderation["moderator_id"],
            "assigned_on": moderation["assigned_on"],
            "final_judgement": finals,
            "decided_on": [
                day if final is not None else None
                for day, final in zip(decided_on, finals, strict=True)
            ],
        }
    )
    decided = dict(zip(moderation["audit_id"], decided_on, strict=True))
    ours = history["audit_id"].isin(simulated.intersection(decided))
    on = history.loc[ours, "audit_id"].map(decided)
    history.loc[ours, "status"] = "finalised"
    history.loc[ours, "finalised_on"] = on
    history.loc[ours, "judgement_confirmed_on"] = on
    return _changed(
        data,
        history=history,
        moderations=pd.concat([_table(data, "moderations"), decisions], ignore_index=True),
    )


def _complete_actions(data: Dataset, month: str, action_days: dict[str, int]) -> Dataset:
    """Simulated audits whose actions are done by the month's last day become
    ``actions_complete`` (§23), so that a report on the ledger sees the cycle close."""
    history = _table(data, "history")
    lag = history["audit_id"].map(action_days)
    waiting = (history["status"] == "finalised") & lag.notna() & history["finalised_on"].notna()
    if not waiting.any():
        return data
    due = [
        day + dt.timedelta(days=int(days))
        for day, days in zip(history.loc[waiting, "finalised_on"], lag[waiting], strict=True)
    ]
    done_on = pd.Series(due, index=history.index[waiting], dtype=object)
    done = done_on[done_on <= last_day(month)]
    if done.empty:
        return data
    history.loc[done.index, "status"] = "actions_complete"
    history.loc[done.index, "actions_completed_on"] = done
    return _changed(data, history=history)


def _coverage_row(result: AllocationResult) -> dict[str, object]:
    counts = result.manifest["counts"]
    assert isinstance(counts, dict)
    cases = len(result.problem.cases)
    conflicts = result.problem.conflicts
    forbidden = conflicts[conflicts["kind"].isin(CONFLICT_RULES)]
    return {
        "month": result.problem.month,
        "sample_cases": int(counts["sample_cases"]),
        "reaudits_added": int(counts["reaudits_added"]),
        "cases": cases,
        "allocated": len(result.allocations),
        "unallocated": len(result.unallocated),
        "coverage": round(len(result.allocations) / cases, 6) if cases else 1.0,
        "reaudits_allocated": int(result.allocations["is_reaudit"].sum()),
        "eligible_auditors": result.problem.eligible_count,
        "conflict_pairs": len(forbidden[["case_id", "auditor_id"]].drop_duplicates()),
        "solve_status": result.solve.status,
    }


def _break_row(result: AllocationResult) -> dict[str, object]:
    decisions = result.break_decisions["decision"].value_counts()
    return {
        "month": result.problem.month,
        "eligible_auditors": result.problem.eligible_count,
        "max_break_fraction": float(result.problem.config.policy.max_break_fraction),
        "cap": result.problem.break_cap,
        "requests": len(result.break_decisions),
        "granted": int(decisions.get("granted", 0)),
        "refused_cap": int(decisions.get("refused_cap", 0)),
        "not_required": int(decisions.get("not_required", 0)),
    }


def _audits_per_auditor(data: Dataset, result: AllocationResult) -> pd.DataFrame:
    """Each eligible auditor's audits in the month and in its audit year so far, read
    from the ledger (the month's audits now in it)."""
    month = result.problem.month
    policy = result.problem.config.policy
    history = data["history"]
    year_start = audit_year_start(month, policy.audit_year_start_month)
    counted = history[
        ~history["status"].isin(NOT_COUNTED_STATUSES)
        & (history["month"] >= year_start)
        & (history["month"] <= month)
    ]
    this_year = counted.groupby("auditor_id").size()
    this_month = counted[counted["month"] == month].groupby("auditor_id").size()
    auditors = result.problem.auditors
    eligible = auditors[auditors["eligible"]].sort_values("staff_id")
    ids = eligible["staff_id"]
    return pd.DataFrame(
        {
            "month": month,
            "auditor_id": ids.to_numpy(),
            "service": eligible["service"].to_numpy(),
            "audits_in_month": ids.map(this_month).fillna(0).astype(int).to_numpy(),
            "audits_this_year": ids.map(this_year).fillna(0).astype(int).to_numpy(),
            "max_audits_per_year": policy.max_audits_per_year,
            "on_break": eligible["break_granted"].astype(bool).to_numpy(),
        }
    )


def _moderation_rows(
    month: str, moderation: pd.DataFrame, unmoderated: pd.DataFrame
) -> pd.DataFrame:
    moderated = pd.DataFrame(
        {
            "month": month,
            "audit_id": moderation["audit_id"],
            "moderator_id": moderation["moderator_id"],
            "assigned_on": moderation["assigned_on"],
            "status": "assigned",
        }
    )
    waiting = pd.DataFrame(
        {
            "month": month,
            "audit_id": unmoderated["audit_id"],
            "moderator_id": None,
            "assigned_on": None,
            "status": "waiting",
        }
    )
    frames = [frame for frame in (moderated, waiting) if len(frame)]
    if not frames:
        return pd.DataFrame(columns=["month", "audit_id", "moderator_id", "assigned_on", "status"])
    return pd.concat(frames, ignore_index=True).sort_values("audit_id", ignore_index=True)


def _inadequate_cycles(data: Dataset, start_month: str) -> pd.DataFrame:
    """Every inadequate judgement awaiting its re-audit at the start or made in the run,
    with its re-audit (if any) and whether it came by the re-audit month (§25–26)."""
    within = data.config.policy.reaudit_within_months
    judgements = effective_judgements(data)
    inadequate = judgements[judgements["judgement"] == "inadequate"]
    history = data["history"]
    month_of_audit = dict(zip(history["audit_id"], history["month"], strict=True))
    reaudits = history[
        ~history["status"].isin(NOT_COUNTED_STATUSES) & history["reaudit_of"].notna()
    ].sort_values("audit_id")
    first_reaudit = reaudits.groupby("reaudit_of").head(1).set_index("reaudit_of")
    rows = []
    for audit in inadequate.sort_values("audit_id").itertuples(index=False):
        month = month_of_audit[audit.audit_id]
        deadline = reaudit_deadline(audit.confirmed_on, within)
        due_month = reaudit_month(deadline)
        done = audit.audit_id in first_reaudit.index
        if done and first_reaudit.loc[audit.audit_id, "month"] < start_month:
            continue  # a cycle closed before the run
        reaudit = first_reaudit.loc[audit.audit_id] if done else None
        rows.append(
            {
                "audit_id": audit.audit_id,
                "case_id": audit.case_id,
                "month": month,
                "auditor_id": audit.auditor_id,
                "was_reaudit": bool(audit.was_reaudit),
                "confirmed_on": audit.confirmed_on,
                "reaudit_deadline": deadline,
                "reaudit_month": due_month,
                "reaudit_audit_id": None if reaudit is None else reaudit["audit_id"],
                "reaudited_in": None if reaudit is None else reaudit["month"],
                "reaudit_judgement": None if reaudit is None else reaudit["overall_judgement"],
                "on_time": None if reaudit is None else bool(reaudit["month"] <= due_month),
            }
        )
    columns = [
        "audit_id",
        "case_id",
        "month",
        "auditor_id",
        "was_reaudit",
        "confirmed_on",
        "reaudit_deadline",
        "reaudit_month",
        "reaudit_audit_id",
        "reaudited_in",
        "reaudit_judgement",
        "on_time",
    ]
    return pd.DataFrame(rows, columns=columns)
