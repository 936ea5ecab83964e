"""Speed against the limit of this stack, side by side in one run: ratios, each with its target beside it.

    python benchmarks/bench_throughput.py [--count 5000] [--jobs-count 15000] [--repeat 3] [--quick] [--cold-only]

- Per-message cost with every rule on, as (T(N) − T(1)) / (N − 1) of the whole command
  (``python -m ssbtek_validator check FOLDER``), against the same figure for ``xmllint --noout --schema`` over the
  same files, on two batches: the corpus's conforming v10/v11 envelopes (the shape of production traffic,
  taken from corpus/manifest.toml) and every v10/v11 envelope, valid and invalid, each repeated to N files.
  xmllint gets a minimal SOAP 1.1 envelope schema (soap11-envelope.xsd) that imports our packs and
  validates the Body's payload strictly, so both tools validate the same files against the same types.
  Target ≤ 4×.
- Where our per-message time goes, stage by stage, in this process with rule subsets (Options.rules).
- Cold start: ``ssbtek-validate one-message.xml`` against ``python -c "import lxml.etree, click"``, the
  floor every tool on this stack pays, and how much of the difference is importing our modules. Target ≤ 2×.
- ``--jobs 2`` against ``--jobs 1`` on ≥ 15,000 conforming messages, whole command. Target ≥ 1.8×.

Absolute times on a shared machine are noisy; every comparison runs its commands interleaved (A B A B …)
and takes medians, so load falls on both sides of a ratio alike. Public tools only: Python and xmllint
(Debian: libxml2-utils).
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

from ssbtek_validator.packs.schema_packs import builtin_packs  # noqa: E402
from ssbtek_validator.rules import MESSAGE_RULES  # noqa: E402
from ssbtek_validator.run.driver import Options, validate_paths  # noqa: E402


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
    return [sys.executable, "-m", "ssbtek_validator", "check", "--as-of", "2026-11-01", *extra, str(folder)]


def xmllint_command(names: list[str]) -> list[str]:
    """The envelope, validated with the Body's payload strict against whichever pack declares it (see
    soap11-envelope.xsd), as ssbtek-validate validates it. Names are relative: run it in the batch folder."""
    return ["xmllint", "--noout", "--nonet", "--schema", str(HERE / "soap11-envelope.xsd"), *names]


#: CPU seconds of each command's runs (its process and the workers it waited for), by command line
CPU: dict[tuple[str, ...], list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: list[str], cwd: Path) -> float:
    """Wall seconds of one whole command: process start, reading, validating, writing the report."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, check=False, env=environment)
    elapsed = time.perf_counter() - start
    CPU.setdefault(tuple(command), []).append(_children_cpu() - cpu)
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


def per_message(
    tmp: Path, label: str, originals: list[Path], count: int, repeat: int
) -> tuple[float, float, float, float, Path]:
    """(our µs per message, xmllint's, in wall time; the same two in CPU time; the batch's folder), each as
    (T(N) − T(1)) / (N − 1) of the whole command: the start-up both pay once cancels out, what is left
    is the cost of one more message. CPU time is beside wall time because on a machine busy with other
    work the wall clock also counts the time a command waited for a core."""
    one, many = tmp / f"{label}-1", tmp / f"{label}-n"
    one_names, many_names = fill(one, originals, 1), fill(many, originals, count)
    commands = {
        "ours 1": (ours_command(one), ROOT),
        "ours N": (ours_command(many), ROOT),
        "xmllint 1": (xmllint_command(one_names), one),
        "xmllint N": (xmllint_command(many_names), many),
    }
    medians = interleaved(commands, repeat)
    cpu = {label: statistics.median(CPU[tuple(command)]) for label, (command, _) in commands.items()}

    def each(times: dict[str, float], tool: str) -> float:
        return (times[f"{tool} N"] - times[f"{tool} 1"]) / (count - 1) * 1e6

    return each(medians, "ours"), each(medians, "xmllint"), each(cpu, "ours"), each(cpu, "xmllint"), many


def cold_start(message: Path, repeat: int) -> tuple[float, float, float, float]:
    """(ours, floor) in wall time, then the same in CPU time: a new process validating one message, as a
    pre-commit hook or an editor runs it, against a new process that only imports what every tool on this
    stack imports. Bytecode caches are allowed (a regular ``pip install`` writes them); one untimed run of
    each writes them first."""
    installed = Path(sys.executable).parent / "ssbtek-validate"  # this interpreter's, not another on PATH
    ours = [str(installed)] if installed.exists() else [sys.executable, "-m", "ssbtek_validator"]
    commands = {
        "ours": ([*ours, "--as-of", "2026-11-01", str(message)], ROOT),
        "floor": ([sys.executable, "-c", "import lxml.etree, click"], ROOT),
    }
    interleaved(commands, 1)
    medians = interleaved(commands, repeat)
    ours_cpu, floor_cpu = (statistics.median(CPU[tuple(commands[key][0])][-repeat:]) for key in ("ours", "floor"))
    return medians["ours"], medians["floor"], ours_cpu, floor_cpu


def jobs_speedup(tmp: Path, count: int, repeat: int) -> tuple[float, float, float, float]:
    """(--jobs 1 seconds, --jobs 2 seconds, their CPU seconds) over ``count`` real-shaped messages (the
    conforming batch). CPU over wall of --jobs 2 is how many cores the run actually got: on a machine
    busy with other work it is well under 2, and no speed-up can show."""
    folder = tmp / "jobs"
    fill(folder, conforming_originals(), count)
    one, two = ours_command(folder, "--jobs", "1"), ours_command(folder, "--jobs", "2")
    medians = interleaved({"1": (one, ROOT), "2": (two, ROOT)}, repeat)
    cpu_one, cpu_two = (statistics.median(CPU[tuple(command)]) for command in (one, two))
    return medians["1"], medians["2"], cpu_one, cpu_two


#: the stages of one message, each a set of rules added to the ones before it (in-process, no report)
STAGES: tuple[tuple[str, frozenset[str]], ...] = (
    ("read, parse, detect (no rule)", frozenset()),
    ("XSD", frozenset({"SSBT-XSD"})),
    ("nested decode + CSN/SKV models", frozenset({"SSBT-PAYLOAD", "SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD"})),
    ("LEFI", frozenset({"SSBT-LEFI-MODEL"}) | {r.id for r in MESSAGE_RULES if r.id.startswith("SSBT-LEFI-")}),
    ("code lists", frozenset({"SSBT-CODE"})),
    ("other rules", frozenset(r.id for r in MESSAGE_RULES)),
)


#: the last stage: what the command does beyond the rules' verdicts when it masks (its default): the rules'
#: masking of the values they quote, and the run's pass over a message with a finding no rule of ours wrote whole
#: (a library's message, the engine's), which reads its values and masks them wherever that text quotes them
#: (run/secrets.py)
MASKING = "masking personal values (what --show-values skips)"


def stages(folder: Path, count: int, repeat: int) -> list[tuple[str, float]]:
    """µs per message each stage adds, in this process (CPU time, as the CPU columns; median of ``repeat``),
    on the batch in ``folder``: rules are enabled stage by stage (Options.rules), with ``show_values`` so
    that no stage carries the masking, and each stage's cost is the difference to the stage before it; the
    masking is the last stage (every rule, masked as the command masks). Certification coverage is off, as
    in the command's text report."""
    packs = builtin_packs()
    validate_paths([folder], Options(as_of=date(2026, 11, 1), coverage=False), packs)  # what first use costs: below
    enabled: set[str] = set()
    rows, before = [], 0.0
    plan = [(label, ids, True) for label, ids in STAGES] + [(MASKING, frozenset(), False)]
    for label, ids, show_values in plan:
        enabled |= ids
        rules = tuple(rule for rule in MESSAGE_RULES if rule.id in enabled)
        options = Options(rules=rules, as_of=date(2026, 11, 1), coverage=False, show_values=show_values)
        samples = []
        for _ in range(repeat):
            start = time.process_time()
            validate_paths([folder], options, packs)
            samples.append(time.process_time() - start)
        total = statistics.median(samples) / count * 1e6
        rows.append((label, total - before))
        before = total
    rows.append(("first use of schemas, models, plans (once / N)", first_use(folder, count, repeat)))
    return rows


#: one process's first pass over a batch and its second, CPU seconds, printed as "first second", after it has
#: validated the batch's first file alone, as the command's T(1) does
_FIRST_AND_SECOND = """
import sys, time
from datetime import date
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from ssbtek_validator.run.driver import Options, validate_paths
options = Options(as_of=date(2026, 11, 1), coverage=False)
validate_paths([min(Path(sys.argv[1]).iterdir())], options)  # what T(1) pays: the batch's first file alone
taken = []
for _ in range(2):
    start = time.process_time()
    validate_paths([Path(sys.argv[1])], options)
    taken.append(time.process_time() - start)
print(*taken)
"""


def first_use(folder: Path, count: int, repeat: int) -> float:
    """µs per message that a process's first pass over the batch costs beyond its second: compiling what the
    batch needs once per process (pack schemas, nested models, code-list plans) and T(1)'s one message did not,
    which the command's (T(N) − T(1)) / (N − 1) spreads over N. Each sample is a fresh process (a process
    compiles once), median of ``repeat``: a single first pass varied by ±30 µs a message on a shared machine."""
    samples = []
    for _ in range(max(3, repeat)):
        taken = subprocess.run(
            [sys.executable, "-c", _FIRST_AND_SECOND, str(folder), str(ROOT)],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        first, second = (float(value) for value in taken)
        samples.append(first - second)
    return statistics.median(samples) / count * 1e6


def cold_parts(message: Path, repeat: int) -> tuple[float, float, float]:
    """(floor, start-up, the whole one-message command) in CPU time, interleaved medians: what the command
    spends starting (``--version``: importing our modules as the command does, through ``__main__.run``),
    and what validating the first message adds (reading the pack and compiling its schema, the code lists
    and nested-document models this message needs, the report)."""
    commands = {
        "floor": [sys.executable, "-c", "import lxml.etree, click"],
        "start": [sys.executable, "-m", "ssbtek_validator", "--version"],
        "run": [sys.executable, "-m", "ssbtek_validator", "--as-of", "2026-11-01", str(message)],
    }
    interleaved({label: (command, ROOT) for label, command in commands.items()}, repeat)
    floor, start, run = (statistics.median(CPU[tuple(command)][-repeat:]) for command in commands.values())
    return floor, start, run


def print_cold_start(repeat: int) -> None:
    """The cold-start rows: the ratio in wall time (the target) and in CPU time (what a busy machine does not
    distort), then where our part of it goes."""
    message = ROOT / "corpus" / "v10" / "request-full.xml"
    ours_cold, floor, ours_cpu, floor_cpu = cold_start(message, repeat)
    ratio = ours_cold / floor
    print(f"\ncold start, one message, median of {repeat} (interleaved), load average {os.getloadavg()[0]:.2f}")
    print(f"  ssbtek-validate {ours_cold * 1000:.0f} ms, python -c 'import lxml.etree, click' {floor * 1000:.0f} ms")
    print(f"  ratio {ratio:.2f}×  target ≤ {COLD_TARGET:g}×  {verdict(ratio <= COLD_TARGET)}")
    print(f"  CPU time: {ours_cpu * 1000:.0f} ms against {floor_cpu * 1000:.0f} ms, ratio {ours_cpu / floor_cpu:.2f}×")

    floor, start, run = cold_parts(message, repeat)
    print(
        f"  of which, CPU time: the floor {floor * 1000:.0f} ms, "
        f"starting (python -m ssbtek_validator --version) +{(start - floor) * 1000:.0f} ms, "
        f"validating and reporting the first message +{(run - start) * 1000:.0f} ms"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000, help="messages per batch (per-message rows)")
    parser.add_argument("--jobs-count", type=int, default=15_000, help="messages for --jobs 2 against --jobs 1")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command, interleaved; the median counts")
    parser.add_argument("--cold-repeat", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="small counts, one run each: a smoke test, not a result")
    parser.add_argument("--cold-only", action="store_true", help="only the cold-start rows (seconds, not minutes)")
    args = parser.parse_args()
    if args.quick:
        args.count, args.jobs_count, args.repeat, args.cold_repeat = 300, 600, 1, 3
    if args.cold_only:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        print_cold_start(args.cold_repeat)
        return
    if not shutil.which("xmllint"):
        raise SystemExit("xmllint not found (Debian: apt-get install libxml2-utils)")

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print(subprocess.run(["xmllint", "--version"], capture_output=True, text=True).stderr.splitlines()[0])
    with tempfile.TemporaryDirectory(prefix="ssbtek-bench-") as name:
        tmp = Path(name)
        print(f"\nper message, (T(N) − T(1)) / (N − 1) of the whole command, N = {args.count}, median of {args.repeat}")
        print(f"{'':20} {'wall time µs':^28} {'CPU time µs':^28}  target ≤ {PER_MESSAGE_TARGET:g}×")
        print(f"{'batch':20}" + f" {'ours':>8} {'xmllint':>8} {'ratio':>8}  " * 2)
        batches: list[tuple[float, Path]] = []
        for label, originals in (("conforming", conforming_originals()), ("mixed valid+invalid", mixed_originals())):
            ours, theirs, ours_cpu, theirs_cpu, folder = per_message(
                tmp, label.split()[0], originals, args.count, args.repeat
            )
            batches.append((ours_cpu, folder))
            ratio, ratio_cpu = ours / theirs, ours_cpu / theirs_cpu
            print(
                f"{label:20} {ours:8.0f} {theirs:8.0f} {ratio:7.2f}×   {ours_cpu:8.0f} {theirs_cpu:8.0f} "
                f"{ratio_cpu:7.2f}×   wall {verdict(ratio <= PER_MESSAGE_TARGET)}, "
                f"CPU {verdict(ratio_cpu <= PER_MESSAGE_TARGET)}"
            )

        print(f"\nwhere one message's CPU time goes, µs, in-process by rule subsets (Options.rules), N = {args.count}")
        columns = [stages(folder, args.count, args.repeat) for _, folder in batches]
        print(f"  {'stage':48} {'conforming':>10} {'mixed':>10}")
        for index, (label, _) in enumerate(columns[0]):
            print(f"  {label:48} {columns[0][index][1]:10.0f} {columns[1][index][1]:10.0f}")
        rest = [ours - sum(m for _, m in column) for (ours, _), column in zip(batches, columns, strict=True)]
        print(f"  {'report, CLI, folder walk (command − the above)':48} {rest[0]:10.0f} {rest[1]:10.0f}")

        print_cold_start(args.cold_repeat)

        one, two, cpu_one, cpu_two = jobs_speedup(tmp, args.jobs_count, max(1, args.repeat - 1))
        speedup = one / two
        print(f"\n--jobs 2 against --jobs 1, {args.jobs_count} conforming real-shaped messages, whole command")
        print(
            f"  --jobs 1 {one:.1f} s, --jobs 2 {two:.1f} s, speed-up {speedup:.2f}×  target ≥ {JOBS_TARGET:g}×  "
            f"{verdict(speedup >= JOBS_TARGET)}"
        )
        print(
            f"  CPU s: --jobs 1 {cpu_one:.1f}, --jobs 2 {cpu_two:.1f}; cores --jobs 2 got: {cpu_two / two:.2f} "
            f"(load average now {os.getloadavg()[0]:.2f}; under 2 free cores the speed-up cannot show)"
        )


if __name__ == "__main__":
    main()
