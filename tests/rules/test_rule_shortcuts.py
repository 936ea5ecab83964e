"""The message rules' shortcuts find what the long way finds, and keep saving the work they save.

Each shortcut (rules/elements.py, the date caches, the one-pass reads of a MIV decision, a period's end and
the ingivare's organisationsnummer) is compared with the lxml call it replaces on hostile shapes (any
namespace, comments and processing instructions between the elements, repeated names), and counted where
it remembers something.
"""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.message import child, parse, text_of
from ssbtek_validator.rules import MESSAGE_RULES, agency_answers, elements, request
from ssbtek_validator.rules.base import Context

from ..conftest import CORPUS

NAMES = ["a", "b", "From", "Tom", "giltighetstid", "tomDatum", "arendeTyp", "organisationsnummer"]
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
def test_first_children_finds_what_child_finds(root):
    found = elements.first_children(root)
    for name in NAMES:
        assert found.get(name) is child(root, name)
    assert elements.first_children(None) == {}


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


@given(trees)
def test_the_organisationsnummer_scan_finds_what_iterfind_finds(general):
    """SSBT-ORGNR's C scan with a grandparent check, against the ElementPath it replaced."""
    expected = list(general.iterfind("{*}*/{*}organisationsnummer"))
    got = [e for e in general.iterdescendants("{*}organisationsnummer") if e.getparent().getparent() is general]
    assert got == expected


@given(trees)
def test_a_periods_end_is_the_sibling_itersiblings_finds(root):
    for start in root.iter(etree.Element):
        for end in ("Tom", "tomDatum", "a"):
            assert agency_answers._end_of(start, end) is next(start.itersiblings("{*}" + end), None)


@given(trees)
def test_one_pass_over_a_miv_decision_reads_what_three_lookups_read(svar):
    revoked = any(
        text_of(e).strip().startswith("ÅTK") for e in svar if e.tag in ("arendeTyp", "beslutsTyp", "beslutsKod")
    )
    expected = (next(svar.iterchildren("giltighetstid"), None), next(svar.iterchildren("tomDatum"), None), revoked)
    got = agency_answers._validity_fields(svar)
    assert got[0] is expected[0] and got[1] is expected[1] and got[2] == expected[2]


class _CountingPattern:
    def __init__(self, pattern):
        self.pattern, self.calls = pattern, 0

    def fullmatch(self, text):
        self.calls += 1
        return self.pattern.fullmatch(text)


def test_a_date_seen_before_is_not_parsed_again(monkeypatch):
    """SSBT-TIDSPERIOD and SSBT-ANSWER-PERIOD read each distinct date text once per process (bounded)."""
    for module, pattern, cached, rule_id, data in (
        (request, "_XS_DATE", request._calendar_date, "SSBT-TIDSPERIOD", REQUEST),
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
