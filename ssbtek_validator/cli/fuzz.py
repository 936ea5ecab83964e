"""The ``fuzz`` subcommand: click wiring for :mod:`ssbtek_validator.fuzz.run`, nothing more.

Hypothesis and the generators are imported only when ``fuzz`` runs, so ``check`` starts as fast as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ssbtek_validator.cli import options as opt
from ssbtek_validator.results.model import EXIT_USAGE

DIRECTIONS = ("request", "answer", "fault")


@click.command()
@opt.tool_version
@click.option("--pack", "versions", type=int, multiple=True, metavar="N",
              help="SSBTEK version(s) to generate, repeatable (default: all).")  # fmt: skip
@click.option("--operation", type=click.Choice(["hamtaBastjanstInformation", "testaBastjanstInformation"]))
@click.option("--direction", type=click.Choice(list(DIRECTIONS)))
@click.option("--count", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="The same seed gives the same files.")
@click.option("--invalid", is_flag=True, help="Near misses: each document carries one defect (manifest says which).")
@click.option("--pairs", is_flag=True, help="Requests with their answers (with --invalid: pairs that disagree).")
@click.option("--output", "-o", "--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Write documents and manifest.json here.")  # fmt: skip
@click.option("--target", help="Feed each document to this command's stdin; report rejections of valid documents "
              "and crashes (signal, timeout, Python traceback).")  # fmt: skip
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per --target run.")
@click.option("--max-shrink-steps", type=click.IntRange(min=0), default=400, show_default=True)
@click.option("--replay", "replay_file", type=click.Path(exists=True, path_type=Path),
              help="Run a saved finding (its replay.json or folder) again against --target; exit 1 while it "
              "still fails.")  # fmt: skip
@click.option("--trust-replay-target", is_flag=True,
              help="With --replay and no --target: run the command the replay file stores (it is code).")  # fmt: skip
def fuzz(
    versions: tuple[int, ...],
    operation: str | None,
    direction: str | None,
    count: int,
    seed: int,
    invalid: bool,
    pairs: bool,
    out: Path | None,
    target: str | None,
    timeout: float,
    max_shrink_steps: int,
    replay_file: Path | None,
    trust_replay_target: bool,
) -> None:
    """Generate valid (or, with --invalid, near-miss) SSBTEK documents for every pack.

    With --pairs each request comes with its answer (manifest: pair, exchange_expected); the target
    gets each document on its own, and a pair defect is invisible to it by design.

    Exit codes: 0 no finding, 1 the target failed (a finding was saved), 2 usage error.
    """
    from ssbtek_validator.fuzz.run import cases, fuzz_target, write_corpus

    if replay_file is not None:
        _replay(replay_file, target, timeout if target else None, trust_replay_target)
        return
    if out is None and target is None:
        click.echo("ssbtek-validate fuzz: give --output DIR (write documents) and/or --target CMD", err=True)
        sys.exit(EXIT_USAGE)
    try:
        generated = list(
            cases(
                seed=seed,
                count=count,
                version=list(versions) or None,
                operation=operation,
                direction=direction,
                invalid=invalid,
                pairs=pairs,
            )
        )
    except ValueError as exc:
        click.echo(f"ssbtek-validate fuzz: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    settings = {
        "seed": seed,
        "count": count,
        "versions": list(versions),
        "operation": operation,
        "direction": direction,
        "invalid": invalid,
        "pairs": pairs,
    }
    folder = out or Path("ssbtek-fuzz")
    if out is not None:
        manifest = write_corpus(out, generated, settings)
        click.echo(f"wrote {len(generated)} documents and {manifest}")
    if target is None:
        return
    try:
        report = fuzz_target(
            target,
            generated,
            folder,
            timeout=timeout,
            max_shrink_calls=max_shrink_steps,
            log=lambda text: click.echo(text, err=True),
        )
    except OSError as exc:
        click.echo(f"ssbtek-validate fuzz: --target {target!r} could not run: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    import shlex

    statuses = ", ".join(f"{n} {status}" for status, n in sorted(report.statuses.items()))
    click.echo(f"target ran on {report.ran} documents: {statuses}")
    for finding in report.findings:
        what = "valid document" if finding.case.valid else f"near miss ({finding.case.kind})"
        click.echo(
            f"FINDING {finding.outcome.status} ({finding.outcome.signature}) on a {what}: "
            f"{len(finding.case.document.xml)} → {len(finding.minimal)} bytes after shrinking; "
            f"saved in {finding.folder}; replay: ssbtek-validate fuzz --replay "
            f"{shlex.quote(str(finding.folder / 'replay.json'))} --target {shlex.quote(target)}"
        )
    sys.exit(1 if report.findings else 0)


def _replay(path: Path, target: str | None, timeout: float | None, trust: bool) -> None:
    from ssbtek_validator.fuzz.run import ReplayError, replay

    try:
        result = replay(path, target, timeout, trust_stored=trust)
    except ReplayError as exc:
        click.echo(f"ssbtek-validate fuzz: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        click.echo(f"ssbtek-validate fuzz: the command to replay against could not run: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    if result.reproduced:
        click.echo(f"still failing: {result.outcome.status} ({result.outcome.signature})")
        if result.outcome.stderr_tail:
            click.echo(result.outcome.stderr_tail)
        sys.exit(1)
    click.echo(f"no longer failing as recorded ({result.expected}); now: {result.outcome.status}")
    sys.exit(0)
