"""The response of an OCI operation: a JSON body already serialised, sent as Starlette's Response sends it."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

JSON = "application/json"


class JSONBody(Response):
    """A JSON body already serialised (a stored version's cached bytes, a page of them, an error), with the
    headers Starlette's Response would give it, in its order (the given ones, then content-length and
    content-type), built in one step: half the CPU of Response's general constructor, on every OCI call."""

    media_type = JSON

    def __init__(self, body: bytes, headers: Mapping[str, str] | None = None, status_code: int = 200) -> None:
        self.status_code = status_code
        self.background = None
        self.body = body
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()] \
            if headers else []
        raw.append((b"content-length", str(len(body)).encode()))
        raw.append((b"content-type", b"application/json"))
        self.raw_headers = raw
