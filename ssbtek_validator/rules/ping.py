"""The ping answer cannot claim to have called an agency that has no test service."""

from __future__ import annotations

from collections.abc import Iterator

from ssbtek_validator.reading.message import element_path, text_of
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions

#: Agencies whose services SSBTEK's ping cannot call: they have no test service (issue 5, the ping's contract notes).
WITHOUT_TEST_SERVICE = ("TNS", "MIV")


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
        message = context.message
        return (
            message.payload is not None
            and message.operation == "testaBastjanstInformation"
            and message.direction == "answer"
        )

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
