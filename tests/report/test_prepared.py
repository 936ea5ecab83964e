"""Report parts made while the batch runs (PreparedMessages) are the parts a report written afterwards has;
the run's totals, counted in one pass, are the counts of the plain definitions."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.cli.main import main
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.report import REPORTERS, PreparedMessages, json_report, text
from ssbtek_validator.report.outputs import Output, prepare
from ssbtek_validator.results.model import (
    ExchangeResult,
    Finding,
    MessageResult,
    RunResult,
    Severity,
    Verdict,
)
from ssbtek_validator.run.driver import Options, validate_paths

from ..conftest import CORPUS
from ..run.test_batch import findings, message_results

FOLDERS = ("v10", "misc", "har", "pairs", "v11")


@pytest.mark.parametrize(
    ("report_format", "detail"), [("text", "normal"), ("text", "verbose"), ("junit", "normal"), ("github", "normal")]
)
def test_a_report_prepared_during_the_run_is_the_report_written_after_it(tmp_path, monkeypatch, report_format, detail):
    """With --jobs 1 and 2, with captures, pairs, a missing input, and the run's findings bound changing
    messages as they arrive (--max-run-findings): byte for byte the report of the finished run.
    (JSON: tests/run/test_batch.py.)"""
    monkeypatch.chdir(tmp_path)  # no pyproject.toml configuration here
    arguments = [*(str(CORPUS / folder) for folder in FOLDERS), str(tmp_path / "missing.xml")]
    flags = ["--as-of", "2026-11-01", "--pairs", "--max-run-findings", "40", "--format", report_format]
    flags += ["--verbose"] if detail == "verbose" else []
    written = {}
    for jobs in (1, 2):
        done = CliRunner().invoke(main, [*flags, "--jobs", str(jobs), *arguments])
        assert done.exit_code == 3, done.output
        written[jobs] = done.output
    options = replace(Options(as_of=date(2026, 11, 1)), pairs=True)
    options = replace(options, limits=replace(options.limits, max_run_findings=40))
    after = io.StringIO()
    writer = partial(text.write, detail=detail) if report_format == "text" else REPORTERS[report_format]
    writer(validate_paths(arguments, options), builtin_packs(), after)
    assert written[1] == written[2] == after.getvalue()
    assert "findings were counted but not kept" in after.getvalue()  # the bound did change messages
    assert prepare([Output(report_format)], detail)  # and the run did prepare this report


def test_a_prepared_text_report_is_copied_not_rendered_again(monkeypatch):
    """The point of preparing: once every message has its block, writing the report renders none."""
    result = validate_paths([CORPUS / "v10"], Options(as_of=date(2026, 11, 1)))
    prepared = text.MessageBlocks()
    prepared.add(result.messages[:5])
    prepared.add(result.messages[5:])
    rendered = []
    real = text.message_block
    monkeypatch.setattr(text, "message_block", lambda *args, **kwargs: rendered.append(args) or real(*args, **kwargs))
    with_blocks, without = io.StringIO(), io.StringIO()
    text.write(result, {}, with_blocks, prepared=prepared)
    assert rendered == []
    text.write(result, {}, without)
    assert len(rendered) == len(result.messages)
    assert with_blocks.getvalue() == without.getvalue()
    # made with another detail, or for other messages: not used
    text.write(result, {}, io.StringIO(), "verbose", prepared=prepared)
    assert len(rendered) == 2 * len(result.messages)


def test_prepared_parts_stay_in_memory_until_large_then_go_to_a_file(monkeypatch):
    """A small run never opens (nor imports) a temporary file; a large one holds no more than SPILL."""
    result = validate_paths([CORPUS / "v10"], Options(as_of=date(2026, 11, 1)))
    small = json_report.MessageLines()
    small.add(result.messages)
    assert small._file is None
    monkeypatch.setattr(PreparedMessages, "SPILL", 2000)
    large = json_report.MessageLines()
    for message in result.messages:
        large.add([message])
    assert large._file is not None and large._held == []
    first, second = io.StringIO(), io.StringIO()
    json_report.write(result, {}, first, small)
    json_report.write(result, {}, second, large)
    assert first.getvalue() == second.getvalue()


def plain_tally(judged) -> dict[str, int]:
    """The definition: every item's verdict, every finding's severity, plus what each counted but did not keep."""
    return {
        "conforms": sum(item.verdict is Verdict.CONFORMS for item in judged),
        "nonconformant": sum(item.verdict is Verdict.NONCONFORMANT for item in judged),
        "incomplete": sum(item.verdict is Verdict.INCOMPLETE for item in judged),
        "errors": sum(item.count(Severity.ERROR) for item in judged),
        "warnings": sum(item.count(Severity.WARNING) for item in judged),
        "infos": sum(item.count(Severity.INFO) for item in judged),
    }


def plain_summary_line(result: RunResult) -> str:
    """The summary line as it was written before it was counted from the run's totals."""
    from ssbtek_validator.results.wording import plural

    messages = [m for m in result.messages if not text._not_read(m)]
    unread = len(result.messages) - len(messages)
    judged = [*result.messages, *result.exchanges]
    errors = sum(item.count(Severity.ERROR) for item in judged)
    warnings = sum(item.count(Severity.WARNING) for item in judged)
    verdicts = [m.verdict for m in messages]
    parts = [
        f"{plural(len(messages), 'message')}: {verdicts.count(Verdict.CONFORMS)} conform, "
        f"{verdicts.count(Verdict.NONCONFORMANT)} nonconformant, {verdicts.count(Verdict.INCOMPLETE)} incomplete"
    ]
    if unread:
        parts.append(f"{plural(unread, 'input')} not read")
    for verdict in (Verdict.NONCONFORMANT, Verdict.INCOMPLETE):
        count = sum(e.verdict is verdict for e in result.exchanges)
        if count:
            parts.append(f"{plural(count, 'exchange')} {verdict}")
    parts.append(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}")
    return "; ".join(parts) + f" → {result.verdict} (exit {result.exit_code})"


_severity_counts = st.dictionaries(st.sampled_from([s.value for s in Severity]), st.integers(0, 3), max_size=3)
_read_problems = st.builds(
    MessageResult,
    file=st.just("gone.xml"),
    findings=st.lists(findings.map(lambda f: replace(f, rule="SSBT-READ")), min_size=1, max_size=2),
)
_exchanges = st.builds(ExchangeResult, name=st.text(max_size=5), findings=st.lists(findings, max_size=3))


@given(
    st.lists(message_results | _read_problems, max_size=8),
    st.lists(_severity_counts, max_size=8),
    st.lists(_exchanges, max_size=3),
)
def test_totals_and_the_summary_line_count_what_the_plain_definitions_count(messages, not_kept, exchanges):
    for message, counts in zip(messages, not_kept, strict=False):  # findings counted, not kept
        message.not_kept = counts
    result = RunResult(messages=messages, exchanges=exchanges, run_findings=[Finding("SSBT-X", Severity.INFO, "x")])
    assert result.totals() == {"messages": len(messages), **plain_tally(messages)}
    exchange_totals = plain_tally(exchanges)
    del exchange_totals["infos"]
    assert result.exchange_totals() == {"exchanges": len(exchanges), **exchange_totals}
    assert text.summary_line(result) == plain_summary_line(result)


class _Marked(PreparedMessages):
    """Stands for the prepared part of any report: writes a mark instead of the messages."""

    __slots__ = ()
    verbose = False  # as the text report's blocks say how they were made

    def copy_to(self, stream) -> None:
        stream.write("<<prepared>>")


@pytest.mark.parametrize("report_format", ["text", "json", "junit", "github"])
def test_a_report_with_its_messages_prepared_does_not_render_them_again(report_format):
    result = validate_paths([CORPUS / "v10"], Options(as_of=date(2026, 11, 1)))
    assert report_format in prepare([Output(report_format)])
    name = Path(next(m for m in result.messages if m.findings).file).name  # in every report
    marked = _Marked(str)
    marked.add(result.messages)
    out = io.StringIO()
    REPORTERS[report_format](result, builtin_packs(), out, prepared=marked)
    assert "<<prepared>>" in out.getvalue()
    assert name not in out.getvalue()
    fewer = _Marked(str)
    fewer.add(result.messages[1:])  # not one per message: rendered, not copied
    out = io.StringIO()
    REPORTERS[report_format](result, builtin_packs(), out, prepared=fewer)
    assert "<<prepared>>" not in out.getvalue() and name in out.getvalue()


@given(message_results, st.booleans())
def test_a_message_without_findings_gets_its_verdict_line_without_being_asked(message, verbose):
    """Most blocks of a batch are a conforming message's one line: made without asking the verdict (and
    formatting the enum), the same line message_line writes."""
    message = replace(message, findings=[])
    assert text.message_block(message, verbose) == text.message_line(message, verbose) + "\n"


def test_a_conforming_block_does_not_ask_the_verdict(monkeypatch):
    from ssbtek_validator.results import model

    asked = []
    monkeypatch.setattr(model._Judged, "verdict", property(lambda self: asked.append(self) or Verdict.CONFORMS))
    assert text.message_block(MessageResult("::x.xml")) == "./::x.xml: conforms\n"
    assert asked == []


def _message_line_long_way(message: MessageResult, verbose: bool = False) -> str:
    """message_line as first written: the detection described again for every line."""
    detection, verdict = message.detection, message.verdict
    if verdict is Verdict.CONFORMS and not verbose:
        return text._conforms_line(message)
    what = []
    if detection.version is not None:
        what.append(f"v{detection.version}")
    if detection.pack_id:
        what.append(f"pack {detection.pack_id} [{detection.pack_status}]")
    if detection.operation or detection.direction:
        what.append(" ".join(x for x in (detection.operation, detection.direction) if x))
    described = ", ".join(what) or "not identified"
    reason = f"; {detection.reason}" if detection.reason else ""
    dated = f"; dated {message.message_date} ({message.message_date_source})" if message.message_date else ""
    return f"{text.line_start(message.file)}: {verdict} ({described}{reason}{dated})"


@given(st.lists(message_results, min_size=1, max_size=4), st.booleans(), st.booleans())
def test_a_message_line_is_the_long_way_s_with_its_detection_described_once(messages, verbose, shared):
    """Lines of messages with their own detections, or sharing one (as the messages of one route do), and the
    same detection again after the table was emptied: the line message_line wrote before it kept descriptions."""
    if shared:
        messages = [replace(message, detection=messages[0].detection) for message in messages]
    for message in messages:
        assert text.message_line(message, verbose) == _message_line_long_way(message, verbose)
    text._DESCRIBED.clear()
    assert text.message_line(messages[0], verbose) == _message_line_long_way(messages[0], verbose)


def test_the_messages_of_one_route_have_their_detection_described_once(monkeypatch):
    """The job of _described: one description per detection, however many messages' lines name it; a detection
    equal to it but another object (another route's, or one made anew) is described apart."""
    described = []
    real = text._describe
    monkeypatch.setattr(text, "_describe", lambda detection: described.append(detection) or real(detection))
    monkeypatch.setattr(text, "_DESCRIBED", {})
    failing = [Finding("SSBT-X", Severity.ERROR, "x")]
    first = MessageResult("a.xml", findings=failing, message_date="2026-11-01", message_date_source="--as-of")
    lines = [text.message_line(replace(first, file=f"{index}.xml")) for index in range(5)]
    assert len(described) == 1 and lines[4].startswith("4.xml: nonconformant (not identified; dated 2026-11-01")
    text.message_line(replace(first, detection=replace(first.detection)))
    assert len(described) == 2
