"""How the raw HTTP capture cases of this corpus (``corpus/http/``) were made (run once; kept as the record).

Each case is one or two exchanges of v10 corpus messages wrapped in HTTP/1.1 as a vendor's tool saves them
(Wireshark's "Follow HTTP Stream" as ASCII, Fiddler's or Burp's raw view): a request line or status line,
header fields, a blank line, the body byte for byte. The headers that are not SOAP's (Host, Authorization,
Cookie) hold made-up values that no report may show. Run from the repository root:
``python corpus/derive_http_cases.py`` rewrites the files (the manifest is maintained by hand).

The two cases that leave an exchange incomplete are named ``.txt``, as Wireshark saves a followed stream: a walk
of the corpus (which must come out nonconformant, never incomplete) passes over them, and named explicitly
they are detected by their content, as any capture is.
"""

from __future__ import annotations

import gzip
from pathlib import Path

CORPUS = Path(__file__).resolve().parent
V10, HTTP = CORPUS / "v10", CORPUS / "http"

REQUEST = (V10 / "request-minimal.xml").read_bytes()
ANSWER = (V10 / "answer-minimal.xml").read_bytes()
PING_REQUEST = (V10 / "ping-request.xml").read_bytes()
PING_ANSWER = (V10 / "ping-answer.xml").read_bytes()

#: headers a client sends beside SOAP's: secrets (a made-up personnummer in a cookie, Basic credentials)
CLIENT = [
    ("Host", "ssbtek-test.example.se"),
    ("User-Agent", "Apache-CXF/3.5.5"),
    ("Authorization", "Basic dGVzdGFuc3Q6MTk4MTAyMTctMTIzNA=="),
    ("Cookie", "session=19810217-1234"),
]
SOAP = [("Content-Type", "text/xml; charset=UTF-8"), ("SOAPAction", '""')]


def message(start: str, headers: list[tuple[str, str]], body: bytes = b"", eol: str = "\r\n") -> bytes:
    head = eol.join([start, *(f"{name}: {value}" for name, value in headers)]) + eol + eol
    return head.encode("latin-1") + body


def request(body: bytes, soap: list[tuple[str, str]] = SOAP, eol: str = "\r\n") -> bytes:
    path = "POST /ssbtek/SammansattBastjanst/v10?personnummer=198102171234 HTTP/1.1"
    return message(path, [*CLIENT, *soap, ("Content-Length", str(len(body)))], body, eol)


def answer(body: bytes, extra: list[tuple[str, str]] | None = None, eol: str = "\r\n") -> bytes:
    headers = [("Content-Type", "text/xml;charset=UTF-8"), ("Set-Cookie", "session=19810217-1234; HttpOnly")]
    return message("HTTP/1.1 200 OK", headers + (extra or [("Content-Length", str(len(body)))]), body, eol)


def chunked(body: bytes, sizes: tuple[int, ...]) -> bytes:
    out, position = [], 0
    for index, size in enumerate(sizes):
        part = body[position : position + size]
        position += size
        extension = ";name=part" if index == 0 else ""
        out.append(f"{len(part):x}{extension}\r\n".encode() + part + b"\r\n")
    assert position >= len(body)
    return b"".join(out) + b"0\r\nX-Trace: 19810217-1234\r\n\r\n"


def main() -> None:
    cases = {
        "clean.http": request(REQUEST) + answer(ANSWER),
        "keep-alive.http": request(REQUEST) + answer(ANSWER) + request(PING_REQUEST) + answer(PING_ANSWER),
        "chunked.http": request(REQUEST)
        + answer(chunked(ANSWER, (1000, 1, 2048, len(ANSWER))), [("Transfer-Encoding", "chunked")]),
        "gzip.http": request(REQUEST)
        + answer(
            (packed := gzip.compress(ANSWER, mtime=0)),
            [("Content-Encoding", "gzip"), ("Content-Length", str(len(packed)))],
        ),
        "bare-lf.http": request(REQUEST, eol="\n") + answer(ANSWER, eol="\n"),
        "continue.http": message(
            "POST /ssbtek/SammansattBastjanst/v10 HTTP/1.1",
            [*CLIENT, *SOAP, ("Expect", "100-continue"), ("Content-Length", str(len(REQUEST)))],
        )
        + REQUEST
        + message("HTTP/1.1 100 Continue", [])
        + answer(ANSWER),
        "no-soapaction.http": request(REQUEST, [("Content-Type", "text/xml; charset=UTF-8")]) + answer(ANSWER),
        "truncated-answer.txt": request(REQUEST)
        + answer(ANSWER[: len(ANSWER) // 2], [("Content-Length", str(len(ANSWER)))]),
        "answer-only.txt": message(
            "HTTP/1.1 200 OK", [("Content-Type", "text/xml;charset=UTF-8"), ("Connection", "close")], ANSWER
        ),
    }
    HTTP.mkdir(exist_ok=True)
    for name, data in cases.items():
        (HTTP / name).write_bytes(data)


if __name__ == "__main__":
    main()
