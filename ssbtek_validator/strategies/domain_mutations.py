"""Near misses the schema lets through and the validator's own rules must catch.

Identity and request rules (SSBT-PERSONID, SSBT-ORGNR, SSBT-TIDSPERIOD, SSBT-ARENDEID-CSN,
SSBT-SKV-FRAGA, SSBT-FK-FRAGA), an answer against the question it echoes (SSBT-ANSWER-ECHO), the
ping (SSBT-PING-UNTESTED), versions (SSBT-AGENCY-VERSION, the LEFI Online rules, the lifecycle) and
code lists (SSBT-CODE-…, from their bindings). Each kind applies only where its rule does, so the
expected rule id is exact.
"""

from __future__ import annotations

from datetime import date, timedelta

from lxml import etree

from ssbtek_validator.packs.lefi_online import LEFI_NAMESPACE, exists_in, lefi_facts, version_key
from ssbtek_validator.strategies import domain
from ssbtek_validator.strategies.codes import element_bindings, invalid_codes
from ssbtek_validator.strategies.documents import Generated
from ssbtek_validator.strategies.mutation_kind import Kind, Planted, _alive, _is_nil, _where
from ssbtek_validator.strategies.walker import Hooks, Walker
from ssbtek_validator.strategies.xsd_model import ElementPlan, GroupPlan

_LEFI = f"{{{LEFI_NAMESPACE}}}"


def _request(gen: Generated) -> bool:
    return gen.operation == "hamtaBastjanstInformation" and gen.direction == "request"


def _find(gen: Generated, path: str) -> list[etree._Element]:
    return gen.payload.xpath(path, namespaces={"s": gen.pack.namespace})


def _included(gen: Generated, agency: str) -> bool:
    return bool(_find(gen, f"s:specifikaFrageparametrar/s:{agency}[@inkludera='true' or @inkludera='1']"))


class PersonidCheckDigit(Kind):
    name, rule = "personidentitet-check-digit", "SSBT-PERSONID"

    def candidates(self, gen):
        return _find(gen, "s:generellaFrageparametrar/s:personidentitet") if _request(gen) else []

    def apply(self, c, gen, element):
        value = element.text
        element.text = value[:-1] + str((int(value[-1]) + c.int(1, 9)) % 10)
        return Planted("personidentitet with a wrong Luhn check digit")


class PersonidNotADate(Kind):
    name, rule = "personidentitet-not-a-date", "SSBT-PERSONID"

    def candidates(self, gen):
        return _find(gen, "s:generellaFrageparametrar/s:personidentitet") if _request(gen) else []

    def apply(self, c, gen, element):
        nine = f"{element.text[2:4]}{c.choice(('13', '00', '19'))}{element.text[6:11]}"
        element.text = element.text[:2] + nine + domain.luhn_digit(nine)
        return Planted("personidentitet whose month is not a month (check digit correct)")


def _echoing_answer(gen: Generated) -> bool:
    return gen.operation == "hamtaBastjanstInformation" and gen.direction == "answer" and bool(_find(gen, "s:fraga"))


class EchoedFlagFalse(Kind):
    name, rule = "answer-echo-flag-false", "SSBT-ANSWER-ECHO"

    def candidates(self, gen):
        if not _echoing_answer(gen):
            return []
        return _find(gen, "s:fraga/s:generellaFrageparametrar/s:fraganSkallInkluderasISvaret")

    def apply(self, c, gen, element):
        element.text = c.choice(("false", "0"))
        return Planted("an answer echoing fraga whose fraganSkallInkluderasISvaret is false")


class EchoedKorrelationsidDiffers(Kind):
    name, rule = "answer-echo-korrelationsid-differs", "SSBT-ANSWER-ECHO"

    def candidates(self, gen):
        if not _echoing_answer(gen) or not _find(gen, "s:fraga/s:generellaFrageparametrar/s:korrelationsid"):
            return []
        return _find(gen, "s:korrelationsid")

    def apply(self, c, gen, element):
        current = element.text or ""
        # another value of the same shape: the schema is satisfied, only the echo disagrees
        element.text = current[:-1] + ("0" if current[-1:] != "0" else "1")
        return Planted("an answer whose korrelationsid is not the one of the question it echoes")


class OrgnrCheckDigit(Kind):
    name, rule = "organisationsnummer-check-digit", "SSBT-ORGNR"

    def candidates(self, gen):
        return _find(gen, "s:generellaFrageparametrar//s:organisationsnummer") if _request(gen) else []

    def apply(self, c, gen, element):
        value = element.text
        element.text = value[:-1] + str((int(value[-1]) + c.int(1, 9)) % 10)
        return Planted(f"{_where(element)} with a wrong Luhn check digit")


class TidsperiodReversed(Kind):
    name, rule = "tidsperiod-reversed", "SSBT-TIDSPERIOD"

    def candidates(self, gen):
        if not _request(gen):
            return []
        return [
            p
            for p in _find(gen, ".//s:tidsperiod")
            if p.findtext(f"{{{gen.pack.namespace}}}fromDatum") != p.findtext(f"{{{gen.pack.namespace}}}tomDatum")
        ]

    def apply(self, c, gen, period):
        start, end = period[0].text, period[1].text
        period[0].text, period[1].text = end, start
        return Planted(f"{_where(period)} runs backwards (fromDatum after tomDatum)")


class ArendeidTooLongForCsn(Kind):
    name, rule = "arendeidentitet-too-long-for-csn", "SSBT-ARENDEID-CSN"

    def candidates(self, gen):
        if not _request(gen) or not _included(gen, "CSN"):
            return []
        return _find(gen, "s:generellaFrageparametrar/s:arendeidentitet")

    def apply(self, c, gen, element):
        element.text = "EB-" + "9" * c.int(domain.MAX_ARENDEIDENTITET - 2, 60)
        return Planted(f"arendeidentitet of {len(element.text)} characters with CSN included (CSN takes 31)")


class SkvFragaMissing(Kind):
    name, rule = "skv-fraga-missing", "SSBT-SKV-FRAGA"

    def candidates(self, gen):
        return _find(gen, "s:specifikaFrageparametrar/s:SKV/s:fraga") if _request(gen) and _included(gen, "SKV") else []

    def apply(self, c, gen, element):
        element.getparent().remove(element)
        return Planted("SKV included without its fraga block (v11 rejects the whole request)")


class SkvYearAfterMessage(Kind):
    name, rule = "skv-year-after-message", "SSBT-SKV-FRAGA"

    def candidates(self, gen):
        return _find(gen, "s:specifikaFrageparametrar/s:SKV/s:fraga/s:ar") if _request(gen) else []

    def apply(self, c, gen, element):
        element.text = str(gen.as_of.year + c.int(1, 5))
        return Planted(f"SKV fraga/ar {element.text}, after the year of the message")


class FkFragaMissing(Kind):
    name, rule = "fk-fraga-missing", "SSBT-FK-FRAGA"

    def candidates(self, gen):
        if not _request(gen) or gen.pack.version < 10 or not _included(gen, "FK"):
            return []
        return _find(gen, "s:specifikaFrageparametrar/s:FK/s:fraga")

    def apply(self, c, gen, element):
        element.getparent().remove(element)
        return Planted("FK included without fraga (no LEFI question to send)")


class PingCalledUntested(Kind):
    name, rule = "ping-called-untested-agency", "SSBT-PING-UNTESTED"

    def candidates(self, gen):
        if gen.operation != "testaBastjanstInformation" or gen.direction != "answer":
            return []
        return _find(gen, "s:TNS/s:anropad | s:MIV/s:anropad")

    def apply(self, c, gen, element):
        element.text = c.choice(("true", "1"))
        return Planted(f"{_where(element)} = true, but the agency is assumed to have no test service")


class AgencyOfAnotherVersion(Kind):
    """An agency block a later version brought (MIV from v8), where the schema tolerates it."""

    name, rule = "agency-of-another-version", "SSBT-AGENCY-VERSION"

    def candidates(self, gen):
        if not _request(gen):
            return []
        holders = _find(gen, "s:specifikaFrageparametrar")
        tolerated = {p.local for p in _children(gen, "specifikaFrageparametrar")}
        return [(holders[0], a) for a in sorted(tolerated - set(gen.pack.agencies)) if holders and len(a) <= 3]

    def apply(self, c, gen, candidate):
        holder, agency = candidate
        element = etree.SubElement(holder, f"{{{gen.pack.namespace}}}{agency}")
        element.set("inkludera", c.choice(("true", "false")))
        return Planted(f"{agency} block in SSBTEK v{gen.pack.version}, which has no {agency}")


def _children(gen: Generated, local: str) -> list[ElementPlan]:
    for record in gen.records:
        if record.plan.local == local and record.plan.content is not None:
            return _element_plans(record.plan)
    return []


def _element_plans(plan: ElementPlan) -> list[ElementPlan]:
    found: list[ElementPlan] = []
    stack: list = [plan.content] if plan.content is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, GroupPlan):
            stack[:0] = node.particles
        elif isinstance(node, ElementPlan):
            found.append(node)
    return found


# ---------------------------------------------------------------- LEFI Online (v6–v8)


def _lefi(gen: Generated) -> str | None:
    return gen.scenario.extra.get("lefi") if gen.scenario is not None else None


class LefiVersionMissing(Kind):
    name, rule = "lefi-online-version-missing", "SSBT-LEFI-VERSION-MISSING"

    def candidates(self, gen):
        if not _request(gen):
            return []
        return _find(gen, f"s:specifikaFrageparametrar/s:FK/s:fraga/*[namespace-uri()='{LEFI_NAMESPACE}' and "
                          "local-name()='lefiOnlineVersion']")  # fmt: skip

    def apply(self, c, gen, element):
        element.getparent().remove(element)
        return Planted("FK question without lefiOnlineVersion")


class LefiVersionNotServed(Kind):
    name, rule = "lefi-online-version-not-served", "SSBT-LEFI-VERSION"

    def candidates(self, gen):
        return [r.element for r in gen.records if r.plan.tag == f"{_LEFI}lefiOnlineVersion" and _alive(r, gen)]

    def apply(self, c, gen, element):
        element.text = c.choice(("3.0", "9.9", "7.0"))
        return Planted(f"lefiOnlineVersion {element.text}, which SSBTEK v{gen.pack.version} does not serve")


class LefiFieldOfLaterVersion(Kind):
    """A LEFI Online field the document's LEFI version does not have yet, placed where the schema has it."""

    name, rule = "lefi-field-of-another-version", "SSBT-LEFI-FIELD"

    def candidates(self, gen):
        version = _lefi(gen)
        if version is None:
            return []
        absent = {f.element for f in lefi_facts().fields if not exists_in(f.since, f.removed, version)}
        found = []
        for record in gen.records:
            if not record.plan.tag.startswith(_LEFI) or not _alive(record, gen) or _is_nil(record.element):
                continue
            for child in _element_plans(record.plan):
                if child.local in absent and child.local != "lefiOnlineVersion":
                    found.append((record, child))
        return found

    def apply(self, c, gen, candidate):
        record, child = candidate
        holder = etree.Element("holder")
        Walker(c, Hooks(), extensions=False, nil=False).element(child, holder)
        _insert_in_order(record.element, record.plan, holder[0])
        return Planted(f"{child.local} in a LEFI Online {_lefi(gen)} document; it came later")


def _insert_in_order(parent: etree._Element, plan: ElementPlan, new: etree._Element) -> None:
    order = [p.tag for p in _element_plans(plan)]
    rank = order.index(new.tag)
    position = 0
    for index, child in enumerate(parent):
        if child.tag in order and order.index(child.tag) <= rank:
            position = index + 1
    parent.insert(position, new)


class LefiFormanOfLaterVersion(Kind):
    name, rule = "lefi-forman-of-another-version", "SSBT-LEFI-FORMAN"

    def candidates(self, gen):
        version = _lefi(gen)
        if version is None:
            return []
        later = [code for code, f in lefi_facts().formaner.items() if not exists_in(f.since, f.removed, version)]
        elements = [r.element for r in gen.records if r.plan.tag == f"{_LEFI}formanstyp" and _alive(r, gen)]
        return [(e, code) for e in elements for code in later]

    def apply(self, c, gen, candidate):
        element, code = candidate
        element.text = code
        return Planted(f"formanstyp {code} in a LEFI Online {_lefi(gen)} document; it came later")


class LefiKarensOverDays(Kind):
    name, rule = "lefi-karens-over-days", "SSBT-LEFI-KARENS"

    def candidates(self, gen):
        version = _lefi(gen)
        if version is None or version_key(version) >= version_key(lefi_facts().karens_period_since):
            return []
        return [e for e in gen.payload.iter(f"{_LEFI}karens") if len(e) >= 2]

    def apply(self, c, gen, karens):
        days = c.int(2, 10)
        period, antal = karens[0], karens[1]
        start = date.fromisoformat(period[0].text)
        period[1].text = (start + timedelta(days=days - 1)).isoformat()
        antal.text = str(days)
        return Planted(f"karens over {days} days in LEFI Online {_lefi(gen)}, where a karens is one day")


class DatedAfterClosing(Kind):
    name, rule = "dated-after-version-closed", "SSBT-LIFECYCLE-CLOSED"

    def candidates(self, gen):
        return [gen] if gen.pack.closed is not None else []

    def apply(self, c, gen, _):
        after = gen.pack.closed + timedelta(days=c.int(1, 900))
        for element in gen.payload.iter(f"{{{gen.pack.namespace}}}frageTidpunkt"):
            element.text = after.isoformat() + element.text[10:]
        return Planted(f"dated {after}, after SSBTEK v{gen.pack.version} closed on {gen.pack.closed}", as_of=after)


# ---------------------------------------------------------------- code lists


class CodeNotInForce(Kind):
    """A code its list does not hold on the document's date: unknown, not yet valid, or withdrawn."""

    name, rule = "code-not-in-force", "SSBT-CODE"

    def candidates(self, gen):
        bindings = element_bindings(gen.pack.version, gen.direction)
        if not bindings:
            return []
        found = []
        for record in gen.records:
            binding = bindings.get(record.plan.local)
            if binding is None or binding.schema_enforced or not _alive(record, gen) or _is_nil(record.element):
                continue
            found.append((record.element, binding))
        return found

    def apply(self, c, gen, candidate):
        element, binding = candidate
        element.text = c.choice(invalid_codes(binding.lists, gen.as_of))
        return Planted(f"{_where(element)} = {element.text!r}, not in force on {gen.as_of}", rule=binding.id)


DOMAIN_KINDS: tuple[Kind, ...] = (
    PersonidCheckDigit(),
    PersonidNotADate(),
    OrgnrCheckDigit(),
    TidsperiodReversed(),
    ArendeidTooLongForCsn(),
    SkvFragaMissing(),
    SkvYearAfterMessage(),
    FkFragaMissing(),
    PingCalledUntested(),
    AgencyOfAnotherVersion(),
    LefiVersionMissing(),
    LefiVersionNotServed(),
    LefiFieldOfLaterVersion(),
    LefiFormanOfLaterVersion(),
    LefiKarensOverDays(),
    DatedAfterClosing(),
    CodeNotInForce(),
    # last, so that the seeded draws of the kinds above stay as they were
    EchoedFlagFalse(),
    EchoedKorrelationsidDiffers(),
)
