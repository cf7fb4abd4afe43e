"""Memory a server lets go of, without pausing it: freeing in the background, a piece at a time.

Dropping the last reference to a million records frees them all in one call that holds the GIL throughout
(half a second at 1,000,000 backups): a reset would answer late and stall every other request meanwhile.
`free_later` hands such a structure to a background thread that takes it apart a piece at a time, letting the
server's thread run between pieces.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger("mockoci")
FREE_BATCH = 5_000  # references dropped per piece: a millisecond or two of freeing

_work: queue.SimpleQueue[Iterator[object]] = queue.SimpleQueue()
_freer: threading.Thread | None = None
_freer_lock = threading.Lock()


def free_later(pieces: Iterator[object]) -> None:
    """Runs `pieces`, a generator that drops what it holds a piece at a time (FREE_BATCH references each), to its
    end in a background thread, yielding the GIL between pieces. Returns at once."""
    global _freer
    _work.put(pieces)
    with _freer_lock:
        if _freer is None:
            _freer = threading.Thread(target=_free, name="mockoci-freer", daemon=True)
            _freer.start()


def _free() -> None:
    while True:
        pieces = _work.get()
        try:
            for _ in pieces:
                time.sleep(0)  # the GIL to whoever waits for it: the server's event loop
        except Exception:  # what it held is freed anyway, all at once, when `pieces` goes
            logger.exception("freeing in the background failed")
        del pieces


def drain(held: dict[Any, Any] | list[Any]) -> Iterator[None]:
    """Empties a dict or a list FREE_BATCH items at a time (from the end), yielding after each piece."""
    while held:
        if isinstance(held, list):
            del held[-FREE_BATCH:]
        else:
            for _ in range(min(FREE_BATCH, len(held))):
                held.popitem()
        yield
