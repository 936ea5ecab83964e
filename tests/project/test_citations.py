"""What we ship cites public sources a user can look up, never files that exist only beside this repository.

Findings, `explain`, code lists, packs and docs name Försäkringskassan's release notes by date, CSN's
Kommunfråga description, the published contracts and SFS numbers. A path into the working folder the
project was built in (``shared/``, ``seed/``, ``reference/``, ``DOMAIN.md``) means nothing to a vendor.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from ssbtek_validator.cli.main import main
from ssbtek_validator.rules.catalog import all_rules

from ..conftest import ROOT

#: shipped text: code, data, docs (tests are not shipped; they may load the published bundles beside the repo)
SHIPPED = ("ssbtek_validator", "docs", "codelists", "xsd", "corpus", "benchmarks")
SUFFIXES = {".py", ".toml", ".csv", ".md", ".xsd", ".json", ".txt", ".xml", ".wsdl", ".yaml", ".yml", ".html"}
PRIVATE = re.compile(r"(?<![\w-])(?:shared/|seed/|reference/)|DOMAIN\.md")


def _shipped_files():
    for top in SHIPPED:
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                yield path
    for name in ("README.md", "pyproject.toml"):
        yield ROOT / name


def test_no_shipped_text_cites_files_beside_the_repository():
    offenders = []
    for path in _shipped_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if PRIVATE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == [], "\n".join(offenders)


@pytest.mark.parametrize(
    "line", ["see shared/DOMAIN.md", "(seed/000_x.txt)", "via reference/lefi.md", "DOMAIN.md", "../shared/contracts"]
)
def test_the_guard_catches_what_it_is_for(line):
    assert PRIVATE.search(line)


@pytest.mark.parametrize("line", ["corpus/v7/ping-request-seed.xml", "--seed 42", "codelists/lefi-formaner.csv"])
def test_the_guard_leaves_ordinary_text_alone(line):
    assert not PRIVATE.search(line)


def test_explain_and_the_code_lists_cite_the_release_note_by_date():
    for doc in all_rules():
        assert not PRIVATE.search(doc.summary + doc.explanation + doc.example), doc.id
    explained = CliRunner().invoke(main, ["explain", "SSBT-CODE"])
    assert explained.exit_code == 0 and "Försäkringskassan, SSBTEK release note 2021-06-17" in explained.output
    listed = CliRunner().invoke(main, ["codes", "lefi-beloppstyp"])
    assert listed.exit_code == 0 and "release note 2021-06-17" in listed.output
    assert not PRIVATE.search(listed.output)
