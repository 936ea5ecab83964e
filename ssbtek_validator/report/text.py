"""Readable text: ``file:line:col: severity RULE message`` per finding, a verdict per message, a summary.

The finding line follows the compiler convention that editors and CI log viewers turn into links.
"""

from __future__ import annotations

from functools import partial
from typing import TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report import PreparedMessages, write_messages
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import (
    EXIT_CODES,
    Detection,
    ExchangeResult,
    Finding,
    MessageResult,
    Origin,
    RunResult,
    Verdict,
)
from ssbtek_validator.results.safe_text import line_start
from ssbtek_validator.results.wording import plural

#: the finding that says an input (a missing file, an empty folder) could not be read at all
READ_RULE = "SSBT-READ"


def location(finding: Finding) -> str:
    parts = [line_start(finding.file) or "<run>"]
    if finding.line:
        parts.append(str(finding.line))
        if finding.column:
            parts.append(str(finding.column))
    return ":".join(parts)


def captured_location(finding: Finding, origin: Origin | None) -> str | None:
    """``capture.http:25:11``: where a finding of a message read out of a capture lies in the capture, when its
    body is the capture's bytes as written or the finding is about the HTTP head (``capture.http:3``); None
    otherwise (its line then counts from the body, as JSON's does). ``capture.http#1 request:16:11`` names no
    file an editor or a CI log can open; this names one."""
    if origin is None or not finding.file:
        return None
    line, column = origin.locate(finding)
    if not line:
        return None
    return f"{line_start(origin.file)}:{line}" + (f":{column}" if column else "")


def finding_line(finding: Finding, origin: Origin | None = None) -> str:
    """``origin``: the capture the finding's message was read out of. Where its line is known the finding is placed
    there, and its text names the message (as a GitHub annotation's does)."""
    at = captured_location(finding, origin)
    if at is None:
        text = f"{location(finding)}: {finding.severity} {finding.rule} {finding.message}"
    else:
        text = f"{at}: {finding.severity} {finding.rule} {finding.file}: {finding.message}"
    if finding.path:
        text += f" [at {finding.path}]"
    if finding.value is not None:
        text += f" (value: {finding.value!r})"
    return text


def message_line(message: MessageResult, verbose: bool = False) -> str:
    """One line per message. A conforming one says only its version (``file: conforms (v10)``) unless
    ``verbose``: the detection reason matters when something is wrong, and is noise on every line otherwise."""
    verdict = message.verdict
    if verdict is Verdict.CONFORMS and not verbose:
        return _conforms_line(message)
    dated = f"; dated {message.message_date} ({message.message_date_source})" if message.message_date else ""
    return f"{line_start(message.file)}: {verdict} ({_described(message.detection)}{dated})"


#: id of a Detection -> (that detection, what a message line says of it); see _described
_DESCRIBED: dict[int, tuple[Detection, str]] = {}
#: detections a process describes: one per route a batch meets (a handful); messages without a payload each
#: have their own, and empty the table now and then
_MOST_DESCRIBED = 64


def _described(detection: Detection) -> str:
    """What a message's line says of its detection (``v10, pack ssbt-v10 [published], hamtaBastjanstInformation
    answer; namespace … → pack ssbt-v10``), worked out once per detection: the messages of one route share their
    Detection (packs.schema_packs.detect), and the line of each nonconforming message built it again (~1 µs of
    its ~1.8, warm: ~0.4 µs a message of the mixed batch). Keyed by identity and kept with its detection, as
    run/driver.py's kind plans are: hashing the frozen detection's six fields would cost what the lookup saves."""
    entry = _DESCRIBED.get(id(detection))
    if entry is not None and entry[0] is detection:
        return entry[1]
    described = _describe(detection)
    if len(_DESCRIBED) >= _MOST_DESCRIBED:
        _DESCRIBED.clear()
    _DESCRIBED[id(detection)] = (detection, described)
    return described


def _describe(detection: Detection) -> str:
    """See :func:`_described`."""
    what = []
    if detection.version is not None:
        what.append(f"v{detection.version}")
    if detection.pack_id:
        what.append(f"pack {detection.pack_id} [{detection.pack_status}]")
    if detection.operation or detection.direction:
        what.append(" ".join(x for x in (detection.operation, detection.direction) if x))
    return (", ".join(what) or "not identified") + (f"; {detection.reason}" if detection.reason else "")


def _conforms_line(message: MessageResult) -> str:
    """A conforming message's line: ``file: conforms (v10)``."""
    version = f" (v{message.detection.version})" if message.detection.version else ""
    return f"{line_start(message.file)}: {Verdict.CONFORMS.value}{version}"


def exchange_line(exchange: ExchangeResult) -> str:
    sides = f"{exchange.request or '(no request)'} ↔ {exchange.answer or '(no answer)'}"
    parts = [sides] if sides != exchange.name else []
    if exchange.paired_by:
        parts.append(f"paired by {exchange.paired_by}")
    return f"exchange {exchange.name}: {exchange.verdict}" + (f" ({', '.join(parts)})" if parts else "")


def exchange_summary_line(result: RunResult) -> str:
    totals = result.exchange_totals()
    return (
        f"{plural(totals['exchanges'], 'exchange')}: {totals['conforms']} conform, "
        f"{totals['nonconformant']} nonconformant, {totals['incomplete']} incomplete; "
        f"{plural(totals['errors'], 'error')}, {plural(totals['warnings'], 'warning')}"
    )


def notice_line(result: RunResult) -> str:
    """Said in every report: whether values are masked, and how to show them."""
    return f"note: {values_notice(result.show_values)}"


def _not_read(message: MessageResult) -> bool:
    """An input that gave no message at all (no such file, a folder with nothing to read): counted apart,
    so an empty folder is "0 messages" and not one message that failed."""
    return message.detection.version is None and any(f.rule == READ_RULE for f in message.findings)


def summary_line(result: RunResult, verdict: Verdict | None = None) -> str:
    """The run in one line; its error and warning counts include what the exchange rules found, so a
    run where only an exchange fails does not read "0 errors → nonconformant". Counted by the run's
    totals (one pass over the messages: this line ends every report, written after the last message, and
    with --jobs that is time no worker shares), its verdict asked once for the verdict and the exit code,
    and only messages with findings asked whether they were read (an input not read has one). ``verdict``: the
    run's, when the caller has asked for it already."""
    totals, exchanges = result.totals(), result.exchange_totals()
    unread = [m for m in result.messages if m.findings and _not_read(m)]
    for message in unread:  # counted apart from the messages
        totals[message.verdict.value] -= 1
    messages = len(result.messages) - len(unread)
    parts = [
        f"{plural(messages, 'message')}: {totals['conforms']} conform, "
        f"{totals['nonconformant']} nonconformant, {totals['incomplete']} incomplete"
    ]
    if unread:
        parts.append(f"{plural(len(unread), 'input')} not read")
    for failed in (Verdict.NONCONFORMANT, Verdict.INCOMPLETE):
        if exchanges[failed.value]:
            parts.append(f"{plural(exchanges[failed.value], 'exchange')} {failed}")
    errors, warnings = totals["errors"] + exchanges["errors"], totals["warnings"] + exchanges["warnings"]
    parts.append(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}")
    verdict = result.verdict if verdict is None else verdict
    return "; ".join(parts) + f" → {verdict} (exit {EXIT_CODES[verdict]})"


def message_block(message: MessageResult, verbose: bool = False) -> str:
    """A message's part of the report: its findings' lines, then its verdict line."""
    if not message.findings:  # most messages of a batch: no list to build and join
        # and no verdict to ask: without findings a message conforms (its verdict is read from its findings
        # alone), and asking, then formatting the enum, was ~0.5 µs of the ~0.75 µs of its block
        return (message_line(message, verbose) if verbose else _conforms_line(message)) + "\n"
    origin = message.origin
    lines = [finding_line(finding, origin) for finding in message.findings]
    lines.append(message_line(message, verbose))
    return "\n".join(lines) + "\n"


class MessageBlocks(PreparedMessages):
    """Each message's part of the text report, made as its chunk of the batch arrives (see PreparedMessages)."""

    __slots__ = ("verbose",)

    def __init__(self, detail: str = "normal") -> None:
        self.verbose = detail == "verbose"
        super().__init__(partial(message_block, verbose=self.verbose))


def write(
    result: RunResult,
    packs: dict[int, Pack],
    stream: TextIO,
    detail: str = "normal",
    prepared: MessageBlocks | None = None,
    summary: str | None = None,
) -> None:
    """``detail``: ``quiet`` writes only the summary line; ``verbose`` also says how conforming messages
    were identified. ``prepared``: the messages' parts made during the run, used when there is one per
    message and they were made with the same detail. ``summary``: the run's summary line, when the caller
    has made it already (the command says it on stderr too: cli/running.py)."""
    summary = summary_line(result) if summary is None else summary
    if detail == "quiet":
        stream.write(summary + "\n")
        return
    verbose = detail == "verbose"
    for finding in result.run_findings:
        stream.write(finding_line(finding) + "\n")
    same_detail = prepared if prepared is not None and prepared.verbose == verbose else None
    write_messages(stream, result, same_detail, partial(message_block, verbose=verbose))
    for exchange in result.exchanges:
        for finding in exchange.findings:
            stream.write(finding_line(finding) + "\n")
        stream.write(exchange_line(exchange) + "\n")
    # the packs of the messages, looked up by version: the others need not be read (BuiltinPacks)
    used = {m.detection.pack_id: m.detection.version for m in result.messages if m.detection.pack_id}
    statuses = {pid: packs[v].status for pid, v in used.items() if v in packs and packs[v].id == pid}
    if used:
        stream.write("packs: " + ", ".join(f"{pid} [{statuses.get(pid, '?')}]" for pid in sorted(used)) + "\n")
    stream.write(notice_line(result) + "\n")
    if result.exchanges:
        stream.write(exchange_summary_line(result) + "\n")
    stream.write(summary + "\n")
