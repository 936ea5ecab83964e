"""Throughput of ssbtek-validate beside `xmllint --schema` and xmlschema, on the same messages, in one run.

    python benchmarks/bench_throughput.py [--count 10000]

Builds a batch by repeating the v10/v11 envelopes of corpus/ (valid and invalid) until --count
files exist, then validates the batch with each tool and prints messages/second and ratios. The
other tools get a minimal SOAP 1.1 envelope schema (soap11-envelope.xsd) that imports our packs,
so all three validate the same files against the same types. Also prints the cold-start time of a
single message through the installed command.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from validator.engine import Options, validate_paths  # noqa: E402
from validator.findings import Verdict  # noqa: E402
from validator.packs import builtin_packs  # noqa: E402


def build_batch(target: Path, count: int) -> list[Path]:
    originals = sorted((ROOT / "corpus" / "v10").glob("*.xml")) + sorted((ROOT / "corpus" / "v11").glob("*.xml"))
    originals = [p for p in originals if b"Envelope" in p.read_bytes()[:400]]
    files = []
    for index in range(count):
        source = originals[index % len(originals)]
        copy = target / f"{index:06d}-{source.parent.name}-{source.name}"
        shutil.copyfile(source, copy)
        files.append(copy)
    return files


def timed(label: str, func):
    start = time.perf_counter()
    valid = func()
    return label, time.perf_counter() - start, valid


#: what the other tools check: well-formedness, envelope and schema, not our rules beyond them
SCHEMA_LEVEL = frozenset({"SSBT-XSD", "SSBT-WELLFORMED", "SSBT-SOAP", "SSBT-EMPTY", "SSBT-DTD", "SSBT-VERSION"})
conforming: dict[str, int] = {}


def run_ours(batch: Path, packs) -> int:
    """All rules run (that is what is timed); the count compared is the schema-level verdict."""
    result = validate_paths([batch], Options(), packs)
    conforming["all rules"] = sum(1 for m in result.messages if m.verdict is Verdict.CONFORMS)
    return sum(1 for m in result.messages if not any(f.rule in SCHEMA_LEVEL for f in m.findings))


def run_xmlschema(files: list[Path]) -> int:
    import xmlschema

    schema = xmlschema.XMLSchema(str(HERE / "soap11-envelope.xsd"))
    return sum(1 for f in files if schema.is_valid(str(f)))


def run_xmllint(files: list[Path]) -> int:
    valid = 0
    for start in range(0, len(files), 2000):
        chunk = [str(f) for f in files[start : start + 2000]]
        done = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--schema", str(HERE / "soap11-envelope.xsd"), *chunk],
            capture_output=True,
            text=True,
            check=False,
        )
        valid += done.stderr.count(" validates\n")
    return valid


def cold_start(message: Path, repeat: int = 5) -> float:
    command = shutil.which("ssbtek-validate")
    argv = [command] if command else [sys.executable, "-m", "validator.cli"]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*argv, str(message)], capture_output=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--skip-xmlschema", action="store_true", help="xmlschema is slow; skip it for a quick look")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ssbtek-bench-") as tmp:
        batch = Path(tmp)
        files = build_batch(batch, args.count)
        packs = builtin_packs()
        for pack in packs.values():
            pack.schema()  # compile once, as a batch run does, before the clock starts
        rows = [timed("ssbtek-validate (1 process)", lambda: run_ours(batch, packs))]
        if shutil.which("xmllint"):
            rows.append(timed("xmllint --schema", lambda: run_xmllint(files)))
        else:
            print("xmllint not found (Debian: apt-get install libxml2-utils); skipped")
        if not args.skip_xmlschema:
            rows.append(timed("xmlschema (is_valid)", lambda: run_xmlschema(files)))

    ours = rows[0][1]
    print(f"\n{len(files)} messages (corpus v10+v11 envelopes, valid and invalid, repeated)\n")
    print(f"{'tool':32} {'seconds':>9} {'msgs/s':>10} {'schema-valid':>12} {'ours is ×faster':>16}")
    for label, seconds, valid in rows:
        print(f"{label:32} {seconds:9.2f} {len(files) / seconds:10.0f} {valid:12d} {seconds / ours:16.1f}")
    agree = {valid for _, _, valid in rows}
    print(
        "\nschema-level verdicts agree on the number of valid messages" if len(agree) == 1 else f"\nDISAGREE: {agree}"
    )
    print(f"(with every rule of ssbtek-validate, {conforming['all rules']} of them conform)")
    cold = cold_start(ROOT / "corpus/v10/request-full.xml")
    print(f"cold start, one message through the command (median of 5): {cold:.3f} s")


if __name__ == "__main__":
    main()
