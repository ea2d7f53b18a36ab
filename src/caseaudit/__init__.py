"""caseaudit: monthly case file audit allocation for children's social care.

The public API returns pandas DataFrames; see ``caseaudit.api``.
"""

from typing import TYPE_CHECKING

from caseaudit import api
from caseaudit.api import (
    LAZY_EXPORTS,
    AllocationResult,
    BreakPlanResult,
    ModerationResult,
    allocate,
    draw_sample,
    generate,
    load,
    moderate,
    plan_breaks,
    reallocate,
    record,
)
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import InputError, InputIssue
from caseaudit.plans.month.problem import MonthProblem, build_problem
from caseaudit.whatif.simulate import YearSimulation, simulate_year
from caseaudit.whatif.sweep import LoseStaff, MergeTeams, Scenario, SetConfig, WantMonthOff, sweep

if TYPE_CHECKING:
    from caseaudit.explaining.explainer import Explanation, explain
    from caseaudit.reporting.command import ReportResult, report


def __getattr__(name: str) -> object:
    """explain, report and their results, imported on first use (``caseaudit.api``)."""
    if name in LAZY_EXPORTS:
        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "draw_sample",
    "explain",
    "generate",
    "load",
    "moderate",
    "plan_breaks",
    "reallocate",
    "record",
    "report",
    "simulate_year",
    "sweep",
]
