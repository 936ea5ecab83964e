"""Raw HTTP captures: the text of an HTTP/1.x connection, as vendors save it, read as request/answer pairs.

Wireshark's "Follow HTTP Stream" saved as ASCII, Fiddler's and Burp's raw views, a ``socat``/``nc`` recording,
a request pasted from a log: a start line (``POST /path HTTP/1.1`` or ``HTTP/1.1 200 OK``), header fields,
a blank line, a body; a request is followed by its answer, and a kept-alive connection holds several
exchanges in turn. Each exchange becomes two sources and an exchange judged as a HAR capture's are
(:class:`~ssbtek_validator.reading.har.HarCapture` is the shape both readers return), and only what SOAP 1.1's
HTTP binding judges is kept of the headers (method, status, SOAPAction, Content-Type): the target URL, Host,
cookies, Authorization and every other header may carry secrets and are never stored, so no output can show them.

Framing follows RFC 9112: a request line or status line, field lines (an obsolete folded line joins the one
before, section 5.2), the body delimited by ``Transfer-Encoding: chunked`` (chunk extensions ignored, trailer
fields read and dropped, section 7.1) or else ``Content-Length`` (section 6.3); a response with neither reads
to the end of the file, a request with neither has no body; 1xx, 204 and 304 responses and the answer to a
HEAD have none. ``Content-Encoding`` (and a transfer coding before ``chunked``) gzip or deflate is decoded,
up to the message size limit. Lines may end in CRLF or a bare LF: exports and pasted logs lose the CR, and a
field value never holds a line end, so reading either changes nothing. Bodies are taken byte for byte.

The framing is written here rather than with the ``h11`` library, which was tried: it is a connection's
state machine for a live peer, and a recording is not one. It refuses what a recording may well lack (a
request without ``Host``: a line pasted from a log is judged for its SOAP, not its Host), reads chunk framing
only with CRLF (0.16), bounds a header block only while it is incomplete (a file handed over whole is never
bounded) and names no position in its errors, where a user with a broken capture needs a line number.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

from ssbtek_validator.reading.har import HarCapture, HarExchange
from ssbtek_validator.reading.http_binding import HeadLines, HttpFacts, body_encoding
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.results.model import Origin

#: Largest start line plus header block read (the blank line included). RFC 9112 (section 2.3) asks a reader to
#: take request lines of 8,000 octets; servers refuse header blocks past 8–64 KiB (nginx, Apache, IIS).
MAX_HEADER_BYTES = 64 * 1024
#: Longest chunk-size line (a size and its extensions) before it is called broken.
_MAX_CHUNK_LINE = 4096

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") +[^ \t]+ +HTTP/1\.[0-9] *")
_STATUS_LINE = re.compile(rb"HTTP/1\.[0-9] +([0-9]{3})(?:[ \t].*)?")
_OTHER_VERSION = re.compile(rb"(?:" + _TOKEN + rb" +[^ \t]+ +)?HTTP/([02-9](?:\.[0-9])?)\b.*")
_FIELD_NAME = re.compile(_TOKEN)
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")
#: white space before a message (one regex step, not a Python loop over a file of blanks)
_GAP = re.compile(rb"[\r\n \t]*")
#: the end of a header block: a line end, then an empty line
_BLANK_LINE = re.compile(rb"\n\r?\n")
#: the headers kept: what SOAP 1.1's binding judges, and what frames the body. Nothing else is stored.
_KEPT = frozenset({b"content-type", b"soapaction", b"content-length", b"transfer-encoding", b"content-encoding"})
#: the first line of an HTTP client's request file (``### name``, ``# @name``, ``// comment``, or a request
#: with a ``{{variable}}`` or without an HTTP version), which shares the ``.http`` name with captures
_CLIENT_FILE = re.compile(rb"(?:###|#|//)|.*\{\{|" + _TOKEN + rb" +[^ \t]+[ \t]*$")
#: a coding name shown in a finding as it is (a token); anything else is said without it
_CODING_SHOWN = re.compile(r"[A-Za-z0-9._-]{1,20}")


class FramingError(Exception):
    """Why a message cannot be framed; ``kind`` is "limit" where a limit stopped the reading."""

    def __init__(self, text: str, kind: str = "read", about_request: bool = False) -> None:
        super().__init__(text)
        self.reason = text
        self.kind = kind
        #: the problem is the request before (a body that its headers do not announce), not a message of its own
        self.about_request = about_request


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One HTTP message of a capture, with only the headers in ``_KEPT``."""

    #: "request" or "answer"
    side: str
    method: str | None
    status: int | None
    headers: tuple[tuple[str, str], ...]
    #: the body as sent, with its transfer and content codings undone
    body: bytes
    #: the capture's line the body starts on, when the body is the capture's bytes as written (no coding undone)
    body_line: int | None = None
    #: the capture's line of the start line, and of each field of ``headers`` (a folded field: its first line)
    start_line: int | None = None
    header_lines: tuple[int, ...] = ()

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    def head_lines(self) -> HeadLines:
        """Where the start line and the fields :meth:`header` reads (the first of each name) lie."""
        first: dict[str, int] = {}
        for (key, _), line in zip(self.headers, self.header_lines, strict=True):
            first.setdefault(key, line)
        soap_action = first.get("soapaction") if self.side == "request" else None
        return HeadLines(self.start_line, soap_action, first.get("content-type"))


def read_raw_http(source: Source, limits: Limits) -> HarCapture:
    """Every exchange of the capture, in order. A message that cannot be framed ends the reading (nothing after
    it can be found): it becomes an unreadable side saying why, with its line, and what came before is judged."""
    data = source.data or b""
    start = len(data) - len(data.removeprefix(b"\xef\xbb\xbf"))
    reader = _Reader(data, start, limits)
    exchanges: list[HarExchange] = []
    skipped = 0
    pending: RawMessage | None = None  # a request still waiting for its answer
    while True:
        try:
            message = reader.next_message(pending.method if pending else None)
        except FramingError as problem:
            if reader.messages == 0:  # not one message could be read: the capture itself is unreadable
                text = problem.reason if problem.kind == "read" else f"Input not checked: {problem.reason}."
                return HarCapture([], 0, text, problem.kind)
            name = f"{source.name}#{len(exchanges) + skipped + 1}"
            if pending is None or problem.about_request:
                pending = None
                exchanges.append(HarExchange(name, Source(f"{name} request", None, problem.reason, problem.kind), None))
            else:
                request, request_http = _side(pending, f"{name} request", source.name, limits)
                broken = Source(f"{name} answer", None, problem.reason, problem.kind)
                exchanges.append(HarExchange(name, request, broken, request_http, None))
                pending = None
            break
        if message is None:
            break
        if message.side == "answer" and message.status is not None and 100 <= message.status <= 199:
            continue  # an interim answer (100 Continue): the final one follows
        if message.side == "request" and pending is None:
            pending = message
            continue
        request, answer = (pending, message) if message.side == "answer" else (pending, None)
        pending = message if message.side == "request" else None
        exchanges, skipped, problem = _add(exchanges, skipped, request, answer, source.name, limits)
        if problem:
            return problem
    if pending is not None:
        exchanges, skipped, problem = _add(exchanges, skipped, pending, None, source.name, limits)
        if problem:
            return problem
    return HarCapture(exchanges, skipped)


def _add(
    exchanges: list[HarExchange],
    skipped: int,
    request: RawMessage | None,
    answer: RawMessage | None,
    file: str,
    limits: Limits,
) -> tuple[list[HarExchange], int, HarCapture | None]:
    fetch = request is not None and not request.body and request.method in ("GET", "HEAD", "OPTIONS")
    if fetch or not (_is_xml(request) or _is_xml(answer)):  # a page, or a client fetching the WSDL (GET ?wsdl)
        return exchanges, skipped + 1, None
    if len(exchanges) == limits.max_exchanges:
        text = (
            f"The capture holds more than {limits.max_exchanges:,} SOAP exchanges, the limit that bounds "
            "memory (raise it with --max-exchanges, or split the capture); not checked."
        )
        return exchanges, skipped, HarCapture([], skipped, text, "limit")
    exchanges.append(_exchange(f"{file}#{len(exchanges) + skipped + 1}", request, answer, file, limits))
    return exchanges, skipped, None


def _exchange(
    name: str, request: RawMessage | None, answer: RawMessage | None, capture: str, limits: Limits
) -> HarExchange:
    sides = [
        _side(message, f"{name} {label}", capture, limits)
        for message, label in ((request, "request"), (answer, "answer"))
    ]
    return HarExchange(name, sides[0][0], sides[1][0], sides[0][1], sides[1][1])


def _side(
    message: RawMessage | None, name: str, capture: str, limits: Limits
) -> tuple[Source | None, HttpFacts | None]:
    """A message's body as a source, and the HTTP around it; (None, None) when it has no body. ``capture``: the
    capture file's name, for the source's :class:`Origin`."""
    if message is None or not message.body:
        return None, None
    content_type = message.header("content-type")
    data = message.body
    multipart = (content_type or "").strip().lower().startswith("multipart/related")
    origin = Origin(capture, None if multipart else message.body_line)
    facts = HttpFacts(
        message.side,
        headers_recorded=True,
        method=message.method,
        soap_action=message.header("soapaction") if message.side == "request" else None,
        content_type=content_type,
        status=message.status,
        body_encoding=None if multipart else body_encoding(data),
        lines=message.head_lines(),
    )
    if multipart:  # MTOM: the document is rebuilt from its parts, as a HAR capture's is
        from ssbtek_validator.reading.multipart import MultipartProblem, xop_document

        try:
            data = xop_document(content_type or "", data)
        except MultipartProblem as problem:
            text = f"the capture's MTOM/XOP body cannot be read: {problem}"
            return Source(name, None, text, "read", origin), facts
    if len(data) > limits.max_message_bytes:
        text = (
            f"larger than the message size limit of {limits.max_message_bytes} bytes "
            "(raise it with --max-message-bytes)"
        )
        return Source(name, None, text, "limit", origin), facts
    return Source(name, data, origin=origin), facts


def _is_xml(message: RawMessage | None) -> bool:
    """SOAP travels as text/xml (1.1) or application/soap+xml; a page is HTML even though it starts with '<'."""
    if message is None or not message.body:
        return False
    mime = (message.header("content-type") or "").lower()
    if "xml" in mime:
        return True
    if "html" in mime:
        return False
    head = message.body.lstrip()[:16].lower()
    return head.startswith(b"<") and not head.startswith((b"<!doctype html", b"<html"))


class _Reader:
    """Messages one after another from a position in the capture."""

    def __init__(self, data: bytes, position: int, limits: Limits) -> None:
        self.data = data
        self.position = position
        self.limits = limits
        #: messages read so far (interim answers included); bounds a file of countless tiny ones
        self.messages = 0
        #: where the message before began, when it was a request without a body (for a hint when a body follows it)
        self.bodiless_request: int | None = None
        #: the last offset a line was counted to, and its line: every body's line is asked for, in order, and
        #: counting each from the capture's start would cost a long capture's length once per message
        self._counted = (0, 1)

    def line(self, offset: int) -> int:
        counted_to, line = self._counted
        if offset < counted_to:
            return self.data.count(b"\n", 0, offset) + 1
        line += self.data.count(b"\n", counted_to, offset)
        self._counted = (offset, line)
        return line

    def next_message(self, request_method: str | None) -> RawMessage | None:
        """The next message, or None at the end of the capture. ``request_method``: the method of the request an
        answer would answer (a HEAD's answer has no body)."""
        data = self.data
        # blank lines between messages (RFC 9112, section 2.2), a paste's indentation
        self.position = _GAP.match(data, self.position).end()  # type: ignore[union-attr]  # "*" always matches
        if self.position >= len(data):
            return None
        if self.messages >= 4 * self.limits.max_exchanges:  # two a SOAP exchange, and room for interim answers
            raise FramingError(
                f"the capture holds more than {4 * self.limits.max_exchanges:,} HTTP messages, four times "
                "--max-exchanges, the limit that bounds the time a capture of countless tiny ones costs (raise it "
                "with --max-exchanges, or split the capture)",
                "limit",
            )
        begin = self.position
        first_end = data.find(b"\n", begin, begin + MAX_HEADER_BYTES)
        start_line = data[begin : first_end if first_end >= 0 else begin + 200].rstrip(b"\r")
        request = _REQUEST_LINE.fullmatch(start_line)
        status = None if request else _STATUS_LINE.fullmatch(start_line)
        if not (request or status):
            raise self._not_a_start_line(begin, start_line)
        blank = _BLANK_LINE.search(data, begin, begin + MAX_HEADER_BYTES + 2)
        if blank is None:
            if len(data) - begin > MAX_HEADER_BYTES:
                raise FramingError(
                    f"the header block starting at line {self.line(begin)} is larger than {MAX_HEADER_BYTES // 1024} "
                    "KiB without the blank line that ends it: not an HTTP header block, or a broken one",
                    "limit",
                )
            raise FramingError(
                f"the header block starting at line {self.line(begin)} is cut off: no blank line ends it "
                "(RFC 9112, section 2.1), so the message has no body"
                if first_end >= 0 or request
                else f"the message at line {self.line(begin)} is cut off after its start line"
            )
        # every message's line is counted (its head findings point at it), on from the last line counted: a long
        # capture's length once in all, not once per message
        starts_on = self.line(begin)
        headers, header_lines = self._fields(data[begin : blank.start() + 1].split(b"\n")[1:], starts_on)
        self.position = blank.end()
        if request:
            method = request[1].decode("ascii")
            body, body_line = self._body(headers, "request", starts_on, False)
            message = RawMessage("request", method, None, headers, body, body_line, starts_on, header_lines)
            framed = any(key in ("content-length", "transfer-encoding") for key, _ in headers)
            self.bodiless_request = None if framed else begin
            self.messages += 1
            return message
        assert status is not None
        code = int(status[1])
        no_body = 100 <= code <= 199 or code in (204, 304) or (request_method or "").upper() == "HEAD"
        body, body_line = (b"", None) if no_body else self._body(headers, "answer", starts_on, True)
        self.bodiless_request = None
        self.messages += 1
        return RawMessage("answer", None, code, headers, body, body_line, starts_on, header_lines)

    def _not_a_start_line(self, begin: int, line: bytes) -> FramingError:
        where = self.line(begin)
        other = _OTHER_VERSION.fullmatch(line)
        if other:
            return FramingError(
                f"line {where} is an HTTP/{other[1].decode('ascii')} start line; only HTTP/1.x is text that can be "
                "read this way (save an HTTP/2 or HTTP/3 exchange as a HAR capture instead)"
            )
        if self.bodiless_request is not None:
            return FramingError(
                f"the request at line {self.line(self.bodiless_request)} has neither Content-Length nor "
                "Transfer-Encoding, so it has no body (RFC 9112, section 6.3), and line "
                f"{where} after it is not the start of another message: if those lines are its body, the request's "
                "Content-Length is missing",
                about_request=True,
            )
        text = (
            f"line {where} is not an HTTP request line (METHOD target HTTP/1.1) or status line "
            "(HTTP/1.1 200 OK) where a message should start"
        )
        if self.messages == 0 and line.startswith(b"<"):
            text += "; it looks like a bare XML message: name it *.xml to check it as one"
        elif self.messages == 0 and _CLIENT_FILE.match(line):
            text += (
                "; it looks like an HTTP client's request file (JetBrains HTTP Client, VS Code REST Client), "
                "not a capture of what was sent: leave it out of the folder checked, or name the files to check"
            )
        return FramingError(text)

    def _fields(self, lines: list[bytes], start: int) -> tuple[tuple[tuple[str, str], ...], tuple[int, ...]]:
        """The kept header fields, and the capture's line of each (``start``: the start line's). A field line is
        ``name: value``; one that starts with white space continues the one before (obs-fold, RFC 9112
        section 5.2)."""
        kept: list[tuple[str, str]] = []
        kept_lines: list[int] = []
        last_kept = False
        for index, raw in enumerate(lines, start=1):
            line = raw.rstrip(b"\r")
            if not line:
                continue
            if line[:1] in b" \t":
                if index == 1:
                    raise FramingError(f"line {start + 1} starts with white space after the start line")
                if last_kept:
                    name, value = kept[-1]
                    kept[-1] = (name, f"{value} {line.strip().decode('latin-1')}")
                continue
            name, colon, value = line.partition(b":")
            if not colon or not _FIELD_NAME.fullmatch(name):
                raise FramingError(
                    f"line {start + index} is not a header field (a name, a colon, a value; RFC 9112, "
                    f"section 5), in the header block starting at line {start}"
                )
            lowered = name.lower()
            last_kept = lowered in _KEPT
            if last_kept:
                kept.append((lowered.decode("ascii"), value.strip(b" \t").decode("latin-1")))
                kept_lines.append(start + index)
        return tuple(kept), tuple(kept_lines)

    def _body(
        self, headers: tuple[tuple[str, str], ...], side: str, starts_on: int, to_end: bool
    ) -> tuple[bytes, int | None]:
        """The body after the header block (RFC 9112, section 6.3), its codings undone, and the line it starts on
        when it is the capture's bytes as written (None when a coding was undone). ``starts_on``: the message's
        start line, which a problem names."""
        starts_at = self.position
        where = f"the {side} at line {starts_on}"
        fields = dict(reversed(headers))  # the first of each name, as http_binding.header reads them
        transfer = _codings(",".join(value for key, value in headers if key == "transfer-encoding"))
        lengths = [value for key, value in headers if key == "content-length"]
        rebuilt = bool(transfer or _codings(fields.get("content-encoding", "")))  # not the capture's bytes as written
        if transfer:
            if transfer[-1] == "chunked":
                body = self._chunked(where)
                transfer = transfer[:-1]
            elif side == "request":
                raise FramingError(
                    f"{where} has a Transfer-Encoding that does not end in chunked, so its body cannot be "
                    "delimited (RFC 9112, section 6.3)"
                )
            else:
                body, self.position = self.data[self.position :], len(self.data)
        elif lengths:
            length = _content_length(lengths, where)
            available = len(self.data) - self.position
            if length > available:
                raise FramingError(
                    f"{where} is cut off: its Content-Length is {length:,} bytes but only {available:,} follow "
                    f"its header block: the capture ended before the body did"
                )
            body = self.data[self.position : self.position + length]
            self.position += length
        elif to_end:
            body, self.position = self.data[self.position :], len(self.data)
        else:
            return b"", None
        for coding in reversed(transfer + _codings(fields.get("content-encoding", ""))):
            body = self._decoded(body, coding, where)
        return body, None if rebuilt or not body else self.line(starts_at)

    def _chunked(self, where: str) -> bytes:
        """The chunked transfer coding (RFC 9112, section 7.1): size lines in hexadecimal with optional
        extensions, each chunk followed by a line end, a last chunk of size 0, then trailer fields and a blank
        line; chunk lines may end in CRLF or a bare LF. The trailer fields are read and dropped."""
        data, position, parts, total = self.data, self.position, [], 0
        while True:
            end = data.find(b"\n", position, position + _MAX_CHUNK_LINE)
            if end < 0:
                at = self.line(position)
                if len(data) - position < _MAX_CHUNK_LINE:
                    raise FramingError(f"{where} is cut off in its chunked body at line {at}: the capture ended")
                raise FramingError(f"{where} has a chunk-size line at line {at} longer than {_MAX_CHUNK_LINE} bytes")
            size_text = data[position:end].rstrip(b"\r").split(b";", 1)[0].strip(b" \t")
            if not _HEX.fullmatch(size_text):
                raise FramingError(
                    f"{where} has a broken chunked body: line {self.line(position)} should be a chunk size in "
                    "hexadecimal (RFC 9112, section 7.1)"
                )
            size = int(size_text, 16)
            position = end + 1
            if size == 0:
                break
            if position + size > len(data):
                raise FramingError(
                    f"{where} is cut off: the chunk whose size is on line {self.line(end)} announces {size:,} bytes "
                    f"but only {len(data) - position:,} follow: the capture ended before the body did"
                )
            parts.append(data[position : position + size])
            total += size
            position += size
            if data[position : position + 2] == b"\r\n":
                position += 2
            elif data[position : position + 1] == b"\n":
                position += 1
            else:
                raise FramingError(
                    f"{where} has a broken chunked body: the chunk whose size is on line {self.line(end)} is not "
                    "followed by a line end, so its size does not match its data"
                )
        self.position = self._trailer(position, where)
        return b"".join(parts)

    def _trailer(self, position: int, where: str) -> int:
        """Where the trailer section after the last chunk ends: field lines up to a blank line. A recording that
        lost that blank line (it ends, or the next message starts) has lost nothing else."""
        data, start = self.data, position
        while position < len(data):
            end = data.find(b"\n", position, position + MAX_HEADER_BYTES + 1)
            if position - start > MAX_HEADER_BYTES or (end < 0 and len(data) - position > MAX_HEADER_BYTES):
                raise FramingError(f"{where} has trailer fields larger than {MAX_HEADER_BYTES // 1024} KiB", "limit")
            line = data[position : end if end >= 0 else len(data)].rstrip(b"\r")
            if not line:
                return end + 1 if end >= 0 else len(data)
            name, colon, _ = line.partition(b":")
            if not colon or not _FIELD_NAME.fullmatch(name):
                return position  # no field line: the next message
            position = end + 1 if end >= 0 else len(data)
        return position

    def _decoded(self, body: bytes, coding: str, where: str) -> bytes:
        """One coding undone (RFC 9110, section 8.4.1), to at most one byte past the message size limit."""
        most = self.limits.max_message_bytes + 1
        if coding in ("identity", ""):
            return body
        if coding in ("gzip", "x-gzip"):
            attempts = (16 + zlib.MAX_WBITS,)
        elif coding == "deflate":  # the zlib format (RFC 9110); some servers send raw deflate
            attempts = (zlib.MAX_WBITS, -zlib.MAX_WBITS)
        else:
            shown = f"'{coding}'" if _CODING_SHOWN.fullmatch(coding) else "a coding"
            raise FramingError(
                f"{where} has a body in {shown}, which is not read here (gzip and deflate are): save the "
                "capture with the body decoded"
            )
        for wbits in attempts:
            inflater = zlib.decompressobj(wbits)
            try:
                out = inflater.decompress(body, most)
            except zlib.error:
                continue
            if len(out) >= most:
                raise FramingError(
                    f"{where} has a {coding} body that inflates past the message size limit of "
                    f"{self.limits.max_message_bytes:,} bytes (raise it with --max-message-bytes)",
                    "limit",
                )
            if inflater.eof:
                return out
        raise FramingError(f"{where} has a {coding}-compressed body that does not decompress (broken or cut off)")


def _codings(value: str) -> list[str]:
    return [part.strip().lower() for part in value.split(",") if part.strip()]


def _content_length(values: list[str], where: str) -> int:
    """One length: several equal ones are one (RFC 9112, section 6.3, item 5); different ones frame nothing."""
    found = {part.strip() for value in values for part in value.split(",")}
    if len(found) != 1 or not (text := found.pop()).isdigit() or not text.isascii() or len(text) > 15:
        raise FramingError(f"{where} has an invalid Content-Length (RFC 9112, section 6.3): its body has no known end")
    return int(text)
