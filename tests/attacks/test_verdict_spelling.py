"""Verdicts that do not depend on how a message is spelt, and spellings that must not pass.

Each case here was a wrong verdict: a false alarm on what a real stack sends and the service reads, or
a pass for something the service would read differently from the checker. Every case names the public
rule it rests on (XML 1.0, XML Schema 1.0, SOAP 1.1, RFC 4648, RFC 8259).
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from ssbtek_validator import validate, validate_pair
from ssbtek_validator.api import packs_with
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import safe_parser
from ssbtek_validator.run.options import Options

CORPUS = Path(__file__).resolve().parent.parent.parent / "corpus"
AS_OF = date(2026, 10, 14)
#: a value in the lexical space of xs:date, xs:dateTime, xs:gYearMonth (the date and time types libxml2 mishandles)
_DATE_LIKE = re.compile(r"^-?\d{4}-\d\d(-\d\d)?(T\d\d:\d\d:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$")


def _findings(data: bytes) -> list[tuple]:
    result = validate(data, as_of=AS_OF)
    return sorted((f.rule, str(f.severity), f.path, f.message) for m in result.messages for f in m.findings)


@cache
def _corpus() -> list[tuple[str, bytes]]:
    """Every corpus message lxml reads, by name."""
    found = []
    for path in sorted(CORPUS.glob("v*/*.xml")) + sorted(CORPUS.glob("pairs/*.xml")):
        try:
            root = etree.fromstring(path.read_bytes(), safe_parser())
        except etree.XMLSyntaxError:
            continue
        if root is not None:
            found.append((str(path.relative_to(CORPUS)), path.read_bytes()))
    return found


@cache
def _baseline(name: str) -> list[tuple]:
    return _findings(dict(_corpus())[name])


# --- XML Schema 1.0 Part 2, 4.3.6: every atomic type not derived from xs:string collapses whitespace ---------


def _pad_dates(data: bytes, pad: str) -> bytes | None:
    root = etree.fromstring(data, safe_parser())
    padded = False
    for element in root.iter(etree.Element):
        if len(element) == 0 and element.text and _DATE_LIKE.match(element.text):
            element.text = pad + element.text + pad[::-1]
            padded = True
    return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True) if padded else None


def test_whitespace_around_every_date_and_time_value_changes_no_finding():
    """``<fromDatum> 2026-09-01 </fromDatum>`` is a valid xs:date (whiteSpace is fixed at collapse for it),
    and the service's stack reads it as 2026-09-01; libxml2 2.14 called it invalid. Every date, dateTime
    and gYearMonth value of every corpus message padded with XML whitespace gives the same findings."""
    checked = 0
    for name, data in _corpus():
        padded = _pad_dates(data, "\n\t \r\n ")
        if padded is not None:
            checked += 1
            assert _findings(padded) == _findings(_pad_dates(data, "")), name
    assert checked > 20


def test_a_padded_date_that_is_no_date_is_still_refused():
    data = (CORPUS / "v10/request-minimal.xml").read_bytes().replace(b">2026-09-01<", b">\n  2026-13-01\t<")
    findings = [f for m in validate(data, as_of=AS_OF).messages for f in m.findings]
    assert [(f.rule, f.path.rsplit("/", 1)[-1]) for f in findings] == [("SSBT-XSD", "ssbt:fromDatum")]
    assert "'xs:date'" in findings[0].message


# --- documents that arrive as characters: their declaration names bytes that no longer exist ------------------

_UTF8_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


@pytest.mark.parametrize(
    "declaration",
    [
        '<?xml version="1.0" encoding="utf-16"?>',  # what a .NET StringWriter always writes
        "<?xml version='1.0' encoding='UTF-16' standalone='yes'?>",
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        '<?xml version="1.0" encoding="windows-1252"?>',
    ],
)
def test_an_skv_string_is_read_as_characters_whatever_encoding_it_declares(declaration):
    """SKV's v10 answer is a string in the SOAP message; its receiver parses characters and ignores the
    declared name (XML 1.0, 4.3.3 and appendix F). Encoded as UTF-8 under a UTF-16 name it was refused
    ("Blank needed here"), under a Latin-1 name its å, ä, ö were garbled."""
    text = (CORPUS / "v10/answer-skv-sfs2008-975.xml").read_text(encoding="utf-8").replace("Tolvan<", "Tölvan<")
    assert text.count(_UTF8_DECLARATION) == 2  # the message's own and the SKV string's (inside CDATA)
    outer, inner = text.split(_UTF8_DECLARATION, 2)[1:]
    as_declared = (_UTF8_DECLARATION + outer + declaration + inner).encode("utf-8")
    assert _findings(as_declared) == _findings((_UTF8_DECLARATION + outer + _UTF8_DECLARATION + inner).encode())
    assert validate(as_declared, as_of=AS_OF).exit_code == 0


def _capture(tmp_path: Path, change) -> Path:
    capture = json.loads((CORPUS / "har/session.har").read_text(encoding="utf-8"))
    capture["log"]["entries"] = capture["log"]["entries"][:1]
    change(capture["log"]["entries"][0])
    path = tmp_path / "capture.har"
    path.write_text(json.dumps(capture), encoding="utf-8")
    return path


def _capture_findings(path: Path) -> list[tuple]:
    result = validate(path, as_of=AS_OF)
    found = [(f.rule, f.message) for m in result.messages for f in m.findings]
    return sorted(found + [(f.rule, f.message) for e in result.exchanges for f in e.findings])


@pytest.mark.parametrize("charset", ["utf-16", "ISO-8859-1"])
def test_a_har_body_recorded_as_text_is_read_as_characters(tmp_path, charset):
    """A HAR capture's body text is what the recorder decoded; a UTF-16 message so recorded was refused as not
    well-formed, a Latin-1 one drew an encoding warning about bytes the capture does not hold."""

    def declare(entry):
        posted = entry["request"]["postData"]
        posted["text"] = posted["text"].replace('encoding="UTF-8"', f'encoding="{charset}"')
        posted["mimeType"] = f"text/xml; charset={charset}"

    baseline = _capture_findings(_capture(tmp_path, lambda entry: None))
    assert _capture_findings(_capture(tmp_path, declare)) == baseline


def test_a_har_base64_body_may_be_wrapped_in_lines(tmp_path):
    """RFC 2045 wraps base64 at 76 characters; whitespace is no data (RFC 4648, 3.3): the body decodes."""

    def wrap(entry):
        content = entry["response"]["content"]
        content["text"] = base64.encodebytes(content["text"].encode("utf-8")).decode("ascii")
        content["encoding"] = "base64"

    baseline = _capture_findings(_capture(tmp_path, lambda entry: None))
    assert _capture_findings(_capture(tmp_path, wrap)) == baseline


# --- JSON a checker and the service could read differently ------------------------------------------------------

_FK_JSON = re.compile(rb"(<ssbt:lefiJson(?:Fraga|Svar)>)([^<]+)(</ssbt:lefiJson(?:Fraga|Svar)>)")
#: the FK payload an answer is judged by (an answer may also echo the question's lefiJsonFraga)
_FK_ANSWER_JSON = re.compile(rb"(<ssbt:lefiJsonSvar>)([^<]+)(</ssbt:lefiJsonSvar>)")


def _fk_json(data: bytes) -> re.Pattern[bytes]:
    return _FK_ANSWER_JSON if b"hamtaBastjanstInformationResponse" in data else _FK_JSON


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are no JSON: a case of their own in the corpus


@cache
def _json_carriers() -> list[tuple[str, object]]:
    """Corpus messages whose FK payload decodes to a JSON object, with that object."""
    found = []
    for name, data in _corpus():
        matched = _fk_json(data).search(data)
        if matched:
            try:
                document = json.loads(base64.b64decode(matched.group(2)), parse_constant=_no_constant)
            except ValueError:
                continue
            if isinstance(document, dict):
                found.append((name, document))
    return found


def _objects(node, path=()):
    if isinstance(node, dict):
        if node:
            yield path
        for key, value in node.items():
            yield from _objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, (*path, index))


def _dump_twice(node, path, name: str, first) -> str:
    """JSON text of ``node`` with member ``name`` of the object at ``path`` written twice, ``first`` first."""
    if not path:
        members = [f"{json.dumps(name)}:{json.dumps(first)}"]
        members += [f"{json.dumps(k)}:{json.dumps(v)}" for k, v in node.items()]
        return "{" + ",".join(members) + "}"
    step, rest = path[0], path[1:]
    if isinstance(node, dict):
        inner = [
            f"{json.dumps(k)}:{_dump_twice(v, rest, name, first) if k == step else json.dumps(v)}"
            for k, v in node.items()
        ]
        return "{" + ",".join(inner) + "}"
    items = (_dump_twice(v, rest, name, first) if i == step else json.dumps(v) for i, v in enumerate(node))
    return "[" + ",".join(items) + "]"


@given(st.data())
def test_a_json_name_given_twice_is_refused_whichever_value_comes_first(data):
    """``{"personnummer": "x", "personnummer": "191212121212"}``: Python keeps the last value, other parsers the
    first (RFC 8259, section 4), so a checker reading one passed what the service may read as the other."""
    name, document = data.draw(st.sampled_from(_json_carriers()))
    path = data.draw(st.sampled_from(list(_objects(document))))
    target = document
    for step in path:
        target = target[step]
    member = data.draw(st.sampled_from(sorted(target)))
    first = data.draw(st.sampled_from([target[member], "not what the service reads", None]))
    text = _dump_twice(document, path, member, first).encode("utf-8")
    original = dict(_corpus())[name]
    message = _fk_json(original).sub(lambda m: m.group(1) + base64.b64encode(text) + m.group(3), original, count=1)
    findings = [f for m in validate(message, as_of=AS_OF).messages for f in m.findings if f.rule == "SSBT-PAYLOAD-JSON"]
    assert len(findings) == 1 and f'"{member}" twice' in findings[0].message, (name, path, member)


@pytest.mark.parametrize(
    "escaped, finding",
    [
        ("\\ud800", True),  # a high half alone: no character (RFC 8259, section 8.2)
        ("1912\\udc00", True),  # a low half alone
        ("\\ud83d\\ude00", False),  # a pair: one character, U+1F600
        ("\\\\ud800", False),  # an escaped backslash, then the letters ud800
        ("\\u0031\\u0039", False),  # escaped digits mean the digits (RFC 8259, section 7)
    ],
)
def test_half_a_surrogate_pair_in_json_is_a_finding_not_a_rule_that_could_not_run(escaped, finding):
    """A lone surrogate escape made the LEFI rule crash (SSBT-RULE-FAILED: the message was incomplete)."""
    data = (CORPUS / "v10/bare-request.xml").read_bytes()
    matched = _FK_JSON.search(data)
    text = base64.b64decode(matched.group(2)).replace(b'"period"', b'"x' + escaped.encode() + b'":1,"period"')
    message = data.replace(matched.group(2), base64.b64encode(text))
    rules = [f.rule for m in validate(message, as_of=AS_OF).messages for f in m.findings]
    assert "SSBT-RULE-FAILED" not in rules
    assert ("SSBT-PAYLOAD-JSON" in rules) is finding, rules


def test_a_json_payload_with_a_byte_order_mark_says_so():
    """RFC 8259, section 8.1: a JSON text sent between systems must not start with a BOM; the finding says that,
    not Python's advice to decode with utf-8-sig."""
    data = (CORPUS / "v10/bare-request.xml").read_bytes()
    matched = _FK_JSON.search(data)
    bom = base64.b64encode(b"\xef\xbb\xbf" + base64.b64decode(matched.group(2)))
    findings = [f for m in validate(data.replace(matched.group(2), bom), as_of=AS_OF).messages for f in m.findings]
    assert [f.rule for f in findings] == ["SSBT-PAYLOAD-JSON"]
    assert "byte order mark" in findings[0].message and "utf-8-sig" not in findings[0].message


# --- the bytes of a nested XML document are held to what the outer message is held to -----------------------

_CSN = re.compile(rb"(<ssbt:svar>)([^<]+)(</ssbt:svar>)")
_UTF8_BYTES = _UTF8_DECLARATION.encode()


def _csn_answer(change) -> bytes:
    data = (CORPUS / "v10/answer-minimal.xml").read_bytes()
    matched = _CSN.search(data)
    document = base64.b64decode(matched.group(2))
    assert document.startswith(_UTF8_BYTES) and not document.isascii()  # "för" in a klartext
    return data.replace(matched.group(2), base64.b64encode(change(document[len(_UTF8_BYTES) :])))


@pytest.mark.parametrize(
    "change, severity",
    [
        # a UTF-16 BOM that contradicts the declaration: a fatal error (XML 1.0, 4.3.3) libxml2 lets pass
        (lambda body: b"\xff\xfe" + (_UTF8_DECLARATION + body.decode()).encode("utf-16-le"), "error"),
        (lambda body: b"\xef\xbb\xbf" + b'<?xml version="1.0" encoding="ISO-8859-1"?>' + body, "error"),
        # UTF-8 bytes named Latin-1: "för" arrives as "fÃ¶r"
        (lambda body: b'<?xml version="1.0" encoding="ISO-8859-1"?>' + body, "warning"),
    ],
    ids=["utf16-bom-declares-utf8", "utf8-bom-declares-latin1", "latin1-named-utf8-bytes"],
)
def test_a_nested_document_whose_encoding_lies_is_a_finding(change, severity):
    findings = [f for m in validate(_csn_answer(change), as_of=AS_OF).messages for f in m.findings]
    assert [(f.rule, str(f.severity)) for f in findings if f.rule == "SSBT-ENCODING"] == [("SSBT-ENCODING", severity)]
    assert all(f.path.endswith("ssbt:CSN/ssbt:data/ssbt:svar") for f in findings if f.rule == "SSBT-ENCODING")


def test_an_honest_nested_document_in_utf16_is_no_finding():
    def as_utf16(body: bytes) -> bytes:
        return b"\xff\xfe" + ('<?xml version="1.0" encoding="UTF-16"?>' + body.decode()).encode("utf-16-le")

    assert _findings(_csn_answer(as_utf16)) == _findings(_csn_answer(lambda body: _UTF8_BYTES + body))


def test_an_echo_finding_quotes_no_name_put_where_a_date_belongs():
    """Exchange findings see no message's values to mask; a name written as frageTidpunkt was quoted whole."""
    request = (CORPUS / "v10/request-full.xml").read_bytes()
    request = request.replace(b">2026-10-14T09:12:33.418+02:00<", b">Tolvan Tolvansson<")
    answer = (CORPUS / "v10/answer-minimal.xml").read_bytes()  # echoes neither korrelationsid nor frageTidpunkt
    paired = validate_pair(Source("request", request), Source("answer", answer), Options(as_of=AS_OF), packs_with())
    findings = [f for e in paired.exchanges for f in e.findings]
    assert "SSBT-PAIR-FRAGETIDPUNKT" in [f.rule for f in findings]
    assert not any("Tolvan" in f.message for f in findings)


# --- the SOAP 1.1 envelope: what the note forbids, what stacks write ---------------------------------------------

_REQUEST = (CORPUS / "v10/request-minimal.xml").read_text(encoding="utf-8")


def _soap_findings(text: str) -> list[tuple[str, str]]:
    found = [f for m in validate(text.encode("utf-8"), as_of=AS_OF).messages for f in m.findings]
    return [(f.rule, str(f.severity)) for f in found]


@pytest.mark.parametrize(
    "old, new",
    [
        ("<soapenv:Envelope ", '<?xml-stylesheet href="view.xsl"?>\n<soapenv:Envelope '),
        ("</soapenv:Envelope>", "</soapenv:Envelope><?trailer?>"),
        ("<ssbt:personidentitet>1912", "<ssbt:personidentitet>1912<?x y?>"),
        ("<soapenv:Header/>", "<soapenv:Header><?a?><?b?></soapenv:Header>"),
    ],
    ids=["before-the-envelope", "after-it", "inside-a-value", "two-in-the-header"],
)
def test_a_processing_instruction_in_a_soap_message_is_one_soap_error(old, new):
    """SOAP 1.1, section 3: "A SOAP message MUST NOT contain Processing Instructions" (Axis2 faults on one)."""
    assert _soap_findings(_REQUEST.replace(old, new, 1)) == [("SSBT-SOAP", "error")]


def test_a_cdata_section_holding_a_declaration_is_no_processing_instruction():
    assert _findings((CORPUS / "v10/answer-skv-sfs2008-975.xml").read_bytes()) == []


@pytest.mark.parametrize("element", ["soapenv:Envelope", "soapenv:Body", "soapenv:Header"])
def test_encoding_style_on_the_envelope_is_a_soap_error(element):
    """WS-I Basic Profile 1.1, R1005: no soap:encodingStyle on an element of the SOAP namespace (document/literal);
    on the payload the schema already refuses it."""
    text = _REQUEST.replace("<soapenv:Header/>", "<soapenv:Header></soapenv:Header>")
    text = text.replace(
        f"<{element}", f'<{element} soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"', 1
    )
    assert _soap_findings(text) == [("SSBT-SOAP", "error")]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", []),
        ("0", []),
        ("true", [("SSBT-SOAP", "warning")]),  # SOAP 1.2's spelling, read by many 1.1 stacks
        ("yes", [("SSBT-SOAP", "error")]),
    ],
)
def test_must_understand_is_1_or_0(value, expected):
    """SOAP 1.1, section 4.2.3: the value of mustUnderstand is "1" or "0". The entry is for an intermediary
    (its own actor), so only the spelling is judged here."""
    header = (
        '<soapenv:Header><w:Security xmlns:w="urn:example:security" '
        f'soapenv:mustUnderstand="{value}" soapenv:actor="urn:example:gateway"/></soapenv:Header>'
    )
    assert _soap_findings(_REQUEST.replace("<soapenv:Header/>", header)) == expected


_MUST_UNDERSTAND_WARNING = [("SSBT-SOAP", "warning")]


@pytest.mark.parametrize(
    "attributes, expected",
    [
        ('soapenv:mustUnderstand="1"', _MUST_UNDERSTAND_WARNING),  # the ultimate receiver: the service
        (
            'soapenv:mustUnderstand=" 1 " soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next"',
            _MUST_UNDERSTAND_WARNING,
        ),
        ('soapenv:mustUnderstand="true"', [("SSBT-SOAP", "warning")] * 2),  # the spelling, and the demand
        ('soapenv:mustUnderstand="0"', []),
        ("", []),  # an entry the receiver may ignore: WS-Addressing as most clients send it
        ('soapenv:mustUnderstand="1" soapenv:actor="urn:example:gateway"', []),  # for an intermediary
    ],
)
def test_a_header_the_receiver_must_understand_is_a_warning(attributes, expected):
    """The SSBTEK WSDL binds no SOAP header: a receiver that does not process a header entry it must understand
    answers with a MustUnderstand fault (SOAP 1.1, 4.2.3), so a message carrying one is warned about; one the
    receiver may ignore, or one for an intermediary, is nothing to the service."""
    header = (
        '<soapenv:Header><wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing" '
        f"{attributes}>urn:example:action</wsa:Action></soapenv:Header>"
    )
    assert _soap_findings(_REQUEST.replace("<soapenv:Header/>", header)) == expected


# --- re-spelling a message: the same infoset, the same verdict ------------------------------------------------
#
# XML 1.0 and Namespaces in XML make all of these the same document: which prefix names a namespace (or a default
# namespace), namespace declarations repeated where they are in scope already, text as CDATA, character references
# or predefined entities, attribute values in single or double quotes, <a></a> for <a/>, an XML declaration in
# either quotes with standalone, or none (UTF-8 and UTF-16 with a BOM need none), CRLF line ends (read as LF),
# UTF-8 with or without a BOM, UTF-16 either way round. A service's parser sees one document; so must we.

_XML_SPACE_CHARS = "\n\t "


class _Spelling:
    def __init__(self, random, prefixes: dict[str, str | None], quote: str, redundant: bool) -> None:
        self.random, self.prefixes, self.quote, self.redundant = random, prefixes, quote, redundant

    def text(self, text: str | None) -> str:
        if not text:
            return ""
        style = self.random.choice(["plain", "cdata", "references", "entities"])
        if style == "cdata" and "]]>" not in text and "\r" not in text:
            return "<![CDATA[" + text + "]]>"
        if style == "references":
            return "".join(c if c in _XML_SPACE_CHARS else f"&#{ord(c)};" for c in text)
        table = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
        if style == "entities":
            table |= {'"': "&quot;", "'": "&apos;"}
        return "".join(table.get(c, c) for c in text)

    def attribute(self, value: str) -> str:
        table = {
            "&": "&amp;",
            "<": "&lt;",
            "\n": "&#10;",
            "\r": "&#13;",
            "\t": "&#9;",
            self.quote: f"&#{ord(self.quote)};",
        }
        return "".join(table.get(c, c) for c in value)

    def element(self, element, scope: dict[str | None, str]) -> str:
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Comment):
                return f"<!--{element.text or ''}-->" + self.text(element.tail)
            return f"<?{element.target} {element.text or ''}?>" + self.text(element.tail)
        scope = dict(scope)
        declarations: dict[str | None, str] = {}
        qname = etree.QName(element)
        if qname.namespace:
            prefix = self.prefixes[qname.namespace]
            name = f"{prefix}:{qname.localname}" if prefix else qname.localname
            if scope.get(prefix) != qname.namespace or self.redundant:
                declarations[prefix] = qname.namespace
        else:
            name = qname.localname
            if scope.get(None):
                declarations[None] = ""  # an unqualified element under a default namespace undeclares it
        attributes = []
        for key, value in element.attrib.items():
            attribute = etree.QName(key)
            if attribute.namespace:
                prefix = self.prefixes[attribute.namespace] or "a0"  # an attribute takes no default namespace
                if scope.get(prefix) != attribute.namespace and declarations.get(prefix) != attribute.namespace:
                    declarations[prefix] = attribute.namespace
                if key == _XSI_TYPE and ":" in value:
                    # a QName in content binds its prefix where it stands: spelt on its own prefix, declared here
                    type_prefix, local = value.strip().split(":", 1)
                    declarations["q0"] = element.nsmap[type_prefix]
                    value = f"q0:{local}"
                attributes.append((f"{prefix}:{attribute.localname}", value))
            else:
                attributes.append((attribute.localname, value))
        q = self.quote
        parts = [name]
        for prefix, namespace in declarations.items():
            parts.append(f"{'xmlns' if prefix is None else 'xmlns:' + prefix}={q}{self.attribute(namespace)}{q}")
            scope[prefix] = namespace
        parts += [f"{key}={q}{self.attribute(value)}{q}" for key, value in attributes]
        if len(element) == 0 and not element.text:
            empty = f"<{' '.join(parts)}/>" if self.random.random() < 0.5 else f"<{' '.join(parts)}></{name}>"
            return empty + self.text(element.tail)
        inner = self.text(element.text) + "".join(self.element(child, scope) for child in element)
        return f"<{' '.join(parts)}>{inner}</{name}>" + self.text(element.tail)


_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@st.composite
def respelt(draw):
    """A corpus message (lxml's own UTF-8 serialisation is the baseline) and the same document spelt otherwise."""
    name, data = draw(st.sampled_from(_corpus()))
    root = etree.fromstring(data, safe_parser())
    random = draw(st.randoms(use_true_random=False))
    namespaces = sorted(
        {etree.QName(n).namespace for e in root.iter(etree.Element) for n in (e.tag, *e.attrib)} - {None}
    )
    default = draw(st.sampled_from([None, *namespaces]))
    prefixes = {ns: (None if ns == default else f"p{index}") for index, ns in enumerate(namespaces)}
    spelling = _Spelling(random, prefixes, draw(st.sampled_from(['"', "'"])), draw(st.booleans()))
    body = "".join(
        spelling.element(node, {None: ""})
        for node in (*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings())
    )
    encoding = draw(st.sampled_from(["UTF-8", "UTF-8-BOM", "UTF-16LE", "UTF-16BE"]))
    label = "UTF-16" if encoding.startswith("UTF-16") else "UTF-8"
    version = root.getroottree().docinfo.xml_version or "1.0"  # the version is the document's, not a spelling
    declaration = draw(
        st.sampled_from(
            [
                f'<?xml version="{version}" encoding="{label}"?>\n',
                f"<?xml version='{version}' encoding='{label}' standalone='yes'?>\r\n",
                "" if encoding != "UTF-8" and version == "1.0" else f'<?xml version="{version}"?>\n',
            ]
        )
    )
    text = declaration + body
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")  # also inside CDATA: XML 1.0 (2.11) reads every CRLF as LF
    codec, bom = {
        "UTF-8": ("utf-8", b""),
        "UTF-8-BOM": ("utf-8", b"\xef\xbb\xbf"),
        "UTF-16LE": ("utf-16-le", b"\xff\xfe"),
        "UTF-16BE": ("utf-16-be", b"\xfe\xff"),
    }[encoding]
    baseline = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return name, baseline, bom + text.encode(codec)


_PREFIXED = re.compile(r"(?<![\w.-])[A-Za-z_][\w.-]*:(?=[A-Za-z_])")


def _spelling_free(data: bytes) -> list[tuple]:
    """Findings without what depends on the spelling: prefixes in paths and messages, lines and columns."""
    result = validate(data, as_of=AS_OF)
    return sorted(
        (f.rule, str(f.severity), _PREFIXED.sub("", f.path), _PREFIXED.sub("", f.message))
        for m in result.messages
        for f in m.findings
    )


@given(respelt())
def test_the_same_document_spelt_otherwise_has_the_same_findings(case):
    name, baseline, respelt_bytes = case
    assert _spelling_free(respelt_bytes) == _spelling_free(baseline), name


_FAULT = (CORPUS / "v10/fault-ssbt.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "old, new",
    [
        ("<faultstring>Fel vid hantering av förfrågan</faultstring>", ""),
        ("<faultcode>soapenv:Server</faultcode>", ""),
        ("<faultcode>soapenv:Server</faultcode>", "<soapenv:faultcode>soapenv:Server</soapenv:faultcode>"),
        ("</detail>", "</detail><detail/>"),
        ("</detail>", "</detail><Reason>SOAP 1.2 only</Reason>"),
    ],
    ids=["no-faultstring", "no-faultcode", "qualified-faultcode", "two-details", "other-child"],
)
def test_a_soap_fault_not_in_the_shape_of_soap_11_is_one_soap_error(old, new):
    """SOAP 1.1, section 4.4: faultcode and faultstring once each, faultactor and detail at most once, all
    unqualified; WS-I Basic Profile 1.1, R1000: nothing else. These all passed while the detail was valid."""
    assert _soap_findings(_FAULT) == []
    assert _soap_findings(_FAULT.replace(old, new, 1)) == [("SSBT-SOAP", "error")]


@given(st.permutations(["faultcode", "faultstring", "faultactor", "detail"]))
def test_a_fault_whose_children_leave_the_schemas_order_draws_one_warning(order):
    """The SOAP 1.1 envelope schema declares soap:Fault's children as a sequence: another order is refused by a
    receiver that validates the envelope (a warning: stacks reading by name accept it), and said once."""
    parts = {
        "faultcode": "<faultcode>soapenv:Server</faultcode>",
        "faultstring": "<faultstring>Fel vid hantering av förfrågan</faultstring>",
        "faultactor": "<faultactor>https://ssbtek-test.example.se/ssbtek</faultactor>",
    }
    detail = _FAULT[_FAULT.index("<detail>") : _FAULT.index("</detail>") + len("</detail>")]
    parts["detail"] = detail
    start, end = _FAULT.index("<faultcode>"), _FAULT.index("</detail>") + len("</detail>")
    shuffled = _FAULT[:start] + "".join(parts[name] for name in order) + _FAULT[end:]
    expected = [] if order == ["faultcode", "faultstring", "faultactor", "detail"] else [("SSBT-SOAP", "warning")]
    assert _soap_findings(shuffled) == expected


def test_a_utf16_declaration_over_one_byte_characters_is_an_encoding_finding_that_says_so():
    """A message re-encoded as UTF-8 with its UTF-16 declaration kept: libxml2 says only "Blank needed here"."""
    text = _REQUEST.replace('encoding="UTF-8"', 'encoding="UTF-16"', 1)
    findings = [f for m in validate(text.encode("utf-8"), as_of=AS_OF).messages for f in m.findings]
    assert [f.rule for f in findings] == ["SSBT-ENCODING"]
    assert 'declares encoding="UTF-16" but has no byte order mark' in findings[0].message

    nested = _csn_answer(lambda body: b'<?xml version="1.0" encoding="UTF-16"?>' + body)
    findings = [f for m in validate(nested, as_of=AS_OF).messages for f in m.findings]
    assert [f.rule for f in findings] == ["SSBT-ENCODING"]
    assert "CSN payload (base64 xml): the decoded document declares" in findings[0].message


# --- MTOM/XOP: another serialisation of the same document (XOP 1.0) ----------------------------------------------

_XOP_INCLUDE = '<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:{cid}"/>'


def _mtom(entry, attachment: bytes | None, *, as_base64: bool = False, quoted_start: bool = True) -> None:
    """The request of a HAR entry as an MTOM package: lefiJsonFraga moved out into a binary part."""
    posted = entry["request"]["postData"]
    matched = re.search(r"(<ssbt:lefiJsonFraga>)([^<]+)(</ssbt:lefiJsonFraga>)", posted["text"])
    root = posted["text"].replace(
        matched.group(0), matched.group(1) + _XOP_INCLUDE.format(cid="fraga%40example") + matched.group(3)
    )
    json_bytes = base64.b64decode(matched.group(2)) if attachment is None else attachment
    start = '"<root@example>"' if quoted_start else "<root@example>"
    body = (
        b'--MIMEBoundary\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\n'
        b"Content-Transfer-Encoding: binary\r\nContent-ID: <root@example>\r\n\r\n"
        + root.encode("utf-8")
        + b"\r\n--MIMEBoundary\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
        b"Content-ID: <fraga@example>\r\n\r\n" + json_bytes + b"\r\n--MIMEBoundary--\r\n"
    )
    posted["mimeType"] = (
        f'multipart/related; type="application/xop+xml"; boundary="MIMEBoundary"; start={start}; start-info="text/xml"'
    )
    if as_base64:
        posted["text"], posted["encoding"] = base64.b64encode(body).decode("ascii"), "base64"
    else:
        posted["text"] = body.decode("utf-8")


@pytest.mark.parametrize("as_base64", [False, True])
def test_an_mtom_request_is_judged_as_the_document_it_stands_for(tmp_path, as_base64):
    """An MTOM body was "not well-formed XML" (it starts with a MIME boundary): a false alarm on a stack with
    MTOM switched on. Its document, lefiJsonFraga inlined again, has the findings of the plain request."""
    baseline = _capture_findings(_capture(tmp_path, lambda entry: None))
    assert _capture_findings(_capture(tmp_path, lambda entry: _mtom(entry, None, as_base64=as_base64))) == baseline


def test_an_mtom_attachment_is_checked_like_the_inline_value(tmp_path):
    rules = [rule for rule, _ in _capture_findings(_capture(tmp_path, lambda entry: _mtom(entry, b"{not json")))]
    assert "SSBT-PAYLOAD-JSON" in rules


def test_an_mtom_include_without_its_attachment_is_an_input_that_could_not_be_read(tmp_path):
    def missing(entry):
        _mtom(entry, None)
        entry["request"]["postData"]["text"] = entry["request"]["postData"]["text"].replace(
            "<fraga@example>", "<other@example>"
        )

    findings = _capture_findings(_capture(tmp_path, missing))
    assert (
        "SSBT-READ",
        "Input not checked: the capture's MTOM/XOP body cannot be read: an xop:Include refers to "
        "the attachment 'cid:fraga%40example', which the body does not hold.",
    ) in findings


@pytest.mark.parametrize(
    "old, new, finding",
    [
        (b'"summa":1450.0', b'"summa":1e400', True),  # Python reads infinity; the model check then saw "null"
        (b'"summa":1450.0', b'"summa":-1E+400', True),
        (b'"summa":1450.0', b'"summa":' + b"9" * 400, True),
        (b'"summa":1450.0', b'"summa":1.45e3', False),  # an exponent in range is an ordinary number
        (b'"namn":"Tolvan Tolvansson"', b'"namn":"' + b"7" * 400 + b'"', False),  # digits in a string are text
    ],
    ids=["1e400", "-1E+400", "400-digits", "1.45e3", "digits-in-a-string"],
)
def test_a_json_number_beyond_a_double_is_said_as_such(old, new, finding):
    """RFC 8259, section 6: numbers beyond IEEE 754 double range are where receivers part ways."""
    data = (CORPUS / "v10/answer-skv-sfs2008-975.xml").read_bytes()
    matched = _FK_ANSWER_JSON.search(data)
    document = base64.b64decode(matched.group(2))
    assert old in document
    message = data.replace(matched.group(2), base64.b64encode(document.replace(old, new)))
    findings = [f for m in validate(message, as_of=AS_OF).messages for f in m.findings]
    assert [f.rule for f in findings] == (["SSBT-PAYLOAD-JSON"] if finding else [])
    assert all("beyond the range of a double" in f.message for f in findings)


def test_a_namespaced_attribute_in_a_schema_finding_is_named_with_the_documents_prefix():
    """libxml2 names it {http://schemas.xmlsoap.org/soap/envelope/}encodingStyle; the reader wrote soapenv:."""
    style = 'soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"'
    text = _REQUEST.replace("<ssbt:hamtaBastjanstInformation>", f"<ssbt:hamtaBastjanstInformation {style}>")
    findings = [f for m in validate(text.encode(), as_of=AS_OF).messages for f in m.findings]
    assert [f.rule for f in findings] == ["SSBT-XSD"]
    assert findings[0].path.endswith("/ssbt:hamtaBastjanstInformation/@soapenv:encodingStyle")
    assert "{" not in findings[0].message and "@soapenv:encodingStyle" in findings[0].message


@pytest.mark.parametrize("digits", ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "०१२३४५६७८९"])
def test_an_organisationsnummer_in_other_digits_than_0_to_9_fails(digits):
    """The contract's [\\d]{4}[2-9][\\d]{7} is \\p{Nd} in XML Schema, so 162120000142 in full-width digits (with an
    ASCII fifth digit) passed the schema and, read by int(), the check digit: a pass for what no register holds."""
    number = "".join(digits[int(c)] if i != 4 else c for i, c in enumerate("162120000142"))
    text = _REQUEST.replace(">162120000142<", f">{number}<", 1)
    findings = [(f.rule, str(f.severity)) for m in validate(text.encode(), as_of=AS_OF).messages for f in m.findings]
    assert findings == ([] if digits.isascii() else [("SSBT-ORGNR", "error")])


def _properties_named(node, name: str):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name and isinstance(value, dict):
                yield value
            yield from _properties_named(value, name)
    elif isinstance(node, list):
        for value in node:
            yield from _properties_named(value, name)


@pytest.mark.parametrize(
    "value, valid",
    [
        ("1999", True),
        ("1999-12", True),
        ("1999-12-31", True),
        ("Datum saknas", True),
        ("1999-99-99", False),  # matched ^(…) of the published ^(…)|Datum saknas$: | binds loosest
        ("1999 or so", False),
        ("nej, Datum saknas", False),
    ],
)
def test_a_lefi_dodsfallsdatum_is_judged_as_a_whole_value(value, valid):
    import jsonschema_rs

    model = json.loads((CORPUS.parent / "xsd/nested/lefi-v9.schema.json").read_text(encoding="utf-8"))
    (field,) = list(_properties_named(model, "dodsfallsdatum"))
    assert (
        jsonschema_rs.validator_for({k: v for k, v in field.items() if not k.startswith("x-")}).is_valid(value) is valid
    )


@cache
def _nested_carriers() -> list[tuple[str, str, int]]:
    """(corpus message, "base64" or "text", index of the leaf) for every leaf carrying a nested XML document."""
    found = []
    for name, data in _corpus():
        root = etree.fromstring(data, safe_parser())
        leaves = [e for e in root.iter(etree.Element) if len(e) == 0]
        for index, leaf in enumerate(leaves):
            if _nested_document(leaf) is not None:
                found.append((name, _nested_document(leaf)[0], index))
    return found


def _nested_document(leaf) -> tuple[str, etree._Element] | None:
    text = "".join(leaf.itertext()).strip()
    if len(text) < 20:
        return None
    if text.startswith("<"):
        kind, raw = "text", text.encode("utf-8")
    else:
        try:
            kind, raw = "base64", base64.b64decode("".join(text.split()), validate=True)
        except ValueError:
            return None
    try:
        document = etree.fromstring(raw.replace(b'encoding="UTF-8"', b""), safe_parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    return (kind, document) if document is not None else None


@given(st.data())
def test_a_nested_document_spelt_otherwise_has_the_same_findings(data):
    """The same for the documents a message carries: CSN's base64 answer (also in UTF-16), SKV's v10 string."""
    name, kind, index = data.draw(st.sampled_from(_nested_carriers()))
    random = data.draw(st.randoms(use_true_random=False))
    quote = data.draw(st.sampled_from(['"', "'"]))
    utf16 = kind == "base64" and data.draw(st.booleans())

    def carried(respell: bool) -> bytes:
        root = etree.fromstring(dict(_corpus())[name], safe_parser())
        leaf = [e for e in root.iter(etree.Element) if len(e) == 0][index]
        document = _nested_document(leaf)[1]
        if respell:
            namespaces = sorted({etree.QName(e).namespace for e in document.iter(etree.Element)} - {None})
            prefixes = {ns: f"q{number}" for number, ns in enumerate(namespaces)}
            body = _Spelling(random, prefixes, quote, redundant=True).element(document, {None: ""})
        else:
            body = etree.tostring(document, encoding="unicode")
        label = "UTF-16" if utf16 and respell else "UTF-8"
        text = f'<?xml version="1.0" encoding="{label}"?>\n' + body
        if kind == "base64":
            raw = b"\xff\xfe" + text.encode("utf-16-le") if label == "UTF-16" else text.encode("utf-8")
            leaf.text = base64.b64encode(raw).decode("ascii")
        else:
            leaf.text = text
        return etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)

    assert _spelling_free(carried(True)) == _spelling_free(carried(False)), name


@pytest.mark.parametrize(
    "old, new",
    [
        ("<soapenv:Body>", "<soapenv:Body>text"),
        ("</soapenv:Body>", "text</soapenv:Body>"),
        ("</soapenv:Envelope>", "text</soapenv:Envelope>"),
        ("<soapenv:Header/>", "<soapenv:Header>text</soapenv:Header>"),
        ("<soapenv:Body>", "<soapenv:Body>\u00a0"),  # a no-break space is no XML whitespace (XML 1.0, 2.3)
    ],
    ids=["body-start", "body-end", "envelope", "header", "no-break-space"],
)
def test_text_beside_the_envelopes_elements_is_a_soap_error(old, new):
    """Envelope, Header, Body (and Fault) have element-only content in the SOAP 1.1 envelope schema."""
    assert _soap_findings(_REQUEST.replace(old, new, 1)) == [("SSBT-SOAP", "error")]
    assert _soap_findings(_FAULT.replace("<detail>", "text<detail>", 1)) == [("SSBT-SOAP", "error")]


def test_whitespace_and_comments_beside_the_envelopes_elements_are_layout():
    assert _soap_findings(_REQUEST.replace("<soapenv:Body>", "<soapenv:Body>\r\n\t <!-- note -->  ", 1)) == []


def test_a_har_body_kept_gzip_compressed_is_read_as_its_document(tmp_path):
    """Some recorders keep a body as sent (Content-Encoding: gzip), in base64: "not well-formed XML" before."""

    def gzipped(entry):
        content = entry["response"]["content"]
        content["text"] = base64.b64encode(gzip.compress(content["text"].encode("utf-8"))).decode("ascii")
        content["encoding"] = "base64"

    baseline = _capture_findings(_capture(tmp_path, lambda entry: None))
    assert _capture_findings(_capture(tmp_path, gzipped)) == baseline


def test_a_gzip_bomb_in_a_har_body_stops_at_the_size_limit(tmp_path):
    def bomb(entry):
        content = entry["response"]["content"]
        content["text"] = base64.b64encode(gzip.compress(b"<" + b" " * 50_000_000)).decode("ascii")
        content["encoding"] = "base64"

    findings = _capture_findings(_capture(tmp_path, bomb))
    assert any(rule == "SSBT-LIMIT" and "size limit" in text for rule, text in findings), findings


def test_a_second_ssbtek_fault_element_in_the_detail_is_not_passed_unseen():
    """Only the detail's first SSBTEK element is the fault (and validated); a second, invalid one passed."""
    second = "<ssbt:hamtaBastjanstInformationFault><ssbt:felkod>X</ssbt:felkod></ssbt:hamtaBastjanstInformationFault>"
    text = _FAULT.replace("</detail>", second + "</detail>", 1)
    assert _soap_findings(text) == [("SSBT-SOAP", "error")]
