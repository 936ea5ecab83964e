"""Where exchanges come from: HAR captures, two files given as a pair, or a folder paired by korrelationsid.

The engine hands every source here first (:meth:`Exchanges.takes`); HAR captures are expanded into
their messages (each validated like a file, each with its own verdict) and one exchange per HTTP
exchange. With ``--pairs`` every message's :class:`~ssbtek_validator.rules.exchange.Side` is kept, and at the end
requests and answers are matched by korrelationsid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ssbtek_validator.reading.inputs import Source, looks_like_har
from ssbtek_validator.reading.message import Message, parse
from ssbtek_validator.results.model import Finding, MessageResult, RunResult, Severity
from ssbtek_validator.results.safe_text import safe_result
from ssbtek_validator.results.wording import plural

if TYPE_CHECKING:
    from ssbtek_validator.packs.schema_packs import Pack
    from ssbtek_validator.rules.exchange import Side
    from ssbtek_validator.run.options import Options

# The HAR reader (ssbtek_validator.reading.har) and the exchange rules (ssbtek_validator.rules.exchange) are
# imported by the methods that use them, on the first capture or with --pairs: every run goes through
# Exchanges, and a plain check of files (one message from a pre-commit hook) needs neither.
# tests/run/test_cold_start.py checks it.

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
        return source.data is not None and looks_like_har(source)

    def remember(self, message: Message) -> None:
        """Keep what pairing needs of a message read from a file (only with --pairs)."""
        if self.options.pairs:
            from ssbtek_validator.rules.exchange import side_of

            self.sides.append(side_of(message))

    def finish(self, result: RunResult) -> None:
        if self.options.pairs:
            from ssbtek_validator.rules.exchange import pair_by_korrelationsid

            result.exchanges.extend(pair_by_korrelationsid(self.sides))

    def capture(self, source: Source, result: RunResult) -> None:
        """One HAR file: a verdict per message in it, and one per exchange."""
        from ssbtek_validator.reading.har import read_har
        from ssbtek_validator.rules.exchange import judge

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
                    f"{plural(har.skipped, 'entry', 'entries')} without an XML body (pages, scripts, …) "
                    f"{'was' if har.skipped == 1 else 'were'} skipped.",
                    file=source.name,
                )
            )
        for exchange in har.exchanges:
            request = self.message(exchange.request, result) if exchange.request else None
            answer = self.message(exchange.answer, result) if exchange.answer else None
            result.exchanges.append(judge(exchange.name, request, answer, "har"))

    def message(self, source: Source, result: RunResult) -> Side:
        from ssbtek_validator.rules.exchange import side_of

        parsed = parse(source, self.options.limits)
        result.messages.append(self.validate(source, self.options, self.packs, parsed))
        return side_of(parsed)


def judge_pair(request: Source, answer: Source, exchanges: Exchanges) -> RunResult:
    """Two messages given as request and answer: a verdict for each, and one for the exchange."""
    from ssbtek_validator.rules.exchange import judge

    options = exchanges.options
    result = RunResult(strict=options.strict, show_values=options.show_values)
    sides = [exchanges.message(source, result) for source in (request, answer)]
    result.exchanges.append(judge(f"{request.name} ↔ {answer.name}", sides[0], sides[1], "files"))
    return result
