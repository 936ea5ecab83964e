"""The nested documents' shortcuts give what the long way gives, and keep saving the work they save.

Each one is held to the code it replaced on hostile shapes (agencies repeated, payloads that do not decode, both
formats, both SSBTEK versions' SKV), and counted where it remembers something or skips a step: the per-message
index of decoded documents (Context.decoded), the finders built once per pack and direction, CSN's schemaVersion
compared as written first, the usual XML declaration known without a pattern. The FK version an answer echoes is
held to the five steps that find it.
"""

from __future__ import annotations

import base64
import re
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
    real = context.payloads
    monkeypatch.setattr(context, "payloads", lambda: passes.append(1) or real())
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
    # the echoed fraga through the payload_child memo (SSBT-TIDSPERIOD and SSBT-ANSWER-ECHO read it again)
    assert steps == [("specifikaFrageparametrar", "FK", "fraga", "version")]
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
