"""JSON output; its shape is documented in the README ("JSON report") and kept stable."""

from __future__ import annotations

import json
from typing import TextIO

from .. import __version__
from ..findings import RunResult
from ..packs import Pack

SCHEMA_VERSION = 1


def as_dict(result: RunResult, packs: dict[int, Pack]) -> dict:
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    return {
        "tool": {"name": "ssbtek-validator", "version": __version__},
        "report_version": SCHEMA_VERSION,
        "verdict": str(result.verdict),
        "exit_code": result.exit_code,
        "summary": result.totals(),
        "packs": [pack.summary() for pack in packs.values() if pack.id in used],
        "run_findings": [f.to_dict() for f in result.run_findings],
        "messages": [m.to_dict() for m in result.messages],
        "exchange_summary": result.exchange_totals(),
        "exchanges": [e.to_dict() for e in result.exchanges],
    }


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO) -> None:
    json.dump(as_dict(result, packs), stream, ensure_ascii=False, indent=2)
    stream.write("\n")
