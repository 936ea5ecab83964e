"""A self-contained HTML report: one file to attach to a ticket or a certification, readable offline.

Everything is inline (styles, script), and a Content-Security-Policy forbids the page to load
anything at all, so opening it can never reach the network. It shows the verdict, the packs used,
and per message a table of its findings, with filters by severity, verdict, rule and text. Values
shown are those in the result: masked unless the run used --show-values, and the page says which.
The certification report is the same page with the coverage matrix and evidence on top.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any, TextIO

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.report.text import captured_location, exchange_summary_line, location, summary_line
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import ExchangeResult, Finding, MessageResult, Origin, RunResult, Severity, Verdict
from ssbtek_validator.rules.catalog import describe

if TYPE_CHECKING:
    from ssbtek_validator.certify.verdict import Certification

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

STYLE = """
:root { --err: #b3261e; --warn: #8a5a00; --info: #3b5b8a; --ok: #1e6b34; --line: #d0d4da; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1b1d21; }
header, main { padding: 12px 24px; }
header { background: #f3f5f8; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 4px 0 8px; } h2 { font-size: 17px; margin: 20px 0 8px; }
h3 { font-size: 14px; margin: 0; font-weight: 600; word-break: break-all; }
table { border-collapse: collapse; margin: 6px 0 12px; width: 100%; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #f3f5f8; font-weight: 600; overflow-wrap: normal; white-space: nowrap; }
td[class^="sev-"], td > code { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.conforms, .PASS, .pass { background: var(--ok); } .nonconformant, .FAIL, .fail { background: var(--err); }
.incomplete { background: #6b2fa0; } .not-exercised { background: #777; }
.sev-error { color: var(--err); font-weight: 600; } .sev-warning { color: var(--warn); font-weight: 600; }
.sev-info { color: var(--info); }
.gap { color: var(--err); } td.missing { background: #fbe9e7; }
.msg { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 8px 10px; }
.msg .meta { color: #555; font-size: 12px; margin-top: 2px; }
#filters { position: sticky; top: 0; background: #fff; padding: 8px 0; border-bottom: 1px solid var(--line);
  display: flex; flex-wrap: wrap; gap: 12px; align-items: center; z-index: 1; }
#filters input[type=search] { min-width: 260px; }
.note { color: #555; }
"""

SCRIPT = """
(function () {
  "use strict";
  var messages = Array.prototype.slice.call(document.querySelectorAll(".msg"));
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[data-severity]"));
  var verdict = document.getElementById("f-verdict");
  var rule = document.getElementById("f-rule");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  function apply() {
    var shown = {};
    boxes.forEach(function (box) { shown[box.getAttribute("data-severity")] = box.checked; });
    var needle = text.value.trim().toLowerCase();
    var visible = 0;
    messages.forEach(function (msg) {
      var rows = Array.prototype.slice.call(msg.querySelectorAll("tr[data-severity]"));
      var rowsShown = 0;
      rows.forEach(function (row) {
        var ok = shown[row.getAttribute("data-severity")] &&
          (!rule.value || row.getAttribute("data-rule") === rule.value) &&
          (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0 ||
           msg.getAttribute("data-file").toLowerCase().indexOf(needle) >= 0);
        row.hidden = !ok;
        if (ok) { rowsShown += 1; }
      });
      var ok = (!verdict.value || msg.getAttribute("data-verdict") === verdict.value) &&
        (!rule.value || rowsShown > 0) &&
        (!needle || rowsShown > 0 || msg.getAttribute("data-file").toLowerCase().indexOf(needle) >= 0);
      msg.hidden = !ok;
      if (ok) { visible += 1; }
    });
    count.textContent = "showing " + visible + " of " + messages.length + " " + count.getAttribute("data-noun");
  }
  // a link can carry a filter: report.html#verdict=nonconformant&rule=SSBT-XSD&q=text&hide=info,warning
  location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
    var parts = pair.split("=");
    var value = decodeURIComponent(parts.slice(1).join("=") || "");
    if (parts[0] === "verdict") { verdict.value = value; }
    if (parts[0] === "rule") { rule.value = value; }
    if (parts[0] === "q") { text.value = value; }
    if (parts[0] === "hide") {
      boxes.forEach(function (box) {
        if (value.split(",").indexOf(box.getAttribute("data-severity")) >= 0) { box.checked = false; }
      });
    }
  });
  boxes.concat([verdict, rule, text]).forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _badge(word: str) -> str:
    return f'<span class="badge {_e(word.replace(" ", "-"))}">{_e(word)}</span>'


def _finding_row(finding: Finding, origin: Origin | None = None) -> str:
    """``origin``: the capture the finding's message was read out of; its place there is shown where known, as the
    text report and the CI formats show it (``capture.http:25:11``), the message's own name heading the section."""
    where = captured_location(finding, origin) or location(finding)
    value = "" if finding.value is None else f"<code>{_e(finding.value)}</code>"
    return (
        f'<tr data-severity="{_e(finding.severity)}" data-rule="{_e(finding.rule)}">'
        f'<td class="sev-{_e(finding.severity)}">{_e(finding.severity)}</td>'
        f'<td><code title="{_e(describe(finding.rule).summary)}">{_e(finding.rule)}</code></td>'
        f'<td class="mono">{_e(where)}</td><td>{_e(finding.message)}</td>'
        f'<td class="mono">{_e(finding.path)}</td><td>{value}</td></tr>'
    )


FINDINGS_HEAD = "<tr><th>severity</th><th>rule</th><th>location</th><th>message</th><th>path</th><th>value</th></tr>"


def _message(message: MessageResult) -> str:
    d = message.detection
    what = ", ".join(
        x
        for x in (
            f"v{d.version}" if d.version is not None else "",
            f"pack {d.pack_id} [{d.pack_status}]" if d.pack_id else "",
            " ".join(x for x in (d.operation, d.direction) if x),
        )
        if x
    )
    dated = f"; dated {message.message_date} ({message.message_date_source})" if message.message_date else ""
    rows = "".join(_finding_row(f, message.origin) for f in message.findings)
    table = f"<table>{FINDINGS_HEAD}{rows}</table>" if rows else ""
    return (
        f'<section class="msg" data-verdict="{_e(message.verdict)}" data-file="{_e(message.file)}">'
        f"<h3>{_badge(str(message.verdict))} {_e(message.file)}</h3>"
        f'<div class="meta">{_e(what or "not identified")}; {_e(d.reason)}{_e(dated)}</div>{table}</section>'
    )


def _exchange(exchange: ExchangeResult) -> str:
    rows = "".join(_finding_row(f) for f in exchange.findings)
    table = f"<table>{FINDINGS_HEAD}{rows}</table>" if rows else ""
    sides = f"{exchange.request or '(no request)'} ↔ {exchange.answer or '(no answer)'}"
    paired = f"; paired by {exchange.paired_by}" if exchange.paired_by else ""
    return (
        f'<section class="msg exchange" data-verdict="{_e(exchange.verdict)}" data-file="{_e(exchange.name)}">'
        f"<h3>{_badge(str(exchange.verdict))} exchange {_e(exchange.name)}</h3>"
        f'<div class="meta">{_e(sides)}{_e(paired)}</div>{table}</section>'
    )


def _filters(result: RunResult) -> str:
    rules = sorted(
        {f.rule for item in [*result.messages, *result.exchanges] for f in item.findings}
        | {f.rule for f in result.run_findings}
    )
    noun = "messages and exchanges" if result.exchanges else "messages"
    options = "".join(f'<option value="{_e(r)}">{_e(r)}</option>' for r in rules)
    boxes = "".join(
        f'<label><input type="checkbox" data-severity="{s}" checked> {s}</label>'
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
    )
    verdicts = "".join(f'<option value="{v}">{v}</option>' for v in ("nonconformant", "incomplete", "conforms"))
    return (
        f'<div id="filters">{boxes}'
        f'<label>verdict <select id="f-verdict"><option value="">all</option>{verdicts}</select></label>'
        f'<label>rule <select id="f-rule"><option value="">all</option>{options}</select></label>'
        f'<input id="f-text" type="search" placeholder="filter by file or text" aria-label="filter">'
        f'<span id="f-count" class="note" data-noun="{noun}"></span></div>'
    )


def _packs(result: RunResult, packs: dict[int, Pack], evidence: dict[str, Any] | None) -> str:
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    hashes = {p["id"]: p.get("content_sha256") for p in (evidence or {}).get("packs", [])}
    rows = "".join(
        f"<tr><td>{_e(p.id)}</td><td>v{p.version}</td><td>{_e(p.status)}</td><td>{_e(p.origin)}</td>"
        f"<td class='mono'>{_e(p.namespace)}</td>"
        + (f"<td class='mono'>{_e(hashes.get(p.id))}</td>" if evidence else "")
        + "</tr>"
        for p in sorted(packs.values(), key=lambda p: p.version)
        if p.id in used or (evidence and p.id in hashes)
    )
    if not rows:
        return ""
    extra = "<th>content SHA-256</th>" if evidence else ""
    return (
        "<h2>Packs</h2><table><tr><th>pack</th><th>version</th><th>status</th><th>origin</th>"
        f"<th>namespace</th>{extra}</tr>{rows}</table>"
    )


def _certification(cert: Certification, evidence: dict[str, Any] | None) -> str:
    out = [f"<h2>Certification for SSBTEK v{cert.version}: {_badge(cert.verdict)}</h2>"]
    subject = {
        "product": "Product",
        "product_version": "Product version",
        "vendor": "Vendor",
        "environment": "Environment",
    }
    rows = "".join(
        f"<tr><th>{label}</th><td>{_e(cert.subject.get(key) or 'not given')}</td></tr>"
        for key, label in subject.items()
    )
    out.append(f"<table class='subject'>{rows}</table>")
    if cert.problems or cert.gaps:
        items = "".join(f'<li class="gap">{_e(p)}</li>' for p in [*cert.problems, *cert.gaps])
        out.append(f"<p>Why not PASS:</p><ul>{items}</ul>")
    else:
        out.append("<p>No errors, and the required coverage is met.</p>")
    req = cert.requirements
    out.append(
        "<p class='note'>Required: "
        + _e(
            f"operations {', '.join(req.operations or ())} × {', '.join(req.directions)}; data from "
            f"{', '.join(req.agencies_with_data or ()) or 'no agency'}; an error from at least "
            f"{req.min_agencies_with_error} agenc{'y' if req.min_agencies_with_error == 1 else 'ies'}"
            + (f"; every value of {', '.join(req.code_lists)}" if req.code_lists else "")
            + ("; a conforming exchange (request paired with its answer) per operation" if req.exchanges else "")
            + f". As of {cert.as_of}."
        )
        + "</p>"
    )
    directions = ("request", "answer", "fault", "exchange")
    head = "".join(f"<th>{d}</th>" for d in directions)
    rows = []
    for operation in dict.fromkeys(key.split("/")[0] for key in cert.operations):
        cells = []
        for direction in directions:
            cell = cert.operations.get(f"{operation}/{direction}", {"messages": 0, "conforming": 0})
            required = operation in (req.operations or ()) and (
                direction in req.directions or (direction == "exchange" and req.exchanges)
            )
            missing = " missing" if required and not cell["conforming"] else ""
            cells.append(f'<td class="num{missing}">{cell["messages"]} ({cell["conforming"]} conforming)</td>')
        rows.append(f"<tr><th>{_e(operation)}</th>{''.join(cells)}</tr>")
    out.append(
        "<h3>Operations × directions (messages; exchange: a request paired with its answer)</h3>"
        f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )
    columns = list(next(iter(cert.agencies.values()), {}))
    rows = []
    for agency, counts in cert.agencies.items():
        cells = []
        for column in columns:
            required = column == "data" and agency in (req.agencies_with_data or ())
            missing = " missing" if required and not counts[column] else ""
            cells.append(f'<td class="num{missing}">{counts[column]}</td>')
        rows.append(f"<tr><th>{_e(agency)}</th>{''.join(cells)}</tr>")
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    out.append(f"<h3>Agencies</h3><table><tr><th></th>{head}</tr>{''.join(rows)}</table>")
    if cert.code_lists:
        rows = []
        for name, entry in cert.code_lists.items():
            known = "not in codelists/" if entry["known"] is None else str(len(entry["known"]))
            seen = ", ".join(f"{code} ×{n}" for code, n in entry["seen"].items()) or "none"
            unseen = ", ".join(entry["unseen"] or []) if entry["unseen"] is not None else "—"
            rows.append(
                f"<tr><td>{_e(name)}</td><td class='num'>{_e(known)}</td><td>{_e(seen)}</td><td>{_e(unseen)}</td></tr>"
            )
        out.append(
            "<h3>Code-list values</h3><table><tr><th>list</th><th>values</th><th>seen</th><th>never seen</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    else:
        out.append("<h3>Code-list values</h3><p class='note'>No code lists known and no code values observed.</p>")
    if cert.other:
        rows = "".join(f"<tr><td>{_e(key)}</td><td class='num'>{n}</td></tr>" for key, n in cert.other.items())
        out.append(f"<h3>Other observations</h3><table><tr><th>observed</th><th>messages</th></tr>{rows}</table>")
    rows = "".join(
        f"<tr><td><code>{_e(r.id)}</code></td><td>{_e(r.kind)}</td><td>{_badge(r.status)}</td>"
        f"<td class='num'>{r.messages}</td><td class='num'>{r.errors}</td><td class='num'>{r.warnings}</td>"
        f"<td>{_e(r.summary)}</td></tr>"
        for r in cert.rules
    )
    out.append(
        "<h3>Rules</h3><table><tr><th>rule</th><th>kind</th><th>status</th><th>checked</th><th>errors</th>"
        f"<th>warnings</th><th>checks</th></tr>{rows}</table>"
    )
    if evidence:
        inputs = evidence.get("inputs", [])
        rows = "".join(
            f"<tr><td>{_e(i['file'])}</td><td class='mono'>{_e(i['sha256'] or 'unreadable')}</td>"
            f"<td class='num'>{_e(i['bytes'])}</td></tr>"
            for i in inputs[:MAX_SHOWN]
        )
        if len(inputs) > MAX_SHOWN:  # as for messages: evidence.json holds every one
            rows += (
                f"<tr><td colspan='3' class='note'>{len(inputs) - MAX_SHOWN:,} more inputs not shown (this page lists "
                f"at most {MAX_SHOWN:,}); evidence.json records each.</td></tr>"
            )
        lists = "".join(
            f"<tr><td>{_e(name)}</td><td class='mono'>{_e(digest)}</td></tr>"
            for name, digest in evidence.get("code_lists", {}).items()
        )
        out.append(
            f"<h3>Evidence</h3><p class='note'>ssbtek-validator {_e(evidence['tool']['version'])}, "
            f"made {_e(evidence.get('created'))}. Check it again with <code>ssbtek-validate certify --verify "
            "evidence.json</code>.</p>"
            f"<table><tr><th>input</th><th>SHA-256</th><th>bytes</th></tr>{rows}</table>"
            + (f"<table><tr><th>code-list file</th><th>SHA-256</th></tr>{lists}</table>" if lists else "")
        )
    return "".join(out)


#: Messages (and exchanges) shown in full; past these the report says how many it left out. Each shown
#: message costs a few kB of HTML held while the page is written and in the reader's browser, and a
#: page of 100,000 messages helps no one: the JSON report lists them all.
MAX_SHOWN = 5000


def render(
    result: RunResult,
    packs: dict[int, Pack],
    certification: Certification | None = None,
    evidence: dict[str, Any] | None = None,
) -> str:
    out = io.StringIO()
    write(result, packs, out, certification, evidence)
    return out.getvalue()


def write(
    result: RunResult,
    packs: dict[int, Pack],
    stream: TextIO,
    certification: Certification | None = None,
    evidence: dict[str, Any] | None = None,
) -> None:
    """The page into ``stream`` in pieces, so that only one message's HTML is held at a time besides the result; with
    ``certification`` (and its ``evidence``), the certification report."""
    title = f"SSBTEK v{certification.version} certification report" if certification else "SSBTEK conformance report"
    masked = values_notice(result.show_values)
    run_findings = ""
    if result.run_findings:
        rows = "".join(_finding_row(f) for f in result.run_findings)
        run_findings = f"<h2>Run</h2><table>{FINDINGS_HEAD}{rows}</table>"
    summary = summary_line(result)
    if result.exchanges:
        summary = f"{exchange_summary_line(result)}; {summary}"
    stream.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><p>{_badge(str(result.verdict))} {_e(summary)}</p>"
        f'<p class="note">ssbtek-validator {_e(__version__)}. {_e(masked)}</p></header><main>'
        + (_certification(certification, evidence) if certification else "")
        + _packs(result, packs, evidence)
        + run_findings
        + f"<h2>Messages</h2>{_filters(result)}<div id='messages'>"
    )
    _items(stream, result.messages, _message, "messages")
    if result.exchanges:
        stream.write("<h2>Exchanges</h2>")
        _items(stream, result.exchanges, _exchange, "exchanges")
    stream.write(f"</div></main><script>{SCRIPT}</script></body></html>\n")


def _items(stream: TextIO, items: list, show: Callable[[Any], str], what: str) -> None:
    """In input order, at most MAX_SHOWN of them (those with a verdict other than "conforms" chosen first,
    as a reader opens the report for those); then how many were left out."""
    if len(items) <= MAX_SHOWN:
        chosen = None
    else:
        wrong = [i for i, item in enumerate(items) if item.verdict is not Verdict.CONFORMS][:MAX_SHOWN]
        right = [i for i, item in enumerate(items) if item.verdict is Verdict.CONFORMS][: MAX_SHOWN - len(wrong)]
        chosen = set(wrong) | set(right)
    for index, item in enumerate(items):
        if chosen is None or index in chosen:
            stream.write(show(item))
    if chosen is not None:
        stream.write(
            f'<p class="note">{len(items) - len(chosen):,} more {what} not shown (this page lists at most '
            f"{MAX_SHOWN:,}, those not conforming first); see the JSON report (--format json) for all of them.</p>"
        )
