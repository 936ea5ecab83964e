"""One line and an explanation for every rule id a finding can carry, for reports that describe rules.

SARIF wants each rule declared with help text, and the certification report lists every rule with
what it checks. Rule classes carry their own ``summary`` and ``explanation``; the checks the engine
does before any rule (reading, envelope, version) have no class, so they are described here. A
finding id that is a sub-id of a rule (``SSBT-PAYLOAD-BASE64`` of ``SSBT-PAYLOAD``) is described by
that rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .findings import Severity
from .pairs import EXCHANGE_RULES
from .rules import MESSAGE_RULES


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    severity: Severity
    summary: str
    explanation: str = ""
    #: "engine" for checks every message goes through, "rule" for MESSAGE_RULES, "exchange" for the
    #: request↔answer rules (EXCHANGE_RULES and the pairing itself), "certify" for certify's own
    kind: str = "rule"


_ENGINE: tuple[tuple[str, Severity, str, str], ...] = (
    ("SSBT-READ", Severity.ERROR, "The input could be read.",
     "An input that cannot be read (missing file, unreadable folder) is reported, never dropped; "
     "the run is then incomplete (exit 3)."),
    ("SSBT-LIMIT", Severity.ERROR, "The input stays within the size and depth limits.",
     "A message past --max-message-bytes, nesting too deep or a payload decoding past its limit is not "
     "checked further; the run is incomplete (exit 3)."),
    ("SSBT-EMPTY", Severity.ERROR, "The input is not empty.", "An empty input cannot be an SSBTEK message."),
    ("SSBT-WELLFORMED", Severity.ERROR, "The input is well-formed XML.",
     "XML that does not parse is reported with the line and column libxml2 stopped at."),
    ("SSBT-DTD", Severity.ERROR, "The message declares no DOCTYPE.",
     "SOAP 1.1 forbids DTDs and entity declarations; nothing in one is loaded or expanded."),
    ("SSBT-SOAP", Severity.ERROR, "The message is a SOAP 1.1 envelope with one Body child, or a bare payload.",
     "SSBTEK is SOAP 1.1 document/literal: Envelope, optional Header, Body with exactly one element."),
    ("SSBT-SOAP-FAULT", Severity.INFO, "A generic SOAP fault without an SSBTEK detail.",
     "Försäkringskassan answers this way, e.g. to an envelope in a namespace it does not serve."),
    ("SSBT-OPERATION", Severity.ERROR, "The Body child is an SSBTEK operation element.",
     "The operation is known only from the Body's first child (soapAction is empty in SSBTEK): "
     "hamtaBastjanstInformation or testaBastjanstInformation, with Response or Fault."),
    ("SSBT-VERSION", Severity.ERROR, "The namespace names a known SSBTEK version.",
     "The namespace http://schema.forsakringskassan.se/integration/ssbt/N carries the version N; "
     "an unknown N or a foreign namespace cannot be routed to a pack."),
    ("SSBT-RULE-FAILED", Severity.ERROR, "Every rule that applies could run.",
     "A rule that raised is reported, never counted as a pass; the message is incomplete (exit 3)."),
    ("SSBT-HAR", Severity.INFO, "HAR entries without an XML body were skipped.",
     "A HAR capture holds pages and scripts beside the SOAP exchanges; only entries with an XML body are read."),
)  # fmt: skip

_PAIRING: tuple[tuple[str, Severity, str, str], ...] = (
    ("SSBT-PAIR-INCOMPLETE", Severity.ERROR, "Both sides of an exchange hold an SSBTEK message.",
     "One side of an exchange is missing or holds no SSBTEK message, so the pair could not be judged: "
     "the exchange is incomplete (exit 3)."),
    ("SSBT-PAIR-FAULT", Severity.INFO, "An exchange answered by a generic SOAP fault is not judged.",
     "The pair rules do not apply to an answer that is a generic SOAP fault without an SSBTEK detail."),
    ("SSBT-PAIR-UNMATCHED", Severity.WARNING, "Every request and answer found its partner (--pairs).",
     "With --pairs, requests and answers are matched by korrelationsid; one without a partner, or without "
     "a korrelationsid, is reported."),
)  # fmt: skip

CERTIFY_VERSION = "SSBT-CERTIFY-VERSION"

_CERTIFY: tuple[tuple[str, Severity, str, str], ...] = (
    (CERTIFY_VERSION, Severity.ERROR, "Every certified message is in the version being certified.",
     "certify --version N judges captures for SSBTEK vN; a message in another version is evidence of "
     "something else and fails the certification."),
)  # fmt: skip


@cache
def catalog() -> dict[str, RuleDoc]:
    docs = {rule_id: RuleDoc(rule_id, sev, summary, text, "engine") for rule_id, sev, summary, text in _ENGINE}
    for rule in MESSAGE_RULES:
        docs[rule.id] = RuleDoc(
            rule.id, rule.severity, rule.summary, getattr(rule, "explanation", "") or rule.summary, "rule"
        )
    for rule in EXCHANGE_RULES:
        docs[rule.id] = RuleDoc(
            rule.id, rule.severity, rule.summary, getattr(rule, "explanation", "") or rule.summary, "exchange"
        )
    docs.update({rule_id: RuleDoc(rule_id, s, summary, text, "exchange") for rule_id, s, summary, text in _PAIRING})
    docs.update({rule_id: RuleDoc(rule_id, s, summary, text, "certify") for rule_id, s, summary, text in _CERTIFY})
    return docs


@cache
def owner(rule_id: str) -> str:
    """The catalogued rule a finding id belongs to: itself, the longest catalogued prefix
    (SSBT-PAYLOAD-BASE64 → SSBT-PAYLOAD), or the rule whose explanation names it (a rule documents the
    extra ids it reports, e.g. SSBT-CSN-MODEL explains SSBT-CSN-VERSION)."""
    docs = catalog()
    if rule_id in docs:
        return rule_id
    parts = rule_id.split("-")
    for end in range(len(parts) - 1, 0, -1):
        candidate = "-".join(parts[:end])
        if candidate in docs and docs[candidate].kind in ("rule", "exchange"):
            return candidate
    mentioned = re.compile(rf"(?<![A-Z0-9-]){re.escape(rule_id)}(?![A-Z0-9-])")
    for doc in docs.values():
        if doc.kind in ("rule", "exchange") and mentioned.search(doc.explanation):
            return doc.id
    return rule_id


def describe(rule_id: str) -> RuleDoc:
    """Documentation for any finding id; an id nobody catalogued still gets an honest entry."""
    docs = catalog()
    found = docs.get(owner(rule_id))
    if found is None:
        return RuleDoc(rule_id, Severity.ERROR, f"Finding {rule_id}.", "", "unknown")
    if found.id == rule_id:
        return found
    return RuleDoc(rule_id, found.severity, found.summary, found.explanation, found.kind)
