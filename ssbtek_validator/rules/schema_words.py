"""What libxml2's schema messages say, read: the one place both schema rules (SSBT-XSD on the envelope, the nested
models' rules on a payload) learn from its words what the reader of a finding needs said plainly."""

from __future__ import annotations

import re

from ssbtek_validator.results.masking import personal_words

#: the element (and attribute) a libxml2 schema message is about, as Clark names
ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: ")

#: libxml2's words for an element the schema does not expect where it stands, and the names it expects there
_NOT_EXPECTED = re.compile(
    r"^Element '(?:\{([^{}']*)\})?([^{}':]+)': This element is not expected\. Expected is(?: one of)? \( ([^()]*) \)"
)


def namespace_mismatch(said: str) -> str:
    """Which namespace an unexpected element is in, and which the schema expects it in, when the schema expects
    one of the same local name there ("" otherwise).

    Why: spelt with the document's prefixes, libxml2's words can name both alike, "svar: This element is not
    expected. Expected is ( svar )", where the message puts svar in its default namespace and the schema wants it
    unqualified (SKV's ``svar``, Migrationsverket's answer elements), the mistake a serializer's default namespace
    makes; or the other way round, an element written without the prefix its namespace needs."""
    found = _NOT_EXPECTED.match(said)
    if found is None:
        return ""
    namespace, local = found.group(1) or "", found.group(2)
    for name in found.group(3).split(", "):
        expected, _, expected_local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
        if expected_local == local and expected != namespace:
            there = (
                _in(expected)
                if expected
                else 'unqualified, in no namespace (no prefix, and no default namespace xmlns="…" in scope)'
            )
            return f" Here {local} is {_in(namespace)}; the schema expects {local} {there}."
    return ""


#: the longest namespace URI a finding quotes (SSBTEK's and the agencies' are under 80 characters)
_LONGEST_QUOTED_URI = 200


def _in(namespace: str) -> str:
    """Where a namespace puts an element, its URI quoted unless it may name someone (the message's author chose
    the URI, and a capitalised word or an identity in it is masked wherever else a namespace is quoted) or is no
    plain URI (whitespace in it, or longer than any real one: a hostile message's, which the text need not carry)."""
    if not namespace:
        return "in no namespace"
    if personal_words(namespace):
        return "in another namespace (its URI not shown: it may name a person)"
    if len(namespace) > _LONGEST_QUOTED_URI or any(character.isspace() for character in namespace):
        return "in another namespace (its URI not shown: no plain URI)"
    return f"in namespace {namespace}"


#: libxml2's words for a value not in the lexical space of a primitive type other than xs:string, and the type
#: where it names a built-in one
NOT_LEXICAL = re.compile(r"is not a valid value of the (?:local )?atomic type(?: 'xs:(\w+)')?")

#: how each built-in type the contracts use for flags, dates and times is written (XML Schema 1.0 Part 2, 3.2):
#: what a reader needs beside "not a valid value" when the value came from a serializer's own habits (.NET writes a
#: Boolean as True, a DateTime's ToString() puts a space between date and time)
_HOW_WRITTEN = {
    "boolean": "xs:boolean is written true, false, 1 or 0, in lower case.",
    "date": "xs:date is a real date written YYYY-MM-DD, without a time (a time zone, Z or +01:00, may follow).",
    "dateTime": (
        "xs:dateTime is a real date and time written YYYY-MM-DDThh:mm:ss, a T between the date and the time "
        "(fractions of a second and a time zone, Z or +01:00, may follow)."
    ),
}


def how_written(said: str) -> str:
    """How the type libxml2 says a value is not of is written, for the types whose spelling serializers get wrong
    ("" for the others and for other messages); names the type only, never the value."""
    found = NOT_LEXICAL.search(said)
    written = _HOW_WRITTEN.get(found.group(1)) if found else None
    return f" {written}" if written else ""
