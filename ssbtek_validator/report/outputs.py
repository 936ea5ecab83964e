"""Several reports from one run: which format goes where.

A pipeline typically wants SARIF for the code-scanning upload, JUnit for the test tab and text in
the log, from one validation. Spelled either way (both may be mixed):

    --format sarif:report.sarif --format junit:report.xml --format text
    --format sarif --format junit --format text --output sarif=report.sarif --output junit=report.xml

A plain ``--output FILE`` still works with a single format (``--format json --output r.json``).
At most one format may go to stdout (``-`` as a path also means stdout); two formats may not share
a file. Anything ambiguous is a usage error (exit 2), never a guess.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import NamedTuple, TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report import REPORTERS, PreparedMessages, text
from ssbtek_validator.results.model import RunResult


class OutputError(ValueError):
    """The formats and outputs asked for do not make one clear plan."""


class Output(NamedTuple):
    format: str
    #: None means stdout
    path: str | None = None


def _known(name: str, where: str) -> str:
    if name not in REPORTERS:
        raise OutputError(f"{where}: unknown format {name!r}; choose from {', '.join(sorted(REPORTERS))}")
    return name


def plan(formats: Sequence[str], outputs: Sequence[str] = (), default: str = "text") -> list[Output]:
    """Turn repeated ``--format`` and ``--output`` values into a list of (format, destination)."""
    wanted: list[tuple[str, str | None]] = []
    for item in formats or (default,):
        name, sep, path = item.partition(":")
        wanted.append((_known(name.strip(), f"--format {item}"), path if sep else None))
    named: dict[str, list[str]] = {}
    bare: list[str] = []
    for item in outputs:
        name, sep, path = item.partition("=")
        if sep and name in REPORTERS:
            named.setdefault(name, []).append(path)
        else:
            bare.append(item)
    listed = {name for name, _ in wanted}
    for name in named:
        if name not in listed:
            raise OutputError(f"--output {name}=…: no --format {name} was asked for")
    plan_: list[Output] = []
    open_slots: list[str] = []
    for name, path in wanted:
        if path is not None:
            plan_.append(Output(name, path))
        elif named.get(name):
            plan_.append(Output(name, named[name].pop(0)))
        else:
            open_slots.append(name)
    for name, left in named.items():
        if left:
            raise OutputError(f"--output {name}={left[0]}: more --output {name}=… than --format {name}")
    if len(bare) > 1:
        raise OutputError("--output FILE given more than once; name the format: --output FORMAT=FILE")
    if bare:
        if len(open_slots) != 1:
            raise OutputError(
                f"--output {bare[0]} is ambiguous with {len(open_slots)} formats without a destination; "
                "use --output FORMAT=FILE or --format FORMAT:FILE"
            )
        plan_.append(Output(open_slots.pop(), bare[0]))
    plan_.extend(Output(name) for name in open_slots)
    normalised = [Output(o.format, None if o.path in (None, "-") else o.path) for o in plan_]
    to_stdout = [o.format for o in normalised if o.path is None]
    if len(to_stdout) > 1:
        raise OutputError(
            f"{', '.join(to_stdout)} would all go to stdout; give each but one a file "
            "(--format FORMAT:FILE or --output FORMAT=FILE)"
        )
    paths = [str(Path(o.path).resolve()) for o in normalised if o.path is not None]
    if len(paths) != len(set(paths)):
        raise OutputError("two formats would write the same file")
    for output in normalised:  # said now, not after a run of thousands of messages that could not be reported
        folder = Path(output.path).parent if output.path is not None else None
        if folder is not None and not folder.is_dir():
            raise OutputError(f"--output {output.path}: there is no folder {folder} to write it in")
    # keep the order given, stdout last so files are complete before the log shows the verdict
    return sorted(normalised, key=lambda o: o.path is None)


def prepare(outputs: Iterable[Output], detail: str = "normal") -> dict[str, PreparedMessages]:
    """By format, the message parts of the reports asked for that are made while the batch runs (see
    PreparedMessages): JSON's lines, the text report's blocks (``--quiet`` has none), JUnit's cases and GitHub's
    annotations. SARIF numbers its results by the run's whole set of rules, and HTML picks which messages to
    show from the whole run: theirs are made after it."""
    formats = {output.format for output in outputs}
    prepared: dict[str, PreparedMessages] = {}
    if "json" in formats:
        from ssbtek_validator.report import json_report  # as junit below: only a run that writes it imports it

        prepared["json"] = json_report.MessageLines()
    if "text" in formats and detail != "quiet":
        prepared["text"] = text.MessageBlocks(detail)
    if "junit" in formats:
        from ssbtek_validator.report import junit  # as REPORTERS does: only a run that writes it imports it

        prepared["junit"] = junit.MessageCases()
    if "github" in formats:
        from ssbtek_validator.report import github

        prepared["github"] = github.MessageAnnotations()
    return prepared


def write_all(
    result: RunResult,
    packs: dict[int, Pack],
    outputs: Iterable[Output],
    stdout: TextIO,
    prepared: Mapping[str, PreparedMessages] | None = None,
    detail: str = "normal",
    summary: str | None = None,
) -> None:
    """``prepared``: by format, the message parts of its report made while the batch ran (``prepare``);
    ``detail``: how much the text report says (``quiet``, ``normal``, ``verbose``); ``summary``: the run's
    summary line (report.text.summary_line), when the caller has made it already."""
    prepared = prepared or {}
    for output in outputs:
        reporter = REPORTERS[output.format]
        given: dict[str, object] = {}
        if output.format in prepared:
            given["prepared"] = prepared[output.format]
        if output.format == "text" and detail != "normal":
            given["detail"] = detail
        if output.format == "text" and summary is not None:
            given["summary"] = summary
        if given:
            reporter = partial(reporter, **given)
        if output.path is None:
            reporter(result, packs, stdout)
        else:
            write_atomically(Path(output.path), partial(reporter, result, packs))


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Into a temporary file beside ``path``, renamed over it only once complete: a full disk, a killed run
    or a reporter that fails midway leaves the previous report (or none), never a truncated one that a
    pipeline would upload as if it were the whole story. Same folder, so the rename is atomic. A path that
    is not a regular file (``/dev/stderr``, a FIFO a CI step reads) is written in place: renaming over it
    would replace the device or pipe, not write to it."""
    if _special(path):
        with path.open("w", encoding="utf-8") as stream:
            write(stream)
        return
    import tempfile  # only --output FILE needs it; tempfile pulls shutil, random, bz2, lzma into a cold start

    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # named as the user wrote it, not as the temporary file
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            write(stream)
        os.chmod(temporary, 0o666 & ~_umask())  # as open() would have made it, not mkstemp's 0600
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _special(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # missing (the usual case), or unreachable: mkstemp will say why
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
