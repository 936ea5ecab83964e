"""The personal-looking values of one message, so that every finding's text can be cleaned of them.

A rule masks the value it reports, knowing its field; but a finding's free text (a libxml2 message, an
entity name, a faultstring) may quote any value of the message. The run gathers the message's values
once, keeps those that do not look like codes, dates, flags, numbers, versions or ids, and hands the
pattern to :func:`ssbtek_validator.results.safe_text.safe_result`, which masks them wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from lxml import etree

from ssbtek_validator.reading.message import has_dtd, text_of
from ssbtek_validator.results.masking import looks_public, mask, public_values

#: Values shorter than this are not looked for in findings' texts: "ab" would match inside ordinary words.
_SHORTEST_SECRET = 3
#: Bounds, so a hostile message (a million values, a 10 MB value) costs neither time nor memory here: the
#: first 2,000 distinct personal-looking values of up to 256 characters are sought. Longer values are
#: payloads no finding quotes whole; beyond that, the rules' own masking by field and the identity
#: pattern still apply.
_MOST_SECRETS = 2000
_LONGEST_SECRET = 256
#: The findings' texts of a message that are searched for each of its values (secrets_pattern's ``within``).
_LONGEST_WITHIN = 65_536

_WORD = re.compile(r"\w+")


@cache
def _public_texts() -> frozenset[str]:
    """Texts a message may hold that are not personal and that our own findings quote: the names in
    ``masking.toml`` and the code lists' descriptions (an answer may carry a code's description)."""
    from ssbtek_validator.packs.codelists import (
        builtin_catalogue,  # the code lists are read only when a message has findings
    )

    catalogue = builtin_catalogue()
    described = {row.description for codes in catalogue.lists.values() for row in codes.codes if row.description}
    return public_values() | described


class Secrets:
    """The personal-looking values of one message, masked wherever a finding's text quotes them.

    One regular expression of up to 2,000 alternatives tried at every position of every finding's text would
    make a message with 500,000 schema errors cost minutes; so a text is first split into words, and the
    pattern runs only on a text holding the first word of some value."""

    __slots__ = ("firsts", "pattern")

    def __init__(self, values: list[str]) -> None:
        ordered = sorted(values, key=len, reverse=True)  # longest first: a name before its part
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(value) for value in ordered) + r")(?!\w)")
        #: first words of the values; None: a value starts with no word, so every text is searched
        firsts: set[str] | None = set()
        for value in values:
            word = _WORD.match(value)
            if word is None:
                firsts = None
                break
            firsts.add(word.group())
        self.firsts = firsts

    def sub(self, text: str) -> str:
        if self.firsts is not None and self.firsts.isdisjoint(_WORD.findall(text)):
            return text
        return self.pattern.sub(lambda m: mask(m.group()), text)


def secrets_pattern(values: Iterable[str], within: str | None = None) -> Secrets | None:
    """One pattern for the personal-looking values of a message: every text and attribute value that does
    not have the shape of a code, date, flag, number, version or UUID (``masking.looks_public``).

    Rules mask the values they report by field; this catches the same value wherever else a finding
    quotes it (a rule's own message, an entity name, a faultstring), whatever rule wrote it.

    ``within``: the texts the pattern will be applied to (``safe_text.quotable_text``). Only values that occur
    in them can ever match, so only those are classified and compiled: a message with one warning used to
    pay for shape-testing and compiling every value it holds (~80 µs) to mask none of them. A value left
    out can never change a match (an alternative that occurs nowhere in a text wins at no position), so
    the masking is the same as with every value; the one thing that depends on all values, which 2,000
    personal values are sought in a huge message, is kept exact by :func:`_bounded`. Texts longer than
    ``_LONGEST_WITHIN`` (thousands of findings) are not searched per value: 2,000 searches of megabytes would
    cost more than the pattern, which looks only at texts holding a value's first word."""
    if within is None or len(within) > _LONGEST_WITHIN:
        return _bounded(values, None, {}, {})
    seen: dict[str, None] = {}  # distinct candidates, in the order given (see message_values)
    kept: list[str] = []
    public = _public_texts()
    values = iter(values)
    for value in values:
        stripped = value.strip()
        if not _SHORTEST_SECRET <= len(stripped) <= _LONGEST_SECRET or stripped in seen:
            continue
        seen[stripped] = None
        if stripped in within and stripped not in public and not looks_public(stripped):
            kept.append(stripped)
        if len(seen) >= _MOST_SECRETS:  # the bound may be reached: count personal values as without `within`
            personal = {seen_value: None for seen_value in seen if _personal(seen_value, public)}
            return _bounded(values, within, personal, dict.fromkeys(kept))
    # fewer candidates than the bound, so fewer personal values: the bound was not reached
    return Secrets(kept) if kept else None


def _personal(value: str, public: frozenset[str]) -> bool:
    return value not in public and not looks_public(value)


def _bounded(
    values: Iterable[str], within: str | None, personal: dict[str, None], kept: dict[str, None]
) -> Secrets | None:
    """The first 2,000 distinct personal values (``personal``: those already met), of which those that occur
    in ``within`` (every one when it is None) are sought."""
    public = _public_texts()
    if len(personal) < _MOST_SECRETS:
        for value in values:
            stripped = value.strip()
            if not _SHORTEST_SECRET <= len(stripped) <= _LONGEST_SECRET or stripped in personal:
                continue
            if _personal(stripped, public):
                personal[stripped] = None
                if within is None or stripped in within:
                    kept[stripped] = None
                if len(personal) >= _MOST_SECRETS:
                    break
    chosen = [value for value in personal if value in kept]
    return Secrets(chosen) if chosen else None


#: Attribute values read per XPath call when an element has many (see _many_values)
_CHUNK = 16_384


def _many_values(element: Any) -> Iterator[str]:
    """The attribute values of an element with very many, in chunks: lxml's ``values()`` looks each up by
    name (quadratic: 20,000 took 4 s), and one XPath for all of 495,000 builds that many result objects."""
    for start in range(0, len(element.attrib), _CHUNK):
        chunk = element.xpath("@*[position() > $a and position() <= $b]", a=start, b=start + _CHUNK)
        yield from map(str, chunk)


def message_values(root: Any, size: int | None = None) -> Iterable[str]:
    """Every text and attribute value of a parsed document, and the names of entity references
    (``&Tolvan;`` is kept as a reference, and a report may quote its name). Comments and processing
    instructions are left out: no rule reads or quotes them, and a word in one (``<?pi data?>``) must
    not mask the same word in our own messages.

    The values of an ordinary message are read by libxml2 (see :func:`_values_in_c`), in another order than
    the walk below; order matters only past ``_MOST_SECRETS`` values, which that path never reaches.
    ``size``: the length of the bytes ``root`` was parsed from, when known (see _values_in_c)."""
    if root is None:
        return []
    values = _values_in_c(root, size)
    return _walked_values(root) if values is None else values


#: elements and attributes under a root, counted before any value is read (see _values_in_c)
_NODE_COUNT = etree.XPath("count(descendant-or-self::*) + count(descendant-or-self::*/@*)")
_FIRST_TEXTS = etree.XPath("descendant-or-self::*/text()[1]", smart_strings=False)
_ATTRIBUTE_VALUES = etree.XPath("descendant-or-self::*/@*", smart_strings=False)
#: XML whitespace, every character of which ``str.strip`` strips too
_WHITESPACE = b" \t\r\n"


#: XML whitespace and the bytes that continue a UTF-8 character (0x80–0xBF): deleting them leaves one byte a
#: character that is not XML whitespace
_WHITESPACE_AND_CONTINUATIONS = _WHITESPACE + bytes(range(0x80, 0xC0))


def _non_space_characters(data: bytes) -> int:
    """How many characters of UTF-8 ``data`` are not XML whitespace (each is one byte, or a lead byte and
    continuation bytes; every XML whitespace character is one ASCII byte)."""
    return len(data.translate(None, _WHITESPACE_AND_CONTINUATIONS))


def _non_space_in(text: str) -> int:
    """How many characters of ``text`` are not XML whitespace: counted in its Latin-1 bytes, one a character,
    when it has no character past U+00FF (a copy of the string's own bytes; the first texts of every message
    of the benchmark are such), else in UTF-8. Encoding the ~3.5 kB first texts of an answer to UTF-8 cost ~1
    µs of the ~2.9 µs this takes (non-ASCII Latin-1 text takes the encoder's slow path), Latin-1 ~0.2 µs."""
    try:
        return len(text.encode("latin-1").translate(None, _WHITESPACE))
    except UnicodeEncodeError:
        return _non_space_characters(text.encode())


#: the fewest bytes that spell an element (``<a/>``) or an attribute (`` a=""``)
_SMALLEST_NODE = 4
#: from this size on, a document's elements and attributes are counted before its values are read into lists
#: (see _values_in_c): below it, at most 16,384 of them
_COUNTED_SIZE = 65_536


def _values_in_c(root: Any, size: int | None = None) -> list[str] | None:
    """The values :func:`_walked_values` yields, as the same set once stripped, read by three compiled XPaths,
    or None when that cannot be shown for this document (it is then walked).

    The walk costs a Python step per element (~45 µs for a 7 kB answer, paid by every message with a finding);
    this ~20 µs. Why the sets are equal: the walk yields each element's whole own text (``text_of``: all its
    text children joined) and its attribute values. Here each element gives its first text child instead,
    which is the same value once stripped when every other text child is whitespace. That is checked, not
    assumed: all text joined (the root's string-value) holds no more non-whitespace characters than the first texts
    joined, so a value split by a comment or an instruction (``1912121212<!---->13``) is found. A DTD sends the
    document to the walk: only with one can it hold entity references (libxml2 refuses an undeclared one), whose
    names the walk yields and whose text libxml2's string-value would read. So does a document with
    ``_MOST_SECRETS`` or more values, where their order decides which are sought (with fewer, secrets_pattern's
    bound cannot be reached, and any order gives the same pattern). A document of unknown ``size`` or of
    ``_COUNTED_SIZE`` bytes or more has its elements and attributes counted first, so that a huge one is walked
    lazily instead of read into lists; below that size the lists are bounded by the bytes (without a DTD, every
    element and attribute is spelt in them, in ``_SMALLEST_NODE`` bytes at least). Counting them was ~8–15 µs of a
    message past 8 kB (a third of the messages with findings), where the length of the lists is known anyway.
    """
    if has_dtd(root):
        return None
    if (size is None or size >= _COUNTED_SIZE) and _NODE_COUNT(root) >= _MOST_SECRETS:
        return None
    firsts = _FIRST_TEXTS(root)
    every_text = etree.tostring(root, method="text", encoding="utf-8", with_tail=False)  # libxml2's string-value
    if _non_space_characters(every_text) != _non_space_in("".join(firsts)):  # some element has text in two places
        return None
    values = firsts + _ATTRIBUTE_VALUES(root)
    return values if len(values) < _MOST_SECRETS else None


def _walked_values(root: Any) -> Iterator[str]:
    """message_values the long way: a Python step per node, lazily (a hostile message can hold millions)."""
    # run for every message with a finding, over every node: the attribute proxy is built once, as
    # lxml builds a proxy per access
    for node in root.iter():
        if isinstance(node.tag, str):
            value = text_of(node)  # the whole value, as the rules read it, wherever a comment splits it
            if value:
                yield value
            attrib = node.attrib
            if attrib:
                yield from attrib.values() if len(attrib) < 64 else _many_values(node)
        elif node.tag is etree.Entity:  # an entity reference ("&Tolvan;"): its name
            yield text_of(node).strip("&;")
