"""OCI's wire schemas for volume backups, named as OCI names them, camelCase on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, Strict
from pydantic.alias_generators import to_camel

LifecycleState = Literal["CREATING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY", "REQUEST_RECEIVED"]
LIFECYCLE_STATES: tuple[str, ...] = get_args(LifecycleState)
BackupType = Literal["FULL", "INCREMENTAL"]
SourceType = Literal["MANUAL", "SCHEDULED"]
SortBy = Literal["TIMECREATED", "DISPLAYNAME"]
SortOrder = Literal["ASC", "DESC"]


def format_datetime(value: datetime) -> str:
    """OCI's datetime form, `2026-11-27T07:53:55.123Z` (the Python SDK's fast parsing path)."""
    v = value.astimezone(UTC) if value.tzinfo else value
    # not strftime: its %Y drops the leading zeros of years before 1000 on glibc, and it is 3x slower
    date = f"{v.year:04d}-{v.month:02d}-{v.day:02d}"
    return f"{date}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond // 1000:03d}Z"


def _as_utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # a ValueError is a validation error (400), not a 500
        raise ValueError("the date-time leaves the years 1 to 9999 once converted to UTC") from None


def _datetime_text(value: object) -> object:
    """A datetime on the wire is an RFC 3339 string: not a number (which lax mode reads as a Unix time)."""
    if isinstance(value, datetime | str):
        return value
    raise ValueError("Input should be an RFC 3339 date-time string")


# Not strict (strict mode takes only datetime objects, not the JSON strings fixtures and state files hold).
OCIDatetime = Annotated[
    datetime, BeforeValidator(_datetime_text), Strict(False), AfterValidator(_as_utc),
    PlainSerializer(format_datetime, return_type=str),
]
DisplayName = Annotated[str, Field(min_length=1, max_length=255)]
FreeformTags = dict[str, str]
DefinedTags = dict[str, dict[str, Any]]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True)


def integral(value: object) -> object:
    """JSON has no integer type: `30.0` is the integer 30 (as JSON Schema and Java's Jackson read it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# With constraints, write Annotated[int, Field(...), BeforeValidator(integral)]: after it, they leave the schema.
JSONInteger = Annotated[int, BeforeValidator(integral)]


class RetentionDuration(WireModel):
    retention_time_unit: Literal["YEARS", "DAYS"]
    retention_time_amount: JSONInteger = Field(ge=0, le=2**31 - 1)


class VolumeBackup(WireModel):
    """A volume backup as GetVolumeBackup returns it. Every field is always present, `null` when unset."""

    # strict like the request bodies: fixtures, POST /_mockoci/backups and state files hold JSON as OCI sends it
    model_config = ConfigDict(extra="forbid")

    compartment_id: str
    defined_tags: DefinedTags | None = None
    system_tags: DefinedTags | None = None
    display_name: str
    expiration_time: OCIDatetime | None = None
    freeform_tags: FreeformTags | None = None
    id: str
    kms_key_id: str | None = None
    lifecycle_state: LifecycleState
    size_in_gbs: int | None = Field(None, alias="sizeInGBs")
    size_in_mbs: int | None = Field(None, alias="sizeInMBs")
    source_type: SourceType | None = None
    source_volume_backup_id: str | None = None
    time_created: OCIDatetime
    time_request_received: OCIDatetime | None = None
    type: BackupType
    unique_size_in_gbs: int | None = Field(None, alias="uniqueSizeInGBs")
    unique_size_in_mbs: int | None = Field(None, alias="uniqueSizeInMbs")
    volume_id: str | None = None
    time_retention_expires_at: OCIDatetime | None = None
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None
    volume_group_backup_id: str | None = None


class CreateVolumeBackupDetails(WireModel):
    """The body of CreateVolumeBackup."""

    volume_id: Annotated[str, Field(min_length=1, max_length=255)]
    display_name: DisplayName | None = None
    type: BackupType | None = None
    kms_key_id: str | None = None
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None


class UpdateVolumeBackupDetails(WireModel):
    """The body of UpdateVolumeBackup: every field optional; a field sent replaces the stored value."""

    display_name: DisplayName | None = None
    defined_tags: DefinedTags | None = None
    freeform_tags: FreeformTags | None = None
    kms_key_id: str | None = None
    retention_period: RetentionDuration | None = None
    is_prevent_deletion_enabled: bool | None = None
    is_retention_lock_enabled: bool | None = None
    is_indefinite_retention_enabled: bool | None = None


class CopyVolumeBackupDetails(WireModel):
    """The body of CopyVolumeBackup."""

    destination_region: Annotated[str, Field(min_length=1, max_length=64)]
    display_name: DisplayName | None = None
    kms_key_id: str | None = None


class ChangeVolumeBackupCompartmentDetails(WireModel):
    """The body of ChangeVolumeBackupCompartment."""

    compartment_id: Annotated[str, Field(min_length=1, max_length=255)]


class ErrorBody(BaseModel):
    """OCI's error body."""

    code: str
    message: str
