"""The short fuzz run of the reader that CI keeps (the long run: ``python -m tests.fuzz.run_long``).

Property: ``validator.validate(bytes)`` never raises, returns exit code 0, 1 or 3, every finding is
one printable line, and every reporter can write the result.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given

from ..fuzz import run_long
from ..fuzz.strategies import KINDS, RandomChooser, hostile, hostile_inputs, mutate
from ..fuzz.target import check_reader
from ..hardening import REQUEST


@given(hostile_inputs())
def test_reader_survives_hostile_input(data: bytes):
    check_reader(data)


def test_reader_survives_every_mutation_kind_from_a_fixed_seed():
    choose = RandomChooser(random.Random(8))
    seen = set()
    for _ in range(300):
        data = hostile(choose)
        check_reader(data, reports=False)
        seen.add(data[:64])
    # the seeded source really varies its inputs: over a quarter start differently (the exact count moves
    # whenever a corpus file is added, since corpus messages are what it starts from)
    assert len(seen) > 75
    for kind in KINDS:  # each mutation kind at least once on a valid message
        forced = RandomChooser(random.Random(kind))
        forced.pick = lambda options, kind=kind: kind if options is KINDS else options[0]
        check_reader(mutate(REQUEST, forced), reports=False)


def test_the_long_run_script_runs():
    assert run_long.main(["--minutes", "0.2", "--examples", "200", "--workers", "1"]) == 0


REGRESSIONS = sorted((Path(__file__).parent.parent / "fuzz" / "regressions").glob("*.bin"))


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.stem for p in REGRESSIONS])
def test_inputs_the_long_run_once_broke_on(path: Path):
    """Every failure a long run found, kept and replayed (tests/fuzz/regressions)."""
    check_reader(path.read_bytes())
