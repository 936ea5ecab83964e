"""Large batches: one process or several (``--jobs N``), results in input order, with progress.

The arguments are expanded to a list of files first (cheap: names only), so the work can be split
into chunks and a progress bar knows its total. Each worker process compiles every pack once, in its
initializer, then validates chunk after chunk; the parent only walks folders and collects results.
``validate_batch(..., jobs=N)`` returns the same :class:`RunResult` as ``jobs=1``, message for
message, which the tests check.

When ``digests`` is asked for (certification evidence), the SHA-256 of every input is taken from
the very bytes that were validated, in the process that read them: no input is read twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .engine import Options, configure_run, today_fixed, validate_sources
from .exchanges import Exchanges
from .findings import Finding, MessageResult, RunResult, Severity
from .inputs import Source, iter_sources, iter_targets
from .packs import Pack, builtin_packs
from .pairs import Side
from .progress import Progress
from .safe_text import safe_result, safe_run

#: A named input, or an input already known to be unreadable (or read from stdin).
Target = str | Source


@dataclass(frozen=True, slots=True)
class Digest:
    """What certification evidence records about one input (a file, stdin, a HAR capture)."""

    file: str
    sha256: str | None
    size: int | None


@dataclass
class BatchResult:
    result: RunResult
    #: one per input source, in input order (a HAR capture is one source, many messages); empty
    #: unless digests were asked for
    digests: list[Digest] = field(default_factory=list)


@dataclass
class ChunkOutcome:
    """What one chunk gives back to the parent: its part of the run, and the sides --pairs needs."""

    result: RunResult
    sides: list[Side]
    digests: list[Digest]
    #: inputs in the chunk (the progress counts inputs: a HAR capture is one input, many messages)
    inputs: int


def expand(arguments: Iterable[str | Path], options: Options, stdin=None) -> list[Target]:
    """Arguments → files, in the order ``iter_sources`` would read them, without reading any file."""
    return list(iter_targets(arguments, options.limits, options.include, stdin))


def _sources(chunk: list[Target], options: Options) -> Iterator[Source]:
    for target in chunk:
        if isinstance(target, Source):
            yield target
        else:  # an explicit file: iter_sources reads it with the limits, as a plain run would
            yield from iter_sources([target], options.limits, options.include)


def _digest(source: Source) -> Digest:
    if source.data is None:
        return Digest(source.name, None, None)
    return Digest(source.name, hashlib.sha256(source.data).hexdigest(), len(source.data))


def validate_chunk(chunk: list[Target], options: Options, packs: dict[int, Pack], digests: bool) -> ChunkOutcome:
    """One chunk through the engine; pairing by korrelationsid (--pairs) is left to the whole run."""
    sources = list(_sources(chunk, options))
    exchanges = Exchanges(options, packs)
    result = validate_sources(sources, options, packs, exchanges)
    return ChunkOutcome(result, exchanges.sides, [_digest(s) for s in sources] if digests else [], len(chunk))


# --- worker process state: set once by the initializer, so packs are compiled once per process ---
_worker: dict = {}


def _init_worker(options: Options, packs: dict[int, Pack], digests: bool) -> None:
    for pack in packs.values():
        pack.schema()
    _worker.update(options=options, packs=packs, digests=digests)


def _run_chunk(chunk: list[Target]) -> ChunkOutcome:
    return validate_chunk(chunk, _worker["options"], _worker["packs"], _worker["digests"])


def chunk_size(total: int, jobs: int) -> int:
    """Small enough to balance the workers and move the progress bar, large enough to amortise pickling."""
    return max(8, min(256, total // (jobs * 8) or 1))


def _chunks(targets: list[Target], size: int) -> list[list[Target]]:
    return [targets[i : i + size] for i in range(0, len(targets), size)]


def validate_batch(
    arguments: Iterable[str | Path],
    options: Options | None = None,
    packs: dict[int, Pack] | None = None,
    *,
    jobs: int = 1,
    digests: bool = False,
    progress: Progress | None = None,
    stdin=None,
    on_messages: Callable[[list[MessageResult]], None] | None = None,
) -> BatchResult:
    """Validate everything the arguments name; ``progress`` learns the total, then each chunk's count.
    ``on_messages`` is given each chunk's message results as they arrive, in input order (a report can
    be prepared while workers still validate)."""
    packs = builtin_packs() if packs is None else packs
    options = options or Options()
    options = today_fixed(options)  # once for the whole batch, not once per worker
    targets = expand(arguments, options, stdin)
    if progress is not None:
        progress.start(len(targets))
    result = RunResult(strict=options.strict, show_values=options.show_values)
    batch = BatchResult(result)
    chunks = _chunks(targets, chunk_size(len(targets), max(1, jobs)))
    jobs = max(1, min(jobs, len(chunks)))
    if jobs == 1:
        outcomes: Iterable[ChunkOutcome] = (validate_chunk(chunk, options, packs, digests) for chunk in chunks)
        _collect(batch, outcomes, progress, Exchanges(options, packs), on_messages)
        return batch
    outcomes = _in_workers(chunks, jobs, (options, packs, digests))
    _collect(batch, outcomes, progress, Exchanges(options, packs), on_messages)
    return batch


def _pool(jobs: int, initargs: tuple) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=initargs)


def _in_workers(chunks: list[list[Target]], jobs: int, initargs: tuple) -> Iterator[ChunkOutcome]:
    """Chunks through worker processes, outcomes in input order, surviving a worker that dies.

    A worker can die under the batch (the system's out-of-memory killer, a crash in a C library on a
    hostile input). The pool is then broken and every chunk not yet delivered fails with it, so the
    first of them is run again on its own, and the rest in a new pool: one dead worker costs a pool's
    start, not the run, and every input still appears in the report."""
    done = 0
    while done < len(chunks):
        try:
            with _pool(jobs, initargs) as pool:
                for outcome in pool.map(_run_chunk, chunks[done:]):
                    yield outcome
                    done += 1
        except BrokenProcessPool:
            yield _alone(chunks[done], initargs)
            done += 1


def _alone(chunk: list[Target], initargs: tuple) -> ChunkOutcome:
    """A chunk that was in a pool when a worker died: in a worker of its own; if that dies too, the chunk
    is to blame, and its inputs go one by one, so that only the input a worker dies on is lost."""
    try:
        with _pool(1, initargs) as pool:
            return pool.submit(_run_chunk, chunk).result()
    except BrokenProcessPool:
        pass
    outcomes = []
    pool = None
    for target in chunk:
        pool = pool or _pool(1, initargs)
        try:
            outcomes.append(pool.submit(_run_chunk, [target]).result())
        except BrokenProcessPool:
            pool.shutdown()
            pool = None
            outcomes.append(_worker_died(target, *initargs))
    if pool is not None:
        pool.shutdown()
    return _merged(outcomes)


def _worker_died(target: Target, options: Options, _packs: dict[int, Pack], digests: bool) -> ChunkOutcome:
    """The one input a worker process died on, twice: reported, never dropped, never passed."""
    name = target.name if isinstance(target, Source) else str(target)
    text = (
        "The worker process checking this input died (killed by the system, or a crash in a library it "
        "uses), twice; the input was not checked. Run it alone with --jobs 1 to see more, and please "
        "report it."
    )
    failed = MessageResult(file=name, findings=[Finding("SSBT-RULE-FAILED", Severity.ERROR, text, file=name)])
    result = RunResult(strict=options.strict, show_values=options.show_values)
    result.messages.append(safe_result(failed, options.show_values))
    read = list(_sources([target], options)) if digests else []  # the evidence still records its bytes
    return ChunkOutcome(result, [], [_digest(source) for source in read], 1)


def _merged(outcomes: list[ChunkOutcome]) -> ChunkOutcome:
    merged = ChunkOutcome(RunResult(), [], [], 0)
    for outcome in outcomes:
        merged.result.messages.extend(outcome.result.messages)
        merged.result.run_findings.extend(outcome.result.run_findings)
        merged.result.exchanges.extend(outcome.result.exchanges)
        merged.sides.extend(outcome.sides)
        merged.digests.extend(outcome.digests)
        merged.inputs += outcome.inputs
    return merged


def _collect(
    batch: BatchResult,
    outcomes: Iterable[ChunkOutcome],
    progress: Progress | None,
    exchanges: Exchanges,
    on_messages: Callable[[list[MessageResult]], None] | None = None,
) -> None:
    """Chunks in input order make the run; pairs across chunks are made once, at the end, as in one call."""
    result = batch.result
    for outcome in outcomes:
        result.messages.extend(outcome.result.messages)
        result.run_findings.extend(outcome.result.run_findings)
        result.exchanges.extend(outcome.result.exchanges)
        exchanges.sides.extend(outcome.sides)
        batch.digests.extend(outcome.digests)
        if on_messages is not None:
            on_messages(outcome.result.messages)
        if progress is not None:
            progress.advance(outcome.inputs)
    exchanges.finish(result)
    configure_run(result, exchanges.options)  # the rule configuration on the whole run's exchanges, once
    safe_run(result, exchanges.options.show_values)
