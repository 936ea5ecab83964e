"""The ``ssbtek-validate`` command: wires options to the library and nothing more.

``ssbtek-validate PATH…`` is short for ``ssbtek-validate check PATH…``, the job CI runs. Reports
go to stdout or ``--output``; problems with the invocation go to stderr with exit code 2.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from . import __version__, packs_with
from .config import ConfigError, load_config
from .engine import Options, validate_paths
from .exchanges import validate_pair
from .inputs import DEFAULT_INCLUDE, read_file
from .limits import DEFAULT_LIMITS, Limits
from .pack_listing import WRITERS
from .packs import PackError
from .report import REPORTERS

EXIT_USAGE = 2


class DefaultCommandGroup(click.Group):
    """Routes anything that is not a subcommand to ``check``, so ``ssbtek-validate corpus/`` just works."""

    default_command = "check"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args == ["--version"]:
            click.echo(f"ssbtek-validator {__version__}")
            ctx.exit(0)
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def _as_of(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Conformance validator for SSBTEK messages (Sammansatt bastjänst för ekonomiskt bistånd).

    Run `ssbtek-validate PATH…` to validate captured requests and answers; exit code 0 conforms,
    1 nonconformant, 2 usage or configuration error, 3 incomplete.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--version", "version", type=int, help="Use this SSBTEK version's pack whatever the namespace says.")
@click.option("--schemas", type=click.Path(exists=True), help="A published contract bundle (folder, WSDL or XSD).")
@click.option("--show-values", is_flag=True, help="Show personal data in findings (masked by default).")
@click.option("--as-of", callback=_as_of, help="Judge undated messages as of this date (default today).")
@click.option("--strict", is_flag=True, help="Warnings make the run nonconformant.")
@click.option(
    "--max-message-bytes", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_message_bytes, show_default=True
)
@click.option("--include", multiple=True, help=f"File patterns read in folders [default: {' '.join(DEFAULT_INCLUDE)}]")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Rule configuration (TOML; its [tool.ssbtek-validator] table or the whole file) "
    "[default: ./pyproject.toml's [tool.ssbtek-validator] when present]",
)
@click.option("--pairs", is_flag=True, help="Pair requests and answers by korrelationsid and judge each exchange.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    output: str | None,
    version: int | None,
    schemas: str | None,
    show_values: bool,
    as_of: date | None,
    strict: bool,
    max_message_bytes: int,
    include: tuple[str, ...],
    config_file: str | None,
    pairs: bool,
) -> None:
    """Validate captured SSBTEK messages: files, folders (recursive), HAR captures, or - for stdin."""
    try:
        packs = packs_with(schemas)
        if version is not None and version not in packs:
            raise PackError(f"--version {version}: no pack for it; known: {', '.join(map(str, sorted(packs)))}")
        config = load_config(config_file)
    except (PackError, ConfigError) as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    options = Options(
        version=version,
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=Limits(max_message_bytes=max_message_bytes),
        include=include or DEFAULT_INCLUDE,
        config=config,
        pairs=pairs,
    )
    result = validate_paths(paths, options, packs)
    reporter = REPORTERS[output_format]
    if output:
        with Path(output).open("w", encoding="utf-8") as stream:
            reporter(result, packs, stream)
    else:
        reporter(result, packs, click.get_text_stream("stdout"))
    sys.exit(result.exit_code)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: id, severity, versions, what it checks."""
    from .report.listings import print_rules

    print_rules(output_format)


@main.command("explain")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    """Print a rule's documentation and an example finding."""
    from .report.listings import print_explanation

    sys.exit(print_explanation(rule_id))


@main.command("codes")
@click.argument("list_name", required=False)
@click.option("--as-of", callback=_as_of, help="Show the list as it stood on this date (default today).")
def codes_command(list_name: str | None, as_of: date | None) -> None:
    """Print a code list as it stood on a date (without LIST: every list)."""
    from .report.listings import print_codes

    sys.exit(print_codes(list_name, as_of or date.today()))


@main.command("versions")
@click.option("--format", "output_format", type=click.Choice(sorted(WRITERS)), default="text", show_default=True)
@click.option("--schemas", type=click.Path(exists=True), help="Also list a published bundle, as it would be used.")
def versions(output_format: str, schemas: str | None) -> None:
    """List every schema pack: namespace, live and closed dates, status, agencies, LEFI Online versions."""
    try:
        packs = packs_with(schemas)
    except PackError as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    WRITERS[output_format](packs, click.get_text_stream("stdout"))


@main.command()
@click.argument("request", type=click.Path(dir_okay=False))
@click.argument("answer", type=click.Path(dir_okay=False))
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write the report here.")
@click.option("--version", "version", type=int, help="Use this SSBTEK version's pack whatever the namespace says.")
@click.option("--schemas", type=click.Path(exists=True), help="A published contract bundle (folder, WSDL or XSD).")
@click.option("--show-values", is_flag=True, help="Show personal data in findings (masked by default).")
@click.option("--as-of", callback=_as_of, help="Judge undated messages as of this date (default today).")
@click.option("--strict", is_flag=True, help="Warnings make the run nonconformant.")
@click.option(
    "--max-message-bytes", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_message_bytes, show_default=True
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Rule configuration, as for check.")
def pair(
    request: str,
    answer: str,
    output_format: str,
    output: str | None,
    version: int | None,
    schemas: str | None,
    show_values: bool,
    as_of: date | None,
    strict: bool,
    max_message_bytes: int,
    config_file: str | None,
) -> None:
    """Validate a request and its answer together: a verdict for each message and one for the exchange."""
    try:
        packs = packs_with(schemas)
        if version is not None and version not in packs:
            raise PackError(f"--version {version}: no pack for it; known: {', '.join(map(str, sorted(packs)))}")
        config = load_config(config_file)
    except (PackError, ConfigError) as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    limits = Limits(max_message_bytes=max_message_bytes)
    options = Options(
        version=version, show_values=show_values, as_of=as_of, strict=strict, limits=limits, config=config
    )
    result = validate_pair(read_file(request, limits), read_file(answer, limits), options, packs)
    reporter = REPORTERS[output_format]
    if output:
        with Path(output).open("w", encoding="utf-8") as stream:
            reporter(result, packs, stream)
    else:
        reporter(result, packs, click.get_text_stream("stdout"))
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
