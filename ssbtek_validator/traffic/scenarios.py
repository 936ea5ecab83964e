"""What the test double should do besides answering well: a small TOML file, or a header per request.

    # scenario.toml
    error = ["CSN"]          # these agencies answer with error (kalla BT) instead of data
    slow = { FK = 1.5 }      # seconds an agency takes; the answer waits for the slowest agency asked
    fault = false            # true: every call answers with a SOAP Fault (the service is failing)

    [people."191212121212"]  # a named person always gets the same data, whatever the korrelationsid
    name = "Tolvan Tolvansson"
    seed = 7

The same per request, in a header (it adds to the file's scenario):
``X-SSBTEK-Scenario: error=CSN,FK; slow=FK:1.5; fault``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

HEADER = "X-SSBTEK-Scenario"
AGENCIES = ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV")


class ScenarioError(ValueError):
    """A scenario file or header that cannot be used (a usage error for the file, a 400 for a header)."""


@dataclass(frozen=True)
class Scenarios:
    errors: frozenset[str] = frozenset()
    slow: dict[str, float] = field(default_factory=dict)
    fault: bool = False
    people: dict[str, dict] = field(default_factory=dict)

    def delay(self, asked: frozenset[str] | set[str]) -> float:
        """How long the answer waits: the slowest agency that was asked (SSBTEK answers when all have)."""
        return max((seconds for agency, seconds in self.slow.items() if agency in asked), default=0.0)

    def with_header(self, value: str | None) -> Scenarios:
        if not value:
            return self
        errors, slow, fault = set(self.errors), dict(self.slow), self.fault
        for part in (p.strip() for p in value.split(";")):
            name, _, argument = part.partition("=")
            name = name.strip().lower()
            if name == "fault":
                fault = True
            elif name == "error":
                errors |= _agencies(a.strip() for a in argument.split(","))
            elif name == "slow":
                for item in argument.split(","):
                    agency, _, seconds = item.partition(":")
                    slow.update(_slow({agency.strip(): seconds.strip()}))
            elif part:
                raise ScenarioError(f"{HEADER}: unknown scenario {name!r} (known: error, slow, fault)")
        return replace(self, errors=frozenset(errors), slow=slow, fault=fault)


def _agencies(names) -> set[str]:
    found = set()
    for name in names:
        if name not in AGENCIES:
            raise ScenarioError(f"unknown agency {name!r} (known: {', '.join(AGENCIES)})")
        found.add(name)
    return found


def _slow(table: dict) -> dict[str, float]:
    slow = {}
    for agency, seconds in table.items():
        _agencies([agency])
        try:
            slow[agency] = float(seconds)
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"slow: {agency} = {seconds!r} is not a number of seconds") from exc
        if not 0 <= slow[agency] <= 600:
            raise ScenarioError(f"slow: {agency} = {seconds!r}: between 0 and 600 seconds")
    return slow


def load(path: str | Path | None) -> Scenarios:
    """The scenarios of a TOML file (None: answer every conforming request well, at once)."""
    if path is None:
        return Scenarios()
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    unknown = set(data) - {"error", "slow", "fault", "people"}
    if unknown:
        raise ScenarioError(f"{path}: unknown keys {', '.join(sorted(unknown))} (known: error, slow, fault, people)")
    errors, slow, people = data.get("error", []), data.get("slow", {}), data.get("people", {})
    if not isinstance(errors, list) or not isinstance(slow, dict) or not isinstance(people, dict):
        raise ScenarioError(f"{path}: error is a list of agencies, slow a table, people a table per personnummer")
    if not isinstance(data.get("fault", False), bool):
        raise ScenarioError(f"{path}: fault is true or false")
    for person in people.values():
        if not isinstance(person, dict) or set(person) - {"name", "seed"}:
            raise ScenarioError(f"{path}: a person has name and seed, nothing else")
    return Scenarios(frozenset(_agencies(errors)), _slow(slow), data.get("fault", False), people)
