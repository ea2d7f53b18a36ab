"""Controlled rounding of the strata's shares, as a small flow solved by the assignment
core (issue 21, contract §6).

Every stratum (a cell of the table rows × columns: the first stratum variable by the
second, or by one column when there is one variable) gets the floor or the ceiling of
its proportional share; the total is exact; each row's and each column's total is the
floor or the ceiling of its share. These are hard. Subtracting the floors leaves a 0/1
choice per cell with a fractional share, and the table's classic network (Cox & Ernst,
1982) states it: row → cell → column → total, with bounds. In the core's terms:

- a row is two tasks: the units its total must take (demand floor(f), each left
  unassigned costing ``hard``) and the one it may take (demand 1, free to leave), where
  f is the sum of its cells' fractional parts;
- a cell is an agent with one slot, priced by the year-to-date objective;
- a column is a group of its cells whose first floor(g) units earn ``-hard`` (a lower
  bound) and whose capacity is ceil(g); the total is the columns' parent group, whose
  every unit (exactly F = size − Σ floors of them) earns ``-hard``.

The unrounded shares are a fractional flow meeting every bound, so an integral one
exists (the network's matrix is totally unimodular), and ``hard`` exceeds what every
cell cost together can save: the optimum meets every bound, which :func:`verify`
re-checks independently of the solver.

**The year to date** (issue 21): each stratum's count this audit year (the ledger's,
``carried``, plus this draw) should stay within one of its share of the year's drawn
cases (``year_share``). Contract §6 settles which gives way: this month's floor/ceiling
of every stratum and margin is hard, the year-to-date share is the objective. What can
be guaranteed, per stratum, is this. Let s be its share this month, f = s − ⌊s⌋, and
d = carried − (year_share − s): how far its carried count is from its share of the
cases drawn before this month. If |d| ≤ 1 (within one before), then one of ⌊s⌋, ⌈s⌉
keeps it within one after: the distance after is d − f with ⌊s⌋ and d + 1 − f with
⌈s⌉; for d ≥ 0, d − f lies in (−1, 1]; for d ≤ 0, d + 1 − f lies in (−1, 1). So the
interval {⌊s⌋, ⌈s⌉} and the interval of counts keeping the year to date within one
always meet, and their intersection (one value or both) is the stratum's year-to-date
bound. (The share of the cases drawn before is taken at this month's proportions, which
move as the caseload does: a stratum whose proportion moved can be beyond one before
the month starts; when the two intervals do not meet, it is *out of reach* this month
and only the squared distance below pulls it back.) Whether the margins allow every
stratum its bound at once is a flow-feasibility question that no per-stratum argument
settles (two strata of a row can both need rounding up while the row's margin takes one
more; with one stratum variable the exact total plays the margin's part), so the flow
decides it, in this order, each tier weighing more than everything below it
(``solver.tier_weights``):

1. this month's floor or ceiling of every stratum, row and column, and the exact total
   (``hard``: never given up, contract §6);
2. every stratum's year-to-date bound: one unit of ``beyond`` for each stratum left
   more than one from its year-to-date share. The optimum is proven (min-cost flow), so
   zero proves the bounds feasible and met, and k > 0 proves that no rounding within
   this month's bounds leaves fewer than k strata beyond one: those are named in the
   proof (and on stdout), as are the strata out of reach;
3. the sum of the squared year-to-date distances (a distance shared out between strata
   costs less than the same distance piled on one), in millionths of a case;
4. equal distances to the larger fractional part (a largest-remainder, earliest-deadline
   rule), then the core's seeded tie-break.

With one stratum variable every simulated year of the tests keeps every stratum within
one all year (hypothesis); with two, the margins can leave a stratum past one (found by
hypothesis), and the tests check month by month that the flow leaves the fewest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from caseaudit.solver import (
    AssignmentProblem,
    Capacities,
    ExplicitPairs,
    SolveOptions,
    solve,
    tier_weights,
)

#: Distances are priced in millionths of a case.
SCALE = 1_000_000
#: Steps of the tie-break between equal distances (by the fractional part).
TIE_STEPS = 16
#: The flow's costs, added up, stay well inside int64.
SAFE_TOTAL = 1 << 60


@dataclass(frozen=True)
class Cell:
    """One stratum: its row and column labels, its share this month, and the year to
    date: cases drawn earlier this audit year and its share of the year's drawn cases."""

    row: str
    column: str
    share: Fraction
    carried: int = 0
    year_share: Fraction = Fraction(0)
    #: The stratum's label, as the proof names it (default: row / column).
    name: str = ""

    @property
    def floor(self) -> int:
        return math.floor(self.share)

    @property
    def label(self) -> str:
        return self.name or f"{self.row} / {self.column}"

    def beyond(self, count: int) -> bool:
        """More than one case from its year-to-date share after drawing ``count``."""
        return abs(self.carried + count - self.year_share) > 1

    def year_to_date_bound(self) -> tuple[int, ...]:
        """The counts within this month's floor/ceiling that keep the year to date
        within one (empty when none does: out of reach this month)."""
        return tuple(n for n in range(self.floor, math.ceil(self.share) + 1) if not self.beyond(n))


@dataclass(frozen=True)
class Rounding:
    counts: tuple[int, ...]
    proof: dict[str, object]


def _distance_cost(cell: Cell, count: int) -> int:
    # Squared: a distance shared out between strata costs less than the same distance
    # piled on one, which keeps every stratum's drift small month after month.
    distance = abs(cell.carried + count - cell.year_share)
    return round(distance * distance * SCALE)


def controlled_rounding(cells: list[Cell], seed: int = 0) -> Rounding:
    """Each cell's count: floor or ceiling of its share, every row and column total the
    floor or ceiling of its share, the total exact (hard, contract §6); then every
    stratum within one of its year-to-date share where those bounds allow, then the
    least squared distance (the order of the module's docstring). The proof says which
    strata are beyond one and why."""
    total_share = sum((c.share for c in cells), Fraction(0))
    if total_share.denominator != 1:
        raise ValueError(f"the shares add up to {total_share}, not a whole number")
    fractional = [i for i, c in enumerate(cells) if c.share != c.floor]
    rows = sorted({cells[i].row for i in fractional})
    columns = sorted({cells[i].column for i in fractional})
    distance = [
        _distance_cost(cells[i], cells[i].floor + 1) - _distance_cost(cells[i], cells[i].floor)
        for i in fractional
    ]
    # Equal distances (frequent: equal shares, equal carried counts) go to the larger
    # fractional part first: its deficit grows faster, so it is the one that would fall
    # more than one behind first (a largest-remainder, earliest-deadline rule; with one
    # stratum variable it keeps every stratum within one all year, which the tests
    # check). The tie-break's total stays below one unit of the distance's scale.
    ties = len(fractional) * TIE_STEPS
    cost = [
        d * ties - math.floor((cells[i].share - cells[i].floor) * (TIE_STEPS - 1))
        for d, i in zip(distance, fractional, strict=True)
    ]
    # Tier 2: rounding a cell up adds (or saves) one stratum beyond one.
    beyond = [
        int(cells[i].beyond(cells[i].floor + 1)) - int(cells[i].beyond(cells[i].floor))
        for i in fractional
    ]
    weight = _weights(cost, beyond, len(cells))
    if weight is None:  # int64: the seeded tie-break instead of the fractional parts
        cost = distance
        weight = _weights(cost, beyond, len(cells))
    if weight is None:  # distances of thousands of cases: priced in whole cases
        cost = [round(Fraction(d, SCALE)) for d in distance]
        weight = _weights(cost, beyond, len(cells))
    if weight is None:
        raise ValueError(f"{len(cells)} strata are too many to round in 64-bit costs")
    hard, beyond_weight = weight
    cost = [c + beyond_weight * b for c, b in zip(cost, beyond, strict=True)]

    def part(i: int) -> Fraction:
        return cells[i].share - cells[i].floor

    row_part = {
        r: sum((part(i) for i in fractional if cells[i].row == r), Fraction(0)) for r in rows
    }
    column_part = {
        c: sum((part(i) for i in fractional if cells[i].column == c), Fraction(0)) for c in columns
    }
    units = int(sum(row_part.values(), Fraction(0)))
    # Tasks: per row, the units it must take, then the one it may take.
    demand, unassigned, task_row = [], [], []
    for r in rows:
        must = math.floor(row_part[r])
        if must:
            demand.append(must)
            unassigned.append(hard)
            task_row.append(r)
        if row_part[r] != must:
            demand.append(1)
            unassigned.append(0)
            task_row.append(r)
    pair_task, pair_agent = [], []
    for task, r in enumerate(task_row):
        for agent, i in enumerate(fractional):
            if cells[i].row == r:
                pair_task.append(task)
                pair_agent.append(agent)
    column_index = {c: k for k, c in enumerate(columns)}
    group_slots = [
        np.array(
            [-hard] * math.floor(column_part[c])
            + [0] * (math.ceil(column_part[c]) - math.floor(column_part[c])),
            dtype=np.int64,
        )
        for c in columns
    ]
    group_slots.append(np.full(units, -hard, dtype=np.int64))
    capacities = Capacities(
        task_demand=np.array(demand, dtype=np.int64),
        unassigned_cost=np.array(unassigned, dtype=np.int64),
        agent_slot_costs=tuple(np.array([c], dtype=np.int64) for c in cost),
        agent_group=np.array([column_index[cells[i].column] for i in fractional], dtype=np.int64),
        group_parent=np.array([len(columns)] * len(columns) + [-1], dtype=np.int64),
        group_slot_costs=tuple(group_slots),
    )
    pairs = ExplicitPairs(
        task=np.array(pair_task, dtype=np.int64),
        agent=np.array(pair_agent, dtype=np.int64),
        cost=np.zeros(len(pair_task), dtype=np.int64),
        n_tasks=len(demand),
        n_agents=len(fractional),
    )
    result = solve(AssignmentProblem(pairs, capacities), SolveOptions(seed=seed))
    up = {fractional[a] for a in result.agent.tolist()}
    counts = tuple(c.floor + (1 if i in up else 0) for i, c in enumerate(cells))
    checks = verify(cells, counts)
    out_of_reach = [c.label for c in cells if not c.year_to_date_bound()]
    relaxed = [
        c.label
        for c, n in zip(cells, counts, strict=True)
        if c.year_to_date_bound() and c.beyond(n)
    ]
    proof: dict[str, object] = {
        "method": "controlled rounding as a min-cost flow in the assignment core",
        "status": result.status,
        "proof": result.proof,
        "optimum_unique": result.unique,
        "objective": result.objective,
        "hard_weight": hard,
        # What the year-to-date distances cost (in millionths of a case) beyond
        # rounding every stratum down.
        "year_to_date_cost": sum(distance[a] for a in result.agent.tolist()),
        "strata": len(cells),
        "fractional_strata": len(fractional),
        "rounded_up": len(up),
        "checks": checks,
        "year_to_date": {
            "rule": "each stratum's count this audit year within one case of its share of "
            "the year's drawn cases, a bound wherever this month's floor/ceiling allows "
            "it; this month's floor/ceiling of every stratum and margin is hard "
            "(contract §6)",
            "order": list(FALLBACK_ORDER),
            "within_one": not out_of_reach and not relaxed,
            "strata_bounded": len(cells) - len(out_of_reach),
            # Beyond one whatever this month draws: its carried count was already too
            # far from its share of the cases drawn before.
            "out_of_reach": out_of_reach,
            # Beyond one because this month's margins allow no rounding keeping every
            # bound: the fewest such strata, proven by the flow's optimum.
            "beyond_one_for_the_margins": relaxed,
        },
    }
    return Rounding(counts, proof)


#: What the rounding keeps first when not everything can be kept (see the module).
FALLBACK_ORDER = (
    "this month's floor or ceiling of every stratum, row and column, and the exact total "
    "(hard, contract §6)",
    "every stratum within one case of its year-to-date share (the fewest strata beyond "
    "one when this month's margins allow no better)",
    "the least sum of squared year-to-date distances",
    "the larger fractional part, then the seeded tie-break",
)


def _weights(cost: list[int], beyond: list[int], strata: int) -> tuple[int, int] | None:
    """The weights of tiers 1 (``hard``) and 2 (a stratum beyond one) over ``cost``
    (tiers 3 and 4), or None when the folded costs could overflow the flow's int64."""
    weights, total = tier_weights(
        [
            ("hard", strata + 2),
            ("beyond", sum(abs(b) for b in beyond)),
            ("distance", sum(abs(c) for c in cost)),
        ]
    )
    if total > SAFE_TOTAL:
        return None
    return weights["hard"], weights["beyond"]


def verify(cells: list[Cell], counts: tuple[int, ...]) -> dict[str, bool]:
    """The hard rules of the rounding, checked on the counts alone (not the solver's
    word): every cell, row and column within floor/ceiling of its share, total exact."""

    def within(count: int, share: Fraction) -> bool:
        return math.floor(share) <= count <= math.ceil(share)

    def margins(key: str) -> bool:
        shares: dict[str, Fraction] = {}
        drawn: dict[str, int] = {}
        for cell, count in zip(cells, counts, strict=True):
            label = getattr(cell, key)
            shares[label] = shares.get(label, Fraction(0)) + cell.share
            drawn[label] = drawn.get(label, 0) + count
        return all(within(drawn[label], shares[label]) for label in shares)

    checks = {
        "every_stratum_within_floor_and_ceiling": all(
            within(n, c.share) for c, n in zip(cells, counts, strict=True)
        ),
        "every_row_margin_within_floor_and_ceiling": margins("row"),
        "every_column_margin_within_floor_and_ceiling": margins("column"),
        "total_exact": sum(counts) == sum((c.share for c in cells), Fraction(0)),
    }
    if not all(checks.values()):
        raise RuntimeError(f"controlled rounding broke a hard rule (a bug): {checks}")
    return checks
