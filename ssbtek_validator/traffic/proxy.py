"""``ssbtek-validate proxy``: forward SSBTEK traffic unchanged, judge every exchange, record it.

The client gets exactly what the upstream gave (bytes, status, headers but the hop-by-hop ones)
as soon as it arrives; judging and recording happen after, on the worker thread, so the proxy adds
as little latency as it can. When the upstream cannot be reached or does not answer in time, the
client gets a 502/504 SOAP Fault saying so, and the exchange is recorded as incomplete.

The HTTP around each side is judged too (SSBT-HTTP: POST, text/xml, SOAPAction "", a fault with 500), as it
passed; the recording keeps the bodies only, so ``--pairs`` over it judges the messages, not their HTTP.

Recording: each exchange is ``<time>-<n>-<korrelationsid>-request.xml`` and ``…-answer.xml``, the
pair ``--pairs`` matches by korrelationsid; an exchange without an answer gets ``…-incomplete.txt``
instead, saying why. Certificates and keys are never logged nor recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import aiohttp
from aiohttp import web

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.reading.http_binding import HttpFacts, body_encoding
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.results.model import RunResult, Verdict
from ssbtek_validator.run.driver import Options, validate_pair, validate_sources
from ssbtek_validator.run.pairing import incomplete_marker
from ssbtek_validator.traffic.http import BodyProblem, WireLimits, Worker, read_body, refusal, serve_until_stopped

#: headers that belong to one connection, not to the message (RFC 9110 §7.6.1), and those aiohttp sets itself
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade", "host", "content-length",
    }
)  # fmt: skip
_NOT_JUDGED = ("an exchange could not be judged: the validator's process ended.", "incomplete", 3)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UpstreamError(Exception):
    """The upstream's TLS settings cannot be used (a usage error, exit 2)."""


def tls_context(upstream: str, ca_file: str | None, cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The system's trust store (or --ca-file), and the organisation's client certificate when given.

    The error texts name the files, never their contents.
    """
    if not upstream.startswith("https://"):
        if ca_file or cert:
            raise UpstreamError("--ca-file, --cert and --key apply to an https:// upstream")
        return None
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise UpstreamError(f"--ca-file {ca_file}: not a CA certificate file ({type(exc).__name__})") from exc
    if cert:
        try:
            context.load_cert_chain(cert, key)
        except (ssl.SSLError, OSError) as exc:
            raise UpstreamError(
                f"--cert {cert}: the certificate and key cannot be used ({type(exc).__name__})"
            ) from exc
    return context


@dataclass
class ProxySettings:
    upstream: str
    packs: dict[int, Pack]
    record: str | None = None
    json: bool = False
    tls: ssl.SSLContext | None = None
    timeout: float = 30.0
    show_values: bool = False
    strict: bool = False
    limits: Limits = field(default_factory=Limits)
    body_seconds: float = 30.0
    out: TextIO = sys.stdout


@dataclass
class Exchange:
    """One request and what came back, as the worker judges and records it."""

    number: int
    started: datetime
    request: bytes
    answer: bytes | None
    status: int | None
    #: why there is no usable answer (upstream down, timed out), None when the upstream answered
    problem: str | None
    upstream_ms: float
    #: the HTTP around each side as it passed (method, SOAPAction, Content-Type, status), judged as SSBT-HTTP
    request_http: HttpFacts | None = None
    answer_http: HttpFacts | None = None


@dataclass
class Tally:
    exchanges: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    worst: int = 0

    def add(self, verdict: str, exit_code: int) -> None:
        self.exchanges += 1
        self.verdicts[verdict] = self.verdicts.get(verdict, 0) + 1
        self.worst = max(self.worst, exit_code)  # 3 incomplete over 1 nonconformant over 0, as RunResult ranks them


class Proxy:
    def __init__(self, settings: ProxySettings) -> None:
        self.settings = settings
        self.worker = Worker(process=True)
        self.judge = Judge(
            settings.packs, settings.show_values, settings.strict, settings.limits, settings.record, settings.json
        )
        self.wire = WireLimits(settings.limits.max_message_bytes, settings.body_seconds)
        self.pending: set[asyncio.Future] = set()
        self.tally = Tally()
        self.count = 0
        self.session: aiohttp.ClientSession | None = None
        self.record = Path(settings.record) if settings.record else None
        if self.record is not None:
            self.record.mkdir(parents=True, exist_ok=True)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.limits.max_message_bytes + 1)
        app.router.add_route("*", "/{tail:.*}", self.forward)
        app.on_startup.append(self._open)
        return app

    async def _open(self, _app: web.Application) -> None:
        connector = aiohttp.TCPConnector(ssl=self.settings.tls if self.settings.tls is not None else True, limit=0)
        self.session = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar()
        )

    async def close(self) -> None:
        """After the listener closed: finish judging and recording what is in flight, then close."""
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        if self.session is not None:
            await self.session.close()
        self.worker.close()

    def _target(self, request: web.Request) -> str:
        """The upstream URL with the client's path (its own path when the client asks for /) and query."""
        upstream = aiohttp.client.URL(self.settings.upstream)
        path = request.rel_url.path if request.rel_url.path != "/" else (upstream.path or "/")
        query = request.rel_url.query_string
        return str(upstream.origin()) + path + (f"?{query}" if query else "")

    async def forward(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_body(request, self.wire)
        except BodyProblem as exc:
            return refusal(exc.status, f"Request not read by the proxy: {exc.text}.")
        started = datetime.now(UTC)
        clock = time.perf_counter()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        answer: bytes | None = None
        status: int | None = None
        problem: str | None = None
        answer_type: str | None = None
        response: web.Response
        try:
            assert self.session is not None
            async with self.session.request(
                request.method,
                self._target(request),
                data=body,
                headers=headers,
                allow_redirects=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
            ) as upstream:
                answer = await _read_up_to(upstream, self.settings.limits.max_message_bytes)
                status = upstream.status
                answer_type = upstream.headers.get("Content-Type")
                back = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
                response = web.Response(status=status, body=answer, headers=back)
        except AnswerTooLarge:
            answer = None
            problem = f"the upstream's answer is over {self.settings.limits.max_message_bytes:,} bytes"
            response = refusal(502, f"The proxy did not pass on the answer: {problem} (--max-message-bytes).")
        except TimeoutError:
            problem = f"the upstream did not answer within {self.settings.timeout:g} s"
            response = refusal(504, f"The proxy got no answer from the upstream: {problem}.")
        except (aiohttp.ClientError, OSError) as exc:
            problem = f"the upstream could not be reached or broke off ({type(exc).__name__})"
            response = refusal(502, f"The proxy could not get an answer from the upstream: {problem}.")
        elapsed = (time.perf_counter() - clock) * 1000
        if request.method == "POST" and body:
            self.count += 1
            if answer is not None:
                answer = _decoded(answer, response.headers.get("Content-Encoding"))
            exchange = Exchange(
                self.count,
                started,
                body,
                answer,
                status,
                problem,
                elapsed,
                HttpFacts(
                    "request",
                    headers_recorded=True,
                    method=request.method,
                    soap_action=request.headers.get("SOAPAction"),
                    content_type=request.headers.get("Content-Type"),
                ),
                HttpFacts("answer", headers_recorded=True, content_type=answer_type, status=status)
                if answer is not None
                else None,
            )
            future = asyncio.ensure_future(self.worker.run(self.judge, exchange))
            self.pending.add(future)
            future.add_done_callback(self._done)
        return response

    def _done(self, future: asyncio.Future) -> None:
        self.pending.discard(future)
        if future.cancelled() or future.exception() is not None:  # the worker process died: say so, count it
            line, verdict, exit_code = _NOT_JUDGED
        else:
            line, verdict, exit_code = future.result()
        self.tally.add(verdict, exit_code)
        self.settings.out.write(line + "\n")
        self.settings.out.flush()


@dataclass(frozen=True)
class Judge:
    """Judging and recording one exchange, in the worker process: picklable, so the CPU work of
    validating runs beside the event loop instead of competing with it for the interpreter."""

    packs: dict[int, Pack]
    show_values: bool
    strict: bool
    limits: Limits
    record: str | None
    json: bool

    def __call__(self, exchange: Exchange) -> tuple[str, str, int]:
        """(the line to print, the verdict, its exit code). Never raises."""
        try:
            return self._judge(exchange)
        except Exception as exc:  # a bug in judging must not lose the exchange from the count
            line = f"exchange {exchange.number}: the validator failed on it ({type(exc).__name__}); please report it."
            return line, str(Verdict.INCOMPLETE), 3

    def _judge(self, exchange: Exchange) -> tuple[str, str, int]:
        # coverage only for the JSON lines, which carry each message's "observed"
        options = Options(show_values=self.show_values, strict=self.strict, limits=self.limits, coverage=self.json)
        korrelationsid = _korrelationsid(exchange.request)
        stem = _stem(exchange, korrelationsid)
        names = (f"{stem}-request.xml", f"{stem}-answer.xml")
        if exchange.answer is not None:
            # the bodies' own encodings are read here, in the worker, not on the loop that forwards traffic
            http = (
                _with_encoding(exchange.request_http, exchange.request),
                _with_encoding(exchange.answer_http, exchange.answer),
            )
            result = validate_pair(
                Source(names[0], exchange.request), Source(names[1], exchange.answer), options, self.packs, http
            )
        else:
            result = validate_sources([Source(names[0], exchange.request)], options, self.packs)
        verdict, exit_code = _verdict(result, exchange)
        recorded = self._record(exchange, names, stem) if self.record is not None else []
        if self.json:
            line = json.dumps(_as_json(exchange, korrelationsid, result, verdict, recorded), ensure_ascii=False)
        else:
            line = _line(exchange, korrelationsid, result, verdict)
        return line, verdict, exit_code

    def _record(self, exchange: Exchange, names: tuple[str, str], stem: str) -> list[str]:
        folder = Path(self.record or ".")
        written = [names[0]]
        (folder / names[0]).write_bytes(exchange.request)
        if exchange.answer is not None:
            (folder / names[1]).write_bytes(exchange.answer)
            written.append(names[1])
        else:
            marker, text = incomplete_marker(stem, str(exchange.problem), names[0], exchange.started.isoformat())
            (folder / marker).write_text(text, encoding="utf-8")
            written.append(marker)
        return written


def _with_encoding(facts: HttpFacts | None, body: bytes) -> HttpFacts | None:
    """The facts with the encoding the body names itself, which its Content-Type's charset is compared with."""
    return facts._replace(body_encoding=body_encoding(body)) if facts is not None else None


class AnswerTooLarge(Exception):
    """The upstream's answer is over --max-message-bytes: the proxy holds each answer in memory to judge it."""


async def _read_up_to(upstream: aiohttp.ClientResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in upstream.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise AnswerTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """What the validator reads of a compressed answer (the client still gets the bytes as sent)."""
    if encoding and encoding.lower() in ("gzip", "deflate"):
        try:
            return zlib.decompress(body, 47)  # 32 + 15: gzip or zlib header, detected
        except zlib.error:
            return body
    return body


def _korrelationsid(request: bytes) -> str | None:
    found = re.search(rb"<(?:[\w.-]+:)?korrelationsid>\s*([^<\s]{1,100})\s*</", request)
    return found.group(1).decode("utf-8", "replace") if found else None


def _stem(exchange: Exchange, korrelationsid: str | None) -> str:
    # milliseconds, not microseconds: twelve digits in a row look like a personnummer to the masking of report
    # texts, which would hide the very file name a user has to find (the exchange number keeps names unique)
    moment = exchange.started.strftime("%Y%m%dT%H%M%S.") + f"{exchange.started.microsecond // 1000:03d}Z"
    key = _SAFE_NAME.sub("_", korrelationsid)[:64] if korrelationsid else "no-korrelationsid"
    return f"{moment}-{exchange.number:06d}-{key}"


def _verdict(result: RunResult, exchange: Exchange) -> tuple[str, int]:
    if exchange.answer is None:
        return str(Verdict.INCOMPLETE), 3
    return str(result.verdict), result.exit_code


def _line(exchange: Exchange, korrelationsid: str | None, result: RunResult, verdict: str) -> str:
    """One line per exchange: what it was, each side's verdict and the rules that spoke (masked)."""
    request = result.messages[0]
    detection = request.detection
    what = f"v{detection.version} {detection.operation}" if detection.version else "not SSBTEK"
    parts = [f"request {request.verdict}"]
    if exchange.answer is None:
        parts.append(f"no answer: {exchange.problem}")
    else:
        parts.append(f"answer {result.messages[1].verdict}")
        if result.exchanges:
            parts.append(f"pair {result.exchanges[0].verdict}")
    rules = list(
        dict.fromkeys(
            f.rule
            for judged in [*result.messages, *result.exchanges]
            for f in judged.findings
            if f.severity in ("error", "warning")
        )
    )
    status = exchange.status if exchange.status is not None else "-"
    tail = f" [{', '.join(rules[:6])}{', …' if len(rules) > 6 else ''}]" if rules else ""
    return (
        f"{exchange.started:%H:%M:%S} #{exchange.number} {what} korrelationsid {korrelationsid or '(none)'} "
        f"HTTP {status} {exchange.upstream_ms:.0f} ms: {verdict} ({'; '.join(parts)}){tail}"
    )


def _as_json(exchange: Exchange, korrelationsid: str | None, result: RunResult, verdict: str, recorded) -> dict:
    return {
        "exchange": exchange.number,
        "started": exchange.started.isoformat(),
        "korrelationsid": korrelationsid,
        "http_status": exchange.status,
        "upstream_ms": round(exchange.upstream_ms, 1),
        "verdict": verdict,
        "problem": exchange.problem,
        "messages": [m.to_dict() for m in result.messages],
        "pair": result.exchanges[0].to_dict() if result.exchanges else None,
        "recorded": recorded,
    }


def summary(tally: Tally) -> str:
    counts = ", ".join(f"{n} {verdict}" for verdict, n in sorted(tally.verdicts.items())) or "none"
    return f"ssbtek-validate proxy: {tally.exchanges} exchanges ({counts}) → exit {tally.worst}"


def run(settings: ProxySettings, host: str, port: int, announce: Callable[[str], None]) -> int:
    """Forward until stopped; the exit code is the worst exchange's (0 conforms, 1 nonconformant, 3 incomplete)."""
    proxy = Proxy(settings)

    async def main() -> None:
        await serve_until_stopped(
            proxy.app(),
            host,
            port,
            lambda url: announce(f"ssbtek-validate proxy: {url} → {settings.upstream}"),
            proxy.close,
        )

    asyncio.run(main())
    announce(summary(proxy.tally))
    return proxy.tally.worst
