"""One registry of every finding id the tool can report, with its documentation.

Three sources, one shape: rule classes document themselves (``summary``, ``versions``,
``explanation``, ``example`` on :data:`MESSAGE_RULES`), ids the engine emits itself are documented as
data (``engine_findings.toml``), and each code-list binding (``codelists/bindings.toml``) is a rule of
its own. ``ssbtek-validate rules`` / ``explain`` and the configuration's checks of rule ids all read
this registry, so a rule cannot exist without documentation nor be configured under a misspelt id.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from ..codelists import Binding, Catalogue, Code, Lookup, Status, builtin_catalogue
from . import MESSAGE_RULES, Rule
from .codes import CodeListRule

ENGINE_FINDINGS = Path(__file__).with_name("engine_findings.toml")
#: The date examples of unknown codes are judged at, fixed so that `explain` prints the same text every day.
EXAMPLE_DATE = date(2026, 1, 1)


@dataclass(frozen=True, slots=True)
class RuleDoc:
    id: str
    #: "error", "warning", "info", or e.g. "warning/error" where the kind of finding decides
    severity: str
    versions: str
    summary: str
    explanation: str
    example: str
    #: "rule" (a rule class), "engine" (emitted by reading/routing/config), "code list"
    origin: str


def _from_rule(rule: Rule) -> RuleDoc:
    return RuleDoc(
        id=rule.id,
        severity=str(rule.severity),
        versions=rule.versions,
        summary=rule.summary,
        explanation=getattr(rule, "explanation", ""),
        example=getattr(rule, "example", ""),
        origin="rule",
    )


def _engine_docs(path: Path = ENGINE_FINDINGS) -> list[RuleDoc]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        RuleDoc(
            id=item["id"],
            severity=item["severity"],
            versions=item["versions"],
            summary=item["summary"],
            explanation=" ".join(item["explanation"].split()),
            example=item["example"],
            origin=f"rule {item['emitted_by']}" if "emitted_by" in item else "engine",
        )
        for item in data["finding"]
    ]


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
def all_rules() -> tuple[RuleDoc, ...]:
    """Every documented id, sorted: rule classes, engine findings and code-list bindings."""
    catalogue = builtin_catalogue()
    code_rule = next((r for r in MESSAGE_RULES if isinstance(r, CodeListRule)), None) or CodeListRule(catalogue)
    from ..pairs import EXCHANGE_RULES  # request ↔ answer rules (issue 5) document themselves too

    docs = [_from_rule(rule) for rule in (*MESSAGE_RULES, *EXCHANGE_RULES)]
    docs += _engine_docs()
    docs += [binding_doc(binding, catalogue, code_rule) for binding in catalogue.bindings]
    ids = [doc.id for doc in docs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"rule ids documented twice: {', '.join(duplicates)}")
    return tuple(sorted(docs, key=lambda doc: doc.id))


def find(rule_id: str) -> RuleDoc | None:
    return next((doc for doc in all_rules() if doc.id == rule_id), None)


def known_ids() -> frozenset[str]:
    return frozenset(doc.id for doc in all_rules())
