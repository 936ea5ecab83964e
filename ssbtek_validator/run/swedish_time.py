"""Days as Sweden counts them: the dates the rules judge by are Swedish days.

A code "valid från och med den 16 december 2020" or a version closed on 2020-10-31 names a day in
Stockholm. A message is dated by its frageTidpunkt read as a Swedish day; a run without one is dated
"today", which must be today in Sweden too, not on the machine running the check: a CI runner on UTC at
23:30 on 31 December is already in the new year in Stockholm, where a code list's new year begins.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache


def today_in_sweden() -> date:
    """The calendar day in Sweden now, whatever the machine's own time zone."""
    return swedish_day(datetime.now(UTC).replace(tzinfo=None))


def swedish_day(utc: datetime) -> date:
    """The calendar day in Sweden at a UTC instant (naive ``utc``): normal time is UTC+1 (lag 1900:27 om
    svensk normaltid) and summer time UTC+2 from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
    last Sunday of October (EU Directive 2000/84/EC, articles 2 and 3, which Sweden follows). Computed here
    rather than read from a time-zone database, which not every platform ships (Windows has no tzdata)."""
    start, end = _summer_time(utc.year)
    summer = start <= utc < end
    try:
        return (utc + timedelta(hours=2 if summer else 1)).date()
    except OverflowError:  # 9999-12-31T23:30Z: the last day Python has
        return utc.date()


@cache
def _summer_time(year: int) -> tuple[datetime, datetime]:
    """When summer time starts and ends in ``year`` (UTC): 01:00 on the last Sunday of March and of October.
    Cached: the same two instants for every message of a year (~2 µs a message uncached)."""
    return _last_sunday(year, 3), _last_sunday(year, 10)


def _last_sunday(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of ``month`` (March or October: 31 days)."""
    last = date(year, month, 31)
    return datetime(year, month, 31 - (last.weekday() + 1) % 7, 1)
