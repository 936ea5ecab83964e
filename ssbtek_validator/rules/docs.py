"""docs/rules.md, generated from the one rule registry: ``python -m ssbtek_validator.rules.docs > docs/rules.md``.

The page is never edited by hand; tests/rules/test_rule_registry.py fails when it differs from what this
module prints, so the published list of rules cannot drift from what `rules` and `explain` say.
"""

from __future__ import annotations

import sys

from ssbtek_validator.rules.catalog import RuleDoc, all_rules, rule_table

KIND_TITLES = {
    "engine": "Checks every message goes through",
    "rule": "Message rules",
    "exchange": "Request ↔ answer rules",
    "certify": "Certification",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _entry(doc: RuleDoc) -> list[str]:
    facts = [f"severity {doc.severity}", f"versions {doc.versions}"]
    facts.append(f"part of [{doc.part_of}](#{doc.part_of.lower()})" if doc.part_of else doc.origin)
    if doc.not_checked:
        facts.append("means *not checked* (exit 3)")
    if doc.unconfigurable:
        facts.append("no configuration changes it")
    lines = [f"### {doc.id}", "", f"{doc.summary}", "", f"*{'; '.join(facts)}*", ""]
    if doc.explanation:
        lines += [doc.explanation, ""]
    if doc.example:
        lines += ["Example:", "", f"> {_cell(doc.example)}", ""]
    return lines


def render() -> str:
    """The whole page, Markdown, ending in one newline."""
    table = rule_table()
    lines = [
        "# Rules",
        "",
        "Every finding id ssbtek-validator reports. Generated from the rule registry",
        "(`python -m ssbtek_validator.rules.docs > docs/rules.md`); `ssbtek-validate explain ID` prints the same text.",
        "",
    ]
    for kind, title in KIND_TITLES.items():
        docs = [doc for doc in table.values() if doc.kind == kind]
        lines += [f"## {title}", "", "| id | severity | versions | summary |", "|---|---|---|---|"]
        lines += [
            f"| [{d.id}](#{d.id.lower()}) | {d.severity} | {_cell(d.versions)} | {_cell(d.summary)} |" for d in docs
        ]
        lines.append("")
    lines += ["## Every id", ""]
    for doc in all_rules():
        lines += _entry(doc)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - exercised by the docs test through render()
    sys.stdout.write(render())
