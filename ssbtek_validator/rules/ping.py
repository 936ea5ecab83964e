"""The ping answer: an error only for a call that was made; a call to an agency assumed to have no test
service is pointed out, not condemned (no public source says which agencies have one)."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ssbtek_validator.reading.message import boolean, element_path, text_of
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions

#: Agencies assumed to have no test service of their own for SSBTEK's ping to call. An assumption, not a
#: published fact: hence a warning.
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
    severity = Severity.WARNING
    summary = "A ping answer reports TNS and MIV absent or anropad=false (assumed to have no test service)."
    versions = Versions(7)
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "testaBastjanstInformation (from v7) answers, per agency, whether that agency's own test service was "
        "called (anropad; SSBTEK v10 contract, TestSvar). When the ping arrived it called no backend at all "
        "(Försäkringskassan's SSBTEK release note of 2018-10-08). No public source lists which agencies have "
        f"a test service; {' and '.join(WITHOUT_TEST_SERVICE)} are assumed to have none, so anropad=true for "
        "them is worth a look (a hand-written stub often answers true everywhere): a warning, not an error, "
        "because the assumption is ours."
    )
    example = (
        "TNS anropad=true in a ping answer; TNS is assumed to have no test service, so expected absent or "
        "anropad=false."
    )

    def applies(self, context: Context) -> bool:
        return _is_ping_answer(context)

    def check(self, context: Context) -> Iterator[Finding]:
        for name in WITHOUT_TEST_SERVICE:
            for called in context.message.payload.iterfind(f"{{*}}{name}/{{*}}anropad"):
                flag = text_of(called).strip()
                if boolean(flag) is True:
                    yield Finding(
                        rule=self.id,
                        severity=self.severity,
                        message=(
                            f"{name} anropad=true in a ping answer; {name} is assumed to have no test service "
                            "for the ping to call (no public source lists them): expected it absent or "
                            "anropad=false."
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
    applies_by_kind = True  # applies reads only the pack, operation and direction
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
            if error is None or boolean(text_of(called)) is not False:
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
