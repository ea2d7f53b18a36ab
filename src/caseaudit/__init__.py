"""caseaudit: monthly case file audit allocation for children's social care.

The public API returns pandas DataFrames; see ``caseaudit.api``.
"""

from caseaudit.api import (
    AllocationResult,
    BreakPlanResult,
    ModerationResult,
    allocate,
    generate,
    load,
    moderate,
    plan_breaks,
    reallocate,
)
from caseaudit.explaining import Explanation, explain
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import InputError, InputIssue
from caseaudit.model.problem import MonthProblem, build_problem
from caseaudit.reporting import ReportResult, report
from caseaudit.simulation import YearSimulation, simulate_year
from caseaudit.sweep import LoseStaff, MergeTeams, Scenario, SetConfig, WantMonthOff, sweep

__all__ = [
    "AllocationResult",
    "BreakPlanResult",
    "Dataset",
    "Explanation",
    "InputError",
    "InputIssue",
    "LoseStaff",
    "MergeTeams",
    "ModerationResult",
    "MonthProblem",
    "ReportResult",
    "Scenario",
    "SetConfig",
    "WantMonthOff",
    "YearSimulation",
    "allocate",
    "build_problem",
    "explain",
    "generate",
    "load",
    "moderate",
    "plan_breaks",
    "reallocate",
    "report",
    "simulate_year",
    "sweep",
]
