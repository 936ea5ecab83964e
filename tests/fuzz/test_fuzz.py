"""``ssbtek-validate fuzz``: reproducible corpora with a manifest, and a target's bug found, shrunk, replayed."""

from __future__ import annotations

import base64
import json
import shlex
import sys
from datetime import date

from lxml import etree

import ssbtek_validator
from ssbtek_validator.fuzz.run import cases, shrink

from ..conftest import ROOT, run_cli

CONSUMER = ROOT / "tests" / "fuzz_consumer.py"


def run(*args):
    return run_cli("fuzz", *args)


def test_out_writes_documents_and_a_manifest_the_validator_agrees_with(tmp_path):
    result = run("--count", 12, "--seed", 3, "--out", tmp_path / "valid")
    assert result.exit_code == 0, result.output
    result = run("--count", 12, "--seed", 3, "--invalid", "--out", tmp_path / "invalid")
    assert result.exit_code == 0, result.output
    for folder in ("valid", "invalid"):
        manifest = json.loads((tmp_path / folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["settings"]["seed"] == 3 and len(manifest["documents"]) == 12
        for entry in manifest["documents"]:
            checked = ssbtek_validator.validate(
                tmp_path / folder / entry["file"], as_of=date.fromisoformat(entry["as_of"])
            ).messages[0]
            rules = [f.rule for f in checked.findings]
            if entry["valid"]:
                assert checked.verdict == "conforms", (entry, rules)
            else:
                assert entry["expected"] and all(rule in rules for rule in entry["expected"]), (entry, rules)


def test_valid_documents_pass_the_cli_checked_as_the_manifest_says(tmp_path, monkeypatch):
    """A v6 answer has no date of its own: checked today it answers a closed version. The manifest's
    ``check`` command (with the document's as-of date) is how the fuzzer's "valid" is to be reproduced."""
    assert run("--pack", 6, "--direction", "answer", "--count", 3, "--seed", 1, "--out", tmp_path).exit_code == 0
    monkeypatch.chdir(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["documents"]:
        assert entry["file"].endswith("-valid.xml")
        argv = shlex.split(entry["check"])
        assert argv[0] == "ssbtek-validate" and argv[-1] == entry["file"]
        result = run_cli(*argv[1:])
        assert result.exit_code == 0, (entry["check"], result.output)


def test_same_seed_same_files(tmp_path):
    for name in ("a", "b"):
        assert run("--count", 8, "--seed", 42, "--invalid", "--out", tmp_path / name).exit_code == 0
    first = sorted((tmp_path / "a").iterdir())
    second = sorted((tmp_path / "b").iterdir())
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    assert run("--count", 8, "--seed", 43, "--invalid", "--out", tmp_path / "c").exit_code == 0
    assert sorted(p.read_bytes() for p in (tmp_path / "c").glob("*.xml")) != sorted(
        p.read_bytes() for p in (tmp_path / "a").glob("*.xml")
    )


def test_version_operation_direction_select_what_is_generated(tmp_path):
    result = run(
        "--pack", 11, "--operation", "testaBastjanstInformation", "--direction", "request",
        "--count", 3, "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    documents = json.loads((tmp_path / "manifest.json").read_text())["documents"]
    assert {(d["version"], d["operation"], d["direction"]) for d in documents} == {
        (11, "testaBastjanstInformation", "request")
    }


def test_pairs_agree_or_disagree_as_the_manifest_says(tmp_path):
    from ssbtek_validator.packs.schema_packs import builtin_packs
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.run.driver import Options

    for folder, flags in (("valid", ()), ("invalid", ("--invalid",))):
        result = run("--pairs", *flags, "--count", 8, "--seed", 5, "--out", tmp_path / folder)
        assert result.exit_code == 0, result.output
        documents = json.loads((tmp_path / folder / "manifest.json").read_text(encoding="utf-8"))["documents"]
        assert len(documents) == 16
        by_pair: dict[int, dict[str, dict]] = {}
        for entry in documents:
            by_pair.setdefault(entry["pair"], {})[entry["direction"]] = entry
        for pair in by_pair.values():
            request, answer = pair["request"], pair["answer"]
            judged = ssbtek_validator.validate_pair(
                Source("request.xml", (tmp_path / folder / request["file"]).read_bytes()),
                Source("answer.xml", (tmp_path / folder / answer["file"]).read_bytes()),
                Options(as_of=date.fromisoformat(answer["as_of"])),
                builtin_packs(),
            )
            assert all(m.verdict == "conforms" for m in judged.messages), [m.findings for m in judged.messages]
            rules = [f.rule for f in judged.exchanges[0].findings]
            if flags:
                assert answer["exchange_expected"] and set(answer["exchange_expected"]) <= set(rules), (answer, rules)
            else:
                assert rules == [], rules
    assert run("--pairs", "--direction", "request", "--out", tmp_path / "x").exit_code == 2


def test_usage_errors_exit_2(tmp_path):
    assert run("--count", 1).exit_code == 2  # neither --out nor --target
    assert run("--pack", 99, "--out", tmp_path).exit_code == 2


def _seed_with_two_messages(count: int) -> int:
    """A seed whose batch holds an agency error with two felmeddelande (the consumer's bug), found, not assumed."""
    for seed in range(100):
        batch = cases(seed=seed, count=count, version=10, operation="hamtaBastjanstInformation", direction="answer")
        for case in batch:
            root = etree.fromstring(case.document.xml)
            if any(len(error.findall("{*}felmeddelande")) > 1 for error in root.iterfind(".//{*}svarsdata//{*}error")):
                return seed
    raise AssertionError("no batch with the bug's trigger")


def test_target_bug_is_found_shrunk_and_replayable(tmp_path):
    """The example consumer crashes on an agency error with two felmeddelande; fuzz must say so."""
    target = f"{sys.executable} {CONSUMER}"
    seed = _seed_with_two_messages(6)
    result = run(
        "--pack", 10, "--direction", "answer", "--operation", "hamtaBastjanstInformation",
        "--count", 6, "--seed", seed, "--target", target, "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "FINDING crashed (exception ValueError) on a valid document" in result.output
    (folder,) = (tmp_path / "findings").iterdir()
    minimal = (folder / "minimal.xml").read_bytes()
    original = (folder / "original.xml").read_bytes()
    assert len(minimal) < len(original)
    # shrunk to the essence: one agency, one error, the two messages; and still a valid answer
    root = etree.fromstring(minimal)
    assert len(root.findall(".//{*}svarsdata/*")) == 1
    assert len(root.findall(".//{*}felmeddelande")) == 2
    assert root.find(".//{*}data") is None and root.find(".//{*}frageTidpunkt") is None
    replay_meta = json.loads((folder / "replay.json").read_text())
    assert ssbtek_validator.validate(minimal, as_of=date.fromisoformat(replay_meta["as_of"])).verdict == "conforms"

    assert run("--replay", folder / "replay.json").exit_code == 2  # the stored command is not run unasked
    again = run("--replay", folder / "replay.json", "--trust-replay-target")
    assert again.exit_code == 1 and "still failing: crashed (exception ValueError)" in again.output
    fixed = tmp_path / "fixed_consumer.py"
    fixed.write_text(
        CONSUMER.read_text(encoding="utf-8").replace(
            '(text,) = part.findall("{*}felmeddelande")', 'text = part.findall("{*}felmeddelande")[0]'
        ),
        encoding="utf-8",
    )
    assert run("--replay", folder, "--target", f"{sys.executable} {fixed}").exit_code == 0


def test_target_that_accepts_everything_has_no_findings(tmp_path):
    accept = f'{sys.executable} -c "import sys; sys.stdin.buffer.read()"'
    result = run("--count", 4, "--seed", 9, "--target", accept, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "4 accepted" in result.output


def test_shrink_keeps_only_what_the_predicate_needs():
    xml = b"<a><b><c>keep</c><d>drop</d></b><e>drop</e></a>"
    minimal, _stats = shrink(xml, lambda data: b"keep" in data or b"<c>k" in data)
    root = etree.fromstring(minimal)
    assert [e.tag for e in root.iter()] == ["a", "b", "c"]


def _inner(xml: bytes) -> bytes:
    try:
        return base64.b64decode(etree.fromstring(xml).findtext("c") or "", validate=True)
    except ValueError:
        return b""


def test_shrink_reduces_nested_documents_and_re_encodes_them():
    document = {"keep": {"deep": [1, 2, 3]}, "drop": "x", "list": [4, 5]}
    xml = b"<a><b>drop</b><c>" + base64.b64encode(json.dumps(document).encode()) + b"</c></a>"

    def interesting(data: bytes) -> bool:
        try:
            return "keep" in json.loads(_inner(data))
        except (ValueError, TypeError):
            return False

    minimal, _stats = shrink(xml, interesting, carriers=lambda root: [(root.find("c"), "base64", "json")])
    assert json.loads(_inner(minimal)) == {"keep": {}}
    assert etree.fromstring(minimal).find("b") is None

    inner_xml = b"<r><keep><x/></keep><drop/></r>"
    xml = b"<a><c>" + base64.b64encode(inner_xml) + b"</c></a>"
    minimal, _stats = shrink(
        xml, lambda data: b"<keep" in _inner(data or b""), carriers=lambda root: [(root.find("c"), "base64", "xml")]
    )
    assert [e.tag for e in etree.fromstring(_inner(minimal)).iter()] == ["r", "keep"]
