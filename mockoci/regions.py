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

REGION_KEY = "mockoci.region"  # the scope key of the region a request was sent to, when it names one


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
