"""Make every text a finding carries safe to print: one line, no control characters, no identities.

Findings quote hostile input (namespace URIs, element names, file names, libxml2 messages that
quote the document). A newline there could forge a report line (a CI log line starting with ``::``
is a GitHub workflow command), an ANSI escape could repaint a terminal, a bidi override could make
a line read differently than it is. This is applied once, in the engine, to what every reporter
shows, so no reporter has to remember it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache, lru_cache
from typing import Any

from .findings import ExchangeResult, Finding, MessageResult, RunResult
from .masking import looks_public, mask, mask_entity_names, mask_identities, public_values
from .messages import text_of

#: Values shorter than this are not looked for in findings' texts: "ab" would match inside ordinary words.
_SHORTEST_SECRET = 3
#: Bounds, so a hostile message (a million values, a 10 MB value) costs neither time nor memory here: the
#: first 2,000 distinct personal-looking values of up to 256 characters are sought. Longer values are
#: payloads no finding quotes whole; beyond that, the rules' own masking by field and the identity
#: pattern still apply.
_MOST_SECRETS = 2000
_LONGEST_SECRET = 256


def one_line(text: str) -> str:
    """Escape what is not printable (``\\n``, ``\\x1b``, ``\\u202e``…) so the text stays on one visible line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def line_start(name: str) -> str:
    """A name that begins a report line: one starting with ``::`` gets ``./`` in front (the same relative
    path), so a file named ``::error file=…::x.xml`` cannot become a GitHub workflow command in a CI log."""
    return "./" + name if name.lstrip().startswith("::") else name


def safe_name(text: str, show_values: bool) -> str:
    """A name (a file, an input path) as every output may show it: one line, identities masked."""
    return _clean(text, show_values)


@lru_cache(maxsize=8192)
def _clean(text: str, show_values: bool) -> str:
    """Cached: a batch repeats the same reasons, paths and messages thousands of times."""
    text = one_line(text)
    return text if show_values else mask_entity_names(mask_identities(text))


_WORD = re.compile(r"\w+")


@cache
def _public_texts() -> frozenset[str]:
    """Texts a message may hold that are not personal and that our own findings quote: the names in
    ``masking.toml`` and the code lists' descriptions (an answer may carry a code's description)."""
    from .codelists import builtin_catalogue  # the code lists are read only when a message has findings

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


def secrets_pattern(values: Iterable[str]) -> Secrets | None:
    """One pattern for the personal-looking values of a message: every text and attribute value that does
    not have the shape of a code, date, flag, number, version or UUID (``masking.looks_public``).

    Rules mask the values they report by field; this catches the same value wherever else a finding
    quotes it (a rule's own message, an entity name, a faultstring), whatever rule wrote it."""
    found: set[str] = set()
    public = _public_texts()
    for value in values:
        stripped = value.strip()
        short = _SHORTEST_SECRET <= len(stripped) <= _LONGEST_SECRET
        if short and stripped not in public and not looks_public(stripped):
            found.add(stripped)
            if len(found) >= _MOST_SECRETS:
                break
    return Secrets(list(found)) if found else None


def message_values(root: Any) -> Iterator[str]:
    """Every text and attribute value of a parsed document, and the names of entity references
    (``&Tolvan;`` is kept as a reference, and a report may quote its name). Comments and processing
    instructions are left out: no rule reads or quotes them, and a word in one (``<?pi data?>``) must
    not mask the same word in our own messages."""
    if root is None:
        return
    for node in root.iter():
        if isinstance(node.tag, str):
            value = text_of(node)  # the whole value, as the rules read it, wherever a comment splits it
            if value:
                yield value
            yield from node.attrib.values()
        elif (reference := text_of(node)).startswith("&"):  # an entity reference: its name
            yield reference.strip("&;")


def _untaint(text: str, secrets: Secrets | None) -> str:
    return secrets.sub(text) if secrets is not None and text else text


def safe_finding(finding: Finding, show_values: bool, secrets: Secrets | None = None) -> Finding:
    """Values are masked by the rules, which know the field; this guards the free text around them.
    ``secrets``: the message's personal-looking values (``secrets_pattern``), masked wherever they appear."""
    value = finding.value
    message = _untaint(_clean(finding.message, show_values), secrets)
    file = _clean(finding.file, show_values)
    path = _clean(finding.path, show_values)  # element names and positions: structure, not values
    shown = _untaint(_clean(value, show_values), secrets) if value is not None else None
    if message == finding.message and file == finding.file and path == finding.path and shown == value:
        return finding  # the common case: nothing to change, no copy
    return replace(finding, message=message, file=file, path=path, value=shown)


def safe_result(result: MessageResult, show_values: bool, secrets: Secrets | None = None) -> MessageResult:
    result.file = _clean(result.file, show_values)
    result.findings = [safe_finding(f, show_values, secrets) for f in result.findings]
    reason = result.detection.reason
    if reason:
        result.detection = replace(result.detection, reason=_untaint(_clean(reason, show_values), secrets))
    result.observed = [_clean(key, show_values) for key in result.observed]
    return result


def safe_exchange(exchange: ExchangeResult, show_values: bool) -> ExchangeResult:
    exchange.name = _clean(exchange.name, show_values)
    exchange.request = _clean(exchange.request, show_values) if exchange.request is not None else None
    exchange.answer = _clean(exchange.answer, show_values) if exchange.answer is not None else None
    exchange.findings = [safe_finding(f, show_values) for f in exchange.findings]
    return exchange


def safe_run(result: RunResult, show_values: bool) -> RunResult:
    """What the run holds beside its messages (each made safe as it was validated): findings about
    the run, and exchanges."""
    result.run_findings = [safe_finding(f, show_values) for f in result.run_findings]
    result.exchanges = [safe_exchange(e, show_values) for e in result.exchanges]
    return result
