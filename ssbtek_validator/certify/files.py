"""The files a certification leaves behind: the HTML and JSON reports and the evidence.

The JSON report is the ordinary JSON report (same shape as ``--format json``) with a
``certification`` object added; the HTML report is the ordinary HTML report with the coverage
matrix and evidence on top. ``evidence.json`` is what ``certify --verify`` reads back.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ssbtek_validator.report import html, json_report
from ssbtek_validator.report.outputs import write_atomically

if TYPE_CHECKING:
    from ssbtek_validator.certify.run import CertifyRun

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
EVIDENCE_JSON = "evidence.json"


def write(outcome: CertifyRun, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    report = json_report.as_dict(outcome.result, outcome.packs)
    report["certification"] = outcome.certification.to_dict()
    files = {
        folder / REPORT_HTML: html.render(outcome.result, outcome.packs, outcome.certification, outcome.evidence),
        folder / REPORT_JSON: json.dumps(report, ensure_ascii=False, indent=2) + "\n",
        folder / EVIDENCE_JSON: json.dumps(outcome.evidence, ensure_ascii=False, indent=2) + "\n",
    }
    for path, text in files.items():  # each whole or not at all, as every report file
        write_atomically(path, partial(_put, text))
    return list(files)


def _put(text: str, stream: TextIO) -> None:
    stream.write(text)
