"""Inside the payloads: decoding failures, models, and locations that point into the decoded document."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate
from ssbtek_validator.packs.nested_models import builtin_models, models_for
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.run.driver import Options, validate_sources

from ..conftest import CORPUS

ANSWER = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_text(encoding="utf-8")
REQUEST = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")


def _replace(text: str, name: str, value: str) -> str:
    return re.sub(rf"(<ssbt:{name}>)[^<]*(</ssbt:{name}>)", lambda m: m.group(1) + value + m.group(2), text, count=1)


def _run(text: str, **options):
    limits = options.pop("limits", Limits())
    result = validate_sources([Source("msg.xml", text.encode("utf-8"))], Options(limits=limits, **options))
    [message] = result.messages
    return message


def _carrier_line(text: str, name: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if f"<ssbt:{name}>" in line)


def _only(message, rule):
    found = [f for f in message.findings if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in message.findings]
    return found[0]


# ---------------------------------------------------------------- decoding failures


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("eyJ1dGxhbW5hcmUiOltdfQ==%%", "SSBT-PAYLOAD-BASE64"),  # libxml2 accepts this; we do not
        (base64.b64encode('{"namn":"Försäkringskassan"}'.encode("latin-1")).decode(), "SSBT-PAYLOAD-UTF8"),
        (base64.b64encode(b'{"utlamnare": [}').decode(), "SSBT-PAYLOAD-JSON"),
        (base64.b64encode(b"[" * 400 + b"]" * 400).decode(), "SSBT-LIMIT"),
    ],
)
def test_each_fk_decoding_failure_is_one_finding_at_the_carrying_element(value, rule):
    text = _replace(ANSWER, "lefiJsonSvar", value)
    message = _run(text)
    finding = _only(message, rule)
    assert finding.line == _carrier_line(text, "lefiJsonSvar")
    assert finding.path.endswith("/ssbt:FK/ssbt:data/ssbt:lefiJsonSvar")
    assert not any(f.rule.startswith("SSBT-LEFI-") for f in message.findings)  # nothing to check inside


def test_decoded_size_is_bounded():
    message = _run(ANSWER, limits=Limits(max_decoded_bytes=1000))
    limit = [f for f in message.findings if f.rule == "SSBT-LIMIT"]
    assert {f.path.rsplit("/", 1)[-1] for f in limit} == {"ssbt:svar", "ssbt:lefiJsonSvar"}
    assert str(message.verdict) == "incomplete"


def test_csn_payload_that_is_not_xml():
    text = _replace(ANSWER, "svar", base64.b64encode(b"<CSNSvar><Personer></CSNSvar>").decode())
    finding = _only(_run(text), "SSBT-PAYLOAD-XML")
    assert finding.line == _carrier_line(text, "svar")
    assert "decoded line 1" in finding.message


def test_csn_payload_with_a_doctype_is_not_expanded():
    evil = b'<!DOCTYPE x [<!ENTITY e "boom">]><CSNSvar xmlns="http://schema.csn.se/v3.0/kommunfraga">&e;</CSNSvar>'
    message = _run(_replace(ANSWER, "svar", base64.b64encode(evil).decode()))
    assert _only(message, "SSBT-DTD").path.endswith("ssbt:svar")
    assert not any(f.rule == "SSBT-CSN-MODEL" for f in message.findings)


# ---------------------------------------------------------------- CSN model and chained locations


def _decoded_csn(text: str) -> etree._Element:
    blob = re.search(r"<ssbt:svar>([^<]*)</ssbt:svar>", text).group(1)
    return etree.fromstring(base64.b64decode(blob))


def test_csn_violation_points_into_the_decoded_document():
    text = (CORPUS / "v10" / "invalid-csn-model.xml").read_text(encoding="utf-8")
    finding = _only(_run(text), "SSBT-CSN-MODEL")
    outer, inner = finding.path.split(" → ")
    assert outer.endswith("/ssbt:CSN/ssbt:data/ssbt:svar")
    assert finding.line == _carrier_line(text, "svar")
    document = _decoded_csn(text)
    # the inner path uses the document's own prefixes (v3.0 answers spread over five namespaces)
    ns = {prefix or "k": uri for prefix, uri in document.nsmap.items()}
    steps = [step if ":" in step else f"k:{step}" for step in inner.strip("/").split("/")]
    [target] = document.xpath("/" + "/".join(steps), namespaces=ns)
    assert target.text == "33"
    assert f"line {target.sourceline} of the decoded document" in finding.message
    assert finding.value == "33"  # soktomfattning holds a percentage (ssbtek_validator/masking.toml), not personal data


def test_csn_v4_layout_is_checked_against_the_v4_model():
    text = (CORPUS / "v10" / "answer-csn-v4.xml").read_text(encoding="utf-8")
    document = _decoded_csn(text)
    assert etree.QName(document).namespace == "http://schema.csn.se/v4.0/kommunfraga"
    broken = etree.tostring(document).replace(b">GRUNDB<", b">GRUNDBIDRAG<", 1)
    finding = _only(_run(_replace(text, "svar", base64.b64encode(broken).decode())), "SSBT-CSN-MODEL")
    assert finding.path.split(" → ")[1].endswith(
        "/typ:Beloppen/typ:Belopp/typ:beloppstyp"
    )  # prefixes as the document has them


def test_csn_v3_document_in_v4_layout_is_not_accepted_as_v3():
    """The namespace decides the model: v4.0's per-support namespaces are unknown elements to v3.0."""
    text = (CORPUS / "v10" / "answer-csn-v4.xml").read_text(encoding="utf-8")
    document = etree.tostring(_decoded_csn(text)).replace(b"v4.0/kommunfraga", b"v3.0/kommunfraga")
    message = _run(_replace(text, "svar", base64.b64encode(document).decode()))
    assert any(f.rule == "SSBT-CSN-MODEL" for f in message.findings)


# ---------------------------------------------------------------- LEFI


def _decoded_json(text: str, name: str):
    blob = re.search(rf"<ssbt:{name}>([^<]*)</ssbt:{name}>", text).group(1)
    return json.loads(base64.b64decode(blob))


def _resolve(document, pointer: str):
    for part in pointer.strip("/").split("/"):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def test_lefi_violation_is_a_json_pointer_into_the_decoded_json():
    text = (CORPUS / "v10" / "invalid-lefi-svar-types.xml").read_text(encoding="utf-8")
    message = _run(text)
    findings = [f for f in message.findings if f.rule == "SSBT-LEFI-MODEL"]
    assert len(findings) == 2
    document = _decoded_json(text, "lefiJsonSvar")
    pointers = {f.path.split(" → ")[1] for f in findings}
    assert pointers == {
        "/formansinformation/bostadsbidragsarende/0/aktivt",
        "/formansinformation/programjobdagar/0/antalForbrukade",
    }
    assert {_resolve(document, p) for p in pointers} == {"ja", -3}
    assert all(f.line == _carrier_line(text, "lefiJsonSvar") for f in findings)


def test_lefi_values_are_masked_unless_asked():
    fraga = {
        "personnummer": "19121212",
        "period": {"from": "2026-09-01", "tom": "2026-10-31"},
        "ovrigInformation": ["FK:GEPI"],
    }
    text = _replace(REQUEST, "lefiJsonFraga", base64.b64encode(json.dumps(fraga).encode()).decode())
    masked = _only(_run(text), "SSBT-LEFI-MODEL")
    assert masked.path.endswith("→ /personnummer")
    assert masked.value == "••••••••" and "19121212" not in masked.message
    shown = _only(_run(text, show_values=True), "SSBT-LEFI-MODEL")
    assert shown.value == "19121212"


def test_fk_version_decides_the_model_and_an_unknown_one_is_a_finding():
    echo = (CORPUS / "v10" / "answer-echo-fraga.xml").read_text(encoding="utf-8")
    broken = _replace(echo, "lefiJsonSvar", base64.b64encode(b'{"utlamnare": "FK"}').decode())
    assert any(f.rule == "SSBT-LEFI-MODEL" for f in _run(broken).findings)  # v9 applies: checked
    unknown = broken.replace("<ssbt:version>v9</ssbt:version>", "<ssbt:version>v10</ssbt:version>")
    message = _run(unknown)
    version = _only(message, "SSBT-FK-VERSION")
    assert str(version.severity) == "warning" and version.path.endswith("ssbt:fraga/ssbt:version")
    assert not any(f.rule == "SSBT-LEFI-MODEL" for f in message.findings)  # no model: not checked


def test_an_empty_fk_version_is_said_to_be_empty_not_named_as_a_version():
    """An empty version is neither a LEFI version nor left out (how a question asks for the default)."""
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    assert "<ssbt:version>v9</ssbt:version>" in request
    version = _only(_run(request.replace("<ssbt:version>v9</ssbt:version>", "<ssbt:version/>")), "SSBT-FK-VERSION")
    assert str(version.severity) == "error"
    assert version.message.startswith("FK fraga/version is empty: neither a LEFI version (known: v9) nor left out")
    assert "''" not in version.message


def test_models_are_compiled_once_per_process():
    assert builtin_models() is builtin_models()
    model = builtin_models().csn["http://schema.csn.se/v3.0/kommunfraga"]
    assert model.schema() is model.schema()


def test_bundle_openapi_replaces_our_lefi_model(v10_bundle):
    """Ours leaves code values to the code lists; the published OpenAPI file has them as enums."""
    svar = _decoded_json(ANSWER, "lefiJsonSvar")
    svar["utlamnare"][0]["tillstand"]["kod"] = "KANSKE"
    text = _replace(ANSWER, "lefiJsonSvar", base64.b64encode(json.dumps(svar).encode()).decode())
    ours = validate(text.encode("utf-8"))
    theirs = validate(text.encode("utf-8"), schemas=v10_bundle)
    assert not any(f.rule == "SSBT-LEFI-MODEL" for f in ours.messages[0].findings)
    [finding] = [f for f in theirs.messages[0].findings if f.rule == "SSBT-LEFI-MODEL"]
    assert finding.path.endswith("→ /utlamnare/0/tillstand/kod")
    assert models_for(theirs_openapi(v10_bundle)).lefi["v9"].status == "external"


def theirs_openapi(bundle):
    return tuple(sorted(bundle.rglob("*.openapi.yaml")))


def test_our_lefi_model_is_stricter_than_the_openapi_only_where_documented(v10_bundle):
    """The three differences: a question that asks for nothing, unknown keys, negative counts."""
    for name, ours_only in [
        ("invalid-lefi-fraga-asks-nothing.xml", {"SSBT-LEFI-MODEL"}),
        ("answer-lefi-unknown-field.xml", {"SSBT-LEFI-UNKNOWN-FIELD"}),
        ("invalid-lefi-fraga-no-such-date.xml", set()),
    ]:
        path = CORPUS / "v10" / name
        ours = {f.rule for f in validate(path).messages[0].findings if f.rule.startswith("SSBT-LEFI")}
        theirs = {
            f.rule for f in validate(path, schemas=v10_bundle).messages[0].findings if f.rule.startswith("SSBT-LEFI")
        }
        assert ours - theirs == ours_only, name


def test_every_new_rule_explains_itself():
    from ssbtek_validator.rules import MESSAGE_RULES
    from ssbtek_validator.rules.exchange import EXCHANGE_RULES

    for rule in [*MESSAGE_RULES, *EXCHANGE_RULES]:
        assert rule.id.startswith("SSBT-") and rule.summary and rule.versions
        assert len(getattr(rule, "explanation", "")) > 80, rule.id
        assert getattr(rule, "example", ""), rule.id


def test_packs_are_untouched_by_nested_models():
    assert all(pack.openapi == () for pack in builtin_packs().values())


# ---------------------------------------------------------------- our LEFI verdicts are jsonschema's


def test_our_lefi_schema_is_a_valid_json_schema():
    from jsonschema import Draft202012Validator

    for direction in ("request", "answer"):
        Draft202012Validator.check_schema(builtin_models().lefi["v9"].validator(direction).schema)


#: values a near miss puts in place of one value: wrong types, and dates that date.fromisoformat takes
#: but RFC 3339's full-date (JSON Schema's "date") does not
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.sampled_from(
        ["2026-09-31", "2026-09-30", "2026-09", "2021-W01-1", "20210101xx", "9001011234", "20210101", "2021-001"]
    ),
)


def _mutations(document):
    """Paths to every value in a JSON document, so a strategy can replace one of them."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (key,)
            yield from (((key, *rest)) for rest in _mutations(value))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield (index,)
            yield from (((index, *rest)) for rest in _mutations(value))


def _with(document, path, value):
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def _reference(schema):
    """python-jsonschema, the reference implementation, asserting formats as our model does."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(("name", "direction"), [("lefiJsonSvar", "answer"), ("lefiJsonFraga", "request")])
@given(data=st.data())
def test_lefi_verdicts_and_their_words_are_the_reference_implementations(name, direction, data):
    """On near misses of the corpus payloads, jsonschema-rs gives jsonschema's verdict, and our findings
    say the same things at the same places as they would from jsonschema's errors."""
    from ssbtek_validator.rules.nested import _describe, _pointer

    text = ANSWER if direction == "answer" else REQUEST
    document = _decoded_json(text, name)
    path = data.draw(st.sampled_from(list(_mutations(document))))
    mutated = _with(document, path, data.draw(_SCALARS))
    model = builtin_models().lefi["v9"].validator(direction)
    reference = _reference(model.schema)
    assert model.is_valid(mutated) == reference.is_valid(mutated)

    def seen(errors):
        return sorted(
            {(_pointer(e.absolute_path), e.validator, _describe(e, _pointer(e.absolute_path))) for e in errors}
        )

    assert seen(model.iter_errors(mutated)) == seen(reference.iter_errors(mutated))


@pytest.mark.parametrize("value", ["2021-W01-1", "20210101xx", "9001011234", "2021-02-29", "2021-1-01"])
def test_a_date_python_reads_but_json_schema_does_not_is_a_finding(value):
    fraga = _decoded_json(REQUEST, "lefiJsonFraga")
    fraga["period"]["from"] = value
    text = _replace(REQUEST, "lefiJsonFraga", base64.b64encode(json.dumps(fraga).encode()).decode())
    finding = _only(_run(text), "SSBT-LEFI-MODEL")
    assert finding.path.endswith("→ /period/from") and "not a valid date" in finding.message


# ---------------------------------------------------------------- SKV v10 roots and JSON constants


def test_skv_root_is_known_by_name_and_namespace():
    """SKV's normal v10 answer (SFS 2008:975) is known in its namespace; the same name elsewhere is not."""
    text = (CORPUS / "v10" / "answer-skv-sfs2008-975.xml").read_text(encoding="utf-8")
    assert not [f for f in _run(text).findings if f.rule == "SSBT-SKV-PAYLOAD"]
    moved = text.replace("zg/instans/standardiseradInformation/1.0", "zg/instans/annat/1.0")
    finding = _only(_run(moved), "SSBT-SKV-PAYLOAD")
    assert (
        "SvarBeskattningsuppgifterEnligtSFS2008-975 (in http://xmls.skatteverket.se/se/skatteverket/zg/instans/annat/1.0)"
        in finding.message
    )


@given(
    constant=st.sampled_from(["NaN", "Infinity", "-Infinity"]),
    where=st.sampled_from(["beloppsfalt", "list", "top"]),
)
def test_json_constants_that_are_not_json_are_a_finding(constant, where):
    """Python's json module reads NaN and the infinities; a LEFI answer holding them is not JSON."""
    svar = _decoded_json(ANSWER, "lefiJsonSvar")
    if where == "beloppsfalt":
        svar["utlamnare"][0]["tillstand"]["kod"] = "@CONSTANT@"
    elif where == "list":
        svar["extra"] = ["@CONSTANT@"]
    text = json.dumps(svar).replace('"@CONSTANT@"', constant) if where != "top" else constant
    message = _run(_replace(ANSWER, "lefiJsonSvar", base64.b64encode(text.encode()).decode()))
    finding = _only(message, "SSBT-PAYLOAD-JSON")
    assert constant in finding.message and "not JSON" in finding.message
    assert str(message.verdict) == "nonconformant"


def test_csn_v3_fixed_width_attributes_and_the_pattern_in_the_message():
    """Status is ten characters in the observed v3.0 shape; the finding quotes the pattern whole
    (its quantifiers are not namespace URIs to strip)."""
    text = (CORPUS / "v10" / "answer-csn-v3-observed-shape.xml").read_text(encoding="utf-8")
    document = etree.tostring(_decoded_csn(text)).replace(b'Status="          "', b'Status="  "')
    finding = _only(_run(_replace(text, "svar", base64.b64encode(document).decode())), "SSBT-CSN-MODEL")
    assert finding.path.endswith("/Person/@Status")
    assert "' {10}|Ej träff {0,2}'" in finding.message


def test_the_generators_csn_fallback_has_the_observed_v3_shape(monkeypatch):
    """Without a CSN model the generator writes the shape test traffic shows; our v3.0 model accepts it."""
    from ssbtek_validator.strategies import RandomChooser, nested
    from ssbtek_validator.strategies.documents import draw_scenario

    chooser = RandomChooser(3)
    scenario = draw_scenario(chooser, builtin_packs()[10])
    monkeypatch.setattr(nested, "csn_models", lambda: ())
    document = etree.fromstring(nested.csn_svar(chooser, scenario, None))
    assert etree.QName(document[2][0][0]).namespace == "http://schema.csn.se/v3.0/person"
    assert builtin_models().csn[nested.CSN_NAMESPACE].schema().validate(document)


@pytest.mark.parametrize(
    "element",
    ["<ssbt:svar>", "<ssbt:lefiJsonSvar>", "<svar><![CDATA["],
    ids=["CSN", "FK", "SKV"],
)
def test_a_nilled_payload_element_is_the_schemas_finding_alone(element):
    """xsi:nil="true" on a payload element (not nillable in the contract) is one SSBT-XSD error; the payload
    rules do not read the nilled element as an empty document and report it a second time."""
    name = element[1:].split(">")[0]
    start = ANSWER.index(element)
    end = ANSWER.index(f"</{name}>", start) + len(f"</{name}>")
    nilled = f'<{name} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>'
    result = validate((ANSWER[:start] + nilled + ANSWER[end:]).encode("utf-8"))
    assert [(f.rule, str(f.severity)) for m in result.messages for f in m.findings] == [("SSBT-XSD", "error")]


def test_a_null_in_lefi_json_is_an_error_that_says_why():
    """LEFI v9's OpenAPI (3.0) marks no field nullable and leaves out data not given: a null is no value there,
    and the finding says so (a vendor serializer writing nulls, e.g. Json.NET's default, is the usual cause)."""
    document = _decoded_json(ANSWER, "lefiJsonSvar")
    document["avvikelser"] = None
    text = _replace(ANSWER, "lefiJsonSvar", base64.b64encode(json.dumps(document).encode()).decode())
    found = _only(_run(text), "SSBT-LEFI-MODEL")
    assert found.path.endswith("→ /avvikelser")
    assert "is null; expected object" in found.message
    assert "nullable" in found.message and "left out" in found.message
    del document["avvikelser"]
    left_out = _replace(ANSWER, "lefiJsonSvar", base64.b64encode(json.dumps(document).encode()).decode())
    assert not [f for f in _run(left_out).findings if f.rule == "SSBT-LEFI-MODEL"]


@pytest.mark.parametrize(
    ("start", "end", "warned"),
    [
        ("2024-10-31", "2026-10-31", False),  # two years to the day
        ("2024-10-31", "2026-11-01", True),
        ("2024-02-29", "2026-03-01", False),  # from a 29 February: the later reading, 1 March
        ("2024-02-29", "2026-03-02", True),
        ("2023-01-01", "2026-10-31", True),
    ],
)
def test_a_lefi_question_longer_than_two_years_is_a_warning(start, end, warned):
    """LEFI rejects a question whose period is longer than two years (HTTP 400) unless an agreement makes an
    exception, which no message shows: a warning at the period, never an error."""
    document = _decoded_json(REQUEST, "lefiJsonFraga")
    document["period"] = {"from": start, "tom": end}
    text = _replace(REQUEST, "lefiJsonFraga", base64.b64encode(json.dumps(document).encode()).decode())
    message = _run(text)
    found = [f for f in message.findings if f.rule == "SSBT-LEFI-PERIOD"]
    assert len(found) == warned, [(f.rule, f.message) for f in message.findings]
    assert str(message.verdict) == "conforms"
    if warned:
        assert found[0].severity.value == "warning" and found[0].path.endswith("→ /period")


def _longer_than_two_years(start: date, end: date) -> bool:
    """The reference: the end after the date two years on from the start (from 29 February, 1 March), built as
    a date; a start whose two years on is past 9999-12-31 has none, and no period is longer."""
    try:
        limit = (
            date(start.year + 2, 3, 1) if (start.month, start.day) == (2, 29) else start.replace(year=start.year + 2)
        )
    except ValueError:
        return False
    return end > limit


_leap_days = (
    st.integers(1, 9996)
    .filter(lambda y: y % 4 == 0 and (y % 100 != 0 or y % 400 == 0))
    .map(lambda year: date(year, 2, 29))
)


@given(start=st.dates() | _leap_days, shift=st.integers(-3, 3), days=st.just(0) | st.integers(-800, 800))
def test_a_long_period_is_told_by_year_month_and_day_as_by_the_date_two_years_on(start, shift, days):
    """SSBT-LEFI-PERIOD compares the end with two years on from the start as (year, month, day), without building
    that date: the same verdict as building it, from a 29 February, a month's last day and within two years of
    9999-12-31 too (the end drawn near two years on, where the verdicts could part)."""
    from ssbtek_validator.rules.nested import LefiPayloadRule

    try:
        near = start.replace(year=min(start.year + 2, 9999), day=min(start.day, 28)) + timedelta(days=shift)
        end = near + timedelta(days=days)
    except OverflowError:
        end = date.max
    payload = SimpleNamespace(
        document={"period": {"from": start.isoformat(), "tom": end.isoformat()}},
        element=SimpleNamespace(sourceline=1),
        locate=lambda inner: "/fk → " + inner,
    )
    context = SimpleNamespace(message=SimpleNamespace(name="m.xml"))
    found = LefiPayloadRule()._long_period(context, payload, "v9")
    assert (found is not None) is _longer_than_two_years(start, end)
