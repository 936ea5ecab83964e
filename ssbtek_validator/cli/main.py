"""The ``ssbtek-validate`` command: wires options to the library and nothing more.

``ssbtek-validate PATH…`` is short for ``ssbtek-validate check PATH…``, the job CI runs. Reports
go to stdout or ``--output``; problems with the invocation go to stderr with exit code 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from datetime import date

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.cli import running
from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.report.outputs import prepare as prepare_outputs
from ssbtek_validator.results.model import EXIT_INCOMPLETE, EXIT_USAGE
from ssbtek_validator.run.driver import Options
from ssbtek_validator.run.executor import validate_batch
from ssbtek_validator.run.progress import Progress

#: what an out-of-memory end says (exit 3: the run did not check everything)
OUT_OF_MEMORY = (
    "out of memory; the run did not finish and no report was written. Lower the limits (--max-message-bytes, "
    "--max-nodes, --max-exchanges) or validate fewer inputs per run, and please report the input."
)
#: as a shell reports a command ended by SIGINT (128 + 2)
EXIT_INTERRUPTED = 130
#: as a shell reports a command ended by SIGTERM (128 + 15)
EXIT_TERMINATED = 143


#: commands in modules of their own, imported when named (or listed by --help): a check builds only its own
#: options. Building the other commands' options (and the click translations they look up) was ~1 ms of a
#: one-message run's start (CPU, medians of 25); tests/run/test_cold_start.py checks none is imported.
LATER_COMMANDS = ("certify", "codes", "explain", "fuzz", "pair", "proxy", "rules", "serve", "versions")


def _later_command(name: str) -> click.Command:
    if name == "fuzz":
        from ssbtek_validator.cli.fuzz import fuzz

        return fuzz
    if name == "pair":
        from ssbtek_validator.cli.pair import pair

        return pair
    if name == "certify":
        from ssbtek_validator.cli.certify import certify

        return certify
    if name in ("rules", "explain", "codes", "versions"):
        from ssbtek_validator.cli import listings

        return listings.COMMANDS[name]
    from ssbtek_validator.cli import traffic

    return getattr(traffic, name)


class DefaultCommandGroup(click.Group):
    """Routes anything that is not a subcommand to ``check``, so ``ssbtek-validate corpus/`` just works."""

    default_command = "check"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = opt.deprecated_version_spelling(list(args), lambda text: click.echo(text, err=True))
        if not args and not _stdin_is_terminal():
            click.echo(
                "ssbtek-validate: no input named; to read a message from stdin give -: … | ssbtek-validate -", err=True
            )
            ctx.exit(EXIT_USAGE)
        if args and args[0] not in self.list_commands(ctx) and args[0] not in ("--help", "-h", "--version", "-V"):
            _no_such_command(args[0], self.list_commands(ctx))
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LATER_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in LATER_COMMANDS:
            self.add_command(_later_command(name))
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        """Ctrl-C ends the run with 130, SIGTERM (a cancelled CI job, ``timeout``) with 143, as a shell
        reports them: click's own "Aborted!" exits 1, which a pipeline would read as "nonconformant"
        although nothing was judged, and Python's default for SIGTERM ends the process before it can
        stop its --jobs workers."""
        previous = _on_sigterm(_terminated)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nssbtek-validate: interrupted (Ctrl-C); the run did not finish.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Terminated:
            click.echo("\nssbtek-validate: terminated (SIGTERM); the run did not finish.", err=True)
            ctx.exit(EXIT_TERMINATED)
        except MemoryError:  # the last line of defence: the limits should have stopped the input before this
            _out_of_memory()
        finally:
            _on_sigterm(previous)


def _out_of_memory() -> None:
    """Say so and end now: with memory this short, the interpreter's own shutdown (its exit handlers, the
    --jobs pool's) can itself fail and print a fatal error or crash, hiding the exit code."""
    with contextlib.suppress(Exception):
        sys.stderr.write(f"\nssbtek-validate: {OUT_OF_MEMORY}\n")
        sys.stderr.flush()
    os._exit(EXIT_INCOMPLETE)


def _stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(sys.stdin is not None and isatty and isatty())


def _no_such_command(word: str, commands: list[str]) -> None:
    """``ssbtek-validate version`` is a typo for a command, not a missing file: say so (exit 2) instead of
    judging a file that does not exist (exit 3). Only for a word that names no file and is close to a command."""
    if not re.fullmatch(r"[a-z][a-z-]*", word) or os.path.lexists(word):
        return
    # a high cutoff: a missing folder called "requests" or "session" is a missing input (exit 3), not a typo
    import difflib  # only a mistyped word needs it: not imported on every start

    close = difflib.get_close_matches(word, commands, n=1, cutoff=0.8)
    if close:
        click.echo(f"ssbtek-validate: No such command or file {word!r}. Did you mean {close[0]!r}?", err=True)
        sys.exit(EXIT_USAGE)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the run unwinds (and stops its workers) before exiting.

    A BaseException, as KeyboardInterrupt is: the engine's last-resort ``except Exception`` (one input or
    one rule must never stop a batch) would otherwise catch it, mark the message it hit as "could not
    run (Terminated)" and go on with the rest of the batch."""


def _terminated(_signal_number: int, _frame: object) -> None:
    raise Terminated


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM where this thread may (the main thread); returns the one it replaced."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, TypeError):  # not the main thread (an embedding host), or no previous Python handler
        return None


@click.group(cls=DefaultCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@opt.tool_version
def main() -> None:
    """Conformance validator for SSBTEK messages (Sammansatt bastjänst för ekonomiskt bistånd).

    Run `ssbtek-validate PATH…` to validate captured requests and answers; exit code 0 conforms,
    1 nonconformant, 2 usage or configuration error, 3 incomplete. Options a CI sets once can come
    from the environment: SSBTEK_FORMAT, SSBTEK_CONFIG, SSBTEK_JOBS.
    """


@main.command()
@click.argument("paths", nargs=-1, required=True)
@opt.report_outputs
@opt.verbosity
@opt.pack()
@opt.judging
@opt.limits
@opt.include
@opt.config
@click.option("--pairs", is_flag=True, help="Pair requests and answers by korrelationsid and judge each exchange.")
@opt.jobs
@opt.tool_version
def check(
    paths: tuple[str, ...],
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
    include: tuple[str, ...],
    config_file: str | None,
    pairs: bool,
    jobs: int,
) -> None:
    """Validate captured SSBTEK messages: files, folders (recursive), HAR or raw HTTP captures, or - for stdin."""
    outputs = running.plan(output_format, output)
    packs, config = running.setup(schemas, version, config_file)
    options = Options(
        version=version,
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=limits,
        include=include or DEFAULT_INCLUDE,
        config=config,
        pairs=pairs,
        coverage=running.coverage_shown(outputs),
    )
    detail = running.detail(quiet, verbose)
    prepared = prepare_outputs(outputs, detail)  # the reports' message parts, made while the batch runs
    parts = list(prepared.values())

    def on_pieces(texts: tuple[str, ...], count: int) -> None:
        for part, text in zip(parts, texts, strict=True):
            part.add_joined(text, count)

    with Progress(stream=sys.stderr) as progress:
        pieces = [part.pieces for part in parts]
        batch = validate_batch(paths, options, packs, jobs=jobs, progress=progress, pieces=pieces, on_pieces=on_pieces)
    running.report_and_exit(batch.result, packs, outputs, prepared, detail=detail)


if __name__ == "__main__":  # pragma: no cover
    main()
