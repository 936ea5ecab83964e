"""The cold path stays lean: validating one message imports only what that message needs.

A pre-commit hook or an editor starts a new process per message, so every module imported at start-up
is paid per message. Each test runs the command's entry point in a fresh interpreter and looks at
``sys.modules`` afterwards: it fails when an import moves back to the top of a module on the cold path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

#: what a one-message run must not import: test-only libraries, the --jobs machinery, formats not asked for
NEVER = (
    "hypothesis",
    "xmlschema",
    "jsonschema",
    "yaml",
    "fastjsonschema",
    "multiprocessing",
    "concurrent.futures.process",
    "hashlib",  # only certification digests inputs and packs
    "tempfile",  # only --output FILE writes through a temporary file
    "ssbtek_validator.reading.har",  # only a HAR capture (run/pairing.py imports it on the first one)
    "ssbtek_validator.reading.rawhttp",  # only a raw HTTP capture, likewise
    "ssbtek_validator.rules.exchange",  # only an answer (rules/echo.py), a capture or --pairs (run/pairing.py)
    "difflib",  # only a mistyped command (cli/main.py)
    "shutil",  # with bz2 and lzma: only a progress bar on a stream that is no terminal (run/progress.py)
    "shlex",  # only fuzz's report of a finding (cli/fuzz.py)
    "ssbtek_validator.rules.catalog",  # only a rule configuration is checked against the registry (run/config.py)
    "ssbtek_validator.run.config",  # only a run that has a configuration (run/config_file.py finds it)
    "ssbtek_validator.cli.fuzz",  # every command but check: built when named (cli/main.py)
    "ssbtek_validator.cli.traffic",
    "ssbtek_validator.cli.pair",
    "ssbtek_validator.cli.certify",
    "ssbtek_validator.cli.listings",
    "ssbtek_validator.report.versions",
)
OTHER_REPORTERS = ("html", "junit", "sarif", "github", "json_report")

PROBE = """
import dataclasses, json, sys
BEFORE = set(sys.modules)  # what the interpreter's own start-up loaded (site, .pth files): not ours to judge
BUILT = []  # every dataclass the run builds: each costs ~0.3-0.7 ms of the cold start on Python 3.11
_process = dataclasses._process_class
def _counting(cls, *args, **kwargs):
    BUILT.append(f"{cls.__module__}.{cls.__qualname__}")
    return _process(cls, *args, **kwargs)
dataclasses._process_class = _counting
OPENED = []
sys.addaudithook(lambda event, args: OPENED.append(str(args[0])) if event == "open" and args else None)
sys.argv = ["ssbtek-validate", *sys.argv[1:]]
import ssbtek_validator.cli.main
try:
    ssbtek_validator.cli.main.main()
except SystemExit:
    pass
sys.stderr.write("\\nMODULES " + json.dumps(sorted(set(sys.modules) - BEFORE)) + "\\n")
sys.stderr.write("\\nOPENED " + json.dumps(OPENED) + "\\n")
sys.stderr.write("\\nDATACLASSES " + json.dumps(BUILT) + "\\n")
"""


def probe(*argv: str) -> dict[str, list[str]]:
    """What a fresh ``ssbtek-validate *argv`` imported (``MODULES``), which files it opened (``OPENED``) and
    which dataclasses it built (``DATACLASSES``)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    seen = {}
    for key in ("MODULES", "OPENED", "DATACLASSES"):
        line = next(line for line in done.stderr.splitlines() if line.startswith(key + " "))
        seen[key] = json.loads(line[len(key) + 1 :])
    seen["OPENED"] = [_read_from(name) for name in seen["OPENED"]]
    return seen


def _read_from(name: str) -> str:
    """A bundled TOML file's parsed copy (``__pycache__/pack.toml.cpython-311.marshal``, packs/schema_packs.py
    read_toml) stands for the file it was made from: reading it is reading that file."""
    path = Path(name)
    if path.parent.name == "__pycache__" and path.suffix == ".marshal":
        return str(path.parent.parent / path.name.rsplit(".", 2)[0])
    return name


def imported_by(*argv: str) -> set[str]:
    return set(probe(*argv)["MODULES"])


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(module.startswith(name + ".") for module in modules)


@pytest.fixture(scope="module")
def one_run() -> dict[str, list[str]]:
    return probe("--as-of", "2026-11-01", "corpus/v10/request-minimal.xml")


@pytest.fixture(scope="module")
def one_message(one_run: dict[str, list[str]]) -> set[str]:
    return set(one_run["MODULES"])


@pytest.fixture(scope="module")
def opened(one_run: dict[str, list[str]]) -> set[str]:
    """The names of the files the one-message run opened (data files, modules' sources and caches)."""
    return {Path(name).name for name in one_run["OPENED"]}


@pytest.mark.parametrize("name", NEVER)
def test_one_message_does_not_import(one_message: set[str], name: str) -> None:
    assert not loaded(one_message, name)


@pytest.mark.parametrize("name", OTHER_REPORTERS)
def test_a_text_report_imports_no_other_reporter(one_message: set[str], name: str) -> None:
    assert "ssbtek_validator.report.text" in one_message  # the probe saw the run write its report
    assert f"ssbtek_validator.report.{name}" not in one_message


def test_a_message_without_lefi_documents_does_not_load_the_json_schema_engine(one_message: set[str]) -> None:
    assert not loaded(one_message, "jsonschema_rs")


def test_the_probe_sees_what_a_run_needs() -> None:
    """The probe itself can fail: asking for HTML loads the HTML reporter, --jobs 2 loads the pool."""
    modules = imported_by("--as-of", "2026-11-01", "--jobs", "2", "--format", "html", "corpus/v10")
    assert "ssbtek_validator.report.html" in modules
    assert loaded(modules, "concurrent.futures.process")


def test_nested_documents_are_decoded_only_for_rules_that_read_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding base64/XML/JSON payloads is a large slice of a message's cost: Context.payloads decodes
    them on first request, once per message, so a run whose rules never ask (here SSBT-XSD alone) pays
    nothing for them, and a run with every rule decodes each message's documents once."""
    import ssbtek_validator.rules.base as base
    from ssbtek_validator.rules import MESSAGE_RULES
    from ssbtek_validator.run.driver import Options, validate_paths

    calls: list[str] = []
    real = base.extract

    def counting(*args, **kwargs):
        calls.append(args[5])  # the message's name
        return real(*args, **kwargs)

    monkeypatch.setattr(base, "extract", counting)
    folder = ROOT / "corpus" / "v10"
    validate_paths([folder], Options(rules=tuple(r for r in MESSAGE_RULES if r.id == "SSBT-XSD")))
    assert calls == []
    validate_paths([folder], Options())
    assert calls, "every rule on: the answers' nested documents are decoded"
    assert len(calls) == len(set(calls)), "once per message, however many rules read them"


def test_a_message_without_findings_does_not_read_the_engine_findings(opened: set[str]) -> None:
    """engine_findings.toml documents the ids the engine raises; which of them mean "incomplete" or are
    protected from configuration is read from it on first need (results/model.py, run/config.py), not at
    import: a conforming message never needs it."""
    assert "pack.toml" in opened  # the probe sees data files being read
    assert "engine_findings.toml" not in opened


def test_a_finding_reads_the_engine_findings_when_it_needs_them() -> None:
    """The other side: a message with an error asks whether its findings mean "incomplete"."""
    assert "engine_findings.toml" in {
        Path(name).name for name in probe("--as-of", "2026-11-01", "corpus/v10/invalid-csn-model.xml")["OPENED"]
    }


def test_what_a_request_leaves_out_an_answer_or_a_capture_imports(tmp_path: Path) -> None:
    """The other side of the lazy imports above: the exchange rules come with the first answer (its echo is
    judged by them), the HAR reader with the first capture."""
    answer = imported_by("--as-of", "2026-11-01", "corpus/v10/answer-echo-fraga.xml")
    assert "ssbtek_validator.rules.exchange" in answer
    assert "ssbtek_validator.reading.har" not in answer
    capture = tmp_path / "session.har"
    capture.write_text('{"log": {"entries": []}}', encoding="utf-8")
    assert "ssbtek_validator.reading.har" in imported_by("--as-of", "2026-11-01", str(capture))
    assert "ssbtek_validator.reading.rawhttp" in imported_by("--as-of", "2026-11-01", "corpus/http/clean.http")


#: the dataclasses a one-message check builds: the result model and the run's own records (see
#: docs/architecture.md, "Cold start"); small immutable records inside a stage are typing.NamedTuples
DATACLASS_BUDGET = 13


def test_a_one_message_run_builds_few_dataclasses(one_run: dict[str, list[str]]) -> None:
    """Python 3.11 compiles each method a dataclass generates separately: a frozen one costs ~0.45 ms to
    build, a NamedTuple ~0.1 ms, and the cold path once built 44 of them (~20 ms of a 150 ms start).
    A new dataclass on the cold path fails this: make it a NamedTuple, or import its module where it is
    used, or raise the budget saying why."""
    built = one_run["DATACLASSES"]
    assert "ssbtek_validator.results.model.Finding" in built  # the probe sees dataclasses being built
    assert len(built) <= DATACLASS_BUDGET, built


@pytest.fixture(scope="module")
def full_request() -> dict[str, list[str]]:
    """A v10 request with every agency's question, FK's LEFI JSON among them."""
    return probe("--as-of", "2026-11-01", "corpus/v10/request-full.xml")


def test_a_request_reads_only_the_code_lists_its_bindings_use(full_request: dict[str, list[str]]) -> None:
    """packs/codelists.py parses each list on first use and rules/codes.py indexes a binding's codes when a
    message first asks: a v10 request's bindings use 3 of the 31 lists, so an answer's lists stay unread."""
    opened = full_request["OPENED"]
    csv_files = {Path(name).name for name in opened if name.endswith(".csv")}
    assert csv_files, "the probe sees the code lists being read"
    assert "miv-beslutstyp.csv" not in csv_files
    assert len(csv_files) <= 3, csv_files


def test_a_message_reads_only_its_own_pack(one_run: dict[str, list[str]]) -> None:
    """packs/schema_packs.py's BuiltinPacks reads a pack.toml when its version is first asked for: a v10
    message (and its text report) needs v10's pack alone."""
    read = {Path(name).parent.name for name in one_run["OPENED"] if Path(name).name == "pack.toml"}
    assert read == {"ssbt-v10"}


def test_the_json_schema_engine_comes_without_email_utils(full_request: dict[str, list[str]]) -> None:
    """jsonschema-rs's native module imports email.utils (and with it socket, random, calendar) only to date
    its own build; packs/nested_models.py imports it with a stand-in for that one function (~5 ms)."""
    modules = set(full_request["MODULES"])
    assert "jsonschema_rs" in modules  # the probe saw the LEFI question checked
    assert "email.utils" not in modules
    assert "socket" not in modules
    assert "_strptime" not in modules  # nor the stand-in, to parse that build date


def test_the_stand_in_email_utils_does_not_outlive_the_import() -> None:
    """After the import, email.utils is the real module again, and the engine works."""
    code = (
        "import sys\n"
        "from ssbtek_validator.packs.nested_models import _jsonschema_rs\n"
        "engine = _jsonschema_rs()\n"
        "assert 'email.utils' not in sys.modules\n"
        "import email.utils\n"
        "assert email.utils.format_datetime and email.utils.__file__.endswith('utils.py')\n"
        "assert not engine.Draft202012Validator({'type': 'string'}).is_valid(1)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_the_threaded_server_has_the_real_email_utils_before_any_message() -> None:
    """serve validates in threads: it must never meet the stand-in, so its HTTP stack (aiohttp) has to
    have imported the real email.utils before the first message, and _jsonschema_rs takes a plain import."""
    code = "import sys, ssbtek_validator.traffic.http\nprint('email.utils' in sys.modules)\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr


def test_a_lefi_question_compiles_only_the_definitions_it_reaches() -> None:
    """packs/nested_models.py hands jsonschema-rs the question's definitions alone (4 of LEFI v9's 32), and
    falls back to the whole document for a reference it cannot follow by name; verdicts stay the same."""
    from ssbtek_validator.packs.nested_models import _reachable, builtin_models

    model = builtin_models().lefi["v9"]
    question = _reachable(model.fraga.schema)
    assert "fraga" in question["$defs"] and "svar" not in question["$defs"]
    assert len(question["$defs"]) < len(model.fraga.schema["$defs"]) // 4
    assert "svar" in _reachable(model.svar.schema)["$defs"]
    assert not model.fraga.is_valid({"version": "v9"})  # the pruned schema still judges
    anchored = {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#b"}, "b": {"$anchor": "b"}}}
    assert _reachable(anchored) is anchored
    dynamic = {"$ref": "#/$defs/a", "$defs": {"a": {"$dynamicRef": "#node"}, "b": {"$dynamicAnchor": "node"}}}
    assert _reachable(dynamic) is dynamic


GC_PROBE = """
import click, gc, json, sys
state = {"started": False, "entered": False, "while_importing": 0}
def count(phase, info):
    if phase == "start" and state["started"] and not state["entered"]:
        state["while_importing"] += 1
gc.callbacks.append(count)
real_main = click.Group.main
def entered(self, *args, **kwargs):
    state["entered"], state["enabled"], state["frozen"] = True, gc.isenabled(), gc.get_freeze_count()
    return real_main(self, *args, **kwargs)
click.Group.main = entered
sys.argv = ["ssbtek-validate", "--as-of", "2026-11-01", "corpus/v10/request-minimal.xml"]
from ssbtek_validator.__main__ import run
state["started"] = True
try:
    run()
except SystemExit:
    pass
sys.stderr.write("\\nGC " + json.dumps(state) + "\\n")
"""


def test_the_command_imports_with_the_collector_paused_and_runs_with_it_on() -> None:
    """ssbtek_validator/__main__.py (the console scripts and python -m) pauses the cyclic garbage collector while
    the command's modules are imported and freezes them: no collection walks them while they are made, nor
    later, nor at exit. The collector must be on again when the command runs (a batch needs it)."""
    done = subprocess.run([sys.executable, "-c", GC_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    line = next(line for line in done.stderr.splitlines() if line.startswith("GC "))
    state = json.loads(line[3:])
    assert state["entered"], "the probe saw the command start"
    assert state["while_importing"] == 0
    assert state["enabled"]
    assert state["frozen"] > 10_000  # the modules' objects, skipped by every later collection


def test_one_message_decodes_its_base64_without_loading_pybase64(full_request: dict[str, list[str]]) -> None:
    """pybase64's import costs more than one message's base64 takes the standard library (reading/nested.py)."""
    modules = set(full_request["MODULES"])
    assert "jsonschema_rs" in modules  # the probe saw the LEFI question decoded and checked
    assert not loaded(modules, "pybase64")


def test_one_message_decodes_its_json_without_loading_orjson(full_request: dict[str, list[str]]) -> None:
    """orjson's import costs more than one message's JSON takes the standard library (reading/nested.py)."""
    modules = set(full_request["MODULES"])
    assert "jsonschema_rs" in modules  # the probe saw the LEFI question decoded and checked
    assert not loaded(modules, "orjson")
