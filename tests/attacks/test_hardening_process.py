"""The attack suite, process side: signals, a dying parent, a closed stdout, paths that cannot be stat'ed,
malformed evidence and replay files, hostile suppression patterns, replay files as code, what a folder
walk skips. Each case was seen to break the tool before it was fixed."""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.cli.main import Terminated, main
from ssbtek_validator.reading.inputs import iter_sources
from ssbtek_validator.report import REPORTERS
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.run.config import Suppression, matches
from ssbtek_validator.run.driver import Options, validate_paths
from ssbtek_validator.run.executor import validate_batch

from ..conftest import CORPUS, ROOT

AS_OF = Options(as_of=date(2026, 11, 1))
PING = CORPUS / "v10" / "ping-request.xml"


def _many(tmp_path: Path, count: int = 3000) -> Path:
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(count):
        shutil.copyfile(CORPUS / "v10/answer-all-agencies-data.xml", folder / f"{index:05d}.xml")
    return folder


# --- SIGTERM with --jobs 1 -------------------------------------------------------------------------------


class _Stopped:
    """A rule during which the stop signal arrives."""

    id = "SSBT-TEST-STOPPED"

    def applies(self, _context) -> bool:
        return True

    def check(self, _context):
        raise Terminated


def test_terminated_is_not_taken_for_a_failed_rule():
    """The engine's last resort (a rule or an input that raises) must not swallow the stop signal."""
    with pytest.raises(Terminated):
        validate_paths([PING], Options(as_of=date(2026, 11, 1), rules=(_Stopped(),)))


def _wait_for_sigterm_handler(pid: int) -> None:
    """Until the command catches SIGTERM (Linux: SigCgt in /proc), so the test sends it to the run and not
    to an interpreter still importing (which the default action would kill with -15); a fixed sleep elsewhere."""
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        time.sleep(1.0)
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        caught = next((line for line in status.read_text().splitlines() if line.startswith("SigCgt:")), "")
        if caught and int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.01)


def test_sigterm_stops_a_one_process_run_with_143(tmp_path):
    folder = _many(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "ssbtek_validator", "--jobs", "1", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_sigterm_handler(process.pid)  # on a loaded machine the interpreter may still be starting
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err.decode()
    assert b"terminated (SIGTERM)" in err and b"Traceback" not in err
    assert out == b""  # no report of a run that did not finish


def test_a_stop_signal_during_a_schema_compilation_stops_the_run_rather_than_failing_the_schema(monkeypatch):
    """lxml swallows an exception raised while it is inside our resolver: SIGTERM arriving while the first
    message's schema compiled became "SSBT-XSD could not run (PackError)", and the run went on (exit 3).

    The signal is SIGALRM from a timer (held like Ctrl-C and SIGTERM for the test), fired at delays spread
    over a compilation: each time the compilation either finishes or stops with the handler's exception,
    never with a schema error. Without the hold a few of these 200 end in PackError."""
    from ssbtek_validator.packs import schema_packs

    if not hasattr(signal, "setitimer"):
        pytest.skip("needs a POSIX interval timer")

    class Stop(BaseException):
        pass

    def stop(*_caught):
        raise Stop

    monkeypatch.setattr(schema_packs, "_STOP_SIGNALS", (signal.SIGALRM,), raising=False)
    pack = schema_packs.builtin_packs()[10]
    previous = signal.signal(signal.SIGALRM, stop)
    outcomes: set[str] = set()
    try:
        for step in range(200):
            schema_packs._compiled.cache_clear()
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.00005 + step * 0.00005)  # 0.05 to 10 ms
                schema_packs.compile_schema(pack.entry, pack.root)
                signal.setitimer(signal.ITIMER_REAL, 0)
                outcomes.add("compiled")
            except Stop:
                outcomes.add("stopped")
            except schema_packs.PackError as exc:
                pytest.fail(f"the stop signal became a schema error: {exc}")
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
        schema_packs._compiled.cache_clear()
    assert "stopped" in outcomes  # the signal did arrive during compilations, and was delivered after


# --- the main process killed under --jobs N ----------------------------------------------------------------


def _state(pid: int) -> str | None:
    """The process's state letter, None when it is gone (a zombie waiting for init counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None
    return None if state in ("Z", "X") else state


def test_workers_die_with_a_killed_parent_and_the_pipe_gets_eof(tmp_path):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to see the worker processes")
    folder = _many(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "ssbtek_validator", "--jobs", "2", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(children.read_text().split()) < 2:
        time.sleep(0.05)
    workers = [int(pid) for pid in children.read_text().split()]
    assert workers, "the workers did not start"
    time.sleep(0.5)  # the workers are validating
    process.kill()  # SIGKILL, as the out-of-memory killer does: the parent cannot stop anything
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(process.stdout.read()), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "a reader of the pipe did not get EOF within 5 s"
    process.wait(timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_state(pid) for pid in workers):
        time.sleep(0.05)
    assert not [pid for pid in workers if _state(pid)], "workers outlived their parent"


# --- a closed stdout -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "code"), [(PING, 0), (CORPUS / "v10" / "invalid-agencies-wrong-order.xml", 1)])
def test_a_closed_stdout_is_one_line_and_the_verdict(message, code):
    done = subprocess.run(
        [sys.executable, "-m", "ssbtek_validator", str(message)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),  # `>&-`
    )
    assert done.returncode == code
    assert done.stderr.strip().splitlines() == [
        "ssbtek-validate: standard output is closed; the report was not written."
    ]


# --- paths that cannot be stat'ed ----------------------------------------------------------------------------


def test_a_name_too_long_is_one_read_finding_and_the_batch_goes_on(tmp_path):
    too_long = str(tmp_path / ("a" * 5000))
    result = validate_batch([too_long, PING], AS_OF).result
    assert [m.file for m in result.messages] == [too_long, str(PING)]
    assert [f.rule for f in result.messages[0].findings] == ["SSBT-READ"]
    assert "too long" in result.messages[0].findings[0].message
    assert result.messages[1].verdict == "conforms" and result.exit_code == 3


@pytest.mark.parametrize("failure", [errno.EACCES, errno.ELOOP, errno.ENOTDIR])
def test_a_path_that_cannot_be_stated_is_one_read_finding(tmp_path, monkeypatch, failure):
    """Tests run as root, who may search any folder: the refusal is simulated where the path is stat'ed."""
    blocked = tmp_path / "locked" / "msg.xml"
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if str(self) == str(blocked):
            raise OSError(failure, os.strerror(failure), str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    runner = CliRunner()
    done = runner.invoke(main, ["--format", "json", "--as-of", "2026-11-01", str(blocked), str(PING)])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    report = json.loads(done.stdout)
    assert [m["file"] for m in report["messages"]] == [str(blocked), str(PING)]
    assert [f["rule"] for f in report["messages"][0]["findings"]] == ["SSBT-READ"]
    assert report["messages"][1]["verdict"] == "conforms" and done.exit_code == 3


def test_a_path_through_a_file_is_one_read_finding(tmp_path):
    through = PING / "inside.xml"  # ENOTDIR, for real
    sources = list(iter_sources([through, PING]))
    assert [s.problem_kind for s in sources] == ["read", None]


# --- malformed evidence and replay files ---------------------------------------------------------------------


def _malformed(tmp_path: Path) -> dict[str, Path]:
    files = {
        "nested": "[" * 100_000,
        "invalid": '{"evidence_version": ',
        "binary": None,
        "wrong shape": '{"evidence_version": 1, "settings": [], "target": 5}',
        "a list": "[1, 2]",
    }
    made = {}
    for name, text in files.items():
        path = tmp_path / (name.replace(" ", "-") + ".json")
        if text is None:
            path.write_bytes(bytes(range(256)) * 4)
        else:
            path.write_text(text)
        made[name] = path
    folder = tmp_path / "a-folder"
    folder.mkdir()
    made["a folder"] = folder
    return made


def _one_line_exit_2(done) -> None:
    assert done.exit_code == 2, done.output
    assert not isinstance(done.exception, Exception) or isinstance(done.exception, SystemExit), done.exception
    lines = done.stderr.strip().splitlines()
    assert lines and "Traceback" not in done.stderr


def test_malformed_evidence_is_exit_2_with_one_line(tmp_path):
    runner = CliRunner()
    for name, path in _malformed(tmp_path).items():
        if name == "a folder":
            continue  # click refuses a folder for --verify itself (exit 2)
        done = runner.invoke(main, ["certify", "--verify", str(path)])
        _one_line_exit_2(done)
        assert len(done.stderr.strip().splitlines()) == 1, (name, done.stderr)


def test_malformed_replay_is_exit_2_with_one_line(tmp_path):
    runner = CliRunner()
    for name, path in _malformed(tmp_path).items():
        done = runner.invoke(main, ["fuzz", "--replay", str(path), "--target", "true"])
        _one_line_exit_2(done)
        assert len(done.stderr.strip().splitlines()) == 1, (name, done.stderr)


# --- a replay file is code -----------------------------------------------------------------------------------


def _replay_file(tmp_path: Path, command: str, **changes) -> Path:
    folder = tmp_path / "finding"
    folder.mkdir()
    (folder / "minimal.xml").write_bytes(PING.read_bytes())
    meta = {"target": command, "document": "minimal.xml", "timeout": 10, "outcome": {"signature": "rejected"}}
    (folder / "replay.json").write_text(json.dumps({**meta, **changes}))
    return folder / "replay.json"


def test_the_command_a_replay_file_stores_runs_only_when_trusted(tmp_path):
    marker = tmp_path / "ran"
    command = f"{sys.executable} -c \"import pathlib; pathlib.Path('{marker}').touch()\""
    replay = _replay_file(tmp_path, command)
    runner = CliRunner()
    refused = runner.invoke(main, ["fuzz", "--replay", str(replay)])
    assert refused.exit_code == 2 and not marker.exists()
    assert repr(command) in refused.output and "--trust-replay-target" in refused.output
    given_again = runner.invoke(main, ["fuzz", "--replay", str(replay), "--target", f"{sys.executable} -c pass"])
    assert given_again.exit_code == 0 and not marker.exists()  # the stored command is not used at all
    trusted = runner.invoke(main, ["fuzz", "--replay", str(replay), "--trust-replay-target"])
    assert trusted.exit_code == 0 and marker.exists()


def test_a_replay_document_is_a_file_beside_it_never_a_path(tmp_path):
    replay = _replay_file(tmp_path, "true", document="../../etc/passwd")
    done = CliRunner().invoke(main, ["fuzz", "--replay", str(replay), "--target", "true"])
    assert done.exit_code == 2 and "not a replay file" in done.output


# --- suppression patterns ------------------------------------------------------------------------------------


def _by_regex(glob: str, text: str) -> bool:
    """The documented meaning, spelled as a regular expression (fine for short texts)."""
    import re

    return (
        re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob), text) is not None
    )


@given(st.text("ab?*/[]", max_size=8), st.text("ab/[]", max_size=10))
def test_glob_matching_means_what_it_says(glob, text):
    assert matches(glob, text) == _by_regex(glob, text)
    if "[" not in glob:  # fnmatch gives brackets a meaning ours does not (XPaths use them literally)
        assert matches(glob, text) == fnmatch.fnmatchcase(text, glob)


@pytest.mark.parametrize("glob", ["*a*a*a*a*a*a*a*b", "*a?a*a?a*a*a?*b", "*?*?*?*?*?*?*?*b", "a*" * 30 + "b"])
def test_a_pathological_pattern_on_a_long_path_returns_at_once(glob):
    path = "a" * 100_000
    suppression = Suppression("SSBT-*", "vendor ticket", date(2099, 1, 1), file=glob, path=glob)
    finding = Finding("SSBT-XSD", Severity.ERROR, "x", file=path, path=path)
    started = time.perf_counter()
    assert not suppression.covers(finding)
    assert matches(glob.replace("b", "a"), path)
    assert time.perf_counter() - started < 1.0


# --- what a folder walk skips --------------------------------------------------------------------------------


@pytest.fixture
def captures(tmp_path: Path) -> Path:
    """A captures folder whose only invalid captures sit where the walk does not go."""
    folder = tmp_path / "captures"
    folder.mkdir()
    shutil.copyfile(PING, folder / "ping.xml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "broken.xml").write_text("<not-closed>")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    (folder / ".broken.xml").write_text("<not-closed>")
    (folder / ".git").mkdir()
    return folder


@pytest.mark.parametrize("jobs", [1, 2])
def test_what_a_walk_skips_is_counted_and_named(captures, jobs):
    result = validate_batch([captures], AS_OF, jobs=jobs).result
    assert [m.file for m in result.messages] == [str(captures / "ping.xml")]
    (note,) = result.run_findings
    assert note.rule == "SSBT-SKIPPED" and note.severity is Severity.INFO
    assert note.message.startswith("3 entries in ")
    for name in (".broken.xml", ".git/", "linked/"):
        assert str(captures / name) in note.message
    assert result.exit_code == 0  # still the convention: skipped, not judged


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_report_names_what_was_skipped(captures, fmt):
    done = CliRunner().invoke(main, ["--format", fmt, "--as-of", "2026-11-01", str(captures)])
    assert done.exit_code == 0, done.output
    assert "linked" in done.output and ".broken.xml" in done.output, fmt
