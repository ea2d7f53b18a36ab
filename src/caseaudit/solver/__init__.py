"""The generic assignment core: tasks × agents with capacities, proven optimal.

Imports nothing else from caseaudit; plans state their problem in these terms (see
``solver.core``) and import them from here. CP-SAT (``solver.cpsat``) loads only when a
plan has side constraints.
"""

from caseaudit.solver.core import (
    NOT_UNIQUE_NOTE,
    AssignmentProblem,
    CoreResult,
    SolveOptions,
    SolverSettings,
    max_cover,
    solve,
)
from caseaudit.solver.network import Capacities
from caseaudit.solver.pairs import EMPTY, ExplicitPairs, ImplicitPairs, PairCost, pair_keys
from caseaudit.solver.tiers import INT64_SAFE, tier_weights
from caseaudit.solver.ties import mix

__all__ = [
    "EMPTY",
    "INT64_SAFE",
    "NOT_UNIQUE_NOTE",
    "AssignmentProblem",
    "Capacities",
    "CoreResult",
    "ExplicitPairs",
    "ImplicitPairs",
    "PairCost",
    "SolveOptions",
    "SolverSettings",
    "max_cover",
    "mix",
    "pair_keys",
    "solve",
    "tier_weights",
]
