"""All of mockoci's configuration, read once from arguments and `MOCKOCI_*` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

AuthMode = Literal["off", "presence", "verify"]
LifecycleMode = Literal["immediate", "delay", "manual"]
RequestLog = Literal["off", "stdout", "stderr"]
UnknownVolumes = Literal["reject", "accept"]


class Settings(BaseSettings):
    """Server settings. Every field can be set as `MOCKOCI_<FIELD>` or as `mockoci serve --<field>`."""

    model_config = SettingsConfigDict(env_prefix="MOCKOCI_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(12000, ge=0, le=65535, description="Port to listen on.")
    region: str = Field("us-ashburn-1", description="The region this server pretends to be (shapes new OCIDs).")
    auth: AuthMode = Field(
        "presence",
        description="off: no check; presence: signature headers must be there; "
        "verify: signatures are checked against the registered public keys.",
    )
    public_key: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Public keys (PEM) accepted in verify mode (env: separated by ':')."
    )
    keys_dir: Path | None = Field(
        None, description="A folder whose *.pem public keys are accepted in verify mode."
    )
    lifecycle_delay: float = Field(
        0.5, ge=0, description="Seconds a new backup takes to become AVAILABLE and a deleted one TERMINATED."
    )
    terminated_retention: float = Field(
        300.0, ge=0, description="Seconds a TERMINATED backup stays readable before it is forgotten."
    )
    retry_token_ttl: float = Field(86400.0, gt=0, description="Seconds an opc-retry-token is remembered.")
    seed: int | None = Field(None, description="Seed for generated values (OCIDs, sizes), for reproducible runs.")
    fixtures: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Fixture files or folders loaded at start (env: separated by ':')."
    )
    default_compartment_id: str | None = Field(
        None,
        description="Compartment of backups of volumes the server does not know (with unknown_volumes=accept); "
        "default: the caller's tenancy.",
    )
    unknown_volumes: UnknownVolumes = Field(
        "reject",
        description="reject: a backup of a volume the server does not know is 404 NotAuthorizedOrNotFound, as on "
        "OCI; accept: it is made anyway (in default_compartment_id, of a generated size), for suites that do "
        "not model volumes.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1, description="Largest request body accepted; a larger one gets 413 PayloadTooLarge."
    )
    max_header_bytes: int = Field(
        16_384, ge=1024, description="Largest request header block accepted; a larger one gets 431."
    )
    max_retry_tokens: int = Field(
        10_000, ge=1, description="opc-retry-tokens remembered per tenancy; the oldest is forgotten first."
    )
    max_terminated_backups: int = Field(
        1_000, ge=0, description="TERMINATED backups kept per tenancy; the oldest is forgotten first."
    )
    max_tenancies: int = Field(
        1_000, ge=1, description="Tenancies whose state is kept; the least recently used is forgotten first."
    )
    state_file: Path | None = Field(
        None, description="Load state from this file at start; save it there periodically and at shutdown."
    )
    state_interval: float = Field(30.0, gt=0, description="Seconds between saves of the state file.")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "warning", description="The server's log level."
    )
    lifecycle_mode: LifecycleMode = Field(
        "delay",
        description="immediate: transitions happen at once; delay: after lifecycle_delay seconds of the "
        "server's clock; manual: only when a test settles or forces them through the admin API.",
    )
    journal_size: int = Field(1000, ge=0, description="How many requests the journal keeps (oldest dropped).")
    request_log: RequestLog = Field(
        "off", description="Where one JSON line per request goes, besides the `mockoci.requests` logger."
    )

    @field_validator("fixtures", "public_key", mode="before")
    @classmethod
    def _split_path_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part]
        return value
