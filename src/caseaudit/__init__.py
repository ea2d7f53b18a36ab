"""caseaudit: monthly case file audit allocation for children's social care.

The public API returns pandas DataFrames; see ``caseaudit.api``.
"""

from caseaudit.api import AllocationResult, allocate, load, reallocate
from caseaudit.model.errors import InputError, InputIssue
from caseaudit.model.problem import MonthProblem, build_problem

__all__ = [
    "AllocationResult",
    "InputError",
    "InputIssue",
    "MonthProblem",
    "allocate",
    "build_problem",
    "load",
    "reallocate",
]
