"""Our own v10/v11 packs and the published bundles must agree on every corpus message.

This is the proof that packs written from the facts, not copied, describe the same contract; it
also proves ``--schemas`` handles a real bundle (relative imports, a UTF-16 agency file).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import tomllib
from collections import Counter
from dataclasses import replace

import pytest
from click.testing import CliRunner

from ssbtek_validator import Options, PackError, Source, packs_with, validate, validate_sources
from ssbtek_validator.cli.main import main
from ssbtek_validator.strategies import RandomChooser, draw_generated, targets
from ssbtek_validator.strategies.mutations import NoMutation, mutate

from ..conftest import CORPUS, ROOT

#: generated documents per pack in the differential run (half valid, half with one planted defect).
#: 2,000 by default (about 5 s per pack); SSBTEK_DIFFERENTIAL_DOCS=20000 for a long run.
GENERATED = int(os.environ.get("SSBTEK_DIFFERENTIAL_DOCS", "2000"))
DIFFERENCES = tomllib.loads((ROOT / "xsd" / "nested" / "bundle-differences.toml").read_text(encoding="utf-8"))[
    "difference"
]


def _inner(finding) -> str:
    return finding.path.split(" → ", 1)[1] if finding.path and " → " in finding.path else (finding.path or "")


def _key(finding) -> tuple[str, str, str]:
    return (finding.rule, str(finding.severity), _inner(finding))


def _documented(finding, side: str, ours) -> str | None:
    """The id of the documented difference that explains this finding on this side, if one does."""
    for entry in DIFFERENCES:
        if entry["side"] != side or entry["rule"] != finding.rule:
            continue
        if not re.search(entry["path"], _inner(finding)) or not re.search(entry.get("message", ""), finding.message):
            continue
        prefix = entry.get("covered_by")
        if prefix and not any(f.rule.startswith(prefix) and _inner(f) == _inner(finding) for f in ours):
            continue
        return entry["id"]
    return None


def _disagreements(name: str, ours, theirs) -> list[str]:
    """Every finding (of any rule, any severity) one side reports and the other does not, unless it is a
    documented difference; and a verdict that differs without a finding to say why."""
    problems, explained = [], False
    for side, mine, other in (("ours", ours, theirs), ("bundle", theirs, ours)):
        extra = Counter(map(_key, mine.findings)) - Counter(map(_key, other.findings))
        for key in extra:
            finding = next(f for f in mine.findings if _key(f) == key)
            if _documented(finding, side, ours.findings):
                explained = True
            else:
                problems.append(f"{name}: only {side}: {finding.rule} at {_inner(finding)}: {finding.message}")
    if str(ours.verdict) != str(theirs.verdict) and not (explained or problems):
        problems.append(f"{name}: verdict {ours.verdict} (ours) but {theirs.verdict} (bundle), no finding differs")
    return problems


@pytest.mark.parametrize(("version", "bundle_fixture"), [(10, "v10_bundle"), (11, "v11_bundle")])
def test_own_pack_and_published_bundle_agree_on_every_corpus_message(version, bundle_fixture, request):
    """No rule filtered: the whole corpus (every version, pairs and HAR captures too) through both."""
    bundle = request.getfixturevalue(bundle_fixture)
    ours = validate(CORPUS)
    theirs = validate(CORPUS, schemas=bundle)
    assert len(ours.messages) == len(theirs.messages) >= 150
    assert sum(1 for m in ours.messages if m.detection and m.detection.version == version) >= 20
    problems = [
        problem
        for mine, other in zip(ours.messages, theirs.messages, strict=True)
        for problem in _disagreements(mine.file, mine, other)
    ]
    assert problems == []


def _generated(version: int, count: int, seed: int):
    """Documents from the strategies' generators (seeded, so a failure names a replayable document):
    valid ones, and the same kind with one planted defect."""
    chooser = RandomChooser(seed)
    choices = targets(version)
    documents = []
    while len(documents) < count:
        generated = draw_generated(chooser, choices)
        if len(documents) % 2:
            try:
                documents.append(mutate(chooser, generated).document)
            except NoMutation:
                continue
        else:
            documents.append(generated.document())
    return documents


@pytest.mark.parametrize(("version", "bundle_fixture"), [(10, "v10_bundle"), (11, "v11_bundle")])
def test_own_pack_and_published_bundle_agree_on_generated_documents(version, bundle_fixture, request):
    bundle = request.getfixturevalue(bundle_fixture)
    ours_packs, their_packs = packs_with(), packs_with(bundle)
    problems = []
    for index, document in enumerate(_generated(version, GENERATED, seed=version)):
        options = Options(as_of=document.as_of)
        name = f"generated #{index} (v{version}, {document.operation} {document.direction})"
        [ours] = validate_sources([Source(name, document.xml)], options, ours_packs).messages
        [theirs] = validate_sources([Source(name, document.xml)], options, their_packs).messages
        problems += _disagreements(name, ours, theirs)
    assert problems == []


def test_a_difference_not_documented_is_a_disagreement(v10_bundle):
    """The check can fail: a finding only one side has, and no entry for it, is listed."""
    path = CORPUS / "v10" / "invalid-lefi9-svar-omfattning-percent.xml"
    ours = validate(path).messages[0]
    theirs = validate(path, schemas=v10_bundle).messages[0]
    assert _disagreements("x", ours, theirs) == []
    hidden = replace(ours, findings=[f for f in ours.findings if f.rule != "SSBT-LEFI-MODEL"])
    [problem] = _disagreements("x", hidden, theirs)
    assert "only bundle: SSBT-LEFI-MODEL at /beslut/0/beslutadErsattning/0/omfattning" in problem


def test_every_documented_difference_says_why():
    for entry in DIFFERENCES:
        assert entry["side"] in ("ours", "bundle") and entry["rule"].startswith("SSBT-")
        assert len(entry["reason"]) > 80 and re.compile(entry["path"])


def test_bundle_replaces_the_pack_of_its_version_and_reports_itself(v10_bundle):
    packs = packs_with(v10_bundle)
    assert packs[10].origin == "bundle"
    assert packs[10].status == "external"
    assert packs[10].operations == ("hamtaBastjanstInformation", "testaBastjanstInformation")
    result = validate(CORPUS / "v10" / "request-full.xml", schemas=v10_bundle)
    assert result.messages[0].detection.pack_id == "bundle-v10"
    assert "--schemas" in result.messages[0].detection.reason


def test_bundle_given_as_wsdl_file_is_confined_to_that_files_folder(v10_bundle):
    """The published WSDL sits deep in its tree and imports upwards: given alone, its folder is the bundle,
    so those imports are refused (a configuration error that says how to allow them); the tree works."""
    wsdl = next(v10_bundle.rglob("*.wsdl"))
    with pytest.raises(PackError, match=r"refused to load .*ers_stod\.xsd.*give --schemas the bundle's top folder"):
        validate(CORPUS / "v10" / "request-full.xml", schemas=wsdl)
    assert str(validate(CORPUS / "v10" / "request-full.xml", schemas=v10_bundle).verdict) == "conforms"


def _alias_bomb(levels: int = 9) -> str:
    """The YAML "billion laughs": each level repeats the one before nine times (9**levels strings)."""
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_an_openapi_alias_bomb_in_a_bundle_is_refused_with_exit_2(v10_bundle, tmp_path):
    """Loading the bundle's OpenAPI file is bounded: the aliases are counted before anything is built."""
    bundle = tmp_path / "bundle"
    shutil.copytree(v10_bundle, bundle)
    [openapi] = bundle.rglob("*.openapi.yaml")
    openapi.write_text("openapi: 3.0.1\ninfo: {version: 9.0.0}\n" + _alias_bomb(), encoding="utf-8")
    started = time.monotonic()
    done = CliRunner().invoke(main, ["--schemas", str(bundle), str(CORPUS / "v10" / "answer-minimal.xml")])
    assert done.exit_code == 2, done.output
    assert "alias" in done.output and openapi.name in done.output
    assert time.monotonic() - started < 10
    # the same file with a few aliases is an ordinary (if useless) OpenAPI file: the bound is not "no aliases"
    openapi.write_text("openapi: 3.0.1\ninfo: {version: 9.0.0}\n" + _alias_bomb(2), encoding="utf-8")
    with pytest.raises(PackError, match="no POST operation"):
        packs_with(bundle)
