"""A schema finding about an element in the wrong namespace says which namespace it is in and which is expected.

libxml2's words, spelt with the document's prefixes, can name the element and what the schema expects alike
("svar: This element is not expected. Expected is ( svar )"): the reader of a finding cannot tell what is wrong.
"""

from __future__ import annotations

import base64
import re

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.rules.schema_words import how_written, namespace_mismatch

from ..conftest import CORPUS

SSBT10 = "http://schema.forsakringskassan.se/integration/ssbt/10"


def _findings(data: bytes) -> list:
    [message] = validate(data).messages
    return message.findings


def test_an_unqualified_answer_element_put_in_a_default_namespace_names_both():
    """A serializer that writes the answer under a default namespace puts SKV's unqualified svar in it."""
    answer = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_text(encoding="utf-8")
    default = answer.replace("xmlns:ssbt=", "xmlns=").replace("<ssbt:", "<").replace("</ssbt:", "</")
    said = [f.message for f in _findings(default.encode()) if f.rule == "SSBT-XSD"]
    assert said, "the unqualified elements in the default namespace must be errors"
    svar = next(text for text in said if text.startswith("svar:"))
    assert f"Here svar is in namespace {SSBT10}; the schema expects svar unqualified, in no namespace" in svar


def test_an_element_written_without_its_prefix_names_the_namespace_it_needs():
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    bare = re.sub(r"(</?)ssbt:generellaFrageparametrar>", r"\1generellaFrageparametrar>", request)
    [finding] = [f for f in _findings(bare.encode()) if f.rule == "SSBT-XSD"]
    assert finding.message.endswith(
        "Here generellaFrageparametrar is in no namespace; the schema expects generellaFrageparametrar in namespace "
        f"{SSBT10}."
    )


def test_a_csn_block_in_the_wrong_one_of_csns_three_namespaces_names_both():
    """CSN's v3.0 answers spread a person over three namespaces: a block in the wrong one must say so."""
    answer = (CORPUS / "v10" / "answer-csn-v3-observed-shape.xml").read_text(encoding="utf-8")
    encoded = next(
        value for value in re.findall(r">([A-Za-z0-9+/=\s]{200,})<", answer) if b"CSNSvar" in base64.b64decode(value)
    )
    document = base64.b64decode(encoded).decode("utf-8")
    assert "<ns2:Studiemedel/>" in document
    wrong = base64.b64encode(document.replace("<ns2:Studiemedel/>", "<Studiemedel/>").encode()).decode()
    [finding] = [f for f in _findings(answer.replace(encoded, wrong).encode()) if f.rule == "SSBT-CSN-MODEL"]
    assert (
        "Here Studiemedel is in namespace http://schema.csn.se/v3.0/kommunfraga; the schema expects Studiemedel in "
        "namespace http://schema.csn.se/v3.0/person." in finding.message
    )


_LOCAL = st.sampled_from(["svar", "response", "Studiemedel", "a-b", "x.y"])
_NAMESPACE = st.sampled_from(["", "urn:a", "http://schema.csn.se/v3.0/person", SSBT10])


def _clark(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}" if namespace else local


@given(_NAMESPACE, _LOCAL, st.lists(st.tuples(_NAMESPACE, _LOCAL), min_size=1, max_size=4), st.booleans())
def test_the_namespaces_are_named_exactly_when_the_same_name_is_expected_in_another(here, local, expected, one_of):
    names = ", ".join(_clark(namespace, name) for namespace, name in expected)
    said = (
        f"Element '{_clark(here, local)}': This element is not expected. "
        f"Expected is{' one of' if one_of else ''} ( {names} )."
    )
    other = [namespace for namespace, name in expected if name == local and namespace != here]
    sentence = namespace_mismatch(said)
    if not other:
        assert sentence == ""
        return
    assert sentence.startswith(f" Here {local} is {f'in namespace {here}' if here else 'in no namespace'};")
    assert (f"in namespace {other[0]}." if other[0] else "unqualified, in no namespace") in sentence


def test_other_schema_messages_get_no_namespace_sentence():
    for said in (
        "Element '{urn:a}x': Missing child element(s). Expected is ( {urn:b}x ).",
        "Element '{urn:a}x': [facet 'enumeration'] The value 'x' is not an element of the set {'x'}.",
        "Element 'x', attribute 'y': The attribute 'y' is not allowed.",
    ):
        assert namespace_mismatch(said) == ""


def test_a_namespace_that_may_name_a_person_is_not_quoted():
    """The message's author chose the URI: a capitalised word or an identity in it is masked wherever a namespace
    is quoted, and here it is not shown at all."""
    for uri in ("urn:Tolvan", "http://example.com/191212121212"):
        sentence = namespace_mismatch(f"Element '{{{uri}}}svar': This element is not expected. Expected is ( svar ).")
        assert uri not in sentence and "Tolvan" not in sentence and "191212121212" not in sentence
        assert sentence.startswith(" Here svar is in another namespace (its URI not shown: it may name a person);")


def test_a_flag_or_date_a_serializer_spelt_its_own_way_is_told_how_the_type_is_written():
    """.NET writes a Boolean as True and a DateTime's ToString() with a space: libxml2 only says "not a valid
    value"; the finding adds how the type is written (the value itself stays masked by its field as before)."""
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    flagged = request.replace('inkludera="true"', 'inkludera="True"', 1)
    [finding] = [f for f in _findings(flagged.encode()) if f.rule == "SSBT-XSD"]
    assert finding.message.endswith(
        "'True' is not a valid value of the atomic type 'xs:boolean'. xs:boolean is written true, false, 1 or 0, "
        "in lower case."
    )
    timed = re.sub(r"(fromDatum>)(\d{4}-\d\d-\d\d)<", r"\1\2T00:00:00<", request, count=1)
    [finding] = [f for f in _findings(timed.encode()) if f.rule == "SSBT-XSD"]
    assert "xs:date is a real date written YYYY-MM-DD, without a time" in finding.message


def test_other_types_and_messages_are_not_told_how_they_are_written():
    assert how_written("Element 'x': 'a' is not a valid value of the atomic type 'xs:integer'.") == ""
    assert how_written("Element 'x': [facet 'pattern'] The value 'a' is not accepted by the pattern 'b'.") == ""
    assert how_written("Element 'x': 'a' is not a valid value of the local atomic type 'xs:boolean'.").startswith(
        " xs:boolean is written"
    )


def test_a_namespace_that_is_no_plain_uri_is_not_quoted_and_the_text_keeps_its_shape():
    """A hostile message's namespace (thousands of characters, spaces that spell the sentence again) is not carried
    into the finding: the text stays short, and its shape is the listed one, checked in linear time."""
    from ssbtek_validator.results.masking import masks_its_values

    for uri in ("urn:" + "a" * 50_000, "urn:x; the schema expects a b" * 5_000):
        sentence = namespace_mismatch(f"Element '{{{uri}}}svar': This element is not expected. Expected is ( svar ).")
        assert sentence.startswith(" Here svar is in another namespace (its URI not shown: no plain URI);")
        assert len(sentence) < 300
        assert masks_its_values("SSBT-XSD", "svar: This element is not expected. Expected is ( svar )." + sentence)
