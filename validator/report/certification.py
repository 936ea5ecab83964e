"""The files a certification leaves behind: the HTML and JSON reports and the evidence.

The JSON report is the ordinary JSON report (same shape as ``--format json``) with a
``certification`` object added; the HTML report is the ordinary HTML report with the coverage
matrix and evidence on top. ``evidence.json`` is what ``certify --verify`` reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import html, json_report

if TYPE_CHECKING:
    from ..certify_run import CertifyRun

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
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
