"""The message rules' shortcuts find what the long way finds, and keep saving the work they save.

Each shortcut (rules/elements.py, the date caches, the one-pass reads of a MIV decision, a period's end and
the ingivare's organisationsnummer) is compared with the lxml call it replaces on hostile shapes (any
namespace, comments and processing instructions between the elements, repeated names), and counted where
it remembers something.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.message import boolean, child, parse, text_of
from ssbtek_validator.rules import MESSAGE_RULES, agency_answers, elements, exchange, request
from ssbtek_validator.rules.base import Context

from ..conftest import CORPUS

NAMES = ["a", "b", "From", "Tom", "giltighetstid", "fromDatum", "tomDatum", "arendeTyp", "organisationsnummer"]
NAMES += ["anledning"]  # a reason SSBT-MIV-REASON looks for
NAMESPACES = [None, "urn:x", "urn:y"]


def _tag(name: str, namespace: str | None) -> str:
    return f"{{{namespace}}}{name}" if namespace else name


#: an element's children: elements (of a few names, in any namespace, nested a little) and other nodes
nodes = st.recursive(
    st.one_of(
        st.builds(
            lambda n, ns, text: ("element", _tag(n, ns), text, []),
            st.sampled_from(NAMES),
            st.sampled_from(NAMESPACES),
            st.sampled_from(["", "2026-01-01", " ÅTK-UT ", "x"]),
        ),
        st.just(("comment", None, "", [])),
        st.just(("pi", None, "", [])),
    ),
    lambda inner: st.builds(
        lambda n, ns, kids: ("element", _tag(n, ns), "", kids),
        st.sampled_from(NAMES),
        st.sampled_from(NAMESPACES),
        st.lists(inner, max_size=5),
    ),
    max_leaves=20,
)


def _build(parent: etree._Element, children: list) -> etree._Element:
    for kind, tag, text, kids in children:
        if kind == "comment":
            parent.append(etree.Comment("c"))
        elif kind == "pi":
            parent.append(etree.ProcessingInstruction("p", "d"))
        else:
            element = etree.SubElement(parent, tag)
            element.text = text or None
            _build(element, kids)
    return parent


trees = st.lists(nodes, max_size=8).map(lambda children: _build(etree.Element("root"), children))


@given(trees)
def test_each_shortcut_finds_what_the_lxml_call_it_replaces_finds(root):
    """One generated tree for all of them (the trees are the slow part): any namespace, comments and PIs
    between the elements, names repeated."""
    for element in root.iter(etree.Element):
        found = elements.first_children(element)
        for name in NAMES:
            assert found.get(name) is child(element, name)
        # SSBT-TIDSPERIOD: a period's two dates, by index when they are its only two children
        assert request._bounds(element) == (child(element, "fromDatum"), child(element, "tomDatum"))
        # SSBT-ORGNR: a C scan with a grandparent check for ElementPath's "{*}*/{*}organisationsnummer"
        expected = list(element.iterfind("{*}*/{*}organisationsnummer"))
        assert [
            e for e in element.iterdescendants("{*}organisationsnummer") if e.getparent().getparent() is element
        ] == expected
        # SSBT-ANSWER-PERIOD: a period's end
        for end in ("Tom", "tomDatum", "a"):
            assert agency_answers._end_of(element, end) is next(element.itersiblings("{*}" + end), None)
        # SSBT-MIV-VALIDITY and SSBT-MIV-REASON: one filtered pass over a decision's fields (unqualified names
        # only, as the Python loop over every field compared them), the codes read apart
        revoked = any(
            text_of(e).strip().startswith("ÅTK") for e in element if e.tag in ("arendeTyp", "beslutsTyp", "beslutsKod")
        )
        kind, until, reasons = agency_answers.decision_fields(element)
        assert kind is next((e for e in element if e.tag == "giltighetstid"), None)
        assert until is next((e for e in element if e.tag == "tomDatum"), None)
        assert reasons == [e for e in element if e.tag in ("anledning", "anledningNamn")]
        assert agency_answers.revoked(element) == revoked
    assert elements.first_children(None) == {}
    # SSBT-ANSWER-ECHO: the agency blocks of an echoed question
    parameters = etree.SubElement(root, "{urn:x}specifikaFrageparametrar")
    _build(parameters, [("element", "{urn:y}SKV", "", []), ("comment", None, "", []), ("element", "FK", "", [])])
    for tag in ("{*}*", "{*}SKV", "{*}a"):
        assert list(exchange.agency_blocks(root, tag)) == list(root.iterfind("{*}specifikaFrageparametrar/" + tag))


def _context(data: bytes) -> Context:
    message = parse(Source("msg.xml", data))
    pack = builtin_packs()[int(message.namespace.rsplit("/", 1)[1])]
    return Context(message, pack, None, DEFAULT_LIMITS, date(2026, 11, 1))


REQUEST = (CORPUS / "v10" / "request-full.xml").read_bytes()
ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()


@given(
    st.lists(
        st.sampled_from(
            ["generellaFrageparametrar", "specifikaFrageparametrar", "tidsperiod", "CSN", "fromDatum", "nothing"]
        ),
        min_size=1,
        max_size=4,
    )
)
def test_payload_child_finds_what_child_finds(names):
    context = _context(REQUEST)
    for _ in range(2):  # the remembered answer too
        assert elements.payload_child(context, *names) is child(context.message.payload, *names)


def test_a_period_of_two_dates_is_read_without_a_pass_over_its_children(monkeypatch):
    """The request's periods are each exactly fromDatum, tomDatum: read by index, first_children is not asked."""
    monkeypatch.setattr(request, "first_children", lambda element: pytest.fail("a pass over a period's children"))
    context = _context(REQUEST)
    periods = list(context.message.payload.iter("{*}tidsperiod"))
    assert len(periods) >= 4
    assert all(request._bounds(period)[0] is not None for period in periods)
    [rule] = [r for r in MESSAGE_RULES if r.id == "SSBT-TIDSPERIOD"]
    assert list(rule.check(context)) == []


def test_an_agency_included_as_true_is_settled_without_reading_the_boolean(monkeypatch):
    """SSBT-INKLUDERA reads inkludera="true" as written; anything else still goes through boolean()."""
    read: list[object] = []
    real = request.boolean
    monkeypatch.setattr(request, "boolean", lambda text: read.append(text) or real(text))
    [rule] = [r for r in MESSAGE_RULES if r.id == "SSBT-INKLUDERA"]
    context = _context(REQUEST)
    assert list(rule.check(context)) == []
    flags = [e.get("inkludera") for e in elements.payload_child(context, "specifikaFrageparametrar") if len(e)]
    assert flags.count("true") >= 4 and read == [flag for flag in flags if flag != "true"]
    # an agency with no child node carries nothing: not even its flag is read
    read.clear()
    minimal = _context((CORPUS / "v10" / "request-minimal.xml").read_bytes())
    blocks = list(elements.payload_child(minimal, "specifikaFrageparametrar"))
    assert sum(e.get("inkludera") == "false" and not len(e) for e in blocks) >= 5
    assert list(rule.check(minimal)) == [] and read == []
    for carried, found in ((b"<ssbt:tidsperiod/>", 1), (b"<!--c-->", 0)):  # an element is carried; a comment not
        data = REQUEST.replace(
            b'<ssbt:CSN inkludera="true"/>', b'<ssbt:CSN inkludera="false">' + carried + b"</ssbt:CSN>"
        )
        assert len(list(rule.check(_context(data)))) == found
    for flag in ("false", " 0 ", "1"):  # other spellings are read as before
        read.clear()
        data = REQUEST.replace(b'inkludera="true"', f'inkludera="{flag}"'.encode(), 1)
        findings = list(rule.check(_context(data)))
        assert read[0] == flag and bool(findings) == (flag != "1")


def test_the_request_rules_look_each_block_up_once_per_message(monkeypatch):
    """Before the memo, specifikaFrageparametrar alone was looked up seven times for one request."""
    looked_up: list[str] = []
    real = elements.child

    def counting(element, *names):
        looked_up.extend(names)
        return real(element, *names)

    monkeypatch.setattr(elements, "child", counting)
    context = _context(REQUEST)
    wanted = ("SSBT-PERSONID", "SSBT-ORGNR", "SSBT-ARENDEID-CSN", "SSBT-FK-FRAGA", "SSBT-INKLUDERA")
    for rule in MESSAGE_RULES:
        if rule.id in wanted and rule.applies(context):
            list(rule.check(context))
    assert looked_up.count("specifikaFrageparametrar") == 1
    assert looked_up.count("generellaFrageparametrar") == 1
    assert looked_up.count("CSN") == 1


def test_a_code_one_any_namespace_step_below_its_parent_is_placed_by_that_parent():
    """CSN's codes (``.//*[local-name()='Resultat']/*[local-name()='ResultatKod']`` …) count only below the parent
    their path names. The selection itself is held to XPath's by tests/packs/test_codelists.py."""
    from ssbtek_validator.packs.codelists import Binding
    from ssbtek_validator.rules import code_lookup

    xpath = ".//*[local-name()='Resultat']/*[local-name()='ResultatKod']"
    paths = code_lookup.ElementPaths([Binding("SSBT-CODE-X", ("x",), (8,), ("answer",), True, "s", xpath=xpath)], {})
    root = etree.fromstring(
        b"<a xmlns='urn:csn'><Resultat><ResultatKod>0</ResultatKod></Resultat><b><ResultatKod>1</ResultatKod></b></a>"
    )
    assert [code for _, _, code in paths.collect(root, {"SSBT-CODE-X": {}}, [])] == ["0"]


class _CountingPattern:
    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def fullmatch(self, text):
        self.calls += 1
        return self.pattern.fullmatch(text)


def test_a_date_seen_before_is_not_parsed_again(monkeypatch):
    """SSBT-TIDSPERIOD and SSBT-ANSWER-PERIOD read each distinct date text once per process (bounded)."""
    for module, pattern, cached, rule_id, data in (
        (request, "_XS_DATE", request._remembered_date, "SSBT-TIDSPERIOD", REQUEST),
        (agency_answers, "_PLAIN_DATE", agency_answers._day_of, "SSBT-ANSWER-PERIOD", ANSWER),
    ):
        counting = _CountingPattern(getattr(module, pattern))
        monkeypatch.setattr(module, pattern, counting)
        cached.cache_clear()
        [rule] = [r for r in MESSAGE_RULES if r.id == rule_id]
        first = list(rule.check(_context(data)))
        parsed = counting.calls
        assert parsed > 0
        assert list(rule.check(_context(data))) == first
        assert counting.calls == parsed, rule_id


# ---------------------------------------------------------------- one answer's exchange facts


def _places(side):
    """A side's facts with every place as (line, path), however it was worked out."""

    def place(spot):
        return (spot.line, spot.path)

    def fact(found):
        return None if found is None else (found[0], place(found[1]))

    return (
        place(side.where),
        fact(side.korrelationsid),
        fact(side.frage_tidpunkt),
        fact(side.echo_flag),
        side.echo_wanted,
        side.included,
        {name: place(spot) for name, spot in side.answered.items()},
        side.skv_asked,
        {name: place(spot) for name, spot in side.skv_answered.items()},
    )


def test_facts_placed_on_demand_are_placed_where_the_pairing_facts_are():
    compared = 0
    for path in sorted(CORPUS.glob("v1*/*.xml")):
        message = parse(Source(path.name, path.read_bytes()))
        if message.payload is None or message.direction not in ("request", "answer"):
            continue
        assert _places(exchange.side_of(message, pairing=False)) == _places(exchange.side_of(message)), path.name
        echoed = exchange.echoed_question(message)
        if echoed is not None:
            eager = exchange.Side(message.name)
            exchange._question_facts(eager, exchange.child(message.payload, "fraga"), normalised=False)
            assert _places(echoed)[1:] == _places(eager)[1:], path.name
            compared += 1
    assert compared >= 2  # the v10 and v11 answers that echo fraga


def test_an_answer_that_echoes_fraga_makes_no_path_for_findings_it_does_not_have(monkeypatch):
    """Twenty element paths (~1.3 µs each) were two thirds of SSBT-ANSWER-ECHO on such an answer."""
    paths: list[object] = []
    monkeypatch.setattr(exchange, "element_path", lambda element: paths.append(element) or "/")
    [rule] = [r for r in MESSAGE_RULES if r.id == "SSBT-ANSWER-ECHO"]
    context = _context((CORPUS / "v10" / "answer-echo-fraga.xml").read_bytes())
    assert rule.applies(context)
    assert exchange.echoed_question(context.message) is not None
    assert list(rule.check(context)) == []
    assert paths == []


def test_the_date_caches_keep_no_long_value():
    """A hostile megabyte in a date field is read, not kept (1024 of them would be a gigabyte)."""
    request._remembered_date.cache_clear()
    agency_answers._day_of.cache_clear()
    year = "2" * 100_000
    assert request._calendar_date(f"{year}-01-01") is request._NOT_A_CALENDAR_DATE
    assert request._remembered_date.cache_info().currsize == 0
    assert request._calendar_date("2026-09-01") == date(2026, 9, 1)
    assert request._remembered_date.cache_info().currsize == 1
    assert agency_answers._day(etree.fromstring(f"<From>{year}-01-01</From>")) is None
    assert agency_answers._day(etree.fromstring("<From> 2026-09-01+02:00 </From>")) == date(2026, 9, 1)
    assert agency_answers._day_of.cache_info().currsize == 1


def test_the_two_miv_rules_read_each_decision_once_and_its_codes_only_for_a_finding(monkeypatch):
    """SSBT-MIV-REASON and SSBT-MIV-VALIDITY share one pass per decision, and a decision's three codes (is it a
    revocation?) are read only for one that would draw SSBT-MIV-VALIDITY's finding."""
    passes: list[object] = []
    asked: list[object] = []
    real_pass, real_revoked = agency_answers.decision_fields, agency_answers.revoked
    monkeypatch.setattr(agency_answers, "decision_fields", lambda svar: passes.append(svar) or real_pass(svar))
    monkeypatch.setattr(agency_answers, "revoked", lambda svar: asked.append(svar) or real_revoked(svar))
    rules = [r for r in MESSAGE_RULES if r.id in ("SSBT-MIV-REASON", "SSBT-MIV-VALIDITY")]
    context = _context(ANSWER)
    assert [finding for rule in rules for finding in rule.check(context)] == []
    decisions = list(next(context.message.payload.iter("svarCollection")).iterchildren("svar"))
    assert passes == decisions and len(decisions) >= 2 and asked == []
    # a permanent permit with an end date draws the finding, unless the decision revokes it
    permanent = (CORPUS / "v10" / "invalid-miv-permanent-with-tomdatum.xml").read_bytes()
    for code, found in ((b"PUT", 1), (b"\xc3\x85TK-PUT", 0)):
        asked.clear()
        data = permanent.replace(b"<beslutsTyp>PUT</beslutsTyp>", b"<beslutsTyp>" + code + b"</beslutsTyp>")
        assert len(list(rules[1].check(_context(data)))) == found and len(asked) == 1


#: an agency block of a question: its name, namespace, inkludera, and its fraga's parts (None: no fraga)
blocks = st.tuples(
    st.sampled_from(["SKV", "FK", "AF"]),
    st.sampled_from(NAMESPACES),
    st.sampled_from([None, "true", " true ", "1", "false", "TRUE"]),
    st.one_of(st.none(), st.dictionaries(st.sampled_from((*request.SKV_PARTS, "ar")), st.sampled_from(["true", "0"]))),
)


def _question(parameters: list[list[tuple]]) -> etree._Element:
    question = etree.Element("{urn:x}fraga")
    for blocks_here in parameters:
        holder = etree.SubElement(question, "{urn:y}specifikaFrageparametrar")
        holder.append(etree.Comment("c"))
        for name, namespace, flag, parts in blocks_here:
            block = etree.SubElement(holder, _tag(name, namespace), {"inkludera": flag} if flag is not None else {})
            if parts is not None:
                fraga = etree.SubElement(block, _tag("fraga", namespace))
                for part, value in parts.items():
                    etree.SubElement(fraga, _tag(part, namespace)).text = value
    return question


@given(st.lists(st.lists(blocks, max_size=4), max_size=2))
def test_a_question_s_agencies_and_skv_parts_are_read_in_one_pass_as_the_long_way_reads_them(parameters):
    """Several specifikaFrageparametrar, SKV blocks in any namespace, the first without a fraga: which agencies
    are included and which SKV parts are asked are what ElementPath's lookups and boolean() say."""
    question = _question(parameters)
    side = exchange.Side("q")
    exchange._question_facts(side, question, normalised=False)
    found = question.iterfind("{*}specifikaFrageparametrar/{*}*")
    assert side.included == {e.tag.rpartition("}")[2]: boolean(e.get("inkludera")) is True for e in found}
    fraga = next(iter(question.iterfind("{*}specifikaFrageparametrar/{*}SKV/{*}fraga")), None)
    asked = {
        e.tag.rpartition("}")[2]: boolean(text_of(e)) is True
        for e in (fraga if fraga is not None else ())
        if e.tag.rpartition("}")[2] in request.SKV_PARTS
    }
    assert side.skv_asked == asked


def test_a_question_s_agency_blocks_are_passed_over_once(monkeypatch):
    """The SKV block's fraga is taken in the pass that reads every agency's inkludera (a second pass over the
    blocks cost ~1 µs an answer that echoes its question)."""
    passes: list[str] = []
    real = exchange.agency_blocks
    monkeypatch.setattr(exchange, "agency_blocks", lambda question, *tag: passes.append(tag) or real(question, *tag))
    answer = (CORPUS / "v11" / "answer-echo-fraga.xml").read_bytes()
    echoed = exchange.echoed_question(parse(Source("a.xml", answer)))
    assert echoed is not None and echoed.skv_asked and passes == [()]
    # and inkludera="true" as written is included without boolean()'s strip and lookup
    monkeypatch.setattr(request, "boolean", lambda text: pytest.fail(f"boolean({text!r}) asked"))
    assert request.included(etree.fromstring('<SKV inkludera="true"/>')) is True


# ---------------------------------------------------------------- child's one-child-node shortcut


def _iterator_child(element, *names):
    """``child`` as it was defined: an lxml iterator per step."""
    for name in names:
        if element is None:
            return None
        element = next(element.iterchildren("{*}" + name), None)
    return element


@given(trees, st.lists(st.sampled_from(NAMES), min_size=1, max_size=3))
def test_child_finds_what_an_iterator_per_step_finds(root, names):
    """Hostile shapes: any namespace, comments and PIs as the only child node or beside it, names repeated."""
    for element in root.iter(etree.Element):
        assert child(element, *names) is _iterator_child(element, *names)


class _CountingElement(etree.ElementBase):
    """An element that records every iterchildren asked of it."""

    asked: ClassVar[list[tuple]] = []

    def iterchildren(self, *args, **kwargs):
        _CountingElement.asked.append(args)
        return super().iterchildren(*args, **kwargs)


@pytest.mark.parametrize(
    "only",
    [
        "<!--fromDatum-->",
        "<?fromDatum x?>",
        "&amp2;",
        "<x:fromDatum xmlns:x='urn:x'/>",
        "<fromDatum/>",
        "<x:x xmlns:x='urn:fromDatum'/>",
        "<fromDatumX/>",
        "text <fromDatum/>",
    ],
)
def test_child_reads_a_one_child_node_element_without_an_iterator(only):
    """The shortcut keeps doing its job: an element with one child node is answered without iterchildren, and
    agrees with it whatever the node is (text beside an element is no node: still one child)."""
    parser = etree.XMLParser(resolve_entities=False)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=_CountingElement))
    doctype = "<!DOCTYPE p [<!ENTITY amp2 'x'>]>"
    parent = etree.fromstring(f"{doctype}<p>{only}</p>".encode(), parser)
    assert len(parent) == 1
    expected = _iterator_child(parent, "fromDatum")
    _CountingElement.asked.clear()
    assert child(parent, "fromDatum") is expected
    assert _CountingElement.asked == []
    two = etree.fromstring(f"{doctype}<p>{only}<!--c--></p>".encode(), parser)
    assert child(two, "fromDatum") is _iterator_child(two, "fromDatum") and _CountingElement.asked


# ---------------------------------------------------------------- SSBT-LEFI-MODEL's version step

_fraga_children = st.lists(
    st.one_of(
        st.builds(
            lambda name, ns: ("element", _tag(name, ns), "v9", []),
            st.sampled_from(["version", "aktorsid", "lefiJsonFraga", "versionX"]),
            st.sampled_from(NAMESPACES),
        ),
        st.just(("comment", None, "", [])),
        st.just(("pi", None, "", [])),
    ),
    max_size=5,
)


@given(_fraga_children)
def test_a_questions_version_is_what_an_iterator_finds(children):
    """FK/fraga/version read from fraga's first child node when that is it: the same element an iterator over
    the children finds, whatever comes first (a comment, an instruction, another name or namespace, nothing)."""
    from ssbtek_validator.rules.nested import _version_of

    fraga = _build(etree.Element("fraga"), children)
    assert _version_of(fraga) is _iterator_child(fraga, "version")
    assert _version_of(None) is None


def test_a_questions_version_named_first_is_read_without_an_iterator():
    """The shortcut keeps doing its job: a fraga that names its version first (as a question does, before aktorsid
    and lefiJsonFraga) is answered without iterchildren; one that does not is asked of child as before."""
    from ssbtek_validator.rules.nested import _version_of

    parser = etree.XMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=_CountingElement))
    first = etree.fromstring(b"<fraga><version>v9</version><aktorsid>a</aktorsid><lefiJsonFraga/></fraga>", parser)
    _CountingElement.asked.clear()
    assert _version_of(first) is first[0] and _CountingElement.asked == []
    later = etree.fromstring(b"<fraga><aktorsid>a</aktorsid><version>v9</version></fraga>", parser)
    assert _version_of(later) is later[1] and _CountingElement.asked
