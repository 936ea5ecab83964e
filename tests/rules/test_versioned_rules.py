"""Version-dependent rules of SSBTEK v6–v8: each field, förmån and agency appears only where its version has it.

The oracles here are the release-note facts written out in the test (the eight förmåner with
förhandsbesked, the agencies per version) or the data file read independently of the validator's
loader, so a wrong loader, a wrong comparison or a wrong fact in the data fails a test.
"""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.packs.lefi_online import judge
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse

from ..conftest import CORPUS, ROOT

LEFI = "urn:ssbtek-validator:reconstructed:lefi-online"
DATA = tomllib.loads((ROOT / "xsd" / "lefi-online" / "versions.toml").read_text(encoding="utf-8"))
SERVED = {6: ["4.0"], 7: ["5.0", "5.1"], 8: ["6.0"]}
#: a date inside each version's live window (and after LEFI 5.1 went live)
INSIDE = {6: "2019-10-08T10:00:00+02:00", 7: "2019-05-14T10:00:00+02:00", 8: "2020-03-10T10:00:00+01:00"}


def key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def rules(result) -> Counter:
    [message] = result.messages
    return Counter(f.rule for f in message.findings if f.severity != "info")


# ------------------------------------------------------------------ message builders

GENERAL = """<ssbt:generellaFrageparametrar>
<ssbt:frageTidpunkt>{when}</ssbt:frageTidpunkt>
<ssbt:fraganSkallInkluderasISvaret>false</ssbt:fraganSkallInkluderasISvaret>
<ssbt:ingivare><ssbt:organisationsnummer>162120000142</ssbt:organisationsnummer><ssbt:namn>Testkommun</ssbt:namn>
<ssbt:handlaggare>testhandl01</ssbt:handlaggare></ssbt:ingivare>
<ssbt:personidentitet>191212121212</ssbt:personidentitet><ssbt:arendeidentitet>EB-1</ssbt:arendeidentitet>
<ssbt:tidsperiod><ssbt:fromDatum>2019-01-01</ssbt:fromDatum><ssbt:tomDatum>2019-02-28</ssbt:tomDatum></ssbt:tidsperiod>
<ssbt:syfte>Utredning</ssbt:syfte><ssbt:lagtext>11 kap. 11 § socialtjänstlagen</ssbt:lagtext>
</ssbt:generellaFrageparametrar>"""


def envelope(version: int, body: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ssbt="http://schema.forsakringskassan.se/integration/ssbt/{version}" xmlns:lefi="{LEFI}">'
        f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def request(version: int, fraga: str, *, when: str | None = None, miv: bool | None = None) -> bytes:
    agencies = '<ssbt:AF inkludera="false"/><ssbt:CSN inkludera="false"/>'
    agencies += f'<ssbt:FK inkludera="true"><ssbt:fraga>{fraga}</ssbt:fraga></ssbt:FK>'
    agencies += '<ssbt:SKV inkludera="false"/><ssbt:SO inkludera="false"/><ssbt:TNS inkludera="false"/>'
    if miv if miv is not None else version >= 8:
        agencies += '<ssbt:MIV inkludera="false"/>'
    general = GENERAL.format(when=when or INSIDE[version])
    return envelope(
        version,
        f"<ssbt:hamtaBastjanstInformation>{general}"
        f"<ssbt:specifikaFrageparametrar>{agencies}</ssbt:specifikaFrageparametrar></ssbt:hamtaBastjanstInformation>",
    )


def answer(version: int, data: str, *, when: str | None = None) -> bytes:
    return envelope(
        version,
        "<ssbt:hamtaBastjanstInformationResponse>"
        f"<ssbt:frageTidpunkt>{when or INSIDE[version]}</ssbt:frageTidpunkt>"
        f"<ssbt:svarsdata><ssbt:FK><ssbt:data>{data}</ssbt:data></ssbt:FK></ssbt:svarsdata>"
        "</ssbt:hamtaBastjanstInformationResponse>",
    )


def stated(version: str | None) -> str:
    return f"<lefi:lefiOnlineVersion>{version}</lefi:lefiOnlineVersion>" if version else ""


PERIOD = "<lefi:period><lefi:fromDatum>{}</lefi:fromDatum><lefi:tomDatum>{}</lefi:tomDatum></lefi:period>"
FORHANDSBESKED = (
    "<lefi:forhandsbesked><lefi:registreringsdatum>2019-10-01</lefi:registreringsdatum>"
    "<lefi:bruttobelopp>100</lefi:bruttobelopp></lefi:forhandsbesked>"
)


def answer_fields(fields: set[str]) -> str:
    """FK data using the given LEFI fields, in schema order."""
    out = ""
    if "forhandsbesked" in fields:
        out += "<lefi:formansinformation><lefi:formanstyp>SJP</lefi:formanstyp>"
        out += f"{FORHANDSBESKED}</lefi:formansinformation>"
    if fields & {"programanvisning", "programersattning"}:
        out += "<lefi:arbetsmarknadsprogram><lefi:programnamn>Utbildning</lefi:programnamn>"
        out += PERIOD.format("2019-01-07", "2019-06-28")
        if "programanvisning" in fields:
            out += (
                "<lefi:programanvisning><lefi:anvisningsdatum>2018-12-17</lefi:anvisningsdatum>"
                "<lefi:programkod>8</lefi:programkod></lefi:programanvisning>"
            )
        if "programersattning" in fields:
            out += (
                "<lefi:programersattning><lefi:ersattningstyp>AS</lefi:ersattningstyp>"
                "<lefi:antalDagar>20</lefi:antalDagar></lefi:programersattning>"
            )
        out += "</lefi:arbetsmarknadsprogram>"
    if "programjobdagar" in fields:
        out += (
            "<lefi:programjobdagar><lefi:antalForbrukade>12</lefi:antalForbrukade>"
            "<lefi:harForbrukatMaxAntal>false</lefi:harForbrukatMaxAntal></lefi:programjobdagar>"
        )
    if "premiepensionBelopp" in fields:
        out += (
            "<lefi:pensionsbehallning><lefi:avserAr>2018</lefi:avserAr>"
            "<lefi:inkomstpensionBelopp>1000</lefi:inkomstpensionBelopp>"
            "<lefi:premiepensionBelopp>98750</lefi:premiepensionBelopp></lefi:pensionsbehallning>"
        )
    return out


ANSWER_FIELDS = ["forhandsbesked", "programanvisning", "programersattning", "programjobdagar", "premiepensionBelopp"]
SINCE = {item["element"]: item["since"] for item in DATA["field"]}


def version_and_stated():
    return st.sampled_from([6, 7, 8]).flatmap(
        lambda v: st.tuples(st.just(v), st.sampled_from([None] if v == 6 else [None, *SERVED[v]]))
    )


# ------------------------------------------------------------------ SSBT-LEFI-FIELD


def test_the_data_file_names_the_fields_the_release_notes_add():
    assert SINCE == {
        "lefiOnlineVersion": "5.0",
        "premiepensionBelopp": "5.0",
        "programanvisning": "5.1",
        "programersattning": "5.1",
        "programjobdagar": "6.0",
        "forhandsbesked": "6.0",
    }


@given(version_and_stated(), st.sets(st.sampled_from(ANSWER_FIELDS)))
def test_a_lefi_field_is_reported_exactly_when_its_version_lacks_it(pair, fields):
    version, said = pair
    judged = said or SERVED[version][-1]  # unstated: the newest LEFI version of the pack
    result = validate(answer(version, stated(said) + answer_fields(fields)))
    [message] = result.messages
    reported = sorted(f.message.split(" ", 1)[0] for f in message.findings if f.rule == "SSBT-LEFI-FIELD")
    expected = sorted(f for f in fields if key(judged) < key(SINCE[f]))
    assert reported == expected, [f.message for f in message.findings]
    assert rules(result)["SSBT-XSD"] == 0  # one union schema: the rule, not the XSD, decides
    for finding in message.findings:
        if finding.rule == "SSBT-LEFI-FIELD":
            field = finding.message.split(" ", 1)[0]
            assert f"arrived in LEFI Online {SINCE[field]} (SSBTEK v" in finding.message
            assert f"is LEFI Online {judged}" in finding.message


def test_premiepension_value_is_masked_unless_asked():
    message = answer(6, answer_fields({"premiepensionBelopp"}))
    [masked] = [f for f in validate(message).messages[0].findings if f.rule == "SSBT-LEFI-FIELD"]
    assert masked.value == "•••••" and "98750" not in masked.message
    [shown] = [f for f in validate(message, show_values=True).messages[0].findings if f.rule == "SSBT-LEFI-FIELD"]
    assert shown.value == "98750"


# ------------------------------------------------------------------ lefiOnlineVersion in the question


@pytest.mark.parametrize("version", [6, 7, 8])
def test_question_without_lefi_online_version(version):
    found = rules(validate(request(version, "<lefi:formanstyp>SJP</lefi:formanstyp>")))
    assert found == (Counter() if version == 6 else Counter({"SSBT-LEFI-VERSION-MISSING": 1}))


@pytest.mark.parametrize(
    ("version", "said", "expected"),
    [
        (6, "4.0", {"SSBT-LEFI-FIELD": 1}),  # the field itself is from 5.0
        (7, "5.0", {}),
        (7, "5.1", {}),
        (7, "6.0", {"SSBT-LEFI-VERSION": 1}),
        (7, "4.0", {"SSBT-LEFI-VERSION": 1}),
        (8, "6.0", {}),
        (8, "5.0", {"SSBT-LEFI-VERSION": 1}),
        (8, "9.9", {"SSBT-LEFI-VERSION": 1}),
    ],
)
def test_stated_lefi_version_must_be_served_by_the_pack(version, said, expected):
    result = validate(request(version, stated(said)))
    assert rules(result) == Counter(expected)
    for finding in result.messages[0].findings:
        if finding.rule == "SSBT-LEFI-VERSION":
            assert f"lefiOnlineVersion {said} is not served by SSBTEK v{version}" in finding.message


def test_judgement_prefers_the_answer_then_the_echoed_question_then_the_newest():
    def judged(name):
        path = CORPUS / name
        message = parse(Source(str(path), path.read_bytes()))
        return judge(message, builtin_packs()[message_version(name)])

    own = judged("v7/answer-lefi-5-0.xml")
    assert (own.version, own.reason, own.from_message) == ("5.0", "the answer's lefiOnlineVersion", True)
    echoed = judged("v7/invalid-echo-fraga-lefi-5-0-program-detail.xml")
    assert (echoed.version, echoed.reason) == ("5.0", "the lefiOnlineVersion of the echoed question")
    only = judged("v6/answer-lefi-4.xml")
    assert (only.version, only.from_message) == ("4.0", False)
    assert judged("v10/request-full.xml") is None  # FK is LEFI REST JSON there, not LEFI Online XML
    unstated = parse(Source("x", answer(7, answer_fields({"programjobdagar"}))))
    assumed = judge(unstated, builtin_packs()[7])
    assert assumed.version == "5.1" and assumed.reason.startswith("assumed: the newest")


def message_version(name: str) -> int:
    return int(name.split("/", 1)[0][1:])


# ------------------------------------------------------------------ förmåner

#: the seed (2019-05-06): preliminary payments for these eight förmåner, and no other
SEED_EIGHT = {
    "aktivitetsstöd",
    "utvecklingsersättning",
    "etableringsersättning",
    "etableringstillägg",
    "bostadsersättning",
    "föräldrapenning",
    "tillfällig föräldrapenning",
    "sjukpenning",
}
FORMANER = {item["code"]: item for item in DATA["forman"]}


def test_the_eight_forhandsbesked_formaner_are_the_seeds():
    flagged = {item["name"].lower() for item in DATA["forman"] if item.get("forhandsbesked")}
    assert flagged == SEED_EIGHT
    assert FORMANER["FTH"]["removed"] == "4.0"
    assert FORMANER["OMV"]["since"] == FORMANER["MEK"]["since"] == "5.0"


@given(version_and_stated(), st.lists(st.sampled_from(sorted(FORMANER)), min_size=1, max_size=4))
def test_a_forman_code_is_reported_exactly_outside_its_versions(pair, codes):
    version, said = pair
    judged = key(said or SERVED[version][-1])
    fraga = stated(said) + "".join(f"<lefi:formanstyp>{c}</lefi:formanstyp>" for c in codes)
    result = validate(request(version, fraga))

    def outside(code):
        item = FORMANER[code]
        too_early = "since" in item and judged < key(item["since"])
        return too_early or ("removed" in item and judged >= key(item["removed"]))

    assert rules(result)["SSBT-LEFI-FORMAN"] == sum(1 for c in codes if outside(c))
    assert rules(result)["SSBT-LEFI-FORMAN"] >= codes.count("FTH")  # FTH is gone in every version here


@given(st.lists(st.sampled_from([*sorted(FORMANER), "XYZ"]), min_size=1, max_size=5))
def test_forhandsbesked_in_v8_only_for_the_eight(codes):
    asked = "".join(f"<lefi:formanstyp>{c}</lefi:formanstyp>" for c in codes)
    result = validate(request(8, f"{stated('6.0')}<lefi:forhandsbesked>{asked}</lefi:forhandsbesked>"))
    eight = {code for code, item in FORMANER.items() if item["name"].lower() in SEED_EIGHT}
    found = rules(result)
    assert found["SSBT-LEFI-FORHANDSBESKED"] == sum(1 for c in codes if c not in eight)
    assert found["SSBT-LEFI-FIELD"] == 0


@pytest.mark.parametrize(("version", "said"), [(6, None), (7, "5.0"), (7, "5.1")])
def test_forhandsbesked_before_6_is_the_field_rule_not_the_forman_rule(version, said):
    fraga = f"{stated(said)}<lefi:forhandsbesked><lefi:formanstyp>VB</lefi:formanstyp></lefi:forhandsbesked>"
    found = rules(validate(request(version, fraga)))
    assert found == Counter({"SSBT-LEFI-FIELD": 1})


# ------------------------------------------------------------------ karens


def karens(start: str, end: str, days: int) -> str:
    return (
        f"<lefi:formansinformation><lefi:formanstyp>SJP</lefi:formanstyp><lefi:karens>{PERIOD.format(start, end)}"
        f"<lefi:antalDagar>{days}</lefi:antalDagar></lefi:karens></lefi:formansinformation>"
    )


@pytest.mark.parametrize(
    ("start", "end", "days", "in_v6"),
    [
        ("2019-09-02", "2019-09-02", 1, 0),
        ("2019-09-02", "2019-09-03", 1, 1),  # the period says two days
        ("2019-09-02", "2019-09-02", 2, 1),  # the count says two days
        ("2019-09-02", "2019-09-15", 10, 1),
    ],
)
def test_karens_over_several_days_only_from_lefi_5(start, end, days, in_v6):
    assert rules(validate(answer(6, karens(start, end, days))))["SSBT-LEFI-KARENS"] == in_v6
    assert rules(validate(answer(7, stated("5.0") + karens(start, end, days))))["SSBT-LEFI-KARENS"] == 0


# ------------------------------------------------------------------ agencies and operations


@pytest.mark.parametrize("version", [6, 7, 8])
def test_miv_only_from_v8(version):
    found = rules(validate(request(version, stated(SERVED[version][-1]) if version > 6 else "", miv=True)))
    assert found == (Counter() if version >= 8 else Counter({"SSBT-AGENCY-VERSION": 1}))
    if version < 8:
        findings = validate(request(version, "", miv=True)).messages[0].findings
        [finding] = [f for f in findings if f.rule == "SSBT-AGENCY-VERSION"]
        assert "MIV joined in v8" in finding.message


def test_agencies_per_version_match_the_release_notes():
    packs = builtin_packs()
    assert "TNS" in packs[6].agencies and "MIV" not in packs[6].agencies
    assert "MIV" not in packs[7].agencies and "MIV" in packs[8].agencies
    assert "testaBastjanstInformation" not in packs[6].operations
    assert "testaBastjanstInformation" in packs[7].operations


def test_ping_in_v10_draws_no_operation_finding():
    result = validate(CORPUS / "v10" / "ping-request.xml")
    assert rules(result) == Counter()
