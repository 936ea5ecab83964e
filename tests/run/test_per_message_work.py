"""Two per-message shortcuts of the run keep doing their job, and change nothing a report shows.

- The rules that concern a pack version are chosen once per rule set and version, not asked per message.
- A message's own values are sought in its findings' texts only when those texts can quote them.

Spies count the work; properties check that the shortcut gives what the long way gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules import MESSAGE_RULES
from ssbtek_validator.rules.base import Versions
from ssbtek_validator.run import driver, secrets
from ssbtek_validator.run.driver import Options, validate_sources

from ..conftest import CORPUS

REQUEST = (CORPUS / "v10" / "request-full.xml").read_bytes()


@dataclass(eq=False)
class _Spy:
    """A rule that counts how often the engine asks it anything."""

    versions: object
    id: str = "SSBT-SPY"
    asked: int = 0

    def applies(self, context) -> bool:
        self.asked += 1
        return True

    def check(self, context):
        return iter(())


def _messages(rules: tuple, count: int = 3):
    sources = [Source(f"m{index}.xml", REQUEST) for index in range(count)]
    return validate_sources(sources, Options(rules=rules)).messages


def test_rules_are_chosen_per_version_once_not_asked_per_message(monkeypatch):
    old, new = _Spy(Versions.of(range(6, 9)), "SSBT-OLD"), _Spy(Versions(), "SSBT-NEW")
    rules = (*MESSAGE_RULES, old, new)
    asked = []
    monkeypatch.setattr(driver, "concerns", lambda rule, version: asked.append(rule) or version in rule.versions)
    messages = _messages(rules)
    assert old.asked == 0  # a v6–v8 rule is never asked about a v10 message
    assert new.asked == 3 and all("SSBT-NEW" in message.rules_run for message in messages)
    assert len(asked) == len(rules)  # once for the rule set and version, not once per message
    _messages(rules)
    assert len(asked) == len(rules)


def test_a_rule_whose_versions_cannot_be_read_still_fails_each_message_it_would_run_on():
    broken = _Spy("sometimes", "SSBT-BROKEN")
    for message in _messages((broken,), count=2):
        assert [f.rule for f in message.findings] == ["SSBT-RULE-FAILED"]
        assert "SSBT-BROKEN" in message.findings[0].message
    assert broken.asked == 0


def test_a_message_whose_findings_quote_none_of_its_values_classifies_none(monkeypatch):
    """The shape tests and the pattern are paid only for values a finding's text holds."""
    classified = []
    real = secrets.looks_public
    monkeypatch.setattr(secrets, "looks_public", lambda value: classified.append(value) or real(value))
    broken = REQUEST.replace(b"<ssbt:frageTidpunkt>", b"<ssbt:frageTidpunkt>x", 1)
    [message] = validate_sources([Source("m.xml", broken)], Options()).messages
    assert message.findings
    held = {value.strip() for value in secrets.message_values(parse(Source("m.xml", broken)).root)}
    assert len(held) > 15 and len(set(classified)) <= 2, classified  # the long way shape-tests each value it holds


_WORDS = st.sampled_from(["Tolvan", "Tolvansson", "Tolvan Tolvansson", "Nisse", "Ab-c", "-x-", "2026", "Åsa"])


@settings(max_examples=60)
@given(st.lists(_WORDS, min_size=1, max_size=8), st.lists(_WORDS | st.sampled_from([" ", ", ", "'", "x"]), max_size=12))
def test_seeking_only_quoted_values_masks_exactly_what_seeking_every_value_masks(values, parts):
    text = "".join(parts)
    every, quoted = secrets.secrets_pattern(values), secrets.secrets_pattern(values, text)
    assert (quoted.sub(text) if quoted else text) == (every.sub(text) if every else text)


@settings(max_examples=30)
@given(st.lists(st.text("abcT ", min_size=3, max_size=5), max_size=30), st.text("abcT ,", max_size=40))
def test_the_bound_on_values_sought_is_the_same_with_and_without_the_texts(values, text):
    """Past the bound only the first personal values are sought, whichever texts they are sought in."""
    bound = secrets._MOST_SECRETS
    secrets._MOST_SECRETS = 4
    try:
        every, quoted = secrets.secrets_pattern(values), secrets.secrets_pattern(values, text)
    finally:
        secrets._MOST_SECRETS = bound
    assert (quoted.sub(text) if quoted else text) == (every.sub(text) if every else text)


def test_a_quoted_value_is_still_masked():
    """The shortcut must not weaken masking: a value a finding quotes is masked in it."""
    found = Finding("SSBT-X", Severity.ERROR, "Tolvan Tolvansson is not expected here")
    pattern = secrets.secrets_pattern(["Tolvan Tolvansson", "Nisse"], found.message)
    assert pattern is not None and "Tolvan" not in pattern.sub(found.message)


def test_texts_too_long_to_search_per_value_are_masked_the_long_way(monkeypatch):
    """Thousands of findings are not searched once per value (2,000 × megabytes): every value is sought."""
    monkeypatch.setattr(secrets, "_LONGEST_WITHIN", 10)
    text = "Nisse met Tolvan Tolvansson, not Åsa"
    pattern = secrets.secrets_pattern(["Tolvan Tolvansson", "Nisse", "Åsa Öst"], text)
    assert pattern is not None and pattern.pattern.pattern.count("|") == 2  # all three sought, "Åsa Öst" too
    assert pattern.sub(text) == "••••• met •••••••••••••••••, not Åsa"
