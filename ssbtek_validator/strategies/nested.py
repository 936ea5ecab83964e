"""Nested documents: CSN's XML, SKV's XML (v10) or JSON parts (v11), FK's LEFI JSON.

Which element carries which document, and how it is encoded, is the pack's data (``[[payload]]``
in pack.toml); this module only makes the documents, by the binding's ``model`` name, from the
scenario so that they name the same person, case and period as the envelope. An unknown model
still gets a well-formed document of the right format, so a new pack's bindings work at once.
"""

from __future__ import annotations

import base64
import json
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from ssbtek_validator.packs.schema_packs import data_root
from ssbtek_validator.strategies.chooser import Chooser
from ssbtek_validator.strategies.codes import code_values, element_lists
from ssbtek_validator.strategies.domain import Scenario
from ssbtek_validator.strategies.walker import Hooks, Walker
from ssbtek_validator.strategies.xsd_model import schema_model

CSN_V3 = "http://schema.csn.se/v3.0/"
CSN_NAMESPACE = CSN_V3 + "kommunfraga"
SKV_PARTS = ("foretagsinformation", "individuppgifter", "skattekonto", "skatteuppgifter", "beskattningsbilagor")


def _amount(c: Chooser, high: int = 400000) -> int:
    return c.int(0, high)


def lefi_fraga(c: Chooser, scenario: Scenario, carrier: etree._Element) -> dict:
    groups = code_values("lefi9-fk-formansgrupp", scenario.day)
    paid = code_values(("lefi9-fk-formansgrupp", "lefi9-pm-formansgrupp"), scenario.day)
    other = code_values("lefi9-ovriginformationstyp", scenario.day)
    picked = c.subset(groups, 1, 4)
    document: dict[str, Any] = {
        "personnummer": scenario.person,
        "period": {"from": scenario.period.start.isoformat(), "tom": scenario.period.end.isoformat()},
        "formansinformation": picked,
    }
    if c.bool():
        document["utbetalningar"] = c.subset(paid, 1, 3)
    if c.bool():
        document["ovrigInformation"] = c.subset(other, 1, 2)
    return document


def lefi_svar(c: Chooser, scenario: Scenario, carrier: etree._Element) -> dict:
    tillstand = code_values("lefi9-tillstand", scenario.day)
    utlamnare = [
        {"utlamnare": {"kod": kod, "namn": namn}, "tillstand": {"kod": c.choice(tillstand)}}
        for kod, namn in (("FK", "Försäkringskassan"), ("PM", "Pensionsmyndigheten"))
    ]
    person: dict[str, Any] = {
        "personnummer": scenario.person,
        "foddes": scenario.birth.isoformat(),
        "namn": scenario.extra.get("name", "Tolvan Tolvansson"),
        "skyddad": c.bool(),
    }
    return {"utlamnare": utlamnare, "formansinformation": {"generellPersoninformation": [person]}}


def csn_svar(c: Chooser, scenario: Scenario, carrier: etree._Element) -> bytes:
    """From the project's CSN model (``xsd/nested``) when it has one, else the shape the corpus shows."""
    models = csn_models()
    if models:
        namespace, version, entry = c.choice(models)
        return _csn_from_model(c, scenario, namespace, version, entry)
    # the shape SSBTEK v10/v11 test traffic shows (see xsd/nested/csn/v3.0): v4.0's layout with v3.0 URIs
    ns, person_ns, types_ns = (f"{{{CSN_NAMESPACE}}}", f"{{{CSN_V3}person}}", f"{{{CSN_V3}csntyper}}")
    root = etree.Element(
        f"{ns}CSNSvar", nsmap={None: CSN_NAMESPACE, "p": CSN_V3 + "person", "typ": CSN_V3 + "csntyper"}
    )
    root.set("schemaVersion", "3.0")
    resultat = etree.SubElement(etree.SubElement(root, f"{ns}GemensamtSvarEkbistand"), f"{ns}Resultat")
    etree.SubElement(resultat, f"{ns}ResultatKod").text = "0"
    etree.SubElement(resultat, f"{ns}ResultatText").text = ""
    etree.SubElement(root, f"{ns}GemensamtFragaEkbistand")
    person = etree.SubElement(etree.SubElement(root, f"{ns}Personer"), f"{ns}Person")
    person.set("personnummer", scenario.person[2:])
    person.set("sekel", scenario.person[:2])
    person.set("Status", " " * 10)
    person.set("sekretess", "  ")
    flags = etree.SubElement(person, f"{person_ns}Studiestodstypforteckning")
    for name in ("studiemedel", "studiehjalp", "hemutrustningslan", "studiestartsstod"):
        etree.SubElement(flags, f"{types_ns}{name}").text = "0"
    for name in ("Studiemedel", "Studiehjalp", "HemutrustningsLan", "Studiestartsstod"):
        etree.SubElement(person, f"{person_ns}{name}")
    declaration = c.bool()
    return etree.tostring(root, encoding="UTF-8", xml_declaration=declaration, pretty_print=c.bool())


@cache
def csn_models() -> tuple[tuple[str, str, Path], ...]:
    """(namespace, schemaVersion, XSD) of every CSN model in ``xsd/nested/models.toml``, if any."""
    path = data_root("xsd") / "nested" / "models.toml"
    if not path.is_file():
        return ()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (item["namespace"], str(item.get("schema_version", "")), path.parent / item["entry"])
        for item in data.get("csn", [])
        if (path.parent / item["entry"]).is_file()
    )


class _CsnHooks(Hooks):
    """The CSN document names the same household, case and period as the envelope around it."""

    def __init__(self, scenario: Scenario, schema_version: str) -> None:
        self.scenario = scenario
        self.schema_version = schema_version
        self.codes = element_lists(scenario.version, "answer", "csn-kommunfraga")
        ingivare = scenario.ingivare10
        self.fixed = {
            "SchemaVersion": schema_version,
            "Kommun": f"{ingivare[:6]}-{ingivare[6:]}",
            "AppNamn": "SSBTEK",
            "AppVersion": str(scenario.version),
            "ArendeId": scenario.case_id,
            "HushallsId": scenario.case_id,
            "FromDatum": f"{scenario.period.start:%Y%m%d}",
            "TomDatum": f"{scenario.period.end:%Y%m%d}",
            "HushallsMedlemsIdSekel": scenario.person[:2],
            "HushallsMedlemsId": scenario.person[2:],
        }
        self.attributes = {"personnummer": scenario.person[2:], "sekel": scenario.person[:2]}
        self.attributes["schemaVersion"] = schema_version

    def attribute(self, walker, plan, name, element):
        return self.attributes.get(name)

    def value(self, walker, plan, element):
        local = plan.local
        if local in self.codes:
            codes = code_values(self.codes[local], self.scenario.day)
            if codes:
                return walker.c.choice(codes)
        return self.fixed.get(local)


def _csn_from_model(c: Chooser, scenario: Scenario, namespace: str, version: str, entry: Path) -> bytes:
    model = schema_model(entry)
    root_plan = model.roots.get("CSNSvar") or next(iter(model.roots.values()))
    # CSN's lists run long (50 payments per case); two of each keeps the document realistic and fast
    walker = Walker(c, _CsnHooks(scenario, version), extensions=False, max_repeats=2)
    root = walker.root(root_plan, {None: namespace})
    return etree.tostring(root, encoding="UTF-8", xml_declaration=c.bool(), pretty_print=c.bool())


#: SKV's v10 answer as SSBTEK test traffic shows it (xsd/nested/models.toml [skv]); the names below the
#: root and the two component namespaces' children are ours
SKV_SFS_ROOT = "SvarBeskattningsuppgifterEnligtSFS2008-975"
SKV_ZG = "http://xmls.skatteverket.se/se/skatteverket/zg/"
SKV_NAMESPACES = {
    "inst": SKV_ZG + "instans/standardiseradInformation/1.0",
    "fbf": SKV_ZG + "komponent/infoForFolkbokforing/1.0",
    "besk": SKV_ZG + "komponent/infoForBeskattning/1.0",
}


def skv_beskattning(c: Chooser, scenario: Scenario, carrier: etree._Element) -> bytes:
    if c.bool():
        return _skv_sfs_2008_975(c, scenario)
    root = etree.Element("Beskattningsuppgifter")
    etree.SubElement(root, "Personnummer").text = scenario.person
    for year in sorted(_years(c, scenario), reverse=True):
        block = etree.SubElement(root, "Beskattningsar", ar=str(year))
        for name in ("InkomstTjanst", "InkomstKapital", "UnderskottKapital", "TaxeradForvarvsinkomst", "SlutligSkatt"):
            etree.SubElement(block, name).text = str(_amount(c))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=c.bool(), pretty_print=True)


def _skv_sfs_2008_975(c: Chooser, scenario: Scenario) -> bytes:
    inst, fbf, besk = (f"{{{SKV_NAMESPACES[prefix]}}}" for prefix in ("inst", "fbf", "besk"))
    root = etree.Element(f"{inst}{SKV_SFS_ROOT}", nsmap=SKV_NAMESPACES)
    person = etree.SubElement(etree.SubElement(root, f"{inst}PersonuppgiftLista"), f"{inst}Personuppgift")
    etree.SubElement(person, f"{inst}StatusPersonuppgiftKod").text = "OK"
    etree.SubElement(person, f"{fbf}Personidentitet").text = scenario.person
    for year in sorted(_years(c, scenario), reverse=True):
        block = etree.SubElement(person, f"{besk}Beskattningsuppgift")
        etree.SubElement(block, f"{besk}Taxeringsar").text = str(year)
        for name in ("InkomstAvTjanst", "OverskottAvKapital", "UnderskottAvKapital"):
            etree.SubElement(block, f"{besk}{name}").text = str(_amount(c))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _years(c: Chooser, scenario: Scenario) -> list[int]:
    years = scenario.extra.get("skv_years")
    if years:
        return list(years)
    return [scenario.day.year - 1]


def skv_part(c: Chooser, scenario: Scenario, carrier: etree._Element) -> dict:
    part = etree.QName(carrier.getparent()).localname if carrier.getparent() is not None else ""
    person = scenario.person
    years = _years(c, scenario)
    if part == "foretagsinformation":
        return {"personnummer": person, "enskildNaringsverksamhet": c.bool(), "foretag": []}
    if part == "individuppgifter":
        month = c.int(1, 12)
        return {
            "personnummer": person,
            "uppgifter": [
                {
                    "ar": years[0],
                    "redovisningsperiod": f"{years[0]}-{month:02d}",
                    "utbetalare": scenario.ingivare10,
                    "kontantBruttolon": _amount(c, 60000),
                    "avdragenSkatt": _amount(c, 20000),
                }
            ],
        }
    if part == "skattekonto":
        return {
            "personnummer": person,
            "saldo": c.int(-50000, 50000),
            "valuta": "SEK",
            "saldodatum": scenario.day.isoformat(),
        }
    if part == "skatteuppgifter":
        return {
            "personnummer": person,
            "beskattningsar": [
                {"ar": year, "inkomstTjanst": _amount(c), "inkomstKapital": _amount(c, 9000), "slutligSkatt": 0}
                for year in years
            ],
        }
    return {"personnummer": person, "bilagor": []}


#: model name (pack.toml ``[[payload]] model``) → builder of the decoded document
MODELS: dict[str, Callable[[Chooser, Scenario, etree._Element], Any]] = {
    "lefi-v9-fraga": lefi_fraga,
    "lefi-v9-svar": lefi_svar,
    "csn-kommunfraga": csn_svar,
    "skv-beskattning": skv_beskattning,
    "skv-v11-part": skv_part,
}


def document_bytes(c: Chooser, model: str, fmt: str, scenario: Scenario, carrier: etree._Element) -> bytes:
    builder = MODELS.get(model)
    if builder is None:
        document: Any = {"personnummer": scenario.person} if fmt == "json" else b"<dokument/>"
    else:
        document = builder(c, scenario, carrier)
    if isinstance(document, bytes):
        return document
    compact = c.bool()
    text = json.dumps(document, ensure_ascii=c.bool(), separators=(",", ":") if compact else None)
    return text.encode("utf-8")


def encode_into(c: Chooser, carrier: etree._Element, raw: bytes, encoding: str) -> None:
    """Put a nested document into its carrier element the way the binding says it travels."""
    for child in list(carrier):
        carrier.remove(child)
    if encoding == "base64":
        text = base64.b64encode(raw).decode("ascii")
        if c.one_in(4):  # some senders wrap base64 at 76 columns (MIME style)
            text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
        carrier.text = text
    elif c.bool():
        carrier.text = etree.CDATA(raw.decode("utf-8"))
    else:
        carrier.text = raw.decode("utf-8")
