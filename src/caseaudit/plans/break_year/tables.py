"""The tables of a break plan and their reasons, built after the solve (issue 9 §4).

Every row says why in policy words, and no reason contradicts the plan it describes: an
unmet wish names what holds the month (better-ranked or fairer claims, kept requests,
breaks with nowhere else to go) or the auditor's own limits. A year the caps cannot
hold gets one message naming the months whose caps are full and the shortfall.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from caseaudit.model.errors import plural
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.plans.break_year.problem import BreakYear

BREAK_PLAN_COLUMNS = OUTPUT_TABLES["break_plan"].column_names
UNMET_COLUMNS = OUTPUT_TABLES["unmet_preferences"].column_names
REQUEST_COLUMNS = OUTPUT_TABLES["request_decisions"].column_names
EMITTED_COLUMNS = OUTPUT_TABLES["breaks"].column_names
#: Where a break of the plan comes from.
SOURCES = ("taken", "requested", "wished", "assigned")


def _records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as tuples of Python objects (faster than ``itertuples`` on Arrow strings)."""
    return list(zip(*(frame[c].to_numpy(dtype=object) for c in columns), strict=True))


def _frame(rows: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """Rows as Python values (ints stay ints beside nulls: no float columns)."""
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})


def full_plan(problem: BreakYear, planned: pd.DataFrame) -> pd.DataFrame:
    """Every break of the year: taken (past months), then the planned ones with their
    source — requested (a kept request), wished or assigned — and the wish's rank."""
    taken = problem.facts.taken.assign(source="taken")
    requests = problem.requests
    kept = planned.merge(
        requests.loc[requests["status"] == "open", ["auditor_id", "month"]],
        on=["auditor_id", "month"],
    ).assign(source="requested")
    wishes = problem.wishes[["auditor_id", "month", "rank"]]
    rest = planned.merge(kept[["auditor_id", "month"]], how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"][["auditor_id", "month"]]
    rest = rest.merge(wishes, how="left", on=["auditor_id", "month"])
    rest["source"] = rest["rank"].map(lambda r: "assigned" if pd.isna(r) else "wished")
    frame = pd.concat([taken, kept, rest[["auditor_id", "month", "source"]]], ignore_index=True)
    frame = frame.merge(wishes, how="left", on=["auditor_id", "month"])
    frame["rank"] = pd.Series(
        [None if pd.isna(r) else int(r) for r in frame["rank"]], dtype=object, index=frame.index
    )
    service = {a: s for a, (s, _, _) in problem.auditor_facts.items()}
    frame["service"] = frame["auditor_id"].map(service)
    return frame.sort_values(["auditor_id", "month"]).reset_index(drop=True)


def _break_reason(problem: BreakYear, row: tuple, requested_on: dict) -> str:
    auditor_id, month, source, rank = row
    if source == "taken":
        return f"taken: {auditor_id} has no counted audit in {month} (history)"
    if source == "requested":
        return f"requested on {requested_on[(auditor_id, month)].isoformat()} and kept (§2)"
    if source == "wished":
        return f"wished, rank {rank}"
    _, eligible, _ = problem.auditor_facts[auditor_id]
    needed = max(eligible - problem.config.policy.max_audits_per_year, 0)
    return (
        f"assigned: {auditor_id} needs {plural(needed, 'break')} in the year (§2); unwished "
        "breaks go to the months with the fewest breaks (§3)"
    )


def break_plan_table(problem: BreakYear, plan: pd.DataFrame) -> pd.DataFrame:
    """``break_plan``: every break of the year, with its source and why."""
    requested_on = dict(
        zip(
            zip(problem.requests["auditor_id"], problem.requests["month"], strict=True),
            problem.requests["requested_on"],
            strict=True,
        )
    )
    rows = [
        {
            "auditor_id": auditor_id,
            "month": month,
            "preference_rank": rank,
            "source": source,
            "service": service,
            "reason": _break_reason(problem, (auditor_id, month, source, rank), requested_on),
        }
        for auditor_id, month, source, rank, service in _records(
            plan, ["auditor_id", "month", "source", "rank", "service"]
        )
    ]
    return _frame(rows, BREAK_PLAN_COLUMNS)


def service_columns(problem: BreakYear) -> dict[str, str]:
    """The per-service columns of ``break_plan_months``: service → column name, one per
    service with an auditor, sorted as text by code point. A service named like a
    declared column (``month``, ``past`` …) gets `` (service)`` after its name."""
    declared = set(OUTPUT_TABLES["break_plan_months"].column_names)
    services = sorted({s for s, _, _ in problem.auditor_facts.values()})
    return {s: f"{s} (service)" if s in declared else s for s in services}


def months_table(problem: BreakYear, plan: pd.DataFrame) -> pd.DataFrame:
    """``break_plan_months``: per month, eligible auditors, breaks, the cap, the breaks
    of each service, and whether history fixed the month."""
    months = list(problem.months["month"])
    total = Counter(plan["month"].to_numpy(dtype=object))
    per_service = Counter(_records(plan, ["month", "service"]))
    columns: dict[str, list[object]] = {
        "month": months,
        "eligible": [int(n) for n in problem.months["eligible"]],
        "breaks": [total[m] for m in months],
        "cap": [int(n) for n in problem.months["cap"]],
    }
    for service, column in service_columns(problem).items():
        columns[column] = [per_service[(m, service)] for m in months]
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in columns.items()})
    frame["past"] = problem.months["past"].to_numpy(dtype=bool)
    return frame


# ---------------------------------------------------------------- unmet wishes, requests


class _Holders:
    """Who holds each month and each (month, service) in the plan, for the reasons."""

    def __init__(self, problem: BreakYear, plan: pd.DataFrame) -> None:
        future = plan[plan["source"] != "taken"]
        rows = _records(future, ["auditor_id", "month", "source", "rank", "service"])
        self.month_load = Counter(r[1] for r in rows)
        self.cell_load = Counter((r[1], r[4]) for r in rows)
        self.month_cap = dict(_records(problem.months, ["month", "cap"]))
        self.cell_cap = {
            (m, s): c for m, s, c in _records(problem.services, ["month", "service", "cap"])
        }
        self.by_month: dict[str, list[tuple]] = {}
        self.by_auditor: dict[str, list[tuple]] = {}
        for row in rows:
            self.by_month.setdefault(row[1], []).append(row)
            self.by_auditor.setdefault(row[0], []).append(row)
        wishes = problem.wishes
        self.had_break = dict(
            zip(
                zip(wishes["auditor_id"], wishes["month"], strict=True),
                wishes["had_break_last_year"],
                strict=True,
            )
        )
        requests = problem.requests
        self.position = dict(
            zip(
                zip(requests["auditor_id"], requests["month"], strict=True),
                requests["position"],
                strict=True,
            )
        )

    def full(self, month: str, service: str) -> tuple[str, list[tuple]] | None:
        """What is full for an auditor of ``service`` in ``month`` — the service's cap
        (it binds whatever the rest of the month holds), else the month's — and who holds
        it; None when there is room."""
        rows = self.by_month.get(month, [])
        cell = (month, service)
        load, cap = self.cell_load.get(cell, 0), self.cell_cap.get(cell, 0)
        if load >= cap:
            mine = [r for r in rows if r[4] == service]
            return f"{service}'s cap in {month} is full: {load} of {cap}", mine
        load, cap = self.month_load.get(month, 0), self.month_cap.get(month, 0)
        if load >= cap:
            return f"{month} is full: {load} of {cap}", rows
        return None


def _counted(parts: Iterable[tuple[int, str, str]]) -> str:
    return ", ".join(plural(n, one, many) for n, one, many in parts if n)


def _wish_breakdown(holders: _Holders, rows: list[tuple], rank: int, had_break: bool) -> str:
    requested = better = fairer = equal = other = 0
    for auditor_id, month, source, their_rank, _ in rows:
        if source == "requested":
            requested += 1
        elif source == "wished" and their_rank < rank:
            better += 1
        elif source == "wished" and their_rank == rank:
            if had_break and not holders.had_break.get((auditor_id, month), False):
                fairer += 1
            else:
                equal += 1
        else:
            other += 1
    return _counted(
        [
            (requested, "kept request", "kept requests"),
            (better, "better-ranked wish", "better-ranked wishes"),
            (
                fairer,
                "fairer claim (no break there last year)",
                "fairer claims (no break there last year)",
            ),
            (
                equal,
                "equal claim (drawn by lot where all else is equal)",
                "equal claims (drawn by lot where all else is equal)",
            ),
            (other, "break with nowhere else to go", "breaks with nowhere else to go"),
        ]
    )


def _unmet_wish_reason(problem: BreakYear, holders: _Holders, wish: tuple) -> str:
    auditor_id, month, rank, had_break, status, detail = wish
    if status == "past":
        blockers = [
            d for r, d in problem.blocking_rules(auditor_id, month) if r != "past_months_fixed"
        ]
        return blockers[0] if blockers else f"{month} is past: {auditor_id} audited then (history)"
    if status != "open":
        return str(detail)
    mine = holders.by_auditor.get(auditor_id, [])
    service, _, _ = problem.auditor_facts[auditor_id]
    placed_all = len(mine) >= int(problem.demand.get(auditor_id, 0))
    if placed_all and all(
        source == "requested" or (source == "wished" and r <= rank) for _, _, source, r, _ in mine
    ):
        went = ", ".join(
            f"{m} ({'kept request' if source == 'requested' else f'wish rank {r}'})"
            for _, m, source, r, _ in mine
        )
        breaks = plural(len(mine), "break")
        return f"{auditor_id}'s {breaks} went to claims ranked as well or better: {went}"
    full = holders.full(month, service)
    if full is None:
        return "granting it would leave another auditor without a month for a needed break"
    what, rows = full
    return f"{what} ({_wish_breakdown(holders, rows, rank, had_break)})"


def unmet_preferences_table(
    problem: BreakYear, plan: pd.DataFrame, holders: _Holders | None = None
) -> pd.DataFrame:
    """``unmet_preferences``: every wish of the year the plan does not meet, and why."""
    holders = holders or _Holders(problem, plan)
    met = set(zip(plan["auditor_id"], plan["month"], strict=True))
    rows = [
        {
            "auditor_id": wish[0],
            "month": wish[1],
            "rank": int(wish[2]),
            "reason": _unmet_wish_reason(problem, holders, wish),
        }
        for wish in _records(
            problem.wishes,
            ["auditor_id", "month", "rank", "had_break_last_year", "status", "detail"],
        )
        if (wish[0], wish[1]) not in met
    ]
    return _frame(rows, UNMET_COLUMNS)


def _unkept_request_reason(problem: BreakYear, holders: _Holders, request: tuple) -> str:
    auditor_id, month, _, _, position, status, detail = request
    if status != "open":
        return f"not kept: {detail}"
    mine = holders.by_auditor.get(auditor_id, [])
    service, _, _ = problem.auditor_facts[auditor_id]
    if len(mine) >= int(problem.demand.get(auditor_id, 0)) and all(
        source == "requested" and holders.position[(a, m)] < position for a, m, source, _, _ in mine
    ):
        went = ", ".join(m for _, m, _, _, _ in mine)
        breaks = plural(len(mine), "break")
        return f"not kept: {auditor_id}'s {breaks} went to earlier requests ({went})"
    full = holders.full(month, service)
    if full is None:
        return "not kept: keeping it would leave another auditor without a month for a needed break"
    what, rows = full
    earlier = sum(
        1 for a, m, s, _, _ in rows if s == "requested" and holders.position[(a, m)] < position
    )
    later = sum(
        1 for a, m, s, _, _ in rows if s == "requested" and holders.position[(a, m)] > position
    )
    parts = _counted(
        [
            (earlier, "earlier request", "earlier requests"),
            (
                later,
                "later request that could go nowhere else",
                "later requests that could go nowhere else",
            ),
            (
                len(rows) - earlier - later,
                "break with nowhere else to go",
                "breaks with nowhere else to go",
            ),
        ]
    )
    return f"not kept: {what} ({parts})"


def request_decisions_table(
    problem: BreakYear, plan: pd.DataFrame, holders: _Holders | None = None
) -> pd.DataFrame:
    """``request_decisions``: every break request of the year, kept or not, and why."""
    holders = holders or _Holders(problem, plan)
    planned = set(zip(plan["auditor_id"], plan["month"], strict=True))
    taken = set(zip(problem.facts.taken["auditor_id"], problem.facts.taken["month"], strict=True))
    rows = []
    for request in _records(
        problem.requests,
        ["auditor_id", "month", "requested_on", "on_time", "position", "status", "detail"],
    ):
        auditor_id, month, requested_on = request[:3]
        if request[5] == "past":
            decision = "past"
            took = (auditor_id, month) in taken
            reason = f"{month} is past: history shows {'a break' if took else 'an audit'}"
        elif (auditor_id, month) in planned:
            decision, reason = "kept", "kept: it fits every hard rule (§2–3)"
        else:
            decision, reason = "not_kept", _unkept_request_reason(problem, holders, request)
        rows.append(
            {
                "auditor_id": auditor_id,
                "month": month,
                "requested_on": requested_on,
                "decision": decision,
                "reason": reason,
            }
        )
    return _frame(rows, REQUEST_COLUMNS)


def emitted_requests(problem: BreakYear, plan: pd.DataFrame) -> pd.DataFrame:
    """``breaks`` for ``allocate``: one on-time request per planned break (past months
    are history's). A kept request keeps its date when it was on time; every other row is
    dated the day before the first planned month, so first-come order never matters:
    each month's requests are within its cap."""
    requested_on = {
        (a, m): (day, on_time)
        for a, m, day, on_time in _records(
            problem.requests, ["auditor_id", "month", "requested_on", "on_time"]
        )
    }
    plan_date = problem.plan_date
    rows = []
    for auditor_id, month in _records(plan[plan["source"] != "taken"], ["auditor_id", "month"]):
        day, on_time = requested_on.get((auditor_id, month), (None, False))
        rows.append(
            {
                "auditor_id": auditor_id,
                "month": month,
                "requested_on": day if on_time else plan_date,
            }
        )
    return _frame(rows, EMITTED_COLUMNS)


def merged_breaks(problem: BreakYear, breaks: pd.DataFrame, emitted: pd.DataFrame) -> pd.DataFrame:
    """``breaks_merged`` (issue 24): the data's ``breaks`` with the plan's months taken
    from the emitted requests, ready to replace ``breaks.csv`` (the user does that; the
    data's file is never written). Requests for any other month (other years, the past
    months of this one) are kept as they are; in a planned month, only the plan's
    breaks, so that ``allocate`` grants exactly the plan there (a request the plan did
    not keep is in ``request_decisions``, not here)."""
    planned = set(problem.planned_months)
    kept = breaks.loc[~breaks["month"].isin(planned), EMITTED_COLUMNS]
    frame = pd.concat([kept, emitted[EMITTED_COLUMNS]], ignore_index=True)
    return frame.sort_values(["month", "auditor_id"]).reset_index(drop=True)


# ---------------------------------------------------------------- a year that cannot be planned


def shortfall_message(problem: BreakYear, plan: pd.DataFrame, unplaced: pd.Series) -> str | None:
    """Why some needed breaks have no month, from the counts: auditors eligible in too
    few of the months left, then the months (or services in a month) whose caps are full
    for every auditor still needing a break — the cut that a larger cap must widen."""
    if unplaced.empty:
        return None
    pairs = problem.pairs
    allowed: dict[str, list[str]] = {}
    for auditor_id, month in _records(pairs, ["auditor_id", "month"]):
        allowed.setdefault(auditor_id, []).append(month)
    future = plan[plan["source"] != "taken"]
    holders = _Holders(problem, plan)
    used = {a: {r[1] for r in rows} for a, rows in holders.by_auditor.items()}
    service_of = {a: s for a, (s, _, _) in problem.auditor_facts.items()}
    few_months = []
    for auditor_id in unplaced.index:
        need = int(problem.demand[auditor_id])
        if len(allowed.get(auditor_id, [])) < need:
            few_months.append((auditor_id, need, len(allowed.get(auditor_id, []))))
    # Residual reachability from the auditors still short (max-flow / min-cut).
    cell_members: dict[tuple[str, str], list[str]] = {}
    for auditor_id, month, service in _records(future, ["auditor_id", "month", "service"]):
        cell_members.setdefault((month, service), []).append(auditor_id)
    reached_auditors = set(unplaced.index)
    reached_cells: set[tuple[str, str]] = set()
    reached_months: set[str] = set()
    queue: deque[tuple[str, object]] = deque(("auditor", a) for a in sorted(unplaced.index))
    while queue:
        kind, node = queue.popleft()
        if kind == "auditor":
            assert isinstance(node, str)
            for month in allowed.get(node, []):
                cell = (month, service_of[node])
                if month not in used.get(node, set()) and cell not in reached_cells:
                    reached_cells.add(cell)
                    queue.append(("cell", cell))
        elif kind == "cell":
            assert isinstance(node, tuple)
            month, service = node
            room = holders.cell_load.get(node, 0) < holders.cell_cap.get(node, 0)
            if room and month not in reached_months:
                reached_months.add(month)
                queue.append(("month", month))
            for member in cell_members.get(node, []):
                if member not in reached_auditors:
                    reached_auditors.add(member)
                    queue.append(("auditor", member))
        else:
            assert isinstance(node, str)
            for cell in holders.cell_load:
                if cell[0] == node and cell not in reached_cells:
                    reached_cells.add(cell)
                    queue.append(("cell", cell))
    full_months = sorted(m for m in reached_months)
    full_cells = sorted(c for c in reached_cells if c[0] not in reached_months)
    total = int(unplaced.sum())
    inherent = sum(need - n for _, need, n in few_months)
    verb = "has" if total == 1 else "have"
    lines = [f"the year cannot be planned: {plural(total, 'needed break')} {verb} no month"]
    for auditor_id, need, n in few_months:
        lines.append(
            f"{auditor_id} needs {plural(need, 'break')} but can take one in only "
            f"{plural(n, 'planned month')}"
        )
    if total > inherent:
        caps = [
            f"{m} ({holders.month_load.get(m, 0)} of {holders.month_cap[m]})" for m in full_months
        ]
        caps += [
            f"{s} in {m} ({holders.cell_load.get((m, s), 0)} of {holders.cell_cap[(m, s)]})"
            for m, s in full_cells
        ]
        short = sorted(set(unplaced.index) - {a for a, _, _ in few_months})
        named = ", ".join(short[:5]) + (f" and {len(short) - 5} more" if len(short) > 5 else "")
        lines.append(
            f"the caps fall short by {plural(total - inherent, 'break')}: every month open to "
            f"the auditors still short ({named}) is at its cap: {', '.join(caps)}; raise "
            "[policy] max_break_fraction or [breaks] max_service_break_fraction, or plan "
            "fewer part-year auditors"
        )
    return "; ".join(lines)


@dataclass(frozen=True)
class PlanTables:
    """Everything a plan writes, built once from the solved plan."""

    tables: dict[str, pd.DataFrame]
    #: ``breaks`` for ``allocate`` (``--emit-requests``).
    emitted: pd.DataFrame
    #: Why some needed breaks have no month, or None.
    shortfall: str | None


def plan_tables(problem: BreakYear, planned: pd.DataFrame, unplaced: pd.Series) -> PlanTables:
    """The output tables of a solved year (``planned``: the planned breaks as
    (auditor_id, month); ``unplaced``: needed breaks left without a month, per auditor)."""
    plan = full_plan(problem, planned)
    holders = _Holders(problem, plan)
    return PlanTables(
        tables={
            "break_plan": break_plan_table(problem, plan),
            "break_plan_months": months_table(problem, plan),
            "unmet_preferences": unmet_preferences_table(problem, plan, holders),
            "request_decisions": request_decisions_table(problem, plan, holders),
        },
        emitted=emitted_requests(problem, plan),
        shortfall=shortfall_message(problem, plan, unplaced),
    )
