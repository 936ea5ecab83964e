"""The small protocol every rule follows, and the context it is given.

A rule is an object with an ``id``, documentation for ``rules`` / ``explain``, ``applies`` (does
it have anything to say about this message?) and ``check`` (yield findings). Rules never print and
never decide exit codes; the engine runs them, catches their failures and masks what they return.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, NamedTuple, Protocol

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.reading.message import Message
from ssbtek_validator.reading.nested import Payload, extract
from ssbtek_validator.results.model import Detection, Finding, Severity


class Versions(NamedTuple):
    """The SSBTEK versions a rule concerns, as data: the engine does not run a rule on a message whose pack
    version it does not concern, and the rule list and docs print :attr:`label`. Contiguous: ``low`` to
    ``high`` inclusive, either open (``None``), which is every version SSBTEK has had so far for each rule."""

    low: int | None = None
    high: int | None = None

    @classmethod
    def of(cls, versions: range) -> Versions:
        """``Versions.of(range(6, 9))`` is v6–v8, like the ``range`` it is written as."""
        return cls(versions.start, versions.stop - 1)

    @classmethod
    def parse(cls, text: str) -> Versions:
        """The inverse of :attr:`label` ("all", "v6", "v6–v8", "v7–"), for ids documented as data."""
        if text == "all":
            return cls()
        low, dash, high = text.partition("–")
        try:
            first = int(low.removeprefix("v"))
            return cls(first, (int(high.removeprefix("v")) if high else None) if dash else first)
        except ValueError:
            raise ValueError(f"versions {text!r}: expected 'all', 'vN', 'vN–vM' or 'vN–'") from None

    def __contains__(self, version: object) -> bool:
        """A pack whose version is unknown (a bundle that does not name one) is left to the rule's applies()."""
        if not isinstance(version, int):
            return True
        return (self.low is None or version >= self.low) and (self.high is None or version <= self.high)

    @property
    def label(self) -> str:
        if self.low is None and self.high is None:
            return "all"
        if self.low == self.high:
            return f"v{self.low}"
        return f"v{self.low if self.low is not None else 1}–{f'v{self.high}' if self.high is not None else ''}"

    def __str__(self) -> str:
        return self.label


#: Every version: rules about the envelope, the XSD, identities that have not changed.
ALL_VERSIONS = Versions()


def concerns(rule: object, version: int | None) -> bool:
    """Does ``rule`` concern messages of SSBTEK ``version``? Its ``versions`` data decides (text such as
    "v6–v8" is read the same way, so a rule written before versions were data behaves alike)."""
    versions = getattr(rule, "versions", ALL_VERSIONS)
    return version in (versions if isinstance(versions, Versions) else Versions.parse(str(versions)))


def applies_by_kind(rule: object) -> bool:
    """Does ``rule.applies`` read only the pack and the message's operation and direction (and that it has
    a payload)? A rule says so with ``applies_by_kind = True``; the engine then asks it once per pack,
    operation and direction instead of once per message (run/driver.py). A rule that does not say so is
    asked per message. tests/run/test_per_message_work.py holds each such rule to it: its applies is given
    a context with nothing else in it."""
    return getattr(rule, "applies_by_kind", False) is True


#: slots: a Context is made for every message, and a 12-field dataclass with an instance dict cost ~0.85 µs to
#: make, ~0.4 with slots (warm, in-process)
@dataclass(slots=True)
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
    _decoded: dict[tuple[str, str], list[Payload]] | None = field(default=None, repr=False)

    def observe(self, key: str) -> None:
        self.observed.append(key)

    def payloads(self) -> list[Payload | Finding]:
        """Nested documents of this message, decoded once however many rules look at them."""
        if self._payloads is None:
            payload = self.message.payload
            self._payloads = (
                []
                if payload is None
                else extract(
                    payload,
                    self.pack.payloads,
                    self.pack.namespace,
                    self.message.direction,
                    self.limits,
                    self.message.name,
                    self.message.nodes,
                )
            )
        return self._payloads

    def decoded(self, agency: str, fmt: str) -> Sequence[Payload]:
        """The nested documents of one agency and format ("json", "xml") that decoded, in document order.

        Sorted out of :meth:`payloads` once per message for the rules that each want one kind (CSN, SKV twice,
        FK): a generator per rule filtering every payload cost ~0.3 µs more an answer (~0.55 a v11 answer with its
        five SKV parts), where a request, with one kind to read, pays ~0.1 µs for the index (warm, in-process)."""
        index = self._decoded
        if index is None:
            index = self._decoded = {}
            for item in self.payloads():
                if isinstance(item, Payload):
                    binding = item.binding
                    kind = (binding.agency, binding.format)
                    if kind in index:
                        index[kind].append(item)
                    else:
                        index[kind] = [item]
        return index.get((agency, fmt), ())


class Rule(Protocol):
    id: ClassVar[str]
    severity: ClassVar[Severity]
    #: One line for ``ssbtek-validate rules``.
    summary: ClassVar[str]
    #: The SSBTEK versions this rule concerns; the engine runs the rule only on messages of these versions.
    versions: ClassVar[Versions]
    # optional: ``applies_by_kind = True`` when applies reads only the pack, operation and direction
    # (see applies_by_kind)

    def applies(self, context: Context) -> bool: ...

    def check(self, context: Context) -> Iterator[Finding]: ...
