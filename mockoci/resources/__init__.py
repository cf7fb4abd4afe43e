"""One module per OCI resource mockoci emulates: its model, states, transitions and operations, as a subclass of
`mockoci.engine.Engine` with a `Kind` registered in `Engine.KINDS`. `mockoci.store.Store` combines them.

The names the engine keys each kind's records by, here so that resources can look each other up (a backup
reads its volume, a restore its backup) without importing each other.
"""

BACKUPS = "backups"
VOLUMES = "volumes"
WORK_REQUESTS = "work_requests"
