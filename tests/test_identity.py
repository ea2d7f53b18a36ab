"""Identity and references (contract §1, issue 18): one spelling of each id, service and
team, and every reference resolves.

A council's files are typed and saved by people and spreadsheets: "team 3" for "Team 3",
a non-breaking space pasted from an e-mail, a subject id whose leading zeros a
spreadsheet dropped. Each test below is one such slip on a tiny ``builders.Authority``;
before issue 18 each of them silently switched a safeguard off (exit 0, a conflicted
auditor or moderator); now the slip is read as the same value (case, spaces, Unicode
form) or refused, located, with the fix (anything else).
"""

from __future__ import annotations

import csv
import functools
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import caseaudit
from builders import MONTH, Authority, allocated, solve
from caseaudit import InputError, load
from caseaudit.cli.main import cli
from caseaudit.model.identity import Spellings, identity_key, zeros_ignored
from caseaudit.model.keys import identity_keys
from caseaudit.model.schema import TABLES

# --- the normalisation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "Team 3",
        "team 3",
        "TEAM 3 ",
        " Team\u00a03",
        "Team  3",
        "Team\u20033",
        "Ｔｅａｍ　３",
        "Team\t3",
    ],
)
def test_spellings_of_one_team_have_one_key(spelling: str) -> None:
    assert identity_key(spelling) == identity_key("Team 3") == "team 3"


@pytest.mark.parametrize("other", ["Team 03", "Team3", "Team 3a", "Team-3"])
def test_other_values_keep_their_own_key(other: str) -> None:
    assert identity_key(other) != identity_key("Team 3")


def test_the_key_is_stable_under_its_own_normalisation() -> None:
    # NFKC then case-folding can leave text that NFKC changes again ("ǅ" folds to "ǆ",
    # a compatibility ligature): the key of a key is the key.
    for text in ["ǅ", "ﬀ", "Straße", "İstanbul", "ＡＢＣ", "x\u0301"]:
        assert identity_key(identity_key(text)) == identity_key(text)


# --- (a) same team by spelling ----------------------------------------------------------


def team_three(case_team: str) -> Authority:
    """Safeguarding's Team 3 (team manager TM3, worker W3, auditor SW3, all in staff as
    "Team 3") and one case of Team 3, its team written ``case_team``. SW3 is the only
    auditor: the case is hers unless the same-team rule bars her."""
    authority = Authority()
    authority.staff("TM3", role="team_manager", team="Team 3", manager="GM1", auditor=False)
    authority.staff("W3", role="social_worker", team="Team 3", manager="TM3", auditor=False)
    authority.staff("SW3", role="social_worker", team="Team 3", manager="TM3", auditor=True)
    authority.case("C1", team=case_team, worker="W3", manager=None)
    return authority


@pytest.mark.parametrize("case_team", ["team 3", "Team\u00a03", "TEAM 3", "Ｔｅａｍ 3"])
def test_a_case_team_spelled_differently_is_still_the_auditors_own_team(
    tmp_path: Path, case_team: str
) -> None:
    # Before issue 18 the case read as another team than SW3's and went to her with the
    # reason "No conflict of interest"; the team is Team 3, so she is barred and the
    # case is unallocated (she is the only auditor), the reason naming the team as
    # staff spells it.
    result = solve(team_three(case_team), tmp_path)
    assert allocated(result) == {}
    (reason,) = result.unallocated["reason"]
    assert "same team" in reason


def test_the_case_team_is_written_as_staff_spells_it(tmp_path: Path) -> None:
    # Contract §1: outputs spell a value as its defining table does. A second auditor
    # (a P&Q officer) takes the case; the allocation's team is "Team 3", not "team 3".
    authority = team_three("team 3").auditors("P1")
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "P1"}
    assert result.allocations["team"].tolist() == ["Team 3"]


def test_a_case_team_that_is_no_team_of_its_service_lists_the_services_teams(
    tmp_path: Path,
) -> None:
    # "Team 03" is not "Team 3" once case and spaces are ignored: which team is meant is
    # a guess a safeguard depends on, so it is refused, naming the service's teams.
    data = team_three("Team 03").write(tmp_path / "data")
    with pytest.raises(InputError) as caught:
        load(data, MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("cases.csv", 2, "team")
    assert "'Team 03'" in issue.message
    assert "Safeguarding" in issue.message
    assert "Team 1, Team 3" in issue.message


def test_team_03_is_exit_2_on_the_command_line(tmp_path: Path) -> None:
    data = team_three("Team 03").write(tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["allocate", str(data), "--month", MONTH, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "cases.csv:2: team: " in result.output
    assert not out.exists()


def test_a_case_service_that_no_staff_member_has_is_refused(tmp_path: Path) -> None:
    authority = Authority().auditors("P1")
    authority.case("C1", service="Safeguard", team=None, manager=None)
    with pytest.raises(InputError) as caught:
        load(authority.write(tmp_path / "data"), MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("cases.csv", 2, "service")
    assert "'Safeguard'" in issue.message
    assert "Safeguarding" in issue.message


# --- (b) the independent moderator ------------------------------------------------------


def test_a_case_service_spelled_in_lower_case_bars_its_own_head_of_service(
    tmp_path: Path,
) -> None:
    # M1 is Safeguarding's Head of Service; the challenged case's service reads
    # "safeguarding". Before issue 18, M1 was its "independent" moderator; the service
    # is Safeguarding, so M1 is barred (as is AD1) and the audit has no moderator.
    authority = Authority()
    authority.staff("A1")
    authority.staff(
        "M1", role="head_of_service", service="Safeguarding", auditor=False, can_moderate=True
    )
    authority.case("C1", month="2026-01", service="safeguarding")
    authority.history("2026-01", "C1", "A1", status="completed")
    authority.add(
        "challenges",
        audit_id="2026-01-C1",
        raised_by="SW1",
        raised_on="2026-02-10",
        consensus_reached=False,
    )
    result = caseaudit.moderate(load(authority.write(tmp_path / "data")), "2026-02-20")
    assert result.moderation.empty
    (reason,) = result.unmoderated["reason"]
    assert "2 in the case's service (Safeguarding)" in reason


def test_connected_services_in_config_are_read_by_identity(tmp_path: Path) -> None:
    # A moderator in Fostering, which config connects with Safeguarding in lower case:
    # the connection holds, so M1 is barred.
    authority = Authority()
    authority.staff("A1")
    authority.staff(
        "M1", role="head_of_service", service="Fostering", auditor=False, can_moderate=True
    )
    authority.case("C1", month="2026-01")
    authority.history("2026-01", "C1", "A1", status="completed")
    authority.add(
        "challenges",
        audit_id="2026-01-C1",
        raised_by="SW1",
        raised_on="2026-02-10",
        consensus_reached=False,
    )
    authority.config_toml = '[moderation]\nconnected_services = [["SAFEGUARDING", "fostering"]]\n'
    result = caseaudit.moderate(load(authority.write(tmp_path / "data")), "2026-02-20")
    assert result.moderation.empty
    (reason,) = result.unmoderated["reason"]
    assert "1 in a connected service" in reason


# --- (c) declared conflicts through a spreadsheet ---------------------------------------


def conflicted(conflict_subject: str) -> Authority:
    """Child 00000597's case C1 and the only auditor P1, who declared a conflict with
    the child, the subject written ``conflict_subject`` in conflicts.csv."""
    authority = Authority().auditors("P1").case("C1", subject="00000597", manager=None)
    authority.add("conflicts", auditor_id="P1", subject_id=conflict_subject, reason="neighbour")
    return authority


def assert_leading_zero_hint(data: Path) -> None:
    with pytest.raises(InputError) as caught:
        load(data, MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("conflicts.csv", 2, "subject_id")
    assert "'597'" in issue.message
    assert "'00000597'" in issue.message
    assert "leading zeros" in issue.message
    assert "Text" in issue.message


def test_a_subject_that_lost_its_leading_zeros_is_refused_with_the_hint(tmp_path: Path) -> None:
    # Before issue 18: exit 0, and C1 went to P1, who declared a conflict with the child.
    assert_leading_zero_hint(conflicted("597").write(tmp_path / "data"))


def test_a_subject_that_lost_its_leading_zeros_is_exit_2_and_nothing_written(
    tmp_path: Path,
) -> None:
    data = conflicted("597").write(tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["allocate", str(data), "--month", MONTH, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "conflicts.csv:2: subject_id: " in result.output
    assert "leading zeros" in result.output
    assert not out.exists()


def spreadsheet_round_trip_by_hand(path: Path) -> None:
    """What Excel or LibreOffice do to a CSV opened and saved again with the default
    settings: a cell of digits is read as a number, so its leading zeros are gone, and
    the file is written back with CRLF line ends."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    saved = [
        [str(int(cell)) if cell.isdigit() and i else cell for cell in row]
        for i, row in enumerate(rows)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(saved)


def test_conflicts_saved_through_a_spreadsheet_by_hand_are_refused(tmp_path: Path) -> None:
    data = conflicted("00000597").write(tmp_path / "data")
    spreadsheet_round_trip_by_hand(data / "conflicts.csv")
    assert "597," in (data / "conflicts.csv").read_text()
    assert_leading_zero_hint(data)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_conflicts_saved_through_libreoffice_are_refused(tmp_path: Path) -> None:
    data = conflicted("00000597").write(tmp_path / "data")
    work = tmp_path / "sheet"
    work.mkdir()
    convert = ["soffice", "--headless", "--convert-to"]
    subprocess.run(
        [*convert, "xlsx", "--outdir", str(work), str(data / "conflicts.csv")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*convert, "csv", "--outdir", str(work), str(work / "conflicts.xlsx")],
        check=True,
        capture_output=True,
    )
    shutil.copy(work / "conflicts.csv", data / "conflicts.csv")
    assert_leading_zero_hint(data)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_conflicts_as_a_libreoffice_workbook_are_refused_at_the_cell(tmp_path: Path) -> None:
    # Issue 24: the workbook itself as the table. LibreOffice reads 00000597 as the number
    # 597; the reader gives it as "597" (not "597.0"), which the identity rules match.
    data = conflicted("00000597").write(tmp_path / "data")
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(data),
            str(data / "conflicts.csv"),
        ],
        check=True,
        capture_output=True,
    )
    (data / "conflicts.csv").unlink()
    with pytest.raises(InputError) as caught:
        load(data, MONTH)
    (issue,) = caught.value.issues
    assert str(issue).startswith("conflicts.xlsx:conflicts!B2: subject_id: '597' is the subject")
    assert "'00000597'" in issue.message and "leading zeros" in issue.message


@pytest.mark.parametrize("spelling", ["c00597", "C00597 ", "ｃ００５９７"])
def test_a_subject_in_another_letter_case_still_bars_the_pair(
    tmp_path: Path, spelling: str
) -> None:
    # The conflict names the child, however it is cased: P1 is barred, C1 unallocated.
    authority = Authority().auditors("P1").case("C1", subject="C00597", manager=None)
    authority.add("conflicts", auditor_id="P1", subject_id=spelling, reason="neighbour")
    result = solve(authority, tmp_path)
    assert allocated(result) == {}
    assert "declared conflict" in result.unallocated["reason"].iloc[0]


def test_a_declared_conflict_with_a_child_nowhere_in_the_data_is_refused(tmp_path: Path) -> None:
    authority = Authority().auditors("P1").case("C1", subject="C00597", manager=None)
    authority.add("conflicts", auditor_id="P1", subject_id="C00598", reason="neighbour")
    with pytest.raises(InputError) as caught:
        load(authority.write(tmp_path / "data"), MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("conflicts.csv", 2, "subject_id")
    assert "'C00598'" in issue.message
    assert "leading zeros" not in issue.message


def test_a_subject_of_the_ledger_only_may_be_declared(tmp_path: Path) -> None:
    # A child audited in an earlier month but not in this month's sample: a conflict
    # with them names a child that exists.
    authority = Authority().auditors("P1", "P2").case("C1", manager=None)
    authority.history("2026-01", "C9", "P2", subject="K-1")
    authority.add("conflicts", auditor_id="P1", subject_id="k-1", reason="neighbour")
    load(authority.write(tmp_path / "data"), MONTH)


# --- keys and references ----------------------------------------------------------------


def test_two_staff_ids_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    authority = Authority().auditors("P1", "p1").case("C1", manager=None)
    with pytest.raises(InputError) as caught:
        load(authority.write(tmp_path / "data"), MONTH)
    (issue,) = caught.value.issues
    # The builder writes staff sorted by id: AD1, GM1, HS1, P1 (line 5), SL1, SW1, TM1,
    # p1 (line 9).
    assert (issue.file, issue.line, issue.column) == ("staff.csv", 9, "staff_id")
    assert "'p1'" in issue.message and "'P1'" in issue.message and "line 5" in issue.message


def test_two_case_ids_of_one_month_that_differ_only_in_spaces_are_refused(
    tmp_path: Path,
) -> None:
    authority = Authority().auditors("P1").case("C 1", manager=None).case("C\u00a01")
    with pytest.raises(InputError) as caught:
        load(authority.write(tmp_path / "data"), MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("cases.csv", 3, "case_id")
    assert "line 2" in issue.message


def test_references_in_any_spelling_resolve_to_the_defining_table(tmp_path: Path) -> None:
    # Every reference below is written in another case or with other spaces; the plan
    # and its outputs spell each as staff and cases do.
    authority = Authority().auditors("P1", "P2")
    authority.case("C1", worker="sw1", manager="tm1")
    authority.add(
        "exemptions",
        case_id="c1",
        month=MONTH,
        auditor_id="p1",
        requested_on="2026-02-20",
        decision="approved",
        decided_by="sl1",
        decided_on="2026-02-21",
    )
    result = solve(authority, tmp_path)
    assert allocated(result) == {"C1": "P2"}
    row = result.allocations.iloc[0]
    assert (row["allocated_worker_id"], row["team_manager_id"]) == ("SW1", "TM1")


def test_a_staff_id_that_lost_its_leading_zeros_gets_the_hint(tmp_path: Path) -> None:
    authority = Authority().auditors("00042").case("C1", manager=None)
    authority.add("breaks", auditor_id="42", month=MONTH, requested_on="2026-02-10")
    with pytest.raises(InputError) as caught:
        load(authority.write(tmp_path / "data"), MONTH)
    (issue,) = caught.value.issues
    assert (issue.file, issue.line, issue.column) == ("breaks.csv", 2, "auditor_id")
    assert "'42'" in issue.message and "'00042'" in issue.message
    assert "leading zeros" in issue.message


def test_explain_finds_a_case_and_auditor_in_any_spelling(tmp_path: Path) -> None:
    authority = Authority().auditors("P1").case("C1", manager=None)
    answer = caseaudit.explain(load(authority.write(tmp_path / "data"), MONTH), MONTH, "c1", "p1")
    assert answer.pair is not None
    assert answer.pair.allowed is True


# --- properties -------------------------------------------------------------------------

#: Every column of an input table that holds an id, a service or a team.
IDENTITY_COLUMNS = {
    name: [
        c
        for c in TABLES[name].column_names
        if c.endswith("_id") or c in ("decided_by", "raised_by", "reaudit_of", "service", "team")
    ]
    for name in TABLES
}


def zero_padded() -> Authority:
    """Ids with leading zeros, each named in at least two files: P01 (staff, conflicts),
    P02 (staff, history, exemptions), P03 (staff, breaks, exemptions), C001 and C002
    (cases, exemptions; C001 also history), subjects 007 (cases, history) and 008
    (cases, conflicts), audit 2026-01-C001 (history, challenges), SW02 (staff, cases)."""
    authority = Authority().auditors("P01", "P02", "P03")
    # SW02 audits but is in the cases' team (and C001's IRO): never theirs.
    authority.staff("SW02", role="social_worker", team="Team 1", manager="TM1")
    authority.case("C001", subject="007", iro="SW02").case("C002", subject="008")
    authority.history("2026-01", "C001", "P02", subject="007")
    authority.add("conflicts", auditor_id="P01", subject_id="008", reason="neighbour")
    authority.add("breaks", auditor_id="P03", month=MONTH, requested_on="2026-02-10")
    for case_id, auditor_id in (("C001", "P02"), ("C002", "P03")):
        authority.add(
            "exemptions",
            case_id=case_id,
            month=MONTH,
            auditor_id=auditor_id,
            requested_on="2026-02-20",
            decision="pending",
        )
    authority.add(
        "challenges",
        audit_id="2026-01-C001",
        raised_by="SW1",
        raised_on="2026-02-02",
        consensus_reached=True,
    )
    return authority


def _fullwidth(text: str) -> str:
    """The fullwidth forms of ASCII (NFKC folds them back), the ideographic space too."""
    return "".join(
        "\u3000" if c == " " else chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text
    )


#: Spellings of one value that contract §1 reads as the value itself.
RESPELLINGS = {
    "upper": str.upper,
    "lower": str.lower,
    "swapcase": str.swapcase,
    "fullwidth": _fullwidth,
    "nbsp": lambda t: t.replace(" ", "\u00a0"),
    "doubled spaces": lambda t: t.replace(" ", "  "),
    "em spaces": lambda t: t.replace(" ", "\u2003 "),
    "padded": lambda t: f" {t}\u00a0",
}


def _in_file(authority: Authority, table: str, change: dict[str, str]) -> Authority:
    """``authority`` with each value of ``change`` replaced in ``table``'s identity
    columns (and nowhere else)."""
    for row in authority.rows[table]:
        for column in IDENTITY_COLUMNS[table]:
            value = row.get(column)
            if isinstance(value, str) and value in change:
                row[column] = change[value]
    return authority


def _values(authority: Authority, table: str) -> list[str]:
    return sorted(
        {
            value
            for row in authority.rows[table]
            for column in IDENTITY_COLUMNS[table]
            if isinstance(value := row.get(column), str)
        }
    )


def _pairs(result: caseaudit.AllocationResult) -> set[tuple[str, str]]:
    return set(zip(result.allocations["case_id"], result.allocations["auditor_id"], strict=True))


def _allocate(authority: Authority) -> caseaudit.AllocationResult:
    with tempfile.TemporaryDirectory() as scratch:
        data = authority.write(Path(scratch) / "data")
        # Through caseaudit.allocate, so that conftest's independent checker reads the
        # respelled files too.
        return caseaudit.allocate(load(data, MONTH), MONTH)


FILES = [name for name in TABLES if zero_padded().rows[name]]


@functools.cache
def _baseline() -> frozenset[tuple[str, str]]:
    return frozenset(_pairs(_allocate(zero_padded())))


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_respelling_ids_services_and_teams_in_one_file_never_changes_the_pairs(
    data: st.DataObject,
) -> None:
    # One file's ids, services and teams each respelled (case, inner spaces, Unicode
    # form): the plan's pairs are the same, spelled as the defining tables spell them.
    table = data.draw(st.sampled_from(FILES), label="file")
    values = _values(zero_padded(), table)
    ways = data.draw(
        st.lists(st.sampled_from(sorted(RESPELLINGS)), min_size=len(values), max_size=len(values)),
        label="respellings",
    )
    change = {v: RESPELLINGS[way](v) for v, way in zip(values, ways, strict=True)}
    pairs = _pairs(_allocate(_in_file(zero_padded(), table, change)))
    # Respelled in the table that defines it, a value is written in its new spelling.
    case_ids = change if table == "cases" else {}
    staff_ids = change if table == "staff" else {}
    expected = {(case_ids.get(c, c).strip(), staff_ids.get(a, a).strip()) for c, a in _baseline()}
    assert pairs == expected


@settings(max_examples=10, deadline=None)
@given(st.data())
def test_stripping_leading_zeros_of_ids_in_one_file_is_always_an_input_error(
    data: st.DataObject,
) -> None:
    table = data.draw(st.sampled_from(FILES), label="file")
    padded = [v for v in _values(zero_padded(), table) if zeros_ignored(v) != v]
    assume(padded)
    stripped = data.draw(
        st.lists(st.sampled_from(padded), min_size=1, unique=True), label="stripped"
    )
    authority = _in_file(zero_padded(), table, {v: zeros_ignored(v) for v in stripped})
    with tempfile.TemporaryDirectory() as scratch, pytest.raises(InputError):
        load(authority.write(Path(scratch) / "data"), MONTH)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=12))
def test_the_ascii_shortcut_gives_the_unicode_key(value: str) -> None:
    # identity_key's ASCII fast path (issue 21's national caseload) must be the key the
    # Unicode rule gives: NFKC, whitespace runs as one space, trimmed, case-folded, NFKC.
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    assert identity_key(value) == unicodedata.normalize("NFKC", text.casefold())


# --- the vectorised keys and spellings (issue 23) ---------------------------------------
#: Text that meets every branch of the key: ASCII letters in both cases, digits, ASCII
#: whitespace (the information separators U+001C..U+001F split too), a non-breaking
#: space, full-width and ligature forms, a titlecase digraph, combining marks.
_KEYED_TEXT = st.text(
    alphabet=st.sampled_from("aA0 \t\n\x0b\x0c\r\x1c\x1f\x00\u00a0\u2003ｂＢﬀǅ\u0301ß"),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_KEYED_TEXT, st.text(max_size=8)), max_size=12))
def test_the_vectorised_keys_are_identity_key(values: list[str]) -> None:
    # identity_keys (pyarrow's ascii_lower for ASCII text without whitespace, the rest
    # through identity_key) must be identity_key, value by value: one definition.
    assert identity_keys(values) == [identity_key(value) for value in values]


def test_a_text_that_is_not_utf8_still_gets_its_key() -> None:
    # A lone surrogate (a DataFrame given in memory may hold one) is no UTF-8: pyarrow
    # refuses it, and the keys come from identity_key alone.
    values = ["A\ud800", "B c"]
    assert identity_keys(values) == [identity_key(value) for value in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _KEYED_TEXT), max_size=12), st.lists(_KEYED_TEXT))
def test_spellings_spell_each_value_as_its_first_spelling(
    defining: list[str | None], named: list[str]
) -> None:
    # The spelling of a key is the first value given with it; a value that names none
    # is unknown. ``changes`` skips the key of a value that is itself a spelling, so it
    # must agree with the plain rule on every value.
    first: dict[str, str] = {}
    for value in defining:
        if value is not None:
            first.setdefault(identity_key(value), value)
    spellings = Spellings(defining)
    assert spellings.spellings() == set(first.values())
    assert spellings.one_spelling_per_key() == (
        len(first) == len({v for v in defining if v is not None})
    )
    expected = {
        value: first[identity_key(value)]
        for value in named
        if identity_key(value) in first and first[identity_key(value)] != value
    }
    assert spellings.changes(named) == expected
