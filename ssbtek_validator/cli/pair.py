"""The ``pair`` command: a request and its answer judged together. In a module of its own, built when named
(cli/main.py LATER_COMMANDS): a check does not build its options."""

from __future__ import annotations

from datetime import date

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.cli.running import coverage_shown, detail, plan, report_and_exit, setup
from ssbtek_validator.reading.inputs import read_file
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.run.driver import Options, validate_pair


@click.command()
@click.argument("request", type=click.Path(dir_okay=False))
@click.argument("answer", type=click.Path(dir_okay=False))
@opt.report_outputs
@opt.verbosity
@opt.pack()
@opt.judging
@opt.limits
@opt.config
@opt.tool_version
def pair(
    request: str,
    answer: str,
    output_format: tuple[str, ...],
    output: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    version: int | None,
    schemas: str | None,
    show_values: bool,
    as_of: date | None,
    strict: bool,
    limits: Limits,
    config_file: str | None,
) -> None:
    """Validate a request and its answer together: a verdict for each message and one for the exchange."""
    outputs = plan(output_format, output)
    packs, config = setup(schemas, version, config_file)
    options = Options(
        version=version,
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=limits,
        config=config,
        coverage=coverage_shown(outputs),
    )
    result = validate_pair(read_file(request, limits), read_file(answer, limits), options, packs)
    report_and_exit(result, packs, outputs, detail=detail(quiet, verbose))
