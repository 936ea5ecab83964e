"""Reporters: one module per output format, all reading the same :class:`RunResult`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import TextIO

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.results.model import RunResult

Reporter = Callable[[RunResult, dict[int, Pack], TextIO], None]

#: format name → module of this package whose ``write`` writes it
_MODULES = {
    "text": "text",
    "json": "json_report",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "html": "html",
}


class _Reporters(Mapping[str, Reporter]):
    """Format name → reporter, each module imported when its format is first asked for.

    Why lazily: a run writes one or two formats, and importing all six (the HTML one alone is ~7 ms)
    is start-up time every run paid, a third of it before a single message was read.
    tests/run/test_cold_start.py checks that a one-message text run imports no other reporter."""

    def __getitem__(self, name: str) -> Reporter:
        return import_module(f"{__name__}.{_MODULES[name]}").write

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Reporter] = _Reporters()

__all__ = ["REPORTERS", "Reporter"]
