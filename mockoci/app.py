"""The application factory: one FastAPI app per server, its state on app.state.

FastAPI routes mockoci's own API (the admin routers, the docs, the dashboard), built on its first request
(mockoci.routes.later) but for the health probe; the OCI operations are declared in mockoci/routes/ on
`Operations` (mockoci.operations) and served by the Dispatcher, the innermost middleware (mockoci.dispatch).
Their FastAPI routes are built only for the OpenAPI document (mockoci.openapi)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import State

from . import __version__, collector, handlers, openapi
from .clock import Clock
from .dispatch import Dispatcher
from .factories import Factory
from .faults import FaultRules
from .fixtures import load_fixtures
from .journal import Journal, JournalMiddleware
from .keys import registry_from
from .middleware import RequestGate
from .operations import OperationTable
from .pagination import PageTokens
from .persistence import StateKeeper, read_state_file
from .proxy import ProxyServer
from .regions import RegionMiddleware
from .routes import backup_policies, health, volume_backups, volumes, work_requests
from .routes.later import BuiltLater, own_api
from .settings import Settings
from .store import VolumeBackupStore

# Every OCI operation, declared once as a route function (see mockoci.operations).
OCI_OPERATIONS = (volume_backups.oci, volumes.oci, work_requests.oci, backup_policies.oci)


class AppState(State):
    """`app.state`, its attributes read as plain ones. Starlette's State keeps them in a dict that its __getattr__
    reads, which Python calls only once the ordinary lookup has failed, with an AttributeError it formats: a few
    microseconds of each read when the CPU's caches are cold, and every request reads the store and the
    operation table. Each attribute is also kept in the instance's own dict, where that lookup finds it."""

    def __setattr__(self, key: str, value: Any) -> None:
        super().__setattr__(key, value)
        object.__setattr__(self, key, value)

    def __delattr__(self, key: str) -> None:
        super().__delattr__(key)
        object.__delattr__(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)


def build_store(settings: Settings) -> VolumeBackupStore:
    """A store configured by `settings`, holding the fixtures it names (raises FixtureError on a bad one)."""
    store = VolumeBackupStore(
        region=settings.region,
        lifecycle_delay=settings.lifecycle_delay,
        terminated_retention=settings.terminated_retention,
        retry_token_ttl=settings.retry_token_ttl,
        default_compartment_id=settings.default_compartment_id,
        unknown_volumes=settings.unknown_volumes,
        max_retry_tokens=settings.max_retry_tokens,
        max_terminated_backups=settings.max_terminated_backups,
        max_tenancies=settings.max_tenancies,
        factory=Factory(settings.seed),
        clock=Clock(),
        lifecycle_mode=settings.lifecycle_mode,
    )
    if settings.fixtures:
        fixtures = load_fixtures(settings.fixtures, region=settings.region)
        store.set_baseline(
            fixtures.backups, fixtures.volumes, fixtures.policies, fixtures.assignments, etags=fixtures.etags
        )
    if settings.state_file is not None:
        state = read_state_file(settings.state_file)  # raises StateFileError: the server must not start
        if state is not None:
            store.import_state(state)
    return store


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The garbage collector's policy (collector.py) unless `python_gc` is set. With a state file: save it every
    `state_interval` seconds and once more at shutdown. With a proxy (set on app.state.proxy by MockOCIServer):
    listen on its port on the server's event loop until shutdown."""
    settings: Settings = app.state.settings
    if not settings.python_gc:  # the garbage collector's policy while a server runs (collector.py)
        collector.install(loaded=app.state.store.counts()["backups"])
    keeper: StateKeeper | None = None
    if settings.state_file is not None:
        keeper = StateKeeper(app.state.store, settings.state_file, settings.state_interval)
        keeper.start()
    proxy: ProxyServer | None = app.state.proxy
    try:
        if proxy is not None:
            await proxy.start()
        yield
    finally:
        if proxy is not None:
            await proxy.close()
        if keeper is not None:
            keeper.stop()
        if not settings.python_gc:
            collector.uninstall()


def create_app(settings: Settings | None = None, store: VolumeBackupStore | None = None) -> FastAPI:
    """A mockoci server application."""
    settings = settings or Settings()
    app = FastAPI(
        title="mockoci",
        version=__version__,
        description="A local emulator of OCI Block Storage volume backups (Core API 20160918).",
        docs_url=None,  # routes/dashboard.py serves /_mockoci/docs with its assets: no CDN
        redoc_url=None,
        openapi_url="/_mockoci/openapi.json",
        lifespan=_lifespan,
        redirect_slashes=False,  # OCI paths have no trailing slash: 404, never a redirect built from `Host`
        # FastAPI's own OpenTelemetry spans and metrics: off, mockoci reports each request itself (the journal, the
        # request log); asking whether a provider is configured costs ~4 us of every request (docs/performance.md)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state = AppState()
    app.state.settings = settings
    app.state.store = store or build_store(settings)
    app.state.page_tokens = PageTokens(secrets.token_bytes(32))
    app.state.keys = registry_from(settings.public_key, settings.keys_dir)
    app.state.journal = Journal(settings.journal_size)
    app.state.faults = FaultRules(settings.seed)
    app.state.proxy = None  # a ProxyServer, when MockOCIServer listens as one too
    # mockoci's own routes go on the app's own router: FastAPI 0.165 keeps an included router nested, walks it
    # on each request and, on a new app's first request, builds every nested route's dependants (~11 ms for the
    # admin API's). All but the health probe are built on their first request (BuiltLater). The OCI operations
    # have no route here: the Dispatcher serves them and answers a wrong method's 405 on their paths;
    # mockoci.openapi documents them from their declarations.
    app.router.routes.extend(health.router.routes)
    app.router.routes.append(BuiltLater(own_api))
    app.state.operations = OperationTable(OCI_OPERATIONS, health.router.routes, later=own_api)
    handlers.install(app)
    openapi.install(app)
    app.add_middleware(Dispatcher)  # innermost: every middleware below wraps the OCI operations
    app.add_middleware(  # sizes, signature, fault rules, shape, in that order (mockoci.middleware)
        RequestGate, auth=settings.auth, keys=app.state.keys, rules=app.state.faults,
        max_body_bytes=settings.max_body_bytes, max_header_bytes=settings.max_header_bytes,
    )
    if settings.admin_token is not None:  # without a token, no layer at all: nothing on the hot path
        from .admin_auth import AdminTokenMiddleware  # and nothing imported (it brings the dashboard's modules)

        app.add_middleware(AdminTokenMiddleware, token=settings.admin_token.get_secret_value())
    app.add_middleware(JournalMiddleware, journal=app.state.journal, request_log=settings.request_log)
    app.add_middleware(RegionMiddleware)  # outermost: everything inside sees the API path and its region
    return app
