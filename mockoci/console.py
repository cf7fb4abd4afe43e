"""The console of `mockoci serve`: `HH:MM:SS.mmm LEVEL message`, one line per log record, on stderr (`line`).

Its busiest writer is the request log, one line per request. Through `logging`, a line costs about 35 us of a
request in a running server: the LogRecord, its formatting, the handler's call chain (timed around the
journal's call inside `mockoci serve`; about 8 us in a tight loop, where all of it stays in the CPU's caches).
When this console is the only place a record would reach (`sole_console`), the journal writes the same line
to it directly (`Console.write_line`), without a LogRecord. Anything else listening (another handler, a filter,
pytest's caplog) gets the records as before.

In a running server the request lines are written in batches: a line waits up to FLUSH_DELAY (50 ms) for the
lines after it, and they go out in one write, instead of one write (a system call) per request. They are also
formatted then, all together: a request only keeps what its line is made of. Formatted one at a time, between
two requests of a client that calls one at a time, each line found the formatting code (the clock, the level,
the float of the duration, the join) out of the CPU's caches: ~10 us of each such request; formatted in a row,
the lines after the first find it in them. A log record writes the lines before it first, so the console keeps
its order, and logging's flush at exit writes what is left (a server killed with SIGKILL loses at most the last
50 ms of request lines).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TextIO

DATE_FORMAT = "%H:%M:%S"
FLUSH_DELAY = 0.05  # seconds a request line may wait for the next ones, to share their write


_clock: tuple[int, str] = (-1, "")  # the last second a line was written in, and its HH:MM:SS


def line(created: float, level: int, message: str) -> str:
    """The text FORMAT gives a record of `level` made at `created` (seconds since the epoch)."""
    global _clock
    second = int(created)
    if _clock[0] != second:  # a console writes many lines a second: format the clock once for them
        _clock = (second, time.strftime(DATE_FORMAT, time.localtime(second)))
    return f"{_clock[1]}.{int((created - second) * 1000):03d} {logging.getLevelName(level)} {message}"


class ConsoleFormatter(logging.Formatter):
    """A record as `line` writes it (a traceback after it, as every Formatter adds one)."""

    def usesTime(self) -> bool:
        return False  # `line` writes the clock itself

    def formatMessage(self, record: logging.LogRecord) -> str:
        return line(record.created, record.levelno, record.message)


class Console(logging.StreamHandler[TextIO]):
    """A stream handler with mockoci's console format, which can also take a line without a LogRecord."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.setFormatter(ConsoleFormatter())
        # lines given to write_line, not yet on the stream: (created, level, message)
        self._pending: list[tuple[float, int, object]] = []

    def write_line(self, level: int, message: object, created: float | None = None) -> None:
        """Write `message` (a str, or anything whose str() is the text: made only when the line is written) as a
        record of `level` made at `created` (default: now) would be written: at once outside an event loop, else
        within FLUSH_DELAY, with the lines written meanwhile."""
        if created is None:
            created = time.time()
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self.lock:  # type: ignore[union-attr]  # a Handler's lock, made in its __init__
            self._pending.append((created, level, message))
            if loop is not None and len(self._pending) == 1:
                loop.call_later(FLUSH_DELAY, self.flush)
        if loop is None:
            self.flush()

    def flush(self) -> None:
        """Write the pending lines, then flush the stream (logging calls it after each record and at exit)."""
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
            self.stream.flush()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock:  # type: ignore[union-attr]  # the lines before the record come before it
            self._write_pending()
        super().emit(record)

    def _write_pending(self) -> None:
        """Format the lines write_line kept and write them in one write (call with the lock held)."""
        if self._pending:
            end = self.terminator
            self.stream.write("".join([line(created, level, str(message)) + end
                                       for created, level, message in self._pending]))
            self._pending.clear()


def sole_console(logger: logging.Logger, level: int) -> Console | None:
    """The Console that a record of `level` from `logger` would reach, if it reaches that and nothing else:
    no other handler on the way up, no filter on a logger or on the console."""
    if not logger.isEnabledFor(level):
        return None
    found: Console | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if level < handler.level:
                continue
            if found is not None or type(handler) is not Console or handler.filters:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    return found
