"""``caseaudit notify`` (issue 22): every message the policy asks for, due on a day,
ready to send, sent once.

- ``rules.py``: what is due on a day, one named function per kind, citing its §;
- ``tables.py``: the ``notices`` and ``undeliverable`` tables and the messages;
- ``render.py`` and ``templates/``: one Jinja2 template per kind, a council's own first;
- ``eml.py``: RFC 5322 messages; ``send.py``: SMTP.
"""

from caseaudit.plans.notices.tables import NoticesResult, build_notices

__all__ = ["NoticesResult", "build_notices"]
