"""``ssbtek-validate serve``: an SSBTEK test double for a vendor's CI.

A SOAP 1.1 endpoint for every operation of the served packs, routed by the Body's namespace as
Försäkringskassan routes: a request is validated with every rule; a nonconformant one gets a SOAP
Fault with the findings (masked) in its ``detail``; a conforming one gets a generated answer that
conforms to every rule, the same answer for the same ``--seed`` and korrelationsid.

The Fault texts are ours: Försäkringskassan does not publish the texts of its faults, so the
double names the rules instead, which is what a vendor needs to fix the request.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from aiohttp import web

from ssbtek_validator.packs.schema_packs import Pack
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.limits import Limits
from ssbtek_validator.reading.message import child, parse, text_of
from ssbtek_validator.report.text import finding_line
from ssbtek_validator.results.masking import mask_identities
from ssbtek_validator.results.model import MessageResult, Severity
from ssbtek_validator.run.driver import Options, validate_sources
from ssbtek_validator.run.swedish_time import today_in_sweden
from ssbtek_validator.traffic import answers, scenarios, wsdl
from ssbtek_validator.traffic.http import (
    BodyProblem,
    WireLimits,
    Worker,
    content_type_problem,
    read_body,
    refusal,
    serve_until_stopped,
)

#: how many findings a Fault lists (its detail stays readable; the log has them all)
FAULT_FINDINGS = 20


@dataclass
class DoubleSettings:
    packs: dict[int, Pack]
    #: the versions answered; others get the generic fault the real service gives another namespace
    versions: tuple[int, ...]
    seed: int = 0
    scenarios: scenarios.Scenarios = field(default_factory=scenarios.Scenarios)
    near_miss: float = 0.0
    lenient: bool = False
    show_values: bool = False
    limits: Limits = field(default_factory=Limits)
    body_seconds: float = 30.0
    log: TextIO = sys.stderr
    #: the day answers are dated when the request has no frageTidpunkt; None = today
    today: date | None = None

    @property
    def default_version(self) -> int:
        return max(self.versions)


@dataclass
class Reply:
    status: int
    body: bytes
    line: str
    delay: float = 0.0


class TestDouble:
    def __init__(self, settings: DoubleSettings) -> None:
        self.settings = settings
        self.worker = Worker()
        self.wire = WireLimits(settings.limits.max_message_bytes, settings.body_seconds)
        self.served = 0

    # ---------------------------------------------------------------- the HTTP side

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.settings.limits.max_message_bytes + 1)
        app.router.add_get("/xsd/{path:.+}", self.schema)
        app.router.add_route("GET", "/{tail:.*}", self.get)
        app.router.add_route("POST", "/{tail:.*}", self.post)
        return app

    def _version_of_path(self, request: web.Request) -> int | None:
        parts = [p for p in request.path.split("/") if p]
        if len(parts) >= 2 and parts[-2] == "ssbt" and parts[-1].isdigit() and int(parts[-1]) in self.settings.versions:
            return int(parts[-1])
        return None

    async def get(self, request: web.Request) -> web.Response:
        """``?wsdl``: the WSDL (of the version in the path, /ssbt/N, else the newest served)."""
        if "wsdl" not in {key.lower() for key in request.query}:
            return web.Response(status=404, text="SSBTEK test double: POST SOAP requests here; ?wsdl for the WSDL\n")
        version = self._version_of_path(request) or self.settings.default_version
        pack = self.settings.packs[version]
        base = f"{request.scheme}://{request.host}"
        body = wsdl.wsdl_for(pack, f"{base}{request.path}", f"{base}/xsd/")
        return web.Response(body=body, content_type="text/xml", charset="utf-8")

    async def schema(self, request: web.Request) -> web.Response:
        pack = self.settings.packs[self.settings.default_version]
        path = wsdl.schema_file(pack, request.match_info["path"])
        if path is None:
            return web.Response(status=404, text="no such schema\n")
        return web.Response(body=path.read_bytes(), content_type="text/xml", charset="utf-8")

    async def post(self, request: web.Request) -> web.Response:
        problem = content_type_problem(request)
        if problem:
            self._log(f"415 {problem}")
            return refusal(415, problem)
        try:
            body = await read_body(request, self.wire)
        except BodyProblem as exc:
            self._log(f"{exc.status} {exc.text}")
            return refusal(exc.status, f"Request not read: {exc.text}.")
        try:
            header = self.settings.scenarios.with_header(request.headers.get(scenarios.HEADER))
        except scenarios.ScenarioError as exc:
            return refusal(400, str(exc))
        self.served += 1
        reply = await self.worker.run(self.answer, body, header, f"request-{self.served}")
        if reply.delay:
            await asyncio.sleep(reply.delay)
        self._log(reply.line)
        return web.Response(status=reply.status, body=reply.body, content_type="text/xml", charset="utf-8")

    def _log(self, line: str) -> None:
        self.settings.log.write(f"serve: {line}\n")
        self.settings.log.flush()

    # ---------------------------------------------------------------- the SSBTEK side (on the worker thread)

    def answer(self, body: bytes, scenario: scenarios.Scenarios, name: str) -> Reply:
        """The reply to one request body: a generated answer or a Fault. Never raises."""
        try:
            return self._answer(body, scenario, name)
        except Exception as exc:  # a bug must give the client a Fault, and the server must keep serving
            text = f"The test double failed on this request ({type(exc).__name__}); please report it."
            return Reply(500, answers.fault_envelope(None, None, "", [text], True), f"500 {text}")

    def _answer(self, body: bytes, scenario: scenarios.Scenarios, name: str) -> Reply:
        settings = self.settings
        # the reply and the log line say nothing of coverage
        options = Options(
            show_values=settings.show_values, limits=settings.limits, as_of=settings.today, coverage=False
        )
        result = validate_sources([Source(name, body)], options, settings.packs).messages[0]
        detection = result.detection
        version, operation = detection.version, detection.operation
        if version not in settings.versions or settings.packs.get(version) is None:
            text = "No SSBTEK service for this message's namespace" + (f" (v{version})" if version else "")
            return Reply(500, answers.fault_envelope(None, None, "", [text + "."], False), f"500 {text}")
        pack = settings.packs[version]
        what = f"v{version} {operation or '?'}"
        if detection.direction != "request" or operation not in pack.operations:
            text = f"Not an SSBTEK request ({detection.operation} {detection.direction})"
            return Reply(500, answers.fault_envelope(None, None, "", [text + "."], False), f"500 {what}: {text}")
        errors = [f for f in result.findings if f.severity == Severity.ERROR]
        findings_line = _rules(result)
        if errors and not settings.lenient:
            lines = [_fault_text(f) for f in errors[:FAULT_FINDINGS]]
            if len(errors) > FAULT_FINDINGS:
                lines.append(f"… and {len(errors) - FAULT_FINDINGS} more errors.")
            fault = answers.fault_envelope(pack, operation, "NONCONFORMANT-REQUEST", lines, False)
            return Reply(500, fault, f"500 {what}: request nonconformant → Fault ({findings_line})")
        message = parse(Source(name, body), settings.limits)
        korrelationsid = _korrelationsid(message)
        who = f"{what} korrelationsid {korrelationsid or '(none)'}"
        if scenario.fault:
            fault = answers.fault_envelope(pack, operation, "TEST-DOUBLE", ["The service failed (scenario)."], True)
            return Reply(500, fault, f"500 {who}: Fault (scenario)")
        found = child(message.payload, "generellaFrageparametrar", "personidentitet")
        person = text_of(found).strip() if found is not None else ""
        fixed = settings.scenarios.people.get(person) or scenario.people.get(person)
        generated = answers.answer_for(
            pack,
            message,
            settings.seed,
            settings.today or today_in_sweden(),
            fixed=fixed,
            errors=scenario.errors,
        )
        asked = {etree_local(e.tag) for e in generated.payload.iterfind("{*}svarsdata/{*}*")}
        note = f"lenient, request nonconformant ({findings_line}); " if errors else ""
        xml = generated.to_bytes()
        if settings.near_miss and _draw(settings.seed, korrelationsid, body) < settings.near_miss:
            mutation = answers.near_miss(generated, answers.chooser_for(settings.seed, message, "near-miss"))
            if mutation is not None:
                xml = mutation.document.xml
                note += f"near-miss: {mask_identities(mutation.description)} (→ {mutation.rule}); "
        line = f"200 {who}: {note}answer ({', '.join(sorted(asked)) or 'no agency data'})"
        if errors:  # --lenient: the findings it answered despite, in the log
            line += "".join(f"\n  {finding_line(f)}" for f in result.findings)
        return Reply(200, xml, line, scenario.delay(asked))


def etree_local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _korrelationsid(message) -> str | None:
    if message.payload is None:
        return None
    element = child(message.payload, "generellaFrageparametrar", "korrelationsid")
    value = text_of(element).strip() if element is not None else ""
    return value or None


def _draw(seed: int, korrelationsid: str | None, body: bytes) -> float:
    """A number in [0, 1) fixed by seed and korrelationsid: whether this request gets a near-miss."""
    basis = korrelationsid.encode() if korrelationsid else body
    return random.Random(hashlib.sha256(f"{seed}:near-miss:".encode() + basis).digest()).random()


def _rules(result: MessageResult) -> str:
    rules = list(dict.fromkeys(f.rule for f in result.findings if f.severity in (Severity.ERROR, Severity.WARNING)))
    return ", ".join(rules) if rules else "no findings"


def _fault_text(finding) -> str:
    """A finding as the Fault shows it: rule, message and place; the texts are already masked."""
    text = f"{finding.rule}: {finding.message}"
    return text + (f" [at {finding.path}]" if finding.path else "")


def describe(settings: DoubleSettings, url: str) -> str:
    versions = ", ".join(f"v{v}" for v in settings.versions)
    return f"ssbtek-validate serve: SSBTEK {versions} at {url} (WSDL: {url}?wsdl, or {url}ssbt/N?wsdl)"


def run(settings: DoubleSettings, host: str, port: int, announce: Callable[[str], None]) -> int:
    """Serve until stopped; exit code 0."""
    double = TestDouble(settings)

    async def main() -> None:
        await serve_until_stopped(double.app(), host, port, lambda url: announce(describe(settings, url)))

    try:
        asyncio.run(main())
    finally:
        double.worker.close()
    return 0
