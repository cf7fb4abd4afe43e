"""Test helpers that drive a mockoci server through its admin API over HTTP, so they work the same against an
in-process server and a container. Standard library only; the pytest plugin builds on these."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any

ADMIN = "/_mockoci"


class MockOCIAdminError(RuntimeError):
    """The admin API answered with an error; carries the HTTP status and OCI's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class AdminClient:
    """The admin API of the mockoci server at `url`."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """Sends one admin request (a `bytes` body as it is, anything else as JSON); returns the decoded JSON
        answer (None for an empty one)."""
        query = {name: value for name, value in (params or {}).items() if value is not None}
        url = self.url + ADMIN + path + ("?" + urllib.parse.urlencode(query) if query else "")
        if isinstance(body, bytes):
            data: bytes | None = body
        else:
            data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("content-type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            try:
                error = json.loads(payload)
                code, message = str(error.get("code")), str(error.get("message"))
            except (ValueError, AttributeError):
                code, message = "Unknown", payload.decode(errors="replace")
            raise MockOCIAdminError(exc.code, code, message) from None
        return json.loads(payload) if payload else None

    def healthy(self) -> bool:
        try:
            return bool(self.request("GET", "/health"))
        except (OSError, MockOCIAdminError, ValueError):
            return False

    def wait_until_healthy(self, timeout: float = 30.0, interval: float = 0.1) -> None:
        """Waits for `/_mockoci/health` to answer 200; raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no healthy mockoci server at {self.url} within {timeout} s")
            time.sleep(interval)


class MockOCI:
    """One test's view of a mockoci server: its URL and helpers acting on one tenancy's state.

    Backups are OCI's wire JSON (camelCase dicts), as `GET /20160918/volumeBackups/{id}` returns them.
    """

    def __init__(self, admin: AdminClient, tenancy: str) -> None:
        self.admin = admin
        self.tenancy = tenancy

    @property
    def url(self) -> str:
        """The server's base URL, for `service_endpoint=`."""
        return self.admin.url

    def _tenancy(self) -> dict[str, str]:
        return {"tenancy": self.tenancy}

    # state
    def reset(self) -> None:
        """Forgets this tenancy's backups, lifecycle mode, journal and fault rules (fixtures come back)."""
        self.admin.request("POST", "/reset", params=self._tenancy())

    def seed(
        self, backups: Iterable[Mapping[str, Any]] = (), *, volumes: Iterable[Mapping[str, Any]] = ()
    ) -> list[dict[str, Any]]:
        """Stores backups exactly as given (fixture format); returns them as stored."""
        document = {"volumeBackups": list(backups), "volumes": list(volumes)}
        result: list[dict[str, Any]] = self.admin.request(
            "POST", "/backups", params=self._tenancy(), body=document
        )
        return result

    def create_volume(self, **fields: Any) -> dict[str, Any]:
        """Stores a volume now, AVAILABLE and hydrated, and returns it (GetVolume's JSON); backups can then be
        made of it. `fields` (camelCase, all optional): id, compartmentId (default: the tenancy), sizeInGBs
        (default 50), displayName, availabilityDomain, definedTags, freeformTags, lifecycleState."""
        result: dict[str, Any] = self.admin.request("POST", "/volumes", params=self._tenancy(), body=fields)
        return result

    def force_volume_state(self, volume_id: str, state: str, *, is_hydrated: bool | None = None) -> dict[str, Any]:
        """Puts a volume in any lifecycle state now (and sets isHydrated, if given); returns it."""
        body: dict[str, Any] = {"lifecycleState": state}
        if is_hydrated is not None:
            body["isHydrated"] = is_hydrated
        result: dict[str, Any] = self.admin.request(
            "POST", f"/volumes/{urllib.parse.quote(volume_id, safe='')}/state", params=self._tenancy(), body=body,
        )
        return result

    def force_work_request(
        self, work_request_id: str, status: str, *, code: str | None = None, message: str | None = None
    ) -> dict[str, Any]:
        """Puts a work request in any status now (FAILED with this error code and message makes the copy it
        follows FAULTY); returns it."""
        body = {"status": status, "code": code, "message": message}
        result: dict[str, Any] = self.admin.request(
            "POST", f"/workRequests/{urllib.parse.quote(work_request_id, safe='')}/state", params=self._tenancy(),
            body={name: value for name, value in body.items() if value is not None},
        )
        return result

    def generate(self, count: int, *, seed: int | None = None, **fields: Any) -> list[dict[str, Any]]:
        """Generates `count` plausible backups (same seed, same backups); `fields`: compartmentId, volumeId,
        lifecycleState."""
        body = {"count": count, "seed": seed, **fields}
        result: list[dict[str, Any]] = self.admin.request(
            "POST", "/backups/generate", params=self._tenancy(), body=body
        )
        return result

    def force_state(self, backup_id: str, state: str) -> dict[str, Any]:
        """Puts a backup in any lifecycle state now; returns it."""
        result: dict[str, Any] = self.admin.request(
            "POST", f"/backups/{urllib.parse.quote(backup_id, safe='')}/state", params=self._tenancy(),
            body={"lifecycleState": state},
        )
        return result

    # time
    def set_lifecycle(self, mode: str, delay: float | None = None) -> dict[str, Any]:
        """`immediate`, `delay` (after `delay` seconds of the server's clock) or `manual`, for this
        tenancy."""
        result: dict[str, Any] = self.admin.request(
            "PUT", "/lifecycle", params=self._tenancy(), body={"mode": mode, "delay": delay}
        )
        return result

    def lifecycle(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin.request("GET", "/lifecycle", params=self._tenancy())
        return result

    def settle(self, backup_id: str | None = None) -> list[dict[str, Any]]:
        """Completes pending transitions now (this tenancy's, or one backup's); returns what changed."""
        result: list[dict[str, Any]] = self.admin.request(
            "POST", "/lifecycle/settle", params={**self._tenancy(), "volumeBackupId": backup_id}
        )
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Moves the server's clock forward (for every tenancy: the clock is the server's)."""
        result: dict[str, Any] = self.admin.request("POST", "/clock/advance", body={"seconds": seconds})
        return result

    # faults
    def inject_fault(self, **rule: Any) -> dict[str, Any]:
        """Adds a fault rule for this tenancy: operation=, method=, path=, status=, code=, message=, latency=,
        times=, probability= (see docs/admin-api.md). Returns the rule with its id."""
        result: dict[str, Any] = self.admin.request("POST", "/faults", body={**rule, "tenancy": self.tenancy})
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.admin.request("GET", "/faults", params=self._tenancy())
        return result

    def remove_fault(self, fault_id: str) -> None:
        self.admin.request("DELETE", f"/faults/{urllib.parse.quote(fault_id, safe='')}")

    def clear_faults(self) -> None:
        self.admin.request("DELETE", "/faults", params=self._tenancy())

    # journal
    def journal(self, operation: str | None = None) -> list[dict[str, Any]]:
        """This tenancy's requests as the server saw them, newest last (optionally one operation's)."""
        result: list[dict[str, Any]] = self.admin.request(
            "GET", "/journal", params={**self._tenancy(), "operation": operation}
        )
        return result

    def clear_journal(self) -> None:
        self.admin.request("DELETE", "/journal", params=self._tenancy())

    # keys
    def register_key(self, public_key_pem: str, user: str) -> bool:
        """Registers a public API signing key for this tenancy and `user` (`POST /_mockoci/keys`, which
        `--auth verify` checks signatures against); False if the server keeps no keys."""
        try:
            self.admin.request(
                "POST", "/keys", params={"tenancy": self.tenancy, "user": user},
                body=public_key_pem.encode(), content_type="application/x-pem-file",
            )
        except MockOCIAdminError as exc:
            if exc.status in (404, 405):
                return False
            raise
        return True
