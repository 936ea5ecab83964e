"""The one rule registry: every id is spelt in one place, and what it says about ids is what the tool does."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ssbtek_validator.results.model import INCOMPLETE_RULES, READER_RULES, Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Versions
from ssbtek_validator.rules.catalog import all_rules, find, owner, rule_table
from ssbtek_validator.run.config import NOTES
from ssbtek_validator.run.driver import Options, validate_paths

from ..conftest import CORPUS

PACKAGE = Path(__file__).resolve().parent.parent.parent / "ssbtek_validator"
RULE_ID = re.compile(r"SSBT-[A-Z0-9]+(?:-[A-Z0-9]+)*")
#: Mutation strategies name the finding each mutation must produce: a test oracle, not a second registry.
ORACLES = PACKAGE / "strategies"


def _literals(tree: ast.AST) -> list[tuple[str, int]]:
    return [
        (node.value, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and RULE_ID.fullmatch(node.value)
    ]


def _own_ids(tree: ast.AST) -> set[str]:
    """The ``id`` of each class defined in the module (a rule class spells its own id)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if (
                    isinstance(item, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "id" for t in item.targets)
                    and isinstance(item.value, ast.Constant)
                ):
                    ids.add(item.value.value)
    return ids


def test_no_rule_id_is_spelt_outside_the_registry_its_rule_class_or_the_module_that_raises_it() -> None:
    stray = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if ORACLES in path.parents:
            continue
        module = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = _own_ids(tree)
        for literal, line in _literals(tree):
            doc = find(literal)
            if literal in own or (doc is not None and module in doc.raised_in):
                continue
            stray.append(f"ssbtek_validator/{module}:{line}: {literal}")
    assert not stray, (
        "rule ids spelt outside the registry (query ssbtek_validator.rules.catalog instead):\n" + "\n".join(stray)
    )


def test_raised_in_names_modules_that_do_raise_the_id() -> None:
    """The other direction: an entry's raised_in does not go stale when the raising code moves."""
    stale = []
    for doc in all_rules():
        for module in doc.raised_in:
            path = PACKAGE / module
            spelt = path.is_file() and doc.id in {v for v, _ in _literals(ast.parse(path.read_text(encoding="utf-8")))}
            if not spelt:
                stale.append(f"{doc.id}: ssbtek_validator/{module}")
    assert not stale, "raised_in names modules that do not raise the id:\n" + "\n".join(stale)


def test_the_id_sets_the_engine_and_configuration_use_come_from_the_registry() -> None:
    assert {doc.id for doc in all_rules() if doc.not_checked} == INCOMPLETE_RULES
    assert {doc.id for doc in all_rules() if doc.unconfigurable} == READER_RULES
    assert "SSBT-READ" in INCOMPLETE_RULES and "SSBT-DTD" in READER_RULES
    assert "SSBT-CONFIG" in NOTES


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        ("SSBT-PAYLOAD-BASE64", "SSBT-PAYLOAD"),
        ("SSBT-CSN-VERSION", "SSBT-CSN-MODEL"),
        ("SSBT-FK-VERSION", "SSBT-LEFI-MODEL"),
        ("SSBT-PAIR-AGENCY-MISSING", "SSBT-PAIR-AGENCY"),
        ("SSBT-XSD", "SSBT-XSD"),
        ("SSBT-NOT-AN-ID", "SSBT-NOT-AN-ID"),
    ],
)
def test_owner_is_part_of_data(rule_id: str, expected: str) -> None:
    assert owner(rule_id) == expected


def test_every_code_list_binding_belongs_to_the_code_rule() -> None:
    bindings = [doc for doc in all_rules() if doc.origin == "code list"]
    assert bindings and all(owner(doc.id) == "SSBT-CODE" for doc in bindings)


def test_rule_table_lists_rules_of_their_own_in_report_order() -> None:
    table = list(rule_table().values())
    kinds = [doc.kind for doc in table]
    assert kinds == sorted(kinds, key=("engine", "rule", "exchange", "certify").index)
    assert not any(doc.part_of for doc in table)
    assert {"SSBT-CONFIG", "SSBT-JOBS", "SSBT-SKIPPED", "SSBT-PAYLOAD-JSON"}.isdisjoint(rule_table())
    assert [doc.id for doc in table][:2] == ["SSBT-READ", "SSBT-LIMIT"]


def test_docs_rules_md_is_generated_from_the_registry() -> None:
    """docs/rules.md is the registry's output; regenerate it with
    `python -m ssbtek_validator.rules.docs > docs/rules.md`."""
    from ssbtek_validator.rules.docs import render

    page = (PACKAGE.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert page == render(), "docs/rules.md is stale: run `python -m ssbtek_validator.rules.docs > docs/rules.md`"
    assert all(f"### {doc.id}\n" in page for doc in all_rules())


class _Probe:
    """A rule that applies everywhere; only its versions data can keep the engine from running it."""

    id = "SSBT-PROBE"
    severity = Severity.INFO
    summary = "probe"

    def __init__(self, versions: Versions) -> None:
        self.versions = versions

    def applies(self, context: object) -> bool:
        return True

    def check(self, context: object) -> Iterator[Finding]:
        yield from ()


@pytest.mark.parametrize(
    ("versions", "runs_on_v6", "runs_on_v10"),
    [(Versions.of(range(10, 12)), False, True), (Versions.of(range(6, 9)), True, False), (ALL_VERSIONS, True, True)],
)
def test_the_engine_runs_a_rule_only_on_the_versions_it_concerns(
    versions: Versions, runs_on_v6: bool, runs_on_v10: bool
) -> None:
    options = Options(as_of=date(2026, 11, 1), rules=(_Probe(versions),))
    result = validate_paths(
        [CORPUS / "v6" / "answer-lefi-4.xml", CORPUS / "v10" / "answer-all-agencies-data.xml"], options
    )
    ran = {m.detection.version: "SSBT-PROBE" in m.rules_run for m in result.messages}
    assert ran == {6: runs_on_v6, 10: runs_on_v10}


@pytest.mark.parametrize("text", ["all", "v6", "v6–v8", "v7–", "v10–v11", "v11–"])
def test_versions_text_is_made_from_the_data_and_reads_back(text: str) -> None:
    assert Versions.parse(text).label == text
    assert Versions.of(range(6, 9)).label == "v6–v8" and 9 not in Versions.of(range(6, 9))


def test_every_rule_states_its_versions_as_data() -> None:
    from ssbtek_validator.rules import MESSAGE_RULES
    from ssbtek_validator.rules.exchange import EXCHANGE_RULES

    assert all(isinstance(rule.versions, Versions) for rule in (*MESSAGE_RULES, *EXCHANGE_RULES))


@pytest.mark.parametrize("text", ["v10-v11", "sometimes", ""])
def test_versions_that_are_not_data_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected 'all'"):
        Versions.parse(text)
