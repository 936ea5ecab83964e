"""The files a certification leaves behind: the HTML and JSON reports and the evidence.

The JSON report is the ordinary JSON report (same shape as ``--format json``) with a
``certification`` object added; the HTML report is the ordinary HTML report with the coverage
matrix and evidence on top. ``evidence.json`` is what ``certify --verify`` reads back.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ssbtek_validator.report import html, json_report
from ssbtek_validator.report.json_report import write_document
from ssbtek_validator.report.outputs import write_atomically

if TYPE_CHECKING:
    from ssbtek_validator.certify.run import CertifyRun

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
EVIDENCE_JSON = "evidence.json"


def write(outcome: CertifyRun, folder: Path) -> list[Path]:
    """Each file written as it is made, a message at a time, as ``check`` writes its reports: made whole in
    memory first (and the JSON by json's pure-Python indenting encoder), a certification over 15,000 messages
    peaked at 440 MB and spent ~2 s writing its files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        folder / REPORT_HTML: partial(_html, outcome),
        folder / REPORT_JSON: partial(_json, outcome),
        folder / EVIDENCE_JSON: partial(write_document, outcome.evidence),
    }
    for path, put in files.items():  # each whole or not at all, as every report file
        write_atomically(path, put)
    return list(files)


def _html(outcome: CertifyRun, stream: TextIO) -> None:
    html.write(outcome.result, outcome.packs, stream, outcome.certification, outcome.evidence)


def _json(outcome: CertifyRun, stream: TextIO) -> None:
    extra = {"certification": outcome.certification.to_dict()}
    json_report.write(outcome.result, outcome.packs, stream, extra=extra)
