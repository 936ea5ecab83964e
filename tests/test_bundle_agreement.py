"""Our own v10/v11 packs and the published bundles must agree on every corpus message.

This is the proof that packs written from the facts, not copied, describe the same contract; it
also proves ``--schemas`` handles a real bundle (relative imports, a UTF-16 agency file).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter

import pytest
from click.testing import CliRunner

from validator import PackError, packs_with, validate
from validator.cli import main
from validator.findings import Severity

from .conftest import CORPUS


def _verdicts(paths, schemas=None):
    """Verdicts from everything but the LEFI JSON rules: with --schemas the bundle's LEFI OpenAPI file
    replaces our LEFI model, which is deliberately stricter (tests/test_nested_payloads.py says where)."""
    result = validate(paths, schemas=schemas)
    verdicts = {}
    for m in result.messages:
        kept = [f for f in m.findings if f.severity is not Severity.INFO and not f.rule.startswith("SSBT-LEFI-")]
        if str(m.verdict) == "incomplete":
            verdict = "incomplete"
        else:
            verdict = "nonconformant" if any(f.severity is Severity.ERROR for f in kept) else "conforms"
        verdicts[m.file] = (verdict, Counter(f.rule for f in kept))
    return verdicts


@pytest.mark.parametrize(("version", "bundle_fixture"), [(10, "v10_bundle"), (11, "v11_bundle")])
def test_own_pack_and_published_bundle_agree_on_corpus(version, bundle_fixture, request):
    bundle = request.getfixturevalue(bundle_fixture)
    files = sorted((CORPUS / f"v{version}").glob("*.xml"))
    assert len(files) >= 10
    ours = _verdicts(files)
    theirs = _verdicts(files, schemas=bundle)
    assert ours == theirs


def test_bundle_replaces_the_pack_of_its_version_and_reports_itself(v10_bundle):
    packs = packs_with(v10_bundle)
    assert packs[10].origin == "bundle"
    assert packs[10].status == "external"
    assert packs[10].operations == ("hamtaBastjanstInformation", "testaBastjanstInformation")
    result = validate(CORPUS / "v10" / "request-full.xml", schemas=v10_bundle)
    assert result.messages[0].detection.pack_id == "bundle-v10"
    assert "--schemas" in result.messages[0].detection.reason


def test_bundle_given_as_wsdl_file(v10_bundle):
    wsdl = next(v10_bundle.rglob("*.wsdl"))
    result = validate(CORPUS / "v10" / "request-full.xml", schemas=wsdl)
    assert str(result.verdict) == "conforms"


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
