"""Shortcuts on the path a message with findings takes keep doing their job, and change nothing a report shows.

- A message's values read before its nodes are counted mask what the walk masks, under any bound.
- SSBT-XSD's column is found with ``str.find``, not a regex compiled per tag.
- A library message is scrubbed with a quoted-value pattern only when it holds that pattern's fixed words.
- A message's verdict looks up the "not checked" rule ids once per pass.

Spies count the work; properties check that the shortcut gives what the long way gives.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.reading.message import safe_parser
from ssbtek_validator.results import masking
from ssbtek_validator.rules import xsd
from ssbtek_validator.run import secrets

from .test_per_message_work import _document

# --- a message's values, read before its nodes are counted (spies: tests/run/test_per_message_work.py) ---


_SOUGHT_IN = st.lists(st.sampled_from(["Tolvan", "Tolvansson", "19121212", "a&b", "å", " ", ", ", "x"]), max_size=8)


@settings(max_examples=100)
@given(_document(), _SOUGHT_IN.map("".join), st.integers(1, 6))
def test_values_read_first_mask_what_the_walk_masks_under_any_bound(document, text, bound):
    """Past the bound the order of the values decides which are sought: reading them first must never
    change what a text is masked to, whatever the bound."""
    data = document.encode()
    root = etree.fromstring(data, safe_parser())
    saved, secrets._MOST_SECRETS = secrets._MOST_SECRETS, bound
    try:
        read, walked = (
            secrets.secrets_pattern(secrets.message_values(root, len(data)), text),
            secrets.secrets_pattern(secrets._walked_values(root), text),
        )
    finally:
        secrets._MOST_SECRETS = saved
    assert (read.sub(text) if read else text) == (walked.sub(text) if walked else text)


# --- SSBT-XSD's column --------------------------------------------------------------------------------------------


def _regex_column(text: str, tag: str) -> int | None:
    """The column as the regex found it before (the long way)."""
    for match in re.finditer(re.escape(tag) + r"[\s/>]", text + " "):
        return match.start() + 1
    return None


_LINE_PIECES = st.sampled_from(
    ["<a", "<ab", "<p:a", "<a>", "<a/>", "<a ", "<a\t", "<a\u2003", "<a\xa0", "x", " ", "<", ">"]
)


@settings(max_examples=200)
@given(st.lists(_LINE_PIECES, max_size=10).map("".join), st.sampled_from(["<a", "<p:a", "<ab"]))
def test_the_column_is_where_the_regex_found_it(text, tag):
    assert xsd._tag_column(text, tag) == _regex_column(text, tag)


def test_the_column_is_found_without_a_regex(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a regex was compiled for the column")

    monkeypatch.setattr(xsd.re, "finditer", forbidden)
    monkeypatch.setattr(xsd.re, "escape", forbidden)
    data = b"<r>\n  <p:ab xmlns:p='urn:p'/><p:a xmlns:p='urn:p'>x</p:a>\n</r>"
    assert xsd._column(data.split(b"\n"), 2, etree.fromstring(data)[1]) == 26  # <p:a, not <p:ab


# --- scrubbing a library message --------------------------------------------------------------------------------

_MESSAGE_PIECES = st.sampled_from(
    ["The value '", "'", " is not", "' is not", "(", " ", "Tolvan", "191212121212", "2026-01-01", "x", "The value "]
)


@settings(max_examples=200)
@given(st.lists(_MESSAGE_PIECES, max_size=12).map("".join), st.sampled_from([None, "fromDatum", "kalla"]))
def test_scrubbing_is_what_it_was_without_the_fixed_word_tests(text, field):
    def long_way(text: str) -> str:
        def quoted(value: str) -> str:
            return value if masking.shown_in(value, field) else masking.mask(value)

        text = masking._THE_VALUE.sub(lambda m: f"The value '{quoted(m.group(1))}'", text)
        text = masking._QUOTED_VALUE.sub(lambda m: f"{m.group(1)}'{quoted(m.group(2))}'{m.group(3)}", text)
        return masking.mask_identities(text)

    assert masking.scrub_text(text, field, False) == long_way(text)


def test_a_message_quoting_no_value_is_not_searched_for_one(monkeypatch):
    class Spy:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern, self.used = pattern, 0

        def sub(self, *args):
            self.used += 1
            return self.pattern.sub(*args)

    the_value, quoted = Spy(masking._THE_VALUE), Spy(masking._QUOTED_VALUE)
    monkeypatch.setattr(masking, "_THE_VALUE", the_value)
    monkeypatch.setattr(masking, "_QUOTED_VALUE", quoted)
    assert masking.scrub_text("ssbt:FK: This element is not expected.", None, False).endswith("expected.")
    assert the_value.used == quoted.used == 0
    shown = masking.scrub_text("ssbt:namn: 'Tolvan' is not a valid value of the atomic type 'xs:int'.", "namn", False)
    assert "Tolvan" not in shown and quoted.used == 0  # found without trying the pattern at each character


# --- a message's verdict ------------------------------------------------------------------------------------------


def test_a_verdict_looks_up_the_not_checked_ids_once_per_pass(monkeypatch):
    from ssbtek_validator.results import model

    asked = []
    real = model.incomplete_rules
    monkeypatch.setattr(model, "incomplete_rules", lambda: asked.append(1) or real())
    warning = model.Finding("SSBT-X", model.Severity.WARNING, "w")
    message = model.MessageResult("m.xml", findings=[warning, warning, warning])
    assert message.verdict is model.Verdict.CONFORMS and len(asked) == 1
    message.findings.append(model.Finding("SSBT-RULE-FAILED", model.Severity.ERROR, "x"))
    assert message.verdict is model.Verdict.INCOMPLETE and len(asked) == 2
    assert model.MessageResult("n.xml").verdict is model.Verdict.CONFORMS and len(asked) == 2
