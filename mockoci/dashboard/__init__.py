"""The dashboard: an HTML page of what the server holds and what it was asked, for people.

`view` builds the page's content from the admin API's JSON documents; `render` turns it into HTML with the
templates beside this file; the routes are in `mockoci.routes.dashboard`. The page's assets (`static/`) are plain
CSS and JavaScript: there is no build step.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from .view import DashboardView, build_view

if TYPE_CHECKING:
    from jinja2 import Environment

__all__ = ["STATIC", "DashboardView", "build_view", "render_live", "render_page"]

STATIC = Path(str(files(__package__) / "static"))


def short_ocid(ocid: str) -> str:
    """`ocid1.tenancy.oc1..aaaa...xyz` shortened to its kind and the end of its unique part, for narrow columns."""
    parts = ocid.split(".")
    if len(parts) < 5 or len(parts[-1]) <= 14:
        return ocid
    return f"{parts[1]}…{parts[-1][-10:]}"


@functools.cache
def _environment() -> Environment:
    """The templates' environment, made when the first page is asked for (jinja2 is ~30 ms of start-up)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=False,
        lstrip_blocks=False,
    )
    environment.filters["short_ocid"] = short_ocid
    return environment


def render_page(view: DashboardView, *, base: str, version: str) -> str:
    """The whole page; `base` is where the admin API is (`/_mockoci`, behind any root path)."""
    return _environment().get_template("page.html").render(view=view, base=base, version=version)


def render_live(view: DashboardView, *, base: str) -> str:
    """The part of the page that auto-refresh replaces."""
    return _environment().get_template("live.html").render(view=view, base=base)
