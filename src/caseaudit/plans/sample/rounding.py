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
re-checks independently of the solver. The objective is the year to date: each cell's
count this year (the ledger's plus this draw) should stay within one of its share of the
year's drawn cases; rounding a cell up costs the change in its distance from that share,
and a distance above one costs ``OVER`` more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from caseaudit.solver import AssignmentProblem, Capacities, ExplicitPairs, SolveOptions, solve

#: Distances are priced in millionths of a case.
SCALE = 1_000_000
#: A year-to-date distance above one case costs this much more (the carried rule).
OVER = 1_000 * SCALE
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

    @property
    def floor(self) -> int:
        return math.floor(self.share)


@dataclass(frozen=True)
class Rounding:
    counts: tuple[int, ...]
    proof: dict[str, object]


def _distance_cost(cell: Cell, count: int) -> int:
    # Squared: a distance shared out between strata costs less than the same distance
    # piled on one, which keeps every stratum's drift small month after month.
    distance = abs(cell.carried + count - cell.year_share)
    return round(distance * distance * SCALE) + (OVER if distance > 1 else 0)


def controlled_rounding(cells: list[Cell], seed: int = 0) -> Rounding:
    """Each cell's count: floor or ceiling of its share, every row and column total the
    floor or ceiling of its share, the total exact; the year to date the objective."""
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
    hard = sum(abs(c) for c in cost) + 1
    if hard * (len(cells) + 2) > SAFE_TOTAL:  # int64: the seeded tie-break instead
        cost, hard = distance, sum(abs(c) for c in distance) + 1

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
    }
    return Rounding(counts, proof)


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
