"""Moderation of challenged audits (§21–22, issue 8): who needs a moderator, who may be one.

An audit needs one moderator, however many challenges it has, when one of its challenges
has no consensus (``consensus_reached`` false or empty), was raised on or before the as-of
date, and the audit has no row in ``moderations`` yet.

A senior manager may moderate it when no rule of ``MODERATION_RULES`` forbids the pair.
Each rule is one named function that cites its paragraph; the list is what the problem,
the solver's model and every reason are built from, in the order reasons name them. The
conflicts of interest with the case are the month's own rule functions
(``caseaudit.plans.month.rules.case_conflict``), applied to moderators rather than auditors.
:func:`moderation_blockers` answers "which rules bar this manager for this audit" from
the same restrictions, for the reasons of ``moderation`` and ``unmoderated``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from caseaudit.model.asof import known_on
from caseaudit.model.calendar import add_months, audit_year_start, month_of
from caseaudit.model.config import Config
from caseaudit.model.conflicts import ancestors_of
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import plural
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.reaudits import active_on
from caseaudit.model.rule_record import RuleKind, RuleRecord, rules_by_id
from caseaudit.model.validate import validate_dataset
from caseaudit.plans.month.rules import Blocker, case_conflict

PAIR_COLUMNS = ["audit_id", "moderator_id", "detail"]
MODERATION_COLUMNS = OUTPUT_TABLES["moderation"].column_names
UNMODERATED_COLUMNS = OUTPUT_TABLES["unmoderated"].column_names
NOTIFICATION_COLUMNS = OUTPUT_TABLES["notifications"].column_names
#: The case details the conflict rules read, from the ``cases`` row of the audit's month.
CASE_DETAILS = [
    "subject_id",
    "service",
    "team",
    "allocated_worker_id",
    "team_manager_id",
    "iro_id",
]


@dataclass(frozen=True)
class ModerationFacts:
    """What the rules read: the as-of date, the config, the challenged audits with their
    case's details, every staff member with their load, and the management chains."""

    as_of: dt.date
    config: Config
    #: One row per audit needing a moderator (see ``challenged_audits``).
    audits: pd.DataFrame
    #: Every staff member: staff_id, name, service, team, can_moderate, active (on the
    #: as-of date), month_load and year_load (moderations assigned in the as-of month and
    #: in its audit year).
    staff: pd.DataFrame
    #: Each staff member's managers up the chain, nearest first.
    ancestors: dict[str, list[str]]
    #: Declared conflicts of interest (auditor_id, subject_id): anyone's, moderators' too.
    declared: pd.DataFrame

    @property
    def month(self) -> str:
        return month_of(self.as_of)

    @property
    def senior_managers(self) -> pd.DataFrame:
        """The staff flagged ``can_moderate``: the pair rules judge only them, since
        anyone else is barred outright by :func:`may_moderate`, whatever the pair."""
        return self.staff[self.staff["can_moderate"]]

    @property
    def checkable(self) -> pd.DataFrame:
        """Audits whose case details are known, so that conflicts can be checked."""
        return self.audits[~self.audits["details_missing"]]


@dataclass(frozen=True)
class Bar:
    """What one rule forbids: ``everywhere`` (staff_id → detail) bars a staff member from
    every audit; ``pairs`` (audit_id, moderator_id, detail) bars them from one. Details
    are policy words after the staff id, e.g. "is the auditor of 2025-11-C1"."""

    everywhere: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PAIR_COLUMNS))


#: A hard rule of the moderation plan: the generic record, whose ``label`` says what the
#: people it bars are, after a count ("4 in a connected service"; may name {service},
#: {cap} and {as_of}). Its conflicts of interest are the month's (``CONFLICT_RULES``),
#: applied through the month's own rule functions.
ModerationRule = RuleRecord[Callable[["ModerationFacts"], "Bar"]]


def _everywhere(staff: pd.DataFrame, mask: pd.Series, detail: str) -> Bar:
    ids = staff.loc[mask, "staff_id"].to_numpy()
    return Bar(everywhere=pd.Series([detail] * len(ids), index=ids, dtype=object))


def _pairs(rows: Iterable[tuple[str, str, str]]) -> Bar:
    frame = pd.DataFrame(list(rows), columns=PAIR_COLUMNS)
    return Bar(pairs=frame.drop_duplicates(["audit_id", "moderator_id"]).reset_index(drop=True))


def _by_service(people: pd.DataFrame) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for staff_id, service in zip(people["staff_id"], people["service"], strict=True):
        members.setdefault(service, []).append(staff_id)
    return members


# ---------------------------------------------------------------- who may moderate at all


def may_moderate(facts: ModerationFacts) -> Bar:
    """Contract §3 (``can_moderate``), §22: only a senior manager flagged as one who may
    moderate."""
    staff = facts.staff
    return _everywhere(staff, ~staff["can_moderate"], "is not flagged can_moderate")


def active(facts: ModerationFacts) -> Bar:
    """Issue 8: active on the as-of date (``active_from`` ≤ as-of ≤ ``active_to``)."""
    staff = facts.staff
    return _everywhere(
        staff, ~staff["active"], f"is not active on {facts.as_of.isoformat()} (the as-of date)"
    )


# ---------------------------------------------------------------- independent of the case


def other_service(facts: ModerationFacts) -> Bar:
    """§22: a senior manager in a service other than the audited case's."""
    members = _by_service(facts.senior_managers)
    audits = facts.checkable
    return _pairs(
        (audit_id, person, f"is in {service}, the service of {case_id}")
        for audit_id, case_id, service in zip(
            audits["audit_id"], audits["case_id"], audits["service"], strict=True
        )
        for person in members.get(service, [])
    )


def unconnected_service(facts: ModerationFacts) -> Bar:
    """§22, ``[moderation] connected_services``: nor in a service connected with the
    case's service (one in the same group)."""
    moderation = facts.config.moderation
    members = _by_service(facts.senior_managers)
    audits = facts.checkable
    return _pairs(
        (audit_id, person, f"is in {other}, a service connected with {service}")
        for audit_id, service in zip(audits["audit_id"], audits["service"], strict=True)
        for other in sorted(moderation.connected_to(service))
        for person in members.get(other, [])
    )


def _case_conflict(rule_id: str, facts: ModerationFacts) -> Bar:
    """The month's conflict rule ``rule_id`` with each audit's case (keyed by audit_id,
    so that two audits of one case in different months keep their own details)."""
    audits = facts.checkable
    cases = audits[CASE_DETAILS].assign(case_id=audits["audit_id"])
    people = facts.senior_managers[["staff_id", "service", "team"]]
    pairs = case_conflict(rule_id, cases, people, facts.ancestors, facts.declared, facts.config)
    return Bar(
        pairs=pairs.rename(columns={"case_id": "audit_id", "auditor_id": "moderator_id"})[
            PAIR_COLUMNS
        ].reset_index(drop=True)
    )


def direct(facts: ModerationFacts) -> Bar:
    """Contract §4 rule 4, §22: not the case's allocated worker, team manager or
    IRO."""
    return _case_conflict("direct", facts)


def management_chain(facts: ModerationFacts) -> Bar:
    """Contract §4 rule 4, §22: not a manager, at any height, of the case's worker or team
    manager (``[conflicts] management_chain``)."""
    return _case_conflict("management_chain", facts)


def same_team(facts: ModerationFacts) -> Bar:
    """Contract §4 rule 4, §22: not in the case's team, a team being (service, team)
    (``[conflicts] same_team``). Always also in the case's service, which bars first."""
    return _case_conflict("same_team", facts)


def declared(facts: ModerationFacts) -> Bar:
    """Contract §4 rule 4, §22: no declared conflict of interest with the subject."""
    return _case_conflict("declared", facts)


# ---------------------------------------------------------------- independent of the people


def not_the_auditor(facts: ModerationFacts) -> Bar:
    """§22, issue 8: the auditor never moderates their own audit."""
    audits = facts.audits
    pool = set(facts.senior_managers["staff_id"])
    return _pairs(
        (audit_id, auditor, f"is the auditor of {audit_id}")
        for audit_id, auditor in zip(audits["audit_id"], audits["auditor_id"], strict=True)
        if auditor in pool
    )


def not_above_the_auditor(facts: ModerationFacts) -> Bar:
    """§22, issue 8: nor anyone in the auditor's management chain, at any height."""
    audits = facts.audits
    pool = set(facts.senior_managers["staff_id"])
    return _pairs(
        (audit_id, boss, f"manages {auditor}, the auditor of {audit_id}, up the chain")
        for audit_id, auditor in zip(audits["audit_id"], audits["auditor_id"], strict=True)
        for boss in facts.ancestors.get(auditor, [])
        if boss in pool
    )


def not_below_the_auditor(facts: ModerationFacts) -> Bar:
    """§22, issue 8: nor anyone the auditor manages, at any depth (the auditor is in
    their chain)."""
    audits = facts.audits
    managed_by: dict[str, list[str]] = {}
    for person in facts.senior_managers["staff_id"]:
        for boss in facts.ancestors.get(person, []):
            managed_by.setdefault(boss, []).append(person)
    return _pairs(
        (audit_id, person, f"is managed by {auditor}, the auditor of {audit_id}, down the chain")
        for audit_id, auditor in zip(audits["audit_id"], audits["auditor_id"], strict=True)
        for person in managed_by.get(auditor, [])
    )


def not_a_challenger(facts: ModerationFacts) -> Bar:
    """§21–22, issue 8: nor anyone who raised a challenge of the audit."""
    audits = facts.audits
    pool = set(facts.senior_managers["staff_id"])
    return _pairs(
        (audit_id, person, f"raised a challenge of {audit_id}")
        for audit_id, challengers in zip(audits["audit_id"], audits["challengers"], strict=True)
        for person in challengers
        if person in pool
    )


def not_above_a_challenger(facts: ModerationFacts) -> Bar:
    """§21–22, issue 8: nor anyone in the management chain of a challenger, at any height."""
    audits = facts.audits
    pool = set(facts.senior_managers["staff_id"])
    return _pairs(
        (audit_id, boss, f"manages {person}, who challenged {audit_id}, up the chain")
        for audit_id, challengers in zip(audits["audit_id"], audits["challengers"], strict=True)
        for person in challengers
        for boss in facts.ancestors.get(person, [])
        if boss in pool
    )


# ---------------------------------------------------------------- fair load


def monthly_cap(facts: ModerationFacts) -> Bar:
    """Issue 8: at most ``[moderation] max_moderations_per_month`` in the as-of month,
    counting the moderations already assigned in it (by ``assigned_on``); a senior manager
    already at the cap takes no more. Below it, the room left is their capacity."""
    staff = facts.staff
    cap = facts.config.moderation.max_moderations_per_month
    return _everywhere(
        staff,
        staff["month_load"] >= cap,
        f"has {cap} of {cap} moderations in {facts.month} already",
    )


MODERATION_RULES: tuple[ModerationRule, ...] = (
    ModerationRule("can_moderate", "not flagged can_moderate", "contract §3, §22", may_moderate),
    ModerationRule("active", "not active on {as_of}", "issue 8", active),
    ModerationRule("same_service", "in the case's service ({service})", "§22", other_service),
    ModerationRule(
        "connected_service", "in a connected service", "§22, [moderation]", unconnected_service
    ),
    ModerationRule(
        "direct",
        "the case's worker, team manager or IRO",
        "contract §4 rule 4, §22",
        direct,
        RuleKind.CONFLICT,
    ),
    ModerationRule(
        "management_chain",
        "above the case's worker or team manager",
        "contract §4 rule 4, §22",
        management_chain,
        RuleKind.CONFLICT,
    ),
    ModerationRule(
        "same_team", "in the case's team", "contract §4 rule 4, §22", same_team, RuleKind.CONFLICT
    ),
    ModerationRule(
        "declared",
        "with a declared conflict with the subject",
        "contract §4 rule 4, §22",
        declared,
        RuleKind.CONFLICT,
    ),
    ModerationRule("auditor", "the auditor", "§22", not_the_auditor),
    ModerationRule(
        "above_auditor", "in the auditor's management chain", "§22", not_above_the_auditor
    ),
    ModerationRule("below_auditor", "managed by the auditor", "§22", not_below_the_auditor),
    ModerationRule("challenger", "who challenged the audit", "§21–22", not_a_challenger),
    ModerationRule(
        "above_challenger", "above a challenger in the chain", "§21–22", not_above_a_challenger
    ),
    ModerationRule("monthly_cap", "at {cap} of {cap} this month", "issue 8", monthly_cap),
)
MODERATION_RULES_BY_ID = rules_by_id(MODERATION_RULES)


# ---------------------------------------------------------------- the problem


@dataclass(frozen=True)
class ModerationProblem:
    """The challenges needing a moderator on the as-of date, the senior managers who
    might take them, and what every rule forbids; frozen: variants with ``replace``."""

    as_of: dt.date
    config: Config
    #: audit_id, month, case_id, subject_id, auditor_id, the case's details,
    #: challengers (tuple of staff ids), raised_on (the earliest open challenge),
    #: details_missing; one row per audit, by audit_id.
    audits: pd.DataFrame
    #: Every staff member flagged can_moderate: staff_id, name, service, team, active,
    #: month_load, year_load, capacity (the new moderations they may take; 0 when a rule
    #: bars them everywhere), by staff_id.
    moderators: pd.DataFrame
    #: Forbidden (audit_id, moderator_id, rule, detail), pair rules only.
    forbidden: pd.DataFrame
    #: Each rule's bar, in ``MODERATION_RULES`` order (see ``moderation_blockers``).
    restrictions: dict[str, Bar]
    #: Active staff with role strategic_lead_ipq: told of challenges left unmoderated.
    strategic_leads: tuple[str, ...]

    def replace(self, **changes: object) -> ModerationProblem:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def month(self) -> str:
        return month_of(self.as_of)

    @property
    def cap(self) -> int:
        return self.config.moderation.max_moderations_per_month

    @property
    def available(self) -> pd.DataFrame:
        """Senior managers with room for at least one more moderation, by staff_id."""
        return self.moderators[self.moderators["capacity"] > 0]

    @cached_property
    def pair_details(self) -> dict[tuple[str, str, str], str]:
        """(audit_id, moderator_id, rule) → why that rule forbids the pair."""
        frame = self.forbidden
        keys = zip(frame["audit_id"], frame["moderator_id"], frame["rule"], strict=True)
        return dict(zip(keys, frame["detail"], strict=True))


def challenged_audits(data: Dataset, as_of: dt.date) -> pd.DataFrame:
    """The audits needing a moderator on ``as_of`` (§22, issue 8), with the details of
    their case in their audit's month and everyone who challenged them (any date)."""
    challenges = data["challenges"]
    raised_by_then = challenges["raised_on"].map(lambda d: d is not None and d <= as_of)
    raised = challenges[raised_by_then.astype(bool)]
    open_rows = raised[raised["consensus_reached"] != True]  # noqa: E712 (empty = no consensus)
    needing = sorted(set(open_rows["audit_id"].dropna()) - set(data["moderations"]["audit_id"]))
    first_raised: dict[str, dt.date] = {}
    for audit_id, day in zip(open_rows["audit_id"], open_rows["raised_on"], strict=True):
        first_raised[audit_id] = min(day, first_raised.get(audit_id, day))
    challengers: dict[str, set[str]] = {}
    for audit_id, person in zip(challenges["audit_id"], challenges["raised_by"], strict=True):
        if person is not None:
            challengers.setdefault(audit_id, set()).add(person)
    history = data["history"].drop_duplicates("audit_id")
    audits = history[history["audit_id"].isin(needing)][
        ["audit_id", "month", "case_id", "subject_id", "auditor_id"]
    ]
    cases = data["cases"].drop_duplicates(["case_id", "month"])[["case_id", "month", *CASE_DETAILS]]
    frame = audits.merge(
        cases, on=["case_id", "month"], how="left", suffixes=("_ledger", ""), indicator=True
    )
    frame["details_missing"] = frame["_merge"] == "left_only"
    # Without the case's row, the ledger's subject is all that is known.
    frame["subject_id"] = frame["subject_id"].where(
        ~frame["details_missing"], frame["subject_id_ledger"]
    )
    frame["challengers"] = [tuple(sorted(challengers.get(a, ()))) for a in frame["audit_id"]]
    frame["raised_on"] = frame["audit_id"].map(first_raised)
    columns = [
        "audit_id",
        "month",
        "case_id",
        *CASE_DETAILS,
        "auditor_id",
        "challengers",
        "raised_on",
        "details_missing",
    ]
    frame = frame[columns].astype(object)
    frame = frame.where(frame.notna(), None)
    frame["details_missing"] = frame["details_missing"].astype(bool)
    return frame.sort_values("audit_id").reset_index(drop=True)


def _staff_with_loads(data: Dataset, as_of: dt.date) -> pd.DataFrame:
    staff = data["staff"]
    month = month_of(as_of)
    moderations = data["moderations"]
    assigned_month = moderations["assigned_on"].map(lambda d: month_of(d) if d else None)
    year_start = audit_year_start(month, data.config.policy.audit_year_start_month)
    year_end = add_months(year_start, 12)
    in_year = assigned_month.map(lambda m: m is not None and year_start <= m < year_end)
    month_load = moderations[assigned_month == month].groupby("moderator_id").size()
    year_load = moderations[in_year.astype(bool)].groupby("moderator_id").size()
    frame = pd.DataFrame(
        {
            "staff_id": staff["staff_id"],
            "name": staff["name"],
            "role": staff["role"],
            "service": staff["service"],
            "team": staff["team"],
            "can_moderate": staff["can_moderate"].map(lambda v: v is not None and bool(v)),
            "active": active_on(staff, as_of).astype(bool),
        }
    )
    frame["month_load"] = frame["staff_id"].map(month_load).fillna(0).astype(int)
    frame["year_load"] = frame["staff_id"].map(year_load).fillna(0).astype(int)
    return frame.sort_values("staff_id").reset_index(drop=True)


def build_moderation_problem(
    data: Dataset,
    as_of: dt.date,
    validate: bool = True,
    rules: Iterable[ModerationRule] = MODERATION_RULES,
) -> ModerationProblem:
    """The moderation problem on ``as_of``; raises ``InputError`` if the data break a rule.
    ``rules`` are the rules applied (all of ``MODERATION_RULES`` by default): a rule left
    out of the list is left out of the problem, and so out of the solver's model."""
    if validate:
        validate_dataset(data).raise_if_any()
    data = known_on(data, as_of)  # only what had happened by the day (issue 20)
    staff = data["staff"]
    manager_of = {s: m for s, m in zip(staff["staff_id"], staff["manager_id"], strict=True) if m}
    people = _staff_with_loads(data, as_of)
    facts = ModerationFacts(
        as_of=as_of,
        config=data.config,
        audits=challenged_audits(data, as_of),
        staff=people,
        ancestors=ancestors_of(manager_of),
        declared=data["conflicts"],
    )
    restrictions = {rule.id: rule.function(facts) for rule in rules}
    cap = data.config.moderation.max_moderations_per_month
    moderators = people[people["can_moderate"]].copy()
    barred = set().union(*(set(bar.everywhere.index) for bar in restrictions.values()))
    room = (cap - moderators["month_load"]).clip(lower=0)
    moderators["capacity"] = room.where(~moderators["staff_id"].isin(barred), 0).astype(int)
    frames = [bar.pairs.assign(rule=rule_id) for rule_id, bar in restrictions.items()]
    frames = [frame for frame in frames if len(frame)]
    forbidden = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*PAIR_COLUMNS, "rule"])
    )
    leads = people[(people["role"] == "strategic_lead_ipq") & people["active"]]
    return ModerationProblem(
        as_of=as_of,
        config=data.config,
        audits=facts.audits,
        moderators=moderators.drop(columns=["can_moderate", "role"]).reset_index(drop=True),
        forbidden=forbidden[["audit_id", "moderator_id", "rule", "detail"]]
        .sort_values(["audit_id", "moderator_id", "rule"])
        .reset_index(drop=True),
        restrictions=restrictions,
        strategic_leads=tuple(sorted(leads["staff_id"])),
    )


def moderation_blockers(problem: ModerationProblem, audit_id: str, staff_id: str) -> list[Blocker]:
    """The rules that bar ``staff_id`` from moderating ``audit_id``, in the order of
    ``MODERATION_RULES``, each with its paragraph and facts; empty when the pair is
    allowed. Computed from the restrictions the solver's model was built from."""
    found = []
    for rule_id, bar in problem.restrictions.items():
        rule = MODERATION_RULES_BY_ID[rule_id]
        detail = bar.everywhere.get(staff_id) or problem.pair_details.get(
            (audit_id, staff_id, rule_id)
        )
        if detail is not None:
            found.append(Blocker(rule_id, rule.paragraph, f"{staff_id} {detail}"))
    return found


# ---------------------------------------------------------------- the output tables


def _loads_after(problem: ModerationProblem, assignment: pd.DataFrame) -> pd.Series:
    """Each senior manager's moderations in the as-of month, this plan's included."""
    before = problem.moderators.set_index("staff_id")["month_load"]
    added = assignment.groupby("moderator_id").size()
    return before.add(added, fill_value=0).astype(int)


def moderation_table(problem: ModerationProblem, assignment: pd.DataFrame) -> pd.DataFrame:
    """One row per audit given a moderator, with why this one (contract columns)."""
    # Plain dicts per row: a pandas row lookup per moderation costs seconds nationally.
    audits = problem.audits.set_index("audit_id").to_dict("index")
    moderators = problem.moderators.set_index("staff_id").to_dict("index")
    loads = _loads_after(problem, assignment).to_dict()
    allowed = _allowed_counts(problem)
    rows = []
    for audit_id, moderator_id in zip(
        assignment["audit_id"], assignment["moderator_id"], strict=True
    ):
        audit, moderator = audits[audit_id], moderators[moderator_id]
        challengers = list(audit["challengers"])
        people = f"of the auditor {audit['auditor_id']}"
        if challengers:
            noun = "challenger" if len(challengers) == 1 else "challengers"
            people += f" and of the {noun} {' and '.join(challengers)}"
        connected = sorted(problem.config.moderation.connected_to(audit["service"]))
        service = audit["service"] + (
            f", connected with {' and '.join(connected)}" if connected else ""
        )
        reason = (
            f"{moderator_id} ({moderator['service']}) is independent of the case "
            f"({service}), {people}; {loads[moderator_id]} of {problem.cap} "
            f"moderations in {problem.month} with this one, {moderator['year_load']} earlier "
            f"this audit year; {plural(allowed[audit_id], 'independent senior manager')} "
            "with room"
        )
        rows.append(
            {
                "audit_id": audit_id,
                "case_id": audit["case_id"],
                "subject_id": audit["subject_id"],
                "auditor_id": audit["auditor_id"],
                "moderator_id": moderator_id,
                "moderator_name": moderator["name"],
                "moderator_service": moderator["service"],
                "assigned_on": problem.as_of,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=MODERATION_COLUMNS).astype(object)


def _allowed_counts(problem: ModerationProblem) -> Counter[str]:
    """Per audit, how many senior managers with room no rule forbids."""
    available = set(problem.available["staff_id"])
    forbidden = problem.forbidden[problem.forbidden["moderator_id"].isin(available)]
    barred = forbidden.drop_duplicates(["audit_id", "moderator_id"]).groupby("audit_id").size()
    counts: Counter[str] = Counter()
    for audit_id, missing in zip(
        problem.audits["audit_id"], problem.audits["details_missing"], strict=True
    ):
        counts[audit_id] = 0 if missing else len(available) - int(barred.get(audit_id, 0))
    return counts


def _first_rule_counts(
    problem: ModerationProblem, audit_ids: list[str], loads: pd.Series
) -> dict[str, Counter[str]]:
    """Per audit of ``audit_ids`` (details known), each senior manager who may moderate
    counted once: under the first rule that bars them from it (``moderation_blockers``'
    order, the restrictions' order), else as ``filled`` when this plan's other
    moderations fill them up to the cap. All pairs at once, as a matrix of rule ranks
    (audits × managers), not pair by pair: a national month leaves hundreds of audits
    to hundreds of managers."""
    managers = problem.moderators["staff_id"].tolist()
    rule_ids = list(problem.restrictions)
    never = len(rule_ids)  # the rank of "no rule bars the pair"
    column = {staff_id: j for j, staff_id in enumerate(managers)}
    row = {audit_id: i for i, audit_id in enumerate(audit_ids)}
    # A rule that bars a manager everywhere bars every pair of theirs.
    everywhere = np.full(len(managers), never, dtype=np.int64)
    for rank in range(never - 1, -1, -1):
        bar = problem.restrictions[rule_ids[rank]].everywhere
        barred = [column[s] for s, detail in bar.items() if s in column and detail]
        everywhere[barred] = rank
    ranks = np.tile(everywhere, (len(audit_ids), 1))
    pairs = problem.forbidden
    pairs = pairs[
        pairs["audit_id"].isin(row.keys())
        & pairs["moderator_id"].isin(column.keys())
        & pairs["detail"].notna()
    ]
    rank_of = {rule_id: rank for rank, rule_id in enumerate(rule_ids)}
    np.minimum.at(
        ranks,
        (
            pairs["audit_id"].map(row).to_numpy(dtype=np.int64),
            pairs["moderator_id"].map(column).to_numpy(dtype=np.int64),
        ),
        pairs["rule"].map(rank_of).to_numpy(dtype=np.int64),
    )
    full = np.array([loads.get(s, 0) >= problem.cap for s in managers], dtype=bool)
    counts = {}
    for audit_id, audit_ranks in zip(audit_ids, ranks, strict=True):
        free = audit_ranks == never
        if (free & ~full).any():  # a free, allowed manager would have taken it
            staff_id = managers[int(np.flatnonzero(free & ~full)[0])]
            raise RuntimeError(f"{staff_id} could still moderate {audit_id}: plan not maximal")
        counted = np.bincount(audit_ranks, minlength=never + 1)
        found: Counter[str] = Counter(
            {rule_ids[rank]: int(n) for rank, n in enumerate(counted[:never]) if n}
        )
        if counted[never]:
            found["filled"] = int(counted[never])
        counts[audit_id] = found
    return counts


def unmoderated_reason(problem: ModerationProblem, audit_id: str, loads: pd.Series) -> str:
    """What blocked each senior manager who may moderate, counted by the first rule that
    bars them (in ``MODERATION_RULES`` order); those free of every rule were filled up to
    the cap by this plan's other moderations."""
    return _unmoderated_reasons(problem, [audit_id], loads)[audit_id]


def _unmoderated_reasons(
    problem: ModerationProblem, audit_ids: list[str], loads: pd.Series
) -> dict[str, str]:
    """``unmoderated_reason`` of each of ``audit_ids``, their counts found together."""
    audits = problem.audits.set_index("audit_id").loc[audit_ids]
    managers = problem.moderators["staff_id"].tolist()
    known = [
        a for a, missing in zip(audit_ids, audits["details_missing"], strict=True) if not missing
    ]
    counts = _first_rule_counts(problem, known, loads) if managers else {}
    noun = plural(len(managers), "senior manager")
    reasons = {}
    for audit_id, audit in zip(audit_ids, audits.to_dict("records"), strict=True):
        if audit["details_missing"]:
            reasons[audit_id] = (
                f"the details of {audit['case_id']} in {audit['month']} are not in cases, so "
                "no moderator's independence of the case can be checked"
            )
            continue
        if not managers:
            reasons[audit_id] = "no staff member is flagged can_moderate"
            continue
        found = counts[audit_id]
        context = {"service": audit["service"], "cap": problem.cap, "as_of": problem.as_of}
        parts = [
            f"{found[rule.id]} {rule.label.format(**context)}"
            for rule in MODERATION_RULES
            if found[rule.id]
        ]
        if found["filled"]:
            parts.append(
                f"{found['filled']} at {problem.cap} of {problem.cap} this month with this "
                "plan's other moderations"
            )
        reasons[audit_id] = f"of {noun} who may moderate, " + ", ".join(parts)
    return reasons


def unmoderated_table(problem: ModerationProblem, assignment: pd.DataFrame) -> pd.DataFrame:
    loads = _loads_after(problem, assignment)
    left = sorted(set(problem.audits["audit_id"]) - set(assignment["audit_id"]))
    reasons = _unmoderated_reasons(problem, left, loads)
    rows = [{"audit_id": a, "reason": reasons[a]} for a in left]
    return pd.DataFrame(rows, columns=UNMODERATED_COLUMNS).astype(object)


def moderation_notifications(
    problem: ModerationProblem, moderation: pd.DataFrame, unmoderated: pd.DataFrame
) -> pd.DataFrame:
    """``moderator_assigned`` for each moderator (§22), and ``challenge_unmoderated`` for
    P&Q's strategic lead for each audit left without one."""
    rows = [
        {
            "recipient_id": moderator_id,
            "kind": "moderator_assigned",
            "month": problem.month,
            "detail": f"moderate the challenged audit {audit_id} (auditor {auditor_id}); "
            "your judgement will be final (§22)",
        }
        for audit_id, auditor_id, moderator_id in zip(
            moderation["audit_id"],
            moderation["auditor_id"],
            moderation["moderator_id"],
            strict=True,
        )
    ]
    rows += [
        {
            "recipient_id": lead,
            "kind": "challenge_unmoderated",
            "month": problem.month,
            "detail": f"no independent moderator for {audit_id}: {reason}",
        }
        for audit_id, reason in zip(unmoderated["audit_id"], unmoderated["reason"], strict=True)
        for lead in problem.strategic_leads
    ]
    return pd.DataFrame(rows, columns=NOTIFICATION_COLUMNS).astype(object)
