"""Hypothesis strategies for SSBTEK documents, valid and near-miss, for every schema pack (public API).

    from hypothesis import given
    from ssbtek_validator.strategies import messages, mutations

    @given(messages(version=10, direction="answer"))
    def test_my_parser_reads_every_valid_answer(document):
        my_parser.parse(document.xml)             # document.xml: the SOAP envelope, bytes

    @given(mutations(version=11))
    def test_my_parser_rejects_near_misses(mutation):
        assert not my_parser.accepts(mutation.document.xml), mutation.description

Documents are drawn from the pack's XSD through xmlschema's component model (not filtered out of
random XML), with SSBTEK's domain rules on top: real personnummer and organisationsnummer,
periods that run forwards, nested payloads (CSN base64 XML, SKV XML or JSON parts, FK LEFI JSON)
and answers that agree with their question. Everything is synthetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

try:  # they come with the ``fuzz`` extra only (a plain install stays lean): say how to get them
    import xmlschema  # noqa: F401
    from hypothesis import reject
    from hypothesis import strategies as st
except ImportError as exc:
    raise ModuleNotFoundError(
        f"{exc.name} is not installed; the generators need the fuzz extra: pip install 'ssbtek-validator[fuzz]'",
        name=exc.name,
    ) from exc

from ssbtek_validator.packs.schema_packs import Pack, builtin_packs
from ssbtek_validator.strategies.chooser import Chooser, HypothesisChooser, RandomChooser
from ssbtek_validator.strategies.documents import DIRECTIONS, Document, Generated, generate
from ssbtek_validator.strategies.mutations import KINDS, KINDS_BY_NAME, Mutation, NoMutation, mutate
from ssbtek_validator.strategies.pair_mutations import PairMutation, mutate_pair

__all__ = [
    "DIRECTIONS",
    "Document",
    "Mutation",
    "Pair",
    "PairMutation",
    "RandomChooser",
    "messages",
    "mutations",
    "pair_mutations",
    "pairs",
    "targets",
]


@dataclass(frozen=True)
class Pair:
    """A request and the answer to it, agreeing as Försäkringskassan's answers do."""

    request: Document
    answer: Document


def targets(
    version: int | Iterable[int] | None = None,
    operation: str | None = None,
    direction: str | None = None,
    packs: dict[int, Pack] | None = None,
) -> list[tuple[Pack, str, str]]:
    """Every (pack, operation, direction) the arguments allow; an impossible combination is an error."""
    packs = builtin_packs() if packs is None else packs
    if version is None:
        versions = sorted(packs)
    elif isinstance(version, int):
        versions = [version]
    else:
        versions = sorted(version)
    unknown = [v for v in versions if v not in packs]
    if unknown:
        raise ValueError(f"no pack for SSBTEK v{unknown[0]}; known: {', '.join(f'v{v}' for v in sorted(packs))}")
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r}: expected one of {', '.join(DIRECTIONS)}")
    found = [
        (packs[v], op, d)
        for v in versions
        for op in packs[v].operations
        for d in DIRECTIONS
        if (operation is None or op == operation) and (direction is None or d == direction)
    ]
    if not found:
        raise ValueError(f"no pack among {versions} has operation {operation!r}")
    return found


def draw_generated(c: Chooser, choices: list[tuple[Pack, str, str]]) -> Generated:
    pack, operation, direction = c.choice(choices)
    return generate(c, pack, operation, direction)


@st.composite
def _generated(draw, choices: list[tuple[Pack, str, str]]) -> Generated:
    return draw_generated(HypothesisChooser(draw), choices)


def messages(
    version: int | Iterable[int] | None = None, operation: str | None = None, direction: str | None = None
) -> st.SearchStrategy[Document]:
    """Whole SOAP envelopes, valid for their pack: every rule of the validator accepts them."""
    return _generated(targets(version, operation, direction)).map(Generated.document)


@st.composite
def _pairs(draw, packs: list[Pack]) -> Pair:
    c = HypothesisChooser(draw)
    answer = generate(c, c.choice(packs), "hamtaBastjanstInformation", "answer")
    return Pair(answer.request.document(), answer.document())


def pairs(version: int | Iterable[int] | None = None) -> st.SearchStrategy[Pair]:
    """hamtaBastjanstInformation requests with the answer to each."""
    chosen = sorted({pack.version: pack for pack, _, _ in targets(version, "hamtaBastjanstInformation")}.items())
    return _pairs([pack for _, pack in chosen])


@st.composite
def _mutations(draw, choices, kinds) -> Mutation:
    c = HypothesisChooser(draw)
    try:
        return mutate(c, draw_generated(c, choices), kinds)
    except NoMutation:
        reject()


def mutations(
    version: int | Iterable[int] | None = None,
    operation: str | None = None,
    direction: str | None = None,
    kinds: Iterable[str] | None = None,
) -> st.SearchStrategy[Mutation]:
    """A valid document with one planted defect, and ``rule``: the rule id that must report it.

    ``kinds`` limits the defects (names in ``ssbtek_validator.strategies.mutations.KINDS``); by default
    every kind that fits the drawn document may be planted.
    """
    chosen = KINDS if kinds is None else tuple(KINDS_BY_NAME[name] for name in kinds)
    return _mutations(targets(version, operation, direction), chosen)


@st.composite
def _pair_mutations(draw, packs: list[Pack]) -> PairMutation:
    c = HypothesisChooser(draw)
    answer = generate(c, c.choice(packs), "hamtaBastjanstInformation", "answer")
    try:
        return mutate_pair(c, answer)
    except NoMutation:
        reject()


def pair_mutations(version: int | Iterable[int] | None = None) -> st.SearchStrategy[PairMutation]:
    """A request and its answer that disagree in one way (echoes, agencies), and the pair rule that must say so."""
    chosen = sorted({pack.version: pack for pack, _, _ in targets(version, "hamtaBastjanstInformation")}.items())
    return _pair_mutations([pack for _, pack in chosen])
