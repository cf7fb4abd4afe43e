"""The server's sense of time: wall-clock time plus an offset that tests can advance."""

from __future__ import annotations

import time
from datetime import UTC, datetime

# The clock stays a year short of the end of the calendar: every datetime it makes (now, now + a lifecycle delay,
# a retention expiry) must stay writable as OCI's `YYYY-MM-DDTHH:MM:SS.mmmZ`, and wall time keeps running.
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class Clock:
    """Wall-clock time that can be moved forward, so lifecycle tests never sleep."""

    def __init__(self) -> None:
        self._offset = 0.0

    def time(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:  # NaN too
            raise ValueError("the clock only moves forward")
        if self.time() + seconds > LATEST.timestamp():
            raise ValueError(f"the clock cannot move past {LATEST.isoformat()}, the end of what it can write")
        self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset
