"""The shortcuts of the bare read-parse-detect path keep doing their job, and give what the long way gives.

Speed itself is measured by benchmarks/bench_throughput.py; these tests count the work a message costs
(with spies) and compare each shortcut with a plain definition of what it answers.
"""

from __future__ import annotations

import re
from typing import ClassVar
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.reading import inputs
from ssbtek_validator.reading import message as reading
from ssbtek_validator.reading.inputs import Source, looks_like_capture, looks_like_har, looks_like_raw_http

from ..conftest import CORPUS

ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()

#: the plain definition: a "<?" whose target is not the reserved xml (a declaration)
_PI = re.compile(rb"<\?(?!xml )")


class _FindSpy(bytes):
    """Bytes that record what is looked for in them."""

    needles: list[bytes]

    def find(self, needle, *args):  # type: ignore[override]
        self.needles.append(needle)
        return super().find(needle, *args)


def test_the_instruction_pre_check_looks_for_question_marks_not_for_every_angle_bracket():
    """Finding "<?" stops at every "<" of a message (~6 µs for 5 kB); a message holds few "?", found by memchr."""
    spy = _FindSpy(ANSWER)
    spy.needles = []
    assert reading._may_hold_pi(spy, True) is False
    assert spy.needles and set(spy.needles) == {b"?"}
    assert len(spy.needles) <= ANSWER.count(b"?") + 1


pieces = st.sampled_from([b"<", b"?", b"<?", b"<?xml ", b"<?xml", b"xml ", b"a", b">", b"?>", b" "])


@given(st.lists(pieces, max_size=60).map(b"".join))
def test_the_instruction_pre_check_says_what_the_plain_definition_says(data: bytes):
    """Few or many "?" (past _FEW_QUESTION_MARKS the two-byte walk answers): the same answer either way."""
    assert reading._may_hold_pi(data, True) is (_PI.search(data) is not None)
    marks = b"?" * (reading._FEW_QUESTION_MARKS + 1)
    for many in (data + marks, marks + data, marks[:-2] + b"<" + data):
        assert reading._may_hold_pi(many, True) is (_PI.search(many) is not None)


# ---------------------------------------------------------------- the envelope's structure


def _soap_findings(data: bytes) -> list[tuple[str, str, str]]:
    message = reading.parse(Source("msg.xml", data))
    return [(f.rule, f.message, f.path) for f in message.findings]


def test_an_ordinary_envelope_is_read_by_the_shortcut_not_by_the_general_checks(monkeypatch):
    """Header and Body with nothing beside them: _usual_payload says so with a few attribute reads; neither the
    compiled XPath nor _character_content nor the lists of children are asked."""

    def refused(*args, **kwargs):
        raise AssertionError("the ordinary envelope took the general checks")

    for name in ("_character_content", "_TEXT_OR_ENCODING_STYLE", "_element_children", "_envelope_problems"):
        monkeypatch.setattr(reading, name, refused)
    for data in (ANSWER, ANSWER.replace(b"<soapenv:Header/>", b"")):
        message = reading.parse(Source("msg.xml", data))
        assert message.payload is not None and message.operation == "hamtaBastjanstInformation"
        assert message.namespace == "http://schema.forsakringskassan.se/integration/ssbt/10"
        assert not message.findings


_SOAP = b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
_STYLE = b' soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
#: an attribute that is no encodingStyle (WS-Security signs a Body by its wsu:Id)
_ID = b' xmlns:wsu="urn:wsu" wsu:Id="id-1"'
_HEADER = b"<soapenv:Header/>"
_OPEN, _CLOSE = b"<soapenv:Body>", b"</soapenv:Body>"
_ENTRY = b'<h:e xmlns:h="urn:h" soapenv:mustUnderstand="1"/>'
_FAULT = b"<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>x</faultstring></soapenv:Fault>"


#: each part of an envelope: its usual spelling first, then what may stand there instead
_PARTS: dict[str, list[bytes]] = {
    "envelope_style": [b"", _STYLE, _ID, _ID + _STYLE],
    "before": [b"\n ", b"", b"x", b"\xc2\xa0", b"<!--c-->", b"<!--c-->y", b"<?p?>", _OPEN + _CLOSE],
    "header": [
        _HEADER,
        b"",
        b"<soapenv:Header>t</soapenv:Header>",
        b"<soapenv:Header" + _STYLE + b"/>",
        b"<soapenv:Header" + _ID + b"/>",
        b"<soapenv:Header>" + _ENTRY + b"</soapenv:Header>",
        b"<soapenv:Header><!--c--></soapenv:Header>",
        b"<soapenv:Header> </soapenv:Header>",
        b"<Header/>",
        b"<soapenv:Header><?p?></soapenv:Header>",
    ],
    "between": [b"\r\n", b"", b"z", b"<!--c-->", _HEADER],
    "body_style": [b"", _STYLE, _ID, _STYLE + _ID],
    "inside": [b"\t", b"", b"w", b"<!--c-->v", b"<?p?>", b"<x/>", _FAULT],
    "payload": [b"answer", _FAULT, b"<ssbt:okand/>", b"<x/>", b"<!--c-->", b"<?p?>", b""],
    "trailing": [b"\n", b"", b"t", b"<x/>", b"<!--c-->"],
    "after": [b"\n", b"", b"q", b"<x/>", _HEADER, b"<!--c-->", b"<soapenv:Body/>"],
}


def _envelope(changed: dict[str, int]) -> bytes:
    """An envelope with each part spelt as usual but those in ``changed`` (by the index of their spelling)."""
    part = {name: spellings[changed.get(name, 0) % len(spellings)] for name, spellings in _PARTS.items()}
    answer = ANSWER[ANSWER.index(b"<ssbt:hamta") : ANSWER.index(b"</soapenv:Body>")]
    namespaces = b' xmlns:ssbt="http://schema.forsakringskassan.se/integration/ssbt/10"'
    return (
        b"<soapenv:Envelope " + _SOAP + namespaces + part["envelope_style"] + b">"
        + part["before"] + part["header"] + part["between"]
        + b"<soapenv:Body" + part["body_style"] + b">" + part["inside"]
        + (answer if part["payload"] == b"answer" else part["payload"]) + part["trailing"] + _CLOSE
        + part["after"] + b"</soapenv:Envelope>"
    )  # fmt: skip


def _read_envelope(data: bytes) -> tuple:
    message = reading.parse(Source("msg.xml", data))
    found = [(f.rule, f.message, f.path) for f in message.findings]
    payload = message.payload
    where = (payload.tag, payload.sourceline) if payload is not None else None
    return where, message.namespace, message.operation, message.direction, found


def _same_either_way(data: bytes) -> None:
    fast = _read_envelope(data)
    with patch.object(reading, "_usual_payload", lambda envelope: None):  # the general checks
        assert fast == _read_envelope(data), data


def test_the_envelope_shortcut_finds_what_the_general_checks_find_with_one_or_two_parts_unusual():
    """Text (XML whitespace is none; a no-break space is), comments, instructions, header entries, a fault,
    elements out of place and encodingStyle on Envelope, Header or Body, every one alone and every two
    together: the same payload, operation and findings whether the shortcut answers or the general checks do."""
    unusual = [(name, index) for name, spellings in _PARTS.items() for index in range(len(spellings))]
    _same_either_way(_envelope({}))
    for number, (name, index) in enumerate(unusual):
        _same_either_way(_envelope({name: index}))
        for other, other_index in unusual[number + 1 :]:
            if other != name:
                _same_either_way(_envelope({name: index, other: other_index}))


@given(st.dictionaries(st.sampled_from(sorted(_PARTS)), st.integers(1, 20), min_size=3, max_size=5))
def test_the_envelope_shortcut_finds_what_the_general_checks_find_with_more_parts_unusual(changed: dict[str, int]):
    _same_either_way(_envelope(changed))


class _AskedByName(etree.ElementBase):
    """An element that records the attributes it is asked for by name."""

    asked: ClassVar[list[str]] = []

    def get(self, key, default=None):  # type: ignore[override]
        self.asked.append(key)
        return super().get(key, default)


def test_an_envelope_without_attributes_is_not_asked_for_its_encoding_style():
    """Envelope, Header and Body without attributes: their keys() say there is no encodingStyle; only one that
    has attributes is asked for it by name."""
    parser = etree.XMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=_AskedByName))
    for data, asked in ((ANSWER, 0), (ANSWER.replace(b"<soapenv:Body>", b"<soapenv:Body" + _ID + b">"), 1)):
        _AskedByName.asked = []
        assert reading._usual_payload(etree.fromstring(data, parser)) is not None
        assert _AskedByName.asked == [reading._ENCODING_STYLE] * asked


texts = st.one_of(st.none(), st.text(st.sampled_from(" \t\r\n\xa0\x0b\x85\u2028xé"), max_size=4))


@given(st.lists(texts, max_size=5))
def test_text_beside_the_envelope_s_elements_is_told_as_one_by_one_stripping_tells_it(parts: list[str | None]):
    """The joined texts stripped at once hold something exactly when one of them does (other Unicode spaces are
    text to XML)."""
    assert reading._holds_text(*parts) is any(text and text.strip(" \t\r\n") for text in parts)


@given(st.sampled_from(["a", "{urn:x}a", "{http://schema.forsakringskassan.se/integration/ssbt/10}b", "{}c"]))
def test_the_parts_of_a_tag_are_those_of_its_qname(tag: str):
    """tag_parts keeps what etree.QName says of a tag (QName is what it replaces), including its refusal."""
    try:
        expected = (etree.QName(tag).namespace, etree.QName(tag).localname)
    except ValueError:
        with pytest.raises(ValueError):
            reading.tag_parts(tag)
        return
    assert reading.tag_parts(tag) == expected


def test_a_declared_encoding_is_matched_once_per_name_and_a_mark_is_still_found():
    """A batch declares one or two encodings: the patterns run once per name, not thrice a message; the
    shortcut past the byte order marks still finds each of them."""
    from ssbtek_validator.reading import encoding

    encoding._declared.cache_clear()
    spelt = ANSWER.replace(b'encoding="UTF-8"', b'encoding="utf-8"', 1)  # not the declaration sniff shortcuts
    assert spelt != ANSWER
    for index in range(3):
        reading.parse(Source(f"m{index}.xml", spelt))
    assert encoding._declared.cache_info().misses == 1 and encoding._declared.cache_info().hits >= 6
    for mark, name in encoding.BOMS:
        body = '<?xml version="1.0"?><a/>'.encode(encoding._CODECS.get(name, "utf-8"))
        assert encoding.sniff(mark + body).bom == name


@given(
    declaration=st.sampled_from([b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='UTF-8'?>"]),
    tail=st.binary(max_size=80) | st.sampled_from([b"\x00" * 40, b"<a/>", b"\n<!DOCTYPE a>"]),
)
def test_the_common_declaration_reads_as_the_long_way_reads_it(declaration, tail):
    """sniff's shortcut for the usual UTF-8 declaration gives what the general reading gives, whatever
    follows it (NUL bytes included, which the UTF-16/32 guess counts), and skips that reading; so does
    encoding_problems' (an equal Prolog that is not the shortcut's takes the long way)."""
    from ssbtek_validator.reading import encoding

    data = declaration + tail
    expected = encoding._sniff(data)
    long_way = encoding.encoding_problems(data, encoding.Prolog(*expected))
    with (
        patch.object(encoding, "_sniff", side_effect=AssertionError("the long way was taken")),
        patch.object(encoding, "_declared", side_effect=AssertionError("the long way was taken")),
    ):
        prolog = encoding.sniff(data)
        assert prolog == expected
        assert encoding.encoding_problems(data, prolog) == long_way
    assert encoding.sniff(ANSWER) == encoding._sniff(ANSWER)


_AFTER_DECLARATION = st.sampled_from(
    [b"", b"<?pi x?>", b"\n<?pi?>", b"<!--?-->", b"\n", b"<?xml-stylesheet href='a'?>"]
)


@given(
    declaration=st.sampled_from([b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='UTF-8'?>"]),
    after=_AFTER_DECLARATION,
    inside=st.sampled_from([b"", b"<?pi?>", b"<![CDATA[<?x?>]]>", b"?", b"<!--<?-->"]),
)
def test_the_common_declaration_answers_the_encoding_questions_as_the_long_way_does(declaration, after, inside):
    """A message starting with the common UTF-8 declaration skips encoding_problems, the prolog's properties
    and the search for instructions in the declaration, and reads as the long way reads it (an instruction
    right after the declaration, or inside the Body, is still found)."""
    from ssbtek_validator.reading import encoding

    body = ANSWER[ANSWER.index(b"<soapenv:Envelope") :].replace(b"<soapenv:Body>", b"<soapenv:Body>" + inside, 1)
    data = declaration + after + body

    def read() -> tuple:
        message = reading.parse(Source("msg.xml", data))
        return [(f.rule, f.message) for f in message.findings], message.ascii_markup, message.operation

    with patch.object(reading, "encoding_problems", side_effect=AssertionError("asked")):
        fast = read()
    with patch.object(reading, "common", lambda prolog: False):
        assert fast == read()
    assert fast[1] is True
    assert encoding.common(encoding.sniff(data)) and not encoding.common(encoding.Prolog(None, "UTF-8", None))


# ---------------------------------------------------------------- is an input a capture?

_NAME_ENDINGS = st.sampled_from(
    [
        "a.xml",
        "a.har",
        "a.HAR",
        "b.Har",
        "a.http",
        "a.HTTP",
        "x.htt",
        "har",
        ".http",
        "İ.har",
        "K.http",
        "a.har.xml",
        "",
    ]
)
_DATA_STARTS = st.sampled_from(
    [
        b"<",
        b"<?xml",
        b"{",
        b' {"log": {}}',
        b"\xef\xbb\xbfPOST /x HTTP/1.1\r\n",
        b"GET / HTTP/1.1\n",
        b"HTTP/1.1 200 OK\r\n",
        b"",
    ]
)


@given(st.text(max_size=6), _NAME_ENDINGS, _DATA_STARTS, st.binary(max_size=20))
def test_a_capture_is_told_as_the_two_questions_tell_it(stem: str, ending: str, start: bytes, rest: bytes):
    """looks_like_capture answers what looks_like_har or looks_like_raw_http answers, for any name (cases,
    characters whose lower case is longer) and bytes starting like a message, a HAR file, a raw capture or none."""
    for source in (Source(stem + ending, start + rest), Source(stem + ending, None)):
        expected = source.data is not None and (looks_like_har(source) or looks_like_raw_http(source))
        assert looks_like_capture(source) is expected


def test_a_message_is_told_no_capture_by_its_first_byte_and_name(monkeypatch):
    """An input starting with "<" is not asked the two content questions (each lowered its name and sliced its
    bytes); one that does not start so still is."""
    asked = []
    monkeypatch.setattr(inputs, "looks_like_har", lambda source: asked.append("har"))
    monkeypatch.setattr(inputs, "looks_like_raw_http", lambda source: asked.append("http"))
    assert looks_like_capture(Source("m.xml", ANSWER)) is False
    assert looks_like_capture(Source("m.HAR", ANSWER)) is True
    assert asked == []
    looks_like_capture(Source("m.xml", b'{"log": {}}'))
    assert asked == ["har", "http"]


# ---------------------------------------------------------------- a DOCTYPE after the common declaration

_PROLOG_PIECES = st.sampled_from(
    [
        b"",
        b"\n",
        b" \t\r\n",
        b"<!--c-->",
        b"<!---->",
        b"<?pi x?>",
        b"<!DOCTYPE a>",
        b'<!DOCTYPE a SYSTEM "urn:x">',
        b'<!DOCTYPE a [<!ENTITY e "x">]>',
        b"<!DOCTYPE a [<!ELEMENT a ANY>]>",
    ]
)
_ROOTS = st.sampled_from(
    [b"<a/>", b"<a>&e;</a>", b'<a b="<!DOCTYPE"/>', b"<a><![CDATA[<!DOCTYPE a>]]></a>", b"<!DOCTYPE", b"<"]
)


@given(
    declaration=st.sampled_from([b'<?xml version="1.0" encoding="UTF-8"?>', b"<?xml version='1.0' encoding='UTF-8'?>"]),
    prolog=st.lists(_PROLOG_PIECES, max_size=4).map(b"".join),
    root=_ROOTS,
    after=st.sampled_from([b"", b"\n", b"<!--c-->", b"<!DOCTYPE a>"]),
)
def test_a_doctype_after_the_common_declaration_is_found_as_libxml2_records_it(declaration, prolog, root, after):
    """Whatever stands between the declaration and the root (comments, instructions, DOCTYPEs with or without
    an internal subset, whitespace) and after it: the message reads as it reads when libxml2's record is asked,
    and the shortcut never answers "no DOCTYPE" for a message whose record holds one."""
    data = declaration + prolog + root + after

    def read() -> tuple:
        message = reading.parse(Source("msg.xml", data))
        return [(f.rule, f.message) for f in message.findings], message.root is not None

    fast = read()
    with patch.object(reading, "_root_follows_declaration", lambda data: False):
        assert fast == read()
    try:
        parsed = etree.fromstring(data, reading.safe_parser())
    except etree.XMLSyntaxError:
        return
    if reading._root_follows_declaration(data):
        assert not reading.has_dtd(parsed)


def test_an_ordinary_message_is_not_asked_for_libxml2_s_doctype_record_and_one_with_a_prolog_is():
    """The root right after the common declaration (whitespace between) answers at once; a comment before the
    root leaves it to libxml2's record, which finds the DOCTYPE after it."""
    with patch.object(reading, "has_dtd", side_effect=AssertionError("asked")):
        assert not reading.parse(Source("msg.xml", ANSWER)).findings
    asked = []
    with patch.object(reading, "has_dtd", lambda root: asked.append(root) or False):
        reading.parse(Source("msg.xml", ANSWER.replace(b"?>\n", b"?>\n<!--c-->\n", 1)))
    assert len(asked) == 1
    hidden = ANSWER.replace(b"?>\n", b'?>\n<!--c--><!DOCTYPE soapenv:Envelope [<!ENTITY e "x">]>\n', 1)
    assert [f.rule for f in reading.parse(Source("msg.xml", hidden)).findings] == ["SSBT-DTD"]
