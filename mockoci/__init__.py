"""mockoci: a local emulator of OCI Block Storage volume backups for the real OCI clients."""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "__version__", "create_app"]
