"""The ``ssbtek-validate`` command: wires options to the library and nothing more.

``ssbtek-validate PATH…`` is short for ``ssbtek-validate check PATH…``, the job CI runs. Reports
go to stdout or ``--output``; problems with the invocation go to stderr with exit code 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import sys
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import click

from ssbtek_validator.api import packs_with
from ssbtek_validator.cli import options as opt
from ssbtek_validator.packs.schema_packs import PackError
from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE, read_file
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.report import PreparedMessages
from ssbtek_validator.report import text as text_report
from ssbtek_validator.report.outputs import OutputError, write_all
from ssbtek_validator.report.outputs import plan as plan_outputs
from ssbtek_validator.report.outputs import prepare as prepare_outputs
from ssbtek_validator.report.versions import WRITERS
from ssbtek_validator.results.model import EXIT_INCOMPLETE, EXIT_USAGE, MessageResult
from ssbtek_validator.run.config import ConfigError, load_config
from ssbtek_validator.run.driver import Options, validate_pair
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


#: commands in modules of their own, imported when named (or listed by --help): a plain check does not
#: build their options (tests/run/test_cold_start.py)
LATER_COMMANDS = ("fuzz", "proxy", "serve")


def _later_command(name: str) -> click.Command:
    if name == "fuzz":
        from ssbtek_validator.cli.fuzz import fuzz

        return fuzz
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


def _setup(
    schemas: str | None, version: int | None = None, config_file: str | None = None, *, with_config: bool = True
):
    """Packs (with a --schemas bundle) and the rule configuration; any problem is a usage error (exit 2).
    ``with_config=False`` for a command that runs no rule (``versions``): a broken configuration is not its
    business and must not stop it."""
    try:
        packs = packs_with(schemas)
        if version is not None and version not in packs:
            raise PackError(f"--pack {version}: no pack for it; known: {', '.join(map(str, sorted(packs)))}")
        config = load_config(config_file) if with_config else None
    except (PackError, ConfigError) as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    return packs, config


#: the report formats that show what each message exercised (``MessageResult.observed``): the JSON report's
#: per-message "observed", and HTML (the page a certification extends). A run writing none of them leaves
#: coverage out (~12 µs of a message's ~300); tests/run/test_coverage_outputs.py checks that every other
#: format's report is the same without it.
COVERAGE_FORMATS = frozenset({"json", "html"})


def _coverage_shown(outputs) -> bool:
    return any(output.format in COVERAGE_FORMATS for output in outputs)


def _plan(output_format: tuple[str, ...], output: tuple[str, ...]):
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


def _detail(quiet: bool, verbose: bool) -> str:
    return "quiet" if quiet else "verbose" if verbose else "normal"


def _report_and_exit(
    result, packs, outputs, prepared: Mapping[str, PreparedMessages] | None = None, detail: str = "normal"
) -> None:
    """Reports written, then the verdict's exit code. A report that cannot reach stdout (a reader that
    stopped reading, a closed or read-only stdout) does not change the verdict: the exit code a CI step
    acts on is still the verdict, and one line on stderr says the report was not written. Any other
    write failure (a full disk, a folder that does not exist) is a usage error (exit 2)."""
    stdout = sys.stdout if sys.stdout is not None else _ClosedStdout()
    try:
        write_all(result, packs, outputs, stdout, prepared, detail=detail)
        stdout.flush()
        if all(output.path is not None for output in outputs):  # everything went to files: say how it ended
            click.echo(text_report.summary_line(result), err=True)
    except BrokenPipeError:  # `ssbtek-validate … | head`: the reader stopped reading, the verdict stands
        _stdout_to_devnull()
        sys.exit(result.exit_code)
    except OSError as exc:
        if exc.errno == errno.EBADF:  # `>&-` or stdout opened for reading only
            click.echo("ssbtek-validate: standard output is closed; the report was not written.", err=True)
            _stdout_to_devnull()
            sys.exit(result.exit_code)
        click.echo(f"ssbtek-validate: cannot write report: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(result.exit_code)


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
    """Validate captured SSBTEK messages: files, folders (recursive), HAR captures, or - for stdin."""
    outputs = _plan(output_format, output)
    packs, config = _setup(schemas, version, config_file)
    options = Options(
        version=version,
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=limits,
        include=include or DEFAULT_INCLUDE,
        config=config,
        pairs=pairs,
        coverage=_coverage_shown(outputs),
    )
    detail = _detail(quiet, verbose)
    prepared = prepare_outputs(outputs, detail)  # the reports' message parts, made while the batch runs

    def on_messages(messages: list[MessageResult]) -> None:
        for parts in prepared.values():
            parts.add(messages)

    with Progress(stream=sys.stderr) as progress:
        batch = validate_batch(paths, options, packs, jobs=jobs, progress=progress, on_messages=on_messages)
    _report_and_exit(batch.result, packs, outputs, prepared, detail=detail)


@main.command("rules")
@opt.tool_version
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule: id, severity, versions, what it checks."""
    from ssbtek_validator.report.listings import print_rules

    print_rules(output_format)


@main.command("explain")
@click.argument("rule_id")
@opt.tool_version
def explain_command(rule_id: str) -> None:
    """Print a rule's documentation and an example finding."""
    from ssbtek_validator.report.listings import print_explanation

    sys.exit(print_explanation(rule_id))


@main.command("codes")
@click.argument("list_name", required=False)
@click.option("--as-of", callback=opt.parse_as_of, metavar="YYYY-MM-DD",
              help="Show the list as it stood on this date (default today).")  # fmt: skip
@opt.tool_version
def codes_command(list_name: str | None, as_of: date | None) -> None:
    """Print a code list as it stood on a date (without LIST: every list)."""
    from ssbtek_validator.report.listings import print_codes

    sys.exit(print_codes(list_name, as_of or date.today()))


@main.command("versions")
@click.option("--format", "output_format", type=click.Choice(sorted(WRITERS)), default="text", show_default=True)
@click.option("--schemas", type=click.Path(exists=True), help="Also list a published bundle, as it would be used.")
@opt.tool_version
def versions(output_format: str, schemas: str | None) -> None:
    """List every schema pack: namespace, live and closed dates, status, agencies, LEFI Online versions."""
    packs, _config = _setup(schemas, with_config=False)
    WRITERS[output_format](packs, sys.stdout)


@main.command()
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
    outputs = _plan(output_format, output)
    packs, config = _setup(schemas, version, config_file)
    options = Options(
        version=version,
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=limits,
        config=config,
        coverage=_coverage_shown(outputs),
    )
    result = validate_pair(read_file(request, limits), read_file(answer, limits), options, packs)
    _report_and_exit(result, packs, outputs, detail=_detail(quiet, verbose))


@main.command()
@click.argument("paths", nargs=-1)
@opt.pack("The SSBTEK version being certified (required unless --verify).")
@click.option(
    "--verify",
    "evidence_path",
    type=click.Path(dir_okay=False),
    help="Re-check this evidence file against the inputs (PATHS, else those it names) and packs.",
)
@opt.output_folder("ssbtek-certification", "Folder for report.html, report.json and evidence.json.")
@click.option(
    "--require-operation",
    multiple=True,
    help="Operation that needs a conforming request and answer (repeatable) [default: every operation of the pack].",
)
@click.option(
    "--require-agency-data",
    multiple=True,
    help="Agency that must answer with data (repeatable; 'none' for no agency) [default: every agency of the pack].",
)
@click.option(
    "--min-agency-errors",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="How many agencies must be seen answering with an error.",
)
@click.option("--require-code-list", multiple=True, help="Code list every value of which must be seen (repeatable).")
@opt.subject
@opt.judging
@click.option(
    "--require-pairs/--no-require-pairs",
    default=True,
    show_default=True,
    help="Pair requests and answers (korrelationsid, file name) and require a conforming exchange per required "
    "operation; --no-require-pairs for a collection of unrelated examples.",
)
@click.option("--pairs", is_flag=True, help="With --no-require-pairs: still pair and judge each exchange.")
@opt.limits
@opt.include
@opt.jobs
@opt.tool_version
def certify(
    paths: tuple[str, ...],
    version: int | None,
    evidence_path: str | None,
    out_dir: str,
    require_operation: tuple[str, ...],
    require_agency_data: tuple[str, ...],
    min_agency_errors: int,
    require_code_list: tuple[str, ...],
    product: str | None,
    product_version: str | None,
    vendor: str | None,
    environment: str | None,
    schemas: str | None,
    show_values: bool,
    as_of: date | None,
    strict: bool,
    require_pairs: bool,
    pairs: bool,
    limits: Limits,
    include: tuple[str, ...],
    jobs: int,
) -> None:
    """Certify captures for SSBTEK vN: every rule, a coverage matrix, a PASS/FAIL verdict and evidence.

    Writes report.html, report.json and evidence.json to --output and prints the verdict with every
    gap. PASS needs no errors, a conforming request, answer and exchange for each operation, data from every
    agency and an error from at least one (configurable). Exit 0 PASS, 1 FAIL, 2 usage, 3 incomplete.
    `certify --verify evidence.json` repeats the recorded run and lists every difference (exit 0/1).
    """
    # imported here: certification pulls in modules a plain check (and its cold start) does not need
    from ssbtek_validator.certify import files as certify_files
    from ssbtek_validator.certify import run as certify_run
    from ssbtek_validator.certify import subject as certify_subject
    from ssbtek_validator.certify import text as certify_text
    from ssbtek_validator.certify.verdict import PASS, Requirements

    stdout = sys.stdout
    if evidence_path:
        try:
            with Progress(stream=sys.stderr) as progress:
                check_result, _again = certify_run.verify(evidence_path, paths or None, jobs=jobs, progress=progress)
        except (certify_run.EvidenceError, PackError) as exc:
            click.echo(f"ssbtek-validate: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        certify_text.write_verification(check_result, evidence_path, stdout)
        sys.exit(0 if check_result.verified else 1)
    if version is None or not paths:
        raise click.UsageError("certify needs CAPTURES and --pack N (or --verify EVIDENCE)")
    try:
        subject = certify_subject.Subject(product, product_version, vendor, environment).over(
            certify_subject.defaults()
        )
    except certify_subject.SubjectError as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    agencies = None
    if require_agency_data:
        agencies = () if [a.lower() for a in require_agency_data] == ["none"] else tuple(require_agency_data)
    requirements = Requirements(
        operations=tuple(require_operation) or None,
        agencies_with_data=agencies,
        min_agencies_with_error=min_agency_errors,
        code_lists=tuple(require_code_list),
        exchanges=require_pairs,
    )
    options = Options(
        show_values=show_values,
        as_of=as_of,
        strict=strict,
        limits=limits,
        include=include or DEFAULT_INCLUDE,
        pairs=pairs,
    )
    try:
        with Progress(stream=sys.stderr) as progress:
            outcome = certify_run.run(
                paths,
                version,
                requirements=requirements,
                options=options,
                schemas=schemas,
                subject=subject,
                jobs=jobs,
                progress=progress,
            )
    except PackError as exc:
        click.echo(f"ssbtek-validate: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    try:
        written = certify_files.write(outcome, Path(out_dir))
    except OSError as exc:
        click.echo(f"ssbtek-validate: cannot write the certification: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    certify_text.write(outcome.result, outcome.certification, stdout)
    stdout.write("written: " + ", ".join(str(p) for p in written) + "\n")
    if outcome.certification.verdict == PASS:
        sys.exit(0)
    sys.exit(3 if outcome.result.exit_code == 3 else 1)


if __name__ == "__main__":  # pragma: no cover
    main()
