"""Certification coverage (``MessageResult.observed``) is worked out only for a run whose outputs show it.

The command turns it off unless a JSON report is asked for; ``certify`` always has it (its HTML page shows
it; a plain HTML report does not); a library
caller has it unless it says otherwise. A spy counts the driver's coverage walk; the other reports are
compared with and without coverage, so a reporter that starts showing it fails here until it is listed.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest

from ssbtek_validator.certify import run as certify_run
from ssbtek_validator.cli.running import COVERAGE_FORMATS
from ssbtek_validator.report import REPORTERS
from ssbtek_validator.report import text as text_report
from ssbtek_validator.run import coverage, driver
from ssbtek_validator.run.driver import Options, validate_paths
from ssbtek_validator.run.executor import validate_batch

from ..conftest import CORPUS, run_cli

AS_OF = date(2026, 11, 1)
REQUEST = CORPUS / "v10" / "request-full.xml"
ANSWER = CORPUS / "v10" / "answer-all-agencies-data.xml"
OTHER_FORMATS = sorted(set(REPORTERS) - COVERAGE_FORMATS)


@pytest.fixture
def walks(monkeypatch) -> list[int]:
    """How many times the driver worked out a message's coverage."""
    counted = [0]

    def counting(message, agencies):
        counted[0] += 1
        return coverage.observe(message, agencies)

    monkeypatch.setattr(driver, "observe", counting)
    return counted


@pytest.mark.parametrize("output_format", OTHER_FORMATS)
def test_a_run_whose_reports_do_not_show_coverage_does_not_work_it_out(walks, output_format):
    done = run_cli("check", "--format", output_format, "--as-of", "2026-11-01", REQUEST, ANSWER)
    assert done.exit_code == 0, done.output
    assert walks[0] == 0


@pytest.mark.parametrize("output_format", sorted(COVERAGE_FORMATS))
def test_a_json_report_still_has_coverage(walks, output_format, tmp_path):
    """Beside a text report in the log, as a pipeline asks for them."""
    report = tmp_path / f"report.{output_format}"
    done = run_cli(
        "check", "--format", f"{output_format}:{report}", "--format", "text", "--as-of", "2026-11-01", ANSWER
    )
    assert done.exit_code == 0, done.output
    assert walks[0] == 1


def test_the_json_report_still_lists_what_each_message_exercised(walks):
    done = run_cli("--format", "json", "--as-of", "2026-11-01", REQUEST)
    [message] = json.loads(done.output)["messages"]
    assert "request:FK:included" in message["observed"]


def test_pair_works_out_coverage_only_for_a_json_report(walks):
    assert run_cli("pair", "--as-of", "2026-11-01", REQUEST, ANSWER).exit_code == 0
    assert walks[0] == 0
    done = run_cli("pair", "--format", "json", "--as-of", "2026-11-01", REQUEST, ANSWER)
    assert walks[0] == 2
    assert all(message["observed"] for message in json.loads(done.output)["messages"])


def test_certify_has_coverage_whatever_its_options_say(walks):
    outcome = certify_run.run([REQUEST, ANSWER], 10, options=Options(as_of=AS_OF, coverage=False))
    assert walks[0] == 2
    assert outcome.certification.to_dict()["coverage"]["agencies"]["FK"]["data"] == 1


def test_workers_follow_the_runs_coverage_option():
    """--jobs hands the options to each worker: a text run's workers leave coverage out too."""
    paths = [REQUEST, ANSWER] * 2
    without = validate_batch(paths, Options(as_of=AS_OF, coverage=False), jobs=2).result
    with_it = validate_batch(paths, Options(as_of=AS_OF), jobs=2).result
    assert [m.observed for m in without.messages] == [[]] * 4
    assert all(m.observed for m in with_it.messages)


@pytest.mark.parametrize("output_format", OTHER_FORMATS)
def test_the_other_reports_are_the_same_without_coverage(output_format):
    folders = [CORPUS / "v10", CORPUS / "v11"]
    full = validate_paths(folders, Options(as_of=AS_OF))
    bare = validate_paths(folders, Options(as_of=AS_OF, coverage=False))
    assert any(m.observed for m in full.messages) and not any(m.observed for m in bare.messages)
    writers = [REPORTERS[output_format]]
    if output_format == "text":
        writers += [lambda r, p, s, d=detail: text_report.write(r, p, s, detail=d) for detail in ("quiet", "verbose")]
    for write in writers:
        shown = []
        for result in (full, bare):
            stream = io.StringIO()
            write(result, {}, stream)
            shown.append(stream.getvalue())
        assert shown[0] == shown[1]
