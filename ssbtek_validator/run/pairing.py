"""Where exchanges come from: HAR captures, two files given as a pair, or a folder paired by korrelationsid.

The engine hands every source here first (:meth:`Exchanges.takes`); HAR captures are expanded into
their messages (each validated like a file, each with its own verdict) and one exchange per HTTP
exchange. With ``--pairs`` every message's :class:`~ssbtek_validator.rules.exchange.Side` is kept, and at the end
requests and answers are matched by korrelationsid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ssbtek_validator.reading.inputs import Source, looks_like_capture, looks_like_har
from ssbtek_validator.reading.message import Message, parse
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, Origin, RunResult, Severity
from ssbtek_validator.results.safe_text import safe_origin, safe_result
from ssbtek_validator.results.wording import plural

if TYPE_CHECKING:
    from ssbtek_validator.packs.schema_packs import Pack
    from ssbtek_validator.reading.http_binding import HttpFacts
    from ssbtek_validator.rules.exchange import Side
    from ssbtek_validator.run.options import Options

# The HAR reader (ssbtek_validator.reading.har) and the exchange rules (ssbtek_validator.rules.exchange) are
# imported by the methods that use them, on the first capture or with --pairs: every run goes through
# Exchanges, and a plain check of files (one message from a pre-commit hook) needs neither.
# tests/run/test_cold_start.py checks it.

#: what a capture's skipped parts are called, by how its exchanges were paired
_ENTRY = {"har": ("entry", "entries"), "http": ("HTTP exchange", "HTTP exchanges")}

#: How a message is judged: the run driver's ``validate_message``, handed in so that pairing, which the
#: driver uses, does not import the driver back.
MessageValidator = Callable[[Source, "Options", dict[int, "Pack"], Message], MessageResult]


class Exchanges:
    def __init__(self, options: Options, packs: dict[int, Pack], validate: MessageValidator) -> None:
        self.options = options
        self.packs = packs
        self.validate = validate
        self.sides: list[Side] = []

    def takes(self, source: Source) -> bool:
        return looks_like_capture(source)

    def remember(self, message: Message) -> None:
        """Keep what pairing needs of a message read from a file (only with --pairs)."""
        if self.options.pairs:
            from ssbtek_validator.rules.exchange import side_of

            self.sides.append(side_of(message))

    def finish(self, result: RunResult) -> None:
        if self.options.pairs:
            from ssbtek_validator.rules.exchange import pair_by_korrelationsid

            result.exchanges.extend(recorded_incomplete(exchange) for exchange in pair_by_korrelationsid(self.sides))

    def capture(self, source: Source, result: RunResult) -> None:
        """One HAR file or raw HTTP capture: a verdict per message in it, and one per exchange."""
        from ssbtek_validator.rules.exchange import judge

        if looks_like_har(source):
            from ssbtek_validator.reading.har import read_har

            har, paired_by = read_har(source, self.options.limits), "har"
        else:
            from ssbtek_validator.reading.rawhttp import read_raw_http

            har, paired_by = read_raw_http(source, self.options.limits), "http"
        if har.problem or not har.exchanges:
            among = plural(har.skipped, *_ENTRY[paired_by]) if paired_by == "http" else f"{har.skipped} entries"
            problem = har.problem or f"no SOAP exchange among its {among}"
            rule = "SSBT-LIMIT" if har.problem_kind == "limit" else "SSBT-READ"
            text = problem if rule == "SSBT-LIMIT" else f"Input not checked: {problem}."
            unread = MessageResult(file=source.name, findings=[Finding(rule, Severity.ERROR, text, file=source.name)])
            result.messages.append(safe_result(unread, self.options.show_values))
            return
        if har.skipped:
            result.run_findings.append(
                Finding(
                    "SSBT-HAR",
                    Severity.INFO,
                    f"{plural(har.skipped, *_ENTRY[paired_by])} without an XML body (pages, scripts, …) "
                    f"{'was' if har.skipped == 1 else 'were'} skipped.",
                    file=source.name,
                )
            )
        # taken from the list as they are checked, so that each exchange's bodies are freed once judged
        pending = har.exchanges[::-1]
        del har
        capture = Origin(source.name)
        while pending:
            exchange = pending.pop()
            request = (
                self.message(exchange.request, result, exchange.request_http, capture) if exchange.request else None
            )
            answer = self.message(exchange.answer, result, exchange.answer_http, capture) if exchange.answer else None
            judged = judge(exchange.name, request, answer, paired_by)
            judged.origin = capture  # its findings may be about either side: the capture is named, not a line
            result.exchanges.append(judged)

    def message(
        self, source: Source, result: RunResult, http: HttpFacts | None = None, capture: Origin | None = None
    ) -> Side:
        """``http``: what HTTP said around the message (a capture, the proxy), judged as the reader's findings
        (SSBT-HTTP), so that configuration, masking and the verdict treat them like any other. ``capture``: the
        capture the message was read out of, where the reader could not say the line (a HAR capture)."""
        from ssbtek_validator.rules.exchange import side_of

        parsed = parse(source, self.options.limits)
        judged_http = None
        if http is not None:
            from ssbtek_validator.reading.http_binding import RULE, http_findings  # only where HTTP was recorded

            config = self.options.config
            judged_http = RULE if config is None or not config.is_disabled(RULE) else None
            parsed.findings.extend(http_findings(http, parsed) if judged_http else ())
        judged = self.validate(source, self.options, self.packs, parsed)
        origin = source.origin or capture
        judged.origin = safe_origin(origin, self.options.show_values) if origin is not None else None
        if judged_http:  # said as run, so that a certification counts it exercised only where HTTP was seen
            judged.rules_run.append(judged_http)
        result.messages.append(judged)
        # bounded message by message: a capture is one input, and its thousands of messages' findings
        # (550,000 in a 16 MiB capture: 250 MB) were otherwise all held until its last message
        result.bound_findings(self.options.limits.max_run_findings)
        return side_of(parsed)


#: what ``ssbtek-validate proxy --record`` writes beside a request the upstream never answered: its name,
#: and the first line of its text (written by :func:`incomplete_marker`, read back by :func:`recorded_incomplete`)
MARKER_SUFFIX = "-incomplete.txt"
_MARKER_FIRST_LINE = "incomplete exchange: no answer from the upstream ({reason})."
_MARKER_REASON = re.compile(r"incomplete exchange: no answer from the upstream \((?P<reason>[^()\n]{1,200})\)")


def incomplete_marker(stem: str, reason: str, request: str, started: str) -> tuple[str, str]:
    """(file name, text) of the marker the proxy records beside a request the upstream never answered."""
    text = f"{_MARKER_FIRST_LINE.format(reason=reason)}\nrequest: {request}\nstarted: {started}\n"
    return f"{stem}{MARKER_SUFFIX}", text


def recorded_incomplete(exchange: ExchangeResult) -> ExchangeResult:
    """An unmatched request the proxy recorded as incomplete (``NAME-incomplete.txt`` beside
    ``NAME-request.EXT``) is an exchange without an answer, not a request someone forgot to capture:
    it is said as incomplete (exit 3), with the proxy's reason, so a certification run over recorded
    traffic shows that the upstream did not answer."""
    from ssbtek_validator.rules.exchange import RECORDED_NAME

    found = RECORDED_NAME.match(exchange.request or "")
    if exchange.answer is not None or found is None or found["side"] != "request":
        return exchange
    if [finding.rule for finding in exchange.findings] != ["SSBT-PAIR-UNMATCHED"]:
        return exchange
    marker = Path(f"{found['stem']}{MARKER_SUFFIX}")
    try:
        with marker.open("rb") as stream:
            head = stream.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return exchange  # no marker (or none we may read): an ordinary unmatched request
    said = _MARKER_REASON.search(head)
    reason = f" ({said['reason']})" if said else ""
    exchange.findings = [
        Finding(
            "SSBT-PAIR-INCOMPLETE",
            Severity.ERROR,
            f"The proxy recorded this exchange as incomplete: no answer from the upstream{reason}, "
            f"see {marker.name}; it cannot be judged.",
            file=exchange.request,
        )
    ]
    return exchange


def judge_pair(
    request: Source,
    answer: Source,
    exchanges: Exchanges,
    http: tuple[HttpFacts | None, HttpFacts | None] = (None, None),
) -> RunResult:
    """Two messages given as request and answer: a verdict for each, and one for the exchange. ``http``: what
    HTTP said around each (the proxy sees it live)."""
    from ssbtek_validator.rules.exchange import judge

    options = exchanges.options
    result = RunResult(strict=options.strict, show_values=options.show_values)
    sides = [exchanges.message(source, result, facts) for source, facts in zip((request, answer), http, strict=True)]
    result.exchanges.append(judge(f"{request.name} ↔ {answer.name}", sides[0], sides[1], "files"))
    return result
