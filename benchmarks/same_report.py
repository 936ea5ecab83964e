"""Speed work changes no verdict: the JSON report of the whole corpus, from this tree and from a git ref.

    python benchmarks/same_report.py [REF]      # REF defaults to HEAD; exit 0 when identical, 1 otherwise

Exports REF with ``git archive`` into a temporary folder, runs
``python -m ssbtek_validator --format json --as-of 2026-11-01 corpus/`` in it and in this tree, and compares
the two reports byte for byte (nothing ignored; --as-of fixes the one input that would change by the day).
Run it before a commit that only makes the tool faster, with the commit it started from as REF.
"""

from __future__ import annotations

import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def report(tree: Path) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "ssbtek_validator", "--format", "json", "--as-of", "2026-11-01", "corpus/"],
        cwd=tree,  # the tree's own package: the current folder comes first on sys.path with -m
        capture_output=True,
        check=False,
    )
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{tree}: exit {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
    return done.stdout


def main() -> int:
    ref = sys.argv[1] if len(sys.argv) > 1 else "HEAD"
    with tempfile.TemporaryDirectory(prefix="ssbtek-same-") as name:
        tree = Path(name)
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        before, after = report(tree), report(ROOT)
    if before == after:
        print(f"identical: the corpus's JSON report of {ref} and of this tree ({len(after):,} bytes)")
        return 0
    diff = difflib.unified_diff(
        before.decode().splitlines(), after.decode().splitlines(), ref, "this tree", lineterm="", n=1
    )
    print("\n".join(list(diff)[:80]))
    return 1


if __name__ == "__main__":
    sys.exit(main())
