"""Operations a pack knows: the ping ``testaBastjanstInformation`` exists only from v7."""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Finding, Severity
from ..messages import element_path
from .base import Context


class OperationInPackRule:
    id = "SSBT-OPERATION-VERSION"
    severity = Severity.ERROR
    summary = "The operation exists in the message's SSBTEK version."
    versions = "all"
    explanation = (
        "Each pack lists its operations (pack.toml). The ping testaBastjanstInformation arrived with "
        "SSBTEK v7 (release notes, 2018-12-29); a ping in an older namespace is not served."
    )
    example = "testaBastjanstInformation in SSBTEK v6: the operation arrived in a later version."

    def applies(self, context: Context) -> bool:
        return context.message.operation is not None

    def check(self, context: Context) -> Iterator[Finding]:
        operation = context.message.operation
        if operation in context.pack.operations:
            return
        payload = context.message.payload
        yield Finding(
            rule=self.id,
            severity=self.severity,
            message=(
                f"{operation} is not an operation of {context.pack.title}; it has {', '.join(context.pack.operations)}."
            ),
            file=context.message.name,
            line=payload.sourceline if payload is not None else None,
            path=element_path(payload),
        )
