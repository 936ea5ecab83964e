"""Verdicts a vendor can trust: what a message says is judged whatever way it is spelled.

- A comment inside a value changes nothing a rule sees; so does a processing instruction where one is allowed
  (in a bare payload and in nested documents: SOAP 1.1, section 3, forbids them in a SOAP message).
- Schema messages keep what libxml2 says was expected (enumerations, patterns).
- A namespace that is almost a pack's, or a forced pack that does not fit, is named as such.
- Absurd numbers are findings, never a crashed rule.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import Severity, validate
from ssbtek_validator.reading.message import integer, safe_parser, text_of
from ssbtek_validator.rules.xsd import _prefixed

CORPUS = Path(__file__).resolve().parent.parent.parent / "corpus"
#: One date for every run, so that "today" cannot differ between the two runs compared.
AS_OF = date(2026, 10, 14)


def _findings(data: bytes) -> list[tuple]:
    result = validate(data, as_of=AS_OF)
    return sorted(
        (f.rule, str(f.severity), f.path, f.message, f.value) for message in result.messages for f in message.findings
    )


@cache
def _messages() -> list[tuple[str, etree._ElementTree, int]]:
    """Corpus messages lxml reads, each with the number of its leaf elements that hold text."""
    found = []
    for path in sorted(CORPUS.glob("v*/*.xml")) + sorted(CORPUS.glob("pairs/*.xml")):
        try:
            root = etree.fromstring(path.read_bytes(), safe_parser())
        except etree.XMLSyntaxError:
            continue
        if root is None or root.getroottree().docinfo.doctype:
            continue
        leaves = _leaves(root)
        if leaves:
            found.append((str(path.relative_to(CORPUS)), root.getroottree(), len(leaves)))
    return found


def _copy(tree: etree._ElementTree) -> etree._ElementTree:
    """A copy to change, with its XML declaration, so that it keeps what the prolog says (an XML 1.1
    declaration is a finding of its own)."""
    return etree.ElementTree(
        etree.fromstring(etree.tostring(tree, encoding="UTF-8", xml_declaration=True), safe_parser())
    )


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter(etree.Element) if len(e) == 0 and e.text and e.text.strip()]


@cache
def _baseline(name: str) -> list[tuple]:
    tree = next(tree for known, tree, _ in _messages() if known == name)
    return _findings(etree.tostring(tree, encoding="UTF-8", xml_declaration=True))


@st.composite
def split_values(draw):
    """A corpus message with one leaf's text split by a comment or processing instruction."""
    name, tree, count = draw(st.sampled_from(_messages()))
    index = draw(st.integers(0, count - 1))
    copy = _copy(tree)
    element = _leaves(copy.getroot())[index]
    text = element.text
    at = draw(st.integers(0, len(text)))
    # SOAP 1.1 (section 3) forbids processing instructions in a SOAP message: only a bare payload may hold one
    nodes = [etree.Comment(""), etree.Comment(" hidden ")]
    if etree.QName(copy.getroot()).localname != "Envelope":
        nodes.append(etree.ProcessingInstruction("pi", "data"))
    node = draw(st.sampled_from(nodes))
    element.text, node.tail = text[:at] or None, text[at:] or None
    element.insert(0, node)
    return name, etree.tostring(copy, encoding="UTF-8", xml_declaration=True)


@given(split_values())
def test_a_comment_or_pi_inside_a_value_changes_no_finding(case):
    name, data = case
    assert _findings(data) == _baseline(name), name


def _nested(element: etree._Element) -> tuple[str, etree._ElementTree] | None:
    """The XML document an element carries (base64 as CSN's, or a string as SKV's v10 answer), if any."""
    text = (element.text or "").strip()
    if text.startswith("<"):
        kind, raw = "text", text.encode("utf-8")
    else:
        try:
            kind, raw = "base64", base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        root = etree.fromstring(raw, safe_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    return (kind, root.getroottree()) if root is not None and _leaves(root) else None


def _carry(kind: str, document: etree._ElementTree) -> str:
    raw = etree.tostring(document, encoding="UTF-8", xml_declaration=True)
    return base64.b64encode(raw).decode("ascii") if kind == "base64" else raw.decode("utf-8")


@cache
def _carriers() -> list[tuple[str, int]]:
    """(corpus message, index of a leaf carrying a nested XML document) for every such leaf."""
    return [
        (name, index)
        for name, tree, _ in _messages()
        for index, leaf in enumerate(_leaves(tree.getroot()))
        if _nested(leaf) is not None
    ]


def _with_nested(name: str, index: int, change) -> bytes:
    tree = next(tree for known, tree, _ in _messages() if known == name)
    copy = _copy(tree)
    carrier = _leaves(copy.getroot())[index]
    kind, document = _nested(carrier)
    change(document)
    carrier.text = _carry(kind, document)
    return etree.tostring(copy, encoding="UTF-8", xml_declaration=True)


@given(st.data())
def test_a_comment_or_pi_inside_a_nested_value_changes_no_finding(data):
    """The same inside the XML documents a message carries (CSN's base64 answer, SKV's v10 string)."""
    name, index = data.draw(st.sampled_from(_carriers()))
    leaves = _leaves(_nested(_leaves(next(t for n, t, _ in _messages() if n == name).getroot())[index])[1].getroot())
    leaf = data.draw(st.integers(0, len(leaves) - 1))
    at = data.draw(st.integers(0, len(leaves[leaf].text)))
    pi = data.draw(st.booleans())

    def split(document: etree._ElementTree) -> None:
        element = _leaves(document.getroot())[leaf]
        node = etree.ProcessingInstruction("pi", "data") if pi else etree.Comment(" hidden ")
        element.text, node.tail = element.text[:at] or None, element.text[at:] or None
        element.insert(0, node)

    assert _inner(_with_nested(name, index, split)) == _inner(_with_nested(name, index, lambda d: None)), name


def _split_every_leaf(document: etree._ElementTree, instructions: bool = True) -> None:
    """Every leaf split by a comment, every other one by a processing instruction where ``instructions``."""
    for number, element in enumerate(_leaves(document.getroot())):
        node = etree.ProcessingInstruction("pi", "data") if number % 2 and instructions else etree.Comment("")
        middle = len(element.text) // 2
        element.text, node.tail = element.text[:middle] or None, element.text[middle:] or None
        element.insert(0, node)


def test_every_value_split_at_once_changes_no_finding():
    """Every text value of every corpus message split by a comment or PI at once, outside and inside the
    nested documents: a deterministic sweep beside the random properties above."""
    for name, tree, _ in _messages():
        copy = _copy(tree)
        _split_every_leaf(copy, instructions=etree.QName(copy.getroot()).localname != "Envelope")
        assert _findings(etree.tostring(copy, encoding="UTF-8", xml_declaration=True)) == _baseline(name), name
    for name, index in _carriers():
        split = _with_nested(name, index, _split_every_leaf)
        assert _inner(split) == _inner(_with_nested(name, index, lambda d: None)), name


def _inner(data: bytes) -> list[tuple]:
    """The findings, for a message whose nested document was changed: a finding about the element that carries it
    quotes the carrier's whole text (masked as its length), which holds the document as written, comments and
    all, so its value (a length, outside the nested document: no "→" in its path) is left out; what each finding
    says is compared."""
    return [
        (rule, severity, path, message, None if value and value.startswith("•••(") and "→" not in path else value)
        for rule, severity, path, message, value in _findings(data)
    ]


def test_every_rule_family_reads_values_through_one_helper():
    """No rule reads ``.text`` (or findtext/itertext) on a message element directly: one helper does."""
    package = Path(__file__).resolve().parent.parent.parent / "ssbtek_validator"
    direct = re.compile(r"(?<!exc)\.text\b(?!\s*=)|findtext\(|itertext\(")  # exc.text: an HTTP error's text
    # the helper itself; the fuzzer writes text, it judges nothing
    allowed = {Path("reading/message.py"), Path("fuzz/run.py")}
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package) not in allowed and "strategies" not in path.parts and "report" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line) and "import" not in line
    ]
    assert offenders == []


def test_text_of_is_the_elements_own_text():
    element = etree.fromstring("<a>19<!-- x -->12<?pi y?>1212<b>no</b>1212</a>")
    assert text_of(element) == "191212121212"
    assert text_of(etree.fromstring("<a>plain</a>")) == "plain"
    assert text_of(etree.fromstring("<a/>")) == ""


# --- schema messages keep what was expected ------------------------------------------------------------


@pytest.mark.parametrize(
    "file, expected",
    [
        ("v10/invalid-kalla-xyz.xml", "the set {'SSBT', 'BT'}."),
        ("v10/invalid-tns-resultat-maybe.xml", "the set {'OK', 'FEL'}."),
        ("v10/invalid-personidentitet-11-digits.xml", "pattern '[0-9]{12}'"),
        ("v10/invalid-unknown-element-generella.xml", "Expected is ( ssbt:tidsperiod )."),
    ],
)
def test_schema_messages_keep_what_was_expected(file, expected):
    messages = [f.message for m in validate(CORPUS / file).messages for f in m.findings if f.rule == "SSBT-XSD"]
    assert any(expected in text for text in messages), messages


def test_prefix_rewrite_touches_only_clark_names():
    nsmap = {"http://example.invalid/ns": "ex"}
    assert _prefixed("Expected is ( {http://example.invalid/ns}a, {urn:other}b ).", nsmap) == "Expected is ( ex:a, b )."
    for kept in ("the set {'A', 'B'}.", r"pattern '\d{4}-\d{2}-\d{2}'.", "pattern '[A-Z]{2}x'."):
        assert _prefixed(kept, nsmap) == kept


# --- namespaces and forced packs -------------------------------------------------------------------------


def _minimal(namespace: str = "http://schema.forsakringskassan.se/integration/ssbt/10") -> bytes:
    text = (CORPUS / "v10/request-minimal.xml").read_text(encoding="utf-8")
    return text.replace("http://schema.forsakringskassan.se/integration/ssbt/10", namespace).encode()


@pytest.mark.parametrize("suffix", ["10/", "010", "0010/"])
def test_a_namespace_almost_a_packs_is_a_version_finding(suffix):
    namespace = f"http://schema.forsakringskassan.se/integration/ssbt/{suffix}"
    findings = validate(_minimal(namespace)).messages[0].findings
    assert [f.rule for f in findings] == ["SSBT-VERSION"]
    assert namespace in findings[0].message
    assert "http://schema.forsakringskassan.se/integration/ssbt/10:" in findings[0].message
    assert "validation root" not in findings[0].message


@pytest.mark.parametrize("version", [9])
def test_a_version_that_existed_between_two_packs_is_not_checked_rather_than_wrong(version):
    """v9 was real (before v10) but has no public contract: incomplete (exit 3), never nonconformant."""
    result = validate(_minimal(f"http://schema.forsakringskassan.se/integration/ssbt/{version}"))
    [message] = result.messages
    assert [f.rule for f in message.findings] == ["SSBT-VERSION-UNMODELLED"]
    assert str(message.verdict) == "incomplete" and result.exit_code == 3
    assert "--schemas" in message.findings[0].message


@pytest.mark.parametrize("version", [5, 12, 99])
def test_a_version_outside_the_packs_range_is_a_version_finding(version):
    result = validate(_minimal(f"http://schema.forsakringskassan.se/integration/ssbt/{version}"))
    assert [f.rule for f in result.messages[0].findings] == ["SSBT-VERSION"]
    assert result.exit_code == 1


def test_a_forced_pack_without_the_element_says_so():
    findings = validate(_minimal(), version=11).messages[0].findings
    assert [f.rule for f in findings] == ["SSBT-XSD"]
    assert "validation root" not in findings[0].message
    assert "ssbt-v11 has no element hamtaBastjanstInformation" in findings[0].message
    assert "--pack 11" in findings[0].message


# --- absurd numbers ---------------------------------------------------------------------------------------


def test_a_namespace_version_of_5000_digits_is_an_unknown_version():
    result = validate(_minimal("http://schema.forsakringskassan.se/integration/ssbt/" + "9" * 5000))
    findings = result.messages[0].findings
    assert [f.rule for f in findings] == ["SSBT-VERSION"]
    assert len(findings[0].message) < 400
    assert result.exit_code == 1


def test_an_skv_year_of_5000_digits_is_out_of_range():
    text = (CORPUS / "v11/request-skv-fraga.xml").read_text(encoding="utf-8")
    data = re.sub(r"<ssbt:ar>\d+</ssbt:ar>", "<ssbt:ar>" + "2" * 5000 + "</ssbt:ar>", text, count=1).encode()
    rules = [f.rule for f in validate(data).messages[0].findings]
    assert "SSBT-RULE-FAILED" not in rules
    assert "SSBT-SKV-FRAGA" in rules


@pytest.mark.parametrize("version", [7, 8, 10])
def test_an_skv_question_before_v11_is_said_to_be_v11s(version):
    """A v11 request sent in an older version's namespace: SSBT-XSD says only that SKV's content must be empty."""
    text = (CORPUS / "v10/invalid-v11-skv-fraga.xml").read_text(encoding="utf-8")
    data = text.replace("integration/ssbt/10", f"integration/ssbt/{version}").encode()
    said = [f.message for f in validate(data, as_of=AS_OF).messages[0].findings if f.rule == "SSBT-SKV-FRAGA"]
    assert len(said) == 1 and said[0].startswith("SKV/fraga is SSBTEK v11's question to SKV")
    assert f"in SSBTEK v{version} SKV carries no question" in said[0]


def test_an_empty_skv_before_v11_is_settled_without_running_the_rule():
    """The v10 shape, an empty SKV, costs the rule a lookup in applies(), not a run (~2.5 µs against ~9 a request)."""
    [message] = validate((CORPUS / "v10/request-full.xml").read_bytes(), as_of=AS_OF).messages
    assert message.verdict.value == "conforms" and "SSBT-SKV-FRAGA" not in message.rules_run


def test_an_skv_question_in_v11_is_no_version_finding():
    findings = validate((CORPUS / "v11/request-skv-fraga.xml").read_bytes(), as_of=AS_OF).messages[0].findings
    assert [f.rule for f in findings if f.severity is not Severity.INFO] == []


@pytest.mark.parametrize(
    "text, expected",
    [("2025", 2025), (" -3 ", -3), ("+7", 7), ("²", None), ("٢٠٢٥", None), ("1e3", None), ("", None)],
)
def test_integer_reads_ascii_integers_only(text, expected):
    assert integer(text) == expected


def test_integer_bounds_absurd_numbers_instead_of_converting_them():
    assert integer("9" * 5000) == 10**18
    assert integer("-" + "9" * 5000) == -(10**18)
    assert integer("0" * 5000 + "42") == 42


@pytest.mark.parametrize("days", ["9" * 5000, "²", "٣"])
def test_an_absurd_karens_day_count_is_no_crash(days):
    """antalDagar of 5,000 digits (past Python's int() limit) or a digit int() refuses: judged, not crashed."""
    text = (CORPUS / "v6/invalid-karens-period-lefi-4.xml").read_text(encoding="utf-8")
    text = text.replace("<lefi:antalDagar>3</lefi:antalDagar>", f"<lefi:antalDagar>{days}</lefi:antalDagar>")
    rules = [f.rule for f in validate(text.encode(), as_of=date(2019, 10, 1)).messages[0].findings]
    assert "SSBT-RULE-FAILED" not in rules
    assert "SSBT-LEFI-KARENS" in rules


@pytest.mark.parametrize("digits", ["²" * 12, "١٩١٢١٢١٢١٢١٢"])
def test_identities_in_other_digits_are_schema_errors_not_crashes(digits):
    """``str.isdigit`` accepts these; ``int`` refuses "²" and reads Arabic-Indic digits: neither is a personnummer."""
    text = (CORPUS / "v10/request-minimal.xml").read_text(encoding="utf-8")
    data = text.replace(">191212121212<", f">{digits}<").replace(">162120000142<", f">{digits}<").encode()
    rules = [f.rule for f in validate(data).messages[0].findings]
    assert "SSBT-RULE-FAILED" not in rules
    assert set(rules) == {"SSBT-XSD"}


@given(st.dates(), st.sampled_from(["", "Z", "+02:00", "-11:30"]))
def test_a_tidsperiod_date_reads_as_the_calendar_date_it_names(day, zone):
    from ssbtek_validator.rules.request import _calendar_date

    assert _calendar_date(day.isoformat() + zone) == day


@given(st.integers(min_value=10_000, max_value=10**12), st.sampled_from(["", "-"]))
def test_a_year_beyond_9999_or_before_0001_is_no_period_date(year, sign):
    """xs:date admits 202026-09-01 and -2026-09-01; reading ten characters once let them pass every rule."""
    from ssbtek_validator.rules.request import _NOT_A_CALENDAR_DATE, _calendar_date

    assert _calendar_date(f"{sign}{year}-09-01") is _NOT_A_CALENDAR_DATE
    assert _calendar_date(f"-{year % 10_000:04d}-09-01") is _NOT_A_CALENDAR_DATE


def test_a_frageTidpunkt_past_9999_is_said_not_silently_replaced():
    """xs:dateTime admits 202026-10-14T09:00:00; the message is judged at --as-of and the report says why."""
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    request = re.sub(r"<ssbt:frageTidpunkt>[^<]*<", "<ssbt:frageTidpunkt>202026-10-14T09:00:00<", request, count=1)
    [message] = validate(request.encode("utf-8"), as_of=date(2026, 11, 1)).messages
    assert message.message_date == "2026-11-01"
    assert message.message_date_source == "--as-of; its frageTidpunkt is no date in 0001–9999"
