"""What the proxy and the test double share: reading a request body safely, faults, running until stopped.

lxml work (validating, generating) runs on one dedicated thread: the event loop stays free to
accept and read other clients while a message is checked, and the validator's cached parser is
only ever used from that one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass

from aiohttp import web

#: SOAP 1.1 is sent as text/xml (SOAP 1.1, section 6); a SOAP 1.1 stack answers any other type, application/xml
#: included, with 415, and SSBT-HTTP calls it an error: the double refuses what the rule says the service refuses
SOAP11_TYPES = ("text/xml",)
XML_TYPE = "text/xml; charset=utf-8"


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT``, or ``PORT``) → (host, port); the host defaults to loopback."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen {value!r}: expected HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)")
    return host, int(port)


@dataclass(frozen=True)
class WireLimits:
    """What one client may send: the body's size and how long it may take to send it."""

    max_body: int
    body_seconds: float


class BodyProblem(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


async def read_body(request: web.Request, limits: WireLimits) -> bytes:
    """The whole body, or a :class:`BodyProblem` (413 past the limit, 408 when it trickles in too slowly).

    Read in pieces with a deadline for the whole body: a client sending a byte a second (slowloris)
    holds only its own connection, and only until the deadline.
    """
    if request.content_length is not None and request.content_length > limits.max_body:
        raise BodyProblem(413, f"the body is {request.content_length:,} bytes; the limit is {limits.max_body:,}")
    chunks: list[bytes] = []
    size = 0

    async def pull() -> None:
        nonlocal size
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limits.max_body:
                raise BodyProblem(413, f"the body is over the limit of {limits.max_body:,} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(pull(), limits.body_seconds)
    except TimeoutError as exc:
        raise BodyProblem(408, f"the body did not arrive within {limits.body_seconds:g} s") from exc
    return b"".join(chunks)


def refusal(status: int, text: str) -> web.Response:
    """An HTTP-level refusal (413, 415, 408, 400, 502, 504) as plain text, never as a SOAP Fault.

    These are refused before any envelope was read, or by the proxy standing in as a gateway. A SOAP 1.1
    Fault goes with HTTP 500 and only with 500 (SOAP 1.1 section 6.2; WS-I Basic Profile 1.1, R1126): a
    Fault under another status is what SSBT-HTTP calls an error in an answer, so neither the double nor
    the proxy sends one. A SOAP client reports the status and shows this text.
    """
    return web.Response(status=status, text=text + "\n", content_type="text/plain", charset="utf-8")


def content_type_problem(request: web.Request) -> str | None:
    if request.content_type not in SOAP11_TYPES:
        shown = request.content_type or "none"
        return f"Content-Type {shown!r}: SSBTEK is SOAP 1.1, sent as text/xml"
    return None


class Worker:
    """One thread for all lxml work, so the loop keeps serving while a message is checked.

    ``process=True``: one worker process instead (the proxy): its judging then does not hold the
    interpreter while the loop forwards other clients' traffic, which is what the proxy's added
    latency is made of. Started by spawning, never by forking a process that runs threads.
    """

    def __init__(self, process: bool = False) -> None:
        if process:
            context = multiprocessing.get_context("spawn")
            self.pool: Executor = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_ignore_sigint)
        else:
            self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssbtek-validate")

    async def run(self, function: Callable, *args):
        return await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _ignore_sigint() -> None:
    """Ctrl-C in a terminal reaches the whole process group: the worker leaves stopping to the parent,
    which judges what is in flight before it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


async def serve_until_stopped(
    app: web.Application,
    host: str,
    port: int,
    announce: Callable[[str], None],
    stopping: Callable[[], Awaitable[None]] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Listen until SIGINT or SIGTERM (or ``stop``); ``announce`` gets the URL once listening.

    Stopping closes the listener first, then awaits ``stopping`` (the proxy judges and records what
    is still in flight), so nothing accepted is lost.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread (embedding)
            loop.add_signal_handler(number, stop.set)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, shutdown_timeout=5)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    announce(f"http://{shown}:{bound_port}/")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if stopping is not None:
            await stopping()
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(number)
