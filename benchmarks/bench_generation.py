"""Generated valid documents per second, per version and direction.

    python benchmarks/bench_generation.py [--count 500] [--hypothesis-count 100]

Two numbers per row. "fuzz" is the engine behind ``ssbtek-validate fuzz`` (the generators driven by
a seeded random.Random): documents/second, and every document is then checked to conform. "given"
is the same generators driven by Hypothesis (``ssbtek_validator.strategies.messages`` under ``@given``),
which pays Hypothesis's per-draw bookkeeping for shrinking. An answer includes generating the
request it answers. Validation time is not included in either rate. "(per cpu s)" divides by the
process's CPU time instead of wall time: the figure to compare when the machine is busy with other work.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

import ssbtek_validator  # noqa: E402
from ssbtek_validator.packs.schema_packs import builtin_packs  # noqa: E402
from ssbtek_validator.strategies import RandomChooser, messages, targets  # noqa: E402
from ssbtek_validator.strategies.documents import generate  # noqa: E402


def fuzz_rate(version: int, operation: str, direction: str, count: int) -> tuple[float, float, int]:
    pack = builtin_packs()[version]
    chooser = RandomChooser(version * 1000 + len(direction))
    for _ in range(30):  # warm: pack and nested-model schemas compiled, caches filled (they load on first use)
        generate(chooser, pack, operation, direction)
    start, cpu = time.perf_counter(), time.process_time()
    documents = [generate(chooser, pack, operation, direction).document() for _ in range(count)]
    elapsed, cpu_elapsed = time.perf_counter() - start, time.process_time() - cpu
    conforming = sum(1 for d in documents if ssbtek_validator.validate(d.xml, as_of=d.as_of).verdict == "conforms")
    return count / elapsed, count / cpu_elapsed, conforming


def given_rate(version: int, operation: str, direction: str, count: int) -> float:
    seen: list = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(messages(version=version, operation=operation, direction=direction))
    def collect(document):
        seen.append(document)

    collect()  # warm
    seen.clear()
    start = time.perf_counter()
    collect()
    return len(seen) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="documents per row for the fuzz engine")
    parser.add_argument("--hypothesis-count", type=int, default=100, help="examples per row under @given (0: skip)")
    args = parser.parse_args()
    print(
        f"{'version':>7} {'operation':<27} {'direction':<9} {'fuzz docs/s':>11} {'(per cpu s)':>11} {'conform':>9} "
        f"{'given docs/s':>12}"
    )
    for pack, operation, direction in targets():
        rate, cpu_rate, conforming = fuzz_rate(pack.version, operation, direction, args.count)
        hypothesis = (
            given_rate(pack.version, operation, direction, args.hypothesis_count) if args.hypothesis_count else 0
        )
        print(
            f"{'v' + str(pack.version):>7} {operation:<27} {direction:<9} {rate:>11.0f} {cpu_rate:>11.0f} "
            f"{f'{conforming}/{args.count}':>9} {hypothesis:>12.0f}"
        )


if __name__ == "__main__":
    main()
