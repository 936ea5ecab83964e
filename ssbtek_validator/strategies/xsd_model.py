"""A pack's XSD, read once through xmlschema's component model into plans that generate directly.

Valid documents are built from the schema, not filtered out of random ones: every element
declaration, group (sequence / choice / all with its occurrences), attribute and simple type
becomes a small plan node with its Hypothesis strategy ready. Compiling a pack costs about half a
second (xmlschema), so plans are cached per pack and per process; drawing a document then only
walks the plans. The facts kept in the plans (which element is required, which value has which
enumeration or pattern) are also what the mutations use to plant schema violations.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import xmlschema
from hypothesis import strategies as st
from xmlschema.validators import (
    XsdAnyElement,
    XsdAtomicBuiltin,
    XsdElement,
    XsdGroup,
    XsdList,
    XsdUnion,
)

from ssbtek_validator.strategies import domain
from ssbtek_validator.strategies.chooser import regex_sampler

XS = "{http://www.w3.org/2001/XMLSchema}"
#: Repeats drawn for maxOccurs > 1 (unbounded included): enough to show a list, cheap enough to be fast.
MAX_REPEATS = 3
#: Plans deeper than this stop at their required minimum (recursive types, runaway nesting).
MAX_DEPTH = 24
#: Where extension elements drawn for lax wildcards live: a namespace no schema claims.
EXTENSION_NAMESPACE = "urn:example:ssbtek-fuzz:tillagg"


@dataclass(eq=False)
class SimplePlan:
    """A simple type: what to draw, and what the mutations need to know to break it."""

    builtin: str
    strategy: st.SearchStrategy[str]
    #: the fast twin of ``strategy`` for :class:`~ssbtek_validator.strategies.chooser.RandomChooser`
    sample: Callable[[random.Random], str] = field(default=lambda rnd: "x")
    enumeration: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_value: object = None
    max_value: object = None
    #: whitespace collapses before the facets apply (xs:token and its kin)
    collapse: bool = False


@dataclass(eq=False)
class AttributePlan:
    name: str
    required: bool
    simple: SimplePlan


@dataclass(eq=False)
class WildcardPlan:
    min: int
    max: int | None
    #: True when an element in a namespace no schema knows is allowed here (##any / ##other, lax or skip)
    open: bool


@dataclass(eq=False)
class GroupPlan:
    model: str
    min: int
    max: int | None
    particles: list[ElementPlan | GroupPlan | WildcardPlan] = field(default_factory=list)


@dataclass(eq=False)
class ElementPlan:
    tag: str
    local: str
    min: int
    max: int | None
    nillable: bool = False
    simple: SimplePlan | None = None
    attributes: tuple[AttributePlan, ...] = ()
    content: GroupPlan | None = None
    #: complex type with empty content: not even whitespace may go inside
    empty: bool = False
    type_name: str | None = None

    @property
    def repeatable(self) -> bool:
        return self.max is None or self.max > 1


# ---------------------------------------------------------------- simple types

_DAYS = st.integers(0, 11322).map(lambda offset: date(2000, 1, 1) + timedelta(days=offset))
_SAFE_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x24F, exclude_categories=("Cc", "Cs")), min_size=1, max_size=16
)


def _string_strategy(min_length: int | None, max_length: int | None) -> st.SearchStrategy[str]:
    if min_length is None and max_length is None:
        return st.one_of(st.sampled_from(domain.TEXTS), _SAFE_TEXT)
    low = min_length or 0
    high = max_length if max_length is not None else max(low, 16)
    pool = [t for t in domain.TEXTS if low <= len(t) <= high]
    generic = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzåäöABCÅÄÖ0123456789 -"), min_size=low, max_size=high)
    return st.one_of(st.sampled_from(pool), generic) if pool else generic


def _integer_strategy(low, high) -> st.SearchStrategy[str]:
    low = -1000 if low is None else int(low)
    high = 100000 if high is None else int(high)
    usual = st.integers(min_value=max(low, 0), max_value=min(high, 500)) if max(low, 0) <= min(high, 500) else None
    full = st.integers(min_value=low, max_value=high)
    return (st.one_of(usual, full) if usual is not None else full).map(str)


_INTEGER_TYPES = {
    "integer",
    "int",
    "long",
    "short",
    "byte",
    "nonNegativeInteger",
    "positiveInteger",
    "unsignedInt",
    "unsignedShort",
    "unsignedLong",
    "unsignedByte",
    "nonPositiveInteger",
    "negativeInteger",
}


def _builtin_strategy(builtin: str, plan: SimplePlan) -> st.SearchStrategy[str]:
    if builtin == "boolean":
        return st.sampled_from(["true", "false", "1", "0"])
    if builtin in _INTEGER_TYPES:
        return _integer_strategy(plan.min_value, plan.max_value)
    if builtin in ("decimal", "float", "double"):
        return st.builds(
            lambda whole, cents, exact: f"{whole}.{cents:02d}" if not exact else str(whole),
            st.integers(min_value=0 if plan.min_value is None else int(plan.min_value), max_value=99999),
            st.integers(0, 99),
            st.booleans(),
        )
    if builtin == "date":
        return _DAYS.map(date.isoformat)
    if builtin == "dateTime":
        return st.builds(
            lambda day, seconds, zone: (
                f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{zone}"
            ),
            _DAYS,
            st.integers(0, 86399),
            st.sampled_from(("", "Z", "+01:00", "+02:00")),
        )
    if builtin == "gYear":
        return st.integers(2000, 2030).map(str)
    if builtin == "base64Binary":
        return st.binary(min_size=1, max_size=24).map(lambda raw: base64.b64encode(raw).decode("ascii"))
    if builtin == "hexBinary":
        return st.binary(min_size=1, max_size=12).map(lambda raw: raw.hex().upper())
    if builtin == "anyURI":
        return st.sampled_from(["urn:example:test", "https://example.invalid/ssbtek"])
    strategy = _string_strategy(plan.min_length, plan.max_length)
    if plan.collapse:  # lengths count after whitespace collapse: " " is an empty token
        low = plan.min_length or 0
        strategy = strategy.map(_collapse).filter(lambda value: len(value) >= low)
    return strategy


def _collapse(value: str) -> str:
    return " ".join(value.split())


_SAFE_CHARS = "abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ0123456789 -.,&<>'\"é"


def _fast_string(low: int | None, high: int | None) -> Callable[[random.Random], str]:
    lo = low or 0
    hi = high if high is not None else max(lo, 16)
    pool = [t for t in domain.TEXTS if lo <= len(t) <= hi]

    def sample(rnd: random.Random) -> str:
        if pool and rnd.random() < 0.6:
            return rnd.choice(pool)
        size = rnd.randint(max(lo, 1 if low is None else lo), hi)
        return "".join(rnd.choice(_SAFE_CHARS) for _ in range(size))

    return sample


def _fast_builtin(builtin: str, plan: SimplePlan) -> Callable[[random.Random], str]:
    if builtin == "boolean":
        return lambda rnd: rnd.choice(("true", "false", "1", "0"))
    if builtin in _INTEGER_TYPES:
        low = -1000 if plan.min_value is None else int(plan.min_value)
        high = 100000 if plan.max_value is None else int(plan.max_value)
        usual_low, usual_high = max(low, 0), min(high, 500)
        if usual_low <= usual_high:
            return lambda rnd: str(rnd.randint(usual_low, usual_high) if rnd.random() < 0.7 else rnd.randint(low, high))
        return lambda rnd: str(rnd.randint(low, high))
    if builtin in ("decimal", "float", "double"):
        low = 0 if plan.min_value is None else int(plan.min_value)
        return lambda rnd: (
            f"{rnd.randint(low, 99999)}.{rnd.randint(0, 99):02d}"
            if rnd.random() < 0.5
            else str(rnd.randint(low, 99999))
        )
    if builtin == "date":
        return lambda rnd: (date(2000, 1, 1) + timedelta(days=rnd.randint(0, 11322))).isoformat()
    if builtin == "dateTime":

        def moment(rnd: random.Random) -> str:
            day = date(2000, 1, 1) + timedelta(days=rnd.randint(0, 11322))
            seconds = rnd.randint(0, 86399)
            zone = rnd.choice(("", "Z", "+01:00", "+02:00"))
            return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{zone}"

        return moment
    if builtin == "gYear":
        return lambda rnd: str(rnd.randint(2000, 2030))
    if builtin == "base64Binary":
        return lambda rnd: base64.b64encode(rnd.randbytes(rnd.randint(1, 24))).decode("ascii")
    if builtin == "hexBinary":
        return lambda rnd: rnd.randbytes(rnd.randint(1, 12)).hex().upper()
    if builtin == "anyURI":
        return lambda rnd: rnd.choice(("urn:example:test", "https://example.invalid/ssbtek"))
    sample = _fast_string(plan.min_length, plan.max_length)
    if not plan.collapse:
        return sample
    low = plan.min_length or 0

    def collapsed(rnd: random.Random) -> str:
        value = _collapse(sample(rnd))
        return value if len(value) >= low else value + "x" * (low - len(value))

    return collapsed


def xsd_regex_to_python(pattern: str) -> str:
    """The few XSD regex spellings that differ from Python's: ``\\d`` is ASCII digits for our purposes.

    XSD's ``\\d`` means every Unicode decimal digit. That is valid XML, but no agency sends it and
    it would only exercise our own rules' digit handling, so generation keeps to 0-9.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped == "d":
                out.append("0-9" if in_class else "[0-9]")
            else:
                out.append(char + escaped)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char in "^$" and not in_class:
            out.append("\\")
        out.append(char)
        index += 1
    return "".join(out)


def _builtin_of(xsd_type) -> str:
    current = xsd_type
    while current is not None and not isinstance(current, XsdAtomicBuiltin):
        current = getattr(current, "base_type", None)
    if current is None:
        return "string"
    return current.local_name or "string"


def _simple_plan(xsd_type) -> SimplePlan:
    if isinstance(xsd_type, XsdList):
        item = _simple_plan(xsd_type.item_type)
        strategy = st.lists(item.strategy, min_size=1, max_size=3).map(" ".join)
        return SimplePlan(
            "list", strategy, sample=lambda rnd: " ".join(item.sample(rnd) for _ in range(rnd.randint(1, 3)))
        )
    if isinstance(xsd_type, XsdUnion):
        return _simple_plan(xsd_type.member_types[0])
    builtin = _builtin_of(xsd_type)
    if builtin == "anyType" or builtin == "anySimpleType":
        builtin = "string"
    enumeration = tuple(str(v) for v in (getattr(xsd_type, "enumeration", None) or ()))
    patterns_facet = getattr(xsd_type, "patterns", None)
    patterns = tuple(patterns_facet.regexps) if patterns_facet is not None else ()
    plan = SimplePlan(
        builtin=builtin,
        strategy=st.nothing(),
        enumeration=enumeration,
        patterns=patterns,
        min_length=getattr(xsd_type, "min_length", None),
        max_length=getattr(xsd_type, "max_length", None),
        min_value=getattr(xsd_type, "min_value", None),
        max_value=getattr(xsd_type, "max_value", None),
        collapse=getattr(xsd_type, "white_space", None) == "collapse",
    )
    if enumeration:
        plan.strategy = st.sampled_from(enumeration)
        plan.sample = lambda rnd: rnd.choice(enumeration)
    elif patterns:
        regex = xsd_regex_to_python(patterns[-1])
        plan.strategy = st.from_regex(regex, fullmatch=True)
        plan.sample = regex_sampler(regex)
        if plan.min_length is not None or plan.max_length is not None:
            low, high = plan.min_length or 0, plan.max_length or 10**6
            plan.strategy = plan.strategy.filter(lambda value: low <= len(value) <= high)
            plan.sample = _retry_length(plan.sample, low, high)
    else:
        plan.strategy = _builtin_strategy(builtin, plan)
        plan.sample = _fast_builtin(builtin, plan)
    return plan


def _retry_length(sample: Callable[[random.Random], str], low: int, high: int) -> Callable[[random.Random], str]:
    def sized(rnd: random.Random) -> str:
        for _ in range(50):
            value = sample(rnd)
            if low <= len(value) <= high:
                return value
        return value

    return sized


# ---------------------------------------------------------------- complex types


class _Compiler:
    def __init__(self) -> None:
        self.elements: dict[int, ElementPlan] = {}
        self.simples: dict[int, SimplePlan] = {}

    def simple(self, xsd_type) -> SimplePlan:
        key = id(xsd_type)
        if key not in self.simples:
            self.simples[key] = _simple_plan(xsd_type)
        return self.simples[key]

    def element(self, decl: XsdElement, depth: int = 0) -> ElementPlan:
        key = id(decl)
        if key in self.elements:
            return self.elements[key]
        xsd_type = decl.type
        name = decl.name
        plan = ElementPlan(
            tag=name,
            local=name.rsplit("}", 1)[-1],
            min=decl.min_occurs,
            max=decl.max_occurs,
            nillable=bool(decl.nillable),
            type_name=getattr(xsd_type, "local_name", None),
        )
        self.elements[key] = plan  # before the content: recursive types end here
        if xsd_type.is_simple():
            plan.simple = self.simple(xsd_type)
            return plan
        plan.attributes = tuple(
            AttributePlan(attribute.name, attribute.use == "required", self.simple(attribute.type))
            for attribute in xsd_type.attributes.values()
            if attribute.name  # skip attribute wildcards
        )
        if xsd_type.has_simple_content():
            plan.simple = self.simple(xsd_type.content)
        elif xsd_type.is_empty():
            plan.empty = True
        else:
            plan.content = self.group(xsd_type.content, depth + 1)
        return plan

    def group(self, group: XsdGroup, depth: int) -> GroupPlan:
        plan = GroupPlan(group.model, group.min_occurs, group.max_occurs)
        for particle in group:
            if isinstance(particle, XsdElement):
                plan.particles.append(self.element(particle, depth))
            elif isinstance(particle, XsdGroup):
                plan.particles.append(self.group(particle, depth))
            elif isinstance(particle, XsdAnyElement):
                namespaces = particle.namespace
                open_ = particle.process_contents in ("lax", "skip") and (
                    "##any" in namespaces or "##other" in namespaces
                )
                plan.particles.append(WildcardPlan(particle.min_occurs, particle.max_occurs, open_))
        return plan


@dataclass(eq=False)
class SchemaModel:
    """The plans of one pack: one per global element (the operation elements)."""

    schema: xmlschema.XMLSchema
    roots: dict[str, ElementPlan]
    #: every element plan by local name, for the domain hooks and mutations that look things up
    by_local: dict[str, list[ElementPlan]]


@cache
def schema_model(entry: Path) -> SchemaModel:
    """Compile once per pack and process (xmlschema takes ~0.4 s per pack)."""
    schema = xmlschema.XMLSchema(str(entry))
    compiler = _Compiler()
    roots = {}
    for name, decl in schema.elements.items():
        roots[name] = compiler.element(decl)
    by_local: dict[str, list[ElementPlan]] = {}
    for plan in compiler.elements.values():
        by_local.setdefault(plan.local, []).append(plan)
    return SchemaModel(schema, roots, by_local)
