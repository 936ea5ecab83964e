"""Personnummer, samordningsnummer and organisationsnummer: the properties that make a number real."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.rules import identity
from ssbtek_validator.rules.identity import (
    date_of_birth,
    luhn_digit,
    luhn_ok,
    organisationsnummer_problem,
    personidentitet_problem,
)

birth_dates = st.dates(min_value=date(1890, 1, 1), max_value=date(2026, 12, 31))
serials = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


def personnummer(born: date, serial: str, samordning: bool = False) -> str:
    day = born.day + (60 if samordning else 0)
    nine = f"{born:%y%m}{day:02d}{serial}"
    return f"{born.year // 100}{nine}{luhn_digit(nine)}"


@given(birth_dates, serials, st.booleans())
def test_a_real_date_and_its_check_digit_make_a_real_number(born, serial, samordning):
    assert personidentitet_problem(personnummer(born, serial, samordning)) is None


@given(birth_dates, serials, st.booleans(), st.integers(min_value=1, max_value=9))
def test_any_other_check_digit_is_found(born, serial, samordning, shift):
    number = personnummer(born, serial, samordning)
    wrong = number[:-1] + str((int(number[-1]) + shift) % 10)
    assert "check digit" in personidentitet_problem(wrong)


@given(birth_dates, serials)
def test_a_day_that_does_not_exist_is_found_even_with_a_right_check_digit(born, serial):
    last = (born.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    nine = f"{born:%y%m}{last.day + 1:02d}{serial}"
    number = f"{born.year // 100}{nine}{luhn_digit(nine)}"
    assert personidentitet_problem(number).startswith("it does not start with a real date of birth")


def test_the_well_known_test_identities():
    assert personidentitet_problem("191212121212") is None
    assert personidentitet_problem("199001722397") is None  # samordningsnummer: day 12 + 60
    assert "day minus 60" in personidentitet_problem("199001922393")


def test_shape_is_left_to_the_schema():
    assert personidentitet_problem("99999999999") is None  # 11 digits: SSBT-XSD says so
    assert organisationsnummer_problem("16212000014X") is None


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_organisationsnummer_check_digit(n):
    nine = f"{n:09d}"
    assert organisationsnummer_problem(f"16{nine}{luhn_digit(nine)}") is None
    assert luhn_ok(nine + luhn_digit(nine))
    wrong = str((int(luhn_digit(nine)) + 1) % 10)
    assert organisationsnummer_problem(f"16{nine}{wrong}") is not None


@given(
    st.integers(min_value=1800, max_value=2099).map(str),
    st.one_of(st.integers(13, 99), st.just(0)).map(lambda m: f"{m:02d}"),
    st.integers(0, 99).map(lambda d: f"{d:02d}"),
    st.integers(0, 9999).map(lambda n: f"{n:04d}"),
)
def test_an_impossible_month_is_named_first_whatever_the_check_digit(year, month, day, rest):
    """999999999999 and month 99: the date is what is wrong, not (only) the check digit."""
    problem = personidentitet_problem(year + month + day + rest)
    assert problem.startswith("it does not start with a real date of birth (YYYYMMDD): the month is not 01–12")
    assert ("check digit is wrong too" in problem) is not luhn_ok((year + month + day + rest)[2:])
    assert year + month + day + rest not in problem and month not in problem.replace("01–12", "")


def test_placeholders_seen_in_test_traffic():
    assert personidentitet_problem("999999999999").startswith("it does not start with a real date")
    assert personidentitet_problem("199001401234").endswith("that month has no such day; its check digit is wrong too")
    assert personidentitet_problem("199001011234") == (
        "its check digit is wrong for a personnummer (Luhn over the last 10 digits)"
    )


@given(birth_dates, serials, st.booleans())
def test_the_date_of_birth_is_read_back_from_either_kind_of_number(born, serial, samordning):
    """SSBT-PERSONID compares it with the message's date: a person born after it is no one yet."""
    assert date_of_birth(personnummer(born, serial, samordning)) == born


def test_no_date_of_birth_where_the_number_names_none():
    assert date_of_birth("999999999999") is None and date_of_birth("19121212121") is None


@given(st.text(alphabet="0123456789²٣a ", max_size=14))
def test_luhn_in_c_agrees_with_the_loop(digits):
    """The summing fast path gives the loop's answer for every string, digits or not (others take the loop)."""
    assert identity.luhn_ok(digits) == identity._luhn_loop(digits)


def test_luhn_sums_ascii_digits_without_the_loop(monkeypatch):
    def loop(digits):
        raise AssertionError("the loop ran for ASCII digits")

    monkeypatch.setattr(identity, "_luhn_loop", loop)
    assert identity.luhn_ok("1212121212") and not identity.luhn_ok("1212121213")
    assert personidentitet_problem("191212121212") is None


#: numbers as they come: any digits, real ones of either kind, and real dates with any last digit
identities = st.one_of(
    st.text(alphabet="0123456789²٣a ", min_size=11, max_size=13),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
    st.builds(personnummer, birth_dates, serials, st.booleans()),
    st.builds(
        lambda number, last: number[:-1] + last, st.builds(personnummer, birth_dates, serials), st.sampled_from("09")
    ),
)


@given(identities)
def test_one_reading_of_a_personidentitet_gives_its_problem_and_the_date_of_birth_date_of_birth_gives(value):
    """SSBT-PERSONID reads the digits once for both questions; the date is the one date_of_birth reads alone
    (days 61-91 a samordningsnummer's, impossible dates none)."""
    problem, born = identity.personidentitet_facts(value)
    assert problem == personidentitet_problem(value)
    assert born == date_of_birth(value)
