"""A message read out of a capture is annotated in the capture, at the line its finding is on.

``capture.http#1 request`` is the message's name in a report, but no file a checkout holds: a GitHub annotation or a
SARIF result naming it lands nowhere. They name the capture, and map a finding's line in the body to the capture's
line when the body is the capture's bytes as written.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import re
from collections.abc import Sequence
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.rawhttp import _Reader
from ssbtek_validator.report import github, sarif
from ssbtek_validator.report.json_report import as_dict
from ssbtek_validator.results.model import Origin, RunResult

from ..conftest import CORPUS

#: the corpus's clean raw HTTP capture: a request and its answer, Content-Length framed, CRLF header lines
CLEAN = (CORPUS / "http" / "clean.http").read_bytes()
#: an impossible date put in the request's body: an SSBT-XSD finding with a line in the body
BROKEN = CLEAN.replace(b"<ssbt:tomDatum>2026-10-31", b"<ssbt:tomDatum>2026-13-31", 1)


def _reports(path: Path) -> tuple[RunResult, list[str], list[dict]]:
    result = validate([path])
    stream = io.StringIO()
    github.write(result, builtin_packs(), stream)
    annotations = [line for line in stream.getvalue().splitlines() if line.startswith("::")]
    stream = io.StringIO()
    sarif.write(result, builtin_packs(), stream)
    return result, annotations, json.loads(stream.getvalue())["runs"][0]["results"]


def _broken_line(data: bytes) -> int:
    return data[: data.index(b"2026-13-31")].count(b"\n") + 1


def _capture(headers: list[bytes], before: bytes, line_end: bytes) -> bytes:
    """BROKEN with other header fields, blank lines before it and another line end in its header block."""
    head, _, body = BROKEN.partition(b"\r\n\r\n")
    start, *fields = head.split(b"\r\n")
    return before + line_end.join([start, *headers, *fields]) + line_end * 2 + body


@given(
    headers=st.lists(st.sampled_from([b"X-Trace: abc", b"Accept: */*", b"Connection: keep-alive"]), max_size=5),
    before=st.sampled_from([b"", b"\r\n", b"\n\n\r\n"]),
    line_end=st.sampled_from([b"\r\n", b"\n"]),
)
def test_an_annotation_lands_on_the_capture_line_that_holds_the_finding(tmp_path_factory, headers, before, line_end):
    data = _capture(headers, before, line_end)
    path = tmp_path_factory.mktemp("capture") / "capture.http"
    path.write_bytes(data)
    _, annotations, results = _reports(path)
    (annotation,) = [a for a in annotations if "title=SSBT-XSD" in a]
    assert re.search(rf"file=[^,]*capture\.http,line={_broken_line(data)},col=\d+,", annotation), annotation
    assert "capture.http#1 request: " in annotation  # the text still says which message
    (found,) = [r for r in results if r["ruleId"] == "SSBT-XSD"]
    location = found["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("capture.http")
    assert location["region"]["startLine"] == _broken_line(data)
    line = data.splitlines()[_broken_line(data) - 1]
    assert line[location["region"]["startColumn"] - 1 :].startswith(b"<ssbt:tomDatum>")


def test_the_second_exchange_of_a_kept_alive_capture_maps_to_its_own_lines(tmp_path):
    data = CLEAN + b"\r\n" + BROKEN
    path = tmp_path / "two.http"
    path.write_bytes(data)
    result, annotations, _ = _reports(path)
    (annotation,) = [a for a in annotations if "title=SSBT-XSD" in a]
    assert f",line={_broken_line(data)}," in annotation
    assert "two.http#2 request: " in annotation
    starts = [m.origin.line for m in result.messages]
    assert starts == sorted(starts) and len(set(starts)) == 4  # each body its own start, in order


def test_a_body_that_was_rebuilt_points_at_the_capture_without_a_line(tmp_path):
    head, _, body = BROKEN.partition(b"\r\n\r\n")
    request_body, _, rest = body.partition(b"HTTP/1.1 ")
    request_body = request_body.rstrip(b"\r\n")
    packed = gzip.compress(request_body)
    head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d\r\nContent-Encoding: gzip" % len(packed), head)
    path = tmp_path / "gzip.http"
    path.write_bytes(head + b"\r\n\r\n" + packed + b"\r\nHTTP/1.1 " + rest)
    result, annotations, results = _reports(path)
    (annotation,) = [a for a in annotations if "title=SSBT-XSD" in a]
    assert re.search(r"file=[^,]*gzip\.http,title=SSBT-XSD::", annotation), annotation
    (found,) = [r for r in results if r["ruleId"] == "SSBT-XSD"]
    assert "region" not in found["locations"][0]["physicalLocation"]
    assert result.messages[0].origin == Origin(str(path), None)
    assert result.messages[1].origin is not None and result.messages[1].origin.line  # the answer is as written


def test_a_har_capture_is_named_without_a_line():
    result, annotations, results = _reports(CORPUS / "har" / "http-no-soapaction.har")
    assert annotations and all(re.match(r"::\w+ file=[^,]*http-no-soapaction\.har,title=", a) for a in annotations)
    assert all("region" not in r["locations"][0]["physicalLocation"] for r in results)
    assert all(m.origin == Origin(str(CORPUS / "har" / "http-no-soapaction.har")) for m in result.messages)


def test_the_json_report_says_where_a_captures_message_lies_and_a_files_report_is_unchanged(tmp_path):
    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    report = as_dict(validate([path, CORPUS / "v10" / "request-minimal.xml"]), builtin_packs())
    request, answer, single = report["messages"]
    assert request["capture"] == {"file": str(path), "body_line": BROKEN[: BROKEN.index(b"<?xml")].count(b"\n") + 1}
    assert answer["capture"]["body_line"] > request["capture"]["body_line"]
    assert report["exchanges"][0]["capture"] == {"file": str(path), "body_line": None}
    assert "capture" not in single
    assert request["findings"][0]["line"] == _broken_line(BROKEN) - request["capture"]["body_line"] + 1


def test_a_message_result_keeps_its_origin_through_a_worker(tmp_path):
    """--jobs sends each message's result from a worker to the parent by pickle."""
    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    message = validate([path]).messages[0]
    assert pickle.loads(pickle.dumps(message)).origin == message.origin != None  # noqa: E711


@given(data=st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"\n")), offsets=st.lists(st.integers(0, 220)))
def test_a_line_counted_from_the_last_one_is_the_line_counted_from_the_start(data, offsets):
    """The reader counts a body's line on from the last line it counted (a long capture's length once, not once
    per message); asked for an earlier offset (an error naming a message before), it counts from the start."""
    reader = _Reader(data, 0, DEFAULT_LIMITS)
    for offset in offsets:
        assert reader.line(offset) == data.count(b"\n", 0, offset) + 1


def test_a_capture_named_after_a_person_is_masked_in_every_report(tmp_path, cli):
    """The capture's name is a name like any other: annotations, SARIF and the JSON report's ``capture`` show it
    masked, as they show the message's, unless --show-values."""
    person = "191212121212"
    http = tmp_path / f"case-{person}.http"
    http.write_bytes(BROKEN)
    har = tmp_path / f"case-{person}.har"
    har.write_bytes(next((CORPUS / "har").glob("*.har")).read_bytes())
    files = ("json", "sarif", "junit", "html", "text")
    outputs = [f"{fmt}:{tmp_path / ('out.' + fmt)}" for fmt in files]
    run = cli(*[arg for out in outputs for arg in ("--format", out)], "--format", "github", str(http), str(har))
    assert run.exit_code == 1, run.output
    assert person not in run.output and "::error file=" in run.output
    for fmt in files:
        assert person not in (tmp_path / f"out.{fmt}").read_text(encoding="utf-8"), fmt
    captures = {m["capture"]["file"] for m in json.loads((tmp_path / "out.json").read_text())["messages"]}
    assert captures == {str(http).replace(person, "•" * 12), str(har).replace(person, "•" * 12)}
    shown = cli("--format", "github", "--show-values", str(http))
    assert f"case-{person}.http" in shown.output


def test_the_text_report_places_a_captured_finding_in_the_capture(tmp_path, cli):
    """An editor or a CI log opens ``capture.http:25:11``, not ``capture.http#1 request:16:11``; a body that was
    rebuilt keeps its line in the body."""
    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    run = cli(str(path))
    (line,) = [line for line in run.output.splitlines() if " SSBT-XSD " in line]
    assert line.startswith(f"{path}:{_broken_line(BROKEN)}:"), line
    assert f" error SSBT-XSD {path}#1 request: " in line
    column = int(line.split(":")[2])
    assert BROKEN.splitlines()[_broken_line(BROKEN) - 1][column - 1 :].startswith(b"<ssbt:tomDatum>")
    chunked = tmp_path / "chunked.http"
    head, _, body = BROKEN.partition(b"\r\n\r\n")
    request_body, _, rest = body.partition(b"HTTP/1.1 ")
    request_body = request_body.rstrip(b"\r\n")
    head = re.sub(rb"Content-Length: \d+", b"Transfer-Encoding: chunked", head)
    framed = b"%x\r\n%s\r\n0\r\n\r\n" % (len(request_body), request_body)
    chunked.write_bytes(head + b"\r\n\r\n" + framed + b"HTTP/1.1 " + rest)
    run = cli(str(chunked))
    (line,) = [line for line in run.output.splitlines() if " SSBT-XSD " in line]
    in_body = request_body[: request_body.index(b"2026-13-31")].count(b"\n") + 1
    assert line.startswith(f"{chunked}#1 request:{in_body}:"), line


def test_junit_places_a_captured_finding_as_the_text_report_does(tmp_path, cli):
    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    run = cli("--format", "junit", str(path))
    assert f"{path}:{_broken_line(BROKEN)}:" in run.output and f"SSBT-XSD {path}#1 request: " in run.output


# --- findings about the HTTP head: on the line of the request line, the status line or the field concerned ---

REQUEST_BODY = (CORPUS / "v10" / "request-minimal.xml").read_bytes()
ANSWER_BODY = (CORPUS / "v10" / "answer-minimal.xml").read_bytes()
FAULT_BODY = (CORPUS / "v10" / "fault-ssbt.xml").read_bytes()
#: a made-up personnummer, sent as a SOAPAction value: a header is free text, and is shown by its length only
PNR = "19810217-1234"
#: the start of each SSBT-HTTP finding's text -> the start of the capture line it is about (in the exchange named)
HEAD_FINDINGS = {
    "The request was sent with HTTP PUT": (1, b"PUT /ssbtek"),
    "The request's Content-Type is application/soap+xml": (1, b"Content-Type: application/soap+xml"),
    "The request's SOAPAction is a value of 13 characters": (1, b"SOAPAction:"),
    "The answer is a SOAP Fault sent with HTTP 200": (1, b"HTTP/1.1 200 Fault"),
    "The request has no SOAPAction header": (2, b"POST /ssbtek"),
}


def _http_message(start: bytes, fields: list[bytes], body: bytes, eol: bytes) -> bytes:
    return eol.join([start, *fields, b"Content-Length: %d" % len(body)]) + eol * 2 + body


def _wrong_head(extra: Sequence[bytes] = (), eol: bytes = b"\r\n", before: bytes = b"", fold: bool = False) -> bytes:
    """Two exchanges along one connection whose heads break each of SOAP 1.1's HTTP rules once: a PUT with SOAP
    1.2's media type (folded over two lines when ``fold``) and a SOAPAction that is no URI, answered by a fault with
    200; then a POST without SOAPAction. ``extra``: header fields the reader keeps no note of, between the rest."""
    content_type = b"Content-Type: application/soap+xml;" + (eol + b" " if fold else b" ") + b"charset=utf-8"
    return before + eol.join(
        [
            _http_message(
                b"PUT /ssbtek?personnummer=" + PNR.encode() + b" HTTP/1.1",
                [b"Host: x", *extra, content_type, *extra, b'SOAPAction: "' + PNR.encode() + b'"'],
                REQUEST_BODY,
                eol,
            ),
            _http_message(b"HTTP/1.1 200 Fault", [*extra, b"Content-Type: text/xml"], FAULT_BODY, eol),
            _http_message(b"POST /ssbtek HTTP/1.1", [b"Content-Type: text/xml", *extra], REQUEST_BODY, eol),
            _http_message(b"HTTP/1.1 200 OK", [b"Content-Type: text/xml"], ANSWER_BODY, eol),
        ]
    )


def _line_of(data: bytes, start: bytes) -> int:
    return data[: data.index(start)].count(b"\n") + 1


def _expected(data: bytes) -> dict[str, int]:
    """The line each HEAD_FINDINGS text is about (each start is found once in a capture of _wrong_head)."""
    return {text: _line_of(data, start) for text, (_, start) in HEAD_FINDINGS.items()}


def _head_text(message: str) -> str:
    (text,) = [text for text in HEAD_FINDINGS if message.startswith(text)]
    return text


@given(
    extra=st.lists(st.sampled_from([b"X-Trace: abc", b"Accept: */*", b"Cookie: s=" + PNR.encode()]), max_size=3),
    eol=st.sampled_from([b"\r\n", b"\n"]),
    before=st.sampled_from([b"", b"\r\n", b"\n\n"]),
    fold=st.booleans(),
)
def test_a_finding_about_the_head_lands_on_the_line_it_is_about(tmp_path_factory, extra, eol, before, fold):
    """Every head finding, in SARIF, GitHub annotations and the JSON report, on the capture's line: the request
    line for a method and a missing SOAPAction, the status line for a fault's status, the field line for a
    SOAPAction or Content-Type (a folded field: its first line); and never with a column, which a body's
    finding has but a whole header line does not."""
    data = _wrong_head(extra, eol, before, fold)
    path = tmp_path_factory.mktemp("capture") / "capture.http"
    path.write_bytes(data)
    result, annotations, results = _reports(path)
    expected = _expected(data)
    http = [a for a in annotations if "title=SSBT-HTTP" in a]
    placed = {_head_text(a.split("request: ", 1)[-1].split("answer: ", 1)[-1]): a for a in http}
    assert placed.keys() == expected.keys(), http
    for text, annotation in placed.items():
        assert re.search(rf"file=[^,]*capture\.http,line={expected[text]},title=SSBT-HTTP::", annotation), annotation
    sarif_http = [r for r in results if r["ruleId"] == "SSBT-HTTP"]
    assert len(sarif_http) == len(expected)
    for found in sarif_http:
        location = found["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith("capture.http")
        said = found["message"]["text"].split(": ", 1)[1]
        assert location["region"] == {"startLine": expected[_head_text(said)]}, found
    report = as_dict(result, builtin_packs())
    json_http = [f for m in report["messages"] for f in m["findings"] if f["rule"] == "SSBT-HTTP"]
    assert {_head_text(f["message"]): f["capture_line"] for f in json_http} == expected
    assert all(f["line"] is None and f["column"] is None for f in json_http)  # no line in the body: not in it
    everything = json.dumps(report) + "".join(annotations) + json.dumps(results)
    assert PNR not in everything and PNR.replace("-", "") not in everything


def test_the_text_report_and_junit_place_a_head_finding_on_its_line(tmp_path, cli):
    """``capture.http:3: error SSBT-HTTP capture.http#1 request: …``: the line an editor or a CI log opens, the
    message named in the text, as for a finding in the body; the SOAPAction that is no URI still masked."""
    data = _wrong_head([b"User-Agent: Apache-CXF/3.5.5"])
    path = tmp_path / "capture.http"
    path.write_bytes(data)
    run = cli(str(path))
    assert run.exit_code == 1, run.output
    lines = [line for line in run.output.splitlines() if " SSBT-HTTP " in line]
    expected = _expected(data)
    assert len(lines) == len(expected), lines
    name = re.escape(str(path))
    for line in lines:
        shown = re.fullmatch(rf"{name}:(\d+): (?:error|warning) SSBT-HTTP {name}#(\d) (?:request|answer): (.+)", line)
        assert shown, line
        text = _head_text(shown[3])
        assert (int(shown[1]), int(shown[2])) == (expected[text], HEAD_FINDINGS[text][0]), line
    assert PNR not in run.output and PNR.replace("-", "") not in run.output
    junit = cli("--format", "junit", str(path)).output
    for text, line in expected.items():
        assert re.search(rf"{re.escape(str(path))}:{line}: (error|warning) SSBT-HTTP [^:]+: {re.escape(text)}", junit)


def test_a_head_finding_keeps_its_line_when_the_body_is_rebuilt(tmp_path, cli):
    """A chunked request and a gzip-compressed answer: their bodies have no line in the capture (a finding in them is
    placed in the body), their heads are the capture's own text, and a finding about a head stays on its line."""
    body = REQUEST_BODY.replace(b"<ssbt:tomDatum>2026-10-31", b"<ssbt:tomDatum>2026-13-31", 1)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    packed = gzip.compress(FAULT_BODY)
    data = (
        b"POST /ssbtek HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/xml; charset=latin1"
        b"\r\nSOAPAction: urn:hamta\r\n\r\n" + chunked + b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/xml"
        b"\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed) + packed
    )
    path = tmp_path / "rebuilt.http"
    path.write_bytes(data)
    result, annotations, results = _reports(path)
    assert [m.origin.line for m in result.messages if m.origin] == [None, None]  # both bodies rebuilt
    expected = {
        "The request's Content-Type says charset=latin1": _line_of(data, b"Content-Type: text/xml; charset"),
        "The request's SOAPAction is unquoted (urn:hamta)": _line_of(data, b"SOAPAction:"),
        "The answer is a SOAP Fault sent with HTTP 503": _line_of(data, b"HTTP/1.1 503"),
    }
    assert list(expected.values()) == [4, 5, 1 + data[: data.index(b"HTTP/1.1 503")].count(b"\n")]
    text = cli(str(path)).output.splitlines()
    for said, line in expected.items():
        (shown,) = [t for t in text if said in t]
        assert shown.startswith(f"{path}:{line}: "), shown
        (annotation,) = [a for a in annotations if said in a]
        assert f"rebuilt.http,line={line},title=SSBT-HTTP::" in annotation
        (found,) = [r for r in results if said in r["message"]["text"]]
        assert found["locations"][0]["physicalLocation"]["region"] == {"startLine": line}
    (in_body,) = [t for t in text if " SSBT-XSD " in t]
    assert in_body.startswith(f"{path}#1 request:"), in_body  # the body's finding: its line in the body, as before
    (xsd,) = [r for r in results if r["ruleId"] == "SSBT-XSD"]
    assert "region" not in xsd["locations"][0]["physicalLocation"]


def test_a_har_captures_head_findings_have_no_line(tmp_path):
    """A HAR capture is JSON: its SSBT-HTTP findings name the capture alone, as every finding of it does."""
    result, annotations, _ = _reports(CORPUS / "har" / "http-no-soapaction.har")
    http = [f for m in result.messages for f in m.findings if f.rule == "SSBT-HTTP"]
    assert http and all(f.capture_line is None and f.line is None for f in http)
    assert all("capture_line" not in f for m in as_dict(result, builtin_packs())["messages"] for f in m["findings"])
    assert all(",line=" not in a for a in annotations if "title=SSBT-HTTP" in a)


def test_a_head_findings_line_survives_a_worker(tmp_path):
    """--jobs sends each finding from a worker to the parent by pickle (Finding.__reduce__)."""
    path = tmp_path / "capture.http"
    path.write_bytes(_wrong_head())
    finding = next(f for f in validate([path]).messages[0].findings if f.rule == "SSBT-HTTP")
    assert finding.capture_line == 1 and pickle.loads(pickle.dumps(finding)) == finding


def test_the_html_report_places_a_captured_finding_in_the_capture(tmp_path, cli):
    """The page a reviewer reads shows where a captured message's finding lies as the text report does: the capture
    and its line, for a finding in the body and for one about the head; the message is named by its section."""
    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    page = cli("--format", "html", str(path)).output
    assert f'<td class="mono">{path}:{_broken_line(BROKEN)}:' in page
    head = _wrong_head()
    path.write_bytes(head)
    page = cli("--format", "html", str(path)).output
    for line in _expected(head).values():
        assert f'<td class="mono">{path}:{line}</td>' in page


def test_assert_conforms_names_a_captured_finding_by_its_place_in_the_capture(tmp_path):
    """The pytest plugin's failure text points where the text report does: a vendor's test of a capture gets
    ``capture.http:LINE``, not the message's name with the body's line."""
    import pytest

    from ssbtek_validator.pytest_plugin import _check

    path = tmp_path / "capture.http"
    path.write_bytes(BROKEN)
    with pytest.raises(pytest.fail.Exception) as failed:
        _check(path)
    said = re.search(rf"^  {re.escape(str(path))}:(\d+):\d+ SSBT-XSD error: (.+?): ", str(failed.value), re.M)
    assert said and (int(said[1]), said[2]) == (_broken_line(BROKEN), f"{path}#1 request")
