"""`python -m mockoci` and the `mockoci` command (pyproject.toml's [project.scripts]): mockoci.cli's main, with
the server's modules imported first, with Python's garbage collector paused."""

import gc
import sys


def main() -> int:
    """Import the server's modules (FastAPI, pydantic, uvicorn, mockoci's models and routes) with the collector
    paused, freeze what they made, then run the command. The imports make about 110,000 objects the collector
    tracks and almost no garbage (about 1,100 objects): the ~170 collections they would set off meanwhile, or the
    one young collection of all of them just after, cost 40 to 100 ms of each start's CPU (docs/performance.md).
    Frozen, they are never walked by a collection again: modules, classes, functions and schemas live as long as
    the process anyway. Only the command does this, never an import of mockoci; with --python-gc, mockoci.cli
    unfreezes them once the settings are read."""
    gc.disable()
    try:
        from . import app, server  # noqa: F401  (what `serve` runs; imported here, under the pause)
        from .cli import main as command
    finally:
        gc.freeze()
        gc.enable()
    return command()


if __name__ == "__main__":
    sys.exit(main())
