"""The shortcuts of the bare read-parse-detect path keep doing their job, and give what the long way gives.

Speed itself is measured by benchmarks/bench_throughput.py; these tests count the work a message costs
(with spies) and compare each shortcut with a plain definition of what it answers.
"""

from __future__ import annotations

import re
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.reading import message as reading
from ssbtek_validator.reading.inputs import Source

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


def test_an_ordinary_envelope_is_checked_by_one_xpath_not_by_the_python_checks(monkeypatch):
    """Header and Body with nothing beside them: the compiled XPath says so; _character_content is not asked."""

    def refused(*args, **kwargs):
        raise AssertionError("the ordinary envelope took the general checks")

    monkeypatch.setattr(reading, "_character_content", refused)
    message = reading.parse(Source("msg.xml", ANSWER))
    assert message.payload is not None and message.operation == "hamtaBastjanstInformation"
    assert not message.findings


_SOAP = b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
_STYLE = b' soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
_HEADER = b"<soapenv:Header/>"
_OPEN, _CLOSE = b"<soapenv:Body>", b"</soapenv:Body>"


@given(
    before=st.sampled_from([b"", b" \n\t", b"x", b"\xc2\xa0", b"<!--c-->", b"<!--c-->y"]),
    header=st.sampled_from([b"", _HEADER, b"<soapenv:Header>t</soapenv:Header>", b"<soapenv:Header" + _STYLE + b"/>"]),
    between=st.sampled_from([b"", b"\r\n", b"z"]),
    body_style=st.booleans(),
    inside=st.sampled_from([b"", b" ", b"w", b"<!--c-->v"]),
    after=st.sampled_from([b"", b" ", b"q", b"<x/>", _HEADER]),
    envelope_style=st.booleans(),
)
def test_the_envelope_shortcut_finds_what_the_general_checks_find(
    before, header, between, body_style, inside, after, envelope_style
):
    """Text (XML whitespace is none; a no-break space is) and encodingStyle on Envelope, Header or Body:
    the same findings whether the XPath shortcut answers or the general checks do."""
    payload = ANSWER[ANSWER.index(b"<ssbt:hamta") : ANSWER.index(b"</soapenv:Body>")]
    namespaces = b' xmlns:ssbt="http://schema.forsakringskassan.se/integration/ssbt/10"'
    data = (
        b"<soapenv:Envelope " + _SOAP + namespaces + (_STYLE if envelope_style else b"") + b">"
        + before + header + between
        + b"<soapenv:Body" + (_STYLE if body_style else b"") + b">" + inside + payload + _CLOSE
        + after + b"</soapenv:Envelope>"
    )  # fmt: skip
    fast = _soap_findings(data)
    with patch.object(reading, "_TEXT_OR_ENCODING_STYLE", lambda envelope: True):  # the general checks
        assert fast == _soap_findings(data)


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
