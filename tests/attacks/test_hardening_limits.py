"""Limits: documented settings, a one-line explanation when hit, memory bounded by them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import ssbtek_validator
from ssbtek_validator import Limits, validate
from ssbtek_validator.cli.main import main
from ssbtek_validator.reading.limits import DEFAULT_LIMITS, LIBXML2_MAX_DEPTH, MIB
from ssbtek_validator.results.model import Severity

from ..conftest import ROOT
from ..hardening import REQUEST, SOAP_START, in_request, lefi_request, run_cli

GIB = 1024 * MIB
BLOCK = re.search(rb"<ssbt:personuppgiftsbitrade>.*?</ssbt:personuppgiftsbitrade>", REQUEST, re.DOTALL).group()


def cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def limit_findings(result) -> list:
    return [f for m in result.messages for f in m.findings if f.rule == "SSBT-LIMIT"]


def test_a_1_gb_file_is_refused_after_reading_16_mib_and_the_batch_goes_on(tmp_path: Path):
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as stream:  # sparse: an envelope start, then a gigabyte of nothing on disk
        stream.write(SOAP_START)
        stream.truncate(GIB)
    valid = tmp_path / "valid.xml"
    valid.write_bytes(REQUEST)
    run = run_cli("--format", "text", str(huge), str(valid))
    assert run.exit_code == 3
    assert f"{huge}: error SSBT-LIMIT" in run.stdout
    assert "--max-message-bytes" in run.stdout
    assert f"{valid}: conforms" in run.stdout
    assert run.peak_mib < 300, run.peak_mib


def test_a_1_gb_stream_on_stdin_is_refused_too(tmp_path: Path):
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as stream:
        stream.truncate(GIB)
    with huge.open("rb") as stdin:
        run = run_cli("-", stdin=stdin)
    assert run.exit_code == 3
    assert "<stdin>: error SSBT-LIMIT" in run.stdout
    assert run.peak_mib < 300, run.peak_mib


def _dense(elements: int, size: int) -> bytes:
    """A request holding ``elements`` empty elements padded out to ``size`` bytes: the most nodes per byte."""
    padding = max(0, (size - len(REQUEST)) // elements - 4)
    return in_request((b"<a/>" + b" " * padding) * elements)


def test_the_densest_message_the_node_budget_admits_stays_under_300_mb(tmp_path: Path):
    # each <a/> and the text after it are two nodes, so half the budget in elements fills it
    admitted = tmp_path / "admitted.xml"
    admitted.write_bytes(_dense(DEFAULT_LIMITS.max_nodes // 2 - 1000, 16 * MIB - 4096))
    refused = tmp_path / "refused.xml"
    refused.write_bytes(_dense(DEFAULT_LIMITS.max_nodes // 2 + 1000, 16 * MIB - 4096))
    run = run_cli("--format", "text", str(admitted), str(refused))
    assert f"{admitted}: nonconformant" in run.stdout  # parsed and schema-checked
    assert f"{refused}:1: error SSBT-LIMIT" in run.stdout and "--max-nodes" in run.stdout
    assert run.exit_code == 3
    assert run.peak_mib < 300, run.peak_mib


def test_node_budget_is_shared_with_nested_payloads():
    json_values = b"[" + b",".join([b"0"] * 5000) + b"]"
    result = validate(lefi_request(json_values), limits=Limits(max_nodes=8000))
    [finding] = limit_findings(result)
    assert "FK payload" in finding.message and "--max-nodes" in finding.message
    assert not limit_findings(validate(lefi_request(json_values), limits=Limits(max_nodes=50_000)))


def test_depth_limit_below_libxml2s_is_enforced_with_a_one_line_explanation():
    nested = in_request(b"<a>" * 20 + b"</a>" * 20)
    result = validate(nested, limits=Limits(max_depth=10))
    [finding] = limit_findings(result)
    assert "--max-depth" in finding.message and "\n" not in finding.message
    assert result.exit_code == 3
    assert validate(nested).exit_code == 1  # within the default: just a schema violation


def test_depth_of_libxml2s_limit_is_accepted_and_one_more_is_a_limit_finding():
    at_limit = b"<a>" * LIBXML2_MAX_DEPTH + b"</a>" * LIBXML2_MAX_DEPTH
    assert {f.rule for f in validate(at_limit).messages[0].findings} == {"SSBT-SOAP"}
    over = b"<a>" * (LIBXML2_MAX_DEPTH + 1) + b"</a>" * (LIBXML2_MAX_DEPTH + 1)
    [finding] = validate(over).messages[0].findings
    assert finding.rule == "SSBT-LIMIT" and "256" in finding.message


def test_depth_past_libxml2s_limit_cannot_be_configured():
    with pytest.raises(ValueError, match="256"):
        Limits(max_depth=LIBXML2_MAX_DEPTH + 1)
    result = cli("--max-depth", "257", ROOT / "corpus" / "v10" / "request-full.xml")
    assert result.exit_code == 2


def test_decoded_payload_past_the_limit_is_never_decoded(monkeypatch):
    def must_not_run(*_args, **_kwargs):
        raise AssertionError("decoded although past the limit")

    monkeypatch.setattr(ssbtek_validator.reading.nested.base64, "b64decode", must_not_run)
    monkeypatch.setattr(ssbtek_validator.reading.nested, "_base64", must_not_run)  # pybase64 too, once loaded
    result = validate(lefi_request(b"0" * 4096), limits=Limits(max_decoded_bytes=1024))
    [finding] = limit_findings(result)
    assert "--max-decoded-bytes" in finding.message and "FK payload" in finding.message
    assert result.exit_code == 3


def test_cli_limit_options_reach_the_check(tmp_path: Path):
    message = tmp_path / "m.xml"
    message.write_bytes(lefi_request(b'{"a": "' + b"x" * 300 + b'"}'))
    result = cli("--max-decoded-bytes", "100", message)
    assert result.exit_code == 3 and "--max-decoded-bytes" in result.output
    result = cli("--max-nodes", "100", message)
    assert result.exit_code == 3 and "--max-nodes" in result.output
    result = cli("--max-depth", "3", message)
    assert result.exit_code == 3 and "--max-depth" in result.output
    result = cli("--max-message-bytes", "100", message)
    assert result.exit_code == 3 and "--max-message-bytes" in result.output


def test_findings_per_rule_are_capped_with_a_note():
    broken = BLOCK.replace(b"165561234567", b"1655612345X7")
    message = REQUEST.replace(BLOCK, broken * 1500)
    result = validate(message)
    [checked] = result.messages
    xsd = [f for f in checked.findings if f.rule == "SSBT-XSD"]
    assert len([f for f in xsd if f.severity is Severity.ERROR]) == DEFAULT_LIMITS.max_findings
    [note] = [f for f in xsd if f.severity is Severity.INFO]
    assert "not listed" in note.message
    assert result.exit_code == 1  # all of it is wrong; listing fewer does not make it incomplete


def test_every_limit_is_documented_with_its_default():
    readme = (ROOT / "docs" / "limits-and-hardening.md").read_text(encoding="utf-8")
    rows = {
        "max_message_bytes": f"{DEFAULT_LIMITS.max_message_bytes:,}",
        "max_decoded_bytes": f"{DEFAULT_LIMITS.max_decoded_bytes:,}",
        "max_depth": str(DEFAULT_LIMITS.max_depth),
        "max_nodes": f"{DEFAULT_LIMITS.max_nodes:,}",
        "max_findings": f"{DEFAULT_LIMITS.max_findings:,}",
    }
    for field, default in rows.items():
        [row] = [line for line in readme.splitlines() if line.startswith(f"| `{field}`")]
        assert default in row, (field, row)
