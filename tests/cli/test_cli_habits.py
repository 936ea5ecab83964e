"""The command line as people expect it: shared options, -V, --pack, env variables, hints, wording."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import shutil
import struct
import termios

import click
import pytest

from ssbtek_validator.cli.main import main
from ssbtek_validator.run.progress import Progress

from ..conftest import CORPUS, run_cli

VALID = CORPUS / "v10" / "request-full.xml"
ANSWER = CORPUS / "v10" / "answer-all-agencies-data.xml"
INVALID = CORPUS / "v10" / "invalid-personidentitet-11-digits.xml"
WRONG_KORRELATIONSID = CORPUS / "pairs" / "answer-wrong-korrelationsid.xml"


def run(*args: object, env: dict[str, str] | None = None, stdin: bytes | None = b""):
    return run_cli(*args, env=env, stdin=stdin)


def _options(command: str) -> set[str]:
    built = main.get_command(click.Context(main), command)  # pair and certify are built when named
    return {name for p in built.params for name in p.opts if isinstance(p, click.Option)}


# one options module


def test_check_pair_and_certify_share_the_judging_options_and_limits():
    shared = {"--schemas", "--show-values", "--as-of", "--strict", "--pack", "--max-message-bytes",
              "--max-decoded-bytes", "--max-depth", "--max-nodes", "--version", "-V"}  # fmt: skip
    for command in ("check", "pair", "certify"):
        assert shared <= _options(command), (command, shared - _options(command))
    assert {"--format", "--output-format", "--output", "--out", "--config", "--quiet"} <= _options("pair")


def test_pair_honours_the_limits_check_has():
    result = run("pair", "--max-depth", 3, "--format", "json", VALID, ANSWER)
    assert result.exit_code == 3, result.output
    assert "SSBT-LIMIT" in result.stdout


def test_versions_ignores_a_broken_rule_configuration_it_does_not_use(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.ssbtek-validator]\ndisable = ["NO-SUCH-RULE"]\n')
    monkeypatch.chdir(tmp_path)
    assert run(VALID).exit_code == 2  # check does use it, and refuses it
    result = run("versions")
    assert result.exit_code == 0, result.output
    assert "ssbt-v10" in result.stdout


# --version / -V / --pack


@pytest.mark.parametrize("command", [[], ["check"], ["pair"], ["certify"], ["fuzz"], ["versions"], ["rules"]])
@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_every_command_prints_the_tools_version(command, flag):
    result = run(*command, flag)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ssbtek-validator ")


def test_pack_forces_a_pack_and_the_old_spelling_warns_but_works():
    new = run("--pack", 11, "--format", "json", VALID)
    old = run("--version", 11, "--format", "json", VALID)
    assert new.exit_code == old.exit_code == 1
    assert "--version 11 is deprecated" in old.stderr and "--pack 11" in old.stderr
    assert "deprecated" not in new.stderr
    strip = [{k: v for k, v in json.loads(r.stdout).items() if k != "duration_seconds"} for r in (new, old)]
    assert strip[0] == strip[1]
    assert run("check", "--version=11", VALID).exit_code == 1  # the = form too
    assert run("--pack", 99, VALID).exit_code == 2


# --output and --out


def test_certify_fuzz_and_check_accept_both_output_spellings(tmp_path):
    for spelling in ("--output", "--out"):
        folder = tmp_path / spelling.strip("-")
        result = run("certify", "--pack", 10, spelling, folder, CORPUS / "v10")
        assert result.exit_code in (0, 1), result.output
        assert (folder / "evidence.json").is_file()
        assert run("fuzz", "--count", 2, spelling, tmp_path / f"fuzz-{spelling}").exit_code == 0
        report = tmp_path / f"r{spelling}.json"
        assert run("--format", "json", spelling, report, VALID).exit_code == 0
        assert json.loads(report.read_text())["verdict"] == "conforms"


# --include


@pytest.mark.parametrize("patterns", [("*.txt *.xml",), ("*.txt,*.xml",), ("*.txt", "--include", "*.xml")])
def test_include_is_split_on_spaces_and_commas(tmp_path, patterns):
    shutil.copyfile(VALID, tmp_path / "a.xml")
    shutil.copyfile(VALID, tmp_path / "b.txt")
    result = run("--include", *patterns, "--format", "json", tmp_path)
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["messages"]) == 2


# typos and stdin


@pytest.mark.parametrize(("typed", "meant"), [("version", "versions"), ("rule", "rules"), ("certfy", "certify")])
def test_a_mistyped_command_is_suggested_with_exit_2(typed, meant, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(typed)
    assert result.exit_code == 2
    assert f"No such command or file '{typed}'. Did you mean '{meant}'?" in result.stderr


def test_an_existing_file_named_like_a_command_is_judged(tmp_path, monkeypatch):
    shutil.copyfile(VALID, tmp_path / "version")
    monkeypatch.chdir(tmp_path)
    result = run("version")
    assert result.exit_code == 0, result.output


def test_a_missing_file_that_looks_like_no_command_is_still_incomplete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("captures.xml", "requests", "session", str(tmp_path / "versions")):
        assert run(name).exit_code == 3, name


def test_no_arguments_with_piped_stdin_hints_at_dash():
    result = run(stdin=VALID.read_bytes())
    assert result.exit_code == 2
    assert "give -" in result.stderr and "Usage" not in result.output
    assert run("-", stdin=VALID.read_bytes()).exit_code == 0


# --as-of


@pytest.mark.parametrize("value", ["2026-W49-2", "20261204", "2026-12-4", "2026-02-30", "yesterday"])
def test_as_of_takes_only_a_real_yyyy_mm_dd(value):
    for command in (["check"], ["codes"]):
        result = run(*command, "--as-of", value, *([VALID] if command == ["check"] else []))
        assert result.exit_code == 2, result.output
        assert "YYYY-MM-DD" in result.stderr or "real date" in result.stderr
    assert run("--as-of", "2026-12-04", VALID).exit_code == 0


# --output-format, environment, colour


def test_output_format_is_an_alias_of_format():
    result = run("--output-format", "json", VALID)
    assert json.loads(result.stdout)["verdict"] == "conforms"


def test_ssbtek_environment_variables_set_format_jobs_and_config(tmp_path):
    assert json.loads(run(VALID, env={"SSBTEK_FORMAT": "json"}).stdout)["verdict"] == "conforms"
    assert run(VALID, "--format", "text", env={"SSBTEK_FORMAT": "json"}).stdout.startswith(str(VALID))
    assert run(VALID, env={"SSBTEK_JOBS": "0"}).exit_code == 2  # validated as the option is
    bad = tmp_path / "rules.toml"
    bad.write_text('disable = ["NO-SUCH-RULE"]\n')
    assert run(VALID, env={"SSBTEK_CONFIG": str(bad)}).exit_code == 2
    help_text = run("check", "--help").stdout
    for name in ("SSBTEK_FORMAT", "SSBTEK_CONFIG", "SSBTEK_JOBS"):
        assert name in help_text


@pytest.mark.parametrize("env", [{"FORCE_COLOR": "1"}, {"NO_COLOR": "1"}, {}])
def test_reports_carry_no_escape_sequences_whatever_the_colour_settings(env):
    """The text report has no colour; FORCE_COLOR must not bring ANSI codes into logs or files."""
    result = run(INVALID, env=env)
    assert "\x1b" not in result.output


# summary, --quiet, short conforming lines


def test_quiet_prints_only_the_summary_line_and_still_writes_files(tmp_path):
    sarif = tmp_path / "r.sarif"
    result = run("--quiet", "--format", f"sarif:{sarif}", "--format", "text", INVALID, VALID)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [result.stdout.strip()]
    assert result.stdout.startswith("2 messages: 1 conform, 1 nonconformant")
    assert json.loads(sarif.read_text())["runs"][0]["results"]


def test_all_formats_to_files_print_the_summary_on_stderr(tmp_path):
    result = run("--format", f"json:{tmp_path / 'r.json'}", "--format", f"junit:{tmp_path / 'r.xml'}", INVALID)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("1 message: 0 conform, 1 nonconformant")


def test_a_conforming_message_is_one_short_line_unless_verbose():
    short = run(VALID).stdout.splitlines()[0]
    assert short == f"{VALID}: conforms (v10)"
    assert "namespace" in run("--verbose", VALID).stdout.splitlines()[0]
    bad = [line for line in run(INVALID).stdout.splitlines() if line.startswith(f"{INVALID}: nonconformant")]
    assert bad and "namespace" in bad[0]  # the reason stays where something is wrong


# progress line


def test_progress_line_fits_stderrs_60_column_terminal_and_never_wraps(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    leader, follower = pty.openpty()
    try:
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
        stream = io.TextIOWrapper(io.FileIO(follower, "w", closefd=False), write_through=True)
        progress = Progress(stream=stream, delay=0.0, label="ssbtek-validate")
        assert progress.columns() == 60  # stderr's size, whatever stdout (a pipe under pytest) says
        progress.start(123456)
        for done in (1, 5000, 123456):
            progress.done = done
            assert len(progress.line()) <= 59
        progress.close()
    finally:
        os.close(leader)
        os.close(follower)


# wording


def test_singular_counts_and_an_empty_folder_is_zero_messages(tmp_path):
    one = run(INVALID).stdout.splitlines()[-1]
    assert one.startswith("1 message: ") and "1 error," in one and "1 messages" not in one
    empty = run(tmp_path).stdout.splitlines()[-1]
    assert empty.startswith("0 messages: 0 conform, 0 nonconformant, 0 incomplete; 1 input not read")


def test_a_run_where_only_the_exchange_fails_counts_its_errors():
    result = run("pair", VALID, WRONG_KORRELATIONSID)
    assert result.exit_code == 1
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith("2 messages: 2 conform, 0 nonconformant, 0 incomplete; 1 exchange nonconformant; ")
    assert "0 errors" not in summary and summary.endswith("→ nonconformant (exit 1)")


def test_pair_findings_use_the_right_article():
    result = run("pair", ANSWER, VALID)
    assert "is an answer, expected a request" in result.stdout
    assert "a answer" not in result.stdout
