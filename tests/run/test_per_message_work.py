"""Two per-message shortcuts of the run keep doing their job, and change nothing a report shows.

- The rules that concern a pack version are chosen once per rule set and version, not asked per message.
- A rule whose applies depends only on the pack, operation and direction is asked once per such kind.
- A message's own values are sought in its findings' texts only when those texts can quote them.
- An ordinary message's values are read by libxml2, not walked node by node in Python.

Spies count the work; properties check that the shortcut gives what the long way gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator.packs.schema_packs import builtin_packs, detect
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.message import parse, safe_parser
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules import MESSAGE_RULES
from ssbtek_validator.rules.base import Context, Versions, applies_by_kind
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


class _Only:
    """Has the attributes it is made with; reading any other fails the test."""

    def __init__(self, **attributes) -> None:
        self.__dict__.update(attributes)

    def __getattr__(self, name: str):
        raise AssertionError(f"applies read {name!r}")


class _Opaque:
    """A payload that may be compared with None and nothing else: what it holds varies by message."""

    def __bool__(self) -> bool:
        raise AssertionError("applies read the payload")

    def __len__(self) -> int:
        raise AssertionError("applies read the payload")

    def __iter__(self):
        raise AssertionError("applies read the payload")

    def __getattr__(self, name: str):
        raise AssertionError(f"applies read the payload's {name!r}")


def _kind_context(pack, operation, direction):
    return _Only(message=_Only(payload=_Opaque(), operation=operation, direction=direction), pack=pack)


BY_KIND = [rule for rule in MESSAGE_RULES if applies_by_kind(rule)]


def test_most_rules_are_asked_once_per_kind():
    """The shortcut keeps paying: losing the flag from a rule (a refactored class) shows here."""
    assert len(BY_KIND) >= 24 and len(MESSAGE_RULES) - len(BY_KIND) <= 6


@pytest.mark.parametrize("rule", BY_KIND, ids=lambda rule: rule.id)
def test_a_rule_asked_once_per_kind_reads_only_the_pack_operation_and_direction(rule):
    """Its applies is given the pack, operation and direction and nothing else, in every combination; and
    on each corpus message it says what it said for that message's kind."""
    packs = builtin_packs()
    said = {}
    for version in packs:
        pack = packs[version]
        for operation in (*pack.operations, "unknownOperation", None):
            for direction in ("request", "answer", "fault", None):
                said[(version, operation, direction)] = rule.applies(_kind_context(pack, operation, direction))
    checked = 0
    for path in sorted(CORPUS.glob("v*/*.xml")):
        message = parse(Source(path.name, path.read_bytes()))
        detection, _findings = detect(message, packs)
        if message.payload is None or not detection.pack_id:
            continue
        pack = packs[detection.version]
        context = Context(message, pack, detection, DEFAULT_LIMITS, date(2026, 11, 1))
        kind = (pack.version, message.operation, message.direction)
        if kind in said:
            assert rule.applies(context) == said[kind], path
            checked += 1
    assert checked > 100


def test_a_rule_asked_per_kind_is_asked_once_for_a_batch_of_that_kind():
    spy = _Spy(Versions())
    spy.applies_by_kind = True
    messages = _messages((spy,), count=5)
    assert spy.asked == 1 and all(message.rules_run == ["SSBT-SPY"] for message in messages)
    answer = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
    validate_sources([Source(f"a{index}.xml", answer) for index in range(3)], Options(rules=(spy,)))
    assert spy.asked == 2  # another kind: an answer


@dataclass(eq=False)
class _Failing(_Spy):
    def applies(self, context) -> bool:
        self.asked += 1
        raise RuntimeError("broken")


def test_a_rule_asked_per_kind_whose_applies_fails_still_fails_each_message():
    broken = _Failing(Versions(), "SSBT-BROKEN")
    broken.applies_by_kind = True
    for message in _messages((broken,), count=3):
        assert [f.rule for f in message.findings] == ["SSBT-RULE-FAILED"]
        assert "SSBT-BROKEN" in message.findings[0].message
    assert broken.asked == 4  # once for the plan, then per message, as a rule asked per message is


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


# --- a message's values, read by libxml2 for an ordinary message, walked for any other ---------------------------

#: pieces of text a hostile message splits values with or pads them by (a no-break space is no XML whitespace)
_TEXT = st.sampled_from(["Tolvan", "Tolvansson", "19121212", "12", " ", "\n  ", "\t", "\xa0", "a&amp;b", "å", "Ω→"])


def _content(depth: int, entities: bool):
    """An element's content as XML text: text, CDATA, comments, instructions, entity references, elements."""
    leaf = st.one_of(
        _TEXT,
        _TEXT.map(lambda text: f"<![CDATA[{text}]]>"),
        _TEXT.map(lambda text: f"<!--{text}-->"),
        st.sampled_from(["<?pi Tolvan?>", "<?pi &Nisse;?>", "<!--&Nisse;-->"]),
        *([st.sampled_from(["&Tolvan;", "&Nisse;"])] if entities else []),
    )
    parts = leaf if depth == 0 else st.one_of(leaf, _element(depth - 1, entities))
    return st.lists(parts, max_size=5).map("".join)


def _element(depth: int, entities: bool):
    value = _TEXT.map(lambda text: text.replace("&amp;", "")) | (st.just("&Tolvan; x") if entities else st.nothing())
    attributes = st.lists(value, max_size=2).map(
        lambda values: "".join(f' a{index}="{value}"' for index, value in enumerate(values))
    )
    return st.tuples(st.sampled_from(["x", "p:y"]), attributes, _content(depth, entities)).map(
        lambda parts: f'<{parts[0]} xmlns:p="urn:p"{parts[1]}>{parts[2]}</{parts[0]}>'
    )


def _document(depth: int = 3):
    dtd = '<!DOCTYPE x [<!ENTITY Tolvan "Tolvan Tolvansson"><!ENTITY Nisse "">]>'
    return st.booleans().flatmap(
        lambda entities: _element(depth, entities).map(lambda body: (dtd if entities else "") + body)
    )


def _stripped(values) -> set[str]:
    return {value.strip() for value in values} - {""}


@settings(max_examples=150)
@given(_document())
def test_the_values_read_by_libxml2_are_the_values_the_walk_reads(document):
    """Equivalence on hostile shapes: text split by comments, instructions, CDATA and entity references,
    mixed content, whitespace that XML does not count as such, attributes, a DTD."""
    data = document.encode()
    root = etree.fromstring(data, safe_parser())
    walked = _stripped(secrets._walked_values(root))
    assert _stripped(secrets.message_values(root)) == walked == _stripped(secrets.message_values(root, len(data)))
    if "<!DOCTYPE" not in document:  # what lets a small document skip counting its nodes: each takes 4 bytes
        assert secrets._NODE_COUNT(root) * secrets._SMALLEST_NODE <= len(data)


def test_the_nodes_of_a_document_too_small_to_reach_the_bound_are_not_counted(monkeypatch):
    counted = []
    monkeypatch.setattr(secrets, "_NODE_COUNT", lambda root: counted.append(root) or 0)
    root = etree.fromstring(b"<a><b>Tolvan</b></a>")
    assert secrets.message_values(root, 20) == ["Tolvan"] and not counted
    assert secrets.message_values(root) == ["Tolvan"] and counted


def test_an_ordinary_message_is_not_walked_and_a_split_value_is(monkeypatch):
    """The shortcut keeps doing its job on an ordinary message, and a value split by a comment is read whole."""
    walked = []
    real = secrets._walked_values
    monkeypatch.setattr(secrets, "_walked_values", lambda root: walked.append(root) or real(root))
    ordinary = parse(Source("m.xml", (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes())).root
    assert len(_stripped(secrets.message_values(ordinary))) > 20 and not walked
    split = etree.fromstring(b"<a><b>1912121212<!---->13</b><c>Tolvan<d/>Tolvansson</c></a>")
    assert _stripped(secrets.message_values(split)) == {"191212121213", "TolvanTolvansson"} and walked


def test_an_answer_below_the_counted_size_is_not_counted_and_one_with_too_many_values_is_walked(monkeypatch):
    """An answer past 8 kB is read into lists without counting its nodes first; past the bound of values it is
    walked all the same (order decides there), and past _COUNTED_SIZE or of unknown size it is counted."""
    counted, walked = [], []
    count, walk = secrets._NODE_COUNT, secrets._walked_values
    monkeypatch.setattr(secrets, "_NODE_COUNT", lambda root: counted.append(root) or count(root))
    monkeypatch.setattr(secrets, "_walked_values", lambda root: walked.append(root) or walk(root))
    data = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
    root = parse(Source("m.xml", data)).root
    assert secrets._SMALLEST_NODE * secrets._MOST_SECRETS <= len(data) < secrets._COUNTED_SIZE
    values = secrets.message_values(root, len(data))
    assert isinstance(values, list) and not counted and not walked
    assert values == secrets.message_values(root, secrets._COUNTED_SIZE) and counted
    monkeypatch.setattr(secrets, "_MOST_SECRETS", len(values))
    assert _stripped(secrets.message_values(root, len(data))) == _stripped(values) and walked


@settings(max_examples=200)
@given(_document(), st.data())
def test_the_masking_pass_masks_a_finding_text_as_seeking_every_walked_value_does(document, data):
    """The whole pass, as the driver runs it (values read by libxml2 where it can, sought only where a finding's
    text quotes them), against the long way (every value the walk reads, all sought) on hostile documents and
    texts quoting their values, the pieces of split values and words of our own."""
    raw = document.encode()
    root = etree.fromstring(raw, safe_parser())
    quotable = [*sorted(_stripped(secrets._walked_values(root))), "Tolvan", "sson", "'", ", ", " ", "Ω"]
    text = "".join(data.draw(st.lists(st.sampled_from(quotable), max_size=6)))
    fast = secrets.secrets_pattern(secrets.message_values(root, len(raw)), text)
    slow = secrets.secrets_pattern(secrets._walked_values(root))
    assert (fast.sub(text) if fast else text) == (slow.sub(text) if slow else text)


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_non_whitespace_characters_are_counted_alike_in_latin_1_and_utf_8(text):
    """The split check compares the string-value's count (UTF-8 bytes) with the first texts' (Latin-1 bytes
    where they fit): both must count the characters that are not XML whitespace."""
    expected = sum(char not in " \t\r\n" for char in text)
    assert secrets._non_space_in(text) == secrets._non_space_characters(text.encode()) == expected


def test_first_texts_in_latin_1_are_not_encoded_to_utf_8(monkeypatch):
    """Encoding Latin-1 first texts to UTF-8 took the encoder's slow path (~1 µs a message with findings):
    only the string-value, which libxml2 gives as UTF-8, is counted in UTF-8; text past U+00FF still is."""
    counted = []
    real = secrets._non_space_characters
    monkeypatch.setattr(secrets, "_non_space_characters", lambda data: counted.append(data) or real(data))
    root = etree.fromstring("<a><b>Åsa Öst</b><c>Tolvan<!---->sson</c></a>".encode())
    assert _stripped(secrets.message_values(root)) == {"Åsa Öst", "Tolvansson"} and len(counted) == 1
    counted.clear()
    root = etree.fromstring("<a><b>Åsa → Öst</b><c>Ω</c></a>".encode())
    assert _stripped(secrets.message_values(root)) == {"Åsa → Öst", "Ω"} and len(counted) == 2


def test_a_message_with_too_many_values_to_read_at_once_is_walked(monkeypatch):
    """Past the bound, which values are sought depends on their order: the walk keeps document order."""
    monkeypatch.setattr(secrets, "_MOST_SECRETS", 5)
    root = etree.fromstring(b"<a><b>Tolvan</b><b>Nisse</b><b>Asa</b><b>Olle</b></a>")
    assert not isinstance(secrets.message_values(root), list)
    assert list(secrets.message_values(root))[:4] == ["Tolvan", "Nisse", "Asa", "Olle"]


# --- a message routed to a pack, and its detection made safe to print -----------------------------------------------


def test_messages_routed_alike_share_one_detection_and_another_pack_gets_its_own():
    """The detection of a routed message is worked out once per namespace, operation and direction and pack."""
    from dataclasses import replace

    from ssbtek_validator.packs.schema_packs import builtin_packs, detect

    packs = builtin_packs()
    first, second = (parse(Source(name, REQUEST)) for name in ("a.xml", "b.xml"))
    detection, findings = detect(first, packs)
    assert detect(second, packs) == (detection, []) and detect(second, packs)[0] is detection and not findings
    bundle = replace(packs[10], id="bundle-v10", status="external", origin="bundle")
    other, _ = detect(second, {**packs, 10: bundle})
    assert (other.pack_id, other.pack_status) == ("bundle-v10", "external") and "--schemas" in other.reason
    assert detect(second, packs)[0].pack_id == "ssbt-v10"
    forced, _ = detect(second, packs, forced=11)
    assert forced.version == 11 and forced.reason.startswith("forced by --pack 11")


def test_a_detection_is_copied_only_when_its_reason_is_masked():
    from ssbtek_validator.results.model import Detection, MessageResult
    from ssbtek_validator.results.safe_text import safe_result

    plain = Detection(10, "ssbt-v10", reason="namespace http://schema.forsakringskassan.se/integration/ssbt/10")
    assert safe_result(MessageResult("m.xml", plain), False).detection is plain
    named = Detection(reason="namespace urn:191212121212 is not an SSBTEK namespace")
    shown = safe_result(MessageResult("m.xml", named), False).detection
    assert "191212121212" not in shown.reason and shown.version is None


@given(st.text(st.sampled_from("m.xl/1912-0 \n\x1b\u202e:&;Entity'"), max_size=30), st.booleans())
def test_a_message_s_name_is_cleaned_as_the_cached_cleaning_cleans_it(name: str, show_values: bool):
    from ssbtek_validator.results import safe_text
    from ssbtek_validator.results.model import MessageResult

    assert safe_text.safe_result(MessageResult(name), show_values).file == safe_text._clean(name, show_values)


def test_a_message_without_findings_keeps_its_lists_and_its_name_is_not_looked_up(monkeypatch):
    """A batch names each file once: looking the name of a message without findings up in the cleaning's cache only
    missed. The empty lists of a message that found and observed nothing are kept as they are; one with findings
    still has them made safe."""
    from ssbtek_validator.results import safe_text
    from ssbtek_validator.results.model import Detection, MessageResult

    looked_up: list[str] = []
    cached = safe_text._clean
    monkeypatch.setattr(safe_text, "_clean", lambda text, show: looked_up.append(text) or cached(text, show))
    result = MessageResult("19121212-1212.xml", Detection(10, "ssbt-v10", reason="namespace x"))
    findings, observed = result.findings, result.observed
    safe = safe_text.safe_result(result, False)
    assert looked_up == ["namespace x"] and safe.file == "•••••••••••••.xml"
    assert safe.findings is findings and safe.observed is observed
    found = Finding("SSBT-SOAP", Severity.ERROR, "a\nb", "m.xml")
    safe = safe_text.safe_result(MessageResult("m.xml", findings=[found], observed=["agency:FK:data"]), False)
    assert [f.message for f in safe.findings] == ["a\\nb"] and safe.observed == ["agency:FK:data"]
    # a message with findings looks its name up: each finding names the same file and finds it cleaned there
    assert looked_up.count("m.xml") == 2


def test_a_comment_or_instruction_that_starts_like_an_entity_reference_gives_no_value():
    """Only an entity reference gives its name; a comment or instruction reading "&Nisse;" is no value, and
    a word in one must not mask the same word in the report (it did: both were read as references)."""
    root = etree.fromstring(
        b'<!DOCTYPE a [<!ENTITY Tolvan "x">]><a><?pi &Nisse;?><!--&Olle;--><b>&Tolvan;</b></a>', safe_parser()
    )
    assert list(secrets.message_values(root)) == ["Tolvan"]


# --- the message's date: frageTidpunkt near the top, found without lxml's look-ahead search ----------------------

_NAMES = st.sampled_from(["frageTidpunkt", "p:frageTidpunkt", "q:frageTidpunkt", "x", "p:x", "frageTidpunkt2"])


def _tree(depth: int):
    leaf = st.sampled_from(["", "text", "<!--frageTidpunkt-->", "<?frageTidpunkt x?>"])
    inner = leaf if depth == 0 else st.one_of(leaf, _tree(depth - 1))
    return st.tuples(_NAMES, st.lists(inner, max_size=4)).map(
        lambda parts: f'<{parts[0]} xmlns:p="urn:p" xmlns:q="urn:q">{"".join(parts[1])}</{parts[0]}>'
    )


@settings(max_examples=150)
@given(_tree(4))
def test_the_first_element_of_a_name_is_the_one_lxml_finds_first(document):
    """Equivalence with the filtered iterator: any namespace or none, comments and instructions named like
    it, before and after the nodes read one by one."""
    root = etree.fromstring(document.encode())
    assert driver._first_named(root, "frageTidpunkt") is next(root.iter("{*}frageTidpunkt"), None)
    # a payload below the root, with a match after it and comments around it: the walk stays in its subtree
    outer = etree.fromstring(f"<w><!--c-->{document}<!--c--><frageTidpunkt/><x/></w>".encode())
    payload = outer[1]
    assert driver._first_named(payload, "frageTidpunkt") is next(payload.iter("{*}frageTidpunkt"), None)


def test_the_date_of_a_question_or_an_answer_is_found_without_a_search(monkeypatch):
    searched = []
    monkeypatch.setattr(driver, "_search", lambda payload, name: searched.append(name))
    for path in sorted(CORPUS.glob("v1[01]/*.xml")):
        message = parse(Source(path.name, path.read_bytes()))
        if message.payload is not None and message.payload.find(".//{*}frageTidpunkt") is not None:
            assert driver.message_date(message, None)[1] == "frageTidpunkt", path
    assert searched == []
    late = etree.fromstring(b"<a>" + b"<b/>" * 20 + b"<frageTidpunkt>2026-01-02</frageTidpunkt></a>")
    driver._first_named(late, "frageTidpunkt")
    assert searched == ["frageTidpunkt"]


_CODECS = {"UTF-8": "utf-8", "UTF-16": "utf-16", "ISO-8859-1": "latin-1", "windows-1252": "cp1252"}


@settings(max_examples=150)
@given(_tree(4), st.sampled_from(sorted(_CODECS)), st.booleans())
def test_a_name_the_bytes_do_not_hold_names_no_element(document, encoding, declared):
    """may_name says no only where the tree holds no element of the name: in every encoding a message may use
    (UTF-16's bytes never hold an ASCII name, so it is asked of the tree), declared or not."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declared or encoding != "UTF-8" else ""
    message = parse(Source("m.xml", (head + document).encode(_CODECS[encoding])))
    assert message.root is not None
    if not message.may_name(b"frageTidpunkt"):
        assert next(message.root.iter("{*}frageTidpunkt"), None) is None
        assert encoding != "UTF-16"


def test_the_date_of_a_message_without_one_is_not_looked_for_in_its_tree(monkeypatch):
    """A ping, a fault, an answer without frageTidpunkt: the bytes say there is none, and the tree is not read;
    the same message in UTF-16 is read as before."""
    walked = []
    monkeypatch.setattr(driver, "_first_named", lambda payload, name: walked.append(name))
    ping = CORPUS / "v10" / "ping-answer.xml"
    data = ping.read_bytes()
    assert b"frageTidpunkt" not in data
    message = parse(Source(ping.name, data))
    assert message.payload is not None and message.ascii_markup
    assert driver.message_date(message, date(2026, 1, 2)) == (date(2026, 1, 2), "--as-of")
    assert walked == []
    wide = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    message = parse(Source(ping.name, wide))
    assert message.payload is not None and not message.ascii_markup
    assert driver.message_date(message, date(2026, 1, 2)) == (date(2026, 1, 2), "--as-of")
    assert walked == ["frageTidpunkt"]


def _capped_long_way(findings, most: int, rule: str, file: str) -> list:
    """capped as first written: up to ``most`` + 1 pulled, the last replaced by the note."""
    from itertools import islice

    taken = list(islice(findings, most + 1))
    if len(taken) <= most:
        return taken
    taken[most] = Finding(rule, Severity.INFO, f"More {rule} findings not listed: only the first {most:,} per rule "
                          "and message are reported.", file=file)  # fmt: skip
    return taken


@given(count=st.integers(0, 8), most=st.integers(0, 5), as_list=st.booleans(), nones=st.booleans())
def test_capped_gives_what_the_long_way_gives_and_pulls_as_little(count, most, as_list, nones):
    """capped's shortcut for a rule that found nothing gives the same list as pulling ``most`` + 1 with islice,
    for generators and lists, a rule yielding None included, and pulls no more than that."""
    made = [None if nones else Finding("SSBT-X", Severity.ERROR, f"finding {n}") for n in range(count)]
    pulled: list[int] = []

    def rule_check():
        for index, finding in enumerate(made):
            pulled.append(index)
            yield finding

    found = driver.capped(made if as_list else rule_check(), most, "SSBT-X", "m.xml")
    assert found == _capped_long_way(iter(made), most, "SSBT-X", "m.xml")
    assert len(pulled) <= (0 if as_list else min(count, most + 1))


def test_a_rule_that_found_nothing_costs_capped_no_slice():
    """The common case (most rules find nothing in most messages) builds no islice."""
    with patch.object(driver, "islice", side_effect=AssertionError("sliced")):
        assert driver.capped(iter(()), 1000, "SSBT-X", "m.xml") == []
        assert driver.capped([], 1000, "SSBT-X", "m.xml") == []


def test_a_message_s_tree_is_freed_before_the_next_input_is_parsed(monkeypatch):
    """Held until the next parse had built its own tree, two trees alternated in memory and each parse met
    colder caches: when the next message is parsed, no earlier one is alive."""
    import gc

    from ssbtek_validator.reading.message import Message

    alive_at_parse: list[int] = []

    def counting_parse(source, limits):
        alive_at_parse.append(sum(1 for obj in gc.get_objects() if type(obj) is Message))
        return parse(source, limits)

    monkeypatch.setattr(driver, "parse", counting_parse)
    sources = [Source(f"{index}.xml", REQUEST) for index in range(3)]
    result = validate_sources(sources, Options(rules=(), as_of=date(2026, 11, 1), coverage=False), builtin_packs())
    assert len(result.messages) == 3 and alive_at_parse == [0, 0, 0]


def test_the_context_made_for_every_message_has_slots():
    """A Context is made per message: with slots, ~0.4 µs instead of ~0.85 with an instance dict."""
    context = Context(parse(Source("m.xml", REQUEST)), builtin_packs()[10], None, DEFAULT_LIMITS, date(2026, 11, 1))
    assert not hasattr(context, "__dict__") and "observed" in Context.__slots__


def test_a_batch_without_findings_is_not_bounded_message_by_message(monkeypatch):
    """bound_findings is asked after a message with findings only: one without has nothing to keep or leave out."""
    from ssbtek_validator.results.model import RunResult

    calls = []
    real = RunResult.bound_findings
    monkeypatch.setattr(
        RunResult, "bound_findings", lambda self, most: calls.append(len(self.messages)) or real(self, most)
    )
    sources = [Source("a.xml", REQUEST), Source("b.xml", b"<broken"), Source("c.xml", REQUEST), Source("d.xml", b"<x")]
    result = validate_sources(sources, Options(rules=(), as_of=date(2026, 11, 1), coverage=False), builtin_packs())
    assert calls == [2, 4] and result.findings_kept == 2


def test_the_packs_answer_get_as_a_mapping_does():
    """BuiltinPacks.get answers what Mapping.get answers for a pack read, one not yet read and a version there is
    no pack of, and reads a pack once."""
    from collections.abc import Mapping

    from ssbtek_validator.packs import schema_packs

    read = []
    packs = schema_packs.OnDemand({1: "one", 2: "two"}, lambda key, path: read.append(key) or f"pack {key} from {path}")
    for key in (1, 1, 2, 3, "x"):
        assert packs.get(key) == Mapping.get(packs, key) and packs.get(key, "none") == Mapping.get(packs, key, "none")
    assert read == [1, 2]


#: corpus messages whose findings' texts are made safe: ours, libxml2's, and some searched for the message's values
_CHECKED = sorted((CORPUS / "v10").glob("*.xml"))[:40] + sorted((CORPUS / "v11").glob("*.xml"))[:10]
#: names a message may have, hostile to a report line: control characters, a workflow command, identities
_NAMES = st.lists(
    st.sampled_from([*"ab1\n\x1b\u202e:./ -", "19121212-1212", "::error ", "Entity 'x'"]), max_size=6
).map("".join)


@given(
    picked=st.lists(st.tuples(st.sampled_from(_CHECKED), _NAMES), min_size=1, max_size=5),
    together=st.integers(1, 3),
    show_values=st.booleans(),
)
def test_texts_made_safe_together_are_those_made_safe_message_by_message(picked, together, show_values):
    """A batch's texts made safe after some of its messages were checked (made_safe) are the texts each message's
    own validate_message makes safe: hostile names, findings quoting the message's values, --show-values."""
    options = Options(as_of=date(2026, 11, 1), show_values=show_values, coverage=False)
    packs = builtin_packs()
    sources = [Source(name + path.name, path.read_bytes()) for path, name in picked]
    with patch.object(driver, "SAFE_TOGETHER", together):
        together_made = [m.to_dict() for m in validate_sources(sources, options, packs).messages]
    assert together_made == [driver.validate_message(s, options, packs).to_dict() for s in sources]


def test_a_batch_s_texts_are_made_safe_after_its_messages_are_checked(monkeypatch):
    """made_safe's job: no message's texts are made safe between two messages' checks until SAFE_TOGETHER
    messages wait (the masking code stays warm), and none is left unsafe at the end."""
    events: list[str] = []
    real_check, real_safe = driver._validate_message, driver.safe_result
    monkeypatch.setattr(driver, "_validate_message", lambda *a: events.append("check") or real_check(*a))
    monkeypatch.setattr(driver, "safe_result", lambda *a: events.append("safe") or real_safe(*a))
    monkeypatch.setattr(driver, "SAFE_TOGETHER", 3)
    sources = [Source(f"m\n{index}.xml", REQUEST) for index in range(7)]
    result = validate_sources(sources, Options(as_of=date(2026, 11, 1), coverage=False), builtin_packs())
    assert "".join("c" if event == "check" else "s" for event in events) == "cccssscccssscs"
    assert [m.file for m in result.messages] == [f"m\\n{index}.xml" for index in range(7)]


def test_a_message_whose_texts_cannot_be_made_safe_fails_alone(monkeypatch):
    """As a failure anywhere in checking a message: that input is reported as one the validator failed on, the
    others of its batch are made safe and judged."""
    real_safe = driver.safe_result

    def failing(result, show_values, secrets=None):
        if result.file == "bad.xml" and not result.findings:  # the failure reported is made safe
            raise RuntimeError("boom")
        return real_safe(result, show_values, secrets)

    monkeypatch.setattr(driver, "safe_result", failing)
    sources = [Source("a.xml", REQUEST), Source("bad.xml", REQUEST), Source("c.xml", REQUEST)]
    result = validate_sources(sources, Options(as_of=date(2026, 11, 1), coverage=False), builtin_packs())
    assert [m.file for m in result.messages] == ["a.xml", "bad.xml", "c.xml"]
    assert [m.verdict.value for m in result.messages] == ["conforms", "incomplete", "conforms"]
    assert "RuntimeError" in result.messages[1].findings[0].message
