// Drives the real OCI Node SDK (oci-core 2.139.1) against a mockoci server: create, get, list with a
// filter, update with if-match, delete. Prints one JSON object with what each call returned.
// Usage: node crud.js <endpoint> <oci-config-file> <compartment-id> <display-name>
"use strict";
const common = require("oci-common");
const core = require("oci-core");

async function main() {
  const [endpoint, configFile, compartmentId, displayName] = process.argv.slice(2);
  const provider = new common.ConfigFileAuthenticationDetailsProvider(configFile, "DEFAULT");
  const client = new core.BlockstorageClient({ authenticationDetailsProvider: provider });
  if (endpoint !== "-") client.endpoint = endpoint; // after construction: the constructor sets it from the region
  const out = {};
  try {
    const created = await client.createVolumeBackup({
      createVolumeBackupDetails: { volumeId: "ocid1.volume.oc1.iad.nodevolume", displayName, type: "FULL" },
    });
    out.created = { id: created.volumeBackup.id, displayName: created.volumeBackup.displayName };
    const got = await client.getVolumeBackup({ volumeBackupId: created.volumeBackup.id });
    out.got = { id: got.volumeBackup.id, state: got.volumeBackup.lifecycleState, etag: got.etag };
    const listed = await client.listVolumeBackups({ compartmentId, displayName });
    out.listed = listed.items.map((item) => item.id);
    const updated = await client.updateVolumeBackup({
      volumeBackupId: created.volumeBackup.id,
      updateVolumeBackupDetails: { displayName: displayName + " renamed" },
      ifMatch: got.etag,
    });
    out.updated = { displayName: updated.volumeBackup.displayName, etag: updated.etag };
    const deleted = await client.deleteVolumeBackup({ volumeBackupId: created.volumeBackup.id });
    out.deleted = { opcRequestId: deleted.opcRequestId };
  } catch (error) {
    out.error = { statusCode: error.statusCode, serviceCode: error.serviceCode, message: error.message };
    process.exitCode = 1;
  } finally {
    client.close();
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main();
