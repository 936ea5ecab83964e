"""Parse one message safely and find its SSBTEK payload.

SSBTEK is SOAP 1.1 document/literal with ``soapAction=""``: the operation is known only from the
Body's first child. A message is either such an envelope or the bare payload element itself.
Parsing never loads a DTD, never expands an entity and never touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from lxml import etree

from .findings import Finding, Severity
from .inputs import Source
from .limits import DEFAULT_LIMITS, LIBXML2_MAX_DEPTH, Limits
from .prolog import encoding_problems, may_declare_doctype, sniff
from .syntax import DTD_TEXT, classify

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SSBT_NAMESPACE = re.compile(r"^http://schema\.forsakringskassan\.se/integration/ssbt/(\d+)/?$")

#: Body child local name -> (operation, direction). The operation decides nothing on its own: the
#: pack says which operations exist in which version.
OPERATION_ELEMENTS: dict[str, tuple[str, str]] = {
    "hamtaBastjanstInformation": ("hamtaBastjanstInformation", "request"),
    "hamtaBastjanstInformationResponse": ("hamtaBastjanstInformation", "answer"),
    "hamtaBastjanstInformationFault": ("hamtaBastjanstInformation", "fault"),
    "testaBastjanstInformation": ("testaBastjanstInformation", "request"),
    "testaBastjanstInformationResponse": ("testaBastjanstInformation", "answer"),
    "testaBastjanstInformationFault": ("testaBastjanstInformation", "fault"),
}


@cache
def safe_parser() -> etree.XMLParser:
    """A parser that cannot be made to read anything but the bytes it is given.

    Cached: building a parser costs as much as parsing a small message. One per process is safe
    because lxml parsers keep no document state between calls in one thread.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


@dataclass(slots=True)
class Message:
    """A parsed message. ``payload`` is the SSBTEK element (Body child, fault detail, or the root)."""

    name: str
    raw: bytes
    root: etree._Element | None = None
    payload: etree._Element | None = None
    operation: str | None = None
    direction: str | None = None
    #: namespace URI of the payload, where version detection starts
    namespace: str | None = None
    enveloped: bool = False
    findings: list[Finding] = field(default_factory=list)
    #: upper bound on the nodes the parse built (see node_estimate); nested payloads get the rest of the budget
    nodes: int = 0

    def finding(self, rule: str, severity: Severity, message: str, element=None, **extra) -> Finding:
        found = Finding(
            rule=rule,
            severity=severity,
            message=message,
            file=self.name,
            line=extra.pop("line", element.sourceline if element is not None else None),
            path=extra.pop("path", element_path(element) if element is not None else ""),
            **extra,
        )
        self.findings.append(found)
        return found


def child(element: etree._Element | None, *names: str) -> etree._Element | None:
    """The first child element with each local name in turn, in any namespace; None where one is missing.

    ``iterchildren`` matches in C, where ``find("{*}name")`` parses its path through lxml's ElementPath
    in Python: that alone was ~4 % of a batch's time in the request rules.
    """
    for name in names:
        if element is None:
            return None
        element = next(element.iterchildren("{*}" + name), None)
    return element


def element_path(element: etree._Element | None) -> str:
    """A readable XPath with prefixes taken from the document (`/soapenv:Envelope/soapenv:Body/...`).

    Unlike lxml's ``getpath`` it names default-namespace elements instead of writing ``*``.
    """
    if element is None:
        return ""
    try:
        fast = element.getroottree().getpath(element)  # libxml2, in C; spells default-namespace steps "*"
    except (UnicodeDecodeError, ValueError):  # a name libxml2 stores in bytes lxml cannot decode (found by fuzzing)
        fast = "*"
    if "*" not in fast:
        return fast
    steps: list[str] = []
    node = element
    while node is not None:
        tag = node.tag
        if isinstance(tag, str):
            local = tag.rsplit("}", 1)[-1]
            name = f"{node.prefix}:{local}" if node.prefix else local
            before = sum(1 for _ in node.itersiblings(tag, preceding=True))
            if before or next(node.itersiblings(tag), None) is not None:
                name += f"[{before + 1}]"
            steps.append(name)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def parse(source: Source, limits: Limits = DEFAULT_LIMITS) -> Message:
    message = Message(name=source.name, raw=source.data or b"")
    if source.data is None:
        rule = "SSBT-LIMIT" if source.problem_kind == "limit" else "SSBT-READ"
        message.finding(rule, Severity.ERROR, f"Input not checked: {source.problem}.")
        return message
    if not source.data or source.data.isspace():
        message.finding("SSBT-EMPTY", Severity.ERROR, "The input is empty; expected a SOAP 1.1 envelope.")
        return message
    message.nodes = node_estimate(source.data, XML_MARKERS, limits)
    if message.nodes > limits.max_nodes:
        message.finding("SSBT-LIMIT", Severity.ERROR, nodes_text("The message", limits), line=1)
        return message
    prolog = sniff(source.data)
    try:
        root = etree.fromstring(source.data, safe_parser())
    except etree.XMLSyntaxError as exc:
        problem = classify(exc, source.data, prolog)
        message.finding(problem.rule, Severity.ERROR, problem.message, line=problem.line, column=problem.column)
        return message
    if root is None:
        message.finding("SSBT-WELLFORMED", Severity.ERROR, "No root element found.")
        return message
    message.root = root
    if may_declare_doctype(source.data, prolog) and _has_dtd(root):  # cheap pre-check: no "<!", no DOCTYPE
        message.finding("SSBT-DTD", Severity.ERROR, DTD_TEXT, line=1)
        return message
    for fatal, text in encoding_problems(source.data, prolog):
        message.finding("SSBT-ENCODING", Severity.ERROR if fatal else Severity.WARNING, text, line=1)
    if limits.max_depth < LIBXML2_MAX_DEPTH and _too_deep(root, limits.max_depth):
        message.finding(
            "SSBT-LIMIT",
            Severity.ERROR,
            f"Elements nest deeper than the limit of {limits.max_depth} (raise it with --max-depth, "
            f"up to {LIBXML2_MAX_DEPTH}); not checked further.",
            line=1,
        )
        return message
    _locate_payload(message, root)
    return message


#: Bytes that open a node: every element and text node follows a ``<``, every attribute has a ``=``.
XML_MARKERS = b"<="
#: Every JSON value but the first follows a ``,`` or opens a container.
JSON_MARKERS = b"[{,"


def node_estimate(data: bytes, markers: bytes, limits: Limits) -> int:
    """An upper bound on the nodes a document builds, from a C-speed count of the bytes that open them.

    Free for ordinary messages: one no longer than half the budget is bounded by its length, which
    leaves its nested payloads (never longer than it) the other half.
    """
    if len(data) <= limits.max_nodes // 2:
        return len(data)
    return count_markers(data, markers)


_SINGLE_BYTES = {markers: tuple(bytes([m]) for m in markers) for markers in (XML_MARKERS, JSON_MARKERS)}


def count_markers(data: bytes, markers: bytes) -> int:
    # twice: an element comes with a text node, an attribute with its value node
    return 2 * sum(data.count(marker) for marker in _SINGLE_BYTES[markers])


def nodes_text(what: str, limits: Limits) -> str:
    return (
        f"{what} would take the message past {limits.max_nodes:,} nodes (elements, attributes, text, JSON "
        "values), the limit that bounds memory (raise it with --max-nodes); not checked."
    )


def _has_dtd(root: etree._Element) -> bool:
    docinfo = root.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None or docinfo.externalDTD is not None


def _too_deep(root: etree._Element, max_depth: int) -> bool:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in node if isinstance(child.tag, str))
    return False


def _element_children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _locate_payload(message: Message, root: etree._Element) -> None:
    qname = etree.QName(root)
    if qname.namespace == SOAP11 and qname.localname == "Envelope":
        message.enveloped = True
        _locate_in_envelope(message, root)
        return
    if qname.namespace == SOAP12 and qname.localname == "Envelope":
        message.finding(
            "SSBT-SOAP",
            Severity.ERROR,
            f"SOAP 1.2 envelope ({SOAP12}); SSBTEK is SOAP 1.1 ({SOAP11}).",
            root,
        )
        return
    if qname.namespace and SSBT_NAMESPACE.match(qname.namespace):
        _set_payload(message, root)
        return
    message.finding(
        "SSBT-SOAP",
        Severity.ERROR,
        f"Root element {{{qname.namespace or ''}}}{qname.localname} is neither a SOAP 1.1 Envelope nor an "
        "SSBTEK payload element.",
        root,
    )


def _locate_in_envelope(message: Message, envelope: etree._Element) -> None:
    children = _element_children(envelope)
    bodies = [c for c in children if c.tag == f"{{{SOAP11}}}Body"]
    unexpected = [c for c in children if c.tag not in (f"{{{SOAP11}}}Body", f"{{{SOAP11}}}Header")]
    for extra in unexpected:
        message.finding("SSBT-SOAP", Severity.ERROR, "Envelope may hold only soap:Header and soap:Body.", extra)
    if len(bodies) != 1:
        message.finding(
            "SSBT-SOAP", Severity.ERROR, f"Envelope must hold exactly one soap:Body, found {len(bodies)}.", envelope
        )
        return
    body = bodies[0]
    content = _element_children(body)
    if not content:
        message.finding("SSBT-SOAP", Severity.ERROR, "soap:Body is empty; expected an SSBTEK operation element.", body)
        return
    if len(content) > 1:
        message.finding(
            "SSBT-SOAP",
            Severity.ERROR,
            f"soap:Body holds {len(content)} elements; document/literal SSBTEK carries exactly one.",
            content[1],
        )
    first = content[0]
    if first.tag == f"{{{SOAP11}}}Fault":
        _locate_in_fault(message, first)
        return
    _set_payload(message, first)


def _locate_in_fault(message: Message, fault: etree._Element) -> None:
    message.direction = "fault"
    detail = fault.find("detail")
    if detail is None:
        detail = fault.find(f"{{{SOAP11}}}detail")
    inner = _element_children(detail) if detail is not None else []
    for element in inner:
        namespace = etree.QName(element).namespace or ""
        if SSBT_NAMESPACE.match(namespace):
            _set_payload(message, element)
            return
    code = fault.findtext("faultcode") or "?"
    message.finding(
        "SSBT-SOAP-FAULT",
        Severity.INFO,
        f"Generic SOAP fault (faultcode {code.strip()}) without an SSBTEK fault detail; "
        "Försäkringskassan answers this way e.g. to an envelope in a namespace it does not serve.",
        fault,
    )


def _set_payload(message: Message, element: etree._Element) -> None:
    qname = etree.QName(element)
    message.payload = element
    message.namespace = qname.namespace
    known = OPERATION_ELEMENTS.get(qname.localname)
    if known:
        message.operation, message.direction = known
    elif SSBT_NAMESPACE.match(qname.namespace or ""):
        names = ", ".join(OPERATION_ELEMENTS)
        message.finding(
            "SSBT-OPERATION",
            Severity.ERROR,
            f"{qname.localname} is not an SSBTEK operation element; expected one of {names}.",
            element,
        )
