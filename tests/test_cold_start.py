"""The cold path stays lean: validating one message imports only what that message needs.

A pre-commit hook or an editor starts a new process per message, so every module imported at start-up
is paid per message. Each test runs the command's entry point in a fresh interpreter and looks at
``sys.modules`` afterwards: it fails when an import moves back to the top of a module on the cold path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: what a one-message run must not import: test-only libraries, the --jobs machinery, formats not asked for
NEVER = (
    "hypothesis",
    "xmlschema",
    "jsonschema",
    "yaml",
    "fastjsonschema",
    "multiprocessing",
    "concurrent.futures.process",
)
OTHER_REPORTERS = ("html", "junit", "sarif", "github")

PROBE = """
import json, sys
sys.argv = ["ssbtek-validate", *sys.argv[1:]]
import ssbtek_validator.cli.main
try:
    ssbtek_validator.cli.main.main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n")
"""


def imported_by(*argv: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line[len("MODULES ") :]))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(module.startswith(name + ".") for module in modules)


@pytest.fixture(scope="module")
def one_message() -> set[str]:
    return imported_by("--as-of", "2026-11-01", "corpus/v10/request-minimal.xml")


@pytest.mark.parametrize("name", NEVER)
def test_one_message_does_not_import(one_message: set[str], name: str) -> None:
    assert not loaded(one_message, name)


@pytest.mark.parametrize("name", OTHER_REPORTERS)
def test_a_text_report_imports_no_other_reporter(one_message: set[str], name: str) -> None:
    assert "ssbtek_validator.report.text" in one_message  # the probe saw the run write its report
    assert f"ssbtek_validator.report.{name}" not in one_message


def test_a_message_without_lefi_documents_does_not_load_the_json_schema_engine(one_message: set[str]) -> None:
    assert not loaded(one_message, "jsonschema_rs")


def test_the_probe_sees_what_a_run_needs() -> None:
    """The probe itself can fail: asking for HTML loads the HTML reporter, --jobs 2 loads the pool."""
    modules = imported_by("--as-of", "2026-11-01", "--jobs", "2", "--format", "html", "corpus/v10")
    assert "ssbtek_validator.report.html" in modules
    assert loaded(modules, "concurrent.futures.process")


def test_nested_documents_are_decoded_only_for_rules_that_read_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding base64/XML/JSON payloads is a large slice of a message's cost: Context.payloads decodes
    them on first request, once per message, so a run whose rules never ask (here SSBT-XSD alone) pays
    nothing for them, and a run with every rule decodes each message's documents once."""
    import ssbtek_validator.rules.base as base
    from ssbtek_validator.rules import MESSAGE_RULES
    from ssbtek_validator.run.driver import Options, validate_paths

    calls: list[str] = []
    real = base.extract

    def counting(*args, **kwargs):
        calls.append(args[5])  # the message's name
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "extract", counting)
    folder = ROOT / "corpus" / "v10"
    validate_paths([folder], Options(rules=tuple(r for r in MESSAGE_RULES if r.id == "SSBT-XSD")))
    assert calls == []
    validate_paths([folder], Options())
    assert calls, "every rule on: the answers' nested documents are decoded"
    assert len(calls) == len(set(calls)), "once per message, however many rules read them"
