"""Near misses: a valid document with exactly one planted defect, and the rule that must catch it.

Each kind of defect is a small class: where it can be planted in a generated document
(``candidates``), how (``apply``), and the rule id that must then appear among the findings. Schema
defects come from the walker's records (which element was required, which value had an
enumeration, a pattern, a length), so they are exact by construction; the self-check property in
``tests/fuzz/test_strategies.py`` holds every kind to its rule id for every pack.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import cache

from lxml import etree

from ssbtek_validator.packs.schema_packs import NAMESPACE_TEMPLATE, Pack, builtin_packs
from ssbtek_validator.reading.message import SOAP11, SOAP12
from ssbtek_validator.strategies.chooser import Chooser
from ssbtek_validator.strategies.documents import Document, Generated
from ssbtek_validator.strategies.domain_mutations import DOMAIN_KINDS
from ssbtek_validator.strategies.mutation_kind import Kind, Mutation, NoMutation, Planted, _alive, _is_nil, _where
from ssbtek_validator.strategies.walker import Hooks, Walker
from ssbtek_validator.strategies.xsd_model import (
    ElementPlan,
    GroupPlan,
    WildcardPlan,
    schema_model,
    xsd_regex_to_python,
)


def _has_wildcard(plan: ElementPlan) -> bool:
    """Whether the element's content accepts extra elements (then adding one is no defect)."""
    stack: list = [plan.content] if plan.content is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, WildcardPlan):
            return True
        if isinstance(node, GroupPlan):
            stack.extend(node.particles)
    return False


class RemoveRequired(Kind):
    name, rule = "remove-required-element", "SSBT-XSD"

    def candidates(self, gen):
        return [r for r in gen.records if r.required and _alive(r, gen)]

    def apply(self, c, gen, record):
        record.element.getparent().remove(record.element)
        return Planted(f"removed required element {_where(record.element)}")


class DuplicateSingle(Kind):
    name, rule = "duplicate-single-element", "SSBT-XSD"

    def candidates(self, gen):
        parents = {id(r.element): r.plan for r in gen.records}
        out = []
        for record in gen.records:
            if record.plan.max != 1 or not _alive(record, gen):
                continue
            parent_plan = parents.get(id(record.element.getparent()))
            if parent_plan is not None and not _has_wildcard(parent_plan) and _single_use(parent_plan, record.plan):
                out.append(record)
        return out

    def apply(self, c, gen, record):
        from copy import deepcopy

        record.element.addnext(deepcopy(record.element))
        return Planted(f"repeated {_where(record.element)}, which may occur once")


def _single_use(parent: ElementPlan, child: ElementPlan) -> bool:
    """The child's name occurs once in the parent's model and no group around it repeats."""
    hits = 0

    def walk(group: GroupPlan, repeating: bool) -> bool:
        nonlocal hits
        repeats = repeating or group.max is None or group.max > 1
        for particle in group.particles:
            if isinstance(particle, ElementPlan) and particle.tag == child.tag:
                hits += 1
                if repeats:
                    return False
            elif isinstance(particle, GroupPlan) and not walk(particle, repeats):
                return False
        return True

    return parent.content is not None and walk(parent.content, False) and hits == 1


class BadEnumeration(Kind):
    name, rule = "value-outside-enumeration", "SSBT-XSD"

    def candidates(self, gen):
        return [
            r
            for r in gen.records
            if r.plan.simple is not None and r.plan.simple.enumeration and _alive(r, gen) and not _is_nil(r.element)
        ]

    def apply(self, c, gen, record):
        allowed = record.plan.simple.enumeration
        bad = c.choice([v for v in ("OGILTIG", "MAYBE", "ok", "") if v not in allowed])
        record.element.text = bad
        return Planted(f"{_where(record.element)} = {bad!r}, not one of {', '.join(allowed)}")


class BadPattern(Kind):
    name, rule = "value-breaks-pattern", "SSBT-XSD"

    def candidates(self, gen):
        return [
            r
            for r in gen.records
            if r.plan.simple is not None
            and r.plan.simple.patterns
            and not r.plan.simple.enumeration
            and _alive(r, gen)
            and not _is_nil(r.element)
        ]

    def apply(self, c, gen, record):
        value = record.element.text or ""
        patterns = [_compiled(p) for p in record.plan.simple.patterns]
        for bad in (value + "0", value[:-1], value + "x", "x" + value, ""):
            if not all(p.fullmatch(bad) for p in patterns):
                record.element.text = bad
                return Planted(f"{_where(record.element)} does not match {record.plan.simple.patterns[-1]}")
        raise AssertionError("no pattern-breaking value found")  # pragma: no cover


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(xsd_regex_to_python(pattern))


_BAD_LEXICAL = {
    "int": "12a",
    "integer": "12a",
    "short": "70000",
    "long": "1.5",
    "decimal": "1,5",
    "date": "2026-02-30",
    "dateTime": "2026-13-01T00:00:00",
    "boolean": "ja",
}


class BadLexical(Kind):
    name, rule = "value-of-wrong-type", "SSBT-XSD"

    def candidates(self, gen):
        return [
            r
            for r in gen.records
            if r.plan.simple is not None
            and r.plan.simple.builtin in _BAD_LEXICAL
            and not r.plan.simple.enumeration
            and _alive(r, gen)
            and not _is_nil(r.element)
        ]

    def apply(self, c, gen, record):
        bad = _BAD_LEXICAL[record.plan.simple.builtin]
        record.element.text = bad
        return Planted(f"{_where(record.element)} = {bad!r}, not an xs:{record.plan.simple.builtin}")


class TooShort(Kind):
    name, rule = "value-too-short", "SSBT-XSD"

    def candidates(self, gen):
        return [
            r
            for r in gen.records
            if r.plan.simple is not None
            and (r.plan.simple.min_length or 0) >= 1
            and not r.plan.simple.enumeration
            and not r.plan.simple.patterns
            and _alive(r, gen)
            and not _is_nil(r.element)
        ]

    def apply(self, c, gen, record):
        record.element.text = ""
        return Planted(f"{_where(record.element)} is empty; minLength {record.plan.simple.min_length}")


class UnexpectedElement(Kind):
    name, rule = "unexpected-element", "SSBT-XSD"

    def candidates(self, gen):
        ns = f"{{{gen.pack.namespace}}}"
        return [
            r
            for r in gen.records
            if r.plan.content is not None
            and r.plan.tag.startswith(ns)
            and not _has_wildcard(r.plan)
            and not _is_nil(r.element)
            and r.element.getroottree().getroot() is gen.envelope
        ]

    def apply(self, c, gen, record):
        extra = etree.Element(f"{{{gen.pack.namespace}}}okantElement")
        extra.text = "x"
        record.element.insert(c.int(0, len(record.element)), extra)
        return Planted(f"added okantElement, which the schema does not declare, to {_where(record.element)}")


class TextInEmpty(Kind):
    name, rule = "whitespace-in-empty-element", "SSBT-XSD"

    def candidates(self, gen):
        return [r for r in gen.records if r.plan.empty and r.element.getroottree().getroot() is gen.envelope]

    def apply(self, c, gen, record):
        record.element.text = c.choice(("\n    ", " ", "x"))
        return Planted(f"text inside {_where(record.element)}, whose type has empty content")


class MissingAttribute(Kind):
    name, rule = "required-attribute-missing", "SSBT-XSD"

    def candidates(self, gen):
        return [
            (r, a.name)
            for r in gen.records
            for a in r.plan.attributes
            if a.required and r.element.get(a.name) is not None and _alive(r, gen)
        ]

    def apply(self, c, gen, candidate):
        record, name = candidate
        del record.element.attrib[name]
        return Planted(f"removed required attribute {name} of {_where(record.element)}")


class FieldOfAnotherVersion(Kind):
    """An element only another version declares, placed where that version has it."""

    name, rule = "field-of-another-version", "SSBT-XSD"

    def candidates(self, gen):
        ns = f"{{{gen.pack.namespace}}}"
        own = _paths(gen.pack)
        out = []
        for record in gen.records:
            if record.plan.content is None or _has_wildcard(record.plan) or _is_nil(record.element):
                continue
            if record.element.getroottree().getroot() is not gen.envelope or not record.plan.tag.startswith(ns):
                continue
            path = _element_path(record.element, gen.payload)
            for other in builtin_packs().values():
                if other.version == gen.pack.version:
                    continue
                for child_path, plan in _paths(other).items():
                    if child_path[:-1] == path and child_path not in own:
                        out.append((record, other, plan))
        return out

    def apply(self, c, gen, candidate):
        record, other, plan = candidate
        holder = etree.Element("holder")
        Walker(c, Hooks(), extensions=False, nil=False).element(plan, holder)
        added = _renamespace(holder[0], other.namespace, gen.pack.namespace)
        record.element.append(added)
        return Planted(
            f"added {added.tag.rsplit('}', 1)[-1]} to {_where(record.element)}: SSBTEK v{other.version} has it, "
            f"v{gen.pack.version} does not"
        )


def _element_path(element: etree._Element, payload: etree._Element) -> tuple[str, ...]:
    names = []
    node = element
    while node is not None:
        names.append(etree.QName(node).localname)
        if node is payload:
            break
        node = node.getparent()
    return tuple(reversed(names))


@cache
def _paths(pack: Pack) -> dict[tuple[str, ...], ElementPlan]:
    """Every element path (local names from the operation element down) the pack's schema allows."""
    model = schema_model(pack.entry)
    ns = f"{{{pack.namespace}}}"
    paths: dict[tuple[str, ...], ElementPlan] = {}

    def walk(plan: ElementPlan, path: tuple[str, ...], depth: int) -> None:
        paths.setdefault(path, plan)
        if depth > 6 or plan.content is None or not plan.tag.startswith(ns):
            return
        stack: list = [plan.content]
        while stack:
            node = stack.pop()
            if isinstance(node, GroupPlan):
                stack.extend(node.particles)
            elif isinstance(node, ElementPlan):
                walk(node, (*path, node.local), depth + 1)

    for local, root in model.roots.items():
        walk(root, (local,), 0)
    return paths


def _renamespace(element: etree._Element, old: str, new: str) -> etree._Element:
    for node in element.iter():
        if isinstance(node.tag, str) and node.tag.startswith(f"{{{old}}}"):
            node.tag = f"{{{new}}}" + node.tag[len(old) + 2 :]
    return element


# ---------------------------------------------------------------- envelope, version, operation


class UnknownVersion(Kind):
    name, rule = "namespace-of-unknown-version", "SSBT-VERSION"

    def candidates(self, gen):
        return [gen]

    def apply(self, c, gen, _):
        missing = max(builtin_packs()) + c.int(1, 80)
        xml = gen.to_bytes().replace(gen.pack.namespace.encode(), NAMESPACE_TEMPLATE.format(missing).encode())
        return Planted(f"namespace says SSBTEK v{missing}, which does not exist", xml)


class ForeignNamespace(Kind):
    name, rule = "foreign-namespace", "SSBT-VERSION"

    def candidates(self, gen):
        # a fault detail in a foreign namespace is a generic SOAP fault (SSBT-SOAP-FAULT, info), not a defect
        return [gen] if gen.direction != "fault" else []

    def apply(self, c, gen, _):
        foreign = c.choice(("http://example.invalid/ssbt", "urn:ssbt:10", "http://schema.forsakringskassan.se/ssbt"))
        xml = gen.to_bytes().replace(gen.pack.namespace.encode(), foreign.encode())
        return Planted(f"payload in namespace {foreign}, not an SSBTEK namespace", xml)


class OperationOfAnotherVersion(Kind):
    name, rule = "operation-not-in-version", "SSBT-OPERATION-VERSION"

    def candidates(self, gen):
        return [p for p in builtin_packs().values() if gen.operation not in p.operations]

    def apply(self, c, gen, pack):
        xml = gen.to_bytes().replace(gen.pack.namespace.encode(), pack.namespace.encode())
        return Planted(f"{gen.operation} in the namespace of v{pack.version}, which lacks that operation", xml)


class TwoBodyChildren(Kind):
    name, rule = "two-elements-in-body", "SSBT-SOAP"

    def candidates(self, gen):
        return [gen] if gen.direction != "fault" else []

    def apply(self, c, gen, _):
        from copy import deepcopy

        gen.payload.addnext(deepcopy(gen.payload))
        return Planted("soap:Body holds the operation element twice")


class Soap12(Kind):
    name, rule = "soap-1.2-envelope", "SSBT-SOAP"

    def candidates(self, gen):
        return [gen]

    def apply(self, c, gen, _):
        return Planted("SOAP 1.2 envelope namespace", gen.to_bytes().replace(SOAP11.encode(), SOAP12.encode()))


class Doctype(Kind):
    name, rule = "doctype", "SSBT-DTD"

    def candidates(self, gen):
        return [gen]

    def apply(self, c, gen, _):
        body = etree.tostring(gen.envelope, encoding="UTF-8", xml_declaration=False)
        xml = b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Envelope [<!ENTITY x "y">]>\n' + body
        return Planted("a DOCTYPE with an entity declaration", xml)


class Truncated(Kind):
    name, rule = "truncated", "SSBT-WELLFORMED"

    def candidates(self, gen):
        return [gen]

    def apply(self, c, gen, _):
        xml = gen.to_bytes()
        cut = c.int(len(xml) // 4, len(xml) - 12)
        return Planted(f"cut off after {cut} of {len(xml)} bytes", xml[:cut])


# ---------------------------------------------------------------- nested payloads


def _carriers(gen: Generated) -> Iterator[tuple[etree._Element, object]]:
    for binding in gen.pack.payloads:
        if binding.direction != gen.direction:
            continue
        for element in binding.finder(gen.pack.namespace)(gen.payload):
            yield element, binding


def _put(element: etree._Element, raw: bytes, encoding: str) -> None:
    element.text = base64.b64encode(raw).decode("ascii") if encoding == "base64" else raw.decode("utf-8")


class PayloadBase64(Kind):
    name, rule = "payload-not-base64", "SSBT-PAYLOAD-BASE64"

    def candidates(self, gen):
        return [(e, b) for e, b in _carriers(gen) if b.encoding == "base64"]

    def apply(self, c, gen, candidate):
        element, binding = candidate
        text = "".join((element.text or "").split())
        where = c.int(0, max(0, len(text) - 1))
        element.text = text[:where] + c.choice(("!", "*", "====", "ä")) + text[where:]
        return Planted(f"{binding.agency} payload {_where(element)} is not valid base64")


class PayloadJson(Kind):
    name, rule = "payload-not-json", "SSBT-PAYLOAD-JSON"

    def candidates(self, gen):
        return [(e, b) for e, b in _carriers(gen) if b.format == "json"]

    def apply(self, c, gen, candidate):
        element, binding = candidate
        _put(element, c.choice((b'{"personnummer": ', b"{'a': 1}", b"[1, 2,,]", b"")), binding.encoding)
        return Planted(f"{binding.agency} payload {_where(element)} decodes to text that is not JSON")


class PayloadUtf8(Kind):
    name, rule = "payload-not-utf8", "SSBT-PAYLOAD-UTF8"

    def candidates(self, gen):
        return [(e, b) for e, b in _carriers(gen) if b.format == "json" and b.encoding == "base64"]

    def apply(self, c, gen, candidate):
        element, binding = candidate
        _put(element, '{"namn": "Åsa"}'.encode("latin-1"), binding.encoding)
        return Planted(f"{binding.agency} payload {_where(element)} is Latin-1, not UTF-8")


class PayloadXml(Kind):
    name, rule = "payload-not-well-formed-xml", "SSBT-PAYLOAD-XML"

    def candidates(self, gen):
        return [(e, b) for e, b in _carriers(gen) if b.format == "xml"]

    def apply(self, c, gen, candidate):
        element, binding = candidate
        bad = c.choice((b"<CSNSvar><Personer></CSNSvar>", b"<Beskattningsuppgifter>", b"inte xml", b"<a></b>"))
        _put(element, bad, binding.encoding)
        return Planted(f"{binding.agency} payload {_where(element)} is not well-formed XML")


BASIC_KINDS: tuple[Kind, ...] = (
    RemoveRequired(),
    DuplicateSingle(),
    BadEnumeration(),
    BadPattern(),
    BadLexical(),
    TooShort(),
    UnexpectedElement(),
    TextInEmpty(),
    MissingAttribute(),
    FieldOfAnotherVersion(),
    UnknownVersion(),
    ForeignNamespace(),
    OperationOfAnotherVersion(),
    TwoBodyChildren(),
    Soap12(),
    Doctype(),
    Truncated(),
    PayloadBase64(),
    PayloadJson(),
    PayloadUtf8(),
    PayloadXml(),
)


KINDS: tuple[Kind, ...] = BASIC_KINDS + DOMAIN_KINDS
KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


def mutate(c: Chooser, gen: Generated, kinds: tuple[Kind, ...] = KINDS) -> Mutation:
    """Plant one defect of a kind that fits this document."""
    options = [(kind, found) for kind in kinds if (found := kind.candidates(gen))]
    if not options:
        raise NoMutation(f"no mutation of {', '.join(k.name for k in kinds)} fits this document")
    kind, found = options[c.int(0, len(options) - 1)]
    planted = kind.apply(c, gen, found[c.int(0, len(found) - 1)])
    xml = planted.xml if planted.xml is not None else gen.to_bytes()
    document = Document(xml, gen.pack.version, gen.operation, gen.direction, planted.as_of or gen.as_of)
    return Mutation(document, planted.rule or kind.rule, kind.name, planted.description)
