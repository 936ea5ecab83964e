"""Walk a pack's plans, taking each decision from a :class:`Chooser`, and emit lxml elements.

The walker knows XSD only: occurrences, choices, attributes, simple values, nil, wildcards. What
SSBTEK needs beyond that (a real personnummer, an answer that agrees with its question) comes from
a :class:`Hooks` object consulted before each decision. While it builds, the walker records which
elements the schema requires and which values have facets, so that a mutation can later break
exactly one of them and know that the schema must object.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ssbtek_validator.strategies.chooser import Chooser
from ssbtek_validator.strategies.xsd_model import (
    EXTENSION_NAMESPACE,
    MAX_DEPTH,
    MAX_REPEATS,
    ElementPlan,
    GroupPlan,
    WildcardPlan,
)

XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


@dataclass(slots=True)
class Record:
    """An element the walker built, with the plan it followed."""

    element: etree._Element
    plan: ElementPlan
    #: removing this element alone makes the document schema-invalid
    required: bool


class Hooks:
    """Domain decisions; each returns None to let the schema decide."""

    def occurs(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> int | None:
        return None

    def build(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> bool:
        """Build ``plan`` under ``parent`` completely; True when done."""
        return False

    def value(self, walker: Walker, plan: ElementPlan, element: etree._Element) -> str | None:
        return None

    def attribute(self, walker: Walker, plan: ElementPlan, name: str, element: etree._Element) -> str | None:
        return None

    def choose(self, walker: Walker, group: GroupPlan, parent: etree._Element) -> int | None:
        """Index of the branch a choice takes."""
        return None


class Walker:
    def __init__(
        self,
        chooser: Chooser,
        hooks: Hooks,
        *,
        extensions: bool = True,
        nil: bool = True,
        max_repeats: int = MAX_REPEATS,
    ) -> None:
        self.c = chooser
        self.max_repeats = max_repeats
        self.hooks = hooks
        self.records: list[Record] = []
        self.extensions = extensions
        self.nil = nil

    # ------------------------------------------------------------ counts

    def count(self, low: int, high: int | None, depth: int) -> int:
        if depth > MAX_DEPTH:
            return low
        top = low + self.max_repeats if high is None else min(high, low + self.max_repeats)
        if top <= low:
            return low
        return self.c.int(low, top)

    # ------------------------------------------------------------ elements

    def element(self, plan: ElementPlan, parent: etree._Element, *, required: bool = False, depth: int = 0):
        if self.hooks.build(self, plan, parent):
            return parent[-1] if len(parent) else None
        element = etree.SubElement(parent, plan.tag)
        self.records.append(Record(element, plan, required))
        self.fill(element, plan, depth)
        return element

    def root(self, plan: ElementPlan, nsmap: dict[str | None, str]) -> etree._Element:
        element = etree.Element(plan.tag, nsmap=nsmap)
        self.records.append(Record(element, plan, False))
        self.fill(element, plan, 0)
        return element

    def fill(self, element: etree._Element, plan: ElementPlan, depth: int) -> None:
        for attribute in plan.attributes:
            value = self.hooks.attribute(self, plan, attribute.name, element)
            if value is None:
                if not attribute.required and not self.c.bool():
                    continue
                value = self.c.simple(attribute.simple)
            element.set(attribute.name, value)
        if plan.nillable and self.nil and self.c.one_in(10):
            element.set(XSI_NIL, "true")
            return
        if plan.simple is not None:
            value = self.hooks.value(self, plan, element)
            element.text = value if value is not None else self.c.simple(plan.simple)
        elif plan.content is not None:
            self.group(element, plan.content, depth + 1, required=True)

    # ------------------------------------------------------------ groups

    def group(self, parent: etree._Element, group: GroupPlan, depth: int, *, required: bool) -> None:
        repeats = self.count(group.min, group.max, depth)
        # removing one element breaks the group only if the group could not have been left out
        required = required and group.min >= 1 and repeats == group.min
        for _ in range(repeats):
            if group.model == "choice":
                index = self.hooks.choose(self, group, parent)
                if index is None:
                    index = self.c.int(0, len(group.particles) - 1)
                emptiable = any(_emptiable(p) for p in group.particles)
                self.particle(parent, group.particles[index], depth, required and not emptiable)
            else:
                for particle in group.particles:
                    self.particle(parent, particle, depth, required)

    def particle(self, parent, particle, depth: int, required: bool) -> None:
        if isinstance(particle, ElementPlan):
            count = self.hooks.occurs(self, particle, parent)
            if count is None:
                count = self.count(particle.min, particle.max, depth)
            is_required = required and particle.min >= 1 and count == particle.min
            for _ in range(count):
                self.element(particle, parent, required=is_required, depth=depth)
        elif isinstance(particle, GroupPlan):
            self.group(parent, particle, depth, required=required)
        elif (
            isinstance(particle, WildcardPlan)
            and self.extensions
            and particle.open
            and particle.max != 0
            and self.c.one_in(10)
        ):
            extension = etree.SubElement(parent, f"{{{EXTENSION_NAMESPACE}}}tillagg", nsmap={"x": EXTENSION_NAMESPACE})
            extension.text = "utökning"


def _emptiable(particle) -> bool:
    if isinstance(particle, ElementPlan | WildcardPlan):
        return particle.min == 0
    return particle.min == 0 or all(_emptiable(p) for p in particle.particles)
