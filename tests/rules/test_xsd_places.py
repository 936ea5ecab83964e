"""SSBT-XSD names the element an error is about, where two prefixes are bound to one namespace.

libxml2 spells an error's path with the document's prefixes and counts a step's position among siblings with the
same prefix; XPath counts among siblings in the same namespace. The finding must still point at the element the
error is about (its path, value and column), and name it as the document writes it.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate
from ssbtek_validator.rules import xsd
from tests.conftest import CORPUS

_SCHEMA = etree.XMLSchema(
    etree.XML(
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:u"'
        b' elementFormDefault="qualified">'
        b'<xs:element name="x"><xs:complexType><xs:sequence>'
        b'<xs:element name="y" type="xs:boolean" maxOccurs="unbounded"/>'
        b"</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
)


@given(st.lists(st.sampled_from("ab"), min_size=1, max_size=8), st.data())
def test_the_error_is_placed_on_its_element_whatever_prefixes_the_siblings_use(prefixes, data):
    bad = data.draw(st.integers(0, len(prefixes) - 1))
    rows = "".join(f"\n<{p}:y>{'bad' if index == bad else 'true'}</{p}:y>" for index, p in enumerate(prefixes))
    document = etree.XML(f'<a:x xmlns:a="urn:u" xmlns:b="urn:u">{rows}\n</a:x>'.encode())
    assert not _SCHEMA.validate(document)
    entry = _SCHEMA.error_log[0]
    element = xsd._element_at(document, entry, "{urn:u}y", xsd._prefixes(document))
    assert element is not None and element.text == "bad"
    assert element.sourceline == entry.line


def test_an_element_is_named_with_the_prefix_it_is_written_with():
    """A namespace bound to ssbt and to x: the FK block's anropad is written ssbt:anropad, and so named."""
    text = (CORPUS / "v10" / "bare-ping-answer.xml").read_text(encoding="utf-8")
    text = text.replace('ssbt/10">', 'ssbt/10" xmlns:x="http://schema.forsakringskassan.se/integration/ssbt/10">', 1)
    text = text.replace(
        "<ssbt:CSN>\n    <ssbt:anropad>true</ssbt:anropad>\n  </ssbt:CSN>",
        "<x:CSN>\n    <x:anropad>true</x:anropad>\n  </x:CSN>",
    )
    text = text.replace(
        "<ssbt:anropad>true</ssbt:anropad>\n  </ssbt:FK>", "<ssbt:anropad>maybe</ssbt:anropad>\n  </ssbt:FK>"
    )
    [finding] = validate(text.encode()).messages[0].findings
    assert finding.rule == "SSBT-XSD"
    assert finding.message.startswith("ssbt:anropad: ")
    assert finding.path.endswith("/ssbt:FK/ssbt:anropad")
