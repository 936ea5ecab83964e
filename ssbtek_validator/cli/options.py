"""Options shared by the commands that judge messages (``check``, ``pair``, ``certify``, ``fuzz``), defined once.

Each option is a decorator, so a command lists what it takes and the spelling, help text, defaults and
environment variable of an option cannot drift between commands. Options a CI sets once for every step
also read an ``SSBTEK_`` environment variable (``SSBTEK_FORMAT``, ``SSBTEK_CONFIG``, ``SSBTEK_JOBS``);
an option on the command line wins over its variable.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import click

from ssbtek_validator import __version__
from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE
from ssbtek_validator.reading.limits import DEFAULT_LIMITS, LIBXML2_MAX_DEPTH, Limits
from ssbtek_validator.report import REPORTERS

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: ``YYYY-MM-DD`` and nothing else: ``date.fromisoformat`` also takes ``2026-W49-2`` and ``20261204``,
#: which a reader of the evidence would not recognise as the date the run was judged on.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_as_of(_ctx: click.Context | None, _param: click.Parameter | None, value: str | None) -> date | None:
    """``--as-of``: a calendar date written ``YYYY-MM-DD``; anything else is a usage error (exit 2)."""
    if value is None:
        return None
    if not _ISO_DATE.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD (for example 2026-12-04)")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a real date ({exc})") from exc


def split_patterns(_ctx: click.Context | None, _param: click.Parameter | None, values: tuple[str, ...]) -> tuple:
    """``--include '*.txt *.xml'`` (as ``--help`` shows the default) is two patterns, as is ``'*.txt,*.xml'``."""
    return tuple(part for value in values for part in re.split(r"[\s,]+", value) if part)


def tool_version(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--version``/``-V``: the tool's version, on the group and on every command."""
    return click.version_option(
        __version__, "--version", "-V", "tool_version", prog_name="ssbtek-validator", message="%(prog)s %(version)s"
    )(f)


def report_outputs(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--format``/``--output-format`` and ``--output``/``-o``/``--out``: which report goes where."""
    f = click.option(
        "--output",
        "-o",
        "--out",
        "output",
        multiple=True,
        metavar="[FORMAT=]FILE",
        help="Write the report (or one format's) to FILE.",
    )(f)
    return click.option(
        "--format",
        "--output-format",
        "output_format",
        multiple=True,
        metavar="FORMAT[:FILE]",
        envvar="SSBTEK_FORMAT",
        show_envvar=True,
        help=f"Report format, repeatable: {', '.join(REPORTERS)} [default: text]; FORMAT:FILE writes it to FILE.",
    )(f)


def output_folder(default: str | None, what: str) -> Decorator:
    """``--output``/``--out`` for commands that write a folder (``certify``, ``fuzz``): both spellings work."""
    return click.option(
        "--output", "-o", "--out", "out_dir", type=click.Path(file_okay=False), default=default,
        show_default=default is not None, help=what,
    )  # fmt: skip


def pack(help_text: str = "Use this SSBTEK version's pack whatever the namespace says.", multiple: bool = False):
    """``--pack N``: force a pack (formerly ``--version N``, which still works with a warning)."""
    return click.option("--pack", "version", type=int, multiple=multiple, metavar="N", help=help_text)


def show_values(help_text: str = "Show personal data in findings (masked by default).") -> Decorator:
    """``--show-values``: every command masks personal data unless this is given."""
    return click.option("--show-values", is_flag=True, help=help_text)


def max_message_bytes(help_text: str = "Largest message read.") -> Decorator:
    """``--max-message-bytes``, for the commands that take this limit alone (proxy, serve)."""
    return click.option(
        "--max-message-bytes",
        type=click.IntRange(min=1),
        default=DEFAULT_LIMITS.max_message_bytes,
        show_default=True,
        help=help_text,
    )


def judging(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--schemas``, ``--show-values``, ``--as-of``, ``--strict``: how every message is judged."""
    for option in reversed(
        (
            click.option("--schemas", type=click.Path(exists=True),
                         help="A published contract bundle (folder, WSDL or XSD)."),
            show_values(),
            click.option("--as-of", callback=parse_as_of, metavar="YYYY-MM-DD",
                         help="Judge undated messages as of this date (default today in Sweden)."),
            click.option("--strict", is_flag=True, help="Warnings make the run nonconformant."),
        )
    ):  # fmt: skip
        f = option(f)
    return f


def config(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--config``: the rule configuration."""
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False),
        envvar="SSBTEK_CONFIG",
        show_envvar=True,
        help="Rule configuration (TOML; its [tool.ssbtek-validator] table or the whole file) "
        "[default: ./pyproject.toml's [tool.ssbtek-validator] when present]",
    )(f)


def subject(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--product``, ``--product-version``, ``--vendor``, ``--environment``: who and what ``certify`` certifies."""
    for name, what in (
        ("--environment", "Environment the captures come from (e.g. test, acceptance)"),
        ("--vendor", "Vendor of the certified product"),
        ("--product-version", "Version of the certified product"),
        ("--product", "Name of the certified product"),
    ):
        f = click.option(
            name, metavar="TEXT", help=f"{what} [default: ./pyproject.toml's [tool.ssbtek-validator.certify]]."
        )(f)
    return f


def jobs(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs``/``-j``: worker processes."""
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        envvar="SSBTEK_JOBS",
        show_envvar=True,
        help="Worker processes.",
    )(f)


def include(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--include``: file patterns read in folders; split on spaces and commas, repeatable."""
    return click.option(
        "--include",
        multiple=True,
        callback=split_patterns,
        help=f"File patterns read in folders, separated by spaces or commas, repeatable "
        f"[default: {' '.join(DEFAULT_INCLUDE)}]",
    )(f)


def verbosity(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--quiet`` (the summary line only) and ``--verbose`` (how each conforming message was identified)."""
    f = click.option("--verbose", "-v", is_flag=True, help="Say how each conforming message was identified.")(f)
    return click.option(
        "--quiet", "-q", is_flag=True, help="Print only the summary line (reports sent to files are still written)."
    )(f)


def limits(f: Callable[..., Any]) -> Callable[..., Any]:
    """The size limits, handed to the command as one ``limits: Limits`` argument."""

    @functools.wraps(f)
    def with_limits(
        *args: Any,
        max_message_bytes: int,
        max_decoded_bytes: int,
        max_depth: int,
        max_nodes: int,
        max_exchanges: int,
        max_run_findings: int,
        **kwargs: Any,
    ) -> Any:
        bounds = Limits(
            max_message_bytes=max_message_bytes,
            max_decoded_bytes=max_decoded_bytes,
            max_depth=max_depth,
            max_nodes=max_nodes,
            max_exchanges=max_exchanges,
            max_run_findings=max_run_findings,
        )
        return f(*args, limits=bounds, **kwargs)

    for option in reversed(
        (
            max_message_bytes(),
            click.option("--max-decoded-bytes", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_decoded_bytes,
                         show_default=True, help="Largest decoded nested payload (base64/JSON/XML inside a message)."),
            click.option("--max-depth", type=click.IntRange(1, LIBXML2_MAX_DEPTH), default=DEFAULT_LIMITS.max_depth,
                         show_default=True, help=f"Deepest element or JSON nesting; libxml2 itself stops at "
                         f"{LIBXML2_MAX_DEPTH}, which is never lifted."),
            click.option("--max-nodes", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_nodes,
                         show_default=True, help="Most nodes (elements, attributes, text, JSON values) one message "
                         "builds, payloads included; bounds memory."),
            click.option("--max-exchanges", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_exchanges,
                         show_default=True, help="Most SOAP exchanges one HAR or raw HTTP capture may hold; bounds "
                         "memory."),
            click.option("--max-run-findings", type=click.IntRange(min=1), default=DEFAULT_LIMITS.max_run_findings,
                         show_default=True, help="Most findings a run keeps for its report; past it findings are "
                         "counted (verdicts, exit code), not listed. Bounds memory."),
        )
    ):  # fmt: skip
        with_limits = option(with_limits)
    return with_limits


def _is_integer(text: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d+", text.strip()))


def deprecated_version_spelling(args: list[str], warn: Callable[[str], None]) -> list[str]:
    """``--version N`` (the old way to force a pack) becomes ``--pack N``, with a warning; ``--version``
    alone (or followed by anything but an integer) is the tool's version. Nothing after ``--`` is touched."""
    out: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            out.extend(args[i:])
            break
        if arg.startswith("--version=") and _is_integer(arg.partition("=")[2]):
            number = arg.partition("=")[2]
        elif arg == "--version" and i + 1 < len(args) and _is_integer(args[i + 1]):
            number = args[i + 1]
            i += 1
        else:
            out.append(arg)
            i += 1
            continue
        warn(f"ssbtek-validate: --version {number} is deprecated and will go in the next release; use --pack {number}")
        out.extend(["--pack", number])
        i += 1
    return out
