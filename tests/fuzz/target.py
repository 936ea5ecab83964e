"""The property every input must satisfy: a result, never an exception, and a printable one."""

from __future__ import annotations

import io

import validator
from validator.findings import Verdict
from validator.report import REPORTERS


def check_reader(data: bytes, reports: bool = True) -> None:
    """``validator.validate(bytes)``, then every reporter on its result; raises AssertionError on a breach."""
    result = validator.validate(data)
    assert result.exit_code in (0, 1, 3), result.exit_code
    [message] = result.messages
    assert message.verdict in tuple(Verdict)
    for finding in message.findings:
        assert finding.message and finding.message.isprintable(), finding
        assert finding.path.isprintable(), finding
    if not reports:
        return
    packs = validator.builtin_packs()
    for write in REPORTERS.values():
        write(result, packs, io.StringIO())
