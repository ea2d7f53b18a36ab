"""The output tables, each declared once: columns in order, their types, the sort key.

The contract's columns come first, in the contract's order, then any extras (contract
§1). The writer's CSV formats and Parquet schema, its refusal of a frame that does not
match, the row order and the README's table of outputs all come from here, never from
guessing by column name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import pandas as pd

#: ``month`` is ``YYYY-MM`` text in CSV and Parquet alike (contract §1); ``float`` (a share,
#: issue 10) is written as Python's shortest round-trip text and as a Parquet double.
OutputKind = Literal["text", "date", "bool", "int", "month", "float"]
OUTPUT_KINDS: tuple[OutputKind, ...] = ("text", "date", "bool", "int", "month", "float")


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
    #: Issue 10: a list P&Q chase from is written most urgent first, by these keys in
    #: order: a column name, ``-name`` for descending, or ``name:a,b,c`` for the order of
    #: its values; nulls always last; then every column as text breaks ties. Empty: the
    #: contract's order (:attr:`sort_key`).
    urgency: tuple[str, ...] = ()
    #: Extra columns written only when the run has them (issue 21: ``allocations``
    #: carries the sample's ``stratum`` and ``inclusion_probability`` when ``cases`` does).
    optional: tuple[OutputColumn, ...] = ()

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
        for key in self.urgency:
            if key.lstrip("-").partition(":")[0] not in names:
                raise ValueError(f"{self.name}: urgency key {key!r} is not a column")

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

    def urgent_first(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows by :attr:`urgency`, then by every column as text by code point, so
        that the order is total and a rerun writes the same bytes."""
        if frame.empty:
            return frame.reset_index(drop=True)
        kinds = self.kinds
        keys = [
            _urgency_rank(frame[key.lstrip("-").partition(":")[0]], key, kinds)
            for key in self.urgency
        ]
        # Every column as text breaks the ties left, in order; once no two rows tie,
        # the later columns cannot change the order and are not ranked (issue 23: a
        # list's first column is the audit id, so at national scale most are skipped).
        for column in frame.columns:
            if keys and _all_distinct(keys):
                break
            keys.append(_text_rank(frame[column]))
        order = np.lexsort(keys[::-1])
        return frame.iloc[order].reset_index(drop=True)

    def as_written(self, columns: Sequence[str]) -> OutputTable:
        """The declaration a frame with ``columns`` is written and checked by: the
        family's columns are the ones not declared, in the frame's order, placed after
        the contract's columns. A table without a family is its own declaration."""
        present = tuple(c for c in self.optional if c.name in columns)
        if present:
            with_optional = dataclasses.replace(
                self, columns=(*self.columns, *present), optional=()
            )
            return with_optional.as_written(columns)
        if self.family is None:
            return self
        declared = set(self.column_names)
        named = [OutputColumn(c, self.family.kind) for c in columns if c not in declared]
        contract = tuple(c for c in self.columns if not c.extra)
        extras = tuple(c for c in self.columns if c.extra)
        return dataclasses.replace(self, columns=(*contract, *named, *extras), family=None)


def _all_distinct(keys: list[np.ndarray]) -> bool:
    """Whether no two rows have the same rank in every key."""
    group = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:  # each row's group among the distinct tuples of ranks so far
        group = np.unique(group * (int(key.max()) + 1) + key, return_inverse=True)[1]
    return int(group.max()) + 1 == len(group)


#: Sets of value types within which equal values have the same text, so that a column of
#: them can be ranked by its distinct values (not 1 and True, 0.0 and -0.0, a date and a
#: datetime, which are equal but read differently).
_RANKED_BY_VALUE = (
    frozenset({str, type(None)}),
    frozenset({dt.date, type(None)}),
    frozenset({bool, type(None)}),
    frozenset({int, type(None)}),
)


def _text_rank(values: pd.Series) -> np.ndarray:
    """Each value's rank as text by code point (contract §1), nulls first as empty text."""
    items = values.tolist()
    types = set(map(type, items))
    if any(types <= allowed for allowed in _RANKED_BY_VALUE):
        # Each distinct value's text once (pandas' factorize: None is -1, its text "").
        codes, distinct = pd.factorize(pd.Series(items, dtype=object))
        texts = ["" if v is None else _plain_text(v) for v in distinct.tolist()]
        if (codes < 0).any():
            texts.append("")
        order = {text: position for position, text in enumerate(sorted(set(texts)))}
        ranks = np.fromiter((order[t] for t in texts), dtype=np.int64, count=len(texts))
        return ranks[codes]  # -1, a null, takes the last: the text ""
    texts = [
        "" if v is None or (isinstance(v, float) and np.isnan(v)) else _plain_text(v)
        for v in values.tolist()
    ]
    rank = {text: position for position, text in enumerate(sorted(set(texts)))}
    return np.fromiter((rank[t] for t in texts), dtype=np.int64, count=len(texts))


def _plain_text(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _urgency_rank(values: pd.Series, key: str, kinds: dict[str, OutputKind]) -> np.ndarray:
    """Ranks for one urgency key: ascending by the value's kind (numbers as numbers,
    dates as dates, text by code point), descending with ``-``, a declared order of
    values with ``:``; nulls (and values outside a declared order) after every value."""
    name, _, levels = key.lstrip("-").partition(":")
    descending = key.startswith("-")
    items = values.tolist()
    present = [v for v in items if not _null(v)]
    if levels:
        order = {level: position for position, level in enumerate(levels.split(","))}
        position_of = {v: order.get(str(v), len(order)) for v in set(present)}
    else:
        as_key = _plain_text if kinds[name] in ("text", "month") else (lambda v: v)
        distinct = sorted({as_key(v) for v in present})
        position = {v: i for i, v in enumerate(distinct)}
        position_of = {v: position[as_key(v)] for v in set(present)}
    top = max(position_of.values(), default=0)
    ranks = [
        top + 1 if _null(v) else (top - position_of[v] if descending else position_of[v])
        for v in items
    ]
    return np.asarray(ranks, dtype=np.int64)


def _null(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


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
            optional=_columns("+stratum", "+inclusion_probability:float"),
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
    OutputTable(
        "breaks_merged",
        _columns("auditor_id", "month:month", "requested_on:date"),
        "with `--emit-requests`: the data's `breaks` with the planned months' requests "
        "replaced by the plan's (other months kept as they are), ready to replace "
        "`breaks.csv` in the data directory",
        commands=("plan-breaks",),
        read_back=True,
    ),
)
OUTPUT_TABLES.update({table.name: table for table in BREAK_PLAN_TABLES})
#: ``caseaudit report`` (issue 10): the lists P&Q chase from, most urgent first, each row
#: naming the people to chase (the case's details of the audit's month), then the figures.
CHASE_COLUMNS = (
    "audit_id",
    "month:month",
    "case_id",
    "service",
    "auditor_id",
    "team_manager_id",
    "group_manager_id",
)
#: An audit past its month's last day (outstanding, non-completions).
LATE_COLUMNS = (*CHASE_COLUMNS, "status", "due_on:date", "days_overdue:int")
GRADE_COLUMNS = (
    "outstanding:int",
    "good:int",
    "requires_improvement_good_elements:int",
    "requires_improvement:int",
    "inadequate:int",
    "judged:int",
    "inadequate_share:float",
    "inadequate_share_target:float",
)


def _report_table(
    name: str, columns: tuple[OutputColumn, ...], summary: str, urgency: tuple[str, ...] = ()
) -> OutputTable:
    """A table only ``report`` writes."""
    return OutputTable(name, columns, summary, commands=("report",), urgency=urgency)


REPORT_TABLES: tuple[OutputTable, ...] = (
    _report_table(
        "outstanding",
        _columns(*LATE_COLUMNS, "+non_completion:bool"),
        "audits allocated or non-completed, not completed and past their month's last day "
        "(§6, §27), longest overdue first; `non_completion` when no honoured exemption covers it",
        urgency=("-days_overdue",),
    ),
    _report_table(
        "non_completions",
        _columns(*LATE_COLUMNS, "+exemption"),
        "the outstanding audits without an honoured exemption (§28–31), kept until completed, "
        "longest overdue first; `exemption` says what was asked and why it does not count",
        urgency=("-days_overdue",),
    ),
    _report_table(
        "amendments_due",
        _columns(*CHASE_COLUMNS, "returned_on:date", "amendment_due_on:date", "overdue:bool"),
        "returned audits: amendments due `amendment_working_days` working days after return "
        "(§20), earliest due first",
        urgency=("amendment_due_on",),
    ),
    _report_table(
        "awaiting_actions",
        _columns(*CHASE_COLUMNS, "finalised_on:date", "age_days:int", "+judgement"),
        "finalised audits whose actions the team manager has not confirmed (§23, §27), "
        "oldest first",
        urgency=("-age_days",),
    ),
    _report_table(
        "inadequate_cycle",
        _columns(
            *CHASE_COLUMNS,
            "confirmed_on:date",
            "reflection_meeting_by:date",
            "review_meeting_on:date",
            "reaudit_deadline:date",
            "reaudit_month:month",
            "escalation",
            "head_of_service_id",
            "+overdue:bool",
            "+next_step",
            "+stage",
            "+chase_id",
        ),
        "one row per case in the inadequate cycle (§25–26), its latest inadequate audit, "
        "until a re-audit of it has a confirmed judgement other than inadequate: meetings, "
        "deadline, escalation after a repeat inadequate, the next step, the `stage` (the "
        "furthest along of escalated, re-audit overdue, re-audit allocated, re-audit due, "
        "review due, reflection due) and the person to chase (`chase_id`: the head of "
        "service, the re-audit's auditor, the Strategic Lead, the team manager or the group "
        "manager, by stage); "
        "earliest deadline first",
        urgency=("reaudit_deadline",),
    ),
    _report_table(
        "challenges_open",
        _columns(
            *CHASE_COLUMNS,
            "raised_by",
            "raised_on:date",
            "days_open:int",
            "moderation_status",
            "moderator_id",
            "assigned_on:date",
            "final_judgement",
            "decided_on:date",
            "+late:bool",
        ),
        "challenged audits without consensus (§21–22), one row per audit: awaiting a "
        "moderator, moderator assigned, or decided (listed in the month of the decision "
        "only); `late` when raised after the audit was finalised (its confirmed judgement "
        "stands); longest waiting first",
        urgency=("moderation_status:awaiting_moderator,moderator_assigned,decided", "-days_open"),
    ),
    _report_table(
        "retrospective_exemptions",
        _columns(
            *CHASE_COLUMNS,
            "due_on:date",
            "requested_on:date",
            "decided_by",
            "decided_on:date",
            "days_after_due:int",
        ),
        "honoured exemptions decided after the audit's due date (§5, §30), decided in the "
        "twelve months to the as-of day: the audit was a non-completion until `decided_on`; "
        "latest decided after the due date first",
        urgency=("-days_after_due",),
    ),
    _report_table(
        "cancellations",
        _columns(
            *CHASE_COLUMNS,
            "cancelled_on:date",
            "cancelled_by",
            "cancel_reason",
            "authorised:bool",
            "+authorisation",
        ),
        "audits cancelled in the twelve months to the as-of day (§30: only in exceptional "
        "circumstances), with who cancelled them; `authorised` false when neither the "
        "Assistant Director (a csc auditor) nor the Strategic Lead (a pq auditor) did; "
        "unauthorised first, then latest",
        urgency=("authorised:False,True", "-cancelled_on"),
    ),
    _report_table(
        "incomplete_audit_tools",
        _columns(
            *CHASE_COLUMNS,
            "judgement",
            "domains_rated:int",
            "domains_expected:int",
            "missing_domains",
        ),
        "audits of the twelve months with a judgement but not every domain of `[outcomes] "
        "domains` rated (§16); fewest rated first",
        urgency=("domains_rated",),
    ),
    _report_table(
        "judgements_by_month",
        _columns("month:month", *GRADE_COLUMNS),
        "effective judgements of the twelve months to the as-of month by grade, the share "
        "inadequate beside `[report] inadequate_share_target`",
    ),
    _report_table(
        "judgements_by_service",
        _columns("service", *GRADE_COLUMNS),
        "the same judgements by the case's service",
    ),
    _report_table(
        "caseload_estimates",
        _columns(
            "judgement",
            "audited:int",
            "audits:int",
            "audited_share:float",
            "caseload_share:float",
            "caseload_share_low:float",
            "caseload_share_high:float",
            "effective_audits:float",
        ),
        "issue 21: each judgement's share of the audited files and, weighting each file by "
        "1 / its `inclusion_probability`, its estimated share of the caseload with a 95% "
        "interval (`reporting.estimates`), over the twelve months' sampled audits (no "
        "re-audit, an inclusion probability in `history`); no rows when `history` has none",
    ),
    _report_table(
        "domain_ratings",
        _columns(
            "domain",
            "met:int",
            "partially_met:int",
            "not_met:int",
            "not_applicable:int",
            "not_met_share:float",
        ),
        "the nine domains' ratings (§16) of the twelve months' audits, the domain most "
        "often not met first (of its ratings other than not_applicable)",
        urgency=("-not_met_share", "-not_met"),
    ),
    _report_table(
        "audits_per_auditor",
        _columns("auditor_id", "service", "audits:int", "completed:int", "max_audits_per_year:int"),
        "each auditor's audits this audit year against the yearly maximum (§2)",
    ),
    _report_table(
        "breaks_by_month",
        _columns(
            "month:month",
            "eligible:int",
            "requested:int",
            "granted:int",
            "refused_cap:int",
            "not_required:int",
            "cap:int",
        ),
        "break requests of each month decided as `allocate` decides them, against the cap (§3)",
    ),
    _report_table(
        "completion_by_service",
        _columns(
            "service",
            "due:int",
            "on_time:int",
            "late:int",
            "not_completed:int",
            "on_time_share:float",
        ),
        "audits of the twelve months whose month has ended: completed by the month's last "
        "day (§6), late, or not completed, by service",
    ),
    _report_table(
        "amendments_by_service",
        _columns(
            "service",
            "month:month",
            "returned:int",
            "back_on_time:int",
            "back_late:int",
            "not_back:int",
            "on_time_share:float",
        ),
        "amendments (§20) by service and month of return over the twelve months: returned, "
        "back within `amendment_working_days` working days, back later, not back yet, and "
        "the share back on time of those whose time is up",
    ),
)
OUTPUT_TABLES.update({table.name: table for table in REPORT_TABLES})

#: ``draw-sample`` (issue 21).
SAMPLE_COMMANDS = ("draw-sample",)

SAMPLE_TABLES: tuple[OutputTable, ...] = (
    OutputTable(
        "sample",
        _columns(
            "case_id",
            "month:month",
            "subject_id",
            "case_type",
            "service",
            "team",
            "allocated_worker_id",
            "team_manager_id",
            "iro_id",
            "stratum",
            "inclusion_probability:float",
            "drawn_rank:int",
        ),
        "the month's drawn cases with the `cases` columns, ready to append "
        "to cases.csv, plus the stratum, its inclusion probability (drawn ÷ eligible) and "
        "the case's place in its stratum's random order",
        commands=SAMPLE_COMMANDS,
    ),
    OutputTable(
        "strata",
        _columns(
            "stratum",
            "open:int",
            "excluded:int",
            "eligible:int",
            "share:float",
            "drawn:int",
            "year_to_date_share:float",
            "year_to_date_drawn:int",
        ),
        "per stratum: open cases, excluded, eligible, its proportional "
        "share, drawn (controlled rounding), and the audit year to date; one column per "
        "stratum variable",
        commands=SAMPLE_COMMANDS,
        family=OutputColumn("<stratum variable>", "text"),
    ),
    OutputTable(
        "excluded",
        _columns("case_id", "reason"),
        "every open case that may not be drawn this month and why (closed cases are not listed)",
        commands=SAMPLE_COMMANDS,
    ),
)
OUTPUT_TABLES.update({table.name: table for table in SAMPLE_TABLES})

#: ``caseaudit notify`` (issue 22): the notices due on the day, one ``.eml`` each.
NOTICE_TABLES: tuple[OutputTable, ...] = (
    OutputTable(
        "notices",
        _columns(
            "notice_id",
            "kind",
            "send_on:date",
            "recipient_id",
            "recipient_email",
            "cc",
            "subject",
            "audit_id",
            "case_id",
            "due_on:date",
            "file",
            "+month:month",
            "+sent:bool",
        ),
        "every notice due on the as-of day or the catch-up days before it and not in "
        "`notices_sent`: whom, about what, by when, and its `.eml` under `notices/` "
        "(a mail-merge source too); `sent` after `--send`",
        commands=("notify",),
    ),
    OutputTable(
        "undeliverable",
        _columns("notice_id", "recipient_id", "reason", "+kind"),
        "notices that cannot go: the recipient has no e-mail, has left, or is not active "
        "yet (no `.eml`; exit 3)",
        commands=("notify",),
    ),
)
OUTPUT_TABLES.update({table.name: table for table in NOTICE_TABLES})
#: ``report.html``, written beside the tables by ``report``.
REPORT_HTML_SUMMARY = (
    "(`report`) one self-contained page for the Senior Leadership Team: the figures as "
    "charts and tables, every list most urgent first; prints on A4, reads on a phone"
)
#: ``break_plan.png``, written beside the tables by ``plan-breaks``.
BREAK_PLAN_FIGURE_SUMMARY = (
    "(`plan-breaks`) heatmap of breaks by month and service, monthly cap drawn"
)
NOTICE_FILES_SUMMARY = (
    "(`notify`) one RFC 5322 message per notice, UTF-8 plain text, ready for any mail "
    "client or `notify --send`"
)
#: ``allocations.xlsx``, the hand-off for people (issue 24, ``caseaudit.io.workbook_out``).
HANDOFF_WORKBOOK_SUMMARY = (
    "(`allocate`, `reallocate`) the hand-off for people: `allocations` and the run's other "
    "tables as sheets, typed cells (ids as text, dates as dates, booleans Yes/No), frozen "
    "header, filters"
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
    lines.append("| `report.html` | | " + REPORT_HTML_SUMMARY + " |")
    lines.append("| `notices/*.eml` | | " + NOTICE_FILES_SUMMARY + " |")
    lines.append("| `allocations.xlsx` | | " + HANDOFF_WORKBOOK_SUMMARY + " |")
    lines.append(f"| `manifest.json` | | {MANIFEST_SUMMARY} |")
    return "\n".join(lines) + "\n"
