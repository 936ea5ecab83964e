"""Where exchanges come from: HAR captures, two files given as a pair, or a folder paired by korrelationsid.

The engine hands every source here first (:meth:`Exchanges.takes`); HAR captures are expanded into
their messages (each validated like a file, each with its own verdict) and one exchange per HTTP
exchange. With ``--pairs`` every message's :class:`~validator.pairs.Side` is kept, and at the end
requests and answers are matched by korrelationsid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import Finding, MessageResult, RunResult, Severity
from .har import looks_like_har, read_har
from .inputs import Source
from .messages import Message, parse
from .pairs import Side, judge, pair_by_korrelationsid, side_of
from .safe_text import safe_result, safe_run

if TYPE_CHECKING:
    from .engine import Options
    from .packs import Pack


class Exchanges:
    def __init__(self, options: Options, packs: dict[int, Pack]) -> None:
        self.options = options
        self.packs = packs
        self.sides: list[Side] = []

    def takes(self, source: Source) -> bool:
        return source.data is not None and looks_like_har(source)

    def remember(self, message: Message) -> None:
        """Keep what pairing needs of a message read from a file (only with --pairs)."""
        if self.options.pairs:
            self.sides.append(side_of(message))

    def finish(self, result: RunResult) -> None:
        if self.options.pairs:
            result.exchanges.extend(pair_by_korrelationsid(self.sides))

    def capture(self, source: Source, result: RunResult) -> None:
        """One HAR file: a verdict per message in it, and one per exchange."""
        har = read_har(source, self.options.limits)
        if har.problem or not har.exchanges:
            problem = har.problem or f"no SOAP exchange among its {har.skipped} entries"
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
                    f"{har.skipped} entries without an XML body (pages, scripts, …) were skipped.",
                    file=source.name,
                )
            )
        for exchange in har.exchanges:
            request = self.message(exchange.request, result) if exchange.request else None
            answer = self.message(exchange.answer, result) if exchange.answer else None
            result.exchanges.append(judge(exchange.name, request, answer, "har"))

    def message(self, source: Source, result: RunResult) -> Side:
        from .engine import validate_message

        parsed = parse(source, self.options.limits)
        result.messages.append(validate_message(source, self.options, self.packs, parsed))
        return side_of(parsed)


def validate_pair(request: Source, answer: Source, options: Options, packs: dict[int, Pack]) -> RunResult:
    """Two messages given as request and answer: a verdict for each, and one for the exchange."""
    from .engine import configure_run, today_fixed

    options = today_fixed(options)
    result = RunResult(strict=options.strict, show_values=options.show_values)
    exchanges = Exchanges(options, packs)
    sides = [exchanges.message(source, result) for source in (request, answer)]
    result.exchanges.append(judge(f"{request.name} ↔ {answer.name}", sides[0], sides[1], "files"))
    configure_run(result, options)  # the rule configuration, as in validate_sources
    return safe_run(result, options.show_values)
