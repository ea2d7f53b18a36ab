"""Input validation (contract §1–3): every kind of input error, located exactly.

Each test builds a tiny data directory in ``tmp_path`` from CSV text, breaks one thing,
and checks the located issue ``file:line: column: message`` that ``caseaudit.load``
reports: the file, the spreadsheet line (header = 1; Parquet row index + 2), the column
(``-`` when none applies) and a key phrase of the message.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import caseaudit
from caseaudit import InputError, InputIssue

MONTH = "2026-03"

# The tiny authority of the brief. Lines as a spreadsheet shows them:
# 1 header, 2 AD1, 3 HS1, 4 GM1, 5 TM1, 6 TM2, 7 SW1, 8 PQ1, 9 SL1.
STAFF = """\
staff_id,name,email,role,staff_group,service,team,manager_id,is_auditor,can_moderate,active_from,active_to
AD1,Ann Director,,assistant_director,csc,Safeguarding,,,false,true,,
HS1,Head One,,head_of_service,csc,Safeguarding,,AD1,TRUE,true,,
GM1,Group One,,group_manager,csc,Safeguarding,,HS1,yes,false,,
TM1,Team Manager 1,,team_manager,csc,Safeguarding,Team 1,GM1,true,,,
TM2,Team Manager 2,,team_manager,csc,Safeguarding,Team 2,GM1,true,,,
SW1,Worker 1,,social_worker,csc,Safeguarding,Team 1,TM1,false,,,
PQ1,Officer 1,pq1@x,pq_officer,pq,Performance and Quality,,SL1,true,,,
SL1,Lead,,strategic_lead_ipq,pq,Performance and Quality,,,false,,,
"""
CASES = """\
case_id,month,subject_id,case_type,service,team,allocated_worker_id,team_manager_id,iro_id
C1,2026-03,P1,child,Safeguarding,Team 1,SW1,TM1,
C2,2026-03,P2,child,Safeguarding,Team 1,SW1,TM1,
"""
# Every optional table, valid and consistent with the above (history of earlier months).
BREAKS = """\
auditor_id,month,requested_on
TM2,2026-03,2026-02-10
"""
CONFLICTS = """\
auditor_id,subject_id,reason
PQ1,P2,neighbour
"""
EXEMPTIONS = """\
case_id,month,auditor_id,requested_on,decision,decided_by,decided_on
C1,2026-03,TM2,2026-02-20,pending,AD1,
"""
HISTORY = """\
audit_id,month,case_id,subject_id,auditor_id,status,overall_judgement,judgement_confirmed_on,reaudit_of,completed_on,returned_on,finalised_on,actions_completed_on
2026-01-C1,2026-01,C1,P1,PQ1,finalised,good,2026-01-20,,2026-01-15,,2026-01-20,
2026-02-C2,2026-02,C2,P2,TM2,finalised,good,2026-02-20,,2026-02-18,,2026-02-20,
"""
CHALLENGES = """\
audit_id,raised_by,raised_on,consensus_reached
2026-02-C2,TM1,2026-02-22,false
"""
MODERATIONS = """\
audit_id,moderator_id,assigned_on,final_judgement,decided_on
2026-02-C2,HS1,2026-02-25,good,2026-02-27
"""
OUTCOMES = """\
audit_id,domain,rating
2026-02-C2,D1 Voice and lived experience of the child,met
"""
BREAK_PREFERENCES = """\
auditor_id,month,rank
TM2,2026-06,1
"""
MINIMAL = {"staff": STAFF, "cases": CASES}
FULL = {
    **MINIMAL,
    "breaks": BREAKS,
    "conflicts": CONFLICTS,
    "exemptions": EXEMPTIONS,
    "history": HISTORY,
    "challenges": CHALLENGES,
    "moderations": MODERATIONS,
    "outcomes": OUTCOMES,
    "break_preferences": BREAK_PREFERENCES,
}


def write_dir(root: Path, tables: dict[str, str], config: str | None = None) -> Path:
    """A data directory with ``<name>.csv`` for each table (and ``config.toml``)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (root / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    if config is not None:
        (root / "config.toml").write_text(config, encoding="utf-8")
    return root


def set_cell(text: str, line: int, column: str, value: str) -> str:
    """``text`` with the cell at spreadsheet ``line`` and ``column`` replaced."""
    rows = list(csv.reader(io.StringIO(text)))
    rows[line - 1][rows[0].index(column)] = value
    return to_csv(rows)


def add_rows(text: str, *rows: str) -> str:
    return text + "".join(f"{row}\n" for row in rows)


def to_csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def drop_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    index = rows[0].index(column)
    return to_csv([row[:index] + row[index + 1 :] for row in rows])


def set_column(text: str, column: str, value: str) -> str:
    """``text`` with every cell of ``column`` (below the header) replaced by ``value``."""
    rows = list(csv.reader(io.StringIO(text)))
    index = rows[0].index(column)
    return to_csv([rows[0], *[[*r[:index], value, *r[index + 1 :]] for r in rows[1:]]])


def load_issues(data_dir: Path, month: str | None = None) -> list[InputIssue]:
    with pytest.raises(InputError) as caught:
        caseaudit.load(data_dir, month)
    issues = caught.value.issues
    assert issues, "InputError without issues"
    assert all(isinstance(i, InputIssue) for i in issues)
    return issues


def the_issue(issues: list[InputIssue]) -> InputIssue:
    """The single issue reported (an extra, unrelated issue would be noise)."""
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def assert_located(issue: InputIssue, file: str, line: int, column: str, *phrases: str) -> None:
    assert (issue.file, issue.line, issue.column) == (file, line, column), str(issue)
    for phrase in phrases:
        assert phrase in issue.message, str(issue)
    assert str(issue) == f"{file}:{line}: {column}: {issue.message}"


# --- the fixtures themselves are valid --------------------------------------------------


def test_the_minimal_and_full_fixtures_are_valid(tmp_path: Path) -> None:
    for name, tables in (("minimal", MINIMAL), ("full", FULL)):
        data = caseaudit.load(write_dir(tmp_path / name, tables), MONTH)
        assert len(data["staff"]) == 8
        assert len(data["cases"]) == 2


def test_the_brief_example_allocates_both_cases(tmp_path: Path) -> None:
    result = caseaudit.allocate(write_dir(tmp_path, MINIMAL), MONTH)
    assert len(result.allocations) == 2
    assert result.unallocated.empty


# --- files and columns ------------------------------------------------------------------


def test_missing_required_table(tmp_path: Path) -> None:
    issue = the_issue(load_issues(write_dir(tmp_path, {"staff": STAFF})))
    assert_located(issue, "cases.csv", 1, "-", "required table missing")


def test_missing_data_directory(tmp_path: Path) -> None:
    issue = the_issue(load_issues(tmp_path / "nowhere"))
    assert "not found" in issue.message


def test_both_csv_and_parquet_of_one_table(tmp_path: Path) -> None:
    data_dir = write_dir(tmp_path, MINIMAL)
    pd.read_csv(data_dir / "staff.csv", dtype=str).to_parquet(data_dir / "staff.parquet")
    issue = the_issue(load_issues(data_dir))
    assert_located(issue, "staff.csv", 1, "-", "staff.csv", "staff.parquet")


def test_missing_required_column_is_on_line_1(tmp_path: Path) -> None:
    staff = drop_column(STAFF, "is_auditor")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 1, "is_auditor", "required column missing")


def test_optional_cells_may_be_empty_but_the_column_must_be_there(tmp_path: Path) -> None:
    # Contract §1 "Headers" (issue 18): "optional" is about cells. Every cell of email and
    # can_moderate empty loads (can_moderate defaults to false); the columns left out of
    # the header are each an error at line 1, as a renamed one would silently change the
    # hand-off's e-mails or who may moderate.
    emptied = set_column(set_column(STAFF, "can_moderate", ""), "email", "")
    data = caseaudit.load(write_dir(tmp_path / "empty", {**MINIMAL, "staff": emptied}), MONTH)
    assert not data["staff"]["can_moderate"].any()
    staff = drop_column(drop_column(STAFF, "can_moderate"), "email")
    issues = load_issues(write_dir(tmp_path / "absent", {**MINIMAL, "staff": staff}))
    assert [(i.file, i.line, i.column) for i in issues] == [
        ("staff.csv", 1, "can_moderate"),
        ("staff.csv", 1, "email"),
    ]
    assert all("required column missing from the header" in i.message for i in issues)


# --- cells ------------------------------------------------------------------------------


def test_bad_enum_value(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 3, "role", "boss")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 3, "role", "'boss'", "head_of_service")


def test_bad_boolean(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 5, "is_auditor", "maybe")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 5, "is_auditor", "true/false", "'maybe'")


def test_date_not_in_iso_format_names_the_format(tmp_path: Path) -> None:
    # 25/12/2026 is a UK date the contract allows (issue 18); 12/25/2026 is not a date.
    staff = set_cell(STAFF, 6, "active_from", "12/25/2026")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(
        issue, "staff.csv", 6, "active_from", "YYYY-MM-DD", "12/25/2026", "month/day/year"
    )


def test_a_uk_date_is_read_as_day_month_year(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 6, "active_from", "25/12/2026")
    data = caseaudit.load(write_dir(tmp_path, {**MINIMAL, "staff": staff}))
    assert data["staff"].set_index("staff_id").loc["TM2", "active_from"] == dt.date(2026, 12, 25)


def test_impossible_date(tmp_path: Path) -> None:
    breaks = set_cell(BREAKS, 2, "requested_on", "2026-02-30")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "breaks": breaks})))
    assert_located(issue, "breaks.csv", 2, "requested_on", "2026-02-30", "YYYY-MM-DD")


@pytest.mark.parametrize("bad_month", ["2026-13", "2026-3", "March 2026", "2026-03-01"])
def test_bad_month(tmp_path: Path, bad_month: str) -> None:
    cases = set_cell(CASES, 3, "month", bad_month)
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "cases": cases})))
    assert_located(issue, "cases.csv", 3, "month", "YYYY-MM", repr(bad_month))


@pytest.mark.parametrize(
    ("table", "line", "column"),
    [
        ("staff", 4, "name"),
        ("staff", 7, "is_auditor"),
        ("cases", 2, "allocated_worker_id"),
        ("cases", 3, "subject_id"),
        ("history", 3, "status"),
    ],
)
def test_required_value_empty(tmp_path: Path, table: str, line: int, column: str) -> None:
    tables = {**FULL, table: set_cell(FULL[table], line, column, "   ")}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, f"{table}.csv", line, column, "required value is empty")


# --- keys -------------------------------------------------------------------------------


def test_duplicate_staff_id(tmp_path: Path) -> None:
    staff = add_rows(STAFF, "TM2,Someone Else,,social_worker,csc,Safeguarding,Team 2,TM1,false,,,")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 10, "staff_id", "duplicate", "'TM2'", "line 6")


def test_duplicate_case_and_month(tmp_path: Path) -> None:
    cases = add_rows(
        CASES,
        "C1,2026-04,P1,child,Safeguarding,Team 1,SW1,TM1,",  # another month: fine
        "C1,2026-03,P1,child,Safeguarding,Team 1,SW1,TM1,",  # line 5 repeats line 2
    )
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "cases": cases})))
    assert_located(issue, "cases.csv", 5, "-", "duplicate", "'C1'", "'2026-03'", "line 2")


def test_ids_compare_after_trimming_for_keys(tmp_path: Path) -> None:
    staff = add_rows(STAFF, "  SW1 ,Worker Again,,social_worker,csc,Safeguarding,,TM1,false,,,")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 10, "staff_id", "duplicate", "'SW1'")


# --- references -------------------------------------------------------------------------

STAFF_REFERENCES = [
    ("staff", 4, "manager_id"),
    ("cases", 2, "allocated_worker_id"),
    ("cases", 3, "team_manager_id"),
    ("cases", 2, "iro_id"),
    ("breaks", 2, "auditor_id"),
    ("conflicts", 2, "auditor_id"),
    ("exemptions", 2, "auditor_id"),
    ("exemptions", 2, "decided_by"),
    ("history", 3, "auditor_id"),
    ("challenges", 2, "raised_by"),
    ("moderations", 2, "moderator_id"),
    ("break_preferences", 2, "auditor_id"),
]


@pytest.mark.parametrize(("table", "line", "column"), STAFF_REFERENCES)
def test_unknown_staff_id_reference_names_the_value(
    tmp_path: Path, table: str, line: int, column: str
) -> None:
    tables = {**FULL, table: set_cell(FULL[table], line, column, "ZZ9")}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, f"{table}.csv", line, column, "unknown staff_id", "'ZZ9'")


def test_unknown_case_id_in_exemptions(tmp_path: Path) -> None:
    tables = {**FULL, "exemptions": set_cell(EXEMPTIONS, 2, "case_id", "C77")}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, "exemptions.csv", 2, "case_id", "unknown case_id", "'C77'")


@pytest.mark.parametrize("table", ["breaks", "exemptions"])
def test_break_or_exemption_of_a_non_auditor(tmp_path: Path, table: str) -> None:
    tables = {**FULL, table: set_cell(FULL[table], 2, "auditor_id", "SW1")}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, f"{table}.csv", 2, "auditor_id", "'SW1'", "not an auditor")


@pytest.mark.parametrize("table", ["challenges", "outcomes"])
def test_audit_id_not_in_history(tmp_path: Path, table: str) -> None:
    tables = {**FULL, table: set_cell(FULL[table], 2, "audit_id", "2026-02-C9")}
    tables.pop("moderations")  # it would also lose its challenge
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, f"{table}.csv", 2, "audit_id", "unknown audit_id", "'2026-02-C9'")


def test_moderation_without_challenge(tmp_path: Path) -> None:
    # 2026-01-C1 is in history but nobody challenged it.
    tables = {**FULL, "moderations": set_cell(MODERATIONS, 2, "audit_id", "2026-01-C1")}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, "moderations.csv", 2, "audit_id", "'2026-01-C1'", "no challenge")


# --- the staff table's own rules --------------------------------------------------------


def test_management_chain_loop_is_one_issue_at_a_row_of_the_loop(tmp_path: Path) -> None:
    staff = add_rows(
        STAFF,
        "LA,Loop A,,group_manager,csc,Fostering,,LC,false,,,",  # line 10
        "LB,Loop B,,group_manager,csc,Fostering,,LA,false,,,",  # line 11
        "LC,Loop C,,group_manager,csc,Fostering,,LB,false,,,",  # line 12
        "LD,Below the loop,,team_manager,csc,Fostering,,LA,false,,,",  # leads into it
    )
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert issue.file == "staff.csv"
    assert issue.line in {10, 11, 12}
    assert issue.column == "manager_id"
    assert "loop" in issue.message
    for staff_id in ("LA", "LB", "LC"):
        assert staff_id in issue.message
    assert "LD" not in issue.message


def test_self_manager(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 6, "manager_id", "TM2")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 6, "manager_id", "'TM2'", "own manager")


def test_active_to_before_active_from(tmp_path: Path) -> None:
    staff = set_cell(set_cell(STAFF, 8, "active_from", "2026-05-01"), 8, "active_to", "2026-04-30")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 8, "active_to", "before active_from")


def test_active_for_one_day_is_fine(tmp_path: Path) -> None:
    staff = set_cell(set_cell(STAFF, 8, "active_from", "2026-05-01"), 8, "active_to", "2026-05-01")
    caseaudit.load(write_dir(tmp_path, {**MINIMAL, "staff": staff}))


# --- history ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "audit_id",
    [
        "2026-01-C2",
        "2026-02-C1",
        "C1",
        "2026-01-C1-r0",
        "2026-01-C1-r",
        "2026-01-C1-x1",
        "2026-01-C1r1",
    ],
)
def test_history_audit_id_must_be_month_and_case(tmp_path: Path, audit_id: str) -> None:
    tables = {**FULL, "history": set_cell(HISTORY, 2, "audit_id", audit_id)}
    issue = the_issue(load_issues(write_dir(tmp_path, tables)))
    assert_located(issue, "history.csv", 2, "audit_id", repr(audit_id), "'2026-01-C1'")


@pytest.mark.parametrize("audit_id", ["2026-01-C1-r1", "2026-01-C1-r2", "2026-01-C1-r12"])
def test_history_audit_id_of_a_reallocation_is_fine(tmp_path: Path, audit_id: str) -> None:
    tables = {**FULL, "history": set_cell(HISTORY, 2, "audit_id", audit_id)}
    caseaudit.load(write_dir(tmp_path, tables), MONTH)


def test_history_audit_id_of_a_case_id_with_dashes(tmp_path: Path) -> None:
    history = add_rows(HISTORY, "2026-02-C-7-r1-r2,2026-02,C-7-r1,P7,PQ1,cancelled,,,,,,,")
    caseaudit.load(write_dir(tmp_path, {**FULL, "history": history}), MONTH)


def test_inadequate_without_judgement_confirmed_on(tmp_path: Path) -> None:
    history = set_cell(HISTORY, 3, "overall_judgement", "inadequate")
    history = set_cell(history, 3, "judgement_confirmed_on", "")
    issue = the_issue(load_issues(write_dir(tmp_path, {**FULL, "history": history})))
    assert_located(issue, "history.csv", 3, "judgement_confirmed_on", "inadequate")


def test_reaudit_of_unknown_audit(tmp_path: Path) -> None:
    history = set_cell(HISTORY, 3, "reaudit_of", "2025-12-C2")
    issue = the_issue(load_issues(write_dir(tmp_path, {**FULL, "history": history})))
    assert_located(issue, "history.csv", 3, "reaudit_of", "unknown audit_id", "'2025-12-C2'")


@pytest.mark.parametrize("held_month", ["2026-03", "2026-04", "2027-01"])
def test_history_holding_the_target_month_or_later(tmp_path: Path, held_month: str) -> None:
    history = add_rows(HISTORY, f"{held_month}-C1,{held_month},C1,P1,TM2,allocated,,,,,,,")
    data_dir = write_dir(tmp_path, {**FULL, "history": history})
    caseaudit.load(data_dir)  # without a month the ledger itself is fine
    issue = the_issue(load_issues(data_dir, MONTH))
    assert_located(issue, "history.csv", 4, "month", held_month, MONTH)


def test_month_with_no_cases_and_no_due_reaudit(tmp_path: Path) -> None:
    # cases holds no month at all (a header only) and no re-audit is due: nothing to do.
    cases = CASES.splitlines()[0] + "\n"
    data_dir = write_dir(tmp_path, {**MINIMAL, "cases": cases})
    caseaudit.load(data_dir)
    issue = the_issue(load_issues(data_dir, "2026-04"))
    assert_located(issue, "cases.csv", 1, "month", "2026-04", "nothing to allocate")


def test_a_month_cases_does_not_hold_is_refused_even_with_a_due_reaudit(
    tmp_path: Path,
) -> None:
    # Inadequate confirmed 2026-02-10: deadline 2026-04-10, re-audit month 2026-03
    # (the latest month ending on or before the deadline), so overdue in 2026-04. cases
    # holds 2026-03 only: 2026-04 (a typo, or a sample not yet added) is refused, naming
    # the months it holds (contract §2, issue 18), instead of running on the re-audit.
    history = set_cell(HISTORY, 3, "overall_judgement", "inadequate")
    history = set_cell(history, 3, "judgement_confirmed_on", "2026-02-10")
    tables = {**FULL, "history": history, "challenges": CHALLENGES.replace("false", "true")}
    tables.pop("moderations")
    tables.pop("outcomes")
    data_dir = write_dir(tmp_path, tables)
    assert caseaudit.load(data_dir, "2026-03")
    issue = the_issue(load_issues(data_dir, "2026-04"))
    assert (
        str(issue) == "cases.csv:1: month: cases holds no case for month 2026-04; it holds 2026-03"
    )


# --- config.toml ------------------------------------------------------------------------


def config_issue(tmp_path: Path, config: str) -> InputIssue:
    return the_issue(load_issues(write_dir(tmp_path, MINIMAL, config)))


def test_valid_config_loads(tmp_path: Path) -> None:
    config = (
        "# the authority's settings\n"
        "[policy]\nmax_audits_per_year = 8\nmax_break_fraction = 0.25\n"
        "[conflicts]\nsame_team = false\n"
        "[solver]\ntime_limit_s = 5\n"
    )
    data = caseaudit.load(write_dir(tmp_path, MINIMAL, config), MONTH)
    assert data.config.policy.max_audits_per_year == 8
    assert data.config.conflicts.same_team is False


def test_config_unknown_section(tmp_path: Path) -> None:
    issue = config_issue(tmp_path, "[policy]\nmax_audits_per_year = 8\n\n[polcy]\nx = 1\n")
    assert_located(issue, "config.toml", 4, "polcy", "unknown section", "did you mean [policy]?")
    assert "polcy" not in issue.message  # the key is named once, in the column


def test_config_unknown_key_at_the_line_of_the_key(tmp_path: Path) -> None:
    config = "[policy]\nmax_audits_per_year = 8\n# typo below\nmax_audit_per_month = 2\n"
    issue = config_issue(tmp_path, config)
    assert_located(
        issue,
        "config.toml",
        4,
        "policy.max_audit_per_month",
        "unknown key",
        "did you mean max_audits_per_month?",
    )
    assert "max_audit_per_month" not in issue.message  # the key is named once, in the column


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"ten"', 'must be a whole number of at least 0, got "ten"'),
        ("10.5", "must be a whole number of at least 0, got 10.5"),
        ("[10]", "must be a whole number of at least 0, got [10]"),
        ("-1", "must be at least 0, got -1"),
    ],
)
def test_config_wrong_type_or_value(tmp_path: Path, value: str, message: str) -> None:
    issue = config_issue(tmp_path, f"[policy]\nmax_audits_per_year = {value}\n")
    assert str(issue) == f"config.toml:2: policy.max_audits_per_year: {message}"


def test_config_wrong_type_of_a_boolean(tmp_path: Path) -> None:
    issue = config_issue(tmp_path, "[solver]\nseed = 1\n[conflicts]\nsame_team = 3\n")
    assert str(issue) == "config.toml:4: conflicts.same_team: must be true or false, got 3"


@pytest.mark.parametrize(
    ("config", "line", "column", "message"),
    [
        (
            "[policy]\nmax_audits_per_year = true\n",
            2,
            "policy.max_audits_per_year",
            "must be a whole number of at least 0, got true",
        ),
        (
            '[policy]\nmax_audits_per_year = "10"\n',
            2,
            "policy.max_audits_per_year",
            'must be a whole number of at least 0, got "10"',
        ),
        (
            '[conflicts]\nsame_team = "no"\n',
            2,
            "conflicts.same_team",
            'must be true or false, got "no"',
        ),
    ],
)
def test_config_value_of_another_toml_type_is_not_coerced(
    tmp_path: Path, config: str, line: int, column: str, message: str
) -> None:
    issue = config_issue(tmp_path, config)
    assert str(issue) == f"config.toml:{line}: {column}: {message}"


@pytest.mark.parametrize(
    "config",
    [
        '# settings\npolicy.max_audits_per_year = "x"\n',
        '# settings\n[policy]\n"max_audit_per_year" = 3\n',
    ],
)
def test_config_dotted_or_quoted_key_is_located_at_its_line(tmp_path: Path, config: str) -> None:
    issue = config_issue(tmp_path, config)
    assert issue.line == config.count("\n"), str(issue)


def test_config_invalid_toml(tmp_path: Path) -> None:
    issue = config_issue(tmp_path, "[policy]\nmax_audits_per_year = 8\nmax_break_fraction = \n")
    assert_located(issue, "config.toml", 3, "-", "not valid TOML")


# --- many errors at once ----------------------------------------------------------------


def test_many_errors_in_one_file_are_all_reported(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 2, "role", "director")
    staff = set_cell(staff, 4, "is_auditor", "perhaps")
    staff = set_cell(staff, 5, "active_from", "1/4/2026")
    staff = set_cell(staff, 7, "name", "")
    staff = set_cell(staff, 9, "staff_group", "PQ ")
    issues = load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff}))
    located = [(i.file, i.line, i.column) for i in issues]
    assert located == [
        ("staff.csv", 2, "role"),
        ("staff.csv", 4, "is_auditor"),
        ("staff.csv", 5, "active_from"),
        ("staff.csv", 7, "name"),
        ("staff.csv", 9, "staff_group"),
    ]


def test_many_cross_row_errors_in_one_file_are_all_reported(tmp_path: Path) -> None:
    cases = add_rows(
        CASES,
        "C3,2026-03,P3,child,Safeguarding,,XX1,TM1,",
        "C4,2026-03,P4,child,Safeguarding,,SW1,XX2,XX3",
        "C2,2026-03,P2,child,Safeguarding,Team 1,SW1,TM1,",
    )
    issues = load_issues(write_dir(tmp_path, {**MINIMAL, "cases": cases}))
    assert [(i.line, i.column) for i in issues] == [
        (4, "allocated_worker_id"),
        (5, "iro_id"),
        (5, "team_manager_id"),
        (6, "-"),
    ]


def test_cell_errors_of_several_files_are_reported_together(tmp_path: Path) -> None:
    tables = {
        **FULL,
        "staff": set_cell(STAFF, 3, "role", "boss"),
        "cases": set_cell(CASES, 2, "case_type", "adult"),
        "history": set_cell(HISTORY, 2, "status", "done"),
    }
    issues = load_issues(write_dir(tmp_path, tables, "[polcy]\n"))
    assert {(i.file, i.line, i.column) for i in issues} == {
        ("staff.csv", 3, "role"),
        ("cases.csv", 2, "case_type"),
        ("history.csv", 2, "status"),
        ("config.toml", 1, "polcy"),
    }


def test_cross_table_errors_of_several_files_are_reported_together(tmp_path: Path) -> None:
    tables = {
        **FULL,
        "cases": set_cell(CASES, 3, "iro_id", "ZZ1"),
        "breaks": set_cell(BREAKS, 2, "auditor_id", "SW1"),
        "moderations": set_cell(MODERATIONS, 2, "audit_id", "2026-01-C1"),
        "staff": set_cell(STAFF, 9, "manager_id", "SL1"),
    }
    issues = load_issues(write_dir(tmp_path, tables), MONTH)
    assert {(i.file, i.line, i.column) for i in issues} == {
        ("cases.csv", 3, "iro_id"),
        ("breaks.csv", 2, "auditor_id"),
        ("moderations.csv", 2, "audit_id"),
        ("staff.csv", 9, "manager_id"),
    }


def test_cell_errors_do_not_hide_reference_errors_of_other_files(tmp_path: Path) -> None:
    tables = {
        **MINIMAL,
        "staff": set_cell(STAFF, 3, "role", "boss"),
        "cases": set_cell(CASES, 3, "iro_id", "ZZ1"),
    }
    issues = load_issues(write_dir(tmp_path, tables))
    assert {(i.file, i.line, i.column) for i in issues} == {
        ("staff.csv", 3, "role"),
        ("cases.csv", 3, "iro_id"),
    }


def test_at_most_200_issues_are_printed_but_all_are_kept(tmp_path: Path) -> None:
    # A different bad value on each row: 250 distinct messages (identical ones would fold).
    rows = [f"X{n:03},2026-03,P{n},alien{n},Safeguarding,,SW1,TM1," for n in range(250)]
    issues = load_issues(write_dir(tmp_path, {**MINIMAL, "cases": add_rows(CASES, *rows)}))
    assert len(issues) == 250
    with pytest.raises(InputError) as caught:
        caseaudit.load(tmp_path)
    printed = caught.value.lines()
    assert len(printed) == 201
    assert "50 more" in printed[-1]


# --- what a spreadsheet produces must not trip the reader --------------------------------


def excel_flavoured(text: str) -> str:
    """Pad every cell with spaces, as a hand-edited sheet might."""
    rows = list(csv.reader(io.StringIO(text)))
    return to_csv(
        [rows[0], *[[f"  {cell} " if cell else cell for cell in row] for row in rows[1:]]]
    )


def write_excel_csv(path: Path, text: str) -> None:
    """BOM, CRLF line endings and a blank trailing line."""
    path.write_bytes(b"\xef\xbb\xbf" + (text.replace("\n", "\r\n") + "\r\n").encode("utf-8"))


def test_excel_quirks_load_and_allocate_like_the_clean_data(tmp_path: Path) -> None:
    clean = write_dir(tmp_path / "clean", MINIMAL)
    # Booleans as Excel users type them: FALSE/Yes on AD1, 1 on TM1, TM2 and PQ1, No on SW1.
    staff = set_cell(set_cell(STAFF, 2, "is_auditor", "FALSE"), 2, "can_moderate", "Yes")
    for line in (5, 6, 8):
        staff = set_cell(staff, line, "is_auditor", "1")
    staff = set_cell(staff, 7, "is_auditor", "No")
    messy = tmp_path / "messy"
    messy.mkdir()
    write_excel_csv(messy / "staff.csv", excel_flavoured(staff))
    write_excel_csv(messy / "cases.csv", excel_flavoured(CASES))
    assert b"  SW1 " in (messy / "cases.csv").read_bytes()

    clean_data, messy_data = caseaudit.load(clean, MONTH), caseaudit.load(messy, MONTH)
    for table in ("staff", "cases"):
        pd.testing.assert_frame_equal(clean_data[table], messy_data[table])
    pd.testing.assert_frame_equal(
        caseaudit.allocate(clean_data, MONTH).allocations,
        caseaudit.allocate(messy_data, MONTH).allocations,
    )


def test_excel_blank_row_of_empty_cells_at_the_end_is_ignored(tmp_path: Path) -> None:
    cases = CASES + ",,,,,,,,\n"
    data = caseaudit.load(write_dir(tmp_path, {**MINIMAL, "cases": cases}), MONTH)
    assert len(data["cases"]) == 2


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("TRUE", True),
        ("True", True),
        ("yes", True),
        ("YES", True),
        ("1", True),
        ("FALSE", False),
        ("no", False),
        ("No", False),
        ("0", False),
    ],
)
def test_boolean_words(tmp_path: Path, word: str, expected: bool) -> None:
    data = caseaudit.load(
        write_dir(tmp_path, {**MINIMAL, "staff": set_cell(STAFF, 8, "is_auditor", word)})
    )
    assert data["staff"].set_index("staff_id").loc["PQ1", "is_auditor"] is expected


def test_blank_line_in_the_middle_keeps_spreadsheet_line_numbers(tmp_path: Path) -> None:
    # A spreadsheet shows the blank row as row 4, so the bad role is on row 5.
    lines = STAFF.splitlines(keepends=True)
    staff = "".join([*lines[:3], "\n", *lines[3:]])
    staff = staff.replace("GM1,Group One,,group_manager", "GM1,Group One,,boss")
    issue = the_issue(load_issues(write_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.csv", 5, "role", "'boss'")


# --- Parquet ----------------------------------------------------------------------------


def parquet_tables(tables: dict[str, str]) -> dict[str, pa.Table]:
    """The CSV fixtures as typed Arrow tables: dates as date32, booleans as bool."""
    from caseaudit.model.schema import TABLES

    kinds = {"date": pa.date32(), "bool": pa.bool_(), "int": pa.int64()}
    converted = {}
    for name, text in tables.items():
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        arrays = []
        for column in frame.columns:
            kind = TABLES[name].column(column).kind
            values = [v.strip() or None for v in frame[column]]
            if kind == "date":
                values = [None if v is None else dt.date.fromisoformat(v) for v in values]
            elif kind == "bool":
                values = [None if v is None else v.lower() in {"true", "yes", "1"} for v in values]
            elif kind == "int":
                values = [None if v is None else int(v) for v in values]
            arrays.append(pa.array(values, type=kinds.get(kind, pa.string())))
        converted[name] = pa.Table.from_arrays(arrays, names=list(frame.columns))
    return converted


def write_parquet_dir(root: Path, tables: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, table in parquet_tables(tables).items():
        pq.write_table(table, root / f"{name}.parquet")
    return root


def test_parquet_input_loads_and_allocates_like_csv(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 8, "active_from", "2025-01-01")
    staff = set_cell(staff, 8, "active_to", "2030-12-31")
    tables = {**FULL, "staff": staff}
    csv_dir = write_dir(tmp_path / "csv", tables)
    parquet_dir = write_parquet_dir(tmp_path / "parquet", tables)
    assert pq.read_schema(parquet_dir / "staff.parquet").field("active_from").type == pa.date32()
    assert pq.read_schema(parquet_dir / "staff.parquet").field("is_auditor").type == pa.bool_()

    from_csv, from_parquet = caseaudit.load(csv_dir, MONTH), caseaudit.load(parquet_dir, MONTH)
    for name in FULL:
        pd.testing.assert_frame_equal(from_csv[name], from_parquet[name], check_dtype=False)
    csv_result = caseaudit.allocate(from_csv, MONTH)
    parquet_result = caseaudit.allocate(from_parquet, MONTH)
    for name, frame in csv_result.tables.items():
        pd.testing.assert_frame_equal(frame, parquet_result.tables[name])


def test_parquet_error_is_located_at_row_index_plus_2(tmp_path: Path) -> None:
    staff = set_cell(STAFF, 5, "role", "boss")  # row index 3
    issue = the_issue(load_issues(write_parquet_dir(tmp_path, {**MINIMAL, "staff": staff})))
    assert_located(issue, "staff.parquet", 5, "role", "'boss'")


def test_parquet_cross_table_error_names_the_parquet_file(tmp_path: Path) -> None:
    cases = set_cell(CASES, 3, "allocated_worker_id", "ZZ9")  # row index 1
    issue = the_issue(load_issues(write_parquet_dir(tmp_path, {**MINIMAL, "cases": cases})))
    assert_located(issue, "cases.parquet", 3, "allocated_worker_id", "'ZZ9'")


def test_parquet_text_dates_are_checked_too(tmp_path: Path) -> None:
    data_dir = write_parquet_dir(tmp_path, MINIMAL)
    table = pq.read_table(data_dir / "staff.parquet")
    index = table.schema.get_field_index("active_from")
    dates = pa.array([None, None, "2026/12/31", *[None] * 5], type=pa.string())
    pq.write_table(table.set_column(index, "active_from", dates), data_dir / "staff.parquet")
    issue = the_issue(load_issues(data_dir))
    assert_located(issue, "staff.parquet", 4, "active_from", "YYYY-MM-DD")


def test_unreadable_parquet(tmp_path: Path) -> None:
    data_dir = write_dir(tmp_path, {"staff": STAFF})
    (data_dir / "cases.parquet").write_bytes(b"not parquet at all")
    issue = the_issue(load_issues(data_dir))
    assert_located(issue, "cases.parquet", 1, "-", "Parquet")


def write_text_parquet_dir(root: Path, tables: dict[str, str]) -> Path:
    """The CSV fixtures as Parquet tables of text, every cell as written (padding and
    empty cells kept): what the reader types once per distinct value (issue 23)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(
            table.cast(pa.schema([(n, pa.string()) for n in frame.columns])),
            root / f"{name}.parquet",
        )
    return root


def test_parquet_text_reads_as_the_same_csv(tmp_path: Path) -> None:
    # Issue 23: a Parquet column of text is typed once per distinct value (the
    # dictionary Parquet stores it as). Padded text, text dates and booleans, empty
    # optional cells: every table reads as the same cells in CSV.
    staff = set_cell(STAFF, 6, "team", "  Team 1 ")
    staff = set_cell(staff, 4, "active_from", "01/02/2026")
    tables = {**FULL, "staff": staff}
    from_csv = caseaudit.load(write_dir(tmp_path / "csv", tables), MONTH)
    from_parquet = caseaudit.load(write_text_parquet_dir(tmp_path / "parquet", tables), MONTH)
    for name in FULL:
        pd.testing.assert_frame_equal(from_csv[name], from_parquet[name])


def test_parquet_text_is_refused_as_the_same_csv(tmp_path: Path) -> None:
    # Issue 23: when a distinct value of a Parquet column needs a message, each cell is
    # read alone, as in CSV: the same messages at the same lines. An unknown role, a
    # date that is no date, a month "2026-3", an empty required subject.
    staff = set_cell(STAFF, 5, "role", "boss")
    staff = set_cell(staff, 4, "active_from", "31/02/2026")
    cases = set_cell(CASES, 3, "month", "2026-3")
    cases = set_cell(cases, 2, "subject_id", " ")
    tables = {**MINIMAL, "staff": staff, "cases": cases}
    from_csv = load_issues(write_dir(tmp_path / "csv", tables))
    from_parquet = load_issues(write_text_parquet_dir(tmp_path / "parquet", tables))

    def located(issues: list[InputIssue]) -> list[tuple[str, int, str, str]]:
        return [
            (
                i.file.replace(".parquet", ".csv"),
                i.line,
                i.column,
                i.message.replace(".parquet", ".csv"),
            )
            for i in issues
        ]

    assert len(from_csv) >= 4
    assert located(from_parquet) == located(from_csv)
