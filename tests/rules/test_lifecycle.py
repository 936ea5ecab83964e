"""Version lifecycle: a message outside its version's live window draws a finding, dated as the engine dates it."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate

from ..conftest import CORPUS

#: the release notes' dates (DOMAIN.md, table Versions): the facts the packs must reproduce
V6_LIVE, V6_CLOSED = date(2018, 9, 16), date(2020, 10, 31)
V7_LIVE, LEFI_51_LIVE = date(2018, 12, 29), date(2019, 3, 17)
V8_LIVE = date(2019, 11, 17)

DATES = st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31))


def lifecycle(result) -> Counter:
    [message] = result.messages
    return Counter(f.rule for f in message.findings if f.rule.startswith("SSBT-LIFECYCLE"))


def dated(path, when: date) -> bytes:
    """The corpus message with its frageTidpunkt moved to ``when``."""
    text = path.read_text(encoding="utf-8")
    start = text.index("<ssbt:frageTidpunkt>") + len("<ssbt:frageTidpunkt>")
    end = text.index("</ssbt:frageTidpunkt>")
    return (text[:start] + f"{when.isoformat()}T10:00:00+01:00" + text[end:]).encode()


@given(DATES)
def test_v6_by_frage_tidpunkt(when):
    result = validate(dated(CORPUS / "v6" / "request-full.xml", when))
    expected = Counter()
    if when > V6_CLOSED:
        expected["SSBT-LIFECYCLE-CLOSED"] = 1
    if when < V6_LIVE:
        expected["SSBT-LIFECYCLE-NOT-LIVE"] = 1
    assert lifecycle(result) == expected
    assert result.messages[0].message_date == when.isoformat()
    assert result.messages[0].message_date_source == "frageTidpunkt"


@given(DATES)
def test_undated_v6_fault_is_judged_at_as_of(when):
    result = validate(CORPUS / "v6" / "fault-ssbt.xml", as_of=when)
    assert (lifecycle(result)["SSBT-LIFECYCLE-CLOSED"] == 1) == (when > V6_CLOSED)
    assert result.messages[0].message_date_source == "--as-of"
    assert (result.exit_code == 1) == (when > V6_CLOSED)


def test_undated_v6_message_checked_today_is_to_a_closed_version():
    result = validate(CORPUS / "v6" / "fault-ssbt.xml")
    [finding] = [f for f in result.messages[0].findings if f.rule == "SSBT-LIFECYCLE-CLOSED"]
    assert result.messages[0].message_date_source == "today"
    assert "closed on 2020-10-31" in finding.message and "--as-of or today" in finding.message
    assert finding.severity == "error"


@given(DATES)
def test_v8_ping_before_go_live_is_a_warning_only(when):
    result = validate(CORPUS / "v8" / "ping-request.xml", as_of=when)
    assert lifecycle(result) == (Counter({"SSBT-LIFECYCLE-NOT-LIVE": 1}) if when < V8_LIVE else Counter())
    assert result.exit_code == 0  # a warning: test environments opened before go-live


@given(DATES)
def test_v7_question_naming_lefi_5_1_before_5_1_went_live(when):
    result = validate(dated(CORPUS / "v7" / "request-lefi-5-1.xml", when))
    [finding] = result.messages[0].findings or [None]
    if when < V7_LIVE:
        assert "SSBTEK v7 went live on 2018-12-29" in finding.message
    elif when < LEFI_51_LIVE:
        assert "LEFI Online 5.1" in finding.message and "2019-03-17" in finding.message
    else:
        assert finding is None


def test_closing_day_itself_is_not_closed():
    for when, closed in ((V6_CLOSED, 0), (V6_CLOSED + timedelta(days=1), 1)):
        result = validate(dated(CORPUS / "v6" / "request-full.xml", when))
        assert lifecycle(result)["SSBT-LIFECYCLE-CLOSED"] == closed


@given(DATES)
def test_no_lifecycle_for_v10_and_v11(when):
    for name in ("v10/request-full.xml", "v11/request-full.xml"):
        assert lifecycle(validate(dated(CORPUS / name, when))) == Counter()
