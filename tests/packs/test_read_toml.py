"""The bundled TOML files are parsed once, then read from the copy beside them while they stay as they were."""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

import pytest

from ssbtek_validator.packs import schema_packs
from ssbtek_validator.packs.schema_packs import BUNDLED, data_root, read_toml

#: tomllib's parse, taken before a test counts its calls
PARSE = tomllib.loads


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled folders in a temporary place taken for the package's own, copies written."""
    for name in BUNDLED:
        shutil.copytree(data_root(name), tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(schema_packs, "_bundled_folders", lambda: tuple(str(tmp_path / n) + os.sep for n in BUNDLED))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return tmp_path


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts tomllib is asked to parse."""
    seen: list[str] = []
    real = tomllib.loads

    def counting(text: str, **kwargs):
        seen.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(schema_packs.tomllib, "loads", counting)
    return seen


def test_every_bundled_file_reads_as_tomllib_parses_it_first_and_from_its_copy_after(bundled, parses):
    files = sorted(path for name in BUNDLED for path in (bundled / name).rglob("*.toml"))
    assert any(path.name == "bindings.toml" for path in files) and any(path.name == "pack.toml" for path in files)
    first = [read_toml(path) for path in files]
    assert len(parses) == len(files)
    assert first == [PARSE(path.read_text(encoding="utf-8")) for path in files]
    assert [read_toml(path) for path in files] == first
    assert len(parses) == len(files), "the second time, every file came from its copy"


def test_a_changed_file_is_parsed_again(bundled, parses):
    bindings = bundled / "codelists" / "bindings.toml"
    read_toml(bindings)
    text = bindings.read_text(encoding="utf-8")
    bindings.write_text(text.replace('tns = "', 'xx = "1"\ntns = "', 1), encoding="utf-8")
    assert read_toml(bindings)["namespaces"]["xx"] == "1"
    assert len(parses) == 2
    assert read_toml(bindings)["namespaces"]["xx"] == "1" and len(parses) == 2  # the new copy


def test_a_broken_copy_is_ignored_and_replaced(bundled, parses):
    pack = bundled / "xsd" / "ssbt-v10" / "pack.toml"
    read_toml(pack)
    (copy,) = (pack.parent / "__pycache__").iterdir()
    for broken in (b"", b"\x00garbage", copy.read_bytes()[:-5]):
        copy.write_bytes(broken)
        assert read_toml(pack) == PARSE(pack.read_text(encoding="utf-8"))
    assert read_toml(pack)["pack"]["version"] == 10 and len(parses) == 4


def test_no_copy_without_bytecode_writing_nor_of_a_file_that_does_not_ship_with_the_package(
    bundled, parses, tmp_path, monkeypatch
):
    pack = bundled / "xsd" / "ssbt-v10" / "pack.toml"
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    read_toml(pack)
    assert not (pack.parent / "__pycache__").exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    elsewhere = tmp_path / "published" / "pack.toml"
    elsewhere.parent.mkdir()
    shutil.copyfile(pack, elsewhere)
    assert read_toml(elsewhere) == read_toml(pack)
    assert not (elsewhere.parent / "__pycache__").exists()


def test_a_folder_that_cannot_be_written_only_costs_the_parse(bundled, parses, monkeypatch):
    pack = bundled / "xsd" / "ssbt-v11" / "pack.toml"
    (pack.parent / "__pycache__").write_text("a file where the folder would go", encoding="utf-8")
    assert read_toml(pack)["pack"]["version"] == 11
    assert read_toml(pack)["pack"]["version"] == 11 and len(parses) == 2
    assert [p.name for p in pack.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_packs_content_hash_is_the_same_with_its_copy_beside_it(bundled):
    """Certification evidence records each pack's content hash, over every file of a built-in pack's folder: the
    copy beside pack.toml is a cache, and must not change what --verify compares."""
    folder = bundled / "xsd" / "ssbt-v10"
    pack = schema_packs.load_pack(folder)  # reading its pack.toml made the copy
    assert list((folder / "__pycache__").iterdir())
    with_copy = pack.content_hash()
    shutil.rmtree(folder / "__pycache__")
    assert pack.content_hash() == with_copy
