"""Hostile folders: unreadable files, symlink loops, FIFOs, odd names, absurd depth.

Every entry is reported (nothing given to the tool vanishes), nothing blocks, the valid message
still conforms, and no file name can forge a report line or show an identity number.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ssbtek_validator import validate
from ssbtek_validator.reading.inputs import iter_sources

from ..conftest import ROOT
from ..hardening import REQUEST, run_cli

PERSONNUMMER = "191212121212"


@pytest.fixture
def hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "valid.xml").write_bytes(REQUEST)
    locked = folder / "locked.xml"
    locked.write_bytes(REQUEST)
    locked.chmod(0)
    (folder / "mem.xml").symlink_to("/proc/self/mem")  # opens, then every read fails, even for root
    (folder / "loop-a.xml").symlink_to(folder / "loop-b.xml")
    (folder / "loop-b.xml").symlink_to(folder / "loop-a.xml")
    (folder / "dangling.xml").symlink_to(folder / "nowhere.xml")
    (folder / "loop-dir").symlink_to(folder, target_is_directory=True)
    (folder / "dir-link.xml").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "fifo.xml")
    with open(os.path.join(os.fsencode(folder), b"latin1-\xe5.xml"), "wb") as stream:
        stream.write(REQUEST)
    (folder / "two\nlines.xml").write_bytes(b"<a>")
    (folder / "::error file=x::forged.xml").write_bytes(b"")
    (folder / f"{PERSONNUMMER}.xml").write_bytes(REQUEST)
    sub = folder / "sub"
    sub.mkdir()
    (sub / "inner.xml").write_bytes(REQUEST)
    return folder


def test_hostile_folder_every_entry_reported_nothing_blocks(hostile_folder: Path):
    run = run_cli("--format", "json", str(hostile_folder), timeout=60)  # a FIFO read would block: the timeout says so
    assert run.exit_code == 3, run.stderr
    messages = {Path(m["file"]).name: m for m in json.loads(run.stdout)["messages"]}
    expected = {
        "valid.xml", "locked.xml", "mem.xml", "loop-a.xml", "loop-b.xml", "dangling.xml", "dir-link.xml",
        "fifo.xml", "latin1-\\udce5.xml", "two\\nlines.xml", "::error file=x::forged.xml", "••••••••••••.xml",
        "inner.xml",
    }  # fmt: skip
    assert set(messages) == expected
    assert messages["valid.xml"]["verdict"] == messages["inner.xml"]["verdict"] == "conforms"
    assert messages["latin1-\\udce5.xml"]["verdict"] == "conforms"  # the odd name is only escaped for display
    assert messages["••••••••••••.xml"]["verdict"] == "conforms"  # a personnummer as a file name is masked

    def problem(name: str) -> str:
        [finding] = messages[name]["findings"]
        assert finding["rule"] == "SSBT-READ", finding
        return finding["message"]

    assert "Input/output error" in problem("mem.xml")
    assert "Too many levels of symbolic links" in problem("loop-a.xml")
    assert "No such file" in problem("dangling.xml")
    assert "FIFO" in problem("fifo.xml")
    assert "not a regular file" in problem("dir-link.xml")
    if os.geteuid() != 0:  # root reads anything
        assert "Permission denied" in problem("locked.xml")


def test_file_names_cannot_forge_report_lines_nor_show_identities(hostile_folder: Path):
    run = run_cli("--format", "text", str(hostile_folder), timeout=60)
    for line in run.stdout.splitlines():
        assert line.startswith((str(hostile_folder), "packs: ", "note: ")) or " messages: " in line, line
    assert PERSONNUMMER not in run.stdout
    shown = run_cli("--format", "text", "--show-values", str(hostile_folder), timeout=60)
    assert f"{PERSONNUMMER}.xml: conforms" in shown.stdout


def test_unlistable_subfolder_is_reported(tmp_path: Path):
    (tmp_path / "ok.xml").write_bytes(REQUEST)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden.xml").write_bytes(REQUEST)
    locked.chmod(0)
    try:
        names = {source.name: source for source in iter_sources([tmp_path])}
    finally:
        locked.chmod(0o755)
    assert str(tmp_path / "ok.xml") in names
    if os.geteuid() != 0:
        assert "cannot list" in names[str(locked)].problem


def test_folders_nested_deeper_than_the_python_stack(tmp_path: Path):
    """400 folders deep under a recursion limit of 100 more frames than the test already uses."""
    deepest = tmp_path.joinpath(*["d"] * 400)
    deepest.mkdir(parents=True)
    (deepest / "deep.xml").write_bytes(REQUEST)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 100)
    try:
        result = validate(tmp_path)
    finally:
        sys.setrecursionlimit(limit)
    [message] = result.messages
    assert message.file.endswith("/d/deep.xml") and result.exit_code == 0


@pytest.mark.parametrize(("stdin", "rule"), [("closed", "SSBT-READ"), ("empty", "SSBT-EMPTY")])
def test_standard_input_closed_or_empty_is_a_finding(stdin: str, rule: str):
    """CI runners start tools with no standard input; '-' must then be a finding, not a traceback."""
    closed = stdin == "closed"
    done = subprocess.run(
        [sys.executable, "-m", "tests.netguard", "--format", "json", "-"],
        cwd=ROOT,
        capture_output=True,
        stdin=None if closed else subprocess.DEVNULL,
        preexec_fn=(lambda: os.close(0)) if closed else None,
        timeout=60,
    )
    [message] = json.loads(done.stdout)["messages"]
    assert [f["rule"] for f in message["findings"]] == [rule]
    assert done.returncode == (3 if rule == "SSBT-READ" else 1)
