"""JSON output; its shape is documented in the README ("JSON report") and kept stable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import partial
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


def write(
    result: RunResult,
    packs: dict[int, Pack],
    stream: TextIO,
    prepared: MessageLines | None = None,
    extra: Mapping[str, object] | None = None,
) -> None:
    """The report, written as :func:`write_document` lays a document out. ``prepared``: the messages' lines
    encoded during the run; used when there is one per message. Messages and exchanges are encoded and written
    one at a time, never gathered (one string of every line joined would double the report's size in memory).
    ``extra``: keys added after the report's own (a certification's ``certification``)."""
    lines = prepared if prepared is not None and prepared.covers(result) else None
    document = as_dict(result, packs, messages=False)
    document.update(extra or {})
    lists: dict[str, Callable[[TextIO], None]] = {}
    if result.messages:
        lists["messages"] = (
            lines.copy_to if lines is not None else partial(_put_lines, map(_message_line, result.messages))
        )
    if result.exchanges:
        lists["exchanges"] = partial(_put_lines, (_line(e.to_dict()) for e in result.exchanges))
    write_document(document, stream, lists)


def write_document(
    document: Mapping[str, object], stream: TextIO, lists: Mapping[str, Callable[[TextIO], None]] | None = None
) -> None:
    """A JSON object with its top level indented and each item of a list on a line of its own (one message per
    line: easy to read, to grep and to diff). Each line is made by json's C encoder: ``indent`` throughout would
    take its pure-Python encoder, which made the report of a 10,000-message batch cost 0.7 s instead of 0.2 s
    (and a certification's report and evidence over 5,000 messages 1.5 s). ``lists``: for a key, what writes its
    list's lines into the stream itself (a list not held whole: the run's messages), in place of its value."""
    lists = lists or {}
    last = len(document) - 1
    stream.write("{\n")
    for index, (key, value) in enumerate(document.items()):
        comma = "," if index < last else ""
        put = lists.get(key)
        if put is None and isinstance(value, list) and value:
            put = partial(_put_lines, map(_line, value))
        if put is None:
            stream.write(f"  {_ENCODE(key)}: {_ENCODE(value)}{comma}\n")
            continue
        stream.write(f"  {_ENCODE(key)}: [\n")
        put(stream)
        stream.write(f"\n  ]{comma}\n")
    stream.write("}\n")


def _put_lines(lines: Iterable[str], stream: TextIO) -> None:
    for number, line in enumerate(lines):
        stream.write(f",\n{line}" if number else line)
