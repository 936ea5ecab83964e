"""Certification: a verdict on a set of captures *and* on what they exercised.

A clean run over three requests proves little. A reviewer wants to know that the vendor's captures
cover both operations in both directions, every agency answering with data, at least one agency
answering with an error, and which rules and code-list values were actually put to the test. This
module turns a :class:`RunResult` (its findings and ``observed`` keys) into that coverage matrix
and a PASS/FAIL verdict that names every gap. It reads no input and no XML: only the result model,
the pack and the code-list files.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ssbtek_validator.packs.schema_packs import Pack, data_root
from ssbtek_validator.results.model import Finding, RunResult, Severity, Verdict
from ssbtek_validator.rules.base import concerns
from ssbtek_validator.rules.catalog import RuleDoc, owner, rule_table
from ssbtek_validator.rules.exchange import EXCHANGE_RULES

PASS = "PASS"
FAIL = "FAIL"
#: a rule's status where no input gave it anything to judge
NOT_EXERCISED = "not exercised"
DIRECTIONS = ("request", "answer", "fault")
#: certify's own finding: a message in another version than the one being certified
CERTIFY_VERSION = "SSBT-CERTIFY-VERSION"


@dataclass(frozen=True)
class Requirements:
    """What coverage a PASS needs. ``None`` means "everything the pack has"."""

    operations: tuple[str, ...] | None = None
    directions: tuple[str, ...] = ("request", "answer")
    agencies_with_data: tuple[str, ...] | None = None
    min_agencies_with_error: int = 1
    #: code lists every value of which (valid on the as-of date) must be seen; none by default
    code_lists: tuple[str, ...] = ()
    #: a conforming exchange (request paired with its answer) for every required operation: a request
    #: and an answer that conform each on their own may still disagree with each other
    exchanges: bool = True

    def resolved(self, pack: Pack) -> Requirements:
        return Requirements(
            operations=tuple(pack.operations) if self.operations is None else self.operations,
            directions=self.directions,
            agencies_with_data=tuple(pack.agencies) if self.agencies_with_data is None else self.agencies_with_data,
            min_agencies_with_error=self.min_agencies_with_error,
            code_lists=self.code_lists,
            exchanges=self.exchanges,
        )

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Requirements:
        def tup(value):
            return None if value is None else tuple(value)

        return cls(
            operations=tup(data.get("operations")),
            directions=tuple(data.get("directions", ("request", "answer"))),
            agencies_with_data=tup(data.get("agencies_with_data")),
            min_agencies_with_error=int(data.get("min_agencies_with_error", 1)),
            code_lists=tuple(data.get("code_lists", ())),
            # evidence recorded before pairs were required did not require them: repeat it as it was
            exchanges=bool(data.get("exchanges", False)),
        )


@dataclass(frozen=True)
class CodeListFile:
    name: str
    path: Path
    #: codes valid on the as-of date (rows without dates are always valid)
    codes: tuple[str, ...]


def code_list_files(as_of: date | None = None, root: Path | None = None) -> dict[str, CodeListFile]:
    """The code lists in ``codelists/*.csv`` (column ``code``; ``valid_from``/``valid_to`` if present).

    Read here only to know which values a list has, for coverage. Lines starting with ``#`` are
    comments (provenance); a CSV without a ``code`` column is not a code list and is skipped.
    """
    if root is None:  # the bundled lists: already loaded once per process by ssbtek_validator.packs.codelists
        from ssbtek_validator.packs.codelists import builtin_catalogue

        lists = {}
        for name, code_list in sorted(builtin_catalogue().lists.items()):
            codes = code_list.valid_codes(as_of) if as_of is not None else [row.code for row in code_list.codes]
            lists[name] = CodeListFile(name, data_root("codelists") / f"{name}.csv", tuple(dict.fromkeys(codes)))
        return lists
    folder = root
    lists: dict[str, CodeListFile] = {}
    for path in sorted(folder.glob("*.csv")):
        text = "".join(line for line in io.StringIO(path.read_text(encoding="utf-8")) if not line.startswith("#"))
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "code" not in [name.strip() for name in reader.fieldnames]:
            continue
        codes = []
        for row in reader:
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if not row.get("code"):
                continue
            if as_of is not None and not _valid_on(row, as_of):
                continue
            codes.append(row["code"])
        lists[path.stem] = CodeListFile(path.stem, path, tuple(dict.fromkeys(codes)))
    return lists


def _valid_on(row: dict[str, str], day: date) -> bool:
    try:
        start = date.fromisoformat(row["valid_from"]) if row.get("valid_from") else None
        end = date.fromisoformat(row["valid_to"]) if row.get("valid_to") else None
    except ValueError:
        return True
    return (start is None or start <= day) and (end is None or day <= end)


@dataclass
class RuleOutcome:
    id: str
    kind: str
    summary: str
    #: "pass" | "fail" | "not exercised"
    status: str
    messages: int = 0
    errors: int = 0
    warnings: int = 0


@dataclass
class Certification:
    version: int
    pack: dict[str, Any]
    requirements: Requirements
    as_of: str | None
    #: "operation/direction" -> {"messages": n, "conforming": n}; "operation/exchange" for paired ones
    operations: dict[str, dict[str, int]]
    #: agency -> counts of request:included, data, error, ping called/not-called/error
    agencies: dict[str, dict[str, int]]
    #: list -> {"known": [...], "seen": {code: n}, "unknown_seen": [...]}
    code_lists: dict[str, dict[str, Any]]
    rules: list[RuleOutcome]
    #: every other observation key (e.g. "lefi-online:6.0") -> messages that made it
    other: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: who and what was certified (product, product_version, vendor, environment; see certify/subject.py)
    subject: dict[str, str | None] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return FAIL if self.problems or self.gaps else PASS

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "version": self.version,
            "subject": dict(self.subject),
            "pack": self.pack,
            "as_of": self.as_of,
            "requirements": self.requirements.to_dict(),
            "problems": list(self.problems),
            "gaps": list(self.gaps),
            "coverage": {
                "operations": self.operations,
                "agencies": self.agencies,
                "code_lists": self.code_lists,
                "other": self.other,
            },
            "rules": {r.id: {k: v for k, v in asdict(r).items() if k != "id"} for r in self.rules},
        }


def mark_other_versions(result: RunResult, version: int) -> None:
    """A capture in another version than the one being certified is a certification error, shown everywhere."""
    for message in result.messages:
        detected = message.detection.version
        if detected is not None and detected != version:
            message.findings.append(
                Finding(
                    CERTIFY_VERSION,
                    Severity.ERROR,
                    f"This message is SSBTEK v{detected} ({message.detection.reason}); the certification is "
                    f"for v{version}, so it cannot count as evidence for it.",
                    file=message.file,
                )
            )


def certify(
    result: RunResult,
    pack: Pack,
    requirements: Requirements = Requirements(),
    as_of: date | None = None,
    code_lists: dict[str, CodeListFile] | None = None,
) -> Certification:
    required = requirements.resolved(pack)
    code_lists = code_list_files(as_of) if code_lists is None else code_lists
    certification = Certification(
        version=pack.version,
        pack={"id": pack.id, "status": pack.status, "origin": pack.origin},
        requirements=required,
        as_of=as_of.isoformat() if as_of else None,
        operations=_operations(result, pack),
        agencies=_agencies(result, pack),
        code_lists=_code_lists(result, code_lists, pack.version),
        rules=_rules(result, pack.version),
        other=_other(result, pack),
    )
    certification.problems = _problems(result)
    certification.gaps = _gaps(certification, required)
    return certification


def _operations(result: RunResult, pack: Pack) -> dict[str, dict[str, int]]:
    columns = (*DIRECTIONS, "exchange")
    matrix = {f"{op}/{d}": {"messages": 0, "conforming": 0} for op in pack.operations for d in columns}
    for message in result.messages:
        detection = message.detection
        if detection.version != pack.version or not (detection.operation and detection.direction):
            continue
        cell = matrix.setdefault(f"{detection.operation}/{detection.direction}", {"messages": 0, "conforming": 0})
        cell["messages"] += 1
        cell["conforming"] += message.verdict is Verdict.CONFORMS
    operation_of = {m.file: m.detection.operation for m in result.messages if m.detection.version == pack.version}
    for exchange in result.exchanges:
        if exchange.request is None or exchange.answer is None:
            continue  # a message left unpaired is a warning on it, not an exchange
        operation = operation_of.get(exchange.request)
        if operation:
            cell = matrix.setdefault(f"{operation}/exchange", {"messages": 0, "conforming": 0})
            cell["messages"] += 1
            cell["conforming"] += exchange.verdict is Verdict.CONFORMS
    return matrix


AGENCY_COLUMNS = (
    ("request", "included"),
    ("agency", "data"),
    ("agency", "error"),
    ("ping", "called"),
    ("ping", "not-called"),
    ("ping", "error"),
)


def _column(kind: str, state: str) -> str:
    return {"request": "requested", "agency": state, "ping": f"ping {state}"}[kind]


def _agencies(result: RunResult, pack: Pack) -> dict[str, dict[str, int]]:
    counts: Counter[str] = Counter()
    for message in result.messages:
        if message.detection.version == pack.version:
            counts.update(set(message.observed))
    return {
        agency: {_column(kind, state): counts[f"{kind}:{agency}:{state}"] for kind, state in AGENCY_COLUMNS}
        for agency in pack.agencies
    }


KNOWN_KINDS = ("agency:", "request:", "ping:", "code:")


def _other(result: RunResult, pack: Pack) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for message in result.messages:
        if message.detection.version == pack.version:
            counts.update(key for key in set(message.observed) if not key.startswith(KNOWN_KINDS))
    return dict(sorted(counts.items()))


def bound_lists(version: int) -> set[str]:
    """The code lists some binding uses in SSBTEK ``version``: the only ones a certification of it lists.

    A v10 certification listing a v9-only list as "0 / 28" reads as a gap the vendor cannot close."""
    from ssbtek_validator.packs.codelists import builtin_catalogue

    return {name for binding in builtin_catalogue().bindings if version in binding.versions for name in binding.lists}


def _code_lists(result: RunResult, files: dict[str, CodeListFile], version: int) -> dict[str, dict[str, Any]]:
    seen: dict[str, Counter[str]] = {}
    for message in result.messages:
        if message.detection.version != version:  # another version's message is an error, not coverage
            continue
        for key in message.observed:
            if key.startswith("code:"):
                _, name, code = key.split(":", 2)
                seen.setdefault(name, Counter())[code] += 1
    out: dict[str, dict[str, Any]] = {}
    for name in sorted((set(files) & bound_lists(version)) | set(seen)):
        known = list(files[name].codes) if name in files else None
        counted = seen.get(name, Counter())
        out[name] = {
            "known": known,
            "seen": dict(sorted(counted.items())),
            "unseen": [c for c in known if c not in counted] if known is not None else None,
        }
    return out


def concerns_version(doc: RuleDoc, version: int) -> bool:
    """Does the rule (or code-list binding) ``doc`` concern SSBTEK ``version``? Its versions data decides:
    a rule of v6–v8 is not "not exercised" in a v10 certification, it does not apply there."""
    if doc.origin == "code list":
        from ssbtek_validator.packs.codelists import builtin_catalogue

        binding = next((b for b in builtin_catalogue().bindings if b.id == doc.id), None)
        if binding is not None:
            return version in binding.versions
    try:
        return concerns(doc, version)
    except ValueError:  # a versions text that is not a range (e.g. "v9, v11"): list the rule rather than hide it
        return True


def _rules(result: RunResult, version: int) -> list[RuleOutcome]:
    docs = {rule_id: doc for rule_id, doc in rule_table().items() if concerns_version(doc, version)}
    ran: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    for item in [*result.messages, *result.exchanges]:
        ran.update(set(item.rules_run))
        for finding in item.findings:
            rule = owner(finding.rule)
            if finding.severity is Severity.ERROR:
                errors[rule] += 1
            elif finding.severity is Severity.WARNING:
                warnings[rule] += 1
    outcomes = []
    for doc in docs.values():
        # engine checks and certify's own run on every message; rules only where they apply; the
        # pairing checks (incomplete, unmatched, fault) on every exchange
        if doc.kind in ("engine", "certify"):
            exercised = len(result.messages)
        elif doc.kind == "exchange" and not _is_rule(doc.id):
            exercised = len(result.exchanges)
        else:
            exercised = ran[doc.id]
        if errors[doc.id]:
            status = "fail"
        elif exercised:
            status = "pass"
        else:
            status = NOT_EXERCISED
        outcomes.append(RuleOutcome(doc.id, doc.kind, doc.summary, status, exercised, errors[doc.id], warnings[doc.id]))
    return outcomes


def _is_rule(rule_id: str) -> bool:
    return any(rule.id == rule_id for rule in EXCHANGE_RULES)


def _problems(result: RunResult) -> list[str]:
    problems = []
    totals = result.totals()
    if not result.messages:
        problems.append("no messages were given")
    if totals["nonconformant"]:
        problems.append(f"{totals['nonconformant']} message(s) nonconformant ({totals['errors']} errors)")
    if totals["incomplete"]:
        problems.append(f"{totals['incomplete']} message(s) could not be fully checked (incomplete)")
    exchanges = result.exchange_totals()
    if exchanges["nonconformant"]:
        problems.append(f"{exchanges['nonconformant']} exchange(s) nonconformant ({exchanges['errors']} errors)")
    if exchanges["incomplete"]:
        problems.append(f"{exchanges['incomplete']} exchange(s) could not be judged (incomplete)")
    if result.run_findings and any(f.severity is Severity.ERROR for f in result.run_findings):
        problems.append("the run itself has errors")
    warnings = totals["warnings"] + exchanges["warnings"]
    if result.strict and warnings and result.verdict is not Verdict.CONFORMS:
        problems.append(f"{warnings} warning(s) with --strict")
    return problems


def _gaps(certification: Certification, required: Requirements) -> list[str]:
    gaps = []
    for operation in required.operations or ():
        for direction in required.directions:
            cell = certification.operations.get(f"{operation}/{direction}", {"conforming": 0})
            if not cell["conforming"]:
                gaps.append(f"no conforming {operation} {direction} message")
        if required.exchanges and not certification.operations.get(f"{operation}/exchange", {}).get("conforming"):
            gaps.append(
                f"no conforming {operation} exchange (a request and its answer paired by korrelationsid or "
                "file name, judged together)"
            )
    agencies = certification.agencies
    missing_data = [a for a in required.agencies_with_data or () if not agencies.get(a, {}).get("data")]
    if missing_data:
        gaps.append(f"no answer with data from {', '.join(missing_data)}")
    with_error = [a for a, counts in agencies.items() if counts["error"]]
    if len(with_error) < required.min_agencies_with_error:
        gaps.append(
            f"{len(with_error)} agenc{'y' if len(with_error) == 1 else 'ies'} answered with an error "
            f"({', '.join(with_error) or 'none'}); at least {required.min_agencies_with_error} required"
        )
    for name in required.code_lists:
        entry = certification.code_lists.get(name)
        if entry is None or entry["known"] is None:
            gaps.append(f"code list {name} is required but not known to this tool")
        elif entry["unseen"]:
            gaps.append(f"code list {name}: {len(entry['unseen'])} value(s) never seen: {', '.join(entry['unseen'])}")
    return gaps
