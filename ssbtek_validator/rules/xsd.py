"""Schema validation of the SSBTEK payload against its pack.

libxml2 (through lxml) answers "valid?" for a whole message in microseconds, which is the common
case in a CI batch; only for a failing message do we pay for turning its error log into findings
with a readable XPath, a column and the offending value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice

from lxml import etree

from ssbtek_validator.reading.message import element_path, is_leaf, text_of
from ssbtek_validator.results.masking import masked_value, scrub_text
from ssbtek_validator.results.model import Finding, Severity
from ssbtek_validator.rules.base import ALL_VERSIONS, Context

#: A Clark name ``{namespace-uri}local`` in libxml2's words. The namespace must look like a URI (a scheme and a
#: colon): the same braces hold what the schema expected, an enumeration ``{'SSBT', 'BT'}`` or a pattern's
#: ``\d{2}``, which must reach the reader whole. A sentence's closing full stop is not part of the name.
_CLARK = re.compile(r"\{([A-Za-z][\w+.\-]*:[^{}'\s]*)\}([A-Za-z_][\w\-]*(?:\.[\w\-]+)*)")
_ELEMENT = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: ")
_VALUE = re.compile(r"(?:The value '([^']*)'|^'([^']*)' is not a valid value)")


class XsdRule:
    id = "SSBT-XSD"
    severity = Severity.ERROR
    summary = "The SSBTEK payload conforms to the pack's XML Schema."
    versions = ALL_VERSIONS
    explanation = (
        "The payload (the SOAP Body's first child, a fault's detail, or a bare payload) is validated "
        "against the XSD of the pack chosen by its namespace. Every violation libxml2 reports becomes "
        "one finding with line, column, XPath and what the schema expected. The SOAP envelope itself is "
        "checked by SSBT-SOAP, not by this rule."
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
        if schema.validate(payload):
            return
        lines = _source_lines(context.message)
        # one past the limit, so the engine can say there were more (converting all is quadratic in the count)
        entries = islice(schema.error_log, context.limits.max_findings + 1)
        findings = [self._finding(context, payload, entry, lines) for entry in entries]
        yield from sorted(findings, key=lambda f: (f.line or 0, f.column or 0))

    def _finding(self, context: Context, payload, entry, lines: list[str]) -> Finding:
        matched = _ELEMENT.match(entry.message)
        element = _element_at(payload, entry, matched.group(1) if matched else None)
        attribute = None
        text = entry.message
        if matched:
            attribute = matched.group(2)
            text = text[matched.end() :]
        field = attribute or (etree.QName(element).localname if element is not None else None)
        value = _value(entry.message, element)
        nsmap = _namespaces(element if element is not None else payload)
        where = _prefixed(matched.group(1), nsmap) if matched else None
        described = f"{where}{f' @{attribute}' if attribute else ''}: " if where else ""
        message = described + _prefixed(text, nsmap).rstrip(".") + "."
        if _NO_ROOT in text and element is not None:
            message = described + _no_declaration(context, element)
        path = element_path(element) if element is not None else ""
        if attribute:
            path += f"/@{attribute}"
        line = entry.line or (element.sourceline if element is not None else None)
        return Finding(
            rule=self.id,
            severity=self.severity,
            message=scrub_text(message, field, context.show_values),
            file=context.message.name,
            line=line,
            column=_column(lines, line, element),
            path=path,
            value=masked_value(value, field, context.show_values),
        )


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


def _element_at(payload, entry, named: str | None):
    """Find the original element an error is about.

    libxml2 gives a path relative to its copy of the payload, spelled with the document's prefixes
    (`/ssbt:a/ssbt:b[2]`) or positions (`/*/*[3]`); when that fails, the line and name decide.
    """
    path = entry.path or ""
    steps = path.lstrip("/").split("/", 1)
    if path.startswith("/") and steps[0]:
        relative = steps[1] if len(steps) > 1 else "."
        namespaces = tuple(sorted((prefix, uri) for prefix, uri in payload.nsmap.items() if prefix))
        try:
            found = _xpath(relative, namespaces)(payload)
            if found and isinstance(found[0], etree._Element):
                return found[0]
        except etree.XPathError:
            pass
    local = named.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if named else None
    for element in payload.iter(etree.Element):  # comments and PIs have no QName (found by fuzzing)
        if element.sourceline == entry.line and (local is None or etree.QName(element).localname == local):
            return element
    return None


@lru_cache(maxsize=2048)
def _xpath(path: str, namespaces: tuple[tuple[str, str], ...]) -> etree.XPath:
    """A batch repeats the same few error paths; compiling each once saves most of the cost."""
    return etree.XPath(path, namespaces=dict(namespaces))


def _namespaces(element) -> dict[str, str]:
    """Namespace → prefix as the document spells it, so messages read like the XML the user has."""
    return {uri: prefix for prefix, uri in element.nsmap.items() if prefix}


def _prefixed(text: str, nsmap: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        prefix = nsmap.get(match.group(1))
        return f"{prefix}:{match.group(2)}" if prefix else match.group(2)

    return _CLARK.sub(replace, text)


def _value(message: str, element) -> str | None:
    found = _VALUE.search(message.split(": ", 1)[-1])
    if found:
        return found.group(1) if found.group(1) is not None else found.group(2)
    if element is not None and is_leaf(element) and text_of(element).strip():
        return text_of(element).strip()
    return None


#: Scanning a line costs its length per finding; a hostile one-line message of megabytes with a
#: thousand findings would cost seconds for columns nobody needs there.
_LONGEST_SCANNED_LINE = 256 * 1024


def _source_lines(message) -> list[bytes]:
    return message.raw.split(b"\n")


def _column(lines: list[str], line: int | None, element) -> int | None:
    """libxml2 gives no column for schema errors; the element's start tag on its line gives a good one."""
    if element is None or not line or line > len(lines) or len(lines[line - 1]) > _LONGEST_SCANNED_LINE:
        return None
    local = etree.QName(element).localname
    tag = f"<{element.prefix}:{local}" if element.prefix else f"<{local}"
    encoding = element.getroottree().docinfo.encoding or "utf-8"
    try:
        text = lines[line - 1].decode(encoding, errors="replace")
    except LookupError:
        return None
    for match in re.finditer(re.escape(tag) + r"[\s/>]", text + " "):
        return match.start() + 1
    return None
