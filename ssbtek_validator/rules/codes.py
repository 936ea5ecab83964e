"""Codes in messages checked against effective-dated code lists, at the message's date.

One rule object runs every binding of ``codelists/bindings.toml``; each binding reports under its
own id (``SSBT-CODE-MIV-BESLUTSTYP`` …), so a team can disable or re-grade one without the others.
What to look at is planned once per (pack, direction) — element paths indexed for one scan, JSON
paths as a trie — and which codes are valid is indexed once per date, so a code that is fine costs
one dict lookup; only a finding pays for its location and message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from typing import NamedTuple

from lxml import etree

from ssbtek_validator.packs.codelists import Binding, Catalogue, Lookup, Status, builtin_catalogue, summarise
from ssbtek_validator.reading.message import element_path, text_of
from ssbtek_validator.reading.nested import Payload
from ssbtek_validator.results.masking import looks_like, mask
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Context
from ssbtek_validator.rules.code_lookup import ElementPaths, JsonPaths, json_pointer

#: only a value with a run of digits can be shaped like a personnummer; the others need no scrubbing

#: Words that start each kind of message; tests and the corpus check tell the kinds apart by them.
UNKNOWN_CLOSED = "is not in"
UNKNOWN_OPEN = "is not among the known codes of"
OUT_OF_DATE = "but the message is dated"
WRONG_PLACE = "may appear only under"


class Plan(NamedTuple):
    """What to look at in messages of one pack and direction."""

    #: elements on the SSBTEK payload element
    outer: ElementPaths | None
    #: nested XML payload model -> elements on the decoded document's root
    nested_xml: dict[str, ElementPaths]
    #: nested JSON payload model -> its property paths
    nested_json: dict[str, JsonPaths]

    def __bool__(self) -> bool:
        return bool(self.outer or self.nested_xml or self.nested_json)


class _Route(NamedTuple):
    """A :class:`Plan` as :meth:`CodeListRule.check` walks it (see :meth:`CodeListRule._route`)."""

    #: elements on the SSBTEK payload element, None when no binding looks there
    outer: ElementPaths | None
    #: payload model -> (its XML elements, its JSON paths), either None; models nothing looks at left out
    nested: dict[str, tuple[ElementPaths | None, JsonPaths | None]]


class _ValidOn(dict):
    """binding id → code valid on one date → its coverage key, worked out per binding on first lookup, so that
    a run reads and parses only the code lists its messages' bindings use (a request's use 3 of 31)."""

    def __init__(self, catalogue: Catalogue, when: date) -> None:
        super().__init__()
        self._catalogue = catalogue
        self._when = when
        self._bindings = {binding.id: binding for binding in catalogue.bindings}

    def __missing__(self, binding_id: str) -> dict[str, str]:
        codes: dict[str, str] = {}
        for name in reversed(self._bindings[binding_id].lists):  # the first list wins, as in Catalogue.lookup
            for row in self._catalogue.lists[name].codes:
                if row.valid_on(self._when) and not row.context:  # a placed code is judged where it is
                    codes[row.code] = f"code:{name}:{row.code}"
        self[binding_id] = codes
        return codes


class CodeListRule:
    id = "SSBT-CODE"
    severity = Severity.ERROR
    summary = "Codes are in their code lists and valid on the message's date (one id per binding: SSBT-CODE-…)."
    versions = ALL_VERSIONS
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "Each binding in codelists/bindings.toml names an element (XPath) or a JSON property inside a decoded "
        "payload, the code lists it uses, the SSBTEK versions it applies to, and whether the list is closed "
        "(an unknown code is an error) or open (the list is not complete: an unknown code is a warning). A code may "
        "also be bound to a place: P37/P38 (inkomstpensionstillägg) are beloppstyper under ålderspension "
        "(Försäkringskassan, SSBTEK release note 2021-06-17), so under another förmån (formanstyp) they are an "
        "error; the list's context column says where each such code may appear. Every "
        "code is judged at the message's date (frageTidpunkt, else --as-of, else today): a known code used "
        "before its valid_from or after its valid_to is an error naming both dates, in open lists too. Where the "
        "pack's XSD already enumerates the values (schema_enforced), an unknown code is left to SSBT-XSD. Every "
        "known code seen is recorded for coverage as code:<list>:<code>."
    )
    example = (
        "beslutsTyp 'PUS' (PERMANENT UPPEHÅLLSSTATUS F BRIT MB O FAM) of Migrationsverket beslutstyp has "
        "valid_from 2020-12-16 and valid_to none, but the message is dated 2020-12-01 (frageTidpunkt): the code "
        "was not yet in use."
    )

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self._catalogue = catalogue
        self._plans: dict[tuple[str, int, str | None], Plan] = {}
        self._lookups: dict[tuple[str, str, date], Lookup] = {}
        self._by_day: dict[date, dict[str, dict[str, str]]] = {}
        self._unknown_wording: dict[tuple[str, date], str] = {}
        self._sayings: dict[tuple[str, str, date, bool, str], tuple[Severity, str, str]] = {}
        self._context_paths: dict[str, etree.XPath] = {}
        self._routes: dict[tuple[str, int, str | None], _Route | None] = {}

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = builtin_catalogue()
        return self._catalogue

    def _valid_on(self, when: date) -> dict[str, dict[str, str]]:
        """Per binding, every code valid on ``when`` → its coverage key; one index per date (a batch has few),
        each binding's part filled in when a message first asks for it (:class:`_ValidOn`)."""
        index = self._by_day.get(when)
        if index is None:
            if len(self._by_day) > 256:
                self._by_day.clear()
            index = self._by_day[when] = _ValidOn(self.catalogue, when)
        return index

    def plan(self, namespace: str, version: int, direction: str | None) -> Plan:
        key = (namespace, version, direction)
        found = self._plans.get(key)
        if found is None:
            found = self._plans[key] = self._make_plan(namespace, version, direction)
        return found

    def _make_plan(self, namespace: str, version: int, direction: str | None) -> Plan:
        namespaces = {"ssbt": namespace, **self.catalogue.namespaces}
        outer: list[Binding] = []
        nested_xml: dict[str, list[Binding]] = {}
        nested_json: dict[str, list[Binding]] = {}
        for binding in self.catalogue.bindings:
            if not binding.applies_to(version, direction):
                continue
            if binding.json:
                nested_json.setdefault(binding.payload, []).append(binding)
            elif binding.payload:
                nested_xml.setdefault(binding.payload, []).append(binding)
            else:
                outer.append(binding)
        return Plan(
            outer=ElementPaths(outer, namespaces) if outer else None,
            nested_xml={model: ElementPaths(items, namespaces) for model, items in nested_xml.items()},
            nested_json={model: JsonPaths(items) for model, items in nested_json.items()},
        )

    def _plan_for(self, context: Context) -> Plan | None:
        if context.message.payload is None or context.pack.version is None:
            return None
        return self.plan(context.pack.namespace, context.pack.version, context.message.direction)

    def _route(self, context: Context) -> _Route | None:
        """The message's plan as the check walks it, worked out once per (pack, direction): None when there is
        nothing to look at, else only the parts that look at something, each payload model's two in one entry.
        The plan's truth was asked of its parts on every message (a Python ``__bool__`` per part), and every
        payload looked up in two tables: ~14k -> ~10k instructions a message of the mixed batch for the rule
        without its scans and findings (callgrind, 140 messages, 3 rounds)."""
        message = context.message
        pack = context.pack
        if message.payload is None or pack.version is None:
            return None
        key = (pack.namespace, pack.version, message.direction)
        try:
            return self._routes[key]
        except KeyError:
            pass
        plan = self.plan(*key)
        route = None
        if plan:
            nested = {
                model: (plan.nested_xml.get(model) or None, plan.nested_json.get(model) or None)
                for model in (*plan.nested_xml, *plan.nested_json)
            }
            route = _Route(plan.outer or None, {model: pair for model, pair in nested.items() if pair != (None, None)})
        self._routes[key] = route
        return route

    def applies(self, context: Context) -> bool:
        return bool(self._plan_for(context))

    def check(self, context: Context) -> Iterator[Finding]:
        route = self._route(context)
        if route is None:
            return
        # hot path, inlined: one dict lookup settles every code that is valid on the message's date
        observed = context.observed
        valid = self._valid_on(context.message_date)
        outer_paths: dict[int, str] = {}  # a payload's XPath, once however many of its codes are reported
        findings: list[Finding] = []
        json_findings: list[Finding] = []  # reported after the XML ones, as the payloads come after the envelope
        batches: list[tuple[ElementPaths, etree._Element, Payload | None]] = []
        if route.outer is not None:
            batches.append((route.outer, context.message.payload, None))
        nested = route.nested
        if nested:
            for item in context.payloads():
                if not isinstance(item, Payload):
                    continue  # a payload that did not decode is SSBT-PAYLOAD's finding
                pair = nested.get(item.binding.model)
                if pair is None:
                    continue
                elements, paths = pair
                if elements is not None and isinstance(item.document, etree._Element):
                    batches.append((elements, item.document, item))
                if paths is not None:
                    for binding, raw, code in paths.leaves(item.document, valid, observed):
                        finding = self._judge(context, binding, code, _json_place(item, raw, outer_paths))
                        if finding is not None:
                            json_findings.append(finding)
        for elements, root, nested in batches:
            for binding, element, code in elements.collect(root, valid, observed):
                place = _element_place(element, nested, outer_paths)
                finding = self._judge(context, binding, code, place, lambda b=binding, e=element: self._where(b, e))
                if finding is not None:
                    findings.append(finding)
        yield from findings
        yield from json_findings

    def _where(self, binding: Binding, element: etree._Element) -> str | None:
        """The text of the element naming where a code sits (its förmån's formanstyp), or None if there is none."""
        if not binding.context_xpath:
            return None
        path = self._context_paths.get(binding.id)
        if path is None:
            namespaces = {"ssbt": "urn:unused", **self.catalogue.namespaces}
            path = self._context_paths[binding.id] = etree.XPath(binding.context_xpath, namespaces=namespaces)
        for found in path(element):
            if isinstance(found, etree._Element):
                return text_of(found).strip()
        return None

    def _judge(
        self,
        context: Context,
        binding: Binding,
        code: str,
        place: Callable[[], Place],
        where_found: Callable[[], str | None] = lambda: None,
    ) -> Finding | None:
        """Judge a code that may have dates, a place, or be unknown; ``place`` is worked out only for a finding."""
        when = context.message_date
        memo = (binding.id, code, when)  # a batch holds many messages of the same day
        found = self._lookups.get(memo)
        if found is None:
            if len(self._lookups) > 100_000:
                self._lookups.clear()
            found = self._lookups[memo] = self.catalogue.lookup(binding, code, when)
        if found.status is Status.VALID:
            context.observe(f"code:{found.list_name}:{code}")
            row = found.code
            if row is None or not row.context:
                return None
            under = where_found()
            if under is None or under in row.context:  # no förmån around it: nothing says it is misplaced
                return None
            if binding.context_list and under not in self.catalogue.lists[binding.context_list]:
                return None  # an unknown förmån (its own warning) may be the right one: no false alarm
            where = place()
            message = self.placed_message(binding, where.field, code, row, under, when)
            return self._finding(context, binding, Severity.ERROR, message, where, code)
        if found.status is Status.UNKNOWN and binding.schema_enforced:
            return None  # SSBT-XSD's finding: its place is not worked out
        if found.status is not Status.UNKNOWN:
            context.observe(f"code:{found.list_name}:{code}")
        severity, shown, said = self._said(context, binding, code, found)
        where = place()
        return self._finding(context, binding, severity, f"{where.field} {said}", where, shown)

    def _said(self, context: Context, binding: Binding, code: str, found: Lookup) -> tuple[Severity, str, str]:
        """An unknown or out-of-date code's severity, its value as the finding shows it, and its message after the
        field's name: the same for every such code of a binding on a date (and date source and --show-values), so
        worded once, however many messages of a batch hold it; only the field's name and place are the finding's
        own. Each finding had the code masked or not (a pattern match), its message assembled (an out-of-date one
        from five parts) and its row's list looked up: with the JSON pointer's cheaper escape test, the rule on a LEFI
        answer with 19 unknown codes ~100 -> ~84 µs (warm); ~0.4 µs a mixed message (SSBT-CODE in-process, 3,000
        files, best of 3 interleaved runs)."""
        source = context.message_date_source or "message date"
        key = (binding.id, code, context.message_date, context.show_values, source)
        said = self._sayings.get(key)
        if said is None:
            if len(self._sayings) > 100_000:
                self._sayings.clear()
            when = context.message_date
            if found.status is Status.UNKNOWN:
                # a field bound to a code list holds codes, so an unknown code is shown when it looks like one; a
                # personnummer or a name typed into a code field does not, and is masked (ssbtek_validator/masking.toml)
                shown = code if context.show_values or looks_like(code, "code") else mask(code)
                severity = Severity.ERROR if binding.closed else Severity.WARNING
                said = (severity, shown, self._unknown_tail(binding, shown, when))
            else:
                said = (Severity.ERROR, code, self._dated_tail(code, found, when, source))
            self._sayings[key] = said
        return said

    def unknown_message(self, binding: Binding, field_name: str, shown: str, when: date) -> str:
        return f"{field_name} {self._unknown_tail(binding, shown, when)}"

    def _unknown_tail(self, binding: Binding, shown: str, when: date) -> str:
        shown_text = f"{shown!r}" if shown else "(empty)"
        return f"{shown_text} {self.unknown_wording(binding, when)}"

    def unknown_wording(self, binding: Binding, when: date) -> str:
        """What an unknown code's message says after the code: the list's titles, whether it is closed, the codes
        valid on ``when`` ("expected one of …"), the files to add a code to. The same for every unknown code of a
        binding on a date, so it is worded once per (binding, date), however many findings quote it: an unknown
        code's message ~0.74 -> ~0.30 µs (in-process, every bundled binding, medians of 9 runs)."""
        key = (binding.id, when)
        wording = self._unknown_wording.get(key)
        if wording is None:
            if len(self._unknown_wording) > 4096:  # bindings × the dates of a batch: few; a bound all the same
                self._unknown_wording.clear()
            wording = self._unknown_wording[key] = self._word_unknown(binding, when)
        return wording

    def _word_unknown(self, binding: Binding, when: date) -> str:
        catalogue = self.catalogue
        valid = [code for name in binding.lists for code in catalogue.lists[name].valid_codes(when)]
        known = summarise(dict.fromkeys(valid)) or "(none on that date)"
        titles = catalogue.titles(binding)
        if binding.closed:
            return f"{UNKNOWN_CLOSED} {titles} (a closed list); expected one of {known} on {when.isoformat()}."
        files = ", ".join(f"codelists/{name}.csv" for name in binding.lists)
        return (
            f"{UNKNOWN_OPEN} {titles} (an open list, known to be incomplete); "
            f"known on {when.isoformat()}: {known}. If the code is right, add it with its source to {files}."
        )

    def placed_message(self, binding: Binding, field_name: str, code: str, row, under: str, when: date) -> str:
        """``P37 … may appear only under formanstyp AP (Ålderspension), but it is under SJP (Sjukpenning)``."""
        described = f" ({row.description})" if row.description else ""
        title = self.catalogue.titles(binding)
        allowed = ", ".join(f"{value}{self._describe(binding, value, when)}" for value in row.context)
        shown = under if looks_like(under, "code") else mask(under)  # a known förmån code, or masked
        return (
            f"{field_name} {code!r}{described} of {title} {WRONG_PLACE} {binding.context_field} {allowed}, but "
            f"it is under {binding.context_field} {shown!r}{self._describe(binding, under, when)}. "
            f"Source: {row.source}."
        )

    def _describe(self, binding: Binding, value: str, when: date) -> str:
        if not binding.context_list:
            return ""
        found = self.catalogue.lists[binding.context_list].lookup(value, when)
        return f" ({found.code.description})" if found.code is not None and found.code.description else ""

    def dated_message(self, field_name: str, code: str, found: Lookup, when: date, source: str) -> str:
        return f"{field_name} {self._dated_tail(code, found, when, source)}"

    def _dated_tail(self, code: str, found: Lookup, when: date, source: str) -> str:
        row = found.code
        assert row is not None
        described = f" ({row.description})" if row.description else ""
        title = self.catalogue.lists[found.list_name].title
        start = row.valid_from.isoformat() if row.valid_from else "none"
        end = row.valid_to.isoformat() if row.valid_to else "none"
        why = "the code was not yet in use" if found.status is Status.NOT_YET else "the code was no longer in use"
        return (
            f"{code!r}{described} of {title} has valid_from {start} and valid_to {end}, "
            f"{OUT_OF_DATE} {when.isoformat()} ({source}): {why}. Source: {row.source}."
        )

    def _finding(self, context: Context, binding: Binding, severity: Severity, message: str, where: Place, value):
        return Finding(
            rule=binding.id,
            severity=severity,
            message=message,
            file=context.message.name,
            line=where.line,
            path=where.path,
            value=value,
        )


class Place(NamedTuple):
    """Where a code is: the name a reader looks for, the line in the file, the (chained) path."""

    field: str
    line: int | None
    path: str


def _outer_path(nested: Payload, cache: dict[int, str]) -> str:
    """The carrying element's XPath, computed once per payload however many findings it has."""
    path = cache.get(id(nested))
    if path is None:
        path = cache[id(nested)] = nested.outer_path
    return path


def _element_place(element, nested: Payload | None, cache: dict[int, str]) -> Callable[[], Place]:
    """Lines in a decoded payload are not lines of the file: there the carrying element's line counts."""
    # the tag's local name, as etree.QName(element).localname spells it, without building a QName per finding
    if nested is None:
        return lambda: Place(element.tag.rpartition("}")[2], element.sourceline, element_path(element))
    return lambda: Place(
        element.tag.rpartition("}")[2],
        nested.element.sourceline,
        f"{_outer_path(nested, cache)} → {document_path(element)}",
    )


_STEP = re.compile(r"(?:\{([^}]*)\})?([^/{}\[\]]+)(\[\d+\])?")


def document_path(element) -> str:
    """What :func:`element_path` says for an element of a decoded payload, from libxml2's own two paths.

    ``getpath`` (C) spells each step as the document does (``typ:Belopp``) but writes a default-namespace step
    ``*`` numbered among all its element siblings; ``getelementpath`` (C) numbers each step among its same-named
    siblings, as ``element_path`` does, but spells Clark names. So each step takes its prefix from the first and
    its local name and index from the second, where ``element_path`` reads each level's prefix in Python: ~18.6 ->
    ~15.6 µs for a finding eleven levels down a CSN answer with four namespaces (in-process, best of 7, three
    interleaved runs; splitting the Clark names is most of what is left). Where the two paths do not line up step
    for step, ``element_path`` answers. The shortcut this replaces took only documents with one default namespace
    and no other, and named a prefixed element below their root without its prefix.
    """
    tree = element.getroottree()
    fast = tree.getpath(element)
    if "*" not in fast:
        return fast
    named = fast.split("/")  # "", the root, then one step per level: a prefix and a local name hold no "/"
    root = tree.getroot()
    if element is root:
        indexed: list[tuple[str, str, str]] = []
    else:
        try:
            spelt = tree.getelementpath(element)
        except (UnicodeDecodeError, ValueError):
            return element_path(element)
        indexed = _STEP.findall(spelt)
        if "/".join(f"{{{uri}}}{local}{index}" if uri else local + index for uri, local, index in indexed) != spelt:
            return element_path(element)  # an element outside its tree's root, or a name the pattern cannot split
    if len(named) != len(indexed) + 2 or named[0]:
        return element_path(element)
    top = named[1]
    steps = ["", root.tag.rpartition("}")[2] if top == "*" else top]
    for (uri, local, index), step in zip(indexed, named[2:], strict=True):
        if uri == "*":
            return element_path(element)  # lxml's any-namespace spelling: the walk reads such a tag itself
        if step.startswith("*"):  # a default namespace: no prefix
            steps.append(local + index)
            continue
        spelling = step.partition("[")[0]
        if spelling.rpartition(":")[2] != local:
            return element_path(element)
        steps.append(spelling + index)
    return "/".join(steps)


def _json_place(nested: Payload, raw: tuple[str | int, ...], cache: dict[int, str]) -> Callable[[], Place]:
    return lambda: Place(
        _json_field(raw), nested.element.sourceline, f"{_outer_path(nested, cache)} → {json_pointer(raw)}"
    )


def _json_field(raw: tuple[str | int, ...]) -> str:
    """``tillstand.kod`` or ``formansinformation[]``: the property a reader looks for in the JSON."""
    if raw and type(raw[-1]) is int:
        names = [step for step in raw if type(step) is str]
        return f"{names[-1] if names else ''}[]"
    if len(raw) > 1 and type(raw[-2]) is str:
        return f"{raw[-2]}.{raw[-1]}"
    names = [step for step in raw if type(step) is str]
    return ".".join(names[-2:])
