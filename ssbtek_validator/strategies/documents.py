"""Whole SSBTEK documents: a scenario, the schema walk with SSBTEK's domain hooks, nested payloads, SOAP.

An answer is always generated *from* a question (drawn first, kept beside it): it echoes
``frageTidpunkt`` and ``korrelationsid`` when the question had them, echoes ``fraga`` when
``fraganSkallInkluderasISvaret`` is true, and only the agencies the question included answer. So
an answer on its own and a request↔answer pair are valid in the same way.
"""

from __future__ import annotations

import uuid
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.lefi_online import LEFI_NAMESPACE, exists_in, lefi_facts, version_key
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.reading.message import OPERATION_ELEMENTS, SOAP11
from ssbtek_validator.rules.agency_answers import MIV_REASON_ELEMENTS
from ssbtek_validator.strategies import domain
from ssbtek_validator.strategies.chooser import Chooser, HypothesisChooser
from ssbtek_validator.strategies.codes import code_values, description, element_lists, place_of
from ssbtek_validator.strategies.domain import Scenario
from ssbtek_validator.strategies.nested import SKV_PARTS, document_bytes, encode_into
from ssbtek_validator.strategies.walker import Hooks, Record, Walker
from ssbtek_validator.strategies.xsd_model import ElementPlan, GroupPlan, SchemaModel, schema_model

#: the Body child element name of each (operation, direction)
ROOT_ELEMENTS = {value: key for key, value in OPERATION_ELEMENTS.items()}
DIRECTIONS = ("request", "answer", "fault")
_BOOL_SPELLINGS = {True: ("true", "1"), False: ("false", "0")}
_FROM_TO = (("Tom", "From"), ("tom", "from"), ("TomDatum", "FromDatum"), ("tomDatum", "fromDatum"))


try:  # agencies the ping cannot call (no test service): the ping rule's own list, when that rule exists
    from ssbtek_validator.rules.ping import WITHOUT_TEST_SERVICE as _WITHOUT_TEST_SERVICE
except ImportError:
    _WITHOUT_TEST_SERVICE: tuple[str, ...] = ()


def date_window(pack: Pack) -> tuple[date, date]:
    """Days a document of this pack may be dated: while the version was live, else near its contract."""
    start = pack.live_from or pack.contract_date or date(2025, 1, 1)
    end = pack.closed or start + timedelta(days=730)
    return start, end


@st.composite
def scenarios(draw, pack: Pack) -> Scenario:
    return draw_scenario(HypothesisChooser(draw), pack)


_INGIVARE_NAMN = ("Testkommun", "Provkommuns socialtjänst", "Exempelby kommun")
_HANDLAGGARE = ("testhandl01", "hand.laggare", "HL-7")


def draw_scenario(c: Chooser, pack: Pack) -> Scenario:
    start, end = date_window(pack)
    day = domain.draw_day(c, start, end)
    agencies = tuple(pack.agencies)
    included = frozenset(a for a in agencies if c.bool()) or frozenset({c.choice(agencies)})
    scenario = Scenario(
        version=pack.version,
        day=day,
        person=domain.draw_personnummer(c, born_before=min(date(2007, 12, 31), day - timedelta(days=6600))),
        ingivare=domain.draw_organisationsnummer(c),
        ingivare_namn=c.choice(_INGIVARE_NAMN),
        handlaggare=c.choice(_HANDLAGGARE),
        case_id=domain.draw_arendeidentitet(c),
        period=domain.draw_period(c, day),
        frage_tidpunkt=domain.draw_moment(c, day) if c.bool() else None,
        korrelationsid=_uuid(c) if c.bool() else None,
        echo_fraga=c.bool(),
        included=included,
    )
    scenario.extra["name"] = f"{c.choice(domain.FIRST_NAMES)} {c.choice(domain.LAST_NAMES)}"
    year = day.year
    scenario.extra["skv_years"] = tuple(sorted({year - c.int(1, 5) for _ in range(c.int(1, 3))}))
    parts = tuple(p for p in SKV_PARTS if c.bool())
    scenario.extra["skv_parts"] = parts or (c.choice(SKV_PARTS),)
    scenario.extra["skv_whole_error"] = c.one_in(4)
    served = [v for v in lefi_facts().served_by(pack.version) if v.live_from <= day] or list(
        lefi_facts().served_by(pack.version)[:1]
    )
    scenario.extra["lefi"] = c.choice([v.version for v in served]) if served else None
    return scenario


def _uuid(c: Chooser) -> str:
    return str(uuid.UUID(int=c.int(0, 2**128 - 1), version=4))


def _local(element: etree._Element | None) -> str:
    if element is None:
        return ""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class SsbtekHooks(Hooks):
    """What SSBTEK needs beyond the schema, by element name and place."""

    def __init__(self, pack: Pack, scenario: Scenario, direction: str, request: etree._Element | None) -> None:
        self.pack = pack
        self.ns = pack.namespace
        self.scenario = scenario
        self.direction = direction
        self.request = request
        self.agencies = set(pack.agencies)
        self.codes = element_lists(pack.version, direction)
        self.lefi = _LefiOnline(scenario.extra.get("lefi"))
        first, last = scenario.person_name
        #: values that follow from the scenario alone, by element name (the common case, looked up first)
        self.fixed: dict[str, str | None] = {
            "frageTidpunkt": scenario.frage_tidpunkt,
            **dict.fromkeys(
                ("personidentitet", "IdentitetsbeteckningFysiskPerson", "IdentificationNumber", "personnummer"),
                scenario.person,
            ),
            **dict.fromkeys(("arendeidentitet", "Referensnummer"), scenario.case_id),
            **dict.fromkeys(("handlaggare", "KontonamnForHandlaggare", "KontonamnHandlaggare"), scenario.handlaggare),
            **dict.fromkeys(("OrganisationsnummerForIngivare", "OrganisationsnummerIngivare"), scenario.ingivare10),
            **dict.fromkeys(("NamnPaIngivare", "NamnIngivare"), scenario.ingivare_namn),
            **dict.fromkeys(("Fornamn", "fornamn"), first),
            **dict.fromkeys(("Efternamn", "efternamn"), last),
        }
        self.prefix = f"{{{self.ns}}}"

    def _spell(self, walker: Walker, flag: bool) -> str:
        return walker.c.choice(_BOOL_SPELLINGS[flag])

    # ------------------------------------------------------------ structure

    def occurs(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> int | None:
        local = plan.local
        ours = plan.tag.startswith(self.prefix)
        if not ours and local not in _FOREIGN_DECIDED and not plan.tag.startswith(_LEFI):
            return None  # the common case: the schema decides
        where = _local(parent)
        scenario = self.scenario
        if ours and local in _AGENCIES and local not in self.agencies:
            return 0  # an agency of another version (SSBT-AGENCY-VERSION), even where the XSD tolerates it
        if plan.tag.startswith(_LEFI):
            found = self.lefi.occurs(walker, plan, parent)
            if found is not None:
                return found
        if ours and local == "frageTidpunkt":
            return int(scenario.frage_tidpunkt is not None)
        if ours and local == "korrelationsid":
            return int(scenario.korrelationsid is not None)
        if ours and local == "fraga" and where in ROOT_ELEMENTS.values():
            return int(scenario.echo_fraga)
        if ours and where == "svarsdata" and local in self.agencies:
            return int(local in scenario.included)
        if ours and local == "fraga" and where in ("FK", "SKV") and self.direction == "request":
            return int(where in scenario.included)
        if ours and local == "tidsperiod" and where in _AGENCIES and where not in scenario.included:
            return 0  # an agency not included carries no parameters (SSBT-INKLUDERA)
        if ours and where == "SKV" and _local(parent.getparent()) == "svarsdata":
            whole_error = scenario.extra["skv_whole_error"]
            if local in SKV_PARTS:
                return int(not whole_error and local in scenario.extra["skv_parts"])
            if local == "error" and plan.min == 0:
                return int(whole_error)
        if (
            ours
            and local == "error"
            and _local(parent.getparent()) == "testaBastjanstInformationResponse"
            and (_last_text(parent, "anropad") or "") not in ("true", "1")
        ):
            return 0  # a ping reports an error only for a test service it called (SSBT-PING-ERROR)
        if local == "fordonsinnehav":
            return int(_resultat(parent) == "OK")
        if local == "felresultat":
            return walker.c.int(1, 2) if _resultat(parent) == "FEL" else 0
        if local == "tomDatum" and where == "svar" and parent.find("giltighetstid") is not None:
            return int(parent.findtext("giltighetstid") == "TIDBEGRANSAT")
        if local == "SenasteAktivitetsRapportDatum":
            return int((_last_text(parent, "AktivitetsRapportMeddelande") or "") == "200")
        if local in MIV_REASON_ELEMENTS and where == "svar":
            return 0  # Migrationsverket discloses no reasons for its decisions (SSBT-MIV-REASON)
        return None

    def choose(self, walker: Walker, group: GroupPlan, parent: etree._Element) -> int | None:
        return None

    def build(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> bool:
        if plan.tag.startswith(_LEFI) and plan.local == "karens":
            return self.lefi.karens(walker, plan, parent)
        if plan.local == "fraga" and _local(parent) in ROOT_ELEMENTS.values() and self.request is not None:
            echo = etree.SubElement(parent, plan.tag)
            for child in self.request:
                echo.append(deepcopy(child))
            return True
        return False

    # ------------------------------------------------------------ values

    def attribute(self, walker: Walker, plan: ElementPlan, name: str, element: etree._Element) -> str | None:
        if name == "inkludera":
            return self._spell(walker, plan.local in self.scenario.included)
        return None

    def value(self, walker: Walker, plan: ElementPlan, element: etree._Element) -> str | None:
        scenario = self.scenario
        local = plan.local
        parent = element.getparent()
        where = _local(parent)
        c = walker.c
        if plan.tag.startswith(_LEFI):
            found = self.lefi.value(walker, plan, element, self.codes.get(local), scenario.day)
            if found is not None:
                return found
        if local in self.codes:
            codes = code_values(self.codes[local], scenario.day, place_of(element, self.codes[local]))
            if codes:
                return c.choice(codes)
        if local.endswith("Namn") and local[:-4] in self.codes:
            code = _last_text(parent, local[:-4])
            named = description(self.codes[local[:-4]], code, scenario.day) if code else None
            if named:
                return named
        if local == "anropad" and where in _WITHOUT_TEST_SERVICE:
            return self._spell(walker, False)
        fixed = self.fixed.get(local)
        if fixed is not None:
            return fixed
        if local == "korrelationsid":
            return scenario.korrelationsid or _uuid(c)
        if local == "fraganSkallInkluderasISvaret":
            return self._spell(walker, scenario.echo_fraga)
        if local == "organisationsnummer":
            return scenario.ingivare if where == "ingivare" else domain.draw_organisationsnummer(c)
        if where == "ingivare" and local == "namn":
            return scenario.ingivare_namn
        if local in ("OrganisationsnummerForPersonuppgiftsbitrade", "OrganisationsnummerPersonuppgiftsbitrade"):
            return domain.draw_organisationsnummer(c)[2:]
        if local == "ordningsnummer":
            return str(sum(1 for _ in parent.itersiblings(parent.tag, preceding=True)) + 1)
        if where == "tidsperiod" and local in ("fromDatum", "tomDatum"):
            period = self._period(walker, _local(parent.getparent()))
            return (period.start if local == "fromDatum" else period.end).isoformat()
        if local in ("From", "Tom") and where in ("Fraga", "data"):
            agency = "AF" if where == "Fraga" else "SO"
            period = self._period(walker, agency, agency_only=False)
            return (period.start if local == "From" else period.end).isoformat()
        if local == "ar" and where == "fraga":
            years = scenario.extra["skv_years"]
            index = sum(1 for _ in element.itersiblings(element.tag, preceding=True))
            return str(years[min(index, len(years) - 1)])
        if local in SKV_PARTS and where == "fraga":
            return self._spell(walker, local in scenario.extra["skv_parts"])
        if local == "version" and where == "fraga":
            return "v9"
        if local == "aktorsid":
            return _uuid(c)
        if local == "AktivitetsRapportMeddelande":
            return c.choice(("200", "500", "501", "502"))
        if plan.simple is not None and plan.simple.builtin == "date":
            return self._ordered_date(walker, plan, element)
        return None

    def _period(self, walker: Walker, agency: str, *, agency_only: bool = True) -> domain.Period:
        """The general period, or the agency's own one (drawn once, so fromDatum and tomDatum agree)."""
        scenario = self.scenario
        if agency in ("generellaFrageparametrar", "fraga", ""):
            return scenario.period
        key = f"period:{agency}"
        if key not in scenario.extra:
            if not agency_only:
                return scenario.period
            scenario.extra[key] = domain.draw_period(walker.c, scenario.day)
        return scenario.extra[key]

    def _ordered_date(self, walker: Walker, plan: ElementPlan, element: etree._Element) -> str | None:
        """A ``…Tom`` date after its ``…From`` sibling; any other date within a few years of the question."""
        day = self.scenario.day
        parent = element.getparent()
        for tom, from_ in _FROM_TO:
            if plan.local.endswith(tom):
                start = _last_text(parent, plan.local[: -len(tom)] + from_)
                if start:
                    begun = date.fromisoformat(start)
                    return (begun + timedelta(days=walker.c.int(0, 700))).isoformat()
        return (day - timedelta(days=walker.c.int(0, 3000))).isoformat()


#: elements outside the SSBTEK namespace whose presence depends on a sibling
_FOREIGN_DECIDED = frozenset(
    {"fordonsinnehav", "felresultat", "tomDatum", "SenasteAktivitetsRapportDatum", *MIV_REASON_ELEMENTS}
)
_AGENCIES = frozenset({"AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV"})
_LEFI = f"{{{LEFI_NAMESPACE}}}"


class _LefiOnline:
    """LEFI Online XML (FK in v6–v8): only the fields, förmåner and karens forms of the chosen LEFI version.

    The facts are ``xsd/lefi-online/versions.toml`` (through :mod:`ssbtek_validator.packs.lefi_online`), the same
    the version rules judge by, so the generator and the rules cannot drift apart.
    """

    def __init__(self, version: str | None) -> None:
        self.version = version
        facts = lefi_facts()
        self.facts = facts
        if version is None:
            self.absent: frozenset[str] = frozenset()
            self.formaner: tuple[str, ...] = ()
            return
        self.absent = frozenset(f.element for f in facts.fields if not exists_in(f.since, f.removed, version))
        self.formaner = tuple(
            code for code, forman in facts.formaner.items() if exists_in(forman.since, forman.removed, version)
        )
        self.forhandsbesked = tuple(c for c in facts.forhandsbesked_codes() if c in self.formaner)
        self.karens_period = version_key(version) >= version_key(facts.karens_period_since)

    def occurs(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> int | None:
        if self.version is None:
            return None
        local = plan.local
        if local in self.absent:
            return 0
        if local == "lefiOnlineVersion":
            return 1  # from LEFI Online 5.0 a question must name its version; answers say it too
        if local == "forhandsbesked" and _local(parent) != "Fraga" and _last_text(parent, "formanstyp"):
            return int(_last_text(parent, "formanstyp") in self.forhandsbesked and walker.c.bool())
        return None

    def value(self, walker: Walker, plan: ElementPlan, element, lists, day) -> str | None:
        if self.version is None:
            return None
        local = plan.local
        if local == "lefiOnlineVersion":
            return self.version
        if local == "formanstyp":
            pool = self.forhandsbesked if _local(element.getparent()) == "forhandsbesked" else self.formaner
            if lists:  # also in force on the day, where a code list says when a förmån began
                dated = set(code_values(lists, day))
                pool = tuple(code for code in pool if code in dated) or pool
            return walker.c.choice(pool) if pool else None
        return None

    def karens(self, walker: Walker, plan: ElementPlan, parent: etree._Element) -> bool:
        """A karens is one day before LEFI Online 5.0; from 5.0 a karensavdrag spans a period of days."""
        children = {p.local: p for p in _element_plans(plan)}
        if "period" not in children or "antalDagar" not in children:
            return False
        days = walker.c.int(1, 10) if self.karens_period else 1
        start = date(2019, 1, 1) + timedelta(days=walker.c.int(0, 700))
        karens = etree.SubElement(parent, plan.tag)
        period = etree.SubElement(karens, children["period"].tag)
        for sub in _element_plans(children["period"]):
            value = start if sub.local == "fromDatum" else start + timedelta(days=days - 1)
            etree.SubElement(period, sub.tag).text = value.isoformat()
        etree.SubElement(karens, children["antalDagar"].tag).text = str(days)
        return True


def _element_plans(plan: ElementPlan) -> list[ElementPlan]:
    found: list[ElementPlan] = []
    stack = [plan.content] if plan.content is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, GroupPlan):
            stack[:0] = node.particles
        elif isinstance(node, ElementPlan):
            found.append(node)
    return found


def _resultat(parent: etree._Element) -> str | None:
    for child in parent:
        if _local(child) == "resultat":
            return (child.text or "").strip()
    return None


def _last_text(parent: etree._Element, local: str) -> str | None:
    for child in reversed(parent):
        if _local(child) == local:
            return child.text
    return None


# ---------------------------------------------------------------- whole documents


@dataclass(frozen=True)
class Document:
    """One generated message, ready to save or send, with what it takes to judge it."""

    xml: bytes
    version: int
    operation: str
    direction: str
    #: the day the validator must judge it at: its frageTidpunkt's day, or pass this as --as-of
    as_of: date

    def __bytes__(self) -> bytes:
        return self.xml


@dataclass(eq=False)
class Generated:
    """A document while it can still be changed: the tree, the records the walker kept, its scenario."""

    pack: Pack
    operation: str
    direction: str
    scenario: Scenario | None
    envelope: etree._Element
    payload: etree._Element
    records: list[Record] = field(default_factory=list)
    request: Generated | None = None
    pretty: bool = False
    declaration: bool = True

    @property
    def as_of(self) -> date:
        if self.scenario is not None:
            return self.scenario.day
        return date_window(self.pack)[0]

    def to_bytes(self) -> bytes:
        return etree.tostring(
            self.envelope, encoding="UTF-8", xml_declaration=self.declaration, pretty_print=self.pretty
        )

    def document(self) -> Document:
        return Document(self.to_bytes(), self.pack.version, self.operation, self.direction, self.as_of)


@cache
def _has_unqualified(model: SchemaModel, root_local: str) -> bool:
    """Whether an element without a namespace can occur under this root (then no default namespace)."""
    seen: set[int] = set()
    stack: list = [model.roots[root_local]]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ElementPlan):
            if not node.tag.startswith("{"):
                return True
            if node.content is not None:
                stack.append(node.content)
        elif isinstance(node, GroupPlan):
            stack.extend(node.particles)
    return False


def generate(
    c: Chooser, pack: Pack, operation: str, direction: str, *, request: Generated | None = None, scenario=None
) -> Generated:
    """Draw one valid document of ``pack`` for (operation, direction)."""
    model = schema_model(pack.entry)
    root_local = ROOT_ELEMENTS[(operation, direction)]
    if operation == "hamtaBastjanstInformation" and direction == "answer" and request is None:
        request = generate(c, pack, operation, "request", scenario=scenario)
    if scenario is None:
        scenario = request.scenario if request is not None else draw_scenario(c, pack)
    hooks = SsbtekHooks(pack, scenario, direction, request.payload if request is not None else None)
    walker = Walker(c, hooks)
    prefixes = ["ssbt", "ns2", "s"] + ([None] if not _has_unqualified(model, root_local) else [])
    prefix = c.choice(prefixes)
    payload = walker.root(model.roots[root_local], {prefix: pack.namespace})
    _fill_payloads(c, pack, scenario, direction, payload)
    envelope = _envelope(c, payload, direction)
    return Generated(
        pack,
        operation,
        direction,
        scenario,
        envelope,
        payload,
        walker.records,
        request,
        pretty=c.bool(),
        declaration=c.bool(),
    )


def _fill_payloads(c: Chooser, pack: Pack, scenario: Scenario, direction: str, payload: etree._Element) -> None:
    for binding in pack.payloads:
        if binding.direction != direction:
            continue
        for carrier in binding.finder(pack.namespace)(payload):
            raw = document_bytes(c, binding.model, binding.format, scenario, carrier)
            encode_into(c, carrier, raw, binding.encoding)


def _envelope(c: Chooser, payload: etree._Element, direction: str) -> etree._Element:
    soap_prefix = c.choice(("soapenv", "soap", "S"))
    envelope = etree.Element(f"{{{SOAP11}}}Envelope", nsmap={soap_prefix: SOAP11})
    if c.bool():
        etree.SubElement(envelope, f"{{{SOAP11}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP11}}}Body")
    if direction == "fault":
        fault = etree.SubElement(body, f"{{{SOAP11}}}Fault")
        etree.SubElement(fault, "faultcode").text = f"{soap_prefix}:{c.choice(('Server', 'Client'))}"
        etree.SubElement(fault, "faultstring").text = c.choice(domain.TEXTS)
        etree.SubElement(fault, "detail").append(payload)
    else:
        body.append(payload)
    return envelope
