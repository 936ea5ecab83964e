"""What the code-list rule costs: the throughput batch with and without it, in one run.

    python benchmarks/bench_codelists.py [--count 5000] [--rounds 5]

Builds the batch of bench_throughput.py (corpus v10/v11 envelopes repeated), then validates it in
one process alternately with every rule and with every rule except SSBT-CODE, several rounds, and
prints the best time of each with the difference. Also reports the answers alone, where nearly all
bindings are (MIV, TNS, AF, CSN and LEFI JSON answers), so the cost is not hidden by cheap requests.
The acceptance budget: the code-list rule costs under 10 % of the batch throughput.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_throughput import build_batch  # noqa: E402

from validator.codelists import builtin_catalogue  # noqa: E402
from validator.engine import Options, validate_paths  # noqa: E402
from validator.packs import builtin_packs  # noqa: E402
from validator.rules import MESSAGE_RULES  # noqa: E402
from validator.rules.codes import CodeListRule  # noqa: E402


def timed(batch: Path, options: Options, packs) -> tuple[float, int]:
    start = time.perf_counter()
    result = validate_paths([batch], options, packs)
    return time.perf_counter() - start, sum(len(m.findings) for m in result.messages)


def compare(label: str, batch: Path, count: int, rounds: int, packs) -> float:
    """Alternate the two configurations round by round and keep each one's best: on a shared machine
    the load changes from second to second, and alternating exposes both to the same weather."""
    configurations = {
        "without SSBT-CODE": Options(rules=tuple(r for r in MESSAGE_RULES if not isinstance(r, CodeListRule))),
        "with SSBT-CODE": Options(rules=MESSAGE_RULES),
    }
    validate_paths([batch], configurations["with SSBT-CODE"], packs)  # warm: plans, caches, page cache
    best: dict[str, float] = {}
    findings: dict[str, int] = {}
    for _ in range(rounds):
        for name, options in configurations.items():
            seconds, findings[name] = timed(batch, options, packs)
            best[name] = min(seconds, best.get(name, seconds))
    print(f"\n{label}: {count} messages, best of {rounds} alternating rounds")
    print(f"{'rules':22} {'seconds':>9} {'msgs/s':>10} {'findings':>9}")
    for name, seconds in best.items():
        print(f"{name:22} {seconds:9.3f} {count / seconds:10.0f} {findings[name]:9d}")
    base, full = best["without SSBT-CODE"], best["with SSBT-CODE"]
    overhead = (full - base) / base * 100
    print(f"code-list rule costs {overhead:+.1f} % of the time ({(full - base) / count * 1e6:.1f} µs per message)")
    return overhead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    packs = builtin_packs()
    for pack in packs.values():
        pack.schema()
    start = time.perf_counter()
    catalogue = builtin_catalogue()
    print(
        f"code lists: {len(catalogue.lists)} lists, {len(catalogue.bindings)} bindings, "
        f"loaded once in {(time.perf_counter() - start) * 1000:.1f} ms"
    )
    with tempfile.TemporaryDirectory(prefix="ssbtek-bench-codes-") as tmp:
        batch = Path(tmp) / "all"
        batch.mkdir()
        files = build_batch(batch, args.count)
        overall = compare("batch (bench_throughput's mix)", batch, len(files), args.rounds, packs)
        answers = Path(tmp) / "answers"
        answers.mkdir()
        for path in files:
            if "answer" in path.name:
                path.rename(answers / path.name)
        count = sum(1 for _ in answers.iterdir())
        compare("answers only", answers, count, args.rounds, packs)
    verdict = "within" if overall < 10 else "OVER"
    print(f"\nbudget: under 10 % of batch throughput → {overall:.1f} % ({verdict} budget)")


if __name__ == "__main__":
    main()
