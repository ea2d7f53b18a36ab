"""Self-test of the independent allocation checker (tests/checker.py).

One tiny authority for 2027-01 (New Year's Day is a Friday bank holiday, so the
list goes out on Monday 4 January) with an allocation written by hand. The
checker must accept it, and must reject each deliberate mutation with a
message that names the rule: a checker that cannot fail proves nothing.

The scenario, argued:
- Eligible auditors: A1, A2, A3, A4, A5, A6, GM1 = 7 (A7 starts mid-month).
  Break cap = floor(0.2 × 7) = 1. A4 already has 10 audits this audit year and
  A7 is not eligible, so their requests are not_required. A5 (on time, 10 Dec)
  is granted before A6 (on time, 20 Dec) and GM1 (late, 2 Jan): both refused.
  The cap is reached, so HOS1 and HOS2 are told; HOS3 left on 31 Dec.
- Awaiting inadequate audits: 2026-10-C3 (overdue), 2026-12-C3 (latest for C3,
  not yet due: 31 Dec + 2 months = 28 Feb, month 2027-02), 2026-10-C8 (itself a
  re-audit: escalation), 2026-11-C9 (30 Nov + 2 = 30 Jan, so month 2026-12,
  overdue; its cancelled re-audit does not count). 2026-08-C5 was moderated to
  requires_improvement; 2026-08-C6 is challenged without a decision.
- Cases needing an auditor: C1–C4 (the month's list) + C8, C9 (overdue).
  Five auditors can take one each (A4 at max, A5 on break), so one ordinary
  case, C4, is left: A2 declared a conflict with its subject.
"""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

try:  # rootdir-relative when tests/ is a plain directory, package-relative otherwise
    from checker import (
        assert_valid_allocation,
        assert_valid_reallocation,
        check_allocation,
        check_reallocation,
    )
except ImportError:  # pragma: no cover - depends on how pytest imports tests/
    from tests.checker import (
        assert_valid_allocation,
        assert_valid_reallocation,
        check_allocation,
        check_reallocation,
    )

MONTH = "2027-01"
D = date.fromisoformat

# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

STAFF_HEADER = (
    "staff_id,name,email,role,staff_group,service,team,manager_id,is_auditor,"
    "can_moderate,active_from,active_to"
)
STAFF_LINES = [
    "HOS1,Hana Ode,hos1@example.org,head_of_service,csc,Safeguarding,,AD1,no,yes,,",
    "HOS2,Ravi Shah,hos2@example.org,head_of_service,csc,Children in Care,,AD1,no,yes,,",
    "HOS3,Lou Park,hos3@example.org,head_of_service,csc,Leaving Care,,AD1,no,yes,,2026-12-31",
    "AD1,Ada Grey,ad1@example.org,assistant_director,csc,Directorate,,,no,yes,,",
    "SL1,Sol Lane,sl1@example.org,strategic_lead_ipq,pq,Performance and Quality,,AD1,no,yes,,",
    "GM1,Gia Moss,gm1@example.org,group_manager,csc,Safeguarding,,HOS1,Yes,yes,,",
    "GM2,Gus Mill,gm2@example.org,group_manager,csc,Children in Care,,HOS2,no,yes,,",
    "GM3,Gwen Marr,gm3@example.org,group_manager,csc,Leaving Care,,HOS3,no,yes,,",
    "GM4,Glen Mayo,gm4@example.org,group_manager,csc,Fostering,,AD1,no,yes,,",
    "TM1,Tia Moor,tm1@example.org,team_manager,csc,Safeguarding,Team 1,GM1,no,no,,",
    "TM2,Tom Mead,tm2@example.org,team_manager,csc,Children in Care,Team A,GM2,no,no,,",
    "TM3,Tess Mote,tm3@example.org,team_manager,csc,Leaving Care,Team B,GM3,no,no,,",
    "SW1,Sam Wade,sw1@example.org,social_worker,csc,Safeguarding,Team 1,TM1,no,no,,",
    "SW2,Sue Ward,sw2@example.org,social_worker,csc,Children in Care,Team A,TM2,no,no,,",
    "PA1,Pat Ash,pa1@example.org,personal_adviser,csc,Leaving Care,Team B,TM3,no,no,,",
    "SSW1,Syd Wolfe,ssw1@example.org,supervising_social_worker,csc,Fostering,,GM4,no,no,,",
    "IRO1,Ira Rowe,iro1@example.org,iro,csc,Children in Care,IRO Service,GM2,no,no,,",
    "A1,Al Beck,a1@example.org,pq_officer,pq,Performance and Quality,Audit,SL1,TRUE,no,,",
    "A2,Bea Cole,a2@example.org,team_manager,csc,Children in Care,Team A,GM2,1,no,,",
    " A3 , Cal Dunn ,,social_worker,csc,Safeguarding,Team 1,TM1,yes,no,2026-01-01,",
    "A4,Di Eads,a4@example.org,other,csc,Leaving Care,Team C,GM3,yes,no,,",
    "A5,Ed Finn,a5@example.org,social_worker,csc,Safeguarding,Team 2,GM1,yes,no,,",
    "A6,=Dee Fox,a6@example.org,social_worker,csc,Leaving Care,Team B,TM3,yes,no,,2027-01-31",
    "A7,Flo Gale,a7@example.org,social_worker,csc,Fostering,,GM4,yes,no,2027-01-15,",
]
STAFF = {
    line.split(",")[0].strip(): {
        "name": line.split(",")[1].strip(),
        "email": line.split(",")[2].strip() or None,
    }
    for line in STAFF_LINES
}

CASES_CSV = """\
case_id,month,subject_id,case_type,service,team,allocated_worker_id,team_manager_id,iro_id
C1,2027-01,S1,child,Safeguarding,Team 1,SW1,TM1,IRO1
C2,2027-01,S2,child,Children in Care,Team A,SW2,TM2,
C3,2027-01,S3,child,Safeguarding,Team 1,SW1,TM1,IRO1
C4,2027-01,S4,care_leaver,Leaving Care,Team B,PA1,TM3,
C3,2026-10,S3,child,Safeguarding,Team 1,SW1,TM1,IRO1
C3,2026-12,S3,child,Safeguarding,Team 1,SW1,TM1,IRO1
C5,2026-08,S5,child,Safeguarding,Team 1,SW1,TM1,
C6,2026-08,S6,child,Children in Care,Team A,SW2,TM2,
C8,2026-09,FC1,foster_carer,Fostering,,SSW1,,IRO1
C8,2026-10,FC1,foster_carer,Fostering,,SSW1,,
C9,2026-11,S9,child,Children in Care,Team A,SW2,TM2,IRO1
C7,2027-02,S7,child,Safeguarding,Team 1,SW1,TM1,
"""

BREAKS_CSV = """auditor_id,month,requested_on
A5,2027-01,2026-12-10
A6,2027-01,2026-12-20
A4,2027-01,2026-12-01
A7,2027-01,2026-12-05
GM1,2027-01,2027-01-02
A1,2027-02,2027-01-10
"""

CONFLICTS_CSV = """auditor_id,subject_id,reason
A2,S4,family friend
"""

EXEMPTIONS_CSV = """case_id,month,auditor_id,requested_on,decision,decided_by,decided_on
C2,2027-01,A1,2026-12-28,approved,SL1,2026-12-29
C4,2027-01,A3,2026-12-28,approved,SL1,2026-12-30
C1,2027-01,A6,2026-12-28,refused,AD1,2026-12-30
"""

CHALLENGES_CSV = """audit_id,raised_by,raised_on,consensus_reached
2026-08-C5,SW1,2026-08-22,false
2026-08-C6,SW2,2026-08-27,No
2026-11-C9,SW2,2026-12-02,yes
"""

MODERATIONS_CSV = """audit_id,moderator_id,assigned_on,final_judgement,decided_on
2026-08-C5,HOS2,2026-08-25,requires_improvement,2026-09-10
2026-08-C6,HOS1,2026-09-01,,
"""

CONFIG_TOML = """[policy]
max_break_fraction = 0.20
audit_year_start_month = 4

[conflicts]
same_team = true
"""


def _history_rows() -> list[dict[str, Any]]:
    def audit(audit_id, case_id, subject_id, auditor_id, status="completed", **extra):
        return {
            "audit_id": audit_id,
            "month": audit_id[:7],
            "case_id": case_id,
            "subject_id": subject_id,
            "auditor_id": auditor_id,
            "status": status,
            "overall_judgement": extra.get("judgement"),
            "judgement_confirmed_on": extra.get("confirmed"),
            "reaudit_of": extra.get("reaudit_of"),
        }

    rows = [audit("2026-03-X0", "X0", "SX0", "A4")]  # previous audit year: never counted
    for number, month in enumerate(
        ["04", "05", "06", "07", "08", "09", "10", "11", "12", "05"], start=1
    ):
        rows.append(audit(f"2026-{month}-X{number}", f"X{number}", f"SX{number}", "A4"))
    inadequate = "inadequate"
    rows += [
        audit("2026-08-C5", "C5", "S5", "A2", judgement=inadequate, confirmed=D("2026-08-20")),
        audit("2026-08-C6", "C6", "S6", "A3", judgement=inadequate, confirmed=D("2026-08-25")),
        audit("2026-09-C8", "C8", "FC1", "A1", judgement=inadequate, confirmed=D("2026-09-20")),
        audit(
            "2026-10-C8",
            "C8",
            "FC1",
            "A2",
            judgement=inadequate,
            confirmed=D("2026-10-25"),
            reaudit_of="2026-09-C8",
        ),
        audit("2026-10-C3", "C3", "S3", "A5", judgement=inadequate, confirmed=D("2026-10-30")),
        audit("2026-11-C9", "C9", "S9", "A6", judgement=inadequate, confirmed=D("2026-11-30")),
        audit("2026-12-C9", "C9", "S9", "A2", status="cancelled", reaudit_of="2026-11-C9"),
        audit("2026-12-C3", "C3", "S3", "A1", judgement=inadequate, confirmed=D("2026-12-31")),
    ]
    return rows


HISTORY_SCHEMA = pa.schema(
    [
        ("audit_id", pa.string()),
        ("month", pa.string()),
        ("case_id", pa.string()),
        ("subject_id", pa.string()),
        ("auditor_id", pa.string()),
        ("status", pa.string()),
        ("overall_judgement", pa.string()),
        ("judgement_confirmed_on", pa.date32()),
        ("reaudit_of", pa.string()),
    ]
)


def _write_data_dir(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    # staff.csv with a byte-order mark and CRLF, as Excel saves it.
    staff_text = "\r\n".join([STAFF_HEADER, *STAFF_LINES]) + "\r\n"
    (data_dir / "staff.csv").write_bytes(staff_text.encode("utf-8-sig"))
    for name, text in {
        "cases": CASES_CSV,
        "breaks": BREAKS_CSV,
        "conflicts": CONFLICTS_CSV,
        "exemptions": EXEMPTIONS_CSV,
        "challenges": CHALLENGES_CSV,
        "moderations": MODERATIONS_CSV,
    }.items():
        (data_dir / f"{name}.csv").write_text(text, encoding="utf-8")
    # history as Parquet, to exercise the other input format.
    pq.write_table(
        pa.Table.from_pylist(_history_rows(), schema=HISTORY_SCHEMA),
        data_dir / "history.parquet",
    )
    (data_dir / "config.toml").write_text(CONFIG_TOML, encoding="utf-8")


# ---------------------------------------------------------------------------
# The hand-written correct outputs
# ---------------------------------------------------------------------------

TEXT, DATE, BOOL = pa.string(), pa.date32(), pa.bool_()
OUTPUT_SCHEMAS: dict[str, pa.Schema] = {
    "allocations": pa.schema(
        [
            ("audit_id", TEXT),
            ("month", TEXT),
            ("case_id", TEXT),
            ("subject_id", TEXT),
            ("case_type", TEXT),
            ("service", TEXT),
            ("team", TEXT),
            ("auditor_id", TEXT),
            ("auditor_name", TEXT),
            ("auditor_email", TEXT),
            ("allocated_worker_id", TEXT),
            ("team_manager_id", TEXT),
            ("iro_id", TEXT),
            ("group_manager_id", TEXT),
            ("distributed_on", DATE),
            ("due_on", DATE),
            ("is_reaudit", BOOL),
            ("reaudit_of", TEXT),
            ("reason", TEXT),
        ]
    ),
    "unallocated": pa.schema(
        [("case_id", TEXT), ("month", TEXT), ("subject_id", TEXT), ("reason", TEXT)]
    ),
    "break_decisions": pa.schema(
        [
            ("auditor_id", TEXT),
            ("month", TEXT),
            ("requested_on", DATE),
            ("on_time", BOOL),
            ("decision", TEXT),
        ]
    ),
    "notifications": pa.schema(
        [("recipient_id", TEXT), ("kind", TEXT), ("month", TEXT), ("detail", TEXT)]
    ),
    "reaudit_schedule": pa.schema(
        [
            ("audit_id", TEXT),
            ("case_id", TEXT),
            ("subject_id", TEXT),
            ("confirmed_on", DATE),
            ("reflection_meeting_by", DATE),
            ("review_meeting_on", DATE),
            ("reaudit_deadline", DATE),
            ("reaudit_month", TEXT),
            ("escalation", TEXT),
            ("head_of_service_id", TEXT),
        ]
    ),
}

CASE_DETAILS = {
    # case_id: subject, type, service, team, worker, team manager, IRO, group manager
    "C1": ("S1", "child", "Safeguarding", "Team 1", "SW1", "TM1", "IRO1", "GM1"),
    "C2": ("S2", "child", "Children in Care", "Team A", "SW2", "TM2", None, "GM2"),
    "C3": ("S3", "child", "Safeguarding", "Team 1", "SW1", "TM1", "IRO1", "GM1"),
    "C4": ("S4", "care_leaver", "Leaving Care", "Team B", "PA1", "TM3", None, "GM3"),
    "C8": ("FC1", "foster_carer", "Fostering", None, "SSW1", None, None, None),
    "C9": ("S9", "child", "Children in Care", "Team A", "SW2", "TM2", "IRO1", "GM2"),
}


def _allocation(case_id: str, auditor_id: str, reaudit_of: str | None = None) -> dict[str, Any]:
    subject, case_type, service, team, worker, manager, iro, group = CASE_DETAILS[case_id]
    return {
        "audit_id": f"{MONTH}-{case_id}",
        "month": MONTH,
        "case_id": case_id,
        "subject_id": subject,
        "case_type": case_type,
        "service": service,
        "team": team,
        "auditor_id": auditor_id,
        "auditor_name": STAFF[auditor_id]["name"],
        "auditor_email": STAFF[auditor_id]["email"],
        "allocated_worker_id": worker,
        "team_manager_id": manager,
        "iro_id": iro,
        "group_manager_id": group,
        "distributed_on": D("2027-01-04"),  # 1 Jan is a Friday bank holiday
        "due_on": D("2027-01-31"),
        "is_reaudit": reaudit_of is not None,
        "reaudit_of": reaudit_of,
        "reason": "Outside the case's team and line management, with the fewest audits this year.",
    }


# fmt: off
BREAK_DECISIONS = [
    # cap floor(0.2 × 7) = 1: A5 is first on time; A4 (at max) and A7 (ineligible) don't count
    ("A4", D("2026-12-01"), True, "not_required"),
    ("A5", D("2026-12-10"), True, "granted"),
    ("A6", D("2026-12-20"), True, "refused_cap"),
    ("A7", D("2026-12-05"), True, "not_required"),
    ("GM1", D("2027-01-02"), False, "refused_cap"),
]
REAUDIT_SCHEDULE = [
    # audit, case, subject, confirmed, reflection by (+5 working days),
    # review (+28 days, next working day), deadline, month, escalation, HoS
    ("2026-10-C3", "C3", "S3", "2026-10-30", "2026-11-06", "2026-11-27",
     "2026-12-30", "2026-11", "none", "HOS1"),
    # confirmed on a Sunday; review falls on Sunday 22 Nov -> Monday 23 Nov
    ("2026-10-C8", "C8", "FC1", "2026-10-25", "2026-10-30", "2026-11-23",
     "2026-12-25", "2026-11", "head_of_service_review", None),
    # review 28 Dec is Boxing Day (observed) -> 29 Dec; Nov 30 + 2 months = Jan 30
    ("2026-11-C9", "C9", "S9", "2026-11-30", "2026-12-07", "2026-12-29",
     "2027-01-30", "2026-12", "none", "HOS2"),
    # 1 Jan is a bank holiday, so 5 working days after 31 Dec is Fri 8 Jan
    ("2026-12-C3", "C3", "S3", "2026-12-31", "2027-01-08", "2027-01-28",
     "2027-02-28", "2027-02", "none", "HOS1"),
]
# fmt: on


def correct_outputs() -> dict[str, list[dict[str, Any]]]:
    return {
        "allocations": [
            _allocation("C1", "A2"),
            _allocation("C2", "GM1"),
            _allocation("C3", "A1", reaudit_of="2026-12-C3"),
            _allocation("C8", "A3", reaudit_of="2026-10-C8"),
            _allocation("C9", "A6", reaudit_of="2026-11-C9"),
        ],
        "unallocated": [
            {
                "case_id": "C4",
                "month": MONTH,
                "subject_id": "S4",
                "reason": "A2 declared a conflict with the subject; every other auditor "
                "is allocated, on break or at the yearly maximum",
            }
        ],
        "break_decisions": [
            dict(zip(("auditor_id", "requested_on", "on_time", "decision"), row, strict=True))
            for row in BREAK_DECISIONS
        ],
        "notifications": [
            {
                "recipient_id": recipient,
                "kind": "break_cap_reached",
                "month": MONTH,
                "detail": "1 of 1 audit breaks granted for 2027-01 (20% of 7 auditors)",
            }
            for recipient in ("HOS1", "HOS2")
        ],
        "reaudit_schedule": list(REAUDIT_SCHEDULE),
    }


def _schedule_row(values: tuple) -> dict[str, Any]:
    names = OUTPUT_SCHEMAS["reaudit_schedule"].names
    row = dict(zip(names, values, strict=True))
    for column in (
        "confirmed_on",
        "reflection_meeting_by",
        "review_meeting_on",
        "reaudit_deadline",
    ):
        row[column] = D(row[column])
    return row


def _csv_cell(value: Any, escape: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)  # numbers are not text: never escaped
    text = value
    if escape and text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + text
    return text


def write_outputs(
    out_dir: Path,
    outputs: dict[str, list[Any]],
    *,
    escape: bool = True,
    schemas: dict[str, pa.Schema] | None = None,
) -> Path:
    """Write every table as Parquet (real types) and CSV (escaped), plus a manifest."""
    out_dir.mkdir(parents=True, exist_ok=True)
    schemas = schemas or OUTPUT_SCHEMAS
    for name, rows in outputs.items():
        schema = schemas[name]
        if name == "break_decisions":
            rows = [{"month": MONTH, **row} for row in rows]
        if name == "reaudit_schedule":
            rows = [_schedule_row(row) if isinstance(row, tuple) else row for row in rows]
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), out_dir / f"{name}.parquet")
        with (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(schema.names)
            for row in rows:
                writer.writerow([_csv_cell(row.get(column), escape) for column in schema.names])
    manifest = {
        "tool": "caseaudit 0.1.0",
        "month": MONTH,
        "seed": 0,
        "solver": {"status": "optimal"},
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out_dir


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    _write_data_dir(path)
    return path


# ---------------------------------------------------------------------------
# The correct allocation passes
# ---------------------------------------------------------------------------


def test_correct_allocation_has_no_violations(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    assert check_allocation(data_dir, out_dir, MONTH) == []
    assert_valid_allocation(data_dir, out_dir, MONTH)


def test_extra_columns_and_other_notifications_are_allowed(data_dir: Path, tmp_path: Path) -> None:
    outputs = correct_outputs()
    outputs["notifications"].append(
        {"recipient_id": "HOS3", "kind": "reaudit_overdue", "month": MONTH, "detail": "-2 days"}
    )
    schemas = dict(OUTPUT_SCHEMAS)
    schemas["allocations"] = OUTPUT_SCHEMAS["allocations"].append(pa.field("score", pa.int64()))
    for row in outputs["allocations"]:
        row["score"] = -3
    out_dir = write_outputs(tmp_path / "out", outputs, schemas=schemas)
    assert check_allocation(data_dir, out_dir, MONTH) == []


# ---------------------------------------------------------------------------
# Every mutation is caught
# ---------------------------------------------------------------------------


def _row(outputs: dict[str, list[Any]], table: str, key: str, value: str) -> dict[str, Any]:
    return next(row for row in outputs[table] if row[key] == value)


def _assign(outputs: dict[str, list[Any]], case_id: str, auditor_id: str) -> None:
    row = _row(outputs, "allocations", "case_id", case_id)
    row.update(
        auditor_id=auditor_id,
        auditor_name=STAFF[auditor_id]["name"],
        auditor_email=STAFF[auditor_id]["email"],
    )


def _unallocate(outputs: dict[str, list[Any]], case_id: str) -> None:
    row = _row(outputs, "allocations", "case_id", case_id)
    outputs["allocations"].remove(row)
    outputs["unallocated"].append(
        {"case_id": case_id, "month": MONTH, "subject_id": row["subject_id"], "reason": "blocked"}
    )
    outputs["unallocated"].sort(key=lambda r: r["case_id"])


def _allocate_c4(outputs: dict[str, list[Any]], auditor_id: str) -> None:
    outputs["unallocated"] = [r for r in outputs["unallocated"] if r["case_id"] != "C4"]
    outputs["allocations"].append(_allocation("C4", auditor_id))
    outputs["allocations"].sort(key=lambda r: r["audit_id"])


def _same_team(o):  # A3 is in Safeguarding / Team 1, like C1
    _assign(o, "C1", "A3")
    _assign(o, "C8", "A2")


def _management_chain(o):  # GM1 manages TM1, who manages SW1
    _assign(o, "C1", "GM1")
    _assign(o, "C2", "A2")


def _declared(o):  # A2 declared a conflict with S4
    _unallocate(o, "C1")
    _allocate_c4(o, "A2")


def _exempted(o):  # SL1 approved A1's exemption for C2
    _unallocate(o, "C3")
    _assign(o, "C2", "A1")


def _granted_break(o):
    _assign(o, "C1", "A5")


def _yearly_max(o):  # A4 already has 10 audits in 2026-04..2027-03
    _assign(o, "C1", "A4")


def _monthly_max(o):
    _allocate_c4(o, "A1")


def _ineligible(o):  # A7 starts on 15 January
    _assign(o, "C1", "A7")


def _drop_due_reaudit(o):
    o["allocations"] = [r for r in o["allocations"] if r["case_id"] != "C9"]


def _drop_month_case(o):
    o["unallocated"] = []


def _both_allocated_and_unallocated(o):
    _allocate_c4(o, "A1")
    _unallocate(o, "C3")
    o["unallocated"].append(
        {"case_id": "C4", "month": MONTH, "subject_id": "S4", "reason": "again"}
    )


def _bank_holiday_distribution(o):
    for row in o["allocations"]:
        row["distributed_on"] = D("2027-01-01")


def _wrong_due_on(o):
    _row(o, "allocations", "case_id", "C2")["due_on"] = D("2027-01-29")


def _not_flagged_as_reaudit(o):  # C3 is in the list and awaits a re-audit not yet due
    _row(o, "allocations", "case_id", "C3").update(is_reaudit=False, reaudit_of=None)


def _reaudit_of_not_latest(o):
    _row(o, "allocations", "case_id", "C3")["reaudit_of"] = "2026-10-C3"


def _ordinary_case_flagged_as_reaudit(o):
    _row(o, "allocations", "case_id", "C1").update(is_reaudit=True, reaudit_of="2026-10-C3")


def _wrong_group_manager(o):
    _row(o, "allocations", "case_id", "C2")["group_manager_id"] = "HOS2"


def _wrong_case_detail(o):
    _row(o, "allocations", "case_id", "C8")["iro_id"] = "IRO1"  # the 2026-09 row, not the latest


def _wrong_audit_id(o):
    _row(o, "allocations", "case_id", "C2")["audit_id"] = "2027-01-C2-r1"


def _empty_reason(o):
    _row(o, "unallocated", "case_id", "C4")["reason"] = ""


def _break_order(o):  # the late request granted instead of the on-time one
    _row(o, "break_decisions", "auditor_id", "A5")["decision"] = "refused_cap"
    _row(o, "break_decisions", "auditor_id", "GM1")["decision"] = "granted"


def _not_required_counted(o):
    _row(o, "break_decisions", "auditor_id", "A4")["decision"] = "refused_cap"


def _missing_break_decision(o):
    o["break_decisions"] = [r for r in o["break_decisions"] if r["auditor_id"] != "A7"]


def _missing_notification(o):
    o["notifications"] = o["notifications"][:1]


def _notify_departed_head(o):
    o["notifications"].append(
        {"recipient_id": "HOS3", "kind": "break_cap_reached", "month": MONTH, "detail": "x"}
    )


def _schedule_escalation(o):
    o["reaudit_schedule"][1] = (*o["reaudit_schedule"][1][:8], "none", None)


def _schedule_review_on_bank_holiday(o):
    row = list(o["reaudit_schedule"][2])
    row[5] = "2026-12-28"
    o["reaudit_schedule"][2] = tuple(row)


def _schedule_missing_row(o):
    del o["reaudit_schedule"][0]


def _schedule_wrong_head(o):
    row = list(o["reaudit_schedule"][3])
    row[9] = "HOS2"
    o["reaudit_schedule"][3] = tuple(row)


def _unsorted(o):
    o["allocations"].reverse()


MUTATIONS: list[tuple[str, Callable[[dict[str, list[Any]]], None], str]] = [
    ("same_team", _same_team, "conflict: same_team"),
    ("management_chain", _management_chain, "conflict: management_chain"),
    ("declared", _declared, "conflict: declared"),
    ("exempted", _exempted, "conflict: exempted"),
    ("granted_break", _granted_break, "has a granted break"),
    ("yearly_max", _yearly_max, "yearly maximum"),
    ("monthly_max", _monthly_max, "monthly maximum"),
    ("ineligible", _ineligible, "not eligible"),
    ("drop_due_reaudit", _drop_due_reaudit, "case C9 (a due or overdue re-audit) is missing"),
    ("drop_month_case", _drop_month_case, "case C4 (in the 2027-01 case list) is missing"),
    ("both", _both_allocated_and_unallocated, "both allocated and unallocated"),
    (
        "bank_holiday",
        _bank_holiday_distribution,
        "distributed_on is 2027-01-01, expected 2027-01-04",
    ),
    ("due_on", _wrong_due_on, "due_on is 2027-01-29"),
    ("not_reaudit", _not_flagged_as_reaudit, "case C3 awaits a re-audit"),
    ("not_latest", _reaudit_of_not_latest, "reaudit_of 2026-12-C3"),
    ("false_reaudit", _ordinary_case_flagged_as_reaudit, "case C1 awaits no re-audit"),
    ("group_manager", _wrong_group_manager, "group_manager_id is HOS2, expected GM2"),
    ("case_detail", _wrong_case_detail, "iro_id is IRO1"),
    ("audit_id", _wrong_audit_id, "audit_id should be 2027-01-C2"),
    ("empty_reason", _empty_reason, "unallocated C4: reason is empty"),
    ("break_order", _break_order, "break_decisions GM1: decision is granted, expected refused_cap"),
    ("not_required", _not_required_counted, "expected not_required"),
    ("missing_break", _missing_break_decision, "request of A7"),
    ("missing_notification", _missing_notification, "HOS2 gets no break_cap_reached"),
    ("departed_head", _notify_departed_head, "to HOS3"),
    ("escalation", _schedule_escalation, "escalation is none, expected head_of_service_review"),
    ("review_meeting", _schedule_review_on_bank_holiday, "review_meeting_on is 2026-12-28"),
    ("schedule_row", _schedule_missing_row, "inadequate audit 2026-10-C3"),
    ("schedule_head", _schedule_wrong_head, "head_of_service_id is HOS2, expected HOS1"),
    ("unsorted", _unsorted, "rows not sorted"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in MUTATIONS],
)
def test_mutation_is_caught(
    data_dir: Path,
    tmp_path: Path,
    mutate: Callable[[dict[str, list[Any]]], None],
    expected: str,
) -> None:
    outputs = copy.deepcopy(correct_outputs())
    mutate(outputs)
    out_dir = write_outputs(tmp_path / "out", outputs)
    violations = check_allocation(data_dir, out_dir, MONTH)
    assert any(expected in violation for violation in violations), violations
    with pytest.raises(AssertionError, match="violation"):
        assert_valid_allocation(data_dir, out_dir, MONTH)


# ---------------------------------------------------------------------------
# File-level rules and config
# ---------------------------------------------------------------------------


def test_missing_formula_escaping_is_caught(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs(), escape=False)
    violations = check_allocation(data_dir, out_dir, MONTH)
    assert len(violations) == 1, violations
    assert "allocations.csv:6: auditor_name" in violations[0]
    assert "leading '" in violations[0]


def test_csv_twin_problems_are_caught(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    (out_dir / "notifications.csv").unlink()
    lines = (out_dir / "break_decisions.csv").read_text(encoding="utf-8").splitlines()
    (out_dir / "break_decisions.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    (out_dir / "unallocated.csv").write_text("", encoding="utf-8")
    violations = "\n".join(check_allocation(data_dir, out_dir, MONTH))
    assert "notifications.csv (the CSV twin of the Parquet file) is missing" in violations
    assert "break_decisions.csv: 4 row(s) but break_decisions.parquet has 5" in violations
    assert "unallocated.csv: no header row" in violations


def test_empty_table_keeps_header_and_types(data_dir: Path, tmp_path: Path) -> None:
    """An empty CSV still has its header; an empty Parquet still has real types."""
    outputs = correct_outputs()
    outputs["unallocated"] = []
    out_dir = write_outputs(tmp_path / "out", outputs)
    violations = check_allocation(data_dir, out_dir, MONTH)
    assert violations == [
        "coverage: case C4 (in the 2027-01 case list) is missing from both allocations and "
        "unallocated"
    ]


def test_wrong_parquet_types_and_columns_are_caught(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    decisions = pq.read_table(out_dir / "break_decisions.parquet")
    position = decisions.schema.get_field_index("requested_on")
    as_timestamps = decisions.schema.set(position, pa.field("requested_on", pa.timestamp("s")))
    pq.write_table(decisions.cast(as_timestamps), out_dir / "break_decisions.parquet")
    unallocated = pq.read_table(out_dir / "unallocated.parquet")
    swapped = unallocated.select(["month", "case_id", "subject_id", "reason"])
    pq.write_table(swapped, out_dir / "unallocated.parquet")
    violations = "\n".join(check_allocation(data_dir, out_dir, MONTH))
    assert "break_decisions.parquet: column requested_on has type timestamp" in violations
    assert "unallocated: columns must start with" in violations


def test_missing_manifest_is_caught(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    (out_dir / "manifest.json").write_text(json.dumps({"month": "2026-12"}), encoding="utf-8")
    violations = check_allocation(data_dir, out_dir, MONTH)
    assert "manifest: no key naming the status" in violations
    assert "manifest: no key naming the seed" in violations
    assert "manifest: month is '2026-12', expected '2027-01'" in violations
    (out_dir / "manifest.json").unlink()
    assert any("manifest.json is missing" in v for v in check_allocation(data_dir, out_dir, MONTH))


def test_config_overrides_are_applied(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    # No breaks at all: A5's request is refused, and nobody should be notified.
    no_breaks = check_allocation(data_dir, out_dir, MONTH, {"policy": {"max_break_fraction": 0}})
    assert any("A5: decision is granted, expected refused_cap" in v for v in no_breaks)
    assert any("unexpected break_cap_reached notification to HOS1" in v for v in no_breaks)
    # Without the same-team rule the mutated same-team allocation is acceptable.
    outputs = copy.deepcopy(correct_outputs())
    _same_team(outputs)
    mutated = write_outputs(tmp_path / "mutated", outputs)
    assert check_allocation(data_dir, mutated, MONTH, {"conflicts": {"same_team": False}}) == []


def test_config_toml_is_read(data_dir: Path, tmp_path: Path) -> None:
    out_dir = write_outputs(tmp_path / "out", correct_outputs())
    # Two a year: A1 already has two audits this audit year, so a third is one too many.
    (data_dir / "config.toml").write_text("[policy]\nmax_audits_per_year = 2\n", encoding="utf-8")
    violations = check_allocation(data_dir, out_dir, MONTH)
    assert any("auditor A1 would have 3 audits" in v for v in violations), violations


# ---------------------------------------------------------------------------
# reallocate (issue 3): the plan above is the previous plan of a re-plan
# ---------------------------------------------------------------------------
#
# Since the plan above was made:
# - A3 leaves on 20 January (no longer eligible), so C8 must move. The previous plan
#   was itself a reallocation for C8 (2027-01-C8-r1), so the move makes it -r2.
# - C1 left the month's sample: dropped (A2 no longer holds it).
# - A8, A9, A10, A11 joined: eligible are A1, A2, A4, A5, A6, GM1, A8–A11 = 10, so the
#   cap is floor(0.2 × 10) = 2. The previous decisions stand (A5 granted; A6 and GM1
#   refused although there would now be room; A4, A7 not_required). The late requests
#   new since then, A2 (5 Jan) then A8 (6 Jan), are decided after them: A2 granted
#   (1 + 0 < 2), A8 refused_cap (1 + 1 = 2). 2 granted ≥ cap 2: HOS1 and HOS2 are told.
# - A1's exemption for C2, approved by SL1 (pq auditor, strategic lead), is honoured:
#   A1 may hold no audit at all in January, so C3 (a re-audit) moves from A1: -r1.
#   A9's new exemption for C3 is only pending; A3's for C4 was approved by the wrong
#   role (csc needs the assistant director); A6's for C1 was refused.
# - New plan: C2 GM1 and C9 A6 unchanged (ids kept); C3 -> A8 (pq, Audit team),
#   C8 -> A9 (Fostering, no team; not above SSW1), C4 -> A10 (Leaving Care Team C, not
#   Team B; A2, who declared a conflict with S4, is on break anyway).

REALLOCATION_STAFF_LINES = [
    line + "2027-01-20" if line.startswith(" A3 ") else line  # A3 leaves on 20 January
    for line in STAFF_LINES
] + [
    "A8,Hal Ince,a8@example.org,pq_officer,pq,Performance and Quality,Audit,SL1,yes,no,,",
    "A9,Ivy Jay,a9@example.org,supervising_social_worker,csc,Fostering,,GM4,yes,no,,",
    "A10,Jo Kemp,,social_worker,csc,Leaving Care,Team C,GM3,yes,no,2027-01-01,",
    "A11,Kit Lamb,a11@example.org,social_worker,csc,Children in Care,Team C,GM2,yes,no,,",
]
REALLOCATION_STAFF = {
    line.split(",")[0].strip(): {
        "name": line.split(",")[1].strip(),
        "email": line.split(",")[2].strip() or None,
    }
    for line in REALLOCATION_STAFF_LINES
}
REALLOCATION_BREAKS_CSV = (
    BREAKS_CSV + "A8,2027-01,2027-01-06\nA2,2027-01,2027-01-05\n"  # new since the plan
)
REALLOCATION_EXEMPTIONS_CSV = EXEMPTIONS_CSV + "C3,2027-01,A9,2027-01-05,pending,,\n"

CHANGE_COLUMNS = (
    "audit_id",
    "previous_audit_id",
    "case_id",
    "previous_auditor_id",
    "new_auditor_id",
    "reason",
)
REALLOCATION_SCHEMAS: dict[str, pa.Schema] = {
    **OUTPUT_SCHEMAS,
    "changes": pa.schema([(column, TEXT) for column in CHANGE_COLUMNS]),
    "exemption_decisions": pa.schema(
        [
            ("case_id", TEXT),
            ("month", TEXT),
            ("auditor_id", TEXT),
            ("requested_on", DATE),
            ("decision", TEXT),
            ("decided_by", TEXT),
            ("honoured", BOOL),
            ("reason", TEXT),
        ]
    ),
}


def _write_reallocation_data_dir(data_dir: Path) -> None:
    _write_data_dir(data_dir)
    staff_text = "\n".join([STAFF_HEADER, *REALLOCATION_STAFF_LINES]) + "\n"
    (data_dir / "staff.csv").write_text(staff_text, encoding="utf-8")
    # C1 left January's sample (its row now says November: a known case, not in m).
    cases = CASES_CSV.replace("C1,2027-01,", "C1,2026-11,")
    (data_dir / "cases.csv").write_text(cases, encoding="utf-8")
    (data_dir / "breaks.csv").write_text(REALLOCATION_BREAKS_CSV, encoding="utf-8")
    (data_dir / "exemptions.csv").write_text(REALLOCATION_EXEMPTIONS_CSV, encoding="utf-8")


def previous_plan() -> dict[str, list[dict[str, Any]]]:
    """The plan above, as an earlier reallocation had left it (C8 already moved once)."""
    outputs = correct_outputs()
    _row(outputs, "allocations", "case_id", "C8")["audit_id"] = f"{MONTH}-C8-r1"
    return outputs


def _reallocated(case_id: str, auditor_id: str, audit_id: str, reaudit_of: str | None = None):
    row = _allocation(case_id, "A1", reaudit_of)  # then the auditor, from the new staff
    row.update(
        audit_id=audit_id,
        auditor_id=auditor_id,
        auditor_name=REALLOCATION_STAFF[auditor_id]["name"],
        auditor_email=REALLOCATION_STAFF[auditor_id]["email"],
    )
    return row


def _change(audit_id, previous_audit_id, case_id, previous_auditor_id, new_auditor_id, reason):
    values = (audit_id, previous_audit_id, case_id, previous_auditor_id, new_auditor_id, reason)
    return dict(zip(CHANGE_COLUMNS, values, strict=True))


def _exemption(case_id, auditor_id, requested_on, decision, decided_by, honoured, reason):
    return {
        "case_id": case_id,
        "month": MONTH,
        "auditor_id": auditor_id,
        "requested_on": D(requested_on),
        "decision": decision,
        "decided_by": decided_by,
        "honoured": honoured,
        "reason": reason,
    }


HANDED = D("2027-01-21")


def correct_reallocation() -> dict[str, list[Any]]:
    outputs = correct_outputs()
    outputs.update(
        allocations=[
            _reallocated("C2", "GM1", f"{MONTH}-C2"),
            # Issue 20: the moved and added audits are handed out on one day, the first
            # working day after the latest decision the re-plan acts on: A3 leaves on
            # Wednesday 20 January, so Thursday 21 January (A2's break was asked on the
            # 5th, A1's exemption decided earlier).
            {**_reallocated("C3", "A8", f"{MONTH}-C3-r1", "2026-12-C3"), "distributed_on": HANDED},
            {**_reallocated("C4", "A10", f"{MONTH}-C4"), "distributed_on": HANDED},
            {**_reallocated("C8", "A9", f"{MONTH}-C8-r2", "2026-10-C8"), "distributed_on": HANDED},
            _reallocated("C9", "A6", f"{MONTH}-C9", reaudit_of="2026-11-C9"),
        ],
        unallocated=[],
        break_decisions=[
            {
                "auditor_id": "A2",
                "requested_on": D("2027-01-05"),
                "on_time": False,
                "decision": "granted",
            },
            *[row for row in outputs["break_decisions"] if row["auditor_id"] != "GM1"],
            {
                "auditor_id": "A8",
                "requested_on": D("2027-01-06"),
                "on_time": False,
                "decision": "refused_cap",
            },
            _row(outputs, "break_decisions", "auditor_id", "GM1"),
        ],
        changes=[
            _change(None, f"{MONTH}-C1", "C1", "A2", None, "no longer in the month's sample"),
            _change(
                f"{MONTH}-C3-r1",
                f"{MONTH}-C3",
                "C3",
                "A1",
                "A8",
                "A1's exemption for C2 is honoured: no audit for A1 this month",
            ),
            _change(f"{MONTH}-C4", None, "C4", None, "A10", "A10 joined and has no conflict"),
            _change(
                f"{MONTH}-C8-r2", f"{MONTH}-C8-r1", "C8", "A3", "A9", "A3 leaves on 20 January"
            ),
        ],
        exemption_decisions=[
            _exemption(
                "C1",
                "A6",
                "2026-12-28",
                "refused",
                "AD1",
                False,
                f"refused by AD1; C1 is not in {MONTH}'s sample, so there is no audit of it",
            ),
            _exemption(
                "C2",
                "A1",
                "2026-12-28",
                "approved",
                "SL1",
                True,
                "approved by SL1: honoured; A1 gets no audit this month; C2 is allocated to GM1",
            ),
            _exemption(
                "C3",
                "A9",
                "2027-01-05",
                "pending",
                None,
                False,
                "pending; C3 is allocated to A8; A9 audits C8 this month",
            ),
            _exemption(
                "C4",
                "A3",
                "2026-12-28",
                "approved",
                "SL1",
                False,
                "approved by the wrong role: csc needs the assistant director; C4 is allocated "
                "to A10",
            ),
        ],
    )
    return outputs


@pytest.fixture
def reallocation_dirs(tmp_path: Path) -> tuple[Path, Path]:
    """(the data as they are now, the previous plan)."""
    data = tmp_path / "data-now"
    _write_reallocation_data_dir(data)
    previous = write_outputs(tmp_path / "previous", previous_plan())
    return data, previous


def _write_reallocation(out_dir: Path, outputs: dict[str, list[Any]]) -> Path:
    return write_outputs(out_dir, outputs, schemas=REALLOCATION_SCHEMAS)


def test_correct_reallocation_has_no_violations(
    reallocation_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    data, previous = reallocation_dirs
    out_dir = _write_reallocation(tmp_path / "out", correct_reallocation())
    assert check_reallocation(data, out_dir, MONTH, previous) == []
    assert_valid_reallocation(data, out_dir, MONTH, previous)


def test_allocate_checker_is_unchanged_by_reallocation_outputs(
    data_dir: Path, tmp_path: Path
) -> None:
    """check_allocation reads only the allocate tables, and still allows A1's C3 re-audit."""
    outputs = correct_outputs()
    out_dir = write_outputs(tmp_path / "out", outputs)
    assert check_allocation(data_dir, out_dir, MONTH) == []


def _exempted_auditor_kept(o):  # A1 is exempted (for C2) yet keeps C3 with its old id
    _row(o, "allocations", "case_id", "C3").update(
        audit_id=f"{MONTH}-C3",
        auditor_id="A1",
        auditor_name="Al Beck",
        auditor_email="a1@example.org",
    )
    o["changes"] = [r for r in o["changes"] if r["case_id"] != "C3"]


def _leaver_kept(o):  # A3 leaves on 20 January: not eligible for the whole month
    _row(o, "allocations", "case_id", "C8").update(
        audit_id=f"{MONTH}-C8-r1", auditor_id="A3", auditor_name="Cal Dunn", auditor_email=None
    )
    o["changes"] = [r for r in o["changes"] if r["case_id"] != "C8"]


def _unmoved_id_changed(o):
    _row(o, "allocations", "case_id", "C9")["audit_id"] = f"{MONTH}-C9-r1"


def _moved_without_suffix(o):
    _row(o, "allocations", "case_id", "C3")["audit_id"] = f"{MONTH}-C3"
    _row(o, "changes", "case_id", "C3")["audit_id"] = f"{MONTH}-C3"
    o["changes"].sort(key=lambda r: (r["audit_id"] or "", r["previous_audit_id"] or ""))


def _suffix_not_incremented(o):  # C8 was -r1 in the previous plan
    _row(o, "allocations", "case_id", "C8")["audit_id"] = f"{MONTH}-C8-r1"
    _row(o, "changes", "case_id", "C8")["audit_id"] = f"{MONTH}-C8-r1"


def _granted_break_revoked(o):  # the cap of 2 would still hold with A2 and A8
    _row(o, "break_decisions", "auditor_id", "A5")["decision"] = "refused_cap"
    _row(o, "break_decisions", "auditor_id", "A8")["decision"] = "granted"


def _refusal_redecided(o):  # there is room now, but a refusal stands
    _row(o, "break_decisions", "auditor_id", "A6")["decision"] = "granted"


def _new_request_over_cap(o):
    _row(o, "break_decisions", "auditor_id", "A8")["decision"] = "granted"


def _missing_change(o):
    o["changes"] = [r for r in o["changes"] if r["case_id"] != "C4"]


def _change_for_unchanged(o):
    o["changes"].append(_change(f"{MONTH}-C9", f"{MONTH}-C9", "C9", "A6", "A6", "kept"))


def _dropped_change_names_auditor(o):
    _row(o, "changes", "case_id", "C1")["new_auditor_id"] = "A2"


def _empty_change_reason(o):
    _row(o, "changes", "case_id", "C8")["reason"] = ""


def _wrong_honoured(o):
    _row(o, "exemption_decisions", "auditor_id", "A9")["honoured"] = True


def _wrong_role_honoured(o):
    _row(o, "exemption_decisions", "auditor_id", "A3")["honoured"] = True


def _missing_exemption_decision(o):
    o["exemption_decisions"] = [r for r in o["exemption_decisions"] if r["case_id"] != "C1"]


def _missing_cap_notification(o):
    o["notifications"] = []


REALLOCATION_MUTATIONS: list[tuple[str, Callable[[dict[str, list[Any]]], None], str]] = [
    ("exempted_auditor", _exempted_auditor_kept, "auditor A1 holds an honoured exemption"),
    ("leaver_kept", _leaver_kept, "auditor A3 is not eligible in 2027-01"),
    ("unmoved_id", _unmoved_id_changed, "audit_id should be 2027-01-C9 for case C9: A6 still"),
    ("moved_no_suffix", _moved_without_suffix, "audit_id should be 2027-01-C3-r1"),
    ("suffix_k", _suffix_not_incremented, "audit_id should be 2027-01-C8-r2"),
    (
        "break_revoked",
        _granted_break_revoked,
        "break_decisions A5: decision is refused_cap, expected granted (the previous plan's",
    ),
    ("refusal_redecided", _refusal_redecided, "A6: decision is granted, expected refused_cap"),
    ("new_over_cap", _new_request_over_cap, "A8: decision is granted, expected refused_cap"),
    ("missing_change", _missing_change, "changes: case C4 (added: <empty> -> A10) has no row"),
    ("unchanged_change", _change_for_unchanged, "changes C9: the allocation did not change"),
    ("dropped_auditor", _dropped_change_names_auditor, "new_auditor_id is A2, expected <empty>"),
    ("change_reason", _empty_change_reason, "changes C8: reason is empty"),
    ("honoured", _wrong_honoured, "C3/A9: honoured is true, expected false"),
    ("wrong_role", _wrong_role_honoured, "C4/A3: honoured is true, expected false"),
    ("missing_exemption", _missing_exemption_decision, "exemption of A6 for case C1"),
    ("cap_notification", _missing_cap_notification, "HOS1 gets no break_cap_reached"),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in REALLOCATION_MUTATIONS],
)
def test_reallocation_mutation_is_caught(
    reallocation_dirs: tuple[Path, Path],
    tmp_path: Path,
    mutate: Callable[[dict[str, list[Any]]], None],
    expected: str,
) -> None:
    data, previous = reallocation_dirs
    outputs = copy.deepcopy(correct_reallocation())
    mutate(outputs)
    out_dir = _write_reallocation(tmp_path / "out", outputs)
    violations = check_reallocation(data, out_dir, MONTH, previous)
    assert any(expected in violation for violation in violations), violations
    with pytest.raises(AssertionError, match="violation"):
        assert_valid_reallocation(data, out_dir, MONTH, previous)


def test_reallocation_needs_its_extra_tables_and_the_previous_plan(
    reallocation_dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    data, previous = reallocation_dirs
    outputs = correct_reallocation()
    del outputs["changes"]
    out_dir = _write_reallocation(tmp_path / "out", outputs)
    assert check_reallocation(data, out_dir, MONTH, previous) == [
        f"changes: changes.parquet is missing from {out_dir}"
    ]
    (previous / "break_decisions.parquet").unlink()
    assert check_reallocation(data, out_dir, MONTH, previous) == [
        f"previous plan: break_decisions.parquet is missing from {previous}"
    ]


def test_plan_kept_as_is_is_caught(data_dir: Path, tmp_path: Path) -> None:
    """Unchanged data, plan kept as is: allocate allowed A1 (exempted for C2 only) to keep
    C3, but a reallocation gives A1 no audit at all; ids and changes are otherwise fine."""
    previous = write_outputs(tmp_path / "previous", correct_outputs())
    outputs = correct_outputs()
    outputs["changes"] = []
    outputs["exemption_decisions"] = []
    out_dir = _write_reallocation(tmp_path / "out", outputs)
    violations = "\n".join(check_reallocation(data_dir, out_dir, MONTH, previous))
    assert "auditor A1 holds an honoured exemption (case C2, approved by SL1)" in violations
    assert "exemption of A1 for case C2 in 2027-01 has no row" in violations
    assert "audit_id" not in violations  # unchanged (case, auditor) keeps its id
    assert "changes C" not in violations and "changes: case" not in violations
