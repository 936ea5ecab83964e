"""`serve` (the SSBTEK test double) and `proxy` (validating, recording), as a vendor runs them.

Servers are started as the command starts them (`python -m ssbtek_validator serve|proxy`), listening on
127.0.0.1 with port 0; the test process reaches loopback only (tests/netguard.py), and every wait
is bounded. Misbehaving upstreams are a small socket server in this process.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..conftest import CORPUS, ROOT, run_cli
from ..netguard import GUARD

pytest.importorskip("aiohttp")

TIMEOUT = 15


class Running:
    """A server command in a child process, its output collected line by line."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ssbtek_validator", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True).start()
        self.url = self.wait_for(lambda: _url(self.out + self.err))

    @staticmethod
    def _collect(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, found, seconds: float = TIMEOUT):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = found()
            if value:
                return value
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the readers catch up with what it printed before it ended
                value = found()
                if value:
                    return value
                raise AssertionError(f"the server ended ({self.process.returncode}): {self.err}")
            time.sleep(0.05)
        raise AssertionError(f"not seen within {seconds} s; stdout {self.out}, stderr {self.err}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(TIMEOUT)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            time.sleep(0.1)


def _url(lines: list[str]) -> str | None:
    for line in lines:
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if found:
            return found.group(1)
    return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post(url: str, body: bytes, content_type: str = "text/xml; charset=utf-8", **headers) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, **headers})
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(autouse=True)
def loopback():
    with GUARD.loopback_only():
        yield


@pytest.fixture(scope="module")
def double() -> Iterator[Running]:
    running = Running("serve", "--listen", "127.0.0.1:0", "--seed", "3", "--max-message-bytes", "200000",
                      "--body-timeout", "1")  # fmt: skip
    yield running
    assert running.stop() == 0


def _cli(*args: str):
    return run_cli(*args)


# ---------------------------------------------------------------- serve


@pytest.mark.parametrize("request_file", ["v10/request-full.xml", "v11/request-echo-fraga.xml", "v11/ping-request.xml"])
def test_serve_answers_a_conforming_request_with_a_conforming_answer(double, request_file, tmp_path):
    status, answer = post(double.url, (CORPUS / request_file).read_bytes())
    assert status == 200, answer[:500]
    saved = tmp_path / "answer.xml"
    saved.write_bytes(answer)
    assert _cli(str(saved)).exit_code == 0
    paired = _cli("pair", str(CORPUS / request_file), str(saved))
    assert paired.exit_code == 0, paired.output


def test_serve_gives_the_same_answer_to_the_same_request(double):
    body = (CORPUS / "v10/request-full.xml").read_bytes()
    assert post(double.url, body) == post(double.url, body)


def test_a_nonconformant_request_gets_a_fault_naming_the_rule_masked(double):
    body = (CORPUS / "v10/invalid-personidentitet-check-digit.xml").read_bytes()
    person = re.search(rb"<ssbt:personidentitet>(\d+)<", body).group(1)
    status, answer = post(double.url, body)
    assert status == 500
    assert b"Fault>" in answer and b"SSBT-PERSONID" in answer
    assert b"hamtaBastjanstInformationFault" in answer  # the SSBTEK detail, as the operation defines it
    assert person not in answer


def test_serve_answers_a_namespace_it_does_not_serve_with_a_generic_fault(double):
    status, answer = post(double.url, (CORPUS / "misc/unknown-version.xml").read_bytes())
    assert status == 500 and b"Fault>" in answer and b"BastjanstInformationFault" not in answer


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"not xml at all", "text/xml", 500),
        (b"<a/>", "application/json", 415),
        (b"<a/>", "application/xml", 415),
        (b"<a>" + b"x" * 300_000 + b"</a>", "text/xml", 413),
    ],
)
def test_bad_input_on_the_wire_is_refused_and_the_server_keeps_serving(double, body, content_type, status):
    got, answer = post(double.url, body, content_type)
    assert got == status
    # a Fault goes with 500 only (WS-I BP R1126): an HTTP-level refusal is plain text that says why
    assert (b"Fault>" in answer) == (status == 500)
    if status != 500:
        assert answer.endswith(b"\n") and (b"text/xml" in answer or b"limit" in answer)
    assert post(double.url, (CORPUS / "v10/ping-request.xml").read_bytes())[0] == 200


def test_a_trickling_client_is_cut_off_while_others_are_served(double):
    host, port = double.url[7:-1].split(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<a>")
        assert post(double.url, (CORPUS / "v10/ping-request.xml").read_bytes())[0] == 200
        slow.settimeout(TIMEOUT)
        assert b" 408 " in slow.recv(4096).split(b"\r\n")[0] + b" "


def test_scenario_header_makes_an_agency_answer_with_an_error(double):
    status, answer = post(
        double.url, (CORPUS / "v10/request-full.xml").read_bytes(), **{"X-SSBTEK-Scenario": "error=CSN"}
    )
    assert status == 200
    assert re.search(rb"<[\w:]*CSN>\s*<[\w:]*error>", answer)


def test_scenario_file_faults_every_call(tmp_path):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text("fault = true\n")
    running = Running("serve", "--listen", "127.0.0.1:0", "--pack", "10", "--scenario", str(scenario))
    try:
        status, answer = post(running.url, (CORPUS / "v10/request-minimal.xml").read_bytes())
        assert status == 500 and b"TEST-DOUBLE" in answer
    finally:
        assert running.stop() == 0


def test_a_broken_scenario_file_is_a_usage_error(tmp_path):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text('error = ["XYZ"]\n')
    result = _cli("serve", "--scenario", str(scenario))
    assert result.exit_code == 2 and "unknown agency 'XYZ'" in result.output


def test_without_aiohttp_the_commands_say_how_to_install_it(monkeypatch):
    import ssbtek_validator.cli.traffic as commands

    monkeypatch.setattr(commands, "aiohttp_missing", lambda: "this command needs the 'serve' extra")
    for command in (["serve"], ["proxy", "--upstream", "http://127.0.0.1:9/"]):
        result = _cli(*command)
        assert result.exit_code == 2 and "'serve' extra" in result.output and "Traceback" not in result.output


# ---------------------------------------------------------------- zeep, and the proxy recording it


def _zeep_calls(version: int, wsdl_url: str, endpoint: str) -> None:
    """Every operation of the version, as a vendor's zeep client makes them; the questions are corpus requests
    read into zeep's own objects, so zeep writes the XML."""
    zeep = pytest.importorskip("zeep")
    requests = pytest.importorskip("requests")
    from lxml import etree
    from zeep.transports import Transport

    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: loopback only
    namespace = f"http://schema.forsakringskassan.se/integration/ssbt/{version}"
    client = zeep.Client(wsdl_url, transport=Transport(session=session))
    service = client.create_service(f"{{{namespace}}}SsbtekBinding", endpoint)
    pinged = service.testaBastjanstInformation()
    assert pinged is not None
    element = client.get_element(f"{{{namespace}}}hamtaBastjanstInformation")
    for name, scenario in (
        ("request-full.xml", None),
        ("request-echo-fraga.xml", None),
        ("request-full.xml", "error=SO"),
    ):
        if scenario:
            session.headers["X-SSBTEK-Scenario"] = scenario
        payload = etree.parse(str(CORPUS / f"v{version}" / name)).find(".//{*}hamtaBastjanstInformation")
        question = element.parse(payload, client.wsdl.types)
        answer = service.hamtaBastjanstInformation(**{key: question[key] for key in question})
        assert answer.svarsdata is not None


@pytest.mark.parametrize("version", [10, 11])
def test_zeep_through_the_proxy_and_the_recording_certifies(double, version, tmp_path):
    record = tmp_path / "recorded"
    proxy = Running("proxy", "--upstream", double.url, "--listen", "127.0.0.1:0", "--record", str(record))
    try:
        _zeep_calls(version, f"{double.url}ssbt/{version}?wsdl", f"{proxy.url}ssbt/{version}")
        proxy.wait_for(lambda: len(proxy.out) >= 4)
    finally:
        assert proxy.stop() == 0, proxy.err  # 0: every exchange conformed
    assert len(proxy.out) == 4 and all(": conforms (" in line for line in proxy.out), proxy.out
    assert len(list(record.glob("*-answer.xml"))) == 4
    checked = _cli("--pairs", str(record))
    assert checked.exit_code == 0, checked.output
    assert "4 exchanges: 4 conform" in checked.output
    out = tmp_path / "certification"
    certified = _cli("certify", str(record), "--pack", str(version), "--pairs", "--output", str(out))
    assert "0 nonconformant, 0 incomplete" in certified.output, certified.output
    assert (out / "evidence.json").is_file()


# ---------------------------------------------------------------- the proxy in front of a misbehaving upstream


class _Misbehaving(socketserver.BaseRequestHandler):
    """/close: hangs up without answering; /html: an HTML error page; /slow: answers after 3 s; /big: 100 kB."""

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        path = data.split(b" ", 2)[1]
        if path.startswith(b"/close"):
            return
        if path.startswith(b"/slow"):
            time.sleep(3)
        page = b"<html><body>Service Unavailable</body></html>"
        if path.startswith(b"/big"):
            page = b"<html>" + b"x" * 100_000 + b"</html>"
        self.request.sendall(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nConnection: close\r\n"
            + f"Content-Length: {len(page)}\r\n\r\n".encode()
            + page
        )


@pytest.fixture(scope="module")
def misbehaving() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_proxy_survives_a_misbehaving_upstream_and_records_what_happened(misbehaving, double, tmp_path):
    record = tmp_path / "recorded"
    proxy = Running("proxy", "--upstream", misbehaving, "--listen", "127.0.0.1:0", "--record", str(record),
                    "--timeout", "1", "--max-message-bytes", "50000")  # fmt: skip
    request = (CORPUS / "v10/request-full.xml").read_bytes()
    try:
        status, answer = post(proxy.url + "close", request)
        assert status == 502 and b"could not get an answer from the upstream" in answer and b"Fault>" not in answer
        status, answer = post(proxy.url + "slow", request)
        assert status == 504 and b"no answer from the upstream" in answer
        status, answer = post(proxy.url + "html", request)
        assert (status, answer) == (503, b"<html><body>Service Unavailable</body></html>")  # unchanged
        status, answer = post(proxy.url + "big", request)
        assert status == 502 and b"over 50,000 bytes" in answer  # the proxy holds answers to judge them: bounded
        proxy.wait_for(lambda: len(proxy.out) >= 4)
    finally:
        code = proxy.stop()
    assert code == 3  # an exchange without an answer: the run is incomplete
    verdicts = [line.split(": ", 1)[1].split(" ")[0] for line in proxy.out]
    assert verdicts == ["incomplete"] * 4, proxy.out  # garbage is no answer either
    assert "answer nonconformant" in proxy.out[2]
    assert len(list(record.glob("*-incomplete.txt"))) == 3
    assert (next(record.glob("*-answer.xml"))).read_bytes().startswith(b"<html>")  # what the upstream gave
    paired = _cli("--pairs", str(record))  # the recording, judged later: unanswered is incomplete, not unmatched
    assert paired.exit_code == 3, paired.output
    assert paired.output.count("SSBT-PAIR-INCOMPLETE The proxy recorded this exchange as incomplete") == 3
    assert "SSBT-PAIR-UNMATCHED" not in paired.output, paired.output


def test_the_proxy_forwards_unchanged_and_loses_nothing_under_concurrency(double, tmp_path):
    record = tmp_path / "recorded"
    proxy = Running("proxy", "--upstream", double.url, "--listen", "127.0.0.1:0", "--record", str(record),
                    "--format", "json")  # fmt: skip
    bodies = [(CORPUS / name).read_bytes() for name in ("v10/request-full.xml", "v11/request-minimal.xml")]
    try:
        direct = [post(double.url, body, SOAPAction='""') for body in bodies]
        with ThreadPoolExecutor(10) as pool:
            through = list(pool.map(lambda i: post(proxy.url, bodies[i % 2], SOAPAction='""'), range(40)))
        assert all(got == direct[i % 2] for i, got in enumerate(through))  # same status, same bytes
        proxy.wait_for(lambda: len(proxy.out) >= 40)
    finally:
        assert proxy.stop() == 0
    import json

    lines = [json.loads(line) for line in proxy.out]
    assert sorted(line["exchange"] for line in lines) == list(range(1, 41))
    assert {line["verdict"] for line in lines} == {"conforms"}
    assert len(list(record.glob("*-request.xml"))) == len(list(record.glob("*-answer.xml"))) == 40


def test_the_proxy_judges_the_http_of_the_live_request(double):
    """What only the wire shows: SOAPAction missing, or SOAP 1.2's media type, makes the request nonconformant."""
    proxy = Running("proxy", "--upstream", double.url, "--listen", "127.0.0.1:0", "--format", "json")
    body = (CORPUS / "v10/request-full.xml").read_bytes()
    try:
        assert post(proxy.url, body, SOAPAction='""')[0] == 200
        proxy.wait_for(lambda: len(proxy.out) >= 1)
        assert post(proxy.url, body)[0] == 200  # the double does not look at SOAPAction; the proxy does
        proxy.wait_for(lambda: len(proxy.out) >= 2)
        assert post(proxy.url, body, "application/soap+xml; charset=utf-8", SOAPAction='""')[0] == 415
        proxy.wait_for(lambda: len(proxy.out) >= 3)
    finally:
        # the refused exchange has no SOAP answer: incomplete (exit 3), as with an HTML error page
        assert proxy.stop() == 3
    import json

    lines = sorted((json.loads(line) for line in proxy.out), key=lambda line: line["exchange"])
    said = [[f["message"] for f in line["messages"][0]["findings"] if f["rule"] == "SSBT-HTTP"] for line in lines]
    assert said[0] == [] and lines[0]["verdict"] == "conforms"
    assert len(said[1]) == 1 and "no SOAPAction header" in said[1][0]
    assert len(said[2]) == 1 and "application/soap+xml" in said[2][0] and "SOAP 1.2" in said[2][0]
    assert [line["messages"][0]["verdict"] for line in lines] == ["conforms", "nonconformant", "nonconformant"]
    # the double's 415 is plain text, no Fault under a status other than 500 (R1126) for the proxy to flag
    assert not [f for m in lines[2]["messages"][1:] for f in m["findings"] if f["rule"] == "SSBT-HTTP"]


# ---------------------------------------------------------------- the double's choices, in process


def _double(**settings):
    from ssbtek_validator import builtin_packs
    from ssbtek_validator.traffic.serve import DoubleSettings, TestDouble

    return TestDouble(DoubleSettings(packs=builtin_packs(), versions=(10, 11), **settings))


def test_lenient_answers_a_nonconformant_request_and_logs_its_findings_masked():
    body = (CORPUS / "v10/invalid-personidentitet-check-digit.xml").read_bytes()
    person = re.search(rb"<ssbt:personidentitet>(\d+)<", body).group(1).decode()
    strict = _double().answer(body, _double().settings.scenarios, "r")
    lenient = _double(lenient=True).answer(body, _double().settings.scenarios, "r")
    assert strict.status == 500
    assert lenient.status == 200 and b"hamtaBastjanstInformationResponse" in lenient.body
    assert "lenient" in lenient.line and "error SSBT-PERSONID" in lenient.line and person not in lenient.line


def test_near_miss_answers_carry_the_defect_the_log_names():
    from ssbtek_validator import Options
    from ssbtek_validator.reading.inputs import Source
    from ssbtek_validator.run.driver import validate_pair

    body = (CORPUS / "v11/request-full.xml").read_bytes()
    double = _double(near_miss=1.0)
    reply = double.answer(body, double.settings.scenarios, "r")
    rule = re.search(r"→ ([A-Z0-9-]+)\)", reply.line).group(1)
    judged = validate_pair(Source("q", body), Source("a", reply.body), Options(), double.settings.packs)
    assert judged.exit_code != 0
    found = {f.rule for judged_item in [*judged.messages, *judged.exchanges] for f in judged_item.findings}
    assert rule in found, (reply.line, found)
    assert _double(near_miss=0.0).answer(body, double.settings.scenarios, "r").line.count("near-miss") == 0


def test_the_seed_decides_the_answer():
    body = (CORPUS / "v10/request-full.xml").read_bytes()
    answers = {seed: _double(seed=seed).answer(body, _double().settings.scenarios, "r").body for seed in (1, 1, 2)}
    assert answers[1] == _double(seed=1).answer(body, _double().settings.scenarios, "r").body
    assert answers[1] != answers[2]


def test_recorded_pairs_without_korrelationsid_pair_by_file_name(tmp_path):
    """A ping and a fault carry no korrelationsid: --pairs pairs NAME-request with NAME-answer, as recorded."""
    (tmp_path / "t1-000001-no-korrelationsid-request.xml").write_bytes((CORPUS / "v10/ping-request.xml").read_bytes())
    (tmp_path / "t1-000001-no-korrelationsid-answer.xml").write_bytes((CORPUS / "v10/ping-answer.xml").read_bytes())
    result = _cli("--pairs", str(tmp_path))
    assert "paired by file name" in result.output and "SSBT-PAIR-UNMATCHED" not in result.output, result.output
    assert result.exit_code == 0


def test_a_request_the_proxy_recorded_as_unanswered_is_an_incomplete_exchange(tmp_path):
    """Beside NAME-request.xml, the proxy's NAME-incomplete.txt says the upstream never answered: --pairs says
    so with the proxy's reason (exit 3) instead of calling the request unmatched (a warning, exit 0)."""
    request = (CORPUS / "v10/request-full.xml").read_bytes()
    (tmp_path / "t1-000001-abc-request.xml").write_bytes(request)
    assert _cli("--pairs", str(tmp_path)).exit_code == 0  # no marker: an ordinary unmatched request
    (tmp_path / "t1-000001-abc-incomplete.txt").write_text(
        "incomplete exchange: no answer from the upstream (no answer within 30 s).\n", encoding="utf-8"
    )
    result = _cli("--pairs", str(tmp_path))
    assert result.exit_code == 3, result.output
    assert "no answer from the upstream (no answer within 30 s), see t1-000001-abc-incomplete.txt" in result.output
    assert "SSBT-PAIR-UNMATCHED" not in result.output and "1 exchange incomplete" in result.output


def test_a_named_person_gets_the_same_data_whatever_the_korrelationsid(tmp_path):
    from ssbtek_validator.traffic import scenarios

    scenario = tmp_path / "scenario.toml"
    scenario.write_text('[people."191212121212"]\nname = "Tolvan Tolvansson"\nseed = 7\n')
    double = _double(scenarios=scenarios.load(scenario))
    body = (CORPUS / "v10/request-full.xml").read_bytes()
    other = body.replace(b"b1e0c4d2-5a7f-4e93-8c16-0f2d9a3b7e51", b"00000000-5a7f-4e93-8c16-0f2d9a3b7e51")
    first, second = (double.answer(b, double.settings.scenarios, "r").body for b in (body, other))
    assert first != second  # the echoed korrelationsid differs …
    assert first.replace(b"b1e0c4d2", b"00000000") == second  # … and nothing else


# ---------------------------------------------------------------- TLS to the upstream, with a client certificate


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, used as the upstream's and as the organisation's."""
    import shutil

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=TIMEOUT,
    )  # fmt: skip
    return cert, key


def test_the_proxy_reaches_a_tls_upstream_with_the_organisations_certificate(certificate, tmp_path):
    import ssl

    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.verify_mode = ssl.CERT_REQUIRED  # as an agency test environment: no certificate, no answer
    context.load_verify_locations(cert)

    class TlsServer(socketserver.ThreadingTCPServer):
        daemon_threads = True

        def get_request(self):
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True), address

    server = TlsServer(("127.0.0.1", 0), _Misbehaving)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    record = tmp_path / "recorded"
    upstream = f"https://127.0.0.1:{server.server_address[1]}/html"
    proxy = Running("proxy", "--upstream", upstream, "--listen", "127.0.0.1:0", "--record", str(record),
                    "--ca-file", str(cert), "--cert", str(cert), "--key", str(key))  # fmt: skip
    try:
        status, answer = post(proxy.url, (CORPUS / "v10/request-minimal.xml").read_bytes())
        assert status == 503 and answer.startswith(b"<html>")  # through TLS, with the client certificate
        proxy.wait_for(lambda: proxy.out)
    finally:
        proxy.stop()
        server.shutdown()
        server.server_close()
    secret = key.read_text().splitlines()[1]
    shown = "\n".join(proxy.out + proxy.err) + "".join(p.read_text(errors="replace") for p in record.iterdir())
    assert "PRIVATE KEY" not in shown and secret not in shown and "BEGIN CERTIFICATE" not in shown


def test_unusable_tls_settings_are_a_usage_error_that_shows_no_key(tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0IGtleSBtYXRlcmlhbA==\n-----END PRIVATE KEY-----\n")
    result = _cli("proxy", "--upstream", "https://127.0.0.1:9/", "--cert", str(key), "--key", str(key))
    assert result.exit_code == 2 and "cannot be used" in result.output
    assert "c2VjcmV0" not in result.output and "Traceback" not in result.output
    result = _cli("proxy", "--upstream", "http://127.0.0.1:9/", "--ca-file", str(key))
    assert result.exit_code == 2 and "https://" in result.output


def test_a_slow_agency_delays_the_answer_only_when_it_was_asked():
    from ssbtek_validator.traffic.scenarios import Scenarios

    slow = Scenarios(slow={"MIV": 0.4})
    double = _double()
    asked_all = double.answer((CORPUS / "v10/request-full.xml").read_bytes(), slow, "r")
    csn_only = double.answer((CORPUS / "v10/request-minimal.xml").read_bytes(), slow, "r")
    assert (asked_all.delay, csn_only.delay) == (0.4, 0.0)


def test_the_command_line_starts_without_importing_aiohttp():
    code = "import sys, ssbtek_validator.cli.main; print('aiohttp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT)
    assert done.stdout.strip() == "False", done.stderr
