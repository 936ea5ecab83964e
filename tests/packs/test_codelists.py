"""Effective-dated code lists: the data layer, the rule on real messages, and what the corpus covers."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree

import ssbtek_validator
from ssbtek_validator.packs import codelists
from ssbtek_validator.packs.codelists import (
    Binding,
    Catalogue,
    Code,
    CodeList,
    CodeListError,
    Status,
    builtin_catalogue,
    load_catalogue,
    parse_list,
    summarise,
)
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import DEFAULT_LIMITS
from ssbtek_validator.reading.message import parse
from ssbtek_validator.results.model import Severity
from ssbtek_validator.rules.base import Context
from ssbtek_validator.rules.code_lookup import ElementPaths, JsonPaths
from ssbtek_validator.rules.codes import OUT_OF_DATE, UNKNOWN_CLOSED, UNKNOWN_OPEN, CodeListRule
from ssbtek_validator.run.driver import Options, validate_paths, validate_sources

from ..conftest import CORPUS, ROOT
from ..reading.test_element_path import _DOCUMENT

CODELISTS = ROOT / "codelists"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text(encoding="utf-8"))

# ---------------------------------------------------------------- the data layer


def test_p37_is_not_valid_before_september_2021_and_valid_after():
    beloppstyp = builtin_catalogue().lists["lefi-beloppstyp"]
    before = beloppstyp.lookup("P37", date(2021, 6, 1))
    assert before.status is Status.NOT_YET
    assert before.code.valid_from == date(2021, 9, 1)
    assert beloppstyp.lookup("P37", date(2021, 10, 1)).status is Status.VALID
    assert beloppstyp.lookup("P38", date(2021, 8, 31)).status is Status.NOT_YET
    assert beloppstyp.lookup("P38", date(2021, 9, 1)).status is Status.VALID
    assert not {"P37", "P38"} & set(beloppstyp.valid_codes(date(2021, 6, 1)))
    assert {"P37", "P38"} <= set(beloppstyp.valid_codes(date(2021, 9, 1)))


def test_pus_and_the_other_2020_12_16_codes():
    beslutstyp = builtin_catalogue().lists["miv-beslutstyp"]
    for code in ("PUS", "UG", "US", "FÖRFALLER"):
        assert beslutstyp.lookup(code, date(2020, 12, 15)).status is Status.NOT_YET
        assert beslutstyp.lookup(code, date(2020, 12, 16)).status is Status.VALID
    assert beslutstyp.lookup("PUT", date(2000, 1, 1)).status is Status.VALID  # SKR's codes have no start date
    assert beslutstyp.lookup("NOPE", date(2026, 1, 1)).status is Status.UNKNOWN


def test_every_list_row_cites_a_source_and_every_list_a_status():
    catalogue = builtin_catalogue()
    assert len(catalogue.lists) == len(list(CODELISTS.glob("*.csv")))
    for code_list in catalogue.lists.values():
        assert code_list.status in {"official-derived", "provisional", "reconstructed"}, code_list.name
        assert code_list.codes, code_list.name
        assert all(row.source for row in code_list.codes), code_list.name


def test_bindings_cover_the_lists_the_issue_names():
    bound = {name for binding in builtin_catalogue().bindings for name in binding.lists}
    for expected in (
        "lefi-beloppstyp",
        "lefi-formaner",
        "miv-arendetyp",
        "miv-beslutstyp",
        "miv-beslutskod",
        "miv-giltighetstid",
        "kalla",
        "tns-resultat",
        "csn-resultatkod",
        "csn-stodform",
        "csn-beloppstyp",
        "af-aktivitetsrapport",
    ):
        assert expected in bound
    assert bound == set(builtin_catalogue().lists), "a list no binding uses"


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(start=st.none() | dates, length=st.none() | st.integers(0, 4000), when=dates)
def test_a_code_is_valid_exactly_inside_its_dates(start, length, when):
    end = start + timedelta(days=length) if start is not None and length is not None else None
    code_list = CodeList("x", "X", "reconstructed", "test", "", (Code("A", "", start, end, "test"),))
    status = code_list.lookup("A", when).status
    if start is not None and when < start:
        assert status is Status.NOT_YET
    elif end is not None and when > end:
        assert status is Status.WITHDRAWN
    else:
        assert status is Status.VALID


def test_a_code_with_two_periods_is_valid_in_either_and_says_which_it_missed():
    rows = (
        Code("A", "first", date(2010, 1, 1), date(2012, 12, 31), "s"),
        Code("A", "second", date(2015, 1, 1), None, "s"),
    )
    code_list = CodeList("x", "X", "reconstructed", "s", "", rows)
    assert code_list.lookup("A", date(2011, 6, 1)).status is Status.VALID
    assert code_list.lookup("A", date(2016, 6, 1)).status is Status.VALID
    gap = code_list.lookup("A", date(2013, 6, 1))
    assert gap.status is Status.NOT_YET and gap.code.description == "second"
    assert code_list.lookup("A", date(2009, 1, 1)).code.description == "first"


HEADER = "# status: x\n# source: y\ncode,description,valid_from,valid_to,source\n"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# status: x\n# source: y\ncode,description\nA,a\n", "header"),
        ("# source: y\ncode,description,valid_from,valid_to,source\nA,a,,,s\n", "status"),
        (HEADER + "A,a,,,\n", "source"),
        (HEADER + "A,a,2021-13-01,,s\n", "not a date"),
        (HEADER + "A,a,2021-02-01,2021-01-01,s\n", "before"),
        (HEADER + "A,a,,s\n", "columns"),
    ],
)
def test_a_broken_list_is_a_configuration_error(text, problem):
    with pytest.raises(CodeListError, match=problem):
        parse_list("x", text)


def _folder_with(tmp_path: Path, binding: str) -> Path:
    (tmp_path / "x.csv").write_text(
        "# status: reconstructed\n# source: test\ncode,description,valid_from,valid_to,source\nA,a,,,t\n",
        encoding="utf-8",
    )
    (tmp_path / "bindings.toml").write_text(binding, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("binding", "problem"),
    [
        ('[[binding]]\nid = "SSBT-CODE-X"\nlists = ["nope"]\nversions = [10]\ndirection = "answer"\nclosed = true\n'
         'summary = "s"\nxpath = "a"\n', "unknown lists"),
        ('[[binding]]\nid = "SSBT-CODE-X"\nlists = ["x"]\nversions = [10]\ndirection = "answer"\nclosed = true\n'
         'summary = "s"\nxpath = "a[["\n', "bad xpath"),
        ('[[binding]]\nid = "CODE-X"\nlists = ["x"]\nversions = [10]\ndirection = "answer"\nclosed = true\n'
         'summary = "s"\nxpath = "a"\n', "SSBT-CODE-"),
        ('[[binding]]\nid = "SSBT-CODE-X"\nlists = ["x"]\nversions = [10]\ndirection = "answer"\nclosed = true\n'
         'summary = "s"\njson = ["a"]\n', "payload model"),
        ('[[binding]]\nid = "SSBT-CODE-X"\nlists = ["x"]\nversions = [10]\ndirection = "answer"\nclosed = true\n'
         'summary = "s"\n', "exactly one of xpath or json"),
    ],
)  # fmt: skip
def test_a_broken_binding_is_a_configuration_error(tmp_path, binding, problem):
    with pytest.raises(CodeListError, match=problem):
        load_catalogue(_folder_with(tmp_path, binding))
    with pytest.raises(CodeListError, match=problem):  # also when the lists are left to be parsed on first use
        load_catalogue(_folder_with(tmp_path, binding), check_codes=False)


def test_the_bundled_lists_pass_every_check():
    """A run parses each bundled list on first use (builtin_catalogue), so the checks that need every row
    (a bad row, codes with a context their binding cannot find) are made here, on the whole folder."""
    checked = load_catalogue(CODELISTS)
    assert set(checked.lists) == {path.stem for path in CODELISTS.glob("*.csv")}
    assert [b.id for b in checked.bindings] == [b.id for b in builtin_catalogue().bindings]


def test_a_list_is_parsed_when_first_used(tmp_path):
    """The other side: a broken list does not stop loading, and is a configuration error when a run needs it."""
    folder = _folder_with(tmp_path, "")
    (folder / "broken.csv").write_text("# status: x\n# source: y\ncode,description\n", encoding="utf-8")
    with pytest.raises(CodeListError, match=r"broken\.csv"):
        load_catalogue(folder)
    lazy = load_catalogue(folder, check_codes=False)
    assert lazy.lists["x"].codes[0].code == "A"
    with pytest.raises(CodeListError, match=r"broken\.csv"):
        lazy.lists["broken"]  # the lookup is what fails


def test_the_lists_are_read_once_per_process(monkeypatch):
    reads: defaultdict[str, int] = defaultdict(int)
    real = codelists._read_csv

    def counting(path):
        reads[path.name] += 1
        return real(path)

    monkeypatch.setattr(codelists, "_read_csv", counting)
    codelists.builtin_catalogue.cache_clear()
    try:
        rule = CodeListRule()  # a fresh rule, as a new process would have
        options = Options(rules=(rule,))
        validate_paths([CORPUS / "v10"], options)
        validate_paths([CORPUS / "v11"], options)
        ssbtek_validator.validate(CORPUS / "v10" / "answer-all-agencies-data.xml")
    finally:
        codelists.builtin_catalogue.cache_clear()
    assert reads and set(reads.values()) == {1}, dict(reads)


# ---------------------------------------------------------------- the rule on messages

V10 = builtin_packs()[10]


def _check(path: Path, as_of: date | None = None):
    [message] = ssbtek_validator.validate(path, as_of=as_of).messages
    return message


def test_pus_dated_before_2020_12_16_names_both_dates_and_the_source_of_the_message_date():
    message = _check(CORPUS / "v10" / "invalid-miv-pus-before-2020-12-16.xml")
    finding = next(f for f in message.findings if f.rule == "SSBT-CODE-MIV-BESLUTSTYP")
    assert finding.severity is Severity.ERROR
    assert "'PUS'" in finding.message and "valid_from 2020-12-16" in finding.message
    assert "valid_to none" in finding.message and "2020-12-01 (frageTidpunkt)" in finding.message
    assert finding.path.endswith("/svarCollection/svar/beslutsTyp") and finding.line
    assert "code:miv-beslutstyp:PUS" in message.observed
    assert _check(CORPUS / "v10" / "answer-miv-pus-after-2020-12-16.xml").findings == []


def test_an_undated_message_is_judged_at_as_of_and_says_so():
    path = CORPUS / "v10" / "invalid-miv-pus-undated-as-of.xml"
    early = _check(path, as_of=date(2020, 12, 1))
    assert all("2020-12-01 (--as-of)" in f.message for f in early.findings) and len(early.findings) == 2
    assert _check(path, as_of=date(2020, 12, 16)).findings == []


def test_unknown_codes_in_open_lists_warn_and_in_closed_lists_fail():
    warned = _check(CORPUS / "v10" / "answer-miv-unknown-beslutstyp.xml")
    [finding] = warned.findings
    assert finding.severity is Severity.WARNING and UNKNOWN_OPEN in finding.message
    assert "codelists/miv-beslutstyp.csv" in finding.message and finding.value == "UT-X"
    failed = _check(CORPUS / "v10" / "invalid-af-aktivitetsrapport-unknown.xml")
    [finding] = failed.findings
    assert finding.severity is Severity.ERROR and UNKNOWN_CLOSED in finding.message
    assert "200, 500, 501, 502" in finding.message


def _unknown_message_the_long_way(catalogue, binding: Binding, field_name: str, shown: str, when: date) -> str:
    """The unknown-code message worded in full for each finding, as the rule once did."""
    valid = [code for name in binding.lists for code in catalogue.lists[name].valid_codes(when)]
    known = summarise(dict.fromkeys(valid)) or "(none on that date)"
    shown_text = f"{shown!r}" if shown else "(empty)"
    titles = " / ".join(catalogue.lists[name].title for name in binding.lists)
    if binding.closed:
        return (
            f"{field_name} {shown_text} {UNKNOWN_CLOSED} {titles} (a closed list); "
            f"expected one of {known} on {when.isoformat()}."
        )
    files = ", ".join(f"codelists/{name}.csv" for name in binding.lists)
    return (
        f"{field_name} {shown_text} {UNKNOWN_OPEN} {titles} (an open list, known to be incomplete); "
        f"known on {when.isoformat()}: {known}. If the code is right, add it with its source to {files}."
    )


_days = st.dates(min_value=date(2019, 1, 1), max_value=date(2023, 12, 31))
_rows = st.lists(
    st.tuples(st.sampled_from([*"ABCDEFGHIJKLMNOP", "P37", "x y"]), st.none() | _days, st.none() | _days),
    max_size=16,
)


@given(
    lists=st.lists(_rows, min_size=1, max_size=3),
    bindings=st.lists(st.tuples(st.booleans(), st.lists(st.integers(0, 2), min_size=1, max_size=2)), min_size=1),
    asked=st.lists(
        st.tuples(st.integers(0, 9), st.sampled_from(["kod", "beslutsTyp"]), st.sampled_from(["", "Z", "'"]), _days),
        min_size=1,
        max_size=12,
    ),
)
def test_an_unknown_code_is_worded_as_in_full_whatever_the_list_date_and_code(lists, bindings, asked):
    """The wording kept per (binding, date) says, for every finding, what wording it in full said: closed and
    open lists, several lists per binding, no code valid on the date, more codes than are listed, dates on
    either side of the lists' periods, the same binding asked on several dates and several bindings on one."""
    code_lists = {}
    for number, rows in enumerate(lists):
        codes = tuple(
            Code(code, "", *sorted((start, end), key=lambda d: d or date.min) if start and end else (start, end), "s")
            for code, start, end in rows
        )
        code_lists[f"l{number}"] = CodeList(f"l{number}", f"List {number}", "published", "s", "", codes)
    made = tuple(
        Binding(
            f"SSBT-CODE-B{i}",
            tuple(dict.fromkeys(f"l{n % len(lists)}" for n in names)),
            (10,),
            ("answer",),
            closed,
            "s",
            xpath="x",
        )
        for i, (closed, names) in enumerate(bindings)
    )
    catalogue = Catalogue(lists=code_lists, bindings=made, namespaces={})
    rule = CodeListRule(catalogue)
    for index, field_name, shown, when in asked:
        binding = made[index % len(made)]
        expected = _unknown_message_the_long_way(catalogue, binding, field_name, shown, when)
        assert rule.unknown_message(binding, field_name, shown, when) == expected


def test_an_unknown_codes_wording_is_made_once_per_binding_and_date(monkeypatch):
    """A batch quoting the same list's unknown codes again and again words the list once per date."""
    made: list[tuple[str, date]] = []
    real = CodeListRule._word_unknown

    def counting(self, binding, when):
        made.append((binding.id, when))
        return real(self, binding, when)

    monkeypatch.setattr(CodeListRule, "_word_unknown", counting)
    rule = CodeListRule()
    path = CORPUS / "v10" / "invalid-lefi9-svar-unknown-codes.xml"
    options = Options(rules=(rule,), as_of=date(2026, 11, 1))
    first = validate_paths([path, path, path], options)
    unknown = [
        f for m in first.messages for f in m.findings if UNKNOWN_CLOSED in f.message or UNKNOWN_OPEN in f.message
    ]
    assert len(unknown) > len(made) > 1
    assert len(made) == len(set(made))  # once per binding and date, however many findings quote it


def test_an_unknown_or_out_of_date_codes_saying_is_worded_once_per_code_date_source_and_masking(monkeypatch, tmp_path):
    """What a finding says after its field's name is worded once per (binding, code, date, date source,
    --show-values), however many messages hold the code; a finding's value and text keep to their own message's
    date source and masking when one rule judges them all."""
    worded: list[tuple] = []
    for name in ("_unknown_tail", "_dated_tail"):
        real = getattr(CodeListRule, name)
        monkeypatch.setattr(
            CodeListRule, name, lambda self, *args, _real=real: worded.append(args) or _real(self, *args)
        )
    rule = CodeListRule()
    unknown = CORPUS / "v10" / "invalid-lefi9-svar-unknown-codes.xml"
    first = validate_paths([unknown, unknown, unknown], Options(rules=(rule,), as_of=date(2026, 11, 1)))
    said = [f for m in first.messages for f in m.findings]
    per_message = len(said) // 3
    assert len(worded) == len(set(worded)) and 1 < len(worded) <= per_message  # once, not once per message
    assert [f.message for f in said[:per_message]] * 3 == [f.message for f in said]
    # the same code on the same day, dated by the message and by --as-of: each says where its date came from
    dated = [
        CORPUS / "v10" / name for name in ("invalid-miv-pus-before-2020-12-16.xml", "invalid-miv-pus-undated-as-of.xml")
    ]
    run = validate_paths(dated, Options(rules=(rule,), as_of=date(2020, 12, 1)))
    sources = [f.message.rpartition("2020-12-01 (")[2].partition(")")[0] for m in run.messages for f in m.findings]
    assert "frageTidpunkt" in sources and "--as-of" in sources
    assert sources == ["frageTidpunkt"] * sources.count("frageTidpunkt") + ["--as-of"] * sources.count("--as-of")
    # a personnummer in a code field, masked unless asked, asked both ways of one rule in turn
    masked = tmp_path / "m.xml"
    text = (CORPUS / "v10" / "answer-miv-unknown-beslutskod.xml").read_text(encoding="utf-8")
    masked.write_text(text.replace("<beslutsKod>AVS<", "<beslutsKod>191212121212<"), encoding="utf-8")
    for show in (False, True, False):
        [message] = validate_paths([masked], Options(rules=(rule,), show_values=show)).messages
        [finding] = message.findings
        assert ("191212121212" in finding.message + (finding.value or "")) is show


def test_an_unknown_code_the_schema_enumerates_is_not_placed(monkeypatch):
    """An unknown code in a field whose values the pack's XSD enumerates is SSBT-XSD's finding: the rule says
    nothing and works out no place for it (an element path each, ~3-16 µs in a batch)."""
    from ssbtek_validator.rules import codes

    placed = []
    real = codes.element_path
    monkeypatch.setattr(codes, "element_path", lambda element: placed.append(element) or real(element))
    rule = CodeListRule()
    for name in ("invalid-kalla-xyz.xml", "invalid-tns-resultat-maybe.xml"):
        run = validate_paths([CORPUS / "v10" / name], Options(rules=(rule,), as_of=date(2026, 11, 1)))
        assert [f for m in run.messages for f in m.findings] == [] and placed == []


def test_json_findings_are_located_by_outer_xpath_and_json_pointer():
    message = _check(CORPUS / "v10" / "invalid-lefi9-svar-unknown-codes.xml")
    finding = next(f for f in message.findings if f.rule == "SSBT-CODE-LEFI9-PM-BELOPPSTYP")
    outer, pointer = finding.path.split(" → ")
    assert outer.endswith("/ssbt:FK/ssbt:data/ssbt:lefiJsonSvar")
    assert pointer == "/utbetalningar/0/utbetalningsrader/0/beloppstyp/kod"
    csn = _check(CORPUS / "v10" / "invalid-csn-stodform-unknown.xml").findings[0]
    assert csn.path.split(" → ")[1].endswith("/p:Arende/sm:stodform")


def test_a_personnummer_in_a_code_field_is_masked_unless_asked(tmp_path):
    text = (CORPUS / "v10" / "answer-miv-unknown-beslutskod.xml").read_text(encoding="utf-8")
    path = tmp_path / "m.xml"
    path.write_text(text.replace("<beslutsKod>AVS<", "<beslutsKod>191212121212<"), encoding="utf-8")
    [finding] = _check(path).findings
    assert "191212121212" not in finding.message + (finding.value or "")
    [shown] = ssbtek_validator.validate(path, show_values=True).messages[0].findings
    assert shown.value == "191212121212"


def test_p37_in_v8_answers_dated_before_and_after_september_2021():
    early = _check(CORPUS / "v8" / "invalid-p37-before-2021-09-01.xml")
    [finding] = early.findings
    assert finding.rule == "SSBT-CODE-LEFI-BELOPPSTYP" and finding.severity is Severity.ERROR
    assert "'P37'" in finding.message and "valid_from 2021-09-01" in finding.message
    assert "2021-06-01 (frageTidpunkt)" in finding.message
    assert finding.path.endswith("/lefi:beloppstyp/lefi:id")
    late = _check(CORPUS / "v8" / "answer-p37.xml")
    assert late.findings == [] and "code:lefi-beloppstyp:P37" in late.observed


def test_p37_under_sjukpenning_is_a_finding_and_under_alderspension_is_not(tmp_path):
    """P37/P38 are beloppstyper under ålderspension (Försäkringskassan, SSBTEK release note 2021-06-17)."""
    [finding] = _check(CORPUS / "v8" / "invalid-p37-under-sjukpenning.xml").findings
    assert finding.rule == "SSBT-CODE-LEFI-BELOPPSTYP" and finding.severity is Severity.ERROR
    assert "may appear only under formanstyp AP (Ålderspension)" in finding.message
    assert "'SJP' (Sjukpenning)" in finding.message and "release note 2021-06-17" in finding.message
    assert finding.path.endswith("/lefi:beloppstyp/lefi:id")
    text = (CORPUS / "v8" / "answer-p37.xml").read_text(encoding="utf-8")
    # P38 under föräldrapenning too; PS (no context) under any förmån stays fine
    path = tmp_path / "p38-fp.xml"
    path.write_text(text.replace(">AP<", ">FP<").replace(">P37<", ">P38<"), encoding="utf-8")
    assert [f.rule for f in _check(path).findings] == ["SSBT-CODE-LEFI-BELOPPSTYP"]
    path.write_text(text.replace(">AP<", ">FP<").replace(">P37<", ">PS<"), encoding="utf-8")
    assert _check(path).findings == []


def test_a_code_under_an_unknown_forman_is_not_called_misplaced():
    """The förmån list is open: an unknown förmån has its own warning and may be ålderspension's real code."""
    findings = _check(CORPUS / "v8" / "answer-lefi-unknown-codes.xml").findings
    assert not any("may appear only under" in f.message for f in findings)


def test_the_context_column_is_read_and_a_binding_must_say_how_to_find_it(tmp_path):
    listed = parse_list(
        "x", "# status: x\n# source: y\ncode,description,valid_from,valid_to,source,context\nA,a,,,s,AP FP\nB,b,,,s,\n"
    )
    assert [row.context for row in listed.codes] == [("AP", "FP"), ()]
    (tmp_path / "x.csv").write_text(
        "# status: x\n# source: y\ncode,description,valid_from,valid_to,source,context\nA,a,,,t,AP\n", encoding="utf-8"
    )
    binding = '[[binding]]\nid = "SSBT-CODE-X"\nlists = ["x"]\nversions = [8]\ndirection = "answer"\nclosed = true\n'
    (tmp_path / "bindings.toml").write_text(binding + 'summary = "s"\nxpath = "a"\n', encoding="utf-8")
    with pytest.raises(CodeListError, match="have a context"):
        load_catalogue(tmp_path)
    placed = binding + 'summary = "s"\nxpath = "a"\ncontext = { xpath = "../f[", field = "f" }\n'
    (tmp_path / "bindings.toml").write_text(placed, encoding="utf-8")
    with pytest.raises(CodeListError, match="bad context xpath"):
        load_catalogue(tmp_path)
    (tmp_path / "bindings.toml").write_text(placed.replace("../f[", "../f"), encoding="utf-8")
    assert load_catalogue(tmp_path).bindings[0].context_field == "f"


def test_the_same_answer_judged_at_as_of_when_it_carries_no_date(tmp_path):
    text = (CORPUS / "v8" / "answer-p37.xml").read_text(encoding="utf-8")
    start, end = text.index("<ssbt:frageTidpunkt>"), text.index("</ssbt:frageTidpunkt>") + len("</ssbt:frageTidpunkt>")
    path = tmp_path / "undated.xml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert [f.rule for f in _check(path, as_of=date(2021, 8, 31)).findings] == ["SSBT-CODE-LEFI-BELOPPSTYP"]
    assert _check(path, as_of=date(2021, 9, 1)).findings == []


def test_the_forman_codes_are_those_of_the_reconstructed_lefi_online_xml():
    """The reconstruction (xsd/lefi-online/versions.toml) and our list must not drift apart."""
    facts = tomllib.loads((ROOT / "xsd" / "lefi-online" / "versions.toml").read_text(encoding="utf-8"))
    listed = builtin_catalogue().lists["lefi-formaner"]
    assert {f["code"] for f in facts["forman"]} == {row.code for row in listed.codes}
    dated = {row.code for row in listed.codes if row.valid_from}
    assert dated == {"OMV", "MEK"}  # the two förmåner the seed dates (in force 2019-01-01)


def test_bindings_apply_only_to_their_versions():
    v10 = builtin_packs()[10]
    text = (CORPUS / "v8" / "invalid-p37-before-2021-09-01.xml").read_bytes().replace(b"/ssbt/8", b"/ssbt/10")
    [message] = validate_sources([Source("v10.xml", text)], Options(rules=(CodeListRule(),)), {10: v10}).messages
    assert message.findings == []  # LEFI Online XML bindings are for v6–v8 only


# ---------------------------------------------------------------- fast paths agree with lxml's XPath


def _xpath_select(binding, document, namespace):
    namespaces = {"ssbt": namespace, **builtin_catalogue().namespaces}
    return [e for e in etree.XPath(binding.xpath, namespaces=namespaces)(document) if isinstance(e, etree._Element)]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("v1*/*.xml")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_trie_selects_what_xpath_selects(path):
    message = parse(Source(str(path), path.read_bytes()))
    if message.payload is None or message.direction is None:
        return
    pack = builtin_packs()[int(message.namespace.rsplit("/", 1)[1])]
    rule = CodeListRule()
    plan = rule.plan(pack.namespace, pack.version, message.direction)
    context = Context(message, pack, None, DEFAULT_LIMITS, date(2026, 1, 1))
    documents = [(plan.outer, message.payload)] if plan.outer else []
    for item in context.payloads():
        elements = plan.nested_xml.get(getattr(getattr(item, "binding", None), "model", None))
        if elements:
            documents.append((elements, item.document))
    compared = 0
    for paths, document in documents:
        by_binding = defaultdict(list)
        for binding, element in paths.select(document):
            by_binding[binding.id].append(element)
        for binding in {b for b in builtin_catalogue().bindings if b.xpath}:
            if binding.applies_to(pack.version, message.direction) and ((paths is plan.outer) == (not binding.payload)):
                expected = _xpath_select(binding, document, pack.namespace)
                assert sorted(map(id, by_binding[binding.id])) == sorted(map(id, expected)), binding.id
                compared += len(expected)
    if path.name == "answer-all-agencies-data.xml":
        assert compared >= 13  # MIV ×8, TNS, AF, CSN ×3: the comparison is not vacuous


KEYS = ["a", "b", "kod", "beloppstyp", "*"]  # "*" also as a property name: it matches a "*" step
json_values = st.recursive(
    st.one_of(st.text(alphabet="AB:", max_size=3), st.integers(-2, 12), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=25,
)
json_patterns = st.builds(
    lambda floating, steps: "/".join((["**"] if floating else []) + steps),
    st.booleans(),
    st.lists(st.sampled_from([*KEYS, "*"]), min_size=1, max_size=4),
)


def _reference_leaves(document, patterns):
    """The obvious, slow matcher: every scalar leaf against every pattern."""
    found = []

    def walk(node, path):
        if isinstance(node, dict | list):
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                walk(value, (*path, key))
            return
        if isinstance(node, bool) or not isinstance(node, str | int) or not path:
            return
        norm = tuple("*" if isinstance(s, int) else s for s in path)
        for pattern in patterns:
            steps = tuple(pattern.split("/"))
            hit = norm[-len(steps[1:]) :] == steps[1:] if steps[0] == "**" else norm == steps
            if hit:
                found.append((pattern, path, str(node)))

    walk(document, ())
    return found


@given(
    document=json_values,
    patterns=st.lists(json_patterns, min_size=1, max_size=4, unique=True),
    valid_codes=st.sets(st.sampled_from(["A", "B", "1", "2", "AB"]), max_size=3),
)
def test_json_paths_match_what_the_obvious_matcher_matches(document, patterns, valid_codes):
    """Anchored patterns run as compiled code, "**/" ones as a walk: both must find what the obvious
    matcher finds, and with codes known to be valid, settle exactly those (coverage keys) and return the rest."""
    _compare_with_reference(document, patterns, valid_codes)


@given(document=json_values, data=st.data(), valid_codes=st.sets(st.sampled_from(["A", "B", "1", "2"]), max_size=2))
def test_compiled_json_paths_find_the_leaves_they_were_taken_from(document, data, valid_codes):
    """Anchored patterns drawn from the document's own leaves, so the compiled code has matches to find
    (random patterns rarely match a random document from its root), a property named "*" included."""
    leaves = sorted({"/".join("*" if isinstance(s, int) else s for s in path) for _, path, _ in _all_leaves(document)})
    assume(leaves)
    patterns = data.draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3, unique=True))
    assert JsonPaths(_bindings(patterns))._follow is not None
    _compare_with_reference(document, patterns, valid_codes)


def _all_leaves(document):
    return _reference_leaves(document, ["**/" + step for step in sorted(set(KEYS))])  # "**/*": list items


def _bindings(patterns):
    return [
        Binding(f"SSBT-CODE-T{i}", ("x",), (10,), "answer", True, "s", json=(p,), payload="m")
        for i, p in enumerate(patterns)
    ]


def _compare_with_reference(document, patterns, valid_codes):
    bindings = _bindings(patterns)
    paths = JsonPaths(bindings)
    expected = sorted(_reference_leaves(document, patterns))
    got = sorted((b.json[0], path, code) for b, path, code in paths.leaves(document))
    assert got == expected
    assert sorted((b.json[0], p, c) for b, p, c in paths.leaves(document)) == got  # the cache changes nothing
    valid = {b.id: {code: f"key:{b.json[0]}:{code}" for code in valid_codes} for b in bindings}
    observed: list[str] = []
    unsettled = sorted((b.json[0], path, code) for b, path, code in paths.leaves(document, valid, observed))
    assert unsettled == [leaf for leaf in expected if leaf[2] not in valid_codes]
    assert sorted(observed) == sorted(f"key:{pattern}:{code}" for pattern, _, code in expected if code in valid_codes)


def test_compiled_json_paths_ask_each_value_its_type_once(monkeypatch):
    """The code compiled for the bundled LEFI paths reads each value's type once, into a variable its branches
    ask (dict, list, or a code), instead of calling type() again in each branch; the properties above hold
    what it finds to the walk."""
    from ssbtek_validator.rules import code_lookup

    sources: list[str] = []
    real = code_lookup._compiled_source.__wrapped__
    monkeypatch.setattr(code_lookup, "_compiled_source", lambda source: sources.append(source) or real(source))
    rule = CodeListRule()
    for direction in ("request", "answer"):
        for paths in rule.plan(builtin_packs()[10].namespace, 10, direction).nested_json.values():
            assert paths._follow is not None
    typed = [line.strip() for source in sources for line in source.splitlines() if "type(" in line]
    assert len(sources) == 2 and typed
    assert all(re.fullmatch(r"k\d+ = type\((node0|v\d+)\)", line) for line in typed), typed


def test_a_json_pattern_deeper_than_python_nests_blocks_is_still_followed():
    """Anchored patterns become nested Python blocks; one too deep for Python's compiler is walked instead."""
    steps = ["a", "*"] * 30 + ["kod"]
    document: object = "X"
    for step in reversed(steps):
        document = [document] if step == "*" else {step: document}
    binding = Binding("SSBT-CODE-DEEP", ("x",), (10,), "answer", True, "s", json=("/".join(steps),), payload="m")
    paths = JsonPaths([binding])
    assert [(code, len(path)) for _, path, code in paths.leaves(document)] == [("X", len(steps))]


# ---------------------------------------------------------------- corpus coverage of every binding


def test_every_binding_has_a_valid_an_unknown_and_where_dated_an_out_of_date_corpus_case():
    catalogue = builtin_catalogue()
    result = ssbtek_validator.validate([CORPUS / case["file"] for case in MANIFEST["case"] if "as_of" not in case])
    seen_valid, seen_unknown, seen_dated = set(), set(), set()
    for message in result.messages:
        codes_without_finding = {o.split(":")[1] for o in message.observed if o.startswith("code:")}
        for binding in catalogue.bindings:
            findings = [f for f in message.findings if f.rule == binding.id]
            if set(binding.lists) & codes_without_finding and not any(OUT_OF_DATE in f.message for f in findings):
                seen_valid.add(binding.id)
            if any(UNKNOWN_OPEN in f.message or UNKNOWN_CLOSED in f.message for f in findings):
                seen_unknown.add(binding.id)
            if binding.schema_enforced and any(
                f.rule == "SSBT-XSD" and f.path.endswith(binding.xpath.rsplit("/", 1)[-1]) for f in message.findings
            ):
                seen_unknown.add(binding.id)  # the XSD reports unknown values of enumerated fields
            if any(OUT_OF_DATE in f.message for f in findings):
                seen_dated.add(binding.id)
    dated = {
        b.id
        for b in catalogue.bindings
        if any(row.valid_from or row.valid_to for name in b.lists for row in catalogue.lists[name].codes)
    }
    every = {b.id for b in catalogue.bindings}
    assert every - seen_valid == set(), "bindings without a valid-code corpus case"
    assert every - seen_unknown == set(), "bindings without an unknown-code corpus case"
    assert dated - seen_dated == set(), "dated bindings without an out-of-date corpus case"


def test_paths_inside_decoded_payloads_are_what_element_path_says():
    """document_path is a faster spelling of element_path for payload documents; it must not differ."""
    from ssbtek_validator.reading.message import element_path
    from ssbtek_validator.reading.nested import Payload
    from ssbtek_validator.rules.codes import document_path

    compared = 0
    for path in sorted(CORPUS.glob("v1*/*.xml")):
        message = parse(Source(str(path), path.read_bytes()))
        if message.payload is None or message.direction is None:
            continue
        pack = builtin_packs()[int(message.namespace.rsplit("/", 1)[1])]
        context = Context(message, pack, None, DEFAULT_LIMITS, date(2026, 1, 1))
        for item in context.payloads():
            if isinstance(item, Payload) and isinstance(item.document, etree._Element):
                for element in item.document.iter(etree.Element):
                    assert document_path(element) == element_path(element)
                    compared += 1
    assert compared > 500


@settings(max_examples=150)
@given(_DOCUMENT)
def test_document_path_is_what_element_path_says_on_hostile_namespace_shapes(document):
    """document_path's two libxml2 paths name every element as element_path does: default namespaces, a prefix
    bound below the root to the root's default namespace, prefixes redeclared, same-named siblings in other
    namespaces, comments and instructions beside them, a namespace spelt ``*``, URIs holding "/" and "[1]"."""
    from ssbtek_validator.reading.message import element_path, safe_parser
    from ssbtek_validator.rules.codes import document_path

    root = etree.fromstring(document.encode(), safe_parser())
    for element in root.iter(etree.Element):
        assert document_path(element) == element_path(element), document


def test_document_path_names_a_deep_csn_element_without_element_path(monkeypatch):
    """The shortcut keeps doing its job: a code deep in a CSN answer's four namespaces is named from libxml2's
    two paths, without element_path's Python reading of each level."""
    from ssbtek_validator.rules import codes

    document = etree.fromstring(
        b'<S xmlns="urn:k" xmlns:p="urn:p" xmlns:typ="urn:t"><P/><P><p:A><typ:B/><typ:B><typ:k>X</typ:k></typ:B>'
        b"</p:A></P></S>"
    )
    deep = document[1][0][1][0]
    expected = codes.element_path(deep)
    monkeypatch.setattr(codes, "element_path", lambda element: pytest.fail("element_path was asked"))
    assert codes.document_path(deep) == expected == "/S/P[2]/p:A/typ:B[2]/typ:k"


def test_document_path_spells_a_prefix_bound_below_the_root_to_its_default_namespace():
    """``p:A`` where p, declared on A, names the root's default namespace: the shortcut for a document with one
    default namespace said ``A`` there, where element_path (and the document) say ``p:A``."""
    from ssbtek_validator.reading.message import element_path
    from ssbtek_validator.rules.codes import document_path

    document = etree.fromstring(b'<S xmlns="urn:c"><P><p:A xmlns:p="urn:c"><B/></p:A><A/></P></S>')
    assert [document_path(e) for e in document.iter()] == [element_path(e) for e in document.iter()]
    assert document_path(document[0][0][0]) == "/S/P/p:A[1]/B"


@given(st.lists(st.one_of(st.text(max_size=6), st.integers(0, 99)), max_size=6))
def test_json_pointers_decode_back_to_their_steps(steps):
    from ssbtek_validator.rules.code_lookup import json_pointer

    pointer = json_pointer(tuple(steps))
    decoded = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]] if pointer else []
    assert decoded == [str(s) for s in steps]


# ---------------------------------------------------------------- the element scan against XPath, in order

_V8 = builtin_packs()[8]
_SSBT = "{" + _V8.namespace + "}"
#: the steps of the v8 answer's element bindings: exact names (MIV, ssbt:error/ssbt:kalla) and any-namespace ones
_TAGS = [
    *(_SSBT + name for name in ("svarsdata", "MIV", "data", "error", "kalla")),
    *("response", "svarCollection", "svar", "arendeTyp", "beslutsTyp", "beslutsKod", "giltighetstid"),
    *("{urn:x}beloppstyp", "id", "{urn:y}id", "formanstyp", "{urn:x}formanstyp"),
]
xml_trees = st.recursive(
    st.tuples(st.sampled_from(_TAGS), st.sampled_from(["A", " B ", "", "1"]), st.just(())),
    lambda inner: st.tuples(st.sampled_from(_TAGS), st.sampled_from(["A", "", "1"]), st.lists(inner, max_size=4)),
    max_leaves=30,
)
#: the MIV decisions' path down to svarCollection, with generated trees below: random trees seldom reach it
_MIV_CHAIN = [_SSBT + "svarsdata", _SSBT + "MIV", _SSBT + "data", "response", "svarCollection"]
_codes = st.tuples(
    st.sampled_from(["arendeTyp", "beslutsTyp", "id", _SSBT + "kalla"]), st.sampled_from(["A", "1"]), st.just(())
)
_svar = st.tuples(st.just("svar"), st.just(""), st.lists(_codes | xml_trees, max_size=4))
miv_trees = st.lists(_svar | xml_trees, max_size=4).map(
    lambda below: [
        (
            _MIV_CHAIN[0],
            "",
            [(_MIV_CHAIN[1], "", [(_MIV_CHAIN[2], "", [(_MIV_CHAIN[3], "", [(_MIV_CHAIN[4], "", below)])])])],
        )
    ]
)


def _build(parent, tree) -> None:
    tag, text, children = tree
    element = etree.SubElement(parent, tag)
    element.text = text
    for child in children:
        _build(element, child)


#: bindings sharing last steps and parents: one element matched by an exact and an any-namespace path, and
#: siblings under one parent whose paths differ only above it (a memo keyed by the parent alone would mix them)
_OVERLAPPING = [
    "ssbt:svarsdata/ssbt:MIV/ssbt:data/response/svarCollection/svar/arendeTyp",
    "ssbt:svarsdata/ssbt:data/ssbt:data/response/svarCollection/svar/arendeTyp",
    ".//*[local-name()='svar']/*[local-name()='arendeTyp']",
    "ssbt:svarsdata/ssbt:MIV/ssbt:data/response/svarCollection/svar/beslutsTyp",
    ".//ssbt:error/ssbt:kalla",
    ".//*[local-name()='id']",
]


def _plan_bindings(which: str) -> tuple[list, object]:
    """The bindings to scan for, in the order the scan tries them on one element (exact last steps first)."""
    if which == "v8 answer":
        rule = CodeListRule()
        bindings = [b for b in rule.catalogue.bindings if b.xpath and not b.payload and b.applies_to(8, "answer")]
        paths = rule.plan(_V8.namespace, 8, "answer").outer
    else:
        bindings = [
            Binding(f"SSBT-CODE-X{i}", ("x",), (8,), ("answer",), True, "s", xpath=xpath)
            for i, xpath in enumerate(_OVERLAPPING)
        ]
        paths = ElementPaths(bindings, {"ssbt": _V8.namespace})
    bindings.sort(key=lambda b: b.xpath.rpartition("/")[2].startswith("*"))  # stable: exact, then any-namespace
    return bindings, paths


@pytest.mark.parametrize("which", ["v8 answer", "overlapping"])
@given(
    trees=st.lists(xml_trees, max_size=3) | miv_trees, valid_codes=st.sets(st.sampled_from(["A", "B", "1"]), max_size=2)
)
def test_the_element_scan_finds_what_xpath_finds_in_document_order(which, trees, valid_codes):
    """The scan's per-tag candidate lists and its last-parent memo must find, settle and order exactly what
    each binding's XPath selects: document order, exact-name bindings before any-namespace ones on one element,
    a known code settled (its coverage key observed in that order), a non-leaf never read as a code."""
    bindings, paths = _plan_bindings(which)
    root = etree.Element(_SSBT + "HamtaUppgifterResponse")
    for tree in trees:
        _build(root, tree)
    selected = {b.id: set(_xpath_select(b, root, _V8.namespace)) for b in bindings}
    valid = {b.id: {code: f"code:{b.id}:{code}" for code in valid_codes} for b in bindings}
    expected_found, expected_observed = [], []
    for element in root.iterdescendants():
        if len(element):
            continue  # structure, not a code
        for binding in bindings:
            if element in selected[binding.id]:
                code = (element.text or "").strip()
                key = valid[binding.id].get(code)
                (expected_found.append((binding.id, element, code)) if key is None else expected_observed.append(key))
    observed: list[str] = []
    found = paths.collect(root, valid, observed)
    assert [(b.id, e, code) for b, e, code in found] == expected_found
    assert observed == expected_observed


def test_sibling_decisions_share_one_climb_and_a_one_step_path_climbs_inline(monkeypatch):
    """MIV's decisions (svar) are siblings under one svarCollection: the climb from there up to the payload is
    made once for all of them, each svar's own step read inline; a one-step path (CSN's Belopp/beloppstyp) and a
    path of its last step alone climb inline too. A counted climb shows it; the property above holds the result."""
    from ssbtek_validator.rules import code_lookup

    rule = CodeListRule()
    paths = rule.plan(_V8.namespace, 8, "answer").outer
    root = etree.Element(_SSBT + "HamtaUppgifterResponse")
    decisions = [("svar", "", [("arendeTyp", "UT", ()), ("beslutsTyp", "UT", ())]) for _ in range(5)]
    _build(
        root,
        (
            _MIV_CHAIN[0],
            "",
            [(_MIV_CHAIN[1], "", [(_MIV_CHAIN[2], "", [(_MIV_CHAIN[3], "", [(_MIV_CHAIN[4], "", decisions)])])])],
        ),
    )
    _build(root, ("{urn:x}beloppstyp", "", [("id", "P37", ()), ("{urn:x}formanstyp", "AP", ())]))
    climbs = []
    real = code_lookup._climb
    monkeypatch.setattr(code_lookup, "_climb", lambda *args: climbs.append(args[0]) or real(*args))
    found = paths.collect(root)
    assert [element.tag for _, element, _ in found] == ["arendeTyp", "beslutsTyp"] * 5 + ["id", "{urn:x}formanstyp"]
    assert [node.tag for node in climbs] == ["svarCollection"]


def test_tries_of_the_same_paths_share_one_compilation_and_keep_their_own_bindings():
    """The v10 and v11 packs bind the same LEFI paths: their generated code is compiled once per process,
    and each trie still reports its own binding objects."""
    from ssbtek_validator.rules import code_lookup

    code_lookup._compiled_source.cache_clear()
    patterns = ["a/*/kod", "a/b/kod", "c/kod"]
    first, second = JsonPaths(_bindings(patterns)), JsonPaths(_bindings(patterns))
    assert code_lookup._compiled_source.cache_info().misses == 1
    document = {"a": [{"kod": "X"}], "c": {"kod": "Y"}}
    for paths in (first, second):
        leaves = paths.leaves(document)
        assert sorted(code for _, _, code in leaves) == ["X", "Y"]
        assert all(
            any(binding is own for own in paths.anchored[tuple(binding.json[0].split("/"))]) for binding, _, _ in leaves
        )


# ---------------------------------------------------------------- the plan as the check walks it


@pytest.mark.parametrize("direction", ["request", "answer", "fault", None])
def test_the_route_looks_at_what_the_plan_looks_at(direction):
    """_route keeps of a plan exactly the parts that look at something, for every bundled pack and direction."""
    rule = CodeListRule()
    for pack in builtin_packs().values():
        plan = rule.plan(pack.namespace, pack.version, direction)
        message = type("M", (), {"payload": etree.Element("p"), "direction": direction})()
        route = rule._route(type("C", (), {"message": message, "pack": pack})())
        if not plan:
            assert route is None
            continue
        assert route.outer is (plan.outer if plan.outer else None)
        expected = {
            model: (plan.nested_xml.get(model) or None, plan.nested_json.get(model) or None)
            for model in {*plan.nested_xml, *plan.nested_json}
            if plan.nested_xml.get(model) or plan.nested_json.get(model)
        }
        assert route.nested == expected


def test_a_message_is_routed_without_asking_the_plan_its_truth(monkeypatch):
    """The route is worked out once per pack and direction; a message asks no part of the plan whether it looks
    at something (a Python __bool__ per part and message, ~4k instructions a message of the mixed batch)."""
    rule = CodeListRule()
    answer = (CORPUS / "v10" / "answer-all-agencies-data.xml").read_bytes()
    pack = builtin_packs()[10]

    def context():
        return Context(parse(Source("a.xml", answer)), pack, None, DEFAULT_LIMITS, date(2026, 11, 1))

    first = list(rule.check(context()))
    asked = []
    for kind in (ElementPaths, JsonPaths):
        monkeypatch.setattr(kind, "__bool__", lambda self: asked.append(self) or True)
    assert list(rule.check(context())) == first and asked == []
