"""Readable text: ``file:line:col: severity RULE message`` per finding, a verdict per message, a summary.

The finding line follows the compiler convention that editors and CI log viewers turn into links.
"""

from __future__ import annotations

from typing import TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, RunResult, Severity, Verdict
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


def finding_line(finding: Finding) -> str:
    text = f"{location(finding)}: {finding.severity} {finding.rule} {finding.message}"
    if finding.path:
        text += f" [at {finding.path}]"
    if finding.value is not None:
        text += f" (value: {finding.value!r})"
    return text


def message_line(message: MessageResult, verbose: bool = False) -> str:
    """One line per message. A conforming one says only its version (``file: conforms (v10)``) unless
    ``verbose``: the detection reason matters when something is wrong, and is noise on every line otherwise."""
    detection = message.detection
    if message.verdict is Verdict.CONFORMS and not verbose:
        version = f" (v{detection.version})" if detection.version else ""
        return f"{line_start(message.file)}: {message.verdict}{version}"
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
    return f"{line_start(message.file)}: {message.verdict} ({described}{reason}{dated})"


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


def summary_line(result: RunResult) -> str:
    """The run in one line; its error and warning counts include what the exchange rules found, so a
    run where only an exchange fails does not read "0 errors → nonconformant"."""
    messages = [m for m in result.messages if not _not_read(m)]
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
    failed = {v: sum(e.verdict is v for e in result.exchanges) for v in (Verdict.NONCONFORMANT, Verdict.INCOMPLETE)}
    for verdict, count in failed.items():
        if count:
            parts.append(f"{plural(count, 'exchange')} {verdict}")
    parts.append(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}")
    return "; ".join(parts) + f" → {result.verdict} (exit {result.exit_code})"


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO, detail: str = "normal") -> None:
    """``detail``: ``quiet`` writes only the summary line; ``verbose`` also says how conforming messages
    were identified."""
    if detail == "quiet":
        stream.write(summary_line(result) + "\n")
        return
    verbose = detail == "verbose"
    for finding in result.run_findings:
        stream.write(finding_line(finding) + "\n")
    for message in result.messages:
        for finding in message.findings:
            stream.write(finding_line(finding) + "\n")
        stream.write(message_line(message, verbose) + "\n")
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
    stream.write(summary_line(result) + "\n")
