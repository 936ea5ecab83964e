"""SOAP 1.1's HTTP binding as a capture recorded it (SSBT-HTTP): what the corpus cases do not spell out."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.reading.http_binding import HeadLines, HttpFacts, http_findings
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse

from ..conftest import CORPUS

REQUEST = (CORPUS / "v10/request-minimal.xml").read_bytes()
FAULT = (CORPUS / "v10/fault-ssbt.xml").read_bytes()


def _said(facts: HttpFacts, body: bytes = REQUEST) -> list[str]:
    return [f"{f.severity}: {f.message}" for f in http_findings(facts, parse(Source("m.xml", body)))]


def _request(content_type: str | None = "text/xml; charset=utf-8", soap_action: str | None = '""', **more) -> HttpFacts:
    return HttpFacts("request", True, "POST", soap_action, content_type, **more)


@pytest.mark.parametrize(
    "facts",
    [
        _request(),
        _request("text/xml"),  # no charset: XML reads its own declaration (RFC 7303)
        _request('TEXT/XML; Charset="UTF-8"', body_encoding="utf8"),
        _request("text/xml; charset=utf-16", body_encoding="UTF-16LE"),  # one family; the BOM says the order
        _request('multipart/related; type="application/xop+xml"; start-info="text/xml"'),  # MTOM over SOAP 1.1
        _request(soap_action=None)._replace(headers_recorded=False),  # headers stripped by the recorder
        HttpFacts("request", False, None, None, None),  # nothing recorded but the body
    ],
    ids=["plain", "no-charset", "spellings", "utf16-family", "mtom", "stripped", "nothing"],
)
def test_what_a_soap_1_1_client_sends_is_no_finding(facts: HttpFacts) -> None:
    assert _said(facts) == []


@pytest.mark.parametrize("charset", ["\x00", "x\udcff", "a" * 10_000, "..", "rot13", "ISO-8859-1"])
def test_any_charset_a_header_names_gives_a_finding_not_an_exception(charset: str) -> None:
    [said] = _said(_request(f"text/xml; charset={charset}", body_encoding="UTF-8"))
    assert said.startswith("error:") and "charset" in said and "\x00" not in said and "aaaa" not in said


def test_mtom_naming_soap_1_2_for_its_root_part_is_an_error() -> None:
    facts = _request('multipart/related; type="application/xop+xml"; start-info="application/soap+xml"')
    [said] = _said(facts)
    assert said.startswith("error:") and "SOAP 1.2" in said


def test_a_net_string_writer_declaration_against_a_utf8_charset_is_an_error() -> None:
    """.NET's StringWriter writes encoding="utf-16" whatever bytes are sent: the classic contradiction."""
    [said] = _said(_request(body_encoding="utf-16"))
    assert said.startswith("error:") and "charset=utf-8" in said and "utf-16" in said


def test_a_soapaction_that_is_no_uri_is_not_quoted() -> None:
    [said] = _said(_request(soap_action='"Tolvan Tolvansson"'))
    assert "Tolvan" not in said and "a value of 17 characters" in said and said.startswith("warning:")


@pytest.mark.parametrize("status", [None, 0, -1, 500])
def test_a_fault_with_500_or_no_recorded_status_is_no_finding(status) -> None:
    assert _said(HttpFacts("answer", True, status=status, content_type="text/xml"), FAULT) == []


def test_an_html_error_page_is_not_judged_as_a_soap_answer() -> None:
    page = b"<html><body>Service Unavailable</body></html>"
    assert _said(HttpFacts("answer", True, status=503, content_type="text/html"), page) == []


def _lines(facts: HttpFacts, body: bytes = REQUEST) -> list[tuple[str, int | None]]:
    return [(f.message, f.capture_line) for f in http_findings(facts, parse(Source("m.xml", body)))]


def _starting(said: list[tuple[str, int | None]], expected: list[tuple[str, int]]) -> list[tuple[str, int | None]]:
    """``said`` with each text cut to the length of the one expected in its place."""
    return [(text[: len(start)], line) for (text, line), (start, _) in zip(said, expected, strict=True)]


def test_each_finding_is_on_the_line_it_is_about_where_the_head_has_lines() -> None:
    """A method and a missing header on the start line (a missing field has no line of its own), a field's finding
    on its field; a finding is in no line of the body (its ``line`` stays None)."""
    lines = HeadLines(start=7, soap_action=9, content_type=8)
    put = HttpFacts("request", True, "PUT", "urn:x", "application/soap+xml", lines=lines)
    expected = [
        ("The request was sent with HTTP PUT", 7),
        ("The request's Content-Type is application/soap+xml", 8),
        ("The request's SOAPAction is unquoted (urn:x)", 9),
    ]
    assert _starting(_lines(put), expected) == expected
    missing = _request(soap_action=None, lines=lines._replace(soap_action=None))
    expected = [("The request has no SOAPAction header", 7)]
    assert _starting(_lines(missing), expected) == expected
    fault = HttpFacts("answer", True, status=200, content_type="text/xml", lines=HeadLines(40, None, 41))
    expected = [("The answer is a SOAP Fault sent with HTTP 200", 40)]
    assert _starting(_lines(fault, FAULT), expected) == expected
    assert all(f.line is None for f in http_findings(put, parse(Source("m.xml", REQUEST))))


def test_without_lines_no_finding_has_one() -> None:
    """A HAR capture's head and the proxy's live traffic: no capture line, as before."""
    put = HttpFacts("request", True, "PUT", None, "application/soap+xml")
    assert [line for _, line in _lines(put)] == [None, None, None]


def _capture(tmp_path, request_headers: list, mime: str) -> list[str]:
    entry = {
        "request": {
            "method": "POST",
            "headers": request_headers,
            "postData": {"mimeType": mime, "text": REQUEST.decode()},
        },
        "response": {"status": 200, "headers": [], "content": {"mimeType": "text/xml", "text": ""}},
    }
    path = tmp_path / "capture.har"
    path.write_text(json.dumps({"log": {"entries": [entry]}}), encoding="utf-8")
    [message] = validate(path).messages
    return [f.message for f in message.findings if f.rule == "SSBT-HTTP"]


def test_http2_lowercase_header_names_are_read(tmp_path) -> None:
    headers = [{"name": "content-type", "value": "text/xml; charset=utf-8"}, {"name": "soapaction", "value": '""'}]
    assert _capture(tmp_path, headers, "text/xml; charset=utf-8") == []


def test_without_headers_the_capture_mime_type_still_stands_for_content_type(tmp_path) -> None:
    [said] = _capture(tmp_path, [], "application/soap+xml; charset=utf-8")
    assert "application/soap+xml" in said


def test_chromes_x_unknown_mime_type_is_no_content_type(tmp_path) -> None:
    assert _capture(tmp_path, [], "x-unknown") == []


def test_a_header_list_of_the_wrong_shape_counts_as_not_recorded(tmp_path) -> None:
    assert _capture(tmp_path, [{"name": 1}, "SOAPAction"], "text/xml") == []


def test_a_certification_counts_the_http_exercised_only_where_it_was_recorded(tmp_path) -> None:
    from datetime import date

    from ssbtek_validator.certify.run import run
    from ssbtek_validator.run.driver import Options

    options = Options(as_of=date(2026, 11, 1))
    files = run([CORPUS / "v10/request-full.xml", CORPUS / "v10/answer-all-agencies-data.xml"], 10, options=options)
    [outcome] = [r for r in files.certification.rules if r.id == "SSBT-HTTP"]
    assert (outcome.status, outcome.messages) == ("not exercised", 0)  # files carry no HTTP: nothing was judged
    capture = run([CORPUS / "har/http-clean.har"], 10, options=options)
    [outcome] = [r for r in capture.certification.rules if r.id == "SSBT-HTTP"]
    assert (outcome.status, outcome.messages) == ("pass", 4)


def test_a_configuration_that_disables_it_judges_no_http(tmp_path) -> None:
    config = tmp_path / "ssbtek.toml"
    config.write_text('[tool.ssbtek-validator]\ndisable = ["SSBT-HTTP"]\n', encoding="utf-8")
    result = validate(CORPUS / "har/http-no-soapaction.har", config=config)
    assert result.exit_code == 0
    assert all("SSBT-HTTP" not in m.rules_run for m in result.messages)


_TEXT = st.text(max_size=80) | st.sampled_from(['""', "text/xml", "application/soap+xml", "multipart/related; type="])


@given(
    side=st.sampled_from(["request", "answer"]),
    recorded=st.booleans(),
    method=st.none() | _TEXT,
    soap_action=st.none() | _TEXT,
    content_type=st.none() | _TEXT,
    status=st.none() | st.integers(-(2**40), 2**40),
    declared=st.none() | _TEXT,
    body=st.sampled_from([REQUEST, FAULT, b"<html/>", b"not xml"]),
)
def test_whatever_a_recorder_wrote_gives_findings_not_an_exception(
    side, recorded, method, soap_action, content_type, status, declared, body
) -> None:
    facts = HttpFacts(side, recorded, method, soap_action, content_type, status, declared)
    for finding in http_findings(facts, parse(Source("m.xml", body))):
        assert finding.rule == "SSBT-HTTP" and finding.message and finding.file == "m.xml"
