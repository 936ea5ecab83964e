"""Several formats from one run: FORMAT:FILE or --output FORMAT=FILE, and nothing ambiguous."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from lxml import etree

from ssbtek_validator.cli.main import main
from ssbtek_validator.report.outputs import Output, OutputError, plan

from ..conftest import CORPUS, run_cli

INVALID = CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"


def run(*args):
    return run_cli(*args)


@pytest.mark.parametrize(
    ("formats", "outputs", "expected"),
    [
        ((), (), [Output("text")]),
        (("json",), ("r.json",), [Output("json", "r.json")]),
        (("sarif:r.sarif", "text"), (), [Output("sarif", "r.sarif"), Output("text")]),
        (
            ("sarif", "junit", "text"),
            ("sarif=r.sarif", "junit=r.xml"),
            [Output("sarif", "r.sarif"), Output("junit", "r.xml"), Output("text")],
        ),
        (("sarif", "text"), ("sarif=r.sarif",), [Output("sarif", "r.sarif"), Output("text")]),
        (("text", "sarif:r.sarif"), (), [Output("sarif", "r.sarif"), Output("text")]),
        (("json:-",), (), [Output("json")]),
        (("html", "json:r.json"), ("page.html",), [Output("json", "r.json"), Output("html", "page.html")]),
    ],
)
def test_plans(formats, outputs, expected):
    assert plan(formats, outputs) == expected


@pytest.mark.parametrize(
    ("formats", "outputs", "complaint"),
    [
        (("nope",), (), "unknown format"),
        (("sarif", "text"), (), "would all go to stdout"),
        (("sarif", "text"), ("out.txt",), "ambiguous"),
        (("json",), ("a.json", "b.json"), "more than once"),
        (("text",), ("sarif=r.sarif",), "no --format sarif"),
        (("json:r.json", "sarif:r.json"), (), "same file"),
    ],
)
def test_ambiguous_plans_are_refused(formats, outputs, complaint):
    with pytest.raises(OutputError, match=complaint):
        plan(formats, outputs)


def test_cli_writes_every_format_asked_for_and_text_to_stdout(tmp_path):
    sarif, junit = tmp_path / "r.sarif", tmp_path / "r.xml"
    result = run("--format", f"sarif:{sarif}", "--format", "junit", "--output", f"junit={junit}", "--format", "text",
                 INVALID)  # fmt: skip
    assert result.exit_code == 1
    assert "SSBT-XSD" in result.output and "nonconformant" in result.output
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == "SSBT-XSD"
    assert etree.parse(str(junit)).getroot().find("testsuite").get("failures") == "1"


def test_cli_single_format_with_plain_output_still_works(tmp_path):
    target = tmp_path / "r.json"
    result = run("--format", "json", "--output", target, INVALID)
    assert result.exit_code == 1 and result.stdout == ""
    # nothing on stdout: the one-line summary goes to stderr, so a failing run does not end silently
    assert result.stderr.strip().endswith("→ nonconformant (exit 1)"), result.stderr
    assert json.loads(target.read_text())["verdict"] == "nonconformant"


def test_cli_ambiguous_outputs_are_usage_errors():
    result = run("--format", "sarif", "--format", "text", INVALID)
    assert result.exit_code == 2
    assert "stdout" in result.output


def test_cli_unwritable_output_is_a_usage_error(tmp_path):
    result = run("--format", f"json:{tmp_path / 'missing-dir' / 'r.json'}", INVALID)
    assert result.exit_code == 2


def test_an_output_in_a_folder_that_does_not_exist_is_refused_before_anything_is_validated(tmp_path, monkeypatch):
    """Said at once, not after a batch of thousands of messages whose report then cannot be written."""
    import ssbtek_validator.cli.main as cli_main

    def refused(*args, **kwargs):
        raise AssertionError("validated before the outputs were checked")

    monkeypatch.setattr(cli_main, "validate_batch", refused)
    missing = tmp_path / "missing-dir" / "r.json"
    result = run("--format", f"json:{missing}", INVALID)
    assert result.exit_code == 2
    assert f"there is no folder {missing.parent} to write it in" in result.output
    with pytest.raises(OutputError, match="no folder"):
        plan(["sarif"], [f"sarif={missing}"])


def test_pre_commit_hooks_run_the_check_command_on_message_files():
    yaml = pytest.importorskip("yaml")
    import re
    from pathlib import Path

    hooks = yaml.safe_load((Path(__file__).parent.parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"ssbtek-validate", "ssbtek-validate-strict"}
    for hook in hooks:
        program, *arguments = hook["entry"].split()
        assert program == "ssbtek-validate" and hook["language"] == "python"
        assert CliRunner().invoke(main, [*arguments, str(CORPUS / "v10" / "request-full.xml")]).exit_code == 0
        assert re.search(hook["files"], "tests/fixtures/answer.xml")
        assert not re.search(hook["files"], "README.md")
