"""Every CI format, from the same run: valid against its published schema, complete, and masked."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.report import REPORTERS, github, html
from ssbtek_validator.results.model import Detection, Finding, MessageResult, RunResult, Severity, Verdict

from ..conftest import CORPUS

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture(scope="module")
def corpus_run() -> RunResult:
    """The whole corpus, unreadable input included: every verdict and most finding kinds at once."""
    return validate([CORPUS, CORPUS / "does-not-exist.xml"])


def all_findings(result: RunResult) -> list[Finding]:
    """In report order: the run's, each message's, each exchange's."""
    return [
        *result.run_findings,
        *(f for m in result.messages for f in m.findings),
        *(f for e in result.exchanges for f in e.findings),
    ]


def render(name: str, result: RunResult) -> str:
    stream = io.StringIO()
    REPORTERS[name](result, builtin_packs(), stream)
    return stream.getvalue()


# --- JUnit ---------------------------------------------------------------------------------------


def test_junit_is_valid_against_the_jenkins_schema(corpus_run):
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "junit-10.xsd")))
    document = etree.fromstring(render("junit", corpus_run).encode())
    assert schema.validate(document), schema.error_log


def test_junit_has_one_case_per_message_failures_for_errors_and_errors_for_incomplete(corpus_run):
    root = etree.fromstring(render("junit", corpus_run).encode())
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert corpus_run.exchanges and corpus_run.run_findings  # the corpus has a HAR capture
    assert len(cases) == len(corpus_run.messages) + len(corpus_run.exchanges) + 1  # + the run's own case
    named = [(m.file, m) for m in corpus_run.messages] + [(f"exchange {e.name}", e) for e in corpus_run.exchanges]
    for name, message in named:
        case = cases[name]
        errors = [f for f in message.findings if f.severity is Severity.ERROR]
        if message.verdict is Verdict.CONFORMS:
            assert case.find("failure") is None and case.find("error") is None
        elif message.verdict is Verdict.NONCONFORMANT:
            failure = case.find("failure")
            assert failure is not None and case.find("error") is None
            assert Counter(re.findall(r" error (SSBT-[A-Z0-9-]+) ", failure.text)) == Counter(f.rule for f in errors)
        else:
            assert case.find("error") is not None
    suite = root.find("testsuite")
    totals, exchanges = corpus_run.totals(), corpus_run.exchange_totals()
    assert int(suite.get("failures")) == totals["nonconformant"] + exchanges["nonconformant"] > 0
    assert int(suite.get("errors")) == totals["incomplete"] + exchanges["incomplete"] > 0


def test_junit_survives_characters_xml_cannot_carry():
    result = RunResult(
        messages=[
            MessageResult(
                "odd\x01name.xml",
                findings=[Finding("SSBT-WELLFORMED", Severity.ERROR, "bad byte \x0b here", file="odd\x01name.xml")],
            )
        ]
    )
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "junit-10.xsd")))
    assert schema.validate(etree.fromstring(render("junit", result).encode()))


# --- SARIF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    return json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_is_valid_against_the_oasis_schema(corpus_run, sarif_schema):
    document = json.loads(render("sarif", corpus_run))
    validator = jsonschema.Draft4Validator(sarif_schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_stdin_and_run_findings_are_valid_too(sarif_schema):
    result = validate(b"<not xml")
    result.run_findings.append(Finding("SSBT-READ", Severity.ERROR, "a run-level problem"))
    document = json.loads(render("sarif", result))
    jsonschema.Draft4Validator(sarif_schema).validate(document)
    assert all("physicalLocation" not in loc for r in document["runs"][0]["results"] for loc in r.get("locations", []))


def test_sarif_results_point_at_file_line_and_xpath_and_declare_their_rules(corpus_run):
    run = json.loads(render("sarif", corpus_run))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    findings = all_findings(corpus_run)
    assert len(run["results"]) == len(findings)
    for result, finding in zip(run["results"], findings, strict=True):
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"] == finding.rule
        assert rule["help"]["text"] and rule["shortDescription"]["text"]
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding.severity]
        if finding.line and Path(finding.file).is_file():
            physical = result["locations"][0]["physicalLocation"]
            assert physical["region"]["startLine"] == finding.line
            assert (Path.cwd() / physical["artifactLocation"]["uri"]).resolve() == Path(finding.file).resolve()
        if finding.path:
            assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == finding.path
    assert run["properties"]["verdict"] == str(corpus_run.verdict)


# --- GitHub annotations --------------------------------------------------------------------------


def _unescape(text: str) -> str:
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


@given(message=st.text(), rule=st.from_regex(r"SSBT-[A-Z]{1,8}", fullmatch=True), line=st.integers(1, 10**6))
def test_github_annotation_is_one_command_that_round_trips(message, rule, line):
    finding = Finding(rule, Severity.WARNING, message, file="corpus/x,y:z.xml", line=line, column=3)
    command = github.annotation(finding)
    assert "\n" not in command and "\r" not in command
    head, _, data = command.partition("::")[2].partition("::")
    assert head.startswith("warning ")
    properties = dict(item.split("=", 1) for item in head[len("warning ") :].split(","))
    assert _unescape(properties["file"]) == "corpus/x,y:z.xml"
    assert properties["line"] == str(line) and properties["col"] == "3" and properties["title"] == rule
    assert _unescape(data) == message


def test_github_output_has_one_annotation_per_finding_and_a_summary(corpus_run):
    lines = render("github", corpus_run).splitlines()
    findings = all_findings(corpus_run)
    assert lines[-2].startswith(f"{len(corpus_run.exchanges)} exchanges: ")
    assert lines[-3].startswith("note: Personal data is masked")  # a plain line, not an annotation
    assert [line.split(" ", 1)[0] for line in lines[:-3]] == [
        {"error": "::error", "warning": "::warning", "info": "::notice"}[f.severity] for f in findings
    ]
    assert lines[-1].endswith(f"(exit {corpus_run.exit_code})")


# --- HTML ----------------------------------------------------------------------------------------


def test_html_is_self_contained_and_escapes_what_it_shows():
    hostile = "<script>alert(1)</script>"
    result = RunResult(
        messages=[
            MessageResult(
                f"{hostile}.xml",
                Detection(10, "ssbt-v10", "official-derived", "hamtaBastjanstInformation", "request", hostile),
                [Finding("SSBT-XSD", Severity.ERROR, hostile, file="x.xml", line=1, path=hostile, value=hostile)],
            )
        ]
    )
    page = html.render(result, builtin_packs())
    assert hostile not in page
    assert page.count("<script>") == 1  # ours only
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no network assets"
    assert "masked" in page


def test_html_lists_every_message_and_every_finding(corpus_run):
    page = html.render(corpus_run, builtin_packs())
    assert page.count('class="msg"') == len(corpus_run.messages)
    assert page.count('class="msg exchange"') == len(corpus_run.exchanges)
    assert page.count("<tr data-severity=") == len(all_findings(corpus_run))


# --- masking, across every format ----------------------------------------------------------------


def test_no_format_shows_a_personal_value_unless_asked():
    source = CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"
    raw = re.search(rb"<ssbt:personidentitet>(\d+)<", source.read_bytes()).group(1).decode()
    masked = validate(source)
    shown = validate(source, show_values=True)
    for name in REPORTERS:
        assert raw not in render(name, masked), name
    for name in ("json", "sarif", "html", "junit", "github", "text"):
        assert raw in render(name, shown), name


# --- the HTML page in a real browser -------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _chromium(page: Path, fragment: str = "") -> tuple[str, str]:
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={page.parent / 'profile'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout, done.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_html_report_renders_in_chromium_without_console_errors(corpus_run, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(html.render(corpus_run, builtin_packs()), encoding="utf-8")
    dom, log = _chromium(page)
    console = [line for line in log.splitlines() if ":CONSOLE" in line]
    assert not console, console
    assert 'data-ready="1"' in dom, "the report's script did not run to the end"
    entries = len(corpus_run.messages) + len(corpus_run.exchanges)
    assert f"showing {entries} of {entries} messages and exchanges" in dom
    assert "SSBT-XSD" in dom and "invalid-personidentitet-11-digits.xml" in dom
    # a filter given in the link hides what does not match
    dom, log = _chromium(page, "#verdict=nonconformant")
    assert not [line for line in log.splitlines() if ":CONSOLE" in line]
    shown = corpus_run.totals()["nonconformant"] + corpus_run.exchange_totals()["nonconformant"]
    assert f"showing {shown} of {entries} messages and exchanges" in dom
    assert re.search(r'<section class="msg" data-verdict="conforms"[^>]*hidden', dom)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_certification_report_renders_in_chromium_without_console_errors(tmp_path):
    from datetime import date

    from ssbtek_validator.certify.run import run
    from ssbtek_validator.run.driver import Options

    outcome = run([CORPUS / "v10"], 10, options=Options(as_of=date(2026, 11, 1)))
    page = tmp_path / "report.html"
    page.write_text(
        html.render(outcome.result, outcome.packs, outcome.certification, outcome.evidence), encoding="utf-8"
    )
    dom, log = _chromium(page)
    assert not [line for line in log.splitlines() if ":CONSOLE" in line]
    assert 'data-ready="1"' in dom
    assert "Certification for SSBTEK v10" in dom and "FAIL" in dom
    for item in outcome.evidence["inputs"]:
        assert item["sha256"] in dom
