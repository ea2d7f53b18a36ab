"""Exemption decisions: honoured only when agreed by the right senior person (§4, §29–30).

The reason said here is the decision alone, true whatever the plan; what it means for a
plan (who has the case now) is added after the solve, in ``explain``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from caseaudit.model.conflicts import EXEMPTION_APPROVER_ROLE
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.tables import Tables

EXEMPTION_DECISION_COLUMNS = OUTPUT_TABLES["exemption_decisions"].column_names
ROLE_WORDS = {
    "assistant_director": "an Assistant Director",
    "strategic_lead_ipq": "the Strategic Lead for Improvement, Performance and Quality",
    "head_of_service": "a head of service",
    "group_manager": "a group manager",
    "team_manager": "a team manager",
    "pq_officer": "a P&Q officer",
    "iro": "an IRO",
    "social_worker": "a social worker",
    "personal_adviser": "a personal adviser",
    "supervising_social_worker": "a supervising social worker",
    "other": "a staff member",
}
GROUP_WORDS = {
    "csc": "CSC exemptions need the Assistant Director",
    "pq": "P&Q exemptions need the Strategic Lead for Improvement, Performance and Quality",
}
NON_COMPLETION = "an audit not done without an agreed exemption is a non-completion (§30)"


def exemption_decisions(data: Tables, month: str) -> pd.DataFrame:
    """Every exemption of the month, honoured or not, with the decision in policy words
    (§4); ``explain.exemption_decisions_table`` adds what it means for the plan."""
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
    """Honoured or not, and the decision in policy words (nothing about the plan)."""
    decision = item.decision
    decided_by = item.decided_by
    needs = GROUP_WORDS.get(group)
    rule = f"; {needs}" if needs else ""
    if decision == "pending":
        return False, "pending: not agreed yet"
    if decision == "refused":
        return False, f"refused by {decided_by or 'the approver'}"
    if decided_by is None:
        return False, f"approved without a named approver{rule}"
    if decided_by == item.auditor_id:
        return False, f"approved by the auditor themself{rule}"
    needed = EXEMPTION_APPROVER_ROLE.get(group)
    if needed is None or approver_role != needed:
        who = ROLE_WORDS.get(approver_role or "", f"a {approver_role or 'staff member'}")
        return False, f"approved by {who}{rule}"
    return True, f"approved by {decided_by} ({ROLE_WORDS[needed]}): honoured"


def honoured_auditors(decisions: pd.DataFrame) -> frozenset[str]:
    """Auditors with an honoured exemption: they get no audit at all that month."""
    return frozenset(decisions.loc[decisions["honoured"].astype(bool), "auditor_id"])
