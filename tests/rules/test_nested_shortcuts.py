"""The nested documents' shortcuts give what the long way gives, and keep saving the work they save.

Each one is held to the code it replaced on hostile shapes (agencies repeated, payloads that do not decode, both
formats, both SSBTEK versions' SKV), and counted where it remembers something or skips a step: the per-message
index of decoded documents (Context.decoded), the finders built once per pack and direction, CSN's schemaVersion
compared as written first, the usual XML declaration known without a pattern. The FK version an answer echoes is
held to the five steps that find it.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ssbtek_validator.packs.nested_models import builtin_models
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading import nested
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.message import child, parse
from ssbtek_validator.reading.nested import Payload
from ssbtek_validator.rules import MESSAGE_RULES
from ssbtek_validator.rules import nested as rules_nested
from ssbtek_validator.rules.base import Context
from ssbtek_validator.run.driver import Options, validate_sources

from ..conftest import CORPUS

ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
ECHO = (CORPUS / "v10" / "answer-echo-fraga.xml").read_bytes()
REQUEST = (CORPUS / "v10" / "request-full.xml").read_bytes()


def _context(data: bytes) -> Context:
    message = parse(Source("msg.xml", data))
    pack = builtin_packs()[int(message.namespace.rsplit("/", 1)[1])]
    return Context(message, pack, None, DEFAULT_LIMITS, date(2026, 11, 1))


def _carried(data: bytes, name: bytes) -> str:
    """The text of the corpus answer's first ``ssbt:name`` element (a payload as the corpus carries it)."""
    return re.search(rb"<ssbt:" + name + rb">([^<]*)<", data).group(1).decode()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# ---------------------------------------------------------------- Context.decoded

#: what a payload element may carry: decodable documents of each kind and the ways a payload fails
CSN_CONTENT = [_carried(ANSWER, b"svar"), "!!not base64", _b64("not xml <"), _b64("<other/>"), _b64("")]
FK_CONTENT = [_carried(ANSWER, b"lefiJsonSvar"), "!!", _b64("{"), _b64("[1]"), _b64('{"a": 1, "a": 2}'), _b64("NaN")]
SKV10_CONTENT = ["&lt;R xmlns='urn:x'/&gt;", "not xml", "&lt;a/&gt;&lt;b/&gt;", ""]
SKV11_CONTENT = [_b64("{}"), _b64("1"), _b64('"text"'), "!!", _b64("{bad")]
SKV11_PARTS = ["individuppgifter", "skattekonto", "foretagsinformation", "okand"]
NIL = ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"'


def _block(version: int):
    """One agency block of an answer's svarsdata, with any content, perhaps nilled."""
    nil = st.sampled_from(["", NIL])
    csn = st.builds(
        lambda text, nilled: f"<ssbt:CSN><ssbt:data><ssbt:svar{nilled}>{text}</ssbt:svar></ssbt:data></ssbt:CSN>",
        st.sampled_from(CSN_CONTENT),
        nil,
    )
    fk = st.builds(
        lambda text: f"<ssbt:FK><ssbt:data><ssbt:lefiJsonSvar>{text}</ssbt:lefiJsonSvar></ssbt:data></ssbt:FK>",
        st.sampled_from(FK_CONTENT),
    )
    if version == 10:
        skv = st.builds(
            lambda text: f"<ssbt:SKV><ssbt:data><svar>{text}</svar></ssbt:data></ssbt:SKV>",
            st.sampled_from(SKV10_CONTENT),
        )
    else:
        part = st.builds(
            lambda name, text: f"<ssbt:{name}><ssbt:data>{text}</ssbt:data></ssbt:{name}>",
            st.sampled_from(SKV11_PARTS),
            st.sampled_from(SKV11_CONTENT),
        )
        skv = st.lists(part, max_size=4).map(lambda parts: f"<ssbt:SKV>{''.join(parts)}</ssbt:SKV>")
    other = st.sampled_from(
        [
            "<ssbt:AF><ssbt:data/></ssbt:AF>",
            "<ssbt:CSN/>",
            "<!-- c --><?pi d?>",
            # the names the payloads have, in places no binding looks: decoys for the union's names
            "<ssbt:CSN><ssbt:data><svar>x</svar><ssbt:lefiJsonSvar/></ssbt:data></ssbt:CSN>",
            "<ssbt:SKV><ssbt:data><ssbt:svar>x</ssbt:svar></ssbt:data><ssbt:svar/></ssbt:SKV>",
            "<ssbt:FK><ssbt:svar/><ssbt:data><ssbt:data>e30=</ssbt:data></ssbt:data></ssbt:FK>",
            "<ssbt:svar>x</ssbt:svar><svar/><ssbt:data/>",
        ]
    )
    return st.one_of(csn, fk, skv, other)


@st.composite
def answers(draw) -> bytes:
    version = draw(st.sampled_from([10, 11]))
    blocks = "".join(draw(st.lists(_block(version), max_size=7)))
    return (
        '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ssbt="http://schema.forsakringskassan.se/integration/ssbt/{version}"><e:Body>'
        f"<ssbt:hamtaBastjanstInformationResponse><ssbt:svarsdata>{blocks}</ssbt:svarsdata>"
        "</ssbt:hamtaBastjanstInformationResponse></e:Body></e:Envelope>"
    ).encode()


KINDS = [(agency, fmt) for agency in ("CSN", "FK", "SKV", "AF") for fmt in ("xml", "json", "text")]


def _decoded_as_filtered(context: Context, first: tuple[str, str]) -> None:
    """Context.decoded against the generator each rule had: every Payload of payloads() of that agency and
    format, the same objects in document order. ``first`` is asked before anything else (the index is built
    by whichever kind is asked first)."""
    for agency, fmt in [first, *KINDS]:
        filtered = [
            item
            for item in context.payloads()
            if isinstance(item, Payload) and item.binding.agency == agency and item.binding.format == fmt
        ]
        got = list(context.decoded(agency, fmt))
        assert len(got) == len(filtered) and all(a is b for a, b in zip(got, filtered, strict=True)), (agency, fmt)


@given(answers(), st.sampled_from(KINDS))
def test_the_decoded_index_gives_what_filtering_the_payloads_gave(data, first):
    _decoded_as_filtered(_context(data), first)


def test_the_decoded_index_gives_what_filtering_the_payloads_gave_on_every_corpus_message():
    """Requests and answers of every version, with the corpus's undecodable and odd payloads."""
    seen = 0
    for path in sorted(CORPUS.glob("v*/*.xml")):
        message = parse(Source(path.name, path.read_bytes()))
        version = (message.namespace or "").rsplit("/", 1)[-1]
        if message.payload is None or not version.isdigit() or int(version) not in builtin_packs():
            continue
        context = _context(path.read_bytes())
        _decoded_as_filtered(context, ("CSN", "xml"))
        seen += bool(context.payloads())
    assert seen > 40


def test_the_decoded_index_is_built_once_per_message(monkeypatch):
    """The rules that read one kind each (CSN, SKV twice, FK) share one pass over the payloads."""
    context = _context(ANSWER)
    passes = []
    real = Context.payloads  # on the class: a Context has slots, no instance attributes of its own
    monkeypatch.setattr(Context, "payloads", lambda self: passes.append(1) or real(self))
    for agency, fmt in KINDS:
        context.decoded(agency, fmt)
    assert passes == [1]
    assert [item.binding.agency for item in context.decoded("CSN", "xml")] == ["CSN"]


# ---------------------------------------------------------------- finders per pack and direction


def test_the_payload_finders_are_looked_up_once_per_pack_and_direction(monkeypatch):
    """extract used to ask each binding for its finder on every message; it asks once per pack and direction."""
    asked = []
    real = nested.PayloadBinding.finder
    monkeypatch.setattr(nested.PayloadBinding, "finder", lambda self, ns: asked.append(self.agency) or real(self, ns))
    if hasattr(nested._finders, "cache_clear"):  # what it holds are the real finders: nothing to restore after
        nested._finders.cache_clear()
    answers_v10 = [ANSWER, ECHO, (CORPUS / "v10" / "answer-csn-v4.xml").read_bytes()]
    sources = [Source(f"a{i}.xml", data) for i, data in enumerate(answers_v10 * 2)]
    result = validate_sources(sources, Options())
    assert all("SSBT-PAYLOAD" in message.rules_run for message in result.messages)
    answer_bindings = [b.agency for b in builtin_packs()[10].payloads if b.direction == "answer"]
    assert sorted(asked) == sorted(answer_bindings)
    validate_sources([Source("r.xml", REQUEST), Source("r2.xml", REQUEST)], Options())
    assert sorted(asked) == sorted([*answer_bindings, "FK"])


# ---------------------------------------------------------------- FK version of an answer


def _counting_child(monkeypatch) -> list[tuple[str, ...]]:
    steps: list[tuple[str, ...]] = []
    real = rules_nested.child
    monkeypatch.setattr(rules_nested, "child", lambda element, *names: steps.append(names) or real(element, *names))
    return steps


def test_an_answer_with_the_echoed_question_still_finds_its_fk_version(monkeypatch):
    steps = _counting_child(monkeypatch)
    context = _context(ECHO)
    found = rules_nested._fk_version(context)
    assert found is not None and found.text == "v9"
    # the echoed fraga through the payload_child memo (SSBT-TIDSPERIOD and SSBT-ANSWER-ECHO read it again), its
    # version from its first child node (_version_of), without a step of child
    assert steps == [("specifikaFrageparametrar", "FK", "fraga")]
    assert context.shared["payload-children"][("fraga",)] is child(context.message.payload, "fraga")


@pytest.mark.parametrize(
    "change",
    [
        # the name only in a comment and a text: the bytes hold it, so the tree is asked (and has none)
        lambda data: data.replace(b"<ssbt:svarsdata>", b"<!-- specifikaFrageparametrar --><ssbt:svarsdata>", 1),
        # UTF-16: its bytes do not spell the name in ASCII, so the tree is asked
        lambda data: data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"', 1).encode("utf-16"),
        lambda data: data,
    ],
)
@pytest.mark.parametrize("path", ["v10/answer-echo-fraga.xml", "v11/answer-echo-fraga.xml", "v10/answer-minimal.xml"])
def test_the_fk_version_of_an_answer_is_what_the_five_steps_find(path, change):
    data = change((CORPUS / path).read_bytes())
    context = _context(data)
    long_way = child(context.message.payload, "fraga", "specifikaFrageparametrar", "FK", "fraga", "version")
    assert rules_nested._fk_version(context) is long_way


def test_every_corpus_answers_fk_version_is_what_the_five_steps_find():
    for path in sorted(CORPUS.glob("v1*/*answer*.xml")) + sorted(CORPUS.glob("v1*/invalid-echo*.xml")):
        context = _context(path.read_bytes())
        if context.message.direction != "answer":
            continue
        long_way = child(context.message.payload, "fraga", "specifikaFrageparametrar", "FK", "fraga", "version")
        assert rules_nested._fk_version(context) is long_way, path.name


# ---------------------------------------------------------------- CSN schemaVersion

_VERSIONS = st.one_of(
    st.sampled_from(["3", "3.0", "03.00", " 3.0", "3.0 ", "3.0.0", "x", "4", "4.0", "4.00", "3e0", "30e-1", "3_0"]),
    st.text(alphabet="0123456789.e-+_ x٣", max_size=6),
)


@given(_VERSIONS, st.sampled_from([*(model.schema_version for model in builtin_models().csn.values()), "3"]))
def test_a_schema_version_compared_as_written_first_agrees_with_the_numeric_comparison(declared, expected):
    assert rules_nested._same_version(declared, expected) == (
        rules_nested._decimal(declared) == rules_nested._decimal(expected)
    )


CSN_RULE = tuple(rule for rule in MESSAGE_RULES if rule.id == "SSBT-CSN-MODEL")


def _with_schema_version(value: str) -> bytes:
    document = base64.b64decode(_carried(ANSWER, b"svar"))
    assert b'schemaVersion="3.0"' in document
    changed = document.replace(b'schemaVersion="3.0"', b'schemaVersion="' + value.encode() + b'"', 1)
    return ANSWER.replace(_carried(ANSWER, b"svar").encode(), base64.b64encode(changed), 1)


@given(_VERSIONS)
@example("3.0")
@example("3")
@example("3.0.0")
def test_the_csn_version_warning_fires_where_the_numeric_comparison_says_they_disagree(declared):
    """The whole rule on the corpus's v3.0 answer: the warning iff the stripped value is there and its number
    differs from the model's (the verdict the numeric comparison alone gave)."""
    [message] = validate_sources([Source("a.xml", _with_schema_version(declared))], Options(rules=CSN_RULE)).messages
    warned = [f for f in message.findings if f.rule == "SSBT-CSN-VERSION"]
    stripped = declared.strip()
    assert bool(warned) == bool(stripped and rules_nested._decimal(stripped) != rules_nested._decimal("3.0"))


def test_a_schema_version_written_as_the_model_writes_it_is_not_converted(monkeypatch):
    converted = []
    real = rules_nested._decimal
    monkeypatch.setattr(rules_nested, "_decimal", lambda text: converted.append(text) or real(text))
    [message] = validate_sources([Source("a.xml", ANSWER)], Options(rules=CSN_RULE)).messages
    assert "SSBT-CSN-MODEL" in message.rules_run and not message.findings
    assert converted == []
    validate_sources([Source("a.xml", _with_schema_version("03.00"))], Options(rules=CSN_RULE))
    assert converted == ["03.00", "3.0"]


# ---------------------------------------------------------------- the usual XML declaration


@given(st.sampled_from(nested._USUAL_DECLARATIONS), st.binary(max_size=40))
def test_a_usual_declaration_is_one_the_plain_utf8_pattern_takes(declaration, rest):
    """The prefix compare stands for the pattern only where the pattern would say the same (no sniffing)."""
    assert nested._PLAIN_UTF8.match(declaration + rest)


def test_a_csn_document_with_the_usual_declaration_is_not_matched_against_the_pattern(monkeypatch):
    tried = []
    real = nested._PLAIN_UTF8

    class Spy:
        def match(self, raw):
            tried.append(raw[:40])
            return real.match(raw)

    monkeypatch.setattr(nested, "_PLAIN_UTF8", Spy())
    [message] = validate_sources([Source("a.xml", ANSWER)], Options()).messages
    assert {"SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD"} <= set(message.rules_run)
    assert message.verdict.value == "conforms" and tried == []
    document = base64.b64decode(_carried(ANSWER, b"svar"))
    latin = document.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"', 1)
    other = ANSWER.replace(_carried(ANSWER, b"svar").encode(), base64.b64encode(latin), 1)
    validate_sources([Source("a.xml", other)], Options())
    assert tried == [latin[:40]]


# ---------------------------------------------------------------- JSON read by orjson where it reads what hooks read

#: names drawn from few so that objects repeat them; colons and quotes in them are what the member count must see past
_NAMES = st.sampled_from(["a", "b", "a:b", ":", 'q"', "q\\", "é", "personnummer"])
#: numbers as written: ordinary, at and past the edges of a double and of 64 bits, and what JSON has not
_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    # decimals with more digits than a double holds, each run short enough for orjson: rounded alike?
    st.from_regex(r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(
        ["-0", "-0.0", "1E2", "1e400", "-1e400", "1.0e-400", "5e-324", "1.7976931348623159e308", "9007199254740993",
         "18446744073709551615", "18446744073709551616", "-9223372036854775809", "12345678901234567890.5",
         "1" * 320, "NaN", "Infinity", "-Infinity", "01", "1.", "+1"]
    ),
)  # fmt: skip
#: pieces of a string's content as written: plain text, characters JSON must escape, escapes of every kind (a colon
#: and a quote escaped as \u, both halves of a surrogate pair alone and together), a raw control character
_PIECES = st.sampled_from(
    ["x", ":", " : ", "\\\"", "\\\":", "\\\\", "\\/", "\\n", "é", "😀", "\u2028", "\\u003a", "\\u003A", "\\u0022:",
     "\\u00e9", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\\\ud800", "\x01", "1234567890123456789"]
)  # fmt: skip
_SPACE = st.sampled_from(["", "", " ", "\n", "\r\n\t", "\x0c"])


@st.composite
def _json_texts(draw) -> bytes:
    """JSON texts as senders write them and get them wrong: names given twice, whitespace anywhere (before a colon
    too), every escape, numbers no double or 64-bit integer holds, NaN, nesting, a byte order mark, trailing text."""

    def string(value) -> str:
        return '"' + value + '"'

    def value(depth: int) -> str:
        kind = draw(st.integers(0, 6 if depth < 4 else 3))
        if kind == 0:
            return draw(_NUMBERS)
        if kind == 1:
            return draw(st.sampled_from(["true", "false", "null"]))
        if kind in (2, 3):
            return string("".join(draw(st.lists(_PIECES, max_size=4))))
        if kind == 4:
            return "[" + ",".join(draw(_SPACE) + value(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "]"
        members = []
        for _ in range(draw(st.integers(0, 4))):
            name = draw(st.one_of(_NAMES.map(lambda name: name.replace("\\", "\\\\").replace('"', '\\"')), _PIECES))
            members.append(draw(_SPACE) + string(name) + draw(_SPACE) + ":" + draw(_SPACE) + value(depth + 1))
        return "{" + ",".join(members) + draw(_SPACE) + "}"

    text = draw(st.sampled_from(["", "", "\ufeff"])) + draw(_SPACE) + value(0) + draw(_SPACE)
    text += draw(st.sampled_from(["", "", "", "x", "{}", "\x00"]))
    raw = text.encode("utf-8", "surrogatepass")
    # bytes that are no UTF-8 (a lone byte, a cut sequence, an encoded surrogate, an overlong form), anywhere
    bad = draw(st.sampled_from([b"", b"", b"", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]))
    at = draw(st.integers(0, len(raw)))
    return raw[:at] + bad + raw[at:]


def _json_outcome(raw: bytes, reader, limits=DEFAULT_LIMITS) -> object:
    """What SSBT-PAYLOAD makes of an FK document's bytes with ``reader`` as orjson (False: the hooks alone):
    the finding, or the document written out with its types (1, 1.0 and True are equal in Python)."""
    binding = nested.PayloadBinding("FK", "answer", "x", "base64", "json")
    saved = nested._orjson, nested._standard_json_left
    nested._orjson, nested._standard_json_left = reader, 0
    try:
        found = nested._decode_json(binding, etree_element(), raw, limits, "a.xml")
    finally:
        nested._orjson, nested._standard_json_left = saved
    return repr(found.document) if isinstance(found, Payload) else found


def etree_element():
    from lxml import etree

    return etree.fromstring(b"<lefiJsonSvar/>")


#: the default depth limit, and limits a document can pass or exceed with orjson's writing limit on either side
_DEPTHS = st.sampled_from([DEFAULT_LIMITS.max_depth, 1, 2, 3, nested._ORJSON_DEPTH - 1, nested._ORJSON_DEPTH])


@given(_json_texts(), _DEPTHS)
@example(b'{"a":1,"a":2}', 256)
@example(b'{"a" :1,"a":"x:y"}', 256)
@example(b'{"a":"\\u003a","a":"\\u003a"}', 256)
@example(b'{"a:":1,"a:":1}', 256)
@example(b'["\\udc00"]', 256)
@example(b"[18446744073709551616]", 256)
@example(b'["\xed\xa0\x80"]', 256)
@example(b'\xef\xbb\xbf{"a":1}', 256)
@example(b"[" * 300 + b"]" * 300, 256)
@example(b"[" * 1100 + b"]" * 1100, 256)
@example(b"[" * 254 + b"]" * 254, 254)
@example(b"[" * 254 + b"]" * 254, 253)
def test_json_read_by_orjson_is_what_the_checking_hooks_read(raw, depth):
    """Where orjson's document is taken, it is the standard decoder's to the type; everywhere else the standard
    decoder decides, so every finding and its words are the ones the hooks gave (names twice, NaN, a number past
    a double, half a surrogate pair, a byte order mark, nesting past the limit, text after the document)."""
    import orjson

    limits = replace(DEFAULT_LIMITS, max_depth=depth)
    assert _json_outcome(raw, orjson, limits) == _json_outcome(raw, False, limits)


def test_orjson_writes_back_no_deeper_than_the_nesting_its_documents_are_trusted_with():
    """An FK document orjson wrote back is not walked for its depth where the limit is at least orjson's own."""
    import orjson
    import pytest

    orjson.dumps(orjson.loads(b"[" * nested._ORJSON_DEPTH + b"]" * nested._ORJSON_DEPTH))
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(orjson.loads(b"[" * (nested._ORJSON_DEPTH + 1) + b"]" * (nested._ORJSON_DEPTH + 1)))


#: JSON values as orjson writes them back: names that repeat and hold colons, integers to 64 bits and past, floats
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_NAMES | st.text(max_size=4), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON_VALUES, st.sampled_from(["", " ", "\n"]))
@example({"a": 18446744073709551616}, "")
@example([-9223372036854775809, 1e300, "\u003a"], "")
@example({"a:b": ":", ":": [1.5, -0.0]}, "")
def test_a_text_as_orjson_writes_it_is_read_as_the_checking_hooks_read_it(value, space):
    """The texts _fast_json takes without searching them, being orjson's own writing of what it read, and the same
    texts with a space: the document (or finding) is the standard decoder's with its hooks."""
    import orjson

    try:
        raw = orjson.dumps(value)
    except orjson.JSONEncodeError:  # an integer past 64 bits: orjson writes none, a sender may
        raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")
    raw = raw.replace(b",", b"," + space.encode())
    assert _json_outcome(raw, orjson) == _json_outcome(raw, False)


def test_an_ordinary_lefi_answer_is_taken_from_orjson_without_searching_its_text(monkeypatch):
    """An FK answer is written as orjson writes it: the comparison with orjson's writing settles it, and the
    searches of the text (an escaped colon, a run of 19 digits, the colons) are not made."""
    import orjson

    searched: list[bytes] = []
    real = nested._read_alike
    monkeypatch.setattr(nested, "_orjson", orjson)
    monkeypatch.setattr(nested, "_read_alike", lambda raw, written: searched.append(raw) or real(raw, written))
    [message] = validate_sources([Source("a.xml", ANSWER)], Options()).messages
    assert "SSBT-LEFI-MODEL" in message.rules_run and message.verdict.value == "conforms" and searched == []
    spaced = b'{"utlamnare": []}'
    assert nested._fast_json(spaced) == {"utlamnare": []} and searched == [spaced]


def test_an_ordinary_lefi_answer_is_read_by_orjson_alone(monkeypatch):
    """Once loaded, orjson reads an FK answer without the standard decoder and its Python call per object."""
    import orjson

    def refused(text):
        raise AssertionError("the standard decoder read an ordinary LEFI answer")

    monkeypatch.setattr(nested, "_orjson", orjson)
    monkeypatch.setattr(nested._JSON, "decode", refused)
    monkeypatch.setattr(nested._JSON_LONG_NUMBERS, "decode", refused)
    monkeypatch.setattr(nested, "_has_lone_surrogate", refused)  # orjson refuses half a pair itself
    monkeypatch.setattr(nested, "_json_too_deep", refused)
    [message] = validate_sources([Source("a.xml", ANSWER)], Options()).messages
    assert "SSBT-LEFI-MODEL" in message.rules_run and message.verdict.value == "conforms"
    twice = ANSWER.replace(
        _carried(ANSWER, b"lefiJsonSvar").encode(), base64.b64encode(b'{"utlamnare":[],"utlamnare":[]}'), 1
    )
    monkeypatch.undo()
    monkeypatch.setattr(nested, "_orjson", orjson)
    [message] = validate_sources([Source("a.xml", twice)], Options()).messages
    assert [f.rule for f in message.findings] == ["SSBT-PAYLOAD-JSON"]  # the count sent it to the hooks


def test_orjson_is_loaded_only_by_a_run_that_decodes_enough_json_to_pay_for_it(monkeypatch):
    """Its import costs a one-message run more than it saves; past that many bytes a run uses it."""
    import orjson

    monkeypatch.setattr(nested, "_orjson", None)
    monkeypatch.setattr(nested, "_standard_json_left", nested._STANDARD_JSON_FIRST)
    [message] = validate_sources([Source("a.xml", ANSWER)], Options()).messages
    assert message.verdict.value == "conforms" and nested._orjson is None  # one answer: the standard library alone
    read = []
    real = orjson.loads
    monkeypatch.setattr(orjson, "loads", lambda raw: read.append(raw) or real(raw))
    monkeypatch.setattr(nested, "_standard_json_left", 1)
    [message] = validate_sources([Source("a.xml", ANSWER)], Options()).messages
    assert message.verdict.value == "conforms" and nested._orjson is orjson and len(read) == 1
