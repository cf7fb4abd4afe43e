"""`mockoci serve`'s console (mockoci/console.py): a request line written without a LogRecord is the line
logging would write, and it is written so only when nothing else listens."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from mockoci.console import FLUSH_DELAY, Console, line, sole_console
from mockoci.server import MockOCIServer


@pytest.mark.parametrize("now", [1_764_600_000.0, 1_764_600_000.0009, 1_764_600_059.9999, 1_764_633_845.5])
def test_a_direct_line_is_the_text_the_formatter_gives(monkeypatch: pytest.MonkeyPatch, now: float) -> None:
    monkeypatch.setattr(time, "time", lambda: now)
    stream = io.StringIO()
    console = Console(stream)
    record = logging.getLogger("mockoci.requests").makeRecord(
        "mockoci.requests", logging.INFO, __file__, 1, "%s", ("GET /x ListVolumeBackups 200",), None
    )
    console.write_line(logging.INFO, "GET /x ListVolumeBackups 200")
    assert stream.getvalue() == console.format(record) + "\n"
    assert line(now, logging.INFO, "GET /x ListVolumeBackups 200") == console.format(record)
    stock = logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(message)s", "%H:%M:%S")
    assert console.format(record) == stock.format(record)  # the format as logging itself writes it


@pytest.fixture
def loggers() -> Iterator[tuple[logging.Logger, logging.Logger, Console]]:
    parent = logging.getLogger("mockoci_console_test")
    child = logging.getLogger("mockoci_console_test.requests")
    console = Console(io.StringIO())
    parent.handlers[:] = [console]
    parent.setLevel(logging.INFO)
    parent.propagate = False
    yield parent, child, console
    for logger in (parent, child):
        logger.handlers.clear()
        logger.filters.clear()
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def test_the_console_is_sole_only_when_nothing_else_would_see_the_record(
    loggers: tuple[logging.Logger, logging.Logger, Console],
) -> None:
    parent, child, console = loggers
    parent.handlers[:] = [console]  # pytest adds its capture handlers to a logger that does not propagate
    assert sole_console(child, logging.INFO) is console
    assert sole_console(child, logging.DEBUG) is None  # below the level: nothing is written at all
    quiet = logging.StreamHandler(io.StringIO())
    quiet.setLevel(logging.ERROR)
    child.addHandler(quiet)
    assert sole_console(child, logging.INFO) is console  # a handler above the record's level does not see it
    assert sole_console(child, logging.ERROR) is None
    child.removeHandler(quiet)
    child.addFilter(logging.Filter("else"))
    assert sole_console(child, logging.INFO) is None
    child.filters.clear()
    console.addFilter(logging.Filter("else"))
    assert sole_console(child, logging.INFO) is None
    console.filters.clear()
    parent.propagate = True  # the root logger's handlers (pytest's among them) would see it too
    logging.getLogger().addHandler(listener := logging.NullHandler())
    try:
        assert sole_console(child, logging.INFO) is None
    finally:
        logging.getLogger().removeHandler(listener)
    parent.handlers[:] = [logging.StreamHandler(io.StringIO())]
    assert sole_console(child, logging.INFO) is None


REQUEST_LINE = re.compile(
    r"^\d\d:\d\d:\d\d\.\d{3} INFO GET /20160918/volumeBackups\?compartmentId=c ListVolumeBackups 200 "
    r"[\d.e-]+ ms opc-request-id=[0-9A-F]{32}$"
)


def test_the_request_line_is_the_same_with_and_without_a_log_record(
    start_server: Callable[..., MockOCIServer],
) -> None:
    mockoci = logging.getLogger("mockoci")
    saved = mockoci.handlers[:], mockoci.level, mockoci.propagate
    stream = io.StringIO()
    mockoci.handlers[:] = [console := Console(stream)]  # in place of pytest's capture handlers
    mockoci.setLevel(logging.INFO)
    mockoci.propagate = False
    try:
        server = start_server(auth="off")
        assert sole_console(logging.getLogger("mockoci.requests"), logging.INFO) is console
        requests.get(server.url + "/20160918/volumeBackups?compartmentId=c", timeout=5)  # direct
        records: list[logging.LogRecord] = []
        listener = logging.Handler()
        listener.emit = records.append  # type: ignore[method-assign]
        logging.getLogger("mockoci.requests").addHandler(listener)
        try:
            requests.get(server.url + "/20160918/volumeBackups?compartmentId=c", timeout=5)  # a LogRecord
        finally:
            logging.getLogger("mockoci.requests").removeHandler(listener)
        lines = [text for text in stream.getvalue().splitlines() if "/_mockoci" not in text]
        assert len(lines) == 2 and all(REQUEST_LINE.match(text) for text in lines), lines
        assert [record.request["operation"] for record in records] == ["ListVolumeBackups"]
    finally:
        mockoci.handlers[:], level, mockoci.propagate = saved
        mockoci.setLevel(level)


class _Writes(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_lines_written_in_an_event_loop_share_one_write_and_keep_their_order_with_records() -> None:
    stream = _Writes()
    console = Console(stream)
    record = logging.getLogger("mockoci.requests").makeRecord(
        "mockoci.requests", logging.WARNING, __file__, 1, "a warning", (), None
    )

    async def serve() -> None:
        console.write_line(logging.INFO, "GET /1")
        console.write_line(logging.INFO, "GET /2")
        assert stream.getvalue() == ""  # waiting for the lines after them
        await asyncio.sleep(FLUSH_DELAY * 2)
        assert stream.getvalue().endswith("INFO GET /2\n") and stream.writes == 1  # one write for both
        console.write_line(logging.INFO, "GET /3")
        console.handle(record)  # a record: the pending line goes first
        console.write_line(logging.INFO, "GET /4")

    asyncio.run(serve())
    console.flush()  # as logging does at exit: what is still pending is written
    assert [text.split(" ", 2)[2] for text in stream.getvalue().splitlines()] == [
        "GET /1", "GET /2", "GET /3", "a warning", "GET /4",
    ]


class _Counted:
    """A line's message that counts how often its text is made."""

    def __init__(self, text: str) -> None:
        self.text, self.made = text, 0

    def __str__(self) -> str:
        self.made += 1
        return self.text


def test_a_line_written_in_an_event_loop_is_formatted_only_when_it_is_written() -> None:
    stream = _Writes()
    console = Console(stream)
    message = _Counted("GET /5 GetVolumeBackup 200")

    async def serve() -> None:
        console.write_line(logging.INFO, message, created=0.25)
        assert message.made == 0  # the request keeps what its line is made of
        await asyncio.sleep(FLUSH_DELAY * 2)

    asyncio.run(serve())
    assert message.made == 1
    assert stream.getvalue().endswith(".250 INFO GET /5 GetVolumeBackup 200\n")
