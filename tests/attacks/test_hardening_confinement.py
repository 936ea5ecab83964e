"""Attack suite, bundles: every file a ``--schemas`` bundle makes us read lies inside its folder.

Whatever the entry point (a WSDL, an XSD, the folder, a LEFI OpenAPI file found in it), a reference that
climbs out (``../``, an absolute path, a ``file://`` URL, a symlink pointing outside) or reaches for the
network refuses the bundle: exit 2 and one line naming the reference. The file outside is a valid schema
that would make the bundle load, so a bundle that loads has read it.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssbtek_validator.packs.schema_packs import PackError, load_bundle, schema_files

from ..hardening import run_cli

SSBT = "http://schema.forsakringskassan.se/integration/ssbt/10"
OUTSIDE_XSD = (
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:outside">'
    '<xs:element name="secret"/></xs:schema>'
)


def _core(location: str) -> str:
    return (
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SSBT}">'
        f'<xs:import namespace="urn:outside" schemaLocation="{location}"/><xs:element name="x"/></xs:schema>'
    )


def _wsdl(location: str) -> str:
    return (
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        f'xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SSBT}"><wsdl:types>'
        f"{_core(location)}</wsdl:types></wsdl:definitions>"
    )


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A valid schema beside (not inside) the bundle folder ``tmp_path/bundle``."""
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / "outside.xsd"
    target.write_text(OUTSIDE_XSD)
    (tmp_path / "bundle").mkdir()
    return target


def _locations(outside: Path) -> dict[str, str]:
    bundle = outside.parent.parent / "bundle"
    (bundle / "link.inc").symlink_to(outside)
    return {
        "dotdot": "../elsewhere/outside.xsd",
        "absolute": str(outside),
        "file-url": f"file://{outside}",
        "symlink": "link.inc",
    }


ESCAPES = ["dotdot", "absolute", "file-url", "symlink"]


@pytest.mark.parametrize("escape", ESCAPES)
@pytest.mark.parametrize("entry", ["wsdl-file", "wsdl-folder", "xsd-file", "xsd-folder"])
def test_a_bundle_reference_leaving_its_folder_refuses_the_bundle(entry, escape, outside: Path):
    bundle = outside.parent.parent / "bundle"
    location = _locations(outside)[escape]
    kind, given = entry.split("-")
    (bundle / f"core.{kind}").write_text(_wsdl(location) if kind == "wsdl" else _core(location))
    with pytest.raises(PackError, match="refused to load") as refused:
        load_bundle(bundle if given == "folder" else bundle / f"core.{kind}")
    assert "\n" not in str(refused.value)
    assert (str(outside) if escape != "symlink" else "link.inc") in str(refused.value)


def test_the_same_bundle_with_its_imports_inside_loads_and_reads_only_its_own_files(outside: Path):
    """The control for the refusals above: nothing else stops these bundles from loading."""
    bundle = outside.parent.parent / "bundle"
    (bundle / "outside.xsd").write_text(OUTSIDE_XSD)
    (bundle / "core.wsdl").write_text(_wsdl("outside.xsd"))
    pack = load_bundle(bundle / "core.wsdl")
    assert schema_files(pack.entry, pack.root) == {bundle / "core.wsdl", bundle / "outside.xsd"}


def test_a_symlinked_bundle_file_pointing_outside_refuses_the_folder(outside: Path):
    bundle = outside.parent.parent / "bundle"
    (outside.parent / "core.xsd").write_text(_core("outside.xsd"))
    (bundle / "core.xsd").symlink_to(outside.parent / "core.xsd")
    with pytest.raises(PackError, match=r"refused to read .*core\.xsd: it resolves outside the bundle"):
        load_bundle(bundle)


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        body = OUTSIDE_XSD.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture(scope="module")
def counting_server() -> Iterator[str]:
    """Module-scoped: binding it looks its own name up, which the per-test network guard would count."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_wsdl_bundle_reaching_for_the_network_exits_2_in_one_line_and_fetches_nothing(
    tmp_path: Path, counting_server: str
):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "core.wsdl").write_text(_wsdl(f"{counting_server}/outside.xsd"))
    run = run_cli("--schemas", str(bundle / "core.wsdl"), str(tmp_path))
    assert run.exit_code == 2
    [line] = run.stderr.splitlines()
    assert f"refused to load {counting_server}/outside.xsd" in line
    assert _Counter.requests == []


OPENAPI = """openapi: 3.0.1
info: {{title: LEFI, version: "9.0.0"}}
paths:
  /fraga:
    post:
      requestBody: {{content: {{application/json: {{schema: {{$ref: "#/components/schemas/Fraga"}}}}}}}}
      responses:
        "200": {{content: {{application/json: {{schema: {{$ref: "#/components/schemas/Svar"}}}}}}}}
components:
  schemas:
    Fraga: {{type: object, properties: {{a: {{$ref: "{ref}"}}}}}}
    Svar: {{type: object{extra}}}
"""


@pytest.mark.parametrize(
    ("ref", "extra", "named"),
    [
        ("other.yaml#/components/schemas/X", "", "other.yaml"),
        ("file:///etc/passwd", "", "file:///etc/passwd"),
        ("http://127.0.0.1:9/x.yaml", "", "http://127.0.0.1:9/x.yaml"),
        ("#/components/schemas/Svar", ", $id: 'http://127.0.0.1:9/'", "http://127.0.0.1:9/"),
    ],
)
def test_an_openapi_reference_outside_its_file_refuses_the_bundle(ref, extra, named, tmp_path: Path):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "core.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="' + SSBT + '"/>'
    )
    (bundle / "lefi.openapi.yaml").write_text(OPENAPI.format(ref=ref, extra=extra))
    pack = load_bundle(bundle)
    from ssbtek_validator.packs.nested_models import models_for

    with pytest.raises(PackError, match="refused") as refused:
        models_for(pack.openapi)
    assert named in str(refused.value) and "\n" not in str(refused.value)


def test_certify_hashes_only_what_the_bundle_read_not_an_import_hidden_in_appinfo(outside: Path):
    """``xs:appinfo`` is documentation to libxml2: an ``xs:import`` inside it is never read, so the pack's
    hash must not cover (and must not open) the file it names."""
    bundle = outside.parent.parent / "bundle"
    (bundle / "core.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SSBT}">'
        f'<xs:annotation><xs:appinfo><xs:import namespace="urn:outside" schemaLocation="{outside}"/>'
        '</xs:appinfo></xs:annotation><xs:element name="x"/></xs:schema>'
    )
    pack = load_bundle(bundle)
    before = pack.content_hash()
    outside.write_text(OUTSIDE_XSD.replace("secret", "changed"))
    assert pack.content_hash() == before
    core = bundle / "core.xsd"
    expected = hashlib.sha256(b"core.xsd" + core.read_bytes()).hexdigest()
    assert before == expected


def test_certify_evidence_hashes_the_bundle_as_loaded(outside: Path, tmp_path: Path):
    """The same through ``certify``: the evidence's hash of the bundle covers its one file, not the one an
    ``xs:import`` in ``xs:appinfo`` names outside it."""
    import json

    from click.testing import CliRunner

    from ssbtek_validator.cli.main import main

    from ..hardening import REQUEST

    bundle = outside.parent.parent / "bundle"
    core = bundle / "core.xsd"
    core.write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SSBT}">'
        f'<xs:annotation><xs:appinfo><xs:import namespace="urn:outside" schemaLocation="../elsewhere/outside.xsd"/>'
        '</xs:appinfo></xs:annotation><xs:element name="x"/></xs:schema>'
    )
    (tmp_path / "captures").mkdir()
    (tmp_path / "captures" / "request.xml").write_bytes(REQUEST)
    out = tmp_path / "out"
    args = ["certify", "--pack", "10", "--schemas", str(bundle), "--out", str(out), str(tmp_path / "captures")]
    CliRunner().invoke(main, args)
    evidence = json.loads((out / "evidence.json").read_text("utf-8"))
    [record] = [p for p in evidence["packs"] if p["id"] == "bundle-v10"]
    assert record["content_sha256"] == hashlib.sha256(b"core.xsd" + core.read_bytes()).hexdigest()


def test_a_bundle_with_a_symlink_loop_is_a_configuration_error_not_a_traceback(tmp_path: Path):
    """Two symlinks pointing at each other in the folder (found by the folder scan, and included by the core
    schema) refuse the bundle: exit 2, one line naming the file. Path.resolve raised RuntimeError on the loop."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "core.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{SSBT}">'
        '<xs:include schemaLocation="loop.xsd"/><xs:element name="x"/></xs:schema>'
    )
    (bundle / "loop.xsd").symlink_to(bundle / "loop2.xsd")
    (bundle / "loop2.xsd").symlink_to(bundle / "loop.xsd")
    with pytest.raises(PackError, match=r"loop\.xsd"):
        load_bundle(bundle)
    result = run_cli("--schemas", str(bundle), str(bundle / "core.xsd"))
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr and "loop.xsd" in result.stderr


def _confine_the_long_way(root: Path, target: str) -> Path:
    """confine's check as it was written before it compared strings: Path.resolve and is_relative_to."""
    from ssbtek_validator.packs.schema_packs import BundleEscape

    resolved = Path(target).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise BundleEscape(target)
    return resolved


@pytest.fixture(scope="module")
def linked_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle folder reached through a symlink, with links inside it to its own files, to a subfolder, to its
    parent and to a sibling folder whose name starts with the bundle's (``bundle-other``: a prefix, not inside)."""
    top = tmp_path_factory.mktemp("confine")
    real = top / "bundle"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.xsd").write_text("<a/>")
    (real / "b.xsd").write_text("<b/>")
    (top / "bundle-other").mkdir()
    (top / "bundle-other" / "c.xsd").write_text("<c/>")
    (real / "in.xsd").symlink_to(real / "sub" / "a.xsd")
    (real / "subdir").symlink_to(real / "sub")
    (real / "up").symlink_to(top)
    (real / "sibling").symlink_to(top / "bundle-other")
    (top / "via").symlink_to(real)
    return top


_SEGMENTS = ["bundle", "via", "sub", "subdir", "up", "sibling", "bundle-other", "a.xsd", "b.xsd", "c.xsd", "in.xsd",
             "missing.xsd", "..", ".", ""]  # fmt: skip


@given(
    root_name=st.sampled_from(["bundle", "via", "bundle/sub"]),
    segments=st.lists(st.sampled_from(_SEGMENTS), max_size=6),
    as_url=st.booleans(),
)
def test_confine_agrees_with_path_resolve_and_is_relative_to(linked_tree: Path, root_name, segments, as_url):
    """confine compares realpath strings against the folder resolved once: it accepts exactly the references the
    Path.resolve/is_relative_to check accepted, and returns the same file, through links in and out of the folder,
    ``..`` after a link, a sibling folder whose name extends the bundle's, and a root given through a link."""
    from ssbtek_validator.packs.schema_packs import BundleEscape, confine

    root = linked_tree / root_name
    target = os.path.join(str(linked_tree), *segments) if segments else str(linked_tree)
    reference = Path(target).as_uri() if as_url and not target.endswith(os.sep) else target
    try:
        expected: Path | type = _confine_the_long_way(root, target)
    except BundleEscape:
        expected = BundleEscape
    try:
        got: Path | type = confine(root, reference)
    except BundleEscape:
        got = BundleEscape
    assert got == expected


def test_confine_resolves_the_folder_once_and_each_file_once(linked_tree: Path, monkeypatch: pytest.MonkeyPatch):
    """What makes confine cheap (~55 -> ~25 µs a file, ~0.3 ms a schema compiled): one realpath per file and one
    per folder for the process, no Path.resolve (a strict realpath and a stat, each time for the folder too)."""
    from ssbtek_validator.packs import schema_packs

    calls: list[str] = []
    real = os.path.realpath
    monkeypatch.setattr(schema_packs.os.path, "realpath", lambda path: calls.append(str(path)) or real(path))
    monkeypatch.setattr(Path, "resolve", lambda *_: pytest.fail("Path.resolve called"))
    schema_packs._real_folder.cache_clear()
    root = linked_tree / "bundle"
    for name in ("b.xsd", "in.xsd", "sub/a.xsd"):
        schema_packs.confine(root, str(root / name))
    assert calls == [str(root / "b.xsd"), str(root), str(root / "in.xsd"), str(root / "sub/a.xsd")]
