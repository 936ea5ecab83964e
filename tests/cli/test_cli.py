"""The command as a CI pipeline uses it: exit codes by class, formats, masking, stdin."""

from __future__ import annotations

import json
from dataclasses import fields

from click.testing import CliRunner

from ssbtek_validator.cli.main import main
from ssbtek_validator.results.model import Finding, Severity

from ..conftest import CORPUS, run_cli

VALID = CORPUS / "v10" / "request-full.xml"
INVALID = CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"


def run(*args: str, stdin: bytes | None = None):
    return run_cli(*args, stdin=stdin)


def test_valid_message_exits_0_and_says_why_it_chose_the_pack():
    result = run(VALID, "--verbose")
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output
    assert "namespace http://schema.forsakringskassan.se/integration/ssbt/10" in result.output
    assert "official-derived" in result.output


def test_invalid_message_exits_1_with_location():
    result = run(INVALID)
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if "SSBT-XSD" in x)
    file_part, line_no, column = line.split(": ", 1)[0].rsplit(":", 2)
    assert file_part == str(INVALID) and int(line_no) > 0 and int(column) > 0
    assert "personidentitet" in line


def test_unreadable_input_exits_3_and_the_rest_is_still_reported(tmp_path):
    result = run(VALID, tmp_path / "missing.xml")
    assert result.exit_code == 3
    assert str(VALID) in result.output and "missing.xml" in result.output


def test_incomplete_wins_over_nonconformant(tmp_path):
    result = run(INVALID, tmp_path / "missing.xml")
    assert result.exit_code == 3


def test_usage_errors_exit_2(tmp_path):
    assert run("--format", "nope", VALID).exit_code == 2
    assert run("--pack", "99", VALID).exit_code == 2
    assert run("--as-of", "yesterday", VALID).exit_code == 2
    bad = tmp_path / "bundle"
    bad.mkdir()
    (bad / "x.xsd").write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    result = run("--schemas", bad, VALID)
    assert result.exit_code == 2
    assert "no WSDL or XSD with an SSBTEK target namespace" in result.output


def test_bundle_whose_imports_reach_the_network_is_refused(tmp_path):
    (tmp_path / "core.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="http://schema.forsakringskassan.se/integration/ssbt/10">'
        '<xs:import namespace="urn:x" schemaLocation="http://example.invalid/x.xsd"/></xs:schema>'
    )
    result = run("--schemas", tmp_path, VALID)
    assert result.exit_code == 2
    assert "refused to load http://example.invalid/x.xsd" in result.output


def test_stdin_is_an_input():
    result = run("-", stdin=VALID.read_bytes())
    assert result.exit_code == 0
    assert "<stdin>: conforms" in result.output


def test_json_report_shape():
    result = run("--format", "json", VALID, INVALID)
    data = json.loads(result.output)
    assert data["exit_code"] == 1 and data["verdict"] == "nonconformant"
    assert data["summary"]["messages"] == 2
    assert {p["id"] for p in data["packs"]} == {"ssbt-v10"}
    assert data["packs"][0]["status"] == "official-derived"
    bad = next(m for m in data["messages"] if m["verdict"] == "nonconformant")
    finding = bad["findings"][0]
    assert set(finding) == {"rule", "severity", "message", "file", "line", "column", "path", "value"}
    assert bad["detection_reason"].startswith("namespace ")


def test_a_finding_in_json_has_every_field_of_the_model():
    """Finding.to_dict is spelled out for speed; it must not fall behind the dataclass. ``capture_line`` is said
    only where there is one (a finding about a raw HTTP capture's head), so no other finding's JSON grew a key."""
    finding = Finding("SSBT-X", Severity.WARNING, "text", "m.xml", 3, 7, "/a/b", "v", 12)
    expected = {field.name: getattr(finding, field.name) for field in fields(Finding)}
    assert finding.to_dict() == {**expected, "severity": "warning"}
    assert json.loads(json.dumps(finding.to_dict()))["severity"] == "warning"
    assert "capture_line" not in finding.evolve(capture_line=None).to_dict()


def test_personal_data_masked_unless_asked(tmp_path):
    secret = "199001011234"
    message = VALID.read_text(encoding="utf-8")
    start = message.index("<ssbt:personidentitet>") if "<ssbt:personidentitet>" in message else None
    assert start is not None, "corpus request uses the ssbt prefix"
    end = message.index("</ssbt:personidentitet>")
    broken = message[: start + len("<ssbt:personidentitet>")] + secret + "X" + message[end:]
    path = tmp_path / "m.xml"
    path.write_text(broken, encoding="utf-8")
    for fmt in ("text", "json"):
        masked = run("--format", fmt, path)
        assert masked.exit_code == 1
        assert secret not in masked.output
        shown = run("--format", fmt, "--show-values", path)
        assert secret in shown.output


def test_version_override_is_shown_as_the_reason():
    result = run("--pack", "11", VALID)
    assert "forced by --pack 11 (namespace says v10)" in result.output
    assert result.exit_code == 1  # a v10 envelope is not a v11 message


def test_whole_corpus_every_file_reported():
    result = run("--format", "json", CORPUS)
    data = json.loads(result.output)
    files = {m["file"] for m in data["messages"]}
    on_disk = {str(p) for p in CORPUS.rglob("*.xml")}
    assert on_disk <= files
    assert data["exit_code"] == 1  # the corpus holds invalid cases on purpose


def test_ctrl_c_exits_130_not_a_verdict(monkeypatch):
    """An interrupted run judged nothing: not 1 (click's "Aborted!"), which CI would read as nonconformant."""
    import ssbtek_validator.cli.main

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ssbtek_validator.cli.main, "validate_batch", interrupted)
    done = CliRunner().invoke(main, [str(CORPUS / "v10")])
    assert done.exit_code == 130
    assert "interrupted" in done.output and "Traceback" not in done.output


def test_a_reader_that_stops_early_leaves_the_verdict_and_no_error():
    """`ssbtek-validate … | head`: the report outgrows the pipe, the reader closes it; the exit code is
    still the run's verdict, and stderr stays quiet (no "Broken pipe", no traceback at exit)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "ssbtek_validator", "--format", "json", str(CORPUS / "v10"), str(CORPUS / "v11")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(200)
    process.stdout.close()
    errors = process.stderr.read()
    process.wait(timeout=120)
    full = subprocess.run(command, capture_output=True, check=False, timeout=120)
    assert len(full.stdout) > 1 << 17  # larger than any pipe buffer, so the early close is felt
    assert process.returncode == full.returncode == 1
    assert errors == b""


def test_the_library_returns_what_the_command_reports(tmp_path, monkeypatch):
    """ssbtek_validator.validate(...) is the command's result: rendered by the same JSON reporter, it is the
    command's --format json output byte for byte (no pyproject.toml configuration in the way)."""
    import io
    from datetime import date

    import ssbtek_validator
    from ssbtek_validator.packs.schema_packs import builtin_packs
    from ssbtek_validator.report import json_report

    monkeypatch.chdir(tmp_path)
    paths = [str(CORPUS / "v10"), str(CORPUS / "misc")]
    done = run("--format", "json", "--as-of", "2026-11-01", *paths)
    result = ssbtek_validator.validate(paths, as_of=date(2026, 11, 1))
    rendered = io.StringIO()
    json_report.write(result, builtin_packs(), rendered)
    assert done.exit_code == result.exit_code == 1
    assert done.stdout == rendered.getvalue()


def test_the_run_is_asked_for_its_verdict_and_totals_once_however_many_times_they_are_said(tmp_path, monkeypatch):
    """The text report's summary line, the same line on stderr (every report went to a file) and the exit code:
    each ask was a pass over the run's messages, in series after the last one. They are made once, in
    cli/running.py, and given to the text report."""
    from ssbtek_validator.results import model

    asked: list[str] = []
    verdict, tally = model.RunResult.verdict, model._tally
    monkeypatch.setattr(model.RunResult, "verdict", property(lambda run: asked.append("verdict") or verdict.fget(run)))
    monkeypatch.setattr(model, "_tally", lambda judged: asked.append("tally") or tally(judged))
    report = tmp_path / "report.txt"
    done = CliRunner().invoke(main, ["--as-of", "2026-11-01", "--output", str(report), str(CORPUS / "v10")])
    assert done.exit_code == 1
    summary = report.read_text(encoding="utf-8").splitlines()[-1]
    assert summary.endswith("→ nonconformant (exit 1)") and summary in done.output  # said on stderr too
    assert asked.count("verdict") == 1
    assert asked.count("tally") == 2  # the messages' totals and the exchanges'
