"""Attack suite, configuration: a ``pyproject.toml`` lying in the current directory cannot make hostile
input conform, and whatever it does change is named in every report.

The reader's findings (empty input, bytes not in their encoding, broken XML, a DOCTYPE: billion laughs,
XXE) are protected: naming one in ``disable``, ``severity`` or a suppression is a configuration error
(exit 2); a wildcard leaves them alone. Every report carries one SSBT-CONFIG note with the rules changed
and the configuration's path.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import validate
from ssbtek_validator.cli.main import main
from ssbtek_validator.results.model import READER_RULES, Severity
from ssbtek_validator.rules.catalog import known_ids
from ssbtek_validator.run.config import PROTECTED, ConfigError, parse_config

from ..hardening import REQUEST, with_doctype

LAUGHS = with_doctype(
    REQUEST,
    '<!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
)
XXE = with_doctype(REQUEST, '<!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]>').replace(
    b"<soapenv:Body>", b"<soapenv:Body>&x;", 1
)
#: each input that is not a readable, well-formed, DTD-free message, with the finding that says so
HOSTILE = {
    "laughs.xml": (LAUGHS, "SSBT-DTD"),
    "xxe.xml": (XXE, "SSBT-DTD"),
    "empty.xml": (b"", "SSBT-EMPTY"),
    "blank.xml": (b"  \n\t", "SSBT-EMPTY"),
    "broken.xml": (REQUEST[: len(REQUEST) // 2], "SSBT-WELLFORMED"),
    "not-utf8.xml": (REQUEST.replace(b"<ssbt:korrelationsid>", b"<ssbt:korrelationsid>\xff\xfe", 1), "SSBT-ENCODING"),
}
SUPPRESS = "[[tool.ssbtek-validator.suppress]]\n"
FUTURE = (date.today() + timedelta(days=365)).isoformat()
FORMATS = ("text", "json", "junit", "sarif", "html", "github")


def _captures(folder: Path) -> Path:
    folder.mkdir()
    for name, (data, _rule) in HOSTILE.items():
        (folder / name).write_bytes(data)
    (folder / "valid.xml").write_bytes(REQUEST)
    return folder


@pytest.fixture
def in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Runs the command from ``tmp_path``, whose pyproject.toml holds the given body as our table."""
    monkeypatch.chdir(tmp_path)

    def run(body: str, *args: str):
        (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.ssbtek-validator]\n{body}', "utf-8")
        return CliRunner().invoke(main, list(args))

    return run


@pytest.mark.parametrize(
    "body",
    [
        'disable = ["*"]\n',
        'disable = ["SSBT-*"]\nseverity = { "*" = "info" }\n',
        'disable = ["*"]\n' + SUPPRESS + f'rule = "*"\nfile = "*"\nreason = "r"\nexpires = {FUTURE}\n',
    ],
    ids=["disable-all", "disable-and-lower-all", "disable-and-suppress-all"],
)
def test_a_configuration_in_the_current_directory_cannot_make_hostile_input_conform(body, tmp_path: Path, in_folder):
    captures = _captures(tmp_path / "captures")
    run = in_folder(body, "--format", "json", str(captures))
    assert run.exit_code == 1, run.output
    report = json.loads(run.output)
    by_name = {Path(m["file"]).name: m for m in report["messages"]}
    assert by_name.pop("valid.xml")["verdict"] == "conforms"
    for name, (_data, rule) in HOSTILE.items():
        message = by_name[name]
        assert message["verdict"] == "nonconformant", name
        assert [(f["rule"], f["severity"]) for f in message["findings"]] == [(rule, "error")], name


@pytest.mark.parametrize("output_format", FORMATS)
def test_every_report_names_what_the_configuration_changed_and_where_it_came_from(
    output_format, tmp_path: Path, in_folder
):
    captures = _captures(tmp_path / "captures")
    body = 'disable = ["SSBT-XSD"]\nseverity = { "SSBT-CODE-MIV-*" = "warning" }\n'
    run = in_folder(body, "--format", output_format, str(captures))
    assert run.exit_code == 1
    out = run.output if output_format != "json" else json.dumps(json.loads(run.output)["run_findings"])
    assert "SSBT-CONFIG" in out
    assert str((tmp_path / "pyproject.toml").resolve()) in out
    assert "disabled SSBT-XSD" in out
    assert "SSBT-CODE-MIV-BESLUTSKOD" in out and "as warning" in out


def test_a_wildcard_note_lists_every_rule_it_switched_off_and_those_it_left(tmp_path: Path, in_folder):
    captures = _captures(tmp_path / "captures")
    run = in_folder('disable = ["*"]\n', "--format", "json", str(captures))
    [note] = [f for f in json.loads(run.output)["run_findings"] if f["rule"] == "SSBT-CONFIG"]
    switched_off, left = note["message"].split("Kept as documented")
    assert "SSBT-XSD" in switched_off and "SSBT-PERSONID" in switched_off
    for rule in READER_RULES:
        assert rule in left and rule not in switched_off


def test_without_changes_there_is_no_note(tmp_path: Path, in_folder):
    captures = _captures(tmp_path / "captures")
    run = in_folder("", "--format", "json", str(captures))
    assert json.loads(run.output)["run_findings"] == []


@pytest.mark.parametrize(
    "body",
    [
        'disable = ["SSBT-DTD"]\n',
        'disable = ["SSBT-WELLFORMED", "SSBT-XSD"]\n',
        'severity = { "SSBT-EMPTY" = "info" }\n',
        'severity = { "SSBT-ENCODING" = "warning" }\n',
        'disable = ["SSBT-CONFIG"]\n',
        SUPPRESS + f'rule = "SSBT-DTD"\nfile = "*"\nreason = "legacy"\nexpires = {FUTURE}\n',
    ],
)
def test_naming_a_reader_finding_in_the_configuration_is_refused(body, tmp_path: Path, in_folder):
    captures = _captures(tmp_path / "captures")
    run = in_folder(body, str(captures))
    assert run.exit_code == 2
    assert "cannot be disabled, re-graded or suppressed" in run.output
    assert str(tmp_path / "pyproject.toml") in run.output or "pyproject.toml" in run.output


CONFIGURABLE = sorted(known_ids() - PROTECTED)
PATTERNS = st.one_of(
    st.sampled_from(CONFIGURABLE),
    st.sampled_from(["*", "SSBT-*", "SSBT-?TD", "SSBT-D*", "SSBT-E*", "SSBT-W*", "*-DTD*", "SSBT-*ING"]),
)


@given(
    disabled=st.lists(PATTERNS, max_size=4),
    severities=st.dictionaries(PATTERNS, st.sampled_from(["warning", "info"]), max_size=3),
    hostile=st.sampled_from(sorted(HOSTILE)),
)
def test_no_configuration_makes_unreadable_input_conform(disabled, severities, hostile):
    """A property over configurations: whatever is disabled or lowered, the reader's finding stays an error."""
    try:
        config = parse_config({"disable": disabled, "severity": severities}, "pyproject.toml", known_ids())
    except ConfigError as refused:  # a pattern that matches protected rules only: refused, never applied
        assert "cannot be disabled, re-graded or suppressed" in str(refused)
        return
    data, rule = HOSTILE[hostile]
    [message] = validate(data, config=config).messages
    assert str(message.verdict) == "nonconformant"
    assert [(f.rule, f.severity) for f in message.findings] == [(rule, Severity.ERROR)]


def test_certify_ignores_the_configuration_so_it_has_nothing_to_name(tmp_path: Path, in_folder):
    """A certification judges every rule as documented: the pyproject.toml beside it changes nothing."""
    captures = _captures(tmp_path / "captures")
    run = in_folder('disable = ["*"]\n', "certify", "--pack", "10", "--out", str(tmp_path / "out"), str(captures))
    assert run.exit_code == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert report["run_findings"] == []
    rules = sorted(f["rule"] for m in report["messages"] for f in m["findings"] if f["severity"] == "error")
    assert rules == sorted(rule for _data, rule in HOSTILE.values())
