"""JSON output; its shape is documented in the README ("JSON report") and kept stable."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report import PreparedMessages
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


class MessageLines(PreparedMessages):
    """Each message's line of the JSON report, encoded as its chunk of the batch arrives (see PreparedMessages)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_message_line, ",\n")


def _line(item: object) -> str:
    return "    " + _ENCODE(item)


def _message_line(message: MessageResult) -> str:
    return _line(message.to_dict())


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO, prepared: MessageLines | None = None) -> None:
    """The top level indented, each item of a list on a line of its own (one message per line: easy to read,
    to grep and to diff). Each line is made by json's C encoder: ``indent`` throughout would take its
    pure-Python encoder, which made the report of a 10,000-message batch cost 0.7 s instead of 0.2 s.
    ``prepared``: the messages' lines encoded during the run; used when there is one per message. Messages
    and exchanges are encoded and written one at a time, never gathered (one string of every line joined
    would double the report's size in memory)."""
    lines = prepared if prepared is not None and prepared.covers(result) else None
    document = as_dict(result, packs, messages=False)
    streamed = {
        "messages": (_message_line(m) for m in result.messages) if result.messages else None,
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
