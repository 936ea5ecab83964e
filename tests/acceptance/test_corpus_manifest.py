"""The corpus is the regression suite: every case in corpus/manifest.toml must come out as stated."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date

import pytest

from ssbtek_validator import validate
from ssbtek_validator.results.model import Severity

from ..conftest import CORPUS

MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
CASES = MANIFEST["case"]


def test_every_corpus_file_has_a_manifest_entry():
    listed = {case["file"] for case in CASES} | {
        case["file"] for case in MANIFEST["http"] if case["file"].endswith(".txt")
    }
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix not in {".md", ".toml", ".har", ".http", ".py"} and not p.name.startswith(".")
    }
    assert on_disk - listed == set(), "corpus files without a manifest entry"
    assert listed - on_disk == set(), "manifest entries without a file"


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case_meets_manifest(case):
    as_of = date.fromisoformat(case["as_of"]) if "as_of" in case else None
    result = validate(CORPUS / case["file"], as_of=as_of)
    [message] = result.messages
    got = Counter(f.rule for f in message.findings if f.severity is not Severity.INFO)
    assert got == Counter(case.get("findings", [])), [f.message for f in message.findings]
    assert str(message.verdict) == case["verdict"]
    assert message.detection.version == case.get("version")
    assert message.detection.operation == case.get("operation")
    assert message.detection.direction == case.get("direction")
