"""Our own v10/v11 packs and the published bundles must agree on every corpus message.

This is the proof that packs written from the facts, not copied, describe the same contract; it
also proves ``--schemas`` handles a real bundle (relative imports, a UTF-16 agency file).
"""

from __future__ import annotations

from collections import Counter

import pytest

from validator import packs_with, validate
from validator.findings import Severity
from validator.packs import PackError

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


def test_bundle_given_as_wsdl_file_is_confined_to_that_files_folder(v10_bundle):
    """The published WSDL sits deep in its tree and imports upwards: given alone, its folder is the bundle,
    so those imports are refused (a configuration error that says how to allow them); the tree works."""
    wsdl = next(v10_bundle.rglob("*.wsdl"))
    with pytest.raises(PackError, match=r"refused to load .*ers_stod\.xsd.*give --schemas the bundle's top folder"):
        validate(CORPUS / "v10" / "request-full.xml", schemas=wsdl)
    assert str(validate(CORPUS / "v10" / "request-full.xml", schemas=v10_bundle).verdict) == "conforms"
