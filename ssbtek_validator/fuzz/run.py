"""``ssbtek-validate fuzz``: write generated documents, or feed them to a vendor's own command.

Generation runs the strategies' code from ``random.Random`` seeded per document
(``"<seed>:<index>"``), so the same seed gives the same files on any machine and any Hypothesis
version, at a few hundred documents per second. With ``--target`` each document goes to the
command's stdin. A valid document it rejects, or any document it crashes on (signal, timeout,
Python traceback), is a finding; the document is shrunk on its XML tree (whole elements removed
while it stays exactly as valid, or keeps its planted defect, and the command still fails the same
way) and saved with a replay file for ``fuzz --replay``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import click
from lxml import etree

from ssbtek_validator import __version__
from ssbtek_validator.packs.schema_packs import builtin_packs
from ssbtek_validator.reading.inputs import Source, read_json_file
from ssbtek_validator.reading.message import safe_parser
from ssbtek_validator.results.model import Severity
from ssbtek_validator.run.driver import Options, validate_sources


class FuzzExtraMissing(click.ClickException, ImportError):
    """Hypothesis or xmlschema is not installed (they come with the ``fuzz`` extra only).

    An ImportError for library callers, and for the ``fuzz`` command (which imports this module when
    it runs) a usage error click prints as one line with the install hint, exit 2, no traceback."""

    exit_code = 2


try:
    from ssbtek_validator.strategies import RandomChooser, draw_generated, targets
    from ssbtek_validator.strategies.documents import ROOT_ELEMENTS, Document
    from ssbtek_validator.strategies.mutations import KINDS, NoMutation, mutate
    from ssbtek_validator.strategies.pair_mutations import mutate_pair
except ImportError as _missing:
    if _missing.name not in {"hypothesis", "xmlschema"}:
        raise
    raise FuzzExtraMissing(
        f"fuzz needs {_missing.name}, which a plain install leaves out. Install the fuzz extra: "
        "pip install 'ssbtek-validator[fuzz]' (installed with pipx: pipx inject ssbtek-validator hypothesis xmlschema)"
    ) from None

MANIFEST = "manifest.json"
REPLAY = "replay.json"
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)?)(?::|$)")


@dataclass(frozen=True)
class Case:
    """One generated document and what the validator must say about it."""

    index: int
    seed: str
    document: Document
    #: rule ids the validator must report ([] for a valid document)
    expected: tuple[str, ...] = ()
    kind: str = "valid"
    description: str = ""
    #: with --pairs: the pair rule ids the exchange must draw (each document alone is valid)
    exchange_expected: tuple[str, ...] = ()
    paired: bool = False

    @property
    def valid(self) -> bool:
        return not self.expected

    @property
    def filename(self) -> str:
        d = self.document
        return f"{self.index:05d}-v{d.version}-{d.operation}-{d.direction}-{self.kind}.xml"


def cases(
    *,
    seed: int,
    count: int,
    version: int | list[int] | None = None,
    operation: str | None = None,
    direction: str | None = None,
    invalid: bool = False,
    pairs: bool = False,
) -> Iterator[Case]:
    if pairs:
        if direction is not None or operation not in (None, "hamtaBastjanstInformation"):
            raise ValueError("--pairs makes hamtaBastjanstInformation requests with their answers; drop --direction")
        choices = targets(version, "hamtaBastjanstInformation", "answer")
        for index in range(count):
            yield from make_pair(index, f"{seed}:{index}", choices, invalid)
        return
    choices = targets(version, operation, direction)
    for index in range(count):
        case_seed = f"{seed}:{index}"
        yield make_case(index, case_seed, choices, invalid)


def make_pair(index: int, case_seed: str, choices, invalid: bool) -> tuple[Case, Case]:
    """A request and its answer; with ``invalid`` they disagree in one way only the pair rules see."""
    chooser = RandomChooser(random.Random(case_seed))
    for _ in range(20):
        answer = draw_generated(chooser, choices)
        if not invalid:
            request_doc, answer_doc, rules, kind, text = answer.request.document(), answer.document(), (), "valid", ""
            break
        try:
            found = mutate_pair(chooser, answer)
        except NoMutation:
            continue
        request_doc, answer_doc = found.request, found.answer
        rules, kind, text = (found.rule,), found.kind, found.description
        break
    else:  # pragma: no cover - some pair defect fits nearly every exchange
        raise NoMutation("no pair defect could be planted")
    return tuple(
        Case(index, case_seed, doc, (), kind, text, exchange_expected=rules, paired=True)
        for doc in (request_doc, answer_doc)
    )


def make_case(index: int, case_seed: str, choices, invalid: bool) -> Case:
    rnd = random.Random(case_seed)
    chooser = RandomChooser(rnd)
    if not invalid:
        return Case(index, case_seed, draw_generated(chooser, choices).document())
    for _ in range(20):
        try:
            mutation = mutate(chooser, draw_generated(chooser, choices), KINDS)
        except NoMutation:  # pragma: no cover - every document admits some defect
            continue
        return Case(index, case_seed, mutation.document, (mutation.rule,), mutation.kind, mutation.description)
    raise NoMutation("no defect could be planted")  # pragma: no cover


def check_command(case: Case) -> str:
    """The command that checks this document as the generator judged it (as of its date), run in the output folder."""
    return f"ssbtek-validate check --as-of {case.document.as_of.isoformat()} {shlex.quote(case.filename)}"


def write_corpus(out: Path, generated: list[Case], settings: dict) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for case in generated:
        (out / case.filename).write_bytes(case.document.xml)
        entries.append(
            {
                "file": case.filename,
                "seed": case.seed,
                "version": case.document.version,
                "operation": case.document.operation,
                "direction": case.document.direction,
                "as_of": case.document.as_of.isoformat(),
                # an answer or fault carries no date of its own: checked "today" a v6 answer is one to a
                # closed version; the date it was generated for is what makes it valid, so say how to check it
                "check": check_command(case),
                "valid": case.valid,
                "expected": list(case.expected),
                "kind": case.kind,
                "description": case.description,
                **({"pair": case.index, "exchange_expected": list(case.exchange_expected)} if case.paired else {}),
                "sha256": hashlib.sha256(case.document.xml).hexdigest(),
            }
        )
    manifest = {
        "tool": {"name": "ssbtek-validator", "version": __version__},
        "settings": settings,
        "documents": entries,
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- judging documents


def judge(xml: bytes, as_of: date) -> list[str]:
    """Rule ids of the error findings the validator reports for one document."""
    result = validate_sources([Source("<fuzz>", xml)], Options(as_of=as_of))
    return [f.rule for m in result.messages for f in m.findings if f.severity is Severity.ERROR]


def keeps_verdict(case: Case) -> Callable[[bytes], bool]:
    """The property a shrunk document must keep: still valid, or still reported under its rule."""
    if case.valid:
        return lambda xml: not judge(xml, case.document.as_of)
    rule = case.expected[0]
    return lambda xml: rule in judge(xml, case.document.as_of)


# ---------------------------------------------------------------- running the target


@dataclass(frozen=True)
class Outcome:
    #: accepted (exit 0) | rejected (other exit) | crashed (signal, Python traceback) | timeout
    status: str
    exit_code: int | None
    #: what makes two failures the same failure (status and, for a crash, the exception or signal)
    signature: str
    stderr_tail: str = ""


def run_target(command: list[str], xml: bytes, timeout: float) -> Outcome:
    try:
        done = subprocess.run(command, input=xml, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Outcome("timeout", None, "timeout")
    stderr = done.stderr.decode("utf-8", errors="replace")
    tail = "\n".join(stderr.strip().splitlines()[-5:])
    if done.returncode < 0:
        return Outcome("crashed", done.returncode, f"signal {-done.returncode}", tail)
    if _TRACEBACK in stderr:
        return Outcome("crashed", done.returncode, f"exception {_exception(stderr)}", tail)
    if done.returncode == 0:
        return Outcome("accepted", 0, "accepted", tail)
    return Outcome("rejected", done.returncode, f"exit {done.returncode}", tail)


def _exception(stderr: str) -> str:
    for line in reversed(stderr.strip().splitlines()):
        found = _EXCEPTION_LINE.match(line.strip())
        if found and not line.startswith(" "):
            return found.group(1)
    return "unknown"


def is_finding(case: Case, outcome: Outcome) -> bool:
    """A valid document must be accepted; no document may crash the target or hang it."""
    if outcome.status in ("crashed", "timeout"):
        return True
    return case.valid and outcome.status != "accepted"


# ---------------------------------------------------------------- shrinking


@dataclass
class ShrinkStats:
    target_calls: int = 0
    candidates: int = 0


#: finds the elements carrying nested documents in a parsed message: (element, encoding, format)
Carriers = Callable[[etree._Element], list[tuple[etree._Element, str, str]]]


def shrink(
    xml: bytes, interesting: Callable[[bytes], bool], *, max_calls: int = 400, carriers: Carriers | None = None
) -> tuple[bytes, ShrinkStats]:
    """Delta reduction on the XML tree: drop whole elements, then shorten texts and drop attributes,
    then do the same inside nested documents (``carriers``), while ``interesting`` holds.

    Top-down, so one success removes a whole subtree; repeated until nothing more goes. The caller's
    predicate checks the cheap condition (the validator's verdict) before the costly one (the target).
    """
    stats = ShrinkStats()
    root = etree.fromstring(xml, safe_parser())

    def serialize() -> bytes:
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)

    def attempt() -> bool:
        stats.candidates += 1
        return interesting(serialize())

    if not interesting(serialize()):  # the serialisation itself must keep the failure
        return xml, stats
    changed = True
    while changed and stats.candidates < max_calls:
        changed = False
        for element in list(root.iter()):
            if stats.candidates >= max_calls:
                break
            if element is root or not isinstance(element.tag, str) or root not in element.iterancestors():
                continue
            parent = element.getparent()
            position = parent.index(element)
            tail = element.tail
            parent.remove(element)
            if attempt():
                changed = True
                continue
            element.tail = tail
            parent.insert(position, element)
        for element in list(root.iter()):
            if not isinstance(element.tag, str):
                continue
            text = element.text
            if len(element) == 0 and text and len(text) > 1 and stats.candidates < max_calls:
                for simpler in ("", "x", "0", text[0]):
                    element.text = simpler
                    if attempt():
                        changed = True
                        break
                else:
                    element.text = text
            for name, value in list(element.attrib.items()):
                del element.attrib[name]
                if attempt():
                    changed = True
                else:
                    element.set(name, value)
        for carrier, encoding, fmt in carriers(root) if carriers is not None else ():
            if stats.candidates < max_calls:
                changed |= _shrink_nested(carrier, encoding, fmt, attempt, stats, max_calls)
    return serialize(), stats


def _shrink_nested(
    carrier, encoding: str, fmt: str, attempt: Callable[[], bool], stats: ShrinkStats, limit: int
) -> bool:
    """The same reduction inside one nested document, re-encoded into its carrier after every step."""
    before = carrier.text or ""
    try:
        raw = base64.b64decode("".join(before.split()), validate=True) if encoding == "base64" else before.encode()
        document = json.loads(raw) if fmt == "json" else etree.fromstring(raw, safe_parser())
    except (ValueError, etree.XMLSyntaxError):
        return False
    if document is None:
        return False

    def put() -> None:
        if fmt == "json":
            data = json.dumps(document, ensure_ascii=False).encode("utf-8")
        else:
            data = etree.tostring(document, encoding="UTF-8", xml_declaration=True)
        carrier.text = base64.b64encode(data).decode("ascii") if encoding == "base64" else data.decode("utf-8")

    def step() -> bool:
        put()
        return attempt()

    if not step():  # our re-encoding must keep the failure, or we leave the document as it was
        carrier.text = before
        return False
    changed = False
    if fmt == "json":
        changed = _shrink_json(document, step, stats, limit)
    else:
        for element in list(document.iter()):
            if stats.candidates >= limit:
                break
            if element is document or not isinstance(element.tag, str) or document not in element.iterancestors():
                continue
            parent, position, tail = element.getparent(), element.getparent().index(element), element.tail
            parent.remove(element)
            if step():
                changed = True
                continue
            element.tail = tail
            parent.insert(position, element)
    put()
    return changed


def _shrink_json(node, step: Callable[[], bool], stats: ShrinkStats, limit: int) -> bool:
    changed = False
    if isinstance(node, dict):
        for key in list(node):
            if stats.candidates >= limit:
                return changed
            items = list(node.items())
            node.pop(key)
            if step():
                changed = True
            else:
                node.clear()
                node.update(items)
        children = list(node.values())
    elif isinstance(node, list):
        for index in reversed(range(len(node))):
            if stats.candidates >= limit:
                return changed
            item = node.pop(index)
            if step():
                changed = True
            else:
                node.insert(index, item)
        children = list(node)
    else:
        return False
    for child in children:
        changed |= _shrink_json(child, step, stats, limit)
    return changed


# ---------------------------------------------------------------- fuzzing a target


@dataclass
class Finding:
    case: Case
    outcome: Outcome
    minimal: bytes
    folder: Path | None = None
    shrink: ShrinkStats = field(default_factory=ShrinkStats)


@dataclass
class TargetReport:
    ran: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def fuzz_target(
    command: str,
    generated: list[Case],
    out: Path,
    *,
    timeout: float = 10.0,
    max_shrink_calls: int = 400,
    log: Callable[[str], None] = lambda _: None,
) -> TargetReport:
    """Feed every document to ``command``; shrink and save one example per distinct failure."""
    argv = shlex.split(command)
    report = TargetReport()
    seen: set[tuple[bool, str]] = set()
    for case in generated:
        outcome = run_target(argv, case.document.xml, timeout)
        report.ran += 1
        report.statuses[outcome.status] = report.statuses.get(outcome.status, 0) + 1
        if not is_finding(case, outcome):
            continue
        key = (case.valid, outcome.signature)
        if key in seen:
            continue
        seen.add(key)
        log(f"{case.filename}: {outcome.status} ({outcome.signature}); shrinking")
        verdict = keeps_verdict(case)
        stats = ShrinkStats()

        def interesting(xml: bytes, case=case, outcome=outcome, verdict=verdict, stats=stats) -> bool:
            if not verdict(xml):
                return False
            stats.target_calls += 1
            again = run_target(argv, xml, timeout)
            return again.signature == outcome.signature

        minimal, shrink_stats = shrink(
            case.document.xml, interesting, max_calls=max_shrink_calls, carriers=_carriers_of(case)
        )
        shrink_stats.target_calls = stats.target_calls
        finding = Finding(case, outcome, minimal, shrink=shrink_stats)
        finding.folder = save_finding(out, len(report.findings) + 1, finding, command, timeout)
        report.findings.append(finding)
    return report


def _carriers_of(case: Case) -> Carriers:
    """Where the case's pack carries nested documents (pack.toml [[payload]]), for the shrinker."""
    pack = builtin_packs()[case.document.version]
    operation_element = f"{{{pack.namespace}}}{ROOT_ELEMENTS[(case.document.operation, case.document.direction)]}"

    def find(root: etree._Element) -> list[tuple[etree._Element, str, str]]:
        payload = next(root.iter(operation_element), None)
        if payload is None:
            return []
        return [
            (element, binding.encoding, binding.format)
            for binding in pack.payloads
            if binding.direction == case.document.direction
            for element in binding.finder(pack.namespace)(payload)
        ]

    return find


def save_finding(out: Path, number: int, finding: Finding, command: str, timeout: float) -> Path:
    folder = out / "findings" / f"{number:03d}-{finding.outcome.signature.replace(' ', '-')}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "original.xml").write_bytes(finding.case.document.xml)
    (folder / "minimal.xml").write_bytes(finding.minimal)
    case = finding.case
    replay = {
        "tool": {"name": "ssbtek-validator", "version": __version__},
        "target": command,
        "timeout": timeout,
        "document": "minimal.xml",
        "original": "original.xml",
        "seed": case.seed,
        "version": case.document.version,
        "operation": case.document.operation,
        "direction": case.document.direction,
        "as_of": case.document.as_of.isoformat(),
        "document_is_valid": case.valid,
        "expected": list(case.expected),
        "kind": case.kind,
        "description": case.description,
        "outcome": asdict(finding.outcome),
        "shrink": asdict(finding.shrink),
    }
    (folder / REPLAY).write_text(json.dumps(replay, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class ReplayResult:
    reproduced: bool
    expected: str
    outcome: Outcome


class ReplayError(ValueError):
    """A replay file that cannot be used, or a stored command not confirmed: a usage error (exit 2)."""


def replay(
    path: Path, command: str | None = None, timeout: float | None = None, *, trust_stored: bool = False
) -> ReplayResult:
    """Run a saved finding again: does the target still fail the same way on the minimal document?

    The command stored in the replay file is run only when ``trust_stored`` says so: a replay file is
    shared in tickets and chats, and running whatever command it names would make it code. Given
    ``command`` (``--target``), the stored one is not used at all."""
    file = path / REPLAY if path.is_dir() else path
    try:
        meta = read_json_file(file)
    except ValueError as exc:
        raise ReplayError(f"{file}: not a replay file: {exc}") from exc
    if not _is_replay(meta):
        raise ReplayError(f"{file}: not a replay file written by ssbtek-validate fuzz (target, document, outcome)")
    if command is None and not trust_stored:
        raise ReplayError(
            f"{file}: the replay file names the command {meta['target']!r}; a replay file is not trusted to "
            "choose what runs: give the command with --target, or run the stored one with --trust-replay-target"
        )
    try:
        xml = (file.parent / meta["document"]).read_bytes()
        argv = shlex.split(command or meta["target"])
    except OSError as exc:
        raise ReplayError(f"{file}: cannot read its document {meta['document']!r}: {exc.strerror or exc}") from exc
    except ValueError as exc:  # unbalanced quotes
        raise ReplayError(f"cannot split the command into words: {exc}") from exc
    if not argv:
        raise ReplayError("the command to replay against is empty")
    outcome = run_target(argv, xml, timeout or float(meta["timeout"]))
    expected = meta["outcome"]["signature"]
    return ReplayResult(outcome.signature == expected, expected, outcome)


def _is_replay(meta: object) -> bool:
    """The shape ``save_finding`` writes; the document is a file beside the replay file, never a path."""
    if not isinstance(meta, dict):
        return False
    document, outcome, timeout = meta.get("document"), meta.get("outcome"), meta.get("timeout")
    return (
        isinstance(meta.get("target"), str)
        and isinstance(document, str)
        and document not in ("", ".", "..")
        and "/" not in document
        and "\\" not in document
        and isinstance(outcome, dict)
        and isinstance(outcome.get("signature"), str)
        and isinstance(timeout, int | float)
        and not isinstance(timeout, bool)
        and 0 < timeout < 1e6
    )
