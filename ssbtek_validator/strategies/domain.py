"""Domain-aware values: what the XSD cannot say but the rules (and the agencies) check.

The schema says ``personidentitet`` is twelve digits; Försäkringskassan also wants a real date and
a correct Luhn check digit, CSN refuses an ``arendeidentitet`` of 32 characters or more, and a
``tidsperiod`` runs forwards. Valid documents therefore draw these fields from here, never from
the XSD regex, so that "every valid document draws no error" keeps holding as rules land.
Everything is synthetic: made-up names, and numbers that are merely well-formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from hypothesis import strategies as st

from ssbtek_validator.strategies.chooser import Chooser, HypothesisChooser

#: CSN rejects a request whose arendeidentitet has 32 characters or more (CSN's Kommunfråga description).
MAX_ARENDEIDENTITET = 31

FIRST_NAMES = ("Tolvan", "Åsa", "Örjan", "Ärla", "Kim", "Sam", "Maj-Britt", "Jean-Luc", "Li", "Noor")
LAST_NAMES = ("Tolvansson", "Testsson", "Öberg", "Exempelsson", "Provare", "af Test", "Dæmo")
#: Free text with what trips parsers: Swedish letters, markup characters, quotes, inner spaces.
TEXTS = (
    "Testkommun",
    "Utredning av rätt till ekonomiskt bistånd",
    "11 kap. 11 § socialtjänstlagen",
    "Socialtjänsten Testby & Provby",
    'Handläggare "Test" <avd 3>',
    "Ånge-Östra   sektionen",
    "x",
    "Exempeldrift AB",
    "ÆØÅ æøå ÄÖ äö ü",
    "a]]>b",
)


def luhn_digit(digits: str) -> str:
    """Check digit over the 9 digits before it (personnummer, samordningsnummer, organisationsnummer)."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return str((10 - total % 10) % 10)


def luhn_valid(number10: str) -> bool:
    return len(number10) == 10 and number10.isdigit() and luhn_digit(number10[:9]) == number10[9]


def draw_day(c: Chooser, low: date, high: date) -> date:
    return low + timedelta(days=c.int(0, max(0, (high - low).days)))


def draw_personnummer(c: Chooser, born_after: date = date(1930, 1, 1), born_before: date = date(2007, 12, 31)) -> str:
    """A 12-digit personnummer or samordningsnummer (day + 60) with a real date and a correct check digit."""
    born = draw_day(c, born_after, born_before)
    serial = c.int(0, 999)
    day = born.day + (60 if c.one_in(10) else 0)  # one in ten is a samordningsnummer
    nine = f"{born:%y%m}{day:02d}{serial:03d}"
    return f"{born.year // 100}{nine}{luhn_digit(nine)}"


def draw_organisationsnummer(c: Chooser) -> str:
    """12 digits as SSBTEK spells it: ``16`` + the 10-digit number (third digit 2–9, Luhn check digit)."""
    nine = f"{c.choice('25789')}{c.int(0, 9)}{c.int(2, 9)}{c.int(0, 999999):06d}"
    return "16" + nine + luhn_digit(nine)


_CASE_ALPHABET = "ABCXYZÅÄÖabc0123456789-_/."


def draw_arendeidentitet(c: Chooser) -> str:
    """Case ids as vendors write them, 1–31 characters, printable, no leading or trailing space."""
    if not c.one_in(3):
        return f"EB-{c.int(2015, 2030)}-{c.int(0, 99999999):0{c.int(3, 8)}d}"
    return "".join(c.choice(_CASE_ALPHABET) for _ in range(c.int(1, MAX_ARENDEIDENTITET)))


def draw_moment(c: Chooser, day: date) -> str:
    """An xs:dateTime on the given day, with and without fractions and zones."""
    seconds = c.int(6 * 3600, 19 * 3600 - 1)
    zone = c.choice(("+01:00", "+02:00", "Z", ""))
    millis = c.choice(("", ".000", ".418"))
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{millis}{zone}"


def draw_period(c: Chooser, ending_by: date) -> Period:
    """from ≤ tom, ending on or before the day of the question, at most two years long."""
    end = ending_by - timedelta(days=c.int(0, 400))
    return Period(end - timedelta(days=c.int(0, 730)), end)


def _strategy(function):
    """The public Hypothesis strategy for one of the ``draw_*`` helpers."""

    @st.composite
    def strategy(draw, **kwargs):
        return function(HypothesisChooser(draw), **kwargs)

    strategy.__doc__ = function.__doc__
    return strategy


personnummer = _strategy(draw_personnummer)
organisationsnummer = _strategy(draw_organisationsnummer)
arendeidentitet = _strategy(draw_arendeidentitet)


@dataclass(frozen=True)
class Period:
    start: date
    end: date


@dataclass
class Scenario:
    """One case, drawn once: the person, the caller, the period, the day. Request and answer share it."""

    version: int
    day: date
    person: str
    ingivare: str
    ingivare_namn: str
    handlaggare: str
    case_id: str
    period: Period
    #: None: the request carries no frageTidpunkt (the validator then judges at ``as_of``)
    frage_tidpunkt: str | None
    korrelationsid: str | None
    echo_fraga: bool
    #: agencies whose request block says inkludera="true"
    included: frozenset[str]
    extra: dict = field(default_factory=dict)

    @property
    def person_name(self) -> tuple[str, str]:
        first, _, last = self.extra.get("name", "Tolvan Tolvansson").partition(" ")
        return first, last

    @property
    def ingivare10(self) -> str:
        """The 10-digit form the agency payloads (AF, SO, CSN) carry."""
        return self.ingivare[2:]

    @property
    def birth(self) -> date:
        day = int(self.person[6:8])
        return date(int(self.person[:4]), int(self.person[4:6]), day - 60 if day > 60 else day)
