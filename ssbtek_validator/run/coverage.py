"""What a message exercised, as plain keys for certification coverage (``MessageResult.observed``).

A certification reviewer asks "did the vendor's captures show every agency answering with data, and
with an error?" The answer has to come from the messages themselves, so the engine records it here,
once per message, whatever the rules say about the message. Keys never hold personal data: only
agency codes and fixed words.

Keys written here:

- ``request:AGENCY:included``   a question with ``inkludera="true"`` for the agency
- ``agency:AGENCY:data``        an answer with ``data`` for the agency (in v11 SKV: any part with data)
- ``agency:AGENCY:error``       an answer with ``error`` for the agency (or for one of its parts)
- ``ping:AGENCY:called`` / ``ping:AGENCY:not-called`` / ``ping:AGENCY:error``   the ping answer's states

Code-list keys (``code:LIST:CODE``) are written by the code-list rules, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from ssbtek_validator.reading.message import Message, boolean, child, text_of
from ssbtek_validator.rules.request import included

HAMTA = "hamtaBastjanstInformation"
TESTA = "testaBastjanstInformation"


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else None


def _children(element: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    for element_child in element:
        name = _local(element_child)
        if name is not None:
            yield name, element_child


def observe(message: Message, agencies: Iterable[str]) -> list[str]:
    """Coverage keys for one parsed message; empty when it has no SSBTEK payload or is a fault."""
    payload = message.payload
    if payload is None or message.direction not in ("request", "answer"):
        return []
    known = frozenset(agencies)
    if message.direction == "request":
        return _request(payload, known)
    if message.operation == HAMTA:
        return _answer(payload, known)
    if message.operation == TESTA:
        return _ping_answer(payload, known)
    return []


def _request(payload: etree._Element, agencies: frozenset[str]) -> list[str]:
    block = child(payload, "specifikaFrageparametrar")
    if block is None:
        return []
    return [
        f"request:{agency}:included" for agency, inner in _children(block) if agency in agencies and included(inner)
    ]


def _answer(payload: etree._Element, agencies: frozenset[str]) -> list[str]:
    svarsdata = child(payload, "svarsdata")
    if svarsdata is None:
        return []
    keys: list[str] = []
    for agency, block in _children(svarsdata):
        if agency not in agencies:
            continue
        seen = set()
        for part_name, part in _children(block):
            if part_name in ("data", "error"):
                seen.add(part_name)
            else:  # v11 SKV: one block per part, each with its own data or error
                seen.update(inner for inner, _ in _children(part) if inner in ("data", "error"))
        keys.extend(f"agency:{agency}:{kind}" for kind in ("data", "error") if kind in seen)
    return keys


def _ping_answer(payload: etree._Element, agencies: frozenset[str]) -> list[str]:
    keys = []
    for agency, block in _children(payload):
        if agency not in agencies:
            continue
        for name, state in _children(block):
            if name == "anropad":
                called = boolean(text_of(state)) is True
                keys.append(f"ping:{agency}:{'called' if called else 'not-called'}")
            elif name == "error":
                keys.append(f"ping:{agency}:error")
    return keys
