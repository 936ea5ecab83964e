"""How CI formats name a file: relative to the working directory when it lies below it.

GitHub and GitLab resolve report paths against the checkout, and a pipeline runs the tool from the
checkout's root, so a relative path is what makes their links and annotations land on the file.
Only the name is looked at; reporters never open inputs.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from ssbtek_validator.results.model import Finding, Origin


def is_real_file(name: str) -> bool:
    """Inputs such as ``<stdin>`` or ``<bytes>`` have no file to point at."""
    return bool(name) and not (name.startswith("<") and name.endswith(">"))


def display_path(name: str) -> str:
    """A forward-slash path relative to the working directory, or the absolute path if outside it."""
    if not is_real_file(name):
        return name
    path = Path(name)
    absolute = path if path.is_absolute() else Path.cwd() / path
    try:
        relative = Path(os.path.normpath(absolute)).relative_to(Path.cwd())
    except ValueError:
        return Path(os.path.normpath(absolute)).as_posix()
    return PurePosixPath(*relative.parts).as_posix() if relative.parts else "."


def file_uri(name: str) -> str:
    """A URI reference for SARIF: relative (against the checkout) when possible, else ``file://``."""
    shown = display_path(name)
    if shown.startswith("/"):
        return "file://" + quote(shown)
    return quote(shown)


def place(finding: Finding, origin: Origin | None) -> tuple[str, int | None, int | None]:
    """(file, line, column) a CI format points a finding at. A message read out of a capture is named
    ``capture.http#1 request``, which no checkout holds: its findings point into the capture, at the line their
    body line maps to (its column is the same: a body starts a line), at the head's line a finding about the
    HTTP head is on, or at the capture alone when there is no telling (a rebuilt body, a HAR capture). The
    finding's own text keeps the message's name."""
    if origin is None or not finding.file:
        return finding.file, finding.line, finding.column
    line, column = origin.locate(finding)
    return origin.file, line, column
