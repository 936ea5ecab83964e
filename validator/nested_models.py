"""Models of the nested documents (``xsd/nested/``), compiled once per process.

Which model applies is data (``xsd/nested/models.toml``): the CSN document's root namespace picks its
XSD; FK's ``version`` picks the LEFI JSON Schema. A published bundle given with ``--schemas`` may carry
LEFI's OpenAPI file, which is converted to JSON Schema here and then used instead of ours.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any

import fastjsonschema
from lxml import etree

from .packs import PackError, compile_schema, data_root


@dataclass(frozen=True, slots=True)
class CsnModel:
    namespace: str
    schema_version: str
    entry: Path
    status: str

    def schema(self) -> etree.XMLSchema:
        return compile_schema(self.entry, self.entry.parent.parent)


class JsonModel:
    """One JSON Schema entry point, twice: a compiled yes/no for the common valid case, the full error list
    (jsonschema) only for documents that fail it, as the XSD rule does with libxml2. Both are built on
    first use, so a run without FK payloads pays nothing for them."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    @cached_property
    def fast(self) -> Callable[[Any], Any]:
        # fastjsonschema speaks draft-07; the keywords our models use mean the same there
        draft7 = dict(self.schema, **{"$schema": "http://json-schema.org/draft-07/schema#"})
        return _compile_fast(draft7, {"date": _iso_date})

    @cached_property
    def full(self):
        """The full error list, only for documents that failed the fast path (jsonschema imports slowly)."""
        from jsonschema import Draft202012Validator

        schema = _inline_refs(self.schema) or self.schema
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def is_valid(self, document: Any) -> bool:
        try:
            self.fast(document)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    def iter_errors(self, document: Any):
        if self.is_valid(document):
            return iter(())
        return self.full.iter_errors(document)


@dataclass(frozen=True, slots=True)
class LefiModel:
    version: str
    default: bool
    status: str
    #: where the schema came from: our JSON Schema or a bundle's OpenAPI file
    origin: str
    fraga: JsonModel
    svar: JsonModel

    def validator(self, direction: str) -> JsonModel:
        return self.fraga if direction == "request" else self.svar


@dataclass(frozen=True, slots=True)
class NestedModels:
    csn: dict[str, CsnModel]
    lefi: dict[str, LefiModel]
    skv_roots: tuple[str, ...]

    def lefi_default(self) -> LefiModel | None:
        return next((model for model in self.lefi.values() if model.default), None)


def _root() -> Path:
    return data_root("xsd") / "nested"


@cache
def builtin_models() -> NestedModels:
    root = _root()
    meta = tomllib.loads((root / "models.toml").read_text(encoding="utf-8"))
    csn = {
        item["namespace"]: CsnModel(item["namespace"], item["schema_version"], root / item["entry"], item["status"])
        for item in meta.get("csn", [])
    }
    lefi = {}
    for item in meta.get("lefi", []):
        document = json.loads((root / item["schema"]).read_text(encoding="utf-8"))
        lefi[item["version"]] = LefiModel(
            version=item["version"],
            default=bool(item.get("default")),
            status=item["status"],
            origin=f"xsd/nested/{item['schema']}",
            fraga=_json_validator(document, item["fraga"]),
            svar=_json_validator(document, item["svar"]),
        )
    return NestedModels(csn=csn, lefi=lefi, skv_roots=tuple(meta.get("skv", {}).get("roots", ())))


def models_for(openapi: tuple[Path, ...] = ()) -> NestedModels:
    """Our models, with the LEFI versions of a bundle's OpenAPI files taking the place of ours."""
    return _with_openapi(openapi) if openapi else builtin_models()


@cache
def _with_openapi(openapi: tuple[Path, ...]) -> NestedModels:
    models = builtin_models()
    lefi = dict(models.lefi)
    for path in openapi:
        model = openapi_model(path)
        default = lefi[model.version].default if model.version in lefi else False
        lefi[model.version] = LefiModel(model.version, default, model.status, model.origin, model.fraga, model.svar)
    return NestedModels(csn=models.csn, lefi=lefi, skv_roots=models.skv_roots)


#: fastjsonschema names each array item it descends into with ``"….x[{i}]".format(**locals())``, and
#: ``locals()`` in its large generated functions cost most of a valid document's check (measured: 3/4 on
#: a LEFI answer). The name only matters in an error, which we take from jsonschema anyway.
_ITEM_NAME = re.compile(r'"([^"{}]*)\{(\w+)\}([^"{}]*)"\.format\(\*\*locals\(\)\)')
_ENTRY = re.compile(r"^def (\w+)\(", re.MULTILINE)


def _compile_fast(schema: dict[str, Any], formats: dict[str, Callable[[Any], bool]]) -> Callable[[Any], Any]:
    """fastjsonschema's validator, its item names built by concatenation instead of ``locals()``."""
    code = _ITEM_NAME.sub(r'("\1" + str(\2) + "\3")', fastjsonschema.compile_to_code(schema, formats=formats))
    entry = _ENTRY.search(code)
    if entry is None:  # a fastjsonschema whose code we do not recognise: its own compiler then
        return fastjsonschema.compile(schema, formats=formats)
    namespace: dict[str, Any] = {}
    exec(compile(code, "<lefi model>", "exec"), namespace)  # code generated from our own schema
    return partial(namespace[entry.group(1)], custom_formats=formats)


_LOCAL_DEF = "#/$defs/"


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema with every ``#/$defs/…`` reference replaced by what it names, for jsonschema: resolving
    a reference costs it more than checking what it names (measured: listing a LEFI answer's errors takes
    40 % less time). None when a reference is recursive or not local; the schema is then used as it is.

    A reference with siblings becomes ``allOf: [target]`` beside them, which means the same in 2020-12.
    """
    definitions = schema.get("$defs", {})

    def inline(node: Any, trail: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(item, trail) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        rest = {key: inline(value, trail) for key, value in node.items() if key not in ("$ref", "$defs")}
        if reference is None:
            return rest
        name = reference[len(_LOCAL_DEF) :] if isinstance(reference, str) and reference.startswith(_LOCAL_DEF) else None
        if name is None or name not in definitions or name in trail or "/" in name or "~" in name:
            raise _NotInlinable
        target = inline(definitions[name], (*trail, name))
        return {"allOf": [target], **rest} if rest else target

    try:
        return inline(schema, ())
    except (_NotInlinable, RecursionError):
        return None


class _NotInlinable(Exception):
    pass


def _iso_date(value: str) -> bool:
    """The same test jsonschema's "date" format applies: a real calendar date, YYYY-MM-DD."""
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _json_validator(document: dict[str, Any], pointer: str) -> JsonModel:
    """An entry point into a schema document (ours is checked by the tests, a bundle's at load)."""
    return JsonModel(dict(document, **{"$ref": pointer}))


_OPENAPI_REF = re.compile(r"^#/components/schemas/")


@cache
def openapi_model(path: Path) -> LefiModel:
    """A LEFI OpenAPI 3.0 file as a model: components become ``$defs``; the POST question and its 200 answer
    are the entry points."""
    try:
        import yaml  # only a bundle with an OpenAPI file needs it

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
        spec = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        version = "v" + str(spec["info"]["version"]).split(".", 1)[0]
        fraga, svar = _entry_points(spec)
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {name: _convert(schema) for name, schema in spec["components"]["schemas"].items()},
        }
        from jsonschema import Draft202012Validator

        Draft202012Validator.check_schema(document)  # a broken bundle is a configuration error, now
        return LefiModel(
            version=version,
            default=False,
            status="external",
            origin=str(path),
            fraga=_json_validator(document, fraga),
            svar=_json_validator(document, svar),
        )
    except (OSError, KeyError, TypeError, ValueError, ImportError) as exc:
        raise PackError(f"{path}: not a usable LEFI OpenAPI file: {exc}") from exc
    except Exception as exc:  # yaml and jsonschema errors carry their own types
        raise PackError(f"{path}: not a usable LEFI OpenAPI file: {type(exc).__name__}: {exc}") from exc


def _entry_points(spec: dict[str, Any]) -> tuple[str, str]:
    """The question (request body) and answer (200) schemas of the operation that takes a JSON question."""
    for operations in spec.get("paths", {}).values():
        post = operations.get("post") if isinstance(operations, dict) else None
        if not post:
            continue
        body = post.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        answer = post.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        if "$ref" in body and "$ref" in answer.get("schema", {}):
            return _local(_confined_ref(body["$ref"])), _local(_confined_ref(answer["schema"]["$ref"]))
    raise KeyError("no POST operation with a JSON request body and a JSON 200 answer")


def _confined_ref(ref: Any) -> str:
    """A reference inside the same file, or a refusal: a bundle's OpenAPI file may not make us read another
    file, a file:// URL or the network (jsonschema would fetch an http reference while validating)."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise ValueError(f"refused $ref {ref!r}: a bundle's references must stay inside its OpenAPI file (#/…)")
    return ref


def _local(ref: str) -> str:
    return _OPENAPI_REF.sub("#/$defs/", ref)


#: keywords whose value maps names to schemas (the names are data, not keywords)
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs")


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 schema object → JSON Schema 2020-12: rewrite refs, turn ``nullable`` into a null type."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {}
    for key, value in node.items():
        if key in ("nullable", "example"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            converted[key] = {name: _convert(schema) for name, schema in value.items()}
        else:
            converted[key] = _convert(value)
    if "$ref" in converted:
        converted["$ref"] = _local(_confined_ref(converted["$ref"]))
    if "$id" in converted:  # would move the base of every "#/…" below it, possibly onto the network
        raise ValueError(f"refused $id {converted['$id']!r}: a bundle's schemas may not rebase their references")
    if node.get("nullable") and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted
