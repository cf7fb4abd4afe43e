"""A request's headers as a dict, parsed once per request and shared by every middleware that reads them."""

from __future__ import annotations

from starlette.types import Message, Scope

HEADERS_KEY = "mockoci.headers"


def request_headers(scope: Scope) -> dict[str, str]:
    """Header name (lower case, as ASGI servers give it) to its first value, as Starlette's `Headers.get`
    gives it; cached in the scope. Starlette's `Headers` scans the raw list on every lookup, and each
    middleware built its own: ~15 lookups per request (docs/performance.md)."""
    parsed: dict[str, str] | None = scope.get(HEADERS_KEY)
    if parsed is None:  # last to first: the first value of a name is the one kept
        parsed = {name.decode("latin-1"): value.decode("latin-1") for name, value in reversed(scope["headers"])}
        scope[HEADERS_KEY] = parsed
    return parsed


def response_header(message: Message, name: bytes) -> str | None:
    """The first value of header `name` (lower case) in an `http.response.start` message, if it has one."""
    for key, value in message.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class HeaderLists:
    """A request's headers with every value of each name, parsed once: what verifying a signature reads
    (mockoci.signing.HeaderLookup), as Starlette's `Headers` gives it, without its scan of the raw list per
    lookup (a signing string looks up each signed header). A request that sends no name twice (every client's)
    is read from `request_headers`' dict, which holds all its values already."""

    __slots__ = ("_first", "_values")

    def __init__(self, scope: Scope) -> None:
        self._first = request_headers(scope)
        self._values: dict[str, list[str]] | None = None
        if len(self._first) != len(scope["headers"]):  # a name sent more than once
            values: dict[str, list[str]] = {}
            for name, value in scope["headers"]:
                values.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
            self._values = values

    def get(self, key: str, /) -> str | None:
        if self._values is None:
            return self._first.get(key.lower())
        found = self._values.get(key.lower())
        return found[0] if found else None

    def getlist(self, key: str) -> list[str]:
        if self._values is None:
            value = self._first.get(key.lower())
            return [] if value is None else [value]
        return list(self._values.get(key.lower(), ()))
