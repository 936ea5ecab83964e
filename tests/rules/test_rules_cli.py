"""`rules`, `explain` and `codes`: every finding id is documented, and lists print as they stood on a date."""

from __future__ import annotations

import json

import pytest

import ssbtek_validator
from ssbtek_validator.packs.codelists import builtin_catalogue
from ssbtek_validator.rules import MESSAGE_RULES
from ssbtek_validator.rules.catalog import all_rules, known_ids

from ..conftest import CORPUS, run_cli

ENGINE_IDS = {
    "SSBT-WELLFORMED", "SSBT-SOAP", "SSBT-SOAP-FAULT", "SSBT-DTD", "SSBT-EMPTY", "SSBT-OPERATION", "SSBT-VERSION",
    "SSBT-READ", "SSBT-LIMIT", "SSBT-RULE-FAILED", "SSBT-PAYLOAD-BASE64", "SSBT-PAYLOAD-UTF8", "SSBT-PAYLOAD-JSON",
    "SSBT-PAYLOAD-XML",
}  # fmt: skip


def run(*args):
    return run_cli(*args)


def test_rules_lists_rule_classes_engine_findings_and_every_binding():
    result = run("rules")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.startswith("SSBT-")}
    expected = ENGINE_IDS | {r.id for r in MESSAGE_RULES} | {b.id for b in builtin_catalogue().bindings}
    assert expected <= set(lines)
    assert "v8–v11" in lines["SSBT-CODE-MIV-BESLUTSTYP"] and "warning/error" in lines["SSBT-CODE-MIV-BESLUTSTYP"]
    assert "error" in lines["SSBT-XSD"]
    data = json.loads(run("rules", "--format", "json").output)
    assert {row["id"] for row in data} == set(lines)


def test_every_id_the_corpus_produces_is_documented():
    produced = {f.rule for m in ssbtek_validator.validate(CORPUS).messages for f in m.findings}
    assert produced - known_ids() == set()


def test_the_ids_a_configuration_is_checked_against_are_the_ids_the_registry_documents():
    """known_ids() reads the registry's sources without writing their documentation (a configured run's start):
    it must name exactly the ids the documentation does, no more, no fewer."""
    assert known_ids() == {doc.id for doc in all_rules()}


def test_every_rule_has_a_summary_versions_explanation_and_example():
    for doc in all_rules():
        assert doc.summary and doc.versions and doc.explanation, doc.id
        assert doc.example, doc.id


def test_explain_prints_documentation_and_an_example():
    result = run("explain", "SSBT-CODE-MIV-BESLUTSTYP")
    assert result.exit_code == 0
    assert "open" in result.output and "Example:" in result.output
    assert "valid_from 2020-12-16" in result.output  # the example is a real finding text for a dated code
    engine = run("explain", "ssbt-dtd")
    assert engine.exit_code == 0 and "DOCTYPE" in engine.output


def test_explain_an_unknown_rule_exits_2_with_suggestions():
    result = run("explain", "SSBT-CODE-MIV")
    assert result.exit_code == 2 and "SSBT-CODE-MIV-BESLUTSTYP" in result.output


@pytest.mark.parametrize(("as_of", "valid"), [("2021-06-01", False), ("2021-10-01", True)])
def test_codes_prints_the_list_as_it_stood(as_of, valid):
    result = run("codes", "lefi-beloppstyp", "--as-of", as_of)
    assert result.exit_code == 0
    rows = result.output.split("used by:", 1)[1]  # after the header, whose note names P37/P38 too
    before, _, after = rows.partition("not valid on")
    assert ("P37  Inkomst" in before) is valid and ("P37  Inkomst" in after) is not valid
    assert "reconstructed" in result.output and "SSBT-CODE-LEFI-BELOPPSTYP" in result.output


def test_codes_without_a_list_names_them_and_an_unknown_list_exits_2():
    result = run("codes")
    assert result.exit_code == 0 and "miv-beslutstyp" in result.output
    assert run("codes", "nope").exit_code == 2
    assert run("codes", "kalla", "--as-of", "yesterday").exit_code == 2


def test_every_id_in_the_code_is_documented():
    """A rule id written anywhere in ssbtek_validator/ must be in the registry, so it can be configured and
    explained."""
    import re

    from ..conftest import ROOT

    written = set()
    for path in (ROOT / "ssbtek_validator").rglob("*.py"):
        written |= set(re.findall(r'"(SSBT-[A-Z0-9]+(?:-[A-Z0-9]+)*)"', path.read_text(encoding="utf-8")))
    assert written - known_ids() == set()
