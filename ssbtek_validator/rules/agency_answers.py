"""What an agency's answer holds, beyond its schema: facts the agencies and Försäkringskassan published.

The agency schemas are permissive (every MIV element optional, AF's report date optional); what a real
agency sends is narrower, and a test double or a hand-written stub that sends something else teaches a
case system the wrong thing. Each rule cites the public source of its fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from lxml import etree

from ssbtek_validator.reading.message import child, element_path, text_of
from ssbtek_validator.results.masking import masked_value
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions
from ssbtek_validator.rules.elements import payload_child

#: Migrationsverket's data minimisation was finished on this day (Försäkringskassan, SSBTEK release note
#: 2020-02-12, "Avtal mellan Migrationsverket och SKR är undertecknat och klart"): from then on no reasons.
MIV_NO_REASONS_FROM = date(2020, 2, 12)
#: The MIV answer elements that would carry the reason for a decision (the MIV schema still has them).
MIV_REASON_ELEMENTS = ("anledning", "anledningNamn")
#: The AF v2 activity-report code after which the report's date follows (Försäkringskassan's SSBTEK
#: release information, May 2017 release, AF v2 aktivitetsrapporter: 200 = report submitted, date follows).
AF_REPORT_SUBMITTED = "200"


def _is_answer(context: Context) -> bool:
    message = context.message
    return (
        message.payload is not None
        and message.operation == "hamtaBastjanstInformation"
        and message.direction == "answer"
    )


#: the fields of a MIV decision the two MIV rules read: its validity, its end, and the reasons it must not carry
_DECISION_FIELDS = ("giltighetstid", "tomDatum", *MIV_REASON_ELEMENTS)


def _miv_decisions(context: Context) -> list[tuple[etree._Element, etree._Element | None, etree._Element | None, list]]:
    """MIV's decisions, each with its first giltighetstid, its first tomDatum and its reasons (anledning,
    anledningNamn, in order): the svar elements and their fields are unqualified, as the contract has them.

    Read once per message for both MIV rules (kept in ``context.shared``), in one pass per decision that lxml
    filters in C (:func:`decision_fields`). The two rules' own passes (a Python loop over every field, then
    an ``iterchildren`` for the reasons) cost ~6.3 µs an answer of two decisions, this ~2.6 (in-process, warm,
    medians of 7). The path to them is looked up once too (:func:`payload_child`)."""
    decisions = context.shared.get("miv-decisions")
    if decisions is None:
        collection = payload_child(context, "svarsdata", "MIV", "data", "response", "svarCollection")
        svars = collection.iterchildren("svar") if collection is not None else ()
        decisions = context.shared["miv-decisions"] = [(svar, *decision_fields(svar)) for svar in svars]
    return decisions  # type: ignore[return-value]


def decision_fields(svar: etree._Element) -> tuple[etree._Element | None, etree._Element | None, list]:
    """A decision's first giltighetstid, its first tomDatum and its reasons, as ``next(svar.iterchildren(name),
    None)`` and ``list(svar.iterchildren(*MIV_REASON_ELEMENTS))`` find them, in one pass."""
    kind = end = None
    reasons = []
    for field in svar.iterchildren(*_DECISION_FIELDS):
        tag = field.tag
        if tag == "giltighetstid":
            kind = field if kind is None else kind
        elif tag == "tomDatum":
            end = field if end is None else end
        else:
            reasons.append(field)
    return kind, end, reasons


class MivReasonRule:
    id = "SSBT-MIV-REASON"
    severity = Severity.ERROR
    summary = "A Migrationsverket answer dated from 2020-02-12 carries no reason for a decision (anledning)."
    versions = Versions(8)
    explanation = (
        "Migrationsverket discloses granted and revoked residence and work permits, whether a permit is "
        "permanent, its validity and the dates of application, decision and revocation, but never the reasons "
        "for a decision: its data minimisation was finished when Försäkringskassan published 'Avtal mellan "
        "Migrationsverket och SKR är undertecknat och klart' (SSBTEK release note 2020-02-12), and it changed "
        "nothing in the XML. The MIV schema still has anledning and anledningNamn, so the schema cannot say "
        "it: a MIV answer dated on or after 2020-02-12 with a reason in them is not what Migrationsverket "
        "sends (a test double or stub to fix): error. Empty elements say nothing and are left alone; the "
        "reason itself is never shown."
    )
    example = (
        "MIV svar/anledning holds a reason for the decision; Migrationsverket discloses no reasons from "
        "2020-02-12 (Försäkringskassan, SSBTEK release note 2020-02-12)."
    )

    def applies(self, context: Context) -> bool:
        return _is_answer(context) and context.message_date >= MIV_NO_REASONS_FROM

    def check(self, context: Context) -> Iterator[Finding]:
        for _svar, _kind, _end, reasons in _miv_decisions(context):
            for element in reasons:
                if not text_of(element).strip():
                    continue
                name = element.tag
                yield Finding(
                    rule=self.id,
                    severity=self.severity,
                    message=(
                        f"MIV svar/{name} holds a reason for the decision; Migrationsverket discloses no "
                        "reasons (only granted and revoked permits, permanence, validity and dates: "
                        "Försäkringskassan, SSBTEK release note 2020-02-12), and the message is dated "
                        f"{context.message_date.isoformat()} ({context.message_date_source or 'message date'}). "
                        f"Expected {name} absent or empty."
                    ),
                    file=context.message.name,
                    line=element.sourceline,
                    path=element_path(element),
                )


#: the fields of a MIV decision that say what it is about; an ÅTK code in any of them makes it a revocation
_DECISION_CODES = ("arendeTyp", "beslutsTyp", "beslutsKod")


def revoked(svar: etree._Element) -> bool:
    """Whether a decision is about revoking a permit (SKR's codes ÅTK, ÅTK-AT, ÅTK-UT, ÅTK-PUT in its
    ärendetyp, beslutstyp or beslutskod). Asked only of a decision that would draw a finding: reading the
    three codes of every decision cost ~1.2 µs each, nearly all of them conforming."""
    return any(text_of(field).strip().startswith("ÅTK") for field in svar.iterchildren(*_DECISION_CODES))


class MivValidityRule:
    id = "SSBT-MIV-VALIDITY"
    severity = Severity.ERROR
    summary = "MIV validity matches giltighetstid: no tomDatum when PERMANENT, a tomDatum when TIDBEGRANSAT."
    versions = Versions(8)
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "Migrationsverket discloses whether a granted permit is permanent or time-limited (giltighetstid "
        "PERMANENT or TIDBEGRANSAT) and, for a time-limited one, its period of validity (Försäkringskassan, "
        "SSBTEK release note 2020-02-12). A PERMANENT decision with a tomDatum contradicts itself: error. A "
        "TIDBEGRANSAT decision without tomDatum leaves out the validity Migrationsverket discloses: warning. "
        "The MIV schema makes every element optional, so only this rule can say either. Revocations (an "
        "ÅTK ärendetyp, beslutstyp or beslutskod) are left alone: no source says what their dates mean."
    )
    example = "MIV svar has giltighetstid PERMANENT and a tomDatum; a permanent permit has no end date."

    def applies(self, context: Context) -> bool:
        return _is_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        for svar, kind, end, _reasons in _miv_decisions(context):
            if kind is None:
                continue
            validity = text_of(kind).strip()
            if validity == "PERMANENT" and end is not None:
                where, severity = end, Severity.ERROR
                said = "giltighetstid is PERMANENT but the decision has a tomDatum; a permanent permit has no end date"
            elif validity == "TIDBEGRANSAT" and end is None:
                where, severity = kind, Severity.WARNING
                said = (
                    "giltighetstid is TIDBEGRANSAT but the decision has no tomDatum; Migrationsverket discloses the "
                    "period of validity of a time-limited permit"
                )
            else:
                continue
            if revoked(svar):  # no source says what a revocation's dates mean
                continue
            yield Finding(
                rule=self.id,
                severity=severity,
                message=f"MIV svar: {said} (Försäkringskassan, SSBTEK release note 2020-02-12).",
                file=context.message.name,
                line=where.sourceline,
                path=element_path(where),
                # the value at the path: the tomDatum, or the giltighetstid
                value=masked_value(text_of(where).strip(), etree.QName(where).localname, context.show_values),
            )


class AfReportDateRule:
    id = "SSBT-AF-RAPPORTDATUM"
    severity = Severity.ERROR
    summary = "AF activity report code 200 (report submitted) is followed by SenasteAktivitetsRapportDatum."
    versions = Versions(6)
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "From AF v2 (live 2017-05-28) Arbetsförmedlingen answers AktivitetsRapportMeddelande with a code: "
        "200 an activity report was submitted and its date follows, 500 the person is not in ALF, 501 no "
        "activity report, 502 technical error (Försäkringskassan's SSBTEK release information, May 2017 "
        "release, AF v2 aktivitetsrapporter). AF's schema makes SenasteAktivitetsRapportDatum optional, so "
        "only this rule can say that a 200 without the date is not what AF sends: error."
    )
    example = (
        "AktivitetsRapportMeddelande is 200 (activity report submitted) but SenasteAktivitetsRapportDatum "
        "is missing; AF gives the report's date after code 200."
    )

    def applies(self, context: Context) -> bool:
        return _is_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        report = child(
            payload_child(context, "svarsdata"),  # shared; the rest of the path is AF's own
            "AF",
            "data",
            "Svar",
            "ArbetssokandeInfo",
            "AktivetetsRapportDatum",
        )
        code = child(report, "AktivitetsRapportMeddelande")
        if code is None or text_of(code).strip() != AF_REPORT_SUBMITTED:
            return
        if child(report, "SenasteAktivitetsRapportDatum") is None:  # an empty or bad date is the schema's (xs:date)
            yield Finding(
                rule=self.id,
                severity=self.severity,
                message=(
                    "AktivitetsRapportMeddelande is 200 (activity report submitted) but "
                    "SenasteAktivitetsRapportDatum is missing; after "
                    "code 200 AF gives the report's date (Försäkringskassan's SSBTEK release information, "
                    "May 2017 release, AF v2 aktivitetsrapporter)."
                ),
                file=context.message.name,
                line=code.sourceline,
                path=element_path(code),
                value=AF_REPORT_SUBMITTED,
            )


#: start and end of a period in agency data, by local name (AF, SO, MIV, LEFI Online XML)
PERIOD_BOUNDS = {"fromDatum": "tomDatum", "From": "Tom", "AvserFrom": "AvserTom", "BeslutFrom": "BeslutTom"}
_PERIOD_STARTS = tuple(f"{{*}}{name}" for name in PERIOD_BOUNDS)
_PLAIN_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")


def _day(element) -> date | None:
    text = text_of(element).strip()
    # longer than "YYYY-MM-DD+hh:mm" is no match of _PLAIN_DATE: not read, and not kept by _day_of
    return _day_of(text) if len(text) <= 16 else None


@lru_cache(maxsize=1024)
def _day_of(text: str) -> date | None:
    """Remembered per text: an answer's periods repeat a few dates, and the pattern and the date cost ~0.8 µs
    a bound where a cache hit costs ~0.05 µs."""
    found = _PLAIN_DATE.fullmatch(text)
    try:
        return date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None  # no such day: the schema's finding


def _end_of(start, end_local: str):
    """The first following sibling of ``start`` whose local name is ``end_local`` (in any namespace), as
    ``next(start.itersiblings("{*}" + end_local), None)`` finds it: the very next sibling, which it is in
    most agencies' data (AF's From/Tom), is tried first, without setting up an iterator (~0.45 µs)."""
    after = start.getnext()
    if after is not None and type(after.tag) is str and after.tag.rpartition("}")[2] == end_local:
        return after
    return next(start.itersiblings("{*}" + end_local), None)


class AnswerPeriodRule:
    id = "SSBT-ANSWER-PERIOD"
    severity = Severity.WARNING
    summary = "A period in agency data runs forwards: its start (From, fromDatum …) on or before its end."
    versions = Versions(6)
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "Agencies give periods as a start and an end element side by side: AF's From/Tom and BeslutFrom/"
        "BeslutTom, SO's From/Tom and AvserFrom/AvserTom, MIV's fromDatum/tomDatum, LEFI Online's period. The "
        "schemas type both as dates but cannot relate them; a period that ends before it starts is no period an "
        "agency keeps. A warning, not an error: it is the agency's data, which the caller cannot correct. The "
        "question's own periods, and an echoed question's, are SSBT-TIDSPERIOD's."
    )
    example = "MIV svar: fromDatum 2023-11-20 is after tomDatum 2022-11-19; expected a period that runs forwards."

    def applies(self, context: Context) -> bool:
        return _is_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        answers = payload_child(context, "svarsdata")
        if answers is None:
            return
        # lxml filters the start elements in C: an answer's svarsdata may hold thousands of elements
        for start in answers.iter(*_PERIOD_STARTS):
            first = _day(start)
            if first is None:  # no period to judge, whatever its end: not looked up
                continue
            local = start.tag.rpartition("}")[2]
            end_name = PERIOD_BOUNDS[local]
            end = _end_of(start, end_name)
            last = _day(end) if end is not None else None
            if last is None or first <= last:
                continue
            owner = etree.QName(start.getparent()).localname
            yield Finding(
                rule=self.id,
                severity=self.severity,
                message=(
                    f"{owner}: {local} {first.isoformat()} is after {end_name} {last.isoformat()}; expected a period "
                    "that runs forwards (start on or before end)."
                ),
                file=context.message.name,
                line=start.sourceline,
                path=element_path(start),
            )
