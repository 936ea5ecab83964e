"""The commands that list what the tool knows: ``rules``, ``explain``, ``codes``, ``versions``. In a module of
their own, built when named (cli/main.py LATER_COMMANDS): a check does not build their options."""

from __future__ import annotations

import sys
from datetime import date

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.cli.running import setup
from ssbtek_validator.report.versions import WRITERS


@click.command("rules")
@opt.tool_version
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: id, severity, versions, what it checks."""
    from ssbtek_validator.report.listings import print_rules

    print_rules(output_format)


@click.command("explain")
@click.argument("rule_id")
@opt.tool_version
def explain_command(rule_id: str) -> None:
    """Print a rule's documentation and an example finding."""
    from ssbtek_validator.report.listings import print_explanation

    sys.exit(print_explanation(rule_id))


@click.command("codes")
@click.argument("list_name", required=False)
@click.option("--as-of", callback=opt.parse_as_of, metavar="YYYY-MM-DD",
              help="Show the list as it stood on this date (default today in Sweden).")  # fmt: skip
@opt.tool_version
def codes_command(list_name: str | None, as_of: date | None) -> None:
    """Print a code list as it stood on a date (without LIST: every list)."""
    from ssbtek_validator.report.listings import print_codes
    from ssbtek_validator.run.swedish_time import today_in_sweden

    sys.exit(print_codes(list_name, as_of or today_in_sweden()))


@click.command("versions")
@click.option("--format", "output_format", type=click.Choice(sorted(WRITERS)), default="text", show_default=True)
@click.option("--schemas", type=click.Path(exists=True), help="Also list a published bundle, as it would be used.")
@opt.tool_version
def versions(output_format: str, schemas: str | None) -> None:
    """List every schema pack: namespace, live and closed dates, status, agencies, LEFI Online versions."""
    packs, _config = setup(schemas, with_config=False)
    WRITERS[output_format](packs, sys.stdout)


#: by the name each is called by
COMMANDS = {"rules": rules_command, "explain": explain_command, "codes": codes_command, "versions": versions}
