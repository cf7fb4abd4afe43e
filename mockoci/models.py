"""OCI's wire schemas for volume backups, named as OCI names them, camelCase on the wire."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
)
from pydantic.alias_generators import to_camel

LifecycleState = Literal["CREATING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY", "REQUEST_RECEIVED"]
LIFECYCLE_STATES: tuple[str, ...] = get_args(LifecycleState)
BackupType = Literal["FULL", "INCREMENTAL"]
SourceType = Literal["MANUAL", "SCHEDULED"]
SortBy = Literal["TIMECREATED", "DISPLAYNAME"]
SortOrder = Literal["ASC", "DESC"]


def format_datetime(value: datetime) -> str:
    """OCI's datetime form, `2026-11-27T07:53:55.123Z` (the Python SDK's fast parsing path)."""
    # isoformat, not strftime: its %Y drops the leading zeros of years before 1000 on glibc, and it is 3x slower;
    # timespec="milliseconds" truncates the microseconds, and an aware value ends in +00:00 once in UTC
    if value.tzinfo is None:
        return value.isoformat(timespec="milliseconds") + "Z"
    return value.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


# The text of each datetime serialised lately. A stored backup keeps its datetimes from version to version (its
# creation and request times most often one object, see resources/volume_backups.compact), so each new version
# serialises texts already made; isoformat's C formatting (printf's) is ~3 us a call with the CPU's caches cold,
# a dict lookup a fraction of that. Emptied when full: at most SERIALISED_KEPT entries.
SERIALISED_KEPT = 4096
_serialised: dict[datetime, str] = {}


def _serialise_datetime(value: datetime) -> str:
    """format_datetime, for the wire models' serialiser (the same text; one made lately is not made again)."""
    text = _serialised.get(value)
    if text is None:
        if len(_serialised) >= SERIALISED_KEPT:
            _serialised.clear()
        text = _serialised[value] = format_datetime(value)
    return text


def _as_utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is in the year 10000 in UTC
        raise ValueError("the date-time is outside the years 1 to 9999 in UTC") from None


def _datetime_text(value: object) -> object:
    """A datetime on the wire is an RFC 3339 string: not a number (which lax mode reads as a Unix time)."""
    if isinstance(value, datetime | str):
        return value
    raise ValueError("Input should be an RFC 3339 date-time string")


# Not strict (strict mode takes only datetime objects, not the JSON strings fixtures and state files hold).
OCIDatetime = Annotated[
    datetime, BeforeValidator(_datetime_text), Strict(False), AfterValidator(_as_utc),
    PlainSerializer(_serialise_datetime, return_type=str),
]
DisplayName = Annotated[str, Field(min_length=1, max_length=255)]

# Tags, with OCI's documented limits (Tagging > Limits on tags): a namespace, a key and a free-form key of 1 to
# 100 characters, a value of at most 256, at most 64 tags on a resource (OCI counts free-form and defined
# together; mockoci checks each map, the one place being the type).
# Everything these types accept can be stored and serialised again: every request, admin, fixture and state
# model that takes tags uses them (issue 9: a lone surrogate or a 300-deep value stored once broke every read).
MAX_TAGS = 64
TagName = Annotated[str, Field(min_length=1, max_length=100)]
FreeformTagValue = Annotated[str, Field(max_length=256)]


def _tag_value(value: object) -> object:
    """A defined tag's value: OCI's are strings; JSON's other scalars (a number, a boolean) are taken as given.

    Not null, an array or an object (nothing to nest in a tag), nor a NaN or an infinity (JSON has neither),
    nor a string that is not Unicode (a lone surrogate, which `\\udfff` in JSON can spell)."""
    if isinstance(value, str):
        if len(value) > 256:
            raise ValueError("a tag value has at most 256 characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a tag value must be valid Unicode (it holds a lone surrogate)") from None
        return value
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a tag value must be a finite number (JSON has no NaN or Infinity)")
        return value
    raise ValueError("a defined tag value must be a string, a number or a boolean")


DefinedTagValue = Annotated[
    Any, PlainValidator(_tag_value, json_schema_input_type=Annotated[str, Field(max_length=256)] | float | bool)
]


def _count_defined(tags: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if sum(len(keys) for keys in tags.values()) > MAX_TAGS:
        raise ValueError(f"a resource has at most {MAX_TAGS} tags")
    return tags


FreeformTags = Annotated[dict[TagName, FreeformTagValue], Field(max_length=MAX_TAGS)]
DefinedTags = Annotated[
    dict[TagName, Annotated[dict[TagName, DefinedTagValue], Field(max_length=MAX_TAGS)]],
    Field(max_length=MAX_TAGS), AfterValidator(_count_defined),
]


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True)



def integral(value: object) -> object:
    """JSON has no integer type: `30.0` is the integer 30 (as JSON Schema and Java's Jackson read it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# With constraints, write Annotated[int, Field(...), BeforeValidator(integral)]: after it, they leave the schema.
JSONInteger = Annotated[int, BeforeValidator(integral)]


def query_digits(value: object) -> object:
    """A query parameter's integer as OCI takes it: ASCII digits only (int() would take `+5`, `5_0`, ` 5`).
    Write Annotated[int, Query(...), BeforeValidator(query_digits)], so that the constraints stay in the schema."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("Input should be an integer written in digits")
    return value



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
