"""The ``certify`` command: click wiring for ssbtek_validator.certify. In a module of its own, built when
named (cli/main.py LATER_COMMANDS): a check does not build its options."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.packs.schema_packs import PackError
from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.results.model import EXIT_USAGE
from ssbtek_validator.run.driver import Options
from ssbtek_validator.run.progress import Progress


@click.command()
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
