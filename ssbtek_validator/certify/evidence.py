"""Certification evidence: a JSON file from which a reviewer can check a certification again, later.

It records what was judged (SHA-256 of every input), with what (tool version, each pack's id,
status and content hash, each code-list file's hash), as of when (the date undated messages were
judged at, and the required coverage), and what came out (per-rule pass/fail/not exercised, the
coverage, the verdict). ``certify --verify`` runs the certification again from the file's own
settings and lists every difference: a changed, missing or added input, a pack or code list that
is no longer the same, a different outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssbtek_validator import __version__
from ssbtek_validator.certify.verdict import NOT_EXERCISED, Certification, bound_lists
from ssbtek_validator.packs.schema_packs import Pack, data_root
from ssbtek_validator.results.masking import values_notice
from ssbtek_validator.results.model import RunResult
from ssbtek_validator.results.safe_text import safe_name
from ssbtek_validator.run.executor import Digest

EVIDENCE_VERSION = 1


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_list_hashes(root: Path | None = None, lists: Iterable[str] | None = None) -> dict[str, str]:
    """SHA-256 of the code-list files (``*.csv``; only ``lists`` when given) and bindings files (``*.toml``)."""
    folder = root or data_root("codelists")
    wanted = None if lists is None else set(lists)
    return {
        path.relative_to(folder).as_posix(): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
        and (path.suffix == ".toml" or (path.suffix == ".csv" and (wanted is None or path.stem in wanted)))
    }


def pack_records(packs: dict[int, Pack], used: Iterable[str], version: int | None = None) -> list[dict[str, Any]]:
    """The packs the certification rests on: the certified version's, and a ``--schemas`` bundle's.

    The other versions' packs played no part in the verdict; hashing them made a v10 evidence file
    change (and --verify fail) whenever the v6 pack was touched."""
    used = set(used)
    return [
        {
            "id": pack.id,
            "version": pack.version,
            "status": pack.status,
            "origin": pack.origin,
            "content_sha256": pack.content_hash(),
            "used": pack.id in used,
        }
        for pack in sorted(packs.values(), key=lambda p: p.version)
        if version is None or pack.version == version or pack.origin == "bundle"
    ]


def build(
    certification: Certification,
    result: RunResult,
    packs: dict[int, Pack],
    digests: list[Digest],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The evidence document. ``settings`` holds what --verify needs to run the same certification."""
    used = {m.detection.pack_id for m in result.messages if m.detection.pack_id}
    certified = certification.to_dict()
    return {
        "evidence_version": EVIDENCE_VERSION,
        "tool": {"name": "ssbtek-validator", "version": __version__},
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "settings": settings,
        # who and what was certified, as the vendor declared it (not checked: the captures do not say)
        "subject": dict(certification.subject),
        "as_of": certification.as_of,
        "packs": pack_records(packs, used, certification.version),
        "code_lists": code_list_hashes(lists=bound_lists(certification.version)),
        # input names are shown as every report shows them: a file named after a person is personal data
        "values": values_notice(result.show_values),
        "inputs": [
            {"file": safe_name(d.file, result.show_values), "sha256": d.sha256, "bytes": d.size} for d in digests
        ],
        "messages": [
            {
                "file": message.file,
                "verdict": str(message.verdict),
                "version": message.detection.version,
                "operation": message.detection.operation,
                "direction": message.detection.direction,
            }
            for message in result.messages
        ],
        "exchanges": [{"name": e.name, "verdict": str(e.verdict), "paired_by": e.paired_by} for e in result.exchanges],
        "summary": result.totals(),
        "exchange_summary": result.exchange_totals(),
        "rules": certified["rules"],
        "coverage": certified["coverage"],
        "requirements": certified["requirements"],
        "problems": certified["problems"],
        "gaps": certified["gaps"],
        "verdict": certified["verdict"],
    }


@dataclass
class Verification:
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the recorded subject (product, version, vendor, environment), reported with the outcome
    subject: Any = None

    @property
    def verified(self) -> bool:
        return not self.differences


def compare(recorded: dict[str, Any], again: dict[str, Any]) -> Verification:
    """Every way the new run differs from the recorded one; ``notes`` hold what does not void it."""
    check = Verification()
    if recorded.get("tool", {}).get("version") != again["tool"]["version"]:
        check.notes.append(
            f"evidence made with ssbtek-validator {recorded.get('tool', {}).get('version')}, "
            f"re-checked with {again['tool']['version']}"
        )
    before = {item["file"]: item for item in recorded.get("inputs", [])}
    after = {item["file"]: item for item in again["inputs"]}
    for name in before.keys() - after.keys():
        check.differences.append(f"input {name}: missing now (recorded sha256 {before[name]['sha256']})")
    for name in after.keys() - before.keys():
        check.differences.append(f"input {name}: not in the evidence (added since)")
    for name in sorted(before.keys() & after.keys()):
        if before[name]["sha256"] != after[name]["sha256"]:
            check.differences.append(
                f"input {name}: changed (sha256 {before[name]['sha256']} recorded, {after[name]['sha256']} now)"
            )
    packs_before = {p["id"]: p for p in recorded.get("packs", [])}
    packs_after = {p["id"]: p for p in again["packs"]}
    for pack_id in sorted(packs_before.keys() | packs_after.keys()):
        old, new = packs_before.get(pack_id), packs_after.get(pack_id)
        if old is None or new is None:
            if (old or new or {}).get("used"):
                check.differences.append(f"pack {pack_id}: {'missing now' if new is None else 'not in the evidence'}")
            continue
        if old["content_sha256"] != new["content_sha256"]:
            check.differences.append(f"pack {pack_id}: content changed (sha256 {old['content_sha256']} recorded)")
        if old["status"] != new["status"]:
            check.differences.append(f"pack {pack_id}: status {old['status']} recorded, {new['status']} now")
    lists_before, lists_after = recorded.get("code_lists", {}), again["code_lists"]
    # evidence from before only the certified version's lists were hashed names every list: the others
    # played no part in the verdict then either
    bound = bound_lists(int(again["settings"]["version"]))
    relevant = {name for name in lists_before if name.endswith(".toml") or name.removesuffix(".csv") in bound}
    for name in sorted(relevant | lists_after.keys()):
        if lists_before.get(name) != lists_after.get(name):
            state = "missing now" if name not in lists_after else "added" if name not in lists_before else "changed"
            check.differences.append(f"code list file {name}: {state}")
    for rule_id in sorted(set(recorded.get("rules", {})) | set(again["rules"])):
        old_status = recorded.get("rules", {}).get(rule_id, {}).get("status")
        new_status = again["rules"].get(rule_id, {}).get("status")
        if old_status == new_status:
            continue
        # a rule that concerns the version now (or no longer) and that these inputs do not exercise decided nothing
        # either time: an upgrade that adds a check does not void evidence the check has nothing to say about
        if {old_status, new_status} == {None, NOT_EXERCISED}:
            said = "not in the evidence" if old_status is None else "no longer a rule of this version"
            check.notes.append(f"rule {rule_id}: {said}; not exercised by these inputs")
            continue
        check.differences.append(f"rule {rule_id}: {old_status} recorded, {new_status} now")
    if recorded.get("verdict") != again["verdict"]:
        check.differences.append(f"verdict: {recorded.get('verdict')} recorded, {again['verdict']} now")
    return check
