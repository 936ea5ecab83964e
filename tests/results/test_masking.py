"""Masking by what a value looks like, not only by where it sits; masks that look like masks; reports that
say values are masked; and no report line a CI log could take for a command.

The leak test takes corpus messages and puts a personnummer, a name, or a personnummer in other digits
and with other separators into every text and attribute value (and into file names), then looks for each
secret in every output format and in certification's reports and evidence, in the secret's own spelling,
as plain ASCII digits, and with its separators stripped.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate
from ssbtek_validator.cli.main import main
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.report import REPORTERS
from ssbtek_validator.results.masking import (
    MASK_CHAR,
    MASKED_NOTICE,
    UNMASKED_NOTICE,
    mask,
    mask_identities,
    masked_value,
)
from ssbtek_validator.results.model import RunResult
from ssbtek_validator.results.safe_text import line_start

from ..conftest import CORPUS

#: the synthetic person of the corpus, in the spellings the masking must recognise
SECRETS = (
    "191212121212",
    "19121212-1212",
    "Tolvan Tolvansson",
    "Tolvansson",
    "１９１２１２１２-１２１２",  # fullwidth
    "١٩١٢١٢١٢١٢١٢",  # Arabic-Indic
    "१९१२१२१२१२१२",  # Devanagari
    "19121212 1212",
    "1912_1212_1212",
    "19.12.12.12.12.12",
    "191212.121212",
)
AS_OF = ["--as-of", "2026-11-01"]
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _messages() -> list[Path]:
    """Corpus messages that parse: the ones whose values can be replaced."""
    found = []
    for path in sorted(CORPUS.rglob("*.xml")):
        try:
            etree.fromstring(path.read_bytes(), _PARSER)
        except etree.XMLSyntaxError:
            continue
        found.append(path)
    return found


MESSAGES = _messages()


def forms(secret: str) -> set[str]:
    """The secret as written, in ASCII digits, and without separators (and a name's words)."""
    ascii_digits = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in secret)
    spellings = {secret, ascii_digits, re.sub(r"[\W_]", "", secret), re.sub(r"[\W_]", "", ascii_digits)}
    if not any(c.isdigit() for c in secret):
        spellings |= {word for word in secret.split() if len(word) >= 4}
    return spellings


def poisoned(path: Path, secrets: list[str]) -> bytes:
    """The message with every text and attribute value replaced by a secret (taken in turn)."""
    root = etree.fromstring(path.read_bytes(), _PARSER)
    turn = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and element.text.strip():
            element.text = secrets[turn % len(secrets)]
            turn += 1
        for name in element.attrib:
            element.set(name, secrets[(turn := turn + 1) % len(secrets)])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def render(name: str, result: RunResult) -> str:
    stream = io.StringIO()
    REPORTERS[name](result, builtin_packs(), stream)
    return stream.getvalue()


def leaks(output: str, secrets: list[str]) -> list[str]:
    return sorted(form for secret in secrets for form in forms(secret) if form in output)


@settings(max_examples=25)
@given(st.sampled_from(MESSAGES), st.lists(st.sampled_from(SECRETS), min_size=1, max_size=3))
def test_no_report_format_shows_personal_data_put_in_any_value(path: Path, secrets: list[str]):
    result = validate(poisoned(path, secrets), as_of=None)
    for name in REPORTERS:
        assert leaks(render(name, result), secrets) == [], (name, path.name)


def test_a_poisoned_corpus_leaks_nothing_in_any_format_nor_in_certification(tmp_path: Path):
    """Every corpus message poisoned, some files named after the person; every format, and `certify`'s three
    files, through the command."""
    captures = tmp_path / "captures"
    captures.mkdir()
    file_names = ["19121212-1212", "１９１２１２１２１２１２", "1912 1212 1212", "1912_1212_1212"]
    for index, path in enumerate(MESSAGES):
        stem = file_names[index] if index < len(file_names) else f"m{index:03d}"
        (captures / f"{stem}.xml").write_bytes(poisoned(path, [SECRETS[index % len(SECRETS)]]))
    result = validate(captures, as_of=date(2026, 11, 1))  # what the command reports (tests/cli/test_cli.py)
    assert result.exit_code in (1, 3)
    for output_format in REPORTERS:
        assert leaks(render(output_format, result), list(SECRETS)) == [], output_format
    out = tmp_path / "out"
    run = CliRunner().invoke(main, ["certify", str(captures), "--version", "10", *AS_OF, "--out", str(out)])
    assert run.exit_code in (1, 3), run.output
    written = [run.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]
    assert len(written) == 4
    for text in written:
        assert leaks(text, list(SECRETS)) == []
    verify = CliRunner().invoke(main, ["certify", "--verify", str(out / "evidence.json")])
    assert verify.exit_code == 0, verify.output  # masked file names inside the folder verify as recorded


def test_a_certified_input_named_after_a_person_is_masked_and_verify_asks_for_it_again(tmp_path: Path):
    capture = tmp_path / "19121212-1212.xml"
    capture.write_bytes((CORPUS / "v10" / "request-minimal.xml").read_bytes())
    out = tmp_path / "out"
    CliRunner().invoke(main, ["certify", str(capture), "--version", "10", *AS_OF, "--out", str(out)])
    evidence = (out / "evidence.json").read_text(encoding="utf-8")
    assert leaks(evidence, ["19121212-1212"]) == [] and MASK_CHAR in evidence
    alone = CliRunner().invoke(main, ["certify", "--verify", str(out / "evidence.json")])
    assert alone.exit_code == 2 and "masked" in alone.output
    again = CliRunner().invoke(main, ["certify", "--verify", str(out / "evidence.json"), str(capture)])
    assert again.exit_code == 0, again.output


# --- by shape, not only by field ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field"),
    [("191212121212", "fromDatum"), ("Tolvan", "kalla"), ("19121212-1212", "anropad"), ("Tolvan", "version")],
)
def test_a_public_field_shows_only_values_shaped_like_what_it_holds(value: str, field: str):
    assert masked_value(value, field, show_values=False) == mask(value)
    assert masked_value(value, field, show_values=True) == value


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("2026-10-14", "fromDatum"),
        ("2026-10-14T09:30:00+02:00", "frageTidpunkt"),
        ("true", "anropad"),
        ("SSBT", "kalla"),
        ("-1004", "ResultatKod"),
        ("v9", "version"),
        ("2025", "ar"),
        ("FK:GEPI", "id"),
        ("b1e0c4d2-5a7f-4e93-8c16-0f2d9a3b7e51", "korrelationsid"),
    ],
)
def test_a_public_field_shows_a_value_of_its_kind(value: str, field: str):
    assert masked_value(value, field, show_values=False) == value


@pytest.mark.parametrize("secret", [s for s in SECRETS if any(c.isdigit() for c in s)])
def test_identities_in_any_digits_and_separators_are_masked_in_free_text(secret: str):
    text = mask_identities(f"file {secret}.xml names someone")
    assert leaks(text, [secret]) == [] and MASK_CHAR in text


def test_a_korrelationsid_stays_readable_even_with_twelve_digits_at_its_end():
    korrelationsid = "00000000-0000-4000-8000-191212121212"
    assert mask_identities(f"korrelationsid {korrelationsid}") == f"korrelationsid {korrelationsid}"


SOAP = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{}</soapenv:Body></soapenv:Envelope>'


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0"?><a>&Tolvansson;</a>',  # an entity name libxml2 quotes
        SOAP.format("<soapenv:Fault><faultcode>Tolvansson</faultcode><faultstring>x</faultstring></soapenv:Fault>"),
        SOAP.format('<x:fraga xmlns:x="urn:person:Tolvansson:191212121212"><x:p>1</x:p></x:fraga>'),
    ],
    ids=["entity-name", "faultcode", "foreign-namespace"],
)
def test_names_outside_values_are_masked_too(document: str):
    result = validate(document.encode())
    assert any(r.findings for r in result.messages)
    for name in REPORTERS:
        assert leaks(render(name, result), ["Tolvansson", "191212121212"]) == [], name
    shown = validate(document.encode(), show_values=True)
    assert "Tolvansson" in render("text", shown)


# --- visible masks, readable non-personal values ------------------------------------------------------------


def test_a_mask_is_visibly_a_mask_and_keeps_a_length_hint():
    assert mask("191212121212") == MASK_CHAR * 12
    assert mask("x" * 40) == f"{MASK_CHAR * 3}(40 chars)"
    assert not any(c.isalnum() for c in mask("Tolvan Tolvansson"))


def test_the_korrelationsid_of_a_finding_is_readable_so_the_message_can_be_found():
    answer = CORPUS / "v10" / "answer-all-agencies-data.xml"
    korrelationsid = re.search(r"korrelationsid>([^<]+)<", answer.read_text(encoding="utf-8"))
    assert korrelationsid is not None
    result = validate(answer, pairs=True)  # alone, the answer is not paired: the finding names its korrelationsid
    assert any(korrelationsid.group(1) in f.message for e in result.exchanges for f in e.findings)
    for name in REPORTERS:
        assert korrelationsid.group(1) in render(name, result), name


@pytest.mark.parametrize("output_format", sorted(REPORTERS))
def test_every_format_says_whether_values_are_masked(output_format: str):
    message = CORPUS / "v10" / "invalid-name-in-personidentitet.xml"
    masked = CliRunner().invoke(main, ["--format", output_format, str(message)]).output
    shown = CliRunner().invoke(main, ["--format", output_format, "--show-values", str(message)]).output
    if output_format == "html":
        masked, shown = (page.replace("&#x27;", "'") for page in (masked, shown))
    assert MASKED_NOTICE in masked and "--show-values" in masked and UNMASKED_NOTICE not in masked
    assert UNMASKED_NOTICE in shown and MASKED_NOTICE not in shown
    assert MASK_CHAR in masked and "Tolvan Tolvansson" in shown


def test_certification_evidence_says_values_are_masked(tmp_path: Path):
    out = tmp_path / "out"
    request = str(CORPUS / "v10" / "request-minimal.xml")
    CliRunner().invoke(main, ["certify", request, "--pack", "10", "--output", str(out)])
    assert json.loads((out / "evidence.json").read_text(encoding="utf-8"))["values"] == MASKED_NOTICE


# --- nothing a CI log takes for a command ---------------------------------------------------------------------

HOSTILE_NAMES = [
    "::error file=README.md,line=1::PWNED.xml",
    "  ::warning::indented.xml",
    "evil\u202egnp.xml",
    "two\nlines.xml",
    "esc\x1b[31mred.xml",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    valid = (CORPUS / "v10" / "request-minimal.xml").read_bytes()
    for index, name in enumerate(HOSTILE_NAMES):
        (folder / name).write_bytes(valid if index % 2 else b"<not-ssbtek/>")
    return folder


@pytest.mark.parametrize("output_format", sorted(REPORTERS))
def test_no_report_line_starts_with_a_workflow_command_nor_carries_control_characters(
    hostile: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(hostile)  # relative names: the line starts with the name itself
    run = CliRunner().invoke(main, ["--format", output_format, *AS_OF, *HOSTILE_NAMES])
    assert run.exit_code == 1, run.output
    lines = run.output.splitlines()
    commands = [line for line in lines if line.lstrip().startswith("::")]
    if output_format == "github":  # its own annotations only, one per finding, with the name escaped inside
        assert all(re.match(r"::(error|warning|notice) ", line) for line in commands)
        assert not any("::PWNED" in line or "::indented" in line for line in commands)
    else:
        assert commands == []
    assert not any(c in run.output for c in ("\x1b", "\u202e", "two\nlines"))
    if output_format in ("text", "github", "junit"):
        assert "\\u202e" in run.output  # escaped, so a reader sees it is there


def test_line_start_keeps_the_path_and_defuses_the_command():
    assert line_start("::error::x.xml") == "./::error::x.xml"
    assert line_start("a::b.xml") == "a::b.xml"


#: the identity pattern as first written, lookbehinds first: the reference the faster spelling must agree with
_IDENTITY_AS_WRITTEN = re.compile(r"(?<!\d)(?<!\d[ _.+\-])\d(?:[ _.+\-]?\d){9,11}(?![ _.+\-]?\d)")


@settings(max_examples=300)
@given(st.text(st.sampled_from("0123456789١９ _.+-xa'"), max_size=40))
def test_the_identity_pattern_finds_what_it_found_as_first_written(text):
    """Equivalence on digit runs of any script and length, separators alone, doubled, at either end."""
    from ssbtek_validator.results.masking import _IDENTITY

    assert [m.span() for m in _IDENTITY.finditer(text)] == [m.span() for m in _IDENTITY_AS_WRITTEN.finditer(text)]
    assert _IDENTITY.pattern.startswith("\\d(")  # a digit first: what lets the engine skip to the next digit


def _masked_the_long_way(text: str) -> str:
    """mask_identities without its count of digits: the pattern decides alone."""
    from unittest.mock import patch

    from ssbtek_validator.results import masking

    with patch.object(masking, "_too_few_digits", lambda text: False):
        return masking.mask_identities(text)


@given(st.text(alphabet="0123456789 -_.+/abc\u0663\u0967", max_size=40))
def test_the_count_of_digits_masks_what_the_pattern_masks(text: str):
    """Fewer than ten ASCII digits in an ASCII text: no identity; other digits (Arabic-Indic, Devanagari, which
    \\d matches) leave the answer to the pattern."""
    assert mask_identities(text) == _masked_the_long_way(text)
    padded = f"/folder/{text}/1912121212.xml"
    assert mask_identities(padded) == _masked_the_long_way(padded)


def test_a_file_name_with_few_digits_is_not_searched_for_identities(monkeypatch):
    from ssbtek_validator.results import masking

    searched = []

    class Spy:
        def search(self, text):
            searched.append(text)
            return masking._IDENTITY_PATTERN.search(text)

        def sub(self, replace, text):
            return masking._IDENTITY_PATTERN.sub(replace, text)

    monkeypatch.setattr(masking, "_IDENTITY_PATTERN", masking._IDENTITY, raising=False)
    monkeypatch.setattr(masking, "_IDENTITY", Spy())
    assert mask_identities("/tmp/batch/000123.xml") == "/tmp/batch/000123.xml" and searched == []
    assert mask_identities("/tmp/batch/19121212-1212.xml") == "/tmp/batch/" + "•" * 13 + ".xml"
    assert searched == ["/tmp/batch/19121212-1212.xml"]


@pytest.mark.parametrize(
    "instant",
    [
        "2026-10-14T09:12:33.4181234+02:00",
        "2026-10-14T09:12:33.4181234Z",
        "2026-10-14T09:12:33.418123456-05:00",
        "2026-10-14 09:12:33.418+02:00",  # a space for the T: no xs:dateTime, and no identity either
    ],
)
def test_a_date_time_with_many_fraction_digits_stays_readable(instant: str):
    """.NET writes seven fraction digits: with a zone they make eleven digits in a row, which are no identity. An
    identity beside the date-time is still masked."""
    text = f"frageTidpunkt {instant} echoed as 2026-10-14T09:12:33.418+02:00 for 19121212-1212"
    assert mask_identities(text) == text.replace("19121212-1212", "•" * 13)


def test_an_attribute_name_libxml2_quotes_is_not_masked_but_a_value_is():
    from ssbtek_validator.results.masking import scrub_text

    said = "ssbt:korrelationsid @lang: The attribute 'lang' is not allowed."
    assert scrub_text(said, "lang", show_values=False) == said
    valued = "ssbt:x @lang: 'Tolvan' is not a valid value of the atomic type 'xs:language'."
    assert scrub_text(valued, "lang", show_values=False) == valued.replace("Tolvan", "••••••")


def test_a_schema_finding_about_an_attribute_gives_the_attribute_s_value(tmp_path: Path):
    """Its path ends at the attribute, so its value is the attribute's (masked by the attribute's field), not the
    element's text (which showed a korrelationsid masked as an xml:lang)."""
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.run.driver import Options, validate_message

    request = (CORPUS / "v10" / "request-full.xml").read_bytes()
    marked = request.replace(b"<ssbt:korrelationsid>", b'<ssbt:korrelationsid xml:lang="sv">', 1)
    options = Options(as_of=date(2026, 11, 1), coverage=False, show_values=True)
    result = validate_message(Source("m.xml", marked), options, builtin_packs())
    (finding,) = [finding for finding in result.findings if finding.rule == "SSBT-XSD"]
    assert finding.path.endswith("/@lang") and finding.value == "sv"
    assert "'lang'" in finding.message
