"""mockoci's pages for people: the dashboard at `/_mockoci/` (`/` leads there) and the API docs at `/_mockoci/docs`.

The docs page is Swagger UI served from the `fastapi-offline` package's copy of its assets, so it works with no
network. The dashboard is built from the same documents the admin API answers with (its routes are called here;
the state document only of the resources it shows, see `shown_state`), so whatever the admin API exposes, the
dashboard shows.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount

from .. import __version__, dashboard
from ..dashboard.view import RESOURCE_ROWS, DashboardView, known_tenancies
from ..journal import Journal
from ..operations import ADMIN_PREFIX
from ..persistence import FORMAT, VERSION, record_document
from ..store import VolumeBackupStore
from . import admin

SWAGGER_UI = Path(str(files("fastapi_offline") / "static"))  # swagger-ui-bundle.js, swagger-ui.css, favicon.png
SWAGGER_UI_URL = ADMIN_PREFIX + "/static/swagger-ui"
DASHBOARD_STATIC_URL = ADMIN_PREFIX + "/static/dashboard"
NO_STORE = {"cache-control": "no-store"}
BACKUP_COLLECTION = "volumeBackups"  # the kind whose rows show their etags

router = APIRouter(include_in_schema=False)


def _base(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + ADMIN_PREFIX


def shown_state(
    store: VolumeBackupStore, selected: str | None = None
) -> tuple[dict[str, Any], dict[str, dict[str, int]], dashboard.view.EtagLookup]:
    """What the dashboard shows of the store, read in time that grows with that, not with the store: the state
    document as the export writes it, but of each collection only its newest RESOURCE_ROWS (Store.newest; with
    `selected`, of that tenancy only, every tenancy still named), how many records each collection holds, and the
    etags of the backups listed (the state document is the fixture format, which has none: these are the
    versions' own; None for other kinds)."""
    tenancies: dict[str, dict[str, list[dict[str, Any]]]] = {}
    counts: dict[str, dict[str, int]] = {}
    etags: dict[tuple[str, str], str] = {}
    for tenancy, collections in store.newest(RESOURCE_ROWS, selected).items():
        tenancies[tenancy] = {
            name: [item for item in map(record_document, newest.records) if item is not None]
            for name, newest in collections.items()
        }
        counts[tenancy] = {name: newest.held for name, newest in collections.items()}
        for record in collections[BACKUP_COLLECTION].records if BACKUP_COLLECTION in collections else ():
            etags[tenancy, record.model.id] = record.etag

    def etag_of(tenancy: str, kind: str, item: Mapping[str, Any]) -> str | None:
        resource_id = item.get("id")
        return etags.get((tenancy, resource_id)) if kind == BACKUP_COLLECTION and isinstance(resource_id, str) \
            else None

    return {"format": FORMAT, "version": VERSION, "tenancies": tenancies}, counts, etag_of


async def dashboard_view(request: Request, selected: str | None = None) -> DashboardView:
    """The dashboard's content: the admin API's own answers (its routes, called here by keyword; the journal's
    entries as its route gives them; the state document as the export writes it, of the records shown).

    What takes time grows with the rows shown, not with the store: reading them, building the view and rendering
    it run in a worker thread (tens of milliseconds for a table of 500), so the event loop serves others
    meanwhile (the interpreter hands the GIL over every few milliseconds)."""
    app_state = request.app.state
    store: VolumeBackupStore = app_state.store
    journal_kept: Journal = app_state.journal
    state, held_counts, etag_of = await run_in_threadpool(shown_state, store, selected)
    journal = [entry.to_json() for entry in journal_kept.entries()]
    faults = [rule.model_dump(mode="json", by_alias=True) for rule in await admin.list_faults(faults=app_state.faults)]
    clock = (await admin.get_clock(store=store)).model_dump(mode="json", by_alias=True)
    default_lifecycle = (await admin.get_lifecycle(store=store)).model_dump(mode="json", by_alias=True)
    tenancies = [selected] if selected is not None else known_tenancies(state, journal, faults)
    lifecycles = {
        tenancy: (await admin.get_lifecycle(store=store, tenancy=tenancy)).model_dump(mode="json", by_alias=True)
        for tenancy in tenancies
    }
    return await run_in_threadpool(functools.partial(
        dashboard.build_view, state=state, journal=journal, faults=faults, clock=clock, lifecycle=default_lifecycle,
        tenancy_lifecycle=lifecycles.__getitem__, etag_of=etag_of, selected=selected, held_counts=held_counts,
    ))


@router.get("/")
async def root(request: Request) -> Response:
    """The landing page is the dashboard."""
    query = request.url.query
    return RedirectResponse(_base(request) + "/" + ("?" + query if query else ""), status_code=307)


@router.get(ADMIN_PREFIX)
async def admin_root(request: Request) -> Response:
    return await root(request)


@router.get(ADMIN_PREFIX + "/")
async def dashboard_page(
    request: Request,
    tenancy: Annotated[str | None, Query(description="Show only this tenancy.")] = None,
    part: Annotated[Literal["page", "live"], Query(description="live: only what auto-refresh replaces.")] = "page",
) -> Response:
    """The dashboard: per tenancy its resources, fault rules and requests; the clock and lifecycle mode."""
    view = await dashboard_view(request, tenancy or None)
    base = _base(request)
    if part == "live":
        return HTMLResponse(await run_in_threadpool(dashboard.render_live, view, base=base), headers=NO_STORE)
    return HTMLResponse(await run_in_threadpool(dashboard.render_page, view, base=base, version=__version__),
                        headers=NO_STORE)


@router.get(ADMIN_PREFIX + "/docs")
async def docs_page(request: Request) -> Response:
    """Swagger UI for the OpenAPI document, its assets served by this server."""
    root_path = str(request.scope.get("root_path", ""))
    return get_swagger_ui_html(
        openapi_url=root_path + str(request.app.openapi_url),
        title=f"{request.app.title} - API docs",
        swagger_js_url=root_path + SWAGGER_UI_URL + "/swagger-ui-bundle.js",
        swagger_css_url=root_path + SWAGGER_UI_URL + "/swagger-ui.css",
        swagger_favicon_url=root_path + SWAGGER_UI_URL + "/favicon.png",
    )


def routes() -> list[BaseRoute]:
    """The pages and their static assets, as an app's routes (which must be created with `docs_url=None`)."""
    return [
        *router.routes,
        Mount(SWAGGER_UI_URL, app=StaticFiles(directory=SWAGGER_UI), name="swagger-ui"),
        Mount(DASHBOARD_STATIC_URL, app=StaticFiles(directory=dashboard.STATIC), name="dashboard-static"),
    ]
