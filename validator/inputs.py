"""Turn command-line arguments into a list of sources, reading each safely.

Every argument yields at least one :class:`Source`, readable or not, so that nothing given to the
tool can silently vanish from the report.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .limits import DEFAULT_LIMITS, Limits

#: Files picked up when walking a directory. Files named explicitly are always read.
DEFAULT_INCLUDE = ("*.xml", "*.soap", "*.msg", "*.har")


@dataclass(frozen=True, slots=True)
class Source:
    """One input. ``data`` is None when it could not be read; ``problem`` then says why."""

    name: str
    data: bytes | None
    problem: str | None = None
    #: "read" for an I/O failure, "limit" when a size limit stopped us.
    problem_kind: str | None = None


def read_limited(stream: BinaryIO, name: str, limits: Limits) -> Source:
    data = stream.read(limits.max_message_bytes + 1)
    if len(data) > limits.max_message_bytes:
        return Source(
            name,
            None,
            f"larger than the message size limit of {limits.max_message_bytes} bytes "
            "(raise it with --max-message-bytes)",
            "limit",
        )
    return Source(name, data)


def read_file(path: str | Path, limits: Limits = DEFAULT_LIMITS) -> Source:
    name = str(path)
    try:
        with open(path, "rb") as stream:
            return read_limited(stream, name, limits)
    except OSError as exc:
        return Source(name, None, f"cannot read: {exc.strerror or exc}", "read")


def walk(directory: str, matches: Callable[[str], bool]) -> Iterator[str | Source]:
    """Yield matching file paths in a stable order; unreadable folders become sources with a problem.

    Symlinked directories are not followed, so a symlink loop cannot trap the walk. Hidden entries
    (``.git``, editor files) are skipped.
    """
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield Source(directory, None, f"cannot list: {exc.strerror or exc}", "read")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from walk(entry.path, matches)
        elif matches(entry.name):
            yield entry.path


def matcher(include: tuple[str, ...]) -> Callable[[str], bool]:
    pattern = re.compile("|".join(fnmatch.translate(glob) for glob in include))
    return lambda name: pattern.match(name) is not None


def iter_sources(
    arguments: Iterable[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    include: tuple[str, ...] = DEFAULT_INCLUDE,
    stdin: BinaryIO | None = None,
) -> Iterator[Source]:
    for argument in arguments:
        if str(argument) == "-":
            yield read_limited(stdin or sys.stdin.buffer, "<stdin>", limits)
            continue
        path = Path(argument)
        if path.is_dir():
            found = False
            for item in walk(str(path), matcher(include)):
                found = True
                yield item if isinstance(item, Source) else read_file(item, limits)
            if not found:
                yield Source(str(path), None, f"no files matching {', '.join(include)} in this folder", "read")
        elif path.exists() or path.is_symlink():
            yield read_file(path, limits)
        else:
            yield Source(str(path), None, "no such file or directory", "read")
