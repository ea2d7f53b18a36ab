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

    Each chain is walked once: a member's chain is their manager and the manager's
    chain, known once the manager's is (a national staff list has 150,000 members).
    Validation rejects loops; on one, the members of the walk are given the guarded
    walk of :func:`_walk` so that a bad input cannot hang.
    """
    known: dict[str, list[str]] = {}
    for staff_id in manager_of:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = staff_id
        while current is not None and current not in known and current not in on_path:
            path.append(current)
            on_path.add(current)
            current = manager_of.get(current)
        if current is not None and current in on_path:
            for member in path:
                known[member] = _walk(manager_of, member)
            continue
        above = [] if current is None else [current, *known[current]]
        for member in reversed(path):
            known[member] = above
            above = [member, *above]
    return {staff_id: known[staff_id] for staff_id in manager_of}


def _walk(manager_of: dict[str, str], staff_id: str) -> list[str]:
    """One member's managers, nearest first, stopping where the chain loops."""
    above: list[str] = []
    current = manager_of.get(staff_id)
    while current is not None and current not in above and current != staff_id:
        above.append(current)
        current = manager_of.get(current)
    return above
