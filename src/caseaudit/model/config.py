"""The run configuration (contract §3 ``config.toml``), validated with pydantic.

Unknown sections and keys are input errors; the loader in ``caseaudit.io`` turns
pydantic's errors into located messages with the line of the key.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Section(BaseModel):
    # strict: a TOML ``true`` is not a yearly limit of 1, nor ``"no"`` a false.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PolicyConfig(_Section):
    audit_year_start_month: int = Field(4, ge=1, le=12)
    max_audits_per_year: int = Field(10, ge=0)
    max_audits_per_month: int = Field(1, ge=0)
    max_break_fraction: Decimal = Field(Decimal("0.20"), ge=0, le=1)
    reaudit_within_months: int = Field(2, ge=0)
    review_meeting_after_days: int = Field(28, ge=0)
    reflection_meeting_within_working_days: int = Field(5, ge=0)
    amendment_working_days: int = Field(3, ge=0)

    @field_validator("max_break_fraction", mode="before")
    @classmethod
    def _exact_decimal(cls, value: object) -> object:
        """TOML gives 0.2 as a binary float; read it back as the decimal that was written."""
        if isinstance(value, bool):
            raise ValueError("expected a number such as 0.20")
        if isinstance(value, int | float | str):
            try:
                return Decimal(str(value))
            except ArithmeticError:  # decimal.InvalidOperation: "abc" is no number
                raise ValueError("expected a number such as 0.20") from None
        return value


class ConflictsConfig(_Section):
    """Optional conflict kinds; the direct and declared conflicts cannot be turned off."""

    same_team: bool = True
    management_chain: bool = True


class CalendarConfig(_Section):
    country: str = "GB"
    subdivision: str | None = "ENG"

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str) -> str:
        """The bank-holiday calendar must exist in the ``holidays`` package."""
        if country not in holidays.list_supported_countries():
            raise ValueError(f"no bank-holiday calendar for country {country!r}")
        return country

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if subdivision is None or country is None:
            return subdivision
        known = holidays.list_supported_countries().get(country, [])
        if subdivision not in known:
            raise ValueError(
                f"no subdivision {subdivision!r} for {country}; known: {', '.join(known[:12])}"
            )
        return subdivision


class SolverConfig(_Section):
    """``time_limit_s``, ``seed`` and ``workers`` as CP-SAT takes them.

    ``price_above_pairs``: a month with more allowed (case, auditor) pairs than this is
    never listed pair by pair; the min-cost flow starts from a few candidates per case
    and prices every other allowed pair with its node potentials until none can improve
    the plan, so the proof still covers every pair.

    ``max_candidates_per_case``: 0 (the default) keeps every allowed pair in the proof.
    A positive value keeps only that many candidates per case (the original auditor, the
    previous plan's auditor, and auditors from the cheapest end, spread across cases)
    and skips pricing: the run then says ``feasible``, never ``optimal``.
    """

    time_limit_s: float = Field(60.0, gt=0, strict=False)
    seed: int = 0
    workers: int = Field(2, ge=1, le=64)
    max_candidates_per_case: int = Field(0, ge=0)
    price_above_pairs: int = Field(1_000_000, ge=0)


#: The documented maximum of each weight (README, config.toml).
WEIGHT_MAX = 10_000
#: The most one unit of the preference tier may cost (a pair's weighted preferences, or
#: an extra audit's fair-spread cost). The month's objective is solved in stages of tiers
#: that fit one 64-bit cost together; a tier always fits alone when its unit cost times
#: the flow's node count stays below 2^62, so up to 2^31 cases and auditors with this.
PREFERENCE_UNIT_MAX = (1 << 31) - 1


class WeightsConfig(_Section):
    """Weights of the soft preferences (contract §4, objective tier 2).

    All are small non-negative integers, at most ``WEIGHT_MAX`` (10,000): CP-SAT slows
    down with large coefficients, and the objective must fit 64-bit integers (contract
    §4; see ``Config.objective_issues`` for the one product of a weight and the policy).

    - ``original_auditor``: cost of giving a re-audit to anyone but the auditor of the
      inadequate audit (continuity, §25).
    - ``fair_spread``: cost per audit the auditor already has this audit year, so that
      auditors with fewer audits are preferred (§2: ten a year, spread evenly).
    - ``fresh_eyes``: cost of an auditor who audited the same subject in the last
      12 months (except the original auditor of a re-audit).
    """

    original_auditor: int = Field(30, ge=0, le=WEIGHT_MAX)
    fair_spread: int = Field(2, ge=0, le=WEIGHT_MAX)
    fresh_eyes: int = Field(10, ge=0, le=WEIGHT_MAX)


class OutputConfig(_Section):
    """Hand-off options: ``date_format`` ``iso`` (YYYY-MM-DD) or ``dmy`` (dd/mm/yyyy) for
    the CSV files only (Parquet keeps real dates); ``bom`` writes a UTF-8 byte-order
    mark so that Excel opens the CSVs as UTF-8."""

    date_format: Literal["iso", "dmy"] = "iso"
    bom: bool = False


class ModerationConfig(_Section):
    """``caseaudit moderate`` (§22).

    - ``connected_services``: groups of service names, e.g.
      ``[["Children in Care", "Fostering"]]``. A moderator's service must be neither the
      audited case's service nor one in the same group as it. A name that no staff member
      or case has is an input error (a typo would silently weaken independence).
    - ``max_moderations_per_month``: new moderations a senior manager may take in the
      as-of month, counting those already assigned in it.
    """

    connected_services: list[list[str]] = Field(default_factory=list)
    max_moderations_per_month: int = Field(2, ge=0, le=31)

    @field_validator("connected_services", mode="before")
    @classmethod
    def _groups_of_names(cls, groups: object) -> object:
        """A list of lists of service names, trimmed (contract §1); anything else is
        refused in words, at the key, rather than as a nested pydantic location."""
        shape = 'a list of groups of service names, e.g. [["Children in Care", "Fostering"]]'
        if not isinstance(groups, list) or not all(
            isinstance(group, list) and all(isinstance(name, str) for name in group)
            for group in groups
        ):
            raise ValueError(f"must be {shape}, got {json.dumps(groups, default=str)}")
        trimmed = [[name.strip() for name in group] for group in groups]
        if any(not name for group in trimmed for name in group):
            raise ValueError("a service name in connected_services is empty")
        return trimmed

    def connected_to(self, service: str) -> set[str]:
        """The services in a group with ``service`` (itself excluded)."""
        return {s for group in self.connected_services if service in group for s in group} - {
            service
        }


class BreaksConfig(_Section):
    """``caseaudit plan-breaks`` (§2–3): ``max_service_break_fraction`` caps each service's
    breaks in a month at floor(fraction × the service's auditors eligible that month), so
    that no service loses its auditors together. Read as the exact decimal written."""

    max_service_break_fraction: Decimal = Field(Decimal("0.40"), ge=0, le=1)

    @field_validator("max_service_break_fraction", mode="before")
    @classmethod
    def _exact_decimal(cls, value: object) -> object:
        return PolicyConfig._exact_decimal(value)


class ReportConfig(_Section):
    """``caseaudit report`` (§23–28): ``inadequate_share_target`` is the share of audits
    judged inadequate that the Senior Leadership Team aims to stay under; the report draws
    each month's share against it. Read as the exact decimal written."""

    inadequate_share_target: Decimal = Field(Decimal("0.10"), ge=0, le=1)

    @field_validator("inadequate_share_target", mode="before")
    @classmethod
    def _exact_decimal(cls, value: object) -> object:
        return PolicyConfig._exact_decimal(value)


class NoticesConfig(_Section):
    """``caseaudit notify`` (issue 22): when each notice is due.

    - ``catch_up_working_days``: a notice whose day is up to this many working days
      before the run's day is still sent (a skipped day loses nothing), once.
    - ``remind_working_days_before_due``: the auditor's reminder before the month's last
      day (§6).
    - ``chase_every_working_days``: an overdue audit is chased on the first working day
      after its due day, then every this many working days (§28, §30).
    - ``actions_chase_after_days``: the team manager is asked for the actions this many
      days after finalisation, then monthly (§23, §27).
    - ``templates``: a folder of the council's own templates (``<kind>.txt.j2``), relative
      to the data directory; a kind without one there uses the built-in template.
    """

    catch_up_working_days: int = Field(5, ge=0, le=60)
    remind_working_days_before_due: int = Field(5, ge=0, le=60)
    chase_every_working_days: int = Field(5, ge=1, le=60)
    actions_chase_after_days: int = Field(28, ge=1, le=366)
    templates: str | None = None


class SmtpConfig(_Section):
    """``caseaudit notify --send`` (issue 22): the council's mail server. ``security``
    ``starttls`` (port 587), ``ssl`` (port 465) or ``none`` (a relay inside the network);
    without ``username`` there is no login. The password is never in the config: it is
    read from the environment variable ``CASEAUDIT_SMTP_PASSWORD``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    sender: str | None = Field(None, alias="from")


#: The nine domains of the audit tool (§16; contract §3 outcomes).
DEFAULT_DOMAINS = (
    "D1 Voice and lived experience of the child",
    "D2 Assessment and analysis",
    "D3 Planning",
    "D4 Direct work and relationships",
    "D5 Management oversight and supervision",
    "D6 Multi-agency working",
    "D7 Recording",
    "D8 Timeliness and compliance",
    "D9 Outcomes and impact",
)


class OutcomesConfig(_Section):
    """``[outcomes] domains``: the audit tool's domains (§16, issue 20). A rating of any
    other domain is an input error; an audit judged with fewer of them rated is listed in
    the report as an incomplete audit tool."""

    domains: tuple[str, ...] = DEFAULT_DOMAINS

    @field_validator("domains", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of domain names")
        names = tuple(v.strip() for v in value)
        if not names or any(not name for name in names):
            raise ValueError("must name at least one domain, none empty")
        # Compared like every name (contract §1): "D7 Recording" and "d7  recording" are
        # one domain. Imported here: identity reads the config, so it cannot be above.
        from caseaudit.model.keys import identity_key

        if len({identity_key(name) for name in names}) != len(names):
            raise ValueError("a domain is named twice")
        return names


class LedgerConfig(_Section):
    """The audit ledger (``history``; contract §2): ``missing_months`` are months in which
    no audits were done at all, e.g. ``["2025-08"]``. Any other month between the
    ledger's first month and the month run with no row is a gap, an input error: a
    month's rows left out would silently change re-audits, yearly counts and the report."""

    missing_months: list[str] = Field(default_factory=list)

    @field_validator("missing_months", mode="before")
    @classmethod
    def _months(cls, months: object) -> object:
        """A list of ``YYYY-MM`` texts, refused in words at the key otherwise."""
        if not isinstance(months, list) or not all(isinstance(m, str) for m in months):
            raise ValueError(
                f'must be a list of months, e.g. ["2025-08"], got {json.dumps(months, default=str)}'
            )
        wrong = [m for m in months if not _MONTH.fullmatch(m)]
        if wrong:
            raise ValueError(f"expected months as YYYY-MM, got {wrong[0]!r}")
        return sorted(set(months))


#: ``YYYY-MM`` (contract §1), as ``caseaudit.model.calendar.MONTH_PATTERN``.
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class SampleConfig(_Section):
    """``caseaudit draw-sample`` (issue 21, contract §6).

    - ``size``: the month's sample size; by default one case per auditor who can take
      one in the month, less the re-audits due (an upper bound: fewer when the month's
      rules cover fewer).
    - ``min_days_open``: a case must have been opened at least this many days before
      the month's first day.
    - ``exclude_audited_within_months``: a case audited (any status but cancelled) in
      any of this many months before the month is not drawn.
    - ``strata``: the caseload columns whose values make the strata, one or two (with
      two, controlled rounding keeps both one-way margins, a flow problem).
    - ``spare_auditors``: available auditors kept free for reallocations.
    """

    size: int | None = Field(None, ge=0)
    min_days_open: int = Field(28, ge=0)
    exclude_audited_within_months: int = Field(12, ge=0)
    strata: list[str] = Field(default_factory=lambda: ["service", "case_type"])
    spare_auditors: int = Field(0, ge=0)

    @field_validator("strata", mode="before")
    @classmethod
    def _stratum_columns(cls, strata: object) -> object:
        """One or two caseload columns, each once: with three or more the one-way
        margins cannot all be kept by a flow (controlled rounding of a 3-way table may
        have no solution)."""
        from caseaudit.model.schema import CASELOAD

        usable = [c.name for c in CASELOAD.columns if c.kind in ("text", "enum")]
        usable = [c for c in usable if c not in ("case_id", "subject_id")]
        if not isinstance(strata, list) or not all(isinstance(s, str) for s in strata):
            raise ValueError(
                f'must be a list of caseload columns, e.g. ["service", "case_type"], '
                f"got {json.dumps(strata, default=str)}"
            )
        names = [s.strip() for s in strata]
        if not 1 <= len(names) <= 2:
            raise ValueError(
                "must name one or two caseload columns: controlled rounding keeps every "
                f"one-way margin only for one or two, got {len(names)}"
            )
        if len(set(names)) != len(names):
            raise ValueError(f"names a column twice: {json.dumps(names)}")
        unknown = [n for n in names if n not in usable]
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a caseload column to stratify by; choose from "
                + ", ".join(usable)
            )
        return names


class Config(_Section):
    policy: PolicyConfig = PolicyConfig()
    conflicts: ConflictsConfig = ConflictsConfig()
    calendar: CalendarConfig = CalendarConfig()
    solver: SolverConfig = SolverConfig()
    weights: WeightsConfig = WeightsConfig()
    output: OutputConfig = OutputConfig()
    breaks: BreaksConfig = BreaksConfig()
    moderation: ModerationConfig = ModerationConfig()
    report: ReportConfig = ReportConfig()
    notices: NoticesConfig = NoticesConfig()
    smtp: SmtpConfig = SmtpConfig()
    outcomes: OutcomesConfig = OutcomesConfig()
    ledger: LedgerConfig = LedgerConfig()
    sample: SampleConfig = SampleConfig()

    def objective_issues(self) -> list[tuple[str, str]]:
        """Contract §4: the weights whose objective cannot fit 64-bit integers, found
        from the config alone, as (key, message). One audit's preference cost is at most
        ``original_auditor + fresh_eyes + fair_spread × (max_audits_per_year +
        max_audits_per_month)`` (fair spread prices every audit of the year so far and
        every extra one this month); it must stay within ``PREFERENCE_UNIT_MAX``."""
        weights, policy = self.weights, self.policy
        audits = policy.max_audits_per_year + policy.max_audits_per_month
        unit = weights.original_auditor + weights.fresh_eyes + weights.fair_spread * audits
        if unit <= PREFERENCE_UNIT_MAX:
            return []
        return [
            (
                "weights.fair_spread",
                f"{weights.fair_spread} per audit × (policy.max_audits_per_year "
                f"{policy.max_audits_per_year} + policy.max_audits_per_month "
                f"{policy.max_audits_per_month}) makes one audit's preference cost {unit:,},"
                f" above {PREFERENCE_UNIT_MAX:,}: the objective would not fit 64-bit "
                "integers; lower fair_spread or the policy maxima",
            )
        ]

    def as_dict(self) -> dict[str, dict[str, object]]:
        """The config in force, JSON-friendly, for the manifest."""
        return self.model_dump(mode="json", by_alias=True)
