"""Turn command-line arguments into a list of sources, reading each safely.

Every argument yields at least one :class:`Source`, readable or not, so that nothing given to the
tool can silently vanish from the report.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ssbtek_validator.reading.limits import DEFAULT_LIMITS, Limits
from ssbtek_validator.results.model import Finding, Origin, Severity

#: Files picked up when walking a directory. Files named explicitly are always read.
DEFAULT_INCLUDE = ("*.xml", "*.soap", "*.msg", "*.har", "*.http")


@dataclass(frozen=True, slots=True)
class Source:
    """One input. ``data`` is None when it could not be read; ``problem`` then says why."""

    name: str
    data: bytes | None
    problem: str | None = None
    #: "read" for an I/O failure, "limit" when a size limit stopped us.
    problem_kind: str | None = None
    #: where in a capture the input was read from (None for a file or stream of its own)
    origin: Origin | None = None


def looks_like_har(source: Source) -> bool:
    """By name, or by content: an SSBTEK message starts with '<', a HAR capture with '{'. Here beside
    :class:`Source` rather than in :mod:`~ssbtek_validator.reading.har`, so that asking it of every input does
    not import the HAR reader into a run that has no capture."""
    if source.name.lower().endswith(".har"):
        return True
    head = (source.data or b"")[:64].lstrip()
    return head.startswith(b"{") and b'"log"' in (source.data or b"")[:4096]


#: an HTTP request line or status line (RFC 9112, sections 3 and 4) at the start of a raw HTTP capture; an HTTP/2
#: one too, so that its reader can say that only HTTP/1.x is read this way
_HTTP_START = re.compile(
    rb"(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+ +[^ \t\r\n]+ +HTTP/[0-9](?:\.[0-9])?|HTTP/[0-9](?:\.[0-9])? +[0-9]{3})[ \t\r\n]"
)


def looks_like_raw_http(source: Source) -> bool:
    """By name (``*.http``), or by content: a raw HTTP capture (a Wireshark or Fiddler export, a pasted request)
    starts with a request line or status line, after white space or a byte order mark. A message starts with
    '<' and is answered by its first byte; the reader (:mod:`~ssbtek_validator.reading.rawhttp`) is imported
    only for a capture, as the HAR reader is."""
    named = source.name[-5:].lower() == ".http"  # the last five characters: lowering a long path costs more
    data = source.data or b""
    if named or data[:1] == b"<":
        return named
    return _HTTP_START.match(data[:256].removeprefix(b"\xef\xbb\xbf").lstrip()) is not None


#: the name endings that make an input a capture whatever it holds, lowered (see looks_like_capture)
_CAPTURE_ENDINGS = (".har", ".http")


def looks_like_capture(source: Source) -> bool:
    """``looks_like_har(source) or looks_like_raw_http(source)``, asked of every input a run reads. A message starts
    with "<", which neither capture does (a HAR capture starts with "{", a raw one with a request or status line):
    such an input is a capture only by its name, told from its last five characters at once, where the two
    questions lowered the name twice and sliced the bytes twice (~0.35 µs a message). Anything else is asked the
    two questions. tests/reading/test_parse_hot_paths.py holds it to them."""
    data = source.data
    if data is None:
        return False
    if data[:1] == b"<":
        return source.name[-5:].lower().endswith(_CAPTURE_ENDINGS)
    return looks_like_har(source) or looks_like_raw_http(source)


#: the run's note on what a folder's walk skipped
SKIPPED = "SSBT-SKIPPED"


class Skipped(NamedTuple):
    """Entries of a folder that the walk did not read (hidden ones, symlinked folders): not inputs, but
    the run says what they were, so that captures placed there are not left out without a word."""

    folder: str
    entries: tuple[str, ...]

    #: names listed in the note; the count is always complete
    SHOWN = 20

    def finding(self) -> Finding:
        names = ", ".join(self.entries[: self.SHOWN])
        more = f" and {len(self.entries) - self.SHOWN:,} more" if len(self.entries) > self.SHOWN else ""
        count = len(self.entries)
        text = (
            f"{count:,} {'entry' if count == 1 else 'entries'} in {self.folder} not read: hidden files and "
            f"folders and symlinked folders are skipped when walking a folder ({names}{more}); "
            "name a file to read it."
        )
        return Finding(SKIPPED, Severity.INFO, text, self.folder)


#: Read in pieces: ``read(limit + 1)`` allocates the whole limit (16 MB by default) for every message,
#: which cost more than parsing a typical 5 kB one.
_CHUNK = 1 << 16


def read_limited(stream: BinaryIO, name: str, limits: Limits) -> Source:
    return _read_up_to(stream.read, name, limits, _CHUNK)


def _read_up_to(read: Callable[[int], bytes], name: str, limits: Limits, first: int, regular: bool = False) -> Source:
    """At most one byte past the limit, asked for ``first`` bytes then in pieces: never the whole limit at once.

    ``regular``: a short read from a regular file is its end (POSIX), which saves asking again."""
    wanted = limits.max_message_bytes + 1
    chunks: list[bytes] = []
    size = 0
    request = first
    while size < wanted:
        asked = min(request, wanted - size)
        chunk = read(asked)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if regular and len(chunk) < asked:
            break
        request = _CHUNK
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > limits.max_message_bytes:
        return Source(
            name,
            None,
            f"larger than the message size limit of {limits.max_message_bytes:,} bytes "
            "(raise it with --max-message-bytes)",
            "limit",
        )
    return Source(name, data)


def read_stdin(stdin: BinaryIO | None, limits: Limits) -> Source:
    """CI runners may start the tool with no standard input at all, or a closed one."""
    stream = stdin or getattr(sys.stdin, "buffer", None)
    if stream is None:
        return Source("<stdin>", None, "there is no standard input to read", "read")
    try:
        return read_limited(stream, "<stdin>", limits)
    except (OSError, ValueError) as exc:  # ValueError: a closed stream
        return Source("<stdin>", None, f"cannot read standard input: {exc}", "read")


#: O_BINARY: on Windows a descriptor opened without it translates line ends and stops at Ctrl-Z
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


class RegularFile(str):
    """A path that a folder's walk found to name a regular file: its directory entry said so at no cost
    (``DirEntry.is_file``), so :func:`read_file` need not ask ``fstat`` whether a short read is the file's end.

    Why: a batch pays four system calls a file (open, fstat, read, close), and in a batch each costs far more
    than alone (the caches the message's work warmed are cold after it): the fstat and its stat_result cost
    ~3 µs a message of the mixed batch read one file at a time, ~1 µs read in turns (read_in_turns) (CPU,
    in-process on the command's path, blocks alternated, medians).
    A file named on the command line is a plain ``str`` (it may be a pipe: ``<(…)``) and is sized by fstat."""

    __slots__ = ()


def read_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Source:
    """A file descriptor and ``os.read``, sized by ``fstat``: a third of the cost of a buffered file
    object for a typical message, which in a batch is paid for every file. The size is only a hint
    (a pipe or device says 0, a file may grow): the limit is enforced on what is actually read. A
    :class:`RegularFile` is asked for its first piece without fstat: fewer bytes than asked are the whole
    file (a short read of a regular file is its end, POSIX); a larger one is read as any file is."""
    name = str(path)
    try:
        descriptor = os.open(path, _READ_FLAGS)
        try:
            if isinstance(path, RegularFile):
                asked = min(_CHUNK, limits.max_message_bytes + 1)
                data = os.read(descriptor, asked)
                if len(data) < asked:  # the whole file, within the limit
                    return Source(name, data)
                os.lseek(descriptor, 0, os.SEEK_SET)
            status = os.fstat(descriptor)
            hint = status.st_size
            regular = stat.S_ISREG(status.st_mode)
            if regular and 0 < hint <= limits.max_message_bytes:
                # The common case, a file of the size fstat says, in one read and no loop (~1.5 µs less per
                # file): a short read of a regular file is its end (POSIX), so fewer than hint + 1 bytes are
                # the whole file. More means it grew since fstat: it is read again from its start, in pieces.
                data = os.read(descriptor, hint + 1)
                if len(data) <= hint:
                    return Source(name, data)
                os.lseek(descriptor, 0, os.SEEK_SET)
            first = hint + 1 if hint else _CHUNK
            return _read_up_to(partial(os.read, descriptor), name, limits, first, regular)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return Source(name, None, f"cannot read: {exc.strerror or exc}", "read")


def read_json_file(path: str | Path) -> Any:
    """A JSON file the user gave (evidence, a replay file), or a ValueError saying in one line why not.

    Never a traceback: a folder, binary garbage, invalid JSON and 100,000 nested ``[`` (which
    exhaust the parser's recursion) are all a sentence."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc
    except RecursionError as exc:
        raise ValueError("not usable JSON: nested too deeply") from exc


def walk(directory: str, matches: Callable[[str], bool], skipped: list[str] | None = None) -> Iterator[str | Source]:
    """Yield matching file paths in a stable order; unreadable folders become sources with a problem.

    Symlinked directories are not followed, so a symlink loop cannot trap the walk. Hidden entries
    (``.git``, editor files) are skipped. Iterative, so no folder depth can exhaust the Python stack.
    What is skipped is appended to ``skipped`` (hidden entries, symlinked folders; a folder ends in
    ``/``), so that the report can say so: a capture placed there is otherwise never judged.
    """
    skipped = [] if skipped is None else skipped
    listed = _listing(directory)
    if isinstance(listed, Source):
        yield listed
        return
    pending = [iter(listed)]
    while pending:
        entry = next(pending[-1], None)
        if entry is None:
            pending.pop()
            continue
        name = entry.name
        if name.startswith("."):
            skipped.append(entry.path + ("/" if _is_dir(entry) else ""))
            continue
        if _is_dir(entry, follow_symlinks=False):
            listed = _listing(entry.path)
            if isinstance(listed, Source):
                yield listed
            else:
                pending.append(iter(listed))
        elif matches(name):  # asked once per entry: it was asked twice for every file read (~0.3 µs)
            if _is_file(entry):
                yield RegularFile(entry.path)
                continue
            special = _special(entry.path)
            yield Source(entry.path, None, special, "read") if special else entry.path
        elif entry.is_symlink() and _is_dir(entry):
            skipped.append(entry.path + "/")  # a symlinked folder named like a message is reported as one


def _listing(directory: str) -> list[os.DirEntry] | Source:
    try:
        with os.scandir(directory) as scan:
            return sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        return Source(directory, None, f"cannot list: {exc.strerror or exc}", "read")


def _is_dir(entry: os.DirEntry, follow_symlinks: bool = True) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow_symlinks)
    except OSError:
        return False


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _special(path: str) -> str | None:
    """A FIFO, socket or device met in a folder is not read: opening a FIFO blocks until someone writes.

    A dangling or looping symlink is left to :func:`read_file`, whose error says which it is.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device or special file"
    return f"not a regular file (a {kind}); files in folders are read only when regular"


#: a pattern that is a star and a plain ending (``*.xml``): no wildcard or bracket after the star
_SUFFIX_GLOB = re.compile(r"\*([^*?\[]*)")


def matcher(include: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a name in a folder matches one of the ``--include`` patterns, as ``fnmatch`` reads them (case
    as given). Patterns that are all ``*`` and an ending (the default ones) are asked with ``str.endswith``:
    the regex ``fnmatch.translate`` makes scans the name once per pattern from its start (~0.4 against ~0.1 µs
    a name, for every entry of a walk). tests/reading/test_reading.py holds the two to the same answers."""
    endings = [_SUFFIX_GLOB.fullmatch(glob) for glob in include]
    if include and all(endings):
        suffixes = tuple(ending[1] for ending in endings if ending is not None)
        return lambda name: name.endswith(suffixes)
    pattern = re.compile("|".join(fnmatch.translate(glob) for glob in include))
    return lambda name: pattern.match(name) is not None


def iter_targets(
    arguments: Iterable[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    include: tuple[str, ...] = DEFAULT_INCLUDE,
    stdin: BinaryIO | None = None,
) -> Iterator[str | Source | Skipped]:
    """Arguments → file paths still to read, in reading order; stdin is read here (it cannot wait).

    A folder without matching files and a missing path become sources that say so, so that batch
    runs split over processes (ssbtek_validator.run.executor) and plain runs see exactly the same inputs. What a
    folder's walk skipped follows its files as one :class:`Skipped` (a note for the run, not an input).
    """
    for argument in arguments:
        if str(argument) == "-":
            yield read_stdin(stdin, limits)
            continue
        path = Path(argument)
        try:
            is_dir = path.is_dir()
            exists = is_dir or path.exists() or path.is_symlink()
        except OSError as exc:  # a name too long, a folder on the way without search permission, …
            yield Source(str(path), None, f"cannot read: {exc.strerror or exc}", "read")
            continue
        if is_dir:
            found = False
            skipped: list[str] = []
            for item in walk(str(path), matcher(include), skipped):
                found = True
                yield item
            if skipped:
                yield Skipped(str(path), tuple(skipped))
            if not found:
                yield Source(str(path), None, f"no files matching {', '.join(include)} in this folder", "read")
        elif exists:
            yield str(path)
        else:
            yield Source(str(path), None, "no such file or directory", "read")


#: files read one after another before the first of them is handed on (see read_in_turns), at most ...
READ_AHEAD = 64
#: ... and no more bytes of them than this held beside the last one read
READ_AHEAD_BYTES = 1 << 20


def read_in_turns(targets: Iterable[str | Source | Skipped], limits: Limits) -> Iterator[Source | Skipped]:
    """``targets`` in order, each name read with :func:`read_file` and anything else handed on as it is, the files
    read in turns of up to READ_AHEAD (and READ_AHEAD_BYTES) before the first of the turn is handed on.

    Why in turns: in a batch each system call of a read (open, read, close) costs several times what it costs in
    a row, the kernel's code and data, and ours, cold again after a message's parse and rules. Read in turns
    of 32 files, a message of the mixed batch cost ~7–8.5 µs less (CPU, in-process on the command's path, blocks
    of 300 alternated with reading one at a time, medians of 8 rounds; turns of 16 ~5); turns of 64, ~2.5 µs less
    again; of 128, no less than of 64.
    Memory stays bounded: READ_AHEAD_BYTES and one file beside the input being validated, each input let go as
    it is handed on (a chunk of up to 512 inputs of up to 16 MiB each was once read whole before the first was
    validated)."""
    pending = iter(targets)
    turn: deque[Source | Skipped] = deque()
    while True:
        held = 0
        for target in pending:
            source = read_file(target, limits) if isinstance(target, str) else target
            turn.append(source)
            if isinstance(source, Source) and source.data is not None:
                held += len(source.data)
            if len(turn) >= READ_AHEAD or held >= READ_AHEAD_BYTES:
                break
        if not turn:
            return
        while turn:
            yield turn.popleft()


def iter_sources(
    arguments: Iterable[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    include: tuple[str, ...] = DEFAULT_INCLUDE,
    stdin: BinaryIO | None = None,
    *,
    skipped: bool = False,
) -> Iterator[Source | Skipped]:
    """Every input read (in turns: read_in_turns); with ``skipped``, what a folder's walk left out too (for the
    run's note)."""
    for source in read_in_turns(iter_targets(arguments, limits, include, stdin), limits):
        if skipped or isinstance(source, Source):
            yield source
