"""The hard rules of the month, each one named function that cites its paragraph.

``HARD_RULES`` lists them once, as rule records (:mod:`caseaudit.model.rule_record`), in
the order in which reasons name them; every other list of the month's rules (the
conflicts of interest, the words of ``unallocated``, ``explain``'s counts and
relaxations) is read off it. Each rule turns the month's facts into a
:class:`Restriction` — a limit on an auditor's audits this month (0 bars them from every
case) or a set of forbidden (case, auditor) pairs — and nothing else decides who may
audit what: ``build_problem`` applies exactly the rules of the list it is given, the
solver adapter builds its model from the resulting capacities and forbidden pairs, and
:func:`blocking_rules` answers "which rules block auditor A for case C" from the same
restrictions, for every reason, ``unallocated`` and ``changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Protocol

import numpy as np
import pandas as pd

from caseaudit.model.config import Config
from caseaudit.model.rule_record import Relaxation, RuleKind, RuleRecord, conflict_ids, rules_by_id

#: Columns of a restriction's forbidden pairs.
PAIR_COLUMNS = ["case_id", "auditor_id", "detail"]


@dataclass(frozen=True)
class MonthFacts:
    """What the rules read: the month, the config, the auditors (eligibility, yearly
    count, break and exemption status), the cases, and the people around each case."""

    month: str
    config: Config
    auditors: pd.DataFrame
    cases: pd.DataFrame
    #: Each staff member's managers up the chain, nearest first.
    ancestors: dict[str, list[str]]
    #: Declared conflicts of interest (auditor_id, subject_id).
    declared: pd.DataFrame
    #: The month's exemption decisions with their ``honoured`` flag.
    exemptions: pd.DataFrame


@dataclass(frozen=True)
class Restriction:
    """What one rule forbids. ``capacity`` (per staff_id, auditors not named are not
    limited) caps the auditor's audits this month; ``pairs`` (case_id, auditor_id,
    detail) are forbidden outright. ``detail`` says why, in policy words, ids only."""

    capacity: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    capacity_detail: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    pairs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PAIR_COLUMNS))


#: A hard rule of the month: the generic record over the month's rule functions.
HardRule = RuleRecord[Callable[[MonthFacts], Restriction]]


@dataclass(frozen=True)
class Blocker:
    """One rule that forbids a (case, auditor) pair, with its facts."""

    rule: str
    paragraph: str
    detail: str


def _limit(
    auditors: pd.DataFrame, mask: pd.Series, value: pd.Series | int, detail: pd.Series | str
) -> Restriction:
    """A capacity restriction on the auditors selected by ``mask``."""
    ids = auditors.loc[mask, "staff_id"].to_numpy()
    values = value[mask].to_numpy() if isinstance(value, pd.Series) else [value] * len(ids)
    details = detail[mask].to_numpy() if isinstance(detail, pd.Series) else [detail] * len(ids)
    return Restriction(
        capacity=pd.Series(values, index=ids, dtype="int64"),
        capacity_detail=pd.Series(details, index=ids, dtype=object),
    )


def _pairs(rows: Iterable[tuple[str, str, str]]) -> Restriction:
    frame = pd.DataFrame(list(rows), columns=PAIR_COLUMNS)
    frame = frame.drop_duplicates(["case_id", "auditor_id"]).reset_index(drop=True)
    return Restriction(pairs=frame)


# ---------------------------------------------------------------- auditor-level rules


def eligible(facts: MonthFacts) -> Restriction:
    """Contract §3, §4 rule 1: only auditors active for the whole month audit in it."""
    auditors = facts.auditors
    return _limit(
        auditors,
        ~auditors["eligible"].astype(bool),
        0,
        f"is not an auditor active for the whole of {facts.month}",
    )


def exempted(facts: MonthFacts) -> Restriction:
    """§4, §29–30: an honoured exemption takes the auditor off the case, and off auditing
    for the rest of the month, so that a re-plan never hands them another audit."""
    honoured = facts.exemptions[facts.exemptions["honoured"].astype(bool)]
    cases_of = honoured.groupby("auditor_id")["case_id"].agg(lambda c: ", ".join(sorted(c)))
    auditors = facts.auditors
    mask = auditors["staff_id"].isin(cases_of.index)
    # Worded for the exempted auditors only (the others' words are never read).
    detail = pd.Series(None, index=auditors.index, dtype=object)
    detail[mask] = [
        f"has an honoured exemption for {cases} in {facts.month}"
        for cases in auditors.loc[mask, "staff_id"].map(dict(cases_of.items()))
    ]
    return _limit(auditors, mask, 0, detail)


def on_break(facts: MonthFacts) -> Restriction:
    """§2–3, contract §4 rule 3: an auditor on a granted audit break gets no audit."""
    auditors = facts.auditors
    return _limit(
        auditors,
        auditors["break_granted"].astype(bool),
        0,
        f"is on a granted audit break in {facts.month}",
    )


def yearly_max(facts: MonthFacts) -> Restriction:
    """§2, contract §4 rule 2: at most ``max_audits_per_year`` audits in the audit year,
    counting the ledger's audits of earlier months of the same year."""
    auditors = facts.auditors
    maximum = facts.config.policy.max_audits_per_year
    left = (maximum - auditors["year_count"]).clip(lower=0).astype("int64")
    detail = auditors["year_count"].map(
        lambda n: f"has {n} of {maximum} audits this audit year already"
    )
    return _limit(auditors, left < facts.config.policy.max_audits_per_month, left, detail)


def monthly_max(facts: MonthFacts) -> Restriction:
    """§2, contract §4 rule 1: at most ``max_audits_per_month`` audits in the month."""
    auditors = facts.auditors
    maximum = facts.config.policy.max_audits_per_month
    return _limit(
        auditors,
        pd.Series(True, index=auditors.index),
        maximum,
        f"has reached {maximum} audit{'s' if maximum != 1 else ''} this month",
    )


# ---------------------------------------------------------------- pair rules


def direct(facts: MonthFacts) -> Restriction:
    """Contract §4 rule 4: never the case's allocated worker, team manager or IRO."""
    rows = []
    for case_id, worker, manager, iro in facts.cases[
        ["case_id", "allocated_worker_id", "team_manager_id", "iro_id"]
    ].itertuples(index=False, name=None):
        for person, role in ((worker, "allocated worker"), (manager, "team manager"), (iro, "IRO")):
            if person is not None:
                rows.append((case_id, person, f"is the {role} of {case_id}"))
    return _pairs(rows)


def management_chain(facts: MonthFacts) -> Restriction:
    """Contract §4 rule 4: never a manager, at any height, of the worker or team manager."""
    if not facts.config.conflicts.management_chain:
        return Restriction()
    # Case by case, the worker's managers (nearest first) then the team manager's: one
    # row per (case, role, manager), listed column-wise and put in that order.
    roles = (("allocated_worker_id", "allocated worker"), ("team_manager_id", "team manager"))
    case_ids = facts.cases["case_id"].to_numpy(dtype=object)
    people = [facts.cases[column].to_numpy(dtype=object) for column, _ in roles]
    row_parts: list[np.ndarray] = []
    role_parts: list[np.ndarray] = []
    boss_list: list[str] = []
    for number, of_role in enumerate(people):
        chains = [facts.ancestors.get(p, []) if p is not None else [] for p in of_role]
        lengths = np.fromiter(map(len, chains), dtype=np.int64, count=len(chains))
        row_parts.append(np.repeat(np.arange(len(of_role), dtype=np.int64), lengths))
        role_parts.append(np.full(int(lengths.sum()), number, dtype=np.int64))
        boss_list.extend(chain.from_iterable(chains))
    rows, role_of = np.concatenate(row_parts), np.concatenate(role_parts)
    order = np.lexsort((role_of, rows))
    rows, role_of = rows[order], role_of[order]
    bosses = np.empty(len(boss_list), dtype=object)
    bosses[:] = boss_list
    bosses = bosses[order]
    details = [
        f"manages {people[r][i]}, the {roles[r][1]} of {case_ids[i]}, up the chain"
        for i, r in zip(rows.tolist(), role_of.tolist(), strict=True)
    ]
    return _pairs(zip(case_ids[rows], bosses, details, strict=True))


def same_team(facts: MonthFacts) -> Restriction:
    """Contract §4 rule 4: never an auditor of the case's team, a team being the pair
    (service, team); a case or auditor with no team is in no one's team."""
    if not facts.config.conflicts.same_team:
        return Restriction()
    members: dict[tuple[str, str], list[str]] = {}
    for staff_id, service, team in facts.auditors[["staff_id", "service", "team"]].itertuples(
        index=False, name=None
    ):
        if team is not None:
            members.setdefault((service, team), []).append(staff_id)
    rows = []
    for case_id, service, team in facts.cases[["case_id", "service", "team"]].itertuples(
        index=False, name=None
    ):
        if team is not None:
            for person in members.get((service, team), []):
                rows.append((case_id, person, f"is in {case_id}'s team ({team}, {service})"))
    return _pairs(rows)


def declared(facts: MonthFacts) -> Restriction:
    """Contract §4 rule 4: never an auditor with a declared conflict with the subject."""
    by_subject: dict[str, set[str]] = {}
    for auditor_id, subject_id in facts.declared[["auditor_id", "subject_id"]].itertuples(
        index=False, name=None
    ):
        by_subject.setdefault(subject_id, set()).add(auditor_id)
    rows = []
    for case_id, subject in facts.cases[["case_id", "subject_id"]].itertuples(
        index=False, name=None
    ):
        for person in sorted(by_subject.get(subject, ())):
            rows.append((case_id, person, f"declared a conflict of interest with {subject}"))
    return _pairs(rows)


HARD_RULES: tuple[HardRule, ...] = (
    HardRule(
        "eligible",
        "eligible auditors only",
        "contract §3, §4 rule 1",
        eligible,
        RuleKind.ELIGIBILITY,
        count_label="not eligible this month",
        reason="not eligible in {month}",
    ),
    HardRule(
        "direct",
        "not the worker, team manager or IRO",
        "contract §4 rule 4",
        direct,
        RuleKind.CONFLICT,
        count_label="the case's worker, team manager or IRO",
        reason="the case's worker, team manager or IRO",
    ),
    HardRule(
        "management_chain",
        "not up the management chain",
        "contract §4 rule 4",
        management_chain,
        RuleKind.CONFLICT,
        count_label="in the management chain above the worker or team manager",
        reason="in the management chain above the worker or team manager",
    ),
    HardRule(
        "same_team",
        "not in the case's team",
        "contract §4 rule 4",
        same_team,
        RuleKind.CONFLICT,
        count_label="in the same team",
        reason="in the same team",
        relax=Relaxation(
            order=1,
            step="{1} ({0})",
            change="allow {count} to audit its own cases: {steps}",
            noun="team",
            nothing="no auditor is kept from these cases by being in their team alone",
            everything="allowing every team concerned to audit its own cases",
        ),
    ),
    HardRule(
        "declared",
        "no declared conflict",
        "contract §4 rule 4",
        declared,
        RuleKind.CONFLICT,
        count_label="with a declared conflict with the subject",
        reason="a declared conflict with the subject",
        relax=Relaxation(
            order=3,
            step="{0} with {1}",
            change="allow {count}: {steps}",
            noun="declared conflict",
            nothing="no auditor is kept from these cases by a declared conflict alone",
            everything="allowing every declared conflict concerned",
        ),
    ),
    HardRule(
        "exempted",
        "honoured exemptions",
        "§4, §29–30",
        exempted,
        RuleKind.EXEMPTION,
        count_label="with an honoured exemption",
        reason="with an honoured exemption",
    ),
    HardRule(
        "on_break",
        "audit breaks",
        "§2–3",
        on_break,
        RuleKind.BREAK,
        count_label="on an audit break",
        reason="on an audit break",
        relax=Relaxation(
            order=0,
            step="{0}'s",
            change="revoke {count}, the latest granted first: {steps}",
            noun="granted break",
            nothing="no auditor is kept from these cases by an audit break alone",
            everything="revoking every break that keeps an auditor from these cases",
        ),
    ),
    HardRule(
        "yearly_max",
        "ten audits a year",
        "§2, contract §4 rule 2",
        yearly_max,
        RuleKind.LIMIT,
        count_label="at the yearly maximum of audits",
        reason="at {maximum} of {maximum} this audit year",
        relax=Relaxation(
            order=2,
            step="{0}",
            change="raise the yearly maximum by one for {count}: {steps}",
            noun="auditor",
            nothing="no auditor is kept from these cases by the yearly maximum alone",
            everything="raising the yearly maximum of every auditor concerned",
        ),
    ),
    HardRule(
        "monthly_max",
        "one audit a month",
        "§2, contract §4 rule 1",
        monthly_max,
        RuleKind.LIMIT,
        count_label="allowed no audit this month",
        reason="allowed no audit this month",
    ),
)
RULES_BY_ID = rules_by_id(HARD_RULES)
#: The conflicts of interest of contract §4 rule 4, read off the records.
CONFLICT_RULES: tuple[str, ...] = conflict_ids(HARD_RULES)


def apply_rules(
    facts: MonthFacts, rules: Iterable[HardRule] = HARD_RULES
) -> tuple[dict[str, Restriction], pd.Series, pd.DataFrame]:
    """Every rule's restriction, the auditors' capacity this month (the tightest limit,
    indexed by staff_id) and the forbidden pairs (case_id, auditor_id, rule, detail)."""
    restrictions = {rule.id: rule.function(facts) for rule in rules}
    ids = facts.auditors["staff_id"].to_numpy()
    unlimited = facts.config.policy.max_audits_per_month
    capacity = pd.Series(unlimited, index=ids, dtype="int64")
    if "monthly_max" not in restrictions:
        # Without the monthly rule nothing else bounds a month: one per case is the most.
        capacity[:] = max(len(facts.cases), 1)
    for restriction in restrictions.values():
        if len(restriction.capacity):
            limit = restriction.capacity.reindex(ids)
            capacity = capacity.where(limit.isna() | (capacity <= limit), limit).astype("int64")
    pair_frames = [
        r.pairs.assign(rule=rule_id) for rule_id, r in restrictions.items() if len(r.pairs)
    ]
    forbidden = (
        pd.concat(pair_frames, ignore_index=True)
        if pair_frames
        else pd.DataFrame(columns=[*PAIR_COLUMNS, "rule"])
    )
    return restrictions, capacity, forbidden[["case_id", "auditor_id", "rule", "detail"]]


class RuleVerdicts(Protocol):
    """What :func:`blocking_rules` reads of a month: a ``MonthProblem`` (named by what it
    gives, so that the rules need not import the problem that is built from them)."""

    @property
    def restrictions(self) -> Mapping[str, Restriction]: ...

    @property
    def auditor_blocks(self) -> Mapping[str, list[tuple[str, str]]]: ...

    @property
    def pair_details(self) -> Mapping[tuple[str, str, str], str]: ...


def blocking_rules(problem: RuleVerdicts, case_id: str, auditor_id: str) -> list[Blocker]:
    """The hard rules that forbid ``auditor_id`` for ``case_id`` this month, in the order
    of ``HARD_RULES``, each with its paragraph and facts. Empty when the pair is allowed.

    ``problem`` is a ``MonthProblem``: its restrictions were computed once, by the same
    rule functions the solver's model was built from. Someone who is not an auditor at
    all is blocked by the eligibility rule.
    """
    if auditor_id not in problem.auditor_blocks:
        rule = RULES_BY_ID["eligible"]
        return [Blocker(rule.id, rule.paragraph, f"{auditor_id} is not an auditor")]
    found = []
    wide = dict(problem.auditor_blocks[auditor_id])
    for rule_id in problem.restrictions:
        rule = RULES_BY_ID[rule_id]
        detail = wide.get(rule_id) or problem.pair_details.get((case_id, auditor_id, rule_id))
        if detail is not None:
            found.append(Blocker(rule_id, rule.paragraph, f"{auditor_id} {detail}"))
    return found


def auditor_blocks(
    restrictions: dict[str, Restriction], auditor_ids: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """Per auditor, the rules that bar them from every case this month, with details."""
    blocks: dict[str, list[tuple[str, str]]] = {a: [] for a in auditor_ids}
    for rule_id, restriction in restrictions.items():
        barred = restriction.capacity.index[restriction.capacity <= 0]
        details = restriction.capacity_detail.reindex(barred)
        for staff_id, detail in zip(barred.tolist(), details.tolist(), strict=True):
            blocks[staff_id].append((rule_id, detail))
    return blocks


def case_conflict(
    rule_id: str,
    cases: pd.DataFrame,
    people: pd.DataFrame,
    ancestors: dict[str, list[str]],
    declared: pd.DataFrame,
    config: Config,
) -> pd.DataFrame:
    """One of ``CONFLICT_RULES`` (contract §4 rule 4, which bar anyone who judges a
    case, an auditor or a moderator, §22) applied to other people judging other cases: the
    month's own rule function, so that a moderator (§22) is held to exactly the conflicts
    an auditor is. ``cases`` has the columns the rules read (case_id, subject_id, service,
    team, allocated_worker_id, team_manager_id, iro_id), keyed by ``case_id``; ``people``
    has staff_id, service and team. Returns (case_id, auditor_id, detail) rows, where
    ``auditor_id`` is the person barred."""
    if rule_id not in CONFLICT_RULES:
        raise ValueError(f"{rule_id} is not a conflict of interest with a case")
    facts = MonthFacts(
        month="",
        config=config,
        auditors=people,
        cases=cases,
        ancestors=ancestors,
        declared=declared,
        exemptions=pd.DataFrame(columns=["case_id", "auditor_id", "honoured"]),
    )
    return RULES_BY_ID[rule_id].function(facts).pairs
