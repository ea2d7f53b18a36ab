"""One RFC 5322 message per notice (issue 22): UTF-8 plain text, CRLF line ends, with a
Message-ID and a Date that follow from the notice alone, so that a rerun writes the same
bytes and a mail client or server sees the same message twice as one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

#: Characters a Message-ID's left part and a file name may hold as they are.
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
#: The hour written in every message's Date (the notices go out in the morning).
SEND_HOUR = dt.time(8, 0, tzinfo=dt.UTC)
NO_SENDER = "caseaudit@localhost"
#: CRLF line ends; headers are not folded below RFC 5322's 998 characters, as a folded
#: subject reads back with a leading space in some clients.
POLICY = SMTP.clone(max_line_length=998)


def safe_name(notice_id: str) -> str:
    """``notice_id`` as a file name and Message-ID part: itself when it is made of
    letters, digits, ``.``, ``_`` and ``-``; else those kept and a short hash of the
    whole id added, so that two ids never share a name."""
    if SAFE.match(notice_id):
        return notice_id
    kept = re.sub(r"[^A-Za-z0-9._-]+", "_", notice_id)
    return f"{kept}-{hashlib.sha256(notice_id.encode()).hexdigest()[:10]}"


def message_id(notice_id: str, sender: str | None) -> str:
    domain = (sender or NO_SENDER).rpartition("@")[2].strip(" >") or "localhost"
    return f"<{safe_name(notice_id)}@{domain}>"


def message_bytes(
    *,
    notice_id: str,
    sender: str | None,
    to: tuple[str, str],
    cc: list[tuple[str, str]],
    subject: str,
    body: str,
    day: dt.date,
) -> bytes:
    """The message: ``to`` and each ``cc`` as (name, e-mail); dated ``day`` at 08:00 UTC."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender or NO_SENDER
    message["To"] = formataddr(to)
    if cc:
        message["Cc"] = ", ".join(formataddr(person) for person in cc)
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.combine(day, SEND_HOUR))
    message["Message-ID"] = message_id(notice_id, sender)
    message["X-Caseaudit-Notice"] = notice_id
    # Plain 7-bit text reads as written in any client; quoted-printable only when needed.
    encoding = "7bit" if body.isascii() else "quoted-printable"
    message.set_content(body, charset="utf-8", cte=encoding)
    return message.as_bytes()
