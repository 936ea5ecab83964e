"""What a run is asked to do: one frozen value every stage of the run reads, and no global state."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE
from ssbtek_validator.reading.limits import DEFAULT_LIMITS, Limits
from ssbtek_validator.rules import MESSAGE_RULES, Rule
from ssbtek_validator.run.swedish_time import today_in_sweden

if TYPE_CHECKING:  # only a run that has a configuration imports its model (run/config_file.py)
    from ssbtek_validator.run.config import RuleConfig


@dataclass(frozen=True)
class Options:
    #: Force a pack instead of reading the version from the namespace.
    version: int | None = None
    show_values: bool = False
    #: The date to judge messages without frageTidpunkt at; None means today.
    as_of: date | None = None
    #: how as_of was chosen, for the report: "--as-of" or "today"
    as_of_source: str = "--as-of"
    strict: bool = False
    limits: Limits = DEFAULT_LIMITS
    include: tuple[str, ...] = DEFAULT_INCLUDE
    rules: tuple[Rule, ...] = field(default=MESSAGE_RULES)
    #: a team's tuning (disable, severity, suppression baseline; run/config.py); None = as documented
    config: RuleConfig | None = None
    #: Pair requests and answers by korrelationsid and judge each exchange (HAR captures always are).
    pairs: bool = False
    #: Record what each message exercised (``MessageResult.observed``: certification coverage). Only the
    #: JSON and HTML reports and ``certify`` show it, so the command turns it off for a run that writes
    #: none of them (~12 µs a message of ~300); a library caller gets it as always.
    coverage: bool = True


def today_fixed(options: Options) -> Options:
    """ "Today" is fixed once per run, not re-read per message."""
    if options.as_of is None:
        return replace(options, as_of=today_in_sweden(), as_of_source="today")
    return options


#: Every rule, documented defaults, today: what a run is when nothing is said.
DEFAULT_OPTIONS = Options()
