"""Models of the nested documents (``xsd/nested/``), compiled once per process.

Which model applies is data (``xsd/nested/models.toml``): the CSN document's root namespace picks its
XSD; FK's ``version`` picks the LEFI JSON Schema. A published bundle given with ``--schemas`` may carry
LEFI's OpenAPI file, which is converted to JSON Schema here and then used instead of ours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache, cached_property
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from ssbtek_validator.packs.schema_packs import PackError, compile_schema, data_root, read_toml


class CsnModel(NamedTuple):
    namespace: str
    schema_version: str
    entry: Path
    status: str

    def schema(self) -> etree.XMLSchema:
        return _csn_schema(self.entry)


@cache
def _csn_schema(entry: Path) -> etree.XMLSchema:
    """A CSN model's compiled schema, found by the entry alone: compile_schema's own cache is keyed by
    (entry, root), and the root made anew from ``entry.parent.parent`` on every call is a Path whose hash
    is computed anew each time (~5 µs per CSN payload, more than the dict lookup it serves)."""
    return compile_schema(entry, entry.parent.parent)


class JsonError(NamedTuple):
    """One violation, in the terms the LEFI rule words its finding in (the names python-jsonschema uses):
    the keyword that failed, its value in the schema, the subschema holding it, the instance and where
    the instance sits in the document."""

    validator: str
    validator_value: Any
    schema: Any
    instance: Any
    absolute_path: tuple[str | int, ...]


class JsonModel:
    """One JSON Schema entry point, checked by jsonschema-rs: one validator for the yes/no and the error
    list, so the two cannot disagree (a compiled fast path and a second, full library once did: a date
    such as ``2021-W01-1`` passed one and failed the other). Formats are asserted ("date" is RFC 3339's
    full-date, as JSON Schema 2020-12 defines it). Built on first use: a run without FK payloads pays
    nothing."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    @cached_property
    def validator(self) -> Any:
        return _jsonschema_rs().Draft202012Validator(_reachable(self.schema), validate_formats=True)

    def is_valid(self, document: Any) -> bool:
        return self.validator.is_valid(document)

    def iter_errors(self, document: Any) -> Iterator[JsonError]:
        if self.validator.is_valid(document):  # the common case, without building error objects
            return
        yield from self.errors_of_invalid(document)

    def errors_of_invalid(self, document: Any) -> Iterator[JsonError]:
        """The violations of a document :meth:`is_valid` has said no to, without asking it again."""
        for error in self.validator.iter_errors(document):
            *parent, keyword = error.schema_path
            subschema = _at(self.schema, parent)
            yield JsonError(
                validator=str(keyword),
                validator_value=subschema.get(keyword) if isinstance(subschema, dict) else None,
                schema=subschema,
                instance=error.instance,
                absolute_path=tuple(error.instance_path),
            )


def _reachable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with only the ``$defs`` its entry point reaches: jsonschema-rs compiles every definition
    of the document, and a question's entry point reaches 4 of LEFI v9's 32 (~0.5 ms of a one-message run).
    Reports are unchanged: the kept definitions keep their names, so error locations are the same. A
    reference of another form (an anchor, a dynamic reference, another document) keeps the whole document."""
    definitions = schema.get("$defs")
    if not isinstance(definitions, dict):
        return schema
    kept: set[str] = set()
    pending: list[Any] = [{key: value for key, value in schema.items() if key != "$defs"}]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            if "$dynamicRef" in node or "$recursiveRef" in node:
                return schema
            pending.extend(node.values())
            ref = node.get("$ref")
            if isinstance(ref, str):
                if not ref.startswith("#/$defs/"):
                    return schema
                name = ref[len("#/$defs/") :].split("/", 1)[0]
                if name not in definitions:
                    return schema
                if name not in kept:
                    kept.add(name)
                    pending.append(definitions[name])
    return dict(schema, **{"$defs": {name: value for name, value in definitions.items() if name in kept}})


def _jsonschema_rs() -> Any:
    """jsonschema-rs, imported on first use (only FK payloads and bundles need it) and without ``email.utils``.

    Its native module imports ``email.utils`` at load only to turn its own build time into a datetime for
    ``__build__["info-time"]`` (pyo3-built metadata nothing here reads); ``email.utils`` drags in socket,
    random, calendar and email.charset: ~5 ms of CPU, a tenth of a one-message run. So for the import a
    stand-in ``email.utils`` with just that function sits in ``sys.modules`` and is removed right after: any
    later ``import email.utils`` gets the real module. Should a release need more of it, the import fails
    with the stand-in and is simply done again with the real module.
    """
    import sys

    # loaded (a plain import then waits for another thread's import to finish), or email.utils already paid
    # for: the plain import. The threaded command (serve: aiohttp) has imported email.utils before any
    # message, so no other thread can meet the stand-in.
    if "jsonschema_rs" in sys.modules or "email.utils" in sys.modules:
        import jsonschema_rs

        return jsonschema_rs
    import types

    stand_in: Any = types.ModuleType("email.utils")
    # the build time stays text: nothing reads it, and datetime.strptime would import _strptime (~1 ms)
    stand_in.parsedate_to_datetime = str
    sys.modules["email.utils"] = stand_in
    try:
        import jsonschema_rs
    except Exception:
        for name in [name for name in sys.modules if name == "jsonschema_rs" or name.startswith("jsonschema_rs.")]:
            del sys.modules[name]
        sys.modules.pop("email.utils", None)
        import jsonschema_rs
    finally:
        if sys.modules.get("email.utils") is stand_in:
            del sys.modules["email.utils"]
    return jsonschema_rs


def _at(schema: Any, path: Iterable[str | int]) -> Any:
    """The subschema at a keyword location (jsonschema-rs gives it with references already followed)."""
    node = schema
    for part in path:
        if isinstance(node, dict):
            node = node.get(str(part), {})
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return {}
    return node


class LefiModel(NamedTuple):
    version: str
    default: bool
    status: str
    #: where the schema came from: our JSON Schema or a bundle's OpenAPI file
    origin: str
    fraga: JsonModel
    svar: JsonModel

    def validator(self, direction: str) -> JsonModel:
        return self.fraga if direction == "request" else self.svar


class NestedModels(NamedTuple):
    csn: dict[str, CsnModel]
    lefi: dict[str, LefiModel]
    skv_roots: tuple[str, ...]

    def lefi_default(self) -> LefiModel | None:
        for model in self.lefi.values():  # a loop, not next() over a generator: asked for every FK message
            if model.default:
                return model
        return None


def _root() -> Path:
    return data_root("xsd") / "nested"


@cache
def builtin_models() -> NestedModels:
    root = _root()
    meta = read_toml(root / "models.toml")
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


def _json_validator(document: dict[str, Any], pointer: str) -> JsonModel:
    """An entry point into a schema document (ours is checked by the tests, a bundle's at load)."""
    return JsonModel(dict(document, **{"$ref": pointer}))


_OPENAPI_REF = re.compile(r"^#/components/schemas/")


@cache
def openapi_model(path: Path) -> LefiModel:
    """A LEFI OpenAPI 3.0 file as a model: components become ``$defs``; the POST question and its 200 answer
    are the entry points."""
    try:
        spec = _load_yaml(path.read_text(encoding="utf-8"))
        version = "v" + str(spec["info"]["version"]).split(".", 1)[0]
        fraga, svar = _entry_points(spec)
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {name: _convert(schema) for name, schema in spec["components"]["schemas"].items()},
        }
        jsonschema_rs = _jsonschema_rs()
        try:  # a broken bundle is a configuration error, now
            jsonschema_rs.meta.validate(document)
        except jsonschema_rs.ValidationError as exc:
            raise ValueError(f"its schemas are not valid JSON Schema: {exc.message}") from exc
        return LefiModel(
            version=version,
            default=False,
            status="external",
            origin=str(path),
            fraga=_json_validator(document, fraga),
            svar=_json_validator(document, svar),
        )
    except _YamlTooLarge as exc:
        raise PackError(f"{path}: refused: {exc}") from exc
    except (OSError, KeyError, TypeError, ValueError, ImportError, RecursionError) as exc:
        raise PackError(f"{path}: not a usable LEFI OpenAPI file: {exc}") from exc
    except Exception as exc:  # yaml and jsonschema errors carry their own types
        raise PackError(f"{path}: not a usable LEFI OpenAPI file: {type(exc).__name__}: {exc}") from exc


#: nodes a bundle's OpenAPI file may expand to, aliases counted as often as they are used. The LEFI v9
#: file has about 10,000 and no alias; a "billion laughs" made of YAML anchors and aliases has billions.
MAX_YAML_NODES = 1_000_000


class _YamlTooLarge(ValueError):
    pass


def _load_yaml(text: str) -> Any:
    """YAML, refused before it is built when its aliases would expand it past :data:`MAX_YAML_NODES`.

    PyYAML builds an alias as a shared reference, cheaply; everything that walks the result afterwards
    (the OpenAPI conversion, the JSON Schema check) pays for every expansion, which for an alias bomb
    is gigabytes. So the events are counted first, each alias as the size of the node it repeats.
    A file without ``&`` has no anchor, hence no alias: it skips the count.
    """
    import yaml  # only a bundle with an OpenAPI file needs it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
    if "&" in text:
        _count_yaml_nodes(yaml, text, loader)
    return yaml.load(text, Loader=loader)


def _count_yaml_nodes(yaml: Any, text: str, loader: Any) -> None:
    sizes: dict[str, int] = {}
    open_nodes: list[list[Any]] = [[0, None]]  # [expanded size so far, anchor] per open collection
    total = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            open_nodes.append([1, event.anchor])
            total += 1
            continue
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            size, anchor = open_nodes.pop()
            if anchor:
                sizes[anchor] = size
            open_nodes[-1][0] += size
            continue
        else:
            continue
        open_nodes[-1][0] += size
        total += size
        if total > MAX_YAML_NODES:
            raise _YamlTooLarge(
                f"its YAML aliases expand it past {MAX_YAML_NODES:,} nodes (a YAML alias bomb?); "
                "an OpenAPI file needs no such thing"
            )


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
