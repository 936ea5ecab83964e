"""The ``proxy`` and ``serve`` commands: click wiring for :mod:`ssbtek_validator.traffic`, whose aiohttp is
imported only when one of them runs."""

from __future__ import annotations

import sys

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.results.model import EXIT_USAGE
from ssbtek_validator.traffic import aiohttp_missing


def _need_aiohttp() -> None:
    missing = aiohttp_missing()
    if missing:
        click.echo(f"ssbtek-validate: {missing}", err=True)
        sys.exit(EXIT_USAGE)


def _listen(value: str) -> tuple[str, int]:
    from ssbtek_validator.traffic.http import parse_listen

    try:
        return parse_listen(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


#: where proxy and serve listen: loopback unless told otherwise
LISTEN = click.option(
    "--listen", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to listen on (port 0: any)."
)


def _announce(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


@click.command()
@LISTEN
@opt.pack("Serve only this SSBTEK version [default: every pack].")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed and korrelationsid, same answer.")
@click.option("--scenario", "scenario_file", type=click.Path(dir_okay=False), help="Scenario file (TOML).")
@click.option(
    "--near-miss",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of answers given one planted defect, to test the caller's own error handling.",
)
@click.option("--lenient", is_flag=True, help="Answer nonconformant requests too (their findings are logged).")
@opt.show_values("Show personal data in Faults and the log (masked by default).")
@opt.max_message_bytes()
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds a client may take to send a request body.",
)
def serve(
    listen: str,
    version: int | None,
    seed: int,
    scenario_file: str | None,
    near_miss: float,
    lenient: bool,
    show_values: bool,
    max_message_bytes: int,
    body_timeout: float,
) -> None:
    """An SSBTEK test double: validates each request, answers with a generated conforming answer or a Fault.

    Routed by the Body's namespace, as the real service routes; the WSDL (ours, from our packs) is at
    ?wsdl. Needs the 'serve' extra: pip install 'ssbtek-validator[serve]'.
    """
    _need_aiohttp()
    host, port = _listen(listen)
    from ssbtek_validator import builtin_packs
    from ssbtek_validator.traffic import scenarios
    from ssbtek_validator.traffic.serve import DoubleSettings, run

    packs = builtin_packs()
    if version is not None and version not in packs:
        click.echo(f"ssbtek-validate: --pack {version}: no pack; known: {', '.join(map(str, sorted(packs)))}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        scenario = scenarios.load(scenario_file)
    except scenarios.ScenarioError as exc:
        click.echo(f"ssbtek-validate: --scenario {exc}", err=True)
        sys.exit(EXIT_USAGE)
    settings = DoubleSettings(
        packs=packs,
        versions=(version,) if version is not None else tuple(sorted(packs)),
        seed=seed,
        scenarios=scenario,
        near_miss=near_miss,
        lenient=lenient,
        show_values=show_values,
        limits=Limits(max_message_bytes=max_message_bytes),
        body_seconds=body_timeout,
    )
    try:
        sys.exit(run(settings, host, port, _announce))
    except OSError as exc:  # the port is taken, the address is not ours
        click.echo(f"ssbtek-validate: cannot listen on {listen}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)


@click.command()
@click.option("--upstream", required=True, help="The SSBTEK endpoint to forward to (http:// or https:// URL).")
@LISTEN
@click.option("--record", "record_dir", type=click.Path(file_okay=False), help="Write each exchange to this folder.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="Trust these CAs for the upstream.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (PEM) for the upstream.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Its private key (PEM), if not in --cert.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the upstream's answer before answering 504.",
)
@opt.show_values("Show personal data in the verdicts (masked by default).")
@click.option("--strict", is_flag=True, help="Warnings make an exchange nonconformant.")
@opt.max_message_bytes()
def proxy(
    upstream: str,
    listen: str,
    record_dir: str | None,
    output_format: str,
    ca_file: str | None,
    cert: str | None,
    key: str | None,
    timeout: float,
    show_values: bool,
    strict: bool,
    max_message_bytes: int,
) -> None:
    """A validating, recording proxy: point your case system here instead of at the SSBTEK test environment.

    Forwards every request and answer unchanged, prints one verdict per exchange as it happens, and with
    --record writes each exchange as a request/answer pair that `--pairs` and `certify --pairs` read.
    Stop it with Ctrl-C: exit 0 if every exchange conformed, 1 if one did not, 3 if one was incomplete.
    Needs the 'serve' extra: pip install 'ssbtek-validator[serve]'.
    """
    _need_aiohttp()
    host, port = _listen(listen)
    from ssbtek_validator import builtin_packs
    from ssbtek_validator.traffic.proxy import ProxySettings, UpstreamError, run, tls_context

    if not upstream.startswith(("http://", "https://")):
        raise click.BadParameter(f"{upstream!r}: an http:// or https:// URL", param_hint="--upstream")
    if key and not cert:
        raise click.BadParameter("--key needs --cert", param_hint="--key")
    try:
        tls = tls_context(upstream, ca_file, cert, key)
    except UpstreamError as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    settings = ProxySettings(
        upstream=upstream,
        packs=builtin_packs(),
        record=record_dir,
        json=output_format == "json",
        tls=tls,
        timeout=timeout,
        show_values=show_values,
        strict=strict,
        limits=Limits(max_message_bytes=max_message_bytes),
    )
    try:
        sys.exit(run(settings, host, port, lambda text: click.echo(text, err=True)))
    except OSError as exc:
        click.echo(f"ssbtek-validate: cannot listen on {listen} or record: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
