"""certify: PASS only for clean captures with the required coverage; FAIL names each gap; --verify catches changes."""

from __future__ import annotations

import hashlib
import json
import shutil
import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ssbtek_validator.certify.run import run, verify
from ssbtek_validator.certify.verdict import CERTIFY_VERSION, Requirements, certify, code_list_files
from ssbtek_validator.cli.main import main
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.rules.xsd import XsdRule
from ssbtek_validator.run.driver import Options

from ..conftest import CORPUS

CASES = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))["case"]
OPTIONS = Options(as_of=date(2026, 11, 1))
#: the corpus is a collection of unrelated examples (many share one korrelationsid), not a vendor's captures of
#: exchanges: certified as a whole, pairs are not required (--no-require-pairs); CAPTURES below are a real session
EXAMPLES = Requirements(exchanges=False)


def conforming(version: int, predicate=lambda case: True) -> list[Path]:
    return [
        CORPUS / case["file"]
        for case in CASES
        if case.get("version") == version and case["verdict"] == "conforms" and predicate(case)
    ]


@pytest.fixture
def captures(tmp_path) -> Path:
    """A vendor's capture folder: the complete valid v10 set, copied so a test may change it."""
    folder = tmp_path / "captures"
    folder.mkdir()
    for path in conforming(10):
        shutil.copyfile(path, folder / path.name)
    return folder


@pytest.mark.parametrize("version", [10, 11])
def test_complete_valid_set_passes(version):
    outcome = run(conforming(version), version, requirements=EXAMPLES, options=OPTIONS)
    cert = outcome.certification
    assert (cert.verdict, cert.problems, cert.gaps) == ("PASS", [], [])
    assert all(counts["data"] for counts in cert.agencies.values())
    assert outcome.evidence["verdict"] == "PASS"


def test_partial_set_fails_naming_each_gap():
    requests_only = conforming(10, lambda case: case.get("direction") == "request")
    cert = run(requests_only, 10, options=OPTIONS).certification
    assert cert.verdict == "FAIL" and not cert.problems
    assert "no conforming hamtaBastjanstInformation answer message" in cert.gaps
    assert "no conforming testaBastjanstInformation answer message" in cert.gaps
    assert "no answer with data from AF, CSN, FK, SKV, SO, TNS, MIV" in cert.gaps
    assert any(gap.startswith("0 agencies answered with an error") for gap in cert.gaps)
    assert not any(gap.endswith("request message") for gap in cert.gaps)
    assert "no conforming hamtaBastjanstInformation exchange" in " ".join(cert.gaps)  # no answer, so no pair


def test_gaps_follow_what_is_missing_agency_by_agency():
    # the only answers: one where CSN alone answers with data, one where every agency answers with an error
    answers = [CORPUS / "v10" / "answer-minimal.xml", CORPUS / "v10" / "answer-agency-errors.xml"]
    files = conforming(10, lambda case: case.get("direction") != "answer") + answers
    cert = run(files, 10, options=OPTIONS).certification
    [gap] = [g for g in cert.gaps if g.startswith("no answer with data")]
    assert gap == "no answer with data from AF, FK, SKV, SO, TNS, MIV"
    assert [a for a, counts in cert.agencies.items() if counts["data"] == 0] == ["AF", "FK", "SKV", "SO", "TNS", "MIV"]
    assert not any("error" in g for g in cert.gaps)


def test_requirements_are_configurable():
    requests_only = conforming(10, lambda case: case.get("direction") == "request")
    relaxed = Requirements(
        directions=("request",), agencies_with_data=(), min_agencies_with_error=0, operations=None, exchanges=False
    )
    assert run(requests_only, 10, requirements=relaxed, options=OPTIONS).certification.verdict == "PASS"
    stricter = Requirements(min_agencies_with_error=8)
    cert = run(conforming(10), 10, requirements=stricter, options=OPTIONS).certification
    assert cert.gaps == ["7 agencies answered with an error (AF, CSN, FK, SKV, SO, TNS, MIV); at least 8 required"]


def test_errors_fail_even_with_full_coverage():
    files = [*conforming(10), CORPUS / "v10" / "invalid-kalla-xyz.xml"]
    cert = run(files, 10, requirements=EXAMPLES, options=OPTIONS).certification
    assert cert.verdict == "FAIL" and cert.gaps == []
    assert cert.problems == ["1 message(s) nonconformant (1 errors)"]
    [xsd] = [r for r in cert.rules if r.id == "SSBT-XSD"]
    assert (xsd.status, xsd.errors) == ("fail", 1)


def test_a_message_in_another_version_is_a_certification_error():
    outcome = run([*conforming(10), CORPUS / "v11" / "request-full.xml"], 10, options=OPTIONS)
    [other] = [m for m in outcome.result.messages if m.detection.version == 11]
    assert [f.rule for f in other.findings] == [CERTIFY_VERSION]
    assert outcome.certification.verdict == "FAIL"


def test_rules_never_run_are_reported_as_not_exercised():
    only_xsd = replace(OPTIONS, rules=(XsdRule(),))  # e.g. a pipeline that disabled the other rules
    rules = {r.id: r for r in run(conforming(10), 10, options=only_xsd).certification.rules}
    assert rules["SSBT-PAYLOAD"].status == rules["SSBT-OPERATION-VERSION"].status == "not exercised"
    assert (rules["SSBT-XSD"].status, rules["SSBT-XSD"].messages) == ("pass", len(conforming(10)))
    unreadable = {r.id: r for r in run([CORPUS / "misc" / "empty.xml"], 10, options=OPTIONS).certification.rules}
    assert unreadable["SSBT-XSD"].status == "not exercised"


def test_code_list_coverage_reads_observations_and_codelist_files(tmp_path):
    (tmp_path / "kalla.csv").write_text("# source: test\ncode,description,valid_from,valid_to,source\n"
                                        "SSBT,x,,,t\nBT,y,,,t\nOLD,z,2001-01-01,2002-01-01,t\n")  # fmt: skip
    lists = code_list_files(root=tmp_path, as_of=date(2026, 1, 1))
    assert lists["kalla"].codes == ("SSBT", "BT")
    outcome = run(conforming(10), 10, options=OPTIONS)
    for message in outcome.result.messages:  # the code-list rule observes kalla itself: start clean
        message.observed = [key for key in message.observed if not key.startswith("code:kalla:")]
    outcome.result.messages[0].observed.append("code:kalla:BT")
    cert = certify(outcome.result, builtin_packs()[10], Requirements(code_lists=("kalla",)), code_lists=lists)
    assert cert.code_lists["kalla"] == {"known": ["SSBT", "BT"], "seen": {"BT": 1}, "unseen": ["SSBT"]}
    assert cert.gaps == ["code list kalla: 1 value(s) never seen: SSBT"]


# --- evidence and --verify -----------------------------------------------------------------------


def test_evidence_records_inputs_packs_rules_and_verdict(captures):
    outcome = run([captures], 10, requirements=EXAMPLES, options=OPTIONS)
    evidence = outcome.evidence
    files = sorted(captures.iterdir())
    assert [i["file"] for i in evidence["inputs"]] == [str(f) for f in files]
    for item, path in zip(evidence["inputs"], files, strict=True):
        assert item["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    packs = {p["id"]: p for p in evidence["packs"]}
    assert packs["ssbt-v10"]["content_sha256"] == builtin_packs()[10].content_hash()
    assert packs["ssbt-v10"]["used"] and packs["ssbt-v10"]["status"] == "official-derived"
    assert evidence["as_of"] == "2026-11-01" and evidence["tool"]["name"] == "ssbtek-validator"
    assert evidence["rules"]["SSBT-XSD"]["status"] == "pass"
    assert evidence["verdict"] == "PASS"
    assert isinstance(evidence["code_lists"], dict)


def test_verify_accepts_unchanged_inputs_and_names_a_changed_one(captures, tmp_path):
    outcome = run([captures], 10, options=OPTIONS)
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(outcome.evidence))
    check, _ = verify(evidence)
    assert check.verified, check.differences
    changed = captures / "request-full.xml"
    before = hashlib.sha256(changed.read_bytes()).hexdigest()
    changed.write_bytes(changed.read_bytes().replace(b"Testkommun", b"Testkommuo"))  # still valid, same coverage
    after = hashlib.sha256(changed.read_bytes()).hexdigest()
    check, _ = verify(evidence)
    assert not check.verified
    assert check.differences == [f"input {changed}: changed (sha256 {before} recorded, {after} now)"]


def test_verify_names_missing_and_added_inputs_and_a_changed_pack(captures, tmp_path):
    outcome = run([captures], 10, options=OPTIONS)
    recorded = dict(outcome.evidence)
    recorded["packs"] = [dict(p, content_sha256="0" * 64) if p["id"] == "ssbt-v10" else p for p in recorded["packs"]]
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(recorded))
    (captures / "ping-request.xml").unlink()
    shutil.copyfile(CORPUS / "v10" / "answer-minimal.xml", captures / "zz-extra.xml")
    check, _ = verify(evidence)
    assert f"input {captures / 'zz-extra.xml'}: not in the evidence (added since)" in check.differences
    assert any(d.startswith(f"input {captures / 'ping-request.xml'}: missing now") for d in check.differences)
    assert any(d.startswith("pack ssbt-v10: content changed") for d in check.differences)


# --- through the command -------------------------------------------------------------------------


def cli(*args):
    return CliRunner().invoke(main, ["certify", *[str(a) for a in args]])


def test_cli_certify_pass_writes_html_json_and_evidence(captures, tmp_path):
    out = tmp_path / "out"
    result = cli(captures, "--pack", 10, "--as-of", "2026-11-01", "--out", out, "--jobs", 2, "--no-require-pairs")
    assert result.exit_code == 0, result.output
    assert "Certification SSBTEK v10: PASS" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["certification"]["verdict"] == "PASS" and report["summary"]["messages"] == len(conforming(10))
    page = (out / "report.html").read_text()
    assert "SSBTEK v10 certification report" in page and "PASS" in page
    evidence = json.loads((out / "evidence.json").read_text())
    assert evidence["settings"]["version"] == 10
    verified = cli("--verify", out / "evidence.json")
    assert verified.exit_code == 0 and "verified" in verified.output


def test_certification_files_are_written_as_made_and_say_what_the_whole_documents_say(captures, tmp_path, monkeypatch):
    """The three files are written a message at a time by json's C encoder, as check writes its reports: made
    whole in memory first (json.dumps with indent takes the pure-Python encoder) a certification over 15,000
    messages peaked at 440 MB. What they say is what the documents made whole say."""
    import json.encoder

    from ssbtek_validator.certify import files
    from ssbtek_validator.report import html, json_report

    outcome = run(sorted(captures.iterdir()), 10, requirements=EXAMPLES, options=OPTIONS)

    def refused(*args, **kwargs):
        raise AssertionError("a certification file was made whole, or by the pure-Python JSON encoder")

    monkeypatch.setattr(json.encoder, "_make_iterencode", refused)
    monkeypatch.setattr(html, "render", refused)
    out = tmp_path / "out"
    files.write(outcome, out)
    monkeypatch.undo()
    whole = json_report.as_dict(outcome.result, outcome.packs)
    whole["certification"] = outcome.certification.to_dict()
    assert json.loads((out / files.REPORT_JSON).read_text(encoding="utf-8")) == json.loads(json.dumps(whole))
    assert json.loads((out / files.EVIDENCE_JSON).read_text(encoding="utf-8")) == json.loads(
        json.dumps(outcome.evidence)
    )
    page = html.render(outcome.result, outcome.packs, outcome.certification, outcome.evidence)
    assert (out / files.REPORT_HTML).read_text(encoding="utf-8") == page


def test_the_certification_page_lists_at_most_its_cap_of_inputs_and_the_evidence_every_one(captures, monkeypatch):
    """A page of 100,000 input digests helps no one: the page shows as many inputs as it shows messages, says how
    many more there are, and evidence.json records each."""
    from ssbtek_validator.report import html

    outcome = run(sorted(captures.iterdir()), 10, requirements=EXAMPLES, options=OPTIONS)
    inputs = outcome.evidence["inputs"]
    assert len(inputs) > 3
    monkeypatch.setattr(html, "MAX_SHOWN", 3)
    page = html.render(outcome.result, outcome.packs, outcome.certification, outcome.evidence)
    shown = [item for item in inputs if item["sha256"] in page]
    assert len(shown) == 3 and shown == inputs[:3]
    assert f"{len(inputs) - 3:,} more inputs not shown" in page and "evidence.json records each" in page


def test_cli_certify_fail_lists_gaps_and_verify_fails_after_a_change(captures, tmp_path):
    for path in captures.glob("answer-*.xml"):
        path.unlink()
    out = tmp_path / "out"
    result = cli(captures, "--pack", 10, "--out", out)
    assert result.exit_code == 1
    assert "Certification SSBTEK v10: FAIL" in result.output
    assert "  - no conforming hamtaBastjanstInformation answer message" in result.output
    (captures / "request-full.xml").write_bytes(b"<changed/>")
    verified = cli("--verify", out / "evidence.json")
    assert verified.exit_code == 1
    assert f"DIFFERS: input {captures / 'request-full.xml'}: changed" in verified.output


def test_cli_certify_usage_errors(tmp_path):
    assert cli(CORPUS / "v10").exit_code == 2  # no --version
    assert cli(CORPUS / "v10", "--pack", 99, "--out", tmp_path).exit_code == 2
    bogus = tmp_path / "evidence.json"
    bogus.write_text("{}")
    assert cli("--verify", bogus).exit_code == 2
    assert cli("--verify", tmp_path / "missing.json").exit_code == 2


def test_exchanges_count_for_the_verdict_and_a_har_capture_is_one_input(tmp_path):
    har = tmp_path / "session.har"
    shutil.copyfile(CORPUS / "har" / "session.har", har)
    outcome = run([har], 10, options=OPTIONS)
    bad = outcome.result.exchange_totals()["nonconformant"]
    assert bad and f"{bad} exchange(s) nonconformant" in outcome.certification.problems[0]
    assert outcome.evidence["inputs"] == [
        {"file": str(har), "sha256": hashlib.sha256(har.read_bytes()).hexdigest(), "bytes": har.stat().st_size}
    ]
    assert len(outcome.evidence["messages"]) == len(outcome.result.messages) > 1
    assert [e["name"] for e in outcome.evidence["exchanges"]] == [e.name for e in outcome.result.exchanges]
    rules = {r.id: r for r in outcome.certification.rules}
    assert rules["SSBT-PAIR-OPERATION"].messages == len(outcome.result.exchanges)
    assert "fail" in {r.status for r in rules.values() if r.kind == "exchange"}


def test_observations_of_other_kinds_are_shown_not_dropped():
    outcome = run(conforming(10), 10, options=OPTIONS)
    for message in outcome.result.messages[:3]:
        message.observed += ["lefi-online:6.0", "lefi-online:6.0"]  # counted once per message
    cert = certify(outcome.result, builtin_packs()[10], code_lists={})
    assert cert.other == {"lefi-online:6.0": 3}
    assert cert.to_dict()["coverage"]["other"] == {"lefi-online:6.0": 3}


def test_a_certification_lists_only_what_applies_to_its_version():
    """A v10 certification: no v6–v8 rule "not exercised", no list only other versions bind, one pack hashed."""
    from ssbtek_validator.packs.codelists import builtin_catalogue
    from ssbtek_validator.rules.catalog import rule_table

    outcome = run(conforming(10), 10, options=OPTIONS)
    cert, evidence = outcome.certification, outcome.evidence
    listed = {r.id for r in cert.rules}
    assert "SSBT-XSD" in listed and "SSBT-LEFI-KARENS" not in listed  # the karens rule is about LEFI before 5.0
    assert str(rule_table()["SSBT-LEFI-KARENS"].versions) != "all"
    bound_in_10 = {n for b in builtin_catalogue().bindings if 10 in b.versions for n in b.lists}
    assert set(cert.code_lists) <= bound_in_10 and set(cert.code_lists)
    assert "lefi-formaner" not in cert.code_lists and "lefi-formaner" in code_list_files()
    assert [p["id"] for p in evidence["packs"]] == ["ssbt-v10"]
    assert "lefi-formaner.csv" not in evidence["code_lists"] and "bindings.toml" in evidence["code_lists"]


SESSION = ["request-full.xml", "answer-all-agencies-data.xml", "ping-request.xml", "ping-answer.xml"]
NO_ERRORS_NEEDED = Requirements(min_agencies_with_error=0)


@pytest.fixture
def session(tmp_path) -> Path:
    """A vendor's captures of one real session: a request with its answer (same korrelationsid) and a ping."""
    folder = tmp_path / "session"
    folder.mkdir()
    for name in SESSION:
        shutil.copyfile(CORPUS / "v10" / name, folder / name)
    return folder


def test_pairs_are_required_by_default_and_a_session_of_exchanges_passes(session):
    cert = run([session], 10, requirements=NO_ERRORS_NEEDED, options=OPTIONS).certification
    assert (cert.verdict, cert.problems, cert.gaps) == ("PASS", [], [])
    assert cert.operations["hamtaBastjanstInformation/exchange"] == {"messages": 1, "conforming": 1}
    assert cert.operations["testaBastjanstInformation/exchange"] == {"messages": 1, "conforming": 1}


def test_conforming_messages_that_pair_with_nothing_do_not_pass(session):
    """Each message conforms on its own, but the answer answers some other request: nothing was checked as a pair."""
    answer = session / "answer-all-agencies-data.xml"
    answer.write_bytes(
        answer.read_bytes().replace(b"b1e0c4d2-5a7f-4e93-8c16-0f2d9a3b7e51", b"b1e0c4d2-5a7f-4e93-8c16-000000000000")
    )
    cert = run([session], 10, requirements=NO_ERRORS_NEEDED, options=OPTIONS).certification
    assert cert.problems == [] and cert.operations["hamtaBastjanstInformation/answer"]["conforming"] == 1
    assert cert.verdict == "FAIL"
    assert [g for g in cert.gaps if "exchange" in g] == [
        "no conforming hamtaBastjanstInformation exchange (a request and its answer paired by korrelationsid or "
        "file name, judged together)"
    ]
    opted_out = replace(NO_ERRORS_NEEDED, exchanges=False)
    assert run([session], 10, requirements=opted_out, options=OPTIONS).certification.verdict == "PASS"
    result = cli(session, "--pack", 10, "--as-of", "2026-11-01", "--min-agency-errors", 0, "--out", session / "o")
    assert result.exit_code == 1 and "no conforming hamtaBastjanstInformation exchange" in result.output
    result = cli(session, "--pack", 10, "--as-of", "2026-11-01", "--min-agency-errors", 0, "--no-require-pairs",
                 "--out", session.parent / "o2")  # fmt: skip
    assert result.exit_code == 0, result.output


def test_the_certified_product_is_recorded_from_options_and_pyproject(session, tmp_path, monkeypatch):
    """Product, version, vendor, environment: options over ./pyproject.toml's [tool.ssbtek-validator.certify]."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ssbtek-validator.certify]\nproduct = "Bistånd Pro"\nvendor = "Acme"\nenvironment = "acceptance"\n'
    )
    out = tmp_path / "out"
    result = cli(session, "--pack", 10, "--as-of", "2026-11-01", "--min-agency-errors", 0, "--out", out,
                 "--vendor", "Acme AB", "--product-version", "4.2")  # fmt: skip
    assert result.exit_code == 0, result.output
    expected = {"product": "Bistånd Pro", "product_version": "4.2", "vendor": "Acme AB", "environment": "acceptance"}
    line = "product: Bistånd Pro; product version: 4.2; vendor: Acme AB; environment: acceptance"
    assert f"  of {line}\n" in result.output
    evidence = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["subject"] == evidence["settings"]["subject"] == expected
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["certification"]["subject"] == expected
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<th>Product version</th><td>4.2</td>" in page and "<td>acceptance</td>" in page
    verified = cli("--verify", out / "evidence.json")
    assert verified.exit_code == 0 and f"certified: {line}\n" in verified.output
    # the rule configuration in the same table still loads for check
    assert CliRunner().invoke(main, ["check", str(session / "ping-request.xml")]).exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.ssbtek-validator.certify]\nproduct_name = "x"\n')
    bad = cli(session, "--pack", 10, "--out", out)
    assert bad.exit_code == 2 and "unknown keys product_name" in bad.output


def test_verify_ignores_code_lists_of_other_versions_in_older_evidence(captures, tmp_path):
    """Evidence recorded when every code-list file was hashed still verifies; a bound list that changed does not."""
    outcome = run([captures], 10, requirements=EXAMPLES, options=OPTIONS)
    recorded = dict(outcome.evidence, code_lists={**outcome.evidence["code_lists"], "lefi-formaner.csv": "0" * 64})
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(recorded))
    check, _ = verify(evidence)
    assert check.verified, check.differences
    recorded["code_lists"]["kalla.csv"] = "0" * 64
    evidence.write_text(json.dumps(recorded))
    check, _ = verify(evidence)
    assert check.differences == ["code list file kalla.csv: changed"]


def test_verify_takes_a_rule_added_since_that_these_inputs_do_not_exercise_as_a_note(captures, tmp_path):
    """Evidence from before a check was added still verifies where the check has nothing to say about its inputs;
    a recorded rule whose outcome changed does not."""
    outcome = run([captures], 10, requirements=EXAMPLES, options=OPTIONS)
    idle = [rule for rule, record in outcome.evidence["rules"].items() if record["status"] == "not exercised"]
    assert "SSBT-SKV-FRAGA" in idle  # no v10 request of the set carries an SKV question
    rules = {rule: record for rule, record in outcome.evidence["rules"].items() if rule != "SSBT-SKV-FRAGA"}
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(dict(outcome.evidence, rules=rules)))
    check, _ = verify(evidence)
    assert check.verified, check.differences
    assert "rule SSBT-SKV-FRAGA: not in the evidence; not exercised by these inputs" in check.notes
    rules["SSBT-XSD"] = dict(rules["SSBT-XSD"], status="fail")
    evidence.write_text(json.dumps(dict(outcome.evidence, rules=rules)))
    check, _ = verify(evidence)
    assert check.differences == ["rule SSBT-XSD: fail recorded, pass now"]
