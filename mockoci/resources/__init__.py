"""One module per OCI resource mockoci emulates: its model, states, transitions and operations, as a subclass of
`mockoci.engine.Engine` with a `Kind` registered in `Engine.KINDS`. `mockoci.store.Store` combines them."""
