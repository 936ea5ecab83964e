"""The property every input must satisfy: a result, never an exception, and a printable one."""

from __future__ import annotations

import io

import ssbtek_validator
from ssbtek_validator.report import REPORTERS
from ssbtek_validator.results.model import Verdict


def check_reader(data: bytes, reports: bool = True) -> None:
    """``ssbtek_validator.validate(bytes)``, then every reporter on its result; raises AssertionError on a breach."""
    result = ssbtek_validator.validate(data)
    assert result.exit_code in (0, 1, 3), result.exit_code
    assert result.messages, "every input is reported"
    findings = [f for m in result.messages for f in m.findings] + [f for e in result.exchanges for f in e.findings]
    for message in result.messages:
        assert message.verdict in tuple(Verdict) and message.file.isprintable(), message.file
    for finding in findings + result.run_findings:
        # a rule (or the reader) that raised is caught and reported, but it is a bug all the same
        assert finding.rule != "SSBT-RULE-FAILED", finding
        assert finding.message and finding.message.isprintable(), finding
        assert finding.path.isprintable(), finding
    if not reports:
        return
    packs = ssbtek_validator.builtin_packs()
    for write in REPORTERS.values():
        write(result, packs, io.StringIO())
