"""An XML declaration naming another version than 1.0: libxml2 reads it as 1.0 without a word, .NET refuses it."""

from __future__ import annotations

from datetime import date

import pytest

from ssbtek_validator.reading import encoding
from ssbtek_validator.reading.inputs import Source
from ssbtek_validator.reading.message import parse

from ..conftest import CORPUS

BODY = (CORPUS / "v10/request-minimal.xml").read_text(encoding="utf-8").split("\n", 1)[1]


def _message(declaration: str, codec: str = "utf-8", bom: bytes = b"") -> bytes:
    return bom + f"{declaration}\n{BODY}".encode(codec)


def _version_findings(data: bytes) -> list[str]:
    message = parse(Source("m.xml", data))
    return [f.message for f in message.findings if f.rule == "SSBT-ENCODING" and "version=" in f.message]


@pytest.mark.parametrize(
    "data",
    [
        _message('<?xml version="1.1" encoding="UTF-8"?>'),
        _message("<?xml version='1.1'?>"),
        _message('<?xml   version = "1.1" ?>'),
        _message('<?xml version="1.1" encoding="UTF-8"?>', bom=b"\xef\xbb\xbf"),
        _message('<?xml version="1.1" encoding="UTF-16"?>', "utf-16-le", b"\xff\xfe"),
        _message('<?xml version="1.5"?>'),
    ],
    ids=["double-quotes", "single-quotes", "spaces", "utf8-bom", "utf16-bom", "1.5"],
)
def test_a_declaration_of_another_version_is_an_error(data: bytes) -> None:
    message = parse(Source("m.xml", data))
    [text] = _version_findings(data)
    assert 'declares XML version="1.' in text and 'Declare version="1.0"' in text
    assert next(f for f in message.findings if "version=" in f.message).severity == "error"
    assert message.payload is not None  # the message is still checked: libxml2 read it


@pytest.mark.parametrize(
    "data",
    [
        _message('<?xml version="1.0" encoding="UTF-8"?>'),
        _message("<?xml version='1.0'?>"),
        _message('<?xml version = "1.0"?>'),
        _message('<?xml version="1.0" encoding="UTF-8"?>', bom=b"\xef\xbb\xbf"),
        _message('<?xml version="1.0" encoding="UTF-16"?>', "utf-16-le", b"\xff\xfe"),
        BODY.encode("utf-8"),
    ],
    ids=["double-quotes", "single-quotes", "spaces", "utf8-bom", "utf16-bom", "no-declaration"],
)
def test_xml_1_0_or_no_declaration_is_no_finding(data: bytes) -> None:
    assert _version_findings(data) == []


@pytest.mark.parametrize("data", [_message('<?xml version="1.0" encoding="UTF-8"?>'), BODY.encode("utf-8")])
def test_the_ordinary_start_never_decodes_the_head(monkeypatch, data: bytes) -> None:
    """The version is read only off the ordinary path: one startswith for an XML 1.0 declaration or none."""

    prolog = encoding.sniff(data)

    def refuse(*_args, **_kwargs):
        raise AssertionError("the head was decoded for an ordinary message")

    monkeypatch.setattr(encoding, "_text", refuse)
    assert encoding._declared_version(data, prolog) is None


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_a_nested_csn_document_is_held_to_xml_1_0_too(version: str) -> None:
    """CSN's document travels as base64 and its receiver parses it as XML of its own: a declaration of 1.1 there
    is the same error as on the envelope, also when it declares UTF-8 (the plain-document fast path)."""
    import base64
    import re

    from ssbtek_validator import validate

    answer = (CORPUS / "v10/answer-csn-v4.xml").read_text(encoding="utf-8")
    encoded = re.search(r"<ssbt:svar>([A-Za-z0-9+/=]+)</ssbt:svar>", answer).group(1)
    document = base64.b64decode(encoded).replace(b'<?xml version="1.0"', f'<?xml version="{version}"'.encode())
    assert document.startswith(f'<?xml version="{version}" encoding="UTF-8"?>'.encode())
    changed = answer.replace(encoded, base64.b64encode(document).decode())
    [message] = validate(changed.encode("utf-8"), as_of=date(2026, 11, 1)).messages
    found = [f for f in message.findings if f.rule == "SSBT-ENCODING" and "version=" in f.message]
    assert len(found) == (version != "1.0")
    assert all(f.severity == "error" and "CSN" in f.message for f in found)
