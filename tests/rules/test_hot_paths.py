"""The per-message shortcuts keep doing their job: each test fails if its shortcut stops saving the work it saves.

Speed itself is measured by benchmarks/bench_throughput.py, not asserted here; these tests count the work
(walks, parses, decodings) a message costs, with spies, and check that a shortcut gives what the long way gives.
"""

from __future__ import annotations

import base64

from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import JSON_MARKERS, XML_MARKERS, count_markers, parse
from ssbtek_validator.reading.nested import NodeBudget
from ssbtek_validator.rules import xsd
from ssbtek_validator.run.driver import Options, validate_sources

from ..conftest import CORPUS

ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
REQUEST = (CORPUS / "v10" / "request-full.xml").read_bytes()


def _run(data: bytes, **options):
    [message] = validate_sources([Source("msg.xml", data)], Options(**options)).messages
    return message


# ---------------------------------------------------------------- SSBT-XSD


def test_a_message_known_small_by_its_length_is_validated_whole_without_counting_or_cutting(monkeypatch):
    """Counting a payload's nodes and walking it for a cut cost as much as validating a message of a few kB;
    a message whose length alone bounds its nodes under one step needs neither."""

    def refused(*args, **kwargs):
        raise AssertionError("a small payload was counted or walked for a cut")

    monkeypatch.setattr(xsd, "_cut_after", refused)
    monkeypatch.setattr(xsd, "_NODES", refused)
    broken = ANSWER.replace(b"<ssbt:frageTidpunkt>2026-10-14T", b"<ssbt:frageTidpunkt>yesterday ", 1)
    assert broken != ANSWER
    assert not [f for f in _run(ANSWER).findings if f.rule == "SSBT-XSD"]
    assert [f for f in _run(broken).findings if f.rule == "SSBT-XSD"]


def test_the_node_count_in_c_is_the_count_of_elements_and_their_attributes():
    """_NODES replaces a Python walk; both must count the same nodes (comments, PIs and xmlns are no nodes)."""
    for data in (ANSWER, REQUEST, b'<a xmlns:p="urn:p" x="1" p:y="2"><!-- c --><?pi d?><b z="3"/>text<c/></a>'):
        root = parse(Source("msg.xml", data)).root
        walked = sum(1 + len(element.attrib) for element in root.iter(etree.Element))
        assert int(xsd._NODES(root)) == walked


def test_a_message_of_unknown_size_is_still_cut_by_the_count(monkeypatch):
    """Without a bound the count decides: a payload over one step is validated in prefixes."""
    cuts = []
    real = xsd._cut_after

    def spy(payload, keep, most):
        cuts.append(keep)
        return real(payload, keep, most)

    monkeypatch.setattr(xsd, "_cut_after", spy)
    monkeypatch.setattr(xsd, "_STEP", 20)
    payload = parse(Source("msg.xml", REQUEST)).payload
    schema = builtin_packs()[10].schema()
    assert xsd.schema_errors(schema, payload, 1001) == []
    assert cuts and cuts[0] == 20


# ---------------------------------------------------------------- SSBT-ANSWER-ECHO


def test_one_answer_is_not_normalised_for_a_pairing_that_does_not_happen(monkeypatch):
    """SSBT-ANSWER-ECHO reads korrelationsid and the echo flag; the normalised question (a walk of all of it)
    is for pairing only, and a single answer's check must not build it, while its verdict stays."""
    from ssbtek_validator.rules import exchange

    echo = (CORPUS / "v10" / "answer-echo-fraga.xml").read_bytes()
    walked = []
    real = exchange._normalise
    monkeypatch.setattr(exchange, "_normalise", lambda element: walked.append(element) or real(element))
    assert "SSBT-ANSWER-ECHO" in _run(echo).rules_run
    assert walked == []
    other = echo.replace(b"<ssbt:korrelationsid>", b"<ssbt:korrelationsid>X", 1)
    assert [f.rule for f in _run(other).findings if f.rule == "SSBT-ANSWER-ECHO"]
    assert walked == []
    side = exchange.side_of(parse(Source("a.xml", echo)))  # pairing still gets the whole question
    assert side.echoed is not None and walked


# ---------------------------------------------------------------- nested documents


def test_a_csn_model_finds_its_compiled_schema_without_building_paths(monkeypatch):
    """Its schema is looked up by the model's own entry path: compile_schema, keyed by (entry, root) with a
    root built anew per call, is not asked again once the schema is compiled."""
    from ssbtek_validator.packs import nested_models

    model = nested_models.builtin_models().csn["http://schema.csn.se/v3.0/kommunfraga"]
    compiled = model.schema()

    def refused(*args, **kwargs):
        raise AssertionError("compile_schema asked again for a compiled CSN model")

    monkeypatch.setattr(nested_models, "compile_schema", refused)
    assert model.schema() is compiled


def _count_decodings(monkeypatch) -> list:
    from ssbtek_validator.reading import nested

    decoded = []
    real = nested._decode

    def spy(binding, element, *args):
        decoded.append((binding.agency, element))
        return real(binding, element, *args)

    monkeypatch.setattr(nested, "_decode", spy)
    return decoded


def test_each_nested_document_is_decoded_and_parsed_once_however_many_rules_read_it(monkeypatch):
    """SSBT-PAYLOAD, the CSN, SKV and LEFI models and the code lists all read the decoded documents of a
    message: one decoding (base64, then a second parse or JSON) each, shared through the rule context."""
    decoded = _count_decodings(monkeypatch)
    message = _run(ANSWER)
    for rule in ("SSBT-PAYLOAD", "SSBT-CODE", "SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD", "SSBT-LEFI-MODEL"):
        assert rule in message.rules_run
    assert sorted(agency for agency, _ in decoded) == ["CSN", "FK", "SKV"]
    assert len({id(element) for _, element in decoded}) == 3


def test_no_nested_document_is_decoded_when_no_rule_that_reads_one_is_enabled(monkeypatch):
    from ssbtek_validator.rules import MESSAGE_RULES

    readers = {"SSBT-PAYLOAD", "SSBT-CODE", "SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD", "SSBT-LEFI-MODEL"}
    decoded = _count_decodings(monkeypatch)
    others = tuple(rule for rule in MESSAGE_RULES if rule.id not in readers)
    message = _run(ANSWER, rules=others)
    assert "SSBT-XSD" in message.rules_run and "SSBT-ANSWER-ECHO" in message.rules_run
    assert decoded == []
    _run(ANSWER, rules=others + tuple(rule for rule in MESSAGE_RULES if rule.id == "SSBT-LEFI-MODEL"))
    assert decoded  # the spy sees decodings when a reader is on


def test_an_ordinary_messages_documents_are_charged_to_the_node_budget_without_counting(monkeypatch):
    """Twice a document's length bounds its node count: counting its bytes (a scan per marker) is for a
    message near the node limit only."""
    from ssbtek_validator.reading import nested

    def refused(*args):
        raise AssertionError("an ordinary message's nested document was counted")

    monkeypatch.setattr(nested, "count_markers", refused)
    assert not [f for f in _run(ANSWER).findings if f.rule == "SSBT-LIMIT"]


@given(
    budget=st.integers(min_value=0, max_value=400),
    documents=st.lists(st.tuples(st.binary(max_size=120), st.sampled_from([XML_MARKERS, JSON_MARKERS])), max_size=8),
)
def test_the_node_budget_trips_where_counting_every_document_would(budget, documents):
    """The bound-first budget gives each document the verdict exact counting in document order gives."""
    charged = NodeBudget(budget)
    left = budget
    for data, markers in documents:
        left -= count_markers(data, markers)
        assert charged.spend(data, markers) == (left >= 0)


def test_one_json_decoder_serves_every_payload_and_a_bom_is_still_refused(monkeypatch):
    import base64
    import json

    def refused(self, *args, **kwargs):
        raise AssertionError("a JSON decoder was built for a payload")

    monkeypatch.setattr(json.JSONDecoder, "__init__", refused)
    assert "SSBT-LEFI-MODEL" in _run(ANSWER).rules_run
    monkeypatch.undo()
    with_bom = base64.b64encode('\ufeff{"utlamnare": []}'.encode()).decode()
    start = ANSWER.index(b"<ssbt:lefiJsonSvar>") + len(b"<ssbt:lefiJsonSvar>")
    broken = ANSWER[:start] + with_bom.encode() + ANSWER[ANSWER.index(b"</ssbt:lefiJsonSvar>") :]
    [finding] = [f for f in _run(broken).findings if f.rule == "SSBT-PAYLOAD-JSON"]
    assert "starts with a byte order mark" in finding.message and "RFC 8259, section 8.1" in finding.message


_BASE64_PIECES = st.one_of(
    st.binary(max_size=40).map(lambda data: base64.b64encode(data).decode()),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=8),
    st.sampled_from([" ", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\xa0", "\u2028", "\u3000"]),
    st.sampled_from(["-", "_", "*", "é", "==", "=A", "\x00"]),
)


def _outcome(decode, text):
    import binascii

    try:
        return decode(text)
    except (binascii.Error, ValueError):
        return "refused"


@given(st.lists(_BASE64_PIECES, max_size=12).map("".join), st.booleans())
def test_base64_decoded_as_it_is_first_gives_what_the_compact_text_gives(text, loaded):
    """The text is decoded before its whitespace is taken out, by pybase64 once a run has loaded it: the
    bytes, or the refusal, are those of the standard library's strict decoding of the compact text, whatever
    the whitespace (ASCII or not) and wherever the padding."""
    import pybase64

    from ssbtek_validator.reading import nested

    expected = _outcome(lambda text: base64.b64decode("".join(text.split()), validate=True), text)
    saved = nested._pybase64, nested._standard_left
    nested._pybase64, nested._standard_left = (pybase64, 0) if loaded else (None, 1 << 60)
    try:
        assert _outcome(nested._base64, text) == expected
    finally:
        nested._pybase64, nested._standard_left = saved


_QUANTA = st.lists(
    st.one_of(
        st.binary(min_size=1, max_size=6).map(lambda data: base64.b64encode(data).decode()),
        st.sampled_from(["=", "==", "===", "A", "AB", "ABC", "A=", "AB=", "ABC=", "A==B"]),
    ),
    max_size=6,
).map("".join)


@given(_QUANTA)
@example("V7KP==")
@example("ZkdA=")
@example("QQ==QQ==")
def test_pybase64_is_trusted_where_it_accepts_and_the_standard_library_decides_where_it_refuses(text):
    """pybase64 refuses padding the standard library's strict mode lets pass (``V7KP==``): its refusal is
    checked with the standard library; what it accepts, it decodes to the same bytes."""
    import pybase64

    from ssbtek_validator.reading import nested

    expected = _outcome(lambda text: base64.b64decode(text, validate=True), text)
    fast = _outcome(lambda text: pybase64.b64decode(text, validate=True), text)
    assert fast in (expected, "refused")
    saved = nested._pybase64, nested._standard_left
    nested._pybase64, nested._standard_left = pybase64, 0
    try:
        assert _outcome(nested._strict_base64, text) == expected
    finally:
        nested._pybase64, nested._standard_left = saved


def test_pybase64_is_loaded_only_by_a_run_that_decodes_enough_base64_to_pay_for_it(monkeypatch):
    """Its import costs a one-message run more than it saves; past that many characters a run uses it."""
    import pybase64

    from ssbtek_validator.reading import nested

    monkeypatch.setattr(nested, "_pybase64", None)
    monkeypatch.setattr(nested, "_standard_left", nested._STANDARD_FIRST)
    assert _run(ANSWER).verdict.value == "conforms"
    assert nested._pybase64 is None  # one answer: the standard library alone
    used = []
    real = pybase64.b64decode
    monkeypatch.setattr(pybase64, "b64decode", lambda *args, **kwargs: used.append(args) or real(*args, **kwargs))
    monkeypatch.setattr(nested, "_standard_left", 1)
    assert _run(ANSWER).verdict.value == "conforms"
    assert nested._pybase64 is pybase64 and len(used) == 2  # the CSN and FK payloads


def test_a_one_line_base64_payload_is_not_split_and_joined(monkeypatch):
    from ssbtek_validator.reading import nested

    split = []
    real = nested._without_whitespace
    monkeypatch.setattr(nested, "_without_whitespace", lambda text: split.append(text) or real(text))
    message = _run(ANSWER)
    assert "SSBT-PAYLOAD" in message.rules_run and message.verdict.value == "conforms"
    assert split == []
    start = ANSWER.index(b"<ssbt:lefiJsonSvar>") + len(b"<ssbt:lefiJsonSvar>")
    wrapped = ANSWER[:start] + b"\n" + ANSWER[start : start + 76] + b"\r\n " + ANSWER[start + 76 :]
    assert _run(wrapped).findings == _run(ANSWER).findings  # line breaks are still no part of the data


_DIGIT_RUNS = st.one_of(
    st.binary(max_size=30),
    st.integers(min_value=0, max_value=330).map(lambda length: b"7" * length),
    st.text(alphabet="0123456789", min_size=300, max_size=320).map(str.encode),
)


@given(st.lists(_DIGIT_RUNS, max_size=6).map(b"".join))
def test_a_long_run_of_digits_is_found_where_the_regular_expression_finds_it(raw):
    """The translated search stands for ``[0-9]{310}``: a run of that length anywhere, and only there."""
    import re

    from ssbtek_validator.reading import nested

    assert nested._has_long_digit_run(raw) == bool(re.search(rb"[0-9]{%d}" % nested._DOUBLE_DIGITS, raw))


def test_an_ordinary_lefi_answer_is_decoded_without_looking_at_each_integer(monkeypatch):
    """Integers are read one by one in Python only where a run of digits could be a number past a double."""
    from ssbtek_validator.reading import nested

    read = []
    real = nested._JSON_LONG_NUMBERS

    class Spy:
        def decode(self, text):
            read.append(text)
            return real.decode(text)

    monkeypatch.setattr(nested, "_JSON_LONG_NUMBERS", Spy())
    message = _run(ANSWER)
    assert "SSBT-LEFI-MODEL" in message.rules_run and message.verdict.value == "conforms"
    assert read == []


def test_payload_finders_are_evaluated_without_exslt_regular_expressions():
    """lxml registers EXSLT's re:test, re:match and re:replace in each evaluation unless told not to."""
    import pytest

    from ssbtek_validator.reading import nested

    exslt = "http://exslt.org/regular-expressions"
    root = etree.fromstring(b"<a/>")
    assert etree.XPath("ssbt:test('a', 'a')", namespaces={"ssbt": exslt})(root) is True  # what the default costs
    with pytest.raises(etree.XPathError):
        nested.PayloadBinding("FK", "request", "ssbt:test('a', 'a')", "base64", "json").finder(exslt)(root)


def test_a_message_without_lefi_version_or_document_does_not_look_up_the_lefi_models(monkeypatch):
    """SSBT-LEFI-MODEL runs on every request and answer; with no FK/fraga/version and no FK document it has
    nothing to say, and says it without looking up the models. A version without a document is still judged."""
    from ssbtek_validator.rules import nested as rules_nested

    looked = []
    real = rules_nested._models
    monkeypatch.setattr(rules_nested, "_models", lambda context: looked.append(context) or real(context))
    minimal = (CORPUS / "v10" / "request-minimal.xml").read_bytes()
    message = _run(minimal)
    assert "SSBT-LEFI-MODEL" in message.rules_run and looked == []
    assert _run(REQUEST).verdict.value == "conforms" and looked
    start, end = REQUEST.index(b"<ssbt:lefiJsonFraga>"), REQUEST.index(b"</ssbt:lefiJsonFraga>")
    bare = REQUEST[:start] + REQUEST[end + len(b"</ssbt:lefiJsonFraga>") :]
    unknown = bare.replace(b"<ssbt:version>v9</ssbt:version>", b"<ssbt:version>v8</ssbt:version>")
    assert [f.rule for f in _run(unknown).findings if f.rule == "SSBT-FK-VERSION"] == ["SSBT-FK-VERSION"]


def test_a_requests_fk_block_is_looked_up_once_for_the_lefi_model_and_the_fk_question_rule(monkeypatch):
    """SSBT-LEFI-MODEL reads FK/fraga/version through the payload_child memo, so SSBT-FK-FRAGA (and
    SSBT-INKLUDERA) get specifikaFrageparametrar/FK from it instead of a second walk of lxml iterators."""
    from ssbtek_validator.rules import agency_answers, elements, exchange, request
    from ssbtek_validator.rules import nested as rules_nested

    steps: list[tuple[str, ...]] = []
    for module in (agency_answers, elements, exchange, request, rules_nested):
        real = module.child
        monkeypatch.setattr(
            module, "child", lambda element, *names, real=real: steps.append(names) or real(element, *names)
        )
    message = _run(REQUEST)
    assert {"SSBT-LEFI-MODEL", "SSBT-FK-FRAGA"} <= set(message.rules_run)
    assert message.verdict.value == "conforms"
    assert [names for names in steps if "FK" in names] == [("FK",)]


def test_an_answers_echoed_fraga_is_looked_up_once_for_the_rules_that_read_it(monkeypatch):
    """SSBT-LEFI-MODEL, SSBT-TIDSPERIOD and SSBT-ANSWER-ECHO each read the fraga an answer echoes; it is looked
    up once (payload_child's memo), not once per rule, whether the answer echoes its question or not."""
    from ssbtek_validator.rules import agency_answers, elements, exchange, request
    from ssbtek_validator.rules import nested as rules_nested

    steps: list[tuple[str, ...]] = []
    for module in (agency_answers, elements, exchange, request, rules_nested):
        real = module.child
        monkeypatch.setattr(
            module, "child", lambda element, *names, real=real: steps.append(names) or real(element, *names)
        )
    for path in ("v10/answer-echo-fraga.xml", "v10/answer-minimal.xml", "v11/answer-echo-fraga.xml"):
        steps.clear()
        message = _run((CORPUS / path).read_bytes())
        assert {"SSBT-LEFI-MODEL", "SSBT-TIDSPERIOD", "SSBT-ANSWER-ECHO"} <= set(message.rules_run), path
        assert message.verdict.value == "conforms", path
        assert [names for names in steps if names[0] == "fraga"] == [("fraga",)], path


def test_a_valid_lefi_document_gets_no_error_list_and_an_invalid_one_is_validated_once(monkeypatch):
    """The common case is answered by the validator's yes; errors are listed and sorted only for a no, and
    the no is not asked again before its errors are listed."""
    from ssbtek_validator.packs.nested_models import builtin_models
    from ssbtek_validator.rules import nested as rules_nested

    listed, asked = [], []
    real = rules_nested._errors
    monkeypatch.setattr(rules_nested, "_errors", lambda errors: listed.append(1) or real(errors))
    model = builtin_models().lefi_default().fraga
    real_validator = model.validator

    class Counting:
        def is_valid(self, document):
            asked.append(1)
            return real_validator.is_valid(document)

        def iter_errors(self, document):
            return real_validator.iter_errors(document)

    monkeypatch.setattr(model, "validator", Counting())
    assert _run(REQUEST).verdict.value == "conforms" and listed == [] and asked == [1]
    start = REQUEST.index(b"<ssbt:lefiJsonFraga>") + len(b"<ssbt:lefiJsonFraga>")
    end = REQUEST.index(b"</ssbt:lefiJsonFraga>")
    broken = REQUEST[:start] + base64.b64encode(b'{"unknown": 1}') + REQUEST[end:]
    assert [f.rule for f in _run(broken).findings if f.rule.startswith("SSBT-LEFI")]
    assert listed == [1] and asked == [1, 1]


# ---------------------------------------------------------------- pairing (--pairs, certify)


def test_a_request_kept_for_pairing_holds_its_whole_question_only_when_it_asks_for_the_echo(monkeypatch):
    """Only SSBT-PAIR-FRAGA compares a request's whole question, and only when the request asked for the echo
    (fraganSkallInkluderasISvaret true): most requests do not, and normalising every one of them was ~30% of
    what --pairs adds to a message, and kept a copy of each question until the run's end. A request that asks for
    the echo keeps it, and an altered echo is still found."""
    from ssbtek_validator.reading.message import parse
    from ssbtek_validator.rules import exchange

    walked: list[str] = []
    real = exchange._normalise
    monkeypatch.setattr(exchange, "_normalise", lambda element: walked.append(element.tag) or real(element))
    plain = exchange.side_of(parse(Source("r.xml", REQUEST)))
    assert plain.echo_wanted is False and plain.question is None and walked == []
    asking = exchange.side_of(parse(Source("e.xml", (CORPUS / "v10" / "request-echo-fraga.xml").read_bytes())))
    assert asking.echo_wanted is True and asking.question is not None and walked
    from ssbtek_validator.run.driver import validate_pair

    answer = Source("a.xml", (CORPUS / "pairs" / "answer-echo-fraga-altered.xml").read_bytes())
    request = Source("e.xml", (CORPUS / "v10" / "request-echo-fraga.xml").read_bytes())
    [judged] = validate_pair(request, answer, Options(), builtin_packs()).exchanges
    assert [finding.rule for finding in judged.findings] == ["SSBT-PAIR-FRAGA"]


def test_the_places_kept_for_pairing_share_their_paths():
    """Every answer kept for pairing holds the same few paths (its agency blocks, its korrelationsid): kept once
    each, not once per message (a quarter of what --pairs keeps a message)."""
    from ssbtek_validator.reading.message import parse
    from ssbtek_validator.rules import exchange

    first, second = (exchange.side_of(parse(Source(f"a{n}.xml", ANSWER))) for n in (1, 2))
    assert first.answered and first.answered.keys() == second.answered.keys()
    for agency, place in first.answered.items():
        assert place.path == second.answered[agency].path and place.path is second.answered[agency].path
    assert first.korrelationsid[1].path is second.korrelationsid[1].path
