"""Routes built on the first request that needs them: mockoci's own API (the admin API, the key registry, the
dashboard and the docs page).

Importing and building them (28 FastAPI routes: a pydantic field per parameter and response model, the admin
API's request models, FastAPI's pydantic.v1 check) was ~50 ms of every `mockoci serve` start, for an API that
many runs never call or call seconds later. `BuiltLater` stands in the app's routes for all of them: a request
under `/` or `/_mockoci` builds them (once per process, as the routers are module-level) and is routed among
them in their order, as if they were the app's own routes; any other request passes it by at the cost of one
prefix check. The OpenAPI document (mockoci.openapi) and the app's OperationTable read the same routes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from ..operations import is_admin_path

ROUTE_KEY = "mockoci.route"  # in the scope: which of the routes matched, for `handle`


class BuiltLater(BaseRoute):
    """The routes `build` returns, built on first use, routed as the app's own routes would be."""

    def __init__(self, build: Callable[[], Sequence[BaseRoute]]) -> None:
        self.build = build

    @property
    def routes(self) -> Sequence[BaseRoute]:
        return self.build()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """The first full match among the routes, else the first partial one (a wrong method: 405), as a
        router finds them; nothing is built for a path outside mockoci's own."""
        if scope["type"] != "http" or not is_admin_path(scope["path"]):
            return Match.NONE, {}
        partial: tuple[Match, Scope] | None = None
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return match, {**child_scope, ROUTE_KEY: route}
            if match is Match.PARTIAL and partial is None:
                partial = match, {**child_scope, ROUTE_KEY: route}
        return partial or (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[ROUTE_KEY]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)


@cache
def own_api() -> Sequence[BaseRoute]:
    """mockoci's own API and pages, in routing order: imported and built on the first call in the process."""
    from . import admin, dashboard, keys

    return (*admin.router.routes, *keys.router.routes, *dashboard.routes())


def expand(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """`routes` with each BuiltLater's own routes in its place (built now): what FastAPI documents."""
    return [inner for route in routes for inner in (route.routes if isinstance(route, BuiltLater) else [route])]
