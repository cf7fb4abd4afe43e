"""All of mockoci's configuration, read once from arguments and `MOCKOCI_*` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
        default_factory=list, description="Public keys (PEM) accepted in verify mode."
    )
    keys_dir: Path | None = Field(
        None, description="A folder whose *.pem public keys are accepted in verify mode."
    )
    lifecycle_delay: float = Field(
        0.5, ge=0, allow_inf_nan=False,
        description="Seconds a new backup takes to become AVAILABLE and a deleted one TERMINATED.",
    )
    terminated_retention: float = Field(
        300.0, ge=0, allow_inf_nan=False,
        description="Seconds a TERMINATED backup stays readable before it is forgotten.",
    )
    retry_token_ttl: float = Field(
        86400.0, gt=0, allow_inf_nan=False, description="Seconds an opc-retry-token is remembered."
    )
    seed: int | None = Field(None, description="Seed for generated values (OCIDs, sizes), for reproducible runs.")
    fixtures: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="Fixture files or folders loaded at start."
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
        1_000, ge=0, description="TERMINATED backups (and TERMINATED volumes, finished work requests) kept per "
        "tenancy, of each kind; the oldest is forgotten first."
    )
    max_tenancies: int = Field(
        1_000, ge=1, description="Tenancies whose state is kept; the least recently used is forgotten first."
    )
    state_file: Path | None = Field(
        None, description="Load state from this file at start; save it there periodically and at shutdown."
    )
    state_interval: float = Field(
        30.0, gt=0, allow_inf_nan=False, description="Seconds between saves of the state file."
    )
    admin_token: SecretStr | None = Field(
        None,
        description="When set, every /_mockoci/ request but health and docs needs 'Authorization: Bearer <token>'.",
    )
    request_timeout: float = Field(
        30.0, gt=0, allow_inf_nan=False,
        description="Seconds a client has to send a whole request (from connecting or from its first byte); "
        "then the connection is closed.",
    )
    timeout_keep_alive: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection is kept open after a response."
    )
    limit_concurrency: int | None = Field(
        None, ge=1,
        description="Most connections and requests at once; a request over it gets uvicorn's plain-text 503.",
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="info: one line per request; warning: only problems; debug: the admin API's requests too."
    )
    lifecycle_mode: LifecycleMode = Field(
        "delay",
        description="immediate: transitions happen at once; delay: after lifecycle_delay seconds of the "
        "server's clock; manual: only when a test settles or forces them through the admin API.",
    )
    journal_size: int = Field(1000, ge=0, description="How many requests the journal keeps (oldest dropped).")
    python_gc: bool = Field(
        False,
        description="Leave Python's garbage collector as it is. By default a running server keeps long-lived "
        "objects (the stored records) out of its full collections, so that none pauses the server for long "
        "(mockoci/collector.py; cyclic garbage frozen with them is kept until the last server stops).",
    )
    request_log: RequestLog = Field(
        "off", description="Where one JSON line per request goes, besides the `mockoci.requests` logger."
    )

    tls: bool = Field(
        False, description="Serve HTTPS, with a certificate signed by mockoci's CA (see tls_dir) or tls_cert."
    )
    tls_dir: Path | None = Field(
        None,
        description="Folder of mockoci's certificate authority, made on first use: trust DIR/ca.pem "
        "(default ~/.mockoci/tls).",
    )
    tls_cert: Path | None = Field(
        None, description="Your own server certificate (PEM) for HTTPS instead of one from mockoci's CA; with tls_key."
    )
    tls_key: Path | None = Field(None, description="The private key (PEM) of tls_cert.")
    proxy_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Also listen on this port as an HTTPS proxy: a client with HTTPS_PROXY set to it reaches "
        "mockoci at OCI's real hosts (iaas.<region>.oraclecloud.com).",
    )

    @property
    def https(self) -> bool:
        """Whether the main listener serves HTTPS: --tls, or your own certificate given."""
        return self.tls or self.tls_cert is not None

    @model_validator(mode="after")
    def _cert_with_key(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self

    @field_validator("admin_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value  # MOCKOCI_ADMIN_TOKEN= (empty) leaves the admin API open

    @field_validator("fixtures", "public_key", mode="before")
    @classmethod
    def _split_path_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.split(os.pathsep) if part]
        return value
