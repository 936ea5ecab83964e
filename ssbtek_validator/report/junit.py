"""JUnit XML: one test case per message (and per exchange), so a CI test tab lists every capture.

A nonconformant message is a ``failure`` (the message is wrong), an incomplete one an ``error``
(it could not be checked): the same split CI systems make between a failed assertion and a broken
test. Warnings and infos go to ``system-out`` so they are visible without failing the case. Run
findings, if any, get a case of their own. Valid against the Jenkins junit-10.xsd (see tests).
"""

from __future__ import annotations

import re
from typing import TextIO

from lxml import etree

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report import PreparedMessages, write_messages
from ssbtek_validator.report.text import exchange_summary_line, finding_line, summary_line
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import (
    INCOMPLETE_RULES,
    ExchangeResult,
    Finding,
    MessageResult,
    Origin,
    RunResult,
    Severity,
    Verdict,
)

#: Characters XML 1.0 cannot carry at all, not even escaped (a file name or a scrubbed library message may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _classname(message: MessageResult) -> str:
    detection = message.detection
    parts = ["ssbtek", f"v{detection.version}" if detection.version is not None else "unknown"]
    parts += [x for x in (detection.operation, detection.direction) if x]
    return ".".join(parts)


def _outcome(parent: etree._Element, findings: list[Finding], incomplete: bool, origin: Origin | None = None) -> None:
    """``origin``: the capture a message was read out of; its findings are placed in it, as in the text report."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    others = [f for f in findings if f.severity is not Severity.ERROR]
    if errors:
        blocking = [f for f in errors if f.rule in INCOMPLETE_RULES] if incomplete else errors
        first = blocking[0] if blocking else errors[0]
        tag = "error" if incomplete else "failure"
        noun = "finding" if len(errors) == 1 else "findings"
        summary = _safe(f"{len(errors)} error {noun}; first: {first.rule} {first.message}")
        outcome = etree.SubElement(parent, tag, message=summary, type=first.rule)
        outcome.text = _safe("\n".join(finding_line(f, origin) for f in errors))
    if others:
        etree.SubElement(parent, "system-out").text = _safe("\n".join(finding_line(f, origin) for f in others))


#: where the test cases go in the suite's skeleton: an element no report contains (its text is escaped)
_HOLE = "ssbtek-validator-test-cases"


def _skeleton(result: RunResult, packs: dict[int, Pack]) -> etree._Element:
    """The suite without the cases of messages and exchanges: counts, properties, the run's case, the summary;
    an empty ``_HOLE`` element stands where the other cases go."""
    totals = result.totals()
    exchange_totals = result.exchange_totals()
    failures = totals["nonconformant"] + exchange_totals["nonconformant"]
    errors = totals["incomplete"] + exchange_totals["incomplete"]
    cases = len(result.messages) + len(result.exchanges)
    run_errors = [f for f in result.run_findings if f.severity is Severity.ERROR]
    if result.run_findings:
        cases += 1
        if run_errors:
            incomplete = any(f.rule in INCOMPLETE_RULES for f in run_errors)
            errors += incomplete
            failures += not incomplete
    root = etree.Element("testsuites", name="ssbtek-validator", tests=str(cases), failures=str(failures))
    root.set("errors", str(errors))
    suite = etree.SubElement(
        root, "testsuite", name="ssbtek-validate", tests=str(cases), failures=str(failures), errors=str(errors)
    )
    suite.set("skipped", "0")
    properties = etree.SubElement(suite, "properties")
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    for name, value in (
        ("tool", f"ssbtek-validator {__version__}"),
        ("verdict", str(result.verdict)),
        ("exit_code", str(result.exit_code)),
        ("values", values_notice(result.show_values)),
        *((f"pack.{p.id}", p.status) for p in packs.values() if p.id in used),
    ):
        etree.SubElement(properties, "property", name=name, value=value)
    if result.run_findings:
        case = etree.SubElement(suite, "testcase", name="<run>", classname="ssbtek.run")
        _outcome(case, result.run_findings, any(f.rule in INCOMPLETE_RULES for f in run_errors))
    etree.SubElement(suite, _HOLE)
    summary = summary_line(result)
    if result.exchanges:
        summary = f"{exchange_summary_line(result)}\n{summary}"
    etree.SubElement(suite, "system-out").text = _safe(summary)
    return root


def _message_case(message: MessageResult) -> etree._Element:
    case = etree.Element("testcase", name=_safe(message.file), classname=_safe(_classname(message)))
    _outcome(case, message.findings, message.verdict is Verdict.INCOMPLETE, message.origin)
    return case


def _exchange_case(exchange: ExchangeResult) -> etree._Element:
    classname = f"ssbtek.exchange.{exchange.paired_by or 'pair'}"
    case = etree.Element("testcase", name=_safe(f"exchange {exchange.name}"), classname=classname)
    _outcome(case, exchange.findings, exchange.verdict is Verdict.INCOMPLETE)
    return case


def _case_text(case: etree._Element) -> str:
    etree.indent(case, level=2)  # as pretty_print indents a case two levels into the document
    return "    " + etree.tostring(case, encoding="unicode") + "\n"


def _message_text(message: MessageResult) -> str:
    return _case_text(_message_case(message))


class MessageCases(PreparedMessages):
    """Each message's test case, serialised as its chunk of the batch arrives (see PreparedMessages)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_message_text)


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO, prepared: MessageCases | None = None) -> None:
    """Case by case: the skeleton is serialised once, and each message's or exchange's case is built,
    written and dropped in turn. The whole tree of a 20,000-message run, and its text, took 170 MB.
    ``prepared``: the messages' cases serialised during the run; used when there is one per message."""
    head, hole, tail = etree.tostring(_skeleton(result, packs), encoding="unicode", pretty_print=True).partition(
        f"    <{_HOLE}/>\n"
    )
    if not hole:  # not an assert: a report must never come out without its cases
        raise RuntimeError("the report's skeleton lost its place for the cases")
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(head)
    write_messages(stream, result, prepared, _message_text)
    for exchange in result.exchanges:
        stream.write(_case_text(_exchange_case(exchange)))
    stream.write(tail)
