"""Monitoring: the lists P&Q chase from and the figures for the Senior Leadership Team
(§6, §16, §20–31; issue 10).

Everything is computed as of one day from the ledger as it stands (``history``, with
``exemptions``, ``challenges``, ``moderations``, ``outcomes``, ``breaks``): the statuses are
today's, and the as-of day decides what is past its deadline. Challenges raised, and
moderators assigned or decisions made, after the as-of day have not happened yet.

Every list names the people to chase: the auditor, and the team manager and group
manager of the case as it stood in the audit's month (the ``cases`` row of that month,
else the latest earlier one). Lists are ordered most urgent first by their declaration
in ``caseaudit.model.outputs`` (``urgency``). The figures cover the twelve months up to
the as-of month, except the audits per auditor (the audit year, §2) and the breaks
(those months and any later month with requests, within a year).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pandas as pd

from caseaudit.model.asof import known_on
from caseaudit.model.breaks import break_cap, decide_breaks
from caseaudit.model.calendar import (
    WorkingCalendar,
    add_months,
    audit_year_start,
    first_day,
    last_day,
    month_of,
    months_between,
    reaudit_deadline,
    reaudit_month,
)
from caseaudit.model.conflicts import EXEMPTION_APPROVER_ROLE
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import plural
from caseaudit.model.exemptions import exemption_decisions
from caseaudit.model.outputs import CHASE_COLUMNS, OUTPUT_TABLES, REPORT_TABLES
from caseaudit.model.reaudits import (
    active_on,
    effective_judgements,
    is_late,
    on_or_before,
    reaudit_schedule,
)
from caseaudit.model.schema import JUDGEMENTS, NOT_COUNTED_STATUSES, RATINGS
from caseaudit.reporting.estimates import ratio_share

#: The people to chase, first in every list.
CHASE = [spec.partition(":")[0] for spec in CHASE_COLUMNS]
#: Ledger statuses of an audit that is still to be done (§6, §30).
NOT_DONE_STATUSES = ("allocated", "non_completed")
#: Shares are rounded so that a rerun writes the same text on any platform.
SHARE_DIGITS = 4
#: Moderation states of an open challenge, in order of urgency (§22).
MODERATION_STATES = ("awaiting_moderator", "moderator_assigned", "decided")
NO_EXEMPTION = "no exemption requested"
LIST_NAMES = (
    "outstanding",
    "non_completions",
    "amendments_due",
    "awaiting_actions",
    "inadequate_cycle",
    "challenges_open",
    "retrospective_exemptions",
    "cancellations",
    "incomplete_audit_tools",
)
FIGURE_NAMES = (
    "judgements_by_month",
    "judgements_by_service",
    "caseload_estimates",
    "domain_ratings",
    "audits_per_auditor",
    "breaks_by_month",
    "completion_by_service",
    "amendments_by_service",
)
#: The stages of the inadequate cycle, furthest along first (§25–26, contract §6).
CYCLE_STAGES = (
    "escalated",
    "re-audit overdue",
    "re-audit allocated",
    "re-audit due",
    "review due",
    "reflection due",
)


@dataclass(frozen=True)
class Monitoring:
    """The lists and figures as of one day; ``tables`` holds each by its output name."""

    as_of: dt.date
    #: The twelve months up to the as-of month, which the figures cover.
    period: tuple[str, ...]
    #: The first and last month of the as-of month's audit year.
    audit_year: tuple[str, str]
    inadequate_share_target: float
    tables: dict[str, pd.DataFrame]

    @property
    def month(self) -> str:
        return month_of(self.as_of)

    def summary(self) -> str:
        """One line: each list's length and the share inadequate against the target."""
        t = self.tables
        non = len(t["non_completions"])
        overdue_amendments = sum(v is True for v in t["amendments_due"]["overdue"])
        escalated = int((t["inadequate_cycle"]["escalation"] != "none").sum())
        awaiting = int((t["challenges_open"]["moderation_status"] == "awaiting_moderator").sum())
        unauthorised = sum(v is False for v in t["cancellations"]["authorised"])
        months = t["judgements_by_month"]
        judged, inadequate = int(months["judged"].sum()), int(months["inadequate"].sum())
        period = f"{self.period[0]}..{self.period[-1]}"
        judgements = (
            f"inadequate {inadequate / judged:.1%} of {plural(judged, 'judgement')} {period}"
            if judged
            else f"no judgement confirmed {period}"
        )
        return (
            f"as of {self.as_of.isoformat()}: {len(t['outstanding'])} overdue "
            f"({plural(non, 'non-completion')}), "
            f"{plural(len(t['amendments_due']), 'amendment')} due ({overdue_amendments} "
            f"overdue), {len(t['awaiting_actions'])} awaiting actions, "
            f"{len(t['inadequate_cycle'])} in the inadequate cycle ({escalated} escalated), "
            f"{plural(len(t['challenges_open']), 'open challenge')} ({awaiting} awaiting a "
            f"moderator), {plural(len(t['retrospective_exemptions']), 'retrospective exemption')}, "
            f"{plural(len(t['cancellations']), 'cancellation')} ({unauthorised} not "
            f"authorised); {judgements} (target {100 * self.inadequate_share_target:g}%)"
        )


def build_monitoring(data: Dataset, as_of: dt.date) -> Monitoring:
    """Every list and figure of the report as of ``as_of`` (issue 10), from the data as
    they stood at the end of that day (:func:`caseaudit.model.asof.known_on`, issue 20)."""
    ledger = _Ledger(known_on(data, as_of), as_of)
    tables = {
        "outstanding": ledger.outstanding(),
        "non_completions": ledger.non_completions(),
        "amendments_due": ledger.amendments_due(),
        "awaiting_actions": ledger.awaiting_actions(),
        "inadequate_cycle": ledger.inadequate_cycle(),
        "challenges_open": ledger.challenges_open(),
        "retrospective_exemptions": ledger.retrospective_exemptions(),
        "cancellations": ledger.cancellations(),
        "incomplete_audit_tools": ledger.incomplete_audit_tools(),
        "judgements_by_month": ledger.judgements_by("month"),
        "judgements_by_service": ledger.judgements_by("service"),
        "caseload_estimates": ledger.caseload_estimates(),
        "domain_ratings": ledger.domain_ratings(),
        "audits_per_auditor": ledger.audits_per_auditor(),
        "breaks_by_month": ledger.breaks_by_month(),
        "completion_by_service": ledger.completion_by_service(),
        "amendments_by_service": ledger.amendments_by_service(),
    }
    assert list(tables) == [table.name for table in REPORT_TABLES]
    ordered = {
        name: OUTPUT_TABLES[name].urgent_first(frame) if OUTPUT_TABLES[name].urgency else frame
        for name, frame in tables.items()
    }
    return Monitoring(
        as_of=as_of,
        period=tuple(ledger.period),
        audit_year=(ledger.year_start, add_months(ledger.year_start, 11)),
        inadequate_share_target=ledger.target,
        tables=ordered,
    )


def chase_lists(data: Dataset, as_of: dt.date, *names: str) -> dict[str, pd.DataFrame]:
    """Some of the report's lists as of ``as_of`` without the figures: ``notify`` chases
    from the same rows the report shows (issue 22)."""
    ledger = _Ledger(data, as_of)
    unknown = set(names) - set(LIST_NAMES)
    if unknown:
        raise ValueError(f"not a list of the report: {sorted(unknown)}")
    return {name: getattr(ledger, name)() for name in names}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, SHARE_DIGITS) if whole else None


def _objects(values: list[object], index: pd.Index) -> pd.Series:
    """``values`` as a column of Python objects: pandas would hold a list of texts as an
    Arrow string column, slow to build and to turn back into objects row by row."""
    return pd.Series(values, index=index, dtype=object)


def _nulls_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as Python objects with None for null (NaN, NaT, pd.NA)."""
    frame = frame.astype(object)
    for column in frame.columns:  # a column without a null is left as it is
        null = frame[column].isna()
        if null.any():
            frame[column] = frame[column].where(~null, None)
    return frame


def _frame(name: str, rows: pd.DataFrame | list[dict[str, object]]) -> pd.DataFrame:
    """Rows as the declared columns, null as None, ints as Python ints."""
    columns = OUTPUT_TABLES[name].column_names
    frame = (
        pd.DataFrame(rows, columns=columns, dtype=object)  # Python values, as given
        if isinstance(rows, list)
        else rows[columns]
    )
    frame = frame.astype(object).where(frame.notna(), None)
    for column, kind in OUTPUT_TABLES[name].kinds.items():
        if kind == "int":
            frame[column] = [None if v is None else int(v) for v in frame[column]]
        elif kind == "bool":
            frame[column] = [None if v is None else bool(v) for v in frame[column]]
        elif kind == "float":
            frame[column] = [None if v is None else float(v) for v in frame[column]]
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class _Ratings:
    """``outcomes`` as codes: each rating's audit among ``audit_ids`` (-1: not in the
    ledger), its domain among ``domains`` and its rating among ``ratings`` (-1: null)."""

    audit_ids: pd.Index
    audit: np.ndarray
    domain: np.ndarray
    domains: list[str]
    rating: np.ndarray
    ratings: list[str]


class _Ledger:
    """The ledger with each audit's people to chase, and the as-of facts the lists share."""

    def __init__(self, data: Dataset, as_of: dt.date) -> None:
        self.data, self.as_of = data, as_of
        self.month = month_of(as_of)
        self.period = months_between(add_months(self.month, -11), self.month)
        policy = data.config.policy
        self.policy = policy
        self.year_start = audit_year_start(self.month, policy.audit_year_start_month)
        self.target = float(data.config.report.inadequate_share_target)
        self.calendar = WorkingCalendar(
            data.config.calendar.country, data.config.calendar.subdivision
        )

    @cached_property
    def audits(self) -> pd.DataFrame:
        """Every ledger row with its case's service, team manager and group manager as
        they stood in the audit's month, and the month's last day (``due_on``, §6)."""
        history = self.data["history"].drop(columns="_line", errors="ignore")
        cases = self.data["cases"]
        details = cases[["case_id", "month", "service", "team_manager_id"]]
        merged = history.merge(details, on=["case_id", "month"], how="left")
        missing = merged["service"].isna()
        if missing.any():  # no row of that month: the latest earlier one (contract §4)
            known = cases.sort_values(["case_id", "month"])
            by_case = {case: rows for case, rows in known.groupby("case_id")}
            for position in merged.index[missing]:
                rows = by_case.get(merged.at[position, "case_id"])
                if rows is None:
                    continue
                earlier = rows[rows["month"] <= merged.at[position, "month"]]
                if len(earlier):
                    merged.at[position, "service"] = earlier["service"].iloc[-1]
                    merged.at[position, "team_manager_id"] = earlier["team_manager_id"].iloc[-1]
        staff = self.data["staff"]
        manager_of = dict(zip(staff["staff_id"], staff["manager_id"], strict=True))
        managers = [manager_of.get(tm) for tm in merged["team_manager_id"].tolist()]
        merged["group_manager_id"] = _objects(managers, merged.index)
        due = {m: last_day(m) for m in set(merged["month"])}
        merged["due_on"] = merged["month"].map(due)
        return _nulls_as_none(merged)

    def _days_since(self, days: pd.Series) -> list[int | None]:
        return [None if d is None else (self.as_of - d).days for d in days]

    # ---------------------------------------------------------------- the lists

    @cached_property
    def _not_done(self) -> pd.DataFrame:
        """§6, §27: allocated or non-completed, not completed, past the month's last day."""
        audits = self.audits
        late = audits[
            audits["status"].isin(NOT_DONE_STATUSES)
            & audits["completed_on"].isna()
            & (audits["due_on"] < self.as_of)
        ].copy()
        late["days_overdue"] = self._days_since(late["due_on"])
        words = self._exemption_words
        keys = zip(late["case_id"], late["month"], late["auditor_id"], strict=True)
        found = [words.get(key) for key in keys]
        late["non_completion"] = pd.Series(
            [item is None or not item[0] for item in found], index=late.index, dtype=bool
        )
        late["exemption"] = _objects(
            [NO_EXEMPTION if item is None else item[1] for item in found], late.index
        )
        return late

    @cached_property
    def _exemption_words(self) -> dict[tuple[str, str, str], tuple[bool, str]]:
        """(case, month, auditor) → (honoured, the decision in policy words) (§4, §30)."""
        exemptions = self.data["exemptions"]
        words: dict[tuple[str, str, str], tuple[bool, str]] = {}
        for month in sorted(set(exemptions["month"])):
            decisions = exemption_decisions(self.data, month)
            for item in decisions.itertuples(index=False):
                words[(item.case_id, month, item.auditor_id)] = (bool(item.honoured), item.reason)
        return words

    def outstanding(self) -> pd.DataFrame:
        return _frame("outstanding", self._not_done)

    def non_completions(self) -> pd.DataFrame:
        """§28–31: outstanding without an honoured exemption; kept until completed."""
        late = self._not_done
        return _frame("non_completions", late[late["non_completion"]])

    @cached_property
    def _amendment_due_on(self) -> Callable[[dt.date], dt.date]:
        """§20: the day an amendment returned on a day is due back, worked out once per
        day (a national ledger has tens of thousands of returns on a few hundred days)."""
        days = self.policy.amendment_working_days
        return cache(lambda day: self.calendar.add_working_days(day, days))

    def amendments_due(self) -> pd.DataFrame:
        """§20: a returned audit is due back ``amendment_working_days`` working days after
        its return (bank holidays skipped); overdue once the as-of day is past that."""
        audits = self.audits
        # Returned after the as-of day: not returned yet then (no return date: listed).
        returned = audits[
            (audits["status"] == "returned")
            & (audits["returned_on"].isna() | on_or_before(audits["returned_on"], self.as_of))
        ].copy()
        due_on = self._amendment_due_on
        returned["amendment_due_on"] = [
            None if d is None else due_on(d) for d in returned["returned_on"]
        ]
        returned["overdue"] = [
            None if d is None else self.as_of > d for d in returned["amendment_due_on"]
        ]
        return _frame("amendments_due", returned)

    def awaiting_actions(self) -> pd.DataFrame:
        """§23, §27: finalised, the team manager has not confirmed the actions yet.

        As of the day: finalised by then, and the actions not confirmed by then (an
        audit whose actions were confirmed later was still waiting)."""
        audits = self.audits
        confirmed = audits["actions_completed_on"]
        confirmed_later = (
            (audits["status"] == "actions_complete")
            & confirmed.notna()
            & ~on_or_before(confirmed, self.as_of)
        )
        not_confirmed = (audits["status"] == "finalised") & confirmed.isna()
        finalised = audits["finalised_on"]
        by_then = finalised.isna() | on_or_before(finalised, self.as_of)
        waiting = audits[(not_confirmed | confirmed_later) & by_then].copy()
        waiting["age_days"] = self._days_since(waiting["finalised_on"])
        judgements = self.judgements
        effective = dict(zip(judgements["audit_id"], judgements["judgement"], strict=True))
        waiting["judgement"] = _objects(
            [
                effective.get(audit_id, judgement)
                for audit_id, judgement in zip(
                    waiting["audit_id"], waiting["overall_judgement"], strict=True
                )
            ],
            waiting.index,
        )
        return _frame("awaiting_actions", waiting)

    def inadequate_cycle(self) -> pd.DataFrame:
        """§25–26: one row per case in the cycle, its latest inadequate audit (contract §6).

        A case stays in the cycle until a re-audit of its latest inadequate audit has a
        confirmed judgement other than inadequate (§26); a re-audit merely allocated, or
        done and not yet confirmed, does not end it (issue 20). Each row has the meetings,
        the deadline and the head of service of contract §5's schedule, the ``stage``
        (:data:`CYCLE_STAGES`, the furthest along that applies) and the person to chase.
        """
        judged = self.judgements
        inadequate = judged[judged["judgement"] == "inadequate"].sort_values(
            ["case_id", "confirmed_on", "audit_id"]
        )
        latest = inadequate.groupby("case_id", sort=True).tail(1)
        counted = self.audits[~self.audits["status"].isin(NOT_COUNTED_STATUSES)]
        reaudits = counted[counted["reaudit_of"].notna()].sort_values("audit_id")
        confirmed_as = dict(zip(judged["audit_id"], judged["judgement"], strict=True))
        ended = {
            of
            for audit_id, of in zip(reaudits["audit_id"], reaudits["reaudit_of"], strict=True)
            if confirmed_as.get(audit_id) not in (None, "inadequate")
        }
        open_cycle = latest[~latest["audit_id"].isin(ended)].copy()
        within = self.policy.reaudit_within_months
        open_cycle["reaudit_deadline"] = [
            reaudit_deadline(d, within) for d in open_cycle["confirmed_on"]
        ]
        open_cycle["reaudit_month"] = [reaudit_month(d) for d in open_cycle["reaudit_deadline"]]
        audits = self.audits
        chase = audits[audits["audit_id"].isin(open_cycle["audit_id"])].set_index("audit_id")
        service_of = dict(zip(chase.index, chase["service"], strict=True))
        services = {
            case: service_of[audit_id]
            for audit_id, case in zip(open_cycle["audit_id"], open_cycle["case_id"], strict=True)
            if service_of[audit_id] is not None
        }
        schedule = reaudit_schedule(self.data, self.month, open_cycle, services)
        people = chase.loc[schedule["audit_id"], [c for c in CHASE if c not in ("audit_id",)]]
        cycle = pd.concat(
            [
                schedule.reset_index(drop=True),
                people.drop(columns="case_id").reset_index(drop=True),
            ],
            axis=1,
        )
        cycle["overdue"] = [self.as_of > d for d in cycle["reaudit_deadline"]]
        cycle["next_step"] = [
            self._next_step(*step)
            for step in zip(
                cycle["reflection_meeting_by"],
                cycle["review_meeting_on"],
                cycle["reaudit_deadline"],
                cycle["escalation"],
                strict=True,
            )
        ]
        # The latest counted re-audit of each audit (a re-plan's -r<k> row included).
        reaudit_of = dict(zip(reaudits["reaudit_of"], reaudits["audit_id"], strict=True))
        auditor_of = dict(zip(reaudits["audit_id"], reaudits["auditor_id"], strict=True))
        # Object dtype: a list of ids and None would be read as text with NaN for None.
        cycle["reaudit_audit_id"] = pd.Series(
            [reaudit_of.get(a) for a in cycle["audit_id"]], index=cycle.index, dtype=object
        )
        records = cycle.to_dict("records")
        staged = [self._stage(row) for row in records]
        cycle["stage"] = [stage for stage, _, _ in staged]
        cycle["chase_id"] = [
            auditor_of.get(row["reaudit_audit_id"])
            if who == "reaudit_auditor"
            else self.strategic_lead
            if who == "strategic_lead"
            else row.get(who)
            for row, (_, who, _) in zip(records, staged, strict=True)
        ]
        cycle["chase_role"] = [role for _, _, role in staged]
        return _frame("inadequate_cycle", cycle)

    @cached_property
    def strategic_lead(self) -> str | None:
        """The Strategic Lead active on the as-of day (the lowest staff_id): P&Q allocate
        re-audits (§1), so an unallocated due re-audit is theirs to chase."""
        staff = self.data["staff"]
        leads = staff[(staff["role"] == "strategic_lead_ipq") & active_on(staff, self.as_of)]
        return min(leads["staff_id"], default=None)

    def _stage(self, row: dict[str, object]) -> tuple[str, str, str]:
        """The furthest stage that applies on the as-of day, the column naming whom to
        chase, and their role in words (§25–26, contract §6)."""
        as_of = self.as_of
        if row["escalation"] != "none":
            return "escalated", "head_of_service_id", "head of service"
        deadline = row["reaudit_deadline"]
        assert isinstance(deadline, dt.date)
        allocated = row["reaudit_audit_id"] is not None
        if as_of > deadline:
            if allocated:
                return "re-audit overdue", "reaudit_auditor", "re-audit auditor"
            return "re-audit overdue", "strategic_lead", "Strategic Lead"
        if allocated:
            return "re-audit allocated", "reaudit_auditor", "re-audit auditor"
        review = row["review_meeting_on"]
        assert isinstance(review, dt.date)
        if as_of > review:
            return "re-audit due", "strategic_lead", "Strategic Lead"
        reflection = row["reflection_meeting_by"]
        assert isinstance(reflection, dt.date)
        if as_of > reflection:
            return "review due", "team_manager_id", "team manager"
        return "reflection due", "group_manager_id", "group manager"

    def _next_step(
        self, reflection: dt.date, review: dt.date, deadline: dt.date, escalation: str
    ) -> str:
        """The first §25 step still ahead on the as-of day, or the overdue re-audit; after
        a repeat inadequate the head of service's review comes first (§25)."""
        as_of = self.as_of
        meeting = "head of service review, then " if escalation != "none" else ""
        if as_of <= reflection:
            return f"{meeting}reflection meeting by {reflection.isoformat()}"
        if as_of <= review:
            return f"{meeting}review meeting on {review.isoformat()}"
        if as_of <= deadline:
            return f"{meeting}re-audit by {deadline.isoformat()}"
        return f"{meeting}re-audit overdue since {deadline.isoformat()}"

    def challenges_open(self) -> pd.DataFrame:
        """§21–22: audits with a challenge without consensus raised by the as-of day, one
        row per audit (the earliest such challenge), with the state of its moderation;
        a decided one is listed in the month of its decision only."""
        as_of = self.as_of
        challenges = self.data["challenges"]
        open_rows = challenges[
            (challenges["consensus_reached"] != True)  # noqa: E712 (empty: no consensus yet)
            & on_or_before(challenges["raised_on"], as_of)
        ].sort_values(["audit_id", "raised_on", "raised_by"])
        first = open_rows.groupby("audit_id", sort=True).head(1)
        moderations = self.data["moderations"]
        assigned = moderations[on_or_before(moderations["assigned_on"], as_of)]
        decided_mask = assigned["final_judgement"].notna() & on_or_before(
            assigned["decided_on"], as_of
        )
        # Each audit's latest moderation (decided, else pending) as a row of values.
        columns = ["audit_id", "moderator_id", "assigned_on", "final_judgement", "decided_on"]
        decided = {
            row[0]: row
            for row in assigned[decided_mask]
            .sort_values(["audit_id", "decided_on", "moderator_id"])[columns]
            .itertuples(index=False)
        }
        pending = {
            row[0]: row
            for row in assigned[~decided_mask]
            .sort_values(["audit_id", "assigned_on", "moderator_id"])[columns]
            .itertuples(index=False)
        }
        finalised = dict(zip(self.audits["audit_id"], self.audits["finalised_on"], strict=True))
        rows = []
        for item in first.itertuples(index=False):
            moderator = assigned_on = final = decided_on = None
            found = decided.get(item.audit_id)
            if found is not None:
                state = "decided"
                final, decided_on = found.final_judgement, found.decided_on
                if month_of(decided_on) != self.month:
                    continue  # listed only in the month of the decision
            else:
                found = pending.get(item.audit_id)
                state = "awaiting_moderator" if found is None else "moderator_assigned"
            if found is not None:
                moderator, assigned_on = found.moderator_id, found.assigned_on
            rows.append(
                {
                    "audit_id": item.audit_id,
                    "raised_by": item.raised_by,
                    "raised_on": item.raised_on,
                    "days_open": (as_of - item.raised_on).days,
                    "moderation_status": state,
                    "moderator_id": moderator,
                    "assigned_on": assigned_on,
                    "final_judgement": final,
                    "decided_on": decided_on,
                    "late": is_late(item.raised_on, finalised.get(item.audit_id)),
                }
            )
        declared = OUTPUT_TABLES["challenges_open"].column_names
        listed = pd.DataFrame(rows, columns=["audit_id", *(c for c in declared if c not in CHASE)])
        audits = self.audits
        people = audits.loc[audits["audit_id"].isin(listed["audit_id"]), CHASE]
        merged = listed.merge(people, on="audit_id", how="left")
        return _frame("challenges_open", merged)

    def retrospective_exemptions(self) -> pd.DataFrame:
        """§5, §30 (issue 20): honoured exemptions decided after the audit's due date, by
        the as-of day and within the twelve months to it. Until its ``decided_on`` the
        audit was a non-completion, and reports dated before then still say so."""
        exemptions = self.data["exemptions"]
        honoured = {key for key, (is_honoured, _) in self._exemption_words.items() if is_honoured}
        start = first_day(self.period[0])
        audits = self.audits
        audits = audits[audits["case_id"].isin(exemptions["case_id"])]  # the few concerned
        audits = audits.drop_duplicates(["case_id", "month", "auditor_id"], keep="last")
        by_key = audits.set_index(["case_id", "month", "auditor_id"])
        rows = []
        for item in exemptions.itertuples(index=False):
            key = (item.case_id, item.month, item.auditor_id)
            due = last_day(item.month)
            decided = item.decided_on
            if key not in honoured or decided is None or decided <= due or decided < start:
                continue
            audit = by_key.loc[key] if key in by_key.index else None
            rows.append(
                {
                    "audit_id": None if audit is None else audit["audit_id"],
                    "month": item.month,
                    "case_id": item.case_id,
                    "service": None if audit is None else audit["service"],
                    "auditor_id": item.auditor_id,
                    "team_manager_id": None if audit is None else audit["team_manager_id"],
                    "group_manager_id": None if audit is None else audit["group_manager_id"],
                    "due_on": due,
                    "requested_on": item.requested_on,
                    "decided_by": item.decided_by,
                    "decided_on": decided,
                    "days_after_due": (decided - due).days,
                }
            )
        return _frame("retrospective_exemptions", rows)

    def cancellations(self) -> pd.DataFrame:
        """§30 (issue 20): audits cancelled by the as-of day, in the twelve months to it
        (by ``cancelled_on``, else the audit's month), with who cancelled them. A
        cancellation is authorised like an exemption (§4, contract §6): by an Assistant
        Director for a csc auditor, the Strategic Lead for a pq auditor, never the auditor."""
        audits = self.audits
        cancelled = audits[audits["status"] == "cancelled"].copy()
        when = [
            month_of(day) if day is not None else month
            for day, month in zip(cancelled["cancelled_on"], cancelled["month"], strict=True)
        ]
        cancelled = cancelled[
            pd.Series([m in self.period for m in when], index=cancelled.index, dtype=bool)
        ]
        staff = self.data["staff"].set_index("staff_id")
        verdicts = [
            self._authorisation(auditor, by, staff)
            for auditor, by in zip(cancelled["auditor_id"], cancelled["cancelled_by"], strict=True)
        ]
        cancelled["authorised"] = [ok for ok, _ in verdicts]
        cancelled["authorisation"] = [words for _, words in verdicts]
        return _frame("cancellations", cancelled)

    @staticmethod
    def _authorisation(auditor: str, by: str | None, staff: pd.DataFrame) -> tuple[bool, str]:
        group = staff.at[auditor, "staff_group"] if auditor in staff.index else None
        needed = EXEMPTION_APPROVER_ROLE.get(str(group))
        needs = "the Assistant Director" if group == "csc" else "the Strategic Lead"
        if by is None:
            return False, f"no authoriser recorded; a cancellation needs {needs} (§30)"
        if by == auditor:
            return False, f"cancelled by the auditor themself; it needs {needs} (§30)"
        role = staff.at[by, "role"] if by in staff.index else None
        if role != needed:
            return False, f"cancelled by {by} ({role or 'unknown role'}); it needs {needs} (§30)"
        return True, f"authorised by {by} ({needs})"

    def incomplete_audit_tools(self) -> pd.DataFrame:
        """§16 (issue 20): audits of the period with a judgement but not every domain of
        ``[outcomes] domains`` rated. Read only when ``outcomes`` is kept at all: without
        the table nothing says which domains were rated."""
        outcomes = self.data["outcomes"]
        if "outcomes" not in self.data.sources and outcomes.empty:
            return _frame("incomplete_audit_tools", [])
        domains = self.data.config.outcomes.domains
        audits = self.audits
        selected = (
            audits["month"].isin(self.period)
            & audits["overall_judgement"].notna()
            & ~audits["status"].isin(NOT_COUNTED_STATUSES)
        ).to_numpy()
        judged = audits[selected]
        # Whether each audit has a rating of each distinct domain of the config: a matrix
        # filled from the ratings' positions (one lookup per rating, not a loop).
        ratings = self._ratings
        distinct = pd.Index(list(dict.fromkeys(domains)), dtype=object)
        column = distinct.get_indexer(ratings.domains)[ratings.domain]
        known = (ratings.audit >= 0) & (ratings.domain >= 0) & (column >= 0)
        has = np.zeros((len(ratings.audit_ids), len(distinct)), dtype=bool)
        has[ratings.audit[known], column[known]] = True
        has = has[self._audit_codes[selected]]  # each judged row, as its audit
        done = has.sum(axis=1)
        short = done < len(domains)
        incomplete = judged[short].copy()
        incomplete["judgement"] = incomplete["overall_judgement"]
        incomplete["domains_rated"] = done[short].tolist()
        incomplete["domains_expected"] = len(domains)
        positions = distinct.get_indexer(domains)
        incomplete["missing_domains"] = _objects(
            [
                "; ".join(d for d, at in zip(domains, positions, strict=True) if not rated[at])
                for rated in has[short].tolist()
            ],
            incomplete.index,
        )
        return _frame("incomplete_audit_tools", incomplete)

    @cached_property
    def _audit_codes(self) -> np.ndarray:
        """Each row of :attr:`audits`: its audit id's position among the distinct ids."""
        return self._audit_factors[0]

    @cached_property
    def _audit_factors(self) -> tuple[np.ndarray, pd.Index]:
        """The ledger's audit ids factorised: each row's code, and the distinct ids."""
        codes, ids = pd.factorize(self.audits["audit_id"])
        return codes, pd.Index(ids, dtype=object)

    @cached_property
    def _ratings(self) -> _Ratings:
        """``outcomes`` as codes, for the two tables read from it (some 1.4 million ratings
        nationally)."""
        outcomes = self.data["outcomes"]
        domain, domains = pd.factorize(outcomes["domain"])
        rating, ratings = pd.factorize(outcomes["rating"])
        audit_ids = self._audit_factors[1]
        return _Ratings(
            audit_ids=audit_ids,
            audit=audit_ids.get_indexer(outcomes["audit_id"]),
            domain=domain,
            domains=list(domains),
            rating=rating,
            ratings=list(ratings),
        )

    # ---------------------------------------------------------------- the figures

    @cached_property
    def judgements(self) -> pd.DataFrame:
        """Effective judgements (contract §4 rule 5) confirmed by the as-of day, with the
        audit's month and service."""
        judged = effective_judgements(self.data, self.as_of)
        where = self.audits[["audit_id", "month", "service"]]
        return judged.merge(where, on="audit_id", how="left")

    def judgements_by(self, by: str) -> pd.DataFrame:
        """§16, §25: counts of each grade and the share inadequate, by month (every month
        of the period) or by service (every service with an audit in the period)."""
        judged = self.judgements[self.judgements["month"].isin(self.period)]
        keys = judged[by].fillna("(no case details)")
        counts = judged.groupby([keys, judged["judgement"]]).size().to_dict()
        if by == "month":
            groups = list(self.period)
        else:
            in_period = self.audits[self.audits["month"].isin(self.period)]
            groups = sorted(set(in_period["service"].fillna("(no case details)")))
        rows: list[dict[str, object]] = []
        for group in groups:
            grades = {grade: int(counts.get((group, grade), 0)) for grade in JUDGEMENTS}
            judged_count = sum(grades.values())
            rows.append(
                {
                    by: group,
                    **grades,
                    "judged": judged_count,
                    "inadequate_share": _share(grades["inadequate"], judged_count),
                    "inadequate_share_target": self.target,
                }
            )
        return _frame(f"judgements_by_{by}", rows)

    def caseload_estimates(self) -> pd.DataFrame:
        """Issue 21: each judgement's share of the period's sampled audits and its
        design-weighted share of the caseload with a 95% interval
        (:mod:`caseaudit.reporting.estimates`). The audits are the period's effective
        judgements with an ``inclusion_probability`` above 0 and no ``reaudit_of`` (a
        re-audit is not drawn); the design's strata are (month, the case's ``stratum`` in
        ``cases``, else its inclusion probability)."""
        history = self.data["history"]
        if "inclusion_probability" not in history.columns:
            return _frame("caseload_estimates", [])
        design = history[["audit_id", "case_id", "month", "reaudit_of", "inclusion_probability"]]
        # Only drawn audits count (below); leaving the others out first keeps the merge small.
        design = design[pd.to_numeric(design["inclusion_probability"], errors="coerce") > 0]
        judged = self.judgements[["audit_id", "judgement"]].merge(design, on="audit_id")
        probability = pd.to_numeric(judged["inclusion_probability"], errors="coerce")
        judged = judged[
            judged["month"].isin(self.period) & judged["reaudit_of"].isna() & (probability > 0)
        ]
        if judged.empty:
            return _frame("caseload_estimates", [])
        cases = self.data["cases"]
        stratum_of = (
            cases.drop_duplicates(["case_id", "month"]).set_index(["case_id", "month"])["stratum"]
            if "stratum" in cases.columns
            else pd.Series(dtype=object)
        )
        keys = list(zip(judged["case_id"], judged["month"], strict=True))
        strata = []
        for key, p in zip(keys, judged["inclusion_probability"], strict=True):
            label = stratum_of.get(key)
            strata.append(f"{key[1]} / {label if isinstance(label, str) else f'p={p!r}'}")
        weight = 1.0 / judged["inclusion_probability"].astype(float)
        rows: list[dict[str, object]] = []
        for grade in JUDGEMENTS:
            hit = (judged["judgement"] == grade).astype(int)
            estimate = ratio_share(hit, weight, pd.Series(strata, index=judged.index))
            rows.append(
                {
                    "judgement": grade,
                    "audited": int(hit.sum()),
                    "audits": len(judged),
                    "audited_share": _share(int(hit.sum()), len(judged)),
                    "caseload_share": round(estimate.share, SHARE_DIGITS),
                    "caseload_share_low": round(estimate.low, SHARE_DIGITS),
                    "caseload_share_high": round(estimate.high, SHARE_DIGITS),
                    "effective_audits": round(estimate.effective_n, 1),
                }
            )
        return _frame("caseload_estimates", rows)

    def domain_ratings(self) -> pd.DataFrame:
        """§16 (organisational learning): each domain's ratings over the period's audits;
        ``not_met_share`` is of the ratings other than not_applicable."""
        ratings = self._ratings
        in_period = np.zeros(len(ratings.audit_ids) + 1, dtype=bool)  # the last: no audit
        in_period[self._audit_codes[self.audits["month"].isin(self.period).to_numpy()]] = True
        rated = in_period[ratings.audit] & (ratings.domain >= 0) & (ratings.rating >= 0)
        pairs = ratings.domain[rated] * len(ratings.ratings) + ratings.rating[rated]
        tally = np.bincount(pairs, minlength=len(ratings.domains) * len(ratings.ratings))
        counts = {
            (domain, rating): n
            for (domain, rating), n in zip(
                itertools.product(ratings.domains, ratings.ratings), tally.tolist(), strict=True
            )
            if n
        }
        rows: list[dict[str, object]] = []
        for domain in sorted({domain for domain, _ in counts}):
            ratings_of = {rating: int(counts.get((domain, rating), 0)) for rating in RATINGS}
            applicable = sum(n for rating, n in ratings_of.items() if rating != "not_applicable")
            share = _share(ratings_of["not_met"], applicable)
            rows.append({"domain": domain, **ratings_of, "not_met_share": share})
        return _frame("domain_ratings", rows)

    def audits_per_auditor(self) -> pd.DataFrame:
        """§2: each auditor's audits in the as-of audit year (reallocated and cancelled
        rows aside, contract §4 rule 2) against the yearly maximum; every auditor active
        on the as-of day is listed, and anyone else with an audit this year."""
        audits = self.audits
        year_end = add_months(self.year_start, 11)
        in_year = audits[
            (audits["month"] >= self.year_start)
            & (audits["month"] <= year_end)
            & ~audits["status"].isin(NOT_COUNTED_STATUSES)
        ]
        counts = in_year.groupby("auditor_id").size().to_dict()
        completed = in_year[in_year["completed_on"].notna()].groupby("auditor_id").size().to_dict()
        staff = self.data["staff"]
        auditors = staff[(staff["is_auditor"] == True) & active_on(staff, self.as_of)]  # noqa: E712
        ids = sorted(set(auditors["staff_id"]) | set(counts))
        service = dict(zip(staff["staff_id"], staff["service"], strict=True))
        rows = [
            {
                "auditor_id": auditor,
                "service": service.get(auditor),
                "audits": int(counts.get(auditor, 0)),
                "completed": int(completed.get(auditor, 0)),
                "max_audits_per_year": self.policy.max_audits_per_year,
            }
            for auditor in ids
        ]
        return _frame("audits_per_auditor", rows)

    def breaks_by_month(self) -> pd.DataFrame:
        """§3: each month's break requests decided as ``allocate`` decides them (contract
        §4 rule 3), against the cap of that month's eligible auditors."""
        breaks = self.data["breaks"]
        horizon = add_months(self.month, 12)
        later = sorted(m for m in set(breaks["month"]) if self.month < m <= horizon)
        staff = self.data["staff"]
        auditors = staff[staff["is_auditor"] == True]  # noqa: E712
        ids = auditors["staff_id"].to_numpy()
        rows = []
        for month in [*self.period, *later]:
            # Eligible: active for the whole month (contract §3).
            whole = active_on(auditors, first_day(month)) & active_on(auditors, last_day(month))
            eligible = set(ids[whole.to_numpy()])
            at_maximum = self._at_yearly_maximum(month) & eligible
            cap = break_cap(self.policy.max_break_fraction, len(eligible))
            requests = breaks[breaks["month"] == month]
            decided = decide_breaks(requests, month, eligible, at_maximum, cap)["decision"]
            tally = decided.value_counts()
            rows.append(
                {
                    "month": month,
                    "eligible": len(eligible),
                    "requested": len(requests),
                    "granted": int(tally.get("granted", 0)),
                    "refused_cap": int(tally.get("refused_cap", 0)),
                    "not_required": int(tally.get("not_required", 0)),
                    "cap": cap,
                }
            )
        return _frame("breaks_by_month", rows)

    @cached_property
    def _counted_audits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The ledger's counted rows (contract §4 rule 2) as codes: the distinct months in
        order, each row's month among them, the distinct auditors, each row's auditor."""
        history = self.data["history"]
        counted = history[~history["status"].isin(NOT_COUNTED_STATUSES)]
        months, month_codes = np.unique(counted["month"].to_numpy(dtype=str), return_inverse=True)
        auditor_codes, auditors = pd.factorize(counted["auditor_id"])
        return months, month_codes, np.asarray(auditors, dtype=object), auditor_codes

    def _at_yearly_maximum(self, month: str) -> set[str]:
        """The auditors with ``max_audits_per_year`` audits or more in the audit year before
        ``month``: :func:`caseaudit.model.history.yearly_counts`, for the many months of
        the breaks figure from one pass over the ledger."""
        months, month_codes, auditors, auditor_codes = self._counted_audits
        start = audit_year_start(month, self.policy.audit_year_start_month)
        first, end = np.searchsorted(months, [start, month])  # months in [start, month)
        in_year = (month_codes >= first) & (month_codes < end)
        counts = np.bincount(auditor_codes[in_year], minlength=len(auditors))
        return set(auditors[counts >= self.policy.max_audits_per_year])

    def completion_by_service(self) -> pd.DataFrame:
        """§6: of the period's audits whose month has ended by the as-of day (reallocated
        and cancelled rows aside), those completed by the month's last day, those
        completed later, and those not completed yet, by the case's service."""
        audits = self.audits
        due = audits.loc[
            audits["month"].isin(self.period)
            & (audits["due_on"] < self.as_of)
            & ~audits["status"].isin(NOT_COUNTED_STATUSES),
            ["service", "completed_on", "due_on"],
        ]
        due["service"] = due["service"].fillna("(no case details)")
        completed = due["completed_on"].to_numpy(dtype=object)
        done = pd.notna(completed)
        in_time = np.zeros(len(due), dtype=bool)
        in_time[done] = completed[done] <= due["due_on"].to_numpy(dtype=object)[done]
        due["on_time"] = in_time
        due["late"] = done & ~in_time
        rows = []
        for service, group in due.groupby("service", sort=True):
            total, on_time, late = len(group), int(group["on_time"].sum()), int(group["late"].sum())
            rows.append(
                {
                    "service": service,
                    "due": total,
                    "on_time": on_time,
                    "late": late,
                    "not_completed": total - on_time - late,
                    "on_time_share": _share(on_time, total),
                }
            )
        return _frame("completion_by_service", rows)

    def amendments_by_service(self) -> pd.DataFrame:
        """§20 (issue 20): amendments by service and month of return (contract §6) over
        the period: returned, back within ``amendment_working_days`` working days of the
        return (``resubmitted_on``), back later, not back yet; the share on time is of
        those back or past their due day."""
        audits = self.audits
        days = audits["returned_on"]
        months = days.map({day: month_of(day) for day in set(days.dropna())})  # null: NaN
        returned = audits[months.isin(self.period)].copy()
        due = [self._amendment_due_on(day) for day in returned["returned_on"]]
        back = returned["resubmitted_on"].tolist()
        returned["on_time"] = [b is not None and b <= d for b, d in zip(back, due, strict=True)]
        returned["late"] = [b is not None and b > d for b, d in zip(back, due, strict=True)]
        returned["not_back"] = [b is None for b in back]
        returned["decided"] = [
            b is not None or self.as_of > d for b, d in zip(back, due, strict=True)
        ]
        returned["service"] = returned["service"].fillna("(no case details)")
        returned["return_month"] = months[returned.index]
        rows = []
        for (service, month), group in returned.groupby(["service", "return_month"], sort=True):
            on_time = int(group["on_time"].sum())
            rows.append(
                {
                    "service": service,
                    "month": month,
                    "returned": len(group),
                    "back_on_time": on_time,
                    "back_late": int(group["late"].sum()),
                    "not_back": int(group["not_back"].sum()),
                    "on_time_share": _share(on_time, int(group["decided"].sum())),
                }
            )
        return _frame("amendments_by_service", rows)
