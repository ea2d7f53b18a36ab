"""Synthetic, valid input tables for demos, tests and benchmarks (``caseaudit generate``).

Everything comes from one ``numpy.random.default_rng(seed)`` and the month argument,
never the clock, so the same (preset, seed, month) always gives the same tables. The
ledger obeys the policy it will be checked against (one audit a month, ten a year, no
conflicted auditor), and the target month is proven allocatable by a matching before the
tables are returned: a demo that cannot be allocated would teach nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

import numpy as np
import pandas as pd

from caseaudit.io.writer import sort_rows
from caseaudit.model.breaks import break_cap, decide_breaks
from caseaudit.model.calendar import (
    add_months,
    audit_year_start,
    first_day,
    last_day,
    parse_month,
    reaudit_deadline,
    reaudit_month,
)
from caseaudit.model.config import DEFAULT_DOMAINS
from caseaudit.model.schema import JUDGEMENT_MIX, JUDGEMENTS, NOT_COUNTED_STATUSES, TABLES
from caseaudit.synth.matching import UNMATCHED, match_cases
from caseaudit.synth.organisation import NONE, Organisation, build_organisation
from caseaudit.synth.presets import DEFAULT_MONTH, PRESETS, PresetSpec

HISTORY_MONTHS = 12
AUDIT_YEAR_START = 4
MAX_PER_YEAR = 10
MAX_BREAK_FRACTION = Decimal("0.20")
CASES_PER_AUDITOR = 0.75  # the sustainable pace: ten audits in twelve months, less slack
CASELOAD = 15  # case files per practitioner, the population the sample is drawn from
#: The share of the population on the case-management extract of open cases (issue 21):
#: about 150,000 open cases for the national preset.
OPEN_SHARE = 1 / 7
#: Of the extract's rows: opened less than 28 days before the month, closed before its
#: first day, and a second case file of another row's subject (issue 21's exclusions).
RECENTLY_OPENED_SHARE = 0.03
CLOSED_SHARE = 0.03
SECOND_FILE_SHARE = 0.01
CASE_TYPE = {
    "Safeguarding": "child",
    "Children in Care": "child",
    "Leaving Care": "care_leaver",
    "Fostering": "foster_carer",
}
#: The share of each service's cases with an IRO (child protection chairs included).
IRO_SHARE = {"Safeguarding": 0.4, "Children in Care": 1.0, "Leaving Care": 0.3, "Fostering": 0.0}
FINISHED = ("finalised", "actions_complete")
JUDGED = ("completed", "returned", *FINISHED)
STATUS_MIX = {  # by how many months before the target month the audit was
    1: (("allocated", 0.2), ("completed", 0.55), ("returned", 0.25)),
    2: (
        ("finalised", 0.55),
        ("actions_complete", 0.3),
        ("completed", 0.05),
        ("returned", 0.05),
        ("non_completed", 0.05),
    ),
    3: (("actions_complete", 0.78), ("finalised", 0.17), ("non_completed", 0.05)),
}
REAUDIT_MIX = (
    ("good", 0.2),
    ("requires_improvement_good_elements", 0.25),
    ("requires_improvement", 0.35),
    ("inadequate", 0.2),
)
REALLOCATED_SHARE = 0.02
CANCELLED_SHARE = 0.01
CHALLENGED_SHARE = 0.04
#: The audit tool's nine domains, as ``[outcomes] domains`` defaults to (contract §3).
DOMAINS = DEFAULT_DOMAINS
RATINGS = ("met", "partially_met", "not_met", "not_applicable")
RATING_MIX = {  # P(met, partially_met, not_met, not_applicable) by overall judgement
    "outstanding": (0.85, 0.10, 0.0, 0.05),
    "good": (0.70, 0.22, 0.03, 0.05),
    "requires_improvement_good_elements": (0.45, 0.40, 0.10, 0.05),
    "requires_improvement": (0.25, 0.50, 0.20, 0.05),
    "inadequate": (0.05, 0.35, 0.55, 0.05),
}
CONFLICT_REASONS = (
    "Knows the family outside work",
    "Previously allocated worker",
    "Relative works with the family",
    "Managed the case in a previous post",
    None,
)


def generate_tables(preset: str, seed: int, month: str | None = None) -> dict[str, pd.DataFrame]:
    """The input tables of contract §3 for a synthetic authority, keyed by table name.

    ``month`` is the target month (default ``DEFAULT_MONTH``); the history holds the twelve
    months before it. Raises ``ValueError`` for an unknown preset or a malformed month.
    """
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    target = DEFAULT_MONTH if month is None else month.strip()
    parse_month(target)
    return _Generator(PRESETS[preset], seed, target).tables()


@dataclass(frozen=True)
class _Awaiting:
    """An inadequate audit waiting for its re-audit."""

    audit_id: str
    reaudit_month: str
    auditor: int


class _Uniforms:
    """Uniform draws served from blocks: a numpy call per value would be the bottleneck."""

    def __init__(self, rng: np.random.Generator, block: int = 8192) -> None:
        self.rng, self.block = rng, block
        self.values: list[float] = []

    def __call__(self) -> float:
        if not self.values:
            self.values = self.rng.random(self.block).tolist()[::-1]
        return self.values.pop()

    def integer(self, low: int, high: int) -> int:
        """Uniform on low..high inclusive."""
        return low + min(int(self() * (high - low + 1)), high - low)

    def pick(self, weighted: tuple[tuple[str, float], ...]) -> str:
        draw, total = self(), 0.0
        for value, weight in weighted:
            total += weight
            if draw < total:
                return value
        return weighted[-1][0]


class _Generator:
    """Builds the department, then the ledger month by month, then the target month."""

    def __init__(self, spec: PresetSpec, seed: int, month: str) -> None:
        self.spec, self.month, self.seed = spec, month, seed
        self.rng = np.random.default_rng(seed)
        self.u = _Uniforms(self.rng)
        self.org: Organisation = build_organisation(spec, self.rng, month)
        self.target_year = audit_year_start(month, AUDIT_YEAR_START)
        self.as_of = last_day(add_months(month, -1)).toordinal()  # the ledger's last day
        self._case_population()
        self._staff_lookups()
        self.year_counts: dict[str, np.ndarray] = {}
        self.month_counts: dict[str, np.ndarray] = {}  # the same arrays, by month
        self.awaiting: dict[int, _Awaiting] = {}
        self.audited_pairs: set[tuple[int, int]] = set()  # (auditor, subject)
        self.declared: set[tuple[int, int]] = set()
        self.exempt: set[tuple[int, int]] = set()  # (case, auditor), honoured only
        self.case_rows: list[tuple[int, str]] = []  # (case, month)
        self.history: list[dict[str, object]] = []
        self.challenges: list[dict[str, object]] = []
        self.moderations: list[dict[str, object]] = []
        self.challenged: set[str] = set()
        self.break_rows: list[dict[str, object]] = []
        self.conflict_rows: list[dict[str, object]] = []
        self.exemption_rows: list[dict[str, object]] = []

    # -- the population of case files ---------------------------------------

    def _case_population(self) -> None:
        """Every practitioner holds CASELOAD case files; each month's sample is drawn here."""
        org = self.org
        n = len(org.practitioners) * CASELOAD
        self.n_cases = n
        self.case_worker = np.repeat(org.practitioners, CASELOAD).tolist()
        self.case_code = (self.rng.permutation(n) + 1).tolist()
        self.subject_code = (self.rng.permutation(n) + 1).tolist()
        services = [org.service[w] for w in org.practitioners.tolist()]
        share = np.repeat([IRO_SHARE[s] for s in services], CASELOAD)
        with_iro = self.rng.random(n) < share
        iro = org.iros[self.rng.integers(0, len(org.iros), size=n)]
        self.case_iro = np.where(with_iro, iro, NONE).tolist()
        self._case_ids: dict[int, str] = {}
        self._subject_ids: dict[int, str] = {}
        self._days: dict[str, tuple[int, int]] = {}

    def _staff_lookups(self) -> None:
        org = self.org
        self.moderators: dict[str, list[int]] = defaultdict(list)
        for person in np.flatnonzero(org.can_moderate).tolist():
            self.moderators[org.service[person]].append(person)

    def _case_id(self, case: int) -> str:
        # Formatted once per case: a case's id is asked for in several tables.
        text = self._case_ids.get(case)
        if text is None:
            text = self._case_ids[case] = f"C{self.case_code[case]:07d}"
        return text

    def _subject_id(self, case: int) -> str:
        text = self._subject_ids.get(case)
        if text is None:
            text = self._subject_ids[case] = f"P{self.subject_code[case]:07d}"
        return text

    def _month_days(self, month: str) -> tuple[int, int]:
        """The ordinals of the month's first and last days (asked for on every row)."""
        days = self._days.get(month)
        if days is None:
            days = self._days[month] = (first_day(month).toordinal(), last_day(month).toordinal())
        return days

    def _view(self, case: int) -> tuple[int, int, tuple[int, ...], int]:
        """What a conflict check needs: (case, team, people conflicted by role, subject)."""
        worker = self.case_worker[case]
        iro = self.case_iro[case]
        chain = self.org.chain[worker]
        return (
            case,
            self.org.team_key[worker],
            (*chain, iro) if iro != NONE else chain,
            self.subject_code[case],
        )

    def _conflicted(self, view: tuple[int, int, tuple[int, ...], int], auditor: int) -> bool:
        """Contract §4 rule 4: direct, management chain, same team, declared, exempted."""
        case, team, people, subject = view
        return (
            self.org.team_key[auditor] == team
            or auditor in people
            or (auditor, subject) in self.declared
            or (case, auditor) in self.exempt
        )

    def _sample(self, count: int, exclude: set[int]) -> list[int]:
        """``count`` distinct case files, none of them in ``exclude``."""
        if count <= 0:
            return []
        size = min(self.n_cases, count + len(exclude))
        drawn = self.rng.choice(self.n_cases, size=size, replace=False).tolist()
        return [case for case in drawn if case not in exclude][:count]

    def _counts(self, month: str) -> np.ndarray:
        """Each auditor's audits in the audit year of ``month`` (asked for on every row)."""
        counts = self.month_counts.get(month)
        if counts is None:
            year = audit_year_start(month, AUDIT_YEAR_START)
            if year not in self.year_counts:
                self.year_counts[year] = np.zeros(len(self.org), dtype=np.int64)
            counts = self.month_counts[month] = self.year_counts[year]
        return counts

    def _pool(self, eligible: np.ndarray, counts: np.ndarray) -> list[int]:
        """Fewest audits this year first (a fair spread), ties in random order."""
        order = np.lexsort((self.rng.random(len(eligible)), counts[eligible]))
        return eligible[order].tolist()

    # -- the ledger -----------------------------------------------------------

    def _history_month(self, month: str, age: int) -> None:
        """Sample and allocate one past month the way the policy would have."""
        eligible = self.org.eligible(month)
        counts = self._counts(month)
        # Nobody reaches ten before the target month of this year, so all can take one.
        in_target_year = audit_year_start(month, AUDIT_YEAR_START) == self.target_year
        cap = MAX_PER_YEAR - 1 if in_target_year else MAX_PER_YEAR
        pool = self._pool(eligible[counts[eligible] < cap], counts)
        due = sorted(c for c, w in self.awaiting.items() if w.reaudit_month <= month)
        total = round(CASES_PER_AUDITOR * len(eligible))
        regular = self._sample(total - len(due), set(self.awaiting))
        cases = due + regular
        views = [self._view(c) for c in cases]
        preferred = [self.awaiting[c].auditor for c in due] + [UNMATCHED] * len(regular)
        match = match_cases(len(cases), pool, lambda i, a: self._conflicted(views[i], a), preferred)
        taken = set(match)
        spare = [a for a in pool if a not in taken]
        rows_before = len(self.history)
        for i, (case, auditor) in enumerate(zip(cases, match, strict=True)):
            if auditor == UNMATCHED:
                continue
            reaudit_of = self.awaiting[case].audit_id if i < len(due) else None
            forced = None
            if age == 1 and i == 0 and due:
                forced = "cancelled"  # a cancelled re-audit leaves the case overdue
            elif i == len(due):  # the month's first ordinary case shows a rare status
                forced = {4: "reallocated", 5: "non_completed", 6: "cancelled"}.get(age)
            self.case_rows.append((case, month))
            self._audit(month, age, case, auditor, reaudit_of, forced, views[i], spare)
        if age == 2:
            self._ensure_due_reaudits(self.history[rows_before:])

    def _audit(
        self,
        month: str,
        age: int,
        case: int,
        auditor: int,
        reaudit_of: str | None,
        forced: str | None,
        view: tuple[int, int, tuple[int, ...], int],
        spare: list[int],
    ) -> None:
        """One ledger row, or a reallocated row and its ``-r1`` successor."""
        audit_id = f"{month}-{self._case_id(case)}"
        status = forced or self._status(age)
        if status == "reallocated":
            # A free auditor without a conflict takes the audit over; the ordinary status
            # mix then applies to them (one reallocation at most).
            successor = next((a for a in spare if not self._conflicted(view, a)), UNMATCHED)
            if successor != UNMATCHED:
                spare.remove(successor)
                self._row(month, age, case, auditor, audit_id, reaudit_of, "reallocated")
                auditor, audit_id = successor, f"{audit_id}-r1"
            status = self.u.pick(STATUS_MIX[min(age, 3)])
        self._row(month, age, case, auditor, audit_id, reaudit_of, status)

    def _status(self, age: int) -> str:
        """Mostly the month's usual mix; now and then a cancelled or reallocated audit."""
        u = self.u
        if age >= 2 and u() < CANCELLED_SHARE:
            return "cancelled"
        if u() < REALLOCATED_SHARE:
            return "reallocated"
        return u.pick(STATUS_MIX[min(age, 3)])

    def _row(
        self,
        month: str,
        age: int,
        case: int,
        auditor: int,
        audit_id: str,
        reaudit_of: str | None,
        status: str,
    ) -> None:
        """Dates consistent with the status; challenges and moderations along the way."""
        u = self.u
        first, last = self._month_days(month)
        judgement = None
        completed = returned = finalised = actions = None
        if status in JUDGED:
            judgement = u.pick(REAUDIT_MIX if reaudit_of else JUDGEMENT_MIX)
            if judgement == "inadequate" and status not in FINISHED:
                judgement = "requires_improvement"  # only a finalised judgement is confirmed
            late = age >= 2 and u() < 0.1
            completed = last + u.integer(1, 10) if late else first + u.integer(7, last - first)
            completed = min(completed, self.as_of)
            if status == "returned" or (status in FINISHED and u() < 0.2):
                returned = min(completed + u.integer(1, 5), self.as_of)
            if status in FINISHED:
                base = returned or completed
                finalised = min(base + u.integer(1, 4 if returned else 12), self.as_of)
                if status == "actions_complete":
                    actions = min(finalised + u.integer(14, 56), self.as_of)
        effective: str | None = judgement
        effective_on = finalised
        # Challenges come before finalisation: on finished audits, or recent open ones.
        share = CHALLENGED_SHARE if status in FINISHED else 0.1 if age <= 2 else 0.0
        if completed is not None and u() < share:
            outcome = self._challenge(age, case, audit_id, judgement, completed, finalised)
            if outcome is not None:  # no consensus: the moderator's decision, if any, stands
                effective, effective_on = outcome
                if effective_on is not None:
                    finalised = max(finalised or 0, effective_on + u.integer(0, 2))
                    if actions is not None:
                        actions = min(max(actions, finalised + 14), self.as_of)
        counted = status not in NOT_COUNTED_STATUSES
        if counted:
            self._counts(month)[auditor] += 1
            if reaudit_of is not None:
                self.awaiting.pop(case, None)
        if effective == "inadequate" and effective_on is not None:
            deadline = reaudit_deadline(date.fromordinal(effective_on), 2)
            self.awaiting[case] = _Awaiting(audit_id, reaudit_month(deadline), auditor)
        self.audited_pairs.add((auditor, self.subject_code[case]))
        self.history.append(
            {
                "audit_id": audit_id,
                "month": month,
                "case_id": self._case_id(case),
                "subject_id": self._subject_id(case),
                "auditor_id": self.org.staff_ids[auditor],
                "status": status,
                "overall_judgement": judgement,
                "judgement_confirmed_on": finalised if status in FINISHED else None,
                "reaudit_of": reaudit_of,
                "completed_on": completed,
                "returned_on": returned,
                "finalised_on": finalised,
                "actions_completed_on": actions,
                "_case": case,
                "_auditor": auditor,
            }
        )

    def _challenge(
        self,
        age: int,
        case: int,
        audit_id: str,
        judgement: str | None,
        completed: int,
        finalised: int | None,
    ) -> tuple[str | None, int | None] | None:
        """A challenge before finalisation (§21); a moderation where no consensus (§22).

        None when consensus was reached (the auditor's judgement stands); otherwise the
        moderator's (final judgement, decided on), or (None, None) while undecided.
        """
        u = self.u
        worker = self.case_worker[case]
        raised_by = worker if u() < 0.7 else self.org.manager[worker]
        raised = min(completed + u.integer(0, 2), finalised or self.as_of, self.as_of)
        # Older finished audits may have gone to moderation; recent ones still wait for it.
        finished = finalised is not None
        consensus = (finished and age < 3) or u() < (0.6 if finished else 0.5)
        self.challenges.append(
            {
                "audit_id": audit_id,
                "raised_by": self.org.staff_ids[raised_by],
                "raised_on": raised,
                "consensus_reached": consensus,
            }
        )
        self.challenged.add(audit_id)
        if consensus:
            return None
        moderator = self._moderator(case)
        if moderator == NONE or (not finished and u() < 0.4):
            return None, None  # P&Q have not found a moderator yet
        assigned = min(raised + u.integer(1, 4), self.as_of)
        final = decided = None
        if finished and judgement is not None:
            better = JUDGEMENTS[max(0, JUDGEMENTS.index(judgement) - 1)]
            final = judgement if u() < 0.5 else better
            decided = assigned + u.integer(3, 10)
        self.moderations.append(
            {
                "audit_id": audit_id,
                "moderator_id": self.org.staff_ids[moderator],
                "assigned_on": assigned,
                "final_judgement": final,
                "decided_on": decided,
            }
        )
        return final, decided

    def _moderator(self, case: int) -> int:
        """A senior manager in a service not connected with the case (§22)."""
        options = self._moderator_options(case)
        return options[self.u.integer(0, len(options) - 1)] if options else NONE

    def _moderator_options(self, case: int) -> list[int]:
        """The senior managers of the other services, outside the worker's line (§22)."""
        worker = self.case_worker[case]
        service = self.org.service[worker]
        line = set(self.org.chain[worker])
        return [
            person
            for other, people in sorted(self.moderators.items())
            if other != service
            for person in people
            if person not in line
        ]

    def _ensure_due_reaudits(self, rows: list[dict[str, object]]) -> None:
        """Make sure a few re-audits fall due in the target month itself.

        An inadequate judgement confirmed on days 1–27 of the month before the target
        month has its deadline two months later, inside the month after the target month,
        so its re-audit month is the target month (§25).
        """
        wanted = 1 if len(self.spec.services) == 1 else 2
        due_now = sum(w.reaudit_month == self.month for w in self.awaiting.values())
        previous = add_months(self.month, -1)
        for row in rows:
            if due_now >= wanted:
                return
            case = cast(int, row["_case"])
            if (
                row["status"] not in FINISHED
                or row["reaudit_of"] is not None
                or row["audit_id"] in self.challenged
                or row["overall_judgement"] == "inadequate"
                or case in self.awaiting
            ):
                continue
            base = cast(int, row["returned_on"] or row["completed_on"])
            confirmed = max(first_day(previous).toordinal() + self.u.integer(0, 20), base + 1)
            confirmed_month = reaudit_month(reaudit_deadline(date.fromordinal(confirmed), 2))
            if confirmed > self.as_of or confirmed_month != self.month:
                continue
            row.update(
                status="finalised",
                overall_judgement="inadequate",
                judgement_confirmed_on=confirmed,
                finalised_on=confirmed,
                actions_completed_on=None,
            )
            self.awaiting[case] = _Awaiting(
                str(row["audit_id"]), self.month, cast(int, row["_auditor"])
            )
            due_now += 1

    # -- the target month --------------------------------------------------------

    def _target_month(self) -> None:
        """The month's sample, its requests, and a matching that proves it can be filled."""
        month = self.month
        org = self.org
        eligible = org.eligible(month)
        counts = self._counts(month)
        at_maximum = {a for a in eligible.tolist() if counts[a] >= MAX_PER_YEAR}
        due = sorted(c for c, w in self.awaiting.items() if w.reaudit_month <= month)
        total = round(CASES_PER_AUDITOR * len(eligible))
        regular = self._sample(total - len(due), set(self.awaiting))
        granted = self._breaks(eligible, at_maximum)
        self._declare_conflicts(eligible, regular)
        self._exemptions(eligible, regular)
        # An auditor with an honoured exemption gets no audit at all this month (issue 3).
        exempted = {auditor for _, auditor in self.exempt}
        available = [
            a
            for a in eligible.tolist()
            if a not in granted and a not in at_maximum and a not in exempted
        ]
        pool = self._pool(np.array(available, dtype=np.int64), counts)
        cases = due + regular
        views = [self._view(c) for c in cases]
        match = match_cases(len(cases), pool, lambda i, a: self._conflicted(views[i], a))
        if any(match[i] == UNMATCHED for i in range(len(due))):
            raise RuntimeError(f"a due re-audit of {month} has no free auditor (a bug)")
        kept = [c for c, a in zip(cases, match, strict=True) if a != UNMATCHED]
        dropped = {self._case_id(c) for c, a in zip(cases, match, strict=True) if a == UNMATCHED}
        self.exemption_rows = [r for r in self.exemption_rows if r["case_id"] not in dropped]
        self.case_rows += [(case, month) for case in kept]

    def _breaks(self, eligible: np.ndarray, at_maximum: set[int]) -> set[int]:
        """Requests from a fifth to a quarter of the auditors, decided as ``allocate`` will
        decide them: over the cap, some late, a tie, and requests from a leaver and a
        starter that are not required. Returns the auditors granted a break."""
        u, month, org = self.u, self.month, self.org
        cap = break_cap(MAX_BREAK_FRACTION, len(eligible))
        share = 0.20 + 0.05 * u()
        wanted = min(len(eligible), max(round(share * len(org.auditors())), cap + 1))
        requesters = sorted(self.rng.choice(eligible, size=wanted, replace=False).tolist())
        first, last = first_day(month).toordinal(), last_day(month).toordinal()
        auditors = org.auditors()
        leaving = (org.active_to >= first) & (org.active_to < last)
        starting = (org.active_from > first) & (org.active_from <= last)
        leavers, starters = auditors[leaving[auditors]], auditors[starting[auditors]]
        requesters += leavers.tolist()[:1] + starters.tolist()[:1]
        days = [
            first + u.integer(0, 3) if u() < 0.15 else self.as_of - u.integer(0, 44)
            for _ in requesters
        ]
        if all(day <= self.as_of for day in days):
            days[-1] = first + 1  # at least one late request
        on_time = [i for i, day in enumerate(days) if day <= self.as_of]
        if len(on_time) >= 2:
            days[on_time[1]] = days[on_time[0]]  # a tie: auditor_id decides it
        self.break_rows = [
            {"auditor_id": org.staff_ids[a], "month": month, "requested_on": date.fromordinal(d)}
            for a, d in zip(requesters, days, strict=True)
        ]
        decisions = decide_breaks(
            pd.DataFrame(self.break_rows, columns=["auditor_id", "month", "requested_on"]),
            month,
            {org.staff_ids[a] for a in eligible.tolist()},
            {org.staff_ids[a] for a in at_maximum},
            cap,
        )
        granted = set(decisions.loc[decisions["decision"] == "granted", "auditor_id"])
        return {a for a in eligible.tolist() if org.staff_ids[a] in granted}

    def _declare_conflicts(self, eligible: np.ndarray, regular: list[int]) -> None:
        """A few declared conflicts: most on this month's subjects, never on a subject the
        auditor has already audited (the ledger must stay within the rules)."""
        u = self.u
        wanted = max(3, round(0.02 * len(self.org.auditors())))
        auditors = eligible.tolist()
        rows: list[dict[str, object]] = []
        for attempt in range(wanted * 4):
            if len(rows) == wanted:
                break
            auditor = auditors[u.integer(0, len(auditors) - 1)]
            if attempt % 3 != 2 and regular:
                case = regular[u.integer(0, len(regular) - 1)]
            else:
                case = u.integer(0, self.n_cases - 1)
            pair = (auditor, self.subject_code[case])
            if pair in self.audited_pairs or pair in self.declared:
                continue
            self.declared.add(pair)
            reason = CONFLICT_REASONS[u.integer(0, len(CONFLICT_REASONS) - 1)]
            rows.append(
                {
                    "auditor_id": self.org.staff_ids[auditor],
                    "subject_id": self._subject_id(case),
                    "reason": reason,
                }
            )
        self.conflict_rows = rows

    def _exemptions(self, eligible: np.ndarray, regular: list[int]) -> None:
        """Exemptions for this month's cases: approved by the right role (§4), approved by
        the wrong one (so not honoured), refused and pending."""
        u, org = self.u, self.org
        kinds = ("right", "wrong", "refused", "pending")
        wanted = min(len(regular), max(4, round(0.015 * len(org.auditors()))))
        auditors = eligible.tolist()
        rows: list[dict[str, object]] = []
        seen: set[tuple[int, int]] = set()
        first = first_day(self.month).toordinal()
        for n in range(wanted):
            case, view = regular[n], self._view(regular[n])
            auditor = auditors[u.integer(0, len(auditors) - 1)]
            for _ in range(10):  # someone who could otherwise have been given this case
                if (
                    not self._conflicted(view, auditor)
                    and (case, auditor) not in seen
                    and self._approver(auditor) != auditor  # approvers: see below
                ):
                    break
                auditor = auditors[u.integer(0, len(auditors) - 1)]
            if (case, auditor) in seen:
                continue
            seen.add((case, auditor))
            kind = kinds[n] if n < len(kinds) else kinds[u.integer(0, len(kinds) - 1)]
            approved = kind in ("right", "wrong")
            decided_by = (
                self._wrong_approver(auditor) if kind == "wrong" else self._approver(auditor)
            )
            requested = first + u.integer(-6, 2)
            if kind == "right":
                self.exempt.add((case, auditor))
            rows.append(
                {
                    "case_id": self._case_id(case),
                    "month": self.month,
                    "auditor_id": org.staff_ids[auditor],
                    "requested_on": date.fromordinal(requested),
                    "decision": "approved" if approved else kind,
                    "decided_by": None if kind == "pending" else org.staff_ids[decided_by],
                    "decided_on": None
                    if kind == "pending"
                    else date.fromordinal(requested + u.integer(0, 3)),
                }
            )
        # An approver who audits (an assistant director, the strategic lead) approves
        # their own exemption: never honoured, only someone else may agree it (§4).
        approvers = [a for a in auditors if self._approver(a) == a]
        for case in regular[wanted : wanted + 4]:
            auditor = next(
                (a for a in approvers if not self._conflicted(self._view(case), a)), None
            )
            if auditor is not None:
                day = date.fromordinal(first + u.integer(-6, 2))
                rows.append(
                    {
                        "case_id": self._case_id(case),
                        "month": self.month,
                        "auditor_id": org.staff_ids[auditor],
                        "requested_on": day,
                        "decision": "approved",
                        "decided_by": org.staff_ids[auditor],
                        "decided_on": day,
                    }
                )
                break
        self.exemption_rows = rows

    def _approver(self, auditor: int) -> int:
        """§4: the Assistant Director for CSC staff, the Strategic Lead for P&Q staff."""
        if self.org.group[auditor] == "pq":
            return self.org.strategic_lead
        return self.org.chain[auditor][-1]

    def _wrong_approver(self, auditor: int) -> int:
        """Someone plausible but not entitled to agree it, so the exemption is not honoured."""
        org = self.org
        if org.group[auditor] == "pq":
            return org.assistant_directors[0]  # a director, but P&Q staff need the lead
        manager = org.manager[auditor]
        if manager != NONE and org.role[manager] != "assistant_director":
            return manager
        return org.strategic_lead  # a head of service's exemption agreed by P&Q's lead

    # -- assembly -------------------------------------------------------------

    def tables(self) -> dict[str, pd.DataFrame]:
        for age in range(HISTORY_MONTHS, 0, -1):
            self._history_month(add_months(self.month, -age), age)
        self._ensure_repeat_inadequate()
        self._target_month()
        self._open_challenges()
        self._monitoring_examples()
        cases = self._cases()
        # Contract §1: a declared conflict names a child of the sample or the ledger; a
        # conflict drawn on another child of the caseload bars no one, and is left out.
        subjects = {*cases["subject_id"], *(row["subject_id"] for row in self.history)}
        conflicts = [row for row in self.conflict_rows if row["subject_id"] in subjects]
        return {
            "staff": _columns_frame("staff", self.org.columns()),
            "cases": cases,
            "breaks": _frame("breaks", self.break_rows),
            "conflicts": _frame("conflicts", conflicts),
            "exemptions": _frame("exemptions", self.exemption_rows),
            "history": _frame("history", self.history),
            "challenges": _frame("challenges", self.challenges),
            "moderations": _frame("moderations", self.moderations),
            "break_preferences": _frame("break_preferences", self._preferences()),
            "outcomes": self._outcomes(),
            # Last, from its own stream: every other table stays as it was before issue 21.
            "caseload": self._caseload(),
        }

    # -- what the monitoring report must show (issue 10) ------------------------

    def _ensure_repeat_inadequate(self) -> None:
        """A re-audit judged inadequate again and still awaiting its own re-audit, so that
        the inadequate cycle shows an escalation to the head of service (§25–26).

        Only when the ledger has none: the latest finished, unchallenged re-audit of a case
        not audited since is judged inadequate (confirmed when it was finalised). Its own
        re-audit is then due, or overdue, in the target month, which allocates it."""
        rows = {str(row["audit_id"]): row for row in self.history}
        if any(rows[w.audit_id]["reaudit_of"] for w in self.awaiting.values()):
            return
        latest_month: dict[int, str] = {}
        for row in self.history:
            case = cast(int, row["_case"])
            latest_month[case] = max(latest_month.get(case, ""), str(row["month"]))
        for row in reversed(self.history):
            case = cast(int, row["_case"])
            confirmed = row["judgement_confirmed_on"]
            if (
                row["reaudit_of"] is None
                or row["status"] not in FINISHED
                or confirmed is None
                or row["audit_id"] in self.challenged
                or case in self.awaiting
                or latest_month[case] != row["month"]
            ):
                continue
            confirmed_day = date.fromordinal(cast(int, confirmed))
            row["overall_judgement"] = "inadequate"
            deadline = reaudit_deadline(confirmed_day, 2)
            self.awaiting[case] = _Awaiting(
                str(row["audit_id"]), reaudit_month(deadline), cast(int, row["_auditor"])
            )
            return

    def _monitoring_examples(self) -> None:
        """Rows that make every list of ``caseaudit report`` as of the ledger's last day
        show its cases (issue 10), added only where the ledger has none, from their own
        generator so that the other tables stay as they were:

        - an overdue audit whose exemption was honoured (outstanding, not a
          non-completion) and one whose exemption was not (a non-completion, §30);
        - a challenge decided by a moderator in the ledger's last month (§22): the
          moderator upholds the judgement, so no effective judgement changes;
        - a challenge with a moderator assigned and no decision yet.
        """
        rng = np.random.default_rng([self.seed, 10])
        self._past_exemptions(rng)
        self._decided_this_month(rng)
        self._moderator_assigned(rng)

    def _past_exemptions(self, rng: np.random.Generator) -> None:
        overdue = [
            row
            for row in self.history
            if row["status"] in ("allocated", "non_completed")
            and last_day(str(row["month"])).toordinal() < self.as_of
        ]
        past = {(r["case_id"], r["month"]) for r in self.exemption_rows}
        # Never an exemption the auditor would agree themself (an Assistant Director who
        # audits): that one could not be honoured.
        overdue = [
            r
            for r in overdue
            if (r["case_id"], r["month"]) not in past
            and self._approver(cast(int, r["_auditor"])) != r["_auditor"]
        ]
        if len(overdue) < 2:
            return
        picks = sorted(rng.choice(len(overdue), size=2, replace=False).tolist())
        for kind, position in zip(("right", "refused"), picks, strict=True):
            row = overdue[position]
            auditor = cast(int, row["_auditor"])
            requested = first_day(str(row["month"])).toordinal() + int(rng.integers(2, 10))
            self.exemption_rows.append(
                {
                    "case_id": row["case_id"],
                    "month": row["month"],
                    "auditor_id": row["auditor_id"],
                    "requested_on": date.fromordinal(requested),
                    "decision": "approved" if kind == "right" else "refused",
                    "decided_by": self.org.staff_ids[self._approver(auditor)],
                    "decided_on": date.fromordinal(requested + int(rng.integers(1, 4))),
                }
            )

    def _moderator_for(self, case: int, rng: np.random.Generator) -> int:
        """As ``_moderator``, drawn from ``rng``."""
        options = self._moderator_options(case)
        return options[int(rng.integers(0, len(options)))] if options else NONE

    def _decided_this_month(self, rng: np.random.Generator) -> None:
        last_month = add_months(self.month, -1)
        first = first_day(last_month).toordinal()
        moderated = {str(m["audit_id"]): m for m in self.moderations}
        if any(
            m["decided_on"] is not None and cast(int, m["decided_on"]) >= first
            for m in moderated.values()
        ):
            return
        candidates = [
            row
            for row in self.history
            if row["status"] in FINISHED
            and row["audit_id"] not in self.challenged
            and row["overall_judgement"] not in (None, "inadequate")
            and row["finalised_on"] is not None
            and cast(int, row["finalised_on"]) >= first
            and cast(int, row["finalised_on"]) - cast(int, row["completed_on"]) >= 3
        ]
        for position in rng.permutation(len(candidates)).tolist():
            row = candidates[position]
            case = cast(int, row["_case"])
            moderator = self._moderator_for(case, rng)
            if moderator == NONE:
                continue
            completed, finalised = cast(int, row["completed_on"]), cast(int, row["finalised_on"])
            worker = self.case_worker[case]
            self.challenges.append(
                {
                    "audit_id": row["audit_id"],
                    "raised_by": self.org.staff_ids[worker],
                    "raised_on": completed + 1,
                    "consensus_reached": False,
                }
            )
            self.moderations.append(
                {
                    "audit_id": row["audit_id"],
                    "moderator_id": self.org.staff_ids[moderator],
                    "assigned_on": completed + 2,
                    "final_judgement": row["overall_judgement"],
                    "decided_on": finalised,
                }
            )
            self.challenged.add(str(row["audit_id"]))
            return

    def _moderator_assigned(self, rng: np.random.Generator) -> None:
        undecided = {str(m["audit_id"]) for m in self.moderations if m["decided_on"] is None}
        open_challenges = {
            str(c["audit_id"]) for c in self.challenges if not c["consensus_reached"]
        }
        if undecided & open_challenges:
            return
        moderated = {str(m["audit_id"]) for m in self.moderations}
        waiting = sorted(open_challenges - moderated)
        if len(waiting) < 2:  # one stays waiting for a moderator
            return
        audit_id = waiting[int(rng.integers(0, len(waiting)))]
        row = next(row for row in self.history if row["audit_id"] == audit_id)
        moderator = self._moderator_for(cast(int, row["_case"]), rng)
        if moderator == NONE:
            return
        raised = min(
            cast(int, c["raised_on"]) for c in self.challenges if c["audit_id"] == audit_id
        )
        self.moderations.append(
            {
                "audit_id": audit_id,
                "moderator_id": self.org.staff_ids[moderator],
                "assigned_on": min(raised + 1, self.as_of),
                "final_judgement": None,
                "decided_on": None,
            }
        )

    def _open_challenges(self) -> None:
        """Challenges still waiting for a moderator on the ledger's last day (§21–22), so
        that ``caseaudit moderate --as-of <that day>`` has work: about 1.5% of the last
        month's audits, completed or returned but not finalised, challenged in the last
        days without consensus by the worker or the team manager.

        Drawn from their own generator after everything else, so every other table is
        what it was without them; a judgement not yet finalised is not confirmed anyway,
        so no re-audit changes."""
        rng = np.random.default_rng([self.seed, 22])
        last_month = add_months(self.month, -1)
        candidates = [
            row
            for row in self.history
            if row["month"] == last_month
            and row["status"] in ("completed", "returned")
            and row["audit_id"] not in self.challenged
        ]
        wanted = min(len(candidates), max(2, round(0.015 * len(candidates))))
        for position in sorted(rng.choice(len(candidates), size=wanted, replace=False).tolist()):
            row = candidates[position]
            worker = self.case_worker[cast(int, row["_case"])]
            manager = self.org.manager[worker]
            person = manager if manager != NONE and rng.random() < 0.3 else worker
            completed = cast(int, row["returned_on"] or row["completed_on"])
            self.challenges.append(
                {
                    "audit_id": row["audit_id"],
                    "raised_by": self.org.staff_ids[person],
                    "raised_on": min(completed + int(rng.integers(0, 3)), self.as_of),
                    "consensus_reached": False,
                }
            )
            self.challenged.add(str(row["audit_id"]))

    def _case_columns(self, cases: np.ndarray) -> dict[str, list[object]]:
        """What the sample and the extract say of each case: its ids, its worker's service,
        team and manager, and its IRO, column by column."""
        org = self.org
        # An id column with None after the last staff member: NONE (-1) picks None.
        ids = np.array([*org.staff_ids, None], dtype=object)
        workers = np.asarray(self.case_worker, dtype=np.int64)[cases]
        services = np.array(org.service, dtype=object)[workers].tolist()
        positions = cases.tolist()
        return {
            "case_id": [self._case_id(c) for c in positions],
            "subject_id": [self._subject_id(c) for c in positions],
            "case_type": [CASE_TYPE[s] for s in services],
            "service": services,
            "team": np.array(org.team, dtype=object)[workers].tolist(),
            "allocated_worker_id": ids[workers].tolist(),
            "team_manager_id": ids[np.asarray(org.manager, dtype=np.int64)[workers]].tolist(),
            "iro_id": ids[np.asarray(self.case_iro, dtype=np.int64)[cases]].tolist(),
        }

    def _cases(self) -> pd.DataFrame:
        cases = np.array([case for case, _ in self.case_rows], dtype=np.int64)
        columns = self._case_columns(cases)
        columns["month"] = [month for _, month in self.case_rows]
        return _columns_frame("cases", columns)

    def _caseload(self) -> pd.DataFrame:
        """The case-management extract of open cases that ``draw-sample`` draws from
        (issue 21): a random share of the population, with some cases too recently
        opened, some closed before the month and some subjects with two case files."""
        rng = np.random.default_rng([self.seed, 21])
        size = max(1, round(self.n_cases * OPEN_SHARE))
        chosen = np.sort(rng.choice(self.n_cases, size=size, replace=False))
        first = first_day(self.month).toordinal()
        opened = first - rng.integers(29, 3 * 365, size=size)
        recent = rng.random(size) < RECENTLY_OPENED_SHARE
        opened[recent] = first - rng.integers(0, 28, size=int(recent.sum()))
        closed = rng.random(size) < CLOSED_SHARE
        closed_on = first - rng.integers(1, 28, size=size)
        second_file = rng.random(size) < SECOND_FILE_SHARE
        other = rng.integers(0, size, size=size)
        audited = np.array(sorted({case for case, _ in self.case_rows}), dtype=np.int64)
        columns = self._case_columns(chosen)
        # A second case file of another row's subject, never on a case already audited.
        for position in np.flatnonzero(second_file & ~np.isin(chosen, audited)).tolist():
            columns["subject_id"][position] = self._subject_id(int(chosen[other[position]]))
        columns["opened_on"] = np.minimum(opened, first).tolist()
        columns["closed_on"] = [
            day if is_closed else None
            for day, is_closed in zip(closed_on.tolist(), closed.tolist(), strict=True)
        ]
        return _columns_frame("caseload", columns)

    def _preferences(self) -> list[dict[str, object]]:
        """Wishes for next audit year's break plan from about a quarter of the auditors."""
        next_year = add_months(self.target_year, 12)
        rows = []
        for auditor in self.org.auditors().tolist():
            if self.u() >= 0.25:
                continue
            months = self.rng.choice(12, size=self.u.integer(1, 2), replace=False).tolist()
            for rank, offset in enumerate(months, start=1):
                rows.append(
                    {
                        "auditor_id": self.org.staff_ids[auditor],
                        "month": add_months(next_year, offset),
                        "rank": rank,
                    }
                )
        return rows

    def _outcomes(self) -> pd.DataFrame:
        """Nine domain ratings per finished audit, in line with its overall judgement (§16).

        Drawn as one array and laid out with numpy (a region's year has about 200,000
        ratings), sorted as ``_frame`` sorts: by audit_id, then domain, as text."""
        finished = [r for r in self.history if r["status"] in FINISHED and r["overall_judgement"]]
        if not finished:
            return _frame("outcomes", [])
        draws = self.rng.random((len(finished), len(DOMAINS)))
        judgements = np.array([str(r["overall_judgement"]) for r in finished])
        picks = np.zeros(draws.shape, dtype=np.int64)
        for judgement, mix in RATING_MIX.items():
            rows = judgements == judgement
            picks[rows] = np.searchsorted(np.cumsum(mix), draws[rows], side="right")
        picks = np.minimum(picks, len(RATINGS) - 1)
        # Object arrays repeat references to the same strings: no copy per rating.
        audit_ids = np.array([str(r["audit_id"]) for r in finished], dtype=object)
        by_audit = np.argsort(audit_ids, kind="stable")  # Python str: by code point
        domains = np.array(DOMAINS, dtype=object)
        by_domain = np.argsort(domains, kind="stable")
        ratings = np.array(RATINGS, dtype=object)[picks[by_audit][:, by_domain]]
        return pd.DataFrame(
            {
                "audit_id": np.repeat(audit_ids[by_audit], len(DOMAINS)),
                "domain": np.tile(domains[by_domain], len(finished)),
                "rating": ratings.ravel(),
            },
            dtype=object,
        )


_DATE_COLUMNS = frozenset(c.name for t in TABLES.values() for c in t.columns if c.kind == "date")


def _frame(name: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows as the contract's columns, Python values (dates as ``datetime.date``), sorted
    by the first column, then the next, as text."""
    schema = TABLES[name]
    # A column a later command adds (issue 21) is written only when some row has it, so
    # that the files of earlier releases stay byte for byte the same.
    columns = [
        c.name
        for c in schema.columns
        if not c.written_when_used or any(c.name in row for row in rows)
    ]
    return _columns_frame(name, {c: [row.get(c) for row in rows] for c in columns})


def _columns_frame(name: str, data: Mapping[str, Sequence[object]]) -> pd.DataFrame:
    """``_frame`` from the table's columns as lists (day ordinals in date columns), in
    the schema's order: sorted by its key (or the first two columns) as text."""
    schema = TABLES[name]
    columns = [c.name for c in schema.columns if c.name in data]
    frame = pd.DataFrame(
        {
            c: pd.Series(_dates(data[c]) if c in _DATE_COLUMNS else data[c], dtype=object)
            for c in columns
        }
    )
    if frame.empty:
        return frame
    return sort_rows(frame, list(schema.key) or columns[:2])


def _dates(values: Sequence[object]) -> list[object]:
    """Day ordinals as ``datetime.date``, each distinct day made once; other values kept."""
    days: dict[object, object] = {v: date.fromordinal(v) for v in set(values) if isinstance(v, int)}
    return [days.get(v, v) for v in values]
