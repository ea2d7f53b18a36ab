"""The output tables, each declared once: columns in order, their types, the sort key.

The contract's columns come first, in the contract's order, then any extras (contract
§1). The writer's CSV formats and Parquet schema, its refusal of a frame that does not
match, the row order and the README's table of outputs all come from here, never from
guessing by column name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

#: ``month`` is ``YYYY-MM`` text in CSV and Parquet alike (contract §1).
OutputKind = Literal["text", "date", "bool", "int", "month"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("text", "date", "bool", "int", "month")


@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: OutputKind = "text"
    #: An extra column after the contract's (contract §1 welcomes them).
    extra: bool = False


@dataclass(frozen=True)
class OutputTable:
    name: str
    columns: tuple[OutputColumn, ...]
    #: What the table says, for the README's table of outputs.
    summary: str
    #: Only ``reallocate`` writes it.
    reallocate_only: bool = False
    #: The commands that write it: ``allocate`` and ``reallocate`` unless said otherwise.
    commands: tuple[str, ...] = ("allocate", "reallocate")
    #: A family of columns named only at run time (``break_plan_months``: one per
    #: service): each of this column's kind, after the contract's columns and before the
    #: extras; its ``name`` says, for the README, what the columns are named after.
    #: :meth:`as_written` names them from the frame a run writes.
    family: OutputColumn | None = None
    #: caseaudit reads the table back as input (``plan-breaks --emit-requests`` writes
    #: ``breaks`` for ``allocate``): its CSV keeps ISO dates whatever
    #: ``[output] date_format`` says.
    read_back: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is declared twice")
        extras = [c.extra for c in self.columns]
        if extras != sorted(extras):
            raise ValueError(f"{self.name}: extra columns must follow the contract's")
        unknown = {c.kind for c in self.columns} - set(OUTPUT_KINDS)
        if unknown:
            raise ValueError(f"{self.name}: unknown column kind(s) {sorted(unknown)}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def kinds(self) -> dict[str, OutputKind]:
        return {c.name: c.kind for c in self.columns}

    @property
    def sort_key(self) -> list[str]:
        """Contract §1: by the first column, then the next — every column in order, each
        compared as text by code point."""
        return self.column_names

    def as_written(self, columns: Sequence[str]) -> OutputTable:
        """The declaration a frame with ``columns`` is written and checked by: the
        family's columns are the ones not declared, in the frame's order, placed after
        the contract's columns. A table without a family is its own declaration."""
        if self.family is None:
            return self
        declared = set(self.column_names)
        named = [OutputColumn(c, self.family.kind) for c in columns if c not in declared]
        contract = tuple(c for c in self.columns if not c.extra)
        extras = tuple(c for c in self.columns if c.extra)
        return dataclasses.replace(self, columns=(*contract, *named, *extras), family=None)


def _columns(*specs: str) -> tuple[OutputColumn, ...]:
    """``"name"`` (text), ``"name:kind"``, and a leading ``+`` for an extra column."""
    columns = []
    for spec in specs:
        extra = spec.startswith("+")
        name, _, kind = spec.lstrip("+").partition(":")
        columns.append(OutputColumn(name, cast(OutputKind, kind or "text"), extra))
    return tuple(columns)


OUTPUT_TABLES: dict[str, OutputTable] = {
    table.name: table
    for table in (
        OutputTable(
            "allocations",
            _columns(
                "audit_id",
                "month:month",
                "case_id",
                "subject_id",
                "case_type",
                "service",
                "team",
                "auditor_id",
                "auditor_name",
                "auditor_email",
                "allocated_worker_id",
                "team_manager_id",
                "iro_id",
                "group_manager_id",
                "distributed_on:date",
                "due_on:date",
                "is_reaudit:bool",
                "reaudit_of",
                "reason",
            ),
            "one row per allocated case: auditor, people to contact, dates, re-audit, **reason**",
        ),
        OutputTable(
            "unallocated",
            _columns("case_id", "month:month", "subject_id", "reason"),
            "cases left without an auditor and the rules that blocked them, counted",
        ),
        OutputTable(
            "break_decisions",
            _columns(
                "auditor_id",
                "month:month",
                "requested_on:date",
                "on_time:bool",
                "decision",
                "+reason",
            ),
            "every break request: on time or late, granted / refused_cap / not_required, and why",
        ),
        OutputTable(
            "notifications",
            _columns("recipient_id", "kind", "month:month", "detail"),
            "`break_cap_reached` for every Head of Service when the cap is reached; "
            "(`moderate`) `moderator_assigned` for each moderator, `challenge_unmoderated` "
            "for P&Q's strategic lead",
            commands=("allocate", "reallocate", "moderate"),
        ),
        OutputTable(
            "reaudit_schedule",
            _columns(
                "audit_id",
                "case_id",
                "subject_id",
                "confirmed_on:date",
                "reflection_meeting_by:date",
                "review_meeting_on:date",
                "reaudit_deadline:date",
                "reaudit_month:month",
                "escalation",
                "head_of_service_id",
            ),
            "inadequate audits awaiting re-audit: reflection and review meetings, deadline, "
            "month, escalation",
        ),
        OutputTable(
            "exemption_decisions",
            _columns(
                "case_id",
                "month:month",
                "auditor_id",
                "requested_on:date",
                "decision",
                "decided_by",
                "honoured:bool",
                "reason",
            ),
            "every exemption of the month, honoured or not, and what that means for this "
            "plan: who has the case",
        ),
        OutputTable(
            "changes",
            _columns(
                "audit_id",
                "previous_audit_id",
                "case_id",
                "previous_auditor_id",
                "new_auditor_id",
                "reason",
            ),
            "what moved, was added or dropped since the previous plan, and why",
            reallocate_only=True,
            commands=("reallocate",),
        ),
        OutputTable(
            "moderation",
            _columns(
                "audit_id",
                "case_id",
                "subject_id",
                "auditor_id",
                "moderator_id",
                "moderator_name",
                "moderator_service",
                "assigned_on:date",
                "reason",
            ),
            "one row per challenged audit given a moderator: who, from which service, and "
            "why they are independent",
            commands=("moderate",),
        ),
        OutputTable(
            "unmoderated",
            _columns("audit_id", "reason"),
            "challenged audits left without a moderator and what blocked each candidate, counted",
            commands=("moderate",),
        ),
    )
}
#: ``caseaudit plan-breaks`` (issue 9): the year's break plan.
BREAK_PLAN_TABLES: tuple[OutputTable, ...] = (
    OutputTable(
        "break_plan",
        _columns(
            "auditor_id",
            "month:month",
            "preference_rank:int",
            "source",
            "+service",
            "+reason",
        ),
        "every break of the audit year: taken (history), requested (a kept request), "
        "wished or assigned, with the wish's rank and why",
        commands=("plan-breaks",),
    ),
    OutputTable(
        "break_plan_months",
        _columns("month:month", "eligible:int", "breaks:int", "cap:int", "+past:bool"),
        "per month: eligible auditors, breaks, the monthly cap, the breaks of each service; "
        "`past` when history fixed the month",
        commands=("plan-breaks",),
        family=OutputColumn("<service>", "int"),
    ),
    OutputTable(
        "unmet_preferences",
        _columns("auditor_id", "month:month", "rank:int", "reason"),
        "every wish of the year the plan does not meet, and what holds the month",
        commands=("plan-breaks",),
    ),
    OutputTable(
        "request_decisions",
        _columns("auditor_id", "month:month", "requested_on:date", "decision", "reason"),
        "every break request of the year: kept, not_kept or past, and why",
        commands=("plan-breaks",),
    ),
    OutputTable(
        "breaks",
        _columns("auditor_id", "month:month", "requested_on:date"),
        "with `--emit-requests`: one on-time request per planned break, for `allocate` "
        "to read as its `breaks` table",
        commands=("plan-breaks",),
        read_back=True,
    ),
)
OUTPUT_TABLES.update({table.name: table for table in BREAK_PLAN_TABLES})
#: ``break_plan.png``, written beside the tables by ``plan-breaks``.
BREAK_PLAN_FIGURE_SUMMARY = (
    "(`plan-breaks`) heatmap of breaks by month and service, monthly cap drawn"
)
MANIFEST_SUMMARY = (
    "versions, command, seed, input hashes, config, solver status, objective and bound, "
    "counts, times"
)


def _column_words(column: OutputColumn) -> str:
    kind = "" if column.kind == "text" else f" ({column.kind})"
    return f"`{column.name}`{kind}" + (" *extra*" if column.extra else "")


def _table_words(table: OutputTable) -> str:
    """The table's columns for the README; a family as one entry, after the contract's."""
    words = [_column_words(c) for c in table.columns if not c.extra]
    if table.family is not None:
        words.append(f"one `{table.family.kind}` column per {table.family.name.strip('<>')}")
    words += [_column_words(c) for c in table.columns if c.extra]
    return ", ".join(words)


def outputs_markdown_table() -> str:
    """The README's table of outputs, generated from the declarations."""
    lines = ["| file | columns (contract's first, then extras) | what it says |", "|---|---|---|"]
    for table in OUTPUT_TABLES.values():
        columns = _table_words(table)
        when = "(`reallocate`) " if table.reallocate_only else ""
        if "allocate" not in table.commands and not table.reallocate_only:
            when = "(" + ", ".join(f"`{command}`" for command in table.commands) + ") "
        lines.append(f"| `{table.name}` | {columns} | {when}{table.summary} |")
    lines.append("| `break_plan.png` | | " + BREAK_PLAN_FIGURE_SUMMARY + " |")
    lines.append(f"| `manifest.json` | | {MANIFEST_SUMMARY} |")
    return "\n".join(lines) + "\n"
