"""When a backup policy's schedule is due: pure arithmetic on UTC datetimes, no store, no clock.

A schedule has a `period` (ONE_HOUR, ONE_DAY, ONE_WEEK, ONE_MONTH, ONE_YEAR) and an offset into each period:

- Periods start at the top of the hour, at midnight, on Monday at midnight (ISO weeks), on the 1st of the month
  and on January 1st, in the schedule's time zone. mockoci runs every region's data centre on UTC, so
  `REGIONAL_DATA_CENTER_TIME` and `UTC` are the same zone (docs/backup-policies.md).
- `offsetType` `STRUCTURED`: `hourOfDay` (0-23, default 0) for every period but ONE_HOUR, `dayOfWeek` (default
  MONDAY) for ONE_WEEK, `dayOfMonth` (1-31, default 1; past a short month's end: its last day) for ONE_MONTH and
  ONE_YEAR, `month` (default JANUARY) for ONE_YEAR; fields of other periods are ignored. ONE_HOUR runs at the top
  of the hour.
- `offsetType` `NUMERIC_SECONDS`, or no offsetType (as the SDK documents for older clients): `offsetSeconds`
  (default 0) after the period's start, less than the period's shortest length (an hour, a day, a week, 28 days,
  365 days).

`next_due(schedule, after)` is the first scheduled time strictly after `after`: a few datetime operations, so a
catch-up over a year of an hourly schedule is 8,760 calls, never a walk over seconds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PERIODS = ("ONE_HOUR", "ONE_DAY", "ONE_WEEK", "ONE_MONTH", "ONE_YEAR")
DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
MONTHS = (
    "JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER",
    "DECEMBER",
)
HOUR = 3600
DAY = 24 * HOUR
# The shortest length of each period: a numeric offset must be less, so each period has exactly one run.
SHORTEST_PERIOD_SECONDS = {
    "ONE_HOUR": HOUR, "ONE_DAY": DAY, "ONE_WEEK": 7 * DAY, "ONE_MONTH": 28 * DAY, "ONE_YEAR": 365 * DAY,
}


@dataclass(frozen=True, slots=True)
class Timing:
    """What of a schedule decides when it runs (the fields of VolumeBackupSchedule of that name)."""

    period: str
    offset_type: str | None = None
    offset_seconds: int | None = None
    hour_of_day: int | None = None
    day_of_week: str | None = None
    day_of_month: int | None = None
    month: str | None = None

    @property
    def structured(self) -> bool:
        return self.offset_type == "STRUCTURED"


def problem(timing: Timing) -> str | None:
    """Why a schedule can never run as given (OCI refuses it with 400 InvalidParameter), or None."""
    if timing.period not in PERIODS:
        return f"period must be one of {', '.join(PERIODS)}"
    if timing.structured:  # only the fields that apply to the period are read (the others are ignored)
        period = timing.period
        if period != "ONE_HOUR" and timing.hour_of_day is not None and not 0 <= timing.hour_of_day <= 23:
            return "hourOfDay must be between 0 and 23"
        monthly = period in ("ONE_MONTH", "ONE_YEAR")
        if monthly and timing.day_of_month is not None and not 1 <= timing.day_of_month <= 31:
            return "dayOfMonth must be between 1 and 31"
        if period == "ONE_WEEK" and timing.day_of_week is not None and timing.day_of_week not in DAYS_OF_WEEK:
            return f"dayOfWeek must be one of {', '.join(DAYS_OF_WEEK)}"
        if period == "ONE_YEAR" and timing.month is not None and timing.month not in MONTHS:
            return f"month must be one of {', '.join(MONTHS)}"
        if timing.period == "ONE_YEAR" and timing.day_of_month is not None:
            month = MONTHS.index(timing.month or "JANUARY") + 1
            if timing.day_of_month > _days_in_month(2001, month) + (month == 2):  # Feb 29 runs on Feb 28 some years
                return f"{timing.month or 'JANUARY'} has no day {timing.day_of_month}"
        return None
    offset = timing.offset_seconds or 0
    limit = SHORTEST_PERIOD_SECONDS[timing.period]
    if not 0 <= offset < limit:
        return f"offsetSeconds must be at least 0 and less than {limit} for period {timing.period}"
    return None


def period_start(period: str, moment: datetime) -> datetime:
    """The start of the period that holds `moment` (UTC)."""
    moment = moment.astimezone(UTC)
    if period == "ONE_HOUR":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "ONE_DAY":
        return day
    if period == "ONE_WEEK":
        return day - timedelta(days=day.weekday())
    if period == "ONE_MONTH":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def next_period(period: str, start: datetime) -> datetime:
    """The start of the period after the one starting at `start`."""
    if period == "ONE_HOUR":
        return start + timedelta(hours=1)
    if period == "ONE_DAY":
        return start + timedelta(days=1)
    if period == "ONE_WEEK":
        return start + timedelta(weeks=1)
    if period == "ONE_MONTH":
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def run_in(timing: Timing, start: datetime) -> datetime:
    """When the schedule runs in the period starting at `start`."""
    if not timing.structured:
        return start + timedelta(seconds=timing.offset_seconds or 0)
    if timing.period == "ONE_HOUR":
        return start
    run = start + timedelta(hours=timing.hour_of_day or 0)
    if timing.period == "ONE_WEEK":
        return run + timedelta(days=DAYS_OF_WEEK.index(timing.day_of_week or "MONDAY"))
    if timing.period == "ONE_YEAR":
        run = run.replace(month=MONTHS.index(timing.month or "JANUARY") + 1)
    if timing.period in ("ONE_MONTH", "ONE_YEAR"):
        day = min(timing.day_of_month or 1, _days_in_month(run.year, run.month))
        run = run.replace(day=day)
    return run


def next_due(timing: Timing, after: datetime) -> datetime:
    """The first time strictly after `after` at which the schedule runs."""
    start = period_start(timing.period, after)
    run = run_in(timing, start)
    while run <= after:  # at most twice: a period holds exactly one run
        start = next_period(timing.period, start)
        run = run_in(timing, start)
    return run


def _days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
