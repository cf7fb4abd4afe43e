"""How a browser shows the admin token of a server started with one, for the pages it cannot add a header to.

The dashboard's JavaScript sends the token as `Authorization: Bearer <token>` (its `adminFetch`), like every
other admin client. But a browser opening the page sends no such header: it sends the token as `?token=` the
first time (a link or a bookmark) and as the `mockoci_admin_token` cookie the page sets after that (SameSite
Strict, so another site cannot make the browser send it). Only a GET of the pages themselves may show the token
that way; every admin route still wants the header. The pages' assets (CSS, JavaScript, Swagger UI) hold no
state and need no token.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, unquote

from starlette.types import Scope

from ..operations import ADMIN_PREFIX
from ..request_headers import request_headers

COOKIE = "mockoci_admin_token"
QUERY = "token"
PAGES = frozenset({"/", ADMIN_PREFIX, ADMIN_PREFIX + "/"})
ASSETS = ADMIN_PREFIX + "/static/"


def is_asset(path: str) -> bool:
    """A static file of the pages (no state: open to anyone, like the docs page)."""
    return path.startswith(ASSETS)


def page_token(scope: Scope) -> str | None:
    """The token a browser sent with a GET of a page, as `?token=` or the cookie; None for anything else."""
    if scope.get("type") != "http" or scope.get("method") != "GET" or scope.get("path") not in PAGES:
        return None
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get(QUERY):
        return query[QUERY][0] or None
    cookie_header = request_headers(scope).get("cookie")
    if not cookie_header:
        return None
    try:
        cookies = SimpleCookie(cookie_header)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE)
    return (unquote(morsel.value) or None) if morsel is not None else None  # the page percent-encodes it
