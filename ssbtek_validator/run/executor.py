"""Large batches: one process or several (``--jobs N``), results in input order, with progress.

The arguments are expanded to a list of files first (cheap: names only), so the work can be split
into chunks and a progress bar knows its total. Each worker process validates chunk after chunk, compiling
what its messages need on first use, as one process does; the parent only walks folders and collects results.
``validate_batch(..., jobs=N)`` returns the same :class:`RunResult` as ``jobs=1``, message for
message, which the tests check.

When ``digests`` is asked for (certification evidence), the SHA-256 of every input is taken from
the very bytes that were validated, in the process that read them: no input is read twice.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ssbtek_validator.packs.schema_packs import Pack, builtin_packs
from ssbtek_validator.reading.inputs import Skipped, Source, iter_targets, read_in_turns
from ssbtek_validator.results.model import Finding, MessageResult, RunResult, Severity
from ssbtek_validator.results.safe_text import safe_run
from ssbtek_validator.run.driver import (
    Options,
    configure_run,
    not_checked,
    note_findings_not_kept,
    today_fixed,
    validate_message,
    validate_sources,
)
from ssbtek_validator.run.pairing import Exchanges
from ssbtek_validator.run.progress import Progress

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.context import BaseContext
    from typing import TypeAlias

    from ssbtek_validator.rules.exchange import Side

    #: makes a report's message part from a chunk's messages (report.joined_pieces); run where the chunk is
    #: validated, so with --jobs it must pickle. Only for type checkers: a run-time alias is import time.
    Pieces: TypeAlias = Callable[[list[MessageResult]], str]
    #: who is told of each chunk's messages as they arrive: validate_batch's on_messages, pieces and on_pieces
    _Reports: TypeAlias = tuple[
        Callable[[list[MessageResult]], None] | None, tuple[Pieces, ...], Callable[[tuple[str, ...], int], None] | None
    ]


def _pools() -> tuple[type[ProcessPoolExecutor], type[Exception]]:
    """(ProcessPoolExecutor, BrokenProcessPool), imported here rather than at the top of the module:
    they pull in multiprocessing, pickle, socket and logging (~15 ms), which a run with --jobs 1 — one
    message from a pre-commit hook or an editor — never uses. tests/run/test_cold_start.py checks it."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    return ProcessPoolExecutor, BrokenProcessPool


def _forked() -> BaseContext | None:
    """Workers forked from this process on Linux, whatever the Python version's default: Python 3.14 made it
    forkserver there, whose workers import the whole tool again and set up their packs from nothing (+0.12 s on
    15,000 messages, measured with forkserver forced on 3.11). Forking is safe here: a pool that forks launches
    all its workers before it starts a thread of its own, and this process runs none of its own. Elsewhere
    (macOS, Windows: spawn) the platform's default stands. tests/run/test_batch.py checks workers are forked
    with forkserver the default."""
    if not sys.platform.startswith("linux"):
        return None
    import multiprocessing  # already imported with the pool (_pools)

    return multiprocessing.get_context("fork")


#: A named input, an input already known to be unreadable (or read from stdin), or what a folder's walk
#: skipped (a note for the run, kept in input order so --jobs reports it where one process does).
Target = str | Source | Skipped


class Digest(NamedTuple):
    """What certification evidence records about one input (a file, stdin, a HAR capture)."""

    file: str
    sha256: str | None
    size: int | None


class BatchResult(NamedTuple):
    """The run, and what certification evidence records of its inputs. A NamedTuple, as ChunkOutcome: both
    are built on every run, and a dataclass costs ~0.3 ms of a one-message run's start to build (Python 3.11
    compiles each method it generates; tests/run/test_cold_start.py counts them)."""

    result: RunResult
    #: one per input source, in input order (a HAR capture is one source, many messages); empty
    #: unless digests were asked for
    digests: list[Digest]


class ChunkOutcome(NamedTuple):
    """What one chunk gives back to the parent: its part of the run, and the sides --pairs needs."""

    result: RunResult
    sides: list[Side]
    digests: list[Digest]
    #: inputs in the chunk (the progress counts inputs: a HAR capture is one input, many messages)
    inputs: int
    #: the reports' message parts for the chunk's messages, one text per ``pieces`` of the batch, made where the
    #: chunk was validated (see validate_batch); None where none were made
    texts: tuple[str, ...] | None = None


def expand(arguments: Iterable[str | Path], options: Options, stdin=None) -> list[Target]:
    """Arguments → files, in the order ``iter_sources`` would read them, without reading any file."""
    return list(iter_targets(arguments, options.limits, options.include, stdin))


def _sources(chunk: list[Target], options: Options) -> Iterator[Source | Skipped]:
    """The chunk's inputs read, in order. A name in a chunk is a file ``expand`` already found (named, or met
    in a folder's walk), so it is read as it is, with the limits (``read_file``), as ``iter_sources`` reads the
    files of a walk: asking ``iter_sources`` again, for each name alone, made a Path and two ``stat`` calls per
    file to learn again that it is a file. The whole command on 5,000 conforming files: 312 -> 289 µs CPU a
    message ((T(N) − T(1)) / (N − 1), medians of 5, trees interleaved; mixed batch 372 -> 347 µs).
    tests/run/test_batch.py checks no file is looked at twice. Read in turns of a few files (read_in_turns)."""
    return read_in_turns(chunk, options.limits)


def _digest(source: Source) -> Digest:
    if source.data is None:
        return Digest(source.name, None, None)
    import hashlib  # only certification digests inputs: not paid by a plain run's cold start

    return Digest(source.name, hashlib.sha256(source.data).hexdigest(), len(source.data))


def validate_chunk(
    chunk: list[Target], options: Options, packs: dict[int, Pack], digests: bool, pieces: Sequence[Pieces] = ()
) -> ChunkOutcome:
    """One chunk through the engine; pairing by korrelationsid (--pairs) is left to the whole run. ``pieces``: the
    reports' message parts made from the chunk's messages here, where they were validated (see validate_batch)."""
    read: list[Digest] = []

    def sources() -> Iterator[Source | Skipped]:
        """Read one at a time, each dropped once validated: a chunk of up to 512 inputs of up to 16 MiB
        each was read whole before the first was validated."""
        for source in _sources(chunk, options):
            if digests and isinstance(source, Source):
                read.append(_digest(source))
            yield source

    exchanges = Exchanges(options, packs, validate_message)
    result = validate_sources(sources(), options, packs, exchanges)
    texts = tuple(piece(result.messages) for piece in pieces)
    return ChunkOutcome(result, exchanges.sides, read, len(chunk), texts)


# --- worker process state: set once by the initializer; what a worker compiles serves all its chunks ---
_worker: dict = {}


def _init_worker(
    options: Options,
    packs: dict[int, Pack],
    digests: bool,
    parent: int | None = None,
    pieces: Sequence[Pieces] = (),
    collect: bool = True,
) -> None:
    # The parent decides when the run stops: Ctrl-C is its to handle (it then stops the workers), and
    # SIGTERM ends a worker outright, as its pool expects, whatever handler a forked worker inherited.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A forked worker inherits the parent's collector paused (_CollectorPaused): it validates with it as the
    # caller had it, as one process does, so that whatever cyclic garbage an input makes is freed in a worker
    # too (measured: the same CPU time either way).
    import gc

    if collect:
        gc.enable()
    else:
        gc.disable()
    if parent is not None:
        _die_with_parent(parent)
    # No pack is compiled here: each is compiled on first use, as in one process. Compiling every pack in
    # every worker before its first chunk cost ~10 ms of each worker's start for packs a batch of v10 and
    # v11 messages never uses (~2 ms each).
    _worker.update(options=options, packs=packs, digests=digests, pieces=pieces)


#: how often a worker looks for its parent where the system cannot tell it (seconds)
PARENT_POLL = 0.5
#: prctl(2) option: the signal this process gets when the thread that forked it ends
_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """A worker ends when the main process is gone, however it went.

    Killed with SIGKILL (the out-of-memory killer), the main process cannot stop its workers: they
    would wait for work forever, holding the run's stdout and stderr open, so ``… | cat`` or a CI step
    would hang. On Linux the kernel kills the worker when its parent dies (PR_SET_PDEATHSIG); everywhere
    on POSIX a daemon thread also looks every PARENT_POLL seconds whether the parent is still there (the
    parent of a worker changes when it dies; with the forkserver start method the worker's parent is not
    the main process, so the main process's own pid is checked too)."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    first = os.getppid()
    if first == parent:
        _kernel_kills_us_with_parent()
    if os.getppid() != first or not _alive(parent):  # gone before we could ask
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_POLL)
            if os.getppid() != first or not _alive(parent):
                os._exit(1)

    threading.Thread(target=watch, name="ssbtek-parent-watch", daemon=True).start()


def _kernel_kills_us_with_parent() -> None:
    """Linux: SIGKILL when the thread that forked this worker ends (the pool forks from the thread that
    submits, which waits for the results); elsewhere, or without a C library to ask, nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # here, not at the top: only a --jobs worker needs it

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc to load, or one without prctl: the watcher remains
        return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists
        return True
    return True


def _run_chunk(chunk: list[Target]) -> ChunkOutcome:
    return validate_chunk(chunk, _worker["options"], _worker["packs"], _worker["digests"], _worker["pieces"])


#: the most inputs in one chunk. Each chunk costs the main process ~0.6 ms of its own (handing it to a worker,
#: taking its outcome back, waking the threads between), which with --jobs competes with the workers for the
#: cores: 512 rather than 256 saved ~20 ms of the main process's CPU over 15,000 messages (71 chunks → 44),
#: and lets a chunk share more of its results' equal values (results/model.py ``shared``). Balance comes from
#: the shrinking tail (_chunks), not from small chunks throughout.
LARGEST_CHUNK = 512


def chunk_size(total: int, jobs: int) -> int:
    """Small enough to balance the workers and move the progress bar, large enough to amortise the per-chunk
    work of the main process (LARGEST_CHUNK)."""
    return max(8, min(LARGEST_CHUNK, total // (jobs * 8) or 1))


#: the smallest chunk the shrinking tail goes down to (see _chunks)
TAIL_CHUNK = 8


def _chunks(targets: list[Target], size: int, jobs: int = 1) -> list[list[Target]]:
    """Chunks of ``size``, in input order; with several workers, ever smaller towards the end.

    Why: the workers take chunks in turn, so the batch ends when the last one finishes its last chunk;
    with equal chunks of 256 (~0.1 s each) the other worker sat idle for up to a whole chunk while the
    parent waited. Each chunk is at most 1/(2·jobs) of what is left (guided self-scheduling), so the
    last chunks shrink geometrically down to TAIL_CHUNK inputs and the workers finish within a few
    inputs of each other, for a dozen more chunks (~1 ms of pickling each). Chunk boundaries change
    nothing in the result: every per-run step (pairing, the findings bound) goes message by message.
    tests/run/test_batch.py checks the tail shrinks."""
    chunks, start, total = [], 0, len(targets)
    while start < total:
        left = total - start
        step = size if jobs <= 1 else max(min(size, left // (2 * jobs)), min(TAIL_CHUNK, size))
        chunks.append(targets[start : start + step])
        start += step
    return chunks


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
    pieces: Sequence[Pieces] = (),
    on_pieces: Callable[[tuple[str, ...], int], None] | None = None,
) -> BatchResult:
    """Validate everything the arguments name; ``progress`` learns the total, then each chunk's count.
    ``on_messages`` is given each chunk's message results as they arrive, in input order (a report can
    be prepared while workers still validate).

    ``on_pieces`` is given, for each chunk in input order, what each of ``pieces`` made of its messages, and how
    many messages they were: the reports' message parts (report.PreparedMessages), made where the chunk was
    validated. Why there: with --jobs the main process's own work competes with the workers for the cores, and
    making the text report's part of 15,000 messages there was ~27 ms of its ~210 ms CPU (the JSON lines more);
    a worker makes them beside validating. A chunk whose messages the run's findings bound changed after they
    were made (RunResult.bound_findings, in this process) has its parts made again here. tests/run/test_batch.py
    checks the parts are the worker's and the reports the same as with --jobs 1."""
    packs = builtin_packs() if packs is None else packs
    options = options or Options()
    options = today_fixed(options)  # once for the whole batch, not once per worker
    targets = expand(arguments, options, stdin)
    if progress is not None:
        progress.start(len(targets))
    result = RunResult(strict=options.strict, show_values=options.show_values)
    batch = BatchResult(result, [])
    chunks = _chunks(targets, chunk_size(len(targets), max(1, jobs)), max(1, jobs))
    jobs = max(1, min(jobs, len(chunks)))
    pieces = tuple(pieces) if on_pieces is not None else ()
    reports = (on_messages, pieces, on_pieces)
    if jobs == 1:
        outcomes: Iterable[ChunkOutcome] = (validate_chunk(chunk, options, packs, digests, pieces) for chunk in chunks)
        _collect(batch, outcomes, progress, Exchanges(options, packs, validate_message), reports)
        return batch
    with _CollectorPaused() as collector:
        outcomes = _in_workers(chunks, _Workers(jobs, options, packs, digests, collector, pieces))
        _collect(batch, outcomes, progress, Exchanges(options, packs, validate_message), reports)
    return batch


def _tell(reports: _Reports, outcome: ChunkOutcome, changed: bool) -> None:
    """``changed``: a message of the chunk was changed here after its pieces were made (see validate_batch)."""
    on_messages, pieces, on_pieces = reports
    messages = outcome.result.messages
    if on_messages is not None:
        on_messages(messages)
    if on_pieces is not None:
        texts = outcome.texts
        if changed or texts is None or len(texts) != len(pieces):
            texts = tuple(piece(messages) for piece in pieces)
        on_pieces(texts, len(messages))


class _CollectorPaused:
    """Python's cyclic garbage collector off while this process gathers what the workers send, as before after.

    Why: the parent's own work during a --jobs run competes with the workers for the cores, and a third of it
    (~40 ms CPU of ~135 ms over 15,000 messages) was the collector walking the results as they piled up,
    every one of them a structure without cycles (results, findings, the pool's futures): nothing it could
    free is made meanwhile, and the first collection after the run takes whatever was. Where chunks are
    validated (in a worker, which the fork hands the paused collector, or in this process after all when workers
    cannot run here), the collector is as the caller had it, as with --jobs 1. tests/run/test_batch.py checks it
    is off while outcomes arrive, as before afterwards, and as the caller had it in the workers.

    On the way out, what exists is frozen (``gc.freeze``): every object made while the collector was off is in its
    youngest generation, so the first collection after the run walked all of the run's results (~7.5 ms over
    15,000 messages, in series after the last chunk, while the report is written). Frozen, no collection walks
    them again; they are freed by their counts as before. What is garbage in a cycle at that moment would stay:
    after a run nothing is (gc.collect() finds nothing to free after a --jobs 2 run but the first use's few
    dozen objects). tests/run/test_batch.py checks the results are frozen."""

    def __init__(self) -> None:
        import gc

        #: the collector as the caller had it (until entered: as it is)
        self.was_on = gc.isenabled()

    def __enter__(self) -> _CollectorPaused:
        import gc

        self.was_on = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.freeze()
        if self.was_on:
            gc.enable()

    @contextlib.contextmanager
    def resumed(self) -> Iterator[None]:
        """The collector as the caller had it, for validating in this process."""
        import gc

        if self.was_on:
            gc.enable()
        try:
            yield
        finally:
            gc.disable()


class _Workers:
    """The batch's worker processes: replaced when one dies, given up when none can run.

    A worker can die under the batch (the system's out-of-memory killer, a crash in a C library on a
    hostile input): its pool is then broken and a new one is started. After a death a worker is first
    asked to do nothing at all; when even that dies (workers cannot start here), the workers are given
    up and the batch goes on in this process, so that a broken environment costs a pool start or two,
    not one per input, and no input is blamed for it."""

    def __init__(
        self,
        jobs: int,
        options: Options,
        packs: dict[int, Pack],
        digests: bool,
        collector: _CollectorPaused,
        pieces: tuple[Pieces, ...] = (),
    ) -> None:
        self.jobs, self.options, self.packs, self.digests, self.pieces = jobs, options, packs, digests, pieces
        self.collector = collector
        self.given_up = False
        #: the run is told once, with the first outcome made in this process, why it went on here
        self._tell_run = False

    def pool(self, jobs: int | None = None) -> ProcessPoolExecutor:
        executor, _ = _pools()
        pool = executor(
            max_workers=jobs or self.jobs,
            mp_context=_forked(),
            initializer=_init_worker,
            initargs=(self.options, self.packs, self.digests, os.getpid(), self.pieces, self.collector.was_on),
        )
        _widen_result_pipe(pool)
        return pool

    def died(self) -> None:
        """A worker died: if a fresh one cannot even start and do nothing, give the workers up."""
        if self.given_up:
            return
        _, BrokenProcessPool = _pools()
        try:
            with self.pool(1) as pool:
                pool.submit(_nothing).result()
        except BrokenProcessPool:
            self.given_up = self._tell_run = True

    def in_this_process(self, chunk: list[Target]) -> ChunkOutcome:
        with self.collector.resumed():
            outcome = validate_chunk(chunk, self.options, self.packs, self.digests, self.pieces)
        if self._tell_run:
            self._tell_run = False
            text = (
                "Worker processes die here even when given nothing to do; the rest of the batch was "
                "validated in the main process, as with --jobs 1."
            )
            outcome.result.run_findings.append(Finding("SSBT-JOBS", Severity.INFO, text))
        return outcome


#: how much the pipe the workers send their outcomes through may hold (Linux's limit for a user, by default)
RESULT_PIPE_BYTES = 1 << 20
#: fcntl(2): set a pipe's capacity (Linux)
_F_SETPIPE_SZ = 1031


def _widen_result_pipe(pool: ProcessPoolExecutor) -> None:
    """Let the pipe that carries the workers' outcomes hold a megabyte instead of 64 KiB (Linux only).

    Why: a chunk's outcome is ~120 KB (512 conforming messages), more with findings. Through a 64 KiB pipe a
    worker's send waited until the main process had read the first part, and the main process reads one
    outcome only after unpickling the one before, and needs the GIL and a core to do either: the worker sat
    idle for 2-5 ms per chunk (110-180 ms per worker over 15,000 messages, measured at load ~2.6; 86-108 ms
    with the wider pipe, of which ~30 ms is pickling). Wider, a send completes at once while the main process
    keeps up on the whole. Reaches the pool's own queue (a private attribute of ProcessPoolExecutor, the same
    from Python 3.11 to 3.13); where it is missing or the system refuses, the pipe stays as it was.
    tests/run/test_batch.py checks the width."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import fcntl

        fcntl.fcntl(pool._result_queue._reader.fileno(), _F_SETPIPE_SZ, RESULT_PIPE_BYTES)  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return


def _nothing() -> None:
    """The work a worker is given to learn whether workers can run at all."""


def _in_workers(chunks: list[list[Target]], workers: _Workers) -> Iterator[ChunkOutcome]:
    """Chunks through worker processes, outcomes in input order, surviving a worker that dies.

    When a worker dies, every chunk not yet delivered fails with its pool: the first of them is run
    again on its own, and the rest in a new pool. Every input still appears in the report."""
    _, BrokenProcessPool = _pools()
    done = 0
    while done < len(chunks):
        if workers.given_up:
            yield from (workers.in_this_process(chunk) for chunk in chunks[done:])
            return
        pool = workers.pool()
        try:
            for outcome in pool.map(_run_chunk, chunks[done:]):
                yield outcome
                done += 1
        except BrokenProcessPool:
            pool.shutdown()
            workers.died()
            yield from _alone(chunks[done], workers)
            done += 1
            continue
        except BaseException:  # interrupted, terminated, or the caller stopped reading: stop the workers now
            _stop(pool)
            raise
        pool.shutdown()
        return


def _stop(pool: ProcessPoolExecutor) -> None:
    """Queued chunks dropped; the workers finish the chunk in hand (a fraction of a second) and exit.

    Left alone (Python's default for SIGTERM ends the parent at once), workers whose parent is gone
    wait for work forever, each holding the others' end of the task queue, and keep the parent's
    stdout and stderr open, so a CI step that cancelled the run would hang on them. Killing them
    instead races the pool's own bookkeeping (Python 3.11 then prints a traceback)."""
    pool.shutdown(wait=True, cancel_futures=True)


def _alone(chunk: list[Target], workers: _Workers) -> list[ChunkOutcome]:
    """A chunk that was in a pool when a worker died: in a worker of its own; if that dies too, the chunk
    is to blame, and its inputs go one by one, so that only the input a worker dies on is lost. The
    outcomes are in input order, one for the chunk or one per input."""
    if workers.given_up:
        return [workers.in_this_process(chunk)]
    _, BrokenProcessPool = _pools()
    try:
        with workers.pool(1) as pool:
            return [pool.submit(_run_chunk, chunk).result()]
    except BrokenProcessPool:
        workers.died()
    outcomes = []
    pool = None
    for target in chunk:
        if workers.given_up:
            outcomes.append(workers.in_this_process([target]))
            continue
        pool = pool or workers.pool(1)
        try:
            outcomes.append(pool.submit(_run_chunk, [target]).result())
        except BrokenProcessPool:
            pool.shutdown()
            pool = None
            workers.died()
            # the input is to blame only where workers can run at all
            outcomes.append(workers.in_this_process([target]) if workers.given_up else _worker_died(target, workers))
    if pool is not None:
        pool.shutdown()
    return outcomes


def _worker_died(target: Target, workers: _Workers) -> ChunkOutcome:
    """The one input a worker process died on, twice: reported, never dropped, never passed."""
    options = workers.options
    if isinstance(target, Skipped):  # a note, not an input: nothing was lost with the worker
        noted = RunResult(strict=options.strict, show_values=options.show_values, run_findings=[target.finding()])
        return ChunkOutcome(noted, [], [], 1)
    name = target.name if isinstance(target, Source) else str(target)
    text = (
        "The worker process checking this input died (killed by the system, or a crash in a library it "
        "uses), twice; the input was not checked. Run it alone with --jobs 1 to see more, and please "
        "report it."
    )
    result = RunResult(strict=options.strict, show_values=options.show_values)
    result.messages.append(not_checked(name, text, options.show_values))
    read = list(_sources([target], options)) if workers.digests else []  # the evidence still records its bytes
    return ChunkOutcome(result, [], [_digest(source) for source in read if isinstance(source, Source)], 1)


def _collect(
    batch: BatchResult,
    outcomes: Iterable[ChunkOutcome],
    progress: Progress | None,
    exchanges: Exchanges,
    reports: _Reports,
) -> None:
    """Chunks in input order make the run; pairs across chunks are made once, at the end, as in one call."""
    result = batch.result
    for outcome in outcomes:
        result.messages.extend(outcome.result.messages)
        result.findings_not_kept += outcome.result.findings_not_kept
        not_kept = result.findings_not_kept
        result.bound_findings(exchanges.options.limits.max_run_findings)
        result.run_findings.extend(outcome.result.run_findings)
        result.exchanges.extend(outcome.result.exchanges)
        exchanges.sides.extend(outcome.sides)
        batch.digests.extend(outcome.digests)
        _tell(reports, outcome, changed=result.findings_not_kept != not_kept)
        if progress is not None:
            progress.advance(outcome.inputs)
    exchanges.finish(result)
    configure_run(result, exchanges.options)  # the rule configuration on the whole run's exchanges, once
    note_findings_not_kept(result, exchanges.options.limits.max_run_findings)
    safe_run(result, exchanges.options.show_values)
