"""GitHub Actions workflow commands: each finding becomes an annotation on the file and line.

``::error file=…,line=…,col=…,title=…::message`` lines printed by a step are turned by the runner
into annotations on the pull request. Values are escaped as the runner requires (``%``, CR, LF
everywhere; ``:`` and ``,`` also in properties), so a message cannot end the command early or
inject another one. The last line is the plain summary. GitHub shows a limited number of
annotations per step; the SARIF upload has no such limit.
"""

from __future__ import annotations

from typing import TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report import PreparedMessages, write_messages
from ssbtek_validator.report.locations import display_path, is_real_file, place
from ssbtek_validator.report.text import exchange_summary_line, notice_line, summary_line
from ssbtek_validator.results.model import Finding, MessageResult, Origin, RunResult, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, origin: Origin | None = None) -> str:
    """``origin``: the capture the finding's message was read out of (see locations.place)."""
    file, line, column = place(finding, origin)
    properties = []
    if is_real_file(file):
        properties.append(("file", display_path(file)))
        if line:
            properties.append(("line", str(line)))
            if column:
                properties.append(("col", str(column)))
    properties.append(("title", finding.rule))
    text = finding.message
    if finding.path:
        text += f" [at {finding.path}]"
    if finding.value is not None:
        text += f" (value: {finding.value!r})"
    if file != finding.file:  # a message of a capture: the annotation is on the capture, the text names the message
        text = f"{display_path(finding.file)}: {text}"
    elif not is_real_file(file) and file:
        text = f"{finding.file}: {text}"
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {joined}::{escape_data(text)}"


def annotations(message: MessageResult) -> str:
    """A message's findings, an annotation line each."""
    return "".join(annotation(finding, message.origin) + "\n" for finding in message.findings)


class MessageAnnotations(PreparedMessages):
    """Each message's annotation lines, made as its chunk of the batch arrives (see PreparedMessages)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(annotations)


def write(
    result: RunResult, packs: dict[int, Pack], stream: TextIO, prepared: MessageAnnotations | None = None
) -> None:
    """``prepared``: the messages' annotations made during the run; used when there is one piece per message."""
    for finding in result.run_findings:
        stream.write(annotation(finding) + "\n")
    write_messages(stream, result, prepared, annotations)
    for exchange in result.exchanges:
        for finding in exchange.findings:
            stream.write(annotation(finding, exchange.origin) + "\n")
    stream.write(notice_line(result) + "\n")  # a plain line, not an annotation on every run
    if result.exchanges:
        stream.write(exchange_summary_line(result) + "\n")
    stream.write(summary_line(result) + "\n")
