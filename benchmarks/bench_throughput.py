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


def cold_start(message: Path, repeat: int = 5) -> float:
    """A new process validating one message, as a pre-commit hook or an editor runs it.

    Python's bytecode cache is allowed (a regular ``pip install`` writes it; an editable install
    writes it on the first run, which is not timed): with PYTHONDONTWRITEBYTECODE set, as on some CI
    images, every start compiles the package again and takes ~0.2 s longer."""
    command = shutil.which("ssbtek-validate")
    argv = [command] if command else [sys.executable, "-m", "validator.cli"]
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([*argv, str(message)], capture_output=True, check=False, cwd=ROOT, env=environment)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([*argv, str(message)], capture_output=True, check=False, cwd=ROOT, env=environment)
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
        validate_paths([ROOT / "corpus" / "v10"], Options(), packs)  # warm the lazily built models and plans
        schema_only = tuple(rule for rule in MESSAGE_RULES if rule.id == "SSBT-XSD")
        rows = [
            timed("ssbtek-validate, every rule", lambda: run_ours(batch, packs)),
            timed("ssbtek-validate, SSBT-XSD only", lambda: run_ours(batch, packs, schema_only)),
        ]
        rows.append(timed("lxml parse + XSD, no rule", lambda: run_lxml_floor(files)))
        if shutil.which("xmllint"):
            rows.append(timed("xmllint --schema", lambda: run_xmllint(files)))
        else:
            print("xmllint not found (Debian: apt-get install libxml2-utils); skipped")
        if not args.skip_xmlschema:
            rows.append(timed("xmlschema (is_valid)", lambda: run_xmlschema(files)))

    count = len(files)
    ours, ours_cpu = rows[0][1], rows[0][2]
    print(f"\n{count} messages (corpus v10+v11 envelopes, valid and invalid, repeated), one process each\n")
    print(
        f"{'tool':32} {'wall s':>8} {'msgs/s':>8} {'CPU s':>8} {'msgs/s':>8} {'schema-valid':>12} {'every rule ×':>13}"
    )
    for label, seconds, cpu, valid in rows:
        print(
            f"{label:32} {seconds:8.2f} {count / seconds:8.0f} {cpu:8.2f} {count / cpu:8.0f} {len(valid):12d} "
            f"{seconds / ours:13.2f}"
        )
    print("(every rule ×: that tool's wall time over ours with every rule; above 1, ours is faster)")
    differing = disagreements(rows)
    print(
        "\nschema-level verdicts agree on every message"
        if not differing
        else "\nschema-level verdicts differ on (each file as many times as it is repeated):\n" + "\n".join(differing)
    )
    print(f"with every rule of ssbtek-validate, {conforming['all rules']} of the {count} conform")
    cold = cold_start(ROOT / "corpus/v10/request-full.xml")
    print(f"cold start, one message through the command (median of 5): {cold:.3f} s")
    rate = count / ours_cpu
    print("\ntargets (issue 2), every rule, CPU time of one process:")
    print(f"  >= 5,000 msgs/s on one core: {rate:,.0f} ({'met' if rate >= 5000 else 'NOT met'})")
    floor_cpu = next(row[2] for row in rows if row[0].startswith("lxml"))
    print(
        f"    lxml's read + parse + XSD alone runs at {count / floor_cpu:,.0f}/s here; 5,000/s would leave "
        f"{max(0.0, 1e6 / 5000 - floor_cpu / count * 1e6):.0f} µs per message for everything else "
        "(payload, nested documents, every rule, the result)"
    )
    xmlschema_row = next((row for row in rows if row[0].startswith("xmlschema")), None)
    if xmlschema_row:
        ratio = xmlschema_row[2] / ours_cpu
        print(f"  >= 10x xmlschema: {ratio:.1f}x ({'met' if ratio >= 10 else 'NOT met'})")
        needed = 10 * count / xmlschema_row[2]
        print(f"    that is {needed:,.0f}/s, {needed * floor_cpu / count:.0%} of lxml's read + parse + XSD alone")
    print(f"  cold start < 0.5 s: {cold:.3f} s ({'met' if cold < 0.5 else 'NOT met'})")


if __name__ == "__main__":
    main()
