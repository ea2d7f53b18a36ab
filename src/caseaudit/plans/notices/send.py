"""``notify --send``: each notice over SMTP, recorded as sent only once the server has
accepted it (issue 22).

The password comes from the environment variable ``CASEAUDIT_SMTP_PASSWORD`` and goes
nowhere else: not into a message, a file, the manifest or an error's words.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from caseaudit.model.config import SmtpConfig

PASSWORD_VARIABLE = "CASEAUDIT_SMTP_PASSWORD"
TIMEOUT_S = 60


@dataclass(frozen=True)
class Outgoing:
    notice_id: str
    recipients: tuple[str, ...]  # To first, then Cc
    message: bytes


class SendSetupError(Exception):
    """``--send`` cannot start: the config or the environment lacks something."""


def smtp_problems(smtp: SmtpConfig) -> list[tuple[str, str]]:
    """(key, message) for each ``[smtp]`` key ``--send`` needs and lacks."""
    problems = []
    if not smtp.host:
        problems.append(("smtp.host", "--send needs the council's mail server: [smtp] host"))
    if not smtp.sender:
        problems.append(("smtp.from", "--send needs the address notices come from: [smtp] from"))
    if smtp.username and not os.environ.get(PASSWORD_VARIABLE):
        problems.append(
            (
                "smtp.username",
                f"a login as {smtp.username!r} needs its password in the environment "
                f"variable {PASSWORD_VARIABLE}",
            )
        )
    return problems


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    assert smtp.host is not None
    if smtp.security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=TIMEOUT_S, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_S)
        if smtp.security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if smtp.username:
        server.login(smtp.username, os.environ.get(PASSWORD_VARIABLE, ""))
    return server


def send_all(
    smtp: SmtpConfig, outgoing: Iterable[Outgoing], accepted: Callable[[str], None]
) -> dict[str, str]:
    """Send each message in one session; call ``accepted(notice_id)`` as soon as the
    server has taken it (before the next is sent). Returns notice_id → why it was not
    sent, for each one left unsent; a lost connection leaves every later one unsent."""
    failed: dict[str, str] = {}
    pending = list(outgoing)
    if not pending:
        return failed
    try:
        server = _connect(smtp)
    except (OSError, smtplib.SMTPException) as error:
        reason = f"could not reach {smtp.host}:{smtp.port}: {_words(error)}"
        return {item.notice_id: reason for item in pending}
    try:
        for position, item in enumerate(pending):
            try:
                refused = server.sendmail(smtp.sender or "", list(item.recipients), item.message)
            except smtplib.SMTPServerDisconnected as error:
                for later in pending[position:]:
                    failed[later.notice_id] = f"the server closed the connection: {_words(error)}"
                break
            except smtplib.SMTPException as error:
                failed[item.notice_id] = f"refused by the server: {_words(error)}"
                continue
            if item.recipients[0] in refused:  # the main recipient refused, a copy taken
                failed[item.notice_id] = f"refused by the server: {refused[item.recipients[0]]!r}"
                continue
            accepted(item.notice_id)
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            server.quit()
    return failed


def _words(error: BaseException) -> str:
    """An SMTP error's code and text, never the login's secret."""
    if isinstance(error, smtplib.SMTPResponseException):
        raw = error.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        return f"{error.smtp_code} {text}".strip()
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{who}: {code}" for who, (code, _) in error.recipients.items())
    return type(error).__name__ + (f" ({error})" if str(error) else "")
