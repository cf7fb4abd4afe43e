// The whole backup workflow with the real OCI Node SDK (oci-core, oci-workrequests 2.139.1) against mockoci,
// through its region endpoints: create a volume, back it up and wait, copy the backup to another region and wait
// on the work request, see the copy only in its region, restore a volume and wait for hydration, refuse a locked
// deletion, delete. Prints one JSON object with what each step saw.
// Usage: node workflow.js <server-url> <oci-config-file> <compartment-id>
"use strict";
const common = require("oci-common");
const core = require("oci-core");
const workrequests = require("oci-workrequests");

const AD = "Uocm:US-ASHBURN-AD-1";

async function main() {
  const [url, configFile, compartmentId] = process.argv.slice(2);
  const provider = new common.ConfigFileAuthenticationDetailsProvider(configFile, "DEFAULT");
  const ashburn = new core.BlockstorageClient({ authenticationDetailsProvider: provider });
  ashburn.endpoint = url + "/us-ashburn-1"; // after construction: the constructor sets it from the region
  const phoenix = new core.BlockstorageClient({ authenticationDetailsProvider: provider });
  phoenix.endpoint = url + "/us-phoenix-1";
  const requests = new workrequests.WorkRequestClient({ authenticationDetailsProvider: provider });
  requests.endpoint = url + "/us-ashburn-1";
  const config = {
    terminationStrategy: new common.MaxTimeTerminationStrategy(30),
    delayStrategy: new common.FixedTimeDelayStrategy(0.2),
  };
  const waiters = ashburn.createWaiters(requests, config);
  const phoenixWaiters = phoenix.createWaiters(requests, config);
  const out = {};
  try {
    const { volume } = await ashburn.createVolume({
      createVolumeDetails: { compartmentId, availabilityDomain: AD, sizeInGBs: 80 },
    });
    await waiters.forVolume({ volumeId: volume.id }, core.models.Volume.LifecycleState.Available);
    const { volumeBackup } = await ashburn.createVolumeBackup({
      createVolumeBackupDetails: {
        volumeId: volume.id, displayName: "node nightly", type: "FULL",
        retentionPeriod: { retentionTimeUnit: "DAYS", retentionTimeAmount: 1 }, isRetentionLockEnabled: true,
      },
    });
    const available = await waiters.forVolumeBackup(
      { volumeBackupId: volumeBackup.id }, core.models.VolumeBackup.LifecycleState.Available);
    out.backup = { id: volumeBackup.id, state: available.volumeBackup.lifecycleState,
                   sizeInGBs: available.volumeBackup.sizeInGBs };

    const copied = await ashburn.copyVolumeBackup({
      volumeBackupId: volumeBackup.id, copyVolumeBackupDetails: { destinationRegion: "us-phoenix-1" },
    });
    const done = await requests.createWaiters(config).forWorkRequest({ workRequestId: copied.opcWorkRequestId });
    out.workRequest = { id: copied.opcWorkRequestId, status: done.workRequest.status,
                        percentComplete: done.workRequest.percentComplete };
    const copyId = copied.volumeBackup.id;
    try {
      await ashburn.getVolumeBackup({ volumeBackupId: copyId });
      out.copyFromSource = { statusCode: 200 };
    } catch (error) {
      out.copyFromSource = { statusCode: error.statusCode, serviceCode: error.serviceCode };
    }
    const inPhoenix = await phoenixWaiters.forVolumeBackup(
      { volumeBackupId: copyId }, core.models.VolumeBackup.LifecycleState.Available);
    out.copy = { id: copyId, state: inPhoenix.volumeBackup.lifecycleState,
                 source: inPhoenix.volumeBackup.sourceVolumeBackupId };

    const restored = await ashburn.createVolume({
      createVolumeDetails: {
        compartmentId, availabilityDomain: AD, displayName: "node restored",
        sourceDetails: { type: "volumeBackup", id: volumeBackup.id },
      },
    });
    await waiters.forVolume({ volumeId: restored.volume.id }, core.models.Volume.LifecycleState.Available);
    let hydrated = false;
    for (let attempt = 0; attempt < 150 && !hydrated; attempt++) {
      hydrated = (await ashburn.getVolume({ volumeId: restored.volume.id })).volume.isHydrated;
      if (!hydrated) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    out.restored = { id: restored.volume.id, sizeInGBs: restored.volume.sizeInGBs,
                     sourceDetails: restored.volume.sourceDetails, hydrated };

    try {
      await ashburn.deleteVolumeBackup({ volumeBackupId: volumeBackup.id });
      out.lockedDelete = { statusCode: 204 };
    } catch (error) {
      out.lockedDelete = { statusCode: error.statusCode, serviceCode: error.serviceCode };
    }
    await fetch(url + "/_mockoci/clock/advance", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ seconds: 86401 }),
    });
    await ashburn.deleteVolumeBackup({ volumeBackupId: volumeBackup.id });
    const gone = await waiters.forVolumeBackup(
      { volumeBackupId: volumeBackup.id }, core.models.VolumeBackup.LifecycleState.Terminated);
    out.deleted = { state: gone.volumeBackup.lifecycleState };
  } catch (error) {
    out.error = { statusCode: error.statusCode, serviceCode: error.serviceCode, message: error.message };
    process.exitCode = 1;
  } finally {
    ashburn.close();
    phoenix.close();
    requests.close();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main();
