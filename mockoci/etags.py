"""Etags and `if-match`: pure functions over strings."""

from __future__ import annotations

import hashlib


def make_etag(resource_id: str, version: int) -> str:
    """The etag of one version of a resource. `version` comes from a counter that never repeats."""
    return hashlib.sha256(f"{resource_id}#{version}".encode()).hexdigest()[:32]


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
