"""mockoci: a local emulator of OCI Block Storage volume backups for the real OCI clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

__all__ = ["Settings", "__version__", "create_app"]


def __getattr__(name: str) -> Any:
    """`create_app` and `Settings`, imported when first asked for: importing a module of mockoci (the pytest
    plugin, `mockoci --version`) does not load the whole server."""
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
