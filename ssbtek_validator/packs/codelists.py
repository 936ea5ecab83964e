"""Effective-dated code lists and where messages use them: the data layer, without any XML.

A code valid today may not have been valid on the day a message was sent (P37/P38 arrived in
September 2021 without a new schema version; Migrationsverket added PUS on 2020-12-16). So every
code has ``valid_from``/``valid_to`` and is judged at the message's date. The lists are data
(``codelists/*.csv``, one per list) and so is where they are used (``codelists/bindings.toml``);
both are read once per process.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from ssbtek_validator.packs.schema_packs import OnDemand, PackError, data_root, read_toml

CSV_COLUMNS = ("code", "description", "valid_from", "valid_to", "source")
#: an optional sixth column: where a code may appear (values of its binding's ``context``, space-separated;
#: empty = anywhere). P37/P38 are beloppstyper of ålderspension only, not of every förmån's payments.
CONTEXT_COLUMN = "context"


class CodeListError(PackError):
    """A code list or binding that cannot be loaded: a configuration error (exit 2)."""


class Code(NamedTuple):
    code: str
    description: str
    valid_from: date | None
    valid_to: date | None
    source: str
    #: the context values (e.g. formanstyp AP) under which the code may appear; empty = anywhere
    context: tuple[str, ...] = ()

    def valid_on(self, when: date) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when <= self.valid_to)

    def period(self) -> str:
        """``from 2020-12-16``, ``2019-01-01 – 2022-12-31``, ``always`` — as a finding or listing says it."""
        start = self.valid_from.isoformat() if self.valid_from else None
        end = self.valid_to.isoformat() if self.valid_to else None
        if start and end:
            return f"valid from {start} to {end}"
        if start:
            return f"valid from {start} (no end date)"
        if end:
            return f"valid until {end} (no start date known)"
        return "no known start or end date"

    def place(self) -> str:
        """``; only under AP`` for a code bound to a place (``codes`` listings), else nothing."""
        return f"; only under {' '.join(self.context)}" if self.context else ""


class Status(StrEnum):
    """What a list says about a code on a date."""

    VALID = "valid"
    NOT_YET = "not yet valid"
    WITHDRAWN = "no longer valid"
    UNKNOWN = "unknown"


class Lookup(NamedTuple):
    status: Status
    #: the row that decided it (for NOT_YET the next row to start, for WITHDRAWN the last to end)
    code: Code | None = None
    list_name: str = ""


@dataclass(frozen=True)
class CodeList:
    name: str
    title: str
    status: str
    source: str
    note: str
    codes: tuple[Code, ...]
    _by_code: dict[str, tuple[Code, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[Code]] = {}
        for row in self.codes:
            grouped.setdefault(row.code, []).append(row)
        self._by_code.update({key: tuple(rows) for key, rows in grouped.items()})

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def lookup(self, code: str, when: date) -> Lookup:
        """Is ``code`` valid on ``when``? A code may have several rows (periods); any that covers the date counts."""
        rows = self._by_code.get(code)
        if not rows:
            return Lookup(Status.UNKNOWN, None, self.name)
        for row in rows:
            if row.valid_on(when):
                return Lookup(Status.VALID, row, self.name)
        later = [r for r in rows if r.valid_from is not None and r.valid_from > when]
        if later:
            return Lookup(Status.NOT_YET, min(later, key=lambda r: r.valid_from), self.name)
        return Lookup(Status.WITHDRAWN, max(rows, key=lambda r: r.valid_to or date.max), self.name)

    def as_of(self, when: date) -> list[Code]:
        """The list as it stood on a date (``ssbtek-validate codes LIST --as-of DATE``)."""
        return [row for row in self.codes if row.valid_on(when)]

    def valid_codes(self, when: date) -> list[str]:
        return list(dict.fromkeys(row.code for row in self.as_of(when)))


class Binding(NamedTuple):
    """One place where messages use code lists; one rule id (``SSBT-CODE-…``)."""

    id: str
    lists: tuple[str, ...]
    versions: tuple[int, ...]
    #: request and/or answer
    directions: tuple[str, ...]
    closed: bool
    summary: str
    #: XPath (relative to the SSBTEK payload element, or to a nested XML document when ``payload`` is set)
    xpath: str = ""
    #: JSON property path patterns inside a nested JSON document
    json: tuple[str, ...] = ()
    #: the nested document's model (pack.toml [[payload]] model); empty = the SSBTEK payload itself
    payload: str = ""
    #: the pack's XSD already enumerates the values: an unknown code is SSBT-XSD's finding, not ours
    schema_enforced: bool = False
    #: XPath from a code's element to the element naming where it sits (e.g. its förmån's formanstyp); codes
    #: whose row has a ``context`` are valid only where this element's text is one of its values
    context_xpath: str = ""
    #: what that element is called in messages (``formanstyp``)
    context_field: str = ""
    #: the code list describing the context values (``lefi-formaner``), for readable messages
    context_list: str = ""

    def applies_to(self, version: int, direction: str | None) -> bool:
        return version in self.versions and direction in self.directions

    def versions_text(self) -> str:
        versions = sorted(self.versions)
        if versions == list(range(versions[0], versions[-1] + 1)) and len(versions) > 1:
            return f"v{versions[0]}–v{versions[-1]}"
        return ", ".join(f"v{v}" for v in versions)


class Catalogue(NamedTuple):
    lists: Mapping[str, CodeList]
    bindings: tuple[Binding, ...]
    namespaces: dict[str, str]

    def lookup(self, binding: Binding, code: str, when: date) -> Lookup:
        """Look a code up in every list of a binding: valid in any wins; otherwise the most telling answer."""
        found: list[Lookup] = []
        for name in binding.lists:
            result = self.lists[name].lookup(code, when)
            if result.status is Status.VALID:
                return result
            found.append(result)
        known = [r for r in found if r.status is not Status.UNKNOWN]
        return known[0] if known else Lookup(Status.UNKNOWN, None, binding.lists[0])

    def titles(self, binding: Binding) -> str:
        return " / ".join(self.lists[name].title for name in binding.lists)


def _date(value: str, where: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CodeListError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from exc


def _read_csv(path: Path) -> str:
    """One read per file per process; tests count calls to prove it."""
    return path.read_text(encoding="utf-8")


def parse_list(name: str, text: str, where: str = "") -> CodeList:
    """A CSV with ``# key: value`` header comments (title, status, source, note) and the five columns."""
    where = where or name
    meta: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = index
            break
        key, _, value = line[1:].partition(":")
        meta[key.strip().lower()] = value.strip()
    else:
        body_start = len(lines)
    reader = csv.reader(io.StringIO("\n".join(lines[body_start:])))
    header = next(reader, None)
    columns = tuple(h.strip() for h in header) if header is not None else ()
    if columns not in (CSV_COLUMNS, (*CSV_COLUMNS, CONTEXT_COLUMN)):
        raise CodeListError(
            f"{where}: the header must be {','.join(CSV_COLUMNS)} (optionally ,{CONTEXT_COLUMN}), found {header}"
        )
    if "status" not in meta or "source" not in meta:
        raise CodeListError(f"{where}: the header comments must say '# status:' and '# source:'")
    codes = []
    for number, row in enumerate(reader, start=body_start + 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != len(columns):
            raise CodeListError(f"{where}:{number}: expected {len(columns)} columns, found {len(row)}")
        code, description, valid_from, valid_to, source, *rest = (cell.strip() for cell in row)
        context = tuple(rest[0].split()) if rest else ()
        if not code or not source:
            raise CodeListError(f"{where}:{number}: every row needs a code and a source")
        start, end = _date(valid_from, f"{where}:{number}"), _date(valid_to, f"{where}:{number}")
        if start and end and end < start:
            raise CodeListError(f"{where}:{number}: valid_to {end} is before valid_from {start}")
        codes.append(Code(code, description, start, end, source, context))
    return CodeList(
        name=name,
        title=meta.get("title", name),
        status=meta["status"],
        source=meta["source"],
        note=meta.get("note", ""),
        codes=tuple(codes),
    )


class _ListsOnDemand(OnDemand[str, CodeList]):
    """The lists of a folder by name, each read and parsed the first time it is asked for, then kept. The
    names are known from the file names at once, so a binding naming a list that does not exist is still
    refused on loading."""

    __slots__ = ()

    def __init__(self, paths: dict[str, Path]) -> None:
        super().__init__(paths, _read_list)

    def parse_all(self) -> None:
        """Every list now: a bad row is then a configuration error on loading, not on first use."""
        for name in self:
            self[name]


def _read_list(name: str, path: Path) -> CodeList:
    try:
        text = _read_csv(path)
    except OSError as exc:
        raise CodeListError(f"{path}: {exc}") from exc
    return parse_list(name, text, str(path))


def _binding(
    data: dict, lists: Mapping[str, CodeList], namespaces: dict[str, str], where: str, check_codes: bool = True
) -> Binding:
    try:
        binding = Binding(
            id=data["id"],
            lists=tuple(data["lists"]),
            versions=tuple(int(v) for v in data["versions"]),
            directions=(data["direction"],) if isinstance(data["direction"], str) else tuple(data["direction"]),
            closed=bool(data["closed"]),
            summary=data["summary"],
            xpath=data.get("xpath", ""),
            json=tuple(data.get("json", ())),
            payload=data.get("payload", ""),
            schema_enforced=bool(data.get("schema_enforced", False)),
            context_xpath=data.get("context", {}).get("xpath", ""),
            context_field=data.get("context", {}).get("field", ""),
            context_list=data.get("context", {}).get("list", ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodeListError(f"{where}: binding {data.get('id', '?')}: missing or bad key {exc}") from exc
    if not binding.id.startswith("SSBT-CODE-"):
        raise CodeListError(f"{where}: binding id {binding.id} must start with SSBT-CODE-")
    missing = [name for name in binding.lists if name not in lists]
    if missing or not binding.lists:
        raise CodeListError(f"{where}: binding {binding.id} names unknown lists {missing or '(none)'}")
    if bool(binding.xpath) == bool(binding.json):
        raise CodeListError(f"{where}: binding {binding.id} needs exactly one of xpath or json")
    if binding.json and not binding.payload:
        raise CodeListError(f"{where}: binding {binding.id}: json paths need a payload model")
    if not binding.directions or not set(binding.directions) <= {"request", "answer"}:
        raise CodeListError(f"{where}: binding {binding.id}: direction must be request, answer or both")
    _check_context(binding, lists, namespaces, where, check_codes)
    if binding.xpath:
        try:  # syntax errors are configuration errors now, not a failing rule on every message later
            etree.XPath(binding.xpath, namespaces={"ssbt": "urn:syntax-check", **namespaces})
        except etree.XPathSyntaxError as exc:
            raise CodeListError(f"{where}: binding {binding.id}: bad xpath {binding.xpath!r}: {exc}") from exc
    return binding


def _check_context(
    binding: Binding, lists: Mapping[str, CodeList], namespaces: dict[str, str], where: str, check_codes: bool
) -> None:
    """A list whose codes say where they may appear needs a binding that can tell where a code is (a check
    that reads every list: ``check_codes``)."""
    restricted = [row.code for name in binding.lists for row in lists[name].codes if row.context] if check_codes else []
    if not binding.context_xpath:
        if restricted:
            raise CodeListError(
                f"{where}: binding {binding.id}: codes {', '.join(restricted)} have a context, but the binding "
                "has no context = { xpath, field } to find it"
            )
        return
    if binding.json:
        raise CodeListError(f"{where}: binding {binding.id}: a context is supported on xpath bindings only")
    if not binding.context_field:
        raise CodeListError(f"{where}: binding {binding.id}: context needs a field (its name in messages)")
    if binding.context_list and binding.context_list not in lists:
        raise CodeListError(f"{where}: binding {binding.id}: context list {binding.context_list} is unknown")
    try:
        etree.XPath(binding.context_xpath, namespaces={"ssbt": "urn:syntax-check", **namespaces})
    except etree.XPathSyntaxError as exc:
        raise CodeListError(
            f"{where}: binding {binding.id}: bad context xpath {binding.context_xpath!r}: {exc}"
        ) from exc


def load_catalogue(folder: Path, *, check_codes: bool = True) -> Catalogue:
    """The lists and bindings of a folder, checked. ``check_codes=False`` leaves each list to be parsed on
    first use, and with it the checks that need its rows (bad rows, codes with a context their binding
    cannot tell): for the bundled lists, which the tests load with every check."""
    lists = _ListsOnDemand({path.stem: path for path in sorted(folder.glob("*.csv"))})
    if check_codes:
        lists.parse_all()
    bindings_file = folder / "bindings.toml"
    try:
        data = read_toml(bindings_file)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CodeListError(f"{bindings_file}: {exc}") from exc
    namespaces = dict(data.get("namespaces", {}))
    bindings = tuple(
        _binding(item, lists, namespaces, str(bindings_file), check_codes) for item in data.get("binding", [])
    )
    ids = [b.id for b in bindings]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CodeListError(f"{bindings_file}: duplicate binding ids {', '.join(duplicates)}")
    return Catalogue(lists=lists, bindings=bindings, namespaces=namespaces)


@cache
def builtin_catalogue() -> Catalogue:
    """The bundled lists and bindings, loaded once per process; each list parsed when first used (the tests
    check the bundled lists whole: tests/packs/test_codelists.py)."""
    return load_catalogue(data_root("codelists"), check_codes=False)


def summarise(codes: Iterable[str], limit: int = 12) -> str:
    """``AT, PUT, UT, … (14 codes)``: enough to act on without flooding a CI log."""
    codes = list(codes)
    if len(codes) <= limit:
        return ", ".join(codes)
    return ", ".join(codes[:limit]) + f", … ({len(codes)} codes)"
