"""--jobs N gives the same result as one process, in input order; the progress line stays off CI logs."""

from __future__ import annotations

import gc
import hashlib
import io
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.cli.main import main
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.report import joined_pieces, json_report
from ssbtek_validator.report.text import MessageBlocks, message_block
from ssbtek_validator.results.model import INCOMPLETE_RULES, Detection, Finding, MessageResult, Severity, Verdict
from ssbtek_validator.run import executor as batch_module
from ssbtek_validator.run.driver import Options, validate_paths
from ssbtek_validator.run.executor import LARGEST_CHUNK, TAIL_CHUNK, _chunks, chunk_size, expand, validate_batch
from ssbtek_validator.run.progress import Progress

from ..conftest import CORPUS

AS_OF = Options(as_of=date(2026, 11, 1))


def as_dicts(result):
    return (
        [m.to_dict() for m in result.messages],
        [e.to_dict() for e in result.exchanges],
        [f.to_dict() for f in result.run_findings],
    )


def test_jobs_give_the_same_messages_in_the_same_order_as_one_process(tmp_path):
    missing = tmp_path / "missing.xml"
    arguments = [CORPUS / "v11", CORPUS / "misc", missing, CORPUS / "v10"]
    plain = validate_paths(arguments, AS_OF)
    one = validate_batch(arguments, AS_OF, jobs=1).result
    two = validate_batch(arguments, AS_OF, jobs=2).result
    assert as_dicts(one) == as_dicts(plain)
    assert as_dicts(two) == as_dicts(plain)
    assert two.exit_code == plain.exit_code == 3


def test_pairs_across_chunks_and_har_captures_come_out_as_in_one_call():
    options = replace(AS_OF, pairs=True)
    arguments = [CORPUS / "v10", CORPUS / "pairs", CORPUS / "har", CORPUS / "http", CORPUS / "v11"]
    plain = validate_paths(arguments, options)
    assert len(plain.exchanges) > 10 and plain.run_findings  # korrelationsid pairs, HAR exchanges, HAR info
    two = validate_batch(arguments, options, jobs=2).result
    assert as_dicts(two) == as_dicts(plain)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_digests_are_of_the_bytes_validated_one_per_input(tmp_path):
    arguments = [CORPUS / "har", CORPUS / "v10", tmp_path / "missing.xml"]
    batch = validate_batch(arguments, AS_OF, jobs=2, digests=True)
    files = [str(p) for p in sorted((CORPUS / "har").glob("*.har")) + sorted((CORPUS / "v10").glob("*.xml"))]
    assert [d.file for d in batch.digests] == [*files, str(tmp_path / "missing.xml")]
    assert len(batch.result.messages) > len(files)  # a HAR capture is one input and several messages
    for digest in batch.digests[:-1]:
        data = Path(digest.file).read_bytes()
        assert digest.sha256 == hashlib.sha256(data).hexdigest() and digest.size == len(data)
    assert batch.digests[-1].sha256 is None


def test_expand_keeps_unreadable_arguments_and_empty_folders(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    targets = expand([empty, tmp_path / "nope.xml", CORPUS / "v10" / "ping-request.xml"], Options())
    assert "no files matching" in targets[0].problem
    assert targets[1].problem == "no such file or directory"
    assert targets[2] == str(CORPUS / "v10" / "ping-request.xml")


def test_chunks_balance_workers_and_stay_bounded():
    assert chunk_size(15_000, 2) == LARGEST_CHUNK == 512
    assert chunk_size(59, 2) == 8
    for total in (1, 7, 100, 5000):
        assert 1 <= chunk_size(total, 2) <= LARGEST_CHUNK
    # the main process's work per chunk: a large batch is not cut into more pieces than its balance needs
    assert len(_chunks([f"{index}.xml" for index in range(15_000)], chunk_size(15_000, 2), 2)) <= 50  # 256: 71


def test_the_last_chunks_shrink_so_workers_finish_together():
    """With several workers, the batch waits for the last chunk: it must be small, not a full one."""
    targets = [f"{index}.xml" for index in range(15_000)]
    chunks = _chunks(targets, chunk_size(len(targets), 2), 2)
    assert [target for chunk in chunks for target in chunk] == targets  # every input, in input order
    assert len(chunks[0]) == LARGEST_CHUNK
    assert len(chunks[-1]) <= TAIL_CHUNK
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == sorted(sizes, reverse=True)
    assert len(chunks) < 15_000 // LARGEST_CHUNK + 20  # a few more chunks than equal ones, not one per input
    # one process gains nothing from a tail: its chunks stay equal
    assert {len(chunk) for chunk in _chunks(targets, 256, 1)[:-1]} == {256}


def test_progress_draws_on_a_terminal_and_erases_itself():
    stream = Tty()
    progress = Progress(stream=stream, delay=0)
    progress.start(10)
    progress.advance(10)
    progress.close()
    drawn = stream.getvalue()
    assert "10/10 inputs" in drawn and drawn.endswith("\r")


def test_progress_is_silent_when_stderr_is_not_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream=stream, delay=0)
    progress.start(10)
    progress.advance(10)
    progress.close()
    assert stream.getvalue() == ""


def test_cli_jobs_and_stdin(tmp_path):
    copy = tmp_path / "batch"
    shutil.copytree(CORPUS / "v10", copy)
    runner = CliRunner()
    serial = runner.invoke(main, ["--format", "json", "--as-of", "2026-11-01", str(copy)])
    parallel = runner.invoke(main, ["--jobs", "2", "--format", "json", "--as-of", "2026-11-01", str(copy)])
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.output == parallel.output
    for detail in ([], ["--verbose"]):  # the text report's blocks, made by the workers
        serial = runner.invoke(main, [*detail, "--as-of", "2026-11-01", str(copy)])
        parallel = runner.invoke(main, [*detail, "--jobs", "2", "--as-of", "2026-11-01", str(copy)])
        assert serial.exit_code == parallel.exit_code == 1
        assert serial.output == parallel.output and ": nonconformant (" in serial.output
    piped = runner.invoke(main, ["--jobs", "2", "-"], input=(CORPUS / "v10" / "request-full.xml").read_bytes())
    assert piped.exit_code == 0 and "<stdin>: conforms" in piped.output


_text = st.text(max_size=20)
_optional_int = st.none() | st.integers(0, 10**6)
findings = st.builds(
    Finding,
    rule=_text,
    severity=st.sampled_from(Severity),
    message=_text,
    file=_text,
    line=_optional_int,
    column=_optional_int,
    path=_text,
    value=st.none() | _text,
)
message_results = st.builds(
    MessageResult,
    file=_text,
    detection=st.builds(
        Detection,
        version=st.none() | st.integers(0, 20),
        pack_id=st.none() | _text,
        pack_status=st.none() | _text,
        operation=st.none() | _text,
        direction=st.none() | _text,
        reason=_text,
    ),
    findings=st.lists(findings, max_size=4),
    message_date=st.none() | _text,
    message_date_source=st.none() | _text,
    rules_run=st.lists(_text, max_size=3),
    observed=st.lists(_text, max_size=3),
    suppressed=st.integers(0, 5),
)


@given(message_results)
def test_a_result_comes_back_from_a_worker_unchanged(result):
    """--jobs pickles every result (with a hand-written, faster reduction): nothing may change on the way,
    and a severity must come back as the enum member reporters compare with ``is``."""
    back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == result
    assert all(a.severity is b.severity for a, b in zip(back.findings, result.findings, strict=True))


def test_the_json_report_prepared_during_the_run_is_the_report_written_after_it(tmp_path, monkeypatch):
    """The JSON lines of messages are encoded while chunks arrive (--jobs): the file must be byte for byte
    the report written from the finished run, with HAR captures, pairs and run findings in it."""
    monkeypatch.chdir(tmp_path)  # no pyproject.toml configuration here
    folders = ("v10", "misc", "har", "pairs", "v11")
    arguments = [*(str(CORPUS / folder) for folder in folders), str(tmp_path / "missing.xml")]
    written = {}
    for jobs in (1, 2):
        out = tmp_path / f"report-{jobs}.json"
        options = ["--format", "json", "--output", str(out), "--as-of", "2026-11-01", "--pairs", "--jobs", str(jobs)]
        done = CliRunner().invoke(main, [*options, *arguments])
        assert done.exit_code == 3, done.output
        written[jobs] = out.read_text(encoding="utf-8")
    after = io.StringIO()
    json_report.write(validate_paths(arguments, replace(AS_OF, pairs=True)), builtin_packs(), after)
    assert written[1] == written[2] == after.getvalue()
    assert '"paired_by": "har"' in after.getvalue() and '"paired_by": "korrelationsid"' in after.getvalue()


@given(st.lists(findings | findings.map(lambda f: replace(f, rule="SSBT-READ")), max_size=6))
def test_a_verdict_is_incomplete_before_nonconformant_before_conforms(found):
    """The exit code's classes, from a message's findings in any order (the one-pass verdict)."""
    result = MessageResult(file="m.xml", findings=found)
    if any(f.rule in INCOMPLETE_RULES for f in found):
        assert result.verdict is Verdict.INCOMPLETE
    elif any(f.severity is Severity.ERROR for f in found):
        assert result.verdict is Verdict.NONCONFORMANT
    else:
        assert result.verdict is Verdict.CONFORMS


def _forked_workers_only() -> int:
    """This process's id, for a patch that must act in workers only; skips where workers are not forked
    (a patch made here would not reach them)."""
    if batch_module._forked() is None and multiprocessing.get_start_method() != "fork":
        pytest.skip("worker processes are not forked here; the patch would not reach them")
    return os.getpid()


def _dying_worker(monkeypatch, dies_on: str, once_marker: Path | None = None):
    """Make a worker process exit abruptly (as if killed) when its chunk holds ``dies_on``; with
    ``once_marker``, only the first time. Needs forked workers, which inherit the patch."""
    parent = _forked_workers_only()
    real = batch_module.validate_chunk

    def validate_chunk(chunk, *rest):
        in_worker = os.getpid() != parent
        holds = any(dies_on in str(getattr(t, "name", t)) for t in chunk)
        if in_worker and holds and (once_marker is None or not once_marker.exists()):
            if once_marker is not None:
                once_marker.touch()
            os._exit(1)
        return real(chunk, *rest)

    monkeypatch.setattr(batch_module, "validate_chunk", validate_chunk)


def _corpus_with(tmp_path, name: str) -> Path:
    folder = tmp_path / "batch"
    shutil.copytree(CORPUS / "v10", folder)
    shutil.copyfile(CORPUS / "v10/request-full.xml", folder / name)
    return folder


@pytest.mark.parametrize("name", ["poison.xml", "0-poison.xml"])  # the second is the first of its chunk
def test_an_input_a_worker_dies_on_is_reported_and_the_rest_of_the_batch_is_not_lost(tmp_path, monkeypatch, name):
    folder = _corpus_with(tmp_path, name)
    plain = validate_paths([folder], AS_OF)
    _dying_worker(monkeypatch, name)
    two = validate_batch([folder], AS_OF, jobs=2, digests=True)
    names = [m.file for m in two.result.messages]
    assert names == [m.file for m in plain.messages]  # every input, in input order
    died = next(m for m in two.result.messages if m.file.endswith("/" + name))
    assert [f.rule for f in died.findings] == ["SSBT-RULE-FAILED"] and "worker process" in died.findings[0].message
    others = [m.to_dict() for m in two.result.messages if m is not died]
    assert others == [m.to_dict() for m in plain.messages if not m.file.endswith("/" + name)]
    assert two.result.run_findings == []  # workers could run: nothing given up
    assert two.result.exit_code == 3
    assert len(two.digests) == len(names) and all(d.sha256 for d in two.digests)


def test_a_worker_killed_once_costs_nothing_but_time(tmp_path, monkeypatch):
    folder = _corpus_with(tmp_path, "killed-once.xml")
    plain = validate_paths([folder], AS_OF)
    _dying_worker(monkeypatch, "killed-once.xml", once_marker=tmp_path / "killed")
    two = validate_batch([folder], AS_OF, jobs=2)
    assert (tmp_path / "killed").exists()  # it did die once
    assert as_dicts(two.result) == as_dicts(plain)


def test_workers_that_cannot_run_here_are_given_up_for_the_main_process(tmp_path, monkeypatch):
    """Every worker dies as it starts: the batch goes on in this process, with the result --jobs 1 gives
    (no input blamed) and one note saying why, instead of a pool started (and lost) per input."""
    parent = _forked_workers_only()
    starts = tmp_path / "starts"
    starts.mkdir()

    def dies_at_start(*_args):
        if os.getpid() != parent:
            (starts / str(os.getpid())).touch()
            os._exit(1)

    monkeypatch.setattr(batch_module, "_init_worker", dies_at_start)
    real, collector_on = batch_module.validate_chunk, []

    def validate_chunk(*args):
        collector_on.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(batch_module, "validate_chunk", validate_chunk)
    plain = validate_paths([CORPUS / "v10", CORPUS / "v11"], AS_OF)
    two = validate_batch([CORPUS / "v10", CORPUS / "v11"], AS_OF, jobs=2)
    assert collector_on and all(collector_on)  # validated here as with --jobs 1: the collector on
    assert [m.to_dict() for m in two.result.messages] == [m.to_dict() for m in plain.messages]
    assert [f.rule for f in two.result.run_findings] == ["SSBT-JOBS"]
    assert two.result.exit_code == plain.exit_code
    assert len(list(starts.iterdir())) <= 4  # the pool's two workers, the one alone, the one given nothing


STOPS = [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]


@pytest.mark.parametrize(("signal_name", "code", "word"), STOPS)
def test_a_stopped_run_stops_its_workers_and_exits_at_once(tmp_path, signal_name, code, word):
    """The signal goes to the main process only, as from a CI runner cancelling the step or `timeout`:
    the run ends with the shell's code for it, and no worker outlives it holding stdout open (the
    step would hang on them), nor is the rest of the batch validated first."""
    import signal
    import subprocess
    import sys
    import time

    if not Path("/proc/self/task").is_dir():
        pytest.skip("needs /proc to see the worker processes start")
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(3000):
        shutil.copyfile(CORPUS / "v10/answer-all-agencies-data.xml", folder / f"{index:05d}.xml")
    process = subprocess.Popen(
        [sys.executable, "-m", "ssbtek_validator", "--jobs", "2", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # not ignored, whoever started us
    )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (children.exists() and children.read_text().split()):
        time.sleep(0.05)
    assert children.read_text().split(), "the workers did not start"
    time.sleep(0.5)  # the workers are validating
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=60)  # returns only once every holder of the pipes is gone
    assert process.returncode == code
    assert word in err.decode() and b"Traceback" not in err
    assert out == b""  # the rest of the batch was not validated and reported


def test_equal_detections_and_dates_cross_to_the_parent_once_per_chunk():
    """A chunk's results share their detection and date objects on the way (results/model.py ``shared``):
    each is pickled once, and the parent builds one per chunk, not one per message."""
    results = [
        MessageResult(
            f"m{index}.xml",
            Detection(10, "ssbt-v10", "official", "op", "answer", "why"),
            message_date=date(2026, 10, 14).isoformat(),  # a new string per message, as the engine makes it
        )
        for index in range(50)
    ]
    assert len({id(r.detection) for r in results}) == len({id(r.message_date) for r in results}) == 50
    back = pickle.loads(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in results]
    assert len({id(r.detection) for r in back}) == len({id(r.message_date) for r in back}) == 1
    one = len(pickle.dumps(results[:1], protocol=pickle.HIGHEST_PROTOCOL))
    assert len(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL)) < one * 50 * 0.6


def test_the_collector_is_off_while_worker_results_arrive_and_as_before_after():
    """The parent's garbage collector walked the results as they piled up (~40 ms of 15,000 messages)."""
    seen: list[bool] = []
    assert gc.isenabled()
    validate_batch([CORPUS / "v10"], AS_OF, jobs=2, on_messages=lambda _messages: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had switched it off finds it off
        validate_batch([CORPUS / "v10"], AS_OF, jobs=2)
        assert not gc.isenabled()
    finally:
        gc.enable()
    seen.clear()  # one process: nothing of it changes
    validate_batch([CORPUS / "v10"], AS_OF, jobs=1, on_messages=lambda _messages: seen.append(gc.isenabled()))
    assert seen and all(seen)


def _collector_state(_messages) -> str:
    """A report 'piece' made in the worker that validated the chunk: whether its collector was on."""
    return "on" if gc.isenabled() else "off"


def test_workers_validate_with_the_collector_as_the_caller_had_it():
    """A forked worker inherits the parent's collector paused while it gathers results; a worker validating with
    it off would never free cyclic garbage an input made, however long the batch."""
    states: list[tuple[str, ...]] = []
    for enabled in (True, False):
        states.clear()
        if not enabled:
            gc.disable()
        try:
            validate_batch(
                [CORPUS / "v10", CORPUS / "v11"], AS_OF, jobs=2, pieces=(_collector_state,),
                on_pieces=lambda texts, _count: states.append(texts),
            )  # fmt: skip
        finally:
            gc.enable()
        assert states and set(states) == {("on" if enabled else "off",)}


def test_a_worker_compiles_only_the_packs_its_messages_use(tmp_path, monkeypatch):
    """As one process does: every pack compiled in every worker's start was ~10 ms of it, for nothing."""
    from ssbtek_validator.packs.schema_packs import Pack

    parent = _forked_workers_only()
    asked = tmp_path / "asked"
    real = Pack.schema

    def schema(self):
        if os.getpid() != parent:
            with asked.open("a") as record:
                record.write(f"{self.version}\n")
        return real(self)

    monkeypatch.setattr(Pack, "schema", schema)
    two = validate_batch([CORPUS / "v10"], AS_OF, jobs=2)
    assert len(two.result.messages) > 20
    assert set(asked.read_text().split()) == {"10"}


def test_the_workers_send_their_outcomes_through_a_wide_pipe():
    """A chunk's outcome (~120 KB) no longer waits in a 64 KiB pipe for the main process to read it."""
    import sys

    maximum = Path("/proc/sys/fs/pipe-max-size")
    if not sys.platform.startswith("linux") or not maximum.exists():
        pytest.skip("pipe capacities are set on Linux only")
    if int(maximum.read_text()) < batch_module.RESULT_PIPE_BYTES:
        pytest.skip("this system does not let a user widen a pipe that far")
    import fcntl

    workers = batch_module._Workers(2, AS_OF, builtin_packs(), False, batch_module._CollectorPaused())
    pool = workers.pool()
    try:
        width = fcntl.fcntl(pool._result_queue._reader.fileno(), 1032)  # F_GETPIPE_SZ
    finally:
        pool.shutdown()
    assert width >= batch_module.RESULT_PIPE_BYTES


def test_a_batch_reads_each_file_it_found_without_looking_at_it_again(tmp_path, monkeypatch):
    """The folder's walk (and the check of a named file) found the files: reading a chunk asks the system about
    none of them again (a Path and two stat calls per file were ~7 µs of a message). The same result as the
    library's one call, named files and a folder's alike."""
    folder = tmp_path / "batch"
    shutil.copytree(CORPUS / "v10", folder)
    named = CORPUS / "v11" / sorted(p.name for p in (CORPUS / "v11").glob("*.xml"))[0]
    arguments = [folder, named]
    targets = expand(arguments, AS_OF)
    inputs = {str(target) for target in targets}
    looked_at: list[str] = []
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path) in inputs:  # (loading packs and modules stats files of its own)
            looked_at.append(str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    outcome = batch_module.validate_chunk(targets, AS_OF, builtin_packs(), digests=False)
    monkeypatch.undo()
    assert looked_at == []
    assert as_dicts(outcome.result)[0] == as_dicts(validate_paths(arguments, AS_OF))[0]


def _made_where(message: MessageResult) -> str:
    """A report piece naming the process that made it (module level: a worker unpickles it by name)."""
    return f"{os.getpid()} {message.file}\n"


def _pieces_of(batch_arguments, options, jobs):
    made: list[tuple[str, ...]] = []
    pieces = [partial(joined_pieces, _made_where, ""), MessageBlocks().pieces]
    batch = validate_batch(batch_arguments, options, jobs=jobs, pieces=pieces, on_pieces=lambda t, _n: made.append(t))
    where = [line.split(" ", 1) for texts in made for line in texts[0].splitlines()]
    return batch.result, where, "".join(texts[1] for texts in made)


def test_the_reports_parts_are_made_by_the_worker_that_validated_them():
    """Made in the main process, the text report's blocks of 15,000 messages were ~27 ms of its ~210 ms CPU,
    competing with the workers for the cores; the workers make them beside validating."""
    result, where, blocks = _pieces_of([CORPUS / "v10", CORPUS / "v11"], AS_OF, jobs=2)
    assert [name for _pid, name in where] == [m.file for m in result.messages]
    assert str(os.getpid()) not in {pid for pid, _name in where}
    assert blocks == "".join(message_block(m) for m in result.messages)


def test_a_chunk_whose_messages_the_run_bound_changed_has_its_parts_made_again_here():
    """The run's findings bound (RunResult.bound_findings) drops findings in the main process, after a worker
    made the chunk's parts: those parts are made again from the messages as they are now."""
    options = replace(AS_OF, limits=replace(AS_OF.limits, max_run_findings=3))
    result, where, blocks = _pieces_of([CORPUS / "v10"], options, jobs=2)
    assert result.findings_not_kept  # the bound did drop findings
    assert blocks == "".join(message_block(m) for m in result.messages)
    assert str(os.getpid()) in {pid for pid, _name in where}  # made again here
    assert [name for _pid, name in where] == [m.file for m in result.messages]


def test_the_results_of_a_run_with_workers_are_frozen_for_the_collector():
    """Made while the collector was off, the run's results were all in its youngest generation: the first
    collection after the run walked them all (~7.5 ms for 15,000 messages, while the report is written)."""
    before = gc.get_freeze_count()
    try:
        batch = validate_batch([CORPUS / "v10"], AS_OF, jobs=2)
        assert gc.get_freeze_count() - before > len(batch.result.messages)
        tracked = {id(item) for item in gc.get_objects()}
        assert not any(id(message) in tracked for message in batch.result.messages)
        assert gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_workers_are_forked_whatever_the_default_start_method(tmp_path):
    """Python 3.14 makes forkserver Linux's default: workers would import the tool again and start from nothing.
    With forkserver forced as the default, a --jobs worker is still this process's child (forked from it)."""
    script = tmp_path / "forced.py"
    script.write_text(
        "import multiprocessing, os, sys\n"
        "multiprocessing.set_start_method('forkserver', force=True)\n"
        "from ssbtek_validator.run import executor\n"
        "from ssbtek_validator.run.options import DEFAULT_OPTIONS\n"
        "workers = executor._Workers(2, DEFAULT_OPTIONS, {}, False, executor._CollectorPaused())\n"
        "with workers.pool() as pool:\n"
        "    parents = {pool.submit(os.getppid).result() for _ in range(4)}\n"
        "print(parents == {os.getpid()}, multiprocessing.get_start_method())\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.split() == ["True", "forkserver"], done.stderr
