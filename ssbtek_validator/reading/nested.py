"""Nested payloads: the half of an SSBTEK answer the envelope schema cannot see.

CSN sends base64 XML, SKV a string of XML (v10) or base64 JSON parts (v11), FK base64 JSON from
LEFI REST v9. Where they are and how they are encoded is data (``[[payload]]`` in each pack.toml);
this module only decodes, within limits, and says precisely what went wrong. Rules that look inside
(schemas for the inner documents, code lists on JSON paths) get the decoded documents from here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import replace
from functools import cache
from typing import Any, NamedTuple

from lxml import etree

from ssbtek_validator.reading.encoding import encoding_problems, sniff, text_as_bytes
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.reading.malformed import classify, reason
from ssbtek_validator.reading.message import (
    JSON_MARKERS,
    XML_MARKERS,
    count_markers,
    element_path,
    nodes_text,
    safe_parser,
    text_of,
)
from ssbtek_validator.results.model import Finding, Severity

#: A document that starts with markup, or with an XML 1.0 declaration of UTF-8 or of no encoding: no byte
#: order mark, no NUL lanes of UTF-16, no encoding to check against its bytes, no other XML version (anything
#: else is sniffed and its prolog judged, as the outer message's is)
_PLAIN_UTF8 = re.compile(
    rb"<(?!\?xml|\x00)|<\?xml\s+version\s*=\s*[\"']1\.0[\"']"
    rb"(?:(?![^>]*encoding)|[^>]*?encoding\s*=\s*[\"']utf-?8[\"'])",
    re.I,
)

#: The declarations CSN's documents (and SKV's strings, as text_as_bytes gives them) start with: each is one
#: _PLAIN_UTF8 matches, and comparing a prefix costs ~0.05 µs where the case-insensitive pattern took ~0.35 µs
#: a document (~0.8 µs a message of the conforming batch, in-process CPU, paired runs)
_USUAL_DECLARATIONS = (b'<?xml version="1.0" encoding="UTF-8"?>', b'<?xml version="1.0" encoding="utf-8"?>')


class PayloadBinding(NamedTuple):
    """One place in a pack's messages that carries a nested document."""

    agency: str
    direction: str
    #: XPath relative to the payload element; prefix ``ssbt`` is the pack's namespace.
    xpath: str
    #: "base64" or "text" (the element's text is the document itself, e.g. SKV v10 XML in CDATA)
    encoding: str
    #: "json" or "xml"
    format: str
    #: name of the model the inner document is checked against (e.g. "lefi-v9-svar"), may be empty
    model: str = ""

    def finder(self, namespace: str) -> etree.XPath:
        return _compiled_xpath(self.xpath, namespace)

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> PayloadBinding:
        return cls(
            agency=data["agency"],
            direction=data["direction"],
            xpath=data["xpath"],
            encoding=data["encoding"],
            format=data["format"],
            model=data.get("model", ""),
        )


@cache
def _compiled_xpath(xpath: str, namespace: str) -> etree.XPath:
    """Without EXSLT's regular-expression functions, which no payload path uses: lxml registers them anew in
    every evaluation's context, ~0.5 µs of the ~1.8 µs each finder costs per message."""
    return etree.XPath(xpath, namespaces={"ssbt": namespace}, regexp=False)


class Payload(NamedTuple):
    """A decoded nested document and where it came from."""

    binding: PayloadBinding
    element: etree._Element
    #: dict/list for JSON, the root element for XML
    document: Any

    @property
    def outer_path(self) -> str:
        """XPath of the carrying element in the outer message (computed only when a finding needs it)."""
        return element_path(self.element)

    def locate(self, inner: str) -> str:
        """Chained location: ``outer XPath → inner XPath or JSON pointer``."""
        return f"{self.outer_path} → {inner}"


def _decode_finding(rule: str, text: str, element: etree._Element, file: str, severity=Severity.ERROR) -> Finding:
    return Finding(rule, severity, text, file=file, line=element.sourceline, path=element_path(element))


def extract(
    payload_root: etree._Element,
    bindings: tuple[PayloadBinding, ...],
    namespace: str,
    direction: str | None,
    limits: Limits,
    file: str,
    spent: int = 0,
) -> list[Payload | Finding]:
    """Each decoded nested document, or a finding saying why it could not be decoded, in document order
    (a document's warnings follow it).

    ``spent`` is the node budget the outer message used (``Message.nodes``); the payloads share the rest.
    A list, built in one call: the only caller keeps a list, and a generator's resumptions and a list per
    document for its warnings cost ~1 µs a message.
    """
    budget = NodeBudget(limits.max_nodes - spent)
    found: list[Payload | Finding] = []
    warnings: list[Finding] = []
    for binding, finder in _finders(bindings, namespace, direction):
        for element in finder(payload_root):
            if element.get(_XSI_NIL, "").strip() in ("true", "1"):
                continue  # nilled: no document to decode; whether it may be nil is SSBT-XSD's finding
            found.append(_decode(binding, element, limits, file, budget, warnings))
            if warnings:
                found.extend(warnings)
                warnings.clear()
    return found


@cache
def _finders(
    bindings: tuple[PayloadBinding, ...], namespace: str, direction: str | None
) -> tuple[tuple[PayloadBinding, etree.XPath], ...]:
    """A pack's bindings for one direction, each with its compiled finder: looked up once per pack and
    direction instead of once per binding and message."""
    return tuple((binding, binding.finder(namespace)) for binding in bindings if binding.direction == direction)


_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


class NodeBudget:
    """The nodes a message's nested documents may still build, spent by them in document order.

    A document's nodes are counted by the bytes that open them (``count_markers``: one scan of the decoded
    bytes per marker, ~4 µs for a LEFI answer). Twice a document's length bounds that count, so each is
    first charged its bound; only when the bounds together would exceed the budget is every document
    charged so far counted exactly. An ordinary message's documents never come near the budget and are
    never counted; a message that does come near it gets the exact count's verdict, as if each had been
    counted. The documents charged by bound are held until then: together at most half the budget in bytes.
    """

    __slots__ = ("bounded", "left")

    def __init__(self, nodes: int) -> None:
        #: the budget less what has been charged (bounds and exact counts): never more than what is truly left
        self.left = nodes
        self.bounded: list[tuple[bytes, bytes]] = []

    def spend(self, data: bytes, markers: bytes) -> bool:
        """Charge one more document; False when the documents so far exceed the budget."""
        self.left -= 2 * len(data)
        if self.left >= 0:
            self.bounded.append((data, markers))
            return True
        for earlier, kind in (*self.bounded, (data, markers)):  # near the limit: count exactly
            self.left += 2 * len(earlier) - count_markers(earlier, kind)
        self.bounded.clear()
        return self.left >= 0


def _json_too_deep(document: Any, max_depth: int) -> bool:
    """Iteratively, so that checking depth cannot itself run out of stack; later rules recurse."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, dict | list))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, dict | list))
    return False


def _what(binding: PayloadBinding) -> str:
    """How findings name a payload ("FK payload (base64 json)"): built only for a finding, not per document."""
    return f"{binding.agency} payload ({binding.encoding} {binding.format})"


def _too_deep(binding: PayloadBinding, limits: Limits) -> str:
    return f"{_what(binding)} nests deeper than the limit of {limits.max_depth} (--max-depth); not checked."


def _decode(
    binding: PayloadBinding,
    element: etree._Element,
    limits: Limits,
    file: str,
    budget: NodeBudget,
    warnings: list[Finding],
) -> Payload | Finding:
    """The decoded document, or the finding that stopped decoding; ``warnings`` gets what did not stop it."""
    text = text_of(element).strip()
    if binding.encoding == "base64":
        if len(text) * 3 // 4 > limits.max_decoded_bytes and len(_without_whitespace(text)) * 3 // 4 > (
            limits.max_decoded_bytes
        ):
            return _decode_finding(
                "SSBT-LIMIT",
                f"{_what(binding)} would decode to more than the limit of {limits.max_decoded_bytes:,} bytes "
                "(raise it with --max-decoded-bytes); not decoded.",
                element,
                file,
            )
        try:
            raw = _base64(text)
        except (binascii.Error, ValueError):
            return _decode_finding("SSBT-PAYLOAD-BASE64", f"{_what(binding)} is not valid base64.", element, file)
    else:
        raw = text_as_bytes(text) if binding.format == "xml" else text.encode("utf-8")
        if len(raw) > limits.max_decoded_bytes:
            return _decode_finding(
                "SSBT-LIMIT",
                f"{_what(binding)} is larger than the limit of {limits.max_decoded_bytes:,} bytes "
                "(raise it with --max-decoded-bytes); not checked.",
                element,
                file,
            )
    if not budget.spend(raw, JSON_MARKERS if binding.format == "json" else XML_MARKERS):
        return _decode_finding("SSBT-LIMIT", nodes_text(_what(binding), limits), element, file)
    if binding.format == "json":
        return _decode_json(binding, element, raw, limits, file)
    # the common case costs a prefix compare, the rest one match
    prolog = None if raw.startswith(_USUAL_DECLARATIONS) or _PLAIN_UTF8.match(raw) else sniff(raw)
    problems = encoding_problems(raw, prolog, "the decoded document") if prolog and binding.encoding == "base64" else ()
    for fatal, text in problems:
        # the same lies libxml2 accepts in the outer message (a BOM against the declaration, Latin-1 named
        # for UTF-8 bytes, an encoding a byte scan cannot check), in the bytes CSN's receiver parses
        found = _decode_finding("SSBT-ENCODING", f"{_what(binding)}: {text}", element, file, Severity.WARNING)
        if fatal:
            return replace(found, severity=Severity.ERROR)
        warnings.append(found)
    try:
        document = etree.fromstring(raw, safe_parser())
    except etree.XMLSyntaxError as exc:
        problem = classify(exc, raw, prolog or sniff(raw))
        if problem.rule in ("SSBT-LIMIT", "SSBT-DTD", "SSBT-ENCODING"):  # each says more than libxml2's words
            text = problem.message.replace("The message", "the decoded document", 1)
            return _decode_finding(problem.rule, f"{_what(binding)}: {text}", element, file)
        return _decode_finding(
            "SSBT-PAYLOAD-XML",
            f"{_what(binding)} is not well-formed XML: {reason(exc)} "
            f"(decoded line {exc.lineno}, column {problem.column}).",
            element,
            file,
        )
    if document is None:
        return _decode_finding("SSBT-PAYLOAD-XML", f"{_what(binding)} holds no XML element.", element, file)
    docinfo = document.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        what = _what(binding)
        return _decode_finding("SSBT-DTD", f"{what} declares a DOCTYPE; nothing in it was loaded.", element, file)
    return Payload(binding, element, document)


def _without_whitespace(text: str) -> str:
    return "".join(text.split())


def _base64(text: str) -> bytes:
    """Base64 decoded strictly, whitespace (the line breaks of MIME-style base64) not being part of the data.

    The text is decoded as it is first, and rid of whitespace only when that fails: strict decoding refuses
    any character outside the alphabet (ASCII whitespace by ``binascii``, the rest as not ASCII), so a text
    with whitespace always takes the second way and one without gets the bytes its compact form would.
    Payloads are usually one line: this skips a split and a join of the text (~2 µs for a 4 kB CSN payload).
    """
    try:
        return _strict_base64(text)
    except (binascii.Error, ValueError):
        compact = _without_whitespace(text)
        if compact == text:
            raise
        return _strict_base64(compact)


#: characters of base64 a process decodes with the standard library before it loads pybase64: about what
#: the import (~0.5 ms) saves at ~2 ns a character, so a run that decodes less never pays for it
_STANDARD_FIRST = 256 * 1024
_standard_left = _STANDARD_FIRST
#: pybase64 once loaded; False where it is not installed (the standard library then decodes everything)
_pybase64: Any = None


def _strict_base64(text: str) -> bytes:
    """``base64.b64decode(text, validate=True)``, by pybase64 (SIMD) where it accepts the text.

    The standard library decodes a 4 kB CSN payload in ~9 µs, pybase64 in ~0.6. Where pybase64 accepts a
    text, it gives the bytes the standard library gives; it refuses some texts the standard library's strict
    mode accepts (padding after a full quantum, ``V7KP==``), so a refusal is only final when the standard
    library refuses too. tests/rules/test_hot_paths.py compares the two on generated texts.
    """
    global _standard_left, _pybase64
    if _pybase64 is None:
        _standard_left -= len(text)
        if _standard_left > 0:
            return base64.b64decode(text, validate=True)
        try:
            import pybase64

            _pybase64 = pybase64
        except ImportError:
            _pybase64 = False
    if _pybase64 is not False:
        try:
            return _pybase64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
    return base64.b64decode(text, validate=True)


class _NotJsonConstant(ValueError):
    pass


def _not_json(name: str) -> Any:
    """``json.loads`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` by default; JSON does not."""
    raise _NotJsonConstant(name)


class _DuplicateName(ValueError):
    pass


class _OutOfRange(ValueError):
    pass


#: Past this many digits, a number is beyond an IEEE 754 double (about 1.8e308): Python reads 1e400 as infinity
_DOUBLE_DIGITS = 310
#: each ASCII digit as "0", every other byte as a space: a run of digits becomes a run of "0"s
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * _DOUBLE_DIGITS


def _has_long_digit_run(raw: bytes) -> bool:
    """Does some run of :data:`_DOUBLE_DIGITS` ASCII digits occur (perhaps in a string)?

    A translation and a substring search, both in C: the regular expression ``[0-9]{310}`` restarts at every
    digit of every run of digits, ~20 µs for a 2 kB LEFI answer (dates, amounts, personnummer) against ~1.4 µs.
    """
    return len(raw) >= _DOUBLE_DIGITS and _LONG_RUN in raw.translate(_DIGITS_AS_ZEROS)


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent, as a double; one beyond a double's range is no value a
    receiver agrees on (RFC 8259, section 6), and a JSON Schema check would see it as null."""
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _OutOfRange(text)
    return value


def _finite_integer(text: str) -> int:
    if len(text.lstrip("-")) >= _DOUBLE_DIGITS:
        raise _OutOfRange(text[:12] + "…")
    return int(text)


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose names repeat has no one meaning: ``json.loads`` keeps the last value, other parsers
    the first or refuse it (RFC 8259, section 4), so a checker that reads one value may pass what the
    service reads as another."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateName(next(name for name, _ in pairs if name in seen or seen.add(name)))
    return document


#: A ``\uD800``–``\uDFFF`` escape not part of a high-low pair: half a UTF-16 character, no character at all.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _has_lone_surrogate(decoded: str, document: Any) -> bool:
    """Only where the text has such an escape (rare) is the document itself encoded to make sure."""
    if "\\u" not in decoded or not _LONE_SURROGATE.search(decoded):
        return False
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


#: Two decoders for every payload, built once: ``json.loads`` with an option such as ``parse_constant`` builds
#: a new decoder (and its scanner) per call, ~1.5 µs per FK payload. Safe to share: a call keeps no state
#: between calls, and the scanner runs holding the GIL. The second looks at each integer's length, needed
#: only where some run of digits is that long.
_JSON = json.JSONDecoder(parse_constant=_not_json, object_pairs_hook=_unique_names, parse_float=_finite)
_JSON_LONG_NUMBERS = json.JSONDecoder(
    parse_constant=_not_json, object_pairs_hook=_unique_names, parse_float=_finite, parse_int=_finite_integer
)


#: characters of JSON a process decodes with the standard library alone before it loads orjson: about what the
#: import (~0.4 ms) saves at ~6 ns a byte, so a one-message run never pays for it
_STANDARD_JSON_FIRST = 64 * 1024
_standard_json_left = _STANDARD_JSON_FIRST
#: orjson once loaded; False where it is not installed (the standard library then decodes everything)
_orjson: Any = None
#: the standard decoder decides (see _fast_json)
_UNDECIDED = object()
#: a run of this many digits may be an integer past 64 bits, which orjson reads as a float (Python: an int)
_INT64_RUN = b"0" * 19
#: the deepest nesting orjson writes (its documented recursion limit: deeper, dumps refuses; a test holds it)
_ORJSON_DEPTH = 254


def _fast_json(raw: bytes) -> Any:
    """The document orjson reads from ``raw`` where it is provably the one the standard decoder reads with its
    checking hooks, else ``_UNDECIDED`` (the standard decoder then decides, in its words).

    The hooks (a Python call per object, for names given twice) made an FK answer cost ~7 µs to read; orjson
    (C) reads it in ~1.7 and writes it back in ~0.5: the nested stage ~4.6 µs less a message of the mixed batch,
    ~4.1 of the conforming one (in-process CPU, interleaved medians of 11). Where orjson's reading agrees with the
    standard library's it gives the same values (a Hypothesis property compares the two on hostile texts);
    where it would not, it is not asked or its answer not taken:

    - NaN and infinities, a float past a double, half a surrogate pair: orjson refuses them, as the hooks do;
    - an integer past 64 bits, which orjson reads as a float: a run of 19 digits anywhere sends the text to
      the standard decoder (and so does every run of 310, which needs _JSON_LONG_NUMBERS);
    - a name given twice in one object, which orjson reads as the standard library does without the hook
      (the last value wins): counted. Outside strings a JSON text has a colon only after each member's name;
      inside strings a colon is written as itself unless escaped as ``\\u003a``, so a text without that escape
      has as many colons as members plus those in its strings. orjson writes the document back with one colon
      per name it kept plus those in the strings it kept, which are strings of the text: the two counts are
      equal only if no member was dropped, that is no object has a name twice (a document that does goes to
      the hooks, which name the name).

    A text that is byte for byte what orjson writes back needs none of these searches (:func:`_read_alike`):
    what orjson writes, the standard decoder reads as the document written (each name once, integers as
    written, floats in digits that read back as themselves, strings as they are), so a text equal to it is read
    as that document. LEFI answers are written so (compact UTF-8: 2,604 of the mixed batch's 2,780 FK documents),
    and one comparison takes the place of four passes over the text (~1.9 µs of a 733-byte FK document, warm).
    """
    global _standard_json_left, _orjson
    if _orjson is None:
        _standard_json_left -= len(raw)
        if _standard_json_left > 0:
            return _UNDECIDED
        try:
            import orjson

            _orjson = orjson
        except ImportError:
            _orjson = False
    if _orjson is False:
        return _UNDECIDED
    try:
        document = _orjson.loads(raw)
        written = _orjson.dumps(document)
    except (_orjson.JSONDecodeError, _orjson.JSONEncodeError):  # refused, or nested past what it writes back
        return _UNDECIDED
    return document if written == raw or _read_alike(raw, written) else _UNDECIDED


def _read_alike(raw: bytes, written: bytes) -> bool:
    """Does the standard decoder read the document orjson read from ``raw`` and wrote back as ``written``? No
    escaped colon, no run of 19 digits, and as many colons written as read (the reasons are in _fast_json)."""
    return (
        b"\\u003" not in raw
        and _INT64_RUN not in raw.translate(_DIGITS_AS_ZEROS)
        and raw.count(b":") == written.count(b":")
    )


def _decode_json(
    binding: PayloadBinding, element: etree._Element, raw: bytes, limits: Limits, file: str
) -> Payload | Finding:
    document = _fast_json(raw)
    if document is not _UNDECIDED and limits.max_depth >= _ORJSON_DEPTH:
        # orjson takes only the UTF-8 Python's strict decoding takes, refuses a byte order mark and half a surrogate
        # pair, and wrote the document back, so it nests no deeper than orjson writes: none of the checks below
        # can fire, and their passes over the text are skipped: an FK answer ~8.1 -> ~6.6 µs (warm, in-process,
        # paired medians of 15)
        return Payload(binding, element, document)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _decode_finding(
            "SSBT-PAYLOAD-UTF8", f"{_what(binding)} is not UTF-8 (byte {exc.start} after decoding).", element, file
        )
    if decoded.startswith("\ufeff"):
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f"{_what(binding)} starts with a byte order mark; a JSON text sent between systems must not (RFC 8259, "
            "section 8.1: a receiver may ignore it or refuse the text). Send the JSON without it.",
            element,
            file,
        )
    try:
        if document is _UNDECIDED:
            # integers are looked at one by one only where some run of digits (perhaps in a string) is that long
            document = (_JSON_LONG_NUMBERS if _has_long_digit_run(raw) else _JSON).decode(decoded)
    except _OutOfRange as exc:
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f"{_what(binding)} has the number {exc.args[0][:24]}, beyond the range of a double (about 1.8e308); "
            "receivers differ in what they make of it (RFC 8259, section 6). Send a number a double can hold.",
            element,
            file,
        )
    except _DuplicateName as exc:
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f'{_what(binding)} has an object with the name "{exc.args[0]}" twice; parsers differ in which value they '
            "keep (RFC 8259, section 4: names should be unique), so what the service reads cannot be checked. "
            "Send each name once.",
            element,
            file,
        )
    except _NotJsonConstant as exc:
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f"{_what(binding)} is not JSON: {exc.args[0]} is no JSON value (JSON has no NaN or infinities; RFC 8259 "
            "section 6), though some JSON libraries write it.",
            element,
            file,
        )
    except RecursionError:
        return _decode_finding("SSBT-LIMIT", _too_deep(binding, limits), element, file)
    except json.JSONDecodeError as exc:
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f"{_what(binding)} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} of the decoded text.",
            element,
            file,
        )
    except ValueError as exc:  # e.g. an integer past Python's 4300-digit conversion limit
        return _decode_finding("SSBT-PAYLOAD-JSON", f"{_what(binding)} is not usable JSON: {exc}.", element, file)
    if raw.count(b"[") + raw.count(b"{") > limits.max_depth and _json_too_deep(document, limits.max_depth):
        return _decode_finding("SSBT-LIMIT", _too_deep(binding, limits), element, file)
    if _has_lone_surrogate(decoded, document):
        return _decode_finding(
            "SSBT-PAYLOAD-JSON",
            f"{_what(binding)} has a string with a \\u escape of half a surrogate pair (\\uD800–\\uDFFF without its "
            "other half), which stands for no character; receivers differ in what they make of it (RFC 8259, section "
            "8.2). Escape each character outside the BMP as its full pair.",
            element,
            file,
        )
    return Payload(binding, element, document)
