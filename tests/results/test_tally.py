"""A run's totals and verdict count what the plain definitions count, without asking a conforming message."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.results import model
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, RunResult, Severity, Verdict

RULES = ("SSBT-XSD", "SSBT-CODE", "SSBT-RULE-FAILED", "SSBT-READ")  # the last two: not checked (incomplete)
findings = st.builds(Finding, rule=st.sampled_from(RULES), severity=st.sampled_from(Severity), message=st.just("x"))
not_kept = st.dictionaries(st.sampled_from([s.value for s in Severity]), st.integers(1, 3), max_size=2)
messages = st.builds(
    MessageResult, file=st.just("m.xml"), findings=st.lists(findings, max_size=3), not_kept=not_kept | st.just({})
)
exchanges = st.builds(ExchangeResult, name=st.just("e"), findings=st.lists(findings, max_size=2))
runs = st.builds(
    RunResult,
    messages=st.lists(messages, max_size=8),
    exchanges=st.lists(exchanges, max_size=3),
    run_findings=st.lists(findings, max_size=2),
    strict=st.booleans(),
)


def plain_tally(judged: list) -> dict[str, int]:
    """Every item asked for its verdict and its counts, as the report's totals are defined."""
    verdicts = Counter(item.verdict for item in judged)
    return {
        "conforms": verdicts[Verdict.CONFORMS],
        "nonconformant": verdicts[Verdict.NONCONFORMANT],
        "incomplete": verdicts[Verdict.INCOMPLETE],
        "errors": sum(item.count(Severity.ERROR) for item in judged),
        "warnings": sum(item.count(Severity.WARNING) for item in judged),
        "infos": sum(item.count(Severity.INFO) for item in judged),
    }


def plain_verdict(run: RunResult) -> Verdict:
    verdicts = {item.verdict for item in [*run.messages, *run.exchanges]}
    incomplete = any(f.severity is not Severity.INFO and f.rule in model.incomplete_rules() for f in run.run_findings)
    if Verdict.INCOMPLETE in verdicts or incomplete:
        return Verdict.INCOMPLETE
    if Verdict.NONCONFORMANT in verdicts:
        return Verdict.NONCONFORMANT
    warned = any(item.count(Severity.WARNING) for item in [*run.messages, *run.exchanges])
    if run.strict and (warned or any(f.severity is Severity.WARNING for f in run.run_findings)):
        return Verdict.NONCONFORMANT
    return Verdict.CONFORMS


@given(runs)
def test_totals_and_verdict_are_the_plain_counts(run: RunResult) -> None:
    assert run.totals() == {"messages": len(run.messages), **plain_tally(run.messages)}
    plain = plain_tally(run.exchanges)
    del plain["infos"]
    assert run.exchange_totals() == {"exchanges": len(run.exchanges), **plain}
    assert run.verdict is plain_verdict(run)


def test_a_message_without_findings_is_counted_without_being_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's last lines come after the last message, in series: 15,000 conforming messages asked for
    their verdict three times over cost ~12 ms there."""
    asked: list[str] = []
    real = model._Judged.verdict

    def verdict(self):
        asked.append(self.file)
        return real.fget(self)

    monkeypatch.setattr(model._Judged, "verdict", property(verdict))
    failed = MessageResult("bad.xml", findings=[Finding("SSBT-XSD", Severity.ERROR, "x")])
    run = RunResult(messages=[MessageResult(f"{n}.xml") for n in range(100)] + [failed])
    assert run.totals()["conforms"] == 100 and run.totals()["nonconformant"] == 1
    assert run.verdict is Verdict.NONCONFORMANT and run.exit_code == 1
    assert set(asked) == {"bad.xml"}


def test_the_summary_line_asks_the_run_for_its_verdict_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary line ends every report, after the last message (and is said again on stderr when every report
    goes to a file): it asked the run for its verdict twice (the verdict, then the exit code), each a pass over
    every message with findings, and every message whether it was read."""
    from ssbtek_validator.report import text

    asked: list[str] = []
    verdict, not_read = RunResult.verdict, text._not_read
    monkeypatch.setattr(RunResult, "verdict", property(lambda run: asked.append("verdict") or verdict.fget(run)))
    monkeypatch.setattr(text, "_not_read", lambda message: asked.append(message.file) or not_read(message))
    failed = MessageResult("bad.xml", findings=[Finding("SSBT-XSD", Severity.ERROR, "x")])
    run = RunResult(messages=[MessageResult(f"{n}.xml") for n in range(100)] + [failed])
    assert text.summary_line(run).endswith("→ nonconformant (exit 1)")
    assert asked == ["bad.xml", "verdict"]


@given(runs)
def test_the_summary_line_ends_with_the_runs_verdict_and_exit_code(run: RunResult) -> None:
    from ssbtek_validator.report import text

    assert text.summary_line(run).endswith(f"→ {run.verdict} (exit {run.exit_code})")


_SEVERITY_LISTS = st.lists(st.sampled_from([Severity.ERROR, Severity.WARNING, Severity.INFO]), max_size=4)


def _state(run: RunResult) -> tuple:
    kept = [([f.message for f in m.findings], dict(m.not_kept)) for m in run.messages]
    return run.findings_kept, run.findings_not_kept, kept


@given(st.lists(_SEVERITY_LISTS, max_size=30), st.integers(0, 12))
def test_bounding_only_after_messages_with_findings_keeps_what_bounding_after_each_keeps(severities, most):
    """The driver bounds a run's findings only after a message that has some (most have none): every message,
    counted in a later call, keeps and leaves out what bounding after each message keeps and leaves out."""
    runs = RunResult(), RunResult()
    for index, found in enumerate(severities):
        for run in runs:
            findings = [Finding("SSBT-X", severity, f"{index}.{n}", f"{index}.xml") for n, severity in enumerate(found)]
            run.messages.append(MessageResult(f"{index}.xml", findings=findings))
        runs[0].bound_findings(most)
        if found:
            runs[1].bound_findings(most)
    assert _state(runs[0]) == _state(runs[1])
