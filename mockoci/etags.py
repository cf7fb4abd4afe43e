"""Etags and `if-match`: pure functions over strings."""

from __future__ import annotations

_SCRAMBLE = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: multiplying by it modulo 2**128 is a bijection
_MASK = (1 << 128) - 1


def make_etag(version: int) -> str:
    """The etag of one version of a resource: 32 hex digits that look random, from `version`, a number the
    store's counter gives each version once, so no two versions share an etag (the scramble is one-to-one).
    Integer arithmetic, not a hash: a SHA-256 through OpenSSL was ~7 us of each new version with the CPU's
    caches cold (docs/performance.md)."""
    return f"{version * _SCRAMBLE & _MASK:032x}"


def if_match_matches(if_match: str, etag: str) -> bool:
    """Whether an `if-match` header value admits the current etag.

    `*` matches any existing resource; a list of etags separated by commas matches any of them; quotes and a
    weak prefix (`W/`) around a value are tolerated, as HTTP clients add them.
    """
    if if_match == etag:  # what clients send: the etag as it was given
        return True
    for candidate in if_match.split(","):
        value = candidate.strip()
        if value == "*":
            return True
        value = value.removeprefix("W/").strip('"')
        if value == etag:
            return True
    return False
