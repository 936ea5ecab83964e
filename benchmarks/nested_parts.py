"""Where the nested-document stages' microseconds go: C work (libxml2, json, jsonschema-rs, base64) and the rest.

    python benchmarks/nested_parts.py [--count 3000] [--repeat 5] [conforming|mixed]

bench_throughput.py's stage table gives "nested decode + CSN/SKV models" and "LEFI" as one figure each. This
runs the same batch in this process with only those stages' rules (SSBT-PAYLOAD, SSBT-CSN-MODEL,
SSBT-SKV-PAYLOAD, SSBT-LEFI-MODEL) and times, around each call, the library work they cannot do without: the
payload finders' XPath, base64, the XML parse of CSN and SKV documents, the CSN XSD, the JSON decoding of FK
and SKV documents (by orjson, or with the standard library's checking hooks) and the LEFI JSON Schema. What
is left is the rules' own Python and the findings they make (with the driver's masking of a message that has
findings). CPU time, medians of
``repeat`` runs for the stage (without the timers) and for each part (this thread's CPU time around each
call, less what reading that clock costs, measured here: it is a system call, ~1 µs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_throughput import conforming_originals, fill, mixed_originals  # noqa: E402

from ssbtek_validator.packs import nested_models  # noqa: E402
from ssbtek_validator.packs.schema_packs import builtin_packs  # noqa: E402
from ssbtek_validator.reading import nested  # noqa: E402
from ssbtek_validator.rules import MESSAGE_RULES  # noqa: E402
from ssbtek_validator.run.driver import Options, validate_paths  # noqa: E402

RULES = ("SSBT-PAYLOAD", "SSBT-CSN-MODEL", "SSBT-SKV-PAYLOAD", "SSBT-LEFI-MODEL")
spent: Counter[str] = Counter()
calls: Counter[str] = Counter()


def timed(label: str, call):
    def wrapper(*args, **kwargs):
        start = time.thread_time_ns()
        try:
            return call(*args, **kwargs)
        finally:
            spent[label] += time.thread_time_ns() - start
            calls[label] += 1

    return wrapper


class _Proxy:
    """An object whose named methods are timed, the rest passed through (lxml and json types cannot be patched)."""

    def __init__(self, target, **labels: str) -> None:
        self._target = target
        for name, label in labels.items():
            setattr(self, name, timed(label, getattr(target, name)))

    def __getattr__(self, name: str):
        return getattr(self._target, name)


def instrument() -> None:
    """Wraps the library calls; the nested modules look them up by module attribute at each call."""
    nested._compiled_xpath.cache_clear()
    nested._finders.cache_clear()  # holds the finders it looked up; they are timed from here on
    compile_xpath = nested._compiled_xpath.__wrapped__
    finders: dict = {}

    def finder(xpath: str, namespace: str):
        key = (xpath, namespace)
        if key not in finders:
            finders[key] = timed("XPath: payload finders", compile_xpath(xpath, namespace))
        return finders[key]

    nested._compiled_xpath = finder
    nested._base64 = timed("base64 decode", nested._base64)
    nested.etree = _Proxy(nested.etree, fromstring="XML parse (CSN, SKV documents)")
    nested._JSON = _Proxy(nested._JSON, decode="JSON decode, checking hooks included")
    nested._JSON_LONG_NUMBERS = _Proxy(nested._JSON_LONG_NUMBERS, decode="JSON decode, checking hooks included")
    if nested._orjson:  # loaded by the batch's first pass: most JSON is read (and written back) by orjson
        nested._orjson = _Proxy(
            nested._orjson, loads="JSON by orjson (read, written back)", dumps="JSON by orjson (read, written back)"
        )
    csn_schema = nested_models._csn_schema
    schemas: dict = {}

    def schema(entry):
        if entry not in schemas:
            schemas[entry] = _Proxy(csn_schema(entry), validate="CSN XSD")
        return schemas[entry]

    nested_models._csn_schema = schema
    for model in nested_models.builtin_models().lefi.values():
        for json_model in (model.fraga, model.svar):
            validator = json_model.validator
            json_model.validator = _Proxy(
                validator, is_valid="LEFI JSON Schema (jsonschema-rs)", iter_errors="LEFI JSON Schema (jsonschema-rs)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", nargs="?", default="conforming", choices=("conforming", "mixed"))
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ssbtek-nested-"))
    fill(folder, conforming_originals() if args.batch == "conforming" else mixed_originals(), args.count)
    packs = builtin_packs()
    rules = tuple(rule for rule in MESSAGE_RULES if rule.id in RULES)

    def run(chosen) -> tuple[float, Counter[str]]:
        spent.clear()
        calls.clear()
        start = time.process_time_ns()
        validate_paths([folder], Options(rules=chosen, as_of=date(2026, 11, 1), coverage=False), packs)
        net = Counter({label: spent[label] - calls[label] * clock for label in spent})
        return (time.process_time_ns() - start) / args.count / 1000, net

    empty = timed("calibration", lambda: None)
    for _ in range(20_000):
        empty()
    clock = spent["calibration"] / calls["calibration"]  # what a timed call that does nothing measures
    run(rules)  # compiles what the batch needs
    without, with_rules, parts = [], [], []
    for _ in range(args.repeat):  # the stage's cost without the timers, interleaved
        without.append(run(())[0])
        with_rules.append(run(rules)[0])
    stage = statistics.median(with_rules) - statistics.median(without)
    instrument()
    for _ in range(args.repeat):
        parts.append(run(rules)[1])
    print(f"{args.batch}, {args.count} files: the four rules add {stage:.1f} µs a message (CPU, medians)")
    print(f"  (a CPU clock read costs {clock / 1000:.2f} µs here; taken off each timed call)")
    labels = sorted({label for counted in parts for label in counted})
    library = 0.0
    for label in labels:
        value = statistics.median(counted[label] for counted in parts) / args.count / 1000
        library += value
        print(f"  {value:6.1f}  {label}")
    print(f"  {library:6.1f}  library work, together")
    print(f"  {stage - library:6.1f}  the rest: the rules' Python, their findings, the driver's part")


if __name__ == "__main__":
    main()
