"""Looking up a message's elements for the rules with fewer lxml calls than one ``child()`` per field.

``child(element, name)`` (:mod:`ssbtek_validator.reading.message`) sets up an lxml iterator with a tag
matcher for every step: ~0.45 µs each, the largest cost of the rules that read a handful of fields. Two
shortcuts, each giving what ``child`` gives (tests/rules/test_rule_shortcuts.py compares them on hostile
shapes): :func:`first_children` reads a small element's children in one pass (a tidsperiod's two dates:
~0.5 µs where two ``child`` calls cost ~1.2), and :func:`payload_child` remembers the blocks several rules
of one message look up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from ssbtek_validator.reading.message import child

if TYPE_CHECKING:
    from ssbtek_validator.rules.base import Context


def first_children(element: etree._Element | None) -> dict[str, etree._Element]:
    """Local name → the first child element of that local name, in any namespace (as ``child`` matches
    ``{*}name``); comments, processing instructions and entity references are no elements. Empty for None."""
    found: dict[str, etree._Element] = {}
    if element is None:
        return found
    for node in element:
        tag = node.tag
        if type(tag) is str:  # a comment's, PI's or entity's tag is a function
            found.setdefault(tag.rpartition("}")[2], node)  # a local name holds no "}"; a namespace URI may
    return found


_ABSENT = object()


def payload_child(context: Context, *names: str) -> etree._Element | None:
    """``child(context.message.payload, *names)``, remembered per message, with its first step.

    The rules of one message look up the same blocks again and again (a request's specifikaFrageparametrar
    by four rules, specifikaFrageparametrar/CSN by applies() and check(); an answer's svarsdata by three, the
    path to MIV's decisions by two), and each step of ``child`` sets up an lxml iterator (~0.45 µs). Here
    each path, and the payload block it starts in, is looked up once per message; the steps between are
    not remembered (no other rule shares them: remembering them cost more than it saved), but a path whose
    parent path a rule has looked up is one step from it (specifikaFrageparametrar/FK/fraga from
    specifikaFrageparametrar/FK). The memo lives in ``context.shared``, so it goes with the message."""
    memo = context.shared.get("payload-children")
    if memo is None:
        memo = context.shared["payload-children"] = {}
    found = memo.get(names, _ABSENT)
    if found is _ABSENT:
        if len(names) == 1:
            found = child(context.message.payload, names[0])
        else:
            parent = memo.get(names[:-1], _ABSENT)  # a rule looked up the block above already: one step from it
            if parent is not _ABSENT:
                found = child(parent, names[-1])
            else:
                found = child(payload_child(context, names[0]), *names[1:])
        memo[names] = found
    return found  # type: ignore[return-value]
