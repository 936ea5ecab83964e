"""Schema validation of the SSBTEK payload against its pack.

libxml2 (through lxml) answers "valid?" for a whole message in microseconds, which is the common
case in a CI batch; only for a failing message do we pay for turning its error log into findings
with a readable XPath, a column and the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from itertools import islice

from lxml import etree

from ssbtek_validator.reading.limits import LIBXML2_MAX_DEPTH
from ssbtek_validator.reading.message import element_path, is_leaf, text_of
from ssbtek_validator.results.masking import (
    LIBXML2_QUOTED_VALUE,
    MASK_CHAR,
    mask_identities,
    masked_value,
    scrub_text,
)
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Context
from ssbtek_validator.rules.schema_words import ELEMENT, NOT_LEXICAL, how_written, namespace_mismatch

#: A Clark name ``{namespace-uri}local`` in libxml2's words. The namespace must look like a URI (a scheme and a
#: colon): the same braces hold what the schema expected, an enumeration ``{'SSBT', 'BT'}`` or a pattern's
#: ``\d{2}``, which must reach the reader whole. A sentence's closing full stop is not part of the name.
_CLARK = re.compile(r"\{([A-Za-z][\w+.\-]*:[^{}'\s]*)\}([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)")
_VALUE = LIBXML2_QUOTED_VALUE


class XsdRule:
    id = "SSBT-XSD"
    severity = Severity.ERROR
    summary = "The SSBTEK payload conforms to the pack's XML Schema."
    versions = ALL_VERSIONS
    applies_by_kind = True  # applies reads only the pack, operation and direction
    explanation = (
        "The payload (the SOAP Body's first child, a fault's detail, or a bare payload) is validated "
        "against the XSD of the pack chosen by its namespace. Every violation libxml2 reports becomes "
        "one finding with line, column, XPath and what the schema expected. Where libxml2's words would name the "
        "element and what it expected alike, an element in another namespace than the schema's (an unqualified "
        "element pulled into a default namespace, a prefix left out), the finding names both namespaces; a flag, "
        "date or date-time spelt another way (True, a space for the T) is told how its type is written. The SOAP "
        "envelope itself is checked by SSBT-SOAP, not by this rule."
    )
    example = "Element 'ssbt:personidentitet': [facet 'pattern'] The value '99999999999' is not accepted …"

    def applies(self, context: Context) -> bool:
        # an element that is no SSBTEK operation has already drawn SSBT-OPERATION, and an operation the
        # pack lacks (a ping in v6) SSBT-OPERATION-VERSION; the schema would only repeat them
        return (
            context.message.payload is not None
            and context.message.operation is not None
            and context.message.operation in context.pack.operations
        )

    def check(self, context: Context) -> Iterator[Finding]:
        schema = context.pack.schema()
        payload = context.message.payload
        # one past the limit, so the engine can say there were more (converting all is quadratic in the count)
        most, nodes = context.limits.max_findings + 1, context.message.nodes or None
        entries = schema_errors(schema, payload, most, nodes)
        if entries:
            entries = _collapsed_retry(schema, payload, entries, most, nodes, context.message)
        if not entries:
            return
        # what every finding of the message places itself with, read once per message (not once per finding)
        lines = _source_lines(context.message)
        encoding = payload.getroottree().docinfo.encoding or "utf-8"
        namespaces = _prefixes(payload)
        findings = [self._finding(context, payload, entry, lines, encoding, namespaces) for entry in entries]
        if len(findings) > 1:  # most failing messages have one
            findings.sort(key=lambda f: (f.line or 0, f.column or 0))
        yield from findings

    def _finding(
        self, context: Context, payload, entry, lines: list[bytes], encoding: str, namespaces: _Prefixes
    ) -> Finding:
        said = entry.message
        matched = ELEMENT.match(said)
        element = _element_at(payload, entry, matched.group(1) if matched else None, namespaces)
        # a message with no Clark name in it needs no prefixes (reading an element's nsmap walks its ancestors)
        spelt = _namespaces(element if element is not None else payload) if "{" in said else ()
        # the tag's local name, as etree.QName(element).localname spells it without building a QName
        local = element.tag.rpartition("}")[2] if element is not None else None
        quoted = _quoted(said)
        value = quoted[0] if quoted is not None else _unquoted_value(element, matched.group(2) if matched else None)
        if context.show_values or (element is not None and _NO_ROOT in said):
            attribute, field, message = _worded_slowly(said, dict(spelt), local, context.show_values, context, element)
            shown = masked_value(value, field, context.show_values)
        else:
            attribute, field, message, shown = _worded(said, quoted, value, spelt, local)
        path = element_path(element) if element is not None else ""
        if attribute:
            path += f"/@{attribute}"
        line = entry.line or (element.sourceline if element is not None else None)
        return Finding(
            rule=self.id,
            severity=self.severity,
            message=message,
            file=context.message.name,
            line=line,
            column=_column(lines, line, element, local, encoding),
            path=path,
            value=shown,
        )


def _worded_slowly(
    said: str, nsmap: dict[str, str], local: str | None, show_values: bool, context: Context | None = None, element=None
) -> tuple[str | None, str | None, str]:
    """(the attribute as the finding names it, the field its value is masked by, the finding's text) of a libxml2
    message: its Clark names respelt with the document's prefixes, libxml2's words kept, its values masked."""
    where, attribute, text = _respelt(said, nsmap)
    field = attribute.rsplit(":", 1)[-1] if attribute else local
    described = f"{where}{f' @{attribute}' if attribute else ''}: " if where else ""
    message = described + text.rstrip(".") + "." + namespace_mismatch(said) + how_written(said)
    if element is not None and _NO_ROOT in said:
        message = described + _no_declaration(context, element)
    return attribute, field, scrub_text(message, field, show_values)


def _worded(
    said: str, quoted: tuple[str, int, int] | None, value: str | None, spelt: _Spelt, local: str | None
) -> tuple[str | None, str | None, str, str | None]:
    """:func:`_worded_slowly` (values masked) and the finding's ``value`` masked by its field, from what is the same
    for every message: the message's words with its one quoted value cut out (``quoted``: the value and where it
    stands, ``value`` is then that value), respelt and scrubbed once per wording, element's namespaces (``spelt``:
    :func:`_namespaces`) and name (a cache of 1,024 wordings). Only the value is masked per finding, once, in the
    text's place for it.

    A value with no quote or brace, of at most the length a mask spells out character by character, is masked in
    the place the wording's probe took (its quotes bound it for every pattern the text goes through: the
    respelling's Clark names, the scrub's quoted values, identities); any other value, and a wording whose probes
    of one and two characters do not come out as one and two mask characters there, take the long way.
    The findings path of the mixed benchmark's files ~26 -> ~21 µs a finding (4.2 -> 3.4 µs a message of the
    batch; CPU, the batch's own contexts, medians of 11 interleaved rounds); the value masked once for the text
    and the finding, not twice, ~1 µs more a finding (real runs, CPU, medians of five interleaved processes);
    tests/rules/test_xsd_findings_path.py holds the two ways to each other on hostile values and wordings, and
    counts that a batch words each wording once, and that a hostile wording is not kept."""
    kept = len(said) <= _LONGEST_KEPT_WORDING and len(spelt) <= _MOST_KEPT_NAMESPACES
    if kept and quoted is None:
        attribute, field, message, _ = _wording(said, None, spelt, local)
        return attribute, field, message, masked_value(value, field, False)
    if kept and len(value) <= _SHOWN_LENGTH and _UNQUOTED.isdisjoint(value):
        _, start, end = quoted
        attribute, field, before, after = _wording(said[:start], said[end:], spelt, local)
        if after is not None:  # else the wording's probes were not masked alone where they stood
            shown = masked_value(value, field, False)
            return attribute, field, before + mask_identities(shown) + after, shown
    attribute, field, message = _worded_slowly(said, dict(spelt), local, False)
    return attribute, field, message, masked_value(value, field, False)


#: what a value may not hold to be masked in its wording's place: a quote (the patterns read quotes), a brace
#: (a Clark name); nor be longer than a mask spells out character by character (a longer one is masked as its
#: length, ``•••(30 chars)``, which a second pattern of the scrub would mask again)
_UNQUOTED = frozenset("'{}")
_SHOWN_LENGTH = 24
#: the probe a wording is scrubbed with: a private use character, in no name and masked in every field
_PROBE = "\ue000"
#: what a wording kept may hold at most: libxml2's messages are a few hundred characters, the namespaces in scope a
#: handful; a hostile message (an element name of 50,000 characters, thousands of namespaces declared) takes the
#: long way rather than filling the cache's 1,024 places with megabytes each
_LONGEST_KEPT_WORDING = 4_000
_MOST_KEPT_NAMESPACES = 64


@lru_cache(maxsize=1024)
def _wording(
    head: str, tail: str | None, spelt: _Spelt, local: str | None
) -> tuple[str | None, str | None, str, str | None]:
    """(attribute, field, text, None) of a message quoting no value (``tail`` None), or (attribute, field, the text
    before the masked value, the text after it) of one whose value stood between ``head`` and ``tail``; (…, None)
    when the probe, of one character and of two, is not masked alone where it stood, a mask character for each."""
    nsmap = dict(spelt)
    if tail is None:
        return (*_worded_slowly(head, nsmap, local, False), None)
    attribute, field, once = _worded_slowly(head + _PROBE + tail, nsmap, local, False)
    before, _, after = once.partition(MASK_CHAR)  # a mask character before the value's: the probes disagree below
    if _worded_slowly(head + _PROBE * 2 + tail, nsmap, local, False)[2] != before + MASK_CHAR * 2 + after:
        return attribute, field, once, None
    return attribute, field, before, after


#: Nodes (elements and attributes) a payload may have to be validated whole. libxml2 reports every violation
#: and lxml keeps each in the schema's error log (~900 bytes) until validation ends: 495,000 disallowed
#: attributes held 450 MB there, although only the first thousand become findings. A larger payload is
#: validated by prefixes growing by this many nodes, so the log never holds more than the findings wanted
#: plus what one step can add.
_STEP = 50_000
#: Errors a cut prefix can add at its end (a missing child at each open ancestor, a missing required
#: attribute or content of the cut element): at most the depth libxml2 allows and a few.
_SLACK = LIBXML2_MAX_DEPTH + 44


#: The nodes schema_errors counts (elements and their attributes), counted by libxml2: the same count as a walk
#: in Python, at a fraction of the cost for a payload too large to be known small by its message's length.
_NODES = etree.XPath("count(descendant-or-self::*) + count(descendant-or-self::*/@*)")


def schema_errors(schema: etree.XMLSchema, payload, most: int, nodes_at_most: int | None = None) -> list:
    """The first ``most`` entries of libxml2's error log for ``payload`` (none when it is valid).

    libxml2 validates in document order, so the errors about a prefix of the payload, up to where it is
    cut, are the whole payload's first errors. A payload of more than ``_STEP`` nodes is therefore
    validated cut after ``_STEP``, ``2 × _STEP``, … nodes until a prefix yields enough errors beyond those
    the cut itself can cause, or the whole payload has been validated.

    ``nodes_at_most`` is a bound on the payload's nodes known for free (``Message.nodes``, the message's
    length for every ordinary message): at or under one step the payload is validated whole at once,
    neither counted nor walked for a cut, which for a message of a few kB cost as much as validating it.
    """
    small = nodes_at_most is not None and nodes_at_most <= _STEP
    total = nodes_at_most if small else int(_NODES(payload))
    keep = _STEP
    while True:
        if total <= keep:  # the whole payload fits in the step: nothing to cut
            entries = [] if schema.validate(payload) else list(islice(schema.error_log, most))
            schema._clear_error_log()  # what the log held is freed now, not at the next message's validation
            return entries
        with _cut_after(payload, keep, most) as validated:
            valid = schema.validate(payload if validated is None else validated)
            log = schema.error_log if not valid else []
            enough = validated is None or len(log) >= most + _SLACK
            entries = list(islice(log, most)) if enough else []
            del log
        schema._clear_error_log()
        if enough:
            return entries
        keep = min(keep + _STEP, total)


@contextmanager
def _cut_after(payload, keep: int, most: int) -> Iterator[object | None]:
    """The payload cut, in place, after its first ``keep`` nodes in document order; restored on exit.

    Yields the element to validate, or None when nothing needed cutting. Nothing is copied: the element
    where the count runs out is swapped for a childless copy with the attributes that fit (same line,
    same place, so the same error path), and what follows it at each level moves to a detached holder
    of the same document (so no namespace is fixed up) and back. When the payload itself is where the
    count runs out, its childless copy is validated on its own.
    """
    counted = 0
    last = None
    for element in payload.iter(etree.Element):
        counted += 1 + len(element.attrib)
        if counted > keep:
            last = element
            break
    if last is None:
        yield None
        return
    # an element repeats no attribute, so past its few declared ones each is an error: more than the errors
    # wanted are never needed (and setting each one searches those already set)
    fits = min(max(0, keep - (counted - len(last.attrib))), most + _SLACK + 100)
    stand_in = last.makeelement(last.tag, nsmap=last.nsmap)
    stand_in.sourceline = last.sourceline
    if last is payload:
        for name in last.xpath("@*[position() <= $n]", n=fits):
            stand_in.set(name.attrname, name)
        yield stand_in
        return
    moved: list[tuple[object, object]] = []
    try:
        node = last
        while node is not payload:
            holder = payload.makeelement("held")
            while node.getnext() is not None:
                holder.append(node.getnext())
            moved.append((node.getparent(), holder))
            node = node.getparent()
        last.getparent().replace(last, stand_in)
        for name in last.xpath("@*[position() <= $n]", n=fits):
            stand_in.set(name.attrname, name)
        yield payload
    finally:
        if stand_in.getparent() is not None:
            stand_in.getparent().replace(stand_in, last)
        for parent, holder in reversed(moved):
            # len() of an element counts its children: once per moved child it made this quadratic
            while (child := next(holder.iterchildren(), None)) is not None:
                parent.append(child)


#: XML Schema 1.0 Part 2 (4.3.6): whiteSpace "collapse" turns these into spaces, joins runs and trims
_XML_SPACE = re.compile(r"[ \t\n\r]+")


def _collapsed_retry(
    schema: etree.XMLSchema, payload, entries: list, most: int, nodes_at_most: int | None, message=None
) -> list:
    """The errors again with whitespace collapsed where libxml2 forgot to: none of them false alarms.

    XML Schema 1.0 Part 2 (4.3.6) fixes whiteSpace at "collapse" for every atomic type not derived from
    xs:string, so ``<fromDatum> 2026-09-01 </fromDatum>`` is a valid xs:date, and the stacks behind the
    service read it so. libxml2 (2.14) checks the lexical form of the date and time types (xs:date,
    xs:dateTime, xs:time, xs:gYear, xs:gYearMonth, xs:duration, …) before collapsing, and calls such a
    value invalid. Only for a message that failed: each value libxml2 refused that way and that has
    whitespace to collapse is collapsed in place, the payload validated again, and the value restored.
    The stand-ins change no element or attribute count, so ``nodes_at_most`` still bounds the payload.

    ``message`` (the payload's), when its markup is spelt in ASCII and has no CDATA section: an element without
    child nodes holds its value in one text node, which is set and set back in place: a stand-in (a new element
    declaring the in-scope namespaces, put in and taken out) made the corpus's request with nine padded dates
    cost ~153 µs in SSBT-XSD, in place ~103 (the mixed benchmark's files in turn, medians; ~0.8 µs a message of
    the conforming batch).
    tests/rules/test_xsd_findings_path.py spies that no stand-in is made for it, and that the payload is the same after.
    Whether it has a CDATA section is read at the first value to collapse (most failing messages have none to
    collapse, and searching their bytes was ~0.5 µs of each; a spy checks they are not searched).
    """
    attributes: list[tuple[etree._Element, str, str]] = []
    swapped: list[tuple[etree._Element, etree._Element]] = []
    texts: list[tuple[etree._Element, str]] = []
    namespaces = plain = None
    for entry in entries:
        if not NOT_LEXICAL.search(entry.message):
            continue
        matched = ELEMENT.match(entry.message)
        if namespaces is None:
            namespaces = _prefixes(payload)
        element = _element_at(payload, entry, matched.group(1) if matched else None, namespaces)
        attribute = matched.group(2) if matched else None
        if element is None or element is payload or (attribute is None and not is_leaf(element)):
            continue
        if attribute and ":" in attribute and not attribute.startswith("{"):  # a Clark name reads as it is
            continue
        value = element.get(attribute) if attribute else text_of(element)
        collapsed = _XML_SPACE.sub(" ", value or "").strip(" ")
        if not value or collapsed == value:
            continue
        if attribute:
            attributes.append((element, attribute, value))
            element.set(attribute, collapsed)
            continue
        if plain is None:
            plain = message is not None and message.ascii_markup and b"<![CDATA[" not in message.raw
        if plain and len(element) == 0:  # its one text node, collapsed in place
            texts.append((element, value))
            element.text = collapsed
            continue
        stand_in = _stand_in(element, collapsed)
        element.getparent().replace(element, stand_in)
        swapped.append((element, stand_in))
    if not (attributes or swapped or texts):
        return entries
    try:
        return schema_errors(schema, payload, most, nodes_at_most)
    finally:
        for element, stand_in in reversed(swapped):
            stand_in.getparent().replace(stand_in, element)
        for element, attribute, value in attributes:
            element.set(attribute, value)
        for element, value in texts:
            element.text = value


def _stand_in(element: etree._Element, collapsed: str) -> etree._Element:
    """A stand-in with the collapsed value, to take the element's place (so comments splitting it go too)."""
    stand_in = element.makeelement(element.tag, attrib=dict(element.attrib), nsmap=element.nsmap)
    stand_in.text = collapsed
    stand_in.tail = element.tail
    stand_in.sourceline = element.sourceline
    return stand_in


#: libxml2's words when the schema has no global element for the payload's name and namespace
_NO_ROOT = "No matching global declaration available for the validation root"


def _no_declaration(context: Context, element) -> str:
    """Say which pack lacks which element, instead of libxml2's words about a "validation root"."""
    qname = etree.QName(element)
    pack = context.pack
    text = f"the pack {pack.id} has no element {qname.localname} in namespace {qname.namespace or '(none)'}"
    if qname.namespace != pack.namespace:
        text += f"; its elements are in {pack.namespace}"
    if context.detection.reason.startswith("forced"):
        text += f" (the pack was {context.detection.reason}; without --pack the namespace chooses the pack)"
    return text + "."


#: the payload's declared prefixes and their namespaces: how :func:`_xpath` is keyed
_Prefixes = tuple[tuple[str, str], ...]
#: (namespace, prefix) in scope of an element, in the order lxml gives them: a dict of them (the last prefix of a
#: namespace wins) respells a message; a tuple keys the wording cache without a dict built for each finding
_Spelt = tuple[tuple[str, str], ...]


def _prefixes(payload) -> _Prefixes:
    """The prefixes declared on the payload (and above it), as error paths spell them; read once per message:
    reading ``nsmap`` walks the ancestors, and each finding of a message read it again. In lxml's order, not
    sorted: the same for every message declaring them alike, and the sort was ~0.4 µs of each failing message."""
    return tuple([(prefix, uri) for prefix, uri in payload.nsmap.items() if prefix])


def _element_at(payload, entry, named: str | None, namespaces: _Prefixes | None = None):
    """Find the original element an error is about.

    libxml2 gives a path relative to its copy of the payload, spelled with the document's prefixes
    (`/ssbt:a/ssbt:b[2]`) or positions (`/*/*[3]`); when that fails, the line and name decide.
    ``namespaces``: the payload's :func:`_prefixes`, when the caller has them.
    """
    path = entry.path or ""
    steps = path.lstrip("/").split("/", 1)
    if path.startswith("/") and steps[0]:
        relative = steps[1] if len(steps) > 1 else "."
        if namespaces is None:
            namespaces = _prefixes(payload)
        try:
            found = _xpath(relative, namespaces)(payload)
        except etree.XPathError:
            found = None
        if found and isinstance(found[0], etree._Element):
            if not entry.line or found[0].sourceline == entry.line:
                return found[0]
            # libxml2 counts a step's position among siblings spelt with the same prefix, XPath among siblings
            # in the same namespace: <a:y/><b:y/><a:y/> with a and b bound alike makes the third a:y[2], which
            # XPath reads as the second. The error's line then tells which element was meant.
            on_line = _element_on_line(payload, entry.line, named)
            return on_line if on_line is not None else found[0]
    return _element_on_line(payload, entry.line, named)


def _element_on_line(payload, line: int | None, named: str | None):
    """The first element on ``line`` with the local name an error names (any, when it names none)."""
    local = named.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if named else None
    for element in payload.iter(etree.Element):  # comments and PIs have no QName (found by fuzzing)
        if element.sourceline == line and (local is None or etree.QName(element).localname == local):
            return element
    return None


@lru_cache(maxsize=2048)
def _xpath(path: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    """A batch repeats the same few error paths; compiling each once saves most of the cost.

    Each evaluation registers the expression's prefixes, functions and result handling with libxml2 and takes
    them down again: compiled with only the prefixes the path spells (a payload has half a dozen in scope, a
    path one or two), without EXSLT's regular expressions and without smart strings (an element is all a path
    is read for), each finding of the mixed benchmark costs ~1.1 µs less (its findings path 6.27 -> 6.09 µs a
    message of the batch in real runs, CPU, medians of five interleaved processes; ~1.3 -> ~1.0 µs warm);
    tests/rules/test_xsd_findings_path.py checks both on the compiled paths, and that the same elements are
    found on hostile paths."""
    used = {prefix: uri for prefix, uri in namespaces if f"{prefix}:" in path}
    return etree.XPath(path, namespaces=used, regexp=False, smart_strings=False)


def _namespaces(element) -> _Spelt:
    """(namespace, prefix) as the document spells them, so messages read like the XML the user has."""
    spelt = [(uri, prefix) for prefix, uri in element.nsmap.items() if prefix]
    own = element.prefix
    if own is not None:  # two prefixes bound to one namespace: the element is named as it is written (last wins)
        spelt.append((element.tag[1:].partition("}")[0], own))
    return tuple(spelt)


def _respelt(said: str, nsmap: dict[str, str]) -> tuple[str | None, str | None, str]:
    """(element, attribute, the rest) of a libxml2 message, each Clark name in them spelt with the document's prefix.

    The whole message is respelt at once: no Clark name spans the quotes between its parts, so this is what
    respelling each part did (tests/rules/test_xsd_findings_path.py compares the two), with one pass of the pattern
    instead of three (~2.1 -> ~1.9 µs for a message naming two elements, in a loop)."""
    respelt = _prefixed(said, nsmap)
    matched = ELEMENT.match(respelt)
    if matched is None:
        return None, None, respelt
    return matched.group(1), matched.group(2), respelt[matched.end() :]


def _prefixed(text: str, nsmap: dict[str, str]) -> str:
    if "{" not in text:  # no Clark name to respell (most attribute names, a name in no namespace)
        return text

    def replace(match: re.Match) -> str:
        prefix = nsmap.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    return _CLARK.sub(replace, text)


def _quoted(message: str) -> tuple[str, int, int] | None:
    """The value an error quotes and where it stands in the message (start, end), or None.

    ``_VALUE`` is tried at every character of a message of a few hundred; it is searched from where its first
    alternative's fixed words stand (its second matches only at the start): the same match, ~2.7 -> ~2.0 µs a
    finding of the mixed benchmark's files in turn (tests/rules/test_xsd_findings_path.py compares it with a
    search of the whole text)."""
    at = message.find(": ")
    at = at + 2 if at >= 0 else 0
    text = message[at:]
    if text.startswith("'"):
        found = _VALUE.search(text)
    else:
        start = text.find("The value '")
        found = _VALUE.search(text, start) if start >= 0 else None
    if found is None:
        return None
    group = 1 if found.group(1) is not None else 2
    return found.group(group), at + found.start(group), at + found.end(group)


def _unquoted_value(element, attribute: str | None) -> str | None:
    """The value at a finding's path when its message quotes none (:func:`_quoted`): the attribute's, when the
    message is about one (``The attribute 'lang' is not allowed``: not the element's text; ``attribute`` is named
    as libxml2 names it, a Clark name or a name in no namespace, so it is read by that name, not sought among
    many), else the element's own text."""
    if attribute is not None:
        return element.get(attribute) if element is not None else None
    if element is not None and is_leaf(element):
        own = text_of(element).strip()
        return own or None
    return None


#: Scanning a line costs its length per finding; a hostile one-line message of megabytes with a
#: thousand findings would cost seconds for columns nobody needs there.
_LONGEST_SCANNED_LINE = 256 * 1024


def _source_lines(message) -> list[bytes]:
    return message.raw.split(b"\n")


def _column(
    lines: list[bytes], line: int | None, element, local: str | None = None, encoding: str | None = None
) -> int | None:
    """libxml2 gives no column for schema errors; the element's start tag on its line gives a good one.

    The tag is sought with ``str.find`` and the character after it tested (whitespace, ``/`` or ``>``), as
    ``re.finditer(re.escape(tag) + r"[\\s/>]", …)`` found it at twice the cost (escaping, the regex cache, a
    match object): ~2.8 → ~1.4 µs per finding of the mixed benchmark; tests/run/test_findings_path.py compares
    the two on hostile lines. ``local`` (the element's local name) and ``encoding`` (its document's) when the caller
    has them: the same for every finding of a message, read once per message."""
    if element is None or not line or line > len(lines) or len(lines[line - 1]) > _LONGEST_SCANNED_LINE:
        return None
    if local is None:
        local = element.tag.rpartition("}")[2]
    if encoding is None:
        encoding = element.getroottree().docinfo.encoding or "utf-8"
    prefix = element.prefix
    tag = f"<{prefix}:{local}" if prefix else f"<{local}"
    try:
        text = lines[line - 1].decode(encoding, errors="replace")
    except LookupError:
        return None
    return _tag_column(text, tag)


def _tag_column(text: str, tag: str) -> int | None:
    """The 1-based column of the first ``tag`` in ``text`` followed by whitespace (``str.isspace``, as the
    regex ``\\s``), ``/`` or ``>`` or the end of the line; None when there is none."""
    text += " "
    start = text.find(tag)
    while start >= 0:
        after = text[start + len(tag)]
        if after.isspace() or after in "/>":
            return start + 1
        start = text.find(tag, start + 1)
    return None
