"""JSON output; its shape is documented in the README ("JSON report") and kept stable."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import MessageResult, RunResult

SCHEMA_VERSION = 1


def as_dict(result: RunResult, packs: dict[int, Pack], *, messages: bool = True) -> dict:
    """``messages=False``: the messages and exchanges lists are left empty, for ``write``, which writes them
    one line at a time."""
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    return {
        "tool": {"name": "ssbtek-validator", "version": __version__},
        "report_version": SCHEMA_VERSION,
        "verdict": str(result.verdict),
        "exit_code": result.exit_code,
        "values": {"masked": not result.show_values, "notice": values_notice(result.show_values)},
        "summary": result.totals(),
        "packs": [pack.summary() for pack in packs.values() if pack.id in used],
        "run_findings": [f.to_dict() for f in result.run_findings],
        "messages": [m.to_dict() for m in result.messages] if messages else [],
        "exchange_summary": result.exchange_totals(),
        "exchanges": [e.to_dict() for e in result.exchanges] if messages else [],
    }


#: json's C encoder; it is used only without ``indent``
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class MessageLines:
    """Each message's line of the report, encoded as its chunk of the batch arrives (``validate_batch``'s
    ``on_messages``). With ``--jobs`` the parent process waits while the workers validate; encoding then,
    instead of after the last chunk, takes most of a large report's cost off the serial end of the run.
    A message result is final when it leaves the engine (its configuration applied, its texts made safe),
    so the line encoded early is the line encoded late.

    The lines go to an unnamed temporary file, not a list: held in memory they were the report's size
    again (40 MB for a capture of 3,600 messages with 100,000 findings)."""

    __slots__ = ("_file", "count")

    def __init__(self) -> None:
        self.count = 0
        self._file: IO[str] | None = None

    def add(self, messages: Iterable[MessageResult]) -> None:
        if self._file is None:
            import tempfile  # only a JSON report needs it (see report.outputs.write_atomically)

            # open across calls (one per chunk of the batch); unlinked at once, closed with this object
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
        for message in messages:
            self._file.write((",\n" if self.count else "") + _line(message.to_dict()))
            self.count += 1

    def copy_to(self, stream: TextIO) -> None:
        """The lines, joined by ",\\n", into ``stream``, a piece at a time."""
        if self._file is None:
            return
        self._file.seek(0)
        while piece := self._file.read(1 << 16):
            stream.write(piece)


def _line(item: object) -> str:
    return "    " + _ENCODE(item)


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO, prepared: MessageLines | None = None) -> None:
    """The top level indented, each item of a list on a line of its own (one message per line: easy to read,
    to grep and to diff). Each line is made by json's C encoder: ``indent`` throughout would take its
    pure-Python encoder, which made the report of a 10,000-message batch cost 0.7 s instead of 0.2 s.
    ``prepared``: the messages' lines encoded during the run; used when there is one per message. Messages
    and exchanges are encoded and written one at a time, never gathered (one string of every line joined
    would double the report's size in memory)."""
    lines = prepared if prepared is not None and prepared.count == len(result.messages) else None
    document = as_dict(result, packs, messages=False)
    streamed = {
        "messages": (_line(m.to_dict()) for m in result.messages) if result.messages else None,
        "exchanges": (_line(e.to_dict()) for e in result.exchanges) if result.exchanges else None,
    }
    last = len(document) - 1
    stream.write("{\n")
    for index, (key, value) in enumerate(document.items()):
        items: Iterable[str] | None = streamed.get(key)
        if items is None and isinstance(value, list) and value:
            items = (_line(item) for item in value)
        comma = "," if index < last else ""
        if items is None:
            stream.write(f"  {_ENCODE(key)}: {_ENCODE(value)}{comma}\n")
            continue
        stream.write(f"  {_ENCODE(key)}: [\n")
        if key == "messages" and lines is not None:
            lines.copy_to(stream)
        else:
            for number, line in enumerate(items):
                stream.write(f",\n{line}" if number else line)
        stream.write(f"\n  ]{comma}\n")
    stream.write("}\n")
