"""The schedule arithmetic (mockoci.schedule): when each kind of schedule runs next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mockoci.schedule import Timing, next_due, problem


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("timing", "after", "expected"),
    [
        (Timing("ONE_HOUR"), "2026-03-01T10:00:00", "2026-03-01T11:00:00"),  # strictly after
        (Timing("ONE_HOUR", "NUMERIC_SECONDS", 900), "2026-03-01T10:20:00", "2026-03-01T11:15:00"),
        (Timing("ONE_HOUR", "STRUCTURED", hour_of_day=5), "2026-03-01T10:20:00", "2026-03-01T11:00:00"),
        (Timing("ONE_DAY", "STRUCTURED", hour_of_day=2), "2026-03-01T01:59:59", "2026-03-01T02:00:00"),
        (Timing("ONE_DAY", "STRUCTURED", hour_of_day=2), "2026-03-01T02:00:00", "2026-03-02T02:00:00"),
        (Timing("ONE_DAY", None, 3600), "2026-12-31T23:00:00", "2027-01-01T01:00:00"),
        # 2026-03-04 is a Wednesday; weeks start on Monday
        (Timing("ONE_WEEK", "STRUCTURED", hour_of_day=5, day_of_week="SUNDAY"), "2026-03-04T00:00:00",
         "2026-03-08T05:00:00"),
        (Timing("ONE_WEEK", "STRUCTURED", day_of_week="MONDAY"), "2026-03-09T00:00:00", "2026-03-16T00:00:00"),
        (Timing("ONE_WEEK", "NUMERIC_SECONDS", 86400), "2026-03-04T00:00:00", "2026-03-10T00:00:00"),
        (Timing("ONE_MONTH", "STRUCTURED", day_of_month=31), "2026-02-01T00:00:00", "2026-02-28T00:00:00"),
        (Timing("ONE_MONTH", "STRUCTURED", day_of_month=31), "2026-02-28T00:00:00", "2026-03-31T00:00:00"),
        (Timing("ONE_MONTH", "STRUCTURED", day_of_month=15, hour_of_day=12), "2026-12-20T00:00:00",
         "2027-01-15T12:00:00"),
        (Timing("ONE_YEAR", "STRUCTURED", month="FEBRUARY", day_of_month=29), "2027-01-01T00:00:00",
         "2027-02-28T00:00:00"),
        (Timing("ONE_YEAR", "STRUCTURED", month="FEBRUARY", day_of_month=29), "2027-03-01T00:00:00",
         "2028-02-29T00:00:00"),
        (Timing("ONE_YEAR", "NUMERIC_SECONDS", 0), "2026-06-01T00:00:00", "2027-01-01T00:00:00"),
    ],
)
def test_next_due(timing: Timing, after: str, expected: str) -> None:
    assert next_due(timing, at(after)) == at(expected)


def test_structured_fields_of_other_periods_are_ignored() -> None:
    daily = Timing("ONE_DAY", "STRUCTURED", hour_of_day=3, day_of_week="FRIDAY", day_of_month=9, month="MAY")
    assert next_due(daily, at("2026-03-04T00:00:00")) == at("2026-03-04T03:00:00")
    numeric = Timing("ONE_DAY", "NUMERIC_SECONDS", 60, hour_of_day=3)
    assert next_due(numeric, at("2026-03-04T00:00:00")) == at("2026-03-04T00:01:00")


def test_a_year_of_hourly_runs_is_one_step_each() -> None:
    timing, moment, runs = Timing("ONE_HOUR", "NUMERIC_SECONDS", 30), at("2026-01-01T00:00:00"), 0
    while moment < at("2027-01-01T00:00:00"):
        following = next_due(timing, moment)
        assert following - moment <= timedelta(hours=1)
        moment, runs = following, runs + 1
    assert runs == 8760 + 1  # 2026 has 8760 hours; the last run is at 00:00:30 on 2027-01-01


@pytest.mark.parametrize(
    ("timing", "fragment"),
    [
        (Timing("ONE_MINUTE"), "period"),
        (Timing("ONE_DAY", "STRUCTURED", hour_of_day=-1), "hourOfDay"),
        (Timing("ONE_MONTH", "STRUCTURED", day_of_month=0), "dayOfMonth"),
        (Timing("ONE_WEEK", "STRUCTURED", day_of_week="FUNDAY"), "dayOfWeek"),
        (Timing("ONE_YEAR", "STRUCTURED", month="APRIL", day_of_month=31), "APRIL has no day 31"),
        (Timing("ONE_HOUR", "NUMERIC_SECONDS", 3600), "less than 3600"),
        (Timing("ONE_MONTH", None, 28 * 86400), "offsetSeconds"),
        (Timing("ONE_DAY", "NUMERIC_SECONDS", -1), "offsetSeconds"),
    ],
)
def test_impossible_schedules(timing: Timing, fragment: str) -> None:
    reason = problem(timing)
    assert reason is not None and fragment in reason


def test_possible_schedules() -> None:
    assert problem(Timing("ONE_YEAR", "STRUCTURED", month="FEBRUARY", day_of_month=29)) is None
    assert problem(Timing("ONE_MONTH", "NUMERIC_SECONDS", 28 * 86400 - 1)) is None
    assert problem(Timing("ONE_DAY", "STRUCTURED", hour_of_day=2, day_of_month=99)) is None  # ignored for days
