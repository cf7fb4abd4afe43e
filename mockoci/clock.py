"""The server's sense of time: wall-clock time plus an offset that tests can advance."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock time that can be moved forward, so lifecycle tests never sleep."""

    def __init__(self) -> None:
        self._offset = 0.0

    def time(self) -> float:
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds

    @property
    def offset(self) -> float:
        return self._offset
