"""Turn command-line arguments into a list of sources, reading each safely.

Every argument yields at least one :class:`Source`, readable or not, so that nothing given to the
tool can silently vanish from the report.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .limits import DEFAULT_LIMITS, Limits

#: Files picked up when walking a directory. Files named explicitly are always read.
DEFAULT_INCLUDE = ("*.xml", "*.soap", "*.msg")


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


def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Source:
    name = str(path)
    try:
        with path.open("rb") as stream:
            return read_limited(stream, name, limits)
    except OSError as exc:
        return Source(name, None, f"cannot read: {exc.strerror or exc}", "read")


def walk(directory: Path, include: tuple[str, ...]) -> Iterator[Path | Source]:
    """Yield matching files in a stable order; unreadable folders become sources with a problem.

    Symlinked directories are not followed, so a symlink loop cannot trap the walk.
    """

    def on_error(exc: OSError) -> None:
        errors.append(Source(str(exc.filename or directory), None, f"cannot list: {exc.strerror}", "read"))

    errors: list[Source] = []
    for root, dirs, files in os.walk(directory, onerror=on_error):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not any(fnmatch.fnmatch(name, pattern) for pattern in include):
                continue
            yield Path(root) / name
    yield from errors


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
            for item in walk(path, include):
                found = True
                yield item if isinstance(item, Source) else read_file(item, limits)
            if not found:
                yield Source(str(path), None, f"no files matching {', '.join(include)} in this folder", "read")
        elif path.exists() or path.is_symlink():
            yield read_file(path, limits)
        else:
            yield Source(str(path), None, "no such file or directory", "read")
