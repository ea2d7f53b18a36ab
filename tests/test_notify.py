"""caseaudit notify (issue 22): each kind's trigger on both sides of its day, argued on a
hand-built ledger; the median preset's allocation notices; the messages; sending."""

from __future__ import annotations

import email
import email.policy
import socket
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from builders import Authority
from caseaudit import load, notify
from caseaudit.cli.main import cli
from caseaudit.io.tables import write_input_tables
from caseaudit.model.asof import known_on
from caseaudit.model.errors import InputError
from caseaudit.plans.notices.render import (
    PACKAGE_TEMPLATES,
    TemplateError,
    Templates,
    unknown_placeholders,
)
from caseaudit.synth import generate_tables

# March 2026: Monday 2 is the first working day, Tuesday 31 the last day. Easter 2026:
# Good Friday 3 April and Easter Monday 6 April are bank holidays in England.


def base() -> Authority:
    """Auditors A1..A5 (P&Q officers, managed by SL1), an IRO, and case C1 of every month
    from 2025-12 to 2026-03 (worker SW1, team manager TM1 whose manager is GM1, IRO I1)."""
    authority = Authority().auditors("A1", "A2", "A3", "A4", "A5")
    authority.staff("I1", role="iro", auditor=False)
    for month in ("2025-12", "2026-01", "2026-02", "2026-03"):
        authority.case("C1", month=month, iro="I1")
        authority.case("C2", month=month)
    return authority


def audit(authority: Authority, month: str, case: str, auditor: str, **row: object) -> None:
    """A ledger row with every column (dates as ISO text)."""
    authority.add(
        "history",
        audit_id=f"{month}-{case}",
        month=month,
        case_id=case,
        subject_id=f"S-{case}",
        auditor_id=auditor,
        status=row.pop("status", "allocated"),
        **row,
    )


def due(authority: Authority, tmp_path: Path, as_of: str, name: str = "data") -> pd.DataFrame:
    data_dir = tmp_path / name
    if not data_dir.exists():
        authority.write(data_dir)
    return notify(load(data_dir), as_of).notices


def kinds(notices: pd.DataFrame, kind: str) -> list[tuple[str, str]]:
    """(recipient, send_on) of each notice of ``kind``."""
    chosen = notices[notices["kind"] == kind]
    return sorted(zip(chosen["recipient_id"], chosen["send_on"].map(str), strict=True))


# ------------------------------------------------------------------ each kind


def test_allocation_and_heads_up_on_the_distribution_day_and_the_catch_up_days(tmp_path):
    # No plan and no ledger rows of the month: its plan is computed as allocate does;
    # both cases are distributed on Monday 2 March (§1). Before it nothing is due; on it
    # the auditor gets one allocation notice and the worker, team manager and IRO one
    # heads-up each (C2 has no IRO). Five working days later (9 March) it is still in the
    # catch-up window; on the sixth (10 March) it is not.
    authority = base()
    before = due(authority, tmp_path, "2026-02-27")
    assert before[before["month"] == "2026-03"].empty
    on_day = due(authority, tmp_path, "2026-03-02")
    allocations = on_day[on_day["kind"] == "allocation"]
    assert sorted(allocations["audit_id"]) == ["2026-03-C1", "2026-03-C2"]
    heads_up = on_day[on_day["kind"] == "audit_heads_up"]
    by_audit = heads_up.groupby("audit_id")["recipient_id"].agg(sorted).to_dict()
    assert by_audit == {"2026-03-C1": ["I1", "SW1", "TM1"], "2026-03-C2": ["SW1", "TM1"]}
    caught_up = due(authority, tmp_path, "2026-03-09")
    assert set(caught_up.loc[caught_up["kind"] == "allocation", "send_on"].map(str)) == {
        "2026-03-02"
    }
    late = due(authority, tmp_path, "2026-03-10")
    assert late[late["kind"].isin(["allocation", "audit_heads_up"])].empty


def test_reminder_five_working_days_before_the_month_end_unless_completed(tmp_path):
    # March's audits recorded in the ledger; due 31 March; five working days before is
    # Tuesday 24 March (30, 27, 26, 25, 24). C2 was completed on 20 March: no reminder.
    # C1 is completed on 25 March, after the day: as known on 24 March it is still open.
    authority = base()
    audit(authority, "2026-03", "C1", "A1", status="completed", completed_on="2026-03-25")
    audit(authority, "2026-03", "C2", "A2", status="completed", completed_on="2026-03-20")
    for month in ("2025-12", "2026-01", "2026-02"):
        audit(authority, month, "C2", "A3", status="actions_complete")
    assert kinds(due(authority, tmp_path, "2026-03-23"), "reminder") == []
    assert kinds(due(authority, tmp_path, "2026-03-24"), "reminder") == [("A1", "2026-03-24")]


def test_overdue_chased_after_the_due_day_then_every_five_working_days_over_easter(tmp_path):
    # February's audit by A1, not completed, due Saturday 28 February. Not late on 27
    # February. First chase Monday 2 March, then every five working days: 9, 16, 23, 30
    # March, then Wednesday 8 April (31 Mar, 1, 2, 7, 8 Apr: Good Friday and Easter
    # Monday skipped; without them it would be Easter Monday). As of Easter Monday and of
    # 7 April the latest chase is 30 March; as of 8 April it is 8 April. The auditor's
    # manager (SL1) is copied in (§28, §30).
    authority = base()
    audit(authority, "2026-02", "C1", "A1")
    for month in ("2025-12", "2026-01"):
        audit(authority, month, "C2", "A3", status="actions_complete")
    assert kinds(due(authority, tmp_path, "2026-02-27"), "overdue") == []
    assert kinds(due(authority, tmp_path, "2026-03-02"), "overdue") == [("A1", "2026-03-02")]
    assert kinds(due(authority, tmp_path, "2026-04-06"), "overdue") == [("A1", "2026-03-30")]
    assert kinds(due(authority, tmp_path, "2026-04-07"), "overdue") == [("A1", "2026-03-30")]
    easter = due(authority, tmp_path, "2026-04-08")
    assert kinds(easter, "overdue") == [("A1", "2026-04-08")]
    assert easter.loc[easter["kind"] == "overdue", "cc"].tolist() == ["sl1@council.example"]


def test_amendment_due_on_return_and_again_on_the_due_day(tmp_path):
    # Returned Thursday 5 March; 3 working days later is Tuesday 10 March (§20).
    authority = base()
    audit(
        authority,
        "2026-02",
        "C1",
        "A1",
        status="returned",
        completed_on="2026-02-20",
        returned_on="2026-03-05",
    )
    for month in ("2025-12", "2026-01"):
        audit(authority, month, "C2", "A3", status="actions_complete")
    assert kinds(due(authority, tmp_path, "2026-03-04"), "amendment_due") == []
    returned = due(authority, tmp_path, "2026-03-05")
    assert kinds(returned, "amendment_due") == [("A1", "2026-03-05")]
    assert returned.loc[returned["kind"] == "amendment_due", "due_on"].map(str).tolist() == [
        "2026-03-10"
    ]
    assert kinds(due(authority, tmp_path, "2026-03-10"), "amendment_due") == [("A1", "2026-03-10")]


def test_break_cap_reached_on_the_day_of_the_request_that_fills_it(tmp_path):
    # Five eligible auditors: the cap is floor(0.2 × 5) = 1 (§3). A1's request for April,
    # made on 10 March, takes the only place: the Head of Service HS1 is told that day.
    authority = base()
    authority.add("breaks", auditor_id="A1", month="2026-04", requested_on="2026-03-10")
    assert kinds(due(authority, tmp_path, "2026-03-09"), "break_cap_reached") == []
    assert kinds(due(authority, tmp_path, "2026-03-10"), "break_cap_reached") == [
        ("HS1", "2026-03-10")
    ]


def test_moderator_assigned_tells_the_moderator_and_copies_challenger_and_auditor(tmp_path):
    authority = base()
    audit(authority, "2026-02", "C1", "A1", status="completed", completed_on="2026-02-25")
    for month in ("2025-12", "2026-01"):
        audit(authority, month, "C2", "A3", status="actions_complete")
    authority.add(
        "challenges",
        audit_id="2026-02-C1",
        raised_by="TM1",
        raised_on="2026-03-03",
        consensus_reached=False,
    )
    authority.staff("MOD1", role="group_manager", service="Fostering", auditor=False)
    authority.add(
        "moderations", audit_id="2026-02-C1", moderator_id="MOD1", assigned_on="2026-03-05"
    )
    assert kinds(due(authority, tmp_path, "2026-03-04"), "moderator_assigned") == []
    assigned = due(authority, tmp_path, "2026-03-05")
    assert kinds(assigned, "moderator_assigned") == [("MOD1", "2026-03-05")]
    cc = assigned.loc[assigned["kind"] == "moderator_assigned", "cc"].iloc[0]
    assert sorted(cc.split(";")) == ["a1@council.example", "tm1@council.example"]


def inadequate_cycle(repeat: bool) -> Authority:
    """C1's February audit graded inadequate, confirmed Tuesday 3 March; with ``repeat``
    it re-audits a December audit that was inadequate too."""
    authority = base()
    if repeat:
        audit(
            authority,
            "2025-12",
            "C1",
            "A2",
            status="actions_complete",
            overall_judgement="inadequate",
            judgement_confirmed_on="2025-12-20",
        )
    else:
        audit(authority, "2025-12", "C2", "A2", status="actions_complete")
    audit(authority, "2026-01", "C2", "A3", status="actions_complete")
    audit(
        authority,
        "2026-02",
        "C1",
        "A1",
        status="finalised",
        completed_on="2026-02-25",
        finalised_on="2026-03-03",
        overall_judgement="inadequate",
        judgement_confirmed_on="2026-03-03",
        reaudit_of="2025-12-C1" if repeat else None,
    )
    return authority


def test_reflection_meeting_when_the_inadequate_grade_is_confirmed(tmp_path):
    # Group manager GM1, team manager TM1 and worker SW1 each get one notice (§25).
    authority = inadequate_cycle(repeat=False)
    assert kinds(due(authority, tmp_path, "2026-03-02"), "reflection_meeting") == []
    confirmed = due(authority, tmp_path, "2026-03-03")
    assert kinds(confirmed, "reflection_meeting") == [
        ("GM1", "2026-03-03"),
        ("SW1", "2026-03-03"),
        ("TM1", "2026-03-03"),
    ]
    assert kinds(confirmed, "hos_escalation") == []


def test_review_meeting_five_working_days_before_it(tmp_path):
    # Review meeting: 3 March + 28 days = Tuesday 31 March; five working days before is
    # Tuesday 24 March.
    authority = inadequate_cycle(repeat=False)
    assert kinds(due(authority, tmp_path, "2026-03-23"), "review_meeting") == []
    assert [r for r, _ in kinds(due(authority, tmp_path, "2026-03-24"), "review_meeting")] == [
        "GM1",
        "SW1",
        "TM1",
    ]


def test_hos_escalation_after_a_repeat_inadequate(tmp_path):
    # The February audit re-audits December's inadequate audit and is inadequate again:
    # the Head of Service HS1 is brought in, copying GM1, TM1 and SW1 (§25).
    authority = inadequate_cycle(repeat=True)
    assert kinds(due(authority, tmp_path, "2026-03-02"), "hos_escalation") == []
    confirmed = due(authority, tmp_path, "2026-03-03")
    assert kinds(confirmed, "hos_escalation") == [("HS1", "2026-03-03")]
    cc = confirmed.loc[confirmed["kind"] == "hos_escalation", "cc"].iloc[0].split(";")
    assert sorted(cc) == ["gm1@council.example", "sw1@council.example", "tm1@council.example"]


def test_actions_awaited_28_days_after_finalisation_then_monthly(tmp_path):
    # Finalised Monday 2 February, actions not confirmed: first asked 2 March (28 days
    # later), then 2 April (§23, §27); team manager TM1, group manager GM1 copied in.
    authority = base()
    audit(authority, "2025-12", "C2", "A2", status="actions_complete")
    audit(
        authority,
        "2026-01",
        "C1",
        "A1",
        status="finalised",
        completed_on="2026-01-28",
        finalised_on="2026-02-02",
    )
    assert kinds(due(authority, tmp_path, "2026-02-27"), "actions_awaited") == []
    first = due(authority, tmp_path, "2026-03-02")
    assert kinds(first, "actions_awaited") == [("TM1", "2026-03-02")]
    assert first.loc[first["kind"] == "actions_awaited", "cc"].tolist() == ["gm1@council.example"]
    assert kinds(due(authority, tmp_path, "2026-04-02"), "actions_awaited") == [
        ("TM1", "2026-04-02")
    ]


def test_a_notice_listed_in_notices_sent_is_not_due_again(tmp_path):
    # The same day twice: once as it is, once with one of its notices recorded as sent.
    # Exactly that notice is left out; the rest are the same notices.
    authority = base()
    first = due(authority, tmp_path, "2026-03-02", "before")
    recorded = first.loc[first["kind"] == "allocation", "notice_id"].iloc[0]
    authority.add("notices_sent", notice_id=recorded, sent_on="2026-03-02")
    again = due(authority, tmp_path, "2026-03-02", "after")
    assert sorted(again["notice_id"]) == sorted(set(first["notice_id"]) - {recorded})


def test_a_day_with_nothing_due_writes_empty_tables_and_exits_0(tmp_path):
    data_dir = base().write(tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["notify", str(data_dir), "--as-of", "2026-02-15", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "notices.csv").read_text().splitlines() == [
        "notice_id,kind,send_on,recipient_id,recipient_email,cc,subject,audit_id,case_id,"
        "due_on,file,month,sent"
    ]
    assert len((out / "undeliverable.csv").read_text().splitlines()) == 1


def test_a_recipient_without_an_e_mail_is_undeliverable_and_exits_3(tmp_path):
    authority = base()
    for row in authority.rows["staff"]:
        if row["staff_id"] == "I1":
            row["email"] = None
    data_dir = authority.write(tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["notify", str(data_dir), "--as-of", "2026-03-02", "--out", str(out)]
    )
    assert result.exit_code == 3, result.output
    lost = pd.read_csv(out / "undeliverable.csv")
    assert lost[["recipient_id", "reason"]].values.tolist() == [["I1", "no e-mail"]]
    files = {p.name for p in (out / "notices").iterdir()}
    assert not any("-I1-" in name for name in files)


# ------------------------------------------------------------------ the median preset


@pytest.fixture(scope="module")
def median_run(tmp_path_factory):
    """The median preset (its cases given a name column, which the reader ignores)
    allocated for 2026-03, and its notices on the distribution day."""
    tmp = tmp_path_factory.mktemp("median")
    tables = generate_tables("median", 0)
    names = [f"Childname{i:05d} Familyname{i:05d}" for i in range(len(tables["cases"]))]
    tables["cases"] = tables["cases"].assign(child_name=names)
    data_dir = tmp / "data"
    write_input_tables(data_dir, tables, "csv")
    from caseaudit import allocate

    plan = allocate(load(data_dir, "2026-03"), "2026-03")
    plan.write(tmp / "plan")
    out = tmp / "out"
    result = CliRunner().invoke(
        cli,
        [
            "notify",
            str(data_dir),
            "--as-of",
            "2026-03-02",
            "--plan",
            str(tmp / "plan"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    notices = pd.read_parquet(out / "notices.parquet")
    notices = notices.astype(object).where(notices.notna(), None)
    return data_dir, plan.allocations, notices, out, names


def test_every_allocation_gets_one_allocation_notice_and_one_heads_up_per_contact(median_run):
    _, allocations, notices, _, _ = median_run
    allocation = notices[notices["kind"] == "allocation"]
    assert sorted(allocation["audit_id"]) == sorted(allocations["audit_id"])
    expected = {
        (row.audit_id, person)
        for row in allocations.itertuples(index=False)
        for person in (row.allocated_worker_id, row.team_manager_id, row.iro_id)
        if person is not None and person == person
    }
    heads_up = notices[notices["kind"] == "audit_heads_up"]
    pairs = list(zip(heads_up["audit_id"], heads_up["recipient_id"], strict=True))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == expected


def test_no_notice_goes_to_a_person_outside_its_row(median_run):
    _, allocations, notices, _, _ = median_run
    rows = allocations.set_index("audit_id")
    for notice in notices.itertuples(index=False):
        if notice.kind == "allocation":
            assert notice.recipient_id == rows.at[notice.audit_id, "auditor_id"]
        elif notice.kind == "audit_heads_up":
            row = rows.loc[notice.audit_id]
            contacts = {row["allocated_worker_id"], row["team_manager_id"], row["iro_id"]}
            assert notice.recipient_id in contacts


def test_no_notice_holds_a_name_of_a_child_or_family(median_run):
    _, _, notices, out, names = median_run
    assert len(notices) > 0
    words = {part for name in names for part in name.split()}
    for path in (out / "notices").iterdir():
        text = path.read_text(encoding="utf-8")
        assert not any(word in text for word in words), path.name


def test_the_eml_files_parse_with_the_right_headers(median_run):
    _, _, notices, out, _ = median_run
    for notice in notices.itertuples(index=False):
        message = email.message_from_bytes(
            (out / notice.file).read_bytes(), policy=email.policy.default
        )
        assert message["To"].addresses[0].addr_spec == notice.recipient_email
        copied = [a.addr_spec for a in message["Cc"].addresses] if message["Cc"] else []
        assert copied == ([] if notice.cc is None else notice.cc.split(";"))
        assert message["Subject"] == notice.subject
        assert message["Message-ID"] == f"<{notice.notice_id}@localhost>"
        assert message.get_content_type() == "text/plain"
        assert notice.notice_id in message.get_content()


def test_same_inputs_write_the_same_files(median_run, tmp_path):
    data_dir, _, _, out, _ = median_run
    again = tmp_path / "again"
    result = CliRunner().invoke(
        cli,
        [
            *("notify", str(data_dir), "--as-of", "2026-03-02"),
            *("--plan", str(out.parent / "plan"), "--out", str(again)),
        ],
    )
    assert result.exit_code == 0
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.name != "manifest.json":
            assert (again / path.relative_to(out)).read_bytes() == path.read_bytes(), path


def reference_message(notice_id, sender, to, cc, subject, body, day):
    """The message as the standard library's EmailMessage writes it (the writer's
    first form, before it wrote the bytes itself)."""
    import datetime as dt
    from email.message import EmailMessage
    from email.utils import format_datetime, formataddr

    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    message["From"] = sender or "caseaudit@localhost"
    message["To"] = formataddr(to)
    if cc:
        message["Cc"] = ", ".join(formataddr(person) for person in cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.combine(day, dt.time(8, 0, tzinfo=dt.UTC)))
    domain = (sender or "caseaudit@localhost").rpartition("@")[2].strip(" >")
    message["Message-ID"] = f"<{notice_id}@{domain}>"
    message["X-Caseaudit-Notice"] = notice_id
    message.set_content(body, charset="utf-8", cte="7bit")
    return message.as_bytes()


@pytest.mark.parametrize(
    ("sender", "to", "cc", "body"),
    [
        # Plain values, one or two copies, blank lines, a body without a last newline, an
        # empty body, a council sender with a display name: the bytes EmailMessage wrote.
        (None, ("Staff 1", "s1@council.example"), [], "Dear Staff 1,\n\nLine two.\n"),
        (
            "pq@council.example",
            ("A1", "a1@x.example"),
            [("GM One", "gm1@x.example"), ("TM-2", "tm.2@x.example")],
            "no last newline",
        ),
        ("P and Q <pq@council.example>", ("A1", "a1@x.example"), [], ""),
        (None, ("Jo O'Neil", "jo@x.example"), [], "  indented\n\n\n"),
    ],
)
def test_plain_messages_are_the_bytes_the_standard_library_writes(sender, to, cc, body):
    import datetime as dt

    from caseaudit.plans.notices.eml import message_bytes

    day = dt.date(2026, 3, 2)
    subject = "Case file audit 2026-03-C1 allocated to you: due 2026-03-31"
    ours = message_bytes(
        notice_id="allocation-2026-03-C1-A1-2026-03-02",
        sender=sender,
        to=to,
        cc=cc,
        subject=subject,
        body=body,
        day=day,
    )
    assert ours == reference_message(
        "allocation-2026-03-C1-A1-2026-03-02", sender, to, cc, subject, body, day
    )


def test_non_ascii_and_special_names_are_encoded_and_read_back():
    # A name with a comma must be quoted (else it reads as two addresses), a name with
    # accents an RFC 2047 encoded word; a non-ASCII subject is encoded words and the body
    # quoted-printable with lines of at most 76 characters (RFC 2045).
    import datetime as dt

    from caseaudit.plans.notices.eml import message_bytes

    body = "Dear Zoë Ó Súilleabháin,\n\n" + "é" * 120 + "\nThe end.\n"
    raw = message_bytes(
        notice_id="reminder-2026-03-C1-A1-2026-03-24",
        sender="Performance & Quality <pq@council.example>",
        to=("Zoë Ó Súilleabháin", "zoe@x.example"),
        cc=[("Smith, Jo", "jo@x.example"), ("Ana", "ana@x.example")],
        subject="Rappel : l’audit 2026-03-C1 est dû le 2026-03-31",
        body=body,
        day=dt.date(2026, 3, 24),
    )
    assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"].addresses[0].display_name == "Zoë Ó Súilleabháin"
    assert [a.display_name for a in message["Cc"].addresses] == ["Smith, Jo", "Ana"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["jo@x.example", "ana@x.example"]
    assert message["From"].addresses[0].display_name == "Performance & Quality"
    assert message["Subject"] == "Rappel : l’audit 2026-03-C1 est dû le 2026-03-31"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    # The content reads back with the wire's CRLF line ends, as the stdlib's own do.
    assert message.get_content().splitlines() == body.splitlines()
    payload = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in payload.split(b"\r\n")) <= 76


# ------------------------------------------------------------------ sending


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler keeping each message; refuses messages whose notice is in
    ``refuse``."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.received: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if message["X-Caseaudit-Notice"] in self.refuse:
            return "554 5.7.1 refused for the test"
        self.received.append(envelope.content)
        return "250 OK"


def test_send_delivers_each_notice_once_and_a_refused_one_on_the_rerun(tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    port = free_port()
    authority = base()
    authority.config_toml = (
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from = "pq@council.example"\n'
    )
    data_dir = authority.write(tmp_path / "data")
    refused = "audit_heads_up-2026-03-C1-I1-2026-03-02"
    mailbox = Mailbox({refused})
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        out = tmp_path / "out"
        args = ["notify", str(data_dir), "--as-of", "2026-03-02", "--send", "--out", str(out)]
        first = CliRunner().invoke(cli, args)
        # One refused: it is listed, left out of notices_sent, and the run exits 3.
        assert first.exit_code == 3, first.output
        assert f"not sent: {refused}" in first.output
        notices = pd.read_csv(out / "notices.csv")
        files = {
            row.notice_id: (out / row.file).read_bytes() for row in notices.itertuples(index=False)
        }
        assert sorted(mailbox.received) == sorted(v for k, v in files.items() if k != refused)
        sent = pd.read_csv(data_dir / "notices_sent.csv")
        assert sorted(sent["notice_id"]) == sorted(k for k in files if k != refused)
        assert dict(zip(notices["notice_id"], notices["sent"], strict=True))[refused] is False
        # The rerun sends the refused one and nothing else.
        mailbox.refuse.clear()
        mailbox.received.clear()
        again = CliRunner().invoke(cli, [*args[:-1], str(tmp_path / "out2")])
        assert again.exit_code == 0, again.output
        assert mailbox.received == [files[refused]]
        sent = pd.read_csv(data_dir / "notices_sent.csv")
        assert sorted(sent["notice_id"]) == sorted(files)
    finally:
        server.stop()


def test_send_without_a_mail_server_configured_is_an_input_error(tmp_path):
    data_dir = base().write(tmp_path / "data")
    out = tmp_path / "out"
    args = ["notify", str(data_dir), "--as-of", "2026-03-02", "--send", "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "smtp.host" in result.output
    assert not out.exists()
    assert not (data_dir / "notices_sent.csv").exists()


# ------------------------------------------------------------------ templates


def test_the_built_in_templates_use_only_known_placeholders():
    templates = Templates()
    for path in sorted(PACKAGE_TEMPLATES.glob("*.txt.j2")):
        tree = templates.environment.parse(path.read_text(encoding="utf-8"))
        assert unknown_placeholders(tree) == [], path.name


def test_an_unknown_placeholder_in_a_council_template_names_file_and_line(tmp_path):
    authority = base()
    authority.config_toml = '[notices]\ntemplates = "letters"\n'
    data_dir = authority.write(tmp_path / "data")
    (data_dir / "letters").mkdir()
    (data_dir / "letters" / "allocation.txt.j2").write_text(
        "Dear {{ recipient.name }},\n\nDue {{ notice.due }}.\n"
    )
    with pytest.raises(InputError) as raised:
        notify(load(data_dir), "2026-03-02")
    lines = raised.value.lines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{data_dir / 'letters' / 'allocation.txt.j2'}:3: -: ")
    assert "notice.due" in lines[0]


def test_a_council_template_replaces_the_built_in_one(tmp_path):
    authority = base()
    authority.config_toml = '[notices]\ntemplates = "letters"\n'
    data_dir = authority.write(tmp_path / "data")
    (data_dir / "letters").mkdir()
    (data_dir / "letters" / "allocation.txt.j2").write_text(
        "Audit {{ notice.audit_id }} is yours, {{ recipient.id }}.\n"
    )
    result = notify(load(data_dir), "2026-03-02")
    bodies = [
        email.message_from_bytes(content, policy=email.policy.default).get_content()
        for file, content in result.messages.items()
        if "/allocation-" in file
    ]
    assert len(bodies) == 2
    assert all(body.startswith("Audit 2026-03-C") for body in bodies)


def test_the_chase_days_at_once_are_the_days_one_at_a_time():
    # The chases' recurring days are computed for every audit at once with numpy's
    # business days; they must be the days the calendar gives one step at a time: the
    # first working day after the due day then every 5 working days (§28, §30), and the
    # same day of each month moved to the next working day (§23, §27). The due days and
    # starts cover Christmas, New Year, Easter 2026 (3 and 6 April), month ends of 28 to
    # 31 days and weekends, against runs on several days.
    import datetime as dt

    from dateutil.relativedelta import relativedelta

    from caseaudit.model.calendar import WorkingCalendar
    from caseaudit.plans.notices.rules import WorkingDays, catch_up_start

    calendar = WorkingCalendar()

    def one_at_a_time(days, day, start_of_window):
        chosen = None
        for candidate in days:
            if candidate > day:
                break
            if candidate >= start_of_window:
                chosen = candidate
        return chosen

    def chases(due, step):
        current = calendar.add_working_days(due, 1)
        while True:
            yield current
            current = calendar.add_working_days(current, step)

    def monthly(start):
        months = 0
        while True:
            yield calendar.on_or_next_working_day(start + relativedelta(months=months))
            months += 1

    starts = [dt.date(2025, 10, 1) + dt.timedelta(days=i) for i in range(0, 220, 3)]
    for run in ("2026-01-02", "2026-03-02", "2026-04-07", "2026-05-29"):
        day = dt.date.fromisoformat(run)
        window = catch_up_start(calendar, day, 5)
        audits = pd.DataFrame({"due_on": starts})
        days = WorkingDays(calendar, audits, day)
        expected = [one_at_a_time(chases(d, 5), day, window) for d in starts]
        assert days.latest_chase(pd.Series(starts), 5, window) == expected, run
        expected = [one_at_a_time(monthly(d), day, window) for d in starts]
        assert days.latest_monthly([*starts], window) == expected, run
        assert days.latest_monthly([None], window) == [None]


# ------------------------------------------------------------------ known on a day


def test_known_on_drops_later_facts_and_steps_back_statuses(tmp_path):
    # Finalised 3 March after completion on 25 February: on 1 March it was completed;
    # a challenge raised on 2 March and a break request of 2 March were not there yet.
    authority = inadequate_cycle(repeat=False)
    authority.add("challenges", audit_id="2026-02-C1", raised_by="TM1", raised_on="2026-03-02")
    authority.add("breaks", auditor_id="A1", month="2026-04", requested_on="2026-03-02")
    data = load(authority.write(tmp_path / "data"))
    before = known_on(data, pd.Timestamp("2026-03-01").date())
    row = before["history"].set_index("audit_id").loc["2026-02-C1"]
    assert row["status"] == "completed"
    assert row["finalised_on"] is None and row["judgement_confirmed_on"] is None
    assert before["challenges"].empty and before["breaks"].empty
    on_day = known_on(data, pd.Timestamp("2026-03-03").date())
    assert on_day["history"].set_index("audit_id").at["2026-02-C1", "status"] == "finalised"
    assert len(on_day["challenges"]) == 1


def test_template_context_reads_alike_by_attribute_and_key() -> None:
    """The context parts are ``Fields`` (attribute lookups found at once, for speed): a
    template reads ``notice.audit_id`` and ``notice['audit_id']`` alike, a whole part prints
    as the dict it was, and a long date is the same from text and from a date."""
    import datetime as dt

    from caseaudit.plans.notices.render import Fields, long_date

    environment = Templates().environment
    template = environment.from_string(
        "{{ notice.audit_id }}|{{ notice['audit_id'] }}|{{ notice }}|"
        "{{ notice.due_on | long_date }}"
    )
    notice = Fields(audit_id="A1", due_on="2026-03-31")
    # 31 March 2026 is a Tuesday.
    assert template.render(notice=notice) == (
        "A1|A1|{'audit_id': 'A1', 'due_on': '2026-03-31'}|Tuesday 31 March 2026"
    )
    assert long_date(dt.date(2026, 3, 31)) == long_date("2026-03-31") == "Tuesday 31 March 2026"
    assert long_date("") == long_date(None) == ""


def test_written_folder_lists_nested_files(tmp_path: Path) -> None:
    """The manifest's ``files`` lists every file under the folder, nested ones by their
    relative POSIX path, sorted (os.walk, no stat of each file)."""
    import json

    from caseaudit.io.writer import write_outputs
    from caseaudit.model.config import OutputConfig

    files = {"notices/b.eml": b"b", "notices/a.eml": b"a", "extra.txt": b"x"}
    write_outputs(tmp_path / "out", {}, {}, OutputConfig(), files=files)
    listed = json.loads((tmp_path / "out" / "manifest.json").read_text())["files"]
    assert listed == ["extra.txt", "notices/a.eml", "notices/b.eml"]
    assert (tmp_path / "out" / "notices" / "a.eml").read_bytes() == b"a"


def test_render_many_gives_each_notice_its_own_render(tmp_path: Path) -> None:
    """``render_many`` renders a kind's notices as one loop: the texts must be those of a
    render each, blanks at the template's edges included (leading blanks before a tag,
    a first empty line, a last line of blanks); a template with a macro (not a loop's
    body) is rendered notice by notice; an empty placeholder is the same located error."""
    (tmp_path / "allocation.txt.j2").write_text(
        "\n  {% if notice.audit_id %}A {{ notice.audit_id }}{% endif %}\nend   ", "utf-8"
    )
    (tmp_path / "reminder.txt.j2").write_text(
        "{% macro id(x) %}<{{ x }}>{% endmacro %}{{ id(notice.audit_id) }}\n", "utf-8"
    )
    (tmp_path / "overdue.txt.j2").write_text("{{ notice.due_on }}\n", "utf-8")
    templates = Templates(tmp_path)

    def context(audit_id: str) -> dict[str, object]:
        names = ("recipient", "auditor", "group_manager", "contacts", "facts", "policy")
        return {"notice": {"audit_id": audit_id}} | {name: None for name in names}

    items = [(kind, context(a)) for kind in ("allocation", "reminder") for a in ("1", "", "3")]
    assert templates.render_many(items) == [templates.render(k, c) for k, c in items]
    # The environment strips the blanks before a tag and the newline after one.
    assert templates.render_many(items)[:2] == ["\nA 1end   ", "\nend   "]
    assert templates.render_many(items)[3] == "<1>\n"
    with pytest.raises(TemplateError) as alone:
        templates.render("overdue", context("1"))
    with pytest.raises(TemplateError) as together:
        templates.render_many([("allocation", context("1")), ("overdue", context("1"))])
    assert str(together.value) == str(alone.value)
    assert "overdue.txt.j2:1:" in str(together.value)
