"""Shortcuts of making a result's texts safe keep doing their job and change no text.

- quotable_text tells a message whose findings our rules wrote whole (nothing to search for the message's values)
  before it gathers any text.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.results import safe_text
from ssbtek_validator.results.model import Detection, Finding, MessageResult, Severity
from ssbtek_validator.results.safe_text import _clean, _reason_searched, _searched, quotable_text


def _quotable_long_way(result: MessageResult) -> str:
    """quotable_text as first written: every searched finding's texts gathered and joined, whatever they are."""
    searched = [finding for finding in result.findings if _searched(finding)]
    texts = [_clean(finding.message, False) for finding in searched]
    texts.extend(_clean(finding.value, False) for finding in searched if finding.value is not None)
    if _reason_searched(result):
        texts.append(_clean(result.detection.reason, False))
    return "\n".join(texts)


#: rules listed in masking.toml, one of its prefixes, SSBT-XSD (masked by the shape of its text), and rules it does
#: not list; texts with and without an XSD shape, empty, hostile
_RULES = st.sampled_from(["SSBT-ENCODING", "SSBT-CODE-CSN-STODFORM", "SSBT-XSD", "SSBT-SOAP", "SSBT-RULE-FAILED"])
_TEXTS = st.sampled_from(
    [
        "",
        "x: This element is not expected.",
        "x: This element is not expected. Expected is ( y ).",
        "Tolvan Tolvansson\nis not expected",
        "19121212-1212",
        "Entity 'Tolvan' not defined",
    ]
)
_FINDINGS = st.builds(Finding, _RULES, st.sampled_from(list(Severity)), _TEXTS, value=st.none() | _TEXTS)
_DETECTIONS = st.builds(
    Detection, pack_id=st.none() | st.just("ssbt-v10"), reason=st.sampled_from(["", "namespace urn:Tolvan"])
)


@given(findings=st.lists(_FINDINGS, max_size=4), detection=_DETECTIONS)
def test_quotable_text_is_the_long_way_s(findings, detection):
    result = MessageResult("m.xml", detection=detection, findings=findings)
    assert quotable_text(result) == _quotable_long_way(result)


def test_a_message_whose_findings_our_rules_wrote_whole_gathers_no_text(monkeypatch):
    """The common case: masks_its_values is asked directly (no _searched frame per finding), and no text is
    cleaned or joined to learn that nothing is searched."""
    cleaned: list[str] = []
    monkeypatch.setattr(safe_text, "_clean", lambda text, show: cleaned.append(text) or text)
    monkeypatch.setattr(safe_text, "_searched", lambda finding: (_ for _ in ()).throw(AssertionError("a frame")))
    whole = [
        Finding("SSBT-CODE-CSN-STODFORM", Severity.ERROR, "code 9 is unknown"),
        Finding("SSBT-ENCODING", Severity.WARNING, "x"),
    ]
    routed = Detection(10, "ssbt-v10", reason="namespace … → pack ssbt-v10")
    assert quotable_text(MessageResult("m.xml", detection=routed, findings=whole)) == "" and not cleaned
    searched = [Finding("SSBT-SOAP", Severity.ERROR, "soap:Header after soap:Body")]
    assert quotable_text(MessageResult("m.xml", detection=routed, findings=searched)) and cleaned
