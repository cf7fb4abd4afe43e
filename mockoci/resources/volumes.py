"""Volumes (`/20160918/volumes`): CreateVolume (empty, or restored from a backup or cloned from a volume),
GetVolume, ListVolumes, UpdateVolume, DeleteVolume, on the engine.

States: `PROVISIONING` -> `AVAILABLE` on create; `TERMINATING` -> `TERMINATED` on delete; `FAULTY` only when a
test forces it. A restored or cloned volume is AVAILABLE (`isHydrated` false) after one lifecycle delay and
hydrated (`isHydrated` true) after two; an empty volume has nothing to hydrate (`isHydrated` true).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, ConfigDict, Field

from .. import errors
from ..engine import Engine, Kind, Partition, Record, Step, check_if_match, request_fingerprint
from ..index import is_descending
from ..models import DefinedTags, DisplayName, FreeformTags, OCIDatetime, WireModel, integral
from . import BACKUPS, VOLUMES

VolumeLifecycleState = Literal["PROVISIONING", "RESTORING", "AVAILABLE", "TERMINATING", "TERMINATED", "FAULTY"]
VOLUME_STATES: tuple[str, ...] = get_args(VolumeLifecycleState)
SourceType = Literal["volume", "volumeBackup"]  # of OCI's four, those mockoci emulates
MIN_SIZE_IN_GBS, MAX_SIZE_IN_GBS = 50, 32 * 1024  # OCI's block volume sizes: 50 GB to 32 TB
DEFAULT_SIZE_IN_GBS = 1024  # OCI's default for a volume created without a size
DEFAULT_VPUS_PER_GB = 10  # OCI's Balanced performance level
SizeInGBs = Annotated[int, Field(ge=MIN_SIZE_IN_GBS, le=MAX_SIZE_IN_GBS), BeforeValidator(integral)]
SizeInMBs = Annotated[int, Field(ge=MIN_SIZE_IN_GBS * 1024, le=MAX_SIZE_IN_GBS * 1024), BeforeValidator(integral)]
VpusPerGB = Annotated[int, Field(ge=0, le=120), BeforeValidator(integral)]
OCID = Annotated[str, Field(min_length=1, max_length=255)]


class Volume(WireModel):
    """A block volume as GetVolume returns it. Every field is always present, `null` when unset."""

    model_config = ConfigDict(extra="forbid")

    availability_domain: str
    compartment_id: str
    defined_tags: DefinedTags | None = None
    display_name: str
    freeform_tags: FreeformTags | None = None
    system_tags: DefinedTags | None = None
    id: str
    is_hydrated: bool | None = None
    kms_key_id: str | None = None
    lifecycle_state: VolumeLifecycleState
    vpus_per_gb: int | None = Field(None, alias="vpusPerGB")
    cluster_placement_group_id: str | None = None
    size_in_gbs: int | None = Field(None, alias="sizeInGBs")
    size_in_mbs: int = Field(alias="sizeInMBs")
    source_details: dict[str, str] | None = Field(
        None, description='What the volume was made from: {"type": "volumeBackup" or "volume", "id": ...}.'
    )
    time_created: OCIDatetime
    volume_group_id: str | None = None
    is_auto_tune_enabled: bool | None = None
    auto_tuned_vpus_per_gb: int | None = Field(None, alias="autoTunedVpusPerGB")
    block_volume_replicas: list[dict[str, Any]] | None = None
    autotune_policies: list[dict[str, Any]] | None = None
    is_reservations_enabled: bool | None = None


class VolumeSourceDetails(WireModel):
    """`sourceDetails` of CreateVolume: what to make the volume from."""

    model_config = ConfigDict(extra="forbid")

    type: SourceType
    id: OCID


class CreateVolumeDetails(WireModel):
    """The body of CreateVolume."""

    availability_domain: Annotated[str, Field(min_length=1, max_length=255)]
    backup_policy_id: OCID | None = None
    compartment_id: OCID
    defined_tags: DefinedTags | None = None
    display_name: DisplayName | None = None
    freeform_tags: FreeformTags | None = None
    kms_key_id: OCID | None = None
    vpus_per_gb: VpusPerGB | None = Field(None, alias="vpusPerGB")
    cluster_placement_group_id: OCID | None = None
    size_in_gbs: SizeInGBs | None = Field(None, alias="sizeInGBs")
    size_in_mbs: SizeInMBs | None = Field(None, alias="sizeInMBs")
    source_details: VolumeSourceDetails | None = None
    volume_backup_id: OCID | None = Field(None, description="Deprecated: sourceDetails of type volumeBackup.")
    is_auto_tune_enabled: bool | None = None
    block_volume_replicas: list[dict[str, Any]] | None = None
    autotune_policies: list[dict[str, Any]] | None = None
    xrc_kms_key_id: OCID | None = None
    is_reservations_enabled: bool | None = None


class UpdateVolumeDetails(WireModel):
    """The body of UpdateVolume: every field optional; a field sent replaces the stored value."""

    defined_tags: DefinedTags | None = None
    display_name: DisplayName | None = None
    freeform_tags: FreeformTags | None = None
    vpus_per_gb: VpusPerGB | None = Field(None, alias="vpusPerGB")
    size_in_gbs: SizeInGBs | None = Field(None, alias="sizeInGBs")
    is_auto_tune_enabled: bool | None = None
    block_volume_replicas: list[dict[str, Any]] | None = None
    autotune_policies: list[dict[str, Any]] | None = None
    is_reservations_enabled: bool | None = None


_HYDRATION = Step("AVAILABLE", "AVAILABLE", 1.0, {"is_hydrated": True})


def progress(volume: Volume) -> tuple[Step, ...]:
    """A new volume becomes AVAILABLE (then hydrated, if restored or cloned), a deleted one TERMINATED."""
    state = volume.lifecycle_state
    if state in ("PROVISIONING", "RESTORING"):
        available = Step(state, "AVAILABLE", 1.0)
        if volume.is_hydrated is False:
            return available, Step("AVAILABLE", "AVAILABLE", 2.0, {"is_hydrated": True})
        return (available,)
    if state == "AVAILABLE" and volume.is_hydrated is False:
        return (_HYDRATION,)
    if state == "TERMINATING":
        return (Step("TERMINATING", "TERMINATED", 1.0),)
    return ()


KIND = Kind(
    name=VOLUMES,
    collection="volumes",
    model=Volume,
    progress=progress,
    may_still_apply={
        "PROVISIONING": frozenset({"PROVISIONING"}),
        "RESTORING": frozenset({"RESTORING"}),
        "AVAILABLE": frozenset({"PROVISIONING", "RESTORING", "AVAILABLE"}),
        "TERMINATING": frozenset({"TERMINATING"}),
        "TERMINATED": frozenset({"TERMINATING", "TERMINATED"}),
    },
    indexed=("availability_domain", "volume_group_id", "cluster_placement_group_id", "lifecycle_state"),
)
Engine.KINDS[KIND.name] = KIND


@dataclass(frozen=True, slots=True)
class VolumeQuery:
    """The filters and order of one ListVolumes query."""

    compartment_id: str
    availability_domain: str | None = None
    display_name: str | None = None
    volume_group_id: str | None = None
    cluster_placement_group_id: str | None = None
    lifecycle_state: str | None = None
    sort_by: str = "TIMECREATED"
    sort_order: str | None = None

    @property
    def descending(self) -> bool:
        return is_descending(self.sort_by, self.sort_order)

    @property
    def where(self) -> dict[str, str | None]:
        """The filters, by the volume fields they match (None: any)."""
        return {
            "availability_domain": self.availability_domain,
            "display_name": self.display_name,
            "volume_group_id": self.volume_group_id,
            "cluster_placement_group_id": self.cluster_placement_group_id,
            "lifecycle_state": self.lifecycle_state,
        }


@dataclass(frozen=True, slots=True)
class VolumeSpec:
    """A volume as a fixture may give it in short: where its backups go and how big they are."""

    compartment_id: str
    size_in_gbs: int


def default_availability_domain(region: str) -> str:
    """An availability domain name in OCI's form (`Uocm:US-ASHBURN-AD-1`) for volumes that do not name one."""
    return f"Uocm:{region.upper()}-AD-1"


def volume_from_spec(volume_id: str, spec: VolumeSpec, *, region: str, created: Any) -> Volume:
    """The AVAILABLE volume a short fixture entry (id, compartment, size) stands for."""
    return Volume(
        id=volume_id, compartment_id=spec.compartment_id, display_name=volume_id,
        availability_domain=default_availability_domain(region), lifecycle_state="AVAILABLE",
        size_in_gbs=spec.size_in_gbs, size_in_mbs=spec.size_in_gbs * 1024, time_created=created,
        is_hydrated=True, vpus_per_gb=DEFAULT_VPUS_PER_GB, defined_tags={}, freeform_tags={}, system_tags={},
        is_auto_tune_enabled=False,
    )


class Volumes(Engine):
    """The Volume operations."""

    def create_volume(
        self, *, tenancy: str, details: CreateVolumeDetails, retry_token: str | None = None,
        region: str | None = None,
    ) -> Record:
        """A new volume, PROVISIONING, in `region` (None: the server's, through the plain endpoint)."""
        fingerprint = request_fingerprint("CreateVolume", details.model_dump(exclude_unset=True))
        with self._lock:
            partition = self._advance(tenancy)
            replay = self._replay(partition, retry_token, fingerprint)
            if replay is not None:
                return replay
            source = details.source_details
            if source is None and details.volume_backup_id is not None:
                source = VolumeSourceDetails(type="volumeBackup", id=details.volume_backup_id)
            size = self._source_size(partition, source, region)
            region = region or self.region
            asked = details.size_in_gbs or (
                -(-details.size_in_mbs // 1024) if details.size_in_mbs is not None else None
            )
            if size is not None and asked is not None and asked < size:  # (OCI: at least the source's size)
                raise errors.InvalidParameter(
                    f"Invalid sizeInGBs: {asked} is smaller than the source ({size} GB); a restored or cloned "
                    "volume can only be as large or larger."
                )
            size_in_gbs = asked or size or DEFAULT_SIZE_IN_GBS
            now = self.clock.now()
            volume = Volume(
                id=self.factory.ocid("volume", region),
                availability_domain=details.availability_domain,
                compartment_id=details.compartment_id,
                display_name=details.display_name or self.factory.default_volume_name(now),
                defined_tags=details.defined_tags if details.defined_tags is not None else {},
                freeform_tags=details.freeform_tags if details.freeform_tags is not None else {},
                system_tags={},
                is_hydrated=source is None,
                kms_key_id=details.kms_key_id,
                lifecycle_state="PROVISIONING",
                vpus_per_gb=DEFAULT_VPUS_PER_GB if details.vpus_per_gb is None else details.vpus_per_gb,
                cluster_placement_group_id=details.cluster_placement_group_id,
                size_in_gbs=size_in_gbs,
                size_in_mbs=size_in_gbs * 1024,
                source_details={"type": source.type, "id": str(source.id)} if source is not None else None,
                time_created=now,
                is_auto_tune_enabled=bool(details.is_auto_tune_enabled),
                block_volume_replicas=details.block_volume_replicas,
                autotune_policies=details.autotune_policies,
                is_reservations_enabled=details.is_reservations_enabled,
            )
            self._put(partition, KIND, volume)
            self._enter(partition, KIND, volume)
            self._remember(partition, retry_token, fingerprint, VOLUMES, volume.id)
            self._advance(tenancy)
            return partition.table(VOLUMES)[volume.id]

    def _source_size(
        self, partition: Partition, source: VolumeSourceDetails | None, region: str | None
    ) -> int | None:
        """The size (GB) of what a volume is made from (None for an empty one);
        raises OCI's error for a source that is missing, in another region than `region` (None: any region, as
        the plain endpoint sees them all) or not ready."""
        if source is None:
            return None
        kind, noun = (BACKUPS, "volume backup") if source.type == "volumeBackup" else (VOLUMES, "volume")
        found = partition.table(kind).get(source.id)
        gone = found is None or found.model.lifecycle_state in ("TERMINATING", "TERMINATED")
        if found is None or gone or region not in (None, found.region):
            raise errors.NotAuthorizedOrNotFound(
                f"Available {noun} matching id {source.id} not found, or not authorized for the current user."
            )
        state = found.model.lifecycle_state
        if state != "AVAILABLE":
            error = errors.IncorrectState if state in _TRANSIENT_SOURCE_STATES else errors.Conflict
            raise error(f"The {noun} {source.id} is {state}; a volume can be made from it once it is AVAILABLE.")
        size = found.model.size_in_gbs
        return int(size) if size is not None else None

    def get_volume(self, *, tenancy: str, volume_id: str, region: str | None = None) -> Record:
        with self._lock:
            return self._get(self._advance(tenancy), VOLUMES, volume_id, region)

    def list_volumes(
        self, *, tenancy: str, query: VolumeQuery, limit: int, after: tuple[str, str] | None = None,
        region: str | None = None,
    ) -> tuple[list[Record], tuple[str, str] | None]:
        with self._lock:
            return self._advance(tenancy).table(VOLUMES).page(
                compartment_id=query.compartment_id,
                sort_by=query.sort_by,
                descending=query.descending,
                limit=limit,
                after=after,
                region=region,
                where=query.where,
            )

    def update_volume(
        self, *, tenancy: str, volume_id: str, details: UpdateVolumeDetails, if_match: str | None = None,
        region: str | None = None,
    ) -> Record:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, VOLUMES, volume_id, region)
            check_if_match(current, if_match)
            _require_available(current.model, "updated")
            changes = {name: value for name, value in details.model_dump(exclude_unset=True).items()
                       if value is not None}
            if "size_in_gbs" in changes:
                size = changes["size_in_gbs"]
                if size < (current.model.size_in_gbs or 0):
                    raise errors.InvalidParameter(
                        f"Invalid sizeInGBs: {size}; a volume can grow but not shrink "
                        f"(it is {current.model.size_in_gbs} GB)."
                    )
                changes["size_in_mbs"] = size * 1024
            return self._put(partition, KIND, current.model.model_copy(update=changes))

    def delete_volume(
        self, *, tenancy: str, volume_id: str, if_match: str | None = None, region: str | None = None
    ) -> None:
        with self._lock:
            partition = self._advance(tenancy)
            current = self._get(partition, VOLUMES, volume_id, region)
            check_if_match(current, if_match)
            state = current.model.lifecycle_state
            if state in ("TERMINATING", "TERMINATED"):
                return  # already on its way out
            if state in _TRANSIENT_SOURCE_STATES:
                raise errors.IncorrectState(f"The volume is {state}; it can be deleted once it is AVAILABLE.")
            deleted = current.model.model_copy(update={"lifecycle_state": "TERMINATING"})
            self._put(partition, KIND, deleted)
            self._enter(partition, KIND, deleted)
            self._advance(tenancy)

    def register_volume(self, *, tenancy: str, volume_id: str, volume: VolumeSpec) -> Record:
        """Store an AVAILABLE volume with this id, compartment and size (the short fixture form)."""
        model = volume_from_spec(volume_id, volume, region=self.region, created=self.clock.now())
        [stored] = self.seed_records(tenancy=tenancy, kind=VOLUMES, models=[model])
        return stored


_TRANSIENT_SOURCE_STATES = frozenset({"PROVISIONING", "RESTORING", "REQUEST_RECEIVED", "CREATING"})


def _require_available(volume: Volume, verb: str) -> None:
    state = volume.lifecycle_state
    if state in _TRANSIENT_SOURCE_STATES:
        raise errors.IncorrectState(f"The volume is {state}; it can be {verb} once it is AVAILABLE.")
    if state != "AVAILABLE":
        raise errors.Conflict(f"The volume is {state} and cannot be {verb}.")
