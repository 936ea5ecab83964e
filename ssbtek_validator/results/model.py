"""The one result model every reporter and the library API share.

A run produces a :class:`RunResult`, one :class:`MessageResult` per input, each holding
:class:`Finding` objects. Reporters never look at parsed XML: whatever they show must be here,
already masked, so that no output path can leak what the model does not carry.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

#: Exit codes by class, never counts: what every command (and a CI reading it) relies on.
EXIT_CONFORMS = 0
EXIT_NONCONFORMANT = 1
EXIT_USAGE = 2  # a bad option, an unknown pack, a bundle or configuration that cannot be used
EXIT_INCOMPLETE = 3  # nothing was judged wrong, but the run could not check everything


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Verdict(StrEnum):
    """Per message and per run; ordered by how bad it is for the exit code."""

    CONFORMS = "conforms"
    NONCONFORMANT = "nonconformant"
    INCOMPLETE = "incomplete"


#: a run's exit code by its verdict
EXIT_CODES = {
    Verdict.CONFORMS: EXIT_CONFORMS,
    Verdict.NONCONFORMANT: EXIT_NONCONFORMANT,
    Verdict.INCOMPLETE: EXIT_INCOMPLETE,
}


#: The registry's data about the ids the engine raises (ssbtek_validator/rules/catalog.py reads it in full). Read
#: here directly and once, so that this module, which everything imports, needs nothing of the rules package.
ENGINE_FINDINGS = Path(__file__).resolve().parent.parent / "rules" / "engine_findings.toml"


@cache
def engine_findings() -> tuple[dict[str, Any], ...]:
    """The ``[[finding]]`` entries of engine_findings.toml, parsed once per process."""
    return tuple(tomllib.loads(ENGINE_FINDINGS.read_text(encoding="utf-8"))["finding"])


@cache
def flagged(flag: str) -> frozenset[str]:
    """The ids whose entry in engine_findings.toml sets ``flag`` (``not_checked``, ``unconfigurable``, …)."""
    return frozenset(item["id"] for item in engine_findings() if item.get(flag))


def incomplete_rules() -> frozenset[str]:
    """Rules whose findings mean the message could not be fully checked (exit 3), not that it is wrong."""
    return flagged("not_checked")


def reader_rules() -> frozenset[str]:
    """What the reader says when the input is not a readable, well-formed, DTD-free XML message (an empty file,
    bytes that are not their encoding, broken XML, a DOCTYPE: billion laughs and XXE end here). Such input
    never conforms, whatever the configuration: these can be neither disabled, lowered nor suppressed."""
    return flagged("unconfigurable")


#: ``INCOMPLETE_RULES`` and ``READER_RULES`` as module constants, computed on first access (PEP 562): every
#: process imports this module, and parsing engine_findings.toml at import cost a few ms of each cold start
#: that a message without findings never needs (tests/run/test_cold_start.py checks the file is not read then).
_LAZY = {"INCOMPLETE_RULES": incomplete_rules, "READER_RULES": reader_rules}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return _LAZY[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class Finding:
    """``line`` and ``column`` are always a place in ``file``, the message (for a message read out of a capture:
    its body, which its :class:`Origin` maps into the capture).

    ``capture_line``: the capture's line a finding is about when that line is in no message body at all: the
    HTTP head of a raw HTTP capture (a request line, a status line, a SOAPAction or Content-Type field). It is
    the finding's, not the Origin's: one message's head findings lie on different lines (a missing SOAPAction on
    the request line, a wrong Content-Type on its own field), and the Origin is one per message. It is a line of
    the capture itself, not of the body, so ``line`` stays None there and keeps its one meaning; the reporters
    ask :meth:`Origin.locate` for both. None everywhere else (a file, a HAR capture's JSON, the proxy)."""

    rule: str
    severity: Severity
    message: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    path: str = ""
    value: str | None = None
    capture_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        # spelled out: dataclasses.asdict deep-copies every field and was most of a JSON report's time
        found = {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "value": self.value,
        }
        if self.capture_line is not None:  # only where there is one: every other finding's JSON is as it was
            found["capture_line"] = self.capture_line
        return found

    def evolve(self, **changes: Any) -> Finding:
        return replace(self, **changes)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickled with the severity as its text: ``--jobs`` sends every finding from a worker to the
        parent, whose unpickling is serial work, and unpickling the enum member (a call through
        ``EnumType.__call__``) was half of it."""
        return _finding, (
            self.rule,
            self.severity.value,
            self.message,
            self.file,
            self.line,
            self.column,
            self.path,
            self.value,
            self.capture_line,
        )


_SEVERITIES = {severity.value: severity for severity in Severity}


def _finding(rule: str, severity: str, *rest: Any) -> Finding:
    return Finding(rule, _SEVERITIES[severity], *rest)


_T = TypeVar("_T")
#: equal immutable values pickled again and again, one object each (see shared)
_SHARED: dict[Any, Any] = {}
#: distinct values kept at most: a batch has a few detections and a few hundred dates
_MOST_SHARED = 4096


def shared(value: _T) -> _T:
    """One object for all equal ``value``s (a frozen Detection, a date's text), so that pickling a chunk of
    results writes each once: pickle's memo finds repeats by identity, and each message's result had its own
    equal Detection and date string. A --jobs worker then writes ~12% fewer bytes per conforming message and
    the parent, whose unpickling is serial work, builds a detection once per chunk instead of once per message
    (its loads: ~3.5 → ~2.4 µs per message). Only for immutable values: the parent's messages share them."""
    if value is None:
        return value
    one = _SHARED.setdefault(value, value)
    if len(_SHARED) > _MOST_SHARED:
        _SHARED.clear()
    return one


@dataclass(frozen=True, slots=True)
class Detection:
    """What the message is, and why we think so (shown in every report)."""

    version: int | None = None
    pack_id: str | None = None
    pack_status: str | None = None
    operation: str | None = None
    direction: str | None = None
    reason: str = ""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # the constructor with positional fields: cheaper to unpickle than dataclass's generic __setstate__
        return Detection, (self.version, self.pack_id, self.pack_status, self.operation, self.direction, self.reason)


class _Judged:
    """A message or an exchange: its verdict follows from its findings alone."""

    __slots__ = ()
    findings: list[Finding]

    @property
    def verdict(self) -> Verdict:
        # one pass: a report asks every message for its verdict several times (summary, exit code, lines);
        # the "not checked" ids are looked up once per pass, not once per finding (~0.15 µs each, five
        # passes per message of a text report), and not at all for a message without findings
        verdict = Verdict.CONFORMS
        if not self.findings:
            return verdict
        incomplete = incomplete_rules()
        for finding in self.findings:
            if finding.rule in incomplete:
                return Verdict.INCOMPLETE
            if finding.severity is Severity.ERROR:
                verdict = Verdict.NONCONFORMANT
        return verdict

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity) + self._not_kept(severity)

    def _not_kept(self, severity: Severity) -> int:
        return 0


class Origin(NamedTuple):
    """Where a message read out of a capture (a HAR file, a raw HTTP capture) lies in it: a CI annotation or a
    SARIF result must name a file the checkout has, and ``capture.http#1 request`` is none.

    ``line``: the capture's line its body starts on, when the body is the capture's bytes as written; a
    finding's line in the body then maps to ``line + finding.line - 1``. None where the body was rebuilt
    (chunked, compressed, MTOM parts) or lies in JSON (a HAR capture): the capture is then named without a line.
    The head's lines are not here: they differ from one finding to the next (see Finding.capture_line).
    A NamedTuple, not a dataclass: it is on every run's import path (see tests/run/test_cold_start.py).
    """

    file: str
    line: int | None = None

    def place(self, line: int | None) -> int | None:
        """The capture's line for a line of the body (None when there is no telling)."""
        return self.line + line - 1 if self.line is not None and line else None

    def locate(self, finding: Finding) -> tuple[int | None, int | None]:
        """(line, column) of a finding of this message in the capture, (None, None) when there is no telling.
        A finding about the HTTP head has its capture line already (Finding.capture_line), whatever became of
        the body: a chunked, compressed or MTOM body is rebuilt, its head is still the capture's text."""
        if finding.capture_line is not None:
            return finding.capture_line, None
        line = self.place(finding.line)
        return line, finding.column if line else None


@dataclass(slots=True)
class MessageResult(_Judged):
    file: str
    detection: Detection = field(default_factory=Detection)
    findings: list[Finding] = field(default_factory=list)
    #: Which date the date-dependent rules used and where it came from ("frageTidpunkt", "--as-of", "today").
    message_date: str | None = None
    message_date_source: str | None = None
    rules_run: list[str] = field(default_factory=list)
    #: What the message exercised, for certification coverage: "agency:FK:data", "agency:CSN:error",
    #: "code:<list>:<code>", … Rules add to it; it never contains personal data.
    observed: list[str] = field(default_factory=list)
    #: findings hidden by the configuration's suppression baseline (ssbtek_validator/run/config.py)
    suppressed: int = 0
    #: findings counted but not kept, by severity, once the run held ``max_run_findings`` (see leave_out)
    not_kept: dict[str, int] = field(default_factory=dict)
    #: the capture the message was read out of (None for a file of its own)
    origin: Origin | None = None

    def _not_kept(self, severity: Severity) -> int:
        return self.not_kept.get(severity.value, 0)

    def leave_out(self) -> int:
        """Drop this message's findings but the one that decides its verdict, counting the rest by severity.

        Its verdict, and so the exit code, stays what the whole list gave: the first "not checked"
        finding, else the first error, else the first warning (``--strict``) is kept. Returns how many
        were dropped.
        """
        rank = {Severity.ERROR: 1, Severity.WARNING: 2}
        kept = min(
            self.findings,
            key=lambda f: 0 if f.rule in incomplete_rules() else rank.get(f.severity, 3),
            default=None,
        )
        dropped = [f for f in self.findings if f is not kept]
        for finding in dropped:
            self.not_kept[finding.severity.value] = self.not_kept.get(finding.severity.value, 0) + 1
        self.findings = [kept] if kept is not None and kept.severity is not Severity.INFO else []
        if kept is not None and not self.findings:
            self.not_kept[kept.severity.value] = self.not_kept.get(kept.severity.value, 0) + 1
            return len(dropped) + 1
        return len(dropped)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # as Detection's: --jobs pickles one per message; the detection and the date as shared objects
        return MessageResult, (
            self.file,
            shared(self.detection),
            self.findings,
            shared(self.message_date),
            self.message_date_source,
            self.rules_run,
            self.observed,
            self.suppressed,
            self.not_kept,
            self.origin,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "verdict": str(self.verdict),
            "version": self.detection.version,
            "pack": self.detection.pack_id,
            "pack_status": self.detection.pack_status,
            "operation": self.detection.operation,
            "direction": self.detection.direction,
            "detection_reason": self.detection.reason,
            "message_date": self.message_date,
            "message_date_source": self.message_date_source,
            "rules_run": list(self.rules_run),
            "observed": sorted(set(self.observed)),
            "findings": [f.to_dict() for f in self.findings],
            "suppressed": self.suppressed,
            "findings_not_kept": sum(self.not_kept.values()),
            **_origin_dict(self.origin),
        }


@dataclass(slots=True)
class ExchangeResult(_Judged):
    """A request and its answer judged together: one verdict per exchange, beside each message's own.

    ``request`` and ``answer`` name the MessageResult files (None when that side is missing); the
    findings here are only about how the two relate (echoes, agencies, namespace).
    """

    name: str
    request: str | None = None
    answer: str | None = None
    #: how the two were paired: "har", "http" (a raw HTTP capture), "files", "korrelationsid"
    paired_by: str = ""
    findings: list[Finding] = field(default_factory=list)
    rules_run: list[str] = field(default_factory=list)
    #: the capture the exchange was read out of (None for files or a folder paired by korrelationsid)
    origin: Origin | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": str(self.verdict),
            "request": self.request,
            "answer": self.answer,
            "paired_by": self.paired_by,
            "rules_run": list(self.rules_run),
            "findings": [f.to_dict() for f in self.findings],
            **_origin_dict(self.origin),
        }


def _origin_dict(origin: Origin | None) -> dict[str, Any]:
    """A report's ``capture`` key, only for what was read out of a capture (a file's report is unchanged)."""
    return {} if origin is None else {"capture": {"file": origin.file, "body_line": origin.line}}


@dataclass(slots=True)
class RunResult:
    messages: list[MessageResult] = field(default_factory=list)
    #: Findings about the run itself (configuration, schema bundles), not tied to one message.
    run_findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    #: whether findings carry unmasked values (--show-values), so a report can say which it shows
    show_values: bool = False
    #: Request/answer pairs judged together (HAR captures, `pair`, `--pairs`); empty otherwise.
    exchanges: list[ExchangeResult] = field(default_factory=list)
    #: findings kept so far, and counted but not kept, under ``max_run_findings`` (see bound_findings)
    findings_kept: int = 0
    findings_not_kept: int = 0
    #: how many of ``messages`` bound_findings has counted
    bounded: int = 0

    def bound_findings(self, most: int) -> None:
        """Keep at most ``most`` message findings in memory over the whole run.

        Called as messages are added: a message that would take the run past ``most`` keeps only the
        finding that decides its verdict (MessageResult.leave_out). A run of thousands of nonconformant
        messages otherwise held every finding (545,000 of them: 621 MB) until the report was written.
        """
        for message in self.messages[self.bounded :]:
            if message.findings:  # most messages have none: nothing to count or leave out
                if self.findings_kept + len(message.findings) > most:
                    self.findings_not_kept += message.leave_out()
                self.findings_kept += len(message.findings)
        self.bounded = len(self.messages)

    @property
    def verdict(self) -> Verdict:
        # only what holds findings can be other than conforming (_Judged.verdict), and only the other two
        # verdicts are looked for: a conforming message is not asked (see _tally)
        verdicts = {m.verdict for m in self.messages if m.findings} | {e.verdict for e in self.exchanges if e.findings}
        # an info about the run (findings counted, not kept) says nothing was left unchecked
        incomplete = any(f.severity is not Severity.INFO and f.rule in incomplete_rules() for f in self.run_findings)
        if Verdict.INCOMPLETE in verdicts or incomplete:
            return Verdict.INCOMPLETE
        if Verdict.NONCONFORMANT in verdicts:
            return Verdict.NONCONFORMANT
        if self.strict and any(m.count(Severity.WARNING) for m in [*self.messages, *self.exchanges]):
            return Verdict.NONCONFORMANT
        if self.strict and any(f.severity is Severity.WARNING for f in self.run_findings):
            return Verdict.NONCONFORMANT  # e.g. an expired suppression
        return Verdict.CONFORMS

    @property
    def exit_code(self) -> int:
        """Exit codes by class, never counts (see README)."""
        return EXIT_CODES[self.verdict]

    def totals(self) -> dict[str, int]:
        return {"messages": len(self.messages), **_tally(self.messages)}

    def exchange_totals(self) -> dict[str, int]:
        tally = _tally(self.exchanges)
        del tally["infos"]
        return {"exchanges": len(self.exchanges), **tally}


def _tally(judged: list[MessageResult] | list[ExchangeResult]) -> dict[str, int]:
    """Verdicts and finding severities counted over every message (each report asks for them once).

    Only messages that hold findings, or counted some without keeping them, are looked into: asking each of
    15,000 conforming messages for its not-kept count of every severity was half of this (~15 ms of a text
    report written after the last message of a batch). A message without findings conforms (its verdict is
    read from its findings alone), so it is counted without being asked: asking each of them for its verdict
    was ~6 ms of the same report, written in series after the last message (RunResult.verdict does the same,
    ~3 ms each of the two times a report asks). tests/results/test_tally.py holds both to the plain counts."""
    found = [item for item in judged if item.findings]
    verdicts = Counter(item.verdict for item in found)
    verdicts[Verdict.CONFORMS] += len(judged) - len(found)
    severities = Counter(finding.severity for item in found for finding in item.findings)
    for item in judged:  # counted, not kept (RunResult.bound_findings)
        not_kept = getattr(item, "not_kept", None)
        if not_kept:
            for severity in Severity:
                severities[severity] += not_kept.get(severity.value, 0)
    return {
        "conforms": verdicts[Verdict.CONFORMS],
        "nonconformant": verdicts[Verdict.NONCONFORMANT],
        "incomplete": verdicts[Verdict.INCOMPLETE],
        "errors": severities[Severity.ERROR],
        "warnings": severities[Severity.WARNING],
        "infos": severities[Severity.INFO],
    }
