"""Where the generators' decisions come from: Hypothesis (shrinkable) or a seeded ``random.Random`` (fast).

The same generator code serves two masters. Under ``@given`` every decision is a Hypothesis draw,
so failures shrink and replay from Hypothesis's database. Hypothesis spends a few hundred
microseconds per draw, though, and a full answer takes a few hundred decisions; ``fuzz`` and the
benchmark therefore drive the same code from ``random.Random(seed)``, which is ~100× faster and
gives the same files for the same seed on any Hypothesis version. ``fuzz`` shrinks on the XML tree
instead (see :mod:`ssbtek_validator.fuzz.run`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache

# the parser behind ``re``; public as sre_parse before 3.11, private (but stable) since
from re import _constants as sre_constants
from re import _parser as sre_parse
from typing import Any, Protocol

from hypothesis import strategies as st


class Chooser(Protocol):
    def int(self, low: int, high: int) -> int: ...

    def choice(self, values: Sequence[Any]) -> Any: ...

    def bool(self) -> bool: ...

    def subset(self, values: Sequence[Any], low: int, high: int) -> list[Any]:
        """Distinct values, ``low`` to ``high`` of them, in the order drawn."""
        ...

    def one_in(self, n: int) -> bool: ...

    def simple(self, plan) -> str:
        """A value of a simple type (:class:`~ssbtek_validator.strategies.xsd_model.SimplePlan`)."""
        ...


@lru_cache(maxsize=4096)
def _ints(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=low, max_value=high)


@lru_cache(maxsize=1024)
def _choices(values: tuple) -> st.SearchStrategy:
    return st.sampled_from(values)


@lru_cache(maxsize=1024)
def _subsets(values: tuple, low: int, high: int) -> st.SearchStrategy[list]:
    return st.lists(st.sampled_from(values), min_size=low, max_size=high, unique=True)


_BOOLS = st.booleans()


class HypothesisChooser:
    """Decisions drawn by Hypothesis; strategy objects are cached because building one costs more than a draw."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def int(self, low: int, high: int) -> int:
        return low if high <= low else self.draw(_ints(low, high))

    def choice(self, values: Sequence[Any]) -> Any:
        return values[0] if len(values) == 1 else self.draw(_choices(tuple(values)))

    def bool(self) -> bool:
        return self.draw(_BOOLS)

    def subset(self, values: Sequence[Any], low: int, high: int) -> list[Any]:
        return self.draw(_subsets(tuple(values), low, min(high, len(values))))

    def one_in(self, n: int) -> bool:
        return self.draw(_ints(0, n - 1)) == 0

    def simple(self, plan) -> str:
        return self.draw(plan.strategy)


class RandomChooser:
    """Decisions from ``random.Random(seed)``: the same seed, the same documents."""

    def __init__(self, seed: int | random.Random) -> None:
        self.random = seed if isinstance(seed, random.Random) else random.Random(seed)

    def int(self, low: int, high: int) -> int:
        return low if high <= low else self.random.randint(low, high)

    def choice(self, values: Sequence[Any]) -> Any:
        return values[self.random.randrange(len(values))]

    def bool(self) -> bool:
        return self.random.random() < 0.5

    def subset(self, values: Sequence[Any], low: int, high: int) -> list[Any]:
        count = self.random.randint(low, min(high, len(values)))
        return self.random.sample(list(values), count)

    def one_in(self, n: int) -> bool:
        return self.random.randrange(n) == 0

    def simple(self, plan) -> str:
        return plan.sample(self.random)


# ---------------------------------------------------------------- regex sampling for RandomChooser


def regex_sampler(pattern: str) -> Callable[[random.Random], str]:
    """A fast sampler for the regular expressions XSD facets use (literals, classes, repeats, groups, |).

    Hypothesis's ``from_regex`` does this for the Hypothesis path; this is its fast twin. The pattern
    is compiled once into closures, so sampling costs only the random choices.
    """
    emit = _compile(sre_parse.parse(pattern))

    def sample(rnd: random.Random) -> str:
        out: list[str] = []
        emit(rnd, out)
        return "".join(out)

    return sample


_CATEGORY_CHARS = {
    sre_constants.CATEGORY_DIGIT: "0123456789",
    sre_constants.CATEGORY_WORD: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_DIGIT: "abcXYZ-",
    sre_constants.CATEGORY_NOT_WORD: " -.",
    sre_constants.CATEGORY_NOT_SPACE: "abc123",
}


def _class_chars(items) -> str:
    chars: list[str] = []
    negate = False
    for op, arg in items:
        if op is sre_constants.NEGATE:
            negate = True
        elif op is sre_constants.LITERAL:
            chars.append(chr(arg))
        elif op is sre_constants.RANGE:
            low, high = arg
            chars.extend(chr(c) for c in range(low, min(high, low + 200) + 1))
        elif op is sre_constants.CATEGORY:
            chars.extend(_CATEGORY_CHARS.get(arg, "a"))
    if negate:
        excluded = set(chars)
        return "".join(
            c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_." if c not in excluded
        )
    return "".join(chars)


_PRINTABLE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_."
Emit = Callable[[random.Random, list], None]


def _compile(parsed) -> Emit:
    steps = [_compile_one(op, arg) for op, arg in parsed]

    def run(rnd: random.Random, out: list) -> None:
        for step in steps:
            step(rnd, out)

    return run


def _compile_one(op, arg) -> Emit:
    if op is sre_constants.LITERAL:
        char = chr(arg)
        return lambda rnd, out: out.append(char)
    if op is sre_constants.NOT_LITERAL:
        char = "a" if chr(arg) != "a" else "b"
        return lambda rnd, out: out.append(char)
    if op is sre_constants.ANY:
        return lambda rnd, out: out.append(rnd.choice("abcXYZ019 -"))
    if op is sre_constants.IN:
        chars = _class_chars(arg)
        return lambda rnd, out: out.append(chars[rnd.randrange(len(chars))])
    if op is sre_constants.CATEGORY:
        chars = _CATEGORY_CHARS.get(arg, "a")
        return lambda rnd, out: out.append(chars[rnd.randrange(len(chars))])
    if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
        low, high, sub = arg
        high = low + 3 if high is sre_constants.MAXREPEAT else high
        inner = _compile(sub)

        def repeat(rnd: random.Random, out: list) -> None:
            for _ in range(rnd.randint(low, high)):
                inner(rnd, out)

        return repeat
    if op is sre_constants.SUBPATTERN:
        return _compile(arg[-1])
    if op is sre_constants.BRANCH:
        branches = [_compile(branch) for branch in arg[1]]
        return lambda rnd, out: branches[rnd.randrange(len(branches))](rnd, out)
    return lambda rnd, out: None  # anchors and the like emit nothing
