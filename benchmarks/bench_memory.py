"""Peak memory of the command on hostile inputs the default limits accept, for every report format.

    python benchmarks/bench_memory.py [--formats text json ...] [--inputs NAME ...] [--keep DIR]

Builds the inputs itself, in a temporary folder, each just under the default 16 MiB message limit:

- ``har-tiny-exchanges``: a HAR capture of ~124,000 exchanges, each a tiny XML request and answer;
- ``har-most-exchanges``: the same, with as many exchanges as the default limits accept (10,000);
- ``har-many-findings``: exchanges whose requests each break the schema ~150 times, as many as fit;
- ``har-empty-entries``: a HAR capture of ~5.6 million empty entries (``{}``);
- ``schema-errors``: one v10 request with 495,000 attributes the schema does not allow (one error each),
  as many as the default node limit accepts.

Each input runs through ``python -m ssbtek_validator check --format F --output FILE`` in a fresh child process
(``--format`` for every format) and through ``certify --pack 10`` (its three files, whole documents written as they
are made), and the child's peak resident memory is read from ``resource.getrusage(RUSAGE_CHILDREN)`` of a measuring
process that started only that child. The 300 MB
target is printed beside each figure; the script exits 1 when any run is over it (so it can be a check),
or when a run ends in a traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FORMATS = ("text", "json", "junit", "sarif", "github", "html")
#: not a format: ``certify --pack 10`` on the input, which writes report.html, report.json and evidence.json
CERTIFY = "certify"
TARGET_MB = 300
LIMIT = 16 * 1024 * 1024 - 1024  # just under the default --max-message-bytes

_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""


def _tiny_entry() -> bytes:
    return json.dumps(
        {
            "request": {"postData": {"mimeType": "text/xml", "text": "<a/>"}},
            "response": {"content": {"mimeType": "text/xml", "text": "<b/>"}},
        },
        separators=(",", ":"),
    ).encode()


def har_tiny_exchanges(path: Path, count: int | None = None) -> None:
    """As many exchanges as fit: each a few bytes of XML each way, so the capture is almost all overhead."""
    entry = _tiny_entry()
    count = count or (LIMIT - 40) // (len(entry) + 1)
    path.write_bytes(b'{"log":{"entries":[' + b",".join([entry] * count) + b"]}}")


def har_most_exchanges(path: Path) -> None:
    """The most tiny exchanges the default limits let through: 10,000 (--max-exchanges)."""
    har_tiny_exchanges(path, 10_000)


def har_many_findings(path: Path) -> None:
    """10,000 exchanges whose requests each carry ~150 attributes the schema does not allow: every message
    within the limits; the run keeps at most --max-run-findings of their findings and counts the rest."""
    request = (ROOT / "corpus" / "v10" / "request-full.xml").read_bytes()
    attributes = b"".join(b' x%d=""' % i for i in range(150))
    bad = request.replace(b"<ssbt:fraga>", b"<ssbt:fraga" + attributes + b">", 1)
    entry = json.dumps(
        {"request": {"postData": {"mimeType": "text/xml", "text": bad.decode()}}}, separators=(",", ":")
    ).encode()
    count = min(10_000, (LIMIT - 40) // (len(entry) + 1))
    path.write_bytes(b'{"log":{"entries":[' + b",".join([entry] * count) + b"]}}")


def har_empty_entries(path: Path) -> None:
    count = (LIMIT - 40) // 3
    path.write_bytes(b'{"log":{"entries":[' + b",".join([b"{}"] * count) + b"]}}")


def schema_errors(path: Path, errors: int = 495_000) -> None:
    """The corpus request with attributes its schema does not allow on the FK question, one error each:
    as many as the default node limit lets through (each attribute counts as two nodes)."""
    request = (ROOT / "corpus" / "v10" / "request-full.xml").read_bytes()
    attributes = b"".join(b' x%d=""' % i for i in range(errors))
    path.write_bytes(request.replace(b"<ssbt:fraga>", b"<ssbt:fraga" + attributes + b">", 1))


INPUTS = {
    "har-tiny-exchanges": (har_tiny_exchanges, "capture.har"),
    "har-most-exchanges": (har_most_exchanges, "most.har"),
    "har-many-findings": (har_many_findings, "findings.har"),
    "har-empty-entries": (har_empty_entries, "empty.har"),
    "schema-errors": (schema_errors, "errors.xml"),
}


def measure(source: Path, report_format: str, out: Path) -> tuple[float, int, float, str]:
    """(peak MB, exit code, seconds, the end of stderr) of one run of the command."""
    command = [sys.executable, "-m", "ssbtek_validator"]
    if report_format == CERTIFY:
        command += ["certify", "--pack", "10", "--as-of", "2026-11-01", "--output", str(out), str(source)]
    else:
        command += ["check", "--as-of", "2026-11-01", "--format", report_format, "--output", str(out), str(source)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    peak_kib, code = done.stdout.split()
    return int(peak_kib) / 1024 * 1.048576, int(code), seconds, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formats", nargs="+", default=[*FORMATS, CERTIFY], choices=[*FORMATS, CERTIFY])
    parser.add_argument("--inputs", nargs="+", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--keep", type=Path, help="Build the inputs in this folder and keep them.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = arguments.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        over = False
        print(f"{'input':<20} {'format':<7} {'peak MB':>8} {'target':>7} {'exit':>4} {'seconds':>7}")
        for name in arguments.inputs:
            build, filename = INPUTS[name]
            source = folder / filename
            if not source.exists():
                build(source)
            for report_format in arguments.formats:
                peak, code, seconds, stderr = measure(source, report_format, folder / f"report.{report_format}")
                bad = peak > TARGET_MB or "Traceback" in stderr
                over = over or bad
                mark = "OVER" if bad else "ok"
                print(f"{name:<20} {report_format:<7} {peak:8.0f} {TARGET_MB:7d} {code:4d} {seconds:7.1f}  {mark}")
                if "Traceback" in stderr:
                    print("    " + stderr.strip().splitlines()[-1])
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
