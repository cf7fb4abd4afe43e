"""OCI's regions and realms: which names are real regions, their short keys, and the hosts that serve them.

The table (`regions.json`, beside this module) holds OCI's public region identifiers, each with the short key
OCI puts in regional OCIDs (`iad` for `us-ashburn-1`) and its realm (`oc1`), and each realm's second-level
domain (`oraclecloud.com`). It was read from the `oci` SDK's region definitions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from .request_headers import request_headers

REGION_KEY = "mockoci.region"  # the scope key of the region a request was sent to, when it names one
API_PREFIX = "/20160918"


@dataclass(frozen=True, slots=True)
class Region:
    name: str  # us-ashburn-1
    key: str  # iad
    realm: str  # oc1

    @property
    def domain(self) -> str:
        """The realm's domain: `oraclecloud.com` for oc1."""
        return REALM_DOMAINS[self.realm]

    @property
    def iaas_host(self) -> str:
        """The Core Services host of the region, as the SDKs build it: `iaas.us-ashburn-1.oraclecloud.com`."""
        return f"iaas.{self.name}.{self.domain}"


def _load() -> tuple[dict[str, str], dict[str, Region]]:
    table = json.loads((Path(__file__).with_name("regions.json")).read_text(encoding="utf-8"))
    regions = {name: Region(name, row["key"], row["realm"]) for name, row in table["regions"].items()}
    return dict(table["realms"]), regions


REALM_DOMAINS, REGIONS = _load()
_BY_KEY = {region.key: region for region in REGIONS.values()}
_IAAS_HOST = re.compile(r"iaas\.([a-z0-9-]+)\.([a-z0-9.-]+?)\.?(?::\d+)?\Z")


def region(name: str) -> Region | None:
    """The region called `name`, by its identifier (`us-phoenix-1`) or short key (`phx`), any case; else None."""
    name = name.lower()
    return REGIONS.get(name) or _BY_KEY.get(name)


def is_region(name: str) -> bool:
    return region(name) is not None


def region_key(name: str) -> str:
    """The key OCI uses for a region inside OCIDs (`iad` for `us-ashburn-1`); an unknown region keeps its name."""
    known = region(name)
    return known.key if known is not None else name


def realm_of(name: str) -> str:
    """The realm of a region (`oc1` for an unknown one, the commercial realm)."""
    known = region(name)
    return known.realm if known is not None else "oc1"


def region_from_host(host: str) -> Region | None:
    """The region an OCI Core Services host names (`iaas.us-phoenix-1.oraclecloud.com[:443]`), if it is one:
    the region must be real and the domain its realm's."""
    match = _IAAS_HOST.match(host.lower())
    if match is None:
        return None
    found = region(match.group(1))
    if found is None or found.domain != match.group(2):
        return None
    return found


def request_region(path: str, host: str | None) -> tuple[str | None, str]:
    """The region a request is sent to, and the path the API sees.

    - `/<region>/20160918/...` (an endpoint that is the base URL followed by a region's identifier, as all three
      clients append their paths to the endpoint they are given): that region, and the path without the prefix.
    - a Host that is OCI's own Core Services host of a region, `iaas.<region>.<realm domain>[:port]`: that region.
    - anything else (`127.0.0.1:12000`, `localhost`): None, the plain endpoint, which sees every region.
    """
    if not path.startswith(API_PREFIX):
        first, slash, rest = path[1:].partition("/")
        if slash and (rest == API_PREFIX[1:] or rest.startswith(API_PREFIX[1:] + "/")):
            known = REGIONS.get(first)
            if known is not None:
                return known.name, "/" + rest
    if host is not None and host.startswith("iaas."):
        found = region_from_host(host)
        if found is not None:
            return found.name, path
    return None, path


class RegionMiddleware:
    """Finds the region of each request (request_region), keeps it in the scope (REGION_KEY) and gives the
    routes the path without a region prefix. The raw path is left as sent: a signature covers it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = request_headers(scope).get("host")
            found, path = request_region(scope["path"], host)
            if found is not None:
                scope[REGION_KEY] = found
                scope["path"] = path
        await self.app(scope, receive, send)
