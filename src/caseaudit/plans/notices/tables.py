"""The notices of a day as tables and messages (issue 22): ``notices`` (one row per
notice, a mail-merge source too), ``undeliverable`` and one ``.eml`` per notice.

Each notice is sent once: its id (``<kind>-<audit_id or month>-<recipient_id>-<send_on>``)
is the same on every run, and a notice listed in ``notices_sent`` is left out.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from caseaudit.model.asof import known_on
from caseaudit.model.calendar import WorkingCalendar, month_of
from caseaudit.model.config import OutputConfig, SmtpConfig
from caseaudit.model.dataset import Dataset
from caseaudit.model.errors import InputError, InputIssue, plural
from caseaudit.model.outputs import OUTPUT_TABLES
from caseaudit.plans.notices.eml import message_bytes, safe_name
from caseaudit.plans.notices.render import Fields, TemplateError, Templates
from caseaudit.plans.notices.rules import (
    CONTACT_ROLES,
    CONTACTS,
    KINDS,
    Due,
    NoticeFacts,
    build_audits,
    catch_up_start,
    due_notices,
)
from caseaudit.plans.notices.send import Outgoing
from caseaudit.provenance import input_hashes, package_version

NOTICE_FOLDER = "notices"
#: Each kind's subject line (ids and dates only).
SUBJECTS = {
    "allocation": "Case file audit {audit_id} allocated to you: due {due_on}",
    "audit_heads_up": "Case file audit {audit_id}: the auditor will contact you",
    "reminder": "Reminder: case file audit {audit_id} is due {due_on}",
    "overdue": "Overdue: case file audit {audit_id} was due {due_on}",
    "amendment_due": "Amendments to case file audit {audit_id} due {due_on}",
    "break_cap_reached": "Audit breaks for {month}: the limit is reached",
    "moderator_assigned": "Please moderate case file audit {audit_id}",
    "reflection_meeting": "Inadequate audit {audit_id}: reflection meeting by {due_on}",
    "review_meeting": "Inadequate audit {audit_id}: review meeting on {due_on}",
    "hos_escalation": "Repeat inadequate audit {audit_id}: Head of Service review",
    "actions_awaited": "Case file audit {audit_id}: please confirm the actions are complete",
}
assert set(SUBJECTS) == set(KINDS)


def notice_id(due: Due) -> str:
    """``<kind>-<audit_id or month>-<recipient_id>-<send_on>``: the same on every run."""
    about = due.audit_id if due.audit_id is not None else due.month
    return f"{due.kind}-{about}-{due.recipient_id}-{due.send_on.isoformat()}"


@dataclass
class NoticesResult:
    """The notices due on a day: the tables, the messages, and what ``send`` needs.

    >>> result = notify(load("data/"), "2026-03-02", plan="out/2026-03")
    >>> result.notices.head(); print(result.summary())
    >>> result.write("out/notices-2026-03-02", force=True)
    """

    as_of: dt.date
    tables: dict[str, pd.DataFrame]
    #: ``notices/<name>.eml`` → the message's bytes.
    messages: dict[str, bytes]
    outgoing: list[Outgoing]
    smtp: SmtpConfig
    output: OutputConfig = field(default_factory=OutputConfig)
    manifest: dict[str, object] = field(default_factory=dict)
    #: notice_id → why the server did not take it (after ``send``).
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def notices(self) -> pd.DataFrame:
        return self.tables["notices"]

    @property
    def undeliverable(self) -> pd.DataFrame:
        return self.tables["undeliverable"]

    @property
    def complete(self) -> bool:
        """Every notice can go (and, after ``send``, went)."""
        return self.undeliverable.empty and not self.failed

    def summary(self) -> str:
        kinds = self.notices["kind"].value_counts()
        by_kind = ", ".join(f"{kinds[k]} {k}" for k in KINDS if k in kinds) or "nothing due"
        window = self.manifest.get("window", [self.as_of.isoformat()] * 2)
        assert isinstance(window, list)
        text = (
            f"as of {self.as_of.isoformat()} (notices of {window[0]}..{window[1]}): "
            f"{plural(len(self.notices), 'notice')} ({by_kind}); "
            f"{len(self.undeliverable)} undeliverable"
        )
        sent = self.notices["sent"]
        if sent.notna().any():
            text += f"; {int((sent == True).sum())} sent, {len(self.failed)} not sent"  # noqa: E712
        return text

    def send(self, data_dir: Path | str, sent_on: dt.date | None = None) -> dict[str, str]:
        """Send every notice over ``[smtp]``; each accepted one is appended to
        ``notices_sent`` in ``data_dir`` at once. Returns notice_id → why not sent."""
        from caseaudit.io.sent import record_sent
        from caseaudit.plans.notices.send import send_all, smtp_problems

        problems = smtp_problems(self.smtp)
        if problems:
            raise InputError(
                [InputIssue("config.toml", 1, key, message) for key, message in problems]
            )
        day = sent_on or dt.date.today()
        folder = Path(data_dir)
        accepted: set[str] = set()

        def record(notice: str) -> None:
            record_sent(folder, notice, day)
            accepted.add(notice)

        self.failed = send_all(self.smtp, self.outgoing, record)
        notices = self.tables["notices"]
        notices["sent"] = [notice in accepted for notice in notices["notice_id"]]
        self.manifest["send"] = {
            "server": f"{self.smtp.host}:{self.smtp.port} ({self.smtp.security})",
            "sent": len(accepted),
            "not_sent": dict(sorted(self.failed.items())),
        }
        return self.failed

    def write(self, out_dir: Path | str, force: bool = False) -> None:
        """The tables, one ``.eml`` per deliverable notice and ``manifest.json``, all or
        nothing (contract §2)."""
        from caseaudit.io.writer import write_outputs

        write_outputs(
            Path(out_dir),
            self.tables,
            self.manifest,
            self.output,
            force=force,
            files=self.messages,
        )


@dataclass(frozen=True)
class _Person:
    staff_id: str
    name: str
    email: str | None
    active_from: dt.date | None
    active_to: dt.date | None

    def as_context(self, role: str | None = None) -> Fields:
        return Fields(id=self.staff_id, name=self.name, email=self.email, role=role)

    def undeliverable(self, day: dt.date) -> str | None:
        """Why a notice to this person cannot go on ``day`` (None: it can)."""
        if self.active_to is not None and self.active_to < day:
            return "left"
        if self.active_from is not None and self.active_from > day:
            return "inactive"
        if not self.email:
            return "no e-mail"
        return None


def _people(data: Dataset) -> dict[str, _Person]:
    staff = data["staff"]
    return {
        row.staff_id: _Person(
            row.staff_id, row.name, row.email or None, row.active_from, row.active_to
        )
        for row in staff.itertuples(index=False)
    }


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def build_notices(
    data: Dataset,
    day: dt.date,
    plan: pd.DataFrame | None,
    templates: Templates,
    *,
    plan_source: str,
    command: str | None = None,
) -> NoticesResult:
    """Every notice due on ``day`` (issue 22), rendered and checked, not yet sent."""
    # Hundreds of thousands of small objects that all live to the end: the cycle
    # collector's passes over them were a sixth of the time, and find nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_notices(data, day, plan, templates, plan_source=plan_source, command=command)
    finally:
        if collecting:
            gc.enable()


def _build_notices(
    data: Dataset,
    day: dt.date,
    plan: pd.DataFrame | None,
    templates: Templates,
    *,
    plan_source: str,
    command: str | None = None,
) -> NoticesResult:
    started = time.perf_counter()
    config = data.config
    calendar = WorkingCalendar(config.calendar.country, config.calendar.subdivision)
    known = known_on(data, day)
    window_start = catch_up_start(calendar, day, config.notices.catch_up_working_days)
    facts = NoticeFacts(
        day=day,
        window_start=window_start,
        data=known,
        audits=build_audits(known, plan, calendar),
        calendar=calendar,
        settings=config.notices,
        policy=config.policy,
    )
    sent = set(data["notices_sent"]["notice_id"])
    due = [(notice_id(n), n) for n in due_notices(facts)]
    due = sorted(((i, n) for i, n in due if i not in sent), key=lambda item: item[0])
    people = _people(data)
    sender = config.smtp.sender
    policy = Fields(
        amendment_working_days=config.policy.amendment_working_days,
        max_break_percent=f"{100 * config.policy.max_break_fraction:g}",
        reaudit_within_months=config.policy.reaudit_within_months,
        review_meeting_after_days=config.policy.review_meeting_after_days,
        reflection_meeting_within_working_days=(
            config.policy.reflection_meeting_within_working_days
        ),
    )
    rows, lost, messages, outgoing = [], [], {}, []
    shared: dict[tuple[str, str | None], Fields] = {}
    # First every notice's context, then the texts a kind at a time, then the messages.
    pending: list[tuple[str, Due, _Person, list[_Person], str, str]] = []
    contexts: list[tuple[str, Mapping[str, object]]] = []
    seen: set[str] = set()
    for identifier, notice in due:
        if identifier in seen:
            continue
        seen.add(identifier)
        recipient = people.get(notice.recipient_id)
        why = "not in staff" if recipient is None else recipient.undeliverable(day)
        if why is not None or recipient is None or recipient.email is None:
            lost.append(
                {
                    "notice_id": identifier,
                    "recipient_id": notice.recipient_id,
                    "reason": why,
                    "kind": notice.kind,
                }
            )
            continue
        copies = [
            people[c] for c in notice.cc_ids if c in people and people[c].undeliverable(day) is None
        ]
        words = {
            "audit_id": notice.audit_id or "",
            "due_on": _iso(notice.due_on) or "",
            "month": notice.month or "",
        }
        subject = SUBJECTS[notice.kind].format(**words)
        file = f"{NOTICE_FOLDER}/{safe_name(identifier)}.eml"
        context = _context(identifier, notice, subject, recipient, people, policy, shared)
        pending.append((identifier, notice, recipient, copies, subject, file))
        contexts.append((notice.kind, context))
    try:
        bodies = templates.render_many(contexts)
    except TemplateError as error:
        raise InputError([InputIssue(error.file, error.line, "-", error.message)]) from None
    for (identifier, notice, recipient, copies, subject, file), body in zip(
        pending, bodies, strict=True
    ):
        assert recipient.email is not None  # a notice without one is undeliverable
        messages[file] = message_bytes(
            notice_id=identifier,
            sender=sender,
            to=(recipient.name, recipient.email),
            cc=[(c.name, c.email or "") for c in copies],
            subject=subject,
            body=body,
            day=day,
        )
        outgoing.append(
            Outgoing(
                identifier,
                (recipient.email, *(c.email for c in copies if c.email)),
                messages[file],
            )
        )
        rows.append(
            {
                "notice_id": identifier,
                "kind": notice.kind,
                "send_on": notice.send_on,
                "recipient_id": notice.recipient_id,
                "recipient_email": recipient.email,
                "cc": ";".join(c.email for c in copies if c.email) or None,
                "subject": subject,
                "audit_id": notice.audit_id,
                "case_id": notice.case_id,
                "due_on": notice.due_on,
                "file": file,
                "month": notice.month,
                "sent": None,
            }
        )
    notices = pd.DataFrame(rows, columns=OUTPUT_TABLES["notices"].column_names)
    undeliverable = pd.DataFrame(lost, columns=OUTPUT_TABLES["undeliverable"].column_names)
    tables = {
        "notices": notices.astype(object).where(notices.notna(), None),
        "undeliverable": undeliverable.astype(object).where(undeliverable.notna(), None),
    }
    kinds = notices["kind"].value_counts()
    manifest: dict[str, object] = {
        "tool": "caseaudit",
        "tool_version": package_version("caseaudit"),
        "python_version": sys.version.split()[0],
        "command": command or "caseaudit.notify()",
        "as_of": day.isoformat(),
        "month": month_of(day),
        "window": [window_start.isoformat(), day.isoformat()],
        "plan": plan_source,
        "inputs_sha256": input_hashes(data),
        "config": config.as_dict(),
        "counts": {
            "notices": len(notices),
            "undeliverable": len(undeliverable),
            "already_sent": len(sent),
            **{f"kind_{k}": int(kinds.get(k, 0)) for k in KINDS},
        },
        "timings_s": {"notices_s": round(time.perf_counter() - started, 4)},
    }
    return NoticesResult(day, tables, messages, outgoing, config.smtp, config.output, manifest)


def _context(
    identifier: str,
    notice: Due,
    subject: str,
    recipient: _Person,
    people: dict[str, _Person],
    policy: Fields,
    shared: dict[tuple[str, str | None], Fields],
) -> dict[str, object]:
    """What a template may use (``render.PLACEHOLDERS``): ids, dates as ISO text, and
    the staff involved; nothing about the child or family but the case's id."""

    def person(staff_id: object, role: str | None = None) -> Fields | None:
        if not isinstance(staff_id, str) or staff_id not in people:
            return None
        # One context a person and role for the run: a person is in thousands of notices.
        known = shared.get((staff_id, role))
        if known is None:
            known = shared[staff_id, role] = people[staff_id].as_context(role)
        return known

    contacts_by_role = notice.facts.get("contacts", {})
    assert isinstance(contacts_by_role, dict)
    contacts = [
        person(contacts_by_role[column], CONTACT_ROLES[column])
        for column in CONTACTS
        if column in contacts_by_role
    ]
    return {
        "notice": Fields(
            notice_id=identifier,
            kind=notice.kind,
            send_on=notice.send_on.isoformat(),
            due_on=_iso(notice.due_on) or "",
            audit_id=notice.audit_id or "",
            case_id=notice.case_id or "",
            month=notice.month or "",
            subject=subject,
        ),
        "recipient": person(recipient.staff_id),
        "auditor": person(notice.facts.get("auditor_id"), "auditor"),
        "group_manager": person(contacts_by_role.get("group_manager_id"), "group manager"),
        "contacts": [c for c in contacts if c is not None],
        "facts": Fields({k: _iso(v) for k, v in notice.facts.items()}),
        "policy": policy,
    }
