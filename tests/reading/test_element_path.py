"""element_path names default-namespace steps by lxml's own sibling indexes (``getelementpath``), and says
exactly what the walk that counts the siblings in Python says, on hostile shapes: default namespaces, a prefix
and the default bound to one URI, a prefix redeclared below, same-named siblings in other namespaces, comments
and instructions beside them, a namespace spelt ``*``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.reading import message
from ssbtek_validator.reading.message import element_path, safe_parser

#: element spellings: no namespace, the default (which the element may set), prefixed ones, a redeclared prefix
_NAMES = st.sampled_from(
    [
        *("a", "b", "p:a", "p:b", "q:a", 'a xmlns="urn:u"', 'a xmlns="urn:v"', 'b xmlns="urn:u"'),
        *('p:a xmlns:p="urn:w"', 'a xmlns=""', 'a xmlns="*"', 'a xmlns="urn:x/%5B1%5D"', 'a xmlns="urn:x/y"'),
    ]
)
_BESIDE = st.sampled_from(["", "<!-- c -->", "<?pi x?>", "text"])


def _element(depth: int):
    children = st.just("") if depth == 0 else st.lists(st.tuples(_BESIDE, _element(depth - 1)), max_size=4)
    return st.tuples(_NAMES, children).map(
        lambda parts: f"<{parts[0]}>{''.join(b + c for b, c in parts[1]) if parts[1] else ''}</{parts[0].split()[0]}>"
    )


_DOCUMENT = st.tuples(st.sampled_from(["", ' xmlns="urn:u"', ' xmlns="urn:v"']), _element(3)).map(
    lambda parts: f'<r xmlns:p="urn:u" xmlns:q="urn:v"{parts[0]}>{parts[1]}</r>'
)


def _as_before(element: etree._Element) -> str:
    """element_path as it was: libxml2's path, or the walk where that path has a "*" step."""
    fast = element.getroottree().getpath(element)
    return fast if "*" not in fast else message._walked_path(element)


@settings(max_examples=150)
@given(_DOCUMENT)
def test_every_element_path_is_what_it_was(document):
    root = etree.fromstring(document.encode(), safe_parser())
    for element in root.iter(etree.Element):
        assert element_path(element) == _as_before(element), document


def test_a_default_namespace_path_is_not_walked(monkeypatch):
    """The shortcut keeps doing its job: an element deep in a default-namespace document (a CSN answer's shape)
    is named without the walk, and the walk still answers for an element outside its tree's root."""
    walked = []
    real = message._walked_path
    monkeypatch.setattr(message, "_walked_path", lambda element: walked.append(element) or real(element))
    root = etree.fromstring(b'<S xmlns="urn:csn" xmlns:p="urn:p"><P><p:A/><p:A><B/><B>1</B></p:A></P></S>')
    deep = root[0][1][1]
    assert element_path(deep) == "/S/P/p:A[2]/B[2]" and not walked
    assert element_path(root) == "/S" and not walked
    held = root.makeelement("{urn:csn}held", nsmap={None: "urn:csn"})  # of the document, in no tree (_cut_after's)
    etree.SubElement(held, "{urn:csn}x")
    assert element_path(held[0]) == "/held/x" and walked


@settings(max_examples=50)
@given(_DOCUMENT)
def test_a_tags_last_part_is_its_qnames_local_name(document):
    """SSBT-XSD and SSBT-CODE name a finding's field by ``tag.rpartition("}")[2]`` instead of building a QName."""
    root = etree.fromstring(document.encode(), safe_parser())
    for element in root.iter(etree.Element):
        assert element.tag.rpartition("}")[2] == etree.QName(element).localname
