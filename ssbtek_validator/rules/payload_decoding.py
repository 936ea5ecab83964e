"""Nested payloads must decode: base64, UTF-8, then JSON or XML, within the decoded-size limit."""

from __future__ import annotations

from collections.abc import Iterator

from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import Context, Versions


class PayloadDecodingRule:
    id = "SSBT-PAYLOAD"
    severity = Severity.ERROR
    summary = "Nested payloads (CSN base64 XML, SKV XML/JSON parts, FK LEFI JSON) decode cleanly."
    versions = Versions.of(range(6, 12))
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "Where a pack says an element carries a nested document (pack.toml [[payload]]), it is decoded: "
        "base64 (SSBT-PAYLOAD-BASE64), UTF-8 (SSBT-PAYLOAD-UTF8), then JSON (SSBT-PAYLOAD-JSON) or XML "
        "(SSBT-PAYLOAD-XML). A payload that would decode past --max-decoded-bytes is not decoded (SSBT-LIMIT)."
    )
    example = "FK payload (base64 json) is not valid base64."

    def applies(self, context: Context) -> bool:
        return bool(context.pack.payloads) and context.message.payload is not None

    def check(self, context: Context) -> Iterator[Finding]:
        for item in context.payloads():
            if isinstance(item, Finding):
                yield item
