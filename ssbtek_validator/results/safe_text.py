"""Make every text a finding carries safe to print: one line, no control characters, no identities.

Findings quote hostile input (namespace URIs, element names, file names, libxml2 messages that
quote the document). A newline there could forge a report line (a CI log line starting with ``::``
is a GitHub workflow command), an ANSI escape could repaint a terminal, a bidi override could make
a line read differently than it is. This is applied once, in the engine, to what every reporter
shows, so no reporter has to remember it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from ssbtek_validator.results.masking import (
    looks_public,
    mask,
    mask_entity_names,
    mask_identities,
    masks_its_values,
)
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, Origin, RunResult

if TYPE_CHECKING:  # built by the run from the message's own values (run/secrets.py)
    from ssbtek_validator.run.secrets import Secrets


def one_line(text: str) -> str:
    """Escape what is not printable (``\\n``, ``\\x1b``, ``\\u202e``…) so the text stays on one visible line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char) or (
        f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    )


def line_start(name: str) -> str:
    """A name that begins a report line: one starting with ``::`` gets ``./`` in front (the same relative
    path), so a file named ``::error file=…::x.xml`` cannot become a GitHub workflow command in a CI log."""
    return "./" + name if name.lstrip().startswith("::") else name


def safe_name(text: str, show_values: bool) -> str:
    """A name (a file, an input path) as every output may show it: one line, identities masked."""
    return _clean(text, show_values)


def _cleaned(text: str, show_values: bool) -> str:
    """One printable line, identities masked unless ``show_values``."""
    text = one_line(text)
    return text if show_values else mask_entity_names(mask_identities(text))


#: :func:`_cleaned`, cached: a batch repeats the same reasons, paths and messages thousands of times
_clean = lru_cache(maxsize=8192)(_cleaned)


def _untaint(text: str, secrets: Secrets | None) -> str:
    return secrets.sub(text) if secrets is not None and text else text


def safe_finding(finding: Finding, show_values: bool, secrets: Secrets | None = None) -> Finding:
    """Values are masked by the rules, which know the field; this guards the free text around them.
    ``secrets``: the message's personal-looking values (``secrets_pattern``), masked wherever they appear."""
    value = finding.value
    message = _untaint(_clean(finding.message, show_values), secrets)
    file = _clean(finding.file, show_values)
    path = _clean(finding.path, show_values)  # element names and positions: structure, not values
    shown = _untaint(_clean(value, show_values), secrets) if value is not None else None
    if message == finding.message and file == finding.file and path == finding.path and shown == value:
        return finding  # the common case: nothing to change, no copy
    return replace(finding, message=message, file=file, path=path, value=shown)


def _searched(finding: Finding) -> bool:
    """A finding whose text may quote a value of the message unmasked: one our rules did not write whole."""
    return not masks_its_values(finding.rule, finding.message)


def _reason_searched(result: MessageResult) -> bool:
    """The detection's reason quotes the message's namespace: searched when it names no pack (a foreign one,
    whose words may name a person); a pack's namespace is ours."""
    return bool(result.detection.reason) and not result.detection.pack_id


def quotable_text(result: MessageResult) -> str:
    """Every text of ``result`` that :func:`safe_result` masks a message's values in, as it will be masked
    (cleaned, masked output), joined: a value that occurs in none of them cannot be quoted, and the run
    need not look for it (``secrets_pattern``'s ``within``); "" when there is none, and the run reads no value.
    ``_clean`` is cached, so the second cleaning in safe_result costs a lookup.

    Asked of every message with findings, nearly all of whose findings our rules wrote whole: that case is told
    before any text is gathered, with ``masks_its_values`` asked directly (~0.35 µs less a message with findings
    warm; ~1 µs a message of the mixed batch in a batch, 0.7–2.5 over interleaved runs, CPU, in-process)."""
    searched = [finding for finding in result.findings if not masks_its_values(finding.rule, finding.message)]
    reason_searched = _reason_searched(result)
    if not searched and not reason_searched:
        return ""
    texts = [_clean(finding.message, False) for finding in searched]
    texts.extend(_clean(finding.value, False) for finding in searched if finding.value is not None)
    if reason_searched:
        texts.append(_clean(result.detection.reason, False))
    return "\n".join(texts)


def safe_result(result: MessageResult, show_values: bool, secrets: Secrets | None = None) -> MessageResult:
    # a message's name is its own (a batch names each file once): looked up in _clean's cache, the name of a message
    # without findings only missed, was cleaned anyway and pushed a repeated text out; one with findings is looked
    # up, since each of its findings names the same file and finds it there
    result.file = (_clean if result.findings else _cleaned)(result.file, show_values)
    # the message's values are sought only where quotable_text looked for them; most messages have no findings
    # and observe nothing (coverage off): their empty lists are kept, not copied
    if result.findings:
        result.findings = [
            safe_finding(f, show_values, secrets if secrets is not None and _searched(f) else None)
            for f in result.findings
        ]
    detection = result.detection
    reason = detection.reason
    if reason:
        shown = _clean(reason, show_values)
        if _reason_searched(result):
            shown = _untaint(shown, secrets)
        if shown != reason:  # nearly always equal ("namespace … → pack …"): no copy of the detection then
            result.detection = replace(detection, reason=shown)
    if result.observed:
        result.observed = [_clean(key, show_values) for key in result.observed]
    return result


def safe_origin(origin: Origin, show_values: bool) -> Origin:
    """The capture a message was read out of, named as its message is: a capture file called after the person
    in it is a name like any other (CI formats point at it, and the JSON report gives it)."""
    name = _clean(origin.file, show_values)
    return origin if name == origin.file else origin._replace(file=name)


def safe_exchange(exchange: ExchangeResult, show_values: bool) -> ExchangeResult:
    exchange.name = _clean(exchange.name, show_values)
    # an exchange paired by korrelationsid is named after it: a UUID stays readable, anything else the
    # caller put there (a name, a case number) is masked like any other value
    kind, _, key = exchange.name.partition(" ")
    if kind == "korrelationsid" and key and not show_values and not looks_public(key):
        exchange.name = f"korrelationsid {mask(key)}"
    exchange.request = _clean(exchange.request, show_values) if exchange.request is not None else None
    exchange.answer = _clean(exchange.answer, show_values) if exchange.answer is not None else None
    exchange.findings = [safe_finding(f, show_values) for f in exchange.findings]
    if exchange.origin is not None:
        exchange.origin = safe_origin(exchange.origin, show_values)
    return exchange


def safe_run(result: RunResult, show_values: bool) -> RunResult:
    """What the run holds beside its messages (each made safe as it was validated): findings about
    the run, and exchanges."""
    result.run_findings = [safe_finding(f, show_values) for f in result.run_findings]
    result.exchanges = [safe_exchange(e, show_values) for e in result.exchanges]
    return result
