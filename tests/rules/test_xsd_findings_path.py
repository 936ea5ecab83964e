"""SSBT-XSD's findings path takes shortcuts that change nothing a finding says.

- The value an error quotes is searched from where its fixed words stand: the same value as a search of the whole
  text.
- A library message's quoted values are masked without trying the pattern at each character: the same text as the
  pattern's substitution.
- A message's Clark names are respelt in one pass: the same parts as respelling each part.
- A text whose only non-ASCII characters are the mask's is counted for digits, not searched for an identity: the
  same text as the pattern alone makes it, and a spy that the pattern is not tried on a masked pattern message.
- A padded date of a message without CDATA is collapsed in its own text node, not in a stand-in element: a spy
  that no stand-in is made, the same findings, and the payload as it was after; a failing message with nothing to
  collapse is not searched for CDATA at all.
- A libxml2 wording is respelt and scrubbed once, with a probe where its value stood, and each message's value is
  masked in the probe's place: the same attribute, field, text and value as the long way on hostile values and
  wordings; a second message with the wording scrubs nothing; a hostile wording is not kept; the value is masked
  once a finding.
- An error's path is compiled with only the prefixes it spells, without EXSLT regular expressions or smart strings:
  the same element (or error) as a plain XPath on trees with aliased, redeclared and default prefixes.
"""

from __future__ import annotations

from datetime import date

from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs, detect
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse
from ssbtek_validator.results import masking
from ssbtek_validator.rules import Context, xsd
from ssbtek_validator.run.options import DEFAULT_OPTIONS
from tests.conftest import CORPUS

# --- the value an error quotes ----------------------------------------------------------------------------------

_MESSAGE_PIECES = st.sampled_from(
    ["The value '", "'", " is not a valid value", "x", ": ", "The value ", "Tolvan", " ", "\n", "'x'"]
)


def _whole_search(message: str) -> str | None:
    """The value as a search of the whole text found it before (the long way), for a message about no element."""
    found = xsd._VALUE.search(message.split(": ", 1)[-1])
    return (found.group(1) if found.group(1) is not None else found.group(2)) if found else None


@settings(max_examples=200)
@given(st.lists(_MESSAGE_PIECES, max_size=12).map("".join))
def test_the_value_is_what_a_search_of_the_whole_text_finds(message):
    quoted = xsd._quoted(message)
    assert (quoted[0] if quoted is not None else None) == _whole_search(message)
    if quoted is not None:  # and it stands where it is said to, for the wording's cut
        assert message[quoted[1] : quoted[2]] == quoted[0]


# --- quoted values masked in a library message --------------------------------------------------------------------

_QUOTE_PIECES = st.sampled_from(
    ["The value ", "The value '", "'", " is not", "' is not", "(", " ", "\n", "\xa0", "x", "he value ", "''"]
)


@settings(max_examples=300)
@given(st.lists(_QUOTE_PIECES, max_size=14).map("".join))
def test_quoted_values_are_replaced_where_the_pattern_replaces_them(text):
    def marked(value: str) -> str:
        return f"<{value}>"

    expected = masking._QUOTED_VALUE.sub(lambda m: f"{m.group(1)}'{marked(m.group(2))}'{m.group(3)}", text)
    assert masking._quoted_values_masked(text, marked) == expected


# --- a libxml2 message respelt with the document's prefixes -----------------------------------------------------

_NAME = st.sampled_from(["{urn:a}x", "{urn:b}y", "x", "{urn:a}x.y", "{http://e/a}z", "{urn:a}", "{x}y"])
_REST = st.sampled_from(["{urn:a}x", " ", "'", ": ", "{'SSBT', 'BT'}", "\\d{2}", "( ", " ).", ".", "Element '", "a"])
_SAID = st.one_of(
    st.tuples(_NAME, st.one_of(st.none(), _NAME), st.lists(_REST, max_size=8).map("".join)).map(
        lambda p: f"Element '{p[0]}'" + (f", attribute '{p[1]}'" if p[1] else "") + ": " + p[2]
    ),
    st.lists(st.one_of(_REST, _NAME), max_size=10).map("".join),
)


@settings(max_examples=200)
@given(_SAID)
def test_a_message_respelt_at_once_is_its_parts_respelt(said):
    nsmap = {"urn:a": "p", "http://e/a": "e"}
    matched = xsd.ELEMENT.match(said)
    if matched:
        attribute = matched.group(2)
        parts = (
            xsd._prefixed(matched.group(1), nsmap),
            xsd._prefixed(attribute, nsmap) if attribute else attribute,
            xsd._prefixed(said[matched.end() :], nsmap),
        )
    else:
        parts = (None, None, xsd._prefixed(said, nsmap))
    assert xsd._respelt(said, nsmap) == parts


# --- padded dates collapsed in place ----------------------------------------------------------------------------


def _checked(data: bytes) -> tuple[list, bytes, bytes]:
    """(SSBT-XSD's findings, the payload serialised before, and after) for one message."""
    message = parse(Source("m.xml", data), DEFAULT_OPTIONS.limits)
    packs = builtin_packs()
    detection, _ = detect(message, packs)
    context = Context(message, packs[detection.version], detection, DEFAULT_OPTIONS.limits, date(2026, 11, 1), False)
    before = etree.tostring(message.payload)
    return list(xsd.XsdRule().check(context)), before, etree.tostring(message.payload)


def test_a_padded_date_is_collapsed_in_its_own_text_node_and_set_back(monkeypatch):
    made = []
    monkeypatch.setattr(
        xsd, "_stand_in", lambda element, text, real=xsd._stand_in: made.append(1) or real(element, text)
    )
    data = (CORPUS / "v10" / "request-dates-with-whitespace.xml").read_bytes()
    findings, before, after = _checked(data)
    assert findings == [] and before == after and not made
    # padded dates in CDATA sections: a stand-in for each, the same verdict, the payload set back as it was
    cdata = data.replace(b"2026-09-01\n", b"<![CDATA[2026-09-01]]>\n")
    findings, before, after = _checked(cdata)
    assert findings == [] and before == after and made
    # a padded date that is wrong all the same is found as before, in place or in a stand-in
    wrong = data.replace(b"2026-09-01\n", b"2026-13-01\n", 1)
    for variant in (wrong, wrong.replace(b"2026-10-31\n", b"<![CDATA[2026-10-31]]>\n")):
        findings, before, after = _checked(variant)
        assert [f.line for f in findings] == [20] and "xs:date" in findings[0].message and before == after


# --- identities sought in a message whose value is masked ---------------------------------------------------------


@settings(max_examples=200)
@given(st.text(alphabet="0123456789 -.•abcå\u0663\u0967", max_size=40))
def test_a_count_beside_the_mask_masks_what_the_pattern_masks(text):
    """The mask's characters aside, fewer than ten ASCII digits: no identity; any other script leaves it to the
    pattern."""
    saved, masking._too_few_digits = masking._too_few_digits, lambda text: False
    try:
        long_way = masking.mask_identities(text)  # the pattern decides alone
    finally:
        masking._too_few_digits = saved
    assert masking.mask_identities(text) == long_way


def test_a_masked_pattern_message_is_not_searched_for_an_identity(monkeypatch):
    real = masking._IDENTITY
    searched = []

    class Spy:
        def search(self, text):
            searched.append(text)
            return real.search(text)

        def __getattr__(self, name):
            return getattr(real, name)

    said = "ssbt:personidentitet: [facet 'pattern'] The value '19121212121' is not accepted by the pattern '[0-9]{12}'."
    shown = masking.scrub_text(said, "personidentitet", False)
    monkeypatch.setattr(masking, "_IDENTITY", Spy())
    assert masking.mask_identities(shown) == shown and "•" in shown and not searched
    assert "191212121212" not in masking.mask_identities(shown + " 191212121212") and searched  # ten digits: sought


# --- a wording scrubbed once, its value masked in place ---------------------------------------------------------

_WORDED_NAME = st.sampled_from(
    ["{urn:a}kalla", "{urn:b}fromDatum", "ar", "{urn:a}personidentitet", "{urn:c}x", "{urn:a}a191212121212"]
)
_WORDED_VALUE = st.text(
    alphabet=st.sampled_from(
        ["a", "Z", "1", "9", " ", "-", "'", "{", "}", ":", "•", "\ue000", "(", ".", "ä", "\u0663"]
    ),
    max_size=30,
) | st.sampled_from(
    # a date and a code that are shown but hold an identity; a Clark name; quotes where the patterns read them
    ["2026-01-01 12:00:00", "1212-1212-12", "{urn:a}x", "2026-13-01", "191212121212", "XYZ", "O'Brien", "' is not"]
)
_WORDED_REST = st.sampled_from(
    [
        " is not accepted by the pattern '[0-9]{12}'.",
        " is not an element of the set {'SSBT', 'BT'}.",
        " is not an element of the set {'191212121212', '{urn:a}kalla'}.",
        " is less than the minimum value allowed ('1').",
        " is not a valid value of the atomic type 'xs:date'.",
        " is not a valid value of the local atomic type.",
        " is not a valid value.",
        " has a length of '3'; this differs from the allowed length of '12'.",
        " is not (x' is not 'y' is not).",
        "",
        " does not match the fixed value constraint '{urn:b}y'.",
    ]
)


@st.composite
def _worded_messages(draw) -> tuple[str, str | None]:
    """libxml2's wordings of an element (or attribute) error with a value quoted, hostile values among them."""
    name, value, rest = draw(_WORDED_NAME), draw(_WORDED_VALUE), draw(_WORDED_REST)
    attribute = draw(st.sampled_from(["", ", attribute 'inkludera'", ", attribute '{urn:b}tom'"]))
    before = draw(st.sampled_from(["[facet 'pattern'] The value '", "'", "The value '", "x '", "("]))
    local = draw(st.sampled_from([name.rpartition("}")[2], None]))
    return f"Element '{name}'{attribute}: {before}{value}'{rest}", local


@settings(max_examples=400)
@given(_worded_messages() | st.tuples(_SAID, st.sampled_from(["kalla", "fromDatum", "x", None])))
# a quote in the value where no greedy pattern reads past it (the scrub shows it: so must the shortcut); a value
# longer than a mask spells out (masked twice by two patterns); a Clark name; a shown date holding an identity
@example(("Element '{urn:a}kalla': 'O'Brien' is not a valid value.", "kalla"))
@example(("Element 'p': [facet 'pattern'] The value 'Tolvan Tolvansson Tolvsson' is not accepted by the pattern.", "p"))
@example(("Element '{urn:a}kalla': The value '{urn:a}x' is not an element of the set {'SSBT', 'BT'}.", "kalla"))
@example(("Element 'fromDatum': '2026-01-01 12:00:00' is not a valid value of the atomic type 'xs:date'.", "fromDatum"))
def test_a_wording_masked_in_place_is_the_message_worded_the_long_way(said_local):
    """The wording's text cut at its value, scrubbed once with a probe, and the value masked in its place: the
    same attribute, field and text as respelling and scrubbing the whole message, whatever the value holds."""
    said, local = said_local
    quoted = xsd._quoted(said)
    value = quoted[0] if quoted else "Tolvan"  # else the element's: masked by the field all the same
    for nsmap in ({"urn:a": "ssbt", "urn:b": "b"}, {}):
        attribute, field, message = xsd._worded_slowly(said, nsmap, local, False)
        long_way = attribute, field, message, masking.masked_value(value, field, False)
        assert xsd._worded(said, quoted, value, tuple(nsmap.items()), local) == long_way


def test_a_value_masked_in_place_is_masked_one_mask_character_a_character():
    """The shortcut takes a value only as long as the mask spells it out character by character (a longer one is
    masked as its length, which a second pattern of the scrub masks again): the two lengths are one."""
    assert xsd._SHOWN_LENGTH == masking._SHOWN_LENGTH
    assert masking.mask("x" * xsd._SHOWN_LENGTH) == masking.MASK_CHAR * xsd._SHOWN_LENGTH
    assert masking.mask("x" * (xsd._SHOWN_LENGTH + 1)) != masking.MASK_CHAR * (xsd._SHOWN_LENGTH + 1)


def test_a_batch_words_each_wording_once(monkeypatch):
    """The mixed benchmark's wordings repeat across messages with other values: the second message with the same
    wording scrubs no text but its value (the cache is what makes the shortcut pay)."""
    data = (CORPUS / "v10" / "invalid-kalla-xyz.xml").read_bytes()
    worded = []
    monkeypatch.setattr(xsd, "_worded_slowly", lambda *a, real=xsd._worded_slowly: worded.append(a[0]) or real(*a))
    xsd._wording.cache_clear()
    first, _, _ = _checked(data)
    assert worded and "XYZ" not in "".join(worded)  # scrubbed with the probe, not the value
    worded.clear()
    second, _, _ = _checked(data.replace(b">XYZ<", b">QQQ<"))
    assert not worded and [f.message.replace("QQQ", "XYZ") for f in second] == [f.message for f in first]
    assert "QQQ" in second[0].message  # the new value, in the wording's place (a code: shown)


# --- an error's element found by a lean compiled path -------------------------------------------------------------

_TAGS = st.sampled_from(["{urn:a}x", "{urn:a}y", "{urn:b}x", "x", "y"])
#: prefixes declared on an element: two for one namespace (the path spells one, XPath matches both), a default one
_DECLARED = st.sampled_from([{}, {"a": "urn:a"}, {"b": "urn:a"}, {None: "urn:a"}, {"a": "urn:b"}, {"p": "urn:b"}])


@st.composite
def _payloads(draw) -> etree._Element:
    """A payload under an envelope-like parent, with prefixes redeclared, aliased and defaulted, and comments."""
    top = etree.Element("{urn:e}Envelope", nsmap={"e": "urn:e", "a": "urn:a", "b": "urn:b", "s": "urn:s"})
    payload = etree.SubElement(top, "{urn:a}payload")
    parents = [payload]
    for _ in range(draw(st.integers(1, 12))):
        parent = draw(st.sampled_from(parents))
        if draw(st.booleans()) and len(parents) > 1:
            parent.append(etree.Comment("c"))
        parents.append(etree.SubElement(parent, draw(_TAGS), nsmap=draw(_DECLARED)))
    return payload


@settings(max_examples=150)
@given(_payloads())
def test_a_lean_compiled_path_finds_what_the_plain_one_finds(payload):
    """Each element's path as libxml2 writes it, evaluated by the lean compiled path and by a plain XPath with every
    prefix of the payload: the same element, or the same error."""
    tree = payload.getroottree()
    namespaces = xsd._prefixes(payload)
    top = tree.getpath(payload)
    for element in payload.iter(etree.Element):
        path = tree.getpath(element)
        relative = path[len(top) + 1 :] or "."
        try:
            plain = etree.XPath(relative, namespaces=dict(namespaces))(payload)
        except etree.XPathError as error:
            plain = type(error)
        try:
            lean = xsd._xpath(relative, namespaces)(payload)
        except etree.XPathError as error:
            lean = type(error)
        assert lean == plain


def test_an_error_path_is_compiled_lean(monkeypatch):
    """Only the prefixes the path spells, no EXSLT regular expressions, no smart strings: what each evaluation
    registers with libxml2 and takes down again."""
    compiled = []
    monkeypatch.setattr(etree, "XPath", lambda path, **options: compiled.append(options))
    xsd._xpath.cache_clear()
    xsd._xpath("ssbt:a/ssbt:b[2]", (("soapenv", "urn:e"), ("ssbt", "urn:s"), ("xsi", "urn:x")))
    xsd._xpath.cache_clear()
    assert compiled == [{"namespaces": {"ssbt": "urn:s"}, "regexp": False, "smart_strings": False}]


def test_a_findings_value_is_masked_once(monkeypatch):
    """The value masked for the text is the finding's value: masked once a finding, not once for each."""
    masked = []
    monkeypatch.setattr(xsd, "masked_value", lambda *a, real=xsd.masked_value: masked.append(a) or real(*a))
    data = (CORPUS / "v10" / "invalid-kalla-xyz.xml").read_bytes()
    _checked(data)  # the wording is scrubbed once (with its probes) by the first message
    masked.clear()
    [finding], _, _ = _checked(data.replace(b">XYZ<", b">Tolvan<"))
    assert masked == [("Tolvan", "kalla", False)] and finding.value == "••••••" and "'••••••'" in finding.message


_SEARCHED: list[object] = []


class _WatchedBytes(bytes):
    """A message's bytes that note each search in them (for a CDATA section)."""

    def __contains__(self, part: object) -> bool:
        _SEARCHED.append(part)
        return super().__contains__(part)


def test_a_failing_message_with_no_value_to_collapse_is_not_searched_for_cdata():
    """Whether the markup has a CDATA section matters only where a padded value is collapsed: read there, once."""
    packs = builtin_packs()

    def checked(data: bytes) -> list:
        message = parse(Source("m.xml", data), DEFAULT_OPTIONS.limits)
        message.raw = _WatchedBytes(message.raw)
        detection, _ = detect(message, packs)
        limits = DEFAULT_OPTIONS.limits
        context = Context(message, packs[detection.version], detection, limits, date(2026, 11, 1), False)
        _SEARCHED.clear()
        return list(xsd.XsdRule().check(context))

    assert checked((CORPUS / "v10" / "invalid-kalla-xyz.xml").read_bytes()) and _SEARCHED == []
    padded = (CORPUS / "v10" / "request-dates-with-whitespace.xml").read_bytes()
    assert checked(padded) == [] and _SEARCHED == [b"<![CDATA["]


@settings(max_examples=60)
@given(_payloads())
def test_an_elements_namespaces_respell_as_its_nsmap_does(payload):
    """The (namespace, prefix) pairs in lxml's order make the dict the namespace map made (its last prefix wins),
    except that an element written with a prefix names its own namespace with that prefix."""
    for element in payload.iter(etree.Element):
        expected = {uri: prefix for prefix, uri in element.nsmap.items() if prefix}
        if element.prefix:
            expected[etree.QName(element).namespace] = element.prefix
        assert dict(xsd._namespaces(element)) == expected


def test_a_hostile_wording_is_worded_the_long_way_and_not_kept():
    """A message longer than any libxml2 writes about an ordinary element, or an element with too many namespaces in
    scope, is worded as before but takes no place in the cache (which holds 1,024 wordings)."""
    xsd._wording.cache_clear()
    long_name = "{urn:a}" + "n" * 5_000
    said = f"Element '{long_name}': [facet 'pattern'] The value 'Tolvan' is not accepted by the pattern 'x'."
    many = tuple((f"urn:{index}", f"p{index}") for index in range(100))
    for message, spelt in ((said, (("urn:a", "a"),)), (said.replace(long_name, "{urn:a}n"), many)):
        quoted = xsd._quoted(message)
        expected = xsd._worded_slowly(message, dict(spelt), "n", False)
        assert xsd._worded(message, quoted, quoted[0], spelt, "n") == (*expected, "••••••")
    assert xsd._wording.cache_info().currsize == 0
    ordinary = said.replace(long_name, "{urn:a}n")
    xsd._worded(ordinary, xsd._quoted(ordinary), "Tolvan", (("urn:a", "a"),), "n")
    assert xsd._wording.cache_info().currsize == 1
