"""What is due on a day, per kind of notice (issue 22): one named function per kind, each
citing the policy paragraph it serves, listed once in :data:`KINDS`.

Each function reads the facts as known on the run's day (:class:`NoticeFacts`, built
from :func:`caseaudit.model.asof.known_on`) and returns the notices whose day falls in the
catch-up window: the run's day or one of the ``[notices] catch_up_working_days`` working
days before it. A recurring notice (a chase) gives only its latest day in the window, so
a skipped week never sends the same chase twice. Which of them were sent already is
decided later, from ``notices_sent`` (``tables.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from caseaudit.model.breaks import break_cap, decide_breaks
from caseaudit.model.calendar import (
    WorkingCalendar,
    first_day,
    last_day,
    month_of,
    parse_month,
)
from caseaudit.model.config import NoticesConfig, PolicyConfig
from caseaudit.model.dataset import Dataset
from caseaudit.model.history import yearly_counts
from caseaudit.model.reaudits import (
    active_on,
    awaiting_reaudits,
    reaudit_schedule,
)
from caseaudit.reporting.monitoring import chase_lists

#: The people of a case file an audit involves (§8–10, contract §3).
CONTACTS = ("allocated_worker_id", "team_manager_id", "iro_id")
CONTACT_ROLES = {
    "allocated_worker_id": "allocated worker",
    "team_manager_id": "team manager",
    "iro_id": "IRO",
    "group_manager_id": "group manager",
}
#: The report's lists that notices chase (§20, §23, §27, §28, §30).
CHASED = ("non_completions", "amendments_due", "awaiting_actions")
#: Audits still to be done (§6, §30).
NOT_DONE = ("allocated", "non_completed")


@dataclass(frozen=True)
class Due:
    """One notice due: to whom, about what, on which day, with what the template says."""

    kind: str
    send_on: dt.date
    recipient_id: str
    cc_ids: tuple[str, ...] = ()
    audit_id: str | None = None
    case_id: str | None = None
    month: str | None = None
    due_on: dt.date | None = None
    #: What the template needs beyond the columns: ids and dates only, never a name of
    #: a child or family (the audit's contacts are ``contacts``: role → staff id).
    facts: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class NoticeFacts:
    """The facts every kind reads, as known at the end of the run's day."""

    day: dt.date
    #: The earliest day whose notices are still sent (the catch-up window's start).
    window_start: dt.date
    #: The data as known on ``day`` (``known_on``).
    data: Dataset
    #: One row per audit: the ledger's and the plan's, with its people and dates.
    audits: pd.DataFrame
    calendar: WorkingCalendar
    settings: NoticesConfig
    policy: PolicyConfig

    @cached_property
    def cycle(self) -> pd.DataFrame:
        """The inadequate cycle as known on the day (:func:`_cycle`), read by three kinds."""
        return _cycle(self)

    @cached_property
    def chases(self) -> dict[str, pd.DataFrame]:
        """The report's lists the chases read (``chase_lists``), made once for the three
        kinds that read them."""
        return chase_lists(self.data, self.day, *CHASED)

    @cached_property
    def working_days(self) -> WorkingDays:
        return WorkingDays(self.calendar, self.audits, self.day)

    @cached_property
    def contacts_of(self) -> dict[str, dict[str, str]]:
        """audit_id → the audit's contacts (role column → staff id)."""
        audits = self.audits
        columns = [*CONTACTS, "group_manager_id"]
        return {
            audit_id: {
                c: person for c, person in zip(columns, people, strict=True) if person is not None
            }
            for audit_id, *people in zip(
                audits["audit_id"], *(audits[c] for c in columns), strict=True
            )
        }

    def in_window(self, day: dt.date | None) -> bool:
        return day is not None and self.window_start <= day <= self.day

    def latest_in_window(self, days: Iterable[dt.date]) -> dt.date | None:
        """The latest of ``days`` in the window (the days ascend; None if none is)."""
        chosen = None
        for day in days:
            if day > self.day:
                break
            if day >= self.window_start:
                chosen = day
        return chosen


class WorkingDays:
    """The calendar's working days as a numpy business-day calendar, for the chases'
    recurring days of tens of thousands of audits at once (the same days as
    :class:`WorkingCalendar`: weekdays that are not its bank holidays)."""

    def __init__(self, calendar: WorkingCalendar, audits: pd.DataFrame, day: dt.date) -> None:
        known = [d for d in audits["due_on"] if d is not None]
        first = min([day, *known]).year - 2
        holidays = sorted(
            d
            for year in range(first, day.year + 2)
            for d in _holidays(calendar, year)
            if d.weekday() < 5
        )
        self.first_year, self.last_year = first, day.year + 1
        self.busdays = np.busdaycalendar(holidays=np.array(holidays, dtype="datetime64[D]"))
        self.day = np.datetime64(day, "D")

    def _covers(self, days: np.ndarray) -> bool:
        return bool(
            (days >= np.datetime64(f"{self.first_year}-01-01")).all()
            and (days <= np.datetime64(f"{self.last_year}-12-31")).all()
        )

    def latest_chase(
        self, due: pd.Series, step: int, window_start: dt.date
    ) -> list[dt.date | None]:
        """For each due day: its chases are the first working day after it, then every
        ``step`` working days (§28, §30); the latest of them on or before the run's day,
        when it is in the window (else None)."""
        dates = np.array(list(due), dtype="datetime64[D]")
        if not len(dates):
            return []
        assert self._covers(dates)
        first = np.busday_offset(dates, 1, roll="backward", busdaycal=self.busdays)
        # Working days from the first chase to the run's day, both counted.
        count = np.busday_count(first, self.day + 1, busdaycal=self.busdays)
        chases = np.maximum(count - 1, 0) // step
        latest = np.busday_offset(first, chases * step, roll="forward", busdaycal=self.busdays)
        return self._in_window(latest, (count >= 1), window_start)

    def latest_monthly(
        self, starts: list[dt.date | None], window_start: dt.date
    ) -> list[dt.date | None]:
        """For each start: the start, then the same day of each later month (the month's
        last day when it is shorter), each moved to the next working day; the latest of
        them on or before the run's day, when it is in the window (else None)."""
        present = np.array([s is not None for s in starts], dtype=bool)
        dates = np.array([s if s is not None else dt.date(2000, 1, 1) for s in starts])
        dates = dates.astype("datetime64[D]")
        if not len(dates):
            return []
        months = dates.astype("datetime64[M]")
        day_of_month = (dates - months.astype("datetime64[D]")).astype(int)
        # The candidates: the last month whose same day is on or before the run's day,
        # and the one before it (rolling forward may carry the first past the day).
        passed = (self.day.astype("datetime64[M]") - months).astype(int)
        chosen = np.full(len(dates), np.datetime64("NaT"), dtype="datetime64[D]")
        for back in (1, 0):  # the later candidate wins when it is on or before the day
            offset = passed - back
            month = months + offset
            length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(
                int
            )
            candidate = month.astype("datetime64[D]") + np.minimum(day_of_month, length - 1)
            rolled = np.busday_offset(candidate, 0, roll="forward", busdaycal=self.busdays)
            ok = present & (offset >= 0) & (rolled <= self.day)
            chosen = np.where(ok, rolled, chosen)
        return self._in_window(chosen, ~np.isnat(chosen), window_start)

    def _in_window(
        self, days: np.ndarray, valid: np.ndarray, window_start: dt.date
    ) -> list[dt.date | None]:
        keep = valid & (days >= np.datetime64(window_start, "D")) & (days <= self.day)
        return [d.astype(object) if k else None for d, k in zip(days, keep, strict=True)]


def _holidays(calendar: WorkingCalendar, year: int) -> list[dt.date]:
    return [
        d
        for d in (dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366))
        if d.year == year and d.weekday() < 5 and not calendar.is_working_day(d)
    ]


def working_days_before(calendar: WorkingCalendar, day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day before ``day`` (``day`` itself never counts)."""
    current, remaining = day, count
    while remaining > 0:
        current -= dt.timedelta(days=1)
        if calendar.is_working_day(current):
            remaining -= 1
    return current


def _contacts(row: object) -> dict[str, str]:
    """role column → staff id of the audit's contacts that exist."""
    return {
        column: getattr(row, column)
        for column in (*CONTACTS, "group_manager_id")
        if getattr(row, column, None) is not None
    }


def _audit_facts(row: object) -> dict[str, object]:
    return {
        "auditor_id": row.auditor_id,  # type: ignore[attr-defined]
        "contacts": _contacts(row),
        "is_reaudit": bool(row.is_reaudit),  # type: ignore[attr-defined]
        "reaudit_of": row.reaudit_of,  # type: ignore[attr-defined]
        "distributed_on": row.distributed_on,  # type: ignore[attr-defined]
    }


# --------------------------------------------------------------------- the kinds


def allocation(facts: NoticeFacts) -> list[Due]:
    """§1, §10: P&Q tell the auditor of each audit on its ``distributed_on``; the notice
    names the three people to contact (§10), the escalation after two attempts (§12),
    and the immediate-concern duty (§14)."""
    audits = facts.audits
    sent = audits[[facts.in_window(d) for d in audits["distributed_on"]]]
    return [
        Due(
            "allocation",
            row.distributed_on,
            row.auditor_id,
            audit_id=row.audit_id,
            case_id=row.case_id,
            month=row.month,
            due_on=row.due_on,
            facts=_audit_facts(row),
        )
        for row in sent.itertuples(index=False)
    ]


def audit_heads_up(facts: NoticeFacts) -> list[Due]:
    """§10–11: the allocated worker, team manager and IRO each learn who audits the case,
    so that they can contact the auditor themselves (§11); one notice per contact."""
    audits = facts.audits
    sent = audits[[facts.in_window(d) for d in audits["distributed_on"]]]
    notices = []
    for row in sent.itertuples(index=False):
        seen: set[str] = set()
        for column in CONTACTS:
            person = getattr(row, column)
            if person is None or person in seen:
                continue
            seen.add(person)
            notices.append(
                Due(
                    "audit_heads_up",
                    row.distributed_on,
                    person,
                    audit_id=row.audit_id,
                    case_id=row.case_id,
                    month=row.month,
                    due_on=row.due_on,
                    facts={**_audit_facts(row), "role": CONTACT_ROLES[column]},
                )
            )
    return notices


def reminder(facts: NoticeFacts) -> list[Due]:
    """§6: the auditor is reminded ``remind_working_days_before_due`` working days before
    the month's last day, while the audit is not completed."""
    audits = facts.audits
    open_audits = audits[audits["status"].isin(NOT_DONE) & audits["completed_on"].isna()]
    before = facts.settings.remind_working_days_before_due
    notices = []
    for row in open_audits.itertuples(index=False):
        day = working_days_before(facts.calendar, row.due_on, before)
        if facts.in_window(day):
            notices.append(
                Due(
                    "reminder",
                    day,
                    row.auditor_id,
                    audit_id=row.audit_id,
                    case_id=row.case_id,
                    month=row.month,
                    due_on=row.due_on,
                    facts=_audit_facts(row),
                )
            )
    return notices


def overdue(facts: NoticeFacts) -> list[Due]:
    """§28, §30: an audit past its month's last day, not completed and without an
    honoured exemption (the report's non-completions) is chased on the first working day
    after the due day, then every ``chase_every_working_days``; the auditor's line
    manager is copied in. It still has to be completed (§30)."""
    late = facts.chases["non_completions"]
    managers = _manager_of(facts.data)
    days = facts.working_days.latest_chase(
        late["due_on"], facts.settings.chase_every_working_days, facts.window_start
    )
    notices = []
    for row, day in zip(late.itertuples(index=False), days, strict=True):
        if day is None:
            continue
        manager = managers.get(row.auditor_id)
        notices.append(
            Due(
                "overdue",
                day,
                row.auditor_id,
                cc_ids=(manager,) if manager else (),
                audit_id=row.audit_id,
                case_id=row.case_id,
                month=row.month,
                due_on=row.due_on,
                facts={
                    "auditor_id": row.auditor_id,
                    "days_overdue": (facts.day - row.due_on).days,
                    "contacts": facts.contacts_of.get(row.audit_id, {}),
                },
            )
        )
    return notices


def amendment_due(facts: NoticeFacts) -> list[Due]:
    """§20: a returned audit comes back within ``amendment_working_days`` working days:
    the auditor is told on the day of its return, and reminded on the due day if it is
    still returned then."""
    returned = facts.chases["amendments_due"]
    notices = []
    for row in returned.itertuples(index=False):
        if row.returned_on is None:
            continue  # the ledger does not say when: no day to send on
        day = facts.latest_in_window([row.returned_on, row.amendment_due_on])
        if day is None:
            continue
        notices.append(
            Due(
                "amendment_due",
                day,
                row.auditor_id,
                audit_id=row.audit_id,
                case_id=row.case_id,
                month=row.month,
                due_on=row.amendment_due_on,
                facts={
                    "auditor_id": row.auditor_id,
                    "returned_on": row.returned_on,
                    "due_today": day == row.amendment_due_on,
                },
            )
        )
    return notices


def break_cap_reached(facts: NoticeFacts) -> list[Due]:
    """§3: every Head of Service is told on the day a month's break cap is reached: the
    day of the request that took the cap's last place, first come first served as
    ``allocate`` decides (contract §4 rule 3), from the requests made by then."""
    breaks = facts.data["breaks"]
    staff = facts.data["staff"]
    auditors = staff[staff["is_auditor"] == True]  # noqa: E712
    notices = []
    for month in sorted(set(breaks["month"])):
        requests = breaks[breaks["month"] == month]
        first, last = first_day(month), last_day(month)
        eligible = {
            staff_id
            for staff_id, start, end in zip(
                auditors["staff_id"], auditors["active_from"], auditors["active_to"], strict=True
            )
            if (start is None or start <= first) and (end is None or end >= last)
        }
        counts = yearly_counts(facts.data, month)
        at_maximum = set(counts[counts >= facts.policy.max_audits_per_year].index) & eligible
        cap = break_cap(facts.policy.max_break_fraction, len(eligible))
        decided = decide_breaks(requests, month, eligible, at_maximum, cap)
        granted = decided[decided["decision"] == "granted"]
        if cap == 0 or len(granted) < cap:
            continue
        # The granted count only grows as requests arrive, so the cap was reached on the
        # day the cap-th request that needs a place was made.
        needing = sorted(decided.loc[decided["decision"] != "not_required", "requested_on"])
        day = needing[cap - 1]
        if not facts.in_window(day):
            continue
        refused = int((decided["decision"] == "refused_cap").sum())
        heads = staff[(staff["role"] == "head_of_service") & active_on(staff, first)]
        for head in sorted(heads["staff_id"]):
            notices.append(
                Due(
                    "break_cap_reached",
                    day,
                    head,
                    month=month,
                    facts={"cap": cap, "granted": len(granted), "refused": refused},
                )
            )
    return notices


def moderator_assigned(facts: NoticeFacts) -> list[Due]:
    """§22: the moderator is told on the day of assignment, the challenger and the
    auditor copied in; the moderator makes the final judgement."""
    moderations = facts.data["moderations"]
    challenges = facts.data["challenges"]
    open_challenges = challenges[challenges["consensus_reached"] != True]  # noqa: E712
    challengers = open_challenges.groupby("audit_id")["raised_by"].agg(lambda s: sorted(set(s)))
    by_audit = facts.audits.set_index("audit_id")
    notices = []
    for row in moderations.itertuples(index=False):
        if not facts.in_window(row.assigned_on):
            continue
        audit = by_audit.loc[row.audit_id] if row.audit_id in by_audit.index else None
        auditor = None if audit is None else audit["auditor_id"]
        raised_by = list(challengers.get(row.audit_id, []))
        cc = tuple(dict.fromkeys(p for p in [*raised_by, auditor] if p and p != row.moderator_id))
        notices.append(
            Due(
                "moderator_assigned",
                row.assigned_on,
                row.moderator_id,
                cc_ids=cc,
                audit_id=row.audit_id,
                case_id=None if audit is None else audit["case_id"],
                month=None if audit is None else audit["month"],
                facts={"auditor_id": auditor, "raised_by": raised_by},
            )
        )
    return notices


def _cycle(facts: NoticeFacts) -> pd.DataFrame:
    """§25: the inadequate audits awaiting their re-audit as known on the day, with the
    meeting dates and escalation of ``reaudit_schedule`` and the audit's people."""
    month = month_of(facts.day)
    awaiting = awaiting_reaudits(facts.data, month, facts.day)
    by_audit = facts.audits.set_index("audit_id")
    services = {
        case: by_audit.at[audit_id, "service"]
        for audit_id, case in zip(awaiting["audit_id"], awaiting["case_id"], strict=True)
        if audit_id in by_audit.index and by_audit.at[audit_id, "service"] is not None
    }
    schedule = reaudit_schedule(facts.data, month, awaiting, services)
    people = by_audit.reindex(schedule["audit_id"])[
        ["month", "auditor_id", *CONTACTS, "group_manager_id"]
    ]
    people = people.astype(object).where(people.notna(), None)
    return pd.concat([schedule.reset_index(drop=True), people.reset_index(drop=True)], axis=1)


MEETING = ("group_manager_id", "team_manager_id", "allocated_worker_id")


def _meeting_notices(
    facts: NoticeFacts, kind: str, send_on: Callable[[Any], dt.date], due: str
) -> list[Due]:
    notices = []
    for row in facts.cycle.itertuples(index=False):
        day = send_on(row)
        if not facts.in_window(day):
            continue
        people = [getattr(row, c) for c in MEETING if getattr(row, c) is not None]
        for person in dict.fromkeys(people):
            notices.append(
                Due(
                    kind,
                    day,
                    person,
                    audit_id=row.audit_id,
                    case_id=row.case_id,
                    month=row.month,
                    due_on=getattr(row, due),
                    facts=_cycle_facts(row),
                )
            )
    return notices


def _cycle_facts(row: object) -> dict[str, object]:
    return {
        name: getattr(row, name)
        for name in (
            "auditor_id",
            "confirmed_on",
            "reflection_meeting_by",
            "review_meeting_on",
            "reaudit_deadline",
            "reaudit_month",
            "escalation",
            "head_of_service_id",
        )
    } | {"contacts": _contacts(row)}


def reflection_meeting(facts: NoticeFacts) -> list[Due]:
    """§25: on the day an inadequate grade is confirmed, the group manager, team manager
    and worker are asked to meet and reflect, by ``reflection_meeting_by``."""
    return _meeting_notices(
        facts, "reflection_meeting", lambda row: row.confirmed_on, "reflection_meeting_by"
    )


def review_meeting(facts: NoticeFacts) -> list[Due]:
    """§25: the same three are reminded 5 working days before the four-week review
    meeting (``review_meeting_on``)."""
    return _meeting_notices(
        facts,
        "review_meeting",
        lambda row: working_days_before(facts.calendar, row.review_meeting_on, 5),
        "review_meeting_on",
    )


def hos_escalation(facts: NoticeFacts) -> list[Due]:
    """§25: a re-audit graded inadequate again brings in the Head of Service, who meets
    the group manager, team manager and worker; told on the day it is confirmed."""
    notices = []
    for row in facts.cycle.itertuples(index=False):
        if row.escalation == "none" or row.head_of_service_id is None:
            continue
        if not facts.in_window(row.confirmed_on):
            continue
        cc = tuple(
            dict.fromkeys(
                getattr(row, c)
                for c in MEETING
                if getattr(row, c) is not None and getattr(row, c) != row.head_of_service_id
            )
        )
        notices.append(
            Due(
                "hos_escalation",
                row.confirmed_on,
                row.head_of_service_id,
                cc_ids=cc,
                audit_id=row.audit_id,
                case_id=row.case_id,
                month=row.month,
                due_on=row.reaudit_deadline,
                facts=_cycle_facts(row),
            )
        )
    return notices


def actions_awaited(facts: NoticeFacts) -> list[Due]:
    """§23, §27: the team manager is asked to confirm the audit's actions
    ``actions_chase_after_days`` days after finalisation, then monthly, while they are
    not confirmed; the group manager is copied in."""
    waiting = facts.chases["awaiting_actions"]
    after = dt.timedelta(days=facts.settings.actions_chase_after_days)
    starts = [None if d is None else d + after for d in waiting["finalised_on"]]
    days = facts.working_days.latest_monthly(starts, facts.window_start)
    notices = []
    for row, day in zip(waiting.itertuples(index=False), days, strict=True):
        if row.finalised_on is None or row.team_manager_id is None or day is None:
            continue
        manager = row.group_manager_id
        notices.append(
            Due(
                "actions_awaited",
                day,
                row.team_manager_id,
                cc_ids=(manager,) if manager and manager != row.team_manager_id else (),
                audit_id=row.audit_id,
                case_id=row.case_id,
                month=row.month,
                facts={
                    "auditor_id": row.auditor_id,
                    "finalised_on": row.finalised_on,
                    "age_days": row.age_days,
                },
            )
        )
    return notices


#: Every kind, in the issue's order: removing one here stops that notice.
KINDS: dict[str, Callable[[NoticeFacts], list[Due]]] = {
    rule.__name__: rule
    for rule in (
        allocation,
        audit_heads_up,
        reminder,
        overdue,
        amendment_due,
        break_cap_reached,
        moderator_assigned,
        reflection_meeting,
        review_meeting,
        hos_escalation,
        actions_awaited,
    )
}


def due_notices(facts: NoticeFacts) -> list[Due]:
    """Every kind's notices in the window."""
    return [notice for rule in KINDS.values() for notice in rule(facts)]


# --------------------------------------------------------------------- the audits


def _manager_of(data: Dataset) -> dict[str, str]:
    staff = data["staff"]
    return {
        staff_id: manager
        for staff_id, manager in zip(staff["staff_id"], staff["manager_id"], strict=True)
        if manager is not None
    }


LEDGER_COLUMNS = [
    "audit_id",
    "month",
    "case_id",
    "auditor_id",
    "status",
    "completed_on",
    "reaudit_of",
]
AUDIT_COLUMNS = [
    "audit_id",
    "month",
    "case_id",
    "auditor_id",
    "status",
    "completed_on",
    "service",
    *CONTACTS,
    "group_manager_id",
    "distributed_on",
    "due_on",
    "is_reaudit",
    "reaudit_of",
]


def _month_number(months: pd.Series) -> pd.Series:
    def number(month: str) -> int:
        year, mon = parse_month(month)
        return year * 12 + mon

    # Each distinct month parsed once (hundreds of thousands of rows, a few dozen months).
    numbers = {month: number(month) for month in months.unique()}
    return months.map(numbers).astype("int64")


def build_audits(
    data: Dataset, plan: pd.DataFrame | None, calendar: WorkingCalendar
) -> pd.DataFrame:
    """One row per audit: the ledger's rows (``data`` as known on the day), and the
    plan's, which stand for their month (their people and ``distributed_on`` are the
    plan's; their status is the ledger's once recorded, else allocated).

    A ledger row's people are those of its case in its month (the ``cases`` row of that
    month, else the latest earlier one, contract §4), its ``distributed_on`` the month's
    first working day (§1), its ``due_on`` the month's last day (§6).
    """
    history = data["history"]
    plan_months = set() if plan is None else set(plan["month"])
    ledger = history[~history["month"].isin(plan_months)]
    ledger = ledger[
        ["audit_id", "month", "case_id", "auditor_id", "status", "completed_on", "reaudit_of"]
    ]
    people = _case_people(data, ledger[["case_id", "month"]])
    ledger = pd.concat([ledger.reset_index(drop=True), people.reset_index(drop=True)], axis=1)
    months = sorted(set(ledger["month"]))
    distributed = {m: calendar.first_working_day(m) for m in months}
    ledger["distributed_on"] = ledger["month"].map(distributed)
    ledger["due_on"] = ledger["month"].map({m: last_day(m) for m in months})
    ledger["is_reaudit"] = ledger["reaudit_of"].notna()
    frames = [ledger]
    if plan is not None and len(plan):
        planned = plan.copy()
        recorded = history.set_index("audit_id")
        status = planned["audit_id"].map(recorded["status"]).astype(object)
        planned["status"] = status.where(status.notna(), "allocated")
        planned["completed_on"] = planned["audit_id"].map(recorded["completed_on"])
        frames.append(planned)
    audits = pd.concat([f[AUDIT_COLUMNS] for f in frames], ignore_index=True)
    audits = audits.astype(object).where(audits.notna(), None)
    audits["is_reaudit"] = audits["is_reaudit"].map(bool)
    return audits.sort_values("audit_id", kind="stable").reset_index(drop=True)


def _case_people(data: Dataset, keys: pd.DataFrame) -> pd.DataFrame:
    """Each (case, month)'s service and people, from the ``cases`` row of that month or
    the latest earlier one, with the team manager's line manager as group manager."""
    columns = ["service", *CONTACTS]
    if keys.empty:
        return pd.DataFrame(
            {c: pd.Series([], dtype=object) for c in [*columns, "group_manager_id"]}
        )
    cases = data["cases"][["case_id", "month", *columns]].copy()
    cases["_m"] = _month_number(cases["month"])
    wanted = keys.reset_index(drop=True).copy()
    wanted["_row"] = range(len(wanted))
    wanted["_m"] = _month_number(wanted["month"])
    found = pd.merge_asof(
        wanted.sort_values("_m"),
        cases.drop(columns="month").sort_values("_m"),
        on="_m",
        by="case_id",
        direction="backward",
    ).sort_values("_row")
    people = found[columns].reset_index(drop=True)
    people = people.astype(object).where(people.notna(), None)
    managers = _manager_of(data)
    people["group_manager_id"] = [
        None if tm is None else managers.get(tm) for tm in people["team_manager_id"]
    ]
    return people


def catch_up_start(calendar: WorkingCalendar, day: dt.date, working_days: int) -> dt.date:
    """The first day of the catch-up window: ``working_days`` working days before ``day``
    (every day from then on is in it, weekends and bank holidays included)."""
    return working_days_before(calendar, day, working_days)
