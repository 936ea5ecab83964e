"""``certify`` and ``certify --verify`` as library calls; the CLI only wires options to these.

A certification run validates the captures with every rule, turns the result into coverage and a
verdict (:mod:`.verdict`) and records the evidence (:mod:`.evidence`). The evidence keeps the run's
settings, so ``verify`` can repeat exactly the same run later (same as-of date, same requirements,
same limits) and compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ssbtek_validator import packs_with
from ssbtek_validator.certify.evidence import EVIDENCE_VERSION, Verification, build, compare
from ssbtek_validator.certify.subject import Subject
from ssbtek_validator.certify.verdict import Certification, Requirements, certify, mark_other_versions
from ssbtek_validator.packs.schema_packs import Pack, PackError
from ssbtek_validator.reading.inputs import DEFAULT_INCLUDE, read_json_file
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.results.masking import MASK_CHAR
from ssbtek_validator.results.model import RunResult
from ssbtek_validator.results.safe_text import safe_name
from ssbtek_validator.run.executor import validate_batch
from ssbtek_validator.run.options import Options, today_fixed
from ssbtek_validator.run.progress import Progress


@dataclass
class CertifyRun:
    result: RunResult
    certification: Certification
    evidence: dict[str, Any]
    packs: dict[int, Pack]


def run(
    paths: Sequence[str | Path],
    version: int,
    *,
    requirements: Requirements | None = None,
    options: Options | None = None,
    schemas: str | Path | None = None,
    subject: Subject | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> CertifyRun:
    """Certify captures for SSBTEK ``version``. Raises :class:`PackError` for a configuration problem."""
    packs = packs_with(schemas)
    pack = packs.get(version)
    if pack is None:
        raise PackError(f"--pack {version}: no pack for it; known: {', '.join(map(str, sorted(packs)))}")
    requirements = requirements or Requirements()
    options = options or Options()
    # never force the pack: a capture in another version must show up as such, not be judged as vN;
    # coverage is what a certification is made of, whatever the caller's options said
    options = replace(options, version=None, coverage=True)
    if requirements.exchanges:  # required exchanges need the requests paired with their answers
        options = replace(options, pairs=True)
    options = today_fixed(options)  # the evidence records the date the run was judged by
    batch = validate_batch(paths, options, packs, jobs=jobs, digests=True, progress=progress)
    mark_other_versions(batch.result, version)
    certification = certify(batch.result, pack, requirements, options.as_of)
    certification.subject = (subject or Subject()).to_dict()
    settings = {
        "version": version,
        # masked like every name in the reports; --verify then needs the CAPTURES given again
        "inputs": [safe_name(str(p), options.show_values) for p in paths],
        "as_of": options.as_of.isoformat() if options.as_of else None,
        "as_of_source": options.as_of_source,
        "strict": options.strict,
        "pairs": options.pairs,
        "include": list(options.include),
        "max_message_bytes": options.limits.max_message_bytes,
        "schemas": str(schemas) if schemas is not None else None,
        "requirements": requirements.to_dict(),
        "subject": certification.subject,
    }
    evidence = build(certification, batch.result, packs, batch.digests, settings)
    return CertifyRun(batch.result, certification, evidence, packs)


class EvidenceError(Exception):
    """An evidence file that cannot be read or is not one (a usage error, exit 2)."""


def load_evidence(path: str | Path) -> dict[str, Any]:
    try:
        data = read_json_file(path)
    except ValueError as exc:
        raise EvidenceError(f"{path}: cannot read evidence: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("evidence_version") != EVIDENCE_VERSION
        or not isinstance(data.get("settings"), dict)
    ):
        raise EvidenceError(f"{path}: not an ssbtek-validator evidence file (evidence_version {EVIDENCE_VERSION})")
    return data


def verify(
    evidence_path: str | Path,
    paths: Sequence[str | Path] | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> tuple[Verification, CertifyRun]:
    """Repeat the recorded certification (on ``paths`` if given, else the recorded inputs) and compare."""
    recorded = load_evidence(evidence_path)
    settings = recorded["settings"]
    if not paths and any(MASK_CHAR in str(name) for name in settings.get("inputs", [])):
        raise EvidenceError(
            f"{evidence_path}: the recorded input paths are masked (they look like personal data); "
            "give the CAPTURES again: certify --verify EVIDENCE CAPTURES…"
        )
    try:
        options = Options(
            as_of=date.fromisoformat(settings["as_of"]) if settings.get("as_of") else None,
            as_of_source="evidence",
            strict=bool(settings.get("strict", False)),
            pairs=bool(settings.get("pairs", False)),
            limits=Limits(max_message_bytes=int(settings["max_message_bytes"])),
            include=tuple(settings.get("include") or DEFAULT_INCLUDE),
        )
        again = run(
            list(paths) if paths else settings["inputs"],
            int(settings["version"]),
            requirements=Requirements.from_dict(settings.get("requirements", {})),
            options=options,
            schemas=settings.get("schemas"),
            subject=Subject.from_dict(settings.get("subject")),
            jobs=jobs,
            progress=progress,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise EvidenceError(f"{evidence_path}: evidence settings unusable: {exc!r}") from exc
    try:
        check = compare(recorded, again.evidence)
        check.subject = Subject.from_dict(recorded.get("subject"))
        return check, again
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a record of another shape than ours
        raise EvidenceError(f"{evidence_path}: evidence records unusable: {exc!r}") from exc
