"""Schema packs: one per SSBTEK version, our own (``xsd/ssbt-vN``) or a published bundle (``--schemas``).

A pack is data (``pack.toml`` plus XSDs); this module loads it, compiles its schema once per
process, and decides which pack a message belongs to and why. Försäkringskassan routes on the
namespace ``…/integration/ssbt/N``, so that is what we route on too; the XSD's own ``version``
attribute is wrong in every published contract and is never read.
"""

from __future__ import annotations

import marshal
import os
import re
import signal
import sys
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from lxml import etree

from ssbtek_validator.reading.message import MAX_DIGITS, SSBT_NAMESPACE, Message, integer, shown_number
from ssbtek_validator.reading.nested import PayloadBinding
from ssbtek_validator.results.model import Detection, Finding, Severity

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
NAMESPACE_TEMPLATE = "http://schema.forsakringskassan.se/integration/ssbt/{}"


class PackError(Exception):
    """A pack or bundle that cannot be loaded: a configuration error (exit 2)."""


def data_root(name: str) -> Path:
    """Where bundled data lives: inside the installed wheel, or beside the package in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "_bundled" / name
    return installed if installed.is_dir() else package.parent / name


#: the folders whose TOML files ship with the package (read_toml keeps a parsed copy of those)
BUNDLED = ("xsd", "codelists")


@cache
def _bundled_folders() -> tuple[str, ...]:
    return tuple(str(data_root(name)) + os.sep for name in BUNDLED)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file, parsed; one that ships with the package (a pack's pack.toml, the code lists' bindings.toml, the
    nested models' models.toml) from a copy of what it parsed to, kept beside it as Python keeps a module's
    bytecode: ``__pycache__/NAME.TAG.marshal``, used while the file has the modification time and size the copy
    was made from.

    Why: every process parsed the same bundled files again, and tomllib is pure Python: ~2 ms of a one-message
    run's ~85 ms of CPU (bindings.toml alone ~1.5 ms; its copy loads in ~30 µs). The copy is written as Python
    writes bytecode: not when ``sys.dont_write_bytecode`` (PYTHONDONTWRITEBYTECODE), into a temporary name then
    renamed, and not at all where the folder cannot be written; marshal holds what TOML gives these files (tables,
    arrays, strings, numbers, booleans), and a file it cannot hold is parsed every time; the copy is trusted as
    the bytecode beside it is (both are marshal data in the package's folders). Any other file (a published
    bundle's, a configuration) is parsed every time. tests/packs/test_read_toml.py checks the copy is
    read, replaced when the file changes, and equal to parsing."""
    if not str(path.absolute()).startswith(_bundled_folders()):
        return tomllib.loads(path.read_text(encoding="utf-8"))
    copy = path.parent / "__pycache__" / f"{path.name}.{sys.implementation.cache_tag}.marshal"
    stat = path.stat()  # before reading, as for bytecode: a file changed meanwhile is parsed again next time
    made_from = (stat.st_mtime_ns, stat.st_size)
    try:
        kept, data = marshal.loads(copy.read_bytes())
        if tuple(kept) == made_from and isinstance(data, dict):
            return data
    except (OSError, ValueError, EOFError, TypeError):  # no copy yet, or one that cannot be read
        pass
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if not sys.dont_write_bytecode:
        _keep(copy, made_from, data)
    return data


def _keep(copy: Path, made_from: tuple[int, int], data: dict[str, Any]) -> None:
    """Write read_toml's copy; silently not where it cannot be (a read-only installation, a value marshal cannot
    hold)."""
    temporary = copy.with_name(f"{copy.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # one per writer
    try:
        blob = marshal.dumps((made_from, data))
        copy.parent.mkdir(exist_ok=True)
        temporary.write_bytes(blob)
        os.replace(temporary, copy)
    except (OSError, ValueError):
        with suppress(OSError):
            temporary.unlink()


@dataclass(frozen=True)
class Pack:
    id: str
    version: int
    title: str
    namespace: str
    status: str
    entry: Path
    #: imports may not leave this folder
    root: Path
    operations: tuple[str, ...]
    agencies: tuple[str, ...]
    live_from: date | None = None
    closed: date | None = None
    contract_date: date | None = None
    provenance: dict = field(default_factory=dict, compare=False)
    origin: str = "builtin"
    #: where nested documents travel in this version's messages
    payloads: tuple[PayloadBinding, ...] = ()
    #: LEFI OpenAPI files of a published bundle; used instead of our LEFI models (packs/nested_models.py)
    openapi: tuple[Path, ...] = ()

    def schema(self) -> etree.XMLSchema:
        return compile_schema(self.entry, self.root)

    def content_hash(self) -> str:
        """SHA-256 over the pack's own folder and every file compiling its schema read, plus a bundle's
        OpenAPI files.

        Shared files (``xsd/common``, ``xsd/agencies``) change what a pack accepts, so evidence that
        a later run used the same pack must cover them too. The set is what the confined loader read,
        never a textual guess at the imports (that one followed an ``xs:import`` hidden in
        ``xs:appinfo`` to files outside the bundle).
        """
        import hashlib  # here, not at the top: loading OpenSSL's hashes costs ~2 ms of every cold start

        digest = hashlib.sha256()
        files = set()
        if self.origin == "builtin":  # not read_toml's copies of what pack.toml parsed to: a cache, not content
            files = {p for p in self.entry.parent.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        files |= schema_files(self.entry, self.root) | set(self.openapi)
        root = self.root.resolve()
        for path in sorted(files):
            digest.update(os.path.relpath(path, root).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def summary(self) -> dict:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "namespace": self.namespace,
            "status": self.status,
            "origin": self.origin,
            "live_from": self.live_from.isoformat() if self.live_from else None,
            "closed": self.closed.isoformat() if self.closed else None,
            "operations": list(self.operations),
            "agencies": list(self.agencies),
            "sources": list(self.provenance.get("sources", [])),
        }


class BundleEscape(ValueError):
    """A reference that would make us read something outside a bundle's folder (or from the network)."""


def confine(root: Path, reference: str) -> Path:
    """The one check every loader of pack and bundle files goes through: the file ``reference`` names,
    symlinks resolved, provided it lies inside ``root``; otherwise ``BundleEscape``.

    ``reference`` is an absolute path or a ``file:`` URL (libxml2 hands over references already made
    absolute against the including file and unescaped). Anything with another scheme (http, ftp, …) is
    refused without being fetched: the validator never touches the network.
    """
    target = reference
    if reference.startswith("file:"):
        parts = urlsplit(reference)
        if parts.netloc not in ("", "localhost"):
            raise BundleEscape(reference)
        target = unquote(parts.path)
    elif _SCHEME.match(reference):
        raise BundleEscape(reference)
    if not os.path.isabs(target):
        raise BundleEscape(reference)
    # os.path.realpath, not Path.resolve: a symlink loop stays as written (its read then fails, as a missing
    # file's does) where Path.resolve raised RuntimeError, a traceback out of the bundle's folder scan. And
    # strings compared, not Paths, against the folder resolved once: Path.resolve (a strict realpath, then a
    # stat) of the file and of the folder, and is_relative_to, cost ~55 µs a file, ~25 µs now; a schema reads
    # 9-13 files, so compiling one costs ~0.27 ms less (all seven bundled: 15.7 -> 13.9 ms): the one-message run
    # compiles one, the mixed benchmark batch four (SSBTEK v10, v11, CSN v3.0, v4.0)
    resolved = os.path.realpath(target)
    inside = _real_folder(root)
    if resolved != inside and not resolved.startswith(inside.rstrip(os.sep) + os.sep):
        raise BundleEscape(reference)
    return Path(resolved)


@lru_cache(maxsize=64)
def _real_folder(root: Path) -> str:
    """A confining folder, symlinks resolved, once per process: a pack's or bundle's folder is resolved when it
    is loaded, and every file its schema reads is held to that folder (a folder moved by a symlink meanwhile
    refuses its files rather than following the link)."""
    return os.path.realpath(root)


#: a URL scheme (two letters at least, so that a Windows drive letter is not one)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


class _ConfinedResolver(etree.Resolver):
    """Serves every file a schema pulls in (include, import, redefine, the entry itself) through
    ``confine``, reading the bytes itself so that libxml2 opens nothing we did not check. Refused
    references get an empty schema and are remembered; the files read are remembered too, because
    they (and not a textual guess at the imports) are what a certification must hash.
    """

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()
        self.refused: list[str] = []
        self.read: set[Path] = set()

    def resolve(self, url, pubid, context):
        try:
            path = confine(self.root, url)
            data = path.read_bytes()
        except (BundleEscape, OSError):
            self.refused.append(url)
            return self.resolve_string(f'<xs:schema xmlns:xs="{XS}"/>', context)
        self.read.add(path)
        return self.resolve_string(data, context, base_url=url)


def _schema_parser(root: Path) -> tuple[etree.XMLParser, _ConfinedResolver]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    resolver = _ConfinedResolver(root)
    parser.resolvers.add(resolver)
    return parser, resolver


def compile_schema(entry: Path, root: Path) -> etree.XMLSchema:
    """Compile once per process (the only global state: a cache of compiled schemas)."""
    return _compiled(entry, root)[0]


def schema_files(entry: Path, root: Path) -> frozenset[Path]:
    """Exactly the files compiling the schema read (entry included), symlinks resolved."""
    return _compiled(entry, root)[1]


#: the stop signals a run turns into exceptions (Ctrl-C, and SIGTERM in cli/main.py)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back while libxml2 compiles a schema, and deliver them after.

    Compiling calls our resolver (Python) for every import; a signal's handler runs between two Python
    instructions, so the exception it raises (KeyboardInterrupt, the command's Terminated) would start
    inside the resolver, and lxml turns an exception raised in a resolver into an XMLSchemaParseError: the
    stop became "schema does not compile", one message "could not run", and the run went on. Meanwhile a
    handler that only notes the signal stands in (at most one compilation, some milliseconds); the real
    one is put back and called after, where nothing swallows what it raises. Python handlers are set in
    the main thread only: elsewhere there is nothing to hold."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[tuple[int, object]] = []
    previous = {number: signal.signal(number, lambda *caught: arrived.append(caught)) for number in _STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number, frame in arrived[:1]:
            handler = previous[number]
            if callable(handler):
                handler(number, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(number)  # the default action, as if it had not been held


@cache
def _compiled(entry: Path, root: Path) -> tuple[etree.XMLSchema, frozenset[Path]]:
    parser, resolver = _schema_parser(root)
    try:
        with _stop_signals_held():
            document = etree.parse(str(entry), parser)
            if etree.QName(document.getroot()).namespace == WSDL:
                document = _schema_from_wsdl(document, entry, parser)
            schema = etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
        if resolver.refused:
            raise _refusal(entry, root, resolver.refused) from exc
        raise PackError(f"{entry}: schema does not compile: {exc}") from exc
    if resolver.refused:
        raise _refusal(entry, root, resolver.refused)
    return schema, frozenset(resolver.read)


def _refusal(entry: Path, root: Path, refused: list[str]) -> PackError:
    return PackError(
        f"{entry}: refused to load {', '.join(sorted(set(refused)))}: schema imports must stay "
        f"inside {root} and never reach the network"
    )


def _schema_from_wsdl(document: etree._ElementTree, entry: Path, parser: etree.XMLParser) -> etree._ElementTree:
    """The WSDL's first inline schema as a document of its own, parsed with the confined parser: its
    imports must go through the same resolver as a bare XSD's (a copy made without it read anything)."""
    schemas = document.getroot().findall(f"{{{WSDL}}}types/{{{XS}}}schema")
    if not schemas:
        raise PackError(f"{entry}: WSDL has no types/schema")
    return etree.fromstring(etree.tostring(schemas[0]), parser, base_url=str(entry)).getroottree()


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def load_pack(folder: Path) -> Pack:
    try:
        meta = read_toml(folder / "pack.toml")
        info = meta["pack"]
        return Pack(
            id=info["id"],
            version=int(info["version"]),
            title=info.get("title", info["id"]),
            namespace=info["namespace"],
            status=info["status"],
            entry=folder / info["entry"],
            root=folder.parent,
            operations=tuple(info["operations"]),
            agencies=tuple(info["agencies"]),
            live_from=_date(info.get("live_from")),
            closed=_date(info.get("closed")),
            contract_date=_date(info.get("contract_date")),
            provenance=meta.get("provenance", {}),
            payloads=tuple(PayloadBinding.from_toml(item) for item in meta.get("payload", [])),
        )
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise PackError(f"{folder}/pack.toml: {exc}") from exc


def _target_namespace(path: Path) -> str | None:
    """Read only the root start tag; bundle files can be UTF-16, which lxml detects from the BOM."""
    try:
        for _event, element in etree.iterparse(str(path), events=("start",), no_network=True, resolve_entities=False):
            return element.get("targetNamespace")
    except (etree.XMLSyntaxError, OSError):
        return None
    return None


def load_bundle(path: Path, builtin: dict[int, Pack] | None = None) -> Pack:
    """A published contract bundle (folder, WSDL or core XSD) as a pack.

    In a folder a WSDL is preferred over a bare XSD, because it names the operations.
    """
    path = path.resolve()
    if path.is_dir():
        root = path
        candidates = _confined_files(root, [*sorted(path.rglob("*.wsdl")), *sorted(path.rglob("*.xsd"))])
        openapi = tuple(_confined_files(root, sorted(root.rglob("*.openapi.y*ml"))))
    elif path.is_file():
        candidates = [path]
        root = path.parent
        openapi = ()
    else:
        raise PackError(f"--schemas {path}: no such file or folder")
    for candidate in candidates:
        namespace = _target_namespace(candidate) or ""
        found = SSBT_NAMESPACE.match(namespace)
        if found:
            break
    else:
        raise PackError(f"--schemas {path}: no WSDL or XSD with an SSBTEK target namespace (…/integration/ssbt/N)")
    version = integer(found.group(1))
    if version is None or version >= 10**MAX_DIGITS:
        raise PackError(
            f"--schemas {path}: {candidate.name} names an absurd SSBTEK version ({shown_number(found.group(1))})"
        )
    twin = (builtin or {}).get(version)
    operations = _wsdl_operations(candidate) or (twin.operations if twin else ())
    pack = Pack(
        id=f"bundle-v{version}",
        version=version,
        title=f"SSBTEK v{version} (bundle {path.name})",
        namespace=namespace,
        status="external",
        entry=candidate,
        root=root,
        operations=operations,
        agencies=twin.agencies if twin else ("AF", "CSN", "FK", "SKV", "SO", "TNS", "MIV"),
        live_from=twin.live_from if twin else None,
        closed=twin.closed if twin else None,
        provenance={"summary": f"loaded from {candidate}", "sources": [str(candidate)]},
        origin="bundle",
        payloads=twin.payloads if twin else (),
        openapi=openapi,
    )
    try:
        pack.schema()  # fail now, as a configuration error, rather than once per message
    except PackError as exc:
        if path.is_file() and "refused to load" in str(exc):  # a WSDL deep in a published tree imports upwards
            raise PackError(f"{exc} (give --schemas the bundle's top folder to allow imports within it)") from None
        raise
    return pack


def _confined_files(root: Path, paths: list[Path]) -> list[Path]:
    """The files a folder scan found, each through ``confine``: a symlink in the bundle that points
    outside it refuses the bundle rather than being read."""
    try:
        return [confine(root, str(path)) for path in paths]
    except BundleEscape as escape:
        raise PackError(
            f"--schemas {root}: refused to read {escape}: it resolves outside the bundle's folder"
        ) from None


def _wsdl_operations(path: Path) -> tuple[str, ...]:
    if path.suffix != ".wsdl":
        return ()
    parser, _resolver = _schema_parser(path.parent)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError:
        return ()
    names = [op.get("name") for op in root.iterfind(f"{{{WSDL}}}portType/{{{WSDL}}}operation")]
    return tuple(dict.fromkeys(name for name in names if name))


K = TypeVar("K")
V = TypeVar("V")


class OnDemand(Mapping[K, V]):
    """Values by key, each made by ``load(key, path)`` the first time its key is asked for, then kept.

    The keys are known at once (from file or folder names), so membership, iteration and a key that does not
    exist cost no reading; what is behind a key is read only when a run needs it. The bundled packs and code
    lists are read this way: reading all of them was ~5 ms of every cold start (tomllib and csv are pure
    Python), where a run of v10 requests needs one pack.toml and 3 of the 31 lists."""

    __slots__ = ("_load", "_made", "_paths")

    def __init__(self, paths: dict[K, Path], load: Callable[[K, Path], V]) -> None:
        self._paths = paths
        self._load = load
        self._made: dict[K, V] = {}

    def __getitem__(self, key: K) -> V:
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._load(key, self._paths[key])
        return found

    def get(self, key: K, default: V | None = None) -> V | None:  # type: ignore[override]
        """Mapping's get, answered from what was made: the driver asks the packs twice a message (detect, then
        the pack to run), and Mapping's get is two Python calls (a try around __getitem__)."""
        found = self._made.get(key)
        return found if found is not None else Mapping.get(self, key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._paths  # by its name, without reading it (Mapping's would)

    def __iter__(self) -> Iterator[K]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


class BuiltinPacks(OnDemand[int, Pack]):
    """The bundled packs by version, each pack.toml read the first time its version is asked for. The versions
    are known at once from the folder names (``ssbt-vN``); a pack.toml that says another version is refused."""

    __slots__ = ()

    def __init__(self, folders: dict[int, Path]) -> None:
        super().__init__(folders, _builtin_pack)


def _builtin_pack(version: int, folder: Path) -> Pack:
    pack = load_pack(folder)
    if pack.version != version:
        raise PackError(f"{folder}/pack.toml: version {pack.version}, but the folder is v{version}'s")
    return pack


@cache
def builtin_packs() -> BuiltinPacks:
    """The packs in ``xsd/ssbt-v*/``, in folder order, read on first use."""
    folders = {}
    for folder in sorted(data_root("xsd").glob("ssbt-v*")):
        number = folder.name.removeprefix("ssbt-v")
        if number.isdigit() and (folder / "pack.toml").is_file():
            folders[int(number)] = folder
    return BuiltinPacks(folders)


def known_versions(packs: dict[int, Pack]) -> str:
    return ", ".join(f"v{n}" for n in sorted(packs))


def known_namespaces(packs: dict[int, Pack]) -> str:
    return ", ".join(packs[n].namespace for n in sorted(packs))


def _shown(namespace: str) -> str:
    """A namespace as a finding quotes it: a hostile one can be megabytes long."""
    return namespace if len(namespace) <= 120 else f"{namespace[:100]}… ({len(namespace)} characters)"


#: (namespace, operation, direction) -> (version, pack, detection) of a message routed to a pack; see detect
_ROUTED: dict[tuple[str | None, str | None, str | None], tuple[int, Pack, Detection]] = {}
#: distinct namespace × operation × direction a process meets: a handful; hostile input cannot grow it further
_MOST_ROUTES = 64


def detect(message: Message, packs: dict[int, Pack], forced: int | None = None) -> tuple[Detection, list[Finding]]:
    """Pick the pack for a message and say why; an unknown version is a finding, not a guess.

    A message routed to a pack gets the Detection the last message with its namespace, operation and direction
    got, when its version still names the same pack: it depends on nothing else, and it is frozen. Working it
    out again (a pattern, the version's integer, the pack lookup, the reason's text) cost ~3 µs a message."""
    key = (message.namespace, message.operation, message.direction)
    routed = _ROUTED.get(key) if forced is None and message.payload is not None else None
    if routed is not None and packs.get(routed[0]) is routed[1]:
        return routed[2], []
    findings: list[Finding] = []
    namespace = message.namespace
    found = SSBT_NAMESPACE.match(namespace or "")
    named = integer(found.group(1)) if found else None
    base = {"operation": message.operation, "direction": message.direction}

    def finding(text: str) -> None:
        element = message.payload
        findings.append(
            Finding(
                "SSBT-VERSION",
                Severity.ERROR,
                text,
                file=message.name,
                line=element.sourceline if element is not None else None,
            )
        )

    if forced is not None:
        pack = packs.get(forced)
        if pack is None:
            raise PackError(f"--pack {forced}: no such pack; known: {known_versions(packs)}")
        said = f"namespace says v{shown_number(found.group(1))}" if found else "no SSBTEK namespace"
        return Detection(forced, pack.id, pack.status, reason=f"forced by --pack {forced} ({said})", **base), []
    if message.payload is None:
        return Detection(reason="no SSBTEK payload to detect a version from", **base), []
    if named is None:
        shown = _shown(namespace or "(none)")
        finding(
            f"Namespace {shown} is not an SSBTEK namespace; expected "
            f"{NAMESPACE_TEMPLATE.format('N')} with N one of {known_versions(packs)}."
        )
        return Detection(reason=f"namespace {shown} is not an SSBTEK namespace", **base), findings
    shown = _shown(namespace)
    pack = packs.get(named)
    if pack is None:
        number = shown_number(found.group(1))
        if packs and min(packs) < named < max(packs):
            # a version between two we model existed (SSBTEK v9 came before v10) but has no public contract:
            # we cannot judge the message, which is not the same as finding it wrong
            findings.append(
                Finding(
                    "SSBT-VERSION-UNMODELLED",
                    Severity.ERROR,
                    f"Namespace {shown} names SSBTEK v{number}, a version between v{min(packs)} and "
                    f"v{max(packs)} that no pack here models (no public contract of it is known): the message "
                    "is not checked. Give its contract with --schemas DIR to check it.",
                    file=message.name,
                    line=message.payload.sourceline if message.payload is not None else None,
                )
            )
            return Detection(named, reason=f"namespace {shown} (no pack for v{number})", **base), findings
        finding(
            f"Namespace {shown} names SSBTEK v{number}, which no pack describes; known versions: "
            f"{known_versions(packs)}."
        )
        version = named if named < 10**MAX_DIGITS else None
        return Detection(version, reason=f"namespace {shown} (no pack for v{number})", **base), findings
    if namespace != pack.namespace:
        # namespaces are names compared character by character: Försäkringskassan routes on the exact
        # string, and the schema declares nothing in a namespace that differs by a slash or a zero
        finding(
            f"Namespace {shown} is not SSBTEK v{named}'s namespace {pack.namespace}: namespace names are "
            "compared character by character (no trailing slash, no leading zeros), so nothing in the pack "
            f"matches it; expected one of {known_namespaces(packs)}."
        )
        return Detection(reason=f"namespace {shown} is not the namespace of any pack", **base), findings
    origin = "published bundle given with --schemas" if pack.origin == "bundle" else f"pack {pack.id}"
    detection = Detection(named, pack.id, pack.status, reason=f"namespace {namespace} → {origin}", **base)
    if not findings:
        if len(_ROUTED) >= _MOST_ROUTES:
            _ROUTED.clear()
        _ROUTED[key] = (named, pack, detection)
    return detection, findings
