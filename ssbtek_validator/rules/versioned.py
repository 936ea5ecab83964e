"""Version-dependent rules: what a message may carry depends on its SSBTEK and LEFI Online version.

The reconstructed packs v6–v8 accept, in their XSDs, the union of what the versions carry (one
LEFI Online schema for 4.0–6.0, MIV tolerated in v6/v7), so that a field from the wrong version is
reported once, here, with the version that brought or removed it, instead of as a bare "element
not expected". Facts come from ``xsd/lefi-online/versions.toml`` (LEFI) and from the packs'
``agencies`` (SSBTEK); which LEFI version a message is judged by is decided in
:mod:`ssbtek_validator.packs.lefi_online`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache
from typing import NamedTuple

from lxml import etree

from ssbtek_validator.packs.lefi_online import (
    LefiJudgement,
    exists_in,
    inspect,
    lefi_facts,
    lefi_tag,
    stated_version,
    version_key,
)
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.message import MAX_DIGITS, element_path, integer, is_leaf, text_of
from ssbtek_validator.results.masking import masked_value
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions
from ssbtek_validator.rules.request import included, period_day


def _finding(rule, context: Context, element: etree._Element | None, message: str, value: str | None = None) -> Finding:
    field = etree.QName(element).localname if element is not None else None
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        file=context.message.name,
        line=element.sourceline if element is not None else None,
        path=element_path(element),
        value=masked_value(value, field, context.show_values),
    )


def _text(element: etree._Element) -> str:
    return text_of(element).strip()


class LefiView(NamedTuple):
    """A message's LEFI Online XML as the LEFI rules see it: its judged version and where it sits."""

    judgement: LefiJudgement
    roots: tuple[etree._Element, ...]

    def iter(self, *local_names: str) -> Iterator[etree._Element]:
        tags = [lefi_tag(name) for name in local_names]
        for root in self.roots:
            yield from root.iter(*tags)


def lefi_view(context: Context) -> LefiView | None:
    """Judged once per message and shared by every LEFI rule (and the lifecycle); None without LEFI Online."""
    if "lefi-online" not in context.shared:
        found = inspect(context.message, context.pack)
        context.shared["lefi-online"] = None if found is None else LefiView(found[0], tuple(found[1]))
        if found is not None:
            context.observe(f"lefi-online:{found[0].version}")
    return context.shared["lefi-online"]


class _LefiRule:
    """Shared by the LEFI rules: they apply to messages whose pack carries LEFI Online XML."""

    applies_by_kind = True  # applies reads only the pack, operation and direction

    def applies(self, context: Context) -> bool:
        return (
            context.message.payload is not None
            and context.message.direction in ("request", "answer")
            and bool(lefi_facts().served_by(context.pack.version))
        )

    def view(self, context: Context) -> LefiView:
        found = lefi_view(context)
        assert found is not None  # applies() made sure the pack carries LEFI Online
        return found


class LefiVersionRule(_LefiRule):
    id = "SSBT-LEFI-VERSION"
    severity = Severity.ERROR
    summary = "A stated lefiOnlineVersion is a LEFI Online version that the message's SSBTEK version serves."
    versions = Versions.of(range(7, 9))
    explanation = (
        "SSBTEK v7 carries LEFI Online 5.0 and 5.1, v8 carries 6.0 (Försäkringskassan's SSBTEK release notes of "
        "2018-10-08, 2019-05-06 and the summary of versions of 2019-08-23; as data in xsd/lefi-online/versions.toml). "
        "A question "
        "(or an answer, or an echoed question) naming another LEFI version calls something that SSBTEK version "
        "does not serve. In v6 the field itself did not exist yet: SSBT-LEFI-FIELD reports it there."
    )
    example = "lefiOnlineVersion 6.0 is not served by SSBTEK v7 (it serves 5.0, 5.1); LEFI Online 6.0 came with v8."

    def applies(self, context: Context) -> bool:
        if not super().applies(context):
            return False
        field = lefi_facts().field_fact("lefiOnlineVersion")
        served = lefi_facts().served_by(context.pack.version)
        return field is not None and any(exists_in(field.since, field.removed, v.version) for v in served)

    def check(self, context: Context) -> Iterator[Finding]:
        facts = lefi_facts()
        served = [v.version for v in facts.served_by(context.pack.version)]
        for element in self.view(context).iter("lefiOnlineVersion"):
            written = _text(element)
            stated = stated_version(written)
            if stated in served:
                continue
            known = facts.find(stated)
            shown = masked_value(stated, "lefiOnlineVersion", context.show_values)
            where = (
                f"LEFI Online {shown} came with SSBTEK v{known.ssbtek}"
                if known
                else f"no SSBTEK version carries LEFI Online {shown}"
            )
            yield _finding(
                self,
                context,
                element,
                f"lefiOnlineVersion {masked_value(written, 'lefiOnlineVersion', context.show_values)} is not served "
                f"by SSBTEK v{context.pack.version}, which carries LEFI Online {', '.join(served)}; {where}.",
                written,
            )


class LefiVersionMissingRule(_LefiRule):
    id = "SSBT-LEFI-VERSION-MISSING"
    severity = Severity.ERROR
    summary = "From LEFI Online 5.0 (SSBTEK v7) the FK question names the LEFI version it calls."
    versions = Versions.of(range(7, 9))
    explanation = (
        "LEFI Online 5.0 brought a new versioning: the question must say which LEFI version it calls, in "
        "lefiOnlineVersion (release notes, 2018-10-08). The element is optional in the XSD (v6 questions do not "
        "have it); this rule requires it in every request that asks FK (FK inkludera=true) from v7 on."
    )
    example = "The FK question has no lefiOnlineVersion; required from LEFI Online 5.0 (SSBTEK v7)."

    def applies(self, context: Context) -> bool:
        if not super().applies(context) or context.message.direction != "request":
            return False
        field = lefi_facts().field_fact("lefiOnlineVersion")
        served = lefi_facts().served_by(context.pack.version)
        return field is not None and all(exists_in(field.since, field.removed, v.version) for v in served)

    def check(self, context: Context) -> Iterator[Finding]:
        ns = context.pack.namespace
        facts = lefi_facts()
        field = facts.field_fact("lefiOnlineVersion")
        served = [v.version for v in facts.served_by(context.pack.version)]
        for fk in context.message.payload.iterfind(f"{{{ns}}}specifikaFrageparametrar/{{{ns}}}FK"):
            if not included(fk):
                continue
            fraga = fk.find(f"{{{ns}}}fraga")
            if fraga is not None and fraga.find(lefi_tag("lefiOnlineVersion")) is not None:
                continue
            what = "The FK question has no lefiOnlineVersion" if fraga is not None else "FK is asked without a fraga"
            if len(served) == 1:
                expected = f"lefiOnlineVersion {served[0]}, the LEFI version SSBTEK v{context.pack.version} serves"
            else:
                expected = (
                    f"lefiOnlineVersion, one of {', '.join(served)} "
                    f"(the LEFI versions SSBTEK v{context.pack.version} serves)"
                )
            yield _finding(
                self,
                context,
                fraga if fraga is not None else fk,
                f"{what}; from {facts.introduced(field.since)} a question must name the LEFI Online version it "
                f"calls. Expected {expected}.",
            )


class LefiFieldRule(_LefiRule):
    id = "SSBT-LEFI-FIELD"
    severity = Severity.ERROR
    summary = "LEFI Online fields appear only in the LEFI versions that have them."
    versions = Versions.of(range(6, 9))
    explanation = (
        "Which LEFI version brought each field: lefiOnlineVersion and premiepensionBelopp in 5.0 (Försäkringskassan's "
        "SSBTEK release note of 2018-10-08), programanvisning and programersattning detail in 5.1 (summary of "
        "versions, 2019-08-23), programjobdagar (JOB days) and forhandsbesked (preliminary payments) in 6.0 (release "
        "notes of 2019-05-06 and 2019-12-09); as data in xsd/lefi-online/versions.toml. The one LEFI Online "
        "schema accepts them all; "
        "this rule reports a field used in a message of an earlier LEFI version, naming the version it came with."
    )
    example = (
        "premiepensionBelopp arrived in LEFI Online 5.0 (SSBTEK v7); this answer is LEFI Online 4.0 "
        "(the only LEFI version of SSBTEK v6)."
    )

    def check(self, context: Context) -> Iterator[Finding]:
        view = self.view(context)
        judged = view.judgement
        facts = lefi_facts()
        absent = {f.element: f for f in facts.fields if not exists_in(f.since, f.removed, judged.version)}
        if not absent:
            return
        for element in view.iter(*absent):  # one pass over the LEFI XML, in document order
            field = absent[etree.QName(element).localname]
            change = (
                f"arrived in {facts.introduced(field.since)}"
                if field.since and version_key(judged.version) < version_key(field.since)
                else f"was removed in LEFI Online {field.removed}"
            )
            value = _text(element) if is_leaf(element) else None
            yield _finding(
                self,
                context,
                element,
                f"{field.element} ({field.what}) {change}; {judged.describe(context.pack, context.message.direction)}.",
                value or None,
            )


class LefiFormanRule(_LefiRule):
    id = "SSBT-LEFI-FORMAN"
    severity = Severity.ERROR
    summary = "A förmån code (formanstyp) is used only in the LEFI versions that have the förmån."
    versions = Versions.of(range(6, 9))
    explanation = (
        "FTH was removed in LEFI Online 4.0 (Försäkringskassan's SSBTEK summary of versions, 2019-08-23), so in "
        "every SSBTEK version modelled here; omvårdnadsbidrag (OMV) and merkostnadsersättning (MEK) arrived in 5.0, "
        "in force 2019-01-01 (Försäkringskassan's SSBTEK release note of 2018-10-08). As data in "
        "xsd/lefi-online/versions.toml [[forman]]. Codes the table does not know are left to the code lists."
    )
    example = "formanstyp FTH was removed in LEFI Online 4.0; this answer is LEFI Online 6.0 (…)."

    def check(self, context: Context) -> Iterator[Finding]:
        view = self.view(context)
        judged = view.judgement
        facts = lefi_facts()
        for element in view.iter("formanstyp"):
            code = _text(element)
            forman = facts.formaner.get(code)
            if forman is None or exists_in(forman.since, forman.removed, judged.version):
                continue
            if forman.since and version_key(judged.version) < version_key(forman.since):
                change = f"arrived in {facts.introduced(forman.since)}"
            else:
                change = f"was removed in LEFI Online {forman.removed}"
            label = code if forman.name == code else f"{code} ({forman.name})"
            yield _finding(
                self,
                context,
                element,
                f"formanstyp {label} {change}; {judged.describe(context.pack, context.message.direction)}.",
                code,
            )


class ForhandsbeskedFormanRule(_LefiRule):
    id = "SSBT-LEFI-FORHANDSBESKED"
    severity = Severity.ERROR
    summary = "Förhandsbesked (preliminary payments) exist only for the eight förmåner LEFI Online 6.0 names."
    versions = Versions.of(range(6, 9))
    explanation = (
        "From LEFI Online 6.0 (SSBTEK v8) preliminary payments, registered but not yet executed, are shown for "
        "eight förmåner: aktivitetsstöd, utvecklingsersättning, etableringsersättning, etableringstillägg, "
        "bostadsersättning, föräldrapenning, tillfällig föräldrapenning and sjukpenning (release notes "
        "2019-05-06, 2019-12-09). A question asking them, or an answer giving them, for another förmån is "
        "reported. Förhandsbesked before 6.0 is SSBT-LEFI-FIELD."
    )
    example = "forhandsbesked for formanstyp VB (Vårdbidrag): LEFI Online 6.0 gives preliminary payments only for …"

    def check(self, context: Context) -> Iterator[Finding]:
        view = self.view(context)
        judged = view.judgement
        facts = lefi_facts()
        field = facts.field_fact("forhandsbesked")
        if field is None or not exists_in(field.since, field.removed, judged.version):
            return  # the field itself is out of version: SSBT-LEFI-FIELD says so
        allowed = facts.forhandsbesked_codes()
        named = ", ".join(f"{code} ({facts.formaner[code].name.lower()})" for code in allowed)
        if context.message.direction == "request":
            codes = (
                element
                for element in view.iter("formanstyp")
                if etree.QName(element.getparent()).localname == "forhandsbesked"
            )
        else:
            codes = (
                info.find(lefi_tag("formanstyp"))
                for info in view.iter("formansinformation")
                if info.find(lefi_tag("forhandsbesked")) is not None
            )
        for element in codes:
            if element is None:
                continue
            code = _text(element)
            if code in allowed:
                continue
            forman = facts.formaner.get(code)
            shown = masked_value(code, "formanstyp", context.show_values)
            label = f"{shown} ({forman.name})" if forman and forman.name != code else shown
            yield _finding(
                self,
                context,
                element,
                f"forhandsbesked (preliminary payments) for formanstyp {label}: LEFI Online {field.since} gives "
                f"them only for {named}.",
                code,
            )


class KarensPeriodRule(_LefiRule):
    id = "SSBT-LEFI-KARENS"
    severity = Severity.ERROR
    summary = "Before LEFI Online 5.0 a karens is one day; a karensavdrag over a period came with 5.0."
    versions = Versions.of(range(6, 9))
    explanation = (
        "From 2019-01-01 the karensdag became a karensavdrag, which LEFI Online 5.0 reports with the same code "
        "but as a period that may be longer than one day, with more than one day (release notes 2018-10-08; no "
        "schema change). In a LEFI Online 4.0 message a karens spanning several days is therefore reported, and "
        "so, in any LEFI version, is one spanning several days whose period starts before 2019-01-01: then it "
        "was still a karensdag, one day."
    )
    example = "karens spans 3 days; a karensavdrag over a period of days arrived in LEFI Online 5.0 (SSBTEK v7); …"

    def check(self, context: Context) -> Iterator[Finding]:
        view = self.view(context)
        judged = view.judgement
        facts = lefi_facts()
        since = facts.karens_period_since
        periods_reported = version_key(judged.version) >= version_key(since)
        for karens in view.iter("karens"):
            days = _karens_days(karens)
            if days is None or days <= 1:
                continue
            spans = f"{days}" if days < 10**MAX_DIGITS else f"over {10**MAX_DIGITS:,}"
            if not periods_reported:
                yield _finding(
                    self,
                    context,
                    karens,
                    f"karens spans {spans} days; a karensavdrag over a period of days arrived in "
                    f"{facts.introduced(since)}, before it a karens is one day (karensdag); "
                    f"{judged.describe(context.pack, context.message.direction)}.",
                )
                continue
            start = _karens_start(karens)
            if start is not None and start < facts.karens_avdrag_from:
                yield _finding(
                    self,
                    context,
                    karens,
                    f"karens spans {spans} days but starts {start.isoformat()}, before the karensavdrag replaced "
                    f"the karensdag on {facts.karens_avdrag_from.isoformat()}: a karens starting before then is "
                    "one day (Försäkringskassan, SSBTEK release note 2018-10-08).",
                )


def _karens_days(karens: etree._Element) -> int | None:
    """The larger of antalDagar and the period's length in days; None when neither can be read."""
    counts: list[int] = []
    antal = karens.find(lefi_tag("antalDagar"))
    days = integer(text_of(antal)) if antal is not None else None
    if days is not None and days >= 0:
        counts.append(days)
    period = karens.find(lefi_tag("period"))
    if period is not None:
        start, end = period_day(_text_at(period, "fromDatum")), period_day(_text_at(period, "tomDatum"))
        if start is not None and end is not None:
            counts.append((end - start).days + 1)
    return max(counts) if counts else None


def _karens_start(karens: etree._Element) -> date | None:
    period = karens.find(lefi_tag("period"))
    return period_day(_text_at(period, "fromDatum")) if period is not None else None


def _text_at(parent: etree._Element, local: str) -> str:
    element = parent.find(lefi_tag(local))
    return text_of(element).strip() if element is not None else ""


@cache
def _first_version_with_agency(agency: str) -> int | None:
    versions = [pack.version for pack in builtin_packs().values() if agency in pack.agencies]
    return min(versions) if versions else None


@cache
def _agency_blocks(namespace: str, agency: str) -> etree.XPath:
    """Where agency blocks live: the question, the answer, the echoed question, the ping answer."""
    return etree.XPath(
        f"ssbt:specifikaFrageparametrar/ssbt:{agency} | ssbt:svarsdata/ssbt:{agency}"
        f" | ssbt:fraga/ssbt:specifikaFrageparametrar/ssbt:{agency}"
        f" | self::ssbt:testaBastjanstInformationResponse/ssbt:{agency}",
        namespaces={"ssbt": namespace},
    )


@cache
def _all_agencies() -> tuple[str, ...]:
    return tuple(dict.fromkeys(a for pack in builtin_packs().values() for a in pack.agencies))


class AgencyVersionRule:
    id = "SSBT-AGENCY-VERSION"
    severity = Severity.ERROR
    summary = "Only the agencies of the message's SSBTEK version appear in it."
    versions = Versions.of(range(6, 8))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "Agencies joined SSBTEK over time: Transportstyrelsen (TNS) in v6, Migrationsverket (MIV) in v8 (release "
        "notes). Each pack lists its agencies (pack.toml). An agency block in a question, an answer, an echoed "
        "question or a ping answer of a version the agency had not joined yet is reported, naming the version it "
        "joined in. (The v6 and v7 schemas tolerate MIV so that this is the only finding about it.)"
    )
    example = "MIV (an agency block) is not part of SSBTEK v7: MIV joined in v8. SSBTEK v7 has AF, CSN, …"

    def applies(self, context: Context) -> bool:
        return context.message.payload is not None and any(
            agency not in context.pack.agencies for agency in _all_agencies()
        )

    def check(self, context: Context) -> Iterator[Finding]:
        ns = context.pack.namespace
        have = ", ".join(context.pack.agencies)
        for agency in _all_agencies():
            if agency in context.pack.agencies:
                continue
            first = _first_version_with_agency(agency)
            joined = f"{agency} joined in v{first}" if first else f"{agency} is in no SSBTEK version we know"
            for element in _agency_blocks(ns, agency)(context.message.payload):
                yield _finding(
                    self,
                    context,
                    element,
                    f"{agency} (an agency block) is not part of SSBTEK v{context.pack.version}: {joined}. "
                    f"SSBTEK v{context.pack.version} has {have}.",
                )
