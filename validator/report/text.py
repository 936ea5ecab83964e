"""Readable text: ``file:line:col: severity RULE message`` per finding, a verdict per message, a summary.

The finding line follows the compiler convention that editors and CI log viewers turn into links.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import ExchangeResult, Finding, MessageResult, RunResult
from ..masking import values_notice
from ..packs import Pack
from ..safe_text import line_start


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


def message_line(message: MessageResult) -> str:
    detection = message.detection
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
        f"{totals['exchanges']} exchanges: {totals['conforms']} conform, {totals['nonconformant']} nonconformant, "
        f"{totals['incomplete']} incomplete; {totals['errors']} errors, {totals['warnings']} warnings"
    )


def notice_line(result: RunResult) -> str:
    """Said in every report: whether values are masked, and how to show them."""
    return f"note: {values_notice(result.show_values)}"


def summary_line(result: RunResult) -> str:
    totals = result.totals()
    return (
        f"{totals['messages']} messages: {totals['conforms']} conform, {totals['nonconformant']} nonconformant, "
        f"{totals['incomplete']} incomplete; {totals['errors']} errors, {totals['warnings']} warnings "
        f"→ {result.verdict} (exit {result.exit_code})"
    )


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO) -> None:
    for finding in result.run_findings:
        stream.write(finding_line(finding) + "\n")
    for message in result.messages:
        for finding in message.findings:
            stream.write(finding_line(finding) + "\n")
        stream.write(message_line(message) + "\n")
    for exchange in result.exchanges:
        for finding in exchange.findings:
            stream.write(finding_line(finding) + "\n")
        stream.write(exchange_line(exchange) + "\n")
    used = sorted({m.detection.pack_id for m in result.messages if m.detection.pack_id})
    statuses = {p.id: p.status for p in packs.values()}
    if used:
        stream.write("packs: " + ", ".join(f"{pid} [{statuses.get(pid, '?')}]" for pid in used) + "\n")
    stream.write(notice_line(result) + "\n")
    if result.exchanges:
        stream.write(exchange_summary_line(result) + "\n")
    stream.write(summary_line(result) + "\n")
