"""``caseaudit serve`` (issue 25): the month run from a browser, on this machine only.

Needs the ``caseaudit[web]`` extra (Starlette, Jinja2, uvicorn); the base install never
imports this package.
"""

from caseaudit.web.app import create_app

__all__ = ["create_app"]
