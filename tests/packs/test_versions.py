"""SSBTEK v6–v8 as packs: the version list, routing a mixed folder, and the seed's own ping envelope."""

from __future__ import annotations

import json
import re
import shutil
import tomllib

import pytest
from click.testing import CliRunner

from ssbtek_validator import validate
from ssbtek_validator.cli.main import main
from ssbtek_validator.packs.lefi_online import stated_version
from ssbtek_validator.packs.schema_packs import BuiltinPacks, PackError, builtin_packs

from ..conftest import CORPUS, SHARED

SEED = SHARED / "seed" / "000_94af0c64ad976add.txt"
SEED_PING = CORPUS / "v7" / "ping-request-seed.xml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ the seed's ping example


def test_seed_ping_envelope_validates_as_is():
    result = validate(SEED_PING)
    [message] = result.messages
    assert str(message.verdict) == "conforms", [f.message for f in message.findings]
    assert message.findings == []
    assert (message.detection.version, message.detection.pack_id) == (7, "ssbt-v7")
    assert (message.detection.operation, message.detection.direction) == ("testaBastjanstInformation", "request")
    assert "SSBT-XSD" in message.rules_run  # validated against the v7 schema, not skipped


def test_seed_ping_in_the_corpus_is_the_seed_text():
    """The corpus copy keeps the example's exact shape: prefix ns, blank lines, empty Header, no declaration."""
    if not SEED.is_file():
        pytest.skip("../shared/seed is not present")
    seed = SEED.read_text(encoding="utf-8")
    found = re.search(r"<soapenv:Envelope .*?</soapenv:Envelope>", seed, re.S)
    assert found, "the seed's ping example was not found"
    assert SEED_PING.read_text(encoding="utf-8").strip() == found.group(0).strip()


def test_seed_ping_in_v6_namespace_is_the_operation_finding_only():
    text = SEED_PING.read_bytes().replace(b"/integration/ssbt/7", b"/integration/ssbt/6")
    [message] = validate(text, as_of=None).messages
    rules = [f.rule for f in message.findings if f.rule != "SSBT-LIFECYCLE-CLOSED"]
    assert rules == ["SSBT-OPERATION-VERSION"]
    [finding] = [f for f in message.findings if f.rule == "SSBT-OPERATION-VERSION"]
    assert "arrived in SSBTEK v7" in finding.message
    assert "SSBT-XSD" not in message.rules_run  # the schema would only repeat it


# ------------------------------------------------------------------ ssbtek-validate versions


def test_versions_lists_every_pack_as_json():
    result = run("versions", "--format", "json")
    assert result.exit_code == 0, result.output
    packs = {p["id"]: p for p in json.loads(result.output)["packs"]}
    assert set(packs) == {p.id for p in builtin_packs().values()}
    for pack in builtin_packs().values():
        entry = packs[pack.id]
        assert entry["namespace"] == f"http://schema.forsakringskassan.se/integration/ssbt/{pack.version}"
        assert entry["status"] == pack.status
        assert entry["agencies"] == list(pack.agencies)
    assert (packs["ssbt-v6"]["live_from"], packs["ssbt-v6"]["closed"]) == ("2018-09-16", "2020-10-31")
    assert (packs["ssbt-v7"]["live_from"], packs["ssbt-v7"]["closed"]) == ("2018-12-29", None)
    assert (packs["ssbt-v8"]["live_from"], packs["ssbt-v8"]["closed"]) == ("2019-11-17", None)
    assert packs["ssbt-v10"]["live_from"] is None and packs["ssbt-v11"]["live_from"] is None
    assert [p["lefi_online"] for p in (packs["ssbt-v6"], packs["ssbt-v7"], packs["ssbt-v8"])] == [
        ["4.0"],
        ["5.0", "5.1"],
        ["6.0"],
    ]
    assert {pid for pid, p in packs.items() if "MIV" in p["agencies"]} == {"ssbt-v8", "ssbt-v10", "ssbt-v11"}
    assert {pid for pid, p in packs.items() if "TNS" in p["agencies"]} == set(packs)
    assert {p["status"] for pid, p in packs.items() if pid in ("ssbt-v6", "ssbt-v7", "ssbt-v8")} == {"reconstructed"}


def test_versions_text_names_each_pack_with_its_dates():
    result = run("versions")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    v6 = next(line for line in lines if line.startswith("ssbt-v6 "))
    assert v6.split() == ["ssbt-v6", "reconstructed", "2018-09-16", "2020-10-31", builtin_packs()[6].namespace]
    v10 = next(line for line in lines if line.startswith("ssbt-v10 "))
    assert v10.split()[1:4] == ["official-derived", "—", "—"]
    assert "FK: LEFI Online 5.0, 5.1 (XML)" in result.output


def test_versions_with_a_bundle_lists_it(v10_bundle):
    result = run("versions", "--format", "json", "--schemas", v10_bundle)
    packs = {p["version"]: p for p in json.loads(result.output)["packs"]}
    assert packs[10]["status"] == "external" and packs[6]["status"] == "reconstructed"


# ------------------------------------------------------------------ a mixed folder


MIXED = {
    6: "v6/request-full.xml",
    7: "v7/request-lefi-5-1.xml",
    8: "v8/answer-lefi-6-0.xml",
    10: "v10/request-full.xml",
    11: "v11/request-skv-fraga.xml",
}


def test_mixed_folder_picks_the_right_pack_for_each_and_says_why(tmp_path):
    for version, name in MIXED.items():
        shutil.copyfile(CORPUS / name, tmp_path / f"capture-{version:02d}.xml")
    # the v7 ping from the seed uses the prefix ns instead of ssbt: routing must not care
    shutil.copyfile(SEED_PING, tmp_path / "capture-ping.xml")
    result = run("--format", "json", tmp_path)
    assert result.exit_code == 0, result.output
    by_file = {m["file"].rsplit("/", 1)[-1]: m for m in json.loads(result.output)["messages"]}
    expected = {f"capture-{v:02d}.xml": v for v in MIXED} | {"capture-ping.xml": 7}
    assert set(by_file) == set(expected)
    for name, version in expected.items():
        message = by_file[name]
        namespace = f"http://schema.forsakringskassan.se/integration/ssbt/{version}"
        assert (message["version"], message["pack"]) == (version, f"ssbt-v{version}")
        assert message["detection_reason"] == f"namespace {namespace} → pack ssbt-v{version}"
        assert message["verdict"] == "conforms"
    # the LEFI Online version a v6–v8 message was judged by is part of its coverage facts
    assert "lefi-online:5.1" in by_file["capture-07.xml"]["observed"]
    assert "lefi-online:4.0" in by_file["capture-06.xml"]["observed"]
    assert not any(o.startswith("lefi-online:") for o in by_file["capture-10.xml"]["observed"])
    text = run(tmp_path, "--verbose").output
    for version in MIXED:
        assert f"pack ssbt-v{version} [{builtin_packs()[version].status}]" in text


# ------------------------------------------------------------------ the corpus covers every version rule


VERSION_RULES = {
    "SSBT-OPERATION-VERSION",
    "SSBT-AGENCY-VERSION",
    "SSBT-LEFI-VERSION",
    "SSBT-LEFI-VERSION-MISSING",
    "SSBT-LEFI-FIELD",
    "SSBT-LEFI-FORMAN",
    "SSBT-LEFI-FORHANDSBESKED",
    "SSBT-LEFI-KARENS",
    "SSBT-LIFECYCLE-CLOSED",
    "SSBT-LIFECYCLE-NOT-LIVE",
}


def test_every_version_rule_has_a_failing_case_in_each_version_it_concerns():
    cases = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["case"]
    seen: dict[str, set[int]] = {}
    for case in cases:
        for rule in case.get("findings", []):
            seen.setdefault(rule, set()).add(case.get("version"))
    assert set(seen) >= VERSION_RULES
    assert {6, 7} <= seen["SSBT-AGENCY-VERSION"]
    assert {6, 7} <= seen["SSBT-LEFI-FIELD"]
    assert {7, 8} <= seen["SSBT-LEFI-VERSION-MISSING"]
    assert {6, 7, 8} <= seen["SSBT-LIFECYCLE-NOT-LIVE"]
    # and every v6–v8 folder has conforming messages of each direction
    for version in (6, 7, 8):
        directions = {c["direction"] for c in cases if c.get("version") == version and c["verdict"] == "conforms"}
        assert {"request", "answer", "fault"} <= directions


# ------------------------------------------------------------------ the reconstructed packs in a second engine


@pytest.mark.parametrize("version", [6, 7, 8])
def test_xmlschema_and_lxml_agree_on_the_reconstructed_packs(version):
    """No published schema to compare with, so the second check is a second XSD engine on the same pack."""
    xmlschema = pytest.importorskip("xmlschema")
    from lxml import etree

    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.reading.message import parse

    pack = builtin_packs()[version]
    other = xmlschema.XMLSchema(str(pack.entry))
    checked = 0
    for path in sorted((CORPUS / f"v{version}").glob("*.xml")):
        message = parse(Source(str(path), path.read_bytes()))
        if message.payload is None or message.operation not in pack.operations:
            continue
        payload = etree.fromstring(etree.tostring(message.payload))
        assert pack.schema().validate(payload) == other.is_valid(payload), path.name
        checked += 1
    assert checked >= 10


def test_a_pack_is_read_when_its_version_is_first_asked_for(tmp_path):
    """BuiltinPacks knows the versions from the folder names and reads a pack.toml only for its version; one
    that says another version than its folder is refused when read, not mistaken for it."""
    real = builtin_packs()[10].entry.parent
    shutil.copytree(real, tmp_path / "ssbt-v10")
    shutil.copytree(real, tmp_path / "ssbt-v12")  # its pack.toml says version 10
    packs = BuiltinPacks({10: tmp_path / "ssbt-v10", 12: tmp_path / "ssbt-v12"})
    assert sorted(packs) == [10, 12] and 12 in packs and 13 not in packs
    assert packs[10].namespace == builtin_packs()[10].namespace
    with pytest.raises(PackError, match="version 10, but the folder is v12's"):
        packs[12]  # the lookup is what fails
    assert set(builtin_packs()) == {int(p.name.removeprefix("ssbt-v")) for p in real.parent.glob("ssbt-v*")}


@pytest.mark.parametrize(
    ("text", "version"),
    [("6.0", "6.0"), (" 6.0.0 ", "6.0"), ("5.1.2", "5.1"), ("6", "6"), ("v6.0", "v6.0"), ("6.0.0.1", "6.0.0.1")],
)
def test_a_stated_lefi_version_is_read_as_major_minor(text, version):
    """LEFI Online 5.0 brought semantic versioning (major.minor.patch); the release notes write major.minor.
    A patch is the same version; anything else is kept as written, for the rules to name it."""
    assert stated_version(text) == version
