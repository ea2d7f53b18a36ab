"""Mid-month reallocation with minimal change (§2, §4–5, §29–31; issue 3).

The previous plan stays where the rules still allow it; only what must move moves,
plus, where that alone lets more cases be covered, as few other audits as possible.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from caseaudit.model.conflicts import CONFLICT_LABELS, EXEMPTION_APPROVER_ROLE
from caseaudit.model.dataset import Dataset
from caseaudit.model.problem import MonthProblem

EXEMPTION_DECISION_COLUMNS = [
    "case_id",
    "month",
    "auditor_id",
    "requested_on",
    "decision",
    "decided_by",
    "honoured",
    "reason",
]
CHANGE_COLUMNS = [
    "audit_id",
    "previous_audit_id",
    "case_id",
    "previous_auditor_id",
    "new_auditor_id",
    "reason",
]
ROLE_WORDS = {
    "assistant_director": "an Assistant Director",
    "strategic_lead_ipq": "the Strategic Lead for Improvement, Performance and Quality",
    "head_of_service": "a head of service",
    "group_manager": "a group manager",
    "team_manager": "a team manager",
    "pq_officer": "a P&Q officer",
    "iro": "an IRO",
}
GROUP_WORDS = {
    "csc": "CSC exemptions need the Assistant Director",
    "pq": "P&Q exemptions need the Strategic Lead for Improvement, Performance and Quality",
}
NON_COMPLETION = "an audit not done without an agreed exemption is a non-completion (§30)"
REALLOCATION_SUFFIX = re.compile(r"-r(\d+)")


def exemption_decisions(data: Dataset, month: str) -> pd.DataFrame:
    """Every exemption of the month, honoured or not, with the reason in policy words (§4)."""
    staff = data["staff"].set_index("staff_id")
    exemptions = data["exemptions"][data["exemptions"]["month"] == month]
    rows = []
    for item in exemptions.itertuples(index=False):
        group = staff.at[item.auditor_id, "staff_group"] if item.auditor_id in staff.index else ""
        approver_role = (
            staff.at[item.decided_by, "role"] if item.decided_by in staff.index else None
        )
        honoured, reason = _exemption_reason(item, group, approver_role)
        rows.append(
            {
                "case_id": item.case_id,
                "month": month,
                "auditor_id": item.auditor_id,
                "requested_on": item.requested_on,
                "decision": item.decision,
                "decided_by": item.decided_by,
                "honoured": honoured,
                "reason": reason,
            }
        )
    return pd.DataFrame(rows, columns=EXEMPTION_DECISION_COLUMNS)


def _exemption_reason(item: Any, group: str, approver_role: str | None) -> tuple[bool, str]:
    decision = item.decision
    decided_by = item.decided_by
    auditor_id = item.auditor_id
    stays = f"the audit stays with {auditor_id}; {NON_COMPLETION}"
    if decision == "pending":
        return False, f"pending: not agreed yet, so {stays}"
    if decision == "refused":
        return False, f"refused by {decided_by or 'the approver'}, so {stays}"
    if decided_by is None:
        return False, f"approved without a named approver; {GROUP_WORDS.get(group, '')}: {stays}"
    if decided_by == auditor_id:
        return False, f"approved by the auditor themself; {GROUP_WORDS.get(group, '')}: {stays}"
    needed = EXEMPTION_APPROVER_ROLE.get(group)
    if needed is None or approver_role != needed:
        who = ROLE_WORDS.get(approver_role or "", f"a {approver_role or 'staff member'}")
        return False, f"approved by {who}; {GROUP_WORDS.get(group, '')}: {stays}"
    return True, (
        f"approved by {decided_by} ({ROLE_WORDS[needed]}): honoured; the audit moves to "
        "another auditor and this auditor gets no audit this month (§4)"
    )


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
    """The rule that now forbids the previous (case, auditor) pair, or None if none does."""
    auditors = problem.auditors.set_index("staff_id")
    if auditor_id in exempted_auditors:
        return f"exemption honoured for {auditor_id}: no audit for them this month (§4)"
    if auditor_id not in auditors.index or not auditors.at[auditor_id, "eligible"]:
        return f"{auditor_id} is no longer eligible in {problem.month} (left or not an auditor)"
    if auditor_id in newly_granted:
        return f"{auditor_id} was granted a late audit break (§2)"
    if auditors.at[auditor_id, "break_granted"]:
        return f"{auditor_id} is on an audit break (§2–3)"
    if auditors.at[auditor_id, "capacity"] <= 0:
        return f"{auditor_id} is at the yearly maximum"
    conflicts = problem.conflicts
    kinds = conflicts.loc[
        (conflicts["case_id"] == case_id) & (conflicts["auditor_id"] == auditor_id), "kind"
    ]
    if len(kinds):
        return "conflict of interest now recorded: " + ", ".join(
            CONFLICT_LABELS[k] for k in sorted(set(kinds))
        )
    return None


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
        if new_auditor is None:
            reason = (
                (cause + "; " if cause else "")
                + "not reallocated: "
                + unallocated_reasons.get(case_id, "no auditor available")
            )
            rows.append(_change(None, old_id, case_id, old_auditor, None, reason))
            continue
        audit_ids[case_id] = reallocated_audit_id(month, case_id, old_id)
        reason = cause or "moved so that another case could be covered (fewest changes)"
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
