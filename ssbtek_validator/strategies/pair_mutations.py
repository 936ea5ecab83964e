"""Inconsistent pairs: a request and its answer, each fine alone, that disagree in one way.

The pair rules (``ssbtek_validator/rules/exchange.py``) judge the exchange: echoed ``korrelationsid`` and
``frageTidpunkt``, the echoed question, and which agencies answer. Each kind below breaks one of
those on a generated pair and names the rule that must report it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from ssbtek_validator.strategies.chooser import Chooser
from ssbtek_validator.strategies.documents import Document, Generated
from ssbtek_validator.strategies.mutations import NoMutation, Planted


@dataclass(frozen=True)
class PairMutation:
    request: Document
    answer: Document
    rule: str
    kind: str
    description: str


def _direct(gen: Generated, local: str) -> etree._Element | None:
    return gen.payload.find(f"{{{gen.pack.namespace}}}{local}")


def _own_korrelationsid(answer: Generated) -> list[etree._Element]:
    """The answer's korrelationsid, when changing it breaks only the pair: an answer that echoes ``fraga``
    carries the question's korrelationsid too, and disagreeing with its own echo is SSBT-ANSWER-ECHO's."""
    return _own_echo(answer, "korrelationsid")


def _own_echo(answer: Generated, local: str) -> list[etree._Element]:
    """The answer's own korrelationsid or frageTidpunkt, when it holds no echoed ``fraga`` to disagree with."""
    found = _direct(answer, local)
    return [found] if found is not None and _direct(answer, "fraga") is None else []


class PairKind:
    name = ""
    rule = ""

    def candidates(self, answer: Generated) -> list:
        return []

    def apply(self, c: Chooser, answer: Generated, candidate) -> Planted:
        raise NotImplementedError


class KorrelationsidDiffers(PairKind):
    name, rule = "pair-korrelationsid-differs", "SSBT-PAIR-KORRELATIONSID"

    def candidates(self, answer):
        return _own_korrelationsid(answer)

    def apply(self, c, answer, element):
        current = element.text or ""
        others = ("00000000-0000-4000-8000-000000000000", current.upper() + "-x", "")
        # the generator may itself have drawn the fixed value: only a value that differs is a defect
        element.text = c.choice(tuple(value for value in others if value != current))
        return Planted("the answer's korrelationsid is not the request's")


class KorrelationsidDropped(PairKind):
    name, rule = "pair-korrelationsid-not-echoed", "SSBT-PAIR-KORRELATIONSID"

    def candidates(self, answer):
        return _own_korrelationsid(answer)

    def apply(self, c, answer, element):
        element.getparent().remove(element)
        return Planted("the request has a korrelationsid, the answer does not echo it")


class FrageTidpunktDiffers(PairKind):
    name, rule = "pair-fragetidpunkt-differs", "SSBT-PAIR-FRAGETIDPUNKT"

    def candidates(self, answer):
        return _own_echo(answer, "frageTidpunkt")  # against its own echo it is SSBT-ANSWER-ECHO's

    def apply(self, c, answer, element):
        text = element.text
        moment = datetime.fromisoformat(text[:19]) + timedelta(minutes=c.int(1, 600))
        element.text = moment.isoformat() + text[19:]
        return Planted("the answer's frageTidpunkt is another instant than the request's")


class FragaNotEchoed(PairKind):
    name, rule = "pair-fraga-not-echoed", "SSBT-PAIR-FRAGA"

    def candidates(self, answer):
        found = _direct(answer, "fraga")
        return [found] if found is not None else []

    def apply(self, c, answer, element):
        element.getparent().remove(element)
        return Planted("fraganSkallInkluderasISvaret is true, the answer has no fraga")


_FREE_TEXT = frozenset({"syfte", "lagtext", "handlaggare", "namn"})


class FragaAltered(PairKind):
    name, rule = "pair-fraga-altered", "SSBT-PAIR-FRAGA"

    def candidates(self, answer):
        found = _direct(answer, "fraga")
        if found is None:
            return []
        # free-text fields only, so that the answer alone stays valid and only the pair rule can object
        return [e for e in found.iter() if isinstance(e.tag, str) and etree.QName(e).localname in _FREE_TEXT]

    def apply(self, c, answer, element):
        element.text = (element.text or "") + c.choice(("0", "x", " ändrad"))
        return Planted(f"the echoed question differs from the request at {etree.QName(element).localname}")


class AgencyNotAsked(PairKind):
    name, rule = "pair-agency-not-asked", "SSBT-PAIR-AGENCY"

    def candidates(self, answer):
        svarsdata = _direct(answer, "svarsdata")
        if svarsdata is None or answer.request is None:
            return []
        asked = answer.request.payload.find(f"{{{answer.pack.namespace}}}specifikaFrageparametrar")
        answered = {etree.QName(e).localname for e in svarsdata}
        return [e for e in (asked if asked is not None else []) if etree.QName(e).localname in answered]

    def apply(self, c, answer, block):
        block.set("inkludera", c.choice(("false", "0")))
        return Planted(f"the answer holds {etree.QName(block).localname}, which the request did not include")


PAIR_KINDS: tuple[PairKind, ...] = (
    KorrelationsidDiffers(),
    KorrelationsidDropped(),
    FrageTidpunktDiffers(),
    FragaNotEchoed(),
    FragaAltered(),
    AgencyNotAsked(),
)


def mutate_pair(c: Chooser, answer: Generated, kinds: tuple[PairKind, ...] = PAIR_KINDS) -> PairMutation:
    options = [(kind, found) for kind in kinds if (found := kind.candidates(answer))]
    if not options:
        raise NoMutation("no pair defect fits this exchange")
    kind, found = options[c.int(0, len(options) - 1)]
    planted = kind.apply(c, answer, found[c.int(0, len(found) - 1)])
    return PairMutation(answer.request.document(), answer.document(), kind.rule, kind.name, planted.description)
