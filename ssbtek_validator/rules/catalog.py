"""One registry of every finding id the tool can report, with its documentation.

Three sources, one shape: rule classes document themselves (``summary``, ``versions``,
``explanation``, ``example`` on :data:`MESSAGE_RULES`), ids the engine emits itself are documented as
data (``engine_findings.toml``), and each code-list binding (``codelists/bindings.toml``) is a rule of
its own. ``ssbtek-validate rules`` / ``explain`` and the configuration's checks of rule ids all read
this registry, so a rule cannot exist without documentation nor be configured under a misspelt id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from ssbtek_validator.packs.codelists import Binding, Catalogue, Code, Lookup, Status, builtin_catalogue
from ssbtek_validator.results.model import ENGINE_FINDINGS, Severity, engine_findings
from ssbtek_validator.rules import MESSAGE_RULES, Rule
from ssbtek_validator.rules.base import Versions
from ssbtek_validator.rules.codes import CodeListRule
from ssbtek_validator.rules.exchange import EXCHANGE_RULES

__all__ = ["ENGINE_FINDINGS", "RuleDoc", "all_rules", "describe", "find", "known_ids", "owner", "rule_table"]

#: The date examples of unknown codes are judged at, fixed so that `explain` prints the same text every day.
EXAMPLE_DATE = date(2026, 1, 1)
#: The kinds of ids the certification and SARIF list as rules of their own, in the order they list them.
TABLE_KINDS = ("engine", "rule", "exchange", "certify")


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """Everything the tool knows about one finding id, whoever raises it."""

    id: str
    #: "error", "warning", "info", or e.g. "warning/error" where the kind of finding decides
    severity: str
    versions: str
    summary: str
    explanation: str
    example: str
    #: "rule" (a rule class), "rule X" (reported by rule X beside its own id), "engine", "code list"
    origin: str
    #: "engine" (checks every message goes through), "rule" (message rules), "exchange" (request↔answer rules
    #: and the pairing), "certify" (certify's own), "run" (a note about the run, not a rule)
    kind: str = "rule"
    #: the rule this id belongs to (the certification counts its findings under that rule); "" for a rule
    part_of: str = ""
    #: the finding means "not checked": the message or exchange is incomplete (exit 3)
    not_checked: bool = False
    #: no configuration disables, lowers or suppresses it
    unconfigurable: bool = False
    #: modules under ssbtek_validator/ that raise this id (engine ids; a rule class raises its own)
    raised_in: tuple[str, ...] = ()

    @property
    def level(self) -> Severity:
        """The default severity; where the kind of finding decides ("warning/error"), the first."""
        return Severity(self.severity.split("/")[0])

    @property
    def help(self) -> str:
        """The longest text there is: the explanation, else the summary."""
        return self.explanation or self.summary


def _from_rule(rule: Rule, kind: str) -> RuleDoc:
    return RuleDoc(
        id=rule.id,
        severity=str(rule.severity),
        versions=str(rule.versions),
        summary=rule.summary,
        explanation=getattr(rule, "explanation", ""),
        example=getattr(rule, "example", ""),
        origin="rule",
        kind=kind,
        part_of=getattr(rule, "part_of", ""),
    )


def _engine_doc(item: dict[str, Any], kinds: dict[str, str]) -> RuleDoc:
    part_of = item.get("part_of", "")
    return RuleDoc(
        id=item["id"],
        severity=item["severity"],
        versions=str(Versions.parse(item["versions"])),  # "v6–v8", "v7–", "all": anything else fails loudly
        summary=item["summary"],
        explanation=" ".join(item["explanation"].split()),
        example=item["example"],
        origin=f"rule {part_of}" if part_of else "engine",
        kind=item.get("kind") or kinds.get(part_of, "engine"),
        part_of=part_of,
        not_checked=item.get("not_checked", False),
        unconfigurable=item.get("unconfigurable", False),
        raised_in=tuple(item.get("raised_in", ())),
    )


def binding_doc(binding: Binding, catalogue: Catalogue, rule: CodeListRule) -> RuleDoc:
    lists = ", ".join(
        f"{name} ({catalogue.lists[name].title}; {catalogue.lists[name].status})" for name in binding.lists
    )
    where = (
        f"JSON paths {', '.join(binding.json)} in the decoded {binding.payload} payload"
        if binding.json
        else f"XPath {binding.xpath}" + (f" in the decoded {binding.payload} payload" if binding.payload else "")
    )
    kind = (
        "closed: the values are enumerated by the pack's XSD, so an unknown code is SSBT-XSD's finding; "
        "this binding checks dates and records coverage"
        if binding.schema_enforced
        else "closed: an unknown code is an error"
        if binding.closed
        else "open (the list is known to be incomplete): an unknown code is a warning"
    )
    explanation = (
        f"Codes are read from {where} of {' and '.join(d + 's' for d in binding.directions)} in "
        f"{binding.versions_text()}, "
        f"and looked up in {lists}. The list is {kind}; a known code used before its valid_from or after its "
        f"valid_to (judged at frageTidpunkt, else --as-of, else today) is an error naming both dates. "
        f"See `ssbtek-validate codes {binding.lists[0]}`."
    )
    placed = [row for name in binding.lists for row in catalogue.lists[name].codes if row.context]
    if binding.context_xpath and placed:
        where_each = "; ".join(f"{row.code} only under {' '.join(row.context)}" for row in placed)
        explanation += (
            f" Some codes may appear only in a given place, named by the {binding.context_field} around them "
            f"({where_each}): under another known {binding.context_field} they are an error. Source: "
            f"{placed[0].source}."
        )
    return RuleDoc(
        id=binding.id,
        severity="error" if binding.closed else "warning/error",
        versions=binding.versions_text(),
        summary=binding.summary,
        explanation=explanation,
        example=_example(binding, catalogue, rule),
        origin="code list",
        part_of=rule.id,
    )


def _example(binding: Binding, catalogue: Catalogue, rule: CodeListRule) -> str:
    """A real message of this rule, made by the same code that reports it."""
    dated = [row for name in binding.lists for row in catalogue.lists[name].codes if row.valid_from]
    if dated:
        row: Code = dated[0]
        before = row.valid_from - timedelta(days=1)
        found = Lookup(Status.NOT_YET, row, next(n for n in binding.lists if row in catalogue.lists[n].codes))
        return rule.dated_message(_field(binding), row.code, found, before, "frageTidpunkt")
    if binding.schema_enforced:
        return "(no dated codes; unknown values are reported by SSBT-XSD)"
    return rule.unknown_message(binding, _field(binding), "XYZ", EXAMPLE_DATE)


def _field(binding: Binding) -> str:
    if binding.json:
        steps = [s for s in binding.json[0].split("/") if s not in ("*", "**")]
        return ".".join(steps[-2:]) + ("[]" if binding.json[0].endswith("/*") else "")
    last = binding.xpath.rstrip("/").rsplit("/", 1)[-1]
    return last.split("'")[1] if "local-name()" in last else last.rsplit(":", 1)[-1]


@cache
def _ordered() -> tuple[RuleDoc, ...]:
    """Every documented id in the order the rule table lists them: engine checks (as engine_findings.toml
    lists them), message rules (in the order they run), exchange rules, the pairing, certify's own; then
    the ids that belong to a rule and the run's notes."""
    catalogue = builtin_catalogue()
    code_rule = next((r for r in MESSAGE_RULES if isinstance(r, CodeListRule)), None) or CodeListRule(catalogue)
    docs = [_from_rule(rule, "rule") for rule in MESSAGE_RULES]
    docs += [_from_rule(rule, "exchange") for rule in EXCHANGE_RULES]
    kinds = {doc.id: doc.kind for doc in docs}
    engine = [_engine_doc(item, kinds) for item in engine_findings()]
    docs += engine
    docs += [binding_doc(binding, catalogue, code_rule) for binding in catalogue.bindings]
    ids = [doc.id for doc in docs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"rule ids documented twice: {', '.join(duplicates)}")
    unknown = sorted(f"{doc.id} → {doc.part_of}" for doc in docs if doc.part_of and doc.part_of not in kinds)
    if unknown:
        raise ValueError(f"part_of names no rule: {', '.join(unknown)}")
    rank = {kind: i for i, kind in enumerate(TABLE_KINDS)}
    own = [doc for doc in docs if not doc.part_of and doc.kind in rank]
    own.sort(key=lambda doc: (rank[doc.kind], doc.origin != "rule"))  # stable: file and run order within a kind
    return (*own, *(doc for doc in docs if doc.part_of or doc.kind not in rank))


@cache
def all_rules() -> tuple[RuleDoc, ...]:
    """Every documented id, sorted: rule classes, engine findings and code-list bindings."""
    return tuple(sorted(_ordered(), key=lambda doc: doc.id))


@cache
def _index() -> dict[str, RuleDoc]:
    return {doc.id: doc for doc in _ordered()}


def find(rule_id: str) -> RuleDoc | None:
    return _index().get(rule_id)


@cache
def known_ids() -> frozenset[str]:
    """Every id the registry documents, from the same sources as its documentation, without writing it: a
    configuration file's rule ids are checked against these on every run that has one, and writing every id's
    documentation first (the code-list bindings' explanations and examples, the engine ids' version ranges)
    was ~10 ms of such a run's start, in series before the first message. tests/rules/test_rules_cli.py holds
    the two equal."""
    ids = [rule.id for rule in (*MESSAGE_RULES, *EXCHANGE_RULES)]
    ids += [item["id"] for item in engine_findings()]
    ids += [binding.id for binding in builtin_catalogue().bindings]
    return frozenset(ids)


@cache
def rule_table() -> dict[str, RuleDoc]:
    """The ids the certification and SARIF list as rules of their own, in their order: engine checks,
    message rules, exchange rules and the pairing, certify's own."""
    return {doc.id: doc for doc in _ordered() if not doc.part_of and doc.kind in TABLE_KINDS}


def owner(rule_id: str) -> str:
    """The rule a finding id belongs to (``part_of``: SSBT-PAYLOAD-BASE64 → SSBT-PAYLOAD, a code-list
    binding → SSBT-CODE), else itself."""
    doc = find(rule_id)
    return doc.part_of if doc is not None and doc.part_of else rule_id


def describe(rule_id: str) -> RuleDoc:
    """Documentation for any finding id, listed under the kind of the rule it belongs to; an id nothing
    documents gets a placeholder (a test keeps every id the corpus produces documented)."""
    doc = find(rule_id)
    if doc is None:
        return RuleDoc(rule_id, "error", "all", f"Finding {rule_id}.", "", "", "unknown", kind="unknown")
    return doc
