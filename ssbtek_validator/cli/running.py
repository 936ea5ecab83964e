"""What the commands that validate share: the packs and configuration their options name, the reports they
write and the exit code they end with (``check`` in cli/main.py, ``pair``, ``certify``, ``versions``)."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Mapping

import click

from ssbtek_validator.api import packs_with
from ssbtek_validator.packs.schema_packs import PackError
from ssbtek_validator.report import PreparedMessages
from ssbtek_validator.report import text as text_report
from ssbtek_validator.report.outputs import OutputError, write_all
from ssbtek_validator.report.outputs import plan as plan_outputs
from ssbtek_validator.results.model import EXIT_CODES, EXIT_USAGE
from ssbtek_validator.run.config_file import ConfigError, config_table


def setup(schemas: str | None, version: int | None = None, config_file: str | None = None, *, with_config: bool = True):
    """Packs (with a --schemas bundle) and the rule configuration; any problem is a usage error (exit 2).
    ``with_config=False`` for a command that runs no rule (``versions``): a broken configuration is not its
    business and must not stop it."""
    try:
        packs = packs_with(schemas)
        if version is not None and version not in packs:
            raise PackError(f"--pack {version}: no pack for it; known: {', '.join(map(str, sorted(packs)))}")
        config = _configuration(config_file) if with_config else None
    except (PackError, ConfigError) as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    return packs, config


def _configuration(config_file: str | None):
    """The rule configuration, None without one. What a configuration is (run/config.py: its model, the rules'
    registry to check it against) is imported only when a table is found: most runs have none, and importing it
    was ~1.5 ms of a one-message run (run/config_file.py; tests/run/test_cold_start.py)."""
    found = config_table(config_file)
    if found is None:
        return None
    from ssbtek_validator.run.config import from_table

    return from_table(*found)


#: the report formats that show what each message exercised (``MessageResult.observed``): the JSON report's
#: per-message "observed". The HTML page shows coverage only as a certification (``certify``, which always
#: works it out). A run writing no JSON leaves coverage out (~12 µs of a message's ~300);
#: tests/run/test_coverage_outputs.py checks that every other format's report is the same without it.
COVERAGE_FORMATS = frozenset({"json"})


def coverage_shown(outputs) -> bool:
    return any(output.format in COVERAGE_FORMATS for output in outputs)


def plan(output_format: tuple[str, ...], output: tuple[str, ...]):
    try:
        return plan_outputs(output_format, output)
    except OutputError as exc:
        raise click.UsageError(str(exc)) from exc


class _ClosedStdout:
    """Stands in for a standard output the tool was started without (``>&-``; Python then sets
    ``sys.stdout`` to None): writing to it fails as writing to a closed descriptor does."""

    def write(self, _text: str) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        """Nothing was written."""


def _stdout_to_devnull() -> None:
    """What is still buffered for stdout goes nowhere at exit, instead of raising a second error there."""
    if sys.stdout is not None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def detail(quiet: bool, verbose: bool) -> str:
    return "quiet" if quiet else "verbose" if verbose else "normal"


def report_and_exit(
    result, packs, outputs, prepared: Mapping[str, PreparedMessages] | None = None, detail: str = "normal"
) -> None:
    """Reports written, then the verdict's exit code. A report that cannot reach stdout (a reader that
    stopped reading, a closed or read-only stdout) does not change the verdict: the exit code a CI step
    acts on is still the verdict, and one line on stderr says the report was not written. Any other
    write failure (a full disk, a folder that does not exist) is a usage error (exit 2).

    The run's verdict and summary line are made once, here: each is a pass over the run's messages, in series
    after the last one (with --jobs, time no worker shares), and the text report, the line on stderr and the
    exit code asked for them five times over (~6 ms of 15,000 messages a quarter of which have findings).
    tests/cli/test_cli.py counts the passes."""
    stdout = sys.stdout if sys.stdout is not None else _ClosedStdout()
    verdict = result.verdict
    code = EXIT_CODES[verdict]
    summary = text_report.summary_line(result, verdict)
    try:
        write_all(result, packs, outputs, stdout, prepared, detail=detail, summary=summary)
        stdout.flush()
        if all(output.path is not None for output in outputs):  # everything went to files: say how it ended
            click.echo(summary, err=True)
    except BrokenPipeError:  # `ssbtek-validate … | head`: the reader stopped reading, the verdict stands
        _stdout_to_devnull()
        sys.exit(code)
    except OSError as exc:
        if exc.errno == errno.EBADF:  # `>&-` or stdout opened for reading only
            click.echo("ssbtek-validate: standard output is closed; the report was not written.", err=True)
            _stdout_to_devnull()
            sys.exit(code)
        click.echo(f"ssbtek-validate: cannot write report: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code)
