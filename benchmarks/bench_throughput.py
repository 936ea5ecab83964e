"""Throughput of ssbtek-validate beside `xmllint --schema` and xmlschema, on the same messages, in one run.

    python benchmarks/bench_throughput.py [--count 10000]

Builds a batch by repeating the v10/v11 envelopes of corpus/ (valid and invalid) until --count
files exist, then validates the batch with each tool and prints messages/second and ratios. The
other tools get a minimal SOAP 1.1 envelope schema (soap11-envelope.xsd) that imports our packs,
so all of them validate the same files against the same types. A row of lxml alone (read, parse,
XSD, nothing else) shows the ceiling of the stack we build on. Also prints the cold-start time of a
single message through the installed command.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from validator.engine import Options, validate_paths  # noqa: E402
from validator.findings import Verdict  # noqa: E402
from validator.messages import safe_parser  # noqa: E402
from validator.packs import builtin_packs  # noqa: E402
from validator.rules import MESSAGE_RULES  # noqa: E402


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


def timed(label: str, func) -> tuple[str, float, float, set[str]]:
    """(label, wall seconds, CPU seconds of this process, names of the schema-valid files).

    CPU time is shown beside wall time because other load on a shared machine inflates the wall
    clock; xmllint runs in child processes, so its CPU time is theirs (resource.RUSAGE_CHILDREN)."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    valid = func()
    cpu_spent = time.process_time() - cpu + _children_cpu() - children
    return label, time.perf_counter() - wall, cpu_spent, valid


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: what the other tools check: well-formedness, envelope and schema, not our rules beyond them
SCHEMA_LEVEL = frozenset({"SSBT-XSD", "SSBT-WELLFORMED", "SSBT-SOAP", "SSBT-EMPTY", "SSBT-DTD", "SSBT-VERSION"})
conforming: dict[str, int] = {}


def run_ours(batch: Path, packs, rules=MESSAGE_RULES) -> set[str]:
    """``rules`` run (that is what is timed); what is compared is the schema-level verdict per file."""
    result = validate_paths([batch], Options(rules=rules), packs)
    if rules is MESSAGE_RULES:
        conforming["all rules"] = sum(1 for m in result.messages if m.verdict is Verdict.CONFORMS)
    return {Path(m.file).name for m in result.messages if not any(f.rule in SCHEMA_LEVEL for f in m.findings)}


def run_xmlschema(files: list[Path]) -> set[str]:
    import xmlschema

    schema = xmlschema.XMLSchema(str(HERE / "soap11-envelope.xsd"))
    return {f.name for f in files if schema.is_valid(str(f))}


def run_lxml_floor(files: list[Path]) -> set[str]:
    """Read, parse and validate against the envelope schema through lxml, and nothing else.

    This is the least any validator built on lxml pays per message, before locating a payload,
    decoding a nested document or running a rule: the ceiling of this stack on this machine."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(HERE / "soap11-envelope.xsd")))
    parser = safe_parser()  # the validator's own, so the row parses exactly as ssbtek-validate does
    valid = set()
    for file in files:
        try:
            root = etree.fromstring(file.read_bytes(), parser)
        except etree.XMLSyntaxError:
            continue
        if schema.validate(root):
            valid.add(file.name)
    return valid


def run_xmllint(files: list[Path]) -> set[str]:
    valid: set[str] = set()
    for start in range(0, len(files), 2000):
        chunk = [str(f) for f in files[start : start + 2000]]
        done = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--schema", str(HERE / "soap11-envelope.xsd"), *chunk],
            capture_output=True,
            text=True,
            check=False,
        )
        valid |= {
            Path(line[: -len(" validates")]).name for line in done.stderr.splitlines() if line.endswith(" validates")
        }
    return valid


def disagreements(rows) -> list[str]:
    """Corpus files (not copies) whose schema-level verdict differs between the tools, with each tool's."""
    everything = set().union(*(valid for *_, valid in rows))
    lines = []
    seen = set()
    for name in sorted(everything):
        verdicts = tuple(name in valid for *_, valid in rows)
        original = name.split("-", 1)[1]
        if len(set(verdicts)) > 1 and original not in seen:
            seen.add(original)
            said = ", ".join(
                f"{label.split(' (')[0]}: {'valid' if v else 'invalid'}"
                for (label, *_), v in zip(rows, verdicts, strict=True)
            )
            lines.append(f"  {original.replace('-', '/', 1)}  ({said})")
    return lines


# --- ratios against the limit of this stack, side by side in one run -------------------------------------------

#: targets: every rule within 4× of xmllint per message, cold start within 2× of the stack's floor,
#: --jobs 2 at least 1.8× --jobs 1
PER_MESSAGE_TARGET = 4.0
COLD_TARGET = 2.0
JOBS_TARGET = 1.8


def conforming_originals() -> list[Path]:
    """The v10/v11 envelopes the manifest says conform: the shape of production traffic."""
    import tomllib

    manifest = tomllib.loads((ROOT / "corpus" / "manifest.toml").read_text(encoding="utf-8"))
    files = [
        ROOT / "corpus" / case["file"]
        for case in manifest["case"]
        if case.get("verdict") == "conforms" and case["file"].split("/")[0] in ("v10", "v11")
    ]
    return [p for p in sorted(files) if p.suffix == ".xml" and b"Envelope" in p.read_bytes()[:400]]


def mixed_originals() -> list[Path]:
    """Every v10/v11 envelope of the corpus, valid and invalid."""
    originals = sorted((ROOT / "corpus" / "v10").glob("*.xml")) + sorted((ROOT / "corpus" / "v11").glob("*.xml"))
    return [p for p in originals if b"Envelope" in p.read_bytes()[:400]]


def fill(target: Path, originals: list[Path], count: int) -> list[str]:
    """``count`` copies of ``originals`` in turn, under short names (the xmllint command line holds them all)."""
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for index in range(count):
        name = f"{index:06d}.xml"
        shutil.copyfile(originals[index % len(originals)], target / name)
        names.append(name)
    return names


def ours_command(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "validator", "check", "--as-of", "2026-11-01", *extra, str(folder)]


def xmllint_command(names: list[str]) -> list[str]:
    """The envelope, validated with the Body's payload strict against whichever pack declares it (see
    soap11-envelope.xsd), as ssbtek-validate validates it. Names are relative: run it in the batch folder."""
    return ["xmllint", "--noout", "--nonet", "--schema", str(HERE / "soap11-envelope.xsd"), *names]


def wall(command: list[str], cwd: Path) -> float:
    """Wall seconds of one whole command: process start, reading, validating, writing the report."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=environment)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{command[:4]} … exited {done.returncode}: {done.stderr.decode(errors='replace')[-800:]}")
    return elapsed


def interleaved(commands: dict[str, tuple[list[str], Path]], repeat: int) -> dict[str, float]:
    """Median wall time of each command, run A B C A B C …: load from other processes on a shared machine
    falls on every command alike instead of on whichever ran during it."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeat):
        for label, (command, cwd) in commands.items():
            times[label].append(wall(command, cwd))
    return {label: statistics.median(values) for label, values in times.items()}


def per_message(tmp: Path, label: str, originals: list[Path], count: int, repeat: int) -> tuple[str, float, float]:
    """(label, our µs per message, xmllint's µs per message), each as (T(N) − T(1)) / (N − 1) of the whole
    command: the start-up both pay once cancels out, what is left is the cost of one more message."""
    one, many = tmp / f"{label}-1", tmp / f"{label}-n"
    one_names, many_names = fill(one, originals, 1), fill(many, originals, count)
    medians = interleaved(
        {
            "ours 1": (ours_command(one), ROOT),
            "ours N": (ours_command(many), ROOT),
            "xmllint 1": (xmllint_command(one_names), one),
            "xmllint N": (xmllint_command(many_names), many),
        },
        repeat,
    )
    ours = (medians["ours N"] - medians["ours 1"]) / (count - 1) * 1e6
    theirs = (medians["xmllint N"] - medians["xmllint 1"]) / (count - 1) * 1e6
    return label, ours, theirs


def cold_start(message: Path, repeat: int) -> tuple[float, float]:
    """(ours, floor): a new process validating one message, as a pre-commit hook or an editor runs it,
    against a new process that only imports what every tool on this stack imports. Bytecode caches are
    allowed (a regular ``pip install`` writes them); one untimed run of each writes them first."""
    installed = Path(sys.executable).parent / "ssbtek-validate"  # this interpreter's, not another on PATH
    ours = [str(installed)] if installed.exists() else [sys.executable, "-m", "validator"]
    commands = {
        "ours": ([*ours, "--as-of", "2026-11-01", str(message)], ROOT),
        "floor": ([sys.executable, "-c", "import lxml.etree, click"], ROOT),
    }
    interleaved(commands, 1)
    medians = interleaved(commands, repeat)
    return medians["ours"], medians["floor"]


def jobs_speedup(tmp: Path, count: int, repeat: int) -> tuple[float, float]:
    """(--jobs 1 seconds, --jobs 2 seconds) over ``count`` real-shaped messages (the conforming batch)."""
    folder = tmp / "jobs"
    fill(folder, conforming_originals(), count)
    medians = interleaved(
        {"1": (ours_command(folder, "--jobs", "1"), ROOT), "2": (ours_command(folder, "--jobs", "2"), ROOT)}, repeat
    )
    return medians["1"], medians["2"]


#: the stages of one message, each a set of rules added to the ones before it (in-process, no report)
STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("read, parse, detect (no rule)", frozenset()),
    ("XSD", frozenset({"SSBT-XSD"})),
    ("nested decode + CSN/SKV models", frozenset({"SSBT-PAYLOAD", "SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD"})),
    ("LEFI", frozenset({"SSBT-LEFI-MODEL"}) | {r.id for r in MESSAGE_RULES if r.id.startswith("SSBT-LEFI-")}),
    ("code lists", frozenset({"SSBT-CODE"})),
    ("other rules", frozenset(r.id for r in MESSAGE_RULES)),
)


def stages(tmp: Path, count: int, repeat: int) -> list[tuple[str, float]]:
    """µs per message each stage adds, in this process (CPU time, median of ``repeat``), on the conforming batch."""
    folder = tmp / "stages"
    fill(folder, conforming_originals(), count)
    packs = builtin_packs()
    validate_paths([folder], Options(), packs)  # compile schemas, build models and plans before the clock
    enabled: set[str] = set()
    rows, before = [], 0.0
    for label, ids in STAGES:
        enabled |= ids
        rules = tuple(rule for rule in MESSAGE_RULES if rule.id in enabled)
        samples = []
        for _ in range(repeat):
            start = time.process_time()
            validate_paths([folder], Options(rules=rules, as_of=date(2026, 11, 1)), packs)
            samples.append(time.process_time() - start)
        total = statistics.median(samples) / count * 1e6
        rows.append((label, total - before))
        before = total
    return rows


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000, help="messages per batch (per-message rows)")
    parser.add_argument("--jobs-count", type=int, default=15_000, help="messages for --jobs 2 against --jobs 1")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command, interleaved; the median counts")
    parser.add_argument("--cold-repeat", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="small counts, one run each: a smoke test, not a result")
    args = parser.parse_args()
    if args.quick:
        args.count, args.jobs_count, args.repeat, args.cold_repeat = 300, 600, 1, 3
    if not shutil.which("xmllint"):
        raise SystemExit("xmllint not found (Debian: apt-get install libxml2-utils)")

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(subprocess.run(["xmllint", "--version"], capture_output=True, text=True).stderr.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="ssbtek-bench-") as name:
        tmp = Path(name)
        print(f"\nper message, (T(N) − T(1)) / (N − 1) of the whole command, N = {args.count}, median of {args.repeat}")
        print(f"{'batch':34} {'ours µs':>9} {'xmllint µs':>11} {'ratio':>7}  target ≤ {PER_MESSAGE_TARGET:g}×")
        for label, originals in (
            ("conforming v10/v11", conforming_originals()),
            ("mixed valid+invalid", mixed_originals()),
        ):
            _, ours, theirs = per_message(tmp, label.split()[0], originals, args.count, args.repeat)
            ratio = ours / theirs
            print(f"{label:34} {ours:9.0f} {theirs:11.0f} {ratio:6.2f}×  {verdict(ratio <= PER_MESSAGE_TARGET)}")

        ours_cold, floor = cold_start(ROOT / "corpus" / "v10" / "request-full.xml", args.cold_repeat)
        ratio = ours_cold / floor
        print(f"\ncold start, one message, median of {args.cold_repeat} (interleaved)")
        print(
            f"  ssbtek-validate {ours_cold * 1000:.0f} ms, python -c 'import lxml.etree, click' {floor * 1000:.0f} ms"
        )
        print(f"  ratio {ratio:.2f}×  target ≤ {COLD_TARGET:g}×  {verdict(ratio <= COLD_TARGET)}")

        print(f"\nwhere one conforming message's time goes, in-process CPU, N = {args.count}")
        rows = stages(tmp, args.count, args.repeat)
        for label, micros in rows:
            print(f"  {label:34} {micros:7.0f} µs")
        print(f"  {'sum (report, process start excluded)':34} {sum(m for _, m in rows):7.0f} µs")

        one, two = jobs_speedup(tmp, args.jobs_count, max(1, args.repeat - 1))
        speedup = one / two
        print(f"\n--jobs 2 against --jobs 1, {args.jobs_count} conforming real-shaped messages, whole command")
        print(
            f"  --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {speedup:.2f}×  target ≥ {JOBS_TARGET:g}×  "
            f"{verdict(speedup >= JOBS_TARGET)}"
        )


if __name__ == "__main__":
    main()
