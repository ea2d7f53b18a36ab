"""Mid-month reallocation with minimal change (§2, §4–5, §29–31; issue 3).

The previous plan stays where the rules still allow it; only what must move moves,
plus, where that alone lets more cases be covered, as few other audits as possible.
"""

from __future__ import annotations

import re

import pandas as pd

from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.rule_record import RuleKind
from caseaudit.plans.month.problem import MonthProblem
from caseaudit.plans.month.rules import RULES_BY_ID, blocking_rules

CHANGE_COLUMNS = OUTPUT_TABLES["changes"].column_names
REALLOCATION_SUFFIX = re.compile(r"-r(\d+)")


def reallocated_audit_id(month: str, case_id: str, previous_audit_id: str | None) -> str:
    """``<month>-<case_id>-r<k>`` for the k-th reallocation of the case in the month."""
    first_id = f"{month}-{case_id}"
    if previous_audit_id is None:
        return first_id
    # Read k after the case id, so that a case id ending in "-r5" is not taken for k = 5.
    rest = previous_audit_id[len(first_id) :] if previous_audit_id.startswith(first_id) else ""
    match = REALLOCATION_SUFFIX.fullmatch(rest)
    k = int(match.group(1)) + 1 if match else 1
    return f"{first_id}-r{k}"


def why_previous_pair_failed(
    problem: MonthProblem,
    case_id: str,
    auditor_id: str,
    newly_granted: set[str],
    exempted_auditors: set[str],
) -> str | None:
    """Why the previous (case, auditor) pair is now forbidden, from the first of its
    ``blocking_rules``; None when the pair is still allowed."""
    blockers = blocking_rules(problem, case_id, auditor_id)
    if not blockers:
        return None
    first = blockers[0]
    kind = RULES_BY_ID[first.rule].kind
    if kind is RuleKind.EXEMPTION or auditor_id in exempted_auditors:
        return f"exemption honoured for {auditor_id}: no audit for them this month (§4)"
    if kind is RuleKind.ELIGIBILITY:
        return f"{auditor_id} is no longer eligible in {problem.month} (left or not an auditor)"
    if kind is RuleKind.BREAK and auditor_id in newly_granted:
        return f"{auditor_id} was granted a late audit break (§2)"
    if RULES_BY_ID[first.rule].is_conflict:
        conflicts = [b.detail for b in blockers if RULES_BY_ID[b.rule].is_conflict]
        return "conflict of interest now recorded: " + "; ".join(conflicts)
    return f"{first.detail} ({first.paragraph})"


def changes_table(
    problem: MonthProblem,
    previous: pd.DataFrame,
    new_plan: pd.DataFrame,
    must_move: dict[str, str],
    unallocated_reasons: dict[str, str],
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Compare the plans; return the changes and the audit id of each new allocation."""
    month = problem.month
    before = previous.set_index("case_id")
    after = dict(zip(new_plan["case_id"], new_plan["auditor_id"], strict=True))
    in_month = set(problem.cases["case_id"])
    due = set(problem.cases.loc[problem.cases["reaudit_due"], "case_id"])
    case_of_auditor = {auditor: case for case, auditor in after.items()}
    audit_ids: dict[str, str] = {}
    rows = []
    for case_id in sorted(set(before.index) | set(after)):
        new_auditor = after.get(case_id)
        if case_id in before.index:
            old_id = before.at[case_id, "audit_id"]
            old_auditor = before.at[case_id, "auditor_id"]
        else:
            old_id = old_auditor = None
        if new_auditor is not None and new_auditor == old_auditor:
            audit_ids[case_id] = old_id
            continue
        if old_id is None:
            audit_ids[case_id] = f"{month}-{case_id}"
            rows.append(
                _change(
                    audit_ids[case_id],
                    None,
                    case_id,
                    None,
                    new_auditor,
                    "case added to the month since the previous plan",
                )
            )
            continue
        if case_id not in in_month:
            rows.append(
                _change(
                    None,
                    old_id,
                    case_id,
                    old_auditor,
                    None,
                    "case no longer in the month's list: dropped",
                )
            )
            continue
        cause = must_move.get(case_id)
        if cause is None and old_auditor in case_of_auditor:
            # The pair was still allowed: its auditor was needed elsewhere.
            taken_by = case_of_auditor[old_auditor]
            cause = f"{old_auditor} audits {taken_by} this month" + (
                " (a due re-audit, covered first)" if taken_by in due else ""
            )
        if new_auditor is None:
            reason = (
                (cause + "; " if cause else "")
                + "not reallocated: "
                + unallocated_reasons.get(case_id, "no auditor available")
            )
            rows.append(_change(None, old_id, case_id, old_auditor, None, reason))
            continue
        audit_ids[case_id] = reallocated_audit_id(month, case_id, old_id)
        if case_id in must_move:
            reason = must_move[case_id]
        elif cause is not None:
            reason = f"moved so that another case could be covered: {cause} (fewest changes)"
        else:
            # No rule forced it and its auditor is free: only a search cut short does this.
            reason = (
                "moved although the previous pair was still allowed (see the solver status "
                "in manifest.json)"
            )
        rows.append(_change(audit_ids[case_id], old_id, case_id, old_auditor, new_auditor, reason))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS), audit_ids


def _change(
    audit_id: str | None,
    previous_audit_id: str | None,
    case_id: str,
    previous_auditor_id: str | None,
    new_auditor_id: str | None,
    reason: str,
) -> dict[str, object]:
    return {
        "audit_id": audit_id,
        "previous_audit_id": previous_audit_id,
        "case_id": case_id,
        "previous_auditor_id": previous_auditor_id,
        "new_auditor_id": new_auditor_id,
        "reason": reason,
    }
