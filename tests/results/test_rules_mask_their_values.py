"""The findings our rules write whole mask every value of the message they quote, so the run searches only the
other findings' texts (a library's message, the engine's) for the message's values.

``masking.toml`` lists those rules (``masks_its_values``). The claim is checked the hard way: a name is put in
every field (each element's text, each attribute) of every message of the corpus, one at a time, and no
finding of the run may show it; the listed findings must not show it even with the run's search switched off.
A spy shows the search is skipped when every finding is a listed one, and made when one is not.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from functools import cache
from unittest.mock import patch

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.results.masking import _quoting, masks_its_values
from ssbtek_validator.results.model import Finding, MessageResult
from ssbtek_validator.rules.catalog import known_ids
from ssbtek_validator.run import driver
from ssbtek_validator.run.driver import Options, validate_message

from ..conftest import CORPUS

OPTIONS = Options(as_of=date(2026, 11, 1), coverage=False)
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


@cache
def _messages() -> tuple[tuple[str, bytes], ...]:
    """Every XML message of the corpus that parses, by its corpus path."""
    found = []
    for path in sorted(CORPUS.rglob("*.xml")):
        raw = path.read_bytes()
        try:
            etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError:
            continue
        found.append((str(path.relative_to(CORPUS)), raw))
    return tuple(found)


def _fields(raw: bytes) -> list[tuple[int, str | None]]:
    """(index of an element in document order, None for its text or the name of one of its attributes)."""
    tree = etree.fromstring(raw, _PARSER)
    fields: list[tuple[int, str | None]] = []
    for index, element in enumerate(tree.iter()):
        if not isinstance(element.tag, str):
            continue
        if element.text and element.text.strip() and len(element) == 0:
            fields.append((index, None))
        fields.extend((index, name) for name in element.attrib)
    return fields


def _with_value(raw: bytes, field: tuple[int, str | None], value: str) -> bytes:
    tree = copy.deepcopy(etree.fromstring(raw, _PARSER))
    index, attribute = field
    element = list(tree.iter())[index]
    if attribute is None:
        element.text = value
    else:
        element.set(attribute, value)
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


def _variants(value: str) -> Iterator[tuple[str, bytes]]:
    for name, raw in _messages():
        for field in _fields(raw):
            yield name, _with_value(raw, field, value)


def _run(name: str, data: bytes) -> MessageResult:
    return validate_message(Source(name, data), OPTIONS, builtin_packs())


def _shown(result: MessageResult, value: str) -> list[tuple[str, str]]:
    """(rule, text) of each finding text of ``result`` that shows ``value``."""
    texts = [(finding.rule, text) for finding in result.findings for text in (finding.message, finding.value or "")]
    texts.append(("detection", result.detection.reason))
    return [(rule, text) for rule, text in texts if value in text]


def _shows(finding: Finding, value: str) -> bool:
    return value in finding.message or value in (finding.value or "")


NAME = "Tolvan Tolvansson"


def test_the_listed_rules_mask_a_name_in_any_field_without_the_search():
    """With the run's search of the message's values switched off, no listed finding (nor an SSBT-XSD finding of
    a listed shape) shows a name put in any field of any corpus message. It fails when a listed rule quotes a
    value it does not mask (as five rules did: a LEFI version, a förmån code, the echoed
    fraganSkallInkluderasISvaret, a MIV tomDatum, FK fraga/version)."""
    leaks = []
    with patch.object(driver, "secrets_pattern", lambda values, within=None: None):
        for name, data in _variants(NAME):
            result = _run(name, data)
            leaks.extend(
                (name, finding.rule, finding.message)
                for finding in result.findings
                if masks_its_values(finding.rule, finding.message) and _shows(finding, NAME)
            )
    assert not leaks, leaks[:5]


def test_the_search_is_not_vacuous():
    """The variants do make the listed rules quote the name when they are told to show values: the test above
    would see a leak."""
    shown = set()
    options = Options(as_of=date(2026, 11, 1), coverage=False, show_values=True)
    for name, data in _variants(NAME):
        result = validate_message(Source(name, data), options, builtin_packs())
        shown.update(rule for rule, _ in _shown(result, NAME) if masks_its_values(rule))
    assert {"SSBT-FK-VERSION", "SSBT-LEFI-VERSION", "SSBT-ANSWER-ECHO", "SSBT-MIV-VALIDITY"} <= shown


@st.composite
def _personal_values(draw: st.DrawFn) -> str:
    """Names and words a message may hold about a person: capitalised, Swedish letters, one to three words."""
    word = st.from_regex(r"[A-ZÅÄÖ][a-zåäöé]{2,11}", fullmatch=True)
    name = " ".join(draw(st.lists(word, min_size=1, max_size=3)))
    # a quote or a schema message's own words in a value must not let a shape of SSBT-XSD's texts hide it
    tail = draw(st.sampled_from(["", "'s", " O'Brien", "' is not a valid value of the atomic type 'xs:date", "'}"]))
    return name + tail


@given(
    message=st.sampled_from(range(10_000)),
    field=st.sampled_from(range(10_000)),
    value=_personal_values(),
)
def test_no_finding_shows_a_personal_value_put_in_a_field(message: int, field: int, value: str):
    """The whole run, as it masks: no finding (listed or searched) shows a personal value put in a field."""
    name, raw = _messages()[message % len(_messages())]
    fields = _fields(raw)
    if not fields:
        return
    result = _run(name, _with_value(raw, fields[field % len(fields)], value))
    assert not _shown(result, value)


def test_every_listed_id_is_a_rule_and_library_texts_are_searched():
    listed, prefixes, shapes = _quoting()
    assert listed <= known_ids() and set(shapes) <= known_ids() and not set(shapes) & listed
    assert all(any(known.startswith(prefix) for known in known_ids()) for prefix in prefixes)
    # libxml2 quotes a message's values in more shapes than scrub_text knows; the engine's findings quote the
    # message's namespace, faultcode, mustUnderstand: all searched
    for searched in ("SSBT-XSD", "SSBT-SOAP", "SSBT-SOAP-FAULT", "SSBT-VERSION", "SSBT-WELLFORMED", "SSBT-NEW-RULE"):
        assert not masks_its_values(searched)


def _reads(data: bytes) -> int:
    """How often the run read the message's values for one message."""
    calls = []
    real = driver.message_values

    def spy(root, size=None):
        calls.append(1)
        return real(root, size)

    with patch.object(driver, "message_values", spy):
        _run("m.xml", data)
    return len(calls)


def test_the_values_are_read_only_for_a_searched_finding():
    """A message whose findings are all listed is not searched (~45 µs a message in a batch); one with an
    SSBT-XSD finding is, and a name an xsi:type quotes is masked in it."""
    codes_only = (CORPUS / "v10" / "invalid-csn-stodform-unknown.xml").read_bytes()
    findings = _run("m.xml", codes_only).findings
    assert findings and all(masks_its_values(finding.rule) for finding in findings)
    assert _reads(codes_only) == 0

    request = (CORPUS / "v10" / "request-full.xml").read_bytes()
    typed = request.replace(b"<ssbt:hamtaBastjanstInformation", b'<ssbt:hamtaBastjanstInformation xsi:type="Tolvan"', 1)
    typed = typed.replace(
        b"<soapenv:Envelope", b'<soapenv:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"', 1
    )
    result = _run("m.xml", typed)
    assert any(finding.rule == "SSBT-XSD" for finding in result.findings)
    assert _reads(typed) == 1
    assert not _shown(result, "Tolvan")


@pytest.mark.parametrize("name", ["SSBT-CODE-CSN-STODFORM", "SSBT-CODE-LEFI9-PM-KONTOTYP"])
def test_code_list_ids_are_listed_by_prefix(name: str):
    assert masks_its_values(name)


def test_every_schema_message_of_the_corpus_has_a_listed_shape():
    """A change of SSBT-XSD's wording (or a libxml2 that words a message anew) shows here, not as a slower run."""
    messages = {
        finding.message
        for name, raw in _messages()
        for finding in _run(name, raw).findings
        if finding.rule == "SSBT-XSD"
    }
    assert len(messages) >= 10
    assert [message for message in messages if not masks_its_values("SSBT-XSD", message)] == []


@pytest.mark.parametrize(
    "text",
    [
        # libxml2 quotes an xsi:type QName in a message of no listed shape
        "ssbt:hamtaBastjanstInformation @xsi:type: The QName value 'Tolvan' of the xsi:type attribute does not "
        "resolve to a type definition.",
        # a value holding a quote: scrub_text cannot tell where it ends, and the shape breaks
        "ssbt:fromDatum: 'Tol'van' is not a valid value of the atomic type 'xs:date'.",
        "ssbt:kalla: [facet 'enumeration'] The value '•' is not an element of the set {'a'}' is not an element of the "
        "set {'SSBT', 'BT'}.",
        "ssbt:x: [facet 'pattern'] The value '•' is not accepted by the pattern '•' is not accepted by the pattern "
        "'[0-9]'.",
        # a value where a name stands
        "ssbt:SO: The attribute 'Tolvan Tolvansson' is required but missing.",
        "Tolvan Tolvansson: This element is not expected.",
    ],
)
def test_a_schema_message_of_another_shape_is_searched(text: str):
    assert not masks_its_values("SSBT-XSD", text)


@pytest.mark.parametrize("value", ["Tol'van Tolvansson", "Tolvan' is not Nisse", "O'Brien"])
@pytest.mark.parametrize("field", [b"personidentitet", b"frageTidpunkt", b"ordningsnummer"])
def test_a_value_holding_a_quote_is_masked_in_a_schema_message(value: str, field: bytes):
    """scrub_text cannot tell where such a value ends in libxml2's message; the shape breaks, the text is searched."""
    request = (CORPUS / "v10" / "request-full.xml").read_bytes()
    start = request.index(b"<ssbt:" + field + b">") + len(field) + 7
    end = request.index(b"</ssbt:" + field + b">")
    quoted = value.replace("'", "&apos;").encode()
    result = _run("m.xml", request[:start] + quoted + request[end:])
    assert any(finding.rule == "SSBT-XSD" for finding in result.findings)
    names = [word for word in value.replace("'", " ").split() if word[0].isupper() and len(word) > 3]
    assert not _shown(result, value) and not any(_shown(result, name) for name in names)
