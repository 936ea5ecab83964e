"""The long fuzz run of the reader, by hand: ``python -m tests.fuzz.run_long --minutes 30``.

Each worker (one per core) draws inputs from :func:`tests.fuzz.strategies.hostile` with its own
seeded random source, the same input space CI's short Hypothesis run explores, and checks each
with the same property (:func:`tests.fuzz.target.check_reader`; the reporters run on every tenth
input, as they cost more than validating). It stops at the time or input count, whichever comes
first, and prints throughput; a failing input is written to ``fuzz-failure-<worker>-<n>.bin``
(replay: ``python -c "from tests.fuzz.target import check_reader; check_reader(open(F,'rb').read())"``;
once fixed, keep it in ``tests/fuzz/regressions/``, which CI replays).
The result of the last long run is in the README ("Hardening").
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
import traceback
from pathlib import Path

from .strategies import RandomChooser, hostile
from .target import check_reader

REPORT_EVERY = 10


def _worker(index: int, seed: int, deadline: float, target: int, queue) -> None:
    rng = random.Random(seed + index)
    choose = RandomChooser(rng)
    done = 0
    batch = 0
    while done < target and time.monotonic() < deadline:
        data = hostile(choose)
        try:
            check_reader(data, reports=done % REPORT_EVERY == 0)
        except Exception:
            path = Path(f"fuzz-failure-{index}-{done}.bin")
            path.write_bytes(data)
            queue.put((0, f"{path}: {traceback.format_exc(limit=3)}"))
        done += 1
        batch += 1
        if batch == 1000:
            queue.put((batch, None))
            batch = 0
    queue.put((batch, None))
    queue.put(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--examples", type=int, default=1_000_000, help="stop after this many inputs in total")
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    start = time.monotonic()
    deadline = start + args.minutes * 60
    queue: multiprocessing.Queue = multiprocessing.Queue()
    share = -(-args.examples // args.workers)
    workers = [
        multiprocessing.Process(target=_worker, args=(i, args.seed, deadline, share, queue), daemon=True)
        for i in range(args.workers)
    ]
    for process in workers:
        process.start()
    total, failures, running, last_report = 0, 0, len(workers), start
    while running:
        item = queue.get()
        if item is None:
            running -= 1
            continue
        tried, failure = item
        total += tried
        if failure:
            failures += 1
            print(f"FAILURE {failure}", flush=True)
        if time.monotonic() - last_report > 60:
            last_report = time.monotonic()
            print(f"{total:,} inputs, {time.monotonic() - start:.0f} s", flush=True)
    elapsed = time.monotonic() - start
    print(
        f"done: {total:,} inputs in {elapsed / 60:.1f} min on {args.workers} workers "
        f"({total / elapsed:,.0f}/s, seed {args.seed}), {failures} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
