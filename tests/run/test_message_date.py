"""The message's date is the day in Sweden at its frageTidpunkt: the release notes' dates are Swedish days."""

from datetime import date, datetime

import pytest

from ssbtek_validator.run.driver import _parse_datetime, swedish_day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2020-12-15T23:30:00Z", date(2020, 12, 16)),  # winter: UTC+1
        ("2020-12-15T22:59:59.999Z", date(2020, 12, 15)),
        ("2020-12-16T00:30:00+14:00", date(2020, 12, 15)),  # 11:30 on the 15th in Stockholm
        ("2021-08-31T22:00:00Z", date(2021, 9, 1)),  # summer: UTC+2
        ("2021-08-31T21:59:59Z", date(2021, 8, 31)),
        ("2021-08-31T23:30:00+01:00", date(2021, 9, 1)),  # Sweden's winter offset written in summer
        ("2020-12-16T00:30:00+02:00", date(2020, 12, 15)),  # Sweden's summer offset written in winter
        ("2020-12-16T01:00:00+02:00", date(2020, 12, 16)),
        ("2020-12-16T00:30:00", date(2020, 12, 16)),  # no zone: Swedish local time as written
        ("2026-10-14T09:12:33.4181234+02:00", date(2026, 10, 14)),
        ("9999-12-31T23:30:00Z", date(9999, 12, 31)),  # no later day to move to: never raises
        ("2020-12-15T24:00:00", date(2020, 12, 16)),  # xs:dateTime's end of day: the next day's first moment
        ("2020-12-15T24:00:00.000+01:00", date(2020, 12, 16)),
        ("2020-12-15T24:00:01", None),  # no time
    ],
)
def test_frage_tidpunkt_is_dated_by_the_day_in_sweden(text, day):
    assert _parse_datetime(text) == day


@pytest.mark.parametrize(
    ("utc", "day"),
    [
        # 2019: summer time from 01:00 UTC on 31 March to 01:00 UTC on 27 October
        (datetime(2019, 3, 31, 0, 59), date(2019, 3, 31)),  # 01:59 CET
        (datetime(2019, 3, 30, 22, 30), date(2019, 3, 30)),  # 23:30 CET
        (datetime(2019, 6, 30, 22, 30), date(2019, 7, 1)),  # 00:30 CEST
        (datetime(2019, 10, 26, 22, 30), date(2019, 10, 27)),  # 00:30 CEST on the night summer time ends
        (datetime(2019, 10, 27, 23, 30), date(2019, 10, 28)),  # 00:30 CET
        (datetime(2019, 10, 27, 22, 30), date(2019, 10, 27)),  # 23:30 CET
    ],
)
def test_swedish_day_follows_summer_time(utc, day):
    assert swedish_day(utc) == day
