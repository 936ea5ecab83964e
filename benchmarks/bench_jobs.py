"""``--jobs 2`` against ``--jobs 1`` through the command, end to end, with every rule and with fewer.

    python benchmarks/bench_jobs.py [--count 15000] [--repeat 5] [--formats text json] [--no-lighter]

Builds the batch ``bench_throughput.py``'s ``jobs_speedup`` uses (the corpus's conforming v10/v11 envelopes,
the shape of production traffic, repeated to ``--count`` files), then runs
``python -m ssbtek_validator check --jobs N --format F --output FILE`` on it, every setting once per round,
interleaved, for ``--repeat`` rounds. Process start, folder walk, validation and writing the report are all
inside the clock, as a pipeline sees them.

Each run is printed with the load average at its start and its CPU time (the command and its workers): the
speed-up can only show where two cores are free, and a run beside other work shows it in its load. The
speed-up is given as the ratio of the medians and as the median of each round's ratio (a round's two runs
are seconds apart, so they share the machine's state).

The same is measured with a lighter rule set (``--config`` disabling the XSD, nested-document, LEFI and
code-list rules: about a third less per message): as the per-message cost falls, whatever the main process
does in series weighs more, and the target must still hold. Last, one ``--jobs 2`` run per setting through
a wrapper that reads the main process's own CPU time apart from its workers', and how long (and how much
of its CPU) it ran alone before forking its first worker: the part of the run no worker can shorten. Every
setting's report must be byte for byte the same across --jobs settings; the script says so. Target: ≥ 1.8×.

Beside each ``--jobs 2`` run, in the same round, the machine's own ceiling for two processes: two ``--jobs 1``
commands started together, each on half the batch, nothing shared between them. What they reach against the
whole batch's ``--jobs 1`` is what two cores give two independent Python processes here (a virtual machine's
two cores slow each other: memory, caches, the host's other guests); ``--jobs 2`` is printed as a share of it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_throughput import JOBS_TARGET, conforming_originals, fill  # noqa: E402

#: rules worth about a third of a conforming message's cost (see benchmarks/RESULTS.md, where a message's
#: time goes): disabled, they stand for a faster engine
LIGHTER = ["SSBT-XSD", "SSBT-PAYLOAD", "SSBT-CSN-MODEL", "SSBT-LEFI-MODEL", "SSBT-CODE"]

#: the setting of two --jobs 1 commands side by side, each on half the batch (see the module's docstring)
HALVES = 0

#: the command in this process, reporting at exit its own CPU time and its workers' (stderr, one JSON line), when
#: it forked its first worker (the clock is perf_counter's, the same in every process): what it did alone before
#: (start-up, folder walk, the pool) no worker can shorten; and when each worker began and ended each chunk (one
#: line per chunk, from the worker): the time between its chunks is spent sending results and waiting for work,
#: and what follows the last chunk (pairs, the verdict, the report) is the main process's alone again. It wraps
#: the executor's private ``_run_chunk``: if that is renamed, this script fails, and must follow it.
SPLIT = """
import atexit, json, os, resource, sys, time
import ssbtek_validator.run.executor as executor
validate_chunk = executor._run_chunk
def timed(chunk):
    began = time.perf_counter()
    outcome = validate_chunk(chunk)
    os.write(2, f"CHUNK {os.getpid()} {began} {time.perf_counter()} {len(chunk)}\\n".encode())
    return outcome
executor._run_chunk = timed
forked = []
def first_fork():
    if not forked:
        forked.append((time.perf_counter(), time.process_time()))
os.register_at_fork(before=first_fork)
def said():
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    split = {"main": own.ru_utime + own.ru_stime, "workers": workers.ru_utime + workers.ru_stime}
    split.update(forked_at=forked[0][0] if forked else None, cpu_before_fork=forked[0][1] if forked else None)
    split.update(ended_at=time.perf_counter())
    os.write(2, ("\\nCPU " + json.dumps(split) + "\\n").encode())
atexit.register(said)
sys.argv = ["ssbtek-validate", *sys.argv[1:]]
from ssbtek_validator.__main__ import run
run()
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def arguments(batch: Path, jobs: int, report_format: str, report: Path, config: Path | None) -> list[str]:
    given = ["check", "--jobs", str(jobs), "--as-of", "2026-11-01", "--format", report_format]
    given += ["--output", str(report), *(["--config", str(config)] if config else []), str(batch)]
    return given


def run_once(command: list[str]) -> tuple[float, float, str, float]:
    """(wall seconds, CPU seconds of the command and its workers, stderr, perf_counter at the start)."""
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[3:6]} exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed, _children_cpu() - cpu, done.stderr, start


def halves(batch: Path, into: Path) -> tuple[Path, Path]:
    """The batch's files in two folders, the first half and the second (hard links where the system allows)."""
    names = sorted(path.name for path in batch.iterdir())
    folders = (into / "half-1", into / "half-2")
    for folder, part in zip(folders, (names[: len(names) // 2], names[len(names) // 2 :]), strict=True):
        folder.mkdir()
        for name in part:
            try:
                os.link(batch / name, folder / name)
            except OSError:
                shutil.copyfile(batch / name, folder / name)
    return folders


def side_by_side(commands: list[list[str]]) -> tuple[float, float]:
    """(wall seconds until the last of ``commands`` ends, their CPU seconds), all started together."""
    cpu, start = _children_cpu(), time.perf_counter()
    running = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]
    codes = [process.wait() for process in running]
    elapsed = time.perf_counter() - start
    if any(code not in (0, 1) for code in codes):
        raise SystemExit(f"a half-batch run exited {codes}")
    return elapsed, _children_cpu() - cpu


def worker_timeline(stderr: str, start: float, ended: float) -> str:
    """Each worker's span, from its first chunk's start to its last chunk's end, and how much of it went into
    chunks; then how long the command ran after the last chunk (from the SPLIT wrapper's CHUNK lines)."""
    chunks: dict[str, list[tuple[float, float, int]]] = {}
    for line in stderr.splitlines():
        if line.startswith("CHUNK "):
            _, pid, began, done, size = line.split()
            chunks.setdefault(pid, []).append((float(began), float(done), int(size)))
    lines, last = [], start
    for number, spans in enumerate(chunks.values(), 1):
        first, end = min(b for b, _, _ in spans), max(d for _, d, _ in spans)
        busy = sum(d - b for b, d, _ in spans)
        last = max(last, end)
        lines.append(
            f"    worker {number}: chunks from {(first - start) * 1000:.0f} to {(end - start) * 1000:.0f} ms, "
            f"{len(spans)} chunks, {sum(n for _, _, n in spans)} inputs, in them {busy / (end - first):.1%} of the "
            f"time (the rest: sending results back, waiting for the next chunk)"
        )
    lines.append(
        f"    after the last chunk: {(ended - last) * 1000:.0f} ms (the rest of the results, pairs, the verdict, the "
        "report's end, exit)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--formats", nargs="+", default=["text"])
    parser.add_argument("--no-lighter", action="store_true", help="only every rule, not the lighter rule set")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ssbtek-jobs-") as tmp:
        batch = Path(tmp) / "batch"
        fill(batch, conforming_originals(), args.count)
        lighter = Path(tmp) / "lighter.toml"
        lighter.write_text(f"disable = {json.dumps(LIGHTER)}\n", encoding="utf-8")
        rule_sets = {"every rule": None, **({} if args.no_lighter else {"lighter": lighter})}
        settings = [(fmt, rules, jobs) for fmt in args.formats for rules in rule_sets for jobs in (1, 2, HALVES)]
        runs: dict[tuple[str, str, int], list[tuple[float, float, float]]] = {setting: [] for setting in settings}
        split = halves(batch, Path(tmp))
        reports: dict[tuple[str, str, int], str] = {}
        print(f"{args.count} conforming messages, {os.cpu_count()} cores, {args.repeat} rounds, interleaved")
        for round_ in range(args.repeat):
            for fmt, rules, jobs in settings:
                report = Path(tmp) / f"report-{jobs}.{fmt}"
                load = os.getloadavg()[0]
                command = [sys.executable, "-m", "ssbtek_validator"]
                if jobs == HALVES:
                    wall, cpu = side_by_side(
                        [command + arguments(half, 1, fmt, Path(os.devnull), rule_sets[rules]) for half in split]
                    )
                    runs[fmt, rules, jobs].append((wall, cpu, load))
                    print(f"  round {round_ + 1} {fmt:5} {rules:10} two halves: {wall:5.2f} s, CPU {cpu:5.2f} s, "
                          f"load {load:.2f}", flush=True)  # fmt: skip
                    continue
                command += arguments(batch, jobs, fmt, report, rule_sets[rules])
                wall, cpu, _, _ = run_once(command)
                runs[fmt, rules, jobs].append((wall, cpu, load))
                reports[fmt, rules, jobs] = report.read_text(encoding="utf-8")
                print(f"  round {round_ + 1} {fmt:5} {rules:10} --jobs {jobs}: {wall:5.2f} s, CPU {cpu:5.2f} s, "
                      f"load {load:.2f}", flush=True)  # fmt: skip

        print(f"\n{'report':6} {'rules':10} {'--jobs 1 s':>10} {'--jobs 2 s':>10} {'speed-up':>9} {'by round':>9}"
              f" {'CPU 1':>6} {'CPU 2':>6}  rounds' speed-ups (load)")  # fmt: skip
        for fmt in args.formats:
            for rules in rule_sets:
                one, two = runs[fmt, rules, 1], runs[fmt, rules, 2]
                median_one, median_two = (statistics.median(wall for wall, _, _ in side) for side in (one, two))
                rounds = [(a[0] / b[0], (a[2] + b[2]) / 2) for a, b in zip(one, two, strict=True)]
                by_round = statistics.median(ratio for ratio, _ in rounds)
                cpu_one, cpu_two = (statistics.median(cpu for _, cpu, _ in side) for side in (one, two))
                print(
                    f"{fmt:6} {rules:10} {median_one:10.2f} {median_two:10.2f} {median_one / median_two:8.2f}× "
                    f"{by_round:8.2f}× {cpu_one:6.2f} {cpu_two:6.2f}  "
                    + " ".join(f"{ratio:.2f} ({load:.1f})" for ratio, load in rounds)
                )
                same = reports[fmt, rules, 1] == reports[fmt, rules, 2]
                print(f"{'':17} reports identical across --jobs settings: {'yes' if same else 'NO'}")
                both = runs[fmt, rules, HALVES]
                ceiling = statistics.median(a[0] / b[0] for a, b in zip(one, both, strict=True))
                share = statistics.median(b[0] / a[0] for a, b in zip(two, both, strict=True))
                print(
                    f"{'':17} two --jobs 1 side by side, half the batch each: {ceiling:.2f}× the whole --jobs 1 "
                    f"(median by round), the ceiling of two processes here; --jobs 2 reached {share:.0%} of it"
                )
        print(f"target ≥ {JOBS_TARGET:g}× (on a machine with two free cores)")

        print("\nCPU of one --jobs 2 run, the main process apart from its workers:")
        for fmt in args.formats:
            for rules in rule_sets:
                report = Path(tmp) / f"split.{fmt}"
                command = [sys.executable, "-c", SPLIT, *arguments(batch, 2, fmt, report, rule_sets[rules])]
                wall, _, stderr, start = run_once(command)
                split = json.loads(stderr.rsplit("CPU ", 1)[1])
                alone = (
                    f"; the first worker forked {(split['forked_at'] - start) * 1000:.0f} ms after the command "
                    f"started, {split['cpu_before_fork'] * 1000:.0f} ms of the main process's CPU before it"
                    if split["forked_at"]
                    else ""
                )
                print(
                    f"  {fmt:5} {rules:10} main {split['main']:.2f} s, workers {split['workers']:.2f} s, "
                    f"wall {wall:.2f} s{alone}"
                )
                print(worker_timeline(stderr, start, split["ended_at"]))


if __name__ == "__main__":
    main()
