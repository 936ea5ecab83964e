"""A request and its answer, judged together: what one message alone cannot show.

Each side is reduced to the few facts the exchange rules need (:class:`Side`: namespace,
korrelationsid, which agencies were asked and which answered, the question in a normalised form),
so a folder of thousands of captures can be paired by korrelationsid without keeping every parsed
tree. Rules here follow the message rules' protocol, with ``check(request, answer)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from sys import intern

from lxml import etree

from ssbtek_validator.reading.message import Message, boolean, child, element_path, integer, text_of
from ssbtek_validator.results.masking import looks_public, mask, shown_in
from ssbtek_validator.results.model import ExchangeResult, Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS
from ssbtek_validator.rules.elements import first_children
from ssbtek_validator.rules.request import SKV_PARTS, included

AGENCIES = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")

#: echoed_question's fraga not given by its caller: it looks it up itself
_UNREAD = object()

#: A normalised element: (namespace, local name, attributes, text, children); whitespace-only text is layout.
Node = tuple[str, str, tuple[tuple[str, str], ...], str, tuple["Node", ...]]


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a fact sits in its message, for the finding that mentions it."""

    line: int | None
    path: str


class ElementSpot:
    """Where an element is, like :class:`Spot`, with its path worked out only when a finding asks for it.

    ``element_path`` costs ~1.3 µs, and reading an answer's facts took some twenty of them, most never shown:
    SSBT-ANSWER-ECHO spent two thirds of its time on an answer that echoes fraga making paths for findings
    it did not have. Only for the facts a rule reads while the message's tree is alive
    (``side_of(pairing=False)``, :func:`echoed_question`): the sides kept for pairing keep no tree."""

    __slots__ = ("element",)

    def __init__(self, element: etree._Element) -> None:
        self.element = element

    @property
    def line(self) -> int | None:
        return self.element.sourceline

    @property
    def path(self) -> str:
        return element_path(self.element)


#: where a fact sits: worked out at once (kept for pairing) or when a finding asks (one message's rules)
Place = Spot | ElementSpot


def _spot(element: etree._Element, lazy: bool) -> Place:
    """A kept place's path is interned: the sides kept for pairing hold the same few paths (an answer's seven agency
    blocks, its korrelationsid) once for every message, a quarter of what --pairs keeps a message (~3 kB; 100,000
    messages kept ~75 MB of equal path strings). tests/rules/test_hot_paths.py checks two sides share them."""
    return ElementSpot(element) if lazy else Spot(element.sourceline, intern(element_path(element)))


def _local(element: etree._Element) -> str:
    """An element's local name: its Clark tag's end (a local name holds no "}"), without building a QName."""
    return element.tag.rpartition("}")[2]


@dataclass(slots=True)
class Side:
    name: str
    #: False when the message has no SSBTEK payload (unreadable, not SOAP, generic fault)
    usable: bool = False
    namespace: str | None = None
    operation: str | None = None
    direction: str | None = None
    where: Place = Spot(None, "")
    korrelationsid: tuple[str, Place] | None = None
    frage_tidpunkt: tuple[str, Place] | None = None
    #: request: fraganSkallInkluderasISvaret; answer: None
    echo_wanted: bool = False
    #: request: fraganSkallInkluderasISvaret as written, with where it is (None when absent)
    echo_flag: tuple[str, Place] | None = None
    #: request: agency → inkludera; answer: agency → where it answered
    included: dict[str, bool] = field(default_factory=dict)
    answered: dict[str, Place] = field(default_factory=dict)
    #: v11 SKV parts: request: part → asked for in SKV/fraga; answer: part → where it answered
    skv_asked: dict[str, bool] = field(default_factory=dict)
    skv_answered: dict[str, Place] = field(default_factory=dict)
    #: request: the question itself, when it asks for its echo (see _question_facts); answer: the echoed fraga
    #: (with where it is)
    question: Node | None = None
    echoed: tuple[Node, Spot] | None = None


def side_of(message: Message, pairing: bool = True) -> Side:
    """The facts of one parsed message; cheap, and the only thing kept for pairing. ``pairing=False``: only
    the facts an answer's own rules read (korrelationsid, frageTidpunkt, what it answered), without the
    normalised form of the question it echoes, which only pairing compares (a walk of the whole echoed
    question: half the cost of SSBT-ANSWER-ECHO when it read it for nothing), and with the places of its facts
    worked out only for a finding (:class:`ElementSpot`)."""
    side = Side(message.name, direction=message.direction)
    payload = message.payload
    if payload is None or message.operation is None:
        return side
    lazy = not pairing
    side.usable = True
    side.namespace, side.operation, side.direction = message.namespace, message.operation, message.direction
    side.where = _spot(payload, lazy)
    if message.direction == "request":
        _question_facts(side, payload, normalised=pairing, lazy=lazy)
    elif message.direction == "answer":
        fields = first_children(payload)
        side.korrelationsid = _fact(fields.get("korrelationsid"), lazy)
        side.frage_tidpunkt = _fact(fields.get("frageTidpunkt"), lazy)
        answers = fields.get("svarsdata") if message.operation == "hamtaBastjanstInformation" else payload
        for agency in answers if answers is not None else ():
            if isinstance(agency.tag, str):
                side.answered[_local(agency)] = _spot(agency, lazy)
        skv = child(answers, "SKV") if message.operation == "hamtaBastjanstInformation" else None
        for part in skv if skv is not None else ():
            name = _local(part) if isinstance(part.tag, str) else None
            if name in SKV_PARTS:
                side.skv_answered[name] = _spot(part, lazy)
        fraga = fields.get("fraga") if pairing else None
        if fraga is not None:
            side.echoed = (_normalise(fraga), Spot(fraga.sourceline, element_path(fraga)))
    return side


def _question_facts(side: Side, question: etree._Element, normalised: bool = True, lazy: bool = False) -> None:
    """A question's facts, from a request's payload or from the ``fraga`` an answer echoes: one reading,
    so a pair and a single answer judge the echo by the same facts. ``normalised=False`` leaves out the
    question's normalised form, which only pairing compares (it is a walk of the whole question); with it, the
    form is kept only for a question that asks for its echo (fraganSkallInkluderasISvaret true): SSBT-PAIR-FRAGA
    compares it with nothing else, and most requests do not ask (normalising each was ~30% of what --pairs added
    to a message, each copy kept to the run's end; tests/rules/test_hot_paths.py checks it); ``lazy``
    leaves the facts' paths to the findings that show them (:class:`ElementSpot`)."""
    general = first_children(child(question, "generellaFrageparametrar"))
    side.korrelationsid = _fact(general.get("korrelationsid"), lazy)
    side.frage_tidpunkt = _fact(general.get("frageTidpunkt"), lazy)
    wanted = _fact(general.get("fraganSkallInkluderasISvaret"), lazy)
    side.echo_wanted = wanted is not None and boolean(wanted[0]) is True
    side.echo_flag = wanted
    skv_fraga = None  # the first fraga of the first SKV block that has one
    for agency in agency_blocks(question):
        name = _local(agency)
        side.included[name] = included(agency)
        if name == "SKV" and skv_fraga is None:  # read in the same pass: a second one cost ~1 µs an echo
            skv_fraga = next(agency.iterchildren("{*}fraga"), None)
    for part in skv_fraga if skv_fraga is not None else ():
        name = _local(part) if isinstance(part.tag, str) else None
        if name in SKV_PARTS:
            side.skv_asked[name] = boolean(text_of(part)) is True
    if normalised and side.echo_wanted:
        side.question = _normalise(question)


def agency_blocks(question: etree._Element, tag: str = "{*}*") -> Iterator[etree._Element]:
    """What ``question.iterfind("{*}specifikaFrageparametrar/" + tag)`` finds, in the same order (the children
    of every specifikaFrageparametrar), without ElementPath parsing the path in Python on every call."""
    for parameters in question.iterchildren("{*}specifikaFrageparametrar"):
        yield from parameters.iterchildren(tag)


def echoed_question(message: Message, fraga: etree._Element | object | None = _UNREAD) -> Side | None:
    """The question an answer echoes in its ``fraga``, read as a request's facts; None without an echo.
    Without its normalised form: one answer's own rules compare facts, not the whole question. ``fraga``: the
    answer's ``child(payload, "fraga")`` when the caller has it already (a rule's payload_child memo)."""
    payload = message.payload
    if payload is None or message.direction != "answer":
        return None
    if fraga is _UNREAD:
        fraga = child(payload, "fraga")
    if fraga is None:
        return None
    side = Side(message.name, usable=True, namespace=message.namespace, operation=message.operation)
    side.direction = "request"
    side.where = ElementSpot(fraga)
    _question_facts(side, fraga, normalised=False, lazy=True)
    return side


def _fact(element: etree._Element | None, lazy: bool) -> tuple[str, Place] | None:
    """A fact's value and where it is: the first child of its name (any namespace) that its caller found."""
    if element is None:
        return None
    return text_of(element).strip(), _spot(element, lazy)


def _normalise(element) -> Node:
    """Namespace-aware and indifferent to prefixes and indentation: what 'the same question' means. A typed
    value is compared as the value it spells (see _canonical), not as the characters that spell it."""
    qname = etree.QName(element)
    children = tuple(_normalise(child) for child in element if isinstance(child.tag, str))
    text = _canonical(qname.localname, text_of(element).strip())
    attributes = tuple(
        sorted((name, _canonical(name, value)) for name, value in element.attrib.items() if not name.startswith(_XSI))
    )
    return qname.namespace or "", qname.localname, attributes, text, children


#: xsi:type, xsi:nil="false", xsi:schemaLocation say how to validate the element, not what it holds: a question
#: sent with xsi:type naming its declared types and echoed without them is the same question
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _canonical(name: str, text: str) -> str:
    """The value of a typed field of the question in one spelling, so that an echo written by another
    serializer is the same question: a service that reads the question into typed objects (JAXB, WCF) writes
    the echo in its own canonical forms, e.g. ``inkludera="true"`` for a question's legal ``"1"``, a
    dateTime in another offset, ``1`` for ``+01``. XML Schema 1.0 Part 2 compares these by value. A text
    that is no such value is kept as it is (the schema's finding)."""
    kind = _TYPED_FIELDS.get(name)
    if kind is None:
        return text
    if kind == "boolean":
        value = boolean(text)
        return text if value is None else str(value).lower()
    if kind == "integer":
        number = integer(text)
        return text if number is None else str(number)
    if kind == "base64Binary":
        # the octets, not their lines: base64 wrapped at 76 columns (MIME, .NET's InsertLineBreaks) and the same
        # base64 on one line are one xs:base64Binary value (XML Schema 1.0 Part 2, 3.2.16: whitespace collapses)
        return "".join(text.split())
    return _instant(text)


def _instant(text: str) -> str:
    """An xs:dateTime as its value: an instant in UTC when it has a zone (offsets, ``Z`` and ``-00:00`` alike),
    a local time without; the fraction of a second exactly, trailing zeros aside (``.418`` = ``.4180000``)."""
    found = _DATE_TIME.fullmatch(text)
    if found is None:
        return text
    moment, fraction, zone = found.groups()
    try:
        when = datetime.fromisoformat(moment + ("+00:00" if zone == "Z" else zone or ""))
    except ValueError:
        return text
    if zone:
        when = (when - when.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    return when.isoformat() + (fraction or "").rstrip("0").rstrip(".") + ("Z" if zone else "")


def _changed_by_serializer(asked: str, echoed: str) -> str | None:
    """Why an echoed xs:dateTime is not the value asked, where it is the same time changed the way a
    serializer changes one: a zone added or dropped, or fraction digits cut; None otherwise."""
    mine, theirs = _DATE_TIME.fullmatch(asked.strip()), _DATE_TIME.fullmatch(echoed.strip())
    if mine is None or theirs is None:
        return None
    (moment, fraction, zone), (moment2, fraction2, zone2) = mine.groups(), theirs.groups()
    digits, digits2 = (fraction or ".")[1:].rstrip("0"), (fraction2 or ".")[1:].rstrip("0")
    if bool(zone) != bool(zone2) and moment == moment2 and digits == digits2:
        added = "adds a time zone to" if zone2 else "drops the time zone of"
        return (
            f"The answer {added} the time given: a time with a zone and one without are not the same "
            "xs:dateTime value (XML Schema 1.0 Part 2, 3.2.7.4), so it was not returned as given."
        )
    cut_short = bool(zone) == bool(zone2) and len(digits2) < len(digits) and digits.startswith(digits2)
    if cut_short and _instant(moment + (fraction2 or "") + (zone or "")) == _instant(echoed.strip()):
        cut = f"{len(digits2)} fraction digits" if digits2 else "whole seconds"
        return (
            f"The answer's time is the request's cut to {cut}: another instant, so it was not returned as "
            "given (a date-time type that holds less precision than the request's was used on the way)."
        )
    return None


_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
#: the question's fields whose type has more than one spelling of a value (the contract's types)
_TYPED_FIELDS = {
    "inkludera": "boolean",
    "fraganSkallInkluderasISvaret": "boolean",
    **{part: "boolean" for part in SKV_PARTS},
    "ordningsnummer": "integer",
    "ar": "integer",
    "frageTidpunkt": "dateTime",
    "lefiJsonFraga": "base64Binary",
}


def first_difference(expected: Node, got: Node, path: str = "") -> str | None:
    """The path (local names) of the first place two elements differ, or None when they are equal."""
    here = f"{path}/{expected[1]}"
    if expected[:2] != got[:2]:
        return f"{path}/{got[1]} (expected {expected[1]})"
    if expected[2] != got[2]:
        return f"{here} (attributes)"
    if expected[3] != got[3]:
        return f"{here} (text)"
    return children_difference(expected[4], got[4], here)


def children_difference(expected: tuple[Node, ...], got: tuple[Node, ...], path: str) -> str | None:
    for mine, theirs in zip(expected, got, strict=False):
        found = first_difference(mine, theirs, path)
        if found:
            return found
    if len(expected) != len(got):
        return f"{path} ({len(got)} child elements, expected {len(expected)})"
    return None


# ---------------------------------------------------------------- rules


class _ExchangeRule:
    id = ""
    severity = Severity.ERROR

    def finding(self, side: Side, spot: Place | None, message: str, severity: Severity | None = None, **extra):
        spot = spot or side.where
        return Finding(
            self.id, severity or self.severity, message, file=side.name, line=spot.line, path=spot.path, **extra
        )


class PairShapeRule(_ExchangeRule):
    id = "SSBT-PAIR-OPERATION"
    summary = "The answer answers the request: same operation, a request first, an answer or fault second."
    versions = ALL_VERSIONS
    explanation = (
        "An exchange is a request (hamtaBastjanstInformation or testaBastjanstInformation) and the answer "
        "to that operation, or its fault. Two requests, two answers, or an answer to the other "
        "operation cannot be a pair: error."
    )
    example = "answer is testaBastjanstInformation but the request is hamtaBastjanstInformation."

    def check(self, request: Side, answer: Side) -> Iterator[Finding]:
        if request.direction != "request":
            yield self.finding(
                request, None, f"the first message of the pair is {_a(request.direction)}, expected a request."
            )
        if answer.direction not in ("answer", "fault"):
            yield self.finding(
                answer, None, f"the second message of the pair is {_a(answer.direction)}, expected an answer or fault."
            )
        if request.operation != answer.operation:
            yield self.finding(
                answer, None, f"the answer is to {answer.operation} but the request is {request.operation}."
            )


class PairNamespaceRule(_ExchangeRule):
    id = "SSBT-PAIR-NAMESPACE"
    summary = "Request and answer use the same SSBTEK namespace (version)."
    versions = ALL_VERSIONS
    explanation = (
        "Försäkringskassan routes on the namespace (…/integration/ssbt/N) and answers in the namespace it "
        "was asked in; an answer in another version's namespace is not an answer to this request (its "
        "v11 test environment answers a /10 envelope with a generic SOAP fault instead): error."
    )
    example = "request in …/ssbt/10, answer in …/ssbt/11."

    def check(self, request: Side, answer: Side) -> Iterator[Finding]:
        if request.namespace != answer.namespace:
            yield self.finding(
                answer, None, f"the answer is in namespace {answer.namespace}; the request was in {request.namespace}."
            )


class PairAgencyRule(_ExchangeRule):
    id = "SSBT-PAIR-AGENCY"
    summary = 'The answer holds only agencies the request included (inkludera="true").'
    versions = ALL_VERSIONS
    explanation = (
        'Each agency in the request carries inkludera; SSBTEK asks only those with inkludera="true" and '
        "answers each of them with data or an error. An agency in svarsdata that was not included was "
        "never asked: error. So is, in v11, an SKV part (foretagsinformation … beskattningsbilagor) the "
        "request's SKV/fraga set false: each part answers one the question asked for (Sundsvalls kommun's v11 "
        "reconstruction). An included agency missing from the answer is SSBT-PAIR-AGENCY-MISSING "
        "(warning: the answer says nothing about an agency it should have asked)."
    )
    example = 'svarsdata holds MIV, but the request has MIV inkludera="false".'

    def check(self, request: Side, answer: Side) -> Iterator[Finding]:
        if request.operation != "hamtaBastjanstInformation" or answer.direction != "answer":
            return
        for spot, said in unasked_answers(request, answer, "the request"):
            yield self.finding(answer, spot, said)
        for agency, wanted in request.included.items():
            if wanted and agency not in answer.answered:
                yield Finding(
                    "SSBT-PAIR-AGENCY-MISSING",
                    Severity.WARNING,
                    f'{agency} was included (inkludera="true") but the answer has neither data nor an error for it.',
                    file=answer.name,
                    line=answer.where.line,
                    path=answer.where.path,
                )


def unasked_answers(question: Side, answer: Side, named: str) -> Iterator[tuple[Place, str]]:
    """Where ``answer`` answers what ``question`` did not ask: an agency not included, or (v11) an SKV part
    its SKV/fraga set false. One reading for a pair and for an answer against the fraga it echoes."""
    for agency, spot in answer.answered.items():
        if not question.included.get(agency, False):
            said = f"not in {named}" if agency not in question.included else f'inkludera="false" in {named}'
            yield spot, f"the answer holds {agency}, which was {said}; only included agencies are answered."
    if not question.included.get("SKV", False) or not question.skv_asked:
        return
    for part, spot in answer.skv_answered.items():
        if not question.skv_asked.get(part, False):
            yield (
                spot,
                (
                    f"the answer holds SKV {part}, which SKV/fraga in {named} did not ask for ({part} false or "
                    "absent); SKV answers only the parts its fraga asks for."
                ),
            )


class _EchoRule(_ExchangeRule):
    fact = ""

    def check(self, request: Side, answer: Side) -> Iterator[Finding]:
        if answer.direction != "answer" or request.operation != "hamtaBastjanstInformation":
            return
        problem = self.echo_problem(request, answer, "the request")
        if problem is not None:
            yield self.finding(answer, *problem)

    def echo_problem(self, question: Side, answer: Side, source: str) -> tuple[Place | None, str] | None:
        """Where and why the answer does not echo this fact of the question (``source`` says whose it is:
        the request of a pair, or the question an answer itself echoes), or None."""
        asked = getattr(question, self.attribute)
        if asked is None:
            return None
        echoed = getattr(answer, self.attribute)
        if echoed is None:
            return None, f"{source} has {self.fact} {self._shown(asked[0])} but the answer does not echo it."
        if not self.same(asked[0], echoed[0]):
            said = f"the answer's {self.fact} is {self._shown(echoed[0])}; {source}'s is {self._shown(asked[0])}."
            return echoed[1], said
        return None

    def _shown(self, value: str) -> str:
        """The value as a report may show it: a date or UUID as it is, anything else (a name typed there) masked."""
        return value if shown_in(value, self.fact) else mask(value)

    @staticmethod
    def same(a: str, b: str) -> bool:
        return a == b


class PairKorrelationsidRule(_EchoRule):
    id = "SSBT-PAIR-KORRELATIONSID"
    attribute = "korrelationsid"
    fact = "korrelationsid"
    summary = "The answer echoes the request's korrelationsid."
    versions = ALL_VERSIONS
    explanation = (
        "korrelationsid is the caller's handle on the exchange; the contract echoes it in the answer when "
        "the request gives one (SSBTEK v10 contract). Missing or different: error (the caller cannot match them)."
    )
    example = "the answer's korrelationsid is 00000000-…; the request's is b1e0c4d2-…."


class PairFrageTidpunktRule(_EchoRule):
    id = "SSBT-PAIR-FRAGETIDPUNKT"
    attribute = "frage_tidpunkt"
    fact = "frageTidpunkt"
    summary = "The answer echoes the request's frageTidpunkt (the same instant)."
    versions = ALL_VERSIONS
    explanation = (
        "frageTidpunkt is echoed in the answer when the request gives one (SSBTEK v10 contract: returned as "
        "given). It is an xs:dateTime, compared by value (XML Schema 1.0 Part 2, 3.2.7): the same instant "
        "written in another offset, or with trailing zeros in its fraction, is the same value. Another instant, "
        "or none, is an error; so is the request's time cut to fewer fraction digits (.4181234 echoed as .418 is "
        "another instant) and a zone added to or dropped from it (a time without a zone is not comparable with "
        "one with a zone within 14 hours, 3.2.7.4, so it is not the value given): the finding names either cause."
    )
    example = "the answer's frageTidpunkt is 2026-10-15T08:00:00Z; the request's is 2026-10-14T09:12:33+02:00."

    def echo_problem(self, question: Side, answer: Side, source: str) -> tuple[Place | None, str] | None:
        """As every echo, and where the two differ only as a serializer changes a value (a zone added or dropped,
        fraction digits cut), the finding says which, so the reader knows where to look."""
        problem = super().echo_problem(question, answer, source)
        if problem is None or answer.frage_tidpunkt is None:
            return problem
        cause = _changed_by_serializer(question.frage_tidpunkt[0], answer.frage_tidpunkt[0])  # type: ignore[index]
        return (problem[0], f"{problem[1]} {cause}") if cause else problem

    @staticmethod
    def same(a: str, b: str) -> bool:
        """The same xs:dateTime value: the same instant (both with a zone) or the same local time (both
        without), to the last fraction digit written (.NET writes seven; Python's datetime keeps six)."""
        return a == b or _instant(a) == _instant(b)


class PairFragaRule(_ExchangeRule):
    id = "SSBT-PAIR-FRAGA"
    summary = "The answer echoes the question (fraga) exactly when fraganSkallInkluderasISvaret is true, unchanged."
    versions = ALL_VERSIONS
    explanation = (
        "fraganSkallInkluderasISvaret=true asks SSBTEK to return the question in the answer's fraga; "
        "false (or absent) means no fraga (SSBTEK v10 contract). An echo that is missing, present when not asked "
        "for, or not the question that was sent (compared element by element, whatever the prefixes "
        'and indentation, and typed values by value: inkludera="1" is "true", a frageTidpunkt the same instant '
        "in another offset or with more fraction digits the same time, the LEFI question's base64 the same "
        "bytes however its lines are broken) is an error."
    )
    example = "fraganSkallInkluderasISvaret is true but the answer has no fraga."

    def check(self, request: Side, answer: Side) -> Iterator[Finding]:
        if answer.direction != "answer" or request.operation != "hamtaBastjanstInformation":
            return
        if request.echo_wanted and answer.echoed is None:
            yield self.finding(
                answer, None, "fraganSkallInkluderasISvaret is true in the request but the answer has no fraga."
            )
        elif not request.echo_wanted and answer.echoed is not None:
            yield self.finding(
                answer,
                answer.echoed[1],
                "the answer echoes fraga but the request's fraganSkallInkluderasISvaret is not true.",
            )
        elif answer.echoed is not None and request.question is not None:
            where = children_difference(request.question[4], answer.echoed[0][4], "/fraga")
            if where:
                yield self.finding(
                    answer, answer.echoed[1], f"the echoed fraga differs from the question sent, first at {where}."
                )


EXCHANGE_RULES: tuple[_ExchangeRule, ...] = (
    PairShapeRule(),
    PairNamespaceRule(),
    PairAgencyRule(),
    PairKorrelationsidRule(),
    PairFrageTidpunktRule(),
    PairFragaRule(),
)

INCOMPLETE_EXPLANATION = (
    "SSBT-PAIR-INCOMPLETE: one side of an exchange is missing or holds no SSBTEK message (unreadable, "
    "not SOAP, a generic SOAP fault), so the pair could not be judged: the exchange is incomplete (exit 3)."
)


def judge(name: str, request: Side | None, answer: Side | None, paired_by: str) -> ExchangeResult:
    """Run the exchange rules on a pair; a side that is missing or unusable makes it incomplete."""
    result = ExchangeResult(
        name, request.name if request else None, answer.name if answer else None, paired_by=paired_by
    )
    for label, side in (("request", request), ("answer", answer)):
        if side is None:
            result.findings.append(
                Finding(
                    "SSBT-PAIR-INCOMPLETE",
                    Severity.ERROR,
                    f"The exchange has no {label}; it cannot be judged.",
                    file=name,
                )
            )
        elif not side.usable:
            result.findings.append(
                Finding(
                    "SSBT-PAIR-INCOMPLETE",
                    Severity.ERROR,
                    f"The {label} holds no SSBTEK message (see its own findings); the exchange cannot be judged.",
                    file=side.name,
                )
            )
    if answer is not None and not answer.usable and answer.direction == "fault" and request and request.usable:
        result.findings = [
            Finding(
                "SSBT-PAIR-FAULT",
                Severity.INFO,
                "The answer is a generic SOAP fault without an SSBTEK detail; the pair rules do not apply.",
                file=answer.name,
            )
        ]
    if result.findings:
        return result
    for rule in EXCHANGE_RULES:
        result.rules_run.append(rule.id)
        result.findings.extend(rule.check(request, answer))
        if rule.id == "SSBT-PAIR-OPERATION" and result.findings:
            break  # not a request and its answer: the other rules would only repeat it
    return result


def pair_by_korrelationsid(sides: list[Side]) -> list[ExchangeResult]:
    """Requests and answers of a folder matched by korrelationsid, in input order; the unmatched are said so.

    A korrelationsid shared by several requests (a resend, a copy-paste) pairs its first request with
    the first answer, and so on. What is left over (a ping or a fault carries no korrelationsid) is
    paired by file name when a request ``NAME-request.EXT`` has its ``NAME-answer.EXT`` (as
    ``ssbtek-validate proxy --record`` writes them), even an answer that holds no SSBTEK message (an HTML
    error page the upstream gave), so that the exchange is said incomplete rather than its request
    unmatched; the rest is reported unmatched rather than guessed at.
    """
    requests: dict[str, list[Side]] = {}
    answers: dict[str, list[Side]] = {}
    exchanges: list[ExchangeResult] = []
    left: list[tuple[Side, str]] = []
    for side in sides:
        if not side.usable:
            # its own findings say why; a recorded NAME-answer still completes its NAME-request below
            if RECORDED_NAME.match(side.name):
                left.append((side, "unusable"))
            continue
        if side.korrelationsid is None or not side.korrelationsid[0]:
            left.append((side, side.direction or "message"))
            continue
        key = side.korrelationsid[0]
        if side.direction == "request":
            requests.setdefault(key, []).append(side)
        elif side.direction in ("answer", "fault"):
            answers.setdefault(key, []).append(side)
    for key in dict.fromkeys([*requests, *answers]):
        asked, answered = requests.get(key, []), answers.get(key, [])
        for request, answer in zip(asked, answered, strict=False):
            exchanges.append(judge(f"korrelationsid {key}", request, answer, "korrelationsid"))
        left.extend((side, "request") for side in asked[len(answered) :])
        left.extend((side, "answer") for side in answered[len(asked) :])
    return exchanges + _pair_by_name(left)


#: how ``ssbtek-validate proxy --record`` names the two sides of an exchange
RECORDED_NAME = re.compile(r"^(?P<stem>.+)-(?P<side>request|answer)(?P<ext>\.[^./\\]+)$")


def _pair_by_name(left: list[tuple[Side, str]]) -> list[ExchangeResult]:
    """``NAME-request.EXT`` with ``NAME-answer.EXT`` among what korrelationsid left unpaired; the rest unmatched."""
    answers: dict[tuple[str, str], Side] = {}
    for side, what in left:
        found = RECORDED_NAME.match(side.name)
        if found and found["side"] == "answer" and what != "request":
            answers.setdefault((found["stem"], found["ext"]), side)
    exchanges: list[ExchangeResult] = []
    used: set[int] = set()
    for side, what in left:
        found = RECORDED_NAME.match(side.name)
        answer = answers.get((found["stem"], found["ext"])) if found and found["side"] == "request" else None
        if answer is not None and what == "request" and id(answer) not in used:
            used.add(id(answer))
            used.add(id(side))
            exchanges.append(judge(f"file name {found['stem']}", side, answer, "file name"))
    exchanges.extend(_unmatched(side, what) for side, what in left if id(side) not in used and what != "unusable")
    return exchanges


def _unmatched(side: Side, what: str) -> ExchangeResult:
    other = "answer" if what == "request" else "request"
    result = ExchangeResult(
        side.name, side.name if what == "request" else None, side.name if what != "request" else None
    )
    if side.korrelationsid and side.korrelationsid[0]:
        key = side.korrelationsid[0]
        # a UUID is no one's data; whatever else a caller put there (a name, a case number) is masked
        key = key if looks_public(key) else mask(key)
        text = f"No {other} with korrelationsid {key} among the inputs; this {what} was not paired."
        spot = side.korrelationsid[1]
    else:
        text = f"This {what} has no korrelationsid, so it cannot be paired in a folder (use `pair REQUEST ANSWER`)."
        spot = side.where
    result.findings.append(
        Finding("SSBT-PAIR-UNMATCHED", Severity.WARNING, text, file=side.name, line=spot.line, path=spot.path)
    )
    return result


def _a(noun: str | None) -> str:
    """``an answer``, ``a request``, ``a fault``: the article a reader expects (no direction: ``an unknown``)."""
    noun = noun or "unknown"
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
