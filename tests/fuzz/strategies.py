"""Hostile input for the reader: raw bytes, and corpus messages broken in the ways real captures and
real attackers break them (truncation, byte flips, splices, DOCTYPE tricks, deep nesting,
re-encoding with honest or lying declarations).

The mutations are written once against a tiny :class:`Chooser` interface, so the same input space
is explored two ways: by Hypothesis in CI (``tests/attacks/test_hardening_fuzz.py``, which shrinks a
failure to its essence) and by a plain seeded random loop in the long run
(``tests/fuzz/run_long.py``, about twenty times as many inputs per minute).
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol, TypeVar

from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parent.parent.parent / "corpus"
T = TypeVar("T")

#: Fragments an attacker splices in: every way XML can reach outside the bytes it was given, and
#: the characters and encodings that trip parsers.
HOSTILE: tuple[bytes, ...] = (
    b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/x.dtd">',
    b'<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    b"&x;",
    b"&d;",
    b"&#0;",
    b"&#xD800;",
    b"&#10;::error::x",
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
    b'xsi:schemaLocation="urn:x http://127.0.0.1:9/x.xsd" ',
    b"<![CDATA[<a>]]>",
    b"<!-- -- -->",
    b"<?xml version='1.0'?>",
    b"<?pi data?>",
    b"\x00",
    b"\x1b[31m",
    b"\xe2\x80\xae",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3(",
    b"\xed\xa0\x80",
    b"<a>" * 300,
    b"</a>" * 3,
    b"xmlns:ssbt='http://schema.forsakringskassan.se/integration/ssbt/999'",
    b"191212121212",
    b"====",
    b"e30=",
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252")
DECLARED = ("UTF-8", "UTF-16", "ISO-8859-1", "windows-1252", "US-ASCII", "UTF-32", "EBCDIC-CP-US", "x-unknown", "")
KINDS = ("truncate", "flip", "insert", "delete", "duplicate", "hostile", "tag", "reencode", "strip", "base64", "har")
#: HAR captures that lie about their shape (the reader takes JSON with "log" as a capture)
HOSTILE_HAR: tuple[bytes, ...] = (
    b'{"log": {"entries": 5}}',
    b'{"log": []}',
    b'{"log": {"entries": [1, "x", null, [], {"request": 5, "response": "y"}]}}',
    b'{"log": {"entries": [{"request": {"postData": {"text": 5}}, "response": {"content": []}}]}}',
    b'{"log": {"entries": [{"request": {"postData": {"text": "\\ud800<a/>", "mimeType": 7}}}]}}',
    b'{"log": {"entries": [{"response": {"content": {"text": "!!!", "encoding": "base64"}}}]}}',
    b'{"log": {"entries": [' + b"[" * 5000 + b"]" * 5000 + b"]}}",
)
_DECLARATION = re.compile(rb"^<\?xml[^>]*\?>")
_BASE64_TEXT = re.compile(rb">([A-Za-z0-9+/=\s]{16,})<")


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int: ...
    def pick(self, options: Sequence[T]) -> T: ...
    def raw(self, most: int) -> bytes: ...


class RandomChooser:
    """Choices from a seeded :class:`random.Random`: reproducible from the seed alone."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def raw(self, most: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(1, most))


class DrawChooser:
    """Choices drawn by Hypothesis, so that a failure shrinks."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def pick(self, options: Sequence[T]) -> T:
        return options[self.draw(st.integers(0, len(options) - 1))]

    def raw(self, most: int) -> bytes:
        return self.draw(st.binary(min_size=1, max_size=most))


@cache
def corpus_messages() -> tuple[bytes, ...]:
    """Every corpus message and HAR capture: the inputs the reader takes."""
    paths = sorted(CORPUS.rglob("*.xml")) + sorted(CORPUS.rglob("*.har"))
    return tuple(path.read_bytes() for path in paths) + HOSTILE_HAR


def as_har(data: bytes, as_base64: bool, side: str) -> bytes:
    """``data`` as the request or answer body of a one-entry HAR capture."""
    text = base64.b64encode(data).decode() if as_base64 else data.decode("utf-8", errors="surrogateescape")
    body = {"text": text, "mimeType": "text/xml", **({"encoding": "base64"} if as_base64 else {})}
    entry = {"request": {"postData": body}} if side == "request" else {"response": {"content": body}}
    return json.dumps({"log": {"entries": [entry]}}, ensure_ascii=True).encode()


def mutate(data: bytes, choose: Chooser) -> bytes:
    """One structural mutation of ``data`` at a chosen position."""
    size = len(data)
    at = choose.integer(0, size)
    kind = choose.pick(KINDS)
    if kind == "truncate":
        return data[:at]
    if kind == "flip" and size:
        at = min(at, size - 1)
        return data[:at] + bytes([data[at] ^ choose.integer(1, 255)]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + choose.raw(16) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + choose.integer(1, 64) :]
    if kind == "duplicate":
        end = min(size, at + choose.integer(1, 256))
        return data[:end] + data[at:end] * choose.integer(1, 8) + data[end:]
    if kind == "hostile":
        return data[:at] + choose.pick(HOSTILE) + data[at:]
    if kind == "tag":  # splice at a markup boundary, where parsers take different branches
        starts = [m.start() for m in re.finditer(rb"<", data)] or [0]
        at = starts[choose.integer(0, len(starts) - 1)]
        return data[:at] + choose.pick(HOSTILE) + data[at:]
    if kind == "reencode":
        return reencoded(data, choose.pick(ENCODINGS), choose.pick(DECLARED))
    if kind == "strip":
        return _DECLARATION.sub(b"", data, count=1)
    if kind == "base64":  # break a nested payload, not the envelope: the decoders get their turn
        spans = [m.span(1) for m in _BASE64_TEXT.finditer(data)]
        if spans:
            start, end = spans[choose.integer(0, len(spans) - 1)]
            cut = choose.integer(start, end)
            return (
                data[:cut] + choose.pick((b"", b"!", b"=", b"A", b"e30=", b"WwoK")) + data[cut + choose.integer(0, 4) :]
            )
    return data


def reencoded(data: bytes, encoding: str, declared: str) -> bytes:
    """The message in another encoding, declaring ``declared`` (honestly or not; "" for no declaration)."""
    text = _DECLARATION.sub(b"", data, count=1).decode("utf-8", errors="replace")
    if declared:
        text = f'<?xml version="1.0" encoding="{declared}"?>' + text
    return text.encode(encoding, errors="replace")


def hostile(choose: Chooser) -> bytes:
    """Raw bytes (one in five), else a corpus message with one to four mutations."""
    if choose.integer(0, 4) == 0:
        return choose.raw(2048)
    data = choose.pick(corpus_messages())
    for _ in range(choose.integer(1, 4)):
        data = mutate(data, choose)
    return data


@st.composite
def hostile_inputs(draw: st.DrawFn) -> bytes:
    return hostile(DrawChooser(draw))
