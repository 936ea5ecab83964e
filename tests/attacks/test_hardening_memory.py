"""Memory bounded by the limits, whatever the input and the report format; reports written whole or not at all."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from itertools import islice
from pathlib import Path

import pytest
from click.testing import CliRunner

import ssbtek_validator.cli.main
from ssbtek_validator import Limits
from ssbtek_validator.report import html, json_report
from ssbtek_validator.report.outputs import Output, write_all
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, RunResult, Severity
from ssbtek_validator.run.driver import Options, validate_paths

from ..hardening import REQUEST, in_request, run_cli

TINY_ENTRY = json.dumps(
    {
        "request": {"postData": {"mimeType": "text/xml", "text": "<a/>"}},
        "response": {"content": {"mimeType": "text/xml", "text": "<b/>"}},
    },
    separators=(",", ":"),
).encode()


def har(entries: list[bytes]) -> bytes:
    return b'{"log":{"entries":[' + b",".join(entries) + b"]}}"


def limit_texts(result: RunResult) -> list[str]:
    return [f.message for m in result.messages for f in m.findings if f.rule == "SSBT-LIMIT"]


def test_a_har_of_millions_of_empty_entries_is_refused_before_it_is_parsed(tmp_path: Path):
    """5.6 million ``{}`` in 16 MiB built 5.6 million dicts (446 MB) before a single entry was looked at."""
    capture = tmp_path / "empty.har"
    capture.write_bytes(har([b"{}"] * (16 * 1024 * 1024 // 3 - 20)))
    run = run_cli("--format", "json", str(capture))
    assert run.exit_code == 3
    report = json.loads(run.stdout)
    (finding,) = report["messages"][0]["findings"]
    assert finding["rule"] == "SSBT-LIMIT" and "--max-nodes" in finding["message"]
    assert run.peak_mib < 150, run.peak_mib


def test_a_har_with_more_exchanges_than_the_limit_is_one_limit_finding(tmp_path: Path):
    capture = tmp_path / "many.har"
    capture.write_bytes(har([TINY_ENTRY] * 6))
    result = validate_paths([capture], Options(limits=Limits(max_exchanges=5)))
    assert result.exit_code == 3
    assert [m.file for m in result.messages] == [str(capture)]
    (text,) = limit_texts(result)
    assert "more than 5 SOAP exchanges" in text and "--max-exchanges" in text
    assert not result.exchanges
    at_limit = validate_paths([capture], Options(limits=Limits(max_exchanges=6)))
    assert not limit_texts(at_limit) and len(at_limit.exchanges) == 6


def test_the_default_exchange_limit_is_on_the_command_line(tmp_path: Path):
    capture = tmp_path / "many.har"
    capture.write_bytes(har([TINY_ENTRY] * 3))
    done = CliRunner().invoke(ssbtek_validator.cli.main.main, ["check", "--max-exchanges", "2", str(capture)])
    assert done.exit_code == 3
    assert "SSBT-LIMIT" in done.output and "more than 2 SOAP exchanges" in done.output


def test_the_most_exchanges_a_har_may_hold_stay_under_300_mb_in_the_heaviest_report(tmp_path: Path):
    """124,000 tiny exchanges in 16 MiB peaked at 2.76 GB with --format html; the limits now accept 10,000,
    and the heaviest reports of them stay far under the 300 MB target (benchmarks/bench_memory.py: all formats)."""
    capture = tmp_path / "most.har"
    capture.write_bytes(har([TINY_ENTRY] * 10_000))
    run = run_cli("--format", f"html:{tmp_path / 'report.html'}", str(capture))
    assert run.exit_code == 3, run.stderr  # tiny bodies are no SOAP: each exchange is incomplete
    assert "Traceback" not in run.stderr
    assert run.peak_mib < 300, run.peak_mib


def _many(count: int, failing_every: int) -> RunResult:
    result = RunResult()
    for index in range(count):
        findings = [Finding("SSBT-XSD", Severity.ERROR, "bad")] if index % failing_every == 0 else []
        result.messages.append(MessageResult(file=f"m{index}.xml", findings=findings))
    return result


def test_the_html_report_shows_at_most_its_cap_failures_first_and_says_how_many_it_left_out(monkeypatch):
    monkeypatch.setattr(html, "MAX_SHOWN", 10)
    page = html.render(_many(100, failing_every=20), {})  # 5 nonconformant among 100
    assert page.count('<section class="msg"') == 10
    for failing in ("m0.xml", "m20.xml", "m40.xml", "m60.xml", "m80.xml"):
        assert failing in page  # every failure shown, though it comes after the first ten conforming ones
    # then the first conforming ones, to the cap
    assert 'data-file="m5.xml"' in page and 'data-file="m6.xml"' not in page
    assert "90 more messages not shown" in page and "--format json" in page
    assert page.index("m0.xml") < page.index("m5.xml") < page.index("m20.xml")  # still in input order


def test_the_html_report_under_its_cap_is_unchanged_and_complete(monkeypatch):
    result = _many(30, failing_every=7)
    monkeypatch.setattr(html, "MAX_SHOWN", 30)
    whole = html.render(result, {})
    assert all(f"m{i}.xml" in whole for i in range(30)) and "not shown" not in whole
    streamed = io.StringIO()
    html.write(result, {}, streamed)
    assert streamed.getvalue() == whole


def test_a_failed_write_leaves_the_previous_report_and_no_partial_file(tmp_path: Path, monkeypatch):
    """A full disk midway used to leave a truncated report, which a pipeline would upload as the whole story."""
    source = tmp_path / "request.xml"
    source.write_bytes(REQUEST)
    report = tmp_path / "report.json"
    report.write_text("the previous report\n")
    result = validate_paths([source])

    def disk_full(_result, _packs, stream):
        stream.write("{\n  half a report")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json_report, "write", disk_full)  # the reporter the json format loads
    with pytest.raises(OSError, match="No space left"):
        write_all(result, {}, [Output("json", str(report))], io.StringIO())
    assert report.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "request.xml"]


def test_a_completed_write_replaces_the_report_with_ordinary_permissions(tmp_path: Path):
    source = tmp_path / "request.xml"
    source.write_bytes(REQUEST)
    report = tmp_path / "report.json"
    report.write_text("old")
    done = CliRunner().invoke(
        ssbtek_validator.cli.main.main, ["check", "--format", "json", "-o", str(report), str(source)]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(report.read_text())["verdict"] == "conforms"
    assert report.stat().st_mode & 0o777 == 0o666 & ~_umask()  # as open() makes it, not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "request.xml"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_running_out_of_memory_is_a_clear_message_and_exit_3_not_a_traceback(monkeypatch):
    """The last line of defence, when the limits did not stop an input: said in one line, exit 3."""
    exits: list[int] = []

    def batch(*_args, **_kwargs):
        raise MemoryError

    def exit_now(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(ssbtek_validator.cli.main, "validate_batch", batch)
    monkeypatch.setattr(ssbtek_validator.cli.main.os, "_exit", exit_now)
    done = CliRunner().invoke(ssbtek_validator.cli.main.main, ["check", "whatever.xml"])
    assert exits == [3] and done.exit_code == 3
    assert "out of memory" in done.output and "--max-nodes" in done.output
    assert "Traceback" not in done.output


def test_memory_running_out_on_one_input_is_a_limit_finding_and_the_batch_goes_on(tmp_path: Path, monkeypatch):
    import ssbtek_validator.run.driver as engine

    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    first.write_bytes(REQUEST)
    second.write_bytes(REQUEST)
    real = engine.validate_message

    def hungry(source, *args, **kwargs):
        if source.name == str(first):
            raise MemoryError
        return real(source, *args, **kwargs)

    monkeypatch.setattr(engine, "validate_message", hungry)
    result = validate_paths([first, second])
    assert [m.verdict.value for m in result.messages] == ["incomplete", "conforms"]
    (text,) = limit_texts(result)
    assert "memory ran out" in text


def test_a_certification_whose_write_fails_leaves_the_previous_evidence_whole(tmp_path: Path, monkeypatch):
    from ssbtek_validator.certify import files as certification
    from ssbtek_validator.certify.run import run

    from ..conftest import CORPUS

    out = tmp_path / "cert"
    out.mkdir()
    (out / "evidence.json").write_text('{"previous": true}\n')
    outcome = run([CORPUS / "v10" / "request-full.xml"], 10, options=Options(as_of=date(2026, 11, 1)))
    real = certification.write_document

    def disk_full(document, stream) -> None:  # the evidence, written last: the disk fills at its end
        real(document, stream)
        stream.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(certification, "write_document", disk_full)
    with pytest.raises(OSError, match="No space left"):
        certification.write(outcome, out)
    assert json.loads((out / "evidence.json").read_text()) == {"previous": True}
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def _with_bad_attributes(count: int) -> bytes:
    """The corpus request with ``count`` attributes the schema does not allow on the FK question: one error each."""
    attributes = b"".join(b' x%d=""' % i for i in range(count))
    return REQUEST.replace(b"<ssbt:fraga>", b"<ssbt:fraga" + attributes + b">", 1)


def test_a_run_keeps_at_most_max_run_findings_and_still_counts_the_rest(tmp_path: Path):
    """3,635 messages of 150 schema errors each held 545,000 findings (621 MB) until the report was written."""
    paths = []
    for index in range(6):
        path = tmp_path / f"bad{index}.xml"
        path.write_bytes(_with_bad_attributes(20))
        paths.append(path)
    good = tmp_path / "z-good.xml"
    good.write_bytes(REQUEST)
    paths.append(good)
    whole = validate_paths(paths, Options(as_of=date(2026, 11, 1)))
    bounded = validate_paths(paths, Options(as_of=date(2026, 11, 1), limits=Limits(max_run_findings=50)))
    kept = sum(len(m.findings) for m in bounded.messages)
    assert kept <= 50 + 6  # each message past the cap keeps the one finding that decides its verdict
    assert kept < sum(len(m.findings) for m in whole.messages)
    assert [m.verdict for m in bounded.messages] == [m.verdict for m in whole.messages]
    assert bounded.totals() == whole.totals() and bounded.exit_code == whole.exit_code == 1
    (note,) = bounded.run_findings
    assert note.rule == "SSBT-LIMIT" and "--max-run-findings" in note.message
    assert f"{sum(m.count(Severity.ERROR) for m in whole.messages) - kept:,} findings" in note.message
    assert not whole.run_findings


def test_the_run_findings_limit_is_on_the_command_line(tmp_path: Path):
    for index in range(3):
        (tmp_path / f"bad{index}.xml").write_bytes(_with_bad_attributes(5))
    done = CliRunner().invoke(
        ssbtek_validator.cli.main.main,
        ["check", "--as-of", "2026-11-01", "--format", "json", "--max-run-findings", "6", str(tmp_path)],
    )
    assert done.exit_code == 1, done.output
    report = json.loads(done.output)
    assert sum(len(m["findings"]) for m in report["messages"]) < 15
    assert sum(m["findings_not_kept"] for m in report["messages"]) > 0
    assert any("--max-run-findings" in f["message"] for f in report.get("run_findings", []))


def _payload(message: bytes):
    from lxml import etree

    root = etree.fromstring(message)
    return root, next(e for e in root.iter() if etree.QName(e).localname not in ("Envelope", "Header", "Body"))


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param(b"<ssbt:bad/>" * 3000, id="elements"),
        pytest.param(b"<ssbt:x><ssbt:y/></ssbt:x>" * 1500, id="nested"),
    ],
)
def test_schema_errors_by_prefix_are_the_whole_payloads_first_errors(monkeypatch, inner: bytes):
    """Validated in prefixes (a small step here, to force several), the first errors are exactly those of
    validating the payload whole, and the message is left as it was."""
    from lxml import etree

    from ssbtek_validator.packs.schema_packs import builtin_packs
    from ssbtek_validator.rules import xsd

    schema = builtin_packs()[10].schema()
    for message in (in_request(inner), _with_bad_attributes(3000)):
        root, payload = _payload(message)
        before = etree.tostring(root)
        assert not schema.validate(payload)
        whole = [(e.message, e.line, e.path) for e in islice(schema.error_log, 1001)]
        monkeypatch.setattr(xsd, "_STEP", 700)
        cut = [(e.message, e.line, e.path) for e in xsd.schema_errors(schema, payload, 1001)]
        monkeypatch.setattr(xsd, "_STEP", 50_000)
        assert cut == whole
        assert etree.tostring(root) == before
    _, valid = _payload(REQUEST)
    monkeypatch.setattr(xsd, "_STEP", 5)
    assert xsd.schema_errors(schema, valid, 1001) == []


def test_a_message_with_a_hundred_thousands_schema_errors_stays_small(tmp_path: Path):
    """495,000 disallowed attributes peaked at 669 MB: lxml kept every libxml2 error until validation ended.
    With 150,000 the log alone took ~170 MB; validated by prefixes, only what the findings need is ever logged."""
    source = tmp_path / "errors.xml"
    source.write_bytes(_with_bad_attributes(150_000))
    run = run_cli("--as-of", "2026-11-01", "--format", "json", str(source))
    assert run.exit_code == 1, run.stderr
    (message,) = json.loads(run.stdout)["messages"]
    assert len(message["findings"]) == 1001
    assert "not listed" in message["findings"][-1]["message"]
    assert run.peak_mib < 150, run.peak_mib


def test_the_values_of_an_element_with_many_attributes_are_all_read_for_masking(monkeypatch):
    """Read in XPath chunks past 64 attributes (lxml's values() is quadratic in the count): none lost, in order."""
    from lxml import etree

    from ssbtek_validator.run import secrets

    monkeypatch.setattr(secrets, "_CHUNK", 7)
    # the comment sends the element to the walk (an ordinary element's values are read by one XPath)
    element = etree.fromstring(("<a " + " ".join(f'x{i}="v{i}"' for i in range(100)) + "><!----></a>").encode())
    assert list(secrets.message_values(element)) == [f"v{i}" for i in range(100)]


@pytest.mark.parametrize("name", ["junit", "sarif", "json"])
def test_what_a_report_holds_while_written_does_not_grow_with_the_messages(name: str):
    """JUnit and SARIF were built whole before a byte was written (a tree of every test case, a dict of every
    result): 20,000 messages took 170 MB (JUnit) and 110 MB (SARIF) beside the run. Now each case or result is
    made, written and dropped in turn: writing ten times the messages takes about the same memory."""
    import tracemalloc

    from ssbtek_validator.report import REPORTERS

    class Discard(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    def held_while_writing(count: int) -> int:
        result = _many(count, failing_every=1)
        REPORTERS[name](_many(1, 1), {}, Discard())  # imports and caches filled before measuring
        tracemalloc.start()
        try:
            REPORTERS[name](result, {}, Discard())
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = held_while_writing(300), held_while_writing(3000)
    assert large < small + 1_000_000, (small, large)  # the 3,000-message report is 1-2 MB of text


class _Pieces(io.StringIO):
    """A stream that remembers its largest single write."""

    largest = 0

    def write(self, text: str) -> int:
        self.largest = max(self.largest, len(text))
        return super().write(text)


def _large_run() -> RunResult:
    """4,000 messages with a finding each, exchanges, and run findings: every part a report lists."""
    result = _many(4000, failing_every=1)
    result.run_findings.append(Finding("SSBT-HAR", Severity.INFO, "entries skipped", "capture.har"))
    result.exchanges = [
        ExchangeResult(
            f"capture.har#{i}", f"m{i}.xml", None, "har", [Finding("SSBT-PAIR", Severity.ERROR, "no answer")]
        )
        for i in range(500)
    ]
    return result


@pytest.mark.parametrize("name", ["junit", "sarif", "json"])
def test_the_reports_are_written_a_message_at_a_time(name: str):
    """No reporter hands the stream its whole document (or a list's worth) in one piece."""
    from ssbtek_validator.report import REPORTERS

    stream = _Pieces()
    REPORTERS[name](_large_run(), {}, stream)
    assert len(stream.getvalue()) > 800_000
    assert stream.largest < 128 * 1024, stream.largest  # the SARIF head, with every rule's help, is the largest


def test_the_sarif_report_written_result_by_result_is_the_document_json_would_dump():
    from ssbtek_validator.report import sarif

    for result in (_large_run(), RunResult()):
        stream = io.StringIO()
        sarif.write(result, {}, stream)
        assert stream.getvalue() == json.dumps(sarif.as_dict(result, {}), ensure_ascii=False, indent=2) + "\n"


def test_the_junit_report_written_case_by_case_keeps_every_case_in_order():
    from lxml import etree

    from ssbtek_validator.report import junit

    stream = io.StringIO()
    junit.write(_large_run(), {}, stream)
    suite = etree.fromstring(stream.getvalue().encode()).find("testsuite")
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["<run>", *(f"m{i}.xml" for i in range(4000)), *(f"exchange capture.har#{i}" for i in range(500))]
    assert suite.get("tests") == "4501" and suite[-1].tag == "system-out"
    assert "ssbtek-validator-test-cases" not in stream.getvalue()


def test_the_json_report_is_the_same_with_lines_prepared_during_the_run_or_not():
    result = _large_run()
    prepared = json_report.MessageLines()
    prepared.add(result.messages[:700])
    prepared.add(result.messages[700:])
    with_lines, without = io.StringIO(), io.StringIO()
    json_report.write(result, {}, with_lines, prepared)
    json_report.write(result, {}, without)
    assert with_lines.getvalue() == without.getvalue()
    assert len(json.loads(without.getvalue())["messages"]) == 4000


def test_a_capture_keeps_at_most_max_run_findings_while_its_messages_are_checked(tmp_path: Path, monkeypatch):
    """A HAR capture is one input: its messages' findings were bounded only after its last message, so a
    16 MiB capture of 3,600 messages with 150 schema errors each held 550,000 findings (250 MB) at once."""
    entry = json.dumps({"request": {"postData": {"mimeType": "text/xml", "text": _with_bad_attributes(20).decode()}}})
    capture = tmp_path / "findings.har"
    capture.write_text('{"log":{"entries":[' + ",".join([entry] * 10) + "]}}")
    held: list[int] = []
    real = RunResult.bound_findings

    def bound(self: RunResult, most: int) -> None:
        held.append(sum(len(m.findings) for m in self.messages))
        real(self, most)

    monkeypatch.setattr(RunResult, "bound_findings", bound)
    result = validate_paths([capture], Options(as_of=date(2026, 11, 1), limits=Limits(max_run_findings=30)))
    assert result.findings_not_kept > 150 and len(result.messages) == 10
    assert max(held) <= 30 + 21  # the cap, and the findings of the one message that passed it


@pytest.mark.parametrize(
    ("ahead", "ahead_bytes", "expected"),
    [
        (5, 1 << 20, [5] * 5 + [8] * 3 + [12] * 4),  # turns of five files (the chunks: 8 inputs and 4)
        (32, len(REQUEST) * 3, [3] * 3 + [6] * 3 + [8] * 2 + [11] * 3 + [12]),  # turns bounded by their bytes
        (32, 1, list(range(1, 13))),  # a file as large as the bound is read alone
    ],
)
def test_a_batch_reads_its_inputs_a_few_at_a_time(tmp_path: Path, monkeypatch, ahead, ahead_bytes, expected):
    """A chunk of the batch (up to 256 inputs of up to 16 MiB each) was read whole before its first input
    was validated. Its files are read in turns (reading.inputs.read_in_turns), of at most READ_AHEAD files and
    READ_AHEAD_BYTES beside the last one read, before the first of the turn is validated."""
    from ssbtek_validator.reading import inputs
    from ssbtek_validator.run import driver
    from ssbtek_validator.run.executor import validate_batch

    for index in range(12):
        (tmp_path / f"m{index:02}.xml").write_bytes(REQUEST)
    read, validating = [0], []
    real_read, real_validate = inputs.read_file, driver.validate_message

    def counted_read(*args, **kwargs):
        read[0] += 1
        return real_read(*args, **kwargs)

    def counted_validate(*args, **kwargs):
        validating.append(read[0])
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(inputs, "read_file", counted_read)  # a chunk reads the files expand found itself
    monkeypatch.setattr(inputs, "READ_AHEAD", ahead)
    monkeypatch.setattr(inputs, "READ_AHEAD_BYTES", ahead_bytes)
    monkeypatch.setattr(driver, "validate_message", counted_validate)
    result = validate_batch([tmp_path], Options(as_of=date(2026, 11, 1))).result
    assert result.exit_code == 0 and len(result.messages) == 12
    assert validating == expected
