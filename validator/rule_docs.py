"""The rules as reports group them: which ids are rules of their own, and of what kind.

SARIF wants each rule declared with help text, and the certification report lists every rule with
what it checks. The words come from the one registry, :mod:`validator.rules.catalog` (rule classes,
``rules/engine_findings.toml``, ``codelists/bindings.toml``); this module only says which ids the
certification lists as rules (engine checks, message rules, exchange rules, certify's own) and which
rule a finding id belongs to (``SSBT-PAYLOAD-BASE64`` to ``SSBT-PAYLOAD``, ``SSBT-CODE-MIV-BESLUTSTYP`` to
``SSBT-CODE``), which the certification counts under that rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .findings import Severity
from .pairs import EXCHANGE_RULES
from .rules import MESSAGE_RULES
from .rules.catalog import find as registry_find


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    severity: Severity
    summary: str
    explanation: str = ""
    #: "engine" for checks every message goes through, "rule" for MESSAGE_RULES, "exchange" for the
    #: request↔answer rules (EXCHANGE_RULES and the pairing itself), "certify" for certify's own
    kind: str = "rule"


#: Checks every message goes through (reading, envelope, routing) and that HAR expansion reports.
_ENGINE = (
    "SSBT-READ", "SSBT-LIMIT", "SSBT-EMPTY", "SSBT-ENCODING", "SSBT-WELLFORMED", "SSBT-DTD", "SSBT-SOAP",
    "SSBT-SOAP-FAULT", "SSBT-OPERATION", "SSBT-VERSION", "SSBT-RULE-FAILED", "SSBT-HAR",
)  # fmt: skip
#: The pairing itself, beside the exchange rules.
_PAIRING = ("SSBT-PAIR-INCOMPLETE", "SSBT-PAIR-FAULT", "SSBT-PAIR-UNMATCHED")

CERTIFY_VERSION = "SSBT-CERTIFY-VERSION"
_CERTIFY = (CERTIFY_VERSION,)


def _severity(text: str) -> Severity:
    """The registry says "warning/error" where the kind of finding decides (open code lists): the first."""
    return Severity(text.split("/")[0])


def _from_registry(rule_id: str, kind: str) -> RuleDoc:
    """The words come from the one registry (validator/rules/catalog.py); this module only groups them."""
    doc = registry_find(rule_id)
    if doc is None:  # pragma: no cover - tests/test_rules_cli.py keeps every id documented
        return RuleDoc(rule_id, Severity.ERROR, f"Finding {rule_id}.", "", kind)
    return RuleDoc(rule_id, _severity(doc.severity), doc.summary, doc.explanation or doc.summary, kind)


@cache
def catalog() -> dict[str, RuleDoc]:
    docs = {rule_id: _from_registry(rule_id, "engine") for rule_id in _ENGINE}
    for rule in MESSAGE_RULES:
        docs[rule.id] = _from_registry(rule.id, "rule")
    for rule in EXCHANGE_RULES:
        docs[rule.id] = _from_registry(rule.id, "exchange")
    docs.update({rule_id: _from_registry(rule_id, "exchange") for rule_id in _PAIRING})
    docs.update({rule_id: _from_registry(rule_id, "certify") for rule_id in _CERTIFY})
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
    """Documentation for any finding id: its own entry in the registry (a code-list binding, an id a rule
    reports beside its own), grouped under the catalogued rule it belongs to."""
    docs = catalog()
    found = docs.get(owner(rule_id))
    kind = found.kind if found is not None else "unknown"
    if registry_find(rule_id) is not None:
        return _from_registry(rule_id, kind)
    if found is None:
        return RuleDoc(rule_id, Severity.ERROR, f"Finding {rule_id}.", "", "unknown")
    return RuleDoc(rule_id, found.severity, found.summary, found.explanation, found.kind)
