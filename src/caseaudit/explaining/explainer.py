"""``caseaudit explain`` (issue 11): why this auditor, why not that one, and what to
change when a month cannot be covered.

>>> from caseaudit import explain, load
>>> answer = explain(load("data/", "2026-03"), "2026-03", case="C0000093", auditor="S0155")
>>> print(answer.summary()); answer.pair.blocking_rules; answer.pair.forced.cost_parts
>>> explain("data/", "2026-03").month.relaxations        # why cases are unallocated

It explains the plan that ``allocate`` makes for the same inputs, config and seed (or,
with ``previous``, the plan in that folder) and writes no file. Every fact comes from
``blocking_rules`` and from the month adapter's own soft rules; every "what if" is a
real solve of the month with one pair forced in or one rule relaxed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from caseaudit.explaining.diagnosis import (
    PAIR_RULES,
    Costing,
    HallDiagnosis,
    PlanCost,
    deficient_sets,
    every_open_case_coverable,
    force_pair,
    relaxations,
)
from caseaudit.explaining.facts import (
    RELAXABLE_RULES,
    RULE_IDS,
    blocked_by,
    blockers_frame,
    case_candidates,
    describe_cases,
    describe_counts,
    rule_paragraph,
)
from caseaudit.io.previous import read_previous_plan
from caseaudit.io.reader import load_dataset
from caseaudit.model.dataset import LINE, Dataset
from caseaudit.model.errors import InputError, InputIssue, plural
from caseaudit.model.identity import Spellings
from caseaudit.plans.month.adapter import SOFT_RULES, TIERS, solve_month
from caseaudit.plans.month.problem import MonthProblem, build_problem, seen_subject_by_any_auditor
from caseaudit.plans.month.rules import blocking_rules
from caseaudit.plans.month.tables import allocation_reasons, unallocated_reason

SCHEMA_ID = "caseaudit.explain/1"
#: Preference rules in the order the answer names them (issue 11).
PREFERENCE_RULES = tuple(rule.id for rule in SOFT_RULES if rule.tier == "preference")
SOFT_LABEL = {rule.id: rule.label for rule in SOFT_RULES}
COST_PART_COLUMNS = ["rule", "tier", "paragraph", "plan", "forced", "difference"]
CHANGED_COLUMNS = ["case_id", "plan_auditor_id", "forced_auditor_id"]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these keys, all required (a stable schema)."""
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


_TEXT: dict[str, Any] = {"type": "string"}
_IDS: dict[str, Any] = {"type": "array", "items": _TEXT}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_RULE: dict[str, Any] = {"enum": list(RULE_IDS)}
_BLOCKERS: dict[str, Any] = {
    "type": "array",
    "items": _object({"rule": _RULE, "paragraph": _TEXT, "detail": _TEXT}),
}
_FORCED = _object(
    {
        "lost_cases": _IDS,
        "gained_cases": _IDS,
        "changed": {
            "type": "array",
            "items": _object(
                {
                    "case_id": _TEXT,
                    "plan_auditor_id": _nullable(_TEXT),
                    "forced_auditor_id": _nullable(_TEXT),
                }
            ),
        },
        "cost_parts": {
            "type": "array",
            "items": _object(
                {
                    "rule": {"enum": [rule.id for rule in SOFT_RULES]},
                    "tier": {"enum": list(TIERS)},
                    "paragraph": _TEXT,
                    "plan": {"type": "integer"},
                    "forced": {"type": "integer"},
                    "difference": {"type": "integer"},
                }
            ),
        },
        "decided_by": _nullable({"enum": list(TIERS)}),
        "explanation": _TEXT,
        "status": _TEXT,
    }
)

#: The JSON answer of ``caseaudit explain --json`` (JSON Schema, draft 2020-12). Every
#: key is always present; the sections that do not answer the question are null.
JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_object(
        {
            "schema": {"const": "caseaudit.explain/1"},
            "question": {"enum": ["pair", "case", "auditor", "month"]},
            "plan": _object(
                {
                    "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    "source": {"enum": ["allocate", "previous"]},
                    "directory": _nullable(_TEXT),
                    "seed": {"type": "integer"},
                    "allocated": _COUNT,
                }
            ),
            "pair": _nullable(
                _object(
                    {
                        "case_id": _TEXT,
                        "auditor_id": _TEXT,
                        "allowed": {"type": "boolean"},
                        "chosen": {"type": "boolean"},
                        "plan_auditor_id": _nullable(_TEXT),
                        "reason": _TEXT,
                        "blocking_rules": _BLOCKERS,
                        "forced": _nullable(_FORCED),
                        "auditor_plan_cases": _IDS,
                    }
                )
            ),
            "case": _nullable(
                _object(
                    {
                        "case_id": _TEXT,
                        "chosen": _nullable(_TEXT),
                        "runner_up": _nullable(_TEXT),
                        "reason": _TEXT,
                        "why_not_runner_up": _nullable(_FORCED),
                        "auditors": {
                            "type": "array",
                            "items": _object(
                                {
                                    "auditor_id": _TEXT,
                                    "allowed": {"type": "boolean"},
                                    "blocking_rules": {"type": "array", "items": _RULE},
                                    "detail": _nullable(_TEXT),
                                    "year_count": _COUNT,
                                    "cost_parts": _nullable(
                                        {
                                            "type": "object",
                                            "additionalProperties": {"type": "integer"},
                                        }
                                    ),
                                    "cost": _nullable({"type": "integer"}),
                                    "plan_cases": _IDS,
                                    "chosen": {"type": "boolean"},
                                    "runner_up": {"type": "boolean"},
                                }
                            ),
                        },
                    }
                )
            ),
            "auditor": _nullable(
                _object(
                    {
                        "auditor_id": _TEXT,
                        "capacity": _COUNT,
                        "blocking_rules": _BLOCKERS,
                        "plan_cases": {
                            "type": "array",
                            "items": _object({"case_id": _TEXT, "reason": _TEXT}),
                        },
                        "allowed_cases": _COUNT,
                    }
                )
            ),
            "month": _nullable(
                _object(
                    {
                        "cases": _COUNT,
                        "allocated": _COUNT,
                        "most_covered": _COUNT,
                        "unallocated": {
                            "type": "array",
                            "items": _object({"case_id": _TEXT, "reason": _TEXT}),
                        },
                        "unknown_details": _IDS,
                        "deficient_sets": {
                            "type": "array",
                            "items": _object(
                                {
                                    "cases": _IDS,
                                    "auditors": _IDS,
                                    "capacity": _COUNT,
                                    "shortfall": {"type": "integer", "minimum": 1},
                                    "blocked_by": {
                                        "type": "object",
                                        "propertyNames": _RULE,
                                        "additionalProperties": _COUNT,
                                    },
                                    "explanation": _TEXT,
                                }
                            ),
                        },
                        "relaxations": {
                            "type": "array",
                            "items": _object(
                                {
                                    "rule": {"enum": list(RELAXABLE_RULES)},
                                    "paragraph": _TEXT,
                                    "change": _TEXT,
                                    "penalty": _COUNT,
                                    "cases_gained": _COUNT,
                                    "confirmed": {"type": "boolean"},
                                    "steps": {"type": "array", "items": _IDS},
                                }
                            ),
                        },
                    }
                )
            ),
            "text": _TEXT,
        }
    ),
}


@dataclass(frozen=True)
class ForcedAnswer:
    """The month solved again with one pair forced in, against the plan, tier by tier."""

    case_id: str
    auditor_id: str
    #: Cases the plan covers that the forced plan leaves without an auditor, by id.
    lost_cases: list[str]
    #: Cases the forced plan covers that the plan does not (the forced case, say).
    gained_cases: list[str]
    #: Cases whose auditor differs, the forced case included.
    changed: pd.DataFrame
    #: Each soft rule's part in the plan and in the forced plan.
    cost_parts: pd.DataFrame
    #: The first tier in which the two plans differ (coverage, change, preference,
    #: tie_break), or None when they cost the same.
    decided_by: str | None
    explanation: str
    status: str

    def as_json(self) -> dict[str, Any]:
        # The pair is the question's, said once in ``pair`` (or ``case``).
        return _json_fields(self, leave_out=("case_id", "auditor_id"))


@dataclass(frozen=True)
class PairAnswer:
    """``--case C --auditor A``: why (not) A for C."""

    case_id: str
    auditor_id: str
    allowed: bool
    chosen: bool
    #: Who audits the case in the plan (None: unallocated).
    plan_auditor_id: str | None
    #: The plan's reason for the case: its allocation reason, or why it is unallocated.
    reason: str
    blocking_rules: pd.DataFrame
    forced: ForcedAnswer | None
    #: The cases the auditor audits in the plan.
    auditor_plan_cases: list[str]

    def as_json(self) -> dict[str, Any]:
        return _json_fields(self)

    def lines(self) -> list[str]:
        head = f"{self.auditor_id} for {self.case_id}: "
        if self.chosen:
            return [head + f"chosen in the plan. {self.reason}"]
        if not self.allowed and not len(self.blocking_rules):
            return [head + f"not allowed: {self.reason}"]
        if not self.allowed:
            return [head + "not allowed:", *_blocker_lines(self.blocking_rules)]
        holder = self.plan_auditor_id or "no one (unallocated)"
        busy = (
            f"; {self.auditor_id} audits {' and '.join(self.auditor_plan_cases)} in the plan"
            if self.auditor_plan_cases
            else f"; {self.auditor_id} has no audit in the plan"
        )
        lines = [head + f"allowed, but the plan gives {self.case_id} to {holder}{busy}."]
        if self.forced is not None:
            lines.append(self.forced.explanation)
        return lines


@dataclass(frozen=True)
class CaseAnswer:
    """``--case C``: every auditor for C."""

    case_id: str
    chosen: str | None
    runner_up: str | None
    reason: str
    #: One row per auditor: allowed, blocking rules, cost parts of the allowed ones.
    auditors: pd.DataFrame
    why_not_runner_up: ForcedAnswer | None

    def as_json(self) -> dict[str, Any]:
        auditors = []
        for row in self.auditors.to_dict("records"):
            allowed = bool(row["allowed"])
            auditors.append(
                {
                    "auditor_id": row["auditor_id"],
                    "allowed": allowed,
                    "blocking_rules": [r for r in row["blocking_rules"].split(";") if r],
                    "detail": row["detail"] if isinstance(row["detail"], str) else None,
                    "year_count": int(row["year_count"]),
                    "cost_parts": (
                        {rule: int(row[rule]) for rule in PAIR_RULES} if allowed else None
                    ),
                    "cost": int(row["cost"]) if allowed else None,
                    "plan_cases": [c for c in row["plan_cases"].split(";") if c],
                    "chosen": bool(row["chosen"]),
                    "runner_up": bool(row["runner_up"]),
                }
            )
        return {
            "case_id": self.case_id,
            "chosen": self.chosen,
            "runner_up": self.runner_up,
            "reason": self.reason,
            "why_not_runner_up": _json(self.why_not_runner_up),
            "auditors": auditors,
        }

    def lines(self) -> list[str]:
        frame = self.auditors
        allowed = frame[frame["allowed"]]
        head = (
            f"{self.case_id}: allocated to {self.chosen}."
            if self.chosen
            else f"{self.case_id}: unallocated."
        )
        lines = [head, f"Why: {self.reason}"]
        if self.runner_up and self.why_not_runner_up is not None:
            busy = self.auditors.loc[
                self.auditors["auditor_id"] == self.runner_up, "plan_cases"
            ].iloc[0]
            audits = f", who audits {busy.replace(';', ' and ')} in the plan" if busy else ""
            lines.append(
                f"Runner-up {self.runner_up} (the next cheapest allowed auditor{audits}): "
                f"{self.why_not_runner_up.explanation}"
            )
        elif self.chosen:
            lines.append(f"No runner-up: {self.chosen} is the only auditor allowed.")
        blocked = frame[~frame["allowed"]]
        counts: dict[str, int] = {}
        for rules in blocked["blocking_rules"]:
            first = rules.split(";")[0] if rules else "unknown_details"
            counts[first] = counts.get(first, 0) + 1
        described = describe_counts({r: counts[r] for r in RULE_IDS if r in counts})
        lines.append(
            f"Auditors: {len(frame)}; {len(allowed)} allowed; {len(blocked)} blocked"
            + (f" ({described})" if described else "")
            + "."
        )
        cheapest = allowed.sort_values(["cost", "auditor_id"]).head(5)
        if len(cheapest):
            lines.append(
                "Cheapest allowed: "
                + ", ".join(
                    f"{row.auditor_id} ({_parts_text(row)})" for row in cheapest.itertuples()
                )
            )
        return lines


@dataclass(frozen=True)
class MonthAnswer:
    """``--month`` alone: why cases are unallocated, and the cheapest relaxations."""

    cases: int
    allocated: int
    #: The most cases any plan of the month can cover (the maximum flow).
    most_covered: int
    #: The plan's unallocated cases and their reasons (as ``unallocated.csv``).
    unallocated: pd.DataFrame
    #: Due re-audits whose details are unknown: no auditor may take them.
    unknown_details: list[str]
    #: One row per deficient set: cases, auditors (lists), capacity, shortfall,
    #: blocked_by (rule → count) and a sentence.
    deficient_sets: pd.DataFrame
    #: One row per relaxable rule: change, penalty (steps), cases_gained, confirmed,
    #: steps (each a list of ids).
    relaxations: pd.DataFrame

    def as_json(self) -> dict[str, Any]:
        return _json_fields(self)

    def lines(self, month: str) -> list[str]:
        left = self.cases - self.allocated
        lines = [f"{month}: {self.allocated} of {plural(self.cases, 'case')} allocated."]
        if not left:
            lines.append("Every case has an auditor: no shortage of auditors, nothing to relax.")
            return lines
        lines[0] = lines[0][:-1] + f", {left} unallocated."
        if self.allocated < self.most_covered:
            lines.append(
                f"The rules allow {self.most_covered} cases to be covered: this plan covers "
                f"{self.most_covered - self.allocated} fewer than it could (re-plan it with "
                "caseaudit reallocate)."
            )
        for case_id in self.unknown_details:
            lines.append(f"{case_id}: re-audit due, but its details are unknown (no auditor).")
        for number, text in enumerate(self.deficient_sets["explanation"], start=1):
            lines.append(f"Shortage {number}: {text}")
        if len(self.relaxations):
            lines.append("Relaxations (each gain confirmed by solving the relaxed month):")
            for row in self.relaxations.itertuples():
                if not row.penalty:
                    outcome = "nothing to relax"
                elif row.cases_gained:
                    outcome = f"+{plural(row.cases_gained, 'case')}"
                else:
                    outcome = "no gain"
                if row.penalty and not row.confirmed:
                    outcome += " (solve cut short: not proven)"
                lines.append(f"  {row.rule} ({row.paragraph}): {outcome}: {row.change}")
            lines.append("The direct conflicts (worker, team manager, IRO) are never relaxed.")
        return lines


@dataclass(frozen=True)
class AuditorAnswer:
    """``--auditor A`` alone: the auditor's month."""

    auditor_id: str
    capacity: int
    #: Rules that bar the auditor from every case this month.
    blocking_rules: pd.DataFrame
    #: The cases the auditor audits in the plan, with the plan's reasons.
    plan_cases: pd.DataFrame
    #: How many of the month's cases the auditor may audit.
    allowed_cases: int

    def as_json(self) -> dict[str, Any]:
        return _json_fields(self)

    def lines(self) -> list[str]:
        head = f"{self.auditor_id}: "
        if len(self.blocking_rules):
            return [head + "no audit this month:", *_blocker_lines(self.blocking_rules)]
        lines = [
            head + f"room for {plural(self.capacity, 'audit')} this month; allowed "
            f"{plural(self.allowed_cases, 'case')} of the month."
        ]
        if not len(self.plan_cases):
            lines.append("No case in the plan: every case allowed went to a cheaper auditor.")
        for row in self.plan_cases.itertuples():
            lines.append(f"  {row.case_id}: {row.reason}")
        return lines


@dataclass(frozen=True)
class Explanation:
    """The answer to one ``explain`` question, with DataFrames and ``summary()``."""

    month: str
    #: pair, case, auditor or month.
    question: str
    #: "allocate" (the plan allocate makes) or "previous" (the plan in a folder).
    plan_source: str
    previous_dir: str | None
    seed: int
    #: How many cases the plan allocates.
    allocated: int
    #: The explainer that answered: ``plan`` reads the plan off it.
    explainer: Explainer = field(repr=False, compare=False)
    pair: PairAnswer | None = None
    case: CaseAnswer | None = None
    auditor: AuditorAnswer | None = None
    month_answer: MonthAnswer | None = None

    @property
    def plan(self) -> pd.DataFrame:
        """The plan explained (case_id, auditor_id); the month's question does not need
        it when every open case can be covered, so it is solved here on first use."""
        return self.explainer.plan

    def summary(self) -> str:
        """Short human text, ordered like the question."""
        if self.pair is not None:
            lines = self.pair.lines()
        elif self.case is not None:
            lines = self.case.lines()
        elif self.auditor is not None:
            lines = self.auditor.lines()
        else:
            assert self.month_answer is not None
            lines = self.month_answer.lines(self.month)
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The stable JSON answer (schema ``JSON_SCHEMA``, documented in the README)."""
        return {
            "schema": SCHEMA_ID,
            "question": self.question,
            "plan": {
                "month": self.month,
                "source": self.plan_source,
                "directory": self.previous_dir,
                "seed": self.seed,
                "allocated": self.allocated,
            },
            "pair": _json(self.pair),
            "case": _json(self.case),
            "auditor": _json(self.auditor),
            "month": _json(self.month_answer),
            "text": self.summary(),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False)


def _json(answer: Any) -> Any:
    """An answer's JSON, or None for a question not asked."""
    return answer.as_json() if answer is not None else None


def _json_fields(answer: Any, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """An answer's fields in order as JSON: tables as rows, nested answers as theirs."""
    document = {}
    for member in fields(answer):
        if member.name not in leave_out:
            value = getattr(answer, member.name)
            if isinstance(value, pd.DataFrame):
                value = _records(value)
            elif hasattr(value, "as_json"):
                value = value.as_json()
            document[member.name] = value
    return document


def _blocker_lines(blocking_rules: pd.DataFrame) -> list[str]:
    return [
        f"  - {row.detail} ({row.rule}, {row.paragraph})" for row in blocking_rules.itertuples()
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: numpy scalars as Python ones, nulls as None."""
    rows = []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        rows.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return rows


def _parts_text(row: Any) -> str:
    shown = [
        f"{SOFT_LABEL[rule]} {int(getattr(row, rule))}"
        for rule in PREFERENCE_RULES
        if int(getattr(row, rule))
    ]
    return ", ".join(shown) or "nothing against"


# ---------------------------------------------------------------- the explainer


class Explainer:
    """One month's problem, plan and costs, built once, answering any question about
    it (the tests ask about every case of a month without rebuilding). ``validate``
    checks the data with the month's rules first, as ``allocate`` does."""

    def __init__(
        self,
        data: Dataset,
        month: str,
        previous_dir: Path | str | None = None,
        seed: int | None = None,
        time_limit_s: float | None = None,
        validate: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        tell = progress or (lambda _stage: None)  # issue 24: the stages on a terminal
        self.data = data
        self.month = month
        self.seed = data.config.solver.seed if seed is None else seed
        self.time_limit_s = time_limit_s
        self.previous_dir = str(previous_dir) if previous_dir is not None else None
        self.previous_plan: pd.DataFrame | None = None
        self.previous_reasons: dict[str, str] = {}
        previous_breaks = None
        if previous_dir is not None:
            previous = read_previous_plan(previous_dir, month)
            previous_breaks = previous.break_decisions
            self.previous_plan = previous.allocations[["case_id", "auditor_id"]]
            if "reason" in previous.allocations:
                self.previous_reasons = {
                    case_id: reason
                    for case_id, reason in zip(
                        previous.allocations["case_id"],
                        previous.allocations["reason"],
                        strict=True,
                    )
                    if reason
                }
        self._tell = tell
        tell("building")
        self.problem: MonthProblem = build_problem(
            data, month, validate=validate, previous_breaks=previous_breaks
        )
        self._reasons: dict[str, str] = {}

    # The plan and what is read off it are made on first use: the month's question
    # needs no plan when every open case can be covered (``_covers_every_open_case``).

    @cached_property
    def plan(self) -> pd.DataFrame:
        """The plan explained: the previous plan's pairs of the month, else the plan
        ``allocate`` makes for the same data, config and seed."""
        if self.previous_plan is not None:
            in_month = self.previous_plan["case_id"].isin(set(self.problem.cases["case_id"]))
            return self.previous_plan[in_month].reset_index(drop=True)
        with self._solving():
            solved = solve_month(
                self.problem, self.data.config, self.seed, self.time_limit_s, check_unique=False
            )
        return solved.assignment

    @contextmanager
    def _solving(self) -> Iterator[None]:
        """Tell ``progress`` of a solve (issue 24), then of the reasons again: the
        questions solve when they need to, in the middle of their answer."""
        self._tell("solving")
        yield
        self._tell("reasons")

    @cached_property
    def costing(self) -> Costing:
        return Costing(self.problem, self.data.config, self.seed, self.previous_plan)

    @cached_property
    def plan_cost(self) -> PlanCost:
        return self.costing.plan(self.plan)

    @cached_property
    def auditor_of(self) -> dict[str, str]:
        """Who audits each allocated case in the plan."""
        return dict(zip(self.plan["case_id"], self.plan["auditor_id"], strict=True))

    @cached_property
    def cases_of(self) -> dict[str, list[str]]:
        """Each auditor's cases in the plan, by case_id."""
        cases_of: dict[str, list[str]] = {}
        for case_id, auditor_id in sorted(self.auditor_of.items()):
            cases_of.setdefault(auditor_id, []).append(case_id)
        return cases_of

    @cached_property
    def _covers_every_open_case(self) -> bool:
        """Whether the plan explained covers every open case, known without solving:
        ``allocate``'s plan covers the most cases any plan can (coverage is the first
        tier, contract §4, and the flow is exact over every allowed pair), so if one
        plan covers every open case, so does it. Not for a previous plan (it may cover
        fewer) nor under a candidate limit (its plan is not proven to cover the most)."""
        if self.previous_plan is not None or self.data.config.solver.max_candidates_per_case:
            return False
        return every_open_case_coverable(self.problem)

    # ------------------------------------------------------------ checks

    def check_ids(self, case_id: str | None, auditor_id: str | None) -> None:
        """An unknown case or auditor is an input error, located like any other."""
        issues = []
        if case_id is not None and case_id not in set(self.problem.cases["case_id"]):
            cases = self.data["cases"]
            rows = cases[cases["case_id"] == case_id]
            line = int(rows[LINE].iloc[0]) if len(rows) and LINE in rows else 1
            months = ", ".join(sorted(set(rows["month"])))
            where = f" (it is in the sample of {months})" if months else ""
            issues.append(
                InputIssue(
                    self.data.file_name("cases"),
                    line,
                    "case_id",
                    f"--case {case_id}: no such case in {self.month}{where}",
                )
            )
        if auditor_id is not None and auditor_id not in set(self.data["staff"]["staff_id"]):
            issues.append(
                InputIssue(
                    self.data.file_name("staff"),
                    1,
                    "staff_id",
                    f"--auditor {auditor_id}: no such staff member",
                )
            )
        if issues:
            raise InputError(issues)

    # ------------------------------------------------------------ reasons

    def reason(self, case_id: str) -> str:
        """The plan's reason for a case, as ``allocate`` writes it."""
        if self.previous_dir is not None and case_id in self.previous_reasons:
            return self.previous_reasons[case_id]
        if case_id not in self.auditor_of:
            return self._unallocated_reason(case_id)
        if self.previous_dir is not None:
            return f"{case_id} is allocated to {self.auditor_of[case_id]} in the previous plan."
        if case_id not in self._reasons:
            # Only the case asked about: the month's other reasons are not read.
            self._reasons.update(allocation_reasons(self.problem, self.plan, [case_id]))
        return self._reasons[case_id]

    @property
    def allocated(self) -> int:
        """How many cases the plan allocates: every open case when that is known without
        solving (``_covers_every_open_case``)."""
        # A plan already made is counted; making one to count it would cost a solve.
        if "plan" in vars(self) or not self._covers_every_open_case:
            return len(self.plan)
        return int((~self.problem.cases["details_missing"]).sum())

    def _unallocated_reason(self, case_id: str) -> str:
        return unallocated_reason(self.problem, case_id, self._case_is(case_id, "details_missing"))

    def _case_is(self, case_id: str, flag: str) -> bool:
        """A case's flag (details_missing, reaudit_due) in the month's problem."""
        cases = self.problem.cases
        return bool(cases.loc[cases["case_id"] == case_id, flag].any())

    # ------------------------------------------------------------ questions

    def pair(self, case_id: str, auditor_id: str) -> PairAnswer:
        blockers = blocking_rules(self.problem, case_id, auditor_id)
        closed = self._case_is(case_id, "details_missing")
        holder = self.auditor_of.get(case_id)
        chosen = holder == auditor_id
        allowed = not blockers and not closed
        forced = None
        if allowed and not chosen:
            forced = self.force(case_id, auditor_id)
        return PairAnswer(
            case_id,
            auditor_id,
            allowed,
            chosen,
            holder,
            self.reason(case_id),
            blockers_frame(blockers),
            forced,
            self.cases_of.get(auditor_id, []),
        )

    def force(self, case_id: str, auditor_id: str) -> ForcedAnswer:
        """Solve again with the pair forced in and compare tier by tier."""
        with self._solving():
            assignment, solved = force_pair(
                self.problem,
                self.data.config,
                self.seed,
                case_id,
                auditor_id,
                self.previous_plan,
                self.time_limit_s,
            )
        forced_cost = self.costing.plan(assignment)
        return self._compare(case_id, auditor_id, assignment, forced_cost, solved.status)

    def _compare(
        self,
        case_id: str,
        auditor_id: str,
        assignment: pd.DataFrame,
        forced_cost: PlanCost,
        status: str,
    ) -> ForcedAnswer:
        plan_cost = self.plan_cost
        forced_of = dict(zip(assignment["case_id"], assignment["auditor_id"], strict=True))
        lost = sorted(plan_cost.covered - forced_cost.covered)
        gained = sorted(forced_cost.covered - plan_cost.covered)
        changed = [
            (c, self.auditor_of.get(c), forced_of.get(c))
            for c in sorted(set(self.auditor_of) | set(forced_of))
            if self.auditor_of.get(c) != forced_of.get(c)
        ]
        parts = pd.DataFrame(
            [
                (
                    rule.id,
                    rule.tier,
                    rule.paragraph,
                    plan_cost.parts[rule.id],
                    forced_cost.parts[rule.id],
                    forced_cost.parts[rule.id] - plan_cost.parts[rule.id],
                )
                for rule in SOFT_RULES
            ],
            columns=COST_PART_COLUMNS,
        )
        decided = next(
            (t for t in TIERS if forced_cost.tiers[t] != plan_cost.tiers[t]),
            None,
        )
        giving = f"giving {case_id} to {auditor_id}"
        if decided is None:
            text = (
                f"{giving} gives an equally good plan; the plan given is the one the fixed "
                "algorithm and input order choose."
            )
        elif forced_cost.tiers[decided] < plan_cost.tiers[decided]:
            text = (
                f"{giving} would do better on {decided} ({plan_cost.tiers[decided]} → "
                f"{forced_cost.tiers[decided]}): the plan explained is not the best for "
                "these inputs (a previous plan, or a solve cut short)."
            )
        elif decided == "coverage":
            text = f"{giving} leaves " + "; ".join(
                self._lost_text(lost_case, auditor_id) for lost_case in lost
            )
            text += "." if lost else f" {plural(len(gained), 'case')} covered instead."
        elif decided == "change":
            moved = plural(forced_cost.tiers["change"] - plan_cost.tiers["change"], "audit")
            text = f"{giving} changes {moved} of the previous plan (§5) and covers no more cases."
        elif decided == "preference":
            diff = forced_cost.tiers["preference"] - plan_cost.tiers["preference"]
            by_rule = ", ".join(
                f"{SOFT_LABEL[r]} {forced_cost.parts[r] - plan_cost.parts[r]:+d}"
                for r in PREFERENCE_RULES
                if forced_cost.parts[r] != plan_cost.parts[r]
            )
            moves = len(changed) - 1
            text = (
                f"{giving} weighs {diff} more against the month's preferences ({by_rule})"
                + (f" and moves {plural(moves, 'other audit')}" if moves else "")
                + "; no case loses its auditor."
            )
        else:
            moves = len(changed) - 1
            text = (
                f"{giving} is just as good (the same cases covered, the same weight against "
                "the month's preferences"
                + (f"; {plural(moves, 'other audit')} would move" if moves else "")
                + "); the plan was drawn by lot where all else is equal (contract §4)."
            )
        return ForcedAnswer(
            case_id,
            auditor_id,
            lost,
            gained,
            pd.DataFrame(changed, columns=CHANGED_COLUMNS),
            parts,
            decided,
            text[0].upper() + text[1:],
            status,
        )

    def _lost_text(self, lost_case: str, auditor_id: str) -> str:
        candidates = case_candidates(self.problem, lost_case)
        allowed = candidates.loc[candidates["allowed"], "auditor_id"].tolist()
        due = self._case_is(lost_case, "reaudit_due")
        what = f"{lost_case}{' (a due re-audit)' if due else ''} unallocated"
        if allowed == [auditor_id]:
            return f"{what}: {auditor_id} is the only auditor allowed {lost_case}"
        return (
            f"{what}: all {plural(len(allowed), 'auditor')} allowed {lost_case} "
            "audit other cases in that plan"
        )

    def case(self, case_id: str) -> CaseAnswer:
        candidates = case_candidates(self.problem, case_id)
        available = set(self.problem.available_auditors["staff_id"])
        allowed_ids = candidates.loc[
            candidates["allowed"] & candidates["auditor_id"].isin(available), "auditor_id"
        ].tolist()
        costs = (
            self.costing.pairs(case_id, allowed_ids)
            if allowed_ids
            else pd.DataFrame(columns=["auditor_id", *PAIR_RULES, "total"])
        )
        frame = candidates.merge(
            costs.rename(columns={"total": "cost"}), on="auditor_id", how="left"
        )
        for column in [*PAIR_RULES, "cost"]:
            frame[column] = frame[column].astype("Int64")
        frame["plan_cases"] = frame["auditor_id"].map(lambda a: ";".join(self.cases_of.get(a, [])))
        chosen = self.auditor_of.get(case_id)
        frame["chosen"] = frame["auditor_id"] == chosen
        others = frame[frame["allowed"] & ~frame["chosen"]].sort_values(["cost", "auditor_id"])
        runner_up = str(others["auditor_id"].iloc[0]) if chosen and len(others) else None
        frame["runner_up"] = frame["auditor_id"] == runner_up
        why = self.force(case_id, runner_up) if runner_up else None
        return CaseAnswer(case_id, chosen, runner_up, self.reason(case_id), frame, why)

    def auditor(self, auditor_id: str) -> AuditorAnswer:
        known = self.problem.auditors["staff_id"] == auditor_id
        capacity = int(self.problem.auditors.loc[known, "capacity"].sum())
        # No case has the id "": only the rules that bar the auditor from every case.
        blockers = blocking_rules(self.problem, "", auditor_id)
        cases = self.cases_of.get(auditor_id, [])
        plan_cases = pd.DataFrame(
            {"case_id": cases, "reason": [self.reason(c) for c in cases]},
            columns=["case_id", "reason"],
        )
        allowed = 0
        if not blockers:
            open_cases = self.problem.allocatable_cases["case_id"]
            forbidden = self.problem.conflicts
            barred = set(forbidden.loc[forbidden["auditor_id"] == auditor_id, "case_id"])
            allowed = int((~open_cases.isin(barred)).sum())
        return AuditorAnswer(auditor_id, capacity, blockers_frame(blockers), plan_cases, allowed)

    def month_diagnosis(self) -> MonthAnswer:
        problem = self.problem
        cases = problem.cases
        if self._covers_every_open_case:
            # The plan leaves only the closed cases: no deficient set, nothing to solve.
            unallocated_ids = cases.loc[cases["details_missing"], "case_id"].tolist()
            reasons = [self._unallocated_reason(c) for c in unallocated_ids]
        else:
            unallocated_ids = [c for c in cases["case_id"] if c not in self.auditor_of]
            reasons = [self.reason(c) for c in unallocated_ids]
        allocated = self.allocated
        unallocated = pd.DataFrame(
            {"case_id": unallocated_ids, "reason": reasons},
            columns=["case_id", "reason"],
        )
        unknown = sorted(cases.loc[cases["details_missing"], "case_id"])
        # A plan that covers every case it can has no deficient set.
        hall = (
            deficient_sets(problem, self.plan)
            if unallocated_ids and not self._covers_every_open_case
            else HallDiagnosis([], allocated)
        )
        sets = hall.sets
        rows = []
        for found in sets:
            counts = blocked_by(problem, found.cases, set(found.auditors))
            n_other = len(problem.auditors) - len(found.auditors)
            shown = ", ".join(found.cases[:5]) + (
                f" and {len(found.cases) - 5} more" if len(found.cases) > 5 else ""
            )
            room = f" (room for {found.capacity})" if found.capacity != len(found.auditors) else ""
            rows.append(
                {
                    "cases": found.cases,
                    "auditors": found.auditors,
                    "capacity": found.capacity,
                    "shortfall": found.shortfall,
                    "blocked_by": counts,
                    "explanation": (
                        f"these {describe_cases(problem, found.cases)} ({shown}) share only "
                        f"{plural(len(found.auditors), 'auditor')} who may take them{room}, "
                        f"{plural(found.shortfall, 'case')} too many for them; of the other "
                        f"{plural(n_other, 'auditor')}: {describe_counts(counts)}"
                    ),
                }
            )
        deficient = pd.DataFrame(
            rows,
            columns=["cases", "auditors", "capacity", "shortfall", "blocked_by", "explanation"],
        )
        relaxed_rows = []
        if sets:
            in_sets = sorted({c for found in sets for c in found.cases})
            with self._solving():
                offered = relaxations(
                    problem,
                    self.data.config,
                    self.seed,
                    hall.most_covered,
                    in_sets,
                    self.time_limit_s,
                    seen_subject_by_any_auditor(self.data, problem),
                )
            for relaxation in offered:
                relaxed_rows.append(
                    {
                        "rule": relaxation.rule,
                        "paragraph": rule_paragraph(relaxation.rule),
                        "change": relaxation.change,
                        "penalty": relaxation.penalty,
                        "cases_gained": relaxation.cases_gained,
                        "confirmed": relaxation.confirmed,
                        "steps": [list(unit.key) for unit in relaxation.units],
                    }
                )
        relaxation_frame = pd.DataFrame(
            relaxed_rows,
            columns=[
                "rule",
                "paragraph",
                "change",
                "penalty",
                "cases_gained",
                "confirmed",
                "steps",
            ],
        )
        return MonthAnswer(
            len(cases),
            allocated,
            hall.most_covered,
            unallocated,
            unknown,
            deficient,
            relaxation_frame,
        )


def explain(
    data: Dataset | Path | str,
    month: str,
    case: str | None = None,
    auditor: str | None = None,
    previous: Path | str | None = None,
    seed: int | None = None,
    time_limit_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Explanation:
    """Answer one question about the month's plan (issue 11), writing no file.

    - ``case`` and ``auditor``: why (not) that auditor for that case;
    - ``case``: every auditor for the case, the chosen one against the runner-up;
    - ``auditor``: the auditor's month;
    - neither: why cases are unallocated (Hall's deficient sets) and the cheapest
      relaxations, each confirmed by solving the relaxed month.

    The plan is the one ``allocate`` makes for the same data, config and seed, or with
    ``previous`` the plan in that folder. An unknown case or auditor raises
    ``InputError``. ``progress`` is told each stage as it starts (issue 24).
    """
    dataset = data if isinstance(data, Dataset) else load_dataset(data, month, progress=progress)
    # A dataset loaded here was checked with the month's rules; one given by the caller
    # is checked again, as ``allocate`` does (it may have been loaded for another month).
    explainer = Explainer(
        dataset,
        month,
        previous,
        seed,
        time_limit_s,
        validate=isinstance(data, Dataset),
        progress=progress,
    )
    if progress is not None:
        progress("reasons")
    # Contract §1: "--case c1" names the case C1 of cases, spelled as cases spells it.
    case = None if case is None else _spelled(dataset["cases"]["case_id"], case)
    auditor = None if auditor is None else _spelled(dataset["staff"]["staff_id"], auditor)
    explainer.check_ids(case, auditor)
    answers: dict[str, Any] = {}
    if case is not None and auditor is not None:
        answers = {"question": "pair", "pair": explainer.pair(case, auditor)}
    elif case is not None:
        answers = {"question": "case", "case": explainer.case(case)}
    elif auditor is not None:
        answers = {"question": "auditor", "auditor": explainer.auditor(auditor)}
    else:
        answers = {"question": "month", "month_answer": explainer.month_diagnosis()}
    return Explanation(
        month=month,
        plan_source="previous" if previous is not None else "allocate",
        previous_dir=explainer.previous_dir,
        seed=explainer.seed,
        allocated=explainer.allocated,
        explainer=explainer,
        **answers,
    )


def _spelled(values: pd.Series, value: str) -> str:
    """``value`` as the defining table spells it (contract §1), or as given when it names
    nothing (``check_ids`` then says so). The loaded data is already spelled so (each
    key has one spelling), so a value found as given is its own spelling."""
    if (values == value).any():
        return value
    return Spellings(values.tolist()).spell(value) or value
