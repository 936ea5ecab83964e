"""One answer that contradicts itself: the question it echoes says it should not have been echoed, or
names another exchange.

An answer echoes the question in ``fraga`` only when the question's ``fraganSkallInkluderasISvaret``
is true, and echoes the question's ``korrelationsid``. Both facts are inside the answer itself, so a
capture without its request can be judged too. The facts are read, and the korrelationsid compared,
by the exchange rules' own code (:mod:`ssbtek_validator.rules.exchange`), so a single answer and a pair never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from ssbtek_validator.results.masking import masked_value
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Context
from ssbtek_validator.rules.elements import payload_child

if TYPE_CHECKING:
    from ssbtek_validator.rules.exchange import Place, Side


class AnswerEchoRule:
    id = "SSBT-ANSWER-ECHO"
    severity = Severity.ERROR
    summary = (
        "An answer that echoes fraga agrees with it: the echoed fraganSkallInkluderasISvaret is true and the "
        "answer's korrelationsid and frageTidpunkt are the echoed question's, and it answers only what was asked."
    )
    versions = ALL_VERSIONS
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "The SSBTEK contract echoes the question in the answer's fraga only when the question's "
        "fraganSkallInkluderasISvaret is true, and echoes the question's korrelationsid and frageTidpunkt in "
        "the answer. An answer holding a fraga whose flag is false (or absent), or whose own korrelationsid or "
        "frageTidpunkt (the same instant) differs from the echoed question's or is missing, contradicts itself: "
        "the caller cannot tell which exchange it belongs to. So does an answer holding an agency the echoed "
        'question has with inkludera="false", or (v11) an SKV part its SKV fraga set false: SSBTEK asks only '
        "the agencies included, and SKV answers only the parts asked for (Sundsvalls kommun's v11 "
        "reconstruction: each part is one the question asked for). Checked inside one answer, without its "
        "request; SSBT-PAIR-FRAGA, SSBT-PAIR-KORRELATIONSID, SSBT-PAIR-FRAGETIDPUNKT and SSBT-PAIR-AGENCY check "
        "the same facts against the request when both sides are given."
    )
    example = (
        "the answer echoes fraga, but the echoed question's fraganSkallInkluderasISvaret is false: the question "
        "is echoed only when it is true."
    )

    def applies(self, context: Context) -> bool:
        message = context.message
        return (
            message.payload is not None
            and message.direction == "answer"
            and message.operation == "hamtaBastjanstInformation"
        )

    def check(self, context: Context) -> Iterator[Finding]:
        exchange = _exchange()
        # the echoed fraga as SSBT-LEFI-MODEL and SSBT-TIDSPERIOD looked it up (payload_child's memo)
        question = exchange.echoed_question(context.message, payload_child(context, "fraga"))
        if question is None:
            return
        answer = exchange.side_of(context.message, pairing=False)
        if not question.echo_wanted:
            flag = question.echo_flag
            # an empty element takes the schema's default="0": false, as the service reads it
            shown = masked_value(flag[0], "fraganSkallInkluderasISvaret", context.show_values) if flag else ""
            said = (f"is {shown}" if shown else "is empty (the schema's default, false)") if flag else "is absent"
            yield self._finding(
                question,
                flag[1] if flag is not None else None,
                f"the answer echoes fraga, but the echoed question's fraganSkallInkluderasISvaret {said}: the "
                "question is echoed only when it is true.",
            )
        # the pair rules' own comparisons of korrelationsid and frageTidpunkt, so one answer and a pair are
        # judged alike
        for fact in (exchange.PairKorrelationsidRule(), exchange.PairFrageTidpunktRule()):
            problem = fact.echo_problem(question, answer, "the echoed question")
            if problem is not None:
                yield self._finding(answer, *problem)
        for spot, said in exchange.unasked_answers(question, answer, "the echoed question"):
            yield self._finding(answer, spot, said)

    def _finding(self, side: Side, spot: Place | None, message: str) -> Finding:
        spot = spot or side.where
        return Finding(self.id, self.severity, message, file=side.name, line=spot.line, path=spot.path)


@cache
def _exchange() -> ModuleType:
    """The exchange rules (pairing's dataclasses and patterns), imported by the first answer, not at start-up:
    a run of requests never needs them (tests/run/test_cold_start.py). Kept once imported: the import
    statement cost ~0.9 µs on every answer."""
    from ssbtek_validator.rules import exchange

    return exchange
