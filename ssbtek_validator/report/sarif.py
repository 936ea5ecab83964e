"""SARIF 2.1.0, the format GitHub code scanning (and most security dashboards) ingest.

Every rule a finding can carry is declared in ``tool.driver.rules`` with its one-line summary and
its explanation as help, so a reviewer sees why a finding matters without our docs at hand. Each
finding becomes a result with a physical location (file, line, column) and a logical one (the
XPath). The verdict and the packs used travel in the run's properties.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import Any, TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report.locations import display_path, file_uri, is_real_file, place
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, Origin, RunResult, Severity
from ssbtek_validator.rules.catalog import describe, rule_table

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule_name(rule_id: str) -> str:
    """SARIF's ``name`` is an identifier-like word: SSBT-PAYLOAD-BASE64 → SsbtPayloadBase64."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _descriptor(rule_id: str) -> dict[str, Any]:
    doc = describe(rule_id)
    help_text = doc.help
    return {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": f"**{rule_id}**: {doc.summary}\n\n{help_text}"},
        "defaultConfiguration": {"level": LEVELS[doc.level]},
        "properties": {"tags": ["ssbtek", doc.kind]},
    }


def _result(finding: Finding, index: dict[str, int], origin: Origin | None = None) -> dict[str, Any]:
    """``origin``: the capture the finding's message was read out of (see locations.place)."""
    file, line, column = place(finding, origin)
    text = finding.message if file == finding.file else f"{display_path(finding.file)}: {finding.message}"
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS[finding.severity],
        "message": {"text": text},
    }
    location: dict[str, Any] = {}
    if is_real_file(file):
        physical: dict[str, Any] = {"artifactLocation": {"uri": file_uri(file)}}
        if line and line > 0:
            region: dict[str, Any] = {"startLine": line}
            if column and column > 0:
                region["startColumn"] = column
            physical["region"] = region
        location["physicalLocation"] = physical
    if finding.path:
        location["logicalLocations"] = [{"fullyQualifiedName": finding.path, "kind": "element"}]
    if location:
        result["locations"] = [location]
    if finding.value is not None:
        result["properties"] = {"value": finding.value}
    return result


def _findings(result: RunResult) -> Iterator[tuple[Finding, Origin | None]]:
    """Every finding of the run in the report's order, with the capture its message was read out of; walked
    afresh each time (never gathered in a list)."""
    for finding in result.run_findings:
        yield finding, None
    judged_parts: Iterator[MessageResult | ExchangeResult] = chain(result.messages, result.exchanges)
    for judged in judged_parts:
        for finding in judged.findings:
            yield finding, judged.origin


#: where the results go in the document's skeleton; a string no report contains unescaped (it holds a NUL)
_HOLE = "\x00ssbtek-validator-results"


def as_dict(result: RunResult, packs: dict[int, Pack], *, results: bool = True) -> dict[str, Any]:
    """``results=False``: ``_HOLE`` stands for the results, for ``write``, which writes them one by one."""
    rule_ids = list(rule_table())
    rule_ids += sorted({f.rule for f, _ in _findings(result)} - set(rule_ids))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ssbtek-validator",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(rule_id) for rule_id in rule_ids],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": result.exit_code != 3,
                        "exitCode": result.exit_code,
                    }
                ],
                "results": [_result(f, index, origin) for f, origin in _findings(result)] if results else _HOLE,
                "properties": {
                    "verdict": str(result.verdict),
                    "values": values_notice(result.show_values),
                    "summary": result.totals(),
                    "exchange_summary": result.exchange_totals(),
                    "packs": [
                        {"id": p.id, "version": p.version, "status": p.status} for p in packs.values() if p.id in used
                    ],
                },
            }
        ],
    }


#: how deep the results list stands in the document (runs → run → results → result), in json.dump's indent
_RESULT_INDENT = " " * 8


def write(result: RunResult, packs: dict[int, Pack], stream: TextIO) -> None:
    """Result by result, as ``json.dump(as_dict(…), indent=2)`` would write the document, without ever holding
    it: the results of a 20,000-message run as dicts, and the text, took 110 MB."""
    document = as_dict(result, packs, results=False)
    index = {rule["id"]: i for i, rule in enumerate(document["runs"][0]["tool"]["driver"]["rules"])}
    head, hole, tail = json.dumps(document, ensure_ascii=False, indent=2).partition(json.dumps(_HOLE))
    if not hole:  # not an assert: a report must never come out without its results
        raise RuntimeError("the report's skeleton lost its place for the results")
    stream.write(head)
    count = 0
    for finding, origin in _findings(result):
        item = json.dumps(_result(finding, index, origin), ensure_ascii=False, indent=2)
        item = item.replace("\n", "\n" + _RESULT_INDENT)
        stream.write(("[\n" if not count else ",\n") + _RESULT_INDENT + item)
        count += 1
    stream.write("\n" + _RESULT_INDENT[:-2] + "]" if count else "[]")
    stream.write(tail)
    stream.write("\n")
