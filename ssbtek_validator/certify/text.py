"""The terminal view of a certification: what failed, what is missing, and the coverage at a glance.

The full matrix is in the HTML and JSON reports; this is what a person reads first, so it leads
with the verdict and every reason it is not PASS.
"""

from __future__ import annotations

from typing import TextIO

from ssbtek_validator.certify.evidence import Verification
from ssbtek_validator.certify.subject import Subject
from ssbtek_validator.certify.verdict import NOT_EXERCISED, Certification
from ssbtek_validator.report.text import finding_line, notice_line, summary_line
from ssbtek_validator.results.model import RunResult, Severity


def write(result: RunResult, certification: Certification, stream: TextIO) -> None:
    for finding in result.run_findings:
        stream.write(finding_line(finding) + "\n")
    for message in result.messages:
        for finding in message.findings:
            if finding.severity is not Severity.INFO:
                stream.write(finding_line(finding) + "\n")
    stream.write(notice_line(result) + "\n")
    stream.write(summary_line(result) + "\n\n")
    cert = certification
    stream.write(f"Operations × directions (messages, conforming) for SSBTEK v{cert.version}:\n")
    for key, cell in cert.operations.items():
        stream.write(f"  {key:45} {cell['messages']:6d} {cell['conforming']:6d}\n")
    stream.write("Agencies (requested / data / error / ping called / ping not called / ping error):\n")
    for agency, counts in cert.agencies.items():
        stream.write(f"  {agency:4} " + " ".join(f"{n:6d}" for n in counts.values()) + "\n")
    if cert.code_lists:
        stream.write("Code lists (values seen / known):\n")
        for name, entry in cert.code_lists.items():
            known = "?" if entry["known"] is None else str(len(entry["known"]))
            stream.write(f"  {name}: {len(entry['seen'])} / {known}\n")
    else:
        stream.write("Code lists: none known, no code values observed.\n")
    if cert.other:
        stream.write("Other observations: " + ", ".join(f"{key} ×{n}" for key, n in cert.other.items()) + "\n")
    idle = [r.id for r in cert.rules if r.status == NOT_EXERCISED]
    failed = [r.id for r in cert.rules if r.status == "fail"]
    stream.write(f"Rules: {len(cert.rules) - len(idle) - len(failed)} passed, {len(failed)} failed")
    stream.write(f" ({', '.join(failed)})" if failed else "")
    stream.write(f", {len(idle)} not exercised ({', '.join(idle)})\n" if idle else ", all exercised\n")
    stream.write(f"\nCertification SSBTEK v{cert.version}: {cert.verdict}\n")
    stream.write(f"  of {Subject.from_dict(cert.subject).line()}\n")
    for reason in [*cert.problems, *cert.gaps]:
        stream.write(f"  - {reason}\n")


def write_verification(check: Verification, evidence_path: str, stream: TextIO) -> None:
    if check.subject is not None:
        stream.write(f"certified: {check.subject.line()}\n")
    for note in check.notes:
        stream.write(f"note: {note}\n")
    for difference in check.differences:
        stream.write(f"DIFFERS: {difference}\n")
    if check.verified:
        stream.write(f"{evidence_path}: verified: same inputs, packs, code lists and outcome\n")
    else:
        stream.write(f"{evidence_path}: NOT verified ({len(check.differences)} difference(s))\n")
