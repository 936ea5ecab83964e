"""Reporters: one module per output format, all reading the same :class:`RunResult`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from importlib import import_module
from typing import IO, TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.results.model import MessageResult, RunResult

Reporter = Callable[[RunResult, dict[int, Pack], TextIO], None]

#: format name → module of this package whose ``write`` writes it
_MODULES = {
    "text": "text",
    "json": "json_report",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "html": "html",
}


class _Reporters(Mapping[str, Reporter]):
    """Format name → reporter, each module imported when its format is first asked for.

    Why lazily: a run writes one or two formats, and importing all six (the HTML one alone is ~7 ms)
    is start-up time every run paid, a third of it before a single message was read.
    tests/run/test_cold_start.py checks that a one-message text run imports no other reporter."""

    def __getitem__(self, name: str) -> Reporter:
        return import_module(f"{__name__}.{_MODULES[name]}").write

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Reporter] = _Reporters()


def joined_pieces(render: Callable[[MessageResult], str], separator: str, messages: Iterable[MessageResult]) -> str:
    """A report's message pieces for a run of messages, joined by the report's separator: what PreparedMessages
    keeps of a chunk. Bound to its render and separator with functools.partial, it pickles: a --jobs worker
    makes them for the messages it validated (run/executor.py validate_batch's ``pieces``)."""
    return separator.join([render(message) for message in messages])


class PreparedMessages:
    """A report's message part, made while the batch runs instead of after its last message.

    With ``--jobs`` the main process mostly waits while the workers validate; whatever it does after the last
    chunk arrives is serial time no worker can share (the text report of 15,000 messages: ~50 ms of a 3.4 s
    run). A report whose message part is one piece of text per message in input order (JSON: a line per
    message; text: a message's finding lines and its verdict line) has each chunk's pieces made where the chunk
    was validated (``validate_batch``'s ``pieces``: a --jobs worker), takes them as chunks arrive (its
    ``on_pieces``) and copies them into the report at the end. A message result is final when its chunk's pieces
    are made (configuration applied, texts made safe; a chunk the run's findings bound changes afterwards has
    its pieces made again), so the piece made early is the piece made late; a reporter uses the pieces only
    when there is one per message of the run (``covers``), else it renders the messages itself.

    ``render`` makes one message's piece; ``separator`` goes between two pieces (JSON's ``",\\n"``); ``pieces``
    makes a chunk's joined, where its messages were validated (``add_joined`` takes them). Past
    ``SPILL`` characters the pieces go to an unnamed temporary file: held in memory they were the report's
    size again (40 MB of JSON for a capture of 3,600 messages with 100,000 findings). Below it they stay in
    memory, so a small run never imports tempfile (tests/run/test_cold_start.py)."""

    #: characters held in memory before the pieces move to a temporary file
    SPILL = 1 << 22

    __slots__ = ("_file", "_held", "_separator", "_size", "count", "pieces")

    def __init__(self, render: Callable[[MessageResult], str], separator: str = "") -> None:
        self.pieces = partial(joined_pieces, render, separator)
        self._separator = separator
        self.count = 0
        self._held: list[str] = []
        self._size = 0
        self._file: IO[str] | None = None

    def add(self, messages: list[MessageResult]) -> None:
        self.add_joined(self.pieces(messages), len(messages))

    def add_joined(self, joined: str, count: int) -> None:
        """The pieces of the next ``count`` messages, joined (what ``pieces`` made of them)."""
        if not count:
            return
        text = (self._separator if self.count else "") + joined
        self.count += count
        if self._file is None and self._size + len(text) <= self.SPILL:
            self._held.append(text)
            self._size += len(text)
            return
        if self._file is None:
            import tempfile  # only a large report needs it (see report.outputs.write_atomically)

            # open across calls (one per chunk of the batch); unlinked at once, closed with this object
            self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
            self._file.writelines(self._held)
            self._held = []
        self._file.write(text)

    def covers(self, result: RunResult) -> bool:
        """Whether these are the pieces of every message of ``result`` (else the reporter renders them)."""
        return self.count == len(result.messages)

    def copy_to(self, stream: TextIO) -> None:
        """The pieces, joined by the separator, into ``stream``, a part at a time."""
        if self._file is None:
            for part in self._held:  # write() only: that is all a report's stream must have
                stream.write(part)
            return
        self._file.seek(0)
        while part := self._file.read(1 << 16):
            stream.write(part)


def write_messages(
    stream: TextIO, result: RunResult, prepared: PreparedMessages | None, render: Callable[[MessageResult], str]
) -> None:
    """The message part of a report: the pieces made during the run when they are one per message of
    ``result``, else each message rendered now (a library call, a run without ``on_pieces``)."""
    if prepared is not None and prepared.covers(result):
        prepared.copy_to(stream)
        return
    for message in result.messages:
        stream.write(render(message))


__all__ = ["REPORTERS", "PreparedMessages", "Reporter", "joined_pieces", "write_messages"]
