"""Tiny hand-built authorities for per-rule tests.

Every test starts from ``Authority()`` — a Safeguarding service with an Assistant
Director, a Head of Service, a Group Manager, a team manager and one social worker, and
a P&Q strategic lead — and adds the auditors, cases and records its rule needs.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from caseaudit import AllocationResult, allocate, load
from caseaudit.io.tables import write_input_tables
from caseaudit.model.calendar import add_months
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.model.schema import TABLES

MONTH = "2026-03"
#: The audit year of MONTH before it: April 2025 to February 2026.
YEAR_2025 = [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02"]


#: ``make test-long`` sets CASEAUDIT_LONG=1: the slow hypothesis properties then draw their
#: full number of examples; ``make test`` draws a quarter of them (issue 23: the quick
#: suite stays within 3 minutes on 2 cores, the long one keeps the depth).
LONG = os.environ.get("CASEAUDIT_LONG") == "1"


def examples(full: int) -> int:
    """How many examples a slow property draws: ``full`` in ``make test-long``, else a
    quarter of it (at least 5)."""
    return full if LONG else max(5, full // 4)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@dataclass
class Authority:
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    config_toml: str = ""

    def __post_init__(self) -> None:
        for name in TABLES:
            self.rows.setdefault(name, [])
        self.staff("AD1", role="assistant_director", auditor=False, can_moderate=True)
        self.staff("HS1", role="head_of_service", manager="AD1", auditor=False)
        self.staff("GM1", role="group_manager", manager="HS1", auditor=False)
        self.staff("TM1", role="team_manager", team="Team 1", manager="GM1", auditor=False)
        self.staff("SW1", role="social_worker", team="Team 1", manager="TM1", auditor=False)
        self.staff(
            "SL1",
            role="strategic_lead_ipq",
            group="pq",
            service="Performance and Quality",
            auditor=False,
        )

    def staff(
        self,
        staff_id: str,
        role: str = "pq_officer",
        group: str = "csc",
        service: str = "Safeguarding",
        team: str | None = None,
        manager: str | None = None,
        auditor: bool = True,
        active_from: str | None = None,
        active_to: str | None = None,
        can_moderate: bool = False,
    ) -> Authority:
        if role == "pq_officer" and group == "csc":
            group, service = "pq", "Performance and Quality"
            manager = manager or "SL1"
        self.rows["staff"].append(
            {
                "staff_id": staff_id,
                "name": f"Staff {staff_id}",
                "email": f"{staff_id.lower()}@council.example",
                "role": role,
                "staff_group": group,
                "service": service,
                "team": team,
                "manager_id": manager,
                "is_auditor": auditor,
                "can_moderate": can_moderate,
                "active_from": day(active_from) if active_from else None,
                "active_to": day(active_to) if active_to else None,
            }
        )
        return self

    def auditors(self, *ids: str) -> Authority:
        for staff_id in ids:
            self.staff(staff_id)
        return self

    def case(
        self,
        case_id: str,
        month: str = MONTH,
        subject: str | None = None,
        service: str = "Safeguarding",
        team: str | None = "Team 1",
        worker: str = "SW1",
        manager: str | None = "TM1",
        iro: str | None = None,
        case_type: str = "child",
    ) -> Authority:
        self.rows["cases"].append(
            {
                "case_id": case_id,
                "month": month,
                "subject_id": subject or f"S-{case_id}",
                "case_type": case_type,
                "service": service,
                "team": team,
                "allocated_worker_id": worker,
                "team_manager_id": manager,
                "iro_id": iro,
            }
        )
        return self

    def history(
        self,
        month: str,
        case_id: str,
        auditor: str,
        status: str = "finalised",
        judgement: str | None = None,
        confirmed: str | None = None,
        reaudit_of: str | None = None,
        subject: str | None = None,
        suffix: str = "",
    ) -> Authority:
        self.rows["history"].append(
            {
                "audit_id": f"{month}-{case_id}{suffix}",
                "month": month,
                "case_id": case_id,
                "subject_id": subject or f"S-{case_id}",
                "auditor_id": auditor,
                "status": status,
                "overall_judgement": judgement,
                "judgement_confirmed_on": day(confirmed) if confirmed else None,
                "reaudit_of": reaudit_of,
            }
        )
        return self

    def add(self, table: str, **row: object) -> Authority:
        self.rows[table].append(
            {k: (day(v) if isinstance(v, str) and k.endswith("_on") else v) for k, v in row.items()}
        )
        return self

    def write(self, directory: Path) -> Path:
        tables = {}
        for name, rows in self.rows.items():
            if rows or TABLES[name].required_table:
                columns = TABLES[name].column_names
                tables[name] = pd.DataFrame(rows, columns=columns)
        write_input_tables(directory, tables, "csv")
        config = self.config_toml + self._empty_ledger_months()
        if config:
            (directory / "config.toml").write_text(config)
        return directory

    def _empty_ledger_months(self) -> str:
        """``[ledger] missing_months`` for the months a hand-built ledger leaves empty.

        A tiny authority's history holds only the audits its rule needs (one in 2025-10,
        say); the months between are months with no audits, which the contract (§2)
        asks to be declared. Declared here, up to the month before the latest month
        the tables name, so that the ledger-gap check stays out of the rule under test.
        """
        held = {row["month"] for row in self.rows["history"]}
        if not held or "[ledger]" in self.config_toml:
            return ""
        named = held | {row["month"] for row in self.rows["cases"]} | {MONTH}
        missing, month = [], min(held)
        while month < max(named):
            if month not in held:
                missing.append(month)
            month = add_months(month, 1)
        if not missing:
            return ""
        listed = ", ".join(f'"{month}"' for month in missing)
        return f"\n[ledger]\nmissing_months = [{listed}]\n"


def solve(authority: Authority, tmp_path: Path, month: str = MONTH) -> AllocationResult:
    """Write, load, allocate, write the outputs, and re-check them independently."""
    data_dir = authority.write(tmp_path / "data")
    result = allocate(load(data_dir, month), month)
    out_dir = tmp_path / "out"
    result.write(out_dir, force=True)
    check_independently(data_dir, out_dir, month)
    return result


def allocated(result: AllocationResult) -> dict[str, str]:
    """case_id → auditor_id."""
    frame = result.allocations
    return dict(zip(frame["case_id"], frame["auditor_id"], strict=True))


def resolve(
    authority: Authority, tmp_path: Path, previous_out: Path, month: str = MONTH, name: str = "r1"
) -> AllocationResult:
    """Re-plan the month from ``previous_out``; write and re-check it independently."""
    from caseaudit import reallocate

    data_dir = authority.write(tmp_path / f"data-{name}")
    result = reallocate(load(data_dir, month), month, previous_out)
    out_dir = tmp_path / f"out-{name}"
    result.write(out_dir, force=True)
    check_independently(data_dir, out_dir, month, previous_out)
    return result


def check_independently(
    data_dir: Path, out_dir: Path, month: str, previous_out: Path | None = None
) -> None:
    import checker

    if previous_out is None:
        checker.assert_valid_allocation(data_dir, out_dir, month)
    else:
        checker.assert_valid_reallocation(data_dir, out_dir, month, previous_out)


def declared_columns() -> dict[str, list[tuple[str, str]]]:
    """The output tables' declarations as plain (column, kind) pairs, the form in which
    ``checker.check_output_files`` takes them (the checker imports nothing of caseaudit)."""
    return {
        name: [(column.name, column.kind) for column in table.columns]
        # A column written only when the run has it (issue 21) is marked with "?".
        + [(column.name, f"?{column.kind}") for column in table.optional]
        for name, table in OUTPUT_TABLES.items()
    }
