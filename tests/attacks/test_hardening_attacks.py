"""The attack suite: each case a hostile message and the outcome it must have.

Outcome = the error/warning findings (rule ids, as a multiset), the exit code, every finding on
one printable line, nothing read from outside the bytes (a local secret file stays unread, a
counting HTTP server on 127.0.0.1 sees no request), and, for the whole table run as one batch
through the CLI, the rest of the batch still reported and memory bounded.
"""

from __future__ import annotations

import http.server
import io
import json
import random
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from ssbtek_validator import builtin_packs, validate
from ssbtek_validator.report import REPORTERS
from ssbtek_validator.results.model import Severity

from ..hardening import REQUEST, csn_answer, in_request, lefi_request, replace_text, run_cli, with_doctype

SECRET = "TRIPWIRE-SECRET-7d1c"
XI = "http://www.w3.org/2001/XInclude"


class Tripwire:
    """An HTTP server on loopback that counts every request made to it (and answers something tempting)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        tripwire = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                tripwire.requests.append(self.path)
                body = f'<!ENTITY x "{SECRET}">'.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Env:
    url: str
    secret_file: Path


@pytest.fixture(scope="module")
def tripwire() -> Iterator[Tripwire]:
    server = Tripwire()
    yield server
    server.close()


@pytest.fixture(scope="module")
def env(tripwire: Tripwire, tmp_path_factory) -> Env:
    secret = tmp_path_factory.mktemp("secret") / "secret.txt"
    secret.write_text(SECRET)
    return Env(tripwire.url, secret)


def _laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return f"<!DOCTYPE soapenv:Envelope [{''.join(entities)}]>"


def _utf16(message: bytes, codec: str, declared: str | None) -> bytes:
    text = message.decode().split("?>", 1)[1]
    if declared:
        text = f'<?xml version="1.0" encoding="{declared}"?>' + text
    return text.encode(codec)


def _declared(message: bytes, declared: str, text_codec: str, name: str = "Åsa kommun") -> bytes:
    text = message.decode().replace('encoding="UTF-8"', f'encoding="{declared}"').replace("Testkommun", name, 1)
    return text.encode(text_codec)


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable[[Env], bytes]
    #: error and warning findings the message must have, as a multiset
    rules: tuple[str, ...]
    exit_code: int


ATTACKS = (
    # entities and DTDs: refused, nothing expanded or loaded
    Attack(
        "billion-laughs", lambda e: with_doctype(REQUEST, _laughs()).replace(b"Testkommun", b"&lol9;"), ("SSBT-DTD",), 1
    ),
    Attack(
        "quadratic-blowup",
        lambda e: with_doctype(REQUEST, f'<!DOCTYPE soapenv:Envelope [<!ENTITY x "{"x" * 100_000}">]>').replace(
            b"Testkommun", b"&x;" * 1000
        ),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        "external-entity-local-file",
        lambda e: with_doctype(
            REQUEST, f'<!DOCTYPE soapenv:Envelope [<!ENTITY x SYSTEM "file://{e.secret_file}">]>'
        ).replace(b"Testkommun", b"&x;"),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        "external-entity-url",
        lambda e: with_doctype(REQUEST, f'<!DOCTYPE soapenv:Envelope [<!ENTITY x SYSTEM "{e.url}/entity">]>').replace(
            b"Testkommun", b"&x;"
        ),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        "external-parameter-entity",
        lambda e: with_doctype(REQUEST, f'<!DOCTYPE soapenv:Envelope [<!ENTITY % p SYSTEM "{e.url}/p.dtd"> %p;]>'),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        "external-dtd",
        lambda e: with_doctype(REQUEST, f'<!DOCTYPE soapenv:Envelope SYSTEM "{e.url}/ssbt.dtd">'),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        "doctype-in-utf16",  # the cheap "<!" pre-check must not be fooled by NUL bytes between the characters
        lambda e: _utf16(with_doctype(REQUEST, '<!DOCTYPE soapenv:Envelope [<!ENTITY x "y">]>'), "utf-16-le", "UTF-16"),
        ("SSBT-DTD",),
        1,
    ),
    # XInclude is never processed: the include element is just an element the schema does not allow
    Attack(
        "xinclude-local-file",
        lambda e: in_request(f'<xi:include xmlns:xi="{XI}" href="file://{e.secret_file}" parse="text"/>'.encode()),
        ("SSBT-XSD",),
        1,
    ),
    Attack(
        "xinclude-url",
        lambda e: in_request(f'<xi:include xmlns:xi="{XI}" href="{e.url}/include.xml"/>'.encode()),
        ("SSBT-XSD",),
        1,
    ),
    # an instance's schemaLocation is ignored: the pack decides the schema, and it is local
    Attack(
        "xsi-schema-location-network",
        lambda e: REQUEST.replace(
            b"<ssbt:hamtaBastjanstInformation>",
            b'<ssbt:hamtaBastjanstInformation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            b'xsi:schemaLocation="http://schema.forsakringskassan.se/integration/ssbt/10 '
            + f'{e.url}/ssbt.xsd">'.encode(),
        ),
        (),
        0,
    ),
    Attack(
        "xsi-no-namespace-schema-location-network",
        lambda e: REQUEST.replace(
            b"<soapenv:Envelope ",
            b'<soapenv:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            + f'xsi:noNamespaceSchemaLocation="{e.url}/any.xsd" '.encode(),
        ),
        (),
        0,
    ),
    # nested payloads: the same safety one level down
    Attack("payload-billion-laughs", lambda e: csn_answer(f"{_laughs()}<a>&lol9;</a>".encode()), ("SSBT-DTD",), 1),
    Attack(
        "payload-external-entity",
        lambda e: csn_answer(f'<!DOCTYPE a [<!ENTITY x SYSTEM "{e.url}/e">]><a>&x;</a>'.encode()),
        ("SSBT-DTD",),
        1,
    ),
    Attack(
        # 12 MiB of base64 (9 MiB decoded), split by comments to pass libxml2's 10 MB text node limit
        "payload-base64-past-decoded-limit",
        lambda e: replace_text(csn_answer(b"<a/>"), "ssbt:svar", b"<!---->".join([b"QUFB" * (1024 * 1024)] * 3)),
        ("SSBT-LIMIT",),
        3,
    ),
    Attack("payload-xml-100000-deep", lambda e: csn_answer(b"<a>" * 100_000 + b"</a>" * 100_000), ("SSBT-LIMIT",), 3),
    Attack("payload-json-100000-deep", lambda e: lefi_request(b"[" * 100_000 + b"]" * 100_000), ("SSBT-LIMIT",), 3),
    Attack("payload-json-300-deep", lambda e: lefi_request(b"[" * 300 + b"]" * 300), ("SSBT-LIMIT",), 3),
    Attack("payload-json-huge-integer", lambda e: lefi_request(b"9" * 5000), ("SSBT-PAYLOAD-JSON",), 1),
    # structure
    Attack("elements-100000-deep", lambda e: in_request(b"<a>" * 100_000 + b"</a>" * 100_000), ("SSBT-LIMIT",), 3),
    Attack("random-bytes", lambda e: random.Random(8).randbytes(4096), ("SSBT-WELLFORMED",), 1),
    Attack("empty", lambda e: b"", ("SSBT-EMPTY",), 1),
    Attack("whitespace-only", lambda e: b" \r\n\t \n", ("SSBT-EMPTY",), 1),
    Attack("truncated", lambda e: REQUEST[: len(REQUEST) // 2], ("SSBT-WELLFORMED",), 1),
    Attack("truncated-utf16", lambda e: _utf16(REQUEST, "utf-16", "UTF-16")[:-3], ("SSBT-WELLFORMED",), 1),
    # encodings: honest ones pass, lying ones are findings with a line (and a column where libxml2 knows it)
    Attack("utf8-bom", lambda e: b"\xef\xbb\xbf" + REQUEST, (), 0),
    Attack("utf16-with-bom", lambda e: _utf16(REQUEST, "utf-16", "UTF-16"), (), 0),
    Attack("utf16-with-bom-undeclared", lambda e: _utf16(REQUEST, "utf-16", None), (), 0),
    Attack("utf16le-without-bom-declared", lambda e: _utf16(REQUEST, "utf-16-le", "UTF-16"), ("SSBT-ENCODING",), 0),
    Attack("utf16be-without-bom-declared", lambda e: _utf16(REQUEST, "utf-16-be", "UTF-16"), ("SSBT-ENCODING",), 0),
    Attack("utf16le-without-bom-undeclared", lambda e: _utf16(REQUEST, "utf-16-le", None), ("SSBT-ENCODING",), 1),
    Attack(
        "bom-contradicts-declaration",
        lambda e: b"\xff\xfe" + REQUEST.decode().encode("utf-16-le"),
        ("SSBT-ENCODING",),
        1,
    ),
    Attack("declared-utf8-but-latin1", lambda e: _declared(REQUEST, "UTF-8", "latin-1"), ("SSBT-ENCODING",), 1),
    Attack("declared-latin1-but-utf8", lambda e: _declared(REQUEST, "ISO-8859-1", "utf-8"), ("SSBT-ENCODING",), 0),
    Attack("declared-latin1-honest", lambda e: _declared(REQUEST, "ISO-8859-1", "latin-1"), (), 0),
    Attack(
        "unsupported-encoding", lambda e: _declared(REQUEST, "X-NOPE", "utf-8", "Testkommun"), ("SSBT-ENCODING",), 1
    ),
    Attack(
        "invalid-control-character",
        lambda e: REQUEST.replace(b"Testkommun", b"Test\x01kommun"),
        ("SSBT-WELLFORMED",),
        1,
    ),
    Attack(
        "invalid-character-reference",
        lambda e: REQUEST.replace(b"Testkommun", b"Test&#0;kommun"),
        ("SSBT-WELLFORMED",),
        1,
    ),
    Attack(
        "noncharacter-fffe", lambda e: REQUEST.replace(b"Testkommun", "Test\ufffe".encode()), ("SSBT-WELLFORMED",), 1
    ),
    Attack("lone-surrogate", lambda e: REQUEST.replace(b"Testkommun", b"Test\xed\xa0\x80"), ("SSBT-ENCODING",), 1),
    # HAR captures are input too: any member may be missing or of the wrong type
    Attack(
        "har-entries-of-wrong-types",
        lambda e: b'{"log": {"entries": [{"request": "x", "response": []}]}}',
        ("SSBT-READ",),
        3,
    ),
    Attack(
        "har-body-billion-laughs",
        lambda e: json.dumps(
            {
                "log": {
                    "entries": [
                        {
                            "request": {
                                "postData": {
                                    "mimeType": "text/xml",
                                    "text": with_doctype(REQUEST, _laughs()).replace(b"Testkommun", b"&lol9;").decode(),
                                }
                            }
                        }
                    ]
                }
            }
        ).encode(),
        ("SSBT-DTD",),
        3,  # the message is nonconformant; the exchange, which has no answer, is incomplete
    ),
    # texts from the message end up in reports: they must not forge report lines
    Attack(
        "newline-in-namespace",  # libxml2 refuses the URI; its message must still be one line
        lambda e: REQUEST.replace(b"integration/ssbt/10", b"integration/ssbt/10&#10;::error file=x::forged", 1),
        ("SSBT-WELLFORMED",),
        1,
    ),
    Attack(
        "newline-in-quoted-value",  # the schema error quotes the value, newline and all
        lambda e: REQUEST.replace(b'inkludera="true"', b'inkludera="tr&#10;::error file=x::forged&#x202E;&#x85;"', 1),
        ("SSBT-XSD",),
        1,
    ),
)


def _errors_and_warnings(message) -> Counter:
    return Counter(f.rule for f in message.findings if f.severity is not Severity.INFO)


def _outputs(data: bytes, show_values: bool) -> str:
    result = validate(data, show_values=show_values)
    packs = builtin_packs()
    written = []
    for write in REPORTERS.values():
        stream = io.StringIO()
        write(result, packs, stream)
        written.append(stream.getvalue())
    return "\n".join(written)


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_has_its_required_outcome(attack: Attack, env: Env, tripwire: Tripwire):
    data = attack.build(env)
    result = validate(data)
    [message] = result.messages
    assert _errors_and_warnings(message) == Counter(attack.rules), [f.message for f in message.findings]
    assert result.exit_code == attack.exit_code
    for finding in message.findings:
        assert finding.line is not None or finding.rule not in ("SSBT-WELLFORMED", "SSBT-ENCODING"), finding
    for shown in (result, validate(data, show_values=True)):
        for finding in shown.messages[0].findings:
            assert finding.message.isprintable() and finding.path.isprintable(), finding
            assert finding.value is None or finding.value.isprintable(), finding
    assert tripwire.requests == []


@pytest.mark.parametrize("attack", [a for a in ATTACKS if "file" in a.name or "entity" in a.name], ids=lambda a: a.name)
def test_no_local_file_content_reaches_any_output_even_with_show_values(attack: Attack, env: Env):
    data = attack.build(env)
    assert SECRET not in _outputs(data, show_values=True)


def test_the_secret_file_would_be_seen_if_a_parser_read_it(env: Env):
    """Positive control: a permissive parser does read the file, so the tests above can fail."""
    data = ATTACKS[2].build(env)
    permissive = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=True)
    assert SECRET in etree.tostring(etree.fromstring(data, permissive)).decode()


def test_the_tripwire_counts_what_reaches_it(tripwire: Tripwire, network_guard):
    """Positive control: a request the guard lets through is counted, so zero means none was made."""
    before = len(tripwire.requests)
    with network_guard.allowing(), urllib.request.urlopen(tripwire.url + "/control", timeout=5) as answer:
        assert SECRET in answer.read().decode()
    assert len(tripwire.requests) == before + 1
    del tripwire.requests[before:]


def test_the_whole_table_as_one_batch(env: Env, tripwire: Tripwire, tmp_path: Path):
    """Through the CLI, under the network guard: every file reported with its outcome, the valid one
    still conforms, the run is incomplete (exit 3, some cases hit limits), memory stays bounded."""
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "000-valid.xml").write_bytes(REQUEST)
    for number, attack in enumerate(ATTACKS, start=1):
        (folder / f"{number:03}-{attack.name}.xml").write_bytes(attack.build(env))
    run = run_cli("--format", "json", str(folder))
    assert run.exit_code == 3, run.stderr
    report = json.loads(run.stdout)
    by_file = {Path(m["file"]).name: m for m in report["messages"]}
    assert by_file.pop("000-valid.xml")["verdict"] == "conforms"
    for number, attack in enumerate(ATTACKS, start=1):
        name = f"{number:03}-{attack.name}.xml"
        alone = validate(attack.build(env)).messages  # a HAR capture names its messages "<file>#1 request"
        for message in alone:
            in_batch = by_file.pop(name + message.file.removeprefix("<bytes>"))
            assert in_batch["verdict"] == str(message.verdict), attack.name
    assert by_file == {}
    assert tripwire.requests == []
    assert run.peak_mib < 300


def _bundle(folder: Path, import_location: str, tag: str = "import") -> Path:
    folder.mkdir()
    namespace = 'namespace="urn:elsewhere" ' if tag == "import" else ""
    (folder / "core.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'targetNamespace="http://schema.forsakringskassan.se/integration/ssbt/10">'
        f'<xs:{tag} {namespace}schemaLocation="{import_location}"/></xs:schema>'
    )
    return folder


@pytest.mark.parametrize("tag", ["import", "include", "redefine"])
def test_bundle_whose_imports_point_at_the_network_is_refused_unread(tag, tmp_path: Path, tripwire: Tripwire):
    bundle = _bundle(tmp_path / "bundle", f"{tripwire.url}/{tag}.xsd", tag)
    run = run_cli("--schemas", str(bundle), str(tmp_path))
    assert run.exit_code == 2
    assert f"refused to load {tripwire.url}/{tag}.xsd" in run.stderr
    assert tripwire.requests == []


def test_bundle_whose_imports_leave_its_folder_is_refused(tmp_path: Path, env: Env):
    bundle = _bundle(tmp_path / "bundle", f"file://{env.secret_file}")
    run = run_cli("--schemas", str(bundle), str(tmp_path))
    assert run.exit_code == 2 and "refused to load" in run.stderr
    assert SECRET not in run.stderr + run.stdout


def test_a_bug_met_on_one_input_is_a_finding_and_the_batch_goes_on(monkeypatch, tmp_path: Path):
    """The last resort: whatever raises while reading one input becomes an incomplete result for it."""
    import ssbtek_validator.run.driver

    real_parse = ssbtek_validator.run.driver.parse

    def parse(source, limits):
        if source.name.endswith("poison.xml"):
            raise TypeError("simulated bug")
        return real_parse(source, limits)

    monkeypatch.setattr(ssbtek_validator.run.driver, "parse", parse)
    (tmp_path / "poison.xml").write_bytes(REQUEST)
    (tmp_path / "valid.xml").write_bytes(REQUEST)
    result = validate(tmp_path)
    poisoned, valid = result.messages
    [finding] = poisoned.findings
    assert finding.rule == "SSBT-RULE-FAILED" and "TypeError" in finding.message and "bug" in finding.message
    assert str(valid.verdict) == "conforms" and result.exit_code == 3


def test_the_network_guard_refuses_and_records(tripwire: Tripwire, network_guard):
    """The guard every test runs under: a connection attempt raises, is recorded, and reaches nobody."""
    import socket

    before = len(network_guard.attempts)
    port = int(tripwire.url.rsplit(":", 1)[1])
    with pytest.raises(OSError, match="blocked"):
        socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(OSError, match="blocked"), socket.socket() as raw:
        raw.connect(("127.0.0.1", port))
    with pytest.raises(OSError, match="blocked"):
        socket.getaddrinfo("example.invalid", 80)
    assert len(network_guard.attempts) == before + 3
    del network_guard.attempts[before:]  # expected here; any other test doing this fails
    assert tripwire.requests == []
