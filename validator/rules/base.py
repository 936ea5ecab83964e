"""The small protocol every rule follows, and the context it is given.

A rule is an object with an ``id``, documentation for ``rules`` / ``explain``, ``applies`` (does
it have anything to say about this message?) and ``check`` (yield findings). Rules never print and
never decide exit codes; the engine runs them, catches their failures and masks what they return.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol

from ..findings import Detection, Finding, Severity
from ..limits import Limits
from ..messages import Message
from ..packs import Pack


@dataclass(frozen=True, slots=True)
class Context:
    message: Message
    pack: Pack
    detection: Detection
    limits: Limits
    #: The date the message is judged at: frageTidpunkt, else --as-of, else today.
    message_date: date
    show_values: bool = False


class Rule(Protocol):
    id: ClassVar[str]
    severity: ClassVar[Severity]
    #: One line for ``ssbtek-validate rules``.
    summary: ClassVar[str]
    #: Versions this rule concerns, as text for the rule list ("all", "v10–v11", …).
    versions: ClassVar[str]

    def applies(self, context: Context) -> bool: ...

    def check(self, context: Context) -> Iterator[Finding]: ...
