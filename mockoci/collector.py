"""The server's memory policy: no garbage collection and no freeing that pauses it for long.

**Full collections.** CPython's collector walks every tracked object on a full collection: 1.2 s at 1,000,000
stored backups (3 objects each), during which nothing else runs. While a server runs (`install`, from the app's
lifespan, so only servers: MockOCIServer, `mockoci serve`; never on import), a full collection that took more than
SLOW_COLLECTION seconds of CPU is followed by `gc.freeze()`: what survived it is long-lived (the stored records),
and frozen objects are never walked again, so the next full collection walks only what came since. Servers that
start with much loaded (fixtures, a state file) freeze it at once. The rule covers bulk loads made later (seed,
generate, import): the collections made during the load freeze as they go, so what is left unfrozen stays small.
The last server to stop (`uninstall`) unfreezes everything.

The trade-off: cyclic garbage among frozen objects is never collected while a server runs (it is once the last
one stops). Objects freed by reference counting are freed as ever, frozen or not, and mockoci's records hold no
reference cycles (a version is a Record holding its model, whose fields are strings, numbers, datetimes and plain
containers: tests/test_collector.py checks that they are freed without the collector), so updates, deletes and
resets free them. What a freeze can keep is the cyclic garbage alive at that moment (a request's frames, a
stopped app's objects): bounded, since only a slow collection freezes, and a small heap never has one. A library
user opts out with the `python_gc` setting (`--python-gc`): Python's collector is then left as it is.

**Freeing.** Dropping the last reference to a million records frees them all in one call that holds the GIL
throughout (half a second at 1,000,000 backups): a reset would answer late and stall every other request
meanwhile. `free_later` hands such a structure to a background thread that takes it apart a piece at a time,
letting the server's thread run between pieces.
"""

from __future__ import annotations

import gc
import logging
import queue
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger("mockoci")
FREE_BATCH = 5_000  # references dropped per piece: a millisecond or two of freeing
SLOW_COLLECTION = 0.01  # CPU seconds: a full collection longer than that freezes what survived it
LARGE = 50_000  # records loaded at start that a server freezes at once

_installed = 0  # servers running with the policy
_policy_lock = threading.Lock()
_collection_started = 0.0


def install(loaded: int = 0) -> None:
    """Called as a server starts, holding `loaded` records: freezes them (and the rest of the heap) if that is
    LARGE, and what survives every slow full collection until the last server stops."""
    global _installed
    with _policy_lock:
        _installed += 1
        if _installed == 1:
            gc.callbacks.append(_after_collection)
    if loaded >= LARGE:
        gc.collect(1)  # young garbage is not frozen with the rest
        gc.freeze()


def uninstall() -> None:
    """Called as a server stops: the last one leaves Python's collector as it was, with nothing frozen."""
    global _installed
    with _policy_lock:
        _installed -= 1
        if _installed == 0:
            gc.callbacks.remove(_after_collection)
            gc.unfreeze()


def _after_collection(phase: str, info: dict[str, int]) -> None:
    global _collection_started
    if info["generation"] != 2:
        return
    if phase == "start":
        _collection_started = time.thread_time()
    elif time.thread_time() - _collection_started > SLOW_COLLECTION:
        gc.freeze()  # what survived a full collection is long-lived: the next walks only what came since


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


def dismantle(structure: dict[Any, Any] | list[Any]) -> Iterator[None]:
    """Takes apart a dict or list the caller no longer needs, and the dicts, lists and index objects
    (`mockoci.index`'s, `sortedcontainers`') it holds, FREE_BATCH references a piece: each container is emptied
    from the end (drain), what it held taken apart in turn when it is such a container; anything else (a record,
    a string, a tuple) is simply dropped. A container something else still holds is left alone: only this
    reference to it is dropped."""
    stack: list[object] = []
    yield from drain(structure, keep=stack)
    while stack:
        held = stack.pop()
        if sys.getrefcount(held) > 2:  # someone else's too (2: `held` and getrefcount's argument)
            continue
        if isinstance(held, dict | list):
            yield from drain(held, keep=stack)
        elif type(held).__module__ in _STRUCTURES:
            stack.extend(item for item in gc.get_referents(held) if _is_structure(item))


_STRUCTURES = frozenset({"mockoci.index", "sortedcontainers.sortedlist"})


def _is_structure(item: object) -> bool:
    return isinstance(item, dict | list) or type(item).__module__ in _STRUCTURES


def drain(held: dict[Any, Any] | list[Any], keep: list[object] | None = None) -> Iterator[None]:
    """Empties a dict or a list FREE_BATCH items at a time (from the end), yielding after each piece; with `keep`,
    the items that are structures (dismantle) go there instead of being dropped."""
    while held:
        if isinstance(held, list):
            piece = held[-FREE_BATCH:]
            del held[-FREE_BATCH:]
        else:
            piece = [held.popitem()[1] for _ in range(min(FREE_BATCH, len(held)))]
        if keep is not None:
            keep.extend(item for item in piece if _is_structure(item))
        del piece
        yield
