"""Pure facts for ``caseaudit explain`` (issue 11): who may audit a case, what blocks
each auditor, and what keeps a set of cases from being covered.

Every fact comes from :func:`caseaudit.plans.month.rules.blocking_rules`, the one answer to
"which rules block this auditor for this case", so that ``explain`` never says anything
the month's reasons, ``unallocated`` and the solver's model would not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from caseaudit.model.errors import plural
from caseaudit.model.rule_record import Relaxation
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.plans.month.rules import HARD_RULES, RULES_BY_ID, Blocker, blocking_rules

#: The rule ids ``explain`` names, in ``HARD_RULES`` order (issue 11's vocabulary).
RULE_IDS: tuple[str, ...] = tuple(rule.id for rule in HARD_RULES)

#: The rules a month diagnosis may relax, in the order their records give (issue 11's
#: words are on the records). The direct conflicts (worker, team manager, IRO) have no
#: relaxation: nobody audits their own case.
RELAXABLE_RULES: tuple[str, ...] = tuple(
    rule.id
    for rule in sorted(
        (r for r in HARD_RULES if r.relax is not None),
        key=lambda r: r.relax.order if r.relax is not None else 0,
    )
)

#: Short policy words for counts ("14 in the same team, 5 on an audit break").
COUNT_LABELS = {rule.id: rule.count_label for rule in HARD_RULES}

BLOCKER_COLUMNS = ["rule", "paragraph", "detail"]
CANDIDATE_COLUMNS = ["auditor_id", "allowed", "blocking_rules", "detail", "year_count"]


def blockers_frame(blockers: Iterable[Blocker]) -> pd.DataFrame:
    """Blocking rules as a table (rule, paragraph, detail), in ``HARD_RULES`` order."""
    rows = [(b.rule, b.paragraph, b.detail) for b in blockers]
    return pd.DataFrame(rows, columns=BLOCKER_COLUMNS)


def case_candidates(problem: MonthProblem, case_id: str) -> pd.DataFrame:
    """One row per auditor (every staff member with is_auditor, by staff_id): whether
    they may audit ``case_id`` this month and, if not, every rule that blocks them.

    ``blocking_rules`` is ``;``-joined rule ids; ``detail`` the first rule's facts.
    A case whose details are unknown (a due re-audit missing from ``cases``) has no
    allowed auditor, since its conflicts cannot be checked.
    """
    closed = bool(problem.cases.loc[problem.cases["case_id"] == case_id, "details_missing"].any())
    rows = []
    for auditor_id, year_count in zip(
        problem.auditors["staff_id"], problem.auditors["year_count"], strict=True
    ):
        blockers = blocking_rules(problem, case_id, auditor_id)
        rows.append(
            {
                "auditor_id": auditor_id,
                "allowed": not blockers and not closed,
                "blocking_rules": ";".join(b.rule for b in blockers),
                "detail": blockers[0].detail if blockers else None,
                "year_count": int(year_count),
            }
        )
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


@dataclass(frozen=True)
class SetBlocks:
    """What blocks each auditor from a set of cases, in bulk: the same restrictions that
    :func:`blocking_rules` reads (the auditor-wide limits and the forbidden pairs of the
    month's problem), counted for every auditor at once so that a region's month is not
    asked pair by pair. The tests check it against ``blocking_rules`` pair by pair."""

    #: Per auditor, the rules that bar them from every case (a break, the yearly maximum).
    wide: dict[str, list[str]]
    #: The set's forbidden pairs: case_id, auditor_id, kind (the rule).
    pairs: pd.DataFrame
    case_ids: tuple[str, ...]

    @classmethod
    def of(cls, problem: MonthProblem, case_ids: list[str]) -> SetBlocks:
        wide = {a: [rule for rule, _ in blocks] for a, blocks in problem.auditor_blocks.items()}
        conflicts = problem.conflicts
        pairs = conflicts[conflicts["case_id"].isin(set(case_ids))]
        return cls(wide, pairs[["case_id", "auditor_id", "kind"]], tuple(sorted(set(case_ids))))

    def cases_blocked(self) -> dict[str, Counter[str]]:
        """Per auditor, each rule's number of cases of the set it blocks them from."""
        blocked: dict[str, Counter[str]] = {
            a: Counter({rule: len(self.case_ids) for rule in rules})
            for a, rules in self.wide.items()
        }
        per_rule = self.pairs.groupby(["auditor_id", "kind"])["case_id"].nunique()
        for (auditor_id, rule), count in per_rule.items():
            blocked.setdefault(str(auditor_id), Counter())[str(rule)] = int(count)
        return blocked

    def pair_alone(self) -> pd.DataFrame:
        """(case_id, auditor_id, rule) for every pair of the set that one pair rule alone
        blocks, the auditor having no auditor-wide limit."""
        per_pair = self.pairs.groupby(["case_id", "auditor_id"])["kind"].agg(["nunique", "first"])
        alone = per_pair[per_pair["nunique"] == 1].reset_index()
        alone = alone[alone["auditor_id"].map(lambda a: not self.wide.get(a))]
        return alone.rename(columns={"first": "rule"})[["case_id", "auditor_id", "rule"]]

    def wide_alone(self) -> dict[str, set[str]]:
        """Per auditor-wide rule, the auditors it alone keeps from some case of the set
        (no other rule bars them from that case). Not listed case by case: on a region
        that would be every case times every auditor on a break."""
        cases_with_pair = self.pairs.groupby("auditor_id")["case_id"].nunique()
        found: dict[str, set[str]] = {}
        for auditor_id, rules in self.wide.items():
            if len(rules) == 1 and cases_with_pair.get(auditor_id, 0) < len(self.case_ids):
                found.setdefault(rules[0], set()).add(auditor_id)
        return found


def cutting_rule(blocked: Counter[str]) -> str:
    """The rule that cuts an auditor away from a set of cases they may audit none of:
    the first rule, in ``HARD_RULES`` order, that blocks them from every case of the set
    (a break, the yearly maximum), else the one that blocks them from the most cases."""
    most = max(blocked.values())
    return next(rule for rule in RULE_IDS if blocked[rule] == most)


def blocked_by(problem: MonthProblem, case_ids: list[str], allowed: set[str]) -> dict[str, int]:
    """For a set of cases whose allowed auditors are ``allowed``: every other auditor,
    counted once under the rule that cuts them away (:func:`cutting_rule`)."""
    blocked = SetBlocks.of(problem, case_ids).cases_blocked()
    counts: Counter[str] = Counter()
    for auditor_id in problem.auditors["staff_id"]:
        if auditor_id not in allowed:
            counts[cutting_rule(blocked[auditor_id])] += 1
    return {rule: counts[rule] for rule in RULE_IDS if counts[rule]}


def describe_counts(counts: dict[str, int]) -> str:
    """``{"same_team": 14, "on_break": 5}`` → "14 in the same team, 5 on an audit break"."""
    return ", ".join(f"{n} {COUNT_LABELS[rule]}" for rule, n in counts.items())


def describe_cases(problem: MonthProblem, case_ids: list[str]) -> str:
    """ "3 cases of Fostering (Team 2)", or "3 cases" when they share no team."""
    cases = problem.cases[problem.cases["case_id"].isin(case_ids)]
    noun = plural(len(case_ids), "case")
    services = set(cases["service"])
    if len(services) == 1:
        service = services.pop()
        teams = set(cases["team"])
        if len(teams) == 1 and (team := teams.pop()) is not None:
            return f"{noun} of {service} ({team})"
        return f"{noun} of {service}"
    return noun


@dataclass(frozen=True)
class RelaxUnit:
    """One step of a relaxation, smallest first: one granted break revoked, one
    auditor's yearly maximum raised by one, one team allowed its own cases, one declared
    conflict allowed. ``key`` names it: (auditor_id,), (service, team) or (auditor_id,
    subject_id)."""

    rule: str
    key: tuple[str, ...]


def relax_units(problem: MonthProblem, case_ids: list[str]) -> dict[str, list[RelaxUnit]]:
    """Per relaxable rule, the steps that would let some auditor take a case of
    ``case_ids`` (that rule alone keeps them from it), in the order they are given up:

    - breaks: the latest granted first (first come, first served reversed, §3);
    - yearly maximum: auditors by staff_id;
    - same team: the team with the most cases in the set first, then by name;
    - declared conflicts: by auditor then subject.
    """
    cases = problem.cases
    in_set = cases[cases["case_id"].isin(set(case_ids))]
    open_cases = in_set.loc[~in_set["details_missing"], "case_id"].tolist()
    blocks = SetBlocks.of(problem, open_cases)
    wide = blocks.wide_alone()
    alone = blocks.pair_alone()
    teams_of_cases = zip(cases["service"], cases["team"], strict=True)
    team_of = dict(zip(cases["case_id"], teams_of_cases, strict=True))
    subject_of = dict(zip(cases["case_id"], cases["subject_id"], strict=True))
    by_team = alone[alone["rule"] == "same_team"]
    teams = {team_of[case_id] for case_id in by_team["case_id"]}
    by_declaration = alone[alone["rule"] == "declared"]
    declarations = {
        (auditor_id, subject_of[case_id])
        for case_id, auditor_id in zip(
            by_declaration["case_id"], by_declaration["auditor_id"], strict=True
        )
    }
    decisions = problem.break_decisions
    granted = decisions[decisions["decision"] == "granted"].copy()
    granted["late"] = ~granted["on_time"].astype(bool)
    granted = granted.sort_values(["late", "requested_on", "auditor_id"], ascending=False)
    on_break = wide.get("on_break", set())
    team_cases: Counter[tuple[str, ...]] = Counter(
        team_of[case_id] for case_id in in_set["case_id"]
    )
    return {
        "on_break": [RelaxUnit("on_break", (a,)) for a in granted["auditor_id"] if a in on_break],
        "yearly_max": [
            RelaxUnit("yearly_max", (a,)) for a in sorted(wide.get("yearly_max", set()))
        ],
        "same_team": [
            RelaxUnit("same_team", key) for key in sorted(teams, key=lambda k: (-team_cases[k], k))
        ],
        "declared": [RelaxUnit("declared", key) for key in sorted(declarations)],
    }


def rule_paragraph(rule_id: str) -> str:
    return RULES_BY_ID[rule_id].paragraph


#: How many steps a relaxation's sentence names before "and N more".
NAMED_STEPS = 5


#: The words of each relaxation, in ``RELAXABLE_RULES`` order.
RELAX_WORDS: dict[str, Relaxation] = {
    rule_id: relax for rule_id in RELAXABLE_RULES if (relax := RULES_BY_ID[rule_id].relax)
}


def describe_units(rule: str, units: list[RelaxUnit]) -> str:
    """A relaxation's steps in one short sentence, e.g. "revoke 2 granted breaks, the
    latest granted first: S0180's, S1032's"."""
    words = RELAX_WORDS[rule]
    named = [words.step.format(*unit.key) for unit in units[:NAMED_STEPS]]
    more = f" and {len(units) - NAMED_STEPS} more" if len(units) > NAMED_STEPS else ""
    return words.change.format(count=plural(len(units), words.noun), steps=", ".join(named) + more)
