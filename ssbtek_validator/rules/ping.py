"""The ping answer: it cannot claim to have called an agency that has no test service, nor report an error
for a call it did not make."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ssbtek_validator.reading.message import element_path, text_of
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions

#: Agencies whose services SSBTEK's ping cannot call: they have no test service (issue 5, the ping's contract notes).
WITHOUT_TEST_SERVICE = ("TNS", "MIV")


def _is_ping_answer(context: Context) -> bool:
    message = context.message
    return (
        message.payload is not None
        and message.operation == "testaBastjanstInformation"
        and message.direction == "answer"
    )


class PingUntestedAgencyRule:
    id = "SSBT-PING-UNTESTED"
    severity = Severity.ERROR
    summary = "A ping answer reports TNS and MIV (no test service) absent or anropad=false."
    versions = Versions(7)
    explanation = (
        "testaBastjanstInformation (from v7) calls each agency's test service and answers, per agency, "
        f"whether it was called (anropad). {' and '.join(WITHOUT_TEST_SERVICE)} have no test service, so "
        "SSBTEK cannot have called them: in a ping answer they are absent or anropad=false. anropad=true "
        "for them means the answer was not produced by SSBTEK's ping (e.g. a hand-written stub): error."
    )
    example = "TNS anropad=true in a ping answer; TNS has no test service, so expected absent or anropad=false."

    def applies(self, context: Context) -> bool:
        return _is_ping_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        for name in WITHOUT_TEST_SERVICE:
            for called in context.message.payload.iterfind(f"{{*}}{name}/{{*}}anropad"):
                flag = text_of(called).strip()
                if flag in ("true", "1"):
                    yield Finding(
                        rule=self.id,
                        severity=self.severity,
                        message=(
                            f"{name} anropad=true in a ping answer; {name} has no test service, so SSBTEK "
                            "cannot have called it: expected it absent or anropad=false."
                        ),
                        file=context.message.name,
                        line=called.sourceline,
                        path=element_path(called),
                        value=flag,
                    )


class PingErrorUncalledRule:
    id = "SSBT-PING-ERROR"
    severity = Severity.ERROR
    summary = "In a ping answer, an agency carries an error only when its test service was called (anropad=true)."
    versions = Versions(7)
    explanation = (
        "The contract documents the ping answer's TestSvar: anropad says whether the agency's own test "
        "service was called, and error holds what went wrong 'if a test service was called and something "
        "went wrong' (SSBTEK v10 contract, TestSvar). An error beside anropad=false reports a failure of a "
        "call that was not made: error."
    )
    example = "SO has anropad=false and an error; an error is given only for a test service that was called."

    def applies(self, context: Context) -> bool:
        return _is_ping_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        for agency in context.message.payload:
            called = next(agency.iterchildren("{*}anropad"), None) if isinstance(agency.tag, str) else None
            error = next(agency.iterchildren("{*}error"), None) if called is not None else None
            if error is None or text_of(called).strip() not in ("false", "0"):
                continue
            name = etree.QName(agency).localname
            yield Finding(
                rule=self.id,
                severity=self.severity,
                message=(
                    f"{name} has anropad=false and an error in a ping answer; the contract gives an error only "
                    "when the agency's test service was called and something went wrong: expected anropad=true "
                    "or no error."
                ),
                file=context.message.name,
                line=error.sourceline,
                path=element_path(error),
            )
