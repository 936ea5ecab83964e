"""A team's rule configuration, through the command as CI runs it: disable, severity, suppression with expiry."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import pytest

import ssbtek_validator
from ssbtek_validator.run.config import ConfigError, load_config, matches

from ..conftest import CORPUS, run_cli

WARNED = CORPUS / "v10" / "answer-miv-unknown-beslutskod.xml"  # one SSBT-CODE-MIV-BESLUTSKOD warning
FAILED = CORPUS / "v10" / "invalid-af-aktivitetsrapport-unknown.xml"  # one SSBT-CODE-AF-AKTIVITETSRAPPORT error
XSD_FAILED = CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"  # SSBT-XSD
FUTURE = (date.today() + timedelta(days=365)).isoformat()
PAST = (date.today() - timedelta(days=1)).isoformat()


def run(*args):
    return run_cli(*args)


def json_run(*args):
    result = run("--format", "json", *args)
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else result.output


def rules_of(data):
    return [f["rule"] for m in data["messages"] for f in m["findings"]]


def write_pyproject(folder, body: str):
    (folder / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.ssbtek-validator]\n{body}', "utf-8")


def test_without_configuration_the_findings_are_as_documented():
    code, data = json_run(FAILED, WARNED)
    assert code == 1
    assert rules_of(data) == ["SSBT-CODE-AF-AKTIVITETSRAPPORT", "SSBT-CODE-MIV-BESLUTSKOD"]


def test_disable_in_the_current_directorys_pyproject(tmp_path, monkeypatch):
    write_pyproject(tmp_path, 'disable = ["SSBT-CODE-AF-*"]\n')
    monkeypatch.chdir(tmp_path)
    code, data = json_run(FAILED, WARNED)
    assert code == 0
    assert rules_of(data) == ["SSBT-CODE-MIV-BESLUTSKOD"]


def test_disabling_a_rule_class_stops_it_running(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text('disable = ["SSBT-CODE"]\n', "utf-8")
    code, data = json_run("--config", config, FAILED, WARNED)
    assert code == 0 and rules_of(data) == []
    assert all("SSBT-CODE" not in m["rules_run"] for m in data["messages"])


def test_severity_change_with_config_file(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        '[tool.ssbtek-validator.severity]\n"SSBT-CODE-AF-AKTIVITETSRAPPORT" = "warning"\n"SSBT-CODE-MIV-*" = "error"\n',
        "utf-8",
    )
    code, data = json_run("--config", config, FAILED)
    assert code == 0
    assert [f["severity"] for m in data["messages"] for f in m["findings"]] == ["warning"]
    assert json_run("--config", config, "--strict", FAILED)[0] == 1
    code, data = json_run("--config", config, WARNED)  # an open list's warning made an error
    assert code == 1 and [f["severity"] for m in data["messages"] for f in m["findings"]] == ["error"]


def test_suppression_until_a_future_date_hides_the_finding_and_says_so(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        f'[[suppress]]\nrule = "SSBT-XSD"\nfile = "*/invalid-personidentitet-*.xml"\n'
        f'path = "*/ssbt:personidentitet"\nreason = "VEND-123: fixed in 4.2"\nexpires = {FUTURE}\n',
        "utf-8",
    )
    code, data = json_run("--config", config, XSD_FAILED)
    assert code == 0
    assert rules_of(data) == [] and data["messages"][0]["suppressed"] == 1
    [info] = data["run_findings"]
    assert info["rule"] == "SSBT-CONFIG-SUPPRESSED" and info["severity"] == "info"
    assert info["message"].startswith("1 findings suppressed") and "invalid-personidentitet-*" in info["message"]
    text = run("--config", config, XSD_FAILED)
    assert "1 findings suppressed by the baseline" in text.output


def test_suppression_matches_only_its_file_and_path(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        f'[[suppress]]\nrule = "SSBT-XSD"\npath = "*/ssbt:organisationsnummer"\nreason = "r"\nexpires = {FUTURE}\n',
        "utf-8",
    )
    code, data = json_run("--config", config, XSD_FAILED)
    assert code == 1 and rules_of(data) == ["SSBT-XSD"]


def test_file_patterns_match_relative_to_the_configuration(tmp_path):
    captures = tmp_path / "captures" / "legacy"
    captures.mkdir(parents=True)
    shutil.copy(FAILED, captures / "old.xml")
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        f'[[suppress]]\nrule = "SSBT-CODE-AF-*"\nfile = "captures/legacy/*.xml"\nreason = "r"\nexpires = {FUTURE}\n',
        "utf-8",
    )
    code, data = json_run("--config", config, captures / "old.xml")
    assert code == 0 and data["messages"][0]["suppressed"] == 1


def test_an_expired_suppression_no_longer_suppresses_and_is_a_warning(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        f'[[suppress]]\nrule = "SSBT-XSD"\nfile = "*/invalid-personidentitet-*.xml"\n'
        f'reason = "VEND-123"\nexpires = {PAST}\n',
        "utf-8",
    )
    code, data = json_run("--config", config, XSD_FAILED)
    assert code == 1 and "SSBT-XSD" in rules_of(data)
    [expired] = data["run_findings"]
    assert expired["rule"] == "SSBT-CONFIG-EXPIRED" and expired["severity"] == "warning"
    assert PAST in expired["message"] and "VEND-123" in expired["message"]
    # on a clean run the expired entry is still a warning, and --strict makes it fail
    assert json_run("--config", config, CORPUS / "v10" / "request-full.xml")[0] == 0
    assert json_run("--config", config, "--strict", CORPUS / "v10" / "request-full.xml")[0] == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('disable = ["SSBT-NOPE"]\n', "matches no rule"),
        ('disable = ["SSBT-READ"]\n', "cannot be disabled"),
        ('[severity]\n"SSBT-RULE-FAILED" = "info"\n', "cannot be disabled, re-graded or suppressed"),
        ('[severity]\n"SSBT-XSD" = "fatal"\n', "not error, warning or info"),
        ('[[suppress]]\nrule = "SSBT-XSD"\nfile = "x"\nreason = "r"\n', "needs expires"),
        ('[[suppress]]\nrule = "SSBT-XSD"\nreason = "r"\nexpires = 2030-01-01\n', "file or path"),
        ('[[suppress]]\nrule = "SSBT-XSD"\nfile = "x"\nreason = "r"\nexpires = "soon"\n', "must be a date"),
        ('[[suppress]]\nrule = "SSBT-LIMIT"\nfile = "x"\nreason = "r"\nexpires = 2030-01-01\n', "not checked"),
        ('disabel = ["SSBT-XSD"]\n', "unknown keys disabel"),
        ("disable = [\n", "not valid TOML"),
    ],
)
def test_configuration_errors_exit_2(tmp_path, body, problem):
    config = tmp_path / "ssbtek.toml"
    config.write_text(body, "utf-8")
    result = run("--config", config, FAILED)
    assert result.exit_code == 2, result.output
    assert problem in result.output


def test_a_missing_config_file_exits_2(tmp_path):
    result = run("--config", tmp_path / "nope.toml", FAILED)
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_broken_pyproject_in_the_current_directory_exits_2(tmp_path, monkeypatch):
    write_pyproject(tmp_path, 'disable = ["SSBT-NOPE"]\n')
    monkeypatch.chdir(tmp_path)
    assert run(FAILED).exit_code == 2


def test_a_pyproject_without_our_table_is_no_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', "utf-8")
    assert load_config(cwd=tmp_path) is None


def test_the_library_takes_the_same_configuration(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text('disable = ["SSBT-CODE-AF-AKTIVITETSRAPPORT"]\n', "utf-8")
    assert ssbtek_validator.validate(FAILED, config=config).exit_code == 0
    assert ssbtek_validator.validate(FAILED).exit_code == 1
    config.write_text('disable = ["nope"]\n', "utf-8")
    with pytest.raises(ConfigError):
        ssbtek_validator.validate(FAILED, config=config)


def test_patterns_treat_brackets_literally():
    assert matches("/a/b[1]/c", "/a/b[1]/c")
    assert not matches("/a/b[1]/c", "/a/b1/c")
    assert matches("*/svar[2]/*", "/x/svar[2]/beslutsTyp")
    assert matches("SSBT-CODE-?IV-*", "SSBT-CODE-MIV-BESLUTSTYP")


def test_exchange_findings_take_the_same_configuration(tmp_path):
    """The pair rules' findings go through the one configuration too, in `pair` and in `--pairs`."""
    request, answer = CORPUS / "v10" / "request-full.xml", CORPUS / "pairs" / "answer-wrong-korrelationsid.xml"
    assert run("pair", request, answer).exit_code == 1
    config = tmp_path / "ssbtek.toml"
    config.write_text('[severity]\n"SSBT-PAIR-KORRELATIONSID" = "warning"\n', "utf-8")
    graded = run("pair", "--config", config, "--format", "json", request, answer)
    assert graded.exit_code == 0, graded.output
    [exchange] = json.loads(graded.output)["exchanges"]
    assert [f["severity"] for f in exchange["findings"]] == ["warning"]
    config.write_text(f'[[suppress]]\nrule = "SSBT-PAIR-*"\nfile = "*"\nreason = "r"\nexpires = {FUTURE}\n', "utf-8")
    hidden = run("pair", "--config", config, "--format", "json", request, answer)
    assert hidden.exit_code == 0
    data = json.loads(hidden.output)
    assert data["exchanges"][0]["findings"] == []
    assert [f["rule"] for f in data["run_findings"]] == ["SSBT-CONFIG-SUPPRESSED"]
    assert run("pair", "--config", tmp_path / "nope.toml", request, answer).exit_code == 2


def test_the_rule_ensuring_an_exchange_was_judged_cannot_be_configured_away(tmp_path):
    config = tmp_path / "ssbtek.toml"
    config.write_text('disable = ["SSBT-PAIR-INCOMPLETE"]\n', "utf-8")
    result = run("--config", config, FAILED)
    assert result.exit_code == 2 and "not checked" in result.output


def test_a_split_run_reports_the_configuration_once(tmp_path):
    """--jobs splits the run into chunks; the configuration still applies to every message, and the
    run's own findings (an expired suppression) appear once, as in one process."""
    config = tmp_path / "ssbtek.toml"
    config.write_text(
        f'disable = ["SSBT-CODE-AF-*"]\n[[suppress]]\nrule = "SSBT-XSD"\nfile = "*"\nreason = "r"\nexpires = {PAST}\n',
        "utf-8",
    )
    outputs = [json.loads(run("--config", config, "--jobs", jobs, "--format", "json", CORPUS / "v10").output)
               for jobs in ("1", "2")]  # fmt: skip
    for data in outputs:
        assert [f["rule"] for f in data["run_findings"]] == ["SSBT-CONFIG", "SSBT-CONFIG-EXPIRED"]
        assert "SSBT-CODE-AF-AKTIVITETSRAPPORT" not in rules_of(data)
    assert rules_of(outputs[0]) == rules_of(outputs[1])


# ---------------------------------------------------------------- a vendor's test persons


def _with_identity(tmp_path, identity: str, name: str = "request.xml"):
    text = (CORPUS / "v10" / "invalid-personidentitet-check-digit.xml").read_text(encoding="utf-8")
    start = text.index("<ssbt:personidentitet>") + len("<ssbt:personidentitet>")
    end = text.index("</ssbt:personidentitet>")
    path = tmp_path / name
    path.write_text(text[:start] + identity + text[end:], encoding="utf-8")
    return path


def test_the_two_line_test_persons_configuration_accepts_exactly_those_identities(tmp_path, monkeypatch):
    """The README's CI section: placeholders accepted through pyproject.toml, every other wrong number still fails."""
    for identity, name in (("999999999999", "a.xml"), ("199001011234", "b.xml"), ("199001011235", "c.xml")):
        _with_identity(tmp_path, identity, name)
    monkeypatch.chdir(tmp_path)
    code, data = json_run("--jobs", "1", ".")
    assert code == 1 and rules_of(data).count("SSBT-PERSONID") == 3
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ssbtek-validator]\ntest-persons = ["999999999999", "199001011234"]\n', encoding="utf-8"
    )
    for jobs in ("1", "2"):
        code, data = json_run("--jobs", jobs, ".")
        assert code == 1, data
        [failed] = [m for m in data["messages"] if m["findings"]]
        assert failed["file"].endswith("c.xml") and rules_of(data) == ["SSBT-PERSONID"]
    code, data = json_run("--config", tmp_path / "pyproject.toml", tmp_path / "a.xml")
    assert code == 0, data


@pytest.mark.parametrize("value", ['"999999999999"', '["99999999999"]', '["1990-01-01-1234"]', "[199001011234]"])
def test_test_persons_that_could_never_match_are_a_configuration_error(tmp_path, value):
    config = tmp_path / "ssbtek.toml"
    config.write_text(f"test-persons = {value}\n", encoding="utf-8")
    result = run("--config", config, _with_identity(tmp_path, "999999999999"))
    assert result.exit_code == 2 and "test-persons" in result.output
    assert "1990" not in result.output  # the configuration's values are not echoed
