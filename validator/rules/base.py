"""The small protocol every rule follows, and the context it is given.

A rule is an object with an ``id``, documentation for ``rules`` / ``explain``, ``applies`` (does
it have anything to say about this message?) and ``check`` (yield findings). Rules never print and
never decide exit codes; the engine runs them, catches their failures and masks what they return.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Protocol

from ..findings import Detection, Finding, Severity
from ..limits import Limits
from ..messages import Message
from ..packs import Pack
from ..payloads import Payload, extract


@dataclass
class Context:
    message: Message
    pack: Pack
    detection: Detection
    limits: Limits
    #: The date the message is judged at: frageTidpunkt, else --as-of, else today.
    message_date: date
    show_values: bool = False
    _payloads: list[Payload | Finding] | None = field(default=None, repr=False)
    #: coverage facts (see MessageResult.observed); rules call observe()
    observed: list[str] = field(default_factory=list)
    #: where message_date came from ("frageTidpunkt", "--as-of", "today"), for messages that cite the date
    message_date_source: str = ""
    #: facts a family of rules derives once per message and shares (e.g. the LEFI Online version)
    shared: dict[str, object] = field(default_factory=dict, repr=False)
    #: identities a team's configuration accepts as its test persons (``test-persons``): SSBT-PERSONID
    #: leaves them alone, whatever their date or check digit
    test_persons: frozenset[str] = frozenset()

    def observe(self, key: str) -> None:
        self.observed.append(key)

    def payloads(self) -> list[Payload | Finding]:
        """Nested documents of this message, decoded once however many rules look at them."""
        if self._payloads is None:
            payload = self.message.payload
            self._payloads = (
                []
                if payload is None
                else list(
                    extract(
                        payload,
                        self.pack.payloads,
                        self.pack.namespace,
                        self.message.direction,
                        self.limits,
                        self.message.name,
                        self.message.nodes,
                    )
                )
            )
        return self._payloads


class Rule(Protocol):
    id: ClassVar[str]
    severity: ClassVar[Severity]
    #: One line for ``ssbtek-validate rules``.
    summary: ClassVar[str]
    #: Versions this rule concerns, as text for the rule list ("all", "v10–v11", …).
    versions: ClassVar[str]

    def applies(self, context: Context) -> bool: ...

    def check(self, context: Context) -> Iterator[Finding]: ...
