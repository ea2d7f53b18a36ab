"""Words and structures shared by the conflict-of-interest rules (contract §4 rule 4).

The rules themselves, with their words, are records in ``caseaudit.plans.month.rules``.
"""

from __future__ import annotations

from caseaudit.model.schema import STAFF_GROUPS

#: Who may agree an exemption, by the auditor's staff group (§4).
EXEMPTION_APPROVER_ROLE = {"csc": "assistant_director", "pq": "strategic_lead_ipq"}
assert set(EXEMPTION_APPROVER_ROLE) == set(STAFF_GROUPS)


def ancestors_of(manager_of: dict[str, str]) -> dict[str, list[str]]:
    """Every staff member's managers up the chain, nearest first.

    Validation rejects loops; the ``seen`` guard only keeps a bad input from hanging.
    """
    result: dict[str, list[str]] = {}
    for staff_id in manager_of:
        above: list[str] = []
        current = manager_of.get(staff_id)
        while current is not None and current not in above and current != staff_id:
            above.append(current)
            current = manager_of.get(current)
        result[staff_id] = above
    return result
