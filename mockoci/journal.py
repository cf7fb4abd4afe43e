"""The request journal and the request log: what each client sent and what it got back.

`JournalMiddleware` wraps the whole app (outside the signature check, so rejected requests are seen too). For
each request it records a `JournalEntry` (OCI requests only, never mockoci's own `/_mockoci/` routes) and
logs it on the `mockoci.requests` logger: one readable line at INFO (DEBUG for the `/_mockoci/` routes), its
fields as the record's `request` attribute, and, if configured, as one JSON line on stdout or stderr.
"""

from __future__ import annotations

import itertools
import json
import logging
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .console import sole_console
from .faults import FAULT_KEY
from .handlers import REQUEST_ID_KEY, new_request_id
from .middleware import AUTH_FAILURE_KEY, TENANCY_KEY
from .models import format_datetime
from .operations import OPERATION_KEY, is_admin_path, operation_of
from .request_headers import request_headers, response_header
from .settings import RequestLog

JOURNALED_HEADERS = ("opc-request-id", "if-match", "opc-retry-token", "opc-client-retries")
_ERROR_BODY_LIMIT = 64 * 1024

logger = logging.getLogger("mockoci.requests")


@dataclass(slots=True)
class JournalEntry:
    """One request as the server saw it, and its answer."""

    seq: int
    created: float  # when it was answered, in seconds since the epoch (`time` as a datetime)
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int
    duration_ms: float
    opc_request_id: str | None = None
    operation: str | None = None
    tenancy: str | None = None
    error_code: str | None = None
    auth_failure: str | None = None
    signing_string: str | None = None
    fault: str | None = None

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.created, UTC)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": format_datetime(self.time),
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "status": self.status,
            "errorCode": self.error_code,
            "authFailure": self.auth_failure,
            "signingString": self.signing_string,
            "fault": self.fault,
            "opcRequestId": self.opc_request_id,
            "tenancy": self.tenancy,
            "durationMs": self.duration_ms,
        }


# What the journal keeps of a request when it is answered: the scope's values, as they are (a JournalEntry is made
# of them only when the journal is read; a request costs a tuple, not an entry, ~10 us with the caches cold).
_Answered = tuple[
    int, float, str, str, bytes, dict[str, str], int, float, str | None, str | None, str | None, bytes, Any, str | None
]  # seq, created, method, path, query, headers, status, seconds taken (rounded to ms when read: round() of a
#    float is a correctly rounded decimal conversion, a few us cold), opc-request-id, operation, tenancy, error
#    body, auth failure, fault


class Journal:
    """The last `size` requests, oldest first; thread-safe."""

    def __init__(self, size: int = 1000) -> None:
        self._answered: deque[_Answered] = deque(maxlen=size)  # recorded, not read yet
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        return next(self._seq)

    def record(self, answered: _Answered) -> None:
        with self._lock:
            self._answered.append(answered)

    def _read(self) -> deque[JournalEntry]:
        """The entries, with those answered since the last read made into entries (call with the lock held)."""
        while self._answered:
            self._entries.append(_entry(self._answered.popleft()))
        return self._entries

    def entries(self, *, tenancy: str | None = None, operation: str | None = None) -> list[JournalEntry]:
        """The entries kept, newest last; only one tenancy's or one operation's when asked."""
        with self._lock:
            return [
                entry for entry in self._read()
                if (tenancy is None or entry.tenancy == tenancy)
                and (operation is None or entry.operation == operation)
            ]

    def clear(self, tenancy: str | None = None) -> None:
        """Forget every entry, or one tenancy's."""
        with self._lock:
            entries = self._read()
            if tenancy is None:
                entries.clear()
            else:
                kept = [entry for entry in entries if entry.tenancy != tenancy]
                entries.clear()
                entries.extend(kept)


class JournalMiddleware:
    """Gives every request its `opc-request-id` (the client's own, if it sent one: in the scope, REQUEST_ID_KEY,
    and on the response unless it already carries one), records every OCI request in the journal and logs every
    request as one line. Its `send` wrapper is the only one a response passes through."""

    def __init__(self, app: ASGIApp, *, journal: Journal, request_log: RequestLog = "off") -> None:
        self.app = app
        self.journal = journal
        self.request_log = request_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_headers(scope).get("opc-request-id") or new_request_id()
        scope[REQUEST_ID_KEY] = request_id
        operation_of(scope)
        status = 500
        response_request_id: str | None = None
        error_body = b""  # of a failed request, its first _ERROR_BODY_LIMIT bytes

        async def capture(message: Message) -> None:
            nonlocal status, response_request_id, error_body
            if message["type"] == "http.response.start":
                status = message["status"]
                response_request_id = response_header(message, b"opc-request-id")
                if response_request_id is None:
                    given = (b"opc-request-id", request_id.encode("latin-1"))
                    message["headers"] = [*message.get("headers", ()), given]
                    response_request_id = request_id
            elif message["type"] == "http.response.body" and status >= 400 and len(error_body) < _ERROR_BODY_LIMIT:
                error_body += message.get("body", b"")[: _ERROR_BODY_LIMIT - len(error_body)]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            path: str = scope["path"]
            answered: _Answered = (
                self.journal.next_seq(), time.time(), scope["method"], path, scope.get("query_string", b""),
                request_headers(scope), status, time.perf_counter() - started,
                response_request_id or request_id, scope.get(OPERATION_KEY), scope.get(TENANCY_KEY), error_body,
                scope.get(AUTH_FAILURE_KEY), scope.get(FAULT_KEY),
            )
            admin = is_admin_path(path)
            if not admin:
                self.journal.record(answered)
            self._log(answered, admin)

    def _log(self, answered: _Answered, admin: bool) -> None:
        # mockoci's own routes (a dashboard polls them) log at DEBUG, so the console shows the client's requests
        level = logging.DEBUG if admin else logging.INFO
        if self.request_log == "off" and not logger.isEnabledFor(level):
            return  # nobody reads the line
        console = sole_console(logger, level)
        if console is not None:  # `mockoci serve`'s console alone: the same line without a LogRecord
            console.write_line(level, _ReadableLine(answered), answered[1])  # formatted when written
            if self.request_log == "off":
                return
        entry = _entry(answered)
        fields = {
            "time": format_datetime(entry.time),
            "opcRequestId": entry.opc_request_id,
            "operation": entry.operation,
            "method": entry.method,
            "path": entry.path,
            "status": entry.status,
            "errorCode": entry.error_code,
            "durationMs": entry.duration_ms,
            "tenancy": entry.tenancy,
            **({"fault": entry.fault} if entry.fault else {}),
            **({"authFailure": entry.auth_failure} if entry.auth_failure else {}),
        }
        if console is None:
            logger.log(level, "%s", _ReadableLine(answered), extra={"request": fields})
        if self.request_log != "off":
            stream = sys.stdout if self.request_log == "stdout" else sys.stderr
            stream.write(json.dumps(fields) + "\n")
            stream.flush()


def _milliseconds(seconds: float) -> float:
    """A duration as the journal gives it: milliseconds, to the microsecond."""
    return round(seconds * 1000, 3)


def _entry(answered: _Answered) -> JournalEntry:
    """The journal's entry of an answered request."""
    (seq, created, method, path, query, headers, status, seconds, request_id, operation, tenancy, error_body,
     recorded_failure, fault) = answered
    error_code = error_message = auth_failure = signing_string = None
    if status >= 400:
        error_code, error_message = _error_of(error_body)
        auth_failure, signing_string = _auth_failure(recorded_failure)
        if auth_failure is None and status == 401:
            auth_failure = error_message
    return JournalEntry(
        seq=seq,
        created=created,
        method=method,
        path=path,
        query=query.decode("latin-1"),
        headers={name: headers[name] for name in JOURNALED_HEADERS if name in headers},
        status=status,
        duration_ms=_milliseconds(seconds),
        opc_request_id=request_id,
        operation=operation,
        tenancy=tenancy,
        error_code=error_code,
        auth_failure=auth_failure,
        signing_string=signing_string,
        fault=fault,
    )


class _ReadableLine:
    """A request as one console line, built only if a handler formats it (or the console writes it):
    `PUT /20160918/volumeBackups/ocid1... UpdateVolumeBackup 412 NoEtagMatch 1.2 ms opc-request-id=...`. Made
    from the journal's tuple: only a failed request's line needs its entry (the error code, the auth failure)."""

    __slots__ = ("answered",)

    def __init__(self, answered: _Answered) -> None:
        self.answered = answered

    def __str__(self) -> str:
        (_, _, method, path, query, _, status, seconds, request_id, operation, _, _, _, fault) = self.answered
        entry = _entry(self.answered) if status >= 400 else None
        parts = [method, path + ("?" + query.decode("latin-1") if query else ""), operation or "-", str(status)]
        if entry is not None and entry.error_code:
            parts.append(entry.error_code)
        parts.append(f"{_milliseconds(seconds):.3g} ms")
        parts.append(f"opc-request-id={request_id}")
        if fault:
            parts.append(f"fault={fault}")
        if entry is not None and entry.auth_failure:
            parts.append(f"({entry.auth_failure})")
        return " ".join(parts)


def _auth_failure(recorded: Any) -> tuple[str | None, str | None]:
    """The reason and server-side signing string the signature check recorded, if it rejected the request."""
    if recorded is None:
        return None, None
    if isinstance(recorded, dict):
        reason, signing_string = recorded.get("reason"), recorded.get("signing_string")
        return (str(reason) if reason is not None else None), (
            str(signing_string) if signing_string is not None else None
        )
    return str(recorded), None


def _error_of(body: bytes) -> tuple[str | None, str | None]:
    try:
        document = json.loads(body)
    except ValueError:
        return None, None
    if not isinstance(document, dict):
        return None, None
    code, message = document.get("code"), document.get("message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)
