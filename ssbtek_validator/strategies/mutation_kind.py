"""What every kind of near miss shares: the planted defect, the kind's protocol, and the small helpers
the schema kinds (:mod:`.mutations`) and the domain kinds (:mod:`.domain_mutations`) both use; in a
module of its own so that neither of the two imports the other back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from ssbtek_validator.strategies.chooser import Chooser
from ssbtek_validator.strategies.documents import Document, Generated
from ssbtek_validator.strategies.walker import XSI_NIL, Record


@dataclass(frozen=True)
class Mutation:
    """A document with one defect, the rule that must report it, and what was done."""

    document: Document
    rule: str
    kind: str
    description: str


class NoMutation(ValueError):
    """None of the asked-for kinds of defect fits the drawn document."""


@dataclass(frozen=True)
class Planted:
    description: str
    #: the mutated bytes when the defect lives below the tree (encoding, DOCTYPE, truncation)
    xml: bytes | None = None
    #: the day to judge the mutated document at, when the defect is about dates
    as_of: date | None = None
    #: the rule id, when the kind's depends on where the defect went (code-list bindings)
    rule: str | None = None


class Kind:
    name: str = ""
    rule: str = ""

    def candidates(self, gen: Generated) -> list:
        return []

    def apply(self, c: Chooser, gen: Generated, candidate) -> Planted:
        raise NotImplementedError


def _alive(record: Record, gen: Generated) -> bool:
    """Still in the document (hooks may have replaced parts) and not the operation element itself."""
    element = record.element
    return element is not gen.payload and element.getroottree().getroot() is gen.envelope


def _where(element: etree._Element) -> str:
    names = []
    node = element
    while node is not None and isinstance(node.tag, str):
        names.append(etree.QName(node).localname)
        node = node.getparent()
        if names[-1] in ("Body", "detail"):
            names.pop()
            break
    return "/".join(reversed(names))


def _is_nil(element: etree._Element) -> bool:
    return element.get(XSI_NIL) in ("true", "1")


# ---------------------------------------------------------------- schema defects (SSBT-XSD)
