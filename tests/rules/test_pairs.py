"""A request and its answer judged together: from two files, a folder (korrelationsid) or a HAR capture."""

from __future__ import annotations

import json
import shutil
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator import builtin_packs, validate
from ssbtek_validator.reading.inputs import read_file
from ssbtek_validator.results.model import Severity
from ssbtek_validator.rules.exchange import PairFrageTidpunktRule
from ssbtek_validator.run.driver import Options, validate_pair

from ..conftest import CORPUS, run_cli

MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))
EXCHANGES = MANIFEST["exchange"]
HARS = MANIFEST["har"]


def run(*args: str):
    return run_cli(*args)


def _pair(request: str, answer: str):
    return validate_pair(read_file(CORPUS / request), read_file(CORPUS / answer), Options(), builtin_packs())


@pytest.mark.parametrize("case", EXCHANGES, ids=[f"{c['request']}+{c['answer']}" for c in EXCHANGES])
def test_exchange_meets_manifest(case):
    result = _pair(case["request"], case["answer"])
    [exchange] = result.exchanges
    got = Counter(f.rule for f in exchange.findings if f.severity is not Severity.INFO)
    assert got == Counter(case["findings"]), [f.message for f in exchange.findings]
    assert str(exchange.verdict) == case["verdict"]
    assert len(result.messages) == 2  # each message keeps its own verdict


@pytest.mark.parametrize("case", HARS, ids=[c["file"] for c in HARS])
def test_har_gives_one_verdict_per_exchange_and_per_message(case):
    result = validate(CORPUS / case["file"])
    assert [str(m.verdict) for m in result.messages] == case["messages"]
    assert [str(e.verdict) for e in result.exchanges] == case["exchanges"]
    assert all(e.paired_by == "har" for e in result.exchanges)
    for exchange in result.exchanges:  # every exchange names the two messages it judged
        assert {exchange.request, exchange.answer} <= {m.file for m in result.messages}
    if "findings" in case:  # per message, warnings and errors (as a [[case]] lists them)
        got = [Counter(f.rule for f in m.findings if f.severity is not Severity.INFO) for m in result.messages]
        assert got == [Counter(expected) for expected in case["findings"]], [
            [f.message for f in m.findings] for m in result.messages
        ]


def test_findings_of_an_exchange_point_at_the_answer_element():
    [exchange] = _pair("v10/request-full.xml", "pairs/answer-wrong-korrelationsid.xml").exchanges
    [finding] = exchange.findings
    assert finding.file.endswith("answer-wrong-korrelationsid.xml")
    assert finding.path.endswith("/ssbt:hamtaBastjanstInformationResponse/ssbt:korrelationsid")
    assert finding.line == 7


def test_echoed_fraga_difference_names_where():
    [exchange] = _pair("v10/request-echo-fraga.xml", "pairs/answer-echo-fraga-altered.xml").exchanges
    [finding] = exchange.findings
    assert "/fraga/generellaFrageparametrar/arendeidentitet (text)" in finding.message
    assert "EB-2026" not in finding.message  # the values themselves are not quoted


def test_pair_command_exit_codes_account_for_the_exchange():
    good = run("pair", CORPUS / "v10/request-full.xml", CORPUS / "v10/answer-all-agencies-data.xml")
    assert good.exit_code == 0, good.output
    assert "exchange" in good.output and "1 exchange: 1 conform" in good.output
    bad = run("pair", CORPUS / "v10/request-full.xml", CORPUS / "pairs/answer-wrong-korrelationsid.xml")
    assert bad.exit_code == 1  # both messages conform alone; the exchange does not
    assert "2 messages: 2 conform" in bad.output and "SSBT-PAIR-KORRELATIONSID" in bad.output


def test_pair_with_an_unreadable_side_is_incomplete(tmp_path):
    result = run("pair", CORPUS / "v10/request-full.xml", tmp_path / "missing.xml")
    assert result.exit_code == 3
    assert "SSBT-PAIR-INCOMPLETE" in result.output


def test_generic_soap_fault_answer_is_not_judged_as_a_pair():
    [exchange] = _pair("v10/request-full.xml", "misc/fault-generic-soap.xml").exchanges
    assert str(exchange.verdict) == "conforms"
    assert [f.rule for f in exchange.findings] == ["SSBT-PAIR-FAULT"]


def test_folder_pairs_by_korrelationsid(tmp_path):
    for name in ("v10/request-full.xml", "pairs/answer-other-frageTidpunkt.xml", "v10/request-minimal.xml"):
        shutil.copy(CORPUS / name, tmp_path / name.replace("/", "-"))
    result = run("--pairs", "--format", "json", tmp_path)
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert len(data["messages"]) == 3
    by_rule = {f["rule"] for e in data["exchanges"] for f in e["findings"]}
    assert by_rule == {"SSBT-PAIR-FRAGETIDPUNKT", "SSBT-PAIR-UNMATCHED"}
    [paired] = [e for e in data["exchanges"] if e["request"] and e["answer"]]
    assert paired["paired_by"] == "korrelationsid" and paired["verdict"] == "nonconformant"
    assert data["exchange_summary"]["exchanges"] == 2


def test_without_pairs_a_folder_has_no_exchanges(tmp_path):
    shutil.copy(CORPUS / "v10/request-full.xml", tmp_path / "a.xml")
    shutil.copy(CORPUS / "pairs/answer-other-frageTidpunkt.xml", tmp_path / "b.xml")
    result = validate(tmp_path)
    assert result.exchanges == [] and result.exit_code == 0


def _har(tmp_path, entries):
    path = tmp_path / "capture.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    return path


def _entry(request: str | None, answer: str | None) -> dict:
    entry = {"request": {"method": "POST", "url": "https://x.invalid/"}, "response": {"content": {}}}
    if request is not None:
        entry["request"]["postData"] = {"mimeType": "text/xml", "text": request}
    if answer is not None:
        entry["response"]["content"] = {"mimeType": "text/xml", "text": answer}
    return entry


def test_har_without_an_answer_body_is_an_incomplete_exchange(tmp_path):
    request = (CORPUS / "v10/request-full.xml").read_text(encoding="utf-8")
    result = run(_har(tmp_path, [_entry(request, None)]))
    assert result.exit_code == 3
    assert "exchange" in result.output and "incomplete" in result.output


def test_har_that_is_not_a_capture_is_unreadable(tmp_path):
    path = tmp_path / "broken.har"
    path.write_text('{"log": ', encoding="utf-8")
    result = validate(path)
    [message] = result.messages
    assert [f.rule for f in message.findings] == ["SSBT-READ"] and result.exit_code == 3


def test_har_without_soap_is_said_so(tmp_path):
    page = {"request": {"method": "GET"}, "response": {"content": {"mimeType": "text/html", "text": "<html/>"}}}
    result = validate(_har(tmp_path, [page]))
    assert result.exit_code == 3
    assert "no SOAP exchange" in result.messages[0].findings[0].message


def test_har_messages_are_masked_and_urls_never_reported(tmp_path):
    request = (CORPUS / "v10/invalid-personidentitet-check-digit.xml").read_text(encoding="utf-8")
    answer = (CORPUS / "v10/answer-all-agencies-data.xml").read_text(encoding="utf-8")
    entry = _entry(request, answer)
    entry["request"]["url"] = "https://x.invalid/?pnr=191212121213"
    result = run("--format", "json", _har(tmp_path, [entry]))
    assert "191212121213" not in result.output and "x.invalid" not in result.output
    assert "SSBT-PERSONID" in result.output


def test_strict_counts_exchange_warnings():
    paths = [CORPUS / "v10/request-full.xml", CORPUS / "v10/answer-minimal.xml"]
    relaxed = validate_pair(read_file(paths[0]), read_file(paths[1]), Options(), builtin_packs())
    strict = validate_pair(read_file(paths[0]), read_file(paths[1]), Options(strict=True), builtin_packs())
    assert relaxed.exit_code == strict.exit_code == 1  # korrelationsid is an error anyway
    warned = validate_pair(
        read_file(CORPUS / "v10/request-minimal.xml"),
        read_file(CORPUS / "v10/answer-minimal.xml"),
        Options(strict=True),
        builtin_packs(),
    )
    assert warned.exit_code == 0  # nothing to warn about: strict alone does not fail a clean pair


# ---------------------------------------------------------------- one answer against the question it echoes


def _echo_findings(tmp_path, old: str, new: str) -> list:
    text = (CORPUS / "v10" / "answer-echo-fraga.xml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "answer.xml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return [f for f in validate(path).messages[0].findings if f.rule == "SSBT-ANSWER-ECHO"]


def test_an_answer_echoing_fraga_without_the_flag_or_without_its_korrelationsid_contradicts_itself(tmp_path):
    flag = "<ssbt:fraganSkallInkluderasISvaret>true</ssbt:fraganSkallInkluderasISvaret>"
    [absent] = _echo_findings(tmp_path, flag, "")
    assert "fraganSkallInkluderasISvaret is absent" in absent.message and absent.path.endswith("/ssbt:fraga")
    own = "<ssbt:korrelationsid>b1e0c4d2-5a7f-4e93-8c16-0f2d9a3b7e51</ssbt:korrelationsid>\n      <ssbt:svarsdata>"
    [missing] = _echo_findings(tmp_path, own, "<ssbt:svarsdata>")
    assert missing.message == (
        "the echoed question has korrelationsid b1e0c4d2-5a7f-4e93-8c16-0f2d9a3b7e51 but the answer does not echo it."
    )
    assert _echo_findings(tmp_path, flag, flag.replace("true", "1")) == []  # xs:boolean's other spelling of true


def test_the_pair_rule_still_names_the_request():
    """The single-answer rule reuses the pair rule's comparison; the pair's wording is unchanged."""
    [exchange] = _pair("v10/request-full.xml", "pairs/answer-wrong-korrelationsid.xml").exchanges
    [finding] = [f for f in exchange.findings if f.rule == "SSBT-PAIR-KORRELATIONSID"]
    assert finding.message.startswith("the answer's korrelationsid is ") and "; the request's is " in finding.message


def test_an_echo_finding_masks_a_name_typed_where_a_date_or_uuid_belongs(tmp_path):
    """The pair rules quote frageTidpunkt and korrelationsid: a date or a UUID as it is, anything else masked."""
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    stamp = "2026-10-14T09:12:33.418+02:00"
    (tmp_path / "request.xml").write_text(request.replace(stamp, "Tolvan Tolvansson"), encoding="utf-8")
    answer = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_text(encoding="utf-8")
    (tmp_path / "answer.xml").write_text(answer, encoding="utf-8")
    result = validate_pair(
        read_file(tmp_path / "request.xml"), read_file(tmp_path / "answer.xml"), Options(), builtin_packs()
    )
    [exchange] = result.exchanges
    [finding] = [f for f in exchange.findings if f.rule == "SSBT-PAIR-FRAGETIDPUNKT"]
    assert "Tolvan" not in finding.message and stamp in finding.message  # the date stays readable


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(0, 9_999_999),
    st.integers(-14 * 60, 14 * 60),
)
def test_frageTidpunkt_is_the_same_instant_to_the_last_digit(moment, fraction, offset_minutes):
    """The same instant in two offsets with a seven-digit fraction (as .NET writes a DateTime) is the same
    frageTidpunkt; one unit more in the seventh digit is another one, though datetime keeps only six."""
    moment = moment.replace(microsecond=0)
    local = moment.replace(tzinfo=UTC).astimezone(timezone(timedelta(minutes=offset_minutes)))
    offset = local.strftime("%z")
    utc = f"{moment.isoformat()}.{fraction:07d}Z"
    elsewhere = f"{local.replace(tzinfo=None).isoformat()}.{fraction:07d}{offset[:3]}:{offset[3:]}"
    assert PairFrageTidpunktRule.same(utc, elsewhere)
    assert PairFrageTidpunktRule.same(utc, f"{moment.isoformat()}.{fraction:07d}".rstrip("0").rstrip(".") + "Z")
    if fraction < 9_999_999:
        assert not PairFrageTidpunktRule.same(utc, f"{moment.isoformat()}.{fraction + 1:07d}Z")
    assert not PairFrageTidpunktRule.same(utc, utc[:-1])  # a local time is no instant


def test_an_empty_echoed_flag_is_the_schemas_default_false():
    """<fraganSkallInkluderasISvaret/> is valid (default="0"): the echo rule reads it as false and says so."""
    answer = (CORPUS / "v10/answer-echo-fraga.xml").read_text(encoding="utf-8")
    answer = answer.replace(
        "<ssbt:fraganSkallInkluderasISvaret>true</ssbt:fraganSkallInkluderasISvaret>",
        "<ssbt:fraganSkallInkluderasISvaret/>",
    )
    [message] = validate(answer.encode("utf-8")).messages
    assert [(f.rule, f.severity) for f in message.findings] == [("SSBT-ANSWER-ECHO", Severity.ERROR)]
    assert "is empty (the schema's default, false)" in message.findings[0].message


@pytest.mark.parametrize(
    ("asked", "echoed", "cause"),
    [
        ("2026-10-14T09:12:33.4181234+02:00", "2026-10-14T09:12:33.418+02:00", "cut to 3 fraction digits"),
        ("2026-10-14T07:12:33.418Z", "2026-10-14T09:12:33+02:00", "cut to whole seconds"),
        ("2026-10-14T09:12:33.418", "2026-10-14T09:12:33.418+02:00", "adds a time zone"),
        ("2026-10-14T09:12:33.418+02:00", "2026-10-14T09:12:33.418", "drops the time zone"),
        ("2026-10-14T09:12:33.418+02:00", "2026-10-15T09:12:33.418+02:00", None),  # another day: no such cause
        ("2026-10-14T09:12:33.418+02:00", "2026-10-14T09:12:33.41+02:00", "cut to 2 fraction digits"),
        ("2026-10-14T09:12:33.418+02:00", "2026-10-14T09:12:33.42+02:00", None),  # rounded, not cut: just another
    ],
)
def test_a_frageTidpunkt_changed_by_a_serializer_is_an_error_that_names_the_change(tmp_path, asked, echoed, cause):
    """The contract returns frageTidpunkt as given: a zone added or dropped, or fraction digits cut, is not the
    value given (XML Schema compares xs:dateTime by value; a zoned and an unzoned time are not comparable
    within 14 hours), so it stays an error, and the finding says which change it was."""
    stamp = "2026-10-14T09:12:33.418+02:00"
    request = (CORPUS / "v10" / "request-full.xml").read_text(encoding="utf-8")
    answer = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_text(encoding="utf-8")
    (tmp_path / "request.xml").write_text(request.replace(stamp, asked), encoding="utf-8")
    (tmp_path / "answer.xml").write_text(answer.replace(stamp, echoed), encoding="utf-8")
    result = validate_pair(
        read_file(tmp_path / "request.xml"), read_file(tmp_path / "answer.xml"), Options(), builtin_packs()
    )
    [exchange] = result.exchanges
    [finding] = [f for f in exchange.findings if f.rule == "SSBT-PAIR-FRAGETIDPUNKT"]
    assert finding.severity.value == "error"
    if cause is None:
        assert "not returned as given" not in finding.message
    else:
        assert cause in finding.message and "not returned as given" in finding.message


def test_the_lefi_question_is_compared_as_bytes_not_as_lines():
    """xs:base64Binary collapses whitespace: line breaks are no part of the value, a changed character is."""
    from ssbtek_validator.rules.exchange import _canonical

    one_line = "eyJwZXJzb25udW1tZXIiOiIxOTEyMTIxMjEyMTIifQ=="
    wrapped = "eyJwZXJzb25udW1tZXIiOiIx\r\nOTEyMTIxMjEyMTIifQ==\n"
    assert _canonical("lefiJsonFraga", one_line) == _canonical("lefiJsonFraga", wrapped)
    assert _canonical("lefiJsonFraga", one_line) != _canonical("lefiJsonFraga", one_line.replace("IifQ", "IiwQ"))
    assert _canonical("arendeidentitet", "EB 1") != _canonical("arendeidentitet", "EB1")  # a string keeps its spaces
