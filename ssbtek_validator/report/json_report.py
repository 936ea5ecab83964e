"""JSON output; its shape is documented in the README ("JSON report") and kept stable."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import MessageResult, RunResult

SCHEMA_VERSION = 1


def as_dict(result: RunResult, packs: dict[int, Pack], *, messages: bool = True) -> dict:
    """``messages=False``: the list is left empty, for a writer that has the messages' lines already."""
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
        "exchanges": [e.to_dict() for e in result.exchanges],
    }


#: json's C encoder; it is used only without ``indent``
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class MessageLines:
    """Each message's line of the report, encoded as its chunk of the batch arrives (``validate_batch``'s
    ``on_messages``). With ``--jobs`` the parent process waits while the workers validate; encoding then,
    instead of after the last chunk, takes most of a large report's cost off the serial end of the run.
    A message result is final when it leaves the engine (its configuration applied, its texts made safe),
    so the line encoded early is the line encoded late."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, messages: Iterable[MessageResult]) -> None:
        self.lines.extend(_line(message.to_dict()) for message in messages)


def _line(item: object) -> str:
    return "    " + _ENCODE(item)


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO, prepared: MessageLines | None = None) -> None:
    """The top level indented, each item of a list on a line of its own (one message per line: easy to read,
    to grep and to diff). Each line is made by json's C encoder: ``indent`` throughout would take its
    pure-Python encoder, which made the report of a 10,000-message batch cost 0.7 s instead of 0.2 s.
    ``prepared``: the messages' lines encoded during the run; used when there is one per message."""
    lines = prepared.lines if prepared is not None and len(prepared.lines) == len(result.messages) else None
    document = as_dict(result, packs, messages=lines is None)
    last = len(document) - 1
    stream.write("{\n")
    for index, (key, value) in enumerate(document.items()):
        items: Iterable[str] | None = lines if key == "messages" and lines is not None else None
        if items is None and isinstance(value, list) and value:
            items = (_line(item) for item in value)
        comma = "," if index < last else ""
        if not items:
            stream.write(f"  {_ENCODE(key)}: {_ENCODE(value)}{comma}\n")
            continue
        stream.write(f"  {_ENCODE(key)}: [\n")
        # line by line: one string of every line joined would double the report's size in memory
        for number, line in enumerate(items):
            stream.write(f",\n{line}" if number else line)
        stream.write(f"\n  ]{comma}\n")
    stream.write("}\n")
