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
