"""Reporters: one module per output format, all reading the same :class:`RunResult`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..findings import RunResult
from ..packs import Pack
from . import github, html, json_report, junit, sarif, text

Reporter = Callable[[RunResult, dict[int, Pack], TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "text": text.write,
    "json": json_report.write,
    "junit": junit.write,
    "sarif": sarif.write,
    "github": github.write,
    "html": html.write,
}

__all__ = ["REPORTERS", "Reporter"]
