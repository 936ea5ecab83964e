"""HAR captures (HTTP Archive 1.2, what browsers and proxies export) as request/answer pairs.

A capture holds every HTTP exchange of a session; the SSBTEK ones are those whose request or
answer body is XML. Each becomes two sources (request and answer) that the engine validates like
files, plus an exchange that ``pairs.py`` judges as a whole. Beside the bodies, only what SOAP 1.1's
HTTP binding judges is read (method, status, SOAPAction, Content-Type: see ``http_binding.py``); URLs,
cookies and other headers may carry secrets and stay out of every output.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from typing import Any

from ssbtek_validator.reading.encoding import sniff, text_as_bytes
from ssbtek_validator.reading.http_binding import HttpFacts, body_encoding, header
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.reading.message import JSON_MARKERS, node_estimate


@dataclass(frozen=True, slots=True)
class HarExchange:
    """One SOAP exchange of a capture; a side is None when the capture has no body for it."""

    name: str
    request: Source | None
    answer: Source | None
    #: what the capture recorded of the HTTP around each side (None where it has no body)
    request_http: HttpFacts | None = None
    answer_http: HttpFacts | None = None


@dataclass(frozen=True, slots=True)
class HarCapture:
    exchanges: list[HarExchange]
    #: entries that carried no XML body (page loads, scripts, …), skipped
    skipped: int
    #: why the capture could not be read at all, else None
    problem: str | None = None
    #: "limit" when a limit stopped the reading (SSBT-LIMIT, not SSBT-READ)
    problem_kind: str | None = None


def read_har(source: Source, limits: Limits) -> HarCapture:
    """The capture's JSON is parsed whole, so its size in nodes is checked first, as a message's is: a
    16 MiB capture of millions of tiny or empty entries would otherwise build millions of objects."""
    data = source.data or b""
    if node_estimate(data, JSON_MARKERS, limits) > limits.max_nodes:
        text = (
            f"The capture would build more than {limits.max_nodes:,} JSON values, the limit that bounds memory "
            "(raise it with --max-nodes); not checked."
        )
        return HarCapture([], 0, text, "limit")
    try:
        document = json.loads(data)
        entries = document["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        return HarCapture([], 0, f"not a HAR capture ({type(exc).__name__}: expected JSON with log.entries)")
    exchanges, skipped = [], 0
    for index, entry in enumerate(entries, start=1):
        name = f"{source.name}#{index}"
        posted, content = _field(_field(entry, "request"), "postData"), _field(_field(entry, "response"), "content")
        request = _body(posted, f"{name} request", limits)
        answer = _body(content, f"{name} answer", limits)
        if not (_is_xml(posted, request) or _is_xml(content, answer)):
            skipped += 1
            continue
        if len(exchanges) == limits.max_exchanges:
            text = (
                f"The capture holds more than {limits.max_exchanges:,} SOAP exchanges, the limit that bounds "
                "memory (raise it with --max-exchanges, or split the capture); not checked."
            )
            return HarCapture([], skipped, text, "limit")
        exchanges.append(
            HarExchange(
                name,
                request,
                answer,
                _http(entry, "request", posted, request) if request is not None else None,
                _http(entry, "answer", content, answer) if answer is not None else None,
            )
        )
    return HarCapture(exchanges, skipped)


def _http(entry: Any, side: str, part: Any, source: Source) -> HttpFacts:
    """What the capture recorded of the HTTP around one body. An empty or missing header list means the
    recorder kept none (some strip them all): then only the method, status and the body's mimeType are
    judged, never a header's absence."""
    message = _field(entry, "request" if side == "request" else "response")
    listed = _field(message, "headers")
    pairs = [
        (item["name"], item["value"])
        for item in (listed if isinstance(listed, list) else ())
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str)
    ]
    mime = _field(part, "mimeType")
    # Chrome writes "x-unknown" where the body came without a Content-Type: unknown, not a type it was sent with
    recorded_mime = mime if isinstance(mime, str) and mime.strip() and mime.strip().lower() != "x-unknown" else None
    content_type = header(pairs, "content-type") or recorded_mime
    method, status = _field(message, "method"), _field(message, "status")
    return HttpFacts(
        side,
        headers_recorded=bool(pairs),
        method=method if side == "request" and isinstance(method, str) else None,
        soap_action=header(pairs, "soapaction") if side == "request" else None,
        content_type=content_type,
        status=status if side == "answer" and type(status) is int else None,
        body_encoding=_named_encoding(part, source),
    )


def _named_encoding(part: Any, source: Source) -> str | None:
    """The encoding the body names itself. A body the recorder kept as text lost its bytes, not its XML
    declaration (read before :func:`text_as_bytes` rewrites it); an MTOM body's root part is rebuilt, not sent."""
    if source.data is None or "multipart/" in str(_field(part, "mimeType") or "").lower():
        return None
    if _field(part, "encoding") == "base64":
        return body_encoding(source.data)
    text = part["text"][:512].lstrip("\ufeff")
    return sniff(text.encode("utf-8", "surrogatepass")).declared


def _field(part: Any, key: str) -> Any:
    """A capture is input like any other: any member may be missing or of the wrong type."""
    return part.get(key) if isinstance(part, dict) else None


def _body(part: Any, name: str, limits: Limits) -> Source | None:
    if not isinstance(part, dict) or not isinstance(part.get("text"), str) or not part["text"]:
        return None
    text = part["text"]
    if part.get("encoding") == "base64":
        try:  # line breaks (RFC 2045 wraps at 76) and other whitespace are not data (RFC 4648, 3.3)
            data = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            return Source(name, None, "the capture's base64 body does not decode", "read")
    else:  # text the recorder decoded: its declaration no longer says what the bytes are
        data = text_as_bytes(text)
    if data.startswith(_GZIP):  # a recorder that kept the body as sent (Content-Encoding: gzip)
        try:
            data = _gunzip(data, limits.max_message_bytes + 1)
        except (OSError, EOFError, zlib.error):
            return Source(name, None, "the capture's gzip-compressed body does not decompress", "read")
    if len(data) > limits.max_message_bytes:
        return Source(
            name,
            None,
            f"larger than the message size limit of {limits.max_message_bytes} bytes "
            "(raise it with --max-message-bytes)",
            "limit",
        )
    mime = str(part.get("mimeType", ""))
    if mime.strip().lower().startswith("multipart/related"):  # MTOM: the document is rebuilt from its parts
        # imported here: the email package costs every run's start-up, and few captures hold MTOM
        from ssbtek_validator.reading.multipart import MultipartProblem, xop_document

        try:
            data = xop_document(mime, data)
        except MultipartProblem as problem:
            return Source(name, None, f"the capture's MTOM/XOP body cannot be read: {problem}", "read")
    return Source(name, data)


#: gzip's magic and its one compression method (RFC 1952, 2.3.1): no XML document starts so
_GZIP = b"\x1f\x8b\x08"


def _gunzip(data: bytes, most: int) -> bytes:
    """At most ``most`` bytes of a gzip stream: a small body that inflates to gigabytes stops at the limit."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = inflater.decompress(data, most)
    if not inflater.eof and len(out) < most:
        raise EOFError("truncated gzip stream")
    return out


def _is_xml(part: Any, source: Source | None) -> bool:
    """SOAP travels as text/xml (1.1) or application/soap+xml; a page is HTML even though it starts with '<'."""
    if source is None:
        return False
    mime = str(part.get("mimeType", "")).lower() if isinstance(part, dict) else ""
    if "xml" in mime:
        return True
    if "html" in mime or source.data is None:
        return False
    head = source.data.lstrip()[:16].lower()
    return head.startswith(b"<") and not head.startswith((b"<!doctype html", b"<html"))
