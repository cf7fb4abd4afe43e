"""OCI request signatures ("Signature version 1", draft-cavage HTTP signatures): pure functions, no HTTP."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
BODY_HEADERS = ("x-content-sha256", "content-type", "content-length")
REQUEST_TARGET = "(request-target)"
DATE_HEADERS = ("date", "x-date")
MAX_CLOCK_SKEW = 300.0
# One `name="value"` parameter and the comma after it, else (the third group) the first character that is not
# one: findall walks the parameters from the start, and finds a character in the third group where they stop.
_PARAM_OR_NOT = re.compile(r'\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)|(.)', re.DOTALL)


class HeaderLookup(Protocol):
    """Request headers looked up by name, case-insensitively (Starlette's Headers is one)."""

    def get(self, key: str, /) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


class SignatureError(ValueError):
    """Why a request's signature is not acceptable; the text is for logs, clients see OCI's generic message.

    `signing_string` is what the server computed from the request, once it got that far.
    """

    def __init__(self, reason: str, signing_string: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signing_string = signing_string


class SignatureParams(NamedTuple):
    """The parameters of an `Authorization: Signature ...` header (a NamedTuple: immutable, and made in a third of
    the time of a frozen dataclass, once per request)."""

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
    params = _plain_params(rest.strip())
    if params is None:
        params = {}
        for name, param, other in _PARAM_OR_NOT.findall(rest.strip()):
            if other:
                raise SignatureError("the Authorization header is not a list of key=\"value\" parameters")
            params[name.lower()] = param
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
        headers=tuple(params["headers"].lower().split()),
        signature=params["signature"],
        version=version,
    )


def _plain_params(text: str) -> dict[str, str] | None:
    """The parameters of `name="value",name="value"` written without spaces, as the SDKs write them, by name
    (lower case); None for anything else, which the regular expression reads (half the cost of the expression
    on a request's first touch of it, with the caches cold)."""
    if not text.endswith('"'):
        return None
    params: dict[str, str] = {}
    for part in text[:-1].split('",'):
        name, quote, value = part.partition('="')
        if not quote or not (name.isascii() and name.isalpha()) or '"' in value:
            return None
        params[name.lower()] = value
    return params


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


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """OCI's key fingerprint: the colon-separated lower-case hex MD5 of the DER SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization  # ~15 ms of start-up: only when keys are loaded

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return ":".join(f"{byte:02x}" for byte in hashlib.md5(der, usedforsecurity=False).digest())


def required_headers(method: str) -> frozenset[str]:
    """The headers OCI requires in the signed list, besides one of `date` and `x-date`."""
    if method.upper() in BODY_METHODS:
        return frozenset({REQUEST_TARGET, "host", *BODY_HEADERS})
    return frozenset({REQUEST_TARGET, "host"})


def check_signed_list(method: str, signed: tuple[str, ...]) -> None:
    """Refuse a signature that leaves out a header OCI requires to be signed."""
    missing = sorted(required_headers(method) - set(signed))
    if not any(name in signed for name in DATE_HEADERS):
        missing.append("date or x-date")
    if missing:
        raise SignatureError("the signature does not cover " + ", ".join(missing))


def signing_string(signed: tuple[str, ...], method: str, target: str, headers: HeaderLookup) -> str:
    """The text the client signed: one `name: value` line per signed header, in the order listed.

    `target` is the path and query exactly as on the request line. A header sent several times contributes
    its values joined with ", ", as draft-cavage says.
    """
    lines = []
    for name in signed:
        if name == REQUEST_TARGET:
            lines.append(f"{REQUEST_TARGET}: {method.lower()} {target}")
            continue
        values = headers.getlist(name)
        if not values:
            raise SignatureError(f"the signed header {name!r} is not in the request")
        lines.append(f"{name}: {', '.join(value.strip() for value in values)}")
    return "\n".join(lines)


@functools.cache
def _rsa_sha256() -> tuple[Any, Any, type[Exception]]:
    """cryptography's RSASSA-PKCS1-v1_5 padding, SHA-256 and InvalidSignature, imported by the first verification:
    its RSA modules are ~7 ms of every start-up, and a server that checks presence only never needs them."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PKCS1v15(), hashes.SHA256(), InvalidSignature


def verify_signature(public_key: rsa.RSAPublicKey, text: str, signature: str) -> None:
    """Check an rsa-sha256 (RSASSA-PKCS1-v1_5) signature, base64-encoded, of `text`."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("the signature is not base64", text) from exc
    pkcs1v15, sha256, invalid_signature = _rsa_sha256()
    try:
        public_key.verify(raw, text.encode(), pkcs1v15, sha256)
    except invalid_signature as exc:
        raise SignatureError("the signature does not match the signing string and key", text) from exc


def check_date(
    headers: HeaderLookup, now: float, signed: tuple[str, ...], max_skew: float = MAX_CLOCK_SKEW
) -> None:
    """The signed date is within `max_skew` seconds of `now`: `x-date` if the signature covers it, else `date`.

    As OCI: an `x-date` that is not signed says nothing (anyone can add one to a replayed request), so a
    request whose signed date is stale is refused whatever else it carries."""
    name = "x-date" if "x-date" in signed else "date"
    if name not in signed:
        raise SignatureError("the signature covers neither date nor x-date")
    value = headers.get(name)
    if value is None:
        raise SignatureError(f"the signed header {name!r} is not in the request")
    try:
        sent_at = _imf_fixdate(value) or parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise SignatureError(f"the {name} header {value!r} is not an HTTP date") from exc
    if sent_at.tzinfo is None:  # "-0000": UTC, with no claim about the local zone
        sent_at = sent_at.replace(tzinfo=UTC)
    skew = sent_at.timestamp() - now
    if abs(skew) > max_skew:
        direction = "ahead of" if skew > 0 else "behind"
        raise SignatureError(
            f"the {name} header is {abs(skew):.0f} s {direction} the server clock"
            f" (more than {max_skew:.0f} s)"
        )


_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def _imf_fixdate(value: str) -> datetime | None:
    """`Tue, 01 Dec 2026 19:45:27 GMT`, the form every client sends (RFC 9110's IMF-fixdate), read as
    `parsedate_to_datetime` reads it (the weekday unchecked; a day that does not exist is a ValueError) in a
    fifth of its time; None for any other form, which `parsedate_to_datetime` reads."""
    parts = value.split(" ")
    if len(parts) != 6 or parts[5] != "GMT" or len(parts[0]) != 4 or not parts[0].endswith(","):
        return None
    day, month, year, clock = parts[1], _MONTHS.get(parts[2]), parts[3], parts[4].split(":")
    if month is None or len(day) != 2 or len(year) != 4 or len(clock) != 3 or any(len(part) != 2 for part in clock):
        return None
    if not all(part.isascii() and part.isdigit() for part in (day, year, *clock)):
        return None
    hour, minute, second = (int(part) for part in clock)
    return datetime(int(year), month, int(day), hour, minute, second, tzinfo=UTC)


def check_body(headers: HeaderLookup, body: bytes) -> None:
    """`x-content-sha256` and `content-length`, when sent, describe the bytes that arrived."""
    digest = headers.get("x-content-sha256")
    if digest is not None:
        actual = base64.b64encode(hashlib.sha256(body).digest()).decode()
        if digest.strip() != actual:
            raise SignatureError(
                f"x-content-sha256 is {digest!r} but the SHA-256 of the {len(body)} bytes received"
                f" is {actual!r}"
            )
    length = headers.get("content-length")
    if length is not None and length.strip() != str(len(body)):
        raise SignatureError(f"content-length is {length!r} but {len(body)} bytes were received")


def verify_request(
    *,
    method: str,
    target: str,
    headers: HeaderLookup,
    body: bytes,
    resolve: Callable[[SignatureParams], rsa.RSAPublicKey],
    now: float,
) -> SignatureParams:
    """Everything OCI checks about a signed request, in order; raises SignatureError with the reason and
    (once it could be built) the signing string the server computed.

    `target` is the raw path and query as sent; `resolve` finds the registered key for a keyId or raises.
    """
    params = parse_authorization(headers.get("authorization"))
    check_signed_list(method, params.headers)
    text = signing_string(params.headers, method, target, headers)
    try:
        verify_signature(resolve(params), text, params.signature)
        check_date(headers, now, params.headers)
        check_body(headers, body)
    except SignatureError as exc:
        exc.signing_string = exc.signing_string or text
        raise
    return params
