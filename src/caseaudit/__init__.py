"""caseaudit: monthly case file audit allocation for children's social care.

The public API returns pandas DataFrames; see ``caseaudit.api``.
"""

from caseaudit.api import (
    AllocationResult,
    BreakPlanResult,
    ModerationResult,
    allocate,
    load,
    moderate,
    plan_breaks,
    reallocate,
)
from caseaudit.model.errors import InputError, InputIssue
from caseaudit.model.problem import MonthProblem, build_problem
from caseaudit.reporting import ReportResult, report

__all__ = [
    "AllocationResult",
    "BreakPlanResult",
    "InputError",
    "InputIssue",
    "ModerationResult",
    "MonthProblem",
    "ReportResult",
    "allocate",
    "build_problem",
    "load",
    "moderate",
    "plan_breaks",
    "reallocate",
    "report",
]
