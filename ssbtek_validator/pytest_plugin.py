"""pytest plugin (entry point ``pytest11``): check SSBTEK messages in a vendor's own test suite.

    def test_our_answer_conforms(assert_conforms):
        assert_conforms(build_answer(...))          # bytes, str, a path, or a generated Document

    from hypothesis import given
    from ssbtek_validator.strategies import messages

    @given(messages(version=10, direction="answer"))
    def test_we_read_every_valid_answer(document):
        our_reader.read(document.xml)

The ``ssbtek_strategies`` fixture hands the strategies module to tests that prefer fixtures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from ssbtek_validator.results.model import MessageResult, Severity


def _check(
    message,
    *,
    version: int | None = None,
    schemas: str | Path | None = None,
    as_of: date | None = None,
    strict: bool = False,
) -> MessageResult:
    from ssbtek_validator import validate
    from ssbtek_validator.report.text import captured_location, location

    if hasattr(message, "xml") and hasattr(message, "as_of"):  # a generated Document
        as_of = as_of or message.as_of
        message = message.xml
    if isinstance(message, str) and message.lstrip().startswith("<"):
        message = message.encode("utf-8")
    result = validate(message, version=version, schemas=schemas, as_of=as_of, strict=strict)
    if result.exit_code != 0:
        lines = [f"SSBTEK message does not conform ({result.verdict}):"]
        for item in [*result.messages, *result.exchanges]:  # an exchange's findings too: they decide a verdict
            for finding in item.findings:
                if finding.severity is Severity.INFO:
                    continue
                # a capture's message: its finding's place in the capture, as the text report gives it
                at = captured_location(finding, item.origin)
                where = at or location(finding)
                said = f"{finding.file}: {finding.message}" if at else finding.message
                lines.append(f"  {where} {finding.rule} {finding.severity}: {said}")
        pytest.fail("\n".join(lines), pytrace=False)
    return result.messages[0] if len(result.messages) == 1 else result


@pytest.fixture(scope="session")
def assert_conforms():
    """Call it with a message (bytes, XML text, a path or a generated Document); fails the test with
    every finding (masked) unless the message conforms. Keyword arguments: ``version``, ``schemas``,
    ``as_of``, ``strict``. Session-scoped because it holds no state, so ``@given`` tests may use it."""
    return _check


@pytest.fixture(scope="session")
def ssbtek_strategies() -> ModuleType:
    """``ssbtek_validator.strategies``: ``messages``, ``pairs``, ``mutations`` ready for ``@given``."""
    from ssbtek_validator import strategies

    return strategies
