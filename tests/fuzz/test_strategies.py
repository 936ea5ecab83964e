"""Self-check of the generators: every valid document draws no error, every near miss draws its rule.

Parametrised over every built-in pack, so a pack that lands is covered without touching this file.
Example counts come from the Hypothesis profile (``ci`` under CI=true, ``deep`` for a long run:
``HYPOTHESIS_PROFILE=deep python -m pytest tests/fuzz/test_strategies.py``).
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ssbtek_validator
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.results.model import Severity
from ssbtek_validator.strategies import (
    RandomChooser,
    domain,
    draw_generated,
    messages,
    mutations,
    pair_mutations,
    pairs,
    targets,
)
from ssbtek_validator.strategies.chooser import regex_sampler
from ssbtek_validator.strategies.codes import _catalogue
from ssbtek_validator.strategies.mutations import KINDS
from ssbtek_validator.strategies.xsd_model import schema_model, xsd_regex_to_python

VERSIONS = sorted(builtin_packs())
SLOW_OK = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def findings_of(document) -> list:
    result = ssbtek_validator.validate(document.xml, as_of=document.as_of)
    assert len(result.messages) == 1
    return result.messages[0].findings


def errors_of(document) -> list[str]:
    return [f"{f.rule}: {f.message} at {f.path}" for f in findings_of(document) if f.severity is Severity.ERROR]


# ---------------------------------------------------------------- the two self-check properties


@pytest.mark.parametrize("direction", ["request", "answer", "fault"])
@pytest.mark.parametrize("version", VERSIONS)
def test_every_generated_valid_document_draws_no_error(version, direction):
    @SLOW_OK
    @given(messages(version=version, direction=direction))
    def check(document):
        assert document.version == version and document.direction == direction
        assert errors_of(document) == [], document.xml.decode()

    check()


@pytest.mark.parametrize("version", VERSIONS)
def test_every_mutation_draws_the_rule_it_plants(version):
    @SLOW_OK
    @given(mutations(version=version))
    def check(mutation):
        rules = [f.rule for f in findings_of(mutation.document)]
        assert mutation.rule in rules, (mutation.kind, mutation.description, rules)

    check()


@pytest.mark.parametrize("version", VERSIONS)
def test_fast_generator_used_by_fuzz_makes_valid_documents_too(version):
    @SLOW_OK
    @given(st.integers(min_value=0, max_value=2**32))
    def check(seed):
        document = draw_generated(RandomChooser(seed), targets(version)).document()
        assert errors_of(document) == [], document.xml.decode()

    check()


def judge_pair(request, answer):
    from ssbtek_validator.run.driver import Options

    result = ssbtek_validator.validate_pair(
        Source("request.xml", request.xml), Source("answer.xml", answer.xml), Options(as_of=answer.as_of),
        builtin_packs(),
    )  # fmt: skip
    (exchange,) = result.exchanges
    return result, exchange


@pytest.mark.parametrize("version", VERSIONS)
def test_every_generated_pair_agrees(version):
    @SLOW_OK
    @given(pairs(version=version))
    def check(pair):
        result, exchange = judge_pair(pair.request, pair.answer)
        assert [f.rule for f in exchange.findings] == [], exchange.findings
        assert all(m.verdict == "conforms" for m in result.messages), [m.findings for m in result.messages]

    check()


@pytest.mark.parametrize("version", VERSIONS)
def test_every_pair_mutation_draws_its_pair_rule(version):
    @SLOW_OK
    @given(pair_mutations(version=version))
    def check(mutation):
        result, exchange = judge_pair(mutation.request, mutation.answer)
        assert mutation.rule in [f.rule for f in exchange.findings], (mutation.kind, mutation.description)
        # each side alone is fine: only the pair rules can see the defect
        assert all(m.verdict == "conforms" for m in result.messages), [m.findings for m in result.messages]

    check()


def test_every_kind_of_mutation_fits_some_pack_and_draws_its_rule():
    """Each kind is planted at least once (seeded, so this does not depend on luck) and caught."""
    from ssbtek_validator.strategies.mutations import mutate

    chooser = RandomChooser(20261126)
    unplaced = []
    for kind in KINDS:
        for _attempt in range(300):
            generated = draw_generated(chooser, targets())
            if kind.candidates(generated):
                mutation = mutate(chooser, generated, (kind,))
                assert mutation.rule in [f.rule for f in findings_of(mutation.document)], mutation.description
                break
        else:
            unplaced.append(kind.name)
    # a ping in a version without the ping needs a pack that lacks it (v6); a code out of force needs the
    # code lists (ssbtek_validator.packs.codelists); without them these kinds have nowhere to go
    cannot = set()
    if all("testaBastjanstInformation" in p.operations for p in builtin_packs().values()):
        cannot.add("operation-not-in-version")
    if _catalogue() is None:
        cannot.add("code-not-in-force")
    assert set(unplaced) == cannot


# ---------------------------------------------------------------- what the documents look like


@given(domain.personnummer())
def test_personnummer_has_a_real_date_and_a_luhn_check_digit(number):
    assert re.fullmatch(r"\d{12}", number)
    day = int(number[6:8])
    date(int(number[:4]), int(number[4:6]), day - 60 if day > 60 else day)  # raises if not a real date
    assert domain.luhn_valid(number[2:])


@given(domain.organisationsnummer())
def test_organisationsnummer_matches_the_contract_and_has_a_check_digit(number):
    assert re.fullmatch(r"\d{4}[2-9]\d{7}", number)
    assert domain.luhn_valid(number[2:])


def test_luhn_check_digit_of_the_well_known_test_identity():
    assert domain.luhn_valid("1212121212")
    assert not domain.luhn_valid("1212121213")


@given(domain.arendeidentitet())
def test_arendeidentitet_stays_within_what_csn_accepts(value):
    assert 1 <= len(value) <= domain.MAX_ARENDEIDENTITET and value.strip() == value


def _pack_patterns() -> list[str]:
    found = set()
    for pack in builtin_packs().values():
        for plans in schema_model(pack.entry).by_local.values():
            for plan in plans:
                if plan.simple is not None:
                    found.update(plan.simple.patterns)
    return sorted(found)


@pytest.mark.parametrize("pattern", _pack_patterns())
def test_fast_regex_sampler_matches_the_schema_patterns(pattern):
    compiled = re.compile(xsd_regex_to_python(pattern))
    sample = regex_sampler(xsd_regex_to_python(pattern))
    import random

    rnd = random.Random(pattern)
    for _ in range(200):
        value = sample(rnd)
        assert compiled.fullmatch(value), value


def test_same_seed_same_documents():
    def batch(seed):
        return [draw_generated(RandomChooser(seed), targets()).document().xml for _ in range(1)]

    assert batch(7) == batch(7)
    assert batch(7) != batch(8)


def test_asking_for_what_no_pack_has_is_an_error():
    with pytest.raises(ValueError, match="no pack for SSBTEK v99"):
        targets(99)
    with pytest.raises(ValueError, match="direction"):
        targets(10, direction="sideways")
