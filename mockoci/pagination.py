"""Opaque, tamper-evident page tokens: a cursor into one sorted query, bound to that query and its caller.

A list page touches as little as it can, as every call runs with the CPU's caches cold (docs/performance.md):
the query's digest is Python's own hash; the token's text is JSON, written by json's C string encoder and read
by its C scanner (json.loads adds a regular expression), in base64url by binascii (base64's functions wrap it);
its MAC is a keyed BLAKE2b, one C call (HMAC-SHA256 goes through OpenSSL's far bigger code: 3-4x the CPU cold).
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from json.encoder import encode_basestring as _json_string  # '"text"', as json.dumps(ensure_ascii=False) writes it

_DIGEST_BITS = (1 << 64) - 1
_JSON = json.JSONDecoder()
_TO_URLSAFE, _FROM_URLSAFE = bytes.maketrans(b"+/", b"-_"), bytes.maketrans(b"-_", b"+/")  # base64 and base64url


class InvalidPageToken(ValueError):
    """A page token that this server did not issue, or issued for another query."""


def query_digest(query: Mapping[str, str | None]) -> str:
    """A short digest of the parts of a list query that a page token is bound to, in any order, a part None
    being the same as absent: the hash of its (name, value) pairs. A string's hash is SipHash with a key random
    per process, which is enough here: a token never outlives the server that issued it (PageTokens' secret is
    made with the app), and the token's MAC, not the digest, is what makes it tamper-evident."""
    pairs = frozenset(item for item in query.items() if item[1] is not None)
    return f"{hash(pairs) & _DIGEST_BITS:016x}"


class PageTokens:
    """Issues and reads page tokens signed with a per-server secret (up to 64 bytes: BLAKE2b's key)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: bytes, tenancy: str) -> str:
        # the tenancy is in the MAC, not in the token: a token is valid only for the tenancy it was issued to
        signed = tenancy.encode("utf-8", "surrogatepass") + b"\0" + payload
        return hashlib.blake2b(signed, key=self._secret, digest_size=8).hexdigest()

    def encode(self, cursor: tuple[str, str], query: str, *, tenancy: str) -> str:
        raw = f"[{_json_string(cursor[0])},{_json_string(cursor[1])},{_json_string(query)}]"  # compact JSON
        # UTF-8, not \uXXXX escapes: a 255-character name in another script would give a token 2-3 times longer
        encoded = raw.encode("utf-8", "surrogatepass")
        payload = binascii.b2a_base64(encoded, newline=False).translate(_TO_URLSAFE).rstrip(b"=")
        return f"{payload.decode()}.{self._mac(payload, tenancy)}"

    def decode(self, token: str, query: str, *, tenancy: str) -> tuple[str, str]:
        """The cursor in `token`; raises InvalidPageToken if forged, truncated, from another query or issued to
        another tenancy."""
        payload_text, _, mac = token.partition(".")
        payload = (payload_text + "=" * (-len(payload_text) % 4)).encode()
        expected = self._mac(payload_text.encode(), tenancy).encode()
        if not mac or not hmac.compare_digest(mac.encode(), expected):
            raise InvalidPageToken("the page token is not one this server issued to this tenancy")
        try:
            text = binascii.a2b_base64(payload.translate(_FROM_URLSAFE)).decode("utf-8", "surrogatepass")
            (primary, last_id, token_query), _ = _JSON.raw_decode(text)  # whole: the MAC says this server wrote it
        except (binascii.Error, ValueError, TypeError) as exc:
            raise InvalidPageToken("the page token is malformed") from exc
        if token_query != query:
            raise InvalidPageToken("the page token belongs to a different query")
        return str(primary), str(last_id)
