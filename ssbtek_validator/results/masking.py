"""Keep personal data out of every output unless the user asks for it (``--show-values``).

Every real SSBTEK message is about a person receiving social assistance. We therefore mask by
default and let a value through only when it is in a field that holds codes, dates, flags, counts or
ids AND looks like what that field holds (``ssbtek_validator/masking.toml``): an allow list, because a deny
list would leak the first field nobody thought of, and a check of the value's shape, because a
personnummer typed into a date field is still a personnummer. Free text produced by libraries
(schema error messages) is scrubbed of the values it quotes and of anything that looks like a
personnummer, in any digits (fullwidth, Arabic-Indic: every Unicode decimal digit) and with any of
the usual separators.

A masked value is visibly masked: ``•`` per character (the length stays as a hint), or
``•••(N chars)`` for a long value, so no reader takes it for data.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

#: The one character a masked value is made of; never part of a real SSBTEK value.
MASK_CHAR = "•"
#: Longer values are shortened to ``•••(N chars)``: a masked payload should not fill a screen.
_SHOWN_LENGTH = 24

#: Said once in every report (text, json, junit, sarif, github, html, certification evidence).
MASKED_NOTICE = (
    f"Personal data is masked: each masked character is shown as {MASK_CHAR} (long values as "
    f"{MASK_CHAR * 3}(N chars)); codes, dates, flags and korrelationsid stay readable. "
    "Run with --show-values to show the values."
)
UNMASKED_NOTICE = "Values are shown unmasked (--show-values): this report may contain personal data."


def values_notice(show_values: bool) -> str:
    """What every report says about its values: masked (and how to show them), or shown."""
    return UNMASKED_NOTICE if show_values else MASKED_NOTICE


_SEPARATOR = r"[ _.+\-]"
#: A personnummer, samordningsnummer or organisationsnummer in any spelling: 10 or 12 decimal digits of any
#: script (``\d`` is Unicode-aware), with at most one separator between any two of them, and no digit before
#: (nor a digit and a separator). The first digit comes before the lookbehinds, which then take it in, so that
#: the regex engine skips to the next digit instead of trying both lookbehinds at every character (~3 µs → ~1
#: µs for a finding text of 100 characters; every file name and finding text a run has not seen is masked by it).
_IDENTITY = re.compile(rf"\d(?<!\d\d)(?<!\d{_SEPARATOR}\d)(?:{_SEPARATOR}?\d){{9,11}}(?!{_SEPARATOR}?\d)")
#: UUIDs (korrelationsid) are not personal data, though their last group can be 12 digits; nor is a date-time,
#: though .NET's seven fraction digits and a zone make eleven digits in a row (``33.4181234+02``), nor one written
#: with a space for its T (a serializer's own habit, which SSBT-XSD reports): its date and hour are ten digits.
_READABLE_RUNS = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,12})?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
#: a value a library message quotes before "is not": what :func:`_quoted_values_masked` finds (its definition,
#: which tests compare it with)
_QUOTED_VALUE = re.compile(r"(The value |^|(?<!The attribute)[\s(])'([^']*)'( is not)")
#: libxml2's "The value '…'" (facet and fixed-value messages): the value ends at the last quote followed by libxml2's
#: next words, for a value may hold a quote (O'Brien) and everything after it is the schema's (a pattern, a set)
_THE_VALUE_QUOTED = r"The value '(.*)'(?= (?:is not|is less|is greater|has |does not))"
_THE_VALUE = re.compile(_THE_VALUE_QUOTED)
#: the value a libxml2 schema message quotes (group 1, or group 2 at the start of the message), read as
#: scrub_text reads it: what the rules that word such messages (rules/xsd.py, rules/nested.py) report as the value
LIBXML2_QUOTED_VALUE = re.compile(rf"{_THE_VALUE_QUOTED}|^'(.*)' is not a valid value")
#: libxml2's "'…' is not a valid value of the … type" after the element's name: the value ends at the last such words
_NOT_VALID = re.compile(r"(^|: )'(.*)'(?= is not a valid value of the )")


@cache
def _masking_toml() -> dict[str, Any]:
    """masking.toml, read once (~0.5 ms a parse: each of the tables below used to read it again)."""
    return tomllib.loads(Path(__file__).with_name("masking.toml").read_text(encoding="utf-8"))


@cache
def _rules() -> tuple[dict[str, re.Pattern[str]], dict[str, str]]:
    """(kind -> shape, field -> kind), read once from masking.toml."""
    data = _masking_toml()
    shapes = {kind: re.compile(pattern) for kind, pattern in data["shapes"].items()}
    fields = dict(data["fields"])
    unknown = set(fields.values()) - set(shapes)
    if unknown:
        raise ValueError(f"masking.toml: fields name kinds with no shape: {sorted(unknown)}")
    return shapes, fields


@cache
def public_values() -> frozenset[str]:
    """Values that are never personal wherever they stand: the authorities and countries a message names."""
    data = _masking_toml()
    return frozenset(data.get("public_values", ()))


@cache
def _quoting() -> tuple[frozenset[str], tuple[str, ...], dict[str, re.Pattern[str]]]:
    """(rules listed, prefixes listed, rule -> the shapes of its texts in one pattern), from masking.toml."""
    data = _masking_toml()
    shapes = {  # what every shape of a rule starts with is compiled once, not once per shape (~1.1 -> ~0.7 ms)
        rule: re.compile(
            shaped.get("before", "") + "(?:" + "|".join(f"(?:{shape})" for shape in shaped["shapes"]) + ")"
        )
        for rule, shaped in data.get("masks_its_values_in_shapes", {}).items()
    }
    return frozenset(data.get("masks_its_values", ())), tuple(data.get("masks_its_values_prefixes", ())), shapes


def masks_its_values(rule: str, text: str = "") -> bool:
    """Whether a finding of ``rule`` with this ``text`` has every message value in it masked by the rule that wrote
    it (``masking.toml``: the rule is listed, or its text has one of the rule's listed shapes), so the run need not
    search it for the message's values.

    That search reads every value of a message with a finding and looks for each in the findings' texts, ~45 µs
    such a message in a batch (two thirds of a mixed batch); a rule masks what it quotes knowing the field, so
    only the texts no rule of ours wrote whole (an unknown library message, the engine's) are searched."""
    listed, prefixes, shapes = _quoting()
    if rule in listed or rule.startswith(prefixes):
        return True
    shape = shapes.get(rule)
    return shape is not None and shape.fullmatch(text) is not None


@cache
def _public_entities() -> frozenset[str]:
    data = _masking_toml()
    return frozenset(data.get("public_entities", ()))


#: how libxml2 quotes an entity name ("Entity 'Tolvan' not defined")
_ENTITY_NAME = re.compile(r"(Entity ')([^']+)(')")


def mask_entity_names(text: str) -> str:
    """Mask the entity names libxml2 quotes, but HTML's (``&nbsp;``): an undeclared entity is named by the
    message's author, and may name a person."""
    if "Entity '" not in text:
        return text
    return _ENTITY_NAME.sub(
        lambda m: m.group() if m.group(2) in _public_entities() else f"{m.group(1)}{mask(m.group(2))}{m.group(3)}",
        text,
    )


def personal_words(uri: str) -> list[str]:
    """The words of a namespace URI that may name a person (capitalised words, identities): a foreign
    namespace is quoted by the findings that reject it."""
    return _CAPITALISED.findall(uri) + [m.group() for m in _IDENTITY.finditer(uri)]


_CAPITALISED = re.compile(r"[A-ZÅÄÖ][a-zåäö]{2,}")


def field_kind(field: str | None) -> str | None:
    """The kind of value a field holds ("date", "code", …), or None for a field that may hold personal data."""
    return _rules()[1].get(field) if field else None


def looks_like(value: str, kind: str) -> bool:
    """Whether ``value`` has the shape of ``kind`` (``masking.toml`` [shapes])."""
    return _rules()[0][kind].fullmatch(value.strip()) is not None


def looks_public(value: str) -> bool:
    """A value that has the shape of a code, date, flag, number, version or UUID, wherever it stands."""
    stripped = value.strip()
    return not stripped or any(shape.fullmatch(stripped) for shape in _rules()[0].values())


def mask(value: str) -> str:
    """Visibly masked: ``•`` per character (a length hint), ``•••(N chars)`` past 24 characters."""
    if len(value) > _SHOWN_LENGTH:
        return f"{MASK_CHAR * 3}({len(value)} chars)"
    return MASK_CHAR * len(value)


def shown_in(value: str, field: str | None) -> bool:
    """A value may be shown as it is: its field holds non-personal values and it looks like one."""
    kind = field_kind(field)
    return kind is not None and looks_like(value, kind)


def masked_value(value: str | None, field: str | None, show_values: bool) -> str | None:
    if value is None or show_values or shown_in(value, field):
        return value
    return mask(value)


def scrub_text(text: str, field: str | None, show_values: bool) -> str:
    """Mask the values a library message quotes (lxml: "The value '…'", "'…' is not a valid value")."""
    if show_values:
        return text

    def quoted(value: str) -> str:
        return value if shown_in(value, field) else mask(value)

    # each pattern is tried only on a text holding its fixed words: every XSD finding is scrubbed, and the
    # alternation of _QUOTED_VALUE is tried at each character (~3.8 → ~2.6 µs per SSBT-XSD finding of the
    # mixed benchmark; tests/run/test_findings_path.py checks the patterns are skipped and the result the same)
    if "The value '" in text:
        text = _THE_VALUE.sub(lambda m: f"The value '{quoted(m.group(1))}'", text)
    if "' is not" in text:
        if "' is not a valid value of the " in text:
            text = _NOT_VALID.sub(lambda m: f"{m.group(1)}'{quoted(m.group(2))}'", text)
        text = _quoted_values_masked(text, quoted)
    return mask_identities(text)


#: what may stand before a quoted value (``_QUOTED_VALUE``'s third way in), tried at one place
_BEFORE_QUOTE = re.compile(r"[\s(]")
_IS_NOT = "' is not"
#: libxml2's "The attribute 'lang' is not allowed." quotes a name, not a value
_ATTRIBUTE_NAMED = "The attribute"


def _quoted_values_masked(text: str, quoted: Callable[[str], str]) -> str:
    """``_QUOTED_VALUE.sub`` of each quoted value by ``quoted(value)``, without trying the pattern at each character.

    Every match ends at an ``' is not``, and its opening quote is the last quote before that (the value holds no
    quote); what stands before the opening quote decides whether it matches (``The value ``, the start of the text,
    whitespace or ``(``), and no match may begin before the previous one ended. The alternation tried at every
    character cost ~2.4 µs of a schema message of ~120 characters quoting a value (about half of SSBT-XSD's
    findings), this ~0.9 (tests/run/test_findings_path.py compares scrub_text with the patterns' long way)."""
    pieces = []
    done = 0  # where the previous match ended: the regex resumes there
    end = text.find(_IS_NOT)
    while end >= 0:
        opening = text.rfind("'", done, end)
        if opening >= 0 and (
            (opening >= done + 10 and text.startswith("The value ", opening - 10))
            or opening == 0
            or (
                opening > done
                and _BEFORE_QUOTE.match(text, opening - 1)
                and not text.endswith(_ATTRIBUTE_NAMED, 0, opening - 1)
            )
        ):
            pieces.append(text[done : opening + 1])
            pieces.append(quoted(text[opening + 1 : end]))
            done = end + len(_IS_NOT)  # the regex resumes after " is not"
            pieces.append(_IS_NOT)
        end = text.find(_IS_NOT, max(end + 1, done))
    pieces.append(text[done:])
    return "".join(pieces)


_ASCII_DIGITS = b"0123456789"


def _too_few_digits(text: str) -> bool:
    """An ASCII text with fewer than the ten digits every identity has (where ``\\d`` is ``[0-9]``): the run
    cleans every file name of a batch once, and this answers in ~0.2 µs where searching for an identity took
    ~0.8 µs for a 33-character path (the pattern is tried at every digit). A text whose only other characters are
    the mask's (a library message once its quoted value is masked) is counted without them: the mask is no digit
    (~0.4 µs where the search took ~1.2 for an SSBT-XSD pattern message; tests/rules/test_xsd_findings_path.py)."""
    if not text.isascii():
        text = text.replace(MASK_CHAR, "")
        if not text.isascii():  # other scripts may hold digits (\\d is every Unicode decimal digit)
            return False
    return len(text) - len(text.encode().translate(None, _ASCII_DIGITS)) < _FEWEST_DIGITS


#: the digits of the shortest identity _IDENTITY matches: one and nine more
_FEWEST_DIGITS = 10


def mask_identities(text: str) -> str:
    """Mask what looks like a personnummer, samordningsnummer or organisationsnummer, wherever it stands
    (in any decimal digits, with spaces, ``_``, ``.``, ``-`` or ``+`` between them); UUIDs and date-times stay
    readable."""
    if _too_few_digits(text) or not _IDENTITY.search(text):
        return text
    readable = [match.span() for match in _READABLE_RUNS.finditer(text)]

    def masked(match: re.Match[str]) -> str:
        start, end = match.span()
        if any(low <= start and end <= high for low, high in readable):
            return match.group()
        return mask(match.group())

    return _IDENTITY.sub(masked, text)
