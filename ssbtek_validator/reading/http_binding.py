"""SOAP 1.1's HTTP binding: what the HTTP around a message says, judged where it was recorded.

A file holds only the envelope; a HAR capture and the proxy also see the HTTP request and answer, and
a SOAP 1.1 service refuses a request for its HTTP alone (a missing SOAPAction, SOAP 1.2's media type)
before it reads the envelope. These are the facts a vendor's engineer needs for "why was this
rejected?", reported as SSBT-HTTP findings of the message they carried.

Sources: SOAP 1.1, W3C Note of 8 May 2000, section 6 (text/xml), 6.1 (POST), 6.1.1 (SOAPAction MUST be
present) and 6.2 (a fault comes with 500); WS-I Basic Profile 1.1 R1109 (SOAPAction is a quoted string),
R2744/R2745 (equal to the WSDL's soapAction, here the empty string ``""``) and R1126 (a fault with 500);
RFC 3902 (``application/soap+xml`` is SOAP 1.2's media type); RFC 7303 (an XML media type's charset
parameter names the encoding, so it must agree with the document's own declaration).

Only headers that were recorded are judged: a capture whose recorder stripped them (an empty header list)
gets no finding about them. Imported only where HTTP was seen (HAR captures, the proxy): a plain check of
files never loads this module.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import NamedTuple

from ssbtek_validator.reading.encoding import sniff
from ssbtek_validator.reading.message import OPERATION_ELEMENTS, Message
from ssbtek_validator.results.model import Finding, Severity

RULE = "SSBT-HTTP"
SOAP11_HTTP = "SOAP 1.1, W3C Note of 8 May 2000"
#: what the binding says: the Note's sections, the profile's requirements
_CONTENT_TYPE_SOURCE = f"{SOAP11_HTTP}, section 6"
_SOAPACTION_SOURCE = f"{SOAP11_HTTP}, section 6.1.1; WS-I Basic Profile 1.1, R2745"
_STATUS_SOURCE = f"{SOAP11_HTTP}, section 6.2; WS-I Basic Profile 1.1, R1126"
#: a media type as RFC 9110 spells one (type/subtype), lowercased before it is quoted
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}")
#: an encoding name (IANA charset names are this shape); anything else is not quoted
_CHARSET = re.compile(r"[A-Za-z0-9._:+-]{1,40}")
#: a SOAPAction value shown as it is: a URI (scheme, then URI characters) or an operation's name; anything else is
#: shown by its length only (a header is free text, and may hold anything)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{0,120}")


class HeadLines(NamedTuple):
    """Where a message's head lies in a raw HTTP capture, so that a finding about it points at the line it is
    about. Only a capture of HTTP's own text has lines: a HAR capture is JSON and the proxy has no file."""

    #: the request line or status line: a method, a status, and a header that is missing, are said there
    start: int | None = None
    #: the first SOAPAction and Content-Type field lines (the values judged are the first ones too)
    soap_action: int | None = None
    content_type: int | None = None


class HttpFacts(NamedTuple):
    """What HTTP said about one message, as far as it was recorded."""

    #: "request" or "answer"
    side: str
    #: False when the recorder kept no header at all (then no header is judged, only what it did keep)
    headers_recorded: bool = False
    #: the request's method, as recorded
    method: str | None = None
    #: the request's SOAPAction header, None when there was none (judged only when headers_recorded)
    soap_action: str | None = None
    #: Content-Type: the header, else the capture's mimeType for the body (HAR: postData / content)
    content_type: str | None = None
    #: the answer's HTTP status
    status: int | None = None
    #: the encoding the body itself names (byte order mark, else XML declaration), read before a recorder's
    #: text was turned back into bytes; None when it names none (then XML reads UTF-8 or UTF-16 by its bytes)
    body_encoding: str | None = None
    #: where the head lies in the capture (a raw HTTP capture only)
    lines: HeadLines | None = None


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by its name in any case (HTTP/2 recorders write names lowercased)."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def body_encoding(data: bytes) -> str | None:
    """The encoding a body's bytes name themselves: the byte order mark, else the XML declaration."""
    prolog = sniff(data)
    return prolog.bom or prolog.declared


def http_findings(facts: HttpFacts, message: Message) -> list[Finding]:
    """SSBT-HTTP findings about the HTTP that carried ``message`` (its file name is the finding's), each on the
    capture line it is about where the head has lines (``Finding.capture_line``)."""
    found: list[tuple[Severity, str, int | None]] = []
    request = facts.side == "request"
    lines = facts.lines or _NO_LINES
    if request:
        found += _on(lines.start, _method(facts.method))
    elif message.enveloped:  # an HTML error page is no SOAP answer: its status and type say nothing here
        found += _on(lines.start, _status(facts.status, message.direction))
    if facts.content_type is not None and (request or message.enveloped):
        found += _on(lines.content_type, _content_type(facts.content_type, facts.side, facts.body_encoding))
    if request and facts.headers_recorded:
        # a missing header is on no line of its own: it is said on the request line, which it should follow
        on = lines.start if facts.soap_action is None else lines.soap_action
        found += _on(on, _soap_action(facts.soap_action))
    return [Finding(RULE, severity, text, file=message.name, capture_line=at) for severity, text, at in found]


#: the head of a message recorded without lines (a HAR capture, the proxy)
_NO_LINES = HeadLines()


def _on(line: int | None, found: list[tuple[Severity, str]]) -> list[tuple[Severity, str, int | None]]:
    return [(severity, text, line) for severity, text in found]


def _method(method: str | None) -> list[tuple[Severity, str]]:
    if not method or method.strip().upper() == "POST":
        return []
    shown = method.strip().upper() if re.fullmatch(r"[A-Za-z]{1,16}", method.strip()) else "another method"
    return [
        (
            Severity.ERROR,
            f"The request was sent with HTTP {shown}; SOAP 1.1's HTTP binding is defined for POST only "
            f"({SOAP11_HTTP}, section 6.1). Send it with POST.",
        )
    ]


def _soap_action(value: str | None) -> list[tuple[Severity, str]]:
    if value is None:
        return [
            (
                Severity.ERROR,
                f"The request has no SOAPAction header; a SOAP 1.1 client MUST send one ({SOAP11_HTTP}, section "
                '6.1.1), and the WSDL\'s empty soapAction makes it SOAPAction: "" (WS-I Basic Profile 1.1, '
                "R2745). A SOAP 1.1 stack may refuse a request without it.",
            )
        ]
    value = value.strip()
    if value == '""':
        return []
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return [
            (
                Severity.WARNING,
                f"The request's SOAPAction is {_shown_action(value)}; the WSDL's soapAction is empty, so it must be "
                f'"" ({_SOAPACTION_SOURCE}). A service that routes on the Body may ignore it; one that routes on '
                'SOAPAction refuses an action it does not know. Send SOAPAction: "".',
            )
        ]
    said = "empty and unquoted" if not value else f"unquoted ({_shown_action(value)})"
    return [
        (
            Severity.WARNING,
            f"The request's SOAPAction is {said}; WS-I Basic Profile 1.1 (R1109) requires a quoted string, and "
            f'the WSDL\'s empty soapAction makes it "" (R2745). Send SOAPAction: "".',
        )
    ]


def _shown_action(value: str) -> str:
    """A SOAPAction value as a report may quote it: a URI as it is, anything else masked by its length."""
    inner = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if _URI.fullmatch(inner) or inner in OPERATION_ELEMENTS:
        return value
    return f"a value of {len(inner)} characters"


def _status(status: int | None, direction: str | None) -> list[tuple[Severity, str]]:
    if status is None or not 100 <= status <= 599 or direction not in ("answer", "fault"):
        return []  # a recorder's 0 (no answer recorded) or an answer that is neither: nothing to compare
    if direction == "fault" and status != 500:
        return [
            (
                Severity.ERROR,
                f"The answer is a SOAP Fault sent with HTTP {status}; SOAP 1.1 sends a fault with 500 Internal "
                f"Server Error ({_STATUS_SOURCE}); a client that judges the status before the body misreads it.",
            )
        ]
    if direction == "answer" and not 200 <= status <= 299:
        return [
            (
                Severity.ERROR,
                f"The answer is not a fault but was sent with HTTP {status}; a SOAP 1.1 answer that is no fault "
                f"comes with a 2xx status ({SOAP11_HTTP}, section 6.2), and 500 means a fault.",
            )
        ]
    return []


def _content_type(value: str, side: str, declared: str | None) -> list[tuple[Severity, str]]:
    media, parameters = _parse_content_type(value)
    the = f"The {side}'s Content-Type"
    if media == "multipart/related":  # MTOM/XOP or SOAP with attachments: the root part's type is named inside
        inner = [_parse_content_type(parameters.get(key, ""))[0] for key in ("start-info", "type")]
        if "application/soap+xml" in inner:
            return [(Severity.ERROR, f"{the} names application/soap+xml for its root part: {_SOAP12}")]
        return []
    if media == "application/soap+xml":
        return [(Severity.ERROR, f"{the} is application/soap+xml: {_SOAP12}")]
    found: list[tuple[Severity, str]] = []
    if media != "text/xml":
        shown = media if _MEDIA_TYPE.fullmatch(media) else "no media type" if not media else "not a media type"
        found.append(
            (
                Severity.ERROR,
                f"{the} is {shown}; SOAP 1.1 is sent as text/xml ({_CONTENT_TYPE_SOURCE}), and SOAP 1.1 stacks "
                "answer another type with 415 Unsupported Media Type.",
            )
        )
    charset = parameters.get("charset", "")
    if charset and declared and not _same_encoding(charset, declared):
        shown_charset = f"charset={charset}" if _CHARSET.fullmatch(charset) else "a charset that is no encoding name"
        shown_declared = declared if _CHARSET.fullmatch(declared) else "another encoding"
        found.append(
            (
                Severity.ERROR,
                f"{the} says {shown_charset} but the {side} itself says {shown_declared} (its byte order "
                "mark or XML declaration); a reader that follows the charset (RFC 7303) and one that follows the "
                "document read different characters, and one may refuse it. Make them agree (UTF-8).",
            )
        )
    return found


_SOAP12 = (
    "that is SOAP 1.2's media type (RFC 3902), and SSBTEK is SOAP 1.1, sent as text/xml "
    f"({_CONTENT_TYPE_SOURCE}); a SOAP 1.1 service refuses it (415 Unsupported Media Type). Send text/xml."
)


def _parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """(media type lowercased, parameters by lowercased name): enough of RFC 9110's grammar for a verdict."""
    media, *rest = value.split(";")
    parameters: dict[str, str] = {}
    for part in rest:
        name, _, given = part.partition("=")
        parameters.setdefault(name.strip().lower(), given.strip().strip('"'))
    return media.strip().lower(), parameters


def _same_encoding(first: str, second: str) -> bool:
    """Two names of one encoding (``utf8`` and ``UTF-8``; ``UTF-16`` and ``UTF-16LE``: one family, the
    byte order mark decides)."""
    names = []
    for name in (first, second):
        try:
            names.append(codecs.lookup(name).name)
        except (LookupError, ValueError):  # a header is input: unknown names, a NUL, a lone surrogate
            names.append(name.strip().lower())
    names = ["utf-16" if name.startswith("utf-16") else name for name in names]
    names = ["utf-32" if name.startswith("utf-32") else name for name in names]
    return names[0] == names[1]
