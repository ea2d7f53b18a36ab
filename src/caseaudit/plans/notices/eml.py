"""One RFC 5322 message per notice (issue 22): UTF-8 plain text, CRLF line ends, with a
Message-ID and a Date that follow from the notice alone, so that a rerun writes the same
bytes and a mail client or server sees the same message twice as one.

The messages are written as bytes directly, tens of thousands a run (a national
authority's distribution day), in the layout the standard library's ``EmailMessage``
gives a plain-text message (the tests check the two agree byte for byte on plain
values). Only what needs it is encoded: a display name outside RFC 5322's atoms is
quoted, one with non-ASCII letters is an RFC 2047 encoded word, a non-ASCII subject is
encoded words (``email.header``), and a non-ASCII body is quoted-printable (RFC 2045's
76-character lines).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import quopri
import re
from email.header import Header
from email.policy import SMTP
from email.utils import format_datetime, formataddr

#: Characters a Message-ID's left part and a file name may hold as they are.
SAFE = re.compile(r"^[A-Za-z0-9._-]+$")
#: The hour written in every message's Date (the notices go out in the morning).
SEND_HOUR = dt.time(8, 0, tzinfo=dt.UTC)
NO_SENDER = "caseaudit@localhost"
#: RFC 5322's limit of a line (headers are not folded below it: a folded subject reads
#: back with a leading space in some clients).
MAX_LINE = 998
CRLF = b"\r\n"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: A display name written as it is: atoms separated by single spaces.
PLAIN_NAME = re.compile(rf"^{_ATOM}(?: {_ATOM})*$")
#: An address written as it is: a dot-atom local part at a dotted domain.
PLAIN_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$")
#: Unstructured header text written as it is: printable ASCII, single spaces inside.
PLAIN_TEXT = re.compile(r"^[!-~]+(?: [!-~]+)*$")


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


@functools.lru_cache(maxsize=65536)
def address(name: str, email: str) -> str:
    """``Name <email>``: the name as it is when it is plain atoms, quoted when it holds
    other ASCII (``"O'Brien, J." <...>``), an RFC 2047 encoded word when it is not
    ASCII (``email.utils.formataddr``)."""
    if PLAIN_NAME.match(name) and PLAIN_ADDRESS.match(email):
        return f"{name} <{email}>"
    return formataddr((name, email), charset="utf-8")


@functools.lru_cache(maxsize=8)
def date_header(day: dt.date) -> str:
    return format_datetime(dt.datetime.combine(day, SEND_HOUR))


def _header(name: str, value: str) -> bytes:
    """``Name: value`` with CRLF; unstructured text that is not plain ASCII (or too long
    for one line) as RFC 2047 encoded words, folded."""
    line = f"{name}: {value}"
    if PLAIN_TEXT.match(value) and len(line) <= MAX_LINE:
        return line.encode("ascii") + CRLF
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + CRLF


def _addresses(name: str, people: list[str]) -> bytes:
    """An address header, folded between addresses when one line would be too long."""
    line = f"{name}: {', '.join(people)}"
    if len(line) <= MAX_LINE:
        return line.encode("ascii") + CRLF
    folded = ",\r\n ".join(people)
    return f"{name}: {folded}".encode("ascii") + CRLF


def _body(body: str) -> tuple[bytes, bytes]:
    """(Content-Transfer-Encoding, the body's bytes): 7-bit text as written when it is
    ASCII (it reads as written in any client), else quoted-printable UTF-8."""
    lines = body.encode("utf-8").splitlines()
    if body.isascii() and max(map(len, lines), default=0) <= MAX_LINE:
        return b"7bit", CRLF.join(lines) + CRLF
    encoded = quopri.encodestring(b"\n".join(lines) + b"\n")
    return b"quoted-printable", CRLF.join(encoded.splitlines()) + CRLF


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
    encoding, payload = _body(body)
    parts = [
        _from(sender),
        _addresses("To", [address(*to)]),
        _addresses("Cc", [address(*person) for person in cc]) if cc else b"",
        _header("Subject", subject),
        f"Date: {date_header(day)}\r\n".encode("ascii"),
        f"Message-ID: {message_id(notice_id, sender)}\r\n".encode("ascii"),
        _header("X-Caseaudit-Notice", notice_id),
        b'Content-Type: text/plain; charset="utf-8"\r\n',
        b"Content-Transfer-Encoding: " + encoding + CRLF,
        b"MIME-Version: 1.0\r\n",
        CRLF,
        payload,
    ]
    return b"".join(parts)


@functools.lru_cache(maxsize=8)
def _from(sender: str | None) -> bytes:
    """The From header, the same for every message of a run: written by the standard
    library's header registry (a council's ``from`` may be ``Name <address>``)."""
    value = sender or NO_SENDER
    if PLAIN_ADDRESS.match(value):
        return f"From: {value}\r\n".encode("ascii")
    policy = SMTP.clone(max_line_length=MAX_LINE)
    return policy.fold_binary("From", policy.header_factory("From", value))
