"""A team's tuning of the rules: disable, re-grade, and a suppression baseline with expiry dates.

Read from ``[tool.ssbtek-validator]`` in the current directory's ``pyproject.toml`` or from a file
given with ``--config`` (found by run/config_file.py). Applied in one place — to every message's findings as
the engine produces them (:meth:`RuleConfig.apply`) — so every reporter and the exit code see the same configured
findings. Findings that mean "not checked" (SSBT-READ, SSBT-LIMIT, SSBT-RULE-FAILED) can be neither
disabled, re-graded nor suppressed: a rule that could not run is never a pass. Nor can the reader's
(SSBT-EMPTY, SSBT-ENCODING, SSBT-WELLFORMED, SSBT-DTD): input that is not a readable, well-formed,
DTD-free message never conforms. Naming one of those explicitly is a configuration error (exit 2); a
wildcard such as ``"*"`` skips them, and the run's SSBT-CONFIG note says so. That note is in every
report whenever a configuration disables or re-grades anything: which rules, and the file it came from.

    [tool.ssbtek-validator]
    disable = ["SSBT-CODE-MIV-BESLUTSKOD"]          # ids or patterns (* and ?)
    severity = { "SSBT-CODE-LEFI-*" = "warning" }  # error | warning | info

    [[tool.ssbtek-validator.suppress]]
    rule = "SSBT-XSD"
    file = "captures/legacy/*.xml"                  # and/or path = "*/ssbt:personidentitet"
    reason = "VEND-123: fixed in release 4.2"
    expires = 2026-12-31

    test-persons = ["999999999999", "199001011234"]  # a vendor's test identities: SSBT-PERSONID accepts them
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from ssbtek_validator.results.model import Finding, MessageResult, Severity, flagged, incomplete_rules, reader_rules
from ssbtek_validator.run.config_file import TABLE, config_table
from ssbtek_validator.run.config_file import ConfigError as ConfigError  # named here too, where it always was
from ssbtek_validator.run.swedish_time import today_in_sweden

#: "certify" holds the certified product's defaults (read by certify, see certify/subject.py), not rule settings
KEYS = {"certify", "disable", "severity", "suppress", "test-persons"}
SUPPRESS_KEYS = {"rule", "file", "path", "reason", "expires"}


def notes() -> frozenset[str]:
    """The run-level notes that make a configuration visible: silencing them would hide what it did."""
    return flagged("config_note")


@cache
def protected_rules() -> frozenset[str]:
    """What no configuration changes. A function, not a constant computed at import: it reads
    engine_findings.toml, which a one-message run without a configuration never needs."""
    return incomplete_rules() | reader_rules() | notes()


def __getattr__(name: str) -> Any:
    """``PROTECTED`` and ``NOTES`` for importers that name them, computed on first access."""
    if name == "PROTECTED":
        return protected_rules()
    if name == "NOTES":
        return notes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def matches(glob: str, text: str) -> bool:
    """``*`` any run of characters (``/`` included), ``?`` one; nothing else is special, so XPaths with
    ``[1]`` and rule ids match literally.

    Linear in the text for a given pattern, whatever the pattern: a translation to a regular expression
    backtracks (``*a*a*a*a*a*a*a*b`` against a long path took minutes). Between two ``*`` each piece is
    found at its leftmost place after the previous one; taking the leftmost never loses a match, since
    the ``*`` after it can take up whatever a later place would have left."""
    pieces = glob.split("*")
    if len(pieces) == 1:
        return len(text) == len(glob) and _fits(glob, text, 0)
    head, *middle, tail = pieces
    end = len(text) - len(tail)
    if end < len(head) or not _fits(head, text, 0) or not _fits(tail, text, end):
        return False
    start = len(head)
    for piece in middle:
        found = _find(piece, text, start, end)
        if found < 0:
            return False
        start = found + len(piece)
    return True


def _fits(piece: str, text: str, at: int) -> bool:
    """``piece`` (``?`` for any one character) is at ``text[at:]``."""
    if "?" not in piece:
        return text.startswith(piece, at)
    window = text[at : at + len(piece)]
    return len(window) == len(piece) and all(p in ("?", t) for p, t in zip(piece, window, strict=True))


def _find(piece: str, text: str, start: int, end: int) -> int:
    """The leftmost place of ``piece`` in ``text[start:end]``, -1 if none."""
    if "?" not in piece:
        return text.find(piece, start, end)
    # anchor on the piece's longest run without '?', found by str.find: O(len(text) × len(piece)) at worst
    anchor = max(piece.split("?"), key=len)
    offset = piece.index(anchor) if anchor else 0
    at = start
    while at + len(piece) <= end:
        if anchor:
            hit = text.find(anchor, at + offset, end)
            if hit < 0:
                return -1
            at = hit - offset
        if at + len(piece) <= end and _fits(piece, text, at):
            return at
        at += 1
    return -1


class Suppression(NamedTuple):
    rule: str
    reason: str
    expires: date
    file: str | None = None
    path: str | None = None
    #: folder of the configuration file: file patterns also match paths relative to it
    base: str = ""

    def describe(self) -> str:
        where = ", ".join(f"{key} {value}" for key, value in (("file", self.file), ("path", self.path)) if value)
        return f"{self.rule} ({where})"

    def covers(self, finding: Finding) -> bool:
        if not matches(self.rule, finding.rule):
            return False
        if self.path is not None and not matches(self.path, finding.path or ""):
            return False
        if self.file is not None:
            return any(matches(self.file, name) for name in _file_names(finding.file, self.base))
        return True


def _file_names(name: str, base: str) -> list[str]:
    """The file as reported, and relative to the configuration's folder when it lies below it."""
    names = [name.replace(os.sep, "/")]
    if base and name and not name.startswith("<"):
        with contextlib.suppress(ValueError, OSError):  # not below the configuration's folder
            names.append(Path(name).resolve().relative_to(base).as_posix())
    return names


@dataclass(frozen=True)
class RuleConfig:
    disabled: tuple[str, ...] = ()
    severities: tuple[tuple[str, Severity], ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    #: where it was read from, for messages
    source: str = ""
    #: the day suppressions are judged against: the run's real date, not a message's date
    today: date = field(default_factory=date.today)
    #: every rule id there is, to name what the patterns switched off
    known: frozenset[str] = frozenset()
    #: personidentitet values a team's test traffic uses (placeholders such as 999999999999): real agencies
    #: reject them (CSN: ResultatKod -1004), so SSBT-PERSONID stays an error for every other number
    test_persons: frozenset[str] = frozenset()

    def active(self) -> list[Suppression]:
        return [s for s in self.suppressions if s.expires >= self.today]

    def expired(self) -> list[Suppression]:
        return [s for s in self.suppressions if s.expires < self.today]

    def is_disabled(self, rule_id: str) -> bool:
        return rule_id not in protected_rules() and any(matches(pattern, rule_id) for pattern in self.disabled)

    def enabled_rules(self, rules: Iterable[Any]) -> tuple[Any, ...]:
        """Rules a disabled id switches off are not run at all (cheaper than dropping their findings)."""
        return tuple(rule for rule in rules if not self.is_disabled(rule.id))

    def severity_of(self, rule_id: str) -> Severity | None:
        if rule_id in protected_rules():
            return None
        for pattern, severity in reversed(self.severities):  # the most specific entry should come last
            if matches(pattern, rule_id):
                return severity
        return None

    def apply(self, result: MessageResult) -> None:
        """The one place configuration changes a message's findings: disable, re-grade, suppress (in that order)."""
        result.findings, suppressed = self.filter(result.findings)
        result.suppressed += suppressed

    def filter(self, findings: list[Finding]) -> tuple[list[Finding], int]:
        """The findings as configured, and how many a suppression hid."""
        active = self.active()
        kept: list[Finding] = []
        suppressed = 0
        for finding in findings:
            if finding.rule in protected_rules():
                kept.append(finding)
                continue
            if self.is_disabled(finding.rule):
                continue
            severity = self.severity_of(finding.rule)
            if severity is not None and severity is not finding.severity:
                finding = replace(finding, severity=severity)
            if any(s.covers(finding) for s in active):
                suppressed += 1
                continue
            kept.append(finding)
        return kept, suppressed

    def note(self) -> Finding | None:
        """What this configuration changed, and where it came from, for every report (None if nothing).

        A run that conforms because rules were switched off must say so: the ids are named in full,
        with the pattern that matched them, and the protected ids a wildcard left alone.
        """
        parts = []
        for pattern in self.disabled:
            hits = sorted(rule for rule in self.known if matches(pattern, rule) and rule not in protected_rules())
            named = f"{pattern!r} ({len(hits)} rules: {', '.join(hits)})" if hits != [pattern] else pattern
            parts.append(f"disabled {named}")
        for pattern, severity in self.severities:
            hits = sorted(rule for rule in self.known if matches(pattern, rule) and rule not in protected_rules())
            parts.append(f"{', '.join(hits) if hits != [pattern] else pattern} as {severity}")
        if not parts:
            return None
        patterns = [*self.disabled, *(pattern for pattern, _ in self.severities)]
        fixed = (incomplete_rules() | reader_rules()) & self.known
        kept = sorted(rule for rule in fixed if any(matches(p, rule) for p in patterns))
        tail = f" Kept as documented (no configuration changes them): {', '.join(kept)}." if kept else ""
        return Finding(
            "SSBT-CONFIG",
            Severity.INFO,
            f"Configuration from {Path(self.source).resolve()} changed the rules: {'; '.join(parts)}.{tail}",
            file=self.source,
        )

    def run_findings(self, suppressed: int) -> list[Finding]:
        """What the configuration changed (one note); expired suppressions are warnings; what the baseline
        hid is one information line."""
        note = self.note()
        findings = [note] if note else []
        findings += [
            Finding(
                "SSBT-CONFIG-EXPIRED",
                Severity.WARNING,
                f"Suppression of {s.describe()} expired on {s.expires.isoformat()} (reason: {s.reason}); it no "
                "longer suppresses anything: fix the findings it hid, or renew it with a reason.",
                file=self.source,
            )
            for s in self.expired()
        ]
        if suppressed:
            entries = "; ".join(f"{s.describe()} until {s.expires.isoformat()}" for s in self.active())
            findings.append(
                Finding(
                    "SSBT-CONFIG-SUPPRESSED",
                    Severity.INFO,
                    f"{suppressed} findings suppressed by the baseline in {self.source} ({entries}).",
                    file=self.source,
                )
            )
        return [f for f in findings if not self.is_disabled(f.rule)]  # an expired warning may be disabled


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{where}: expected a list of rule ids")
    return tuple(value)


def _check_rule_pattern(pattern: str, where: str, known: frozenset[str], *, protect: bool = True) -> None:
    hits = {rule for rule in known if matches(pattern, rule)}
    if not hits:
        close = sorted(rule for rule in known if rule.startswith(pattern.split("*")[0][:8]))[:5]
        hint = f" (did you mean {', '.join(close)}?)" if close else " (`ssbtek-validate rules` lists them)"
        raise ConfigError(f"{where}: {pattern!r} matches no rule{hint}")
    protected = sorted(hits & protected_rules())
    wildcard = "*" in pattern or "?" in pattern
    if protect and protected and not (wildcard and hits - protected_rules()):  # a pattern simply skips them
        raise ConfigError(
            f"{where}: {pattern!r} would change {', '.join(protected)}, which mean a message was not checked, "
            "is not a readable, well-formed, DTD-free message, or report the configuration itself; those "
            "cannot be disabled, re-graded or suppressed"
        )


def _test_persons(value: Any, where: str) -> frozenset[str]:
    """Twelve digits each, as personidentitet is written: anything else could never match and is a typo."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f'{where}: expected a list of strings, e.g. ["999999999999"]')
    wrong = [item for item in value if len(item) != 12 or not item.isascii() or not item.isdigit()]
    if wrong:
        raise ConfigError(f"{where}: {len(wrong)} entries are not 12 digits (personidentitet is written YYYYMMDDNNNC)")
    return frozenset(value)


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{where}: expires must be a date (YYYY-MM-DD), found {value!r}")


def parse_config(
    table: dict[str, Any], source: str, known: frozenset[str], base: Path | None = None, today: date | None = None
) -> RuleConfig:
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{source}: unknown keys {', '.join(sorted(unknown))}; expected {', '.join(sorted(KEYS))}")
    disabled = _strings(table.get("disable", []), f"{source}: disable")
    for pattern in disabled:
        _check_rule_pattern(pattern, f"{source}: disable", known)
    severity_table = table.get("severity", {})
    if not isinstance(severity_table, dict):
        raise ConfigError(f'{source}: severity must be a table of rule id = "error" | "warning" | "info"')
    severities = []
    for pattern, value in severity_table.items():
        _check_rule_pattern(pattern, f"{source}: severity", known)
        try:
            severities.append((pattern, Severity(value)))
        except ValueError:
            raise ConfigError(f"{source}: severity of {pattern}: {value!r} is not error, warning or info") from None
    entries = table.get("suppress", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: suppress must be an array of tables ([[tool.{TABLE}.suppress]])")
    suppressions = []
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: suppress #{number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a table")
        extra = set(entry) - SUPPRESS_KEYS
        if extra:
            raise ConfigError(f"{where}: unknown keys {', '.join(sorted(extra))}")
        missing = [key for key in ("rule", "reason", "expires") if not entry.get(key)]
        if missing:
            raise ConfigError(f"{where}: needs {', '.join(missing)} (a suppression says why and until when)")
        if not entry.get("file") and not entry.get("path"):
            raise ConfigError(f"{where}: needs a file or path pattern (to switch a rule off everywhere, use disable)")
        for key in ("rule", "reason", "file", "path"):
            if key in entry and not isinstance(entry[key], str):
                raise ConfigError(f"{where}: {key} must be a string")
        _check_rule_pattern(entry["rule"], where, known)
        suppressions.append(
            Suppression(
                rule=entry["rule"],
                reason=entry["reason"],
                expires=_date(entry["expires"], where),
                file=entry.get("file"),
                path=entry.get("path"),
                base=str(base.resolve()) if base else "",
            )
        )
    return RuleConfig(
        test_persons=_test_persons(table.get("test-persons", []), f"{source}: test-persons"),
        disabled=disabled,
        severities=tuple(severities),
        suppressions=tuple(suppressions),
        source=source,
        today=today or today_in_sweden(),
        known=known,
    )


def load_config(path: str | Path | None = None, cwd: str | Path | None = None, today: date | None = None):
    """``--config FILE`` if given (its ``[tool.ssbtek-validator]`` table, or the whole file), else the
    current directory's pyproject.toml when it has that table, else None (no configuration)."""
    found = config_table(path, cwd)
    return None if found is None else from_table(*found, today=today)


def from_table(table: dict, file: Path, today: date | None = None) -> RuleConfig:
    """The configuration a table found by config_table says."""
    # the registry (every rule's documentation, the exchange rules with it) only when there is a
    # configuration to check against it: most runs have none (tests/run/test_cold_start.py)
    from ssbtek_validator.rules.catalog import known_ids

    return parse_config(table, str(file), known_ids(), base=file.parent, today=today)
