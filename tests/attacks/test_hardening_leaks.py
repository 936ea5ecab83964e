"""No leaks, proven: over the whole corpus and every output format, no personnummer,
samordningsnummer or name from the corpus inputs appears unless ``--show-values`` is given.

The secrets are collected from the corpus itself, nested payloads included (base64 CSN XML and
LEFI JSON, SKV XML strings), so a new corpus case with a new name is scanned for without anyone
remembering to add it. The reporters come from ``ssbtek_validator.report.REPORTERS``, so a new output
format is scanned as soon as it exists.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from ssbtek_validator.cli.main import main
from ssbtek_validator.report import REPORTERS

from ..conftest import CORPUS

#: a personnummer, samordningsnummer or organisationsnummer; not digits inside a UUID (korrelationsid)
IDENTITY = re.compile(r"(?<![\w-])(?:\d{2})?\d{6}[-+]?\d{4}(?![\w-])")
#: element (or JSON key) names that hold a person's or an official's name
NAME_FIELD = re.compile(r"^(namn|fornamn|efternamn|handlaggare|kontonamn\w*|namn(pa)?ingivare)$", re.IGNORECASE)
#: Names in name fields that are not personal data: the authorities and countries a report names by design.
PUBLIC_NAMES = frozenset({"Försäkringskassan", "Pensionsmyndigheten", "SVERIGE"})
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)


def _documents(raw: bytes, depth: int = 0) -> Iterator[etree._Element | Any]:
    """The document and every document nested in it (base64 XML/JSON, XML in text)."""
    try:
        root = etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError:
        return
    if root is None:
        return
    yield root
    if depth > 2:
        return
    for element in root.iter():
        text = (element.text or "").strip()
        if len(text) < 16:
            continue
        if text.startswith("<"):
            yield from _documents(text.encode(), depth + 1)
            continue
        try:
            decoded = base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        if decoded.lstrip().startswith((b"{", b"[")):
            with contextlib.suppress(ValueError):
                yield json.loads(decoded)
        elif decoded.lstrip().startswith(b"<"):
            yield from _documents(decoded, depth + 1)


def _json_names(document: Any) -> Iterator[str]:
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and NAME_FIELD.match(key):
                    yield value
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


@cache
def corpus_secrets() -> tuple[frozenset[str], frozenset[str]]:
    """(identity numbers, names) found anywhere in the corpus inputs."""
    identities: set[str] = set()
    names: set[str] = set()
    for path in sorted(CORPUS.rglob("*.xml")):
        raw = path.read_bytes()
        for document in _documents(raw):
            if isinstance(document, etree._Element):
                for element in document.iter():
                    if not isinstance(element.tag, str):
                        continue
                    text = (element.text or "").strip()
                    identities.update(IDENTITY.findall(text))
                    if text and NAME_FIELD.match(etree.QName(element).localname):
                        names.add(text)
            else:
                identities.update(IDENTITY.findall(json.dumps(document)))
                names.update(_json_names(document))
    names = {name for name in names - PUBLIC_NAMES if len(name) >= 4 and not name.startswith("&")}
    return frozenset(identities), frozenset(names)


def test_the_scan_knows_the_synthetic_people_of_the_corpus():
    identities, names = corpus_secrets()
    assert {"191212121212", "199001722397"} <= identities
    assert {"Tolvan", "Tolvansson", "testhandl01"} <= names
    assert "Tolvan Tolvansson" in names  # from the corpus case that puts a name where a number belongs


def _report(output_format: str, *options: str) -> str:
    result = CliRunner().invoke(main, ["--format", output_format, *options, str(CORPUS)])
    assert result.exit_code in (1, 3), result.output
    return result.output


@pytest.mark.parametrize("output_format", sorted(REPORTERS))
def test_no_personal_data_in_any_output_format_by_default(output_format: str):
    identities, names = corpus_secrets()
    output = _report(output_format)
    leaked = sorted(s for s in identities | names if s in output)
    assert leaked == [], f"{output_format} shows {leaked}"


@pytest.mark.parametrize("output_format", sorted(REPORTERS))
def test_show_values_shows_them_so_the_scan_can_fail(output_format: str):
    output = _report(output_format, "--show-values")
    assert "191212121212" in output and "Tolvan Tolvansson" in output
