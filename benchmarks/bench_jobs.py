"""``--jobs 2`` against ``--jobs 1`` on the same 10,000-message batch, through the command, end to end.

    python benchmarks/bench_jobs.py [--count 10000] [--repeat 3] [--jobs 1 2]

Builds the batch as bench_throughput.py does (corpus v10/v11 envelopes, valid and invalid, repeated),
then runs ``python -m ssbtek_validator check --jobs N --format F --output FILE`` on it, each setting
--repeat times (interleaved), and prints the median wall time, messages/second and the speed-up over
one process. Process start, folder walk, validation and writing the report are all inside the clock,
as a pipeline sees them. Writing the report is serial work in the parent process, so the speed-up
is shown for the default text report and for JSON (whose indented encoder is pure Python and
costs ~0.5 s per 10,000 messages). It also checks that every setting wrote the same report.
The target then: --jobs 2 at least 1.6× faster than --jobs 1 on 10,000 messages, on the
project's 2-core machines. Other load on the machine shows as spread between the runs printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_throughput import build_batch  # noqa: E402

TARGET = 1.6


def run_once(batch: Path, jobs: int, report_format: str, report: Path) -> float:
    command = [sys.executable, "-m", "ssbtek_validator", "check", "--jobs", str(jobs), "--as-of", "2026-11-01"]
    command += ["--format", report_format, "--output", str(report), str(batch)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"--jobs {jobs} exited {done.returncode}: {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--formats", nargs="+", default=["text", "json"])
    args = parser.parse_args()

    settings = [(fmt, jobs) for fmt in args.formats for jobs in args.jobs]
    with tempfile.TemporaryDirectory(prefix="ssbtek-jobs-") as tmp:
        batch = Path(tmp) / "batch"
        batch.mkdir()
        build_batch(batch, args.count)
        times: dict[tuple[str, int], list[float]] = {setting: [] for setting in settings}
        reports: dict[tuple[str, int], str] = {}
        for _ in range(args.repeat):  # interleaved, so drift in machine load hits every setting alike
            for fmt, jobs in settings:
                report = Path(tmp) / f"report-{jobs}.{fmt}"
                times[fmt, jobs].append(run_once(batch, jobs, fmt, report))
                reports[fmt, jobs] = report.read_text(encoding="utf-8")

    print(f"\n{args.count} messages, {os.cpu_count()} cores, median of {args.repeat} runs through the command\n")
    print(f"{'report':7} {'setting':10} {'seconds':>9} {'msgs/s':>9} {'speed-up':>9}   runs")
    for fmt in args.formats:
        base = statistics.median(times[fmt, args.jobs[0]])
        for jobs in args.jobs:
            median = statistics.median(times[fmt, jobs])
            runs = " ".join(f"{t:.2f}" for t in times[fmt, jobs])
            print(f"{fmt:7} --jobs {jobs:<3} {median:9.2f} {args.count / median:9.0f} {base / median:8.2f}×   {runs}")
        same = len({reports[fmt, jobs] for jobs in args.jobs}) == 1
        print(f"{fmt:7} reports identical across --jobs settings: {'yes' if same else 'NO'}")
    print()
    for fmt in args.formats:
        if (fmt, 1) in times and (fmt, 2) in times:
            ratio = statistics.median(times[fmt, 1]) / statistics.median(times[fmt, 2])
            verdict = "met" if ratio >= TARGET else "NOT met"
            print(f"{fmt} report: --jobs 2 vs --jobs 1: {ratio:.2f}× (target ≥ {TARGET}×: {verdict})")


if __name__ == "__main__":
    main()
