"""OCI request signatures ("Signature version 1", draft-cavage HTTP signatures): pure functions, no HTTP."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
BODY_HEADERS = ("x-content-sha256", "content-type", "content-length")
_PARAM = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(ValueError):
    """Why a request's signature is not acceptable; the text is for logs, clients see OCI's generic message."""


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """The parameters of an `Authorization: Signature ...` header."""

    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: str
    version: str = "1"

    @property
    def tenancy(self) -> str:
        return self.key_id.split("/")[0]

    @property
    def user(self) -> str:
        return self.key_id.split("/")[1]

    @property
    def fingerprint(self) -> str:
        return self.key_id.split("/")[2]


def parse_authorization(value: str | None) -> SignatureParams:
    """Parse `Signature keyId="...",algorithm="...",...` with its parameters in any order and any case."""
    if not value:
        raise SignatureError("the Authorization header is missing")
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "signature":
        raise SignatureError(f"the Authorization scheme is {scheme!r}, not 'Signature'")
    params: dict[str, str] = {}
    position = 0
    rest = rest.strip()
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise SignatureError("the Authorization header is not a list of key=\"value\" parameters")
        params[match.group(1).lower()] = match.group(2)
        position = match.end()
    missing = [name for name in ("keyid", "algorithm", "headers", "signature") if not params.get(name)]
    if missing:
        names = {"keyid": "keyId"}
        raise SignatureError("the Authorization header has no " + ", ".join(names.get(n, n) for n in missing))
    key_id = params["keyid"]
    parts = key_id.split("/")
    if len(parts) != 3 or not all(parts):
        raise SignatureError(f"the keyId {key_id!r} is not of the form tenancy/user/fingerprint")
    if params["algorithm"].lower() != "rsa-sha256":
        raise SignatureError(f"the algorithm {params['algorithm']!r} is not rsa-sha256")
    version = params.get("version", "1")
    if version != "1":
        raise SignatureError(f"the signature version {version!r} is not 1")
    return SignatureParams(
        key_id=key_id,
        algorithm=params["algorithm"],
        headers=tuple(name.lower() for name in params["headers"].split()),
        signature=params["signature"],
        version=version,
    )


def check_presence(method: str, headers: Mapping[str, str]) -> SignatureParams:
    """What a signed OCI request carries: a well-formed Authorization header, a date, and the body headers.

    `headers` must look names up case-insensitively (Starlette's Headers does).
    """
    params = parse_authorization(headers.get("authorization"))
    if not headers.get("x-date") and not headers.get("date"):
        raise SignatureError("the request has neither a date nor an x-date header")
    if method.upper() in BODY_METHODS:
        missing = [name for name in BODY_HEADERS if not headers.get(name)]
        if missing:
            raise SignatureError(f"a {method.upper()} request must carry " + ", ".join(missing))
    return params
