"""The input tables of contract §3: columns, kinds, enums and keys.

One declarative table per input file, read by ``caseaudit.io`` and checked by
``caseaudit.model.validate``. Every column must be in the header (contract §1 "Headers"),
even when all its cells are empty: a renamed or deleted column would silently switch a
rule off or change re-audits, the report or the hand-off. Only a column declared
``may_be_absent=True`` (the contract says "may be absent") may be left out of the file.
``required=True`` is about cells: such a column must also be non-empty on every row;
"optional" in the contract means optional cells, never an optional header.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["text", "enum", "bool", "date", "month", "int", "float"]

ROLES = (
    "social_worker",
    "personal_adviser",
    "supervising_social_worker",
    "team_manager",
    "iro",
    "group_manager",
    "head_of_service",
    "assistant_director",
    "pq_officer",
    "strategic_lead_ipq",
    "other",
)
STAFF_GROUPS = ("csc", "pq")
CASE_TYPES = ("child", "care_leaver", "foster_carer")
AUDIT_STATUSES = (
    "allocated",
    "completed",
    "returned",
    "finalised",
    "actions_complete",
    "reallocated",
    "cancelled",
    "non_completed",
)
#: Ledger statuses that do not count as an audit of the auditor (contract §4 rule 2).
NOT_COUNTED_STATUSES = frozenset({"reallocated", "cancelled"})
JUDGEMENTS = (
    "outstanding",
    "good",
    "requires_improvement_good_elements",
    "requires_improvement",
    "inadequate",
)
#: The share of each judgement among a typical authority's first audits: what the
#: synthetic authorities draw, and the what-if simulation's default grade mix.
JUDGEMENT_MIX = (
    ("outstanding", 0.04),
    ("good", 0.38),
    ("requires_improvement_good_elements", 0.26),
    ("requires_improvement", 0.26),
    ("inadequate", 0.06),
)
EXEMPTION_DECISIONS = ("approved", "refused", "pending")
RATINGS = ("met", "partially_met", "not_met", "not_applicable")


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    default: object = None
    #: The contract marks the column "may be absent": the file may leave it out (read as
    #: empty cells). Every other column must be in the header (see the module docstring).
    may_be_absent: bool = False
    #: Added by a later command (the sample's ``stratum``, issue 21): files written
    #: before it leave it out, and ``generate`` writes it only when some row has a value.
    written_when_used: bool = False

    @property
    def header_required(self) -> bool:
        return not self.may_be_absent


@dataclass(frozen=True)
class TableSchema:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required_table: bool = False
    description: str = ""
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: ColumnKind = "text", required: bool = False, **kw: object) -> Column:
    return Column(name, kind, required, **kw)  # type: ignore[arg-type]


STAFF = TableSchema(
    "staff",
    (
        _c("staff_id", required=True),
        _c("name", required=True),
        _c("email"),
        _c("role", "enum", True, choices=ROLES),
        _c("staff_group", "enum", True, choices=STAFF_GROUPS),
        _c("service", required=True),
        _c("team"),
        _c("manager_id"),
        _c("is_auditor", "bool", True),
        _c("can_moderate", "bool", default=False),
        _c("active_from", "date"),
        _c("active_to", "date"),
    ),
    key=("staff_id",),
    required_table=True,
    description="everyone who can audit, manage, hold a case or decide an exemption",
)
CASES = TableSchema(
    "cases",
    (
        _c("case_id", required=True),
        _c("month", "month", True),
        _c("subject_id", required=True),
        _c("case_type", "enum", True, choices=CASE_TYPES),
        _c("service", required=True),
        _c("team"),
        _c("allocated_worker_id", required=True),
        _c("team_manager_id"),
        _c("iro_id"),
        # Issue 21: carried from ``draw-sample``'s sample, passed on to ``allocations``.
        _c("stratum", may_be_absent=True, written_when_used=True),
        _c("inclusion_probability", "float", may_be_absent=True, written_when_used=True),
    ),
    key=("case_id", "month"),
    required_table=True,
    description="the audit sample: one row per case file and month (§1)",
)
BREAKS = TableSchema(
    "breaks",
    (_c("auditor_id", required=True), _c("month", "month", True), _c("requested_on", "date", True)),
    key=("auditor_id", "month"),
    description="audit-break requests (§2–3)",
)
CONFLICTS = TableSchema(
    "conflicts",
    (_c("auditor_id", required=True), _c("subject_id", required=True), _c("reason")),
    description="declared conflicts of interest (a repeated declaration is harmless)",
)
EXEMPTIONS = TableSchema(
    "exemptions",
    (
        _c("case_id", required=True),
        _c("month", "month", True),
        _c("auditor_id", required=True),
        _c("requested_on", "date", True),
        _c("decision", "enum", True, choices=EXEMPTION_DECISIONS),
        _c("decided_by"),
        _c("decided_on", "date"),
    ),
    key=("case_id", "month", "auditor_id"),
    description="exemption requests and decisions (§4–5, §29–30)",
)
HISTORY = TableSchema(
    "history",
    (
        _c("audit_id", required=True),
        _c("month", "month", True),
        _c("case_id", required=True),
        _c("subject_id", required=True),
        _c("auditor_id", required=True),
        _c("status", "enum", True, choices=AUDIT_STATUSES),
        _c("overall_judgement", "enum", choices=JUDGEMENTS),
        _c("judgement_confirmed_on", "date"),
        _c("reaudit_of"),
        _c("completed_on", "date"),
        _c("returned_on", "date"),
        _c("finalised_on", "date"),
        _c("actions_completed_on", "date"),
        # Issue 20, each may be absent: when a returned audit came back (§20), and who
        # cancelled an audit, when and why (§30).
        _c("resubmitted_on", "date", may_be_absent=True),
        _c("cancelled_on", "date", may_be_absent=True),
        _c("cancelled_by", may_be_absent=True),
        _c("cancel_reason", may_be_absent=True),
        # Issue 21: the design probability of the draw, written by ``record``; the report's
        # caseload estimates weigh each audit by its inverse.
        _c("inclusion_probability", "float", may_be_absent=True, written_when_used=True),
    ),
    key=("audit_id",),
    description="the audit ledger of earlier months",
)
CHALLENGES = TableSchema(
    "challenges",
    (
        _c("audit_id", required=True),
        _c("raised_by", required=True),
        _c("raised_on", "date", True),
        # Empty means no consensus yet (issue 8): the audit may need a moderator (§22).
        _c("consensus_reached", "bool"),
    ),
    description="challenges to audit judgements (§21–22)",
)
BREAK_PREFERENCES = TableSchema(
    "break_preferences",
    (_c("auditor_id", required=True), _c("month", "month", True), _c("rank", "int", True)),
    key=("auditor_id", "month"),
    description="wishes for the annual break plan",
)
OUTCOMES = TableSchema(
    "outcomes",
    (
        _c("audit_id", required=True),
        _c("domain", required=True),
        _c("rating", "enum", True, choices=RATINGS),
    ),
    key=("audit_id", "domain"),
    description="domain ratings of finished audits (§16)",
)
MODERATIONS = TableSchema(
    "moderations",
    (
        _c("audit_id", required=True),
        _c("moderator_id", required=True),
        _c("assigned_on", "date", True),
        _c("final_judgement", "enum", choices=JUDGEMENTS),
        _c("decided_on", "date"),
    ),
    description="moderators assigned to challenged audits (§22)",
)

CASELOAD = TableSchema(
    "caseload",
    (
        _c("case_id", required=True),
        _c("subject_id", required=True),
        _c("case_type", "enum", True, choices=CASE_TYPES),
        _c("service", required=True),
        _c("team"),
        _c("allocated_worker_id", required=True),
        _c("team_manager_id"),
        _c("iro_id"),
        _c("opened_on", "date", True),
        _c("closed_on", "date"),
    ),
    key=("case_id",),
    description="the open cases as the case-management extract lists them (issue 21)",
)

TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        STAFF,
        CASES,
        BREAKS,
        CONFLICTS,
        EXEMPTIONS,
        HISTORY,
        CHALLENGES,
        BREAK_PREFERENCES,
        OUTCOMES,
        MODERATIONS,
        CASELOAD,
    )
}
