"""Who may use ``caseaudit serve`` (issue 25): the holder of the URL's random token.

The server binds 127.0.0.1 only; the token is printed (as Jupyter does) and, on the
first visit with ``?token=``, swapped for an HttpOnly, SameSite=Strict cookie, so the
token leaves the address bar and no other site can send it. Every request but the
stylesheet needs the token or the cookie (403 otherwise); every POST carries a CSRF
token derived from the secret (403 without it); a request body is capped in size.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "caseaudit_token"
CSRF_FIELD = "csrf"
#: Forms hold a few identifiers and dates; anything larger is not one of ours.
MAX_BODY_BYTES = 64 * 1024
#: The one form that carries a file: a workbook (``caseaudit.xlsx``) for the data page.
UPLOAD_PATH = "/data/upload"
UPLOAD_BYTES = 20 * 1024 * 1024
#: Paths served without the token: the stylesheet holds nothing of the data.
PUBLIC_PREFIXES = ("/static/",)


@dataclass(frozen=True)
class Secret:
    """The server's token and the CSRF token derived from it."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def csrf(self) -> str:
        # Derived, not stored: a page and the POST it makes agree without a session
        # store, and knowing the CSRF token does not give the access token back.
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    def is_token(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def is_csrf(self, given: object) -> bool:
        return isinstance(given, str) and hmac.compare_digest(given.encode(), self.csrf.encode())


class TokenMiddleware:
    """403 for any request without the token (query) or its cookie; the first visit
    with ``?token=`` sets the cookie and is redirected to the same URL without it."""

    def __init__(self, app: ASGIApp, secret: Secret) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if request.url.path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        given = request.query_params.get("token")
        if self.secret.is_token(given):
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = URL(scope=scope).replace_query_params(**dict(params))
            clean = target.path + (f"?{target.query}" if target.query else "")
            response: Response = RedirectResponse(clean, status_code=303)
            response.set_cookie(
                COOKIE, self.secret.token, httponly=True, samesite="strict", path="/"
            )
            await response(scope, receive, send)
            return
        if not self.secret.is_token(request.cookies.get(COOKIE)):
            forbidden = PlainTextResponse(
                "403 forbidden: open the address caseaudit serve printed (it holds the token)",
                status_code=403,
            )
            await forbidden(scope, receive, send)
            return
        length = request.headers.get("content-length")
        cap = UPLOAD_BYTES if request.url.path == UPLOAD_PATH else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > cap):
            too_large = PlainTextResponse("413 request too large", status_code=413)
            await too_large(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def checked_form(request: Request, secret: Secret) -> dict[str, str]:
    """The POSTed form as text fields, or a 403 when its CSRF token is missing or wrong."""
    from starlette.exceptions import HTTPException

    async with request.form(max_files=0, max_fields=50) as form:
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    if not secret.is_csrf(fields.get(CSRF_FIELD)):
        raise HTTPException(403, "403 forbidden: the form's CSRF token is missing or wrong")
    return fields
