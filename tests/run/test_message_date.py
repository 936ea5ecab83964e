"""The message's date is the day in Sweden at its frageTidpunkt: the release notes' dates are Swedish days."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.run import swedish_time
from ssbtek_validator.run.driver import _parse_datetime
from ssbtek_validator.run.swedish_time import swedish_day, today_in_sweden


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


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 30)))
def test_the_swedish_day_is_the_utc_day_or_the_next(utc):
    """Sweden is one or two hours ahead of UTC all year: its day is UTC's, or the next one after 22:00 UTC."""
    day = swedish_day(utc)
    assert day in ((utc + timedelta(hours=1)).date(), (utc + timedelta(hours=2)).date())


class _FrozenClock(datetime):
    """``datetime`` whose ``now`` is 23:30 UTC on New Year's Eve: already the new year in Stockholm, still the
    old one on a machine on UTC or further west."""

    @classmethod
    def now(cls, tz=None):
        instant = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
        return instant if tz is None else instant.astimezone(tz)


def test_today_is_the_day_in_sweden_not_on_the_machine(monkeypatch):
    monkeypatch.setattr(swedish_time, "datetime", _FrozenClock)
    assert today_in_sweden() == date(2027, 1, 1)


def test_a_run_without_a_date_is_judged_by_today_in_sweden(monkeypatch, corpus):
    """A message without frageTidpunkt and no --as-of: the run's 'today' is Stockholm's, whatever the runner's
    clock says (a code list's new year starts there)."""
    monkeypatch.setattr(swedish_time, "datetime", _FrozenClock)
    result = validate(corpus / "v10" / "bare-ping-answer.xml")
    assert (result.messages[0].message_date, result.messages[0].message_date_source) == ("2027-01-01", "today")
