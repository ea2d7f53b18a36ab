"""One assignment core for every plan: tasks × agents with capacities, proven optimal.

A plan states its problem in these terms (an adapter: the month, a re-plan, moderation,
the year's breaks) and gets back the chosen pairs with a status it can report honestly:

- tasks with a demand (units) and a cost per unit left unassigned;
- allowed pairs with integer costs, listed or implicit (every pair but the forbidden);
- agents with capacities whose units cost more and more (convex slot costs);
- nested groups of agents sharing a capacity (a laminar family), also convex;
- optional linear side constraints over pairs.

Without side constraints the min-cost flow solves the model and is its own proof. An
implicit pair space larger than ``price_above_pairs`` is never built: the flow runs on
a candidate set, its node potentials price every other allowed pair (block by block),
pairs with a negative reduced cost join, and the loop ends when none is left — then
the flow's optimum holds over every allowed pair. With side constraints CP-SAT solves
the model, bounded below by the flow; every pair whose reduced cost exceeds the gap
between CP-SAT's first plan and that bound is fixed out before the proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from caseaudit.solver.network import Capacities, FlowResult, solve_flow, unique_plan
from caseaudit.solver.network import max_cover as network_max_cover
from caseaudit.solver.pairs import EMPTY, ExplicitPairs, ImplicitPairs, pair_keys, price

if TYPE_CHECKING:
    # CP-SAT is loaded only by plans with side constraints (start-up time).
    from caseaudit.solver.cpsat import SideConstraint


@dataclass(frozen=True)
class AssignmentProblem:
    pairs: ExplicitPairs | ImplicitPairs
    capacities: Capacities
    side_constraints: tuple[SideConstraint, ...] = ()


#: Said of a plan whose optimum is not unique (the manifest's notes).
NOT_UNIQUE_NOTE = (
    "several plans reach the optimum; the one given is chosen by the fixed "
    "algorithm and input order, so reruns give the same plan"
)


class SolverSettings(Protocol):
    """What a run's settings give the core (``[solver]`` of config.toml, contract §3):
    read-only attributes, so the core needs no import of the config that holds them."""

    @property
    def time_limit_s(self) -> float: ...

    @property
    def workers(self) -> int: ...

    @property
    def price_above_pairs(self) -> int: ...


@dataclass(frozen=True)
class SolveOptions:
    seed: int = 0
    time_limit_s: float = 60.0
    workers: int = 2
    #: Implicit pair spaces with more allowed pairs than this are priced, not built.
    price_above_pairs: int = 1_000_000
    #: Pricing starts from every allowed pair whose tie-break is below the value that
    #: gives each task about this many pairs (one pass over the pair space). Measured
    #: (docs/performance.md): 16 proves region and national in one round; 8 needs a
    #: second round on region, 32 only makes national's flow larger.
    small_ties_per_task: int = 16
    #: Pairs of negative reduced cost added per task per round, at most. A re-plan's
    #: freed cases need the few free auditors, which one round reveals layer by layer:
    #: on region, 16 took 26 rounds (1.7 s), 1,024 takes 3 (0.12 s), and bounds a
    #: round's additions to 1,024 × tasks pairs.
    added_per_task: int = 1024
    #: > 0: keep only this many candidates per task and skip pricing (no proof).
    candidate_limit: int = 0
    #: Say whether the optimum is unique (the manifest's ``optimum_unique``). Callers
    #: that only need the plan (``explain``) skip it, and the scipy import it needs.
    check_unique: bool = True

    @classmethod
    def from_config(
        cls,
        settings: SolverSettings,
        seed: int,
        time_limit_s: float | None = None,
        candidate_limit: int = 0,
    ) -> SolveOptions:
        """The options of a run: ``[solver]`` of config.toml, the seed, the time limit."""
        return cls(
            seed=seed,
            time_limit_s=time_limit_s if time_limit_s is not None else settings.time_limit_s,
            workers=settings.workers,
            price_above_pairs=settings.price_above_pairs,
            candidate_limit=candidate_limit,
        )


@dataclass(frozen=True)
class CoreResult:
    """Chosen pairs (task and agent indices, sorted by task) and how sure we are."""

    task: np.ndarray
    agent: np.ndarray
    status: str  # optimal, feasible or infeasible
    objective: int
    bound: int
    flow_objective: int
    #: What proves the status: the flow, the flow priced over every pair, or CP-SAT.
    proof: str
    #: True when no other plan has the same cost; False when the choice among equal
    #: optima was made by the fixed algorithm and input order (still deterministic).
    unique: bool | None
    stats: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: The flow's node potentials (distances in its residual graph; empty under CP-SAT
    #: side constraints): a later stage of a lexicographic solve keeps exactly the
    #: plans optimal for this one by keeping every arc's reduced cost at 0 where it can.
    task_potential: np.ndarray = field(default_factory=lambda: EMPTY)
    agent_potential: np.ndarray = field(default_factory=lambda: EMPTY)
    sink_potential: int = 0


@dataclass(frozen=True)
class _Priced:
    """A priced solve's candidate keys, with the tie floor below which every allowed pair
    is among them (see ``price``): what is needed to price the pairs never built."""

    space: ImplicitPairs
    keys: np.ndarray
    tie_floor: int

    def below(self, flow: FlowResult, threshold: int) -> np.ndarray:
        """Keys of the unbuilt allowed pairs whose reduced cost is below ``threshold``."""
        return price(
            self.space,
            flow.task_potential,
            flow.agent_potential,
            self.keys,
            threshold,
            tie_floor=self.tie_floor,
        )


@dataclass
class _Candidates:
    task: np.ndarray
    agent: np.ndarray
    cost: np.ndarray

    @classmethod
    def from_keys(cls, space: ImplicitPairs, keys: np.ndarray) -> _Candidates:
        task, agent = np.divmod(keys, max(space.n_agents, 1))
        return cls(task, agent, space.cost(task, agent))


def solve(problem: AssignmentProblem, options: SolveOptions | None = None) -> CoreResult:
    """Solve the plan: flow (with pricing when the pair space is large), then CP-SAT only
    if there are side constraints."""
    options = options or SolveOptions()
    started = time.perf_counter()
    space, capacities = problem.pairs, problem.capacities
    stats: dict[str, int] = {"allowed_pairs": space.count}
    timings: dict[str, float] = {}
    notes: list[str] = []
    #: A priced solve's candidates; None when the flow holds every allowed pair (or,
    #: under a candidate limit, every pair it may use), so none is left to price.
    priced: _Priced | None = None
    proof = "min-cost flow over every allowed pair"
    if isinstance(space, ExplicitPairs):
        candidates = _Candidates(space.task, space.agent, space.cost)
        flow = solve_flow(capacities, space.task, space.agent, space.cost, True)
    elif options.candidate_limit:
        keys = np.union1d(space.initial(options.candidate_limit), _side_keys(problem))
        candidates = _Candidates.from_keys(space, keys)
        flow = solve_flow(capacities, candidates.task, candidates.agent, candidates.cost, True)
        proof = f"none: candidates limited to {options.candidate_limit} per task"
        notes.append(
            f"candidates limited to {options.candidate_limit} per case by "
            "[solver] max_candidates_per_case: optimal over those, not proven for the month"
        )
    elif space.count <= options.price_above_pairs:
        explicit = space.materialise()
        candidates = _Candidates(explicit.task, explicit.agent, explicit.cost)
        flow = solve_flow(capacities, explicit.task, explicit.agent, explicit.cost, True)
    else:
        priced, candidates, flow = _price_in(problem, options, stats, timings)
        proof = f"min-cost flow priced over all {space.count} allowed pairs"
    stats["candidate_pairs"] = len(candidates.task)
    timings["flow_s"] = time.perf_counter() - started
    timings.setdefault("potentials_s", flow.potential_s)
    stats.setdefault("potential_rounds_max", flow.potential_rounds)

    chosen = flow.pair_flow > 0
    objective = bound = flow.objective
    status = "feasible" if options.candidate_limit else "optimal"
    unique: bool | None = None
    if problem.side_constraints:
        outcome = _solve_side_constrained(
            problem, options, candidates, priced, flow, stats, timings
        )
        candidates, chosen, status, objective, bound, cp_notes = outcome
        notes.extend(cp_notes)
        proof = "CP-SAT, bounded below by the min-cost flow"
    elif options.check_unique and not options.candidate_limit:
        at = time.perf_counter()
        unique = _unique_optimum(flow, priced)
        if not unique:
            notes.append(NOT_UNIQUE_NOTE)
        timings["uniqueness_s"] = time.perf_counter() - at
    order = np.lexsort((candidates.agent[chosen], candidates.task[chosen]))
    timings["solve_s"] = time.perf_counter() - started
    return CoreResult(
        task=candidates.task[chosen][order],
        agent=candidates.agent[chosen][order],
        status=status,
        objective=objective,
        bound=bound,
        flow_objective=flow.objective,
        proof=proof,
        unique=unique,
        stats=stats,
        timings=timings,
        notes=tuple(notes),
        # Under side constraints the flow is only a bound: its potentials prove nothing.
        task_potential=EMPTY if problem.side_constraints else flow.task_potential,
        agent_potential=EMPTY if problem.side_constraints else flow.agent_potential,
        sink_potential=0 if problem.side_constraints else flow.sink_potential,
    )


def _side_keys(problem: AssignmentProblem) -> np.ndarray:
    parts = [
        pair_keys(c.task, c.agent, problem.capacities.n_agents) for c in problem.side_constraints
    ]
    return np.unique(np.concatenate(parts)) if parts else EMPTY


def _price_in(
    problem: AssignmentProblem,
    options: SolveOptions,
    stats: dict[str, int],
    timings: dict[str, float],
) -> tuple[_Priced, _Candidates, FlowResult]:
    """Column generation: flow on the candidates, price the rest with its potentials, add
    the pairs of negative reduced cost, until none is left. Starts from every pair of
    small tie-break (and the must-include ones); returns the final keys with that floor."""
    space = problem.pairs
    assert isinstance(space, ImplicitPairs)
    at = time.perf_counter()
    tie_floor = space.tie_floor(options.small_ties_per_task)
    keys = np.unique(
        np.concatenate([space.ties_below(tie_floor), space.must_include(), _side_keys(problem)])
    )
    timings["small_ties_s"] = time.perf_counter() - at
    stats["initial_pairs"] = len(keys)
    stats["tie_floor"] = tie_floor
    stats["pricing_rounds"] = 0
    stats["priced_in_pairs"] = 0
    pricing_s = flow_s = potentials_s = 0.0
    potential_rounds = 0
    while True:
        candidates = _Candidates.from_keys(space, keys)
        at = time.perf_counter()
        flow = solve_flow(
            problem.capacities, candidates.task, candidates.agent, candidates.cost, True
        )
        flow_s += time.perf_counter() - at
        potentials_s += flow.potential_s
        potential_rounds = max(potential_rounds, flow.potential_rounds)
        at = time.perf_counter()
        new = price(
            space,
            flow.task_potential,
            flow.agent_potential,
            keys,
            threshold=0,
            per_task=options.added_per_task,
            tie_floor=tie_floor,
        )
        pricing_s += time.perf_counter() - at
        stats["pricing_rounds"] += 1
        if not len(new):
            break
        stats["priced_in_pairs"] += len(new)
        # This round's flow and candidates go before the next are built (peak memory).
        del flow, candidates
        keys = np.union1d(keys, new)
    stats["potential_rounds_max"] = potential_rounds
    timings["pricing_flows_s"] = flow_s
    timings["potentials_s"] = potentials_s
    timings["pricing_s"] = pricing_s
    return _Priced(space, keys, tie_floor), candidates, flow


def _reduced_costs(candidates: _Candidates, flow: FlowResult) -> np.ndarray:
    return (
        candidates.cost
        + flow.task_potential[candidates.task]
        - flow.agent_potential[candidates.agent]
    )


def _unique_optimum(flow: FlowResult, priced: _Priced | None) -> bool:
    """Whether the flow's plan is the only optimal one. Unbuilt pairs of zero reduced
    cost join the residual graph as the arcs they would be — looked for only when the
    built pairs alone do not already show another optimum."""
    if not unique_plan(flow, EMPTY, EMPTY):
        return False
    if priced is None:
        return True
    extra = priced.below(flow, threshold=1)
    extra_task, extra_agent = np.divmod(extra, max(priced.space.n_agents, 1))
    return unique_plan(flow, extra_task, extra_agent)


def _solve_side_constrained(
    problem: AssignmentProblem,
    options: SolveOptions,
    candidates: _Candidates,
    priced: _Priced | None,
    flow: FlowResult,
    stats: dict[str, int],
    timings: dict[str, float],
) -> tuple[_Candidates, np.ndarray, str, int, int, list[str]]:
    """CP-SAT over the candidates: a first plan gives an upper bound, every pair whose
    reduced cost exceeds the gap to the flow's bound is fixed out (no plan using it can
    beat the first), then CP-SAT proves the optimum on what is left."""
    from caseaudit.solver.cpsat import solve_with_side_constraints

    at = time.perf_counter()
    deadline = at + options.time_limit_s
    common = {
        "capacities": problem.capacities,
        "side_constraints": problem.side_constraints,
        "lower_bound": flow.objective,
        "seed": options.seed,
        "workers": options.workers,
    }
    first = solve_with_side_constraints(
        pair_task=candidates.task,
        pair_agent=candidates.agent,
        pair_cost=candidates.cost,
        hint=flow.pair_flow > 0,
        time_limit_s=options.time_limit_s,
        first_solution_only=True,
        **common,  # type: ignore[arg-type]
    )
    notes: list[str] = []
    if first.status not in ("OPTIMAL", "FEASIBLE"):
        timings["cpsat_s"] = time.perf_counter() - at
        status = "infeasible" if first.status == "INFEASIBLE" else "unknown"
        notes.append(f"CP-SAT found no plan that keeps the side constraints ({first.status})")
        none = np.zeros(len(candidates.task), dtype=bool)
        return candidates, none, status, 0, flow.objective, notes
    # Every pair that could appear in a plan cheaper than the first: among the
    # candidates, those of reduced cost within the gap; outside them (an implicit pair
    # space), those that pricing finds within it. If the first plan is proven optimal
    # over the candidates and no outside pair is within the gap, it is the optimum.
    gap = first.objective - flow.objective
    keep = np.ones(len(candidates.task), dtype=bool)
    if len(flow.task_potential):
        keep = _reduced_costs(candidates, flow) <= gap
    extra = priced.below(flow, gap + 1) if priced is not None else EMPTY
    outside = _Candidates.from_keys(priced.space, extra) if priced and len(extra) else None
    kept = _Candidates(
        np.concatenate([candidates.task[keep], outside.task if outside else EMPTY]),
        np.concatenate([candidates.agent[keep], outside.agent if outside else EMPTY]),
        np.concatenate([candidates.cost[keep], outside.cost if outside else EMPTY]),
    )
    hint = np.concatenate([first.pair_value[keep], np.zeros(len(extra), dtype=bool)])
    stats["fixed_out_pairs"] = int((~keep).sum())
    stats["priced_in_for_gap"] = len(extra)
    stats["pairs_left_to_cpsat"] = len(kept.task)
    final = first
    if first.status != "OPTIMAL" or len(extra):
        final = solve_with_side_constraints(
            pair_task=kept.task,
            pair_agent=kept.agent,
            pair_cost=kept.cost,
            hint=hint,
            time_limit_s=max(deadline - time.perf_counter(), 0.1),
            **common,  # type: ignore[arg-type]
        )
        if final.status not in ("OPTIMAL", "FEASIBLE"):
            kept, final = candidates, first
    else:
        kept = candidates
    timings["cpsat_s"] = time.perf_counter() - at
    status = "optimal" if final.status == "OPTIMAL" else "feasible"
    if status == "feasible":
        notes.append("the time limit cut CP-SAT's search: the plan is not proven optimal")
    return kept, final.pair_value, status, final.objective, max(final.bound, flow.objective), notes


def max_cover(problem: AssignmentProblem, candidate_limit: int) -> tuple[np.ndarray, int]:
    """Each task's units met by a maximum flow (no costs) over the pairs :func:`solve`
    would take under ``candidate_limit`` (the cheapest per task, every side pair), and
    how many pairs those are. All met: the plan proves Hall's condition for every task
    at once; otherwise ``solve`` says which to leave."""
    space = problem.pairs
    if isinstance(space, ExplicitPairs):
        task, agent = space.task, space.agent
    else:
        keys = np.union1d(space.initial(candidate_limit), _side_keys(problem))
        task, agent = np.divmod(keys, max(space.n_agents, 1))
    return network_max_cover(problem.capacities, task, agent), len(task)
