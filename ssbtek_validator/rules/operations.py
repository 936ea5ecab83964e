"""Operations a pack knows: the ping ``testaBastjanstInformation`` exists only from v7."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.message import element_path
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Context


class OperationInPackRule:
    id = "SSBT-OPERATION-VERSION"
    severity = Severity.ERROR
    summary = "The operation exists in the message's SSBTEK version."
    versions = ALL_VERSIONS
    applies_by_kind = True  # applies reads only the pack, operation and direction
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
                + _arrival(operation, context.pack.version)
            ),
            file=context.message.name,
            line=payload.sourceline if payload is not None else None,
            path=element_path(payload),
        )


@cache
def _versions_with(operation: str) -> tuple[int, ...]:
    return tuple(sorted(p.version for p in builtin_packs().values() if operation in p.operations))


def _arrival(operation: str, version: int) -> str:
    """Name the version an operation arrived in (from the built-in packs' operations), when it is later."""
    later = [n for n in _versions_with(operation) if n > version]
    return f" It arrived in SSBTEK v{later[0]}." if later else ""
